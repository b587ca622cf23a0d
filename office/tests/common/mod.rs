//! Inputs for the tests: the repository's real example surveys, evaluated by the real evaluator.
#![allow(dead_code)]

use std::path::PathBuf;

use buqi_schema::{evaluate, Evaluation, Standard, Survey};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn read_survey(relative: &str) -> Survey {
    let path = repo().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Survey::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn example(name: &str) -> Survey {
    read_survey(&format!("examples/{name}.json"))
}

pub fn evaluated(survey: &Survey) -> Evaluation {
    evaluate(survey, &Standard::builtin())
}

pub const EXAMPLES: [&str; 5] = [
    "guangzhou-new-large",
    "shenyang-new-complete",
    "wuhan-old-estate",
    "xian-existing-partial",
    "yichang-hubei-profile",
];
