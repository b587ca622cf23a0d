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

use buqi_office::figures::Surveyed;
use buqi_office::{CostTable, PlanOptions, Project};

/// A small city of real surveys: every example (its own city and district), and in 2025 and 2026
/// the Wuhan old estate, re-surveyed in 2026 with its drainage fixed.
pub fn small_city() -> (Vec<Surveyed>, Vec<Project>) {
    let standard = Standard::builtin();
    let costs = CostTable::builtin();
    let options = PlanOptions::new(2027, "2026-11-20".parse().unwrap());
    let mut records = Vec::new();
    let mut projects = Vec::new();
    let wuhan = example("wuhan-old-estate");
    records.push(Surveyed {
        city: "武汉市".into(),
        district: "武昌区".into(),
        year: Some(2025),
        evaluation: evaluated(&wuhan),
    });
    for name in EXAMPLES {
        let mut survey = example(name);
        if name == "wuhan-old-estate" {
            survey.observations.insert("utility.drainage".into(), true);
        }
        let evaluation = evaluated(&survey);
        projects.extend(
            buqi_office::plan::plan(&survey, &evaluation, &standard, &costs, &options).unwrap(),
        );
        records.push(Surveyed {
            city: survey.community.city.clone().unwrap(),
            district: survey.community.district.clone().unwrap(),
            year: Some(2026),
            evaluation,
        });
    }
    buqi_office::rank(&mut projects, &options);
    (records, projects)
}
