//! Edits: every way the app changes a survey. Each method is one transaction that applies the
//! edit, validates the whole survey, and logs one change per field, or does nothing at all.

use buqi_schema::change::DELETED;
use buqi_schema::record::{self, EntityKind, Fields, Record};
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::Value;
use uuid::Uuid;

use super::{table, Clock, Result, Store, StoreError};

/// A record as the store holds it.
pub(super) struct Row {
    pub community: Uuid,
    pub deleted: bool,
    pub fields: Fields,
}

impl Store {
    /// Starts a community's survey on this device. `fields` are the community's fields as
    /// [`buqi_schema::record`] names them (`name` is required).
    pub fn create_community(&mut self, fields: Fields) -> Result<Uuid> {
        let id = Uuid::now_v7();
        check_field_names(EntityKind::Community, &fields)?;
        self.edit(|tx, clock, device| {
            write(tx, EntityKind::Community, id, id, false, &fields)?;
            check_survey(tx, id, EntityKind::Community, id)?;
            for (field, value) in &fields {
                log(
                    tx,
                    clock,
                    device,
                    id,
                    EntityKind::Community,
                    id,
                    field,
                    value,
                )?;
            }
            Ok(id)
        })
    }

    /// Adds a record of `kind` (not a community: see [`Store::create_community`]) to a
    /// community's survey, with its first fields. Returns its new id (a UUIDv7).
    pub fn create(&mut self, community: Uuid, kind: EntityKind, fields: Fields) -> Result<Uuid> {
        if kind == EntityKind::Community {
            return Err(StoreError::ReservedField {
                kind,
                field: "community".into(),
                why: "a community is started with create_community",
            });
        }
        check_field_names(kind, &fields)?;
        let id = Uuid::now_v7();
        self.edit(|tx, clock, device| {
            live(tx, EntityKind::Community, community)?;
            write(tx, kind, id, community, false, &fields)?;
            check_survey(tx, community, kind, id)?;
            for (field, value) in &fields {
                log(tx, clock, device, community, kind, id, field, value)?;
            }
            Ok(id)
        })
    }

    /// Sets one field of a record (`Value::Null` unsets it).
    pub fn set(&mut self, kind: EntityKind, id: Uuid, field: &str, value: Value) -> Result<()> {
        let mut fields = Fields::new();
        fields.insert(field.to_owned(), value);
        self.update(kind, id, fields)
    }

    /// Sets several fields of one record at once: all of them, or (if any is refused) none.
    pub fn update(&mut self, kind: EntityKind, id: Uuid, fields: Fields) -> Result<()> {
        check_field_names(kind, &fields)?;
        self.edit(|tx, clock, device| {
            let row = live(tx, kind, id)?;
            let mut next = row.fields.clone();
            let mut changed = Vec::new();
            for (field, value) in &fields {
                if row.fields.get(field).unwrap_or(&Value::Null) == value {
                    continue;
                }
                if value.is_null() {
                    next.remove(field);
                } else {
                    next.insert(field.clone(), value.clone());
                }
                changed.push((field, value));
            }
            if changed.is_empty() {
                return Ok(());
            }
            write(tx, kind, id, row.community, false, &next)?;
            check_survey(tx, row.community, kind, id)?;
            for (field, value) in changed {
                log(tx, clock, device, row.community, kind, id, field, value)?;
            }
            Ok(())
        })
    }

    /// Deletes a record: a tombstone, logged like any edit. Refused while other records still
    /// refer to it (a photo of a facility, say), naming them.
    pub fn delete(&mut self, kind: EntityKind, id: Uuid) -> Result<()> {
        self.set_deleted(kind, id, true)
    }

    /// Undoes a delete.
    pub fn restore(&mut self, kind: EntityKind, id: Uuid) -> Result<()> {
        self.set_deleted(kind, id, false)
    }

    fn set_deleted(&mut self, kind: EntityKind, id: Uuid, deleted: bool) -> Result<()> {
        self.edit(|tx, clock, device| {
            let row = load(tx, kind, id)?.ok_or(StoreError::NotFound { kind, id })?;
            if row.deleted == deleted {
                return Ok(());
            }
            if kind != EntityKind::Community {
                live(tx, EntityKind::Community, row.community)?;
            }
            write(tx, kind, id, row.community, deleted, &row.fields)?;
            // A deleted community's survey is no longer read; anything else must leave a survey
            // that still reads (no dangling references).
            if !(kind == EntityKind::Community && deleted) {
                check_survey(tx, row.community, kind, id)?;
            }
            log(
                tx,
                clock,
                device,
                row.community,
                kind,
                id,
                DELETED,
                &Value::Bool(deleted),
            )
        })
    }

    /// Runs `f` in an immediate transaction (the write lock taken at once, so two writers queue
    /// rather than fail half-way) and commits only if it succeeds.
    pub(super) fn edit<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>, &mut Clock, Uuid) -> Result<T>,
    ) -> Result<T> {
        let device = self.device;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx, &mut self.clock, device)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Field names the store owns.
fn check_field_names(kind: EntityKind, fields: &Fields) -> Result<()> {
    for field in fields.keys() {
        let why = match field.as_str() {
            "id" => "a record's id is made when it is born and never changes",
            DELETED => "use delete and restore",
            "" => "a field needs a name",
            _ => continue,
        };
        return Err(StoreError::ReservedField {
            kind,
            field: field.clone(),
            why,
        });
    }
    Ok(())
}

pub(super) fn load(tx: &Transaction<'_>, kind: EntityKind, id: Uuid) -> Result<Option<Row>> {
    let sql = if kind == EntityKind::Community {
        "SELECT id, deleted, fields FROM community WHERE id = ?1".to_owned()
    } else {
        format!(
            "SELECT community, deleted, fields FROM {} WHERE id = ?1",
            table(kind)
        )
    };
    let row = tx
        .query_row(&sql, [id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .optional()?;
    Ok(row.map(|(community, deleted, fields)| Row {
        community: Uuid::parse_str(&community).unwrap_or(Uuid::nil()),
        deleted,
        // The column is checked to be a JSON object, which always parses into Fields.
        fields: serde_json::from_str(&fields).unwrap_or_default(),
    }))
}

/// A record that exists and is not deleted.
fn live(tx: &Transaction<'_>, kind: EntityKind, id: Uuid) -> Result<Row> {
    match load(tx, kind, id)? {
        None => Err(StoreError::NotFound { kind, id }),
        Some(row) if row.deleted => Err(StoreError::Deleted { kind, id }),
        Some(row) => Ok(row),
    }
}

pub(super) fn write(
    tx: &Transaction<'_>,
    kind: EntityKind,
    id: Uuid,
    community: Uuid,
    deleted: bool,
    fields: &Fields,
) -> Result<()> {
    let json = serde_json::to_string(fields).expect("JSON values always serialise");
    if kind == EntityKind::Community {
        tx.execute(
            "INSERT INTO community (id, deleted, fields) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, fields = excluded.fields",
            params![id.to_string(), deleted, json],
        )?;
    } else {
        tx.execute(
            &format!(
                "INSERT INTO {} (id, community, deleted, fields) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, fields = excluded.fields",
                table(kind)
            ),
            params![id.to_string(), community.to_string(), deleted, json],
        )?;
    }
    Ok(())
}

/// Assembles the community's survey as it now stands in the transaction and validates it.
fn check_survey(tx: &Transaction<'_>, community: Uuid, kind: EntityKind, id: Uuid) -> Result<()> {
    let records = super::query::live_records(tx, community)?;
    record::assemble(&records)
        .map(drop)
        .map_err(|problems| StoreError::Refused { kind, id, problems })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn log(
    tx: &Transaction<'_>,
    clock: &mut Clock,
    device: Uuid,
    community: Uuid,
    kind: EntityKind,
    id: Uuid,
    field: &str,
    value: &Value,
) -> Result<()> {
    let hlc = clock.now();
    tx.execute(
        "INSERT INTO change (community, kind, entity, field, value, hlc, device)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            community.to_string(),
            kind.id(),
            id.to_string(),
            field,
            value.to_string(),
            hlc.to_hex(),
            device.to_string()
        ],
    )?;
    Ok(())
}

/// Records for a whole imported survey, written and logged in one go (see exchange.rs).
pub(super) fn write_and_log_all(
    tx: &Transaction<'_>,
    clock: &mut Clock,
    device: Uuid,
    community: Uuid,
    records: &[Record],
) -> Result<()> {
    for r in records {
        write(tx, r.kind, r.id, community, false, &r.fields)?;
        for (field, value) in &r.fields {
            log(tx, clock, device, community, r.kind, r.id, field, value)?;
        }
    }
    Ok(())
}
