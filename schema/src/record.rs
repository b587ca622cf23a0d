//! The survey as records of fields: the shape in which the tablet's store keeps a survey and in
//! which edits travel to the server.
//!
//! A survey file is one nested document; a store that merges edits from many devices needs smaller
//! units. Every record (the community, a facility, a ramp, a photo, …) has its own id and a flat map
//! of fields, and a field is the unit of an edit: two surveyors who change two different fields of
//! one facility never conflict. [`records_of`] splits a survey into records and [`assemble`] puts
//! records back together into a survey, validated exactly as a survey file is.
//!
//! The community record carries, besides the community's own fields:
//! - `surveyed.<key>`: who surveyed and when (`surveyed.surveyor`, `surveyed.started_at`, …);
//! - `items.<n>.complete` and `items.<n>.notes`: the surveyor's record of item *n*;
//! - `observations.<id>`: a yes/no observation.
//!
//! A checkpoint is a record of its own whose `run` field names its checklist run. A field whose
//! value is JSON `null` is unset, the same as absent.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::read::{InvalidSurvey, Problem};
use crate::survey::{Survey, FORMAT, VERSION};

/// The fields of one record, by name.
pub type Fields = BTreeMap<String, Value>;

/// The checkpoint field that names the checklist run it belongs to.
pub const RUN: &str = "run";

/// The kinds of record a survey is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Community,
    Facility,
    Measurement,
    Entrance,
    Ramp,
    GpsPoint,
    Photo,
    ChecklistRun,
    Checkpoint,
}

impl EntityKind {
    pub const ALL: [EntityKind; 9] = [
        EntityKind::Community,
        EntityKind::Facility,
        EntityKind::Measurement,
        EntityKind::Entrance,
        EntityKind::Ramp,
        EntityKind::GpsPoint,
        EntityKind::Photo,
        EntityKind::ChecklistRun,
        EntityKind::Checkpoint,
    ];

    /// The kind's id in files, change logs and SQL (`gps_point`).
    pub fn id(self) -> &'static str {
        match self {
            EntityKind::Community => "community",
            EntityKind::Facility => "facility",
            EntityKind::Measurement => "measurement",
            EntityKind::Entrance => "entrance",
            EntityKind::Ramp => "ramp",
            EntityKind::GpsPoint => "gps_point",
            EntityKind::Photo => "photo",
            EntityKind::ChecklistRun => "checklist_run",
            EntityKind::Checkpoint => "checkpoint",
        }
    }

    pub fn from_id(id: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.id() == id)
    }

    /// The survey file's list that holds records of this kind (`None` for the community, which
    /// is the file's own `community`, and for checkpoints, which sit inside their run).
    fn list(self) -> Option<&'static str> {
        match self {
            EntityKind::Community | EntityKind::Checkpoint => None,
            EntityKind::Facility => Some("facilities"),
            EntityKind::Measurement => Some("measurements"),
            EntityKind::Entrance => Some("entrances"),
            EntityKind::Ramp => Some("ramps"),
            EntityKind::GpsPoint => Some("gps_points"),
            EntityKind::Photo => Some("photos"),
            EntityKind::ChecklistRun => Some("checklist_runs"),
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One record of a survey: a kind, an id made where the record was born, and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub kind: EntityKind,
    pub id: Uuid,
    pub fields: Fields,
}

/// Splits a survey into its records: the community first, then the rest in file order.
pub fn records_of(survey: &Survey) -> Vec<Record> {
    let mut records = Vec::new();

    let mut community = fields_of(&survey.community);
    if let Some(surveyed) = &survey.surveyed {
        for (key, value) in fields_of(surveyed) {
            community.insert(format!("surveyed.{key}"), value);
        }
    }
    for item in &survey.items {
        let n = item.item;
        community.insert(format!("items.{n}.complete"), Value::Bool(item.complete));
        if let Some(notes) = &item.notes {
            community.insert(format!("items.{n}.notes"), Value::String(notes.clone()));
        }
    }
    for (id, yes) in &survey.observations {
        community.insert(format!("observations.{id}"), Value::Bool(*yes));
    }
    records.push(Record {
        kind: EntityKind::Community,
        id: survey.community.id,
        fields: community,
    });

    fn push<T: Serialize>(records: &mut Vec<Record>, kind: EntityKind, id: Uuid, value: &T) {
        records.push(Record {
            kind,
            id,
            fields: fields_of(value),
        });
    }
    for f in &survey.facilities {
        push(&mut records, EntityKind::Facility, f.id, f);
    }
    for m in &survey.measurements {
        push(&mut records, EntityKind::Measurement, m.id, m);
    }
    for e in &survey.entrances {
        push(&mut records, EntityKind::Entrance, e.id, e);
    }
    for r in &survey.ramps {
        push(&mut records, EntityKind::Ramp, r.id, r);
    }
    for g in &survey.gps_points {
        push(&mut records, EntityKind::GpsPoint, g.id, g);
    }
    for p in &survey.photos {
        push(&mut records, EntityKind::Photo, p.id, p);
    }
    for run in &survey.checklist_runs {
        let mut fields = fields_of(run);
        fields.remove("checkpoints");
        records.push(Record {
            kind: EntityKind::ChecklistRun,
            id: run.id,
            fields,
        });
        for cp in &run.checkpoints {
            let mut fields = fields_of(cp);
            fields.insert(RUN.to_owned(), Value::String(run.id.to_string()));
            records.push(Record {
                kind: EntityKind::Checkpoint,
                id: cp.id,
                fields,
            });
        }
    }
    records
}

/// A record's fields: its serialised form without the id, which the record carries itself.
fn fields_of<T: Serialize>(value: &T) -> Fields {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map.into_iter().filter(|(k, _)| k != "id").collect(),
        // Every record type serialises to an object; nothing else reaches here.
        _ => Fields::new(),
    }
}

/// Puts a community's live records back together into a survey and validates it as a survey file
/// is validated. `records` must hold exactly one community record; the others are listed in the
/// order they should appear in (the store passes them by id, which for UUIDv7 is birth order).
///
/// Problems name the record and the field (`facility 0190….building_area_m2`): positions in
/// the assembled lists mean nothing to whoever made the edit.
pub fn assemble<'a>(
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<Survey, InvalidSurvey> {
    assemble_part(records, &|_| None)
}

/// Like [`assemble`], for part of a survey: the community record and some of the others.
/// References to records not given are resolved by `elsewhere`, which says what kind of record
/// (if any) has an id outside the part. The store validates an edit this way, reading only the
/// records the edit touched, so an edit costs the same in a survey of ten records or of ten
/// thousand.
pub fn assemble_part<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    elsewhere: &dyn Fn(Uuid) -> Option<EntityKind>,
) -> Result<Survey, InvalidSurvey> {
    let (survey, _) = build(records, true)?;
    let index = RecordIndex::of(&survey);
    Survey::part_from_value(Value::Object(survey), elsewhere).map_err(|e| index.rename(e))
}

/// A survey merged from several devices, with what does not fit together in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub survey: Survey,
    /// What the survey file's validation would refuse, kept as warnings: each edit was valid
    /// where it was made, but edits made apart may not fit together (a photo of a facility
    /// another surveyor deleted, a checkpoint of a deleted run, more charging spaces than spaces).
    pub warnings: Vec<Problem>,
}

/// Puts records merged from several devices together. Unlike [`assemble`], it does not refuse a
/// survey whose parts do not fit together: merged work is what the surveyors did, and refusing
/// it would hide it. A checkpoint whose run is gone is left out (with a warning); dangling
/// references and other cross-record problems are warnings, which the evaluator tolerates (it
/// looks records up by id). Values of the wrong type are still refused: every device validated
/// each value it wrote, so one of those means a broken device, not a merge.
pub fn assemble_merged<'a>(
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<Merged, InvalidSurvey> {
    let (survey, mut warnings) = build(records, false)?;
    let index = RecordIndex::of(&survey);
    let survey =
        Survey::unchecked_from_value(Value::Object(survey)).map_err(|e| index.rename(e))?;
    warnings.extend(survey.problems().into_iter().map(|mut p| {
        p.path = index.name(&p.path);
        p
    }));
    Ok(Merged { survey, warnings })
}

/// The survey's JSON from its records, and (when not `strict`) what was left out of it.
fn build<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    strict: bool,
) -> Result<(Map<String, Value>, Vec<Problem>), InvalidSurvey> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut community: Option<&Record> = None;
    let mut lists: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let mut runs: Vec<(Uuid, Map<String, Value>)> = Vec::new();
    let mut checkpoints: Vec<&Record> = Vec::new();

    for record in records {
        match record.kind {
            EntityKind::Community => {
                if let Some(first) = community {
                    problems.push(Problem {
                        path: format!("community {}", record.id),
                        message: format!(
                            "a survey has one community, and {} is already it",
                            first.id
                        ),
                    });
                } else {
                    community = Some(record);
                }
            }
            EntityKind::Checkpoint => checkpoints.push(record),
            EntityKind::ChecklistRun => runs.push((record.id, object_of(record))),
            kind => {
                let list = kind
                    .list()
                    .expect("only the community and checkpoints have no list");
                lists
                    .entry(list)
                    .or_default()
                    .push(Value::Object(object_of(record)));
            }
        }
    }

    for cp in checkpoints {
        let run = cp.fields.get(RUN).and_then(Value::as_str);
        let slot = run
            .and_then(|r| Uuid::parse_str(r).ok())
            .and_then(|r| runs.iter_mut().find(|(id, _)| *id == r));
        match slot {
            Some((_, run)) => {
                let mut object = object_of(cp);
                object.remove(RUN);
                let list = run
                    .entry("checkpoints")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = list {
                    list.push(Value::Object(object));
                }
            }
            None => (if strict { &mut problems } else { &mut warnings }).push(Problem {
                path: format!("checkpoint {}", cp.id),
                message: match run {
                    Some(run) => format!("no checklist run has id {run}"),
                    None => "a checkpoint needs the checklist run it belongs to (field \"run\")"
                        .to_owned(),
                },
            }),
        }
    }

    let Some(community) = community else {
        problems.push(Problem {
            path: String::new(),
            message: "a survey needs its community record".to_owned(),
        });
        return Err(InvalidSurvey { problems });
    };

    let mut survey = Map::new();
    survey.insert("format".into(), Value::String(FORMAT.into()));
    survey.insert("version".into(), Value::from(VERSION));
    let mut profile = Map::new();
    profile.insert("id".into(), Value::String(community.id.to_string()));
    let mut surveyed = Map::new();
    let mut items: BTreeMap<u8, Map<String, Value>> = BTreeMap::new();
    let mut observations = Map::new();
    for (key, value) in &community.fields {
        if value.is_null() {
            continue;
        }
        if let Some(key) = key.strip_prefix("surveyed.") {
            surveyed.insert(key.to_owned(), value.clone());
        } else if let Some(id) = key.strip_prefix("observations.") {
            observations.insert(id.to_owned(), value.clone());
        } else if let Some(rest) = key.strip_prefix("items.") {
            let parsed = rest
                .split_once('.')
                .and_then(|(n, field)| Some((n.parse::<u8>().ok()?, field)))
                .filter(|(_, field)| matches!(*field, "complete" | "notes"));
            match parsed {
                Some((n, field)) => {
                    items
                        .entry(n)
                        .or_default()
                        .insert(field.to_owned(), value.clone());
                }
                None => problems.push(Problem {
                    path: format!("community.{key}"),
                    message: "expected items.<1–20>.complete or items.<1–20>.notes".to_owned(),
                }),
            }
        } else if key == "id" {
            problems.push(Problem {
                path: "community.id".to_owned(),
                message: "a record's id is not a field and cannot be changed".to_owned(),
            });
        } else {
            profile.insert(key.clone(), value.clone());
        }
    }
    if !surveyed.is_empty() {
        survey.insert("surveyed".into(), Value::Object(surveyed));
    }
    survey.insert("community".into(), Value::Object(profile));
    let items: Vec<Value> = items
        .into_iter()
        .map(|(n, mut fields)| {
            fields.insert("item".into(), Value::from(n));
            Value::Object(fields)
        })
        .collect();
    survey.insert("items".into(), Value::Array(items));
    survey.insert("observations".into(), Value::Object(observations));
    for (list, values) in lists {
        survey.insert(list.into(), Value::Array(values));
    }
    let runs: Vec<Value> = runs
        .into_iter()
        .map(|(_, mut run)| {
            run.entry("checkpoints")
                .or_insert_with(|| Value::Array(Vec::new()));
            Value::Object(run)
        })
        .collect();
    survey.insert("checklist_runs".into(), Value::Array(runs));

    if !problems.is_empty() {
        return Err(InvalidSurvey { problems });
    }
    Ok((survey, warnings))
}

/// Which record sits at which position of the assembled survey, to name records in problems.
struct RecordIndex {
    lists: Vec<(&'static str, EntityKind, Vec<String>)>,
    checkpoints: Vec<Vec<String>>,
}

impl RecordIndex {
    fn of(survey: &Map<String, Value>) -> RecordIndex {
        let ids = |list: &Value| -> Vec<String> {
            list.as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| i["id"].as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        let lists = EntityKind::ALL
            .into_iter()
            .filter_map(|kind| Some((kind.list()?, kind)))
            .map(|(list, kind)| (list, kind, survey.get(list).map(ids).unwrap_or_default()))
            .collect();
        let checkpoints = survey
            .get("checklist_runs")
            .and_then(Value::as_array)
            .map(|runs| runs.iter().map(|r| ids(&r["checkpoints"])).collect())
            .unwrap_or_default();
        RecordIndex { lists, checkpoints }
    }

    fn rename(&self, mut invalid: InvalidSurvey) -> InvalidSurvey {
        for problem in &mut invalid.problems {
            problem.path = self.name(&problem.path);
        }
        invalid
    }

    /// `facilities[2].building_area_m2` → `facility 0190….building_area_m2`.
    fn name(&self, path: &str) -> String {
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        let Some((list, i)) = head
            .strip_suffix(']')
            .and_then(|h| h.split_once('['))
            .and_then(|(l, i)| Some((l, i.parse::<usize>().ok()?)))
        else {
            return path.to_owned();
        };
        let Some((_, kind, ids)) = self.lists.iter().find(|(l, _, _)| *l == list) else {
            return path.to_owned();
        };
        let Some(id) = ids.get(i) else {
            return path.to_owned();
        };
        if *kind == EntityKind::ChecklistRun {
            let (segment, after) = rest.split_once('.').unwrap_or((rest, ""));
            let j = segment
                .strip_prefix("checkpoints[")
                .and_then(|x| x.strip_suffix(']'))
                .and_then(|x| x.parse::<usize>().ok());
            if let Some(cp_id) = j.and_then(|j| self.checkpoints.get(i)?.get(j)) {
                return join(&format!("checkpoint {cp_id}"), after);
            }
        }
        join(&format!("{kind} {id}"), rest)
    }
}

fn join(record: &str, rest: &str) -> String {
    if rest.is_empty() {
        record.to_owned()
    } else {
        format!("{record}.{rest}")
    }
}

/// A record as a JSON object with its id, unset (null) fields left out.
fn object_of(record: &Record) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("id".into(), Value::String(record.id.to_string()));
    for (key, value) in &record.fields {
        if !value.is_null() && key != "id" {
            object.insert(key.clone(), value.clone());
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str) -> Survey {
        let path = format!("{}/../examples/{name}.json", env!("CARGO_MANIFEST_DIR"));
        Survey::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn every_example_survives_the_round_trip() {
        for name in [
            "wuhan-old-estate",
            "shenyang-new-complete",
            "guangzhou-new-large",
            "xian-existing-partial",
            "yichang-hubei-profile",
        ] {
            let survey = example(name);
            let records = records_of(&survey);
            let back = assemble(&records).unwrap_or_else(|e| panic!("{name}: {e}"));
            // Item records come back in item order; the examples list them that way too.
            assert_eq!(back, survey, "{name}");
        }
    }

    #[test]
    fn merged_work_that_does_not_fit_is_kept_with_warnings() {
        let survey = example("wuhan-old-estate");
        let mut records = records_of(&survey);
        // Another surveyor deleted the facility this photo is of.
        let gone = Uuid::from_u128(77);
        let mut photo = Fields::new();
        photo.insert("sha256".into(), Value::from("ab".repeat(32)));
        photo.insert("facility".into(), Value::from(gone.to_string()));
        records.push(Record {
            kind: EntityKind::Photo,
            id: Uuid::from_u128(78),
            fields: photo,
        });
        // And a checkpoint whose run was deleted.
        let mut cp = Fields::new();
        cp.insert("label".into(), Value::from("入口"));
        cp.insert("target".into(), Value::from("entrance"));
        cp.insert(RUN.into(), Value::from(Uuid::from_u128(79).to_string()));
        records.push(Record {
            kind: EntityKind::Checkpoint,
            id: Uuid::from_u128(80),
            fields: cp,
        });
        assert!(assemble(&records).is_err());
        let merged = assemble_merged(&records).unwrap();
        assert_eq!(merged.survey.photos.len(), 1);
        let warnings: Vec<String> = merged.warnings.iter().map(|w| w.to_string()).collect();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.starts_with(&format!(
                "photo {}.facility: no facility has id {gone}",
                Uuid::from_u128(78)
            ))),
            "{warnings:?}"
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("no checklist run has id")),
            "{warnings:?}"
        );

        // A value of the wrong type is not a merge problem: it is refused.
        records[1]
            .fields
            .insert("building_area_m2".into(), Value::from("big"));
        assert!(assemble_merged(&records).is_err());
    }

    #[test]
    fn kind_ids_round_trip() {
        for kind in EntityKind::ALL {
            assert_eq!(EntityKind::from_id(kind.id()), Some(kind));
        }
        assert_eq!(EntityKind::from_id("kindergarten"), None);
    }

    #[test]
    fn a_bad_field_is_named_by_its_path() {
        let survey = example("wuhan-old-estate");
        let mut records = records_of(&survey);
        let facility = records
            .iter_mut()
            .find(|r| r.kind == EntityKind::Facility)
            .unwrap();
        facility
            .fields
            .insert("building_area_m2".into(), Value::from(-3));
        let id = facility.id;
        let err = assemble(&records).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("facility {id}.building_area_m2: ")),
            "{err}"
        );
    }

    #[test]
    fn unknown_fields_and_orphan_checkpoints_are_refused() {
        let id = Uuid::from_u128(1);
        let mut community = Fields::new();
        community.insert("name".into(), Value::from("某社区"));
        community.insert("items.3.colour".into(), Value::from("red"));
        let cp = Uuid::from_u128(2);
        let mut cp_fields = Fields::new();
        cp_fields.insert("label".into(), Value::from("入口"));
        cp_fields.insert("target".into(), Value::from("entrance"));
        cp_fields.insert(RUN.into(), Value::from(Uuid::from_u128(9).to_string()));
        let records = [
            Record {
                kind: EntityKind::Community,
                id,
                fields: community,
            },
            Record {
                kind: EntityKind::Checkpoint,
                id: cp,
                fields: cp_fields,
            },
        ];
        let err = assemble(&records).unwrap_err().to_string();
        assert!(
            err.contains("community.items.3.colour: expected items.<1–20>.complete"),
            "{err}"
        );
        assert!(
            err.contains("no checklist run has id 00000000-0000-0000-0000-000000000009"),
            "{err}"
        );
    }
}
