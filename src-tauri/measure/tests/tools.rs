//! Tape areas, distances, walking time, point in boundary.

use buqi_measure::{
    path_length_m, point_in_boundary, straight_line_m, tape_area, walking_minutes, DistanceError,
    TapeError, WalkDistance, DEFAULT_WALKING_SPEED_M_PER_MIN,
};

#[test]
fn tape_area_sums_rectangles() {
    assert_eq!(tape_area(&[[28.0, 15.0]]), Ok(420.0));
    assert_eq!(
        tape_area(&[[28.0, 15.0], [6.5, 4.0], [0.5, 0.5]]),
        Ok(420.0 + 26.0 + 0.25)
    );
}

#[test]
fn tape_area_names_the_bad_side() {
    assert_eq!(tape_area(&[]), Err(TapeError::NoRectangles));
    let cases = [
        ([[3.0, 4.0], [5.0, -2.0]], 1, "length"),
        ([[0.0, 4.0], [5.0, 2.0]], 0, "width"),
        ([[3.0, 4.0], [f64::NAN, 2.0]], 1, "width"),
        ([[3.0, f64::INFINITY], [5.0, 2.0]], 0, "length"),
    ];
    for (rectangles, index, side) in cases {
        let err = tape_area(&rectangles).unwrap_err();
        assert!(
            matches!(err, TapeError::BadSide { index: i, side: s, .. } if i == index && s == side),
            "{err}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("rectangle {index}: the {side} is")),
            "{err}"
        );
    }
}

#[test]
fn straight_line_and_path_lengths() {
    // 0.001° of latitude at 30.6° N is 110.86 m; geodesics, so exact to the millimetre.
    let d = straight_line_m([114.30, 30.590], [114.30, 30.591]).unwrap();
    assert!((d - 110.862).abs() < 0.002, "{d}");
    assert_eq!(straight_line_m([114.3, 30.59], [114.3, 30.59]), Ok(0.0));

    let path = [[114.30, 30.590], [114.30, 30.591], [114.30, 30.592]];
    let along = path_length_m(&path).unwrap();
    assert!((along - 2.0 * d).abs() < 0.002, "{along}");
    assert_eq!(
        path_length_m(&path[..1]),
        Err(DistanceError::TooFewPoints { got: 1 })
    );
    assert!(matches!(
        path_length_m(&[[114.3, 30.59], [114.3, 95.0]]),
        Err(DistanceError::BadCoordinate { index: 1, .. })
    ));
    assert!(matches!(
        straight_line_m([f64::NAN, 30.0], [114.3, 30.0]),
        Err(DistanceError::BadCoordinate { index: 0, .. })
    ));
}

#[test]
fn walking_minutes_at_80_m_per_min() {
    assert_eq!(DEFAULT_WALKING_SPEED_M_PER_MIN, 80.0);
    assert_eq!(
        walking_minutes(400.0, DEFAULT_WALKING_SPEED_M_PER_MIN),
        Ok(5.0)
    );
    assert_eq!(walking_minutes(1200.0, 80.0), Ok(15.0));
    assert_eq!(walking_minutes(0.0, 80.0), Ok(0.0));
    assert_eq!(
        walking_minutes(300.0, 60.0),
        Ok(5.0),
        "a city profile's slower speed"
    );
    for speed in [0.0, -80.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            walking_minutes(400.0, speed),
            Err(DistanceError::BadSpeed { .. })
        ));
    }
    for distance in [-1.0, f64::NAN] {
        assert!(matches!(
            walking_minutes(distance, 80.0),
            Err(DistanceError::BadDistance { .. })
        ));
    }
}

#[test]
fn walk_distance_by_path_or_straight_line_times_detour() {
    let from = [114.30, 30.590];
    let to = [114.30, 30.593];
    let straight = straight_line_m(from, to).unwrap();

    let by_line = WalkDistance::StraightLine {
        from,
        to,
        detour_factor: 1.3,
    };
    assert!((by_line.distance_m().unwrap() - 1.3 * straight).abs() < 1e-9);
    let minutes = by_line.minutes(DEFAULT_WALKING_SPEED_M_PER_MIN).unwrap();
    assert!((minutes - 1.3 * straight / 80.0).abs() < 1e-9, "{minutes}");

    let by_path = WalkDistance::Path {
        path: vec![from, [114.301, 30.5915], to],
    };
    assert!(by_path.distance_m().unwrap() > straight);
    assert_eq!(
        WalkDistance::Path { path: vec![from] }.minutes(80.0),
        Err(DistanceError::TooFewPoints { got: 1 })
    );
}

#[test]
fn detour_factor_below_one_is_refused() {
    for detour_factor in [0.9, 0.0, -1.0, f64::NAN, f64::INFINITY] {
        let walk = WalkDistance::StraightLine {
            from: [114.30, 30.590],
            to: [114.30, 30.593],
            detour_factor,
        };
        let err = walk.distance_m().unwrap_err();
        assert!(
            matches!(err, DistanceError::BadDetourFactor { .. }),
            "{detour_factor}: {err}"
        );
        assert!(err.to_string().contains("at least 1"), "{err}");
    }
    let exactly_straight = WalkDistance::StraightLine {
        from: [114.30, 30.590],
        to: [114.30, 30.593],
        detour_factor: 1.0,
    };
    assert!(exactly_straight.distance_m().is_ok());
}

#[test]
fn walk_distance_json_matches_the_survey_format() {
    let walk: WalkDistance = serde_json::from_str(
        r#"{ "method": "straight_line", "from": [114.30, 30.59], "to": [114.30, 30.593], "detour_factor": 1.3 }"#,
    )
    .unwrap();
    assert!(
        matches!(walk, WalkDistance::StraightLine { detour_factor, .. } if detour_factor == 1.3)
    );
    let walk: WalkDistance =
        serde_json::from_str(r#"{ "method": "path", "path": [[114.3, 30.59], [114.3, 30.6]] }"#)
            .unwrap();
    assert!(matches!(walk, WalkDistance::Path { ref path } if path.len() == 2));
}

/// An L-shaped estate (open ring, counter-clockwise): the notch at the north-east is outside.
const L_SHAPE: [[f64; 2]; 6] = [
    [114.300, 30.590],
    [114.302, 30.590],
    [114.302, 30.591],
    [114.301, 30.591],
    [114.301, 30.592],
    [114.300, 30.592],
];

#[test]
fn point_in_boundary_inside_outside_and_in_a_concave_notch() {
    assert!(point_in_boundary([114.3005, 30.5905], &L_SHAPE));
    assert!(
        point_in_boundary([114.3005, 30.5915], &L_SHAPE),
        "the upright of the L"
    );
    assert!(
        point_in_boundary([114.3015, 30.5905], &L_SHAPE),
        "the foot of the L"
    );
    assert!(
        !point_in_boundary([114.3015, 30.5915], &L_SHAPE),
        "the notch"
    );
    assert!(
        !point_in_boundary([114.305, 30.590], &L_SHAPE),
        "east of it all"
    );
    assert!(
        !point_in_boundary([114.3005, 30.5930], &L_SHAPE),
        "north of it all"
    );
}

#[test]
fn point_on_the_boundary_counts_as_inside() {
    assert!(
        point_in_boundary([114.3010, 30.5900], &L_SHAPE),
        "on a side"
    );
    assert!(
        point_in_boundary([114.3020, 30.5900], &L_SHAPE),
        "on a corner"
    );
    assert!(
        point_in_boundary([114.3010, 30.5915], &L_SHAPE),
        "on the inner corner's side"
    );
}

#[test]
fn point_in_boundary_takes_either_winding_and_closed_rings() {
    let mut reversed = L_SHAPE.to_vec();
    reversed.reverse();
    let mut closed = L_SHAPE.to_vec();
    closed.push(L_SHAPE[0]);
    for ring in [&reversed, &closed] {
        assert!(point_in_boundary([114.3005, 30.5915], ring));
        assert!(!point_in_boundary([114.3015, 30.5915], ring));
    }
}

#[test]
fn point_in_boundary_is_false_for_nonsense() {
    assert!(!point_in_boundary([114.3005, 30.5905], &L_SHAPE[..2]));
    assert!(!point_in_boundary([f64::NAN, 30.5905], &L_SHAPE));
    let mut bad = L_SHAPE;
    bad[3][1] = f64::NAN;
    assert!(!point_in_boundary([114.3005, 30.5905], &bad));
}
