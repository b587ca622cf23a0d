//! Changes pulled from elsewhere, merged into the device's records by the schema's merge rules:
//! two tablets that exchange their changes end with the same surveys, and the same records as
//! `buqi_schema::merge::Replica` holds for those changes.

use buqi_app::schema::merge::{Admitted, Replica};
use buqi_app::schema::record::{EntityKind, Fields};
use buqi_app::schema::Standard;
use buqi_app::store::{Store, StoreError};
use serde_json::json;
use uuid::Uuid;

fn fields(value: serde_json::Value) -> Fields {
    serde_json::from_value(value).unwrap()
}

fn open(dir: &tempfile::TempDir, name: &str) -> Store {
    Store::open(dir.path().join(name)).unwrap()
}

/// Everything a store made, as the server would pass it on.
fn made_by(store: &Store) -> Vec<Admitted> {
    store
        .changes_after(0, usize::MAX)
        .unwrap()
        .into_iter()
        .map(|c| Admitted::from(c.change))
        .collect()
}

#[test]
fn two_tablets_that_exchange_changes_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (open(&dir, "a.db"), open(&dir, "b.db"));
    let community = a
        .create_community(fields(json!({"name": "东亭社区", "kind": "existing"})))
        .unwrap();
    let shop = a
        .create(
            community,
            EntityKind::Facility,
            fields(json!({"kind": "supermarket", "notes": "一楼"})),
        )
        .unwrap();
    let first = b.apply_pulled(&made_by(&a)).unwrap();
    assert_eq!(first.applied, made_by(&a).len());
    assert_eq!(b.survey(community).unwrap(), a.survey(community).unwrap());

    // Both edit the same field offline, and different fields.
    a.set(EntityKind::Facility, shop, "notes", json!("一楼东侧"))
        .unwrap();
    b.set(EntityKind::Facility, shop, "notes", json!("沿街"))
        .unwrap();
    b.set(EntityKind::Facility, shop, "building_area_m2", json!(320.0))
        .unwrap();
    let from_a = made_by(&a);
    let from_b = made_by(&b);
    b.apply_pulled(&from_a).unwrap();
    a.apply_pulled(&from_b).unwrap();
    let (sa, sb) = (a.survey(community).unwrap(), b.survey(community).unwrap());
    assert_eq!(sa, sb);
    assert_eq!(sa.facilities[0].building_area_m2.unwrap().get(), 320.0);

    // The same as the schema's merge, fed the same changes.
    let mut replica = Replica::new();
    for change in from_a.iter().chain(&from_b) {
        replica.apply_admitted(change).unwrap();
    }
    assert_eq!(
        buqi_app::schema::record::assemble(&replica.records(community)).unwrap(),
        sa
    );
    let conflicts = replica.conflicts();
    assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
    assert_eq!(conflicts[0].field, "notes");

    // Pages arrive twice; own changes come back: nothing changes.
    let again = a.apply_pulled(&from_b).unwrap();
    assert_eq!((again.applied, again.duplicates), (0, from_b.len()));
    let echo = a.apply_pulled(&from_a).unwrap();
    assert_eq!(echo.applied, 0);
    assert_eq!(a.survey(community).unwrap(), sb);
    // Pulled changes are not this device's to push.
    assert!(a
        .changes_after(0, usize::MAX)
        .unwrap()
        .iter()
        .all(|c| c.change.device == a.device()));
}

#[test]
fn merged_work_that_does_not_fit_is_shown_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (open(&dir, "a.db"), open(&dir, "b.db"));
    let community = a
        .create_community(fields(json!({"name": "中南社区"})))
        .unwrap();
    let station = a
        .create(
            community,
            EntityKind::Facility,
            fields(json!({"kind": "elderly_station"})),
        )
        .unwrap();
    b.apply_pulled(&made_by(&a)).unwrap();
    // A deletes the station; B, offline, photographs it.
    a.delete(EntityKind::Facility, station).unwrap();
    b.create(
        community,
        EntityKind::Photo,
        fields(json!({"sha256": "ab".repeat(32), "facility": station.to_string()})),
    )
    .unwrap();
    a.apply_pulled(&made_by(&b)).unwrap();
    let merged = a.merged_survey(community).unwrap();
    assert!(merged.survey.facilities.is_empty());
    assert_eq!(merged.survey.photos.len(), 1);
    let warnings: Vec<String> = merged.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains(&format!("no facility has id {station}")));
    let evaluation = a.evaluation(community, &Standard::builtin()).unwrap();
    assert!(evaluation.warnings.iter().any(|w| w == &warnings[0]));
    // Restoring the station makes the survey whole again.
    a.restore(EntityKind::Facility, station).unwrap();
    assert!(a.merged_survey(community).unwrap().warnings.is_empty());
}

#[test]
fn a_community_whose_fields_come_later_is_listed_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (open(&dir, "a.db"), open(&dir, "b.db"));
    let community = a
        .create_community(fields(json!({"name": "紫阳社区"})))
        .unwrap();
    a.create(
        community,
        EntityKind::Facility,
        fields(json!({"kind": "nursery"})),
    )
    .unwrap();
    let changes = made_by(&a);
    let (community_changes, rest): (Vec<_>, Vec<_>) = changes
        .into_iter()
        .partition(|c| c.change.kind == EntityKind::Community);
    b.apply_pulled(&rest).unwrap();
    let list = b.communities(&Standard::builtin()).unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].problem.is_some(), "{:?}", list[0]);
    b.apply_pulled(&community_changes).unwrap();
    let list = b.communities(&Standard::builtin()).unwrap();
    assert_eq!(
        (list[0].name.as_str(), list[0].problem.is_none()),
        ("紫阳社区", true)
    );
    assert_eq!(list[0].facilities, 1);
}

#[test]
fn a_capped_change_is_ordered_by_its_cap_and_recognised_by_its_original() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (open(&dir, "a.db"), open(&dir, "b.db"));
    let community = a
        .create_community(fields(json!({"name": "水果湖社区"})))
        .unwrap();
    b.apply_pulled(&made_by(&a)).unwrap();
    a.set(
        EntityKind::Community,
        community,
        "street",
        json!("水果湖街道"),
    )
    .unwrap();
    let mut from_a = made_by(&a);
    let last = from_a.last_mut().unwrap();
    // Pretend A's clock was far ahead and the server capped this change one second lower.
    let original = last.change.hlc;
    last.capped_from = Some(original);
    last.change.hlc = buqi_app::schema::change::Hlc(original.0 - (1 << 32));
    let pulled = b.apply_pulled(&from_a).unwrap();
    assert_eq!(pulled.applied, 1);
    // A hears of its own change's cap: recognised, and lowered.
    let echo = a.apply_pulled(&from_a).unwrap();
    assert_eq!((echo.applied, echo.recapped), (0, 1));
    assert_eq!(a.survey(community).unwrap(), b.survey(community).unwrap());
    let pushed = a.changes_after(0, usize::MAX).unwrap();
    assert_eq!(
        pushed.last().unwrap().change.hlc,
        original,
        "pushed under its own stamp"
    );
}

#[test]
fn a_reused_stamp_refuses_the_whole_page() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, mut b) = (open(&dir, "a.db"), open(&dir, "b.db"));
    let community = a
        .create_community(fields(json!({"name": "东湖社区"})))
        .unwrap();
    let mut page = made_by(&a);
    b.apply_pulled(&page).unwrap();
    let before = b.survey(community).unwrap();
    page.push(Admitted::from({
        let mut c = page[0].change.clone();
        c.value = json!("另一个名字");
        c
    }));
    page.insert(
        0,
        Admitted::from({
            let mut c = page[0].change.clone();
            c.entity = Uuid::now_v7();
            c.kind = EntityKind::Ramp;
            c.field = "label".into();
            c.value = json!("新坡道");
            c
        }),
    );
    let err = b.apply_pulled(&page).unwrap_err();
    assert!(matches!(err, StoreError::StampReused { .. }), "{err}");
    assert!(
        err.to_string().contains("the page was not applied"),
        "{err}"
    );
    assert_eq!(b.survey(community).unwrap(), before);
}
