//! buqi-schema: 《完整居住社区建设标准（试行）》 as data, the survey model, and the one evaluator.
//!
//! This crate is pure: no files, no network, no clock, no SQL. The field app and the server both
//! call it, so a community gets the same verdict on the tablet and in the office.
//!
//! - [`standard`]: the standard and city profiles, read from TOML (`schema/standards/`, `schema/profiles/`).
//! - [`survey`]: what a surveyor collects, and the JSON interchange format; [`read`] validates it.
//! - [`evaluate()`]: (survey, standard) → a result for each of the 20 items.
//! - [`ramp`]: a wheelchair ramp against GB 55019-2021.
//! - [`vocab`]: the kinds of facility and the features the standard names.
//! - [`record`]: a survey as records of fields, the unit of edits; [`change`]: an edit as it travels
//!   (field, value, hybrid-logical-clock stamp, device); [`merge`]: last-writer-wins per field,
//!   conflicts kept for the office, tombstones, and the cap on stamps from clocks set ahead;
//!   [`protocol`]: the sync protocol's messages, shared by the app and the server.

pub mod change;
pub mod checklist;
pub mod evaluate;
pub mod merge;
pub mod protocol;
pub mod ramp;
pub mod read;
pub mod record;
pub mod standard;
pub mod survey;
pub mod values;
pub mod vocab;

pub use evaluate::{evaluate, Evaluation, ItemStatus};
pub use read::InvalidSurvey;
pub use standard::{Profile, Standard};
pub use survey::Survey;

/// The JSON Schema of the survey interchange format, generated from the Rust types. The copy checked
/// in at `schema/survey.schema.json` is tested to equal this.
pub fn survey_json_schema() -> String {
    schema_text(schemars::schema_for!(survey::Survey))
}

/// The JSON Schema of an evaluation document (`buqi evaluate --format json-full`).
pub fn evaluation_json_schema() -> String {
    schema_text(schemars::schema_for!(evaluate::Evaluation))
}

/// A schema as text with its keys sorted. serde_json keeps insertion order when any crate in the
/// build turns on its `preserve_order` feature (the window's Tauri does), so without sorting the
/// same types would give different files in different builds.
fn schema_text(schema: schemars::Schema) -> String {
    fn sorted(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                serde_json::Value::Object(
                    entries.into_iter().map(|(k, v)| (k, sorted(v))).collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sorted).collect())
            }
            other => other,
        }
    }
    let value = sorted(schema.to_value());
    let mut text = serde_json::to_string_pretty(&value).expect("a schema always serialises");
    text.push('\n');
    text
}
