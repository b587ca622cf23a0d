//! Boundary walks: filtering, errors, uncertainty.

use buqi_measure::{
    boundary_area, point_in_boundary, BoundaryArea, DropReason, Fix, FixSource, WalkError,
    WalkSettings,
};

/// Near 30.59° N in Wuhan. Test walks are laid out in metres east/north of here; the true area
/// always comes from the same code on the exact corners, so these scales need only be close.
const LON0: f64 = 114.3055;
const LAT0: f64 = 30.5928;
const M_PER_DEG_LON: f64 = 95_907.0;
const M_PER_DEG_LAT: f64 = 110_862.5;

fn at(east_m: f64, north_m: f64) -> [f64; 2] {
    [
        LON0 + east_m / M_PER_DEG_LON,
        LAT0 + north_m / M_PER_DEG_LAT,
    ]
}

fn gnss(east_m: f64, north_m: f64, accuracy_m: f64) -> Fix {
    let [lon, lat] = at(east_m, north_m);
    Fix::gnss(lon, lat, accuracy_m)
}

fn manual(east_m: f64, north_m: f64) -> Fix {
    let [lon, lat] = at(east_m, north_m);
    Fix::manual(lon, lat)
}

/// A small deterministic generator, so the noisy walks are the same on every run.
struct Rng(u64);

impl Rng {
    /// SplitMix64: well mixed from the first draw even for small seeds.
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(1e-300), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

const ESTATE: [(f64, f64); 4] = [(0.0, 0.0), (300.0, 0.0), (300.0, 400.0), (0.0, 400.0)];

fn truth() -> f64 {
    let corners: Vec<Fix> = ESTATE.iter().map(|&(e, n)| manual(e, n)).collect();
    boundary_area(&corners, &WalkSettings::default())
        .unwrap()
        .area_m2
}

/// Fixes every `step_m` along the estate's sides, starting and ending at the south-west corner,
/// with `noise_m` per-axis Gaussian error; each calls `extra` after it is pushed.
fn walk(
    step_m: f64,
    accuracy_m: f64,
    noise_m: f64,
    rng: &mut Rng,
    mut extra: impl FnMut(&mut Vec<Fix>),
) -> Vec<Fix> {
    let mut fixes = Vec::new();
    for k in 0..ESTATE.len() {
        let (a, b) = (ESTATE[k], ESTATE[(k + 1) % ESTATE.len()]);
        let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let steps = (length / step_m).round() as usize;
        for s in 0..steps {
            let t = s as f64 / steps as f64;
            let (e, n) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            fixes.push(gnss(
                e + noise_m * rng.normal(),
                n + noise_m * rng.normal(),
                accuracy_m,
            ));
            extra(&mut fixes);
        }
    }
    fixes.push(gnss(0.0, 0.0, accuracy_m));
    fixes
}

fn area(fixes: &[Fix]) -> Result<BoundaryArea, WalkError> {
    boundary_area(fixes, &WalkSettings::default())
}

#[test]
fn clean_walk_gives_the_corner_area_and_closes_itself() {
    let fixes = walk(10.0, 4.0, 0.0, &mut Rng(1), |_| {});
    let got = area(&fixes).unwrap();
    assert!(
        (got.area_m2 - truth()).abs() / truth() < 1e-6,
        "{} vs {}",
        got.area_m2,
        truth()
    );
    assert!(
        (got.perimeter_m - 1400.0).abs() < 1.0,
        "{}",
        got.perimeter_m
    );
    // The final fix is back on the first: dropped as its repeat, and the ring is left open.
    let last = fixes.len() - 1;
    assert_eq!(got.dropped.len(), 1);
    assert_eq!(got.dropped[0].index, last);
    assert!(matches!(
        got.dropped[0].reason,
        DropReason::Repeat { of: 0, .. }
    ));
    assert_eq!(got.kept, fixes.len() - 1);
    assert_eq!(got.ring.len(), got.kept);
    assert_ne!(got.ring.first(), got.ring.last());
    assert_eq!(got.ring_fixes, (0..last).collect::<Vec<_>>());
}

#[test]
fn standing_cluster_repeats_and_a_40_m_fix_are_filtered_out() {
    let mut rng = Rng(7);
    let mut jitter = Rng(99);
    let mut poor_index = None;
    let fixes = walk(10.0, 4.0, 0.0, &mut rng, |fixes| {
        let n = fixes.len();
        if n == 31 {
            // Standing at the south-east corner for half a minute, wandering ±2.5 m.
            for _ in 0..30 {
                let (e, n) = (
                    300.0 + 5.0 * (jitter.uniform() - 0.5),
                    5.0 * (jitter.uniform() - 0.5),
                );
                fixes.push(gnss(e, n, 5.0));
            }
        } else if n == 80 {
            // A multipath fix 40 m outside the east side, which the phone knew was poor.
            poor_index = Some(fixes.len());
            fixes.push(gnss(340.0, 200.0, 40.0));
        } else if n == 100 {
            let again = *fixes.last().unwrap();
            fixes.push(again);
            fixes.push(again);
        }
    });
    assert_eq!(
        fixes[30].lon_lat(),
        at(300.0, 0.0),
        "the cluster follows the corner fix"
    );

    let got = area(&fixes).unwrap();
    assert!(
        (got.area_m2 - truth()).abs() / truth() < 1e-3,
        "{} vs {}",
        got.area_m2,
        truth()
    );
    let poor = poor_index.unwrap();
    let reason_of = |i: usize| got.dropped.iter().find(|d| d.index == i).map(|d| d.reason);
    assert!(
        matches!(reason_of(poor), Some(DropReason::PoorAccuracy { accuracy_m, limit_m }) if accuracy_m == 40.0 && limit_m == 15.0)
    );
    for i in 31..61 {
        assert!(
            matches!(reason_of(i), Some(DropReason::Repeat { of: 30, .. })),
            "cluster fix {i}: {:?}",
            reason_of(i)
        );
    }
    assert_eq!(got.kept, 140, "one fix per 10 m of a 1400 m walk");

    // Without the accuracy-scaled step the cluster's wandering zig-zags the corner.
    let loose = WalkSettings {
        max_accuracy_m: 100.0,
        step_accuracy_factor: 0.0,
        ..WalkSettings::default()
    };
    match boundary_area(&fixes, &loose) {
        Err(WalkError::SelfIntersecting { .. }) => {}
        Ok(b) => assert!(
            (b.area_m2 - truth()).abs() > 100.0,
            "unfiltered area {}",
            b.area_m2
        ),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn noisy_walk_lands_within_its_stated_uncertainty() {
    // Noise as the model assumes it: independent, circular normal, 68 % radius 3 m.
    let accuracy_m = 3.0;
    let sigma = accuracy_m / 1.5096;
    let fixes = walk(20.0, accuracy_m, sigma, &mut Rng(2024), |_| {});
    let got = area(&fixes).unwrap();
    let off = (got.area_m2 - truth()).abs();
    assert!(
        off < 3.0 * got.uncertainty_m2,
        "off by {off} m², uncertainty {} m²",
        got.uncertainty_m2
    );
    assert!(
        got.uncertainty_m2 > 100.0 && got.uncertainty_m2 < 1_000.0,
        "{}",
        got.uncertainty_m2
    );
}

#[test]
fn a_walk_ending_a_few_metres_off_its_start_still_closes() {
    // Start and end are the same corner read minutes apart, 5 m apart; joined as they are, the
    // last side would cross the first just beside the corner.
    let fixes = [
        gnss(-1.5, 1.5, 4.0),
        gnss(100.0, 0.0, 4.0),
        gnss(100.0, 100.0, 4.0),
        gnss(0.0, 100.0, 4.0),
        gnss(0.5, 20.0, 4.0),
        gnss(1.5, -2.5, 4.0),
    ];
    let got = area(&fixes).unwrap();
    assert_eq!(got.ring_fixes, [0, 1, 2, 3, 4]);
    assert!(
        matches!(got.dropped[0].reason, DropReason::Repeat { of: 0, limit_m, .. } if limit_m == 8.0)
    );
    let exact = WalkSettings {
        step_accuracy_factor: 0.0,
        ..WalkSettings::default()
    };
    assert!(matches!(
        boundary_area(&fixes, &exact),
        Err(WalkError::SelfIntersecting {
            first: [0, 1],
            second: [4, 5],
            ..
        })
    ));
}

#[test]
fn too_short_walk_says_how_many_were_dropped_and_why() {
    let fixes = [
        gnss(0.0, 0.0, 4.0),
        gnss(0.3, 0.2, 4.0),
        gnss(100.0, 0.0, 30.0),
        gnss(100.0, 100.0, 25.0),
        Fix {
            accuracy_m: None,
            ..gnss(0.0, 100.0, 0.0)
        },
        gnss(50.0, 50.0, 3.0),
    ];
    let err = area(&fixes).unwrap_err();
    let WalkError::TooFewFixes {
        kept,
        needed,
        total,
        dropped,
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((*kept, *needed, *total, dropped.len()), (2, 3, 6, 4));
    let message = err.to_string();
    for part in [
        "only 2 of 6 fixes are usable",
        "at least 3",
        "2 dropped for accuracy worse than 15 m",
        "1 dropped for having no accuracy",
        "1 dropped as repeats",
    ] {
        assert!(message.contains(part), "{message:?} lacks {part:?}");
    }

    let err = area(&[]).unwrap_err();
    assert!(
        err.to_string().contains("only 0 of 0 fixes")
            && err.to_string().contains("none were dropped"),
        "{err}"
    );

    let strict = WalkSettings {
        min_points: 8,
        ..WalkSettings::default()
    };
    let square: Vec<Fix> = ESTATE.iter().map(|&(e, n)| gnss(e, n, 3.0)).collect();
    assert!(matches!(
        boundary_area(&square, &strict),
        Err(WalkError::TooFewFixes { needed: 8, .. })
    ));
}

#[test]
fn only_manual_fixes_may_lack_accuracy() {
    let mut fixes: Vec<Fix> = ESTATE.iter().map(|&(e, n)| manual(e, n)).collect();
    fixes.push(Fix {
        source: FixSource::Replay,
        ..manual(150.0, 200.0)
    });
    let got = area(&fixes).unwrap();
    assert_eq!(got.kept, 4);
    assert!(matches!(
        got.dropped[..],
        [buqi_measure::Dropped {
            index: 4,
            reason: DropReason::NoAccuracy {
                source: FixSource::Replay
            }
        }]
    ));
}

#[test]
fn bow_tie_is_refused_naming_the_crossing_sides_and_where() {
    let fixes = [
        gnss(0.0, 0.0, 3.0),
        gnss(100.0, 100.0, 3.0),
        gnss(100.0, 0.0, 3.0),
        gnss(0.0, 100.0, 3.0),
    ];
    let err = area(&fixes).unwrap_err();
    let WalkError::SelfIntersecting {
        first,
        second,
        lon,
        lat,
    } = err
    else {
        panic!("{err}")
    };
    assert_eq!((first, second), ([0, 1], [2, 3]));
    let centre = at(50.0, 50.0);
    assert!(
        (lon - centre[0]).abs() < 1e-6 && (lat - centre[1]).abs() < 1e-6,
        "{lon}, {lat}"
    );
    let message = err.to_string();
    assert!(
        message.contains("the side from fix 0 to fix 1 meets the side from fix 2 to fix 3"),
        "{message}"
    );
    assert!(
        message.contains(&format!("lon {:.6}", centre[0])),
        "{message}"
    );
}

#[test]
fn crossing_by_the_closing_side_is_named_as_such() {
    // Indices count the input, dropped fixes included.
    let fixes = [
        gnss(0.0, 0.0, 3.0),
        gnss(0.0, 100.0, 3.0),
        gnss(0.2, 100.0, 3.0), // a repeat, dropped
        gnss(100.0, 0.0, 3.0),
        gnss(100.0, 100.0, 3.0),
    ];
    let message = area(&fixes).unwrap_err().to_string();
    assert!(
        message.contains(
            "the side from fix 1 to fix 3 meets the closing side from fix 4 back to fix 0"
        ),
        "{message}"
    );
}

#[test]
fn collinear_fixes_enclose_no_area() {
    let along_a_road: Vec<Fix> = (0..6)
        .map(|k| gnss(30.0 * k as f64, 12.0 * k as f64, 3.0))
        .collect();
    let err = area(&along_a_road).unwrap_err();
    assert_eq!(err, WalkError::Degenerate { kept: 6 });
    assert!(err.to_string().contains("lie on one straight line"));

    let out_and_back: Vec<Fix> = [0.0, 50.0, 100.0, 60.0, 20.0]
        .iter()
        .map(|&e| gnss(e, 0.0, 3.0))
        .collect();
    assert!(matches!(
        area(&out_and_back),
        Err(WalkError::Degenerate { .. })
    ));
}

#[test]
fn bad_coordinates_and_accuracies_are_named_by_index() {
    let good: Vec<Fix> = ESTATE.iter().map(|&(e, n)| gnss(e, n, 3.0)).collect();
    for (index, lon, lat) in [
        (2, f64::NAN, 30.0),
        (1, 114.0, 91.0),
        (3, 181.0, 30.0),
        (0, f64::INFINITY, 30.0),
    ] {
        let mut fixes = good.clone();
        fixes[index].lon = lon;
        fixes[index].lat = lat;
        let err = area(&fixes).unwrap_err();
        assert!(
            matches!(err, WalkError::BadCoordinate { index: i, .. } if i == index),
            "{err}"
        );
        assert!(
            err.to_string().starts_with(&format!("fix {index}: lon")),
            "{err}"
        );
    }
    let mut fixes = good.clone();
    fixes[2].accuracy_m = Some(-1.0);
    assert!(matches!(
        area(&fixes),
        Err(WalkError::BadAccuracy { index: 2, .. })
    ));
    fixes[2].accuracy_m = Some(f64::NAN);
    assert!(matches!(
        area(&fixes),
        Err(WalkError::BadAccuracy { index: 2, .. })
    ));

    let nan_limit = WalkSettings {
        max_accuracy_m: f64::NAN,
        ..WalkSettings::default()
    };
    let err = boundary_area(&good, &nan_limit).unwrap_err();
    assert!(
        matches!(
            err,
            WalkError::InvalidSetting {
                name: "max_accuracy_m",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn uncertainty_grows_with_worse_accuracy_and_vanishes_for_perfect_fixes() {
    let uncertainty = |accuracy_m: f64| {
        let fixes: Vec<Fix> = ESTATE
            .iter()
            .map(|&(e, n)| gnss(e, n, accuracy_m))
            .collect();
        area(&fixes).unwrap().uncertainty_m2
    };
    assert_eq!(uncertainty(0.0), 0.0);
    let (u2, u5, u10) = (uncertainty(2.0), uncertainty(5.0), uncertainty(10.0));
    assert!(0.0 < u2 && u2 < u5 && u5 < u10, "{u2} {u5} {u10}");
    // Nearly linear in the radius: the first-order term dominates.
    assert!((u10 / u5 - 2.0).abs() < 0.01, "{}", u10 / u5);
    // A 300 × 400 m rectangle: each corner's chord is the 500 m diagonal, σ = r / 1.51.
    let sigma: f64 = 5.0 / 1.5096;
    let expected =
        (4.0 * sigma.powi(2) * 500.0_f64.powi(2) / 4.0 + 4.0 * sigma.powi(4) / 2.0).sqrt();
    assert!(
        (u5 - expected).abs() / expected < 1e-3,
        "{u5} vs {expected}"
    );
}

#[test]
fn manual_corners_use_the_assumed_accuracy() {
    let fixes: Vec<Fix> = ESTATE.iter().map(|&(e, n)| manual(e, n)).collect();
    let with = |unreported_accuracy_m: f64| {
        let settings = WalkSettings {
            unreported_accuracy_m,
            ..WalkSettings::default()
        };
        boundary_area(&fixes, &settings).unwrap().uncertainty_m2
    };
    assert_eq!(with(0.0), 0.0);
    assert!(with(5.0) > 0.0);
}

#[test]
fn stated_uncertainty_matches_a_monte_carlo_spread() {
    // Twelve corners of an irregular estate, moved by circular-normal errors whose 68 % radius
    // is 6 m; the spread of the resulting areas should be the uncertainty we state.
    let corners: Vec<(f64, f64)> = (0..12)
        .map(|k| {
            let angle = k as f64 * std::f64::consts::TAU / 12.0;
            let radius = [210.0, 320.0, 180.0, 290.0, 350.0, 150.0][k % 6];
            (radius * angle.cos(), radius * angle.sin())
        })
        .collect();
    let accuracy_m = 6.0;
    let sigma = accuracy_m / (-2.0 * (0.32_f64).ln()).sqrt();
    let stated = {
        let fixes: Vec<Fix> = corners
            .iter()
            .map(|&(e, n)| gnss(e, n, accuracy_m))
            .collect();
        area(&fixes).unwrap().uncertainty_m2
    };
    let mut rng = Rng(12345);
    let trials = 4000;
    let areas: Vec<f64> = (0..trials)
        .map(|_| {
            let fixes: Vec<Fix> = corners
                .iter()
                .map(|&(e, n)| {
                    gnss(
                        e + sigma * rng.normal(),
                        n + sigma * rng.normal(),
                        accuracy_m,
                    )
                })
                .collect();
            area(&fixes).unwrap().area_m2
        })
        .collect();
    let mean = areas.iter().sum::<f64>() / trials as f64;
    let spread =
        (areas.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (trials - 1) as f64).sqrt();
    // The sample spread of 4000 draws is itself uncertain by about 1.1 %.
    assert!(
        (spread - stated).abs() / stated < 0.05,
        "stated {stated} m², observed {spread} m²"
    );
}

#[test]
fn the_ring_is_a_boundary_for_point_in_boundary() {
    let fixes = walk(10.0, 4.0, 0.0, &mut Rng(1), |_| {});
    let got = area(&fixes).unwrap();
    assert!(point_in_boundary(at(150.0, 200.0), &got.ring));
    assert!(!point_in_boundary(at(350.0, 200.0), &got.ring));
}

#[test]
fn settings_and_fixes_read_from_json() {
    let settings: WalkSettings = serde_json::from_str(r#"{ "max_accuracy_m": 10 }"#).unwrap();
    assert_eq!(
        settings,
        WalkSettings {
            max_accuracy_m: 10.0,
            ..WalkSettings::default()
        }
    );
    let fix: Fix = serde_json::from_str(r#"{ "lon": 114.3, "lat": 30.5, "accuracy_m": 4, "taken_at_ms": 1778546400000, "source": "gnss" }"#).unwrap();
    assert_eq!(fix.source, FixSource::Gnss);
    assert_eq!(fix.taken_at_ms, Some(1_778_546_400_000));
    let fix: Fix =
        serde_json::from_str(r#"{ "lon": 114.3, "lat": 30.5, "source": "manual" }"#).unwrap();
    assert_eq!(fix.accuracy_m, None);

    let fixes = walk(10.0, 4.0, 0.0, &mut Rng(1), |_| {});
    let json = serde_json::to_value(area(&fixes).unwrap()).unwrap();
    assert_eq!(json["dropped"][0]["reason"]["reason"], "repeat");
}
