//! Figures over real example surveys evaluated by the real evaluator.

mod common;

use buqi_office::figures::{self, Surveyed};
use buqi_schema::evaluate::{Unit, Verdict};
use buqi_schema::Survey;
use common::*;
use uuid::Uuid;

fn record(survey: &Survey, year: Option<i32>) -> Surveyed {
    Surveyed {
        city: survey.community.city.clone().unwrap(),
        district: survey.community.district.clone().unwrap(),
        year,
        evaluation: evaluated(survey),
    }
}

/// The same community surveyed again, with another id: a second community like it.
fn twin(survey: &Survey, district: &str) -> Survey {
    let mut s = survey.clone();
    s.community.id = Uuid::now_v7();
    s.community.name.push('二');
    s.community.district = Some(district.to_owned());
    s
}

fn fixed_drainage(survey: &Survey) -> Survey {
    let mut s = survey.clone();
    s.observations.insert("utility.drainage".into(), true);
    s.observations.insert("utility.smart_security".into(), true);
    s
}

#[test]
fn coverage_counts_complete_communities_per_city_and_district() {
    let wuhan = example("wuhan-old-estate");
    let complete = read_survey("tests/fixtures/rules/base-existing.json");
    assert_eq!(evaluated(&complete).summary.verdict, Verdict::Complete);
    assert_eq!(evaluated(&wuhan).summary.verdict, Verdict::NotComplete);
    let mut complete = complete;
    complete.community.city = Some("武汉市".into());
    complete.community.district = Some("江汉区".into());
    let records = vec![
        record(&wuhan, Some(2026)),
        record(&twin(&wuhan, "武昌区"), Some(2026)),
        record(&complete, Some(2026)),
        record(&example("shenyang-new-complete"), Some(2026)),
    ];
    let cov = figures::coverage(&records);
    let wuhan_city = cov.cities.iter().find(|c| c.city == "武汉市").unwrap();
    assert_eq!(
        (
            wuhan_city.communities,
            wuhan_city.complete,
            wuhan_city.not_complete
        ),
        (3, 1, 2)
    );
    assert!((wuhan_city.coverage - 1.0 / 3.0).abs() < 1e-12);
    let wuchang = cov
        .districts
        .iter()
        .find(|c| c.district.as_deref() == Some("武昌区"))
        .unwrap();
    assert_eq!(
        (wuchang.communities, wuchang.complete, wuchang.gaps),
        (2, 0, 18)
    );
    let jianghan = cov
        .districts
        .iter()
        .find(|c| c.district.as_deref() == Some("江汉区"))
        .unwrap();
    assert_eq!((jianghan.communities, jianghan.coverage), (1, 1.0));
    assert!(cov.cities.iter().any(|c| c.city == "沈阳市"));
}

#[test]
fn shortfalls_sum_quantities_per_check_over_communities() {
    let wuhan = example("wuhan-old-estate");
    let records = vec![
        record(&wuhan, Some(2026)),
        record(&twin(&wuhan, "洪山区"), Some(2026)),
    ];
    let items = figures::shortfalls(&records);
    assert_eq!(items.len(), 20);
    let kg = &items[1];
    assert_eq!((kg.item, kg.gap), (2, 2));
    let building = kg
        .checks
        .iter()
        .find(|c| c.check == "2.building_area")
        .unwrap();
    assert_eq!(
        (building.communities, building.unit, building.total),
        (2, Some(Unit::M2), 240.0)
    );
    let lockers = items[6]
        .checks
        .iter()
        .find(|c| c.check == "7.compartments")
        .unwrap();
    assert_eq!((lockers.unit, lockers.total), (Some(Unit::Count), 360.0));
    // A yes/no check is counted by communities, with no quantity.
    let drainage = items[8]
        .checks
        .iter()
        .find(|c| c.check == "9.drainage")
        .unwrap();
    assert_eq!(
        (drainage.communities, drainage.unit, drainage.total),
        (2, None, 0.0)
    );
    // Checks in the standard's order.
    let ids: Vec<&str> = kg.checks.iter().map(|c| c.check.as_str()).collect();
    assert_eq!(ids, ["2.building_area", "2.land_area"]);
}

#[test]
fn the_latest_survey_of_a_community_counts() {
    let wuhan = example("wuhan-old-estate");
    let records = vec![
        record(&fixed_drainage(&wuhan), Some(2027)),
        record(&wuhan, Some(2026)),
    ];
    let items = figures::shortfalls(&records);
    assert_eq!(items[8].gap, 0, "the 2027 re-survey has no drainage gap");
    assert_eq!(figures::coverage(&records).cities[0].communities, 1);
}

#[test]
fn year_on_year_puts_two_years_side_by_side() {
    let wuhan = example("wuhan-old-estate");
    let other = twin(&wuhan, "洪山区");
    let records = vec![
        record(&wuhan, Some(2025)),
        record(&other, Some(2025)),
        record(&fixed_drainage(&wuhan), Some(2026)),
        record(&other, Some(2026)),
    ];
    let yoy = figures::year_on_year(&records, 2025, 2026);
    assert_eq!((yoy.from, yoy.to), (2025, 2026));
    let drainage = yoy.items.iter().find(|i| i.item == 9).unwrap();
    assert_eq!(
        (drainage.gap.from, drainage.gap.to, drainage.gap.delta()),
        (2, 1, -1)
    );
    let kg = yoy.items.iter().find(|i| i.item == 2).unwrap();
    assert_eq!(kg.gap.delta(), 0);
    assert_eq!(yoy.cities.len(), 1);
    assert_eq!(yoy.cities[0].communities.from, 2);
    assert_eq!(yoy.districts.len(), 2);
    // A year nobody was surveyed in shows zeros, not a missing row.
    let empty = figures::year_on_year(&records, 2024, 2026);
    assert_eq!(empty.cities[0].communities.from, 0);
    assert_eq!(empty.cities[0].coverage.from, 0.0);
}
