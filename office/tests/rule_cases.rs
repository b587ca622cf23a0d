//! The action plan over every rule fixture (tests/fixtures/rules: two complete bases and ~290 cases,
//! each moving one thing), evaluated by the real evaluator under the case's own standard or profile.

use buqi_office::plan::plan;
use buqi_office::report::quantity_zh;
use buqi_office::{CostTable, PlanOptions, Way};
use buqi_schema::evaluate::{CheckStatus, Measured, Requirement};
use buqi_schema::standard::Strength;
use buqi_schema::survey::CommunityKind;

#[test]
fn every_case_plans_exactly_its_gaps_with_shortfalls_from_the_evaluator() {
    let costs = CostTable::builtin();
    let options = PlanOptions::new(2027, "2026-11-20".parse().unwrap());
    let cases = buqi_tests::load_cases();
    assert!(cases.len() > 200, "the fixtures are there");
    let mut lines = Vec::new();
    for case in &cases {
        let (survey, evaluation) = buqi_tests::evaluate_case(case).unwrap();
        let standard = buqi_tests::standard(case.profile.as_deref()).unwrap();
        let projects = plan(&survey, &evaluation, &standard, &costs, &options)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));

        let mut items: Vec<u8> = projects.iter().map(|p| p.item).collect();
        items.sort();
        items.dedup();
        assert_eq!(items, evaluation.summary.gap_items, "{}", case.name);

        // Every binding not-met check is in exactly one project; nothing else is.
        let planned: Vec<&str> = projects
            .iter()
            .flat_map(|p| p.lines.iter().map(|l| l.check.as_str()))
            .collect();
        for item in &evaluation.items {
            for c in &item.checks {
                let wanted = c.status == CheckStatus::NotMet && c.strength == Strength::Binding;
                let n = planned.iter().filter(|p| **p == c.check).count();
                assert_eq!(n, usize::from(wanted), "{}: {}", case.name, c.check);
            }
        }
        for p in &projects {
            if survey.community.kind == Some(CommunityKind::New) {
                assert!(
                    matches!(p.way, Way::Build | Way::Renovate | Way::Manage),
                    "{}: a new community's {} by {:?}",
                    case.name,
                    p.item,
                    p.way
                );
            }
            if let Some(c) = p.cost_yuan {
                assert!(c.is_finite() && c >= 0.0, "{}: {c}", case.name);
            }
            for l in &p.lines {
                // A numeric floor not met with a number measured: the shortfall is the difference.
                if let (
                    Some(Requirement::AtLeast { value, .. }),
                    Some(Measured::Number { value: m, .. }),
                ) = (&l.required, &l.measured)
                {
                    let s = l
                        .shortfall
                        .unwrap_or_else(|| panic!("{}: {} has no shortfall", case.name, l.check));
                    assert!(
                        (s.value - (value - m)).abs() < 1e-9 && s.value > 0.0,
                        "{}: {}",
                        case.name,
                        l.check
                    );
                }
                let short = l
                    .shortfall
                    .map_or("—".to_owned(), |s| quantity_zh(s.value, s.unit));
                lines.push(format!(
                    "{:<48} {:>2} {:<8} {:<28} {}",
                    case.name,
                    p.item,
                    p.way.name_zh(),
                    l.check,
                    short
                ));
            }
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
}
