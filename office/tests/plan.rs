//! The action plan from real example surveys evaluated by the real evaluator.

mod common;

use buqi_office::plan::{self, Tier};
use buqi_office::{gap_closed, transition, Closure, CostTable, PlanOptions, Project, Status, Way};
use buqi_schema::evaluate::Unit;
use buqi_schema::{Standard, Survey};
use chrono::NaiveDate;
use common::*;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn options() -> PlanOptions {
    PlanOptions::new(2027, day("2026-11-20"))
}

fn plan_of(survey: &Survey) -> Vec<Project> {
    let eval = evaluated(survey);
    plan::plan(
        survey,
        &eval,
        &Standard::builtin(),
        &CostTable::builtin(),
        &options(),
    )
    .unwrap()
}

fn find(projects: &[Project], item: u8) -> Vec<&Project> {
    projects.iter().filter(|p| p.item == item).collect()
}

#[test]
fn the_default_cost_table_reads_and_names_its_checks_in_the_standard() {
    let table = CostTable::builtin();
    let standard = Standard::builtin();
    for e in &table.cost {
        assert!(
            standard
                .items
                .iter()
                .flat_map(|i| &i.checks)
                .any(|c| c.id == e.check),
            "{} is not a check of the standard",
            e.check
        );
        assert!(
            e.source.starts_with("indicative"),
            "{}: {}",
            e.check,
            e.source
        );
    }
}

#[test]
fn a_bad_cost_table_is_refused_naming_the_entry() {
    let text = CostTable::builtin_text().replacen("way = \"build\"", "way = \"bild\"", 1);
    let err = CostTable::from_toml(&text).unwrap_err().to_string();
    assert!(
        err.contains("cost[0] (1.area)") && err.contains("\"bild\"") && err.contains("renovate"),
        "{err}"
    );
}

#[test]
fn every_gap_of_every_example_becomes_a_project_and_nothing_else_does() {
    for name in EXAMPLES {
        let survey = example(name);
        let eval = evaluated(&survey);
        let projects = plan_of(&survey);
        let mut items: Vec<u8> = projects.iter().map(|p| p.item).collect();
        items.dedup();
        items.sort();
        items.dedup();
        assert_eq!(items, eval.summary.gap_items, "{name}");
        // Ranks are 1..n in order.
        for (i, p) in projects.iter().enumerate() {
            assert_eq!(p.priority.rank, i + 1, "{name}");
            assert_eq!(p.status, Status::Planned);
        }
    }
}

#[test]
fn drainage_comes_first_in_the_old_estate() {
    // 紫阳社区: drainage observed not intact (9.drainage not met) — the opinion's first priority.
    let projects = plan_of(&example("wuhan-old-estate"));
    let first = &projects[0];
    assert_eq!(first.item, 9);
    assert_eq!(first.priority.tier, Tier::DrainageFirst);
    assert_eq!(first.way, Way::Renovate);
    assert_eq!(first.target_year, 2027);
    assert!(first.lines.iter().any(|l| l.check == "9.drainage"));
    // Priced per m² of the community's floor area: 268,000 m² × 120 + smart security lump.
    let drainage = first
        .lines
        .iter()
        .find(|l| l.check == "9.drainage")
        .unwrap();
    assert_eq!(drainage.cost_yuan, Some(268_000.0 * 120.0));
    // Then the residents' needs, kindergarten (2) before accessibility (12) in the default order.
    let tiers: Vec<Tier> = projects.iter().map(|p| p.priority.tier).collect();
    let mut sorted = tiers.clone();
    sorted.sort();
    assert_eq!(tiers, sorted);
    let needs: Vec<u8> = projects
        .iter()
        .filter(|p| p.priority.tier == Tier::ResidentsNeeds)
        .map(|p| p.item)
        .collect();
    assert_eq!(needs, vec![2, 1, 12], "{projects:#?}");
    assert!(projects
        .iter()
        .filter(|p| p.priority.tier == Tier::ResidentsNeeds)
        .all(|p| p.target_year == 2028));
}

#[test]
fn the_kindergarten_shortfall_is_read_off_required_and_measured() {
    // Wuhan's kindergarten: 2080 m² of 2200 built, 3100 m² of 3500 land; an old estate, so the
    // existing but too-small building is extended by 置换 (swap for larger premises).
    let projects = plan_of(&example("wuhan-old-estate"));
    let kg = find(&projects, 2);
    assert_eq!(kg.len(), 1);
    let p = kg[0];
    assert_eq!(p.way, Way::Swap, "{}", p.way_reason_zh);
    assert!(p.way_reason_zh.contains("存量房屋资源"));
    let building = p
        .lines
        .iter()
        .find(|l| l.check == "2.building_area")
        .unwrap();
    let s = building.shortfall.unwrap();
    assert_eq!((s.value, s.unit, s.over), (120.0, Unit::M2, false));
    let land = p.lines.iter().find(|l| l.check == "2.land_area").unwrap();
    assert_eq!(land.shortfall.unwrap().value, 400.0);
    // swap has no price of its own for 2.building_area: the any-way renovation price applies.
    assert_eq!(building.cost_yuan, Some(120.0 * 3000.0));
    assert_eq!(land.cost_yuan, Some(400.0 * 400.0));
    assert_eq!(p.cost_yuan, Some(120.0 * 3000.0 + 400.0 * 400.0));
    assert!(p.cost_complete);
    assert!((p.priority.gap_share - 400.0 / 3500.0).abs() < 1e-12);
}

#[test]
fn counts_and_shops_take_their_ways() {
    let projects = plan_of(&example("wuhan-old-estate"));
    // Parcel compartments: 720 of 900 → 180 to buy.
    let lockers = find(&projects, 7);
    assert_eq!(lockers[0].way, Way::Purchase);
    let line = &lockers[0].lines[0];
    assert_eq!(line.check, "7.compartments");
    assert_eq!(line.shortfall.unwrap().value, 180.0);
    assert_eq!(line.cost_yuan, Some(180.0 * 300.0));
    // A missing laundry: leased premises.
    let shops = find(&projects, 8);
    assert_eq!(shops[0].way, Way::Lease);
    assert_eq!(shops[0].lines[0].shortfall.unwrap().value, 1.0);
    // The property platform: a management measure, not costed, not a construction project.
    let platform = find(&projects, 17);
    assert_eq!(platform[0].way, Way::Manage);
    assert_eq!(platform[0].cost_yuan, None);
    assert!(!platform[0].cost_complete);
}

#[test]
fn a_new_community_builds_and_a_missing_facility_is_priced_by_its_area_once() {
    // 广州: take the nursery out of a new community; it must be built (补建), priced by its 200 m²
    // and not a second time for "one nursery".
    let mut survey = example("guangzhou-new-large");
    survey
        .facilities
        .retain(|f| f.kind != buqi_schema::vocab::FacilityKind::Nursery);
    if !survey.item_complete(3) {
        survey.items.push(buqi_schema::survey::ItemRecord {
            item: 3,
            complete: true,
            notes: None,
        });
    }
    let projects = plan_of(&survey);
    let nursery = find(&projects, 3);
    assert_eq!(nursery.len(), 1, "{projects:#?}");
    let p = nursery[0];
    assert_eq!(p.way, Way::Build);
    assert_eq!(p.cost_yuan, Some(200.0 * 5500.0));
    let present = p.lines.iter().find(|l| l.check == "3.present").unwrap();
    assert_eq!(present.cost_yuan, None);
    assert!(present.cost_note.contains("按面积计入"));
    assert!(p.cost_complete);
}

#[test]
fn status_moves_one_step_at_a_time_forward_in_time() {
    let mut p = plan_of(&example("wuhan-old-estate")).remove(0);
    let err = transition(&mut p, Status::Completed, day("2027-03-01"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&p.id) && err.contains("已谋划（planned）") && err.contains("funded"),
        "{err}"
    );
    transition(&mut p, Status::Funded, day("2027-01-10")).unwrap();
    let err = transition(&mut p, Status::UnderConstruction, day("2027-01-09"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("before the last move"), "{err}");
    transition(&mut p, Status::UnderConstruction, day("2027-03-01")).unwrap();
    transition(&mut p, Status::Completed, day("2027-09-30")).unwrap();
    transition(&mut p, Status::Accepted, day("2027-10-15")).unwrap();
    let err = transition(&mut p, Status::Accepted, day("2027-10-16"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("last status"), "{err}");
    assert_eq!(p.history.len(), 5);
}

#[test]
fn a_gap_closes_only_with_a_completed_project_and_a_met_resurvey() {
    let survey = example("wuhan-old-estate");
    let mut p = plan_of(&survey).remove(0);
    assert_eq!(p.item, 9);
    // The re-survey: drainage and security now observed intact, surveyed after completion.
    let mut resurvey = survey.clone();
    resurvey
        .observations
        .insert("utility.drainage".into(), true);
    resurvey
        .observations
        .insert("utility.smart_security".into(), true);
    let mut by = resurvey.surveyed.clone().unwrap();
    by.started_at = Some("2027-10-20T09:00:00+08:00".parse().unwrap());
    by.finished_at = None;
    resurvey.surveyed = Some(by);
    let fixed = evaluated(&resurvey);

    // Met in the re-survey, but the project is only planned: open.
    assert!(
        matches!(gap_closed(&p, &resurvey, &fixed), Closure::Open { reason } if reason.contains("completed"))
    );
    transition(&mut p, Status::Funded, day("2027-01-10")).unwrap();
    transition(&mut p, Status::UnderConstruction, day("2027-03-01")).unwrap();
    transition(&mut p, Status::Completed, day("2027-09-30")).unwrap();
    // Completed, but the old survey still shows the gap: open.
    let old = evaluated(&survey);
    assert!(matches!(
        gap_closed(&p, &survey, &old),
        Closure::Open { .. }
    ));
    // Completed and re-surveyed met: closed.
    assert_eq!(gap_closed(&p, &resurvey, &fixed), Closure::Closed);
    // A "re-survey" dated before completion does not count.
    let mut early = resurvey.clone();
    early.surveyed.as_mut().unwrap().started_at =
        Some("2027-09-01T09:00:00+08:00".parse().unwrap());
    assert!(
        matches!(gap_closed(&p, &early, &fixed), Closure::Open { reason } if reason.contains("before"))
    );
}

#[test]
fn plan_refuses_an_evaluation_of_another_community() {
    let a = example("wuhan-old-estate");
    let b = example("xian-existing-partial");
    let err = plan::plan(
        &a,
        &evaluated(&b),
        &Standard::builtin(),
        &CostTable::builtin(),
        &options(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&a.community.name) && err.contains(&b.community.name),
        "{err}"
    );
}

#[test]
fn the_wuhan_plan_snapshot() {
    let projects = plan_of(&example("wuhan-old-estate"));
    let rows: Vec<String> = projects
        .iter()
        .map(|p| {
            format!(
                "{:>2} 第{}项 {} {} {:?} 年份{} 费用{}",
                p.priority.rank,
                p.item,
                p.item_name_zh,
                p.way.name_zh(),
                p.priority.tier,
                p.target_year,
                p.cost_yuan
                    .map_or("未估算".to_owned(), |c| format!("{c:.0}"))
            )
        })
        .collect();
    insta::assert_snapshot!(rows.join("\n"));
}
