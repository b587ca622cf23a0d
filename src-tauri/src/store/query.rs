//! What the app's screens read: the list of communities with their progress, a community's survey
//! and its live evaluation (through the one evaluator), one item's view, and the change log.

use buqi_schema::change::{Change, Hlc, Stamp};
use buqi_schema::evaluate::{ItemResult, Verdict};
use buqi_schema::record::{self, EntityKind, Fields, Merged, Record};
use buqi_schema::survey::{Facility, PhotoRef};
use buqi_schema::{evaluate, Evaluation, Standard, Survey};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{table, Result, Store, StoreError};

/// A community on the device, as the list of communities shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommunityProgress {
    pub id: Uuid,
    pub name: String,
    /// `new` or `existing`, once the surveyor has said.
    pub kind: Option<String>,
    pub district: Option<String>,
    pub street: Option<String>,
    /// Items the surveyor has marked complete, of 20.
    pub items_complete: usize,
    pub facilities: usize,
    pub photos: usize,
    /// The evaluator's verdict on the survey so far.
    pub verdict: Verdict,
    /// Items with a gap (短板), in order.
    pub gap_items: Vec<u8>,
    /// When the survey was last edited on this device or by a change received here (UTC
    /// seconds), if ever.
    pub last_edit_unix: Option<u64>,
    /// Why the survey cannot be read yet, if it cannot (a community whose own fields have not
    /// arrived from the server): the list still shows it rather than hide it.
    pub problem: Option<String>,
}

/// Everything the screen of one item shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemView {
    /// The item's evaluation: status, each check with required and measured values.
    pub result: ItemResult,
    pub notes: Option<String>,
    /// The facilities of the kinds the item's checks look at, in the order they were recorded.
    pub facilities: Vec<Facility>,
    /// Photos filed under the item or of one of its facilities.
    pub photos: Vec<PhotoRef>,
}

/// A change from the log, with its place in this device's log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedChange {
    /// Position in this device's log: the sync client's cursor.
    pub seq: i64,
    #[serde(flatten)]
    pub change: Change,
}

impl Store {
    /// Every community on the device that is not deleted, by name, with its progress and the
    /// evaluator's verdict against `standard`.
    pub fn communities(&self, standard: &Standard) -> Result<Vec<CommunityProgress>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM community WHERE deleted = 0 ORDER BY name, id")?;
        let ids: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut list = Vec::with_capacity(ids.len());
        for id in ids {
            let id = parse_id(&id);
            let last: Option<String> = self
                .conn
                .query_row(
                    "SELECT max(hlc) FROM change WHERE community = ?1",
                    [id.to_string()],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            let last_edit_unix = last
                .as_deref()
                .and_then(Hlc::from_hex)
                .map(Hlc::unix_seconds);
            let survey = match self.survey(id) {
                Ok(survey) => survey,
                Err(StoreError::Refused { problems, .. }) => {
                    list.push(CommunityProgress {
                        id,
                        name: String::new(),
                        kind: None,
                        district: None,
                        street: None,
                        items_complete: 0,
                        facilities: 0,
                        photos: 0,
                        verdict: Verdict::Undetermined,
                        gap_items: Vec::new(),
                        last_edit_unix,
                        problem: Some(problems.to_string()),
                    });
                    continue;
                }
                Err(other) => return Err(other),
            };
            let evaluation = evaluate(&survey, standard);
            let c = &survey.community;
            list.push(CommunityProgress {
                id,
                name: c.name.clone(),
                kind: c.kind.map(|k| {
                    serde_json::to_value(k)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                }),
                district: c.district.clone(),
                street: c.street.clone(),
                items_complete: survey.items.iter().filter(|i| i.complete).count(),
                facilities: survey.facilities.len(),
                photos: survey.photos.len(),
                verdict: evaluation.summary.verdict,
                gap_items: evaluation.summary.gap_items,
                last_edit_unix,
                problem: None,
            });
        }
        Ok(list)
    }

    /// A community's survey as it stands, in the interchange model.
    pub fn survey(&self, community: Uuid) -> Result<Survey> {
        let deleted: Option<bool> = self
            .conn
            .query_row(
                "SELECT deleted FROM community WHERE id = ?1",
                [community.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        match deleted {
            None => {
                return Err(StoreError::NotFound {
                    kind: EntityKind::Community,
                    id: community,
                })
            }
            Some(true) => {
                return Err(StoreError::Deleted {
                    kind: EntityKind::Community,
                    id: community,
                })
            }
            Some(false) => {}
        }
        Ok(self.merged_survey(community)?.survey)
    }

    /// A community's survey with the warnings of work merged from several devices that does
    /// not fit together (a photo of a facility someone else deleted). Local edits never add
    /// such warnings: they are validated before they are stored.
    pub fn merged_survey(&self, community: Uuid) -> Result<Merged> {
        let records = live_records(&self.conn, community)?;
        if records.is_empty() {
            return Err(StoreError::Deleted {
                kind: EntityKind::Community,
                id: community,
            });
        }
        record::assemble_merged(&records).map_err(|problems| StoreError::Refused {
            kind: EntityKind::Community,
            id: community,
            problems,
        })
    }

    /// The live evaluation of a community's survey by the one evaluator, with the warnings of
    /// merged work that does not fit together among its warnings.
    pub fn evaluation(&self, community: Uuid, standard: &Standard) -> Result<Evaluation> {
        let merged = self.merged_survey(community)?;
        let mut evaluation = evaluate(&merged.survey, standard);
        evaluation
            .warnings
            .extend(merged.warnings.iter().map(|w| w.to_string()));
        Ok(evaluation)
    }

    /// One live record's fields (for an edit form).
    pub fn record(&self, kind: EntityKind, id: Uuid) -> Result<Fields> {
        let sql = format!("SELECT deleted, fields FROM {} WHERE id = ?1", table(kind));
        let row: Option<(bool, String)> = self
            .conn
            .query_row(&sql, [id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match row {
            None => Err(StoreError::NotFound { kind, id }),
            Some((true, _)) => Err(StoreError::Deleted { kind, id }),
            Some((false, fields)) => Ok(serde_json::from_str(&fields).unwrap_or_default()),
        }
    }

    /// The facilities a community has of the kinds an item's checks look at.
    pub fn facilities_for_item(
        &self,
        community: Uuid,
        item: u8,
        standard: &Standard,
    ) -> Result<Vec<Facility>> {
        let kinds = standard.facility_kinds(item);
        let survey = self.survey(community)?;
        Ok(survey
            .facilities
            .into_iter()
            .filter(|f| kinds.contains(&f.kind))
            .collect())
    }

    /// Everything the screen of one item shows.
    pub fn item_view(&self, community: Uuid, item: u8, standard: &Standard) -> Result<ItemView> {
        let survey = self.survey(community)?;
        let evaluation = evaluate(&survey, standard);
        let Some(result) = evaluation.items.into_iter().find(|r| r.item == item) else {
            return Err(StoreError::Refused {
                kind: EntityKind::Community,
                id: community,
                problems: buqi_schema::InvalidSurvey {
                    problems: vec![buqi_schema::read::Problem {
                        path: "item".into(),
                        message: format!("expected an item number from 1 to 20, got {item}"),
                    }],
                },
            });
        };
        let kinds = standard.facility_kinds(item);
        let facilities: Vec<Facility> = survey
            .facilities
            .into_iter()
            .filter(|f| kinds.contains(&f.kind))
            .collect();
        let photos = survey
            .photos
            .into_iter()
            .filter(|p| {
                p.item == Some(item)
                    || p.facility
                        .is_some_and(|f| facilities.iter().any(|fac| fac.id == f))
            })
            .collect();
        let notes = survey
            .items
            .iter()
            .find(|r| r.item == item)
            .and_then(|r| r.notes.clone());
        Ok(ItemView {
            result,
            notes,
            facilities,
            photos,
        })
    }

    /// Changes this device made, logged after position `after`, oldest first, at most `limit`:
    /// what the sync client sends next. (Changes pulled from the server are in the log too, but
    /// are not this device's to send.)
    pub fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<LoggedChange>> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, community, kind, entity, field, value,
                    coalesce(capped_from, hlc), device, base_hlc, base_device
             FROM change WHERE device = ?3 AND seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64, self.device.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, community, kind, entity, field, value, hlc, device, base_hlc, base_device) =
                row?;
            let base = match (base_hlc.as_deref().and_then(Hlc::from_hex), base_device) {
                (Some(hlc), Some(device)) => Some(Stamp {
                    hlc,
                    device: parse_id(&device),
                }),
                _ => None,
            };
            out.push(LoggedChange {
                seq,
                change: Change {
                    community: parse_id(&community),
                    kind: EntityKind::from_id(&kind).unwrap_or(EntityKind::Community),
                    entity: parse_id(&entity),
                    field,
                    value: serde_json::from_str(&value).unwrap_or(Value::Null),
                    hlc: Hlc::from_hex(&hlc).unwrap_or(Hlc(0)),
                    device: parse_id(&device),
                    base,
                },
            });
        }
        Ok(out)
    }
}

/// A community's records that are not deleted: the community first, then each kind by id (for
/// UUIDv7 ids, the order they were born in).
pub(super) fn live_records(conn: &Connection, community: Uuid) -> Result<Vec<Record>> {
    let id = community.to_string();
    let mut records = Vec::new();
    let fields: Option<String> = conn
        .query_row(
            "SELECT fields FROM community WHERE id = ?1 AND deleted = 0",
            [&id],
            |r| r.get(0),
        )
        .optional()?;
    // A deleted (or unknown) community has no live survey, whatever records it still holds.
    let Some(fields) = fields else {
        return Ok(records);
    };
    records.push(Record {
        kind: EntityKind::Community,
        id: community,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
    });
    for kind in EntityKind::ALL
        .into_iter()
        .filter(|k| *k != EntityKind::Community)
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT id, fields FROM {} WHERE community = ?1 AND deleted = 0 ORDER BY id",
            table(kind)
        ))?;
        let rows = stmt.query_map([&id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (rid, fields) = row?;
            records.push(Record {
                kind,
                id: parse_id(&rid),
                fields: serde_json::from_str(&fields).unwrap_or_default(),
            });
        }
    }
    Ok(records)
}

/// Ids in the store were written by the store from `Uuid`s.
fn parse_id(text: &str) -> Uuid {
    Uuid::parse_str(text).unwrap_or(Uuid::nil())
}
