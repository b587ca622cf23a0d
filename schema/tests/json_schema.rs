//! The JSON Schema checked in at `schema/survey.schema.json` is generated from the Rust types, and
//! must stay in step with them. Set `BUQI_BLESS=1` to write it anew after changing the model.

use std::path::{Path, PathBuf};

use buqi_schema::{evaluation_json_schema, survey_json_schema, Survey};

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> Vec<PathBuf> {
    let dir = crate_dir().join("../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no examples in {}", dir.display());
    files
}

/// Compares a checked-in schema with the one the types generate; `BUQI_BLESS=1` writes it anew.
fn in_step(file: &str, generated: String) {
    let path = crate_dir().join(file);
    if std::env::var_os("BUQI_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write the schema");
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "schema/{file} is out of date with the Rust types: run `BUQI_BLESS=1 cargo test -p buqi-schema --test json_schema` and commit it"
    );
}

#[test]
fn checked_in_survey_schema_matches_the_types() {
    in_step("survey.schema.json", survey_json_schema());
}

#[test]
fn checked_in_evaluation_schema_matches_the_types() {
    in_step("evaluation.schema.json", evaluation_json_schema());
}

#[test]
fn every_evaluation_passes_its_json_schema() {
    let schema: serde_json::Value = serde_json::from_str(&evaluation_json_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the generated schema compiles");
    let standard = buqi_schema::Standard::builtin();
    for path in examples() {
        let survey = Survey::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let value = serde_json::to_value(buqi_schema::evaluate(&survey, &standard)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

#[test]
fn every_example_passes_both_the_json_schema_and_the_reader() {
    let schema: serde_json::Value = serde_json::from_str(&survey_json_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the generated schema compiles");
    for path in examples() {
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        Survey::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn a_bad_value_is_refused_by_both() {
    let schema: serde_json::Value = serde_json::from_str(&survey_json_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let path = &examples()[0];
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    *value
        .pointer_mut("/facilities/0/building_area_m2")
        .expect("the first example's first facility has a building area") =
        serde_json::json!("abc");
    assert!(!validator.is_valid(&value));
    let err = Survey::from_json(&value.to_string())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("facilities[0].building_area_m2: expected a number ≥ 0, got \"abc\""),
        "{err}"
    );
}

#[test]
fn a_survey_survives_a_round_trip() {
    for path in examples() {
        let survey = Survey::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let again = Survey::from_json(&survey.to_json()).unwrap();
        assert_eq!(survey, again, "{}", path.display());
    }
}
