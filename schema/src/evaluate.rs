//! The one evaluator: (survey, standard with its profile) → a result for each of the 20 items.
//!
//! It is a pure function, run live on the tablet and authoritatively on the server. It never
//! guesses: a value that was not surveyed makes its check `not_surveyed`, never `met` and never
//! zero. A facility that is missing counts as missing only once the surveyor has marked the item
//! complete; until then the surveyor may simply not have reached it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ramp;
use crate::standard::{
    Aggregate, AppliesTo, Basis, Check, Condition, FacilityField, FacilityFlag, Item, Rule,
    Standard, Strength,
};
use crate::survey::{CommunityKind, Facility, Outcome, Quantity, Survey};
use crate::vocab::{FacilityKind, Feature, Method};

/// The `format` of an evaluation document.
pub const EVALUATION_FORMAT: &str = "buqi.evaluation";

/// Relative slack for comparing measured numbers with thresholds, so that a value exactly on a
/// threshold (1:12 computed as 0.5 / 6.0) is on it, whatever the floating-point rounding.
const SLACK: f64 = 1e-9;

/// `value ≥ required`, allowing for rounding.
pub fn at_least(value: f64, required: f64) -> bool {
    value >= required - SLACK * required.abs().max(1.0)
}

/// `value ≤ limit`, allowing for rounding.
pub fn at_most(value: f64, limit: f64) -> bool {
    value <= limit + SLACK * limit.abs().max(1.0)
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Met,
    NotMet,
    NotApplicable,
    NotSurveyed,
}

impl CheckStatus {
    /// All of several parts: not met if any part is not met; else not surveyed if any part is
    /// unknown; else met. An empty list is met.
    pub fn combine(parts: impl IntoIterator<Item = CheckStatus>) -> CheckStatus {
        let mut out = CheckStatus::Met;
        for p in parts {
            match p {
                CheckStatus::NotMet => return CheckStatus::NotMet,
                CheckStatus::NotSurveyed => out = CheckStatus::NotSurveyed,
                _ => {}
            }
        }
        out
    }
}

/// An item's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Every applicable check is met.
    Met,
    /// A binding check is not met: a 短板.
    Gap,
    /// Every binding check is met, an advisory one is not.
    Advisory,
    /// No check applies to this community.
    NotApplicable,
    /// Something the verdict needs has not been surveyed.
    NotSurveyed,
}

impl ItemStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            ItemStatus::Met => "达标",
            ItemStatus::Gap => "短板",
            ItemStatus::Advisory => "建议改进",
            ItemStatus::NotApplicable => "不适用",
            ItemStatus::NotSurveyed => "未调查",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            ItemStatus::Met => "met",
            ItemStatus::Gap => "gap",
            ItemStatus::Advisory => "advisory",
            ItemStatus::NotApplicable => "not applicable",
            ItemStatus::NotSurveyed => "not surveyed",
        }
    }
}

/// The unit of a number in a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    M2,
    Minutes,
    Count,
    /// A fraction: 1.0 is 100 %.
    Share,
}

/// What a check requires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Requirement {
    AtLeast {
        value: f64,
        unit: Unit,
    },
    AtMost {
        value: f64,
        unit: Unit,
    },
    /// The surveyor must have observed it to be so.
    Yes,
    /// One of these (property-management modes).
    OneOf {
        values: Vec<String>,
    },
}

/// What was found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Measured {
    Number {
        value: f64,
        unit: Unit,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        method: Option<Method>,
    },
    Yes(bool),
    Text(String),
}

/// A line of explanation under a check: what is missing, which ramp fails and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Detail {
    pub zh: String,
    pub en: String,
}

impl Detail {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Detail {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// Where a finding comes from: every finding names the standard version, the profile, the item
/// and the clause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    pub standard: String,
    pub version: String,
    /// The profile the evaluation ran under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The profile changed or added this check.
    pub from_profile: bool,
    pub item: u8,
    pub clause_zh: String,
    pub clause_en: String,
}

/// One check's finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckResult {
    pub check: String,
    pub title_zh: String,
    pub title_en: String,
    pub strength: Strength,
    pub status: CheckStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Requirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Detail>,
    pub source: Source,
}

/// One item's finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ItemResult {
    /// 1–20.
    pub item: u8,
    pub group: u8,
    pub name_zh: String,
    pub name_en: String,
    pub status: ItemStatus,
    /// The surveyor marked the item complete.
    pub complete: bool,
    /// Where the item names one facility and several were recorded: the one it was judged on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub judged_on: Vec<JudgedOn>,
    pub checks: Vec<CheckResult>,
}

/// The one facility an item was judged on, out of several of its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JudgedOn {
    pub kind: FacilityKind,
    pub facility: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many of this kind were recorded.
    pub candidates: usize,
}

/// The 说明's unit: is the community's population within 0.5–1.2 万?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScaleStatus {
    Within,
    /// Too few people: merge with a neighbour (统筹合并).
    BelowMerge,
    /// Too many people: split (拆分).
    AboveSplit,
    NotSurveyed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScaleFinding {
    pub status: ScaleStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<u32>,
    pub population_min: u32,
    pub population_max: u32,
    pub advice_zh: String,
    pub advice_en: String,
    pub clause_zh: String,
}

/// Is the community a complete community?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No item has a gap and every item is surveyed: 完整居住社区.
    Complete,
    /// At least one gap.
    NotComplete,
    /// No gap found yet, but something is not surveyed.
    Undetermined,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub verdict: Verdict,
    pub met: usize,
    pub gaps: usize,
    pub advisory: usize,
    pub not_applicable: usize,
    pub not_surveyed: usize,
    /// The items with a gap, in order.
    pub gap_items: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StandardRef {
    pub id: String,
    pub version: String,
    pub title_zh: String,
    pub title_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProfileRef {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CommunityRef {
    pub id: Uuid,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CommunityKind>,
}

/// The whole evaluation of one community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evaluation {
    /// `buqi.evaluation`.
    pub format: String,
    pub standard: StandardRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileRef>,
    pub community: CommunityRef,
    pub summary: Summary,
    pub scale: ScaleFinding,
    /// Exactly 20, in order.
    pub items: Vec<ItemResult>,
    /// Things in the survey the standard does not count (an observation it does not define).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Evaluates a survey against a standard (with its profile, if one was laid over it).
pub fn evaluate(survey: &Survey, standard: &Standard) -> Evaluation {
    let items: Vec<ItemResult> = standard
        .items
        .iter()
        .map(|item| evaluate_item(survey, standard, item))
        .collect();

    let count = |s: ItemStatus| items.iter().filter(|i| i.status == s).count();
    let gap_items: Vec<u8> = items
        .iter()
        .filter(|i| i.status == ItemStatus::Gap)
        .map(|i| i.item)
        .collect();
    let summary = Summary {
        verdict: if !gap_items.is_empty() {
            Verdict::NotComplete
        } else if count(ItemStatus::NotSurveyed) > 0 {
            Verdict::Undetermined
        } else {
            Verdict::Complete
        },
        met: count(ItemStatus::Met),
        gaps: gap_items.len(),
        advisory: count(ItemStatus::Advisory),
        not_applicable: count(ItemStatus::NotApplicable),
        not_surveyed: count(ItemStatus::NotSurveyed),
        gap_items,
    };

    let warnings = survey
        .observations
        .keys()
        .filter(|k| standard.observation(k).is_none())
        .map(|k| {
            format!("observations.{k}: the standard defines no such observation; it is not counted")
        })
        .collect();

    Evaluation {
        format: EVALUATION_FORMAT.to_owned(),
        standard: StandardRef {
            id: standard.standard.id.clone(),
            version: standard.standard.version.clone(),
            title_zh: standard.standard.title_zh.clone(),
            title_en: standard.standard.title_en.clone(),
        },
        profile: standard.profile.as_ref().map(|p| ProfileRef {
            id: p.id.clone(),
            name_zh: p.name_zh.clone(),
            name_en: p.name_en.clone(),
        }),
        community: CommunityRef {
            id: survey.community.id,
            name: survey.community.name.clone(),
            kind: survey.community.kind,
        },
        summary,
        scale: scale(survey, standard),
        items,
        warnings,
    }
}

/// Evaluates one item. Where the item names one facility of a kind (一个幼儿园) and several were
/// recorded, every check is judged on the same one: the one that meets the most checks and misses the
/// fewest (the first recorded, on a tie), so that two half-good kindergartens never add up to one.
fn evaluate_item(survey: &Survey, standard: &Standard, item: &Item) -> ItemResult {
    let complete = survey.item_complete(item.number);
    let judge = |chosen: &[(FacilityKind, Uuid)]| -> Vec<CheckResult> {
        let ctx = Ctx {
            survey,
            standard,
            complete,
            chosen,
        };
        item.checks
            .iter()
            .map(|check| ctx.check(item.number, check))
            .collect()
    };
    let mut chosen: Vec<(FacilityKind, Uuid)> = Vec::new();
    let mut judged_on = Vec::new();
    for &kind in &item.one_facility {
        let candidates: Vec<&Facility> = survey
            .facilities
            .iter()
            .filter(|f| f.kind == kind)
            .collect();
        if candidates.len() < 2 {
            continue;
        }
        let score = |f: &Facility| {
            let mut trial = chosen.clone();
            trial.push((kind, f.id));
            let checks = judge(&trial);
            let met = checks
                .iter()
                .filter(|c| c.status == CheckStatus::Met)
                .count();
            let not_met = checks
                .iter()
                .filter(|c| c.status == CheckStatus::NotMet)
                .count();
            (met, std::cmp::Reverse(not_met))
        };
        // `max_by_key` keeps the last of equals; reversed, that is the first recorded.
        let best = candidates
            .iter()
            .rev()
            .max_by_key(|f| score(f))
            .expect("at least two candidates");
        chosen.push((kind, best.id));
        judged_on.push(JudgedOn {
            kind,
            facility: best.id,
            name: best.name.clone(),
            candidates: candidates.len(),
        });
    }
    let checks = judge(&chosen);
    ItemResult {
        item: item.number,
        group: item.group,
        name_zh: item.name_zh.clone(),
        name_en: item.name_en.clone(),
        status: item_status(&checks),
        complete,
        judged_on,
        checks,
    }
}

/// Gap beats not-surveyed beats advisory beats met; an item none of whose checks apply is not
/// applicable.
fn item_status(checks: &[CheckResult]) -> ItemStatus {
    let applicable: Vec<&CheckResult> = checks
        .iter()
        .filter(|c| c.status != CheckStatus::NotApplicable)
        .collect();
    if applicable.is_empty() {
        return ItemStatus::NotApplicable;
    }
    let any = |strength: Option<Strength>, status: CheckStatus| {
        applicable
            .iter()
            .any(|c| c.status == status && strength.is_none_or(|s| c.strength == s))
    };
    if any(Some(Strength::Binding), CheckStatus::NotMet) {
        ItemStatus::Gap
    } else if any(None, CheckStatus::NotSurveyed) {
        ItemStatus::NotSurveyed
    } else if any(Some(Strength::Advisory), CheckStatus::NotMet) {
        ItemStatus::Advisory
    } else {
        ItemStatus::Met
    }
}

fn scale(survey: &Survey, standard: &Standard) -> ScaleFinding {
    let rule = &standard.scale;
    let population = survey.community.population.map(|p| p.get());
    let (status, zh, en) = match population {
        None => (
            ScaleStatus::NotSurveyed,
            "未填写人口，无法判断社区规模".to_owned(),
            "population not recorded: scale cannot be judged".to_owned(),
        ),
        Some(p) if p < rule.population_min => (
            ScaleStatus::BelowMerge,
            format!(
                "人口 {p} 人，低于 {} 人：宜与相邻社区统筹合并或联动建设",
                rule.population_min
            ),
            format!(
                "{p} people, fewer than {}: merge with or plan together with a neighbouring community",
                rule.population_min
            ),
        ),
        Some(p) if p > rule.population_max && survey.community.kind == Some(CommunityKind::New) => (
            ScaleStatus::AboveSplit,
            format!(
                "人口 {p} 人，高于 {} 人：规模较大的新建住宅项目，要合理划分成几个规模适宜的居住社区，按照标准配齐设施",
                rule.population_max
            ),
            format!(
                "{p} people, more than {}: a large new project is to be divided into several communities of a suitable size, each fully provided",
                rule.population_max
            ),
        ),
        Some(p) if p > rule.population_max => (
            ScaleStatus::AboveSplit,
            format!("人口 {p} 人，高于 {} 人：宜拆分为若干居住社区", rule.population_max),
            format!(
                "{p} people, more than {}: split into several communities",
                rule.population_max
            ),
        ),
        Some(p) => (
            ScaleStatus::Within,
            format!("人口 {p} 人，规模适宜"),
            format!("{p} people: within the unit's scale"),
        ),
    };
    ScaleFinding {
        status,
        population,
        population_min: rule.population_min,
        population_max: rule.population_max,
        advice_zh: zh,
        advice_en: en,
        clause_zh: rule.clause_zh.clone(),
    }
}

/// What a rule found, before it is dressed as a `CheckResult`.
struct Found {
    status: CheckStatus,
    required: Option<Requirement>,
    measured: Option<Measured>,
    details: Vec<Detail>,
}

impl Found {
    fn status(status: CheckStatus) -> Self {
        Found {
            status,
            required: None,
            measured: None,
            details: Vec::new(),
        }
    }

    /// "`counted` of the `needed`": counts of facilities, features, entrances, ramps.
    fn tally(status: CheckStatus, needed: f64, counted: f64) -> Self {
        Found {
            status,
            required: Some(Requirement::AtLeast {
                value: needed,
                unit: Unit::Count,
            }),
            measured: Some(Measured::Number {
                value: counted,
                unit: Unit::Count,
                method: None,
            }),
            details: Vec::new(),
        }
    }

    fn detail(mut self, zh: impl Into<String>, en: impl Into<String>) -> Self {
        self.details.push(Detail::new(zh, en));
        self
    }
}

/// What the evaluator knows while it evaluates one item.
struct Ctx<'a> {
    survey: &'a Survey,
    standard: &'a Standard,
    /// The surveyor marked this item complete: what is not there is absent.
    complete: bool,
    /// For kinds the item judges on one facility: that facility; the others of its kind are set aside.
    chosen: &'a [(FacilityKind, Uuid)],
}

impl<'a> Ctx<'a> {
    /// The facilities of these kinds this item may count.
    fn facilities_of(&self, kinds: &[FacilityKind]) -> Vec<&'a Facility> {
        self.survey
            .facilities
            .iter()
            .filter(|f| kinds.contains(&f.kind))
            .filter(|f| {
                self.chosen
                    .iter()
                    .all(|(kind, id)| f.kind != *kind || f.id == *id)
            })
            .collect()
    }

    fn check(&self, item: u8, check: &Check) -> CheckResult {
        let found = match self.applicability(check.applies_to, check.when) {
            Some(true) => self.rule(&check.rule),
            Some(false) => Found::status(CheckStatus::NotApplicable),
            None => self.unknown_applicability(check.applies_to, check.when),
        };
        CheckResult {
            check: check.id.clone(),
            title_zh: check.title_zh.clone(),
            title_en: check.title_en.clone(),
            strength: check.strength,
            status: found.status,
            required: found.required,
            measured: found.measured,
            details: found.details,
            source: Source {
                standard: self.standard.standard.id.clone(),
                version: self.standard.standard.version.clone(),
                profile: self.standard.profile.as_ref().map(|p| p.id.clone()),
                from_profile: check.from_profile,
                item,
                clause_zh: check.clause_zh.clone(),
                clause_en: check.clause_en.clone(),
            },
        }
    }

    fn unknown_applicability(&self, applies_to: AppliesTo, when: Option<Condition>) -> Found {
        let c = &self.survey.community;
        let found = Found::status(CheckStatus::NotSurveyed);
        if applies_to != AppliesTo::All && c.kind.is_none() {
            return found.detail(
                "未填写新建或既有居住社区，无法判断是否适用",
                "new or existing not recorded: cannot tell whether this applies",
            );
        }
        match when {
            Some(Condition::CentralHeatingZone) => found.detail(
                "未填写是否集中供热地区",
                "central-heating zone not recorded",
            ),
            _ => found.detail(
                "未填写是否城镇老旧小区或受场地条件约束",
                "old estate / site constraint not recorded",
            ),
        }
    }

    /// Whether a check applies: `None` when the survey does not say enough to tell.
    fn applicability(&self, applies_to: AppliesTo, when: Option<Condition>) -> Option<bool> {
        let c = &self.survey.community;
        let by_kind = match applies_to {
            AppliesTo::All => Some(true),
            _ => c.kind.map(|k| applies_to.covers(k)),
        };
        let by_condition = match when {
            None => Some(true),
            Some(Condition::CentralHeatingZone) => c.central_heating_zone,
            Some(Condition::SiteConstrained) => self.site_constrained(),
            Some(Condition::NotSiteConstrained) => self.site_constrained().map(|b| !b),
        };
        // A definite "no" from either side settles it, even if the other is unknown.
        match (by_kind, by_condition) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }
    }

    /// 城镇老旧小区等受场地条件约束的既有居住社区.
    fn site_constrained(&self) -> Option<bool> {
        let c = &self.survey.community;
        match c.kind? {
            CommunityKind::New => Some(false),
            CommunityKind::Existing => match (c.old_estate, c.site_constrained) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
        }
    }

    fn basis(&self, basis: Basis) -> Option<f64> {
        let c = &self.survey.community;
        match basis {
            Basis::Population => c.population.map(|v| f64::from(v.get())),
            Basis::Households => c.households.map(|v| f64::from(v.get())),
            Basis::TotalFloorAreaM2 => c.total_floor_area_m2.map(|v| v.get()),
            Basis::DailyParcelDeliveries => c.daily_parcel_deliveries.map(|v| f64::from(v.get())),
        }
    }

    /// A facility's value of a field, if surveyed. Shares give (numerator, denominator).
    fn value(&self, f: &Facility, field: FacilityField) -> Option<f64> {
        match field {
            FacilityField::BuildingAreaM2 => f.building_area_m2.map(|v| v.get()),
            FacilityField::LandAreaM2 => f.land_area_m2.map(|v| v.get()),
            FacilityField::UsableAreaM2 => f.usable_area_m2.map(|v| v.get()),
            FacilityField::SportsAreaM2 => f.sports_area_m2.map(|v| v.get()),
            FacilityField::Classes => f.classes.map(|v| f64::from(v.get())),
            FacilityField::Compartments => f.compartments.map(|v| f64::from(v.get())),
            FacilityField::Spaces => f.spaces.map(|v| f64::from(v.get())),
            FacilityField::ChargingReadySpaces => charging_ready(f),
            FacilityField::WalkMinutes => f
                .walk
                .map(|w| w.minutes(self.standard.general.walk_speed_m_per_min)),
            FacilityField::ChargingReadyShare | FacilityField::SportsAreaShare => {
                let (n, d) = share_parts(f, field)?;
                (d > 0.0).then(|| n / d)
            }
        }
    }

    fn rule(&self, rule: &Rule) -> Found {
        match rule {
            Rule::Count {
                kinds,
                at_least: n,
                min_building_area_m2,
            } => self.count(kinds, *n, *min_building_area_m2),
            Rule::FacilityValue {
                kinds,
                field,
                aggregate,
                at_least: lo,
                at_most: hi,
                per,
            } => {
                let required = match (lo, hi) {
                    (Some(lo), _) => Bound::AtLeast(*lo, per.map(|p| (p, self.basis(p.basis)))),
                    (None, Some(hi)) => Bound::AtMost(*hi),
                    // The standard loader refuses a check without a bound.
                    (None, None) => Bound::AtLeast(0.0, None),
                };
                self.facility_value(kinds, *field, *aggregate, required)
            }
            Rule::Features {
                kinds,
                required,
                at_least: n,
            } => self.features(kinds, required, *n),
            Rule::FacilityFlag { kinds, flag } => self.facility_flag(kinds, *flag),
            Rule::CommunityValue {
                field,
                at_least: lo,
                at_most: hi,
            } => self.community_value(*field, *lo, *hi),
            Rule::Observation { id } => {
                let mut found = Found::status(match self.survey.observations.get(id) {
                    Some(true) => CheckStatus::Met,
                    Some(false) => CheckStatus::NotMet,
                    None => CheckStatus::NotSurveyed,
                });
                found.required = Some(Requirement::Yes);
                found.measured = self.survey.observations.get(id).map(|b| Measured::Yes(*b));
                found
            }
            Rule::PropertyManagement { any_of } => {
                let mode = self.survey.community.property_management;
                let mut found = Found::status(match mode {
                    Some(m) if any_of.contains(&m) => CheckStatus::Met,
                    Some(_) => CheckStatus::NotMet,
                    None => CheckStatus::NotSurveyed,
                });
                found.required = Some(Requirement::OneOf {
                    values: any_of.iter().map(|m| m.id().to_owned()).collect(),
                });
                found.measured = mode.map(|m| Measured::Text(m.id().to_owned()));
                found
            }
            Rule::Entrances => self.entrances(),
            Rule::Ramps => self.ramps(),
            Rule::Checklists { worst_allowed } => self.checklists(*worst_allowed),
            Rule::AnyOf { alternatives } => {
                let mut unknown = false;
                let mut results = Vec::new();
                for alt in alternatives {
                    let found = match self.applicability(alt.applies_to, alt.when) {
                        Some(false) => continue,
                        Some(true) => self.rule(&alt.rule),
                        None => {
                            unknown = true;
                            continue;
                        }
                    };
                    if found.status == CheckStatus::Met {
                        return Found {
                            details: vec![Detail::new(
                                format!("以“{}”满足", alt.label_zh),
                                format!("met by: {}", alt.label_en),
                            )],
                            ..found
                        };
                    }
                    results.push((alt, found));
                }
                let Some((_, first)) = results.first() else {
                    return Found::status(if unknown {
                        CheckStatus::NotSurveyed
                    } else {
                        CheckStatus::NotApplicable
                    });
                };
                let status = if unknown
                    || results
                        .iter()
                        .any(|(_, f)| f.status == CheckStatus::NotSurveyed)
                {
                    CheckStatus::NotSurveyed
                } else {
                    CheckStatus::NotMet
                };
                let mut details = Vec::new();
                for (alt, f) in &results {
                    let (zh, en) = match f.status {
                        CheckStatus::NotSurveyed => ("未调查", "not surveyed"),
                        _ => ("未满足", "not met"),
                    };
                    details.push(Detail::new(
                        format!("{}：{zh}", alt.label_zh),
                        format!("{}: {en}", alt.label_en),
                    ));
                }
                Found {
                    status,
                    required: first.required.clone(),
                    measured: first.measured.clone(),
                    details,
                }
            }
        }
    }

    /// Not met is final only when the surveyor has looked everywhere; before that, not surveyed.
    fn unless_incomplete(&self, status: CheckStatus) -> CheckStatus {
        if status == CheckStatus::NotMet && !self.complete {
            CheckStatus::NotSurveyed
        } else {
            status
        }
    }

    fn none_found(&self, kinds: &[FacilityKind]) -> Detail {
        let zh: Vec<&str> = kinds.iter().map(|k| k.name_zh()).collect();
        let en: Vec<&str> = kinds.iter().map(|k| k.name_en()).collect();
        if self.complete {
            Detail::new(
                format!("未发现{}", zh.join("或")),
                format!("no {} found", en.join(" or ")),
            )
        } else {
            Detail::new(
                format!("尚未记录{}（本项未标记完成）", zh.join("或")),
                format!(
                    "no {} recorded yet (item not marked complete)",
                    en.join(" or ")
                ),
            )
        }
    }

    fn count(&self, kinds: &[FacilityKind], n: u32, min_area: Option<f64>) -> Found {
        let facilities = self.facilities_of(kinds);
        let mut counted = 0u32;
        let mut unknown = 0u32;
        for f in &facilities {
            match (min_area, f.building_area_m2) {
                (None, _) => counted += 1,
                (Some(min), Some(a)) if at_least(a.get(), min) => counted += 1,
                (Some(_), None) => unknown += 1,
                _ => {}
            }
        }
        let status = if counted >= n {
            CheckStatus::Met
        } else if unknown > 0 {
            CheckStatus::NotSurveyed
        } else {
            self.unless_incomplete(CheckStatus::NotMet)
        };
        let mut found = Found::tally(status, f64::from(n), f64::from(counted));
        if let Some(min) = min_area {
            found = found.detail(
                format!("只计建筑面积不小于 {min} 平方米的设施"),
                format!("counting only facilities of at least {min} m²"),
            );
        }
        if unknown > 0 {
            found = found.detail(
                format!("{unknown} 处未填写建筑面积"),
                format!("{unknown} without a building area"),
            );
        }
        if facilities.is_empty() && status != CheckStatus::Met {
            found.details.push(self.none_found(kinds));
        }
        found
    }

    fn facility_value(
        &self,
        kinds: &[FacilityKind],
        field: FacilityField,
        aggregate: Option<Aggregate>,
        bound: Bound,
    ) -> Found {
        let unit = unit_of(field);
        let facilities = self.facilities_of(kinds);
        let aggregate = aggregate.unwrap_or(match bound {
            Bound::AtLeast(..) => Aggregate::Max,
            Bound::AtMost(_) => Aggregate::Min,
        });

        // The requirement; a threshold that scales with an unrecorded basis is unknown above its floor.
        let (required, basis_missing) = match bound {
            Bound::AtLeast(floor, None) => (floor, None),
            Bound::AtLeast(floor, Some((per, Some(basis)))) => (floor.max(per.rate * basis), None),
            Bound::AtLeast(floor, Some((per, None))) => (floor, Some(per)),
            Bound::AtMost(limit) => (limit, None),
        };
        let requirement = match bound {
            Bound::AtLeast(..) => Requirement::AtLeast {
                value: required,
                unit,
            },
            Bound::AtMost(_) => Requirement::AtMost {
                value: required,
                unit,
            },
        };
        let meets = |v: f64| match bound {
            Bound::AtLeast(..) => at_least(v, required),
            Bound::AtMost(_) => at_most(v, required),
        };

        let known: Vec<(&Facility, f64)> = facilities
            .iter()
            .filter_map(|f| self.value(f, field).map(|v| (*f, v)))
            .collect();
        let unknown = facilities.len() - known.len();

        // The aggregate over what is known, and whether the unknown could still change the verdict.
        let (value, single, unknown_matters) = match aggregate {
            Aggregate::Max => {
                let best = known.iter().max_by(|a, b| a.1.total_cmp(&b.1));
                (best.map(|b| b.1), best.map(|b| b.0), true)
            }
            Aggregate::Min => {
                let best = known.iter().min_by(|a, b| a.1.total_cmp(&b.1));
                (best.map(|b| b.1), best.map(|b| b.0), true)
            }
            Aggregate::Sum => (
                (!known.is_empty()).then(|| known.iter().map(|k| k.1).sum()),
                (known.len() == 1).then(|| known[0].0),
                true,
            ),
            Aggregate::Pooled => {
                let parts: Vec<(f64, f64)> = facilities
                    .iter()
                    .filter_map(|f| share_parts(f, field))
                    .collect();
                let (n, d) = parts
                    .iter()
                    .fold((0.0, 0.0), |(n, d), (pn, pd)| (n + pn, d + pd));
                (
                    (d > 0.0).then(|| n / d),
                    None,
                    facilities.len() != parts.len(),
                )
            }
        };
        // Adding facilities only helps a max or a sum against a floor, or a min against a ceiling;
        // in those cases a known value that meets the bound is final.
        let monotone = matches!(
            (aggregate, bound),
            (Aggregate::Max | Aggregate::Sum, Bound::AtLeast(..))
                | (Aggregate::Min, Bound::AtMost(_))
        );

        let status = match value {
            Some(v)
                if meets(v)
                    && basis_missing.is_none()
                    && (monotone || (unknown == 0 && self.complete)) =>
            {
                CheckStatus::Met
            }
            Some(v) if meets(v) => CheckStatus::NotSurveyed,
            _ if unknown > 0 && unknown_matters => CheckStatus::NotSurveyed,
            _ => self.unless_incomplete(CheckStatus::NotMet),
        };

        let method =
            single.and_then(|f| quantity_of(field).and_then(|q| self.survey.method_of(f.id, q)));
        let mut found = Found::status(status);
        // A requirement of "≥ 0" says nothing; with its basis unrecorded, say what it is made of.
        found.required = (basis_missing.is_none() || required > 0.0).then_some(requirement);
        found.measured = value.map(|v| Measured::Number {
            value: v,
            unit,
            method,
        });
        if let Some(per) = basis_missing {
            let (zh, en) = (basis_zh(per.basis), basis_en(per.basis));
            found = found.detail(
                format!("要求按 {} × {zh} 计，但未填写{zh}", per.rate),
                format!("required: {} × {en}, but {en} is not recorded", per.rate),
            );
        }
        if unknown > 0 {
            let names: Vec<&str> = facilities
                .iter()
                .filter(|f| self.value(f, field).is_none())
                .map(|f| f.name.as_deref().unwrap_or(f.kind.name_zh()))
                .collect();
            let names_en: Vec<&str> = facilities
                .iter()
                .filter(|f| self.value(f, field).is_none())
                .map(|f| f.name.as_deref().unwrap_or(f.kind.name_en()))
                .collect();
            found = found.detail(
                format!("尚未填写：{}", names.join("、")),
                format!("not recorded for: {}", names_en.join(", ")),
            );
        }
        if facilities.is_empty() {
            found.details.push(self.none_found(kinds));
        }
        found
    }

    fn features(&self, kinds: &[FacilityKind], required: &[Feature], n: Option<u32>) -> Found {
        let facilities = self.facilities_of(kinds);
        let present: Vec<Feature> = required
            .iter()
            .copied()
            .filter(|r| facilities.iter().any(|f| f.features.contains(r)))
            .collect();
        let missing: Vec<Feature> = required
            .iter()
            .copied()
            .filter(|r| !present.contains(r))
            .collect();
        let needed = n.map_or(required.len(), |n| n as usize);
        let status = if present.len() >= needed {
            CheckStatus::Met
        } else {
            self.unless_incomplete(CheckStatus::NotMet)
        };
        let mut found = Found::tally(status, needed as f64, present.len() as f64);
        if facilities.is_empty() {
            found.details.push(self.none_found(kinds));
        } else if !missing.is_empty() && status != CheckStatus::Met {
            let zh: Vec<&str> = missing.iter().map(|f| f.name_zh()).collect();
            let en: Vec<&str> = missing.iter().map(|f| f.name_en()).collect();
            found = if status == CheckStatus::NotMet {
                found.detail(
                    format!("缺少：{}", zh.join("、")),
                    format!("missing: {}", en.join(", ")),
                )
            } else {
                found.detail(
                    format!("尚未记录：{}", zh.join("、")),
                    format!("not recorded yet: {}", en.join(", ")),
                )
            };
        }
        found
    }

    fn facility_flag(&self, kinds: &[FacilityKind], flag: FacilityFlag) -> Found {
        let facilities = self.facilities_of(kinds);
        let values: Vec<Option<bool>> = facilities
            .iter()
            .map(|f| match flag {
                FacilityFlag::Inclusive => f.inclusive,
                FacilityFlag::OpenToPublic => f.open_to_public,
            })
            .collect();
        let status = if values.contains(&Some(true)) {
            CheckStatus::Met
        } else if values.contains(&None) {
            CheckStatus::NotSurveyed
        } else {
            self.unless_incomplete(CheckStatus::NotMet)
        };
        let mut found = Found::status(status);
        found.required = Some(Requirement::Yes);
        found.measured = match status {
            CheckStatus::Met => Some(Measured::Yes(true)),
            CheckStatus::NotMet if !facilities.is_empty() => Some(Measured::Yes(false)),
            _ => None,
        };
        if facilities.is_empty() {
            found.details.push(self.none_found(kinds));
        }
        found
    }

    fn community_value(&self, field: Basis, lo: Option<f64>, hi: Option<f64>) -> Found {
        let value = self.basis(field);
        let unit = match field {
            Basis::TotalFloorAreaM2 => Unit::M2,
            _ => Unit::Count,
        };
        let (requirement, ok) = match (lo, hi) {
            (Some(lo), _) => (
                Requirement::AtLeast { value: lo, unit },
                value.map(|v| at_least(v, lo)),
            ),
            (None, Some(hi)) => (
                Requirement::AtMost { value: hi, unit },
                value.map(|v| at_most(v, hi)),
            ),
            (None, None) => (
                Requirement::AtLeast { value: 0.0, unit },
                value.map(|_| true),
            ),
        };
        let mut found = Found::status(match ok {
            Some(true) => CheckStatus::Met,
            Some(false) => CheckStatus::NotMet,
            None => CheckStatus::NotSurveyed,
        });
        found.required = Some(requirement);
        found.measured = value.map(|v| Measured::Number {
            value: v,
            unit,
            method: None,
        });
        if value.is_none() {
            found = found.detail(
                format!("未填写{}", basis_zh(field)),
                format!("{} not recorded", basis_en(field)),
            );
        }
        found
    }

    fn entrances(&self) -> Found {
        let entrances = &self.survey.entrances;
        if entrances.is_empty() {
            return Found::status(CheckStatus::NotSurveyed).detail(
                "尚未记录住宅和公共建筑出入口",
                "no building entrances recorded yet",
            );
        }
        let mut ok = 0usize;
        let mut details = Vec::new();
        let mut failing = false;
        let mut unknown = false;
        for e in entrances {
            match (e.step_free, e.ramp) {
                (Some(true), _) | (_, Some(_)) => ok += 1,
                (Some(false), None) => {
                    failing = true;
                    details.push(Detail::new(
                        format!("{}：有高差，未设轮椅坡道", e.label),
                        format!("{}: a step with no wheelchair ramp", e.label),
                    ))
                }
                (None, None) => unknown = true,
            }
        }
        let status = if failing {
            CheckStatus::NotMet
        } else if unknown || !self.complete {
            CheckStatus::NotSurveyed
        } else {
            CheckStatus::Met
        };
        Found {
            details,
            ..Found::tally(status, entrances.len() as f64, ok as f64)
        }
    }

    fn ramps(&self) -> Found {
        let ramps = &self.survey.ramps;
        if ramps.is_empty() {
            let all_step_free = !self.survey.entrances.is_empty()
                && self
                    .survey
                    .entrances
                    .iter()
                    .all(|e| e.step_free == Some(true));
            return if all_step_free || self.complete {
                Found::status(CheckStatus::NotApplicable)
                    .detail("无坡道需评定", "no ramps to assess")
            } else {
                Found::status(CheckStatus::NotSurveyed)
                    .detail("尚未记录坡道", "no ramps recorded yet")
            };
        }
        let assessments: Vec<ramp::RampAssessment> = ramps
            .iter()
            .map(|r| ramp::assess(r, &self.standard.ramps))
            .collect();
        let mut details = Vec::new();
        let mut passing = 0usize;
        for a in &assessments {
            match a.status() {
                CheckStatus::Met => passing += 1,
                CheckStatus::NotMet => {
                    for c in a.checks.iter().filter(|c| c.status == CheckStatus::NotMet) {
                        let zh = c.measured_zh.as_deref().unwrap_or_default();
                        let en = c.measured_en.as_deref().unwrap_or_default();
                        details.push(Detail::new(
                            format!("{}：{} {zh}，应 {}", a.label, c.name_zh, c.required_zh),
                            format!(
                                "{}: {} {en}, required {}",
                                a.label, c.name_en, c.required_en
                            ),
                        ));
                    }
                }
                _ => {
                    let missing: Vec<&str> = a
                        .checks
                        .iter()
                        .filter(|c| c.status == CheckStatus::NotSurveyed)
                        .map(|c| c.name_zh.as_str())
                        .collect();
                    details.push(Detail::new(
                        format!("{}：未测{}", a.label, missing.join("、")),
                        format!("{}: not all measured", a.label),
                    ));
                }
            }
        }
        let status = match CheckStatus::combine(assessments.iter().map(|a| a.status())) {
            CheckStatus::Met if !self.complete => CheckStatus::NotSurveyed,
            s => s,
        };
        if status != CheckStatus::Met {
            details.insert(
                0,
                Detail::new(
                    format!("共 {} 处坡道，{passing} 处全部符合", ramps.len()),
                    format!("{passing} of {} ramps meet every rule", ramps.len()),
                ),
            );
        }
        Found {
            details,
            ..Found::tally(status, ramps.len() as f64, passing as f64)
        }
    }

    fn checklists(&self, worst_allowed: Outcome) -> Found {
        let runs = &self.survey.checklist_runs;
        if runs.is_empty() {
            return Found::status(CheckStatus::NotApplicable)
                .detail("未开展残联体验活动", "no 体验活动 run was held");
        }
        let mut details = Vec::new();
        let mut unknown = 0usize;
        let mut total = 0usize;
        for run in runs {
            for cp in &run.checkpoints {
                total += 1;
                match cp.outcome {
                    None => unknown += 1,
                    Some(o) if o > worst_allowed => details.push(Detail::new(
                        format!("{}：{}", cp.label, outcome_zh(o)),
                        format!("{}: {}", cp.label, outcome_en(o)),
                    )),
                    Some(_) => {}
                }
            }
        }
        let status = if !details.is_empty() {
            CheckStatus::NotMet
        } else if unknown > 0 {
            CheckStatus::NotSurveyed
        } else {
            CheckStatus::Met
        };
        Found {
            status,
            required: Some(Requirement::AtMost {
                value: 0.0,
                unit: Unit::Count,
            }),
            measured: Some(Measured::Number {
                value: details.len() as f64,
                unit: Unit::Count,
                method: None,
            }),
            details: if unknown > 0 {
                let mut d = details;
                d.push(Detail::new(
                    format!("{unknown}/{total} 个点位尚无结论"),
                    format!("{unknown} of {total} checkpoints have no outcome yet"),
                ));
                d
            } else {
                details
            },
        }
    }
}

/// A bound after reading the rule: a floor (perhaps raised by `rate × basis`) or a ceiling.
#[derive(Clone, Copy)]
enum Bound {
    AtLeast(f64, Option<(crate::standard::Per, Option<f64>)>),
    AtMost(f64),
}

fn charging_ready(f: &Facility) -> Option<f64> {
    match (f.charging_spaces, f.charging_provisioned_spaces) {
        (None, None) => None,
        (a, b) => Some(f64::from(a.map_or(0, |v| v.get())) + f64::from(b.map_or(0, |v| v.get()))),
    }
}

/// The numerator and denominator of a share field.
fn share_parts(f: &Facility, field: FacilityField) -> Option<(f64, f64)> {
    match field {
        FacilityField::ChargingReadyShare => Some((charging_ready(f)?, f64::from(f.spaces?.get()))),
        FacilityField::SportsAreaShare => Some((f.sports_area_m2?.get(), f.land_area_m2?.get())),
        _ => None,
    }
}

fn unit_of(field: FacilityField) -> Unit {
    match field {
        FacilityField::BuildingAreaM2
        | FacilityField::LandAreaM2
        | FacilityField::UsableAreaM2
        | FacilityField::SportsAreaM2 => Unit::M2,
        FacilityField::Classes
        | FacilityField::Compartments
        | FacilityField::Spaces
        | FacilityField::ChargingReadySpaces => Unit::Count,
        FacilityField::ChargingReadyShare | FacilityField::SportsAreaShare => Unit::Share,
        FacilityField::WalkMinutes => Unit::Minutes,
    }
}

fn quantity_of(field: FacilityField) -> Option<Quantity> {
    match field {
        FacilityField::BuildingAreaM2 => Some(Quantity::BuildingAreaM2),
        FacilityField::LandAreaM2 => Some(Quantity::LandAreaM2),
        FacilityField::UsableAreaM2 => Some(Quantity::UsableAreaM2),
        FacilityField::SportsAreaM2 => Some(Quantity::SportsAreaM2),
        FacilityField::WalkMinutes => Some(Quantity::WalkLengthM),
        _ => None,
    }
}

fn basis_zh(b: Basis) -> &'static str {
    match b {
        Basis::Population => "人口",
        Basis::Households => "户数",
        Basis::TotalFloorAreaM2 => "物业总建筑面积",
        Basis::DailyParcelDeliveries => "日均投递量",
    }
}

fn basis_en(b: Basis) -> &'static str {
    match b {
        Basis::Population => "population",
        Basis::Households => "households",
        Basis::TotalFloorAreaM2 => "total floor area",
        Basis::DailyParcelDeliveries => "daily deliveries",
    }
}

fn outcome_zh(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "通过",
        Outcome::Difficult => "困难",
        Outcome::Impassable => "无法通过",
    }
}

fn outcome_en(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "pass",
        Outcome::Difficult => "difficult",
        Outcome::Impassable => "impassable",
    }
}
