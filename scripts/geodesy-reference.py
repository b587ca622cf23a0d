#!/usr/bin/env python3
"""Reference geodesy for buqi-measure, computed independently with GeographicLib's Python package.

buqi-measure computes areas and distances with the `geo` crate (which wraps geographiclib-rs, a Rust
port). Checking it against the original Python implementation by the same author catches mistakes on
our side -- swapped lon/lat, the wrong winding, a planar or spherical shortcut -- that a test written
against our own output would not.

    python3 -m venv /tmp/geodesy-venv && /tmp/geodesy-venv/bin/pip install geographiclib
    /tmp/geodesy-venv/bin/python scripts/geodesy-reference.py

writes src-tauri/measure/tests/fixtures/geodesy-reference.json (checked in). The output has no clock
in it, so running the script again with the same geographiclib gives the same file byte for byte.

Coordinates are WGS-84 longitude/latitude in degrees. Every vertex is rounded to 1e-9 degree (about
0.1 mm) *before* the reference values are computed from it, so Rust and Python measure the same
decimal numbers.
"""

import json
import math
import os
import sys

import geographiclib
from geographiclib.geodesic import Geodesic

WGS84 = Geodesic.WGS84
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src-tauri", "measure", "tests", "fixtures", "geodesy-reference.json")
COMMAND = "python3 scripts/geodesy-reference.py (from the repository root, after `pip install geographiclib`; a venv is fine)"


def r9(x):
    return round(x, 9)


def offset(centre, east_m, north_m):
    """The point `east_m`, `north_m` from `centre` ([lon, lat]) along a geodesic, rounded."""
    lon0, lat0 = centre
    s = math.hypot(east_m, north_m)
    if s == 0:
        return [r9(lon0), r9(lat0)]
    azi = math.degrees(math.atan2(east_m, north_m))
    d = WGS84.Direct(lat0, lon0, azi, s)
    return [r9(d["lon2"]), r9(d["lat2"])]


def rotate(offsets, degrees):
    a = math.radians(degrees)
    c, s = math.cos(a), math.sin(a)
    return [(x * c - y * s, x * s + y * c) for x, y in offsets]


def ring(centre, offsets):
    return [offset(centre, e, n) for e, n in offsets]


def polygon_case(name, about, vertices):
    p = WGS84.Polygon()
    for lon, lat in vertices:
        p.AddPoint(lat, lon)
    # sign=True: counter-clockwise rings are positive, clockwise negative (for rings far smaller
    # than half the Earth, which all of these are).
    _, perimeter, signed_area = p.Compute(False, True)
    return {
        "name": name,
        "about": about,
        "ring": vertices,
        "signed_area_m2": signed_area,
        "area_m2": abs(signed_area),
        "perimeter_m": perimeter,
    }


def inverse(a, b):
    return WGS84.Inverse(a[1], a[0], b[1], b[0])["s12"]


def distance_case(name, about, start, azimuth_deg, metres):
    a = [r9(start[0]), r9(start[1])]
    d = WGS84.Direct(a[1], a[0], azimuth_deg, metres)
    b = [r9(d["lon2"]), r9(d["lat2"])]
    return {"name": name, "about": about, "from": a, "to": b, "distance_m": inverse(a, b)}


def path_case(name, about, centre, offsets):
    pts = ring(centre, offsets)
    return {
        "name": name,
        "about": about,
        "path": pts,
        "length_m": sum(inverse(pts[i], pts[i + 1]) for i in range(len(pts) - 1)),
    }


def scaled_to_perimeter(offsets, perimeter_m):
    n = len(offsets)
    planar = sum(
        math.hypot(offsets[(i + 1) % n][0] - offsets[i][0], offsets[(i + 1) % n][1] - offsets[i][1])
        for i in range(n)
    )
    k = perimeter_m / planar
    return [(x * k, y * k) for x, y in offsets]


WUHAN = (114.3055, 30.5928)
HARBIN = (126.6424, 45.7567)
CHENGDU = (104.0657, 30.6595)
BEIJING = (116.4074, 39.9042)
SHANGHAI = (121.4737, 31.2304)
GUANGZHOU = (113.2644, 23.1291)
KUNMING = (102.8329, 24.8801)

# Counter-clockwise (east, north) offsets in metres.
RECT_300_400 = [(-150, -200), (150, -200), (150, 200), (-150, 200)]
HARBIN_HEX = scaled_to_perimeter([(-300, -200), (250, -230), (320, 50), (150, 260), (-120, 240), (-310, 80)], 2000.0)
PLOT_20 = [(-10, -10), (10, -10), (10, 10), (-10, 10)]
RADII_12 = [210, 320, 180, 290, 350, 150, 260, 330, 170, 300, 240, 200]
NUDGE_12 = [0, 7, -5, 3, 9, -8, 4, -2, 6, -9, 2, -4]
TWELVE = [
    (r * math.cos(math.radians(30 * k + d)), r * math.sin(math.radians(30 * k + d)))
    for k, (r, d) in enumerate(zip(RADII_12, NUDGE_12))
]
SQUARE_5KM = [(-2500, -2500), (2500, -2500), (2500, 2500), (-2500, 2500)]
THIN = rotate([(-1000, -7.5), (1000, -7.5), (1000, 7.5), (-1000, 7.5)], 30)
L_SHAPE = [(0, 0), (240, 0), (240, 90), (100, 90), (100, 260), (0, 260)]


def main():
    wuhan = ring(WUHAN, RECT_300_400)
    twelve = ring(BEIJING, TWELVE)
    polygons = [
        polygon_case("wuhan_estate_ccw", "300 m x 400 m estate in Wuhan, 30.6N, counter-clockwise", wuhan),
        polygon_case("wuhan_estate_cw", "the same estate walked clockwise", wuhan[::-1]),
        polygon_case("harbin_estate", "irregular hexagon, 2 km around, in Harbin, 45.8N", ring(HARBIN, HARBIN_HEX)),
        polygon_case("chengdu_plot_20m", "20 m x 20 m plot in Chengdu", ring(CHENGDU, PLOT_20)),
        polygon_case("beijing_12gon_ccw", "irregular, concave 12-gon in Beijing, 39.9N", twelve),
        polygon_case("beijing_12gon_cw", "the same 12-gon clockwise", twelve[::-1]),
        polygon_case("shanghai_5km_square", "city-scale 5 km x 5 km square in Shanghai", ring(SHANGHAI, SQUARE_5KM)),
        polygon_case("guangzhou_thin_strip", "2 km x 15 m strip along a canal in Guangzhou, turned 30 degrees", ring(GUANGZHOU, THIN)),
        polygon_case("kunming_l_shape", "L-shaped estate in Kunming, 24.9N", ring(KUNMING, L_SHAPE)),
    ]
    distances = [
        distance_case("wuhan_10m", "10 m to the north-east in Wuhan", WUHAN, 37.0, 10.0),
        distance_case("harbin_400m_east", "400 m due east in Harbin (the 5-minute walk)", HARBIN, 90.0, 400.0),
        distance_case("shanghai_5km", "5 km to the south-west in Shanghai", SHANGHAI, 225.0, 5000.0),
        distance_case("guangzhou_1m", "1 m due north in Guangzhou", GUANGZHOU, 0.0, 1.0),
    ]
    paths = [
        path_case(
            "wuhan_walk_to_clinic",
            "a drawn path of 6 points through an estate in Wuhan",
            WUHAN,
            [(0, 0), (120, 10), (135, 160), (260, 175), (270, 330), (410, 340)],
        ),
    ]
    doc = {
        "generator": {
            "script": "scripts/geodesy-reference.py",
            "command": COMMAND,
            "geographiclib": geographiclib.__version__,
            "python": sys.version.split()[0],
            "ellipsoid": "WGS84: a = 6378137 m, f = 1/298.257223563",
            "coordinates": "[longitude, latitude] in degrees, rounded to 1e-9 before computing",
        },
        "polygons": polygons,
        "distances": distances,
        "paths": paths,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}: {len(polygons)} polygons, {len(distances)} distances, {len(paths)} paths")


if __name__ == "__main__":
    main()
