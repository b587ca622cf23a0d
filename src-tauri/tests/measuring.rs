//! Measurements filed in the store: each with its evidence, in one batch, or not at all.

use buqi_app::measuring::MeasureError;
use buqi_app::schema::record::{EntityKind, Fields};
use buqi_app::schema::survey::{Quantity, Walk};
use buqi_app::schema::vocab::Method;
use buqi_app::store::Store;
use buqi_measure::{Fix, WalkDistance, WalkSettings};
use chrono::FixedOffset;
use serde_json::json;
use uuid::Uuid;

fn fields(value: serde_json::Value) -> Fields {
    serde_json::from_value(value).unwrap()
}

fn setup() -> (tempfile::TempDir, Store, Uuid, Uuid) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("survey.db")).unwrap();
    let community = store
        .create_community(fields(json!({"name": "紫阳社区", "kind": "existing"})))
        .unwrap();
    let facility = store
        .create(
            community,
            EntityKind::Facility,
            fields(json!({"kind": "kindergarten"})),
        )
        .unwrap();
    (dir, store, community, facility)
}

fn log_len(store: &Store) -> usize {
    store.changes_after(0, usize::MAX).unwrap().len()
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// A walk round a ~297 m × 399 m block in Wuhan, one fix at each corner and mid-side, plus a
/// fix that is too inaccurate to use.
fn walk() -> Vec<Fix> {
    let corners = [
        (114.3000, 30.5900),
        (114.30155, 30.5900),
        (114.3031, 30.5900),
        (114.3031, 30.5936),
        (114.3000, 30.5936),
    ];
    let mut fixes: Vec<Fix> = corners
        .iter()
        .enumerate()
        .map(|(i, (lon, lat))| Fix {
            taken_at_ms: Some(1_790_000_000_000 + 60_000 * i as i64),
            ..Fix::gnss(*lon, *lat, 4.0)
        })
        .collect();
    fixes.insert(
        3,
        Fix {
            taken_at_ms: Some(1_790_000_150_000),
            ..Fix::gnss(114.3040, 30.5920, 45.0)
        },
    );
    fixes
}

#[test]
fn a_boundary_walk_is_filed_with_its_evidence() {
    let (_dir, mut store, community, _) = setup();
    let recorded = store
        .record_boundary_walk(community, &walk(), beijing(), &WalkSettings::default())
        .unwrap();
    assert!(
        (recorded.area.area_m2 - 118_661.0).abs() < 5.0,
        "{}",
        recorded.area.area_m2
    );
    assert_eq!(recorded.area.dropped.len(), 1);
    assert_eq!(recorded.gps_points.len(), 6);

    let survey = store.survey(community).unwrap();
    let boundary = survey.community.boundary.as_ref().unwrap();
    assert_eq!(boundary.method, Method::GpsPolygon);
    assert_eq!(boundary.ring.len(), 5);
    assert_eq!(survey.gps_points.len(), 6);
    assert!(survey.gps_points[0]
        .taken_at
        .to_rfc3339()
        .ends_with("+08:00"));
    let m = survey
        .measurements
        .iter()
        .find(|m| m.id == recorded.measurement)
        .unwrap();
    assert_eq!(m.quantity, Quantity::BoundaryAreaM2);
    assert_eq!(m.method, Method::GpsPolygon);
    assert_eq!(m.gps_points.len(), 5, "the 45 m fix is not cited");
    assert!(!m.gps_points.contains(&recorded.gps_points[3]));
    assert!(m.uncertainty.unwrap().get() > 0.0);
}

#[test]
fn a_bad_walk_stores_nothing() {
    let (_dir, mut store, community, _) = setup();
    let before = log_len(&store);
    // A bow-tie: the surveyor crossed their own path.
    let bowtie: Vec<Fix> = [
        (114.30, 30.59),
        (114.31, 30.60),
        (114.31, 30.59),
        (114.30, 30.60),
    ]
    .iter()
    .enumerate()
    .map(|(i, (lon, lat))| Fix {
        taken_at_ms: Some(1_790_000_000_000 + i as i64),
        ..Fix::gnss(*lon, *lat, 3.0)
    })
    .collect();
    let err = store
        .record_boundary_walk(community, &bowtie, beijing(), &WalkSettings::default())
        .unwrap_err();
    assert!(matches!(err, MeasureError::Walk(_)), "{err}");
    assert!(
        err.to_string()
            .starts_with("the boundary walk was not recorded: "),
        "{err}"
    );

    let mut untimed = walk();
    untimed[2].taken_at_ms = None;
    let err = store
        .record_boundary_walk(community, &untimed, beijing(), &WalkSettings::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("fix 2 has no time"), "{err}");
    assert_eq!(log_len(&store), before);
    assert!(store.survey(community).unwrap().gps_points.is_empty());
}

#[test]
fn tape_rectangles_become_the_facility_area() {
    let (_dir, mut store, community, facility) = setup();
    let area = store
        .record_tape_area(
            facility,
            Quantity::BuildingAreaM2,
            &[[30.0, 20.0], [12.5, 8.0]],
        )
        .unwrap();
    assert_eq!(area, 700.0);
    let survey = store.survey(community).unwrap();
    assert_eq!(survey.facilities[0].building_area_m2.unwrap().get(), 700.0);
    assert_eq!(
        survey.method_of(facility, Quantity::BuildingAreaM2),
        Some(Method::Tape)
    );
    assert_eq!(survey.measurements[0].rectangles.len(), 2);

    // The window's variant also gives the measurement it filed.
    let tape = store
        .record_tape_measurement(facility, Quantity::UsableAreaM2, &[[10.0, 5.0]])
        .unwrap();
    assert_eq!(tape.area_m2, 50.0);
    let m = store
        .record(EntityKind::Measurement, tape.measurement)
        .unwrap();
    assert_eq!(m["quantity"], "usable_area_m2");
    assert_eq!(m["value"], 50.0);

    let before = log_len(&store);
    let err = store
        .record_tape_area(facility, Quantity::LandAreaM2, &[[30.0, 20.0], [-4.0, 8.0]])
        .unwrap_err()
        .to_string();
    assert!(err.contains("rectangle 1") || err.contains("[1]"), "{err}");
    let err = store
        .record_tape_area(facility, Quantity::WalkLengthM, &[[1.0, 1.0]])
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an area of a facility"), "{err}");
    assert_eq!(log_len(&store), before);
}

#[test]
fn walking_distances_feed_the_walk_check() {
    let (_dir, mut store, community, facility) = setup();
    let metres = store
        .record_walk_distance(
            facility,
            &WalkDistance::StraightLine {
                from: [114.3000, 30.5900],
                to: [114.3031, 30.5900],
                detour_factor: 1.3,
            },
        )
        .unwrap();
    assert!((metres - 297.2 * 1.3).abs() < 2.0, "{metres}");
    let survey = store.survey(community).unwrap();
    match survey.facilities[0].walk {
        Some(Walk::StraightLine { detour_factor, .. }) => assert_eq!(detour_factor.get(), 1.3),
        ref other => panic!("{other:?}"),
    }
    let minutes = survey.facilities[0].walk.unwrap().minutes(80.0);
    assert!((minutes - metres / 80.0).abs() < 1e-6);

    let before = log_len(&store);
    let err = store
        .record_walk_distance(
            facility,
            &WalkDistance::StraightLine {
                from: [114.3000, 30.5900],
                to: [114.3031, 30.5900],
                detour_factor: 0.8,
            },
        )
        .unwrap_err();
    assert!(matches!(err, MeasureError::Distance(_)), "{err}");
    // The facility's measurement refers to it: it goes first, then the facility.
    let err = store.delete(EntityKind::Facility, facility).unwrap_err();
    assert!(
        err.to_string().contains(".facility: no facility has id"),
        "{err}"
    );
    let measurement = store.survey(community).unwrap().measurements[0].id;
    store.delete(EntityKind::Measurement, measurement).unwrap();
    store.delete(EntityKind::Facility, facility).unwrap();
    let err = store
        .record_walk_distance(
            facility,
            &WalkDistance::Path {
                path: vec![[114.3, 30.59], [114.301, 30.59]],
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("has been deleted"), "{err}");
    assert_eq!(log_len(&store), before + 2, "only the two deletes");
}
