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

/// Several edits made as one: all of them, validated together, or none. A boundary walk, say, is
/// its GPS points, the measurement that cites them and the community's boundary.
pub struct Batch<'s> {
    pub(super) tx: Transaction<'s>,
    clock: &'s mut Clock,
    device: Uuid,
    /// Every record the batch changed, with its community, in the order first changed.
    touched: Vec<(Uuid, EntityKind, Uuid)>,
}

impl Store {
    /// Runs `f` as one batch of edits in an immediate transaction (the write lock taken at once,
    /// so two writers queue rather than fail half-way); commits only if every edit in it
    /// succeeded and every survey it touched still reads.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Batch<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut batch = Batch {
            tx,
            clock: &mut self.clock,
            device: self.device,
            touched: Vec::new(),
        };
        let out = f(&mut batch)?;
        batch.validate()?;
        batch.tx.commit()?;
        Ok(out)
    }

    /// Starts a community's survey on this device; see [`Batch::create_community`].
    pub fn create_community(&mut self, fields: Fields) -> Result<Uuid> {
        self.batch(|b| b.create_community(fields))
    }

    /// Adds a record to a community's survey; see [`Batch::create`].
    pub fn create(&mut self, community: Uuid, kind: EntityKind, fields: Fields) -> Result<Uuid> {
        self.batch(|b| b.create(community, kind, fields))
    }

    /// Sets one field of a record (`Value::Null` unsets it).
    pub fn set(&mut self, kind: EntityKind, id: Uuid, field: &str, value: Value) -> Result<()> {
        self.batch(|b| b.set(kind, id, field, value))
    }

    /// Sets several fields of one record at once: all of them, or (if any is refused) none.
    pub fn update(&mut self, kind: EntityKind, id: Uuid, fields: Fields) -> Result<()> {
        self.batch(|b| b.update(kind, id, fields))
    }

    /// Deletes a record; see [`Batch::delete`].
    pub fn delete(&mut self, kind: EntityKind, id: Uuid) -> Result<()> {
        self.batch(|b| b.delete(kind, id))
    }

    /// Undoes a delete.
    pub fn restore(&mut self, kind: EntityKind, id: Uuid) -> Result<()> {
        self.batch(|b| b.restore(kind, id))
    }
}

impl Batch<'_> {
    /// Starts a community's survey. `fields` are the community's fields as
    /// [`buqi_schema::record`] names them (`name` is required). Returns its new id (a UUIDv7).
    pub fn create_community(&mut self, fields: Fields) -> Result<Uuid> {
        check_field_names(EntityKind::Community, &fields)?;
        let id = Uuid::now_v7();
        write(&self.tx, EntityKind::Community, id, id, false, &fields)?;
        self.touch(id, EntityKind::Community, id);
        for (field, value) in &fields {
            self.log(id, EntityKind::Community, id, field, value)?;
        }
        Ok(id)
    }

    /// Starts the survey of a community the office made (and assigned to this device) under the
    /// office's id, unless the device already has it. Returns whether it was started here.
    pub fn adopt_community(&mut self, id: Uuid, fields: Fields) -> Result<bool> {
        check_field_names(EntityKind::Community, &fields)?;
        if load(&self.tx, EntityKind::Community, id)?.is_some() {
            return Ok(false);
        }
        write(&self.tx, EntityKind::Community, id, id, false, &fields)?;
        self.touch(id, EntityKind::Community, id);
        for (field, value) in &fields {
            self.log(id, EntityKind::Community, id, field, value)?;
        }
        Ok(true)
    }

    /// Adds a record of `kind` (not a community: see [`Batch::create_community`]) to a
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
        live(&self.tx, EntityKind::Community, community)?;
        let id = Uuid::now_v7();
        write(&self.tx, kind, id, community, false, &fields)?;
        self.touch(community, kind, id);
        for (field, value) in &fields {
            self.log(community, kind, id, field, value)?;
        }
        Ok(id)
    }

    /// Sets one field of a record (`Value::Null` unsets it).
    pub fn set(&mut self, kind: EntityKind, id: Uuid, field: &str, value: Value) -> Result<()> {
        let mut fields = Fields::new();
        fields.insert(field.to_owned(), value);
        self.update(kind, id, fields)
    }

    /// Sets several fields of one record. Setting a field to the value it has is not an edit.
    pub fn update(&mut self, kind: EntityKind, id: Uuid, fields: Fields) -> Result<()> {
        check_field_names(kind, &fields)?;
        let row = live(&self.tx, kind, id)?;
        let mut next = row.fields.clone();
        let mut changed = Vec::new();
        for (field, value) in fields {
            if row.fields.get(&field).unwrap_or(&Value::Null) == &value {
                continue;
            }
            if value.is_null() {
                next.remove(&field);
            } else {
                next.insert(field.clone(), value.clone());
            }
            changed.push((field, value));
        }
        if changed.is_empty() {
            return Ok(());
        }
        write(&self.tx, kind, id, row.community, false, &next)?;
        self.touch(row.community, kind, id);
        for (field, value) in &changed {
            self.log(row.community, kind, id, field, value)?;
        }
        Ok(())
    }

    /// Deletes a record: a tombstone, logged like any edit. Refused while other records still
    /// refer to it (a photo of a facility, say), naming them. Deleting a community hides its
    /// whole survey.
    pub fn delete(&mut self, kind: EntityKind, id: Uuid) -> Result<()> {
        self.set_deleted(kind, id, true)
    }

    /// Undoes a delete.
    pub fn restore(&mut self, kind: EntityKind, id: Uuid) -> Result<()> {
        self.set_deleted(kind, id, false)
    }

    fn set_deleted(&mut self, kind: EntityKind, id: Uuid, deleted: bool) -> Result<()> {
        let row = load(&self.tx, kind, id)?.ok_or(StoreError::NotFound { kind, id })?;
        if row.deleted == deleted {
            return Ok(());
        }
        if kind != EntityKind::Community {
            live(&self.tx, EntityKind::Community, row.community)?;
        }
        write(&self.tx, kind, id, row.community, deleted, &row.fields)?;
        self.touch(row.community, kind, id);
        self.log(row.community, kind, id, DELETED, &Value::Bool(deleted))
    }

    /// The community a live record belongs to.
    pub fn community_of(&self, kind: EntityKind, id: Uuid) -> Result<Uuid> {
        let row = live(&self.tx, kind, id)?;
        Ok(if kind == EntityKind::Community {
            id
        } else {
            row.community
        })
    }

    fn touch(&mut self, community: Uuid, kind: EntityKind, id: Uuid) {
        if !self.touched.iter().any(|(_, _, i)| *i == id) {
            self.touched.push((community, kind, id));
        }
    }

    fn log(
        &mut self,
        community: Uuid,
        kind: EntityKind,
        id: Uuid,
        field: &str,
        value: &Value,
    ) -> Result<()> {
        log(
            &self.tx,
            self.clock,
            self.device,
            community,
            kind,
            id,
            field,
            value,
        )
    }

    /// Every survey the batch touched must still read as a survey file would, judged on the
    /// part the batch could have broken: the community record, the records it changed (a
    /// checkpoint with its run), and, for a record it deleted, the live records that refer to it.
    /// References out of that part are looked up by id in the same community. So an edit costs
    /// the same however many records (a long boundary walk's GPS points, say) the survey holds.
    /// A deleted community's survey is no longer read.
    fn validate(&self) -> Result<()> {
        let mut communities: Vec<Uuid> = Vec::new();
        for (community, _, _) in &self.touched {
            if !communities.contains(community) {
                communities.push(*community);
            }
        }
        for community in communities {
            let Some(head) =
                load(&self.tx, EntityKind::Community, community)?.filter(|row| !row.deleted)
            else {
                continue;
            };
            let mut part: Vec<Record> = Vec::new();
            let add = |part: &mut Vec<Record>, kind: EntityKind, id: Uuid, fields: Fields| {
                if !part.iter().any(|r| r.id == id) {
                    part.push(Record { kind, id, fields });
                }
            };
            for (_, kind, id) in self.touched.iter().filter(|(c, _, _)| *c == community) {
                if *kind == EntityKind::Community {
                    continue;
                }
                match load(&self.tx, *kind, *id)? {
                    Some(row) if !row.deleted => add(&mut part, *kind, *id, row.fields),
                    _ => {
                        for (kind, id, fields) in referrers(&self.tx, community, *id)? {
                            add(&mut part, kind, id, fields);
                        }
                    }
                }
            }
            // A checkpoint is read inside its run.
            let runs: Vec<Uuid> = part
                .iter()
                .filter(|r| r.kind == EntityKind::Checkpoint)
                .filter_map(|r| r.fields.get(record::RUN)?.as_str()?.parse().ok())
                .collect();
            for run in runs {
                if let Some(row) = load(&self.tx, EntityKind::ChecklistRun, run)? {
                    if !row.deleted && row.community == community {
                        add(&mut part, EntityKind::ChecklistRun, run, row.fields);
                    }
                }
            }
            part.sort_by_key(|r| r.id);
            part.insert(
                0,
                Record {
                    kind: EntityKind::Community,
                    id: community,
                    fields: head.fields,
                },
            );

            let failed = std::cell::RefCell::new(None);
            let elsewhere = |id: Uuid| match kind_of(&self.tx, community, id) {
                Ok(kind) => kind,
                Err(e) => {
                    failed.borrow_mut().get_or_insert(e);
                    None
                }
            };
            let result = record::assemble_part(&part, &elsewhere);
            if let Some(e) = failed.into_inner() {
                return Err(e);
            }
            if let Err(problems) = result {
                let (_, kind, id) = self
                    .touched
                    .iter()
                    .find(|(c, _, _)| *c == community)
                    .copied()
                    .unwrap_or((community, EntityKind::Community, community));
                return Err(StoreError::Refused { kind, id, problems });
            }
        }
        Ok(())
    }
}

/// The kind of the live record with this id in the community, if there is one.
fn kind_of(tx: &Transaction<'_>, community: Uuid, id: Uuid) -> Result<Option<EntityKind>> {
    let sql = EntityKind::ALL
        .into_iter()
        .filter(|k| *k != EntityKind::Community)
        .map(|k| {
            format!(
                "SELECT '{0}' FROM {0} WHERE id = ?1 AND community = ?2 AND deleted = 0",
                table(k)
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let kind: Option<String> = tx
        .prepare_cached(&sql)?
        .query_row(params![id.to_string(), community.to_string()], |r| r.get(0))
        .optional()?;
    Ok(kind.as_deref().and_then(EntityKind::from_id))
}

/// The live records of a community whose fields mention an id: whatever refers to it. A UUID's
/// text does not occur by chance, so a text search finds exactly the references (and the
/// validation then judges them).
fn referrers(
    tx: &Transaction<'_>,
    community: Uuid,
    id: Uuid,
) -> Result<Vec<(EntityKind, Uuid, Fields)>> {
    let mut found = Vec::new();
    for kind in EntityKind::ALL
        .into_iter()
        .filter(|k| *k != EntityKind::Community)
    {
        let mut stmt = tx.prepare_cached(&format!(
            "SELECT id, fields FROM {} WHERE community = ?1 AND deleted = 0 AND instr(fields, ?2) > 0",
            table(kind)
        ))?;
        let rows = stmt.query_map(params![community.to_string(), id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (rid, fields) = row?;
            if let Ok(rid) = Uuid::parse_str(&rid) {
                found.push((kind, rid, serde_json::from_str(&fields).unwrap_or_default()));
            }
        }
    }
    Ok(found)
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
    let entity = id.to_string();
    // The value being replaced: the field's newest change (by stamp, across devices).
    let base: Option<(String, String)> = tx
        .prepare_cached(
            "SELECT coalesce(capped_from, hlc), device FROM change WHERE entity = ?1 AND field = ?2
             ORDER BY hlc DESC, device DESC, coalesce(capped_from, hlc) DESC LIMIT 1",
        )?
        .query_row(params![entity, field], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (base_hlc, base_device) = base.unzip();
    tx.prepare_cached(
        "INSERT INTO change (community, kind, entity, field, value, hlc, device, base_hlc, base_device)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        community.to_string(),
        kind.id(),
        entity,
        field,
        value.to_string(),
        hlc.to_hex(),
        device.to_string(),
        base_hlc,
        base_device
    ])?;
    Ok(())
}

impl Batch<'_> {
    /// Writes and logs the records of a whole survey read from a file, keeping their ids (see
    /// exchange.rs, which checks first that none of them is taken).
    pub(super) fn insert_survey(&mut self, community: Uuid, records: &[Record]) -> Result<()> {
        for r in records {
            write(&self.tx, r.kind, r.id, community, false, &r.fields)?;
            self.touch(community, r.kind, r.id);
            for (field, value) in &r.fields {
                self.log(community, r.kind, r.id, field, value)?;
            }
        }
        Ok(())
    }
}
