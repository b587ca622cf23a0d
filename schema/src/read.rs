//! Reading a survey file: parse, then validate, and either return the whole survey or say exactly
//! what is wrong and where. Never a panic, never a partial result.
//!
//! Every problem names the path of the bad field in the file (`facilities[3].building_area_m2`), so
//! that whoever fixes the file does not have to hunt for it.

use std::collections::{HashMap, HashSet};
use std::fmt;

use uuid::Uuid;

use crate::record::EntityKind;
use crate::survey::{Position, Survey, Walk, FORMAT, VERSION};

/// One thing wrong with a survey file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the file, as `facilities[3].building_area_m2`; empty for the file as a whole.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A survey file that could not be read. It lists every problem found; a file that does not parse
/// stops at the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSurvey {
    pub problems: Vec<Problem>,
}

impl fmt::Display for InvalidSurvey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidSurvey {}

impl Survey {
    /// Reads and validates a survey in the JSON interchange format.
    pub fn from_json(text: &str) -> Result<Survey, InvalidSurvey> {
        let survey = parse(text).map_err(|p| InvalidSurvey { problems: vec![p] })?;
        checked(survey)
    }

    /// Reads and validates a survey already parsed into JSON values (as the store assembles it).
    pub fn from_value(value: serde_json::Value) -> Result<Survey, InvalidSurvey> {
        Survey::part_from_value(value, &|_| None)
    }

    /// Reads and validates part of a survey: references to ids not in `value` are resolved by
    /// `elsewhere`, which says what kind of record (if any) has that id outside it. The store
    /// validates an edit this way, with just the records the edit touched.
    pub fn part_from_value(
        value: serde_json::Value,
        elsewhere: &dyn Fn(Uuid) -> Option<EntityKind>,
    ) -> Result<Survey, InvalidSurvey> {
        let survey: Survey =
            serde_path_to_error::deserialize(value).map_err(|err| InvalidSurvey {
                problems: vec![located_problem(err)],
            })?;
        let problems = validate(&survey, elsewhere);
        if problems.is_empty() {
            Ok(survey)
        } else {
            Err(InvalidSurvey { problems })
        }
    }

    /// Reads a survey's values (types, ranges of single values, unknown fields) without judging
    /// how its records fit together; see [`crate::record::assemble_merged`].
    pub(crate) fn unchecked_from_value(value: serde_json::Value) -> Result<Survey, InvalidSurvey> {
        serde_path_to_error::deserialize(value).map_err(|err| InvalidSurvey {
            problems: vec![located_problem(err)],
        })
    }

    /// What the survey file's validation finds wrong with this survey (empty when it is valid).
    pub fn problems(&self) -> Vec<Problem> {
        validate(self, &|_| None)
    }

    /// The survey as pretty JSON in the interchange format.
    pub fn to_json(&self) -> String {
        // Serialising plain data structs cannot fail: no maps with non-string keys, no custom errors.
        serde_json::to_string_pretty(self).expect("a survey always serialises")
    }
}

fn checked(survey: Survey) -> Result<Survey, InvalidSurvey> {
    let problems = validate(&survey, &|_| None);
    if problems.is_empty() {
        Ok(survey)
    } else {
        Err(InvalidSurvey { problems })
    }
}

fn parse(text: &str) -> Result<Survey, Problem> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let survey: Survey =
        serde_path_to_error::deserialize(&mut deserializer).map_err(located_problem)?;
    deserializer.end().map_err(|err| Problem {
        path: String::new(),
        message: describe_json_error(&err),
    })?;
    Ok(survey)
}

fn located_problem(err: serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let path = err.path().to_string();
    let inner = err.into_inner();
    Problem {
        path: if path == "." || path == "?" {
            String::new()
        } else {
            path
        },
        message: describe_json_error(&inner),
    }
}

/// serde_json ends its messages with " at line L column C"; say it the same way for every kind of error.
fn describe_json_error(err: &serde_json::Error) -> String {
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let bare = text.strip_suffix(&suffix).unwrap_or(&text);
    if err.line() == 0 {
        bare.to_owned()
    } else {
        format!("{bare} (line {}, column {})", err.line(), err.column())
    }
}

/// Collects problems with their paths.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn position(&mut self, path: &str, p: &Position) {
        self.lon_lat(path, p.lon, p.lat);
    }

    fn lon_lat(&mut self, path: &str, lon: f64, lat: f64) {
        if !(-180.0..=180.0).contains(&lon) {
            self.fail(
                format!("{path}.lon"),
                format!("expected a longitude from -180 to 180, got {lon}"),
            );
        }
        if !(-90.0..=90.0).contains(&lat) {
            self.fail(
                format!("{path}.lat"),
                format!("expected a latitude from -90 to 90, got {lat}"),
            );
        }
    }

    fn item_number(&mut self, path: String, item: u8) {
        if !(1..=20).contains(&item) {
            self.fail(
                path,
                format!("expected an item number from 1 to 20, got {item}"),
            );
        }
    }
}

/// How a problem names a kind of record: "a facility", "an entrance".
fn a(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Community => "the community",
        EntityKind::Facility => "a facility",
        EntityKind::Measurement => "a measurement",
        EntityKind::Entrance => "an entrance",
        EntityKind::Ramp => "a ramp",
        EntityKind::GpsPoint => "a GPS point",
        EntityKind::Photo => "a photo",
        EntityKind::ChecklistRun => "a checklist run",
        EntityKind::Checkpoint => "a checkpoint",
    }
}

fn validate(s: &Survey, elsewhere: &dyn Fn(Uuid) -> Option<EntityKind>) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };

    if s.format != FORMAT {
        c.fail(
            "format",
            format!("expected \"{FORMAT}\", got {:?}", s.format),
        );
    }
    if s.version != VERSION {
        c.fail(
            "version",
            format!("this buqi reads version {VERSION}, got {}", s.version),
        );
    }
    if s.community.name.trim().is_empty() {
        c.fail(
            "community.name",
            "expected the community's name, got an empty text",
        );
    }

    // Ids are unique across the whole file: every record is born with its own UUID.
    let mut ids: HashMap<Uuid, (EntityKind, String)> = HashMap::new();
    let mut register = |c: &mut Checker, id: Uuid, record: EntityKind, path: String| {
        if let Some((_, first)) = ids.get(&id) {
            c.fail(
                format!("{path}.id"),
                format!("id {id} is already used by {first}"),
            );
        } else {
            ids.insert(id, (record, path));
        }
    };
    register(
        &mut c,
        s.community.id,
        EntityKind::Community,
        "community".into(),
    );
    for (i, f) in s.facilities.iter().enumerate() {
        register(
            &mut c,
            f.id,
            EntityKind::Facility,
            format!("facilities[{i}]"),
        );
    }
    for (i, m) in s.measurements.iter().enumerate() {
        register(
            &mut c,
            m.id,
            EntityKind::Measurement,
            format!("measurements[{i}]"),
        );
    }
    for (i, e) in s.entrances.iter().enumerate() {
        register(
            &mut c,
            e.id,
            EntityKind::Entrance,
            format!("entrances[{i}]"),
        );
    }
    for (i, r) in s.ramps.iter().enumerate() {
        register(&mut c, r.id, EntityKind::Ramp, format!("ramps[{i}]"));
    }
    for (i, g) in s.gps_points.iter().enumerate() {
        register(
            &mut c,
            g.id,
            EntityKind::GpsPoint,
            format!("gps_points[{i}]"),
        );
    }
    for (i, p) in s.photos.iter().enumerate() {
        register(&mut c, p.id, EntityKind::Photo, format!("photos[{i}]"));
    }
    for (i, run) in s.checklist_runs.iter().enumerate() {
        register(
            &mut c,
            run.id,
            EntityKind::ChecklistRun,
            format!("checklist_runs[{i}]"),
        );
        for (j, cp) in run.checkpoints.iter().enumerate() {
            register(
                &mut c,
                cp.id,
                EntityKind::Checkpoint,
                format!("checklist_runs[{i}].checkpoints[{j}]"),
            );
        }
    }

    let refers = |c: &mut Checker, path: String, id: Option<Uuid>, want: EntityKind| {
        let Some(id) = id else { return };
        match ids.get(&id) {
            Some((got, _)) if *got == want => {}
            Some((got, at)) => c.fail(
                path,
                format!("expected {} id, but {id} is {} ({at})", a(want), a(*got)),
            ),
            None => match elsewhere(id) {
                Some(got) if got == want => {}
                Some(got) => c.fail(
                    path,
                    format!("expected {} id, but {id} is {}", a(want), a(got)),
                ),
                None => c.fail(
                    path,
                    format!(
                        "no {} has id {id}",
                        a(want).trim_start_matches("a ").trim_start_matches("an ")
                    ),
                ),
            },
        }
    };

    let mut seen_items = HashSet::new();
    for (i, r) in s.items.iter().enumerate() {
        c.item_number(format!("items[{i}].item"), r.item);
        if !seen_items.insert(r.item) {
            c.fail(
                format!("items[{i}].item"),
                format!("item {} is recorded twice", r.item),
            );
        }
    }

    for key in s.observations.keys() {
        let ok = !key.is_empty()
            && key
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' || ch == '.');
        if !ok {
            c.fail(
                format!("observations.{key}"),
                "expected an observation id of lowercase letters, digits, '_' and '.'",
            );
        }
    }

    if let Some(b) = &s.community.boundary {
        for (i, [lon, lat]) in b.ring.iter().enumerate() {
            c.lon_lat(&format!("community.boundary.ring[{i}]"), *lon, *lat);
        }
        let distinct: HashSet<(u64, u64)> = b
            .ring
            .iter()
            .map(|[lon, lat]| (lon.to_bits(), lat.to_bits()))
            .collect();
        if distinct.len() < 3 {
            c.fail(
                "community.boundary.ring",
                format!(
                    "expected at least 3 distinct points, got {}",
                    distinct.len()
                ),
            );
        }
    }

    for (i, f) in s.facilities.iter().enumerate() {
        let at = format!("facilities[{i}]");
        if let Some(p) = &f.position {
            c.position(&format!("{at}.position"), p);
        }
        refers(
            &mut c,
            format!("{at}.located_in"),
            f.located_in,
            EntityKind::Facility,
        );
        if f.located_in == Some(f.id) {
            c.fail(
                format!("{at}.located_in"),
                "a facility cannot sit inside itself",
            );
        }
        if let (Some(spaces), charging, provisioned) =
            (f.spaces, f.charging_spaces, f.charging_provisioned_spaces)
        {
            let ready =
                charging.map_or(0, |n| n.get() as u64) + provisioned.map_or(0, |n| n.get() as u64);
            if ready > spaces.get() as u64 {
                c.fail(
                    format!("{at}.charging_spaces"),
                    format!(
                        "{ready} spaces with charging or provision, but only {} spaces",
                        spaces.get()
                    ),
                );
            }
        }
        if let (Some(sports), Some(land)) = (f.sports_area_m2, f.land_area_m2) {
            if sports.get() > land.get() {
                c.fail(
                    format!("{at}.sports_area_m2"),
                    format!(
                        "sports area {} m² is larger than the land area {} m²",
                        sports.get(),
                        land.get()
                    ),
                );
            }
        }
        if let Some(Walk::StraightLine { detour_factor, .. }) = f.walk {
            if detour_factor.get() < 1.0 {
                c.fail(
                    format!("{at}.walk.detour_factor"),
                    format!("expected a detour factor ≥ 1, got {}", detour_factor.get()),
                );
            }
        }
        let mut features = HashSet::new();
        for (j, feature) in f.features.iter().enumerate() {
            if !features.insert(feature) {
                c.fail(
                    format!("{at}.features[{j}]"),
                    format!("{feature} is listed twice"),
                );
            }
        }
    }

    for (i, m) in s.measurements.iter().enumerate() {
        let at = format!("measurements[{i}]");
        refers(
            &mut c,
            format!("{at}.facility"),
            m.facility,
            EntityKind::Facility,
        );
        for (j, p) in m.gps_points.iter().enumerate() {
            refers(
                &mut c,
                format!("{at}.gps_points[{j}]"),
                Some(*p),
                EntityKind::GpsPoint,
            );
        }
    }

    for (i, e) in s.entrances.iter().enumerate() {
        let at = format!("entrances[{i}]");
        refers(&mut c, format!("{at}.ramp"), e.ramp, EntityKind::Ramp);
        if let Some(p) = &e.position {
            c.position(&format!("{at}.position"), p);
        }
    }

    for (i, r) in s.ramps.iter().enumerate() {
        let at = format!("ramps[{i}]");
        if let Some(h) = &r.handrails {
            if h.sides > 2 {
                c.fail(
                    format!("{at}.handrails.sides"),
                    format!("expected 0, 1 or 2 sides, got {}", h.sides),
                );
            }
        }
        for (j, deg) in r.slope_readings_deg.iter().enumerate() {
            if deg.get() >= 45.0 {
                c.fail(
                    format!("{at}.slope_readings_deg[{j}]"),
                    format!(
                        "expected a ramp slope below 45°, got {}°: was it read in percent?",
                        deg.get()
                    ),
                );
            }
        }
        if let Some(p) = &r.position {
            c.position(&format!("{at}.position"), p);
        }
    }

    for (i, g) in s.gps_points.iter().enumerate() {
        let at = format!("gps_points[{i}]");
        c.lon_lat(&at, g.lon, g.lat);
        refers(
            &mut c,
            format!("{at}.facility"),
            g.facility,
            EntityKind::Facility,
        );
    }

    let is_sha256 = |h: &str| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    for (i, p) in s.photos.iter().enumerate() {
        let at = format!("photos[{i}]");
        if !is_sha256(&p.sha256) {
            c.fail(
                format!("{at}.sha256"),
                format!("expected 64 lowercase hex digits, got {:?}", p.sha256),
            );
        }
        if let Some(item) = p.item {
            c.item_number(format!("{at}.item"), item);
        }
        refers(
            &mut c,
            format!("{at}.facility"),
            p.facility,
            EntityKind::Facility,
        );
        if let Some(pos) = &p.position {
            c.position(&format!("{at}.position"), pos);
        }
        if let Some(b) = p.bearing_deg {
            if b.get() >= 360.0 {
                c.fail(
                    format!("{at}.bearing_deg"),
                    format!("expected a bearing from 0 to below 360, got {}", b.get()),
                );
            }
        }
    }

    for (i, run) in s.checklist_runs.iter().enumerate() {
        for (j, cp) in run.checkpoints.iter().enumerate() {
            let at = format!("checklist_runs[{i}].checkpoints[{j}]");
            refers(
                &mut c,
                format!("{at}.facility"),
                cp.facility,
                EntityKind::Facility,
            );
            refers(
                &mut c,
                format!("{at}.entrance"),
                cp.entrance,
                EntityKind::Entrance,
            );
            refers(&mut c, format!("{at}.ramp"), cp.ramp, EntityKind::Ramp);
            for (k, h) in cp.photos.iter().enumerate() {
                if !is_sha256(h) {
                    c.fail(
                        format!("{at}.photos[{k}]"),
                        format!("expected 64 lowercase hex digits, got {h:?}"),
                    );
                }
            }
        }
    }

    c.problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
        "format": "buqi.survey", "version": 1,
        "community": { "id": "0190c3a0-0000-7000-8000-000000000001", "name": "示例社区" }
    }"#;

    fn problems(json: &str) -> Vec<String> {
        Survey::from_json(json)
            .unwrap_err()
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn minimal_file_reads() {
        let s = Survey::from_json(MINIMAL).unwrap();
        assert_eq!(s.community.name, "示例社区");
        assert!(s.facilities.is_empty());
    }

    #[test]
    fn bad_number_names_its_path() {
        let json = MINIMAL.replace(
            r#""name": "示例社区" }"#,
            r#""name": "示例社区" },
            "facilities": [
              { "id": "0190c3a0-0000-7000-8000-000000000002", "kind": "nursery" },
              { "id": "0190c3a0-0000-7000-8000-000000000003", "kind": "nursery", "building_area_m2": "abc" }
            ]"#,
        );
        let got = problems(&json);
        assert_eq!(got.len(), 1);
        assert!(
            got[0]
                .starts_with(r#"facilities[1].building_area_m2: expected a number ≥ 0, got "abc""#),
            "{got:?}"
        );
    }

    #[test]
    fn syntax_error_says_where() {
        let got = problems(r#"{ "format": "buqi.survey", "#);
        assert!(got[0].contains("line 1"), "{got:?}");
    }

    #[test]
    fn wrong_format_and_version_are_named() {
        let json = MINIMAL
            .replace("buqi.survey", "something.else")
            .replace(r#""version": 1"#, r#""version": 9"#);
        let got = problems(&json);
        assert_eq!(
            got,
            vec![
                r#"format: expected "buqi.survey", got "something.else""#.to_string(),
                "version: this buqi reads version 1, got 9".to_string(),
            ]
        );
    }

    #[test]
    fn dangling_and_duplicate_ids_are_refused() {
        let json = MINIMAL.replace(
            r#""name": "示例社区" }"#,
            r#""name": "示例社区" },
            "facilities": [
              { "id": "0190c3a0-0000-7000-8000-000000000002", "kind": "elderly_station",
                "located_in": "0190c3a0-0000-7000-8000-00000000000f" },
              { "id": "0190c3a0-0000-7000-8000-000000000002", "kind": "nursery" }
            ]"#,
        );
        let got = problems(&json);
        assert!(got.iter().any(|p| p.starts_with("facilities[1].id: id 0190c3a0-0000-7000-8000-000000000002 is already used by facilities[0]")), "{got:?}");
        assert!(
            got.iter()
                .any(|p| p.starts_with("facilities[0].located_in: no facility has id")),
            "{got:?}"
        );
    }

    #[test]
    fn unknown_field_and_kind_are_refused() {
        let json = MINIMAL.replace(r#""name": "示例社区""#, r#""name": "示例社区", "nmae": 1"#);
        assert!(problems(&json)[0].starts_with("community.nmae: unknown field `nmae`"));
        let json = MINIMAL.replace(
            r#""name": "示例社区" }"#,
            r#""name": "示例社区" }, "facilities": [{ "id": "0190c3a0-0000-7000-8000-000000000002", "kind": "kinder" }]"#,
        );
        assert!(problems(&json)[0].starts_with("facilities[0].kind: unknown variant `kinder`"));
    }
}
