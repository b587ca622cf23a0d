//! Data-driven rule tests: community files in, findings out.
//!
//! Every case under `fixtures/rules/cases/` is a base community (`base-new` or `base-existing`, each
//! meeting every check of the standard) with a few edits (see `fixtures/rules/README.md`). Each case
//! is read as any survey file is (so it must also pass validation), evaluated, and then
//!
//! - compared in plain code with the statuses its `expect` names (`case_expectations`), so that a
//!   snapshot accepted by mistake cannot hide a wrong verdict;
//! - rendered compactly and compared with its snapshot in `snapshots/` (`case_snapshots`).

use std::collections::BTreeSet;

use buqi_schema::evaluate::{ItemStatus, Verdict};
use buqi_schema::survey::CommunityKind;
use buqi_tests::{base_survey, check_expectations, evaluate_case, load_cases, render, standard};

#[test]
fn bases_meet_every_check() {
    for (base, kind) in [
        ("base-new", CommunityKind::New),
        ("base-existing", CommunityKind::Existing),
    ] {
        let survey = base_survey(base);
        assert_eq!(survey.community.kind, Some(kind), "{base}");
        assert!(
            (1..=20).all(|n| survey.item_complete(n)),
            "{base}: every item is marked complete"
        );
        let e = buqi_schema::evaluate(&survey, &standard(None).unwrap());
        assert_eq!(e.summary.verdict, Verdict::Complete, "{base}");
        assert_eq!(e.summary.gaps, 0, "{base}");
        assert_eq!(e.summary.not_surveyed, 0, "{base}");
        assert!(e.warnings.is_empty(), "{base}: {:?}", e.warnings);
        for item in &e.items {
            assert_eq!(item.status, ItemStatus::Met, "{base}: item {}", item.item);
        }
    }
}

#[test]
fn case_expectations() {
    let cases = load_cases();
    let ran = cases.len();
    let mut failures = Vec::new();
    for case in &cases {
        match evaluate_case(case) {
            Ok((_, evaluation)) => failures.extend(check_expectations(case, &evaluation)),
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(ran >= 100, "only {ran} cases");
    assert!(
        failures.is_empty(),
        "{} expectation(s) not met:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn case_snapshots() {
    for case in load_cases() {
        let (_, evaluation) = evaluate_case(&case).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(case.name.as_str(), render(&case, &evaluation));
        });
    }
}

/// One whole evaluation as JSON, so that the shape of the evaluation document is pinned: a Hubei
/// case, so that it holds a profile, a check it changed, numbers, yes/no, text and details.
#[test]
fn evaluation_json_shape() {
    let case = load_cases()
        .into_iter()
        .find(|c| c.name == "hubei-existing-households-4000-station-1199_9")
        .expect("the case the JSON snapshot is of");
    let (_, evaluation) = evaluate_case(&case).unwrap();
    insta::assert_json_snapshot!("evaluation-json", evaluation);
}

/// Every item is moved off `met` by some case, for a new and for an existing community.
#[test]
fn every_item_is_exercised_for_both_kinds() {
    let mut moved: BTreeSet<(String, u8)> = BTreeSet::new();
    for case in load_cases() {
        let (_, evaluation) = evaluate_case(&case).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let Some(kind) = evaluation.community.kind else {
            continue;
        };
        for item in &evaluation.items {
            if item.status != ItemStatus::Met {
                moved.insert((buqi_tests::id(&kind), item.item));
            }
        }
    }
    let missing: Vec<String> = ["new", "existing"]
        .iter()
        .flat_map(|kind| (1..=20u8).map(move |n| (kind.to_string(), n)))
        .filter(|k| !moved.contains(k))
        .map(|(kind, n)| format!("item {n} ({kind})"))
        .collect();
    assert!(missing.is_empty(), "no case moves {}", missing.join(", "));
}

/// Under a profile, every finding names it; only the checks it changed say `from_profile`.
#[test]
fn profile_findings_name_the_profile() {
    let mut seen = 0;
    for case in load_cases().iter().filter(|c| c.profile.is_some()) {
        seen += 1;
        let (_, evaluation) = evaluate_case(case).unwrap();
        let profile = evaluation
            .profile
            .as_ref()
            .expect("the evaluation names its profile");
        assert_eq!(profile.id, "hubei-2023-draft");
        for check in evaluation.items.iter().flat_map(|i| &i.checks) {
            assert_eq!(check.source.profile.as_deref(), Some("hubei-2023-draft"));
            assert_eq!(
                check.source.from_profile,
                check.check == "1.area",
                "{}",
                check.check
            );
        }
    }
    assert!(seen >= 5, "only {seen} profile cases");
    for case in load_cases().iter().filter(|c| c.profile.is_none()) {
        let (_, evaluation) = evaluate_case(case).unwrap();
        assert!(evaluation.profile.is_none());
        assert!(evaluation.items.iter().flat_map(|i| &i.checks).all(|c| c
            .source
            .profile
            .is_none()
            && !c.source.from_profile));
    }
}

/// Every snapshot belongs to a case (or is the JSON one): a renamed or removed case leaves none behind.
#[test]
fn no_stale_snapshots() {
    let cases: BTreeSet<String> = load_cases().into_iter().map(|c| c.name).collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|f| {
            let name = f.strip_prefix("rules__")?.strip_suffix(".snap")?.to_owned();
            (name != "evaluation-json" && !cases.contains(&name)).then_some(f)
        })
        .collect();
    assert!(stale.is_empty(), "snapshots with no case: {stale:?}");
}

/// The edit language refuses what it cannot do exactly, rather than editing something else.
#[test]
fn edits_refuse_what_they_cannot_do_exactly() {
    use buqi_tests::{apply_edit, base_json, Edit};
    let mut doc = base_json("base-new").unwrap();
    let set = |path: &str| Edit::Set {
        path: path.into(),
        value: serde_json::json!(1),
    };
    let remove = |path: &str| Edit::Remove { path: path.into() };
    // Two parcel lockers: a selector by kind is ambiguous.
    let err = apply_edit(
        &mut doc,
        &set("/facilities/@kind=parcel_locker/compartments"),
    )
    .unwrap_err();
    assert!(err.contains("2 elements"), "{err}");
    // Nothing matches.
    let err = apply_edit(&mut doc, &remove("/facilities/@kind=box_toilet")).unwrap_err();
    assert!(err.contains("nothing"), "{err}");
    // Removing what is not there.
    let err = apply_edit(&mut doc, &remove("/community/boundary")).unwrap_err();
    assert!(err.contains("no \"boundary\""), "{err}");
    // Selecting by a number, and by a name.
    apply_edit(&mut doc, &set("/items/@item=3/complete")).unwrap();
    assert_eq!(
        doc.pointer("/items/2/complete"),
        Some(&serde_json::json!(1))
    );
    apply_edit(
        &mut doc,
        &set("/facilities/@name=2号智能快递柜组/compartments"),
    )
    .unwrap();
    assert_eq!(
        doc.pointer("/facilities/8/compartments"),
        Some(&serde_json::json!(1))
    );
}
