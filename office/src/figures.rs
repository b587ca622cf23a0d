//! Figures over many communities: the coverage of complete communities per city and district
//! (the opinion's 完整居住社区覆盖率), shortfalls per item, and one year next to another.
//!
//! Every number is counted from evaluations the evaluator made; nothing here re-judges an item.

use std::collections::BTreeMap;

use buqi_schema::evaluate::{CheckStatus, Unit, Verdict};
use buqi_schema::{Evaluation, ItemStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::plan::shortfall;

/// One community's evaluation, where it is, and the year it was surveyed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Surveyed {
    pub city: String,
    pub district: String,
    /// The survey's year; `None` where the survey carries no date (counted, but in no year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    pub evaluation: Evaluation,
}

impl Surveyed {
    fn id(&self) -> Uuid {
        self.evaluation.community.id
    }
}

/// The latest record of each community (by year; of equal years, the later in the list).
pub fn latest(records: &[Surveyed]) -> Vec<&Surveyed> {
    latest_of(records.iter())
}

fn latest_of<'a>(records: impl Iterator<Item = &'a Surveyed>) -> Vec<&'a Surveyed> {
    let mut by_id: BTreeMap<Uuid, &Surveyed> = BTreeMap::new();
    for r in records {
        match by_id.get(&r.id()) {
            Some(old) if old.year > r.year => {}
            _ => {
                by_id.insert(r.id(), r);
            }
        }
    }
    let mut out: Vec<&Surveyed> = by_id.into_values().collect();
    out.sort_by(|a, b| {
        (&a.city, &a.district, &a.evaluation.community.name).cmp(&(
            &b.city,
            &b.district,
            &b.evaluation.community.name,
        ))
    });
    out
}

/// Complete communities in a city, or in one of its districts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaCoverage {
    pub city: String,
    /// `None` for the whole city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    pub communities: usize,
    /// 完整居住社区: no gap, nothing unsurveyed.
    pub complete: usize,
    pub not_complete: usize,
    pub undetermined: usize,
    /// Items with a gap, summed over the communities.
    pub gaps: usize,
    /// complete ÷ communities (0 where there are none).
    pub coverage: f64,
}

impl AreaCoverage {
    fn new(city: &str, district: Option<&str>) -> Self {
        AreaCoverage {
            city: city.to_owned(),
            district: district.map(str::to_owned),
            communities: 0,
            complete: 0,
            not_complete: 0,
            undetermined: 0,
            gaps: 0,
            coverage: 0.0,
        }
    }

    fn add(&mut self, e: &Evaluation) {
        self.communities += 1;
        match e.summary.verdict {
            Verdict::Complete => self.complete += 1,
            Verdict::NotComplete => self.not_complete += 1,
            Verdict::Undetermined => self.undetermined += 1,
        }
        self.gaps += e.summary.gaps;
        self.coverage = self.complete as f64 / self.communities as f64;
    }
}

/// Coverage per city and per district, each sorted by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    pub cities: Vec<AreaCoverage>,
    pub districts: Vec<AreaCoverage>,
}

/// Coverage over the latest record of each community.
pub fn coverage(records: &[Surveyed]) -> Coverage {
    coverage_of(&latest(records))
}

fn coverage_of(records: &[&Surveyed]) -> Coverage {
    let mut cities: BTreeMap<&str, AreaCoverage> = BTreeMap::new();
    let mut districts: BTreeMap<(&str, &str), AreaCoverage> = BTreeMap::new();
    for r in records {
        cities
            .entry(&r.city)
            .or_insert_with(|| AreaCoverage::new(&r.city, None))
            .add(&r.evaluation);
        districts
            .entry((&r.city, &r.district))
            .or_insert_with(|| AreaCoverage::new(&r.city, Some(&r.district)))
            .add(&r.evaluation);
    }
    Coverage {
        cities: cities.into_values().collect(),
        districts: districts.into_values().collect(),
    }
}

/// One check's shortfalls summed over the communities where it is not met.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckShortfall {
    pub check: String,
    pub title_zh: String,
    /// Communities where the check is not met.
    pub communities: usize,
    /// The unit of `total` (a check has one unit); `None` for yes/no checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// The summed shortfall (m², count, share points, minutes over).
    pub total: f64,
}

/// One item over the communities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemShortfall {
    pub item: u8,
    pub name_zh: String,
    pub gap: usize,
    pub advisory: usize,
    pub not_surveyed: usize,
    pub met: usize,
    pub not_applicable: usize,
    /// The binding checks not met somewhere, in the standard's order.
    pub checks: Vec<CheckShortfall>,
}

/// Shortfalls per item over the latest record of each community, items in order.
pub fn shortfalls(records: &[Surveyed]) -> Vec<ItemShortfall> {
    shortfalls_of(&latest(records))
}

fn shortfalls_of(records: &[&Surveyed]) -> Vec<ItemShortfall> {
    let mut items: Vec<ItemShortfall> = Vec::new();
    for r in records {
        for it in &r.evaluation.items {
            let pos = match items.iter().position(|i| i.item == it.item) {
                Some(p) => p,
                None => {
                    items.push(ItemShortfall {
                        item: it.item,
                        name_zh: it.name_zh.clone(),
                        gap: 0,
                        advisory: 0,
                        not_surveyed: 0,
                        met: 0,
                        not_applicable: 0,
                        checks: Vec::new(),
                    });
                    items.len() - 1
                }
            };
            let agg = &mut items[pos];
            match it.status {
                ItemStatus::Gap => agg.gap += 1,
                ItemStatus::Advisory => agg.advisory += 1,
                ItemStatus::NotSurveyed => agg.not_surveyed += 1,
                ItemStatus::Met => agg.met += 1,
                ItemStatus::NotApplicable => agg.not_applicable += 1,
            }
            for c in it.checks.iter().filter(|c| {
                c.status == CheckStatus::NotMet
                    && c.strength == buqi_schema::standard::Strength::Binding
            }) {
                let s = shortfall(c);
                let line = match agg.checks.iter().position(|x| x.check == c.check) {
                    Some(p) => &mut agg.checks[p],
                    None => {
                        agg.checks.push(CheckShortfall {
                            check: c.check.clone(),
                            title_zh: c.title_zh.clone(),
                            communities: 0,
                            unit: None,
                            total: 0.0,
                        });
                        agg.checks.last_mut().expect("just pushed")
                    }
                };
                line.communities += 1;
                if let Some(s) = s {
                    line.unit = Some(s.unit);
                    line.total += s.value;
                }
            }
        }
    }
    // Checks stay in the order they were first met, which is the standard's order: every
    // evaluation lists its checks as the standard does.
    items.sort_by_key(|i| i.item);
    items
}

/// The figures of one report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub coverage: Coverage,
    pub items: Vec<ItemShortfall>,
}

/// Coverage and shortfalls together, over the latest record of each community.
pub fn figures(records: &[Surveyed]) -> Figures {
    let latest = latest(records);
    Figures {
        coverage: coverage_of(&latest),
        items: shortfalls_of(&latest),
    }
}

/// A number in two years and the change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    pub from: T,
    pub to: T,
}

impl Change<f64> {
    pub fn delta(&self) -> f64 {
        self.to - self.from
    }
}

impl Change<usize> {
    pub fn delta(&self) -> i64 {
        self.to as i64 - self.from as i64
    }
}

/// A city's or district's coverage in two years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoverageChange {
    pub city: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    pub communities: Change<usize>,
    pub complete: Change<usize>,
    pub coverage: Change<f64>,
}

/// An item's gaps in two years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemChange {
    pub item: u8,
    pub name_zh: String,
    pub gap: Change<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct YearOnYear {
    pub from: i32,
    pub to: i32,
    pub cities: Vec<CoverageChange>,
    pub districts: Vec<CoverageChange>,
    pub items: Vec<ItemChange>,
}

/// Two years side by side: each year counts the communities surveyed in it (the latest survey of
/// each within the year). A city or district surveyed in only one year shows zeros in the other.
pub fn year_on_year(records: &[Surveyed], from: i32, to: i32) -> YearOnYear {
    let of_year = |y: i32| {
        let latest = latest_of(records.iter().filter(|r| r.year == Some(y)));
        (coverage_of(&latest), shortfalls_of(&latest))
    };
    let (cov_a, items_a) = of_year(from);
    let (cov_b, items_b) = of_year(to);
    let pair = |a: &[AreaCoverage], b: &[AreaCoverage]| {
        let mut keys: Vec<(String, Option<String>)> = a
            .iter()
            .chain(b)
            .map(|c| (c.city.clone(), c.district.clone()))
            .collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|(city, district)| {
                let find = |list: &[AreaCoverage]| {
                    list.iter()
                        .find(|c| c.city == city && c.district == district)
                        .cloned()
                        .unwrap_or_else(|| AreaCoverage::new(&city, district.as_deref()))
                };
                let (x, y) = (find(a), find(b));
                CoverageChange {
                    city: city.clone(),
                    district: district.clone(),
                    communities: Change {
                        from: x.communities,
                        to: y.communities,
                    },
                    complete: Change {
                        from: x.complete,
                        to: y.complete,
                    },
                    coverage: Change {
                        from: x.coverage,
                        to: y.coverage,
                    },
                }
            })
            .collect::<Vec<_>>()
    };
    let mut items: Vec<ItemChange> = Vec::new();
    for i in items_a.iter().chain(&items_b) {
        if items.iter().any(|x| x.item == i.item) {
            continue;
        }
        let gap =
            |list: &[ItemShortfall]| list.iter().find(|x| x.item == i.item).map_or(0, |x| x.gap);
        items.push(ItemChange {
            item: i.item,
            name_zh: i.name_zh.clone(),
            gap: Change {
                from: gap(&items_a),
                to: gap(&items_b),
            },
        });
    }
    items.sort_by_key(|i| i.item);
    YearOnYear {
        from,
        to,
        cities: pair(&cov_a.cities, &cov_b.cities),
        districts: pair(&cov_a.districts, &cov_b.districts),
        items,
    }
}
