//! The offline store on a real SQLite file: edits, refusals that change nothing, the change log,
//! the screens' queries, and moving a community in and out.

use buqi_app::schema::change::DELETED;
use buqi_app::schema::evaluate::{CheckStatus, ItemStatus, Verdict};
use buqi_app::schema::record::{EntityKind, Fields};
use buqi_app::schema::{evaluate, Standard, Survey};
use buqi_app::store::{Store, StoreError};
use serde_json::{json, Value};
use uuid::Uuid;

fn fields(value: Value) -> Fields {
    serde_json::from_value(value).unwrap()
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("survey.db")).unwrap();
    (dir, store)
}

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../examples/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A community with one kindergarten, as a surveyor would start.
fn started(store: &mut Store) -> (Uuid, Uuid) {
    let community = store
        .create_community(fields(json!({
            "name": "水果湖社区", "city": "武汉市", "kind": "existing", "households": 2400
        })))
        .unwrap();
    let kindergarten = store
        .create(
            community,
            EntityKind::Facility,
            fields(json!({"kind": "kindergarten", "name": "水果湖幼儿园"})),
        )
        .unwrap();
    (community, kindergarten)
}

fn log_len(store: &Store) -> usize {
    store.changes_after(0, usize::MAX).unwrap().len()
}

#[test]
fn edits_build_a_survey_that_the_evaluator_reads() {
    let (_dir, mut store) = open();
    let (community, kindergarten) = started(&mut store);
    store
        .update(
            EntityKind::Facility,
            kindergarten,
            fields(json!({"classes": 6, "building_area_m2": 2300.0, "land_area_m2": 3600.0})),
        )
        .unwrap();
    store
        .set(
            EntityKind::Community,
            community,
            "items.2.complete",
            json!(true),
        )
        .unwrap();

    let survey = store.survey(community).unwrap();
    assert_eq!(survey.community.name, "水果湖社区");
    assert_eq!(survey.facilities.len(), 1);
    assert_eq!(survey.facilities[0].id, kindergarten);
    assert!(survey.item_complete(2));

    let standard = Standard::builtin();
    let evaluation = store.evaluation(community, &standard).unwrap();
    assert_eq!(evaluation, evaluate(&survey, &standard));
    let item2 = &evaluation.items[1];
    assert_eq!(item2.item, 2);
    assert!(
        item2.checks.iter().any(|c| c.status == CheckStatus::Met),
        "{item2:#?}"
    );
}

#[test]
fn a_bad_value_is_refused_by_its_path_and_changes_nothing() {
    let (_dir, mut store) = open();
    let (community, kindergarten) = started(&mut store);
    let before = store.survey(community).unwrap();
    let changes = log_len(&store);

    let err = store
        .set(
            EntityKind::Facility,
            kindergarten,
            "building_area_m2",
            json!("about 300"),
        )
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Refused { .. }), "{text}");
    assert!(
        text.contains("was refused and nothing was changed")
            && text.contains(&format!("facility {kindergarten}.building_area_m2")),
        "{text}"
    );
    assert_eq!(store.survey(community).unwrap(), before);
    assert_eq!(log_len(&store), changes);

    let err = store
        .set(EntityKind::Facility, kindergarten, "colour", json!("red"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `colour`"), "{err}");

    let err = store
        .set(
            EntityKind::Facility,
            kindergarten,
            "id",
            json!(Uuid::now_v7()),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("never changes"), "{err}");

    let err = store
        .set(EntityKind::Ramp, Uuid::now_v7(), "label", json!("x"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("no ramp with id"), "{err}");
    assert_eq!(log_len(&store), changes);
}

#[test]
fn a_batch_is_all_or_nothing() {
    let (_dir, mut store) = open();
    let (community, kindergarten) = started(&mut store);
    let before = store.survey(community).unwrap();
    let changes = log_len(&store);
    let err = store.update(
        EntityKind::Facility,
        kindergarten,
        fields(json!({"classes": 9, "building_area_m2": -1})),
    );
    assert!(err.is_err());
    assert_eq!(store.survey(community).unwrap(), before);
    assert_eq!(log_len(&store), changes);
}

#[test]
fn every_edit_is_logged_per_field_with_increasing_stamps() {
    let (_dir, mut store) = open();
    let (community, kindergarten) = started(&mut store);
    store
        .set(EntityKind::Facility, kindergarten, "classes", json!(6))
        .unwrap();
    // Setting the same value again is not an edit.
    store
        .set(EntityKind::Facility, kindergarten, "classes", json!(6))
        .unwrap();
    store
        .set(EntityKind::Facility, kindergarten, "classes", Value::Null)
        .unwrap();

    let log = store.changes_after(0, usize::MAX).unwrap();
    // 4 community fields, 2 facility fields at birth, then classes = 6 and classes unset.
    assert_eq!(log.len(), 8, "{log:#?}");
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(log.windows(2).all(|w| w[0].change.hlc < w[1].change.hlc));
    assert!(log.iter().all(|c| c.change.device == store.device()));
    assert!(log.iter().all(|c| c.change.community == community));
    let last = &log[7].change;
    assert_eq!(
        (last.kind, last.entity, last.field.as_str(), &last.value),
        (EntityKind::Facility, kindergarten, "classes", &Value::Null)
    );
    // The cursor pages through the log.
    assert_eq!(store.changes_after(log[5].seq, 10).unwrap().len(), 2);
    assert_eq!(store.changes_after(0, 3).unwrap().len(), 3);
}

#[test]
fn deletes_are_tombstones_and_refused_while_referenced() {
    let (_dir, mut store) = open();
    let (community, kindergarten) = started(&mut store);
    let photo = store
        .create(
            community,
            EntityKind::Photo,
            fields(
                json!({"sha256": "ab".repeat(32), "item": 2, "facility": kindergarten.to_string()}),
            ),
        )
        .unwrap();

    let err = store
        .delete(EntityKind::Facility, kindergarten)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "photo {photo}.facility: no facility has id {kindergarten}"
        )),
        "{err}"
    );
    assert_eq!(store.survey(community).unwrap().facilities.len(), 1);

    store.delete(EntityKind::Photo, photo).unwrap();
    store.delete(EntityKind::Facility, kindergarten).unwrap();
    let survey = store.survey(community).unwrap();
    assert!(survey.facilities.is_empty() && survey.photos.is_empty());
    let err = store
        .set(EntityKind::Facility, kindergarten, "classes", json!(3))
        .unwrap_err();
    assert!(matches!(err, StoreError::Deleted { .. }), "{err}");

    store.restore(EntityKind::Facility, kindergarten).unwrap();
    assert_eq!(store.survey(community).unwrap().facilities.len(), 1);

    let log = store.changes_after(0, usize::MAX).unwrap();
    let flags: Vec<(Uuid, &Value)> = log
        .iter()
        .filter(|c| c.change.field == DELETED)
        .map(|c| (c.change.entity, &c.change.value))
        .collect();
    assert_eq!(
        flags,
        vec![
            (photo, &json!(true)),
            (kindergarten, &json!(true)),
            (kindergarten, &json!(false))
        ]
    );

    store.delete(EntityKind::Community, community).unwrap();
    assert!(store.communities(&Standard::builtin()).unwrap().is_empty());
    assert!(matches!(
        store.survey(community),
        Err(StoreError::Deleted { .. })
    ));
}

#[test]
fn the_list_of_communities_shows_progress_and_verdict() {
    let (_dir, mut store) = open();
    let (community, _) = started(&mut store);
    for n in [1, 2, 3] {
        store
            .set(
                EntityKind::Community,
                community,
                &format!("items.{n}.complete"),
                json!(true),
            )
            .unwrap();
    }
    let other = store
        .import_community(&example("shenyang-new-complete"))
        .unwrap();
    let list = store.communities(&Standard::builtin()).unwrap();
    assert_eq!(list.len(), 2);
    let ours = list.iter().find(|c| c.id == community).unwrap();
    assert_eq!(ours.items_complete, 3);
    assert_eq!(ours.facilities, 1);
    assert_eq!(ours.kind.as_deref(), Some("existing"));
    assert!(ours.last_edit_unix.is_some());
    let theirs = list.iter().find(|c| c.id == other).unwrap();
    assert_eq!(theirs.verdict, Verdict::Complete, "{theirs:?}");
    assert_eq!(theirs.items_complete, 20);
}

#[test]
fn an_item_view_holds_its_result_facilities_and_photos() {
    let (_dir, mut store) = open();
    let (community, kindergarten) = started(&mut store);
    store
        .create(
            community,
            EntityKind::Facility,
            fields(json!({"kind": "nursery"})),
        )
        .unwrap();
    store
        .create(
            community,
            EntityKind::Photo,
            fields(json!({"sha256": "cd".repeat(32), "facility": kindergarten.to_string()})),
        )
        .unwrap();
    store
        .set(
            EntityKind::Community,
            community,
            "items.2.notes",
            json!("园舍在小区西门"),
        )
        .unwrap();
    let standard = Standard::builtin();
    let view = store.item_view(community, 2, &standard).unwrap();
    assert_eq!(view.result.item, 2);
    assert_eq!(view.result.status, ItemStatus::NotSurveyed);
    assert_eq!(view.notes.as_deref(), Some("园舍在小区西门"));
    assert_eq!(view.facilities.len(), 1);
    assert_eq!(view.facilities[0].id, kindergarten);
    assert_eq!(view.photos.len(), 1);
    let kinds = store.facilities_for_item(community, 3, &standard).unwrap();
    assert_eq!(kinds.len(), 1, "the nursery is item 3's");
    let err = store.item_view(community, 21, &standard).unwrap_err();
    assert!(err.to_string().contains("got 21"), "{err}");
}

#[test]
fn communities_move_in_and_out_in_the_interchange_format() {
    let standard = Standard::builtin();
    for name in [
        "wuhan-old-estate",
        "shenyang-new-complete",
        "guangzhou-new-large",
        "xian-existing-partial",
        "yichang-hubei-profile",
    ] {
        let text = example(name);
        let file = Survey::from_json(&text).unwrap();
        let (_dir, mut store) = open();
        let id = store.import_community(&text).unwrap();
        assert_eq!(id, file.community.id);
        assert_eq!(store.survey(id).unwrap(), file, "{name}");
        assert_eq!(
            store.evaluation(id, &standard).unwrap(),
            evaluate(&file, &standard),
            "{name}"
        );
        let exported = store.export_community(id).unwrap();
        assert_eq!(Survey::from_json(&exported).unwrap(), file, "{name}");

        // Into a second device, and not twice.
        let (_dir2, mut other) = open();
        other.import_community(&exported).unwrap();
        let changes = log_len(&other);
        let err = other.import_community(&exported).unwrap_err();
        assert!(matches!(err, StoreError::AlreadyHere { .. }), "{err}");
        assert!(err.to_string().contains("nothing was imported"), "{err}");
        assert_eq!(log_len(&other), changes);
    }
}

#[test]
fn a_bad_file_or_a_taken_id_imports_nothing() {
    let (_dir, mut store) = open();
    let err = store
        .import_community(r#"{"format": "buqi.survey", "version": 1, "community": {"id": "x"}}"#)
        .unwrap_err();
    assert!(matches!(err, StoreError::BadFile(_)), "{err}");
    assert!(err.to_string().contains("community.id"), "{err}");

    let text = example("wuhan-old-estate");
    store.import_community(&text).unwrap();
    // The same records under another community id: the facility ids are taken.
    let mut copy: Value = serde_json::from_str(&text).unwrap();
    copy["community"]["id"] = json!(Uuid::now_v7().to_string());
    let before = log_len(&store);
    let err = store.import_community(&copy.to_string()).unwrap_err();
    assert!(matches!(err, StoreError::IdTaken { .. }), "{err}");
    assert_eq!(log_len(&store), before);
    assert_eq!(store.communities(&Standard::builtin()).unwrap().len(), 1);
}

#[test]
fn reopening_keeps_everything_and_the_clock_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("survey.db");
    let (community, kindergarten, device, last) = {
        let mut store = Store::open(&path).unwrap();
        let (community, kindergarten) = started(&mut store);
        let last = store
            .changes_after(0, usize::MAX)
            .unwrap()
            .last()
            .unwrap()
            .change
            .hlc;
        (community, kindergarten, store.device(), last)
    };
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.device(), device);
    assert_eq!(
        store.survey(community).unwrap().facilities[0].id,
        kindergarten
    );
    store
        .set(EntityKind::Facility, kindergarten, "classes", json!(4))
        .unwrap();
    let newest = store
        .changes_after(0, usize::MAX)
        .unwrap()
        .last()
        .unwrap()
        .change
        .hlc;
    assert!(newest > last);
    assert_eq!(store.integrity_check().unwrap(), vec!["ok".to_owned()]);
}

#[test]
fn checkpoints_belong_to_their_run() {
    let (_dir, mut store) = open();
    let (community, _) = started(&mut store);
    let run = store
        .create(
            community,
            EntityKind::ChecklistRun,
            fields(json!({"category": "wheelchair"})),
        )
        .unwrap();
    let err = store
        .create(
            community,
            EntityKind::Checkpoint,
            fields(json!({"label": "1号楼入口", "target": "entrance"})),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("field \"run\""), "{err}");
    for label in ["1号楼入口", "2号楼坡道"] {
        store
            .create(
                community,
                EntityKind::Checkpoint,
                fields(json!({"label": label, "target": "entrance", "run": run.to_string(), "outcome": "difficult"})),
            )
            .unwrap();
    }
    let survey = store.survey(community).unwrap();
    assert_eq!(survey.checklist_runs.len(), 1);
    let labels: Vec<&str> = survey.checklist_runs[0]
        .checkpoints
        .iter()
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(labels, ["1号楼入口", "2号楼坡道"]);
}

#[test]
fn a_batch_of_several_records_commits_whole_or_not_at_all() {
    let (_dir, mut store) = open();
    let (community, kindergarten) = started(&mut store);
    let before = store.survey(community).unwrap();
    let changes = log_len(&store);
    // The second record refers to a facility that is not there: the first is not kept either.
    let err = store
        .batch(|b| {
            b.create(
                community,
                EntityKind::Ramp,
                fields(json!({"label": "3号楼坡道"})),
            )?;
            b.create(
                community,
                EntityKind::Photo,
                fields(json!({"sha256": "ef".repeat(32), "facility": Uuid::now_v7().to_string()})),
            )
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("the edit was refused and nothing was changed:\nphoto ")
            && err.contains(".facility: no facility has id"),
        "{err}"
    );
    assert_eq!(store.survey(community).unwrap(), before);
    assert_eq!(log_len(&store), changes);

    // An error returned from inside the batch rolls it back too.
    let result: Result<(), StoreError> = store.batch(|b| {
        b.set(EntityKind::Facility, kindergarten, "classes", json!(9))?;
        b.set(EntityKind::Ramp, Uuid::now_v7(), "label", json!("?"))
    });
    assert!(matches!(result, Err(StoreError::NotFound { .. })));
    assert_eq!(store.survey(community).unwrap(), before);
    assert_eq!(log_len(&store), changes);
}

#[test]
fn each_change_names_the_value_it_replaced() {
    let (_dir, mut store) = open();
    let (_, kindergarten) = started(&mut store);
    store
        .set(EntityKind::Facility, kindergarten, "classes", json!(6))
        .unwrap();
    store
        .set(EntityKind::Facility, kindergarten, "classes", json!(7))
        .unwrap();
    let log = store.changes_after(0, usize::MAX).unwrap();
    let classes: Vec<_> = log
        .iter()
        .filter(|c| c.change.field == "classes")
        .map(|c| &c.change)
        .collect();
    assert_eq!(classes.len(), 2);
    assert_eq!(classes[0].base, None, "the first value replaced nothing");
    assert_eq!(classes[1].base, Some(classes[0].stamp()));
}

#[test]
fn the_push_cursor_moves_only_over_acknowledged_changes() {
    let (_dir, mut store) = open();
    store
        .save_enrollment("http://127.0.0.1:1", "token")
        .unwrap();
    let (community, kindergarten) = started(&mut store);
    let seqs: Vec<i64> = store
        .changes_after(0, usize::MAX)
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(seqs.len(), 6);
    // Only assigned communities' changes are offered.
    assert!(store.changes_to_push(0, &[], 100).unwrap().is_empty());
    assert_eq!(
        store.changes_to_push(0, &[community], 100).unwrap().len(),
        6
    );
    // Acknowledged out of order: the cursor waits for the gap.
    assert_eq!(store.save_pushed_changes(&seqs[2..4]).unwrap(), 0);
    assert_eq!(store.unpushed(0).unwrap(), 4);
    let offered: Vec<i64> = store
        .changes_to_push(0, &[community], 100)
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(offered, [seqs[0], seqs[1], seqs[4], seqs[5]]);
    assert_eq!(store.save_pushed_changes(&seqs[0..2]).unwrap(), seqs[3]);
    assert_eq!(store.save_pushed_changes(&seqs[4..]).unwrap(), seqs[5]);
    assert_eq!(store.unpushed(seqs[5]).unwrap(), 0);
    store
        .set(EntityKind::Facility, kindergarten, "classes", json!(3))
        .unwrap();
    assert_eq!(store.unpushed(seqs[5]).unwrap(), 1);
}
