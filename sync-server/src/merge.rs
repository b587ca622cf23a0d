//! What a push does to the server's data, decided without touching the database.
//!
//! A store loads what the pushed changes touch (every change held of the touched records, and the
//! records' kind and community), then [`plan`] decides, by the rules of [`buqi_schema::merge`] and
//! by its code (a [`Replica`] of the loaded changes), which changes are new, which held changes get
//! a lower cap, which change now wins each touched field and which pairs of changes are conflicts.
//! The store writes that, in the same transaction. Whatever the backend, the server's winners and
//! conflicts are therefore exactly a replica's.
//!
//! [`authorize`] checks, before anything is loaded, that the device may push the batch at all.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use buqi_schema::change::{Change, Hlc, Stamp};
use buqi_schema::merge::{admit, Admitted, MergeError, Replica};
use buqi_schema::record::EntityKind;
use uuid::Uuid;

/// The longest field name the server takes, in bytes.
pub const MAX_FIELD_BYTES: usize = 256;

/// A change the store holds: its row and the change as admitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub row: i64,
    pub admitted: Admitted,
}

/// A change's identity within the store: record, field, and the stamp its device gave it.
pub type Identity = (Uuid, String, Stamp);

/// The identity of an admitted change.
pub fn identity(admitted: &Admitted) -> Identity {
    (
        admitted.change.entity,
        admitted.change.field.clone(),
        admitted.original(),
    )
}

/// Why a batch is refused. Each names the change (its index in the batch) that is the reason;
/// nothing of the batch is applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("change {index} was made by device {device}, but this token belongs to device {expected}: a device pushes only its own changes")]
    WrongDevice {
        index: usize,
        device: Uuid,
        expected: Uuid,
    },
    #[error("change {index} is for community {community}, which is not assigned to user {user:?}; ask the office to assign it")]
    ForbiddenCommunity {
        index: usize,
        community: Uuid,
        user: String,
    },
    #[error("change {index} is for community {community}, which is in {city}, but user {user:?} works in {user_city}: a user reaches only the communities of their own city (the assignment predates that rule; ask the office to unassign it)")]
    OtherCity {
        index: usize,
        community: Uuid,
        city: String,
        user: String,
        user_city: String,
    },
    #[error("change {index} has a field name the server does not take: {why}")]
    BadField { index: usize, why: String },
    #[error("change {index}: the server holds another change of {entity} field {field:?} with the same stamp ({} of device {}) but a different value or base; a device never reuses a stamp", stamp.hlc, stamp.device)]
    StampReused {
        index: usize,
        entity: Uuid,
        field: String,
        stamp: Stamp,
    },
    #[error("change {index}: record {entity} is a {held_kind} of community {held_community}, but the change names it a {kind} of community {community}")]
    EntityMismatch {
        index: usize,
        entity: Uuid,
        held_kind: EntityKind,
        held_community: Uuid,
        kind: EntityKind,
        community: Uuid,
    },
}

impl Refusal {
    /// The index of the change the refusal is about.
    pub fn index(&self) -> usize {
        match self {
            Refusal::WrongDevice { index, .. }
            | Refusal::ForbiddenCommunity { index, .. }
            | Refusal::OtherCity { index, .. }
            | Refusal::BadField { index, .. }
            | Refusal::StampReused { index, .. }
            | Refusal::EntityMismatch { index, .. } => *index,
        }
    }

    /// The part of the change the refusal is about, as a path into the request.
    pub fn field_path(&self) -> String {
        let part = match self {
            Refusal::WrongDevice { .. } => ".device",
            Refusal::ForbiddenCommunity { .. } | Refusal::OtherCity { .. } => ".community",
            Refusal::BadField { .. } => ".field",
            Refusal::StampReused { .. } => ".hlc",
            Refusal::EntityMismatch { .. } => ".entity",
        };
        format!("changes[{}]{part}", self.index())
    }
}

/// Who pushes: the user's name and city, and the communities assigned to them with each one's
/// city.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub user: String,
    pub city: String,
    pub assigned: BTreeMap<Uuid, String>,
}

/// Checks that every change of a batch was made by `device`, is for a community assigned to the
/// user in the user's own city, and names a field the server takes. The first change that is not
/// is the refusal.
pub fn authorize(changes: &[Change], device: Uuid, scope: &Scope) -> Result<(), Refusal> {
    for (index, change) in changes.iter().enumerate() {
        if change.device != device {
            return Err(Refusal::WrongDevice {
                index,
                device: change.device,
                expected: device,
            });
        }
        match scope.assigned.get(&change.community) {
            None => {
                return Err(Refusal::ForbiddenCommunity {
                    index,
                    community: change.community,
                    user: scope.user.clone(),
                })
            }
            // An office reaches only its city, whatever was assigned before that was enforced.
            Some(city) if *city != scope.city => {
                return Err(Refusal::OtherCity {
                    index,
                    community: change.community,
                    city: city.clone(),
                    user: scope.user.clone(),
                    user_city: scope.city.clone(),
                })
            }
            Some(_) => {}
        }
        check_field(&change.field).map_err(|why| Refusal::BadField { index, why })?;
    }
    Ok(())
}

fn check_field(field: &str) -> Result<(), String> {
    if field.is_empty() {
        return Err("it is empty".into());
    }
    if field.len() > MAX_FIELD_BYTES {
        return Err(format!(
            "it is {} bytes long, more than {MAX_FIELD_BYTES}",
            field.len()
        ));
    }
    if field.chars().any(char::is_control) {
        return Err("it holds a control character".into());
    }
    Ok(())
}

/// A held change to be ordered by a lower reading: the server has now seen a copy of it with a
/// lower cap (see [`buqi_schema::merge`]: every replica keeps the lowest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recap {
    pub row: i64,
    pub hlc: Hlc,
}

/// A record the server has not held before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEntity {
    pub id: Uuid,
    pub community: Uuid,
    pub kind: EntityKind,
}

/// A touched field after the push: the change that wins it and its conflicts, each change named by
/// its identity's stamp.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldOutcome {
    pub entity: Uuid,
    pub field: String,
    pub winner: Stamp,
    /// (winner, loser) of every concurrent pair of the field's changes.
    pub conflicts: Vec<(Stamp, Stamp)>,
}

/// What to write for a push.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// New changes, in the order the batch first gave them: each gets the next sequence number.
    pub inserts: Vec<Admitted>,
    /// Held changes to order by a lower cap: each gets a new sequence number, so that devices
    /// that already pulled the change get the lower cap too.
    pub recaps: Vec<Recap>,
    pub entities: Vec<NewEntity>,
    /// Every field whose changes the push altered.
    pub fields: Vec<FieldOutcome>,
    /// Changes of the batch that were new.
    pub accepted: usize,
    /// Changes of the batch the server already held.
    pub duplicates: usize,
}

impl Plan {
    /// Does the push write anything?
    pub fn is_empty(&self) -> bool {
        self.inserts.is_empty() && self.recaps.is_empty()
    }
}

/// A push that cannot be planned.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// What the store holds does not merge: the database was changed by something else.
    #[error("the server's stored changes are inconsistent: {0}")]
    Corrupt(String),
}

/// Plans a push of `changes` (already [`authorize`]d) at the server's `now`, given every held
/// change of the records they touch (`stored`) and those records' community and kind
/// (`entities`).
pub fn plan(
    changes: &[Change],
    stored: &[Stored],
    entities: &HashMap<Uuid, (Uuid, EntityKind)>,
    now: Hlc,
    max_ahead_secs: u64,
) -> Result<Plan, PlanError> {
    let mut replica = Replica::new();
    let mut held: HashMap<Identity, (i64, Hlc)> = HashMap::new();
    for s in stored {
        replica.apply_admitted(&s.admitted).map_err(|e| {
            PlanError::Corrupt(format!("held change (row {}) does not merge: {e}", s.row))
        })?;
        held.insert(identity(&s.admitted), (s.row, s.admitted.change.hlc));
    }

    let mut known = entities.clone();
    let mut new_entities = Vec::new();
    let mut first_index: HashMap<Identity, usize> = HashMap::new();
    for (index, change) in changes.iter().enumerate() {
        match known.get(&change.entity) {
            Some(&(community, kind)) if (community, kind) != (change.community, change.kind) => {
                return Err(Refusal::EntityMismatch {
                    index,
                    entity: change.entity,
                    held_kind: kind,
                    held_community: community,
                    kind: change.kind,
                    community: change.community,
                }
                .into());
            }
            Some(_) => {}
            None => {
                known.insert(change.entity, (change.community, change.kind));
                new_entities.push(NewEntity {
                    id: change.entity,
                    community: change.community,
                    kind: change.kind,
                });
            }
        }
        let admitted = admit(change.clone(), now, max_ahead_secs);
        match replica.apply_admitted(&admitted) {
            Ok(_) => {}
            Err(MergeError::StampReused {
                entity,
                field,
                stamp,
            }) => {
                return Err(Refusal::StampReused {
                    index,
                    entity,
                    field,
                    stamp,
                }
                .into())
            }
            Err(MergeError::EntityMismatch {
                entity,
                held_kind,
                held_community,
                kind,
                community,
            }) => {
                return Err(Refusal::EntityMismatch {
                    index,
                    entity,
                    held_kind,
                    held_community,
                    kind,
                    community,
                }
                .into())
            }
            Err(e @ MergeError::BadCap { .. }) => return Err(PlanError::Corrupt(e.to_string())),
        }
        first_index.entry(identity(&admitted)).or_insert(index);
    }

    // What the replica holds now against what the store held: new changes and lowered caps.
    let mut inserts: Vec<(usize, Admitted)> = Vec::new();
    let mut recaps = Vec::new();
    let mut altered: BTreeSet<(Uuid, String)> = BTreeSet::new();
    for admitted in replica.changes() {
        let id = identity(&admitted);
        match held.get(&id) {
            None => {
                altered.insert((id.0, id.1.clone()));
                let index = first_index.get(&id).copied().unwrap_or(usize::MAX);
                inserts.push((index, admitted));
            }
            Some(&(row, hlc)) if hlc != admitted.change.hlc => {
                altered.insert((id.0, id.1.clone()));
                recaps.push(Recap {
                    row,
                    hlc: admitted.change.hlc,
                });
            }
            Some(_) => {}
        }
    }
    inserts.sort_by_key(|(index, _)| *index);

    let mut conflicts: BTreeMap<(Uuid, String), Vec<(Stamp, Stamp)>> = BTreeMap::new();
    for c in replica.conflicts() {
        let key = (c.entity, c.field.clone());
        if altered.contains(&key) {
            let original = |s: &buqi_schema::merge::FieldState| Stamp {
                hlc: s.capped_from.unwrap_or(s.stamp.hlc),
                device: s.stamp.device,
            };
            conflicts
                .entry(key)
                .or_default()
                .push((original(&c.winner), original(&c.loser)));
        }
    }
    let mut fields = Vec::new();
    for (entity, field) in altered {
        let Some(state) = replica.field(entity, &field) else {
            return Err(PlanError::Corrupt(format!(
                "record {entity} field {field:?} has changes but no winner"
            )));
        };
        let pairs = conflicts
            .remove(&(entity, field.clone()))
            .unwrap_or_default();
        fields.push(FieldOutcome {
            entity,
            field,
            winner: Stamp {
                hlc: state.capped_from.unwrap_or(state.stamp.hlc),
                device: state.stamp.device,
            },
            conflicts: pairs,
        });
    }

    let accepted = inserts.len();
    Ok(Plan {
        inserts: inserts.into_iter().map(|(_, a)| a).collect(),
        recaps,
        entities: new_entities,
        fields,
        accepted,
        duplicates: changes.len() - accepted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COMMUNITY: Uuid = Uuid::from_u128(0xc0);
    const A: Uuid = Uuid::from_u128(0xa);
    const B: Uuid = Uuid::from_u128(0xb);
    const RECORD: Uuid = Uuid::from_u128(0xf1);

    fn secs(s: u64) -> Hlc {
        Hlc(s << 32)
    }

    fn change(field: &str, value: serde_json::Value, hlc: Hlc, device: Uuid) -> Change {
        Change {
            community: COMMUNITY,
            kind: EntityKind::Facility,
            entity: RECORD,
            field: field.into(),
            value,
            hlc,
            device,
            base: None,
        }
    }

    fn stored(rows: &[(i64, Admitted)]) -> Vec<Stored> {
        rows.iter()
            .map(|(row, admitted)| Stored {
                row: *row,
                admitted: admitted.clone(),
            })
            .collect()
    }

    #[test]
    fn a_new_change_is_inserted_and_a_held_one_is_a_duplicate() {
        let first = change("name", json!("卫生站"), secs(10), A);
        let plan = plan(
            std::slice::from_ref(&first),
            &[],
            &HashMap::new(),
            secs(100),
            60,
        )
        .unwrap();
        assert_eq!(plan.accepted, 1);
        assert_eq!(plan.inserts, vec![Admitted::from(first.clone())]);
        assert_eq!(plan.entities.len(), 1);
        assert_eq!(plan.fields[0].winner, first.stamp());

        let held = stored(&[(7, Admitted::from(first.clone()))]);
        let entities = HashMap::from([(RECORD, (COMMUNITY, EntityKind::Facility))]);
        let again = super::plan(&[first.clone(), first], &held, &entities, secs(100), 60).unwrap();
        assert!(again.is_empty());
        assert_eq!((again.accepted, again.duplicates), (0, 2));
        assert!(again.entities.is_empty() && again.fields.is_empty());
    }

    #[test]
    fn concurrent_changes_are_a_conflict_and_a_lower_cap_is_a_recap() {
        let by_a = change("area", json!(1), secs(10), A);
        let by_b = change("area", json!(2), secs(5_000), B);
        let plan = plan(
            &[by_a.clone(), by_b.clone()],
            &[],
            &HashMap::new(),
            secs(100),
            60,
        )
        .unwrap();
        assert_eq!(plan.inserts[1].capped_from, Some(secs(5_000)));
        assert_eq!(plan.inserts[1].change.hlc, secs(160));
        assert_eq!(plan.fields[0].conflicts, vec![(by_b.stamp(), by_a.stamp())]);
        assert_eq!(plan.fields[0].winner, by_b.stamp());

        // Held capped at 5 000 (from an earlier server clock set late), now seen capped at 160.
        let held = stored(&[
            (1, Admitted::from(by_a)),
            (2, admit(by_b.clone(), secs(4_000), 60)),
        ]);
        let entities = HashMap::from([(RECORD, (COMMUNITY, EntityKind::Facility))]);
        let later = super::plan(&[by_b], &held, &entities, secs(100), 60).unwrap();
        assert_eq!(
            later.recaps,
            vec![Recap {
                row: 2,
                hlc: secs(160)
            }]
        );
        assert_eq!((later.accepted, later.duplicates), (0, 1));
        assert_eq!(later.fields.len(), 1);
    }

    #[test]
    fn refusals_name_the_change() {
        let first = change("name", json!("a"), secs(10), A);
        let held = stored(&[(1, Admitted::from(first.clone()))]);
        let entities = HashMap::from([(RECORD, (COMMUNITY, EntityKind::Facility))]);
        let mut forged = first.clone();
        forged.value = json!("b");
        let other = change("other", json!(1), secs(11), A);
        let err = plan(&[other.clone(), forged], &held, &entities, secs(100), 60).unwrap_err();
        assert!(matches!(
            err,
            PlanError::Refused(Refusal::StampReused { index: 1, .. })
        ));
        let mut moved = other;
        moved.kind = EntityKind::Ramp;
        let err = plan(&[moved], &held, &entities, secs(100), 60).unwrap_err();
        let PlanError::Refused(refusal) = err else {
            panic!("{err:?}")
        };
        assert_eq!(refusal.field_path(), "changes[0].entity");

        const SHANGHAI: Uuid = Uuid::from_u128(0xc2);
        let scope = Scope {
            user: "张三".into(),
            city: "武汉".into(),
            assigned: BTreeMap::from([(COMMUNITY, "武汉".into()), (SHANGHAI, "上海".into())]),
        };
        let mut elsewhere = first.clone();
        elsewhere.community = Uuid::from_u128(0xc1);
        let err = authorize(&[first.clone(), elsewhere], A, &scope).unwrap_err();
        assert_eq!(err.field_path(), "changes[1].community");
        assert!(err.to_string().contains("张三"), "{err}");
        let mut other_city = first.clone();
        other_city.community = SHANGHAI;
        let err = authorize(&[first.clone(), other_city], A, &scope).unwrap_err();
        assert!(matches!(err, Refusal::OtherCity { index: 1, .. }), "{err}");
        assert!(err.to_string().contains("上海"), "{err}");
        let err = authorize(std::slice::from_ref(&first), B, &scope).unwrap_err();
        assert_eq!(err.field_path(), "changes[0].device");
        assert!(authorize(std::slice::from_ref(&first), A, &scope).is_ok());
        let mut nul = first;
        nul.field = "a\0b".into();
        assert!(authorize(&[nul], A, &scope).is_err());
    }
}
