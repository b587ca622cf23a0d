//! Changes received from the server, merged into the device's records by the rules of
//! [`buqi_schema::merge`]: each change is kept in the log, identified by its record, field and
//! original stamp; each field takes the value of its greatest stamp; deletes are tombstones.
//!
//! Pulled changes are not validated the way local edits are: they are other surveyors' work,
//! each valid where it was made, and refusing them would lose it. Where edits made apart do not
//! fit together, the survey is read with warnings (`record::assemble_merged`).

use buqi_schema::change::{Hlc, DELETED};
use buqi_schema::merge::Admitted;
use buqi_schema::record::{EntityKind, Fields};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::Value;
use uuid::Uuid;

use super::edit::{load, write};
use super::{Result, Store, StoreError};

/// What applying a page of pulled changes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pulled {
    /// Changes new to this device.
    pub applied: usize,
    /// Changes it already had (its own, echoed back, or a page received twice).
    pub duplicates: usize,
    /// Changes it had, now with a lower reading the server capped them to.
    pub recapped: usize,
}

impl Store {
    /// Applies a page of changes from the server, all in one transaction.
    pub fn apply_pulled(&mut self, changes: &[Admitted]) -> Result<Pulled> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut pulled = Pulled::default();
        let mut latest = None;
        for admitted in changes {
            let c = &admitted.change;
            let original = admitted.original();
            let held: Option<(String, String, Option<String>, Option<String>)> = tx
                .prepare_cached(
                    "SELECT hlc, value, base_hlc, base_device FROM change
                     WHERE entity = ?1 AND field = ?2 AND device = ?3
                       AND coalesce(capped_from, hlc) = ?4",
                )?
                .query_row(
                    params![
                        c.entity.to_string(),
                        c.field,
                        c.device.to_string(),
                        original.hlc.to_hex()
                    ],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let base = c.base.map(|b| (b.hlc.to_hex(), b.device.to_string()));
            match held {
                Some((hlc, value, base_hlc, base_device)) => {
                    let same_value =
                        serde_json::from_str::<Value>(&value).ok().as_ref() == Some(&c.value);
                    let same_base = base == base_hlc.zip(base_device);
                    if !same_value || !same_base {
                        return Err(StoreError::StampReused {
                            kind: c.kind,
                            id: c.entity,
                            field: c.field.clone(),
                            stamp: original.hlc,
                        });
                    }
                    if Hlc::from_hex(&hlc).is_some_and(|held| c.hlc < held) {
                        tx.prepare_cached(
                            "UPDATE change SET hlc = ?1, capped_from = ?2
                             WHERE entity = ?3 AND field = ?4 AND device = ?5
                               AND coalesce(capped_from, hlc) = ?6",
                        )?
                        .execute(params![
                            c.hlc.to_hex(),
                            original.hlc.to_hex(),
                            c.entity.to_string(),
                            c.field,
                            c.device.to_string(),
                            original.hlc.to_hex()
                        ])?;
                        pulled.recapped += 1;
                    } else {
                        pulled.duplicates += 1;
                        continue;
                    }
                }
                None => {
                    let (base_hlc, base_device) = base.unzip();
                    tx.prepare_cached(
                        "INSERT INTO change (community, kind, entity, field, value, hlc, device,
                                             base_hlc, base_device, capped_from)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    )?
                    .execute(params![
                        c.community.to_string(),
                        c.kind.id(),
                        c.entity.to_string(),
                        c.field,
                        c.value.to_string(),
                        c.hlc.to_hex(),
                        c.device.to_string(),
                        base_hlc,
                        base_device,
                        admitted.capped_from.map(Hlc::to_hex)
                    ])?;
                    pulled.applied += 1;
                }
            }
            settle(&tx, c.community, c.kind, c.entity, &c.field)?;
            latest = latest.max(Some(c.hlc));
        }
        tx.commit()?;
        if let Some(seen) = latest {
            self.clock.observe(seen);
        }
        Ok(pulled)
    }
}

/// Sets a record's field to the value of its greatest stamp, creating the record (and its
/// community) if this is the first the device hears of it.
fn settle(
    tx: &Transaction<'_>,
    community: Uuid,
    kind: EntityKind,
    id: Uuid,
    field: &str,
) -> Result<()> {
    if load(tx, EntityKind::Community, community)?.is_none() {
        // Its own changes may come later in the log; until then it is a community with no
        // fields, which reads with a warning.
        write(
            tx,
            EntityKind::Community,
            community,
            community,
            false,
            &Fields::new(),
        )?;
    }
    let (mut fields, mut deleted) = match load(tx, kind, id)? {
        Some(row) => (row.fields, row.deleted),
        None => (Fields::new(), false),
    };
    let winner: String = tx
        .prepare_cached(
            "SELECT value FROM change WHERE entity = ?1 AND field = ?2
             ORDER BY hlc DESC, device DESC, coalesce(capped_from, hlc) DESC LIMIT 1",
        )?
        .query_row(params![id.to_string(), field], |r| r.get(0))?;
    let value: Value = serde_json::from_str(&winner).unwrap_or(Value::Null);
    if field == DELETED {
        deleted = value == Value::Bool(true);
    } else if value.is_null() {
        fields.remove(field);
    } else {
        fields.insert(field.to_owned(), value);
    }
    write(tx, kind, id, community, deleted, &fields)
}
