//! `buqi evaluate` as a user runs it: the real binary, on the files in `examples/`, and on files that
//! it must refuse.
//!
//! Every example's table is a snapshot (`tests/snapshots/`), and every example's verdict is also
//! asserted here, so that a wrong verdict cannot slip in through an accepted snapshot.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The workspace root: the binary runs there, so that paths in messages read `examples/…`.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("sync-server sits in the workspace")
        .to_path_buf()
}

fn buqi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_buqi"))
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("the buqi binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs `buqi evaluate` with these arguments; returns the whole command line too, for messages.
fn evaluate(args: &[&str]) -> (Vec<String>, Output) {
    let all: Vec<&str> = ["evaluate"].iter().chain(args).copied().collect();
    let out = buqi(&all);
    (all.iter().map(|a| a.to_string()).collect(), out)
}

/// Runs `buqi evaluate`, asserts it succeeded with nothing on stderr, and returns stdout.
fn evaluate_ok(args: &[&str]) -> String {
    let (all, out) = evaluate(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "buqi {all:?} failed:\n{}",
        stderr(&out)
    );
    assert!(
        out.stderr.is_empty(),
        "buqi {all:?} wrote to stderr:\n{}",
        stderr(&out)
    );
    stdout(&out)
}

fn evaluate_json(args: &[&str]) -> Value {
    let text = evaluate_ok(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Every survey file in `examples/`, as `examples/<name>.json`, sorted.
fn example_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(workspace().join("examples"))
        .expect("examples/ exists")
        .map(|e| e.expect("a directory entry").file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .map(|n| format!("examples/{n}"))
        .collect();
    files.sort();
    files
}

const PROFILE_HUBEI: &str = "schema/profiles/hubei-2023-draft.toml";

/// What each example is meant to show. A new example must be added here, or
/// `every_example_has_an_expectation` fails.
struct Expected {
    file: &'static str,
    verdict: &'static str,
    gap_items: &'static [u64],
    not_surveyed_items: &'static [u64],
    scale: &'static str,
}

const EXPECTED: &[Expected] = &[
    Expected {
        file: "examples/guangzhou-new-large.json",
        verdict: "not_complete",
        // Kindergarten too small and too far; parking below 1/household and charging below 100 %;
        // property room below 2 ‰ of the floor area.
        gap_items: &[2, 10, 16],
        not_surveyed_items: &[],
        scale: "above_split",
    },
    Expected {
        file: "examples/shenyang-new-complete.json",
        verdict: "complete",
        gap_items: &[],
        not_surveyed_items: &[],
        scale: "within",
    },
    Expected {
        file: "examples/wuhan-old-estate.json",
        verdict: "not_complete",
        gap_items: &[1, 2, 7, 8, 9, 10, 12, 14, 17],
        not_surveyed_items: &[],
        scale: "within",
    },
    Expected {
        file: "examples/xian-existing-partial.json",
        verdict: "undetermined",
        gap_items: &[],
        not_surveyed_items: &[2, 7, 9, 11, 12, 14],
        scale: "within",
    },
    Expected {
        // Under the national standard; under the Hubei profile see `hubei_profile_changes_the_verdict`.
        file: "examples/yichang-hubei-profile.json",
        verdict: "complete",
        gap_items: &[],
        not_surveyed_items: &[],
        scale: "within",
    },
];

const STATUSES: [&str; 5] = ["met", "gap", "advisory", "not_applicable", "not_surveyed"];

/// `--format json`: exactly 20 item objects, numbered 1 to 20 in order, each with a known status.
fn assert_twenty_items(items: &Value, what: &str) -> Vec<(u64, String)> {
    let items = items
        .as_array()
        .unwrap_or_else(|| panic!("{what}: expected a JSON array, got {items}"));
    assert_eq!(items.len(), 20, "{what}: expected 20 items");
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            assert!(item.is_object(), "{what}: item {i} is not an object");
            assert_eq!(
                item["item"].as_u64(),
                Some(i as u64 + 1),
                "{what}: items out of order at index {i}"
            );
            let status = item["status"]
                .as_str()
                .unwrap_or_else(|| panic!("{what}: item {} has no status", i + 1));
            assert!(
                STATUSES.contains(&status),
                "{what}: item {} has status {status:?}",
                i + 1
            );
            (i as u64 + 1, status.to_owned())
        })
        .collect()
}

fn items_with(statuses: &[(u64, String)], status: &str) -> Vec<u64> {
    statuses
        .iter()
        .filter(|(_, s)| s == status)
        .map(|(n, _)| *n)
        .collect()
}

/// The status of one check in a `--format json` result.
fn check<'a>(items: &'a Value, id: &str) -> &'a Value {
    items
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|item| item["checks"].as_array().into_iter().flatten())
        .find(|c| c["check"] == id)
        .unwrap_or_else(|| panic!("no check {id} in the result"))
}

#[test]
fn every_example_has_an_expectation() {
    let files = example_files();
    assert!(!files.is_empty(), "examples/ has no survey files");
    let expected: BTreeSet<&str> = EXPECTED.iter().map(|e| e.file).collect();
    let found: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    assert_eq!(
        found, expected,
        "examples/ and EXPECTED disagree: add the example's verdict to EXPECTED"
    );
}

#[test]
fn every_example_is_in_the_readme() {
    let readme = std::fs::read_to_string(workspace().join("examples/README.md"))
        .expect("examples/README.md exists");
    for file in example_files() {
        let name = file.trim_start_matches("examples/");
        assert!(
            readme.contains(&format!("`{name}`")),
            "examples/README.md does not describe {name}"
        );
    }
}

#[test]
fn example_tables_are_as_reviewed() {
    for file in example_files() {
        let table = evaluate_ok(&[&file]);
        let name = file
            .trim_start_matches("examples/")
            .trim_end_matches(".json");
        insta::assert_snapshot!(format!("table_{name}"), table);
    }
}

#[test]
fn example_verdicts_are_as_intended() {
    for e in EXPECTED {
        // The 20 items alone.
        let items = evaluate_json(&[e.file, "--format", "json"]);
        let statuses = assert_twenty_items(&items, e.file);
        assert_eq!(
            items_with(&statuses, "gap"),
            e.gap_items,
            "{}: gaps",
            e.file
        );
        assert_eq!(
            items_with(&statuses, "not_surveyed"),
            e.not_surveyed_items,
            "{}: items not surveyed",
            e.file
        );

        // The whole evaluation agrees with the items, and says the verdict and scale intended.
        let full = evaluate_json(&[e.file, "--format", "json-full"]);
        assert_eq!(full["format"], "buqi.evaluation", "{}", e.file);
        assert_eq!(full["items"], items, "{}: json-full items differ", e.file);
        let summary = &full["summary"];
        assert_eq!(summary["verdict"], e.verdict, "{}: verdict", e.file);
        assert_eq!(
            summary["gap_items"],
            serde_json::json!(e.gap_items),
            "{}: summary.gap_items",
            e.file
        );
        assert_eq!(summary["gaps"], e.gap_items.len(), "{}", e.file);
        assert_eq!(
            summary["not_surveyed"],
            e.not_surveyed_items.len(),
            "{}",
            e.file
        );
        for status in STATUSES {
            let key = if status == "gap" { "gaps" } else { status };
            assert_eq!(
                summary[key],
                items_with(&statuses, status).len(),
                "{}: summary.{key}",
                e.file
            );
        }
        assert_eq!(full["scale"]["status"], e.scale, "{}: scale", e.file);

        // The table says the same.
        let table = evaluate_ok(&[e.file]);
        let line = match e.verdict {
            "complete" => "结论：完整居住社区 —",
            "not_complete" => "结论：非完整居住社区 —",
            _ => "结论：尚无法判定",
        };
        assert!(table.contains(line), "{}: table verdict\n{table}", e.file);
    }
}

#[test]
fn new_community_meets_every_binding_check() {
    let items = evaluate_json(&["examples/shenyang-new-complete.json", "--format", "json"]);
    for item in items.as_array().unwrap() {
        assert_eq!(item["status"], "met", "item {}", item["item"]);
        for c in item["checks"].as_array().unwrap() {
            assert!(
                c["status"] == "met" || c["status"] == "not_applicable",
                "{} is {}",
                c["check"],
                c["status"]
            );
        }
    }
    // The rules that only a new community in a heating zone meets are really applied, not skipped.
    for id in [
        "9.heating",
        "10.spaces_new",
        "10.charging_new",
        "14.sports_ground_new",
        "14.courts_new",
        "15.park_new",
        "15.park_sports_new",
        "15.park_sports_max_new",
        "16.room_new",
        "7.station_new",
    ] {
        assert_eq!(check(&items, id)["status"], "met", "{id}");
    }
    // Property room: max(2 ‰ of 372,000 m², 50 m²) = 744 m².
    assert_eq!(check(&items, "16.room_new")["required"]["value"], 744.0);
}

#[test]
fn large_new_community_has_the_intended_gaps() {
    let file = "examples/guangzhou-new-large.json";
    let items = evaluate_json(&[file, "--format", "json"]);
    for id in [
        "2.building_area",
        "2.land_area",
        "2.walk",
        "10.spaces_new",
        "10.charging_new",
        "16.room_new",
    ] {
        assert_eq!(check(&items, id)["status"], "not_met", "{id}");
    }
    // Parking: 1 per household for 5,600 households; property room: 2 ‰ of 612,000 m².
    assert_eq!(check(&items, "10.spaces_new")["required"]["value"], 5600.0);
    assert_eq!(check(&items, "10.spaces_new")["measured"]["value"], 4900.0);
    assert_eq!(check(&items, "16.room_new")["required"]["value"], 1224.0);
    // Over 15 % of the park for sports is advice, not a gap.
    assert_eq!(check(&items, "15.park_sports_max_new")["status"], "not_met");
    assert_eq!(
        check(&items, "15.park_sports_max_new")["strength"],
        "advisory"
    );
    let full = evaluate_json(&[file, "--format", "json-full"]);
    assert_eq!(full["scale"]["population"], 15800);
    let table = evaluate_ok(&[file]);
    assert!(
        table.contains("要合理划分成几个规模适宜的居住社区"),
        "{table}"
    );
}

#[test]
fn partial_survey_is_undetermined_and_says_what_is_missing() {
    let file = "examples/xian-existing-partial.json";
    let items = evaluate_json(&[file, "--format", "json"]);
    // Not surveyed for the right reasons: a value missing in a complete item, an unrecorded basis,
    // unanswered observations, an unmeasured walk, and items the surveyor has not finished.
    for id in [
        "2.land_area",
        "7.compartments",
        "9.drainage",
        "9.gas",
        "9.heating",
        "9.smart_security",
        "11.joins_city",
        "11.bus_stop",
        "12.entrances",
        "12.outdoor",
        "14.equipment",
    ] {
        assert_eq!(check(&items, id)["status"], "not_surveyed", "{id}");
    }
    // What was surveyed and found is still reported as found.
    assert_eq!(check(&items, "2.building_area")["status"], "met");
    assert_eq!(check(&items, "14.ground_area")["status"], "met");
    assert_eq!(check(&items, "1.area")["status"], "not_met");
    assert_eq!(check(&items, "1.area")["strength"], "advisory");
    let items = items.as_array().unwrap();
    assert_eq!(items[8]["complete"], false);
    assert_eq!(items[1]["complete"], true);
}

#[test]
fn hubei_profile_changes_the_verdict() {
    let file = "examples/yichang-hubei-profile.json";

    let national = evaluate_json(&[file, "--format", "json-full"]);
    assert_eq!(national["summary"]["verdict"], "complete");
    assert!(national.get("profile").is_none());
    let area = check(&national["items"], "1.area");
    assert_eq!(area["strength"], "advisory");
    assert_eq!(area["status"], "met", "900 m² is above the national 800 m²");
    assert_eq!(area["source"]["from_profile"], false);
    assert!(area["source"].get("profile").is_none());

    let hubei = evaluate_json(&[file, "--profile", PROFILE_HUBEI, "--format", "json-full"]);
    assert_eq!(hubei["profile"]["id"], "hubei-2023-draft");
    assert_eq!(hubei["summary"]["verdict"], "not_complete");
    assert_eq!(hubei["summary"]["gap_items"], serde_json::json!([1]));
    assert_twenty_items(&hubei["items"], "hubei");

    let area = check(&hubei["items"], "1.area");
    assert_eq!(area["strength"], "binding");
    assert_eq!(area["status"], "not_met");
    assert_eq!(area["required"]["value"], 1000.0);
    assert_eq!(area["measured"]["value"], 900.0);
    assert_eq!(area["source"]["profile"], "hubei-2023-draft");
    assert_eq!(area["source"]["from_profile"], true);

    // Every finding names the profile; only the changed check says it came from it.
    for item in hubei["items"].as_array().unwrap() {
        for c in item["checks"].as_array().unwrap() {
            assert_eq!(c["source"]["profile"], "hubei-2023-draft", "{}", c["check"]);
            assert_eq!(
                c["source"]["from_profile"],
                c["check"] == "1.area",
                "{}",
                c["check"]
            );
        }
    }

    // `--format json` carries the same findings.
    let items = evaluate_json(&[file, "--profile", PROFILE_HUBEI, "--format", "json"]);
    assert_eq!(items, hubei["items"]);

    let table = evaluate_ok(&[file, "--profile", PROFILE_HUBEI]);
    assert!(table.contains("hubei-2023-draft"), "{table}");
    insta::assert_snapshot!("table_yichang-hubei-profile_under_hubei", table);
}

#[test]
fn english_table_names_items_in_english() {
    let table = evaluate_ok(&["examples/guangzhou-new-large.json", "--lang", "en"]);
    for name in [
        "A community service station",
        "A kindergarten",
        "Parking and charging",
        "Property services",
        "Community culture",
    ] {
        assert!(table.contains(name), "missing {name:?}:\n{table}");
    }
    for name in ["一个幼儿园", "停车及充电设施", "短板", "达标"] {
        assert!(!table.contains(name), "Chinese {name:?} in:\n{table}");
    }
    assert!(
        table.contains("Verdict: not a complete community"),
        "{table}"
    );
    insta::assert_snapshot!("table_guangzhou-new-large_en", table);
}

// ---------------------------------------------------------------------------------------------
// Refusals: exit 2, nothing on stdout, and a message on stderr that says what is wrong and where.

/// A file in this test's scratch directory.
fn scratch(name: &str, text: &str) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("evaluate_cli");
    std::fs::create_dir_all(&dir).expect("the scratch directory can be made");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the scratch file can be written");
    path.to_string_lossy().into_owned()
}

/// A valid example, changed by `edit`, written to a scratch file.
fn edited_example(name: &str, edit: impl FnOnce(&mut Value)) -> String {
    let text = std::fs::read_to_string(workspace().join("examples/shenyang-new-complete.json"))
        .expect("the example reads");
    let mut survey: Value = serde_json::from_str(&text).expect("the example is JSON");
    edit(&mut survey);
    scratch(name, &serde_json::to_string_pretty(&survey).unwrap())
}

/// Runs `buqi evaluate` with these arguments and asserts a refusal; returns stderr.
fn refused(args: &[&str]) -> String {
    let (all, out) = evaluate(args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "buqi {all:?}: expected exit 2\nstdout:\n{}\nstderr:\n{err}",
        stdout(&out)
    );
    assert!(
        out.stdout.is_empty(),
        "buqi {all:?}: expected nothing on stdout, got:\n{}",
        stdout(&out)
    );
    assert!(
        err.starts_with("buqi evaluate: "),
        "buqi {all:?}: stderr:\n{err}"
    );
    err
}

fn assert_contains(haystack: &str, needles: &[&str]) {
    for n in needles {
        assert!(haystack.contains(n), "expected {n:?} in:\n{haystack}");
    }
}

#[test]
fn refuses_a_file_that_does_not_exist() {
    let err = refused(&["examples/no-such-community.json"]);
    assert_contains(
        &err,
        &[
            "cannot read examples/no-such-community.json",
            "No such file",
        ],
    );
}

#[test]
fn refuses_invalid_json_and_names_the_line() {
    let file = scratch(
        "syntax.json",
        "{\n  \"format\": \"buqi.survey\",\n  \"version\": 1\n  \"community\": {}\n}\n",
    );
    let err = refused(&[&file]);
    assert_contains(&err, &[&file, "is not a valid survey", "line 4"]);
}

#[test]
fn refuses_a_bad_number_and_names_its_path() {
    let file = edited_example("bad-number.json", |s| {
        s["facilities"][3]["building_area_m2"] = "abc".into();
    });
    let err = refused(&[&file]);
    assert_contains(
        &err,
        &[
            &file,
            r#"facilities[3].building_area_m2: expected a number ≥ 0, got "abc""#,
        ],
    );
}

#[test]
fn refuses_a_negative_area() {
    let file = edited_example("negative-area.json", |s| {
        s["facilities"][0]["building_area_m2"] = (-1060.0).into();
    });
    let err = refused(&[&file]);
    assert_contains(
        &err,
        &["facilities[0].building_area_m2: expected a number ≥ 0, got -1060"],
    );
}

#[test]
fn refuses_an_unknown_facility_kind() {
    let file = edited_example("unknown-kind.json", |s| {
        s["facilities"][5]["kind"] = "kindergarden".into();
    });
    let err = refused(&[&file]);
    assert_contains(
        &err,
        &[&file, "facilities[5].kind: unknown variant `kindergarden`"],
    );
}

#[test]
fn refuses_a_wrong_format_field() {
    let file = edited_example("wrong-format.json", |s| {
        s["format"] = "buqi.evaluation".into();
    });
    let err = refused(&[&file]);
    assert_contains(
        &err,
        &[
            &file,
            r#"format: expected "buqi.survey", got "buqi.evaluation""#,
        ],
    );
}

#[test]
fn refuses_a_dangling_reference() {
    let missing = "0190d1f2-3c4a-7b21-9e05-000000000999";
    let file = edited_example("dangling.json", |s| {
        s["facilities"][1]["located_in"] = missing.into();
    });
    let err = refused(&[&file]);
    assert_contains(
        &err,
        &[
            &file,
            &format!("facilities[1].located_in: no facility has id {missing}"),
        ],
    );
}

#[test]
fn refuses_a_profile_that_does_not_parse() {
    let profile = scratch(
        "unparsable.toml",
        "[profile\nid = \"broken\"\nrefines = \"complete-community\"\n",
    );
    let err = refused(&["examples/shenyang-new-complete.json", "--profile", &profile]);
    assert_contains(&err, &[&profile, "TOML parse error at line 1"]);
}

#[test]
fn refuses_a_profile_that_does_not_exist() {
    let err = refused(&[
        "examples/shenyang-new-complete.json",
        "--profile",
        "schema/profiles/no-such-profile.toml",
    ]);
    assert_contains(&err, &["cannot read schema/profiles/no-such-profile.toml"]);
}

#[test]
fn refuses_a_profile_that_changes_a_check_that_does_not_exist() {
    let text = std::fs::read_to_string(workspace().join(PROFILE_HUBEI)).unwrap();
    let changed = text.replace("check = \"1.area\"", "check = \"1.floor_area\"");
    assert_ne!(text, changed, "the Hubei profile changes 1.area");
    let profile = scratch("no-such-check.toml", &changed);
    let err = refused(&["examples/shenyang-new-complete.json", "--profile", &profile]);
    assert_contains(
        &err,
        &[
            &profile,
            "cannot be applied",
            r#"change[0].check: the standard has no check "1.floor_area""#,
        ],
    );
}

#[test]
fn a_survey_can_come_on_standard_input() {
    use std::io::Write;
    use std::process::Stdio;
    let run = |input: &[u8]| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_buqi"))
            .current_dir(workspace())
            .args(["evaluate", "-", "--format", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the buqi binary runs");
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    };
    let text = std::fs::read(workspace().join("examples/wuhan-old-estate.json")).unwrap();
    let out = run(&text);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let items: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(items.as_array().map(Vec::len), Some(20));

    let out = run(b"{ \"format\": ");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).starts_with("buqi evaluate: standard input is not a valid survey:"),
        "{}",
        stderr(&out)
    );
}
