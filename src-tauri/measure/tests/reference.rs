//! Our geodesy against GeographicLib's Python package (tests/fixtures/geodesy-reference.json,
//! written by scripts/geodesy-reference.py).
//!
//! Tolerance: an area within 1e-6 of the reference, relative, or 0.01 m², whichever is larger;
//! a length (distance, path, perimeter) within 1 mm. That is far finer than any fix, and a
//! thousand times finer than the error of a spherical-Earth shortcut (0.1–0.5 %), so it catches a
//! wrong formula, ellipsoid or axis order, and never trips on floating-point noise between two
//! implementations of the same algorithm (observed: about 1e-11 relative).

use buqi_measure::{boundary_area, path_length_m, straight_line_m, Fix, WalkSettings};
use serde::Deserialize;

const AREA_RELATIVE: f64 = 1e-6;
const AREA_ABSOLUTE_M2: f64 = 0.01;
const LENGTH_M: f64 = 0.001;

#[derive(Deserialize)]
struct Reference {
    generator: Generator,
    polygons: Vec<PolygonCase>,
    distances: Vec<DistanceCase>,
    paths: Vec<PathCase>,
}

#[derive(Deserialize)]
struct Generator {
    script: String,
    command: String,
    geographiclib: String,
}

#[derive(Deserialize)]
struct PolygonCase {
    name: String,
    ring: Vec<[f64; 2]>,
    area_m2: f64,
    signed_area_m2: f64,
    perimeter_m: f64,
}

#[derive(Deserialize)]
struct DistanceCase {
    name: String,
    from: [f64; 2],
    to: [f64; 2],
    distance_m: f64,
}

#[derive(Deserialize)]
struct PathCase {
    name: String,
    path: Vec<[f64; 2]>,
    length_m: f64,
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/geodesy-reference.json"
    );
    let text = std::fs::read_to_string(path)
        .expect("the fixture is checked in; regenerate it with scripts/geodesy-reference.py");
    serde_json::from_str(&text).expect("fixture parses")
}

fn area_tolerance(reference_m2: f64) -> f64 {
    (AREA_RELATIVE * reference_m2.abs()).max(AREA_ABSOLUTE_M2)
}

#[test]
fn fixture_says_how_it_was_made() {
    let r = reference();
    assert_eq!(r.generator.script, "scripts/geodesy-reference.py");
    assert!(r.generator.command.contains("geodesy-reference.py"));
    assert!(!r.generator.geographiclib.is_empty());
    assert!(r.polygons.len() >= 8 && r.distances.len() >= 3 && !r.paths.is_empty());
}

#[test]
fn polygon_areas_and_perimeters_match_geographiclib() {
    let r = reference();
    let (mut worst_area, mut worst_area_rel, mut worst_perimeter) = (0.0_f64, 0.0_f64, 0.0_f64);
    for case in &r.polygons {
        // Manual fixes: no accuracy filter, exactly the vertices given.
        let fixes: Vec<Fix> = case.ring.iter().map(|p| Fix::manual(p[0], p[1])).collect();
        let got = boundary_area(&fixes, &WalkSettings::default())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(
            got.kept,
            case.ring.len(),
            "{}: no vertex may be dropped",
            case.name
        );
        assert_eq!(case.area_m2, case.signed_area_m2.abs());

        let area_diff = (got.area_m2 - case.area_m2).abs();
        assert!(
            area_diff <= area_tolerance(case.area_m2),
            "{}: area {} m² vs GeographicLib {} m² (off by {area_diff} m²)",
            case.name,
            got.area_m2,
            case.area_m2
        );
        let perimeter_diff = (got.perimeter_m - case.perimeter_m).abs();
        assert!(
            perimeter_diff <= LENGTH_M,
            "{}: perimeter {} m vs GeographicLib {} m",
            case.name,
            got.perimeter_m,
            case.perimeter_m
        );

        // The perimeter is the closed ring's path length: two routes through our code agree.
        let mut closed = case.ring.clone();
        closed.push(case.ring[0]);
        let path = path_length_m(&closed).unwrap();
        assert!(
            (path - case.perimeter_m).abs() <= LENGTH_M,
            "{}: closed path {path} m",
            case.name
        );

        worst_area = worst_area.max(area_diff);
        worst_area_rel = worst_area_rel.max(area_diff / case.area_m2);
        worst_perimeter = worst_perimeter.max(perimeter_diff);
    }
    eprintln!(
        "worst vs GeographicLib {}: area {worst_area:.3e} m² ({worst_area_rel:.3e} relative), perimeter {worst_perimeter:.3e} m",
        r.generator.geographiclib
    );
}

#[test]
fn both_windings_give_the_same_positive_area() {
    let r = reference();
    let by_name = |name: &str| r.polygons.iter().find(|c| c.name == name).unwrap();
    for (ccw, cw) in [
        ("wuhan_estate_ccw", "wuhan_estate_cw"),
        ("beijing_12gon_ccw", "beijing_12gon_cw"),
    ] {
        let (ccw, cw) = (by_name(ccw), by_name(cw));
        assert!(
            ccw.signed_area_m2 > 0.0 && cw.signed_area_m2 < 0.0,
            "fixture windings as named"
        );
        let area = |c: &PolygonCase| {
            let fixes: Vec<Fix> = c.ring.iter().map(|p| Fix::manual(p[0], p[1])).collect();
            boundary_area(&fixes, &WalkSettings::default())
                .unwrap()
                .area_m2
        };
        assert!((area(ccw) - area(cw)).abs() <= area_tolerance(ccw.area_m2));
    }
}

#[test]
fn distances_and_paths_match_geographiclib() {
    let r = reference();
    let mut worst = 0.0_f64;
    for case in &r.distances {
        let got = straight_line_m(case.from, case.to).unwrap();
        let diff = (got - case.distance_m).abs();
        assert!(
            diff <= LENGTH_M,
            "{}: {got} m vs GeographicLib {} m",
            case.name,
            case.distance_m
        );
        worst = worst.max(diff);
    }
    for case in &r.paths {
        let got = path_length_m(&case.path).unwrap();
        let diff = (got - case.length_m).abs();
        assert!(
            diff <= LENGTH_M,
            "{}: {got} m vs GeographicLib {} m",
            case.name,
            case.length_m
        );
        worst = worst.max(diff);
    }
    eprintln!(
        "worst distance vs GeographicLib {}: {worst:.3e} m",
        r.generator.geographiclib
    );
}
