//! Reading and writing rows of the `changes` table, and the other pieces both backends share.

use std::collections::BTreeSet;

use buqi_schema::change::{Change, Hlc, Stamp};
use buqi_schema::merge::{Admitted, FieldState};
use buqi_schema::record::EntityKind;
use uuid::Uuid;

use super::{Result, StoreError};
use crate::merge::Stored;
use crate::protocol::{PulledChange, Role};

/// A row of the `changes` table, read by either backend.
pub(super) struct ChangeRow {
    pub(super) id: i64,
    pub(super) seq: i64,
    pub(super) community: Uuid,
    pub(super) kind: String,
    pub(super) entity: Uuid,
    pub(super) field: String,
    pub(super) value: String,
    pub(super) hlc: String,
    pub(super) device: Uuid,
    pub(super) capped_from: Option<String>,
    pub(super) base_hlc: Option<String>,
    pub(super) base_device: Option<Uuid>,
}

/// The columns [`ChangeRow`] is read from, in its order.
pub(super) const CHANGE_COLUMNS: &str =
    "id, seq, community, kind, entity, field, value, hlc, device, capped_from, base_hlc, base_device";

impl ChangeRow {
    pub(super) fn admitted(self) -> Result<Admitted> {
        Ok(Admitted {
            change: Change {
                community: self.community,
                kind: parse_kind(&self.kind)?,
                entity: self.entity,
                field: self.field,
                value: parse_value(&self.value)?,
                hlc: parse_hlc(&self.hlc)?,
                device: self.device,
                base: stamp_of(self.base_hlc, self.base_device)?,
            },
            capped_from: self.capped_from.as_deref().map(parse_hlc).transpose()?,
        })
    }

    pub(super) fn stored(self) -> Result<Stored> {
        let row = self.id;
        Ok(Stored {
            row,
            admitted: self.admitted()?,
        })
    }

    pub(super) fn pulled(self) -> Result<PulledChange> {
        let seq = self.seq;
        let admitted = self.admitted()?;
        Ok(PulledChange {
            seq,
            change: admitted.change,
            capped_from: admitted.capped_from,
        })
    }
}

/// The parts of a change a store writes as text: its value and clock readings.
pub(super) struct ChangeText {
    pub(super) value: String,
    pub(super) hlc: String,
    pub(super) capped_from: Option<String>,
    pub(super) base_hlc: Option<String>,
    pub(super) base_device: Option<Uuid>,
}

impl ChangeText {
    pub(super) fn of(admitted: &Admitted) -> ChangeText {
        let change = &admitted.change;
        ChangeText {
            value: change.value.to_string(),
            hlc: change.hlc.to_hex(),
            capped_from: admitted.capped_from.map(Hlc::to_hex),
            base_hlc: change.base.map(|b| b.hlc.to_hex()),
            base_device: change.base.map(|b| b.device),
        }
    }
}

/// A field's state from the columns of its change.
pub(super) fn field_state(
    value: &str,
    hlc: &str,
    device: Uuid,
    capped_from: Option<&str>,
) -> Result<FieldState> {
    Ok(FieldState {
        value: parse_value(value)?,
        stamp: Stamp {
            hlc: parse_hlc(hlc)?,
            device,
        },
        capped_from: capped_from.map(parse_hlc).transpose()?,
    })
}

/// The `next` cursor of a pull that returned `rows` changes for a `limit`, the last at `last_row`,
/// when the log ended at `last_seq` in the pull's snapshot. A full page ends at its last change;
/// a short one has everything up to the end of the log, so the cursor moves there (past changes
/// of other communities, which the device would otherwise scan again on every pull).
pub(super) fn next_cursor(rows: usize, limit: usize, last_row: Option<i64>, last_seq: i64) -> i64 {
    match last_row {
        Some(seq) if rows >= limit => seq,
        _ => last_seq,
    }
}

/// The distinct records a batch touches, in first-seen order.
pub(super) fn touched_entities(changes: &[Change]) -> Vec<Uuid> {
    let mut seen = BTreeSet::new();
    changes
        .iter()
        .filter(|c| seen.insert(c.entity))
        .map(|c| c.entity)
        .collect()
}

/// Reads a stamp kept as two nullable columns.
pub(super) fn stamp_of(hlc: Option<String>, device: Option<Uuid>) -> Result<Option<Stamp>> {
    match (hlc, device) {
        (None, None) => Ok(None),
        (Some(hlc), Some(device)) => Ok(Some(Stamp {
            hlc: parse_hlc(&hlc)?,
            device,
        })),
        _ => Err(StoreError::Corrupt(
            "a change's base has a clock reading without a device, or the reverse".into(),
        )),
    }
}

pub(super) fn parse_hlc(text: &str) -> Result<Hlc> {
    Hlc::from_hex(text)
        .ok_or_else(|| StoreError::Corrupt(format!("{text:?} is not a clock reading")))
}

pub(super) fn parse_kind(text: &str) -> Result<EntityKind> {
    EntityKind::from_id(text)
        .ok_or_else(|| StoreError::Corrupt(format!("{text:?} is not a kind of record")))
}

pub(super) fn parse_role(text: &str) -> Result<Role> {
    text.parse().map_err(StoreError::Corrupt)
}

pub(super) fn parse_value(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("a change's value is not JSON: {e}")))
}
