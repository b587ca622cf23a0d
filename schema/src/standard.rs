//! The standard as data: 《完整居住社区建设标准（试行）》 read from `schema/standards/*.toml`, and a
//! city's profile laid over it.
//!
//! Nothing here decides compliance; it only describes what the evaluator must check. A city changes
//! a threshold, adds a check or takes one away in its profile file, with no code change. Every check
//! keeps the verbatim clause it comes from, so that each finding can quote it.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::survey::{CommunityKind, Outcome, PropertyManagement};
use crate::vocab::{FacilityKind, Feature};

/// The standard shipped with buqi: the 2020 trial standard, attachment to 建科规〔2020〕7号.
pub const BUILTIN_2020: &str = include_str!("../standards/complete-community-2020.toml");

/// The profile shipped as an example: Hubei's 2023 draft.
pub const HUBEI_PROFILE: &str = include_str!("../profiles/hubei-2023-draft.toml");

/// A standard, possibly refined by a profile: everything the evaluator needs to know about the rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub standard: StandardInfo,
    pub general: General,
    pub scale: ScaleRule,
    pub groups: Vec<Group>,
    /// The yes/no observations a surveyor records, by id.
    pub observations: Vec<ObservationDef>,
    pub items: Vec<Item>,
    pub ramps: RampRules,
    /// The profile laid over the standard, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardInfo {
    /// A stable id, `complete-community`.
    pub id: String,
    /// `2020-trial`.
    pub version: String,
    pub title_zh: String,
    pub title_en: String,
    /// Where it was published: `建科规〔2020〕7号 附件`.
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct General {
    /// Walking speed for turning a path length into minutes.
    pub walk_speed_m_per_min: f64,
    pub walk_speed_source: String,
}

/// The 说明's unit: a community of 0.5–1.2 万 people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleRule {
    pub population_min: u32,
    pub population_max: u32,
    pub clause_zh: String,
    pub clause_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub number: u8,
    pub name_zh: String,
    pub name_en: String,
}

/// A yes/no question the surveyor answers on site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservationDef {
    pub id: String,
    pub item: u8,
    pub question_zh: String,
    pub question_en: String,
}

/// One of the 20 items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub number: u8,
    pub group: u8,
    /// 建设内容, verbatim: `一个社区综合服务站`.
    pub name_zh: String,
    pub name_en: String,
    /// 建设要求, verbatim.
    pub text_zh: String,
    pub text_en: String,
    /// Kinds the item names in the singular (一个幼儿园): all its checks are judged on one facility of
    /// each, not on the best value of each check taken from different facilities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub one_facility: Vec<FacilityKind>,
    pub checks: Vec<Check>,
}

/// Whether a shortfall is a 短板 or a recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// The text says 应, 不小于, 建设, 设置: a shortfall is a gap.
    Binding,
    /// The text says 以…为宜, 宜, 具备条件的, 鼓励, 推动: a shortfall is advice.
    Advisory,
}

/// Which communities a check is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliesTo {
    #[default]
    All,
    New,
    Existing,
}

impl AppliesTo {
    pub fn covers(self, kind: CommunityKind) -> bool {
        match self {
            AppliesTo::All => true,
            AppliesTo::New => kind == CommunityKind::New,
            AppliesTo::Existing => kind == CommunityKind::Existing,
        }
    }
}

/// A further condition on a check's applicability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// 集中供热地区.
    CentralHeatingZone,
    /// 城镇老旧小区等受场地条件约束的既有居住社区.
    SiteConstrained,
    /// Every community the previous one is not.
    NotSiteConstrained,
}

/// One machine check within an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// `2.classes`: the item number, then a name. Profiles refer to checks by it.
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    /// The words of the standard this check comes from, verbatim.
    pub clause_zh: String,
    pub clause_en: String,
    pub strength: Strength,
    #[serde(default)]
    pub applies_to: AppliesTo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// How the text was read, where a reading was needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reading: Option<String>,
    pub rule: Rule,
    /// Set when a profile changed or added this check.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub from_profile: bool,
}

/// What a check measures and what it requires. The evaluator knows each of these forms; a standard
/// or profile combines them with its own kinds, fields and numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// At least `at_least` facilities of these kinds (each, where given, of at least
    /// `min_building_area_m2`).
    Count {
        kinds: Vec<FacilityKind>,
        #[serde(default = "one")]
        at_least: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_building_area_m2: Option<f64>,
    },
    /// A value of the facilities of these kinds, aggregated, against a bound.
    FacilityValue {
        kinds: Vec<FacilityKind>,
        field: FacilityField,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aggregate: Option<Aggregate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<f64>,
        /// Raises `at_least` to `rate × basis` where that is more.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        per: Option<Per>,
    },
    /// The facilities of these kinds together have the required features (all of them, or
    /// `at_least` of them).
    Features {
        kinds: Vec<FacilityKind>,
        required: Vec<Feature>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<u32>,
    },
    /// Some facility of these kinds has the flag set.
    FacilityFlag {
        kinds: Vec<FacilityKind>,
        flag: FacilityFlag,
    },
    /// A community value against a bound.
    CommunityValue {
        field: Basis,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_least: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at_most: Option<f64>,
    },
    /// The surveyor observed this to be so.
    Observation { id: String },
    /// The community's property is managed in one of these ways.
    PropertyManagement { any_of: Vec<PropertyManagement> },
    /// Every surveyed building entrance is step-free or served by a ramp.
    Entrances,
    /// Every surveyed ramp meets the ramp rules (GB 55019-2021).
    Ramps,
    /// No 体验活动 checkpoint came out worse than this.
    Checklists { worst_allowed: Outcome },
    /// Met when any applicable alternative is met (the existing-community alternatives).
    AnyOf { alternatives: Vec<Alternative> },
}

fn one() -> u32 {
    1
}

/// One way of meeting an `any_of` check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    pub label_zh: String,
    pub label_en: String,
    #[serde(default)]
    pub applies_to: AppliesTo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    pub rule: Rule,
}

/// A threshold that grows with the community: `rate × basis`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Per {
    pub basis: Basis,
    pub rate: f64,
}

/// A community-level number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Population,
    Households,
    TotalFloorAreaM2,
    DailyParcelDeliveries,
}

/// A facility number the evaluator can read or derive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityField {
    BuildingAreaM2,
    LandAreaM2,
    UsableAreaM2,
    SportsAreaM2,
    Classes,
    Compartments,
    Spaces,
    /// Spaces with charging built or provisioned.
    ChargingReadySpaces,
    /// Charging-ready spaces over spaces (a share, 1.0 = 100 %).
    ChargingReadyShare,
    /// Sports area over land area (a share).
    SportsAreaShare,
    /// Minutes on foot from the farthest home, at the standard's walking speed.
    WalkMinutes,
}

/// How the values of several facilities combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// The best single facility (a kindergarten must itself have 6 classes).
    Max,
    /// The nearest or smallest.
    Min,
    /// All together (compartments of every locker group).
    Sum,
    /// For shares: the sum of numerators over the sum of denominators.
    Pooled,
}

/// A yes/no facility attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityFlag {
    Inclusive,
    OpenToPublic,
}

/// The ramp rules, from GB 55019-2021 《建筑与市政工程无障碍通用规范》.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RampRules {
    pub source: String,
    /// Running slope at most 1:N.
    pub running_slope_max_one_in: f64,
    /// Cross slope at most 1:N.
    pub cross_slope_max_one_in: f64,
    /// Landings at the start, end and every rest at least this long, m.
    pub landing_min_m: f64,
    /// Clear width at least, m.
    pub clear_width_min_m: f64,
    /// One run rises at most this much before a rest landing, m.
    pub run_rise_max_m: f64,
    /// Handrails on both sides when the rise is more than this, m …
    pub handrails_when_rise_over_m: f64,
    /// … and the slope is steeper than 1:N.
    pub handrails_when_steeper_than_one_in: f64,
    pub upper_rail_mm: [f64; 2],
    pub lower_rail_mm: [f64; 2],
    /// How each number was read and how sure it is.
    pub notes: Vec<String>,
}

/// Which profile was laid over the standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileInfo {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    /// The standard id this profile refines.
    pub refines: String,
    pub source: String,
}

/// A city's refinement of a standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub profile: ProfileInfo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub general: Option<General>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<ScaleRule>,
    /// Replaces the ramp rules whole (a city that has confirmed GB 55019's clear width, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramps: Option<RampRules>,
    /// Changes to checks of the standard.
    #[serde(default)]
    pub change: Vec<CheckChange>,
    /// Checks added; each goes to the item its id starts with (`1.per_households` → item 1).
    #[serde(default)]
    pub add: Vec<Check>,
    /// Checks taken away, each with the reason.
    #[serde(default)]
    pub remove: Vec<RemovedCheck>,
    /// Observations the added checks ask about.
    #[serde(default)]
    pub observations: Vec<ObservationDef>,
}

/// What a profile changes in one check; anything left out stays as the standard has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckChange {
    pub check: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clause_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strength: Option<Strength>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to: Option<AppliesTo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovedCheck {
    pub check: String,
    pub reason: String,
}

/// A standard or profile file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidStandard {
    /// Which file: `standard` or the profile's name.
    pub file: String,
    pub problems: Vec<String>,
}

impl fmt::Display for InvalidStandard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}: {p}", self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidStandard {}

impl Standard {
    /// The 2020 standard as shipped. It is checked by the tests, so this cannot fail at run time.
    pub fn builtin() -> Standard {
        Standard::from_toml(BUILTIN_2020).expect("the shipped standard is valid (see its tests)")
    }

    /// Reads and checks a standard file.
    pub fn from_toml(text: &str) -> Result<Standard, InvalidStandard> {
        let standard: Standard = toml::from_str(text).map_err(|e| InvalidStandard {
            file: "standard".into(),
            problems: vec![e.to_string().trim_end().to_owned()],
        })?;
        standard.checked("standard")
    }

    /// This standard with a profile laid over it. The standard is left as it was; a profile that
    /// names a check that does not exist, or leaves the rules inconsistent, is refused whole.
    pub fn with_profile(&self, profile: &Profile) -> Result<Standard, InvalidStandard> {
        let file = format!("profile {}", profile.profile.id);
        let fail = |problems: Vec<String>| InvalidStandard {
            file: file.clone(),
            problems,
        };
        if let Some(existing) = &self.profile {
            return Err(fail(vec![format!(
                "this standard already has profile {} laid over it",
                existing.id
            )]));
        }
        if profile.profile.refines != self.standard.id {
            return Err(fail(vec![format!(
                "profile.refines: this profile refines {:?}, but the standard is {:?}",
                profile.profile.refines, self.standard.id
            )]));
        }
        let mut out = self.clone();
        let mut problems = Vec::new();
        set(&mut out.general, profile.general.clone());
        set(&mut out.scale, profile.scale.clone());
        if let Some(r) = &profile.ramps {
            out.ramps = r.clone();
        }
        for (i, change) in profile.change.iter().enumerate() {
            let Some(check) = out.check_mut(&change.check) else {
                problems.push(format!(
                    "change[{i}].check: the standard has no check {:?}",
                    change.check
                ));
                continue;
            };
            let c = change.clone();
            set(&mut check.title_zh, c.title_zh);
            set(&mut check.title_en, c.title_en);
            set(&mut check.clause_zh, c.clause_zh);
            set(&mut check.clause_en, c.clause_en);
            set(&mut check.strength, c.strength);
            set(&mut check.applies_to, c.applies_to);
            set(&mut check.rule, c.rule);
            check.from_profile = true;
        }
        for (i, removed) in profile.remove.iter().enumerate() {
            let mut found = false;
            for item in &mut out.items {
                let before = item.checks.len();
                item.checks.retain(|c| c.id != removed.check);
                found |= item.checks.len() != before;
            }
            if !found {
                problems.push(format!(
                    "remove[{i}].check: the standard has no check {:?}",
                    removed.check
                ));
            }
            if removed.reason.trim().is_empty() {
                problems.push(format!(
                    "remove[{i}].reason: say why the check is taken away"
                ));
            }
        }
        for (i, added) in profile.add.iter().enumerate() {
            let number = added
                .id
                .split('.')
                .next()
                .and_then(|n| n.parse::<u8>().ok());
            match out.items.iter_mut().find(|it| Some(it.number) == number) {
                Some(item) => {
                    let mut check = added.clone();
                    check.from_profile = true;
                    item.checks.push(check);
                }
                None => problems.push(format!(
                    "add[{i}].id: a check id starts with its item number from 1 to 20, got {:?}",
                    added.id
                )),
            }
        }
        out.observations
            .extend(profile.observations.iter().cloned());
        out.profile = Some(profile.profile.clone());
        if !problems.is_empty() {
            return Err(fail(problems));
        }
        out.checked(&file)
    }

    /// The kinds of facility an item's checks look at, in the order the checks first name them:
    /// what the app lists under the item. Empty for an item judged without facilities.
    pub fn facility_kinds(&self, item: u8) -> Vec<FacilityKind> {
        fn walk(rule: &Rule, kinds: &mut Vec<FacilityKind>) {
            match rule {
                Rule::Count { kinds: k, .. }
                | Rule::FacilityValue { kinds: k, .. }
                | Rule::Features { kinds: k, .. }
                | Rule::FacilityFlag { kinds: k, .. } => {
                    for kind in k {
                        if !kinds.contains(kind) {
                            kinds.push(*kind);
                        }
                    }
                }
                Rule::AnyOf { alternatives } => {
                    for a in alternatives {
                        walk(&a.rule, kinds);
                    }
                }
                _ => {}
            }
        }
        let mut kinds = Vec::new();
        for it in self.items.iter().filter(|i| i.number == item) {
            for check in &it.checks {
                walk(&check.rule, &mut kinds);
            }
        }
        kinds
    }

    pub fn observation(&self, id: &str) -> Option<&ObservationDef> {
        self.observations.iter().find(|o| o.id == id)
    }

    fn check_mut(&mut self, id: &str) -> Option<&mut Check> {
        self.items
            .iter_mut()
            .flat_map(|i| i.checks.iter_mut())
            .find(|c| c.id == id)
    }

    /// Refuses a standard the evaluator could not apply faithfully.
    fn checked(self, file: &str) -> Result<Standard, InvalidStandard> {
        let mut problems = Vec::new();
        let numbers: Vec<u8> = self.items.iter().map(|i| i.number).collect();
        if numbers != (1..=20).collect::<Vec<u8>>() {
            problems.push(format!(
                "items: expected items 1 to 20 in order, got {numbers:?}"
            ));
        }
        let groups: HashSet<u8> = self.groups.iter().map(|g| g.number).collect();
        let observations: BTreeMap<&str, u8> = self
            .observations
            .iter()
            .map(|o| (o.id.as_str(), o.item))
            .collect();
        if observations.len() != self.observations.len() {
            problems.push("observations: an id is defined twice".to_owned());
        }
        let speed = self.general.walk_speed_m_per_min;
        if !speed.is_finite() || speed <= 0.0 {
            problems.push(format!(
                "general.walk_speed_m_per_min: expected a speed > 0, got {}",
                self.general.walk_speed_m_per_min
            ));
        }
        if self.scale.population_min > self.scale.population_max {
            problems.push("scale: population_min is more than population_max".to_owned());
        }
        let mut ids = HashSet::new();
        for item in &self.items {
            if !groups.contains(&item.group) {
                problems.push(format!("item {}: no group {}", item.number, item.group));
            }
            for check in &item.checks {
                let at = format!("check {}", check.id);
                if !ids.insert(check.id.clone()) {
                    problems.push(format!("{at}: the id is used twice"));
                }
                if !check.id.starts_with(&format!("{}.", item.number)) {
                    problems.push(format!(
                        "{at}: a check id starts with its item number, \"{}.\"",
                        item.number
                    ));
                }
                if check.clause_zh.trim().is_empty() {
                    problems.push(format!("{at}: clause_zh is empty; quote the standard"));
                }
                check_rule(&check.rule, &at, &observations, &mut problems);
            }
        }
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(InvalidStandard {
                file: file.to_owned(),
                problems,
            })
        }
    }
}

/// Replaces what a profile gives; keeps what it leaves out.
fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn check_rule(
    rule: &Rule,
    at: &str,
    observations: &BTreeMap<&str, u8>,
    problems: &mut Vec<String>,
) {
    let mut bound = |at_least: Option<f64>, at_most: Option<f64>| match (at_least, at_most) {
        (Some(v), None) | (None, Some(v)) if v.is_finite() && v >= 0.0 => {}
        (Some(_), None) | (None, Some(_)) => {
            problems.push(format!("{at}: a bound must be a number ≥ 0"))
        }
        _ => problems.push(format!("{at}: give exactly one of at_least and at_most")),
    };
    match rule {
        Rule::FacilityValue {
            at_least,
            at_most,
            per,
            field,
            aggregate,
            ..
        } => {
            bound(*at_least, *at_most);
            if per.is_some() && at_least.is_none() {
                problems.push(format!(
                    "{at}: per raises at_least; give at_least (0 for none)"
                ));
            }
            let share = matches!(
                field,
                FacilityField::ChargingReadyShare | FacilityField::SportsAreaShare
            );
            if *aggregate == Some(Aggregate::Pooled) && !share {
                problems.push(format!("{at}: pooled is for shares only"));
            }
        }
        Rule::CommunityValue {
            at_least, at_most, ..
        } => bound(*at_least, *at_most),
        Rule::Observation { id } if !observations.contains_key(id.as_str()) => {
            problems.push(format!("{at}: no observation {id:?} is defined"));
        }
        Rule::AnyOf { alternatives } => {
            if alternatives.len() < 2 {
                problems.push(format!("{at}: any_of needs at least two alternatives"));
            }
            for a in alternatives {
                check_rule(&a.rule, at, observations, problems);
            }
        }
        _ => {}
    }
    let kinds = match rule {
        Rule::Count { kinds, .. }
        | Rule::FacilityValue { kinds, .. }
        | Rule::Features { kinds, .. }
        | Rule::FacilityFlag { kinds, .. } => Some(kinds),
        _ => None,
    };
    if kinds.is_some_and(|k| k.is_empty()) {
        problems.push(format!("{at}: kinds is empty"));
    }
    if let Rule::Features {
        required,
        at_least: Some(n),
        ..
    } = rule
    {
        if *n as usize > required.len() || *n == 0 {
            problems.push(format!(
                "{at}: at_least must be from 1 to the number required"
            ));
        }
    }
}

impl Profile {
    /// Reads a profile file.
    pub fn from_toml(text: &str) -> Result<Profile, InvalidStandard> {
        toml::from_str(text).map_err(|e| InvalidStandard {
            file: "profile".into(),
            problems: vec![e.to_string().trim_end().to_owned()],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_name_the_facilities_they_look_at() {
        let s = Standard::builtin();
        assert_eq!(s.facility_kinds(2), vec![FacilityKind::Kindergarten]);
        // Item 20 (management mechanisms) is judged on observations alone.
        assert!(s.facility_kinds(20).is_empty());
        let with_facilities = (1..=20)
            .filter(|n| !s.facility_kinds(*n).is_empty())
            .count();
        assert!(with_facilities >= 12, "{with_facilities}");
    }

    #[test]
    fn builtin_standard_is_valid_and_whole() {
        let s = Standard::from_toml(BUILTIN_2020).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.items.len(), 20);
        assert_eq!(s.groups.len(), 6);
        assert!(s.items.iter().all(|i| !i.checks.is_empty()));
    }

    #[test]
    fn hubei_profile_lays_over_the_standard() {
        let s = Standard::builtin();
        let p = Profile::from_toml(HUBEI_PROFILE).unwrap_or_else(|e| panic!("{e}"));
        let refined = s.with_profile(&p).unwrap_or_else(|e| panic!("{e}"));
        let area = refined.items[0]
            .checks
            .iter()
            .find(|c| c.id == "1.area")
            .unwrap();
        assert_eq!(area.strength, Strength::Binding);
        assert!(area.from_profile);
        assert!(refined.profile.is_some());
        // A second profile on top is refused rather than silently merged.
        assert!(refined.with_profile(&p).is_err());
    }

    #[test]
    fn profile_naming_a_missing_check_is_refused_whole() {
        let s = Standard::builtin();
        let text = HUBEI_PROFILE.to_owned()
            + "\n[[change]]\ncheck = \"1.no_such_check\"\nstrength = \"advisory\"\n";
        let p = Profile::from_toml(&text).unwrap();
        let err = s.with_profile(&p).unwrap_err().to_string();
        assert!(
            err.contains("change[1].check: the standard has no check \"1.no_such_check\""),
            "{err}"
        );
    }

    #[test]
    fn profile_for_another_standard_is_refused() {
        let s = Standard::builtin();
        let text = HUBEI_PROFILE.replace(
            "refines = \"complete-community\"",
            "refines = \"something-else\"",
        );
        let p = Profile::from_toml(&text).unwrap();
        assert!(s
            .with_profile(&p)
            .unwrap_err()
            .to_string()
            .contains("refines"));
    }
}
