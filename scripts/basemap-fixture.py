#!/usr/bin/env python3
"""Writes src-tauri/tests/fixtures/test-basemap.pmtiles: a tiny raster PMTiles v3 basemap (zoom 0–3,
every tile a pale square with a grid and its z/x/y) for the window tests of the offline map.

Run once with the `pmtiles` and `pillow` packages from PyPI (python3 -m venv v && v/bin/pip install
pmtiles pillow); the result is checked in, so the tests need neither.
"""
import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

MAX_ZOOM = 3
out = Path(sys.argv[1] if len(sys.argv) > 1 else "src-tauri/tests/fixtures/test-basemap.pmtiles")


def tile(z: int, x: int, y: int) -> bytes:
    img = Image.new("RGB", (256, 256), (214, 228, 240))
    d = ImageDraw.Draw(img)
    for i in range(0, 256, 32):
        d.line([(i, 0), (i, 255)], fill=(150, 170, 190))
        d.line([(0, i), (255, i)], fill=(150, 170, 190))
    d.text((8, 8), f"{z}/{x}/{y}", fill=(40, 60, 80))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


tiles = []
for z in range(MAX_ZOOM + 1):
    for x in range(2**z):
        for y in range(2**z):
            tiles.append((zxy_to_tileid(z, x, y), tile(z, x, y)))
tiles.sort()
with open(out, "wb") as f:
    writer = Writer(f)
    for tileid, data in tiles:
        writer.write_tile(tileid, data)
    writer.finalize(
        {
            "tile_type": TileType.PNG,
            "tile_compression": Compression.NONE,
            "min_zoom": 0,
            "max_zoom": MAX_ZOOM,
            "min_lon_e7": -1800000000,
            "min_lat_e7": -850000000,
            "max_lon_e7": 1800000000,
            "max_lat_e7": 850000000,
            "center_zoom": 0,
            "center_lon_e7": 0,
            "center_lat_e7": 0,
        },
        {"name": "buqi test basemap", "attribution": "test grid"},
    )
print(f"wrote {out} ({out.stat().st_size} bytes, {len(tiles)} tiles)")
