//! The store validates an edit on the part of the survey it could break; these properties check
//! that this never lets in what validating the whole survey would refuse, and that a refused edit
//! changes nothing.

use buqi_app::schema::record::{EntityKind, Fields};
use buqi_app::store::{Store, StoreError};
use proptest::prelude::*;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Op {
    /// A facility, maybe inside another record (by index into the records made so far).
    Facility(Option<usize>),
    /// A measurement of some record.
    Measurement(Option<usize>),
    /// A photo of some record.
    Photo(Option<usize>),
    ChecklistRun,
    /// A checkpoint of some record (meant to be a run) at some record (meant to be a ramp).
    Checkpoint(usize, Option<usize>),
    Ramp,
    Delete(usize),
    Restore(usize),
    /// Point a facility's `located_in` somewhere (maybe itself, maybe nowhere).
    Relocate(usize, Option<usize>),
    /// A record of the other community, to refer to across communities.
    Foreign,
}

fn op() -> impl Strategy<Value = Op> {
    let pick = || proptest::option::of(0..12usize);
    prop_oneof![
        3 => pick().prop_map(Op::Facility),
        2 => pick().prop_map(Op::Measurement),
        2 => pick().prop_map(Op::Photo),
        1 => Just(Op::ChecklistRun),
        2 => (0..12usize, pick()).prop_map(|(r, p)| Op::Checkpoint(r, p)),
        1 => Just(Op::Ramp),
        3 => (0..12usize).prop_map(Op::Delete),
        2 => (0..12usize).prop_map(Op::Restore),
        2 => (0..12usize, pick()).prop_map(|(f, t)| Op::Relocate(f, t)),
        1 => Just(Op::Foreign),
    ]
}

fn fields(value: serde_json::Value) -> Fields {
    match value {
        serde_json::Value::Object(map) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Fields::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn partial_validation_never_admits_an_unreadable_survey(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("survey.db")).unwrap();
        let ours = store.create_community(fields(json!({"name": "甲社区"}))).unwrap();
        let theirs = store.create_community(fields(json!({"name": "乙社区"}))).unwrap();
        let mut made: Vec<(EntityKind, Uuid)> = Vec::new();
        let id_of = |made: &Vec<(EntityKind, Uuid)>, i: Option<usize>| -> Option<String> {
            i.and_then(|i| made.get(i % made.len().max(1))).map(|(_, id)| id.to_string())
        };

        for op in ops {
            let before = (store.survey(ours).unwrap(), store.changes_after(0, usize::MAX).unwrap().len());
            let result: Result<Option<(EntityKind, Uuid)>, StoreError> = match &op {
                Op::Facility(inside) => store
                    .create(ours, EntityKind::Facility, fields(json!({"kind": "supermarket", "located_in": id_of(&made, *inside)})))
                    .map(|id| Some((EntityKind::Facility, id))),
                Op::Measurement(of) => store
                    .create(ours, EntityKind::Measurement, fields(json!({"quantity": "building_area_m2", "value": 10.0, "method": "tape", "facility": id_of(&made, *of)})))
                    .map(|id| Some((EntityKind::Measurement, id))),
                Op::Photo(of) => store
                    .create(ours, EntityKind::Photo, fields(json!({"sha256": "0a".repeat(32), "facility": id_of(&made, *of)})))
                    .map(|id| Some((EntityKind::Photo, id))),
                Op::ChecklistRun => store
                    .create(ours, EntityKind::ChecklistRun, fields(json!({"category": "elderly"})))
                    .map(|id| Some((EntityKind::ChecklistRun, id))),
                Op::Checkpoint(run, ramp) => store
                    .create(ours, EntityKind::Checkpoint, fields(json!({"label": "入口", "target": "ramp", "run": id_of(&made, Some(*run)), "ramp": id_of(&made, *ramp)})))
                    .map(|id| Some((EntityKind::Checkpoint, id))),
                Op::Ramp => store
                    .create(ours, EntityKind::Ramp, fields(json!({"label": "坡道"})))
                    .map(|id| Some((EntityKind::Ramp, id))),
                Op::Delete(i) if !made.is_empty() => {
                    let (kind, id) = made[i % made.len()];
                    store.delete(kind, id).map(|_| None)
                }
                Op::Restore(i) if !made.is_empty() => {
                    let (kind, id) = made[i % made.len()];
                    store.restore(kind, id).map(|_| None)
                }
                Op::Relocate(f, to) if !made.is_empty() => {
                    let (kind, id) = made[f % made.len()];
                    store.set(kind, id, "located_in", json!(id_of(&made, *to))).map(|_| None)
                }
                Op::Foreign => store
                    .create(theirs, EntityKind::Facility, fields(json!({"kind": "nursery"})))
                    .map(|id| Some((EntityKind::Facility, id))),
                _ => Ok(None),
            };
            match result {
                Ok(new) => {
                    // Whatever was let in, the whole survey still reads.
                    let whole = store.survey(ours);
                    prop_assert!(whole.is_ok(), "after {op:?}: {}", whole.unwrap_err());
                    prop_assert!(store.survey(theirs).is_ok());
                    made.extend(new);
                }
                Err(StoreError::Refused { .. }) | Err(StoreError::NotFound { .. }) | Err(StoreError::Deleted { .. }) => {
                    let after = (store.survey(ours).unwrap(), store.changes_after(0, usize::MAX).unwrap().len());
                    prop_assert_eq!(&after, &before, "a refused {:?} changed something", op);
                }
                Err(other) => prop_assert!(false, "after {op:?}: {other}"),
            }
        }
    }
}
