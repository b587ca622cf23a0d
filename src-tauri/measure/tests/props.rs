//! Properties that must hold for any reasonable boundary.

use buqi_measure::{boundary_area, Fix, WalkSettings};
use proptest::prelude::*;

/// A star-shaped (so simple, often concave) polygon somewhere in China: vertex k at angle
/// (k + jitter) × 360°/n, so the angles increase and the ring can't cross itself, and radius
/// 150–600 m, so neighbours are at least 31 m apart and the step filter (which depends on where
/// the walk starts, by design) never drops one.
fn polygon() -> impl Strategy<Value = Vec<[f64; 2]>> {
    (3usize..16, 73.0..135.0_f64, 18.0..53.0_f64).prop_flat_map(|(n, lon0, lat0)| {
        proptest::collection::vec((0.0..0.5_f64, 150.0..600.0_f64), n).prop_map(move |vertices| {
            let m_per_deg_lat = 111_000.0;
            let m_per_deg_lon = m_per_deg_lat * lat0.to_radians().cos();
            vertices
                .iter()
                .enumerate()
                .map(|(k, &(jitter, radius))| {
                    let angle = (k as f64 + jitter) * std::f64::consts::TAU / n as f64;
                    [
                        lon0 + radius * angle.cos() / m_per_deg_lon,
                        lat0 + radius * angle.sin() / m_per_deg_lat,
                    ]
                })
                .collect()
        })
    })
}

fn measure(ring: &[[f64; 2]], accuracy_m: f64) -> (f64, f64, f64) {
    let fixes: Vec<Fix> = ring
        .iter()
        .map(|p| Fix::gnss(p[0], p[1], accuracy_m))
        .collect();
    let b = boundary_area(&fixes, &WalkSettings::default()).unwrap();
    assert_eq!(b.kept, ring.len());
    (b.area_m2, b.perimeter_m, b.uncertainty_m2)
}

proptest! {
    #[test]
    fn area_ignores_where_the_walk_starts_and_which_way_it_goes(
        ring in polygon(),
        start in 0usize..16,
        accuracy_m in 0.0..15.0_f64,
    ) {
        let (area, perimeter, uncertainty) = measure(&ring, accuracy_m);
        prop_assert!(area > 0.0);

        let mut rotated = ring.clone();
        rotated.rotate_left(start % ring.len());
        let mut reversed = ring.clone();
        reversed.reverse();
        let mut both = rotated.clone();
        both.reverse();

        for other in [rotated, reversed, both] {
            let (a, p, u) = measure(&other, accuracy_m);
            prop_assert!((a - area).abs() <= 1e-9 * area + 1e-6, "area {} vs {}", a, area);
            prop_assert!((p - perimeter).abs() <= 1e-9 * perimeter, "perimeter {} vs {}", p, perimeter);
            prop_assert!((u - uncertainty).abs() <= 1e-9 * uncertainty + 1e-9, "uncertainty {} vs {}", u, uncertainty);
        }
    }
}
