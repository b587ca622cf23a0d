//! A city profile changes the rules with no code change: a stricter threshold, an extra check with its
//! own question, another walking speed, a check taken away. Each is seen in the findings.

use buqi_schema::evaluate::{CheckStatus, Evaluation, ItemStatus};
use buqi_schema::{evaluate, Profile, Standard, Survey};
use buqi_tests::repo_root;

fn survey(example: &str) -> Survey {
    let text = std::fs::read_to_string(repo_root().join("examples").join(example)).unwrap();
    Survey::from_json(&text).unwrap()
}

fn test_city() -> Standard {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/profiles/test-city.toml"))
        .unwrap();
    let profile = Profile::from_toml(&text).unwrap_or_else(|e| panic!("{e}"));
    Standard::builtin()
        .with_profile(&profile)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn check<'a>(e: &'a Evaluation, id: &str) -> &'a buqi_schema::evaluate::CheckResult {
    e.items
        .iter()
        .flat_map(|i| &i.checks)
        .find(|c| c.check == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn walking_speed_stricter_threshold_extra_and_removed_checks_all_take_effect() {
    // Shenyang's new community meets every check of the national standard.
    let s = survey("shenyang-new-complete.json");
    let national = evaluate(&s, &Standard::builtin());
    let city = evaluate(&s, &test_city());
    assert_eq!(national.summary.gaps, 0);

    // The removed check is gone; the added ones are there, from the profile.
    assert!(city
        .items
        .iter()
        .flat_map(|i| &i.checks)
        .all(|c| c.check != "9.five_g"));
    let added = check(&city, "11.bus_stop_300m");
    assert!(added.source.from_profile);
    assert_eq!(added.source.profile.as_deref(), Some("test-city"));
    assert_eq!(added.source.clause_zh, "内环以内公交站点 300 米覆盖");

    // Every finding names the profile; only changed and added ones say they came from it.
    for c in city.items.iter().flat_map(|i| &i.checks) {
        assert_eq!(
            c.source.profile.as_deref(),
            Some("test-city"),
            "{}",
            c.check
        );
        let changed = ["3.area", "11.bus_stop_300m", "19.night_patrol"].contains(&c.check.as_str());
        assert_eq!(c.source.from_profile, changed, "{}", c.check);
    }

    // The new question was never asked of this community: not surveyed, and advisory only.
    assert_eq!(
        check(&city, "19.night_patrol").status,
        CheckStatus::NotSurveyed
    );
    // Walking minutes are longer at 60 m/min than at 80 m/min for every walk given as a distance.
    for id in ["2.walk", "4.walk", "11.bus_stop"] {
        let minutes = |e: &Evaluation| match &check(e, id).measured {
            Some(buqi_schema::evaluate::Measured::Number { value, .. }) => *value,
            other => panic!("{id}: {other:?}"),
        };
        assert!(minutes(&city) >= minutes(&national), "{id}");
    }
}

#[test]
fn stricter_nursery_threshold_turns_met_into_gap() {
    let s = survey("wuhan-old-estate.json"); // a 240 m² nursery
    let national = evaluate(&s, &Standard::builtin());
    let city = evaluate(&s, &test_city());
    assert_eq!(check(&national, "3.area").status, CheckStatus::Met);
    assert_eq!(check(&city, "3.area").status, CheckStatus::NotMet);
    assert_eq!(city.items[2].status, ItemStatus::Gap);
    assert_eq!(
        check(&city, "3.area").source.clause_zh,
        "托儿所建筑面积不小于 300 平方米"
    );
}

#[test]
fn slower_walking_speed_turns_a_walk_into_a_gap() {
    // Wuhan's kindergarten: 520 m straight line × 1.3 = 676 m: 8.45 min at 80 m/min, 11.3 at 60.
    let s = survey("wuhan-old-estate.json");
    let national = evaluate(&s, &Standard::builtin());
    let city = evaluate(&s, &test_city());
    assert_eq!(check(&national, "2.walk").status, CheckStatus::Met);
    assert_eq!(check(&city, "2.walk").status, CheckStatus::NotMet);
    // The bus stop is a timed 6-minute walk: speed does not change it, but the 5-minute rule does.
    assert_eq!(check(&city, "11.bus_stop").status, CheckStatus::Met);
    assert_eq!(check(&city, "11.bus_stop_300m").status, CheckStatus::NotMet);
    assert_eq!(city.items[10].status, ItemStatus::Gap);
}

#[test]
fn a_profile_with_an_undefined_observation_or_a_bad_item_is_refused_whole() {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/profiles/test-city.toml"))
        .unwrap();
    let undefined = text.replace(
        "id = \"management.night_patrol\"\nitem = 19",
        "id = \"management.other\"\nitem = 19",
    );
    let err = Standard::builtin()
        .with_profile(&Profile::from_toml(&undefined).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no observation \"management.night_patrol\" is defined"),
        "{err}"
    );

    let bad_item = text.replace("id = \"11.bus_stop_300m\"", "id = \"21.bus_stop_300m\"");
    let err = Standard::builtin()
        .with_profile(&Profile::from_toml(&bad_item).unwrap())
        .unwrap_err()
        .to_string();
    assert!(err.contains("add[0].id"), "{err}");
}
