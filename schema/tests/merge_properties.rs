//! The merge's algebra over random sets of changes: the result depends on the set of changes
//! alone (any order, any grouping, any repetition), the winner is the greatest stamp, and the
//! conflicts are exactly the concurrent pairs of the module's rule, checked against a plain
//! transitive closure written here.
//!
//! Changes come from a small world (three records, three fields, three devices, a dozen clock
//! readings) so that edits of one field collide often; bases name earlier changes of the same
//! field (chains as a device makes them), nothing, or a change never sent.

use std::collections::{BTreeMap, BTreeSet};

use buqi_schema::change::{Change, Hlc, Stamp, DELETED};
use buqi_schema::merge::{Admitted, Applied, Replica};
use buqi_schema::record::EntityKind;
use proptest::prelude::*;
use serde_json::{json, Value};
use uuid::Uuid;

const CASES: u32 = 400;

const C1: Uuid = Uuid::from_u128(0xc1);
const C2: Uuid = Uuid::from_u128(0xc2);
/// Record id, kind, community.
const ENTITIES: [(Uuid, EntityKind, Uuid); 3] = [
    (Uuid::from_u128(0xe0), EntityKind::Facility, C1),
    (Uuid::from_u128(0xe1), EntityKind::Ramp, C1),
    (Uuid::from_u128(0xe2), EntityKind::Facility, C2),
];
const FIELDS: [&str; 3] = ["name", "building_area_m2", DELETED];
const DEVICES: [Uuid; 3] = [
    Uuid::from_u128(0xd1),
    Uuid::from_u128(0xd2),
    Uuid::from_u128(0xd3),
];

/// The recipe for one change; `build` turns a list of them into changes.
#[derive(Debug, Clone)]
struct Spec {
    entity: usize,
    field: usize,
    device: usize,
    hlc: u64,
    value: u8,
    /// 0: no base; 1..=6: an earlier change of the field (counting back); 7: one never sent.
    base: u8,
    /// Stamp it later than its base, as a device's clock would.
    after_base: bool,
    /// Copies the server capped, as readings below the original (0: none).
    caps: Vec<u64>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..ENTITIES.len(),
        0..FIELDS.len(),
        0..DEVICES.len(),
        1..12u64,
        0..5u8,
        0..8u8,
        any::<bool>(),
        prop::collection::vec(1..12u64, 0..2),
    )
        .prop_map(
            |(entity, field, device, hlc, value, base, after_base, caps)| Spec {
                entity,
                field,
                device,
                hlc,
                value,
                base,
                after_base,
                caps,
            },
        )
}

/// Changes (one per distinct record, field and stamp) and the copies to deliver: each change
/// itself and any capped copies of it.
fn build(specs: &[Spec]) -> (Vec<Change>, Vec<Admitted>) {
    let mut changes: Vec<Change> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut copies = Vec::new();
    for s in specs {
        let (entity, kind, community) = ENTITIES[s.entity];
        let field = FIELDS[s.field];
        let earlier: Vec<Stamp> = changes
            .iter()
            .filter(|c| c.entity == entity && c.field == field)
            .map(Change::stamp)
            .collect();
        let base = match s.base {
            0 => None,
            7 => Some(Stamp {
                hlc: Hlc(s.hlc + 100),
                device: DEVICES[(s.device + 1) % DEVICES.len()],
            }),
            k => earlier
                .len()
                .checked_sub(k as usize)
                .map(|i| earlier[i])
                .or(earlier.last().copied()),
        };
        let mut hlc = s.hlc;
        if let (true, Some(b)) = (s.after_base, base) {
            hlc = b.hlc.0 + 1 + s.hlc % 3;
        }
        let value = match (field, s.value) {
            (DELETED, v) => Value::Bool(v.is_multiple_of(2)),
            (_, 0) => Value::Null,
            (_, v) => json!(v),
        };
        let change = Change {
            community,
            kind,
            entity,
            field: field.to_owned(),
            value,
            hlc: Hlc(hlc),
            device: DEVICES[s.device],
            base,
        };
        if !seen.insert((entity, field, change.stamp())) {
            continue;
        }
        for &cap in &s.caps {
            if cap < hlc {
                let mut capped = change.clone();
                capped.hlc = Hlc(cap);
                copies.push(Admitted {
                    change: capped,
                    capped_from: Some(Hlc(hlc)),
                });
            }
        }
        copies.push(Admitted::from(change.clone()));
        changes.push(change);
    }
    (changes, copies)
}

fn replica_of<'a>(copies: impl IntoIterator<Item = &'a Admitted>) -> Replica {
    let mut r = Replica::new();
    for c in copies {
        r.apply_admitted(c).expect("generated changes never clash");
    }
    r
}

fn copies_and_order() -> impl Strategy<Value = (Vec<Admitted>, Vec<Admitted>)> {
    prop::collection::vec(spec(), 0..40).prop_flat_map(|specs| {
        let (_, copies) = build(&specs);
        (Just(copies.clone()), Just(copies).prop_shuffle())
    })
}

/// A change as the oracle sees it: original stamp, the lowest reading delivered, base.
#[derive(Debug, Clone)]
struct Known {
    original: Stamp,
    hlc: Hlc,
    value: Value,
    base: Option<Stamp>,
}

/// Every change delivered, per record and field, from first principles.
fn oracle(copies: &[Admitted]) -> BTreeMap<(Uuid, String), Vec<Known>> {
    let mut by_id: BTreeMap<(Uuid, String, Stamp), Known> = BTreeMap::new();
    for a in copies {
        let c = &a.change;
        let k = by_id
            .entry((c.entity, c.field.clone(), a.original()))
            .or_insert(Known {
                original: a.original(),
                hlc: c.hlc,
                value: c.value.clone(),
                base: c.base,
            });
        k.hlc = k.hlc.min(c.hlc);
    }
    let mut fields: BTreeMap<(Uuid, String), Vec<Known>> = BTreeMap::new();
    for ((entity, field, _), k) in by_id {
        fields.entry((entity, field)).or_default().push(k);
    }
    fields
}

fn effective(k: &Known) -> Stamp {
    Stamp {
        hlc: k.hlc,
        device: k.original.device,
    }
}

/// The concurrent pairs (by original stamps, lesser first) of one field: Floyd–Warshall over
/// "x precedes y".
fn concurrent_pairs(changes: &[Known]) -> BTreeSet<(Stamp, Stamp)> {
    let n = changes.len();
    let mut before = vec![vec![false; n]; n];
    for (i, x) in changes.iter().enumerate() {
        for (j, y) in changes.iter().enumerate() {
            let named = y.base == Some(x.original) || y.base == Some(effective(x));
            let same_device =
                x.original.device == y.original.device && x.original.hlc < y.original.hlc;
            before[i][j] = i != j && (named || same_device);
        }
    }
    for k in 0..n {
        for i in 0..n {
            for j in 0..n {
                if before[i][k] && before[k][j] {
                    before[i][j] = true;
                }
            }
        }
    }
    let mut pairs = BTreeSet::new();
    for i in 0..n {
        for j in i + 1..n {
            if !before[i][j] && !before[j][i] {
                let (a, b) = (changes[i].original, changes[j].original);
                pairs.insert((a.min(b), a.max(b)));
            }
        }
    }
    pairs
}

fn assert_same(a: &Replica, b: &Replica) {
    assert_eq!(a, b);
    assert_eq!(a.conflicts(), b.conflicts());
    assert_eq!(a.changes(), b.changes());
    for community in [C1, C2] {
        assert_eq!(a.records(community), b.records(community));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Commutative: the order changes arrive in makes no difference.
    #[test]
    fn any_order_gives_the_same_replica((copies, shuffled) in copies_and_order()) {
        assert_same(&replica_of(&copies), &replica_of(&shuffled));
    }

    /// Replicas merged A into B or B into A agree; (A ∪ B) ∪ C = A ∪ (B ∪ C); and either equals
    /// applying every change to one replica.
    #[test]
    fn merging_replicas_commutes_and_associates(
        specs in prop::collection::vec(spec(), 0..40),
        parts in prop::collection::vec(1..8u8, 60),
    ) {
        let (_, copies) = build(&specs);
        // Each copy goes to a non-empty subset of {A, B, C} (bits of its part), so parts overlap.
        let part = |bit: u8| {
            replica_of(
                copies
                    .iter()
                    .zip(parts.iter().cycle())
                    .filter(|(_, p)| **p & bit != 0)
                    .map(|(c, _)| c),
            )
        };
        let (a, b, c) = (part(1), part(2), part(4));

        let mut ab = a.clone();
        ab.merge_replica(&b).unwrap();
        let mut ba = b.clone();
        ba.merge_replica(&a).unwrap();
        assert_same(&ab, &ba);

        let mut ab_c = ab;
        ab_c.merge_replica(&c).unwrap();
        let mut bc = b.clone();
        bc.merge_replica(&c).unwrap();
        let mut a_bc = a.clone();
        a_bc.merge_replica(&bc).unwrap();
        assert_same(&ab_c, &a_bc);
        assert_same(&ab_c, &replica_of(&copies));
    }

    /// Idempotent: every change again, or the replica merged with itself, changes nothing, and
    /// each repeat says so.
    #[test]
    fn duplicates_change_nothing((copies, shuffled) in copies_and_order()) {
        let once = replica_of(&copies);
        let mut twice = once.clone();
        for c in &shuffled {
            prop_assert_eq!(
                twice.apply_admitted(c).unwrap(),
                Applied::Duplicate { recapped: false }
            );
        }
        assert_same(&once, &twice);
        twice.merge_replica(&once).unwrap();
        assert_same(&once, &twice);
        // What a replica passes on rebuilds it.
        assert_same(&once, &replica_of(&once.changes()));
    }

    /// The winner of each field is the greatest stamp delivered (lowest cap of each change), and
    /// the conflicts are exactly the concurrent pairs.
    #[test]
    fn winners_and_conflicts_follow_the_rules((copies, _) in copies_and_order()) {
        let r = replica_of(&copies);
        let fields = oracle(&copies);
        let mut expected = BTreeSet::new();
        for ((entity, field), changes) in &fields {
            let best = changes
                .iter()
                .max_by_key(|k| (effective(k), k.original.hlc))
                .unwrap();
            let won = r.field(*entity, field).unwrap();
            prop_assert_eq!(won.stamp, effective(best));
            prop_assert_eq!(&won.value, &best.value);
            prop_assert_eq!(
                won.capped_from,
                (best.hlc != best.original.hlc).then_some(best.original.hlc)
            );
            for (a, b) in concurrent_pairs(changes) {
                expected.insert((*entity, field.clone(), a, b));
            }
        }
        let mut got = BTreeSet::new();
        for c in r.conflicts() {
            let original = |s: &buqi_schema::merge::FieldState| Stamp {
                hlc: s.capped_from.unwrap_or(s.stamp.hlc),
                device: s.stamp.device,
            };
            prop_assert!(c.winner.stamp > c.loser.stamp);
            let (w, l) = (original(&c.winner), original(&c.loser));
            prop_assert!(got.insert((c.entity, c.field.clone(), w.min(l), w.max(l))));
            let (_, kind, community) = ENTITIES.iter().find(|e| e.0 == c.entity).unwrap();
            prop_assert_eq!((c.kind, c.community), (*kind, *community));
        }
        prop_assert_eq!(got, expected);
    }

    /// What `apply` reports agrees with the replica after it: a new change won if and only if it
    /// is now the field's value, and it is concurrent if and only if a conflict names it.
    #[test]
    fn apply_reports_what_happened((_, shuffled) in copies_and_order()) {
        let mut r = Replica::new();
        for a in &shuffled {
            let applied = r.apply_admitted(a).unwrap();
            let c = &a.change;
            let now = r.field(c.entity, &c.field).unwrap();
            let named = r.conflicts().iter().any(|k| {
                k.entity == c.entity
                    && k.field == c.field
                    && [&k.winner, &k.loser].iter().any(|s| {
                        s.stamp.device == c.device
                            && s.capped_from.unwrap_or(s.stamp.hlc) == a.original().hlc
                    })
            });
            match applied {
                Applied::Won { concurrent } => {
                    prop_assert_eq!(now.stamp, c.stamp());
                    prop_assert_eq!(concurrent, named);
                }
                Applied::Lost { concurrent } => {
                    let winner = Stamp {
                        hlc: now.capped_from.unwrap_or(now.stamp.hlc),
                        device: now.stamp.device,
                    };
                    prop_assert_ne!(winner, a.original());
                    prop_assert_eq!(concurrent, named);
                }
                Applied::Duplicate { .. } => {}
            }
        }
    }

    /// A record is live unless its tombstone wins, and then shows each field's winner; fields
    /// of a deleted record still merge, and come back when it is undeleted.
    #[test]
    fn records_show_winners_and_hide_tombstones((copies, _) in copies_and_order()) {
        let mut r = replica_of(&copies);
        for (id, kind, community) in ENTITIES {
            let deleted = r
                .field(id, DELETED)
                .is_some_and(|f| f.value == Value::Bool(true));
            prop_assert_eq!(r.is_deleted(id), deleted);
            let listed = r.records(community).into_iter().find(|rec| rec.id == id);
            prop_assert_eq!(&listed, &r.record(id));
            match r.record(id) {
                Some(record) => {
                    prop_assert!(!deleted);
                    prop_assert_eq!(record.kind, kind);
                    for field in FIELDS.iter().filter(|f| **f != DELETED) {
                        let value = r.field(id, field).map(|f| f.value).filter(|v| !v.is_null());
                        prop_assert_eq!(record.fields.get(*field), value.as_ref());
                    }
                    prop_assert!(!record.fields.contains_key(DELETED));
                }
                None => {
                    let known = r.changes().iter().any(|a| a.change.entity == id);
                    prop_assert!(deleted || !known);
                    if deleted {
                        // Undeleting brings back every other field's winner.
                        let winners: Vec<_> = FIELDS
                            .iter()
                            .filter(|f| **f != DELETED)
                            .map(|f| r.field(id, f))
                            .collect();
                        r.apply(&Change {
                            community,
                            kind,
                            entity: id,
                            field: DELETED.into(),
                            value: Value::Bool(false),
                            hlc: Hlc(u64::MAX),
                            device: DEVICES[0],
                            base: None,
                        })
                        .unwrap();
                        let record = r.record(id).unwrap();
                        for (field, won) in FIELDS.iter().filter(|f| **f != DELETED).zip(winners) {
                            let value = won.map(|f| f.value).filter(|v| !v.is_null());
                            prop_assert_eq!(record.fields.get(*field), value.as_ref());
                        }
                    }
                }
            }
        }
    }
}
