//! The merge of changes from many devices, the same on the tablet and on the server.
//!
//! A [`Replica`] is the set of [`Change`]s one place has seen, and what follows from it: the value
//! of every field, the records of a community, and the conflicts the office should look at. Since
//! everything is a function of the *set* (never of the order in which changes came, or of how many
//! times), two places that have seen the same changes agree, whatever the network did.
//!
//! # Rules
//!
//! **Who wins.** Per field of a record, the change with the greatest [`Stamp`] (clock reading, then
//! device id) wins: last writer wins. A change that is already held (same record, field and
//! stamp) is a duplicate and changes nothing; if it carries a different value or base it is not
//! the same change, and [`Replica::apply`] refuses it ([`MergeError::StampReused`]) rather than
//! pick one.
//!
//! **Deletes.** Deleting a record sets its [`DELETED`] field to `true`, undeleting sets it to
//! `false`; that field wins and loses like any other. The other fields of a deleted record still
//! merge, so an undelete brings back their latest values, including edits made concurrently with
//! the delete.
//!
//! **Conflicts.** For two changes `x`, `y` of one field of one record, `x` *precedes* `y` when
//! - `y`'s base is `x`'s stamp (original or capped, see below), or
//! - both come from one device and `x`'s original clock reading is the earlier (a device always
//!   knows its own edits), or
//! - `x` precedes some change that precedes `y`.
//!
//! Two changes of which neither precedes the other are *concurrent*: each editor changed the
//! field without having seen the other's value. Every concurrent pair is a [`Conflict`], with both
//! values and both devices; the winner stays the one with the greater stamp. Limits: a base names
//! one stamp, so an editor who had seen `x` only as a losing value and then edited the winner is
//! still reported against `x` (reports err towards too many, never too few); and a change whose
//! base the replica has not received yet cannot be linked to it, so it may show a conflict that
//! goes away when the missing change arrives.
//!
//! **Clocks too far ahead.** A tablet with its clock set a year ahead would win every field for a
//! year. [`admit`] (called by the server when a change first arrives) lowers a reading more than
//! `max_ahead_secs` ahead of the server's `now` to exactly `now + max_ahead_secs`, and records the
//! original in [`Admitted::capped_from`]. A change is still *identified* by its original stamp,
//! so a replay capped differently later (or not at all) is recognised as the same change; a
//! replica holding several caps of one change keeps the lowest (the first the server gave), which
//! every replica reaches whatever order the copies come in. Changes capped to the same reading are
//! ordered by device, then original reading.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::change::{Change, Hlc, Stamp, DELETED};
use crate::record::{EntityKind, Fields, Record};

/// A change as it enters a replica: the change with the clock reading it is ordered by, and, if
/// the server lowered that reading, the original.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Admitted {
    /// The change; its `hlc` is the reading it is ordered by (the capped one if capped).
    pub change: Change,
    /// The reading the device gave it, when that was too far ahead and `change.hlc` is the cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped_from: Option<Hlc>,
}

impl Admitted {
    /// The stamp that identifies the change: the one its device gave it, capped or not.
    pub fn original(&self) -> Stamp {
        Stamp {
            hlc: self.capped_from.unwrap_or(self.change.hlc),
            device: self.change.device,
        }
    }
}

impl From<Change> for Admitted {
    /// A change taken as it is (the way devices apply what they receive).
    fn from(change: Change) -> Admitted {
        Admitted {
            change,
            capped_from: None,
        }
    }
}

/// Bounds a change's clock reading to `max_ahead_secs` past `now` (the server's clock). A reading
/// beyond the bound is lowered to the bound and the original kept in
/// [`Admitted::capped_from`], for the server to record; any other change passes unchanged.
pub fn admit(mut change: Change, now: Hlc, max_ahead_secs: u64) -> Admitted {
    // Readings keep seconds in their upper 32 bits.
    let bound = Hlc(now.0.saturating_add(max_ahead_secs.saturating_mul(1 << 32)));
    if change.hlc > bound {
        let original = change.hlc;
        change.hlc = bound;
        Admitted {
            change,
            capped_from: Some(original),
        }
    } else {
        Admitted {
            change,
            capped_from: None,
        }
    }
}

/// One change's value of a field, and who made it when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldState {
    /// The value (`null`: unset).
    pub value: Value,
    /// The stamp the change is ordered by; `stamp.device` is its author.
    pub stamp: Stamp,
    /// The author's own clock reading, when the server capped it (see [`admit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped_from: Option<Hlc>,
}

/// Two concurrent changes of one field (see the module's rules): for the office to look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The community the record belongs to.
    pub community: Uuid,
    /// The record's kind.
    pub kind: EntityKind,
    /// The record's id.
    pub entity: Uuid,
    /// The field both changes set.
    pub field: String,
    /// The one of the two with the greater stamp. The field's value now may be a later change
    /// still: [`Replica::field`] says.
    pub winner: FieldState,
    /// The one of the two with the lesser stamp: its value lost to the winner's.
    pub loser: FieldState,
}

/// What applying a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// New, and now the field's value.
    Won {
        /// It is in at least one conflict (as of the changes held now).
        concurrent: bool,
    },
    /// New, but another change holds the field.
    Lost {
        /// It is in at least one conflict; if not, it is merely older than a change that saw it.
        concurrent: bool,
    },
    /// Already held: nothing new.
    Duplicate {
        /// This copy came with a lower cap, which the replica now uses; the field's winner may
        /// have changed.
        recapped: bool,
    },
}

/// A change the replica refuses; the replica is left as it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MergeError {
    /// A change with the stamp of a held change of the same field, but another value or base:
    /// a device or the wire is broken, and picking either would hide it.
    #[error("record {entity} field {field:?}: two different changes carry the stamp {} of device {}", stamp.hlc, stamp.device)]
    StampReused {
        entity: Uuid,
        field: String,
        stamp: Stamp,
    },
    /// A change of a held record that names another kind or community for it.
    #[error("record {entity} is a {held_kind} of community {held_community}, but a change names it a {kind} of community {community}")]
    EntityMismatch {
        entity: Uuid,
        held_kind: EntityKind,
        held_community: Uuid,
        kind: EntityKind,
        community: Uuid,
    },
    /// An [`Admitted`] whose cap is not below its original reading.
    #[error("record {entity} field {field:?}: a cap only lowers a reading, but {hlc} is capped from {capped_from}")]
    BadCap {
        entity: Uuid,
        field: String,
        hlc: Hlc,
        capped_from: Hlc,
    },
}

/// What a replica keeps of one change, under its original stamp.
#[derive(Debug, Clone, PartialEq)]
struct Held {
    /// The reading it is ordered by: the original, or the lowest cap seen.
    hlc: Hlc,
    value: Value,
    base: Option<Stamp>,
}

/// Every change held for one field, by original stamp.
type History = BTreeMap<Stamp, Held>;

#[derive(Debug, Clone, PartialEq)]
struct Entity {
    community: Uuid,
    kind: EntityKind,
    fields: BTreeMap<String, History>,
}

/// The changes one place has seen, merged. Two replicas that have seen the same changes are
/// equal (`==`), whatever the order and repetition they came in.
///
/// It keeps every change, losers too: a conflict shows the loser's value, and a change that
/// arrives later may name a loser as its base.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replica {
    entities: BTreeMap<Uuid, Entity>,
}

impl Replica {
    /// An empty replica.
    pub fn new() -> Replica {
        Replica::default()
    }

    /// Applies a change as it is (uncapped).
    pub fn apply(&mut self, change: &Change) -> Result<Applied, MergeError> {
        self.apply_parts(change, None)
    }

    /// Applies a change the server admitted, with its cap if it has one.
    pub fn apply_admitted(&mut self, admitted: &Admitted) -> Result<Applied, MergeError> {
        self.apply_parts(&admitted.change, admitted.capped_from)
    }

    /// Applies every change `other` holds; refused whole, changing nothing, if any one would be.
    pub fn merge_replica(&mut self, other: &Replica) -> Result<(), MergeError> {
        let changes = other.changes();
        for admitted in &changes {
            self.check(&admitted.change, admitted.original())?;
        }
        for admitted in &changes {
            self.apply_admitted(admitted)?;
        }
        Ok(())
    }

    /// Every change held, with the reading it is ordered by and its cap, by record, field and
    /// original stamp: what a device or the server passes on.
    pub fn changes(&self) -> Vec<Admitted> {
        self.held()
            .map(|(id, entity, field, key, held)| Admitted {
                change: Change {
                    community: entity.community,
                    kind: entity.kind,
                    entity: id,
                    field: field.to_owned(),
                    value: held.value.clone(),
                    hlc: held.hlc,
                    device: key.device,
                    base: held.base,
                },
                capped_from: (held.hlc != key.hlc).then_some(key.hlc),
            })
            .collect()
    }

    /// The winning change of a record's field (including [`DELETED`]), if any change set it.
    pub fn field(&self, entity: Uuid, field: &str) -> Option<FieldState> {
        let history = self.entities.get(&entity)?.fields.get(field)?;
        winner(history).map(|(key, held)| state(key, held))
    }

    /// Whether the record's tombstone wins: its [`DELETED`] field's value is `true`.
    pub fn is_deleted(&self, entity: Uuid) -> bool {
        self.field(entity, DELETED)
            .is_some_and(|f| f.value == Value::Bool(true))
    }

    /// A live record: its kind and its set fields' winning values (without [`DELETED`]). `None`
    /// if the replica has no change of it or it is deleted.
    pub fn record(&self, entity: Uuid) -> Option<Record> {
        let held = self.entities.get(&entity)?;
        if self.is_deleted(entity) {
            return None;
        }
        let mut fields = Fields::new();
        for (name, history) in &held.fields {
            if name == DELETED {
                continue;
            }
            if let Some((_, h)) = winner(history) {
                if !h.value.is_null() {
                    fields.insert(name.clone(), h.value.clone());
                }
            }
        }
        Some(Record {
            kind: held.kind,
            id: entity,
            fields,
        })
    }

    /// The live records of one community, by id (for UUIDv7 ids, birth order): what
    /// [`crate::record::assemble`] takes.
    pub fn records(&self, community: Uuid) -> Vec<Record> {
        self.entities
            .iter()
            .filter(|(_, e)| e.community == community)
            .filter_map(|(id, _)| self.record(*id))
            .collect()
    }

    /// Every conflict (concurrent pair, see the module's rules), by record, field, then the
    /// pair's stamps.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut conflicts = Vec::new();
        for (id, entity) in &self.entities {
            for (field, history) in &entity.fields {
                let keys: Vec<(&Stamp, &Held)> = history.iter().collect();
                let before = precedence(history);
                for i in 0..keys.len() {
                    for j in i + 1..keys.len() {
                        if before[i][j] || before[j][i] {
                            continue;
                        }
                        let (a, b) = (state(keys[i].0, keys[i].1), state(keys[j].0, keys[j].1));
                        let (winner, loser) =
                            if order(keys[i].0, keys[i].1) > order(keys[j].0, keys[j].1) {
                                (a, b)
                            } else {
                                (b, a)
                            };
                        conflicts.push(Conflict {
                            community: entity.community,
                            kind: entity.kind,
                            entity: *id,
                            field: field.clone(),
                            winner,
                            loser,
                        });
                    }
                }
            }
        }
        conflicts.sort_by(|a, b| {
            (a.entity, &a.field, a.winner.stamp, a.loser.stamp).cmp(&(
                b.entity,
                &b.field,
                b.winner.stamp,
                b.loser.stamp,
            ))
        });
        conflicts
    }

    fn apply_parts(
        &mut self,
        change: &Change,
        capped_from: Option<Hlc>,
    ) -> Result<Applied, MergeError> {
        let key = Stamp {
            hlc: capped_from.unwrap_or(change.hlc),
            device: change.device,
        };
        if let Some(original) = capped_from {
            if original <= change.hlc {
                return Err(MergeError::BadCap {
                    entity: change.entity,
                    field: change.field.clone(),
                    hlc: change.hlc,
                    capped_from: original,
                });
            }
        }
        self.check(change, key)?;
        let entity = self
            .entities
            .entry(change.entity)
            .or_insert_with(|| Entity {
                community: change.community,
                kind: change.kind,
                fields: BTreeMap::new(),
            });
        let history = entity.fields.entry(change.field.clone()).or_default();
        if let Some(held) = history.get_mut(&key) {
            // The lowest cap is the first the server gave: every replica settles on it.
            let recapped = change.hlc < held.hlc;
            if recapped {
                held.hlc = change.hlc;
            }
            return Ok(Applied::Duplicate { recapped });
        }
        history.insert(
            key,
            Held {
                hlc: change.hlc,
                value: change.value.clone(),
                base: change.base,
            },
        );
        let won = winner(history).is_some_and(|(k, _)| *k == key);
        let index = history
            .keys()
            .position(|k| *k == key)
            .expect("the change was just inserted");
        let before = precedence(history);
        let concurrent = (0..history.len())
            .any(|other| other != index && !before[index][other] && !before[other][index]);
        Ok(if won {
            Applied::Won { concurrent }
        } else {
            Applied::Lost { concurrent }
        })
    }

    /// Would this change, identified by `key`, be refused? (Everything but a bad cap.)
    fn check(&self, change: &Change, key: Stamp) -> Result<(), MergeError> {
        let Some(entity) = self.entities.get(&change.entity) else {
            return Ok(());
        };
        if entity.kind != change.kind || entity.community != change.community {
            return Err(MergeError::EntityMismatch {
                entity: change.entity,
                held_kind: entity.kind,
                held_community: entity.community,
                kind: change.kind,
                community: change.community,
            });
        }
        match entity.fields.get(&change.field).and_then(|h| h.get(&key)) {
            Some(held) if held.value != change.value || held.base != change.base => {
                Err(MergeError::StampReused {
                    entity: change.entity,
                    field: change.field.clone(),
                    stamp: key,
                })
            }
            _ => Ok(()),
        }
    }

    /// Every held change: record id, record, field, original stamp, what is kept.
    fn held(&self) -> impl Iterator<Item = (Uuid, &Entity, &str, &Stamp, &Held)> {
        self.entities.iter().flat_map(|(id, entity)| {
            entity.fields.iter().flat_map(move |(field, history)| {
                history
                    .iter()
                    .map(move |(key, held)| (*id, entity, field.as_str(), key, held))
            })
        })
    }
}

/// The order changes of one field win in: the stamp they are ordered by, then (for changes one
/// device had capped to the same reading) the original reading.
fn order(key: &Stamp, held: &Held) -> (Stamp, Hlc) {
    (
        Stamp {
            hlc: held.hlc,
            device: key.device,
        },
        key.hlc,
    )
}

fn winner(history: &History) -> Option<(&Stamp, &Held)> {
    history.iter().max_by_key(|(key, held)| order(key, held))
}

fn state(key: &Stamp, held: &Held) -> FieldState {
    FieldState {
        value: held.value.clone(),
        stamp: Stamp {
            hlc: held.hlc,
            device: key.device,
        },
        capped_from: (held.hlc != key.hlc).then_some(key.hlc),
    }
}

/// `before[x][y]`: change `x` precedes change `y` (indices in the history's order), by the
/// module's rule. Quadratic in the number of changes of one field, which a survey keeps small.
fn precedence(history: &History) -> Vec<Vec<bool>> {
    let keys: Vec<&Stamp> = history.keys().collect();
    let n = keys.len();
    // The changes a base may name: by original stamp, or by the capped one a device was given.
    let mut named: BTreeMap<Stamp, Vec<usize>> = BTreeMap::new();
    for (i, (key, held)) in history.iter().enumerate() {
        named.entry(*key).or_default().push(i);
        if held.hlc != key.hlc {
            named
                .entry(Stamp {
                    hlc: held.hlc,
                    device: key.device,
                })
                .or_default()
                .push(i);
        }
    }
    // Direct predecessors: what the base names, and the same device's previous change (keys are
    // in (reading, device) order, so the last one seen of a device is its previous change).
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut last_of_device: BTreeMap<Uuid, usize> = BTreeMap::new();
    let mut by_device: Vec<usize> = (0..n).collect();
    by_device.sort_by_key(|&i| (keys[i].device, keys[i].hlc));
    for &i in &by_device {
        if let Some(&prev) = last_of_device.get(&keys[i].device) {
            parents[i].push(prev);
        }
        last_of_device.insert(keys[i].device, i);
    }
    for (i, held) in history.values().enumerate() {
        if let Some(base) = &held.base {
            for &p in named.get(base).into_iter().flatten() {
                if p != i {
                    parents[i].push(p);
                }
            }
        }
    }
    // Everything reachable backwards from each change.
    let mut before = vec![vec![false; n]; n];
    for start in 0..n {
        let mut stack = parents[start].clone();
        while let Some(p) = stack.pop() {
            if !before[p][start] {
                before[p][start] = true;
                stack.extend(parents[p].iter().copied());
            }
        }
    }
    before
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COMMUNITY: Uuid = Uuid::from_u128(0xc0);
    const FACILITY: Uuid = Uuid::from_u128(0xf1);
    const A: Uuid = Uuid::from_u128(0xa);
    const B: Uuid = Uuid::from_u128(0xb);

    fn secs(s: u64) -> Hlc {
        Hlc(s << 32)
    }

    fn change(field: &str, value: Value, hlc: Hlc, device: Uuid, base: Option<Stamp>) -> Change {
        Change {
            community: COMMUNITY,
            kind: EntityKind::Facility,
            entity: FACILITY,
            field: field.into(),
            value,
            hlc,
            device,
            base,
        }
    }

    #[test]
    fn a_sequential_edit_wins_without_a_conflict() {
        let mut r = Replica::new();
        let first = change("name", json!("卫生站"), secs(10), A, None);
        let second = change(
            "name",
            json!("社区卫生服务站"),
            secs(20),
            B,
            Some(first.stamp()),
        );
        assert_eq!(r.apply(&second), Ok(Applied::Won { concurrent: false }));
        assert_eq!(r.apply(&first), Ok(Applied::Lost { concurrent: false }));
        assert_eq!(
            r.field(FACILITY, "name").unwrap().value,
            json!("社区卫生服务站")
        );
        assert!(r.conflicts().is_empty());
    }

    #[test]
    fn two_edits_from_one_base_are_one_conflict_naming_both() {
        let mut r = Replica::new();
        let first = change("building_area_m2", json!(100), secs(10), A, None);
        let by_a = change(
            "building_area_m2",
            json!(120),
            secs(20),
            A,
            Some(first.stamp()),
        );
        let by_b = change(
            "building_area_m2",
            json!(130),
            secs(21),
            B,
            Some(first.stamp()),
        );
        r.apply(&first).unwrap();
        assert_eq!(r.apply(&by_b), Ok(Applied::Won { concurrent: false }));
        assert_eq!(r.apply(&by_a), Ok(Applied::Lost { concurrent: true }));
        let conflicts = r.conflicts();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        let c = &conflicts[0];
        assert_eq!((c.entity, c.field.as_str()), (FACILITY, "building_area_m2"));
        assert_eq!(
            (c.winner.value.clone(), c.winner.stamp.device),
            (json!(130), B)
        );
        assert_eq!(
            (c.loser.value.clone(), c.loser.stamp.device),
            (json!(120), A)
        );
        // A, having seen B's value win, edits again: not a conflict with its own earlier edit.
        let again = change(
            "building_area_m2",
            json!(125),
            secs(30),
            A,
            Some(by_b.stamp()),
        );
        assert_eq!(r.apply(&again), Ok(Applied::Won { concurrent: false }));
        assert_eq!(r.conflicts().len(), 1);
    }

    #[test]
    fn a_delete_and_a_concurrent_edit_both_hold_and_undelete_restores() {
        let mut r = Replica::new();
        let made = change("name", json!("幼儿园"), secs(10), A, None);
        let delete = change(DELETED, json!(true), secs(20), A, None);
        let edit = change("name", json!("第二幼儿园"), secs(21), B, Some(made.stamp()));
        for c in [&made, &edit, &delete] {
            r.apply(c).unwrap();
        }
        assert!(r.is_deleted(FACILITY));
        assert_eq!(r.record(FACILITY), None);
        assert!(r.records(COMMUNITY).is_empty());
        assert!(r.conflicts().is_empty(), "different fields never conflict");
        let undelete = change(DELETED, json!(false), secs(30), B, Some(delete.stamp()));
        r.apply(&undelete).unwrap();
        let record = r.record(FACILITY).unwrap();
        assert_eq!(record.fields.get("name"), Some(&json!("第二幼儿园")));
        assert!(!record.fields.contains_key(DELETED));
        // A concurrent delete and undelete are a conflict of the tombstone like any field's.
        let redelete = change(DELETED, json!(true), secs(29), A, Some(delete.stamp()));
        r.apply(&redelete).unwrap();
        assert!(!r.is_deleted(FACILITY));
        assert_eq!(r.conflicts().len(), 1);
    }

    #[test]
    fn a_far_future_reading_is_capped_and_its_replay_is_a_duplicate() {
        let now = secs(1_000);
        let ahead = change("name", json!("x"), secs(1_000 + 365 * 86_400), A, None);
        let admitted = admit(ahead.clone(), now, 3_600);
        assert_eq!(admitted.change.hlc, secs(1_000 + 3_600));
        assert_eq!(admitted.capped_from, Some(ahead.hlc));
        assert_eq!(admitted.original(), ahead.stamp());
        let near = change("name", json!("y"), secs(1_000 + 60), B, None);
        assert_eq!(
            admit(near.clone(), now, 3_600),
            Admitted::from(near.clone())
        );

        let mut server = Replica::new();
        server.apply_admitted(&admitted).unwrap();
        // A day later the device sends it again: capped higher now, but the same change.
        let replay = admit(ahead.clone(), secs(1_000 + 86_400), 3_600);
        assert_ne!(replay.change.hlc, admitted.change.hlc);
        assert_eq!(
            server.apply_admitted(&replay),
            Ok(Applied::Duplicate { recapped: false })
        );
        assert_eq!(
            server.apply(&ahead),
            Ok(Applied::Duplicate { recapped: false })
        );
        let later = change("name", json!("z"), secs(1_000 + 3_601), B, None);
        assert_eq!(server.apply(&later), Ok(Applied::Won { concurrent: true }));

        // The device that made it holds the original; the server's cap brings it level.
        let mut device = Replica::new();
        device.apply(&ahead).unwrap();
        device.apply(&later).unwrap();
        assert_eq!(device.field(FACILITY, "name").unwrap().value, json!("x"));
        assert_eq!(
            device.apply_admitted(&admitted),
            Ok(Applied::Duplicate { recapped: true })
        );
        assert_eq!(device, server);
        assert_eq!(device.field(FACILITY, "name").unwrap().value, json!("z"));
        let capped = &device.conflicts()[0].loser;
        assert_eq!(capped.capped_from, Some(ahead.hlc));
    }

    #[test]
    fn one_stamp_with_two_values_is_refused() {
        let mut r = Replica::new();
        let first = change("name", json!("a"), secs(10), A, None);
        r.apply(&first).unwrap();
        let before = r.clone();
        let forged = change("name", json!("b"), secs(10), A, None);
        assert!(matches!(
            r.apply(&forged),
            Err(MergeError::StampReused { .. })
        ));
        let mut moved = first.clone();
        moved.kind = EntityKind::Ramp;
        assert!(matches!(
            r.apply(&moved),
            Err(MergeError::EntityMismatch { .. })
        ));
        let bad_cap = Admitted {
            change: first.clone(),
            capped_from: Some(secs(5)),
        };
        assert!(matches!(
            r.apply_admitted(&bad_cap),
            Err(MergeError::BadCap { .. })
        ));
        let mut other = Replica::new();
        other
            .apply(&change("other", json!(1), secs(11), B, None))
            .unwrap();
        other.apply(&forged).unwrap();
        assert!(r.merge_replica(&other).is_err());
        assert_eq!(r, before, "refused changes leave the replica as it was");
    }

    #[test]
    fn a_survey_sent_as_changes_in_any_order_assembles_again() {
        let path = format!(
            "{}/../examples/wuhan-old-estate.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let survey = crate::Survey::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
        let community = survey.community.id;
        let mut changes = Vec::new();
        for (n, record) in crate::record::records_of(&survey).into_iter().enumerate() {
            for (field, value) in record.fields {
                changes.push(Change {
                    community,
                    kind: record.kind,
                    entity: record.id,
                    field,
                    value,
                    hlc: secs(100 + n as u64),
                    device: A,
                    base: None,
                });
            }
        }
        // A facility no other record points at, deleted on another device.
        let json = survey.to_json();
        let gone = survey
            .facilities
            .iter()
            .map(|f| f.id)
            .find(|id| json.matches(&id.to_string()).count() == 1)
            .unwrap();
        let mut delete = changes[0].clone();
        (delete.kind, delete.entity, delete.field) = (EntityKind::Facility, gone, DELETED.into());
        (delete.value, delete.hlc, delete.device) = (json!(true), secs(500), B);
        changes.push(delete);

        let mut r = Replica::new();
        for c in changes.iter().rev() {
            r.apply(c).unwrap();
        }
        let back = crate::record::assemble(&r.records(community)).unwrap();
        let mut expected = survey.clone();
        expected.facilities.retain(|f| f.id != gone);
        assert_eq!(back, expected);
    }
}
