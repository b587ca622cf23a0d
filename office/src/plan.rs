//! The 补短板行动计划 from one community's gaps: proposed projects with a way, the shortfall each
//! closes, an estimated cost, a priority and a target year; their status lifecycle; and when a gap
//! counts as closed.
//!
//! Nothing here decides compliance: the shortfalls are read off the evaluator's own `required` and
//! `measured` values, and a gap is closed only when a re-survey's evaluation says the item is met.

use std::fmt;

use buqi_schema::evaluate::{CheckResult, CheckStatus, Measured, Requirement, Unit};
use buqi_schema::standard::{Rule, Strength};
use buqi_schema::survey::{Community, CommunityKind};
use buqi_schema::vocab::FacilityKind;
use buqi_schema::{Evaluation, ItemStatus, Standard, Survey};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::costs::{CostTable, Per};
use crate::OfficeError;

/// How a shortfall is closed: the five ways the opinion names (通过补建、购置、置换、租赁、改造等方式),
/// and management measures for the items no building closes (物业、管理机制、秩序).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    /// 补建: build what is not there.
    Build,
    /// 购置: buy premises or equipment.
    Purchase,
    /// 置换: exchange for (larger) premises out of the public stock.
    Swap,
    /// 租赁: lease premises.
    Lease,
    /// 改造: renovate, extend or convert what is there.
    Renovate,
    /// 管理措施: not a construction project (the opinion's 物业、管理机制 and 协调 measures).
    Manage,
}

impl Way {
    pub const ALL: [Way; 6] = [
        Way::Build,
        Way::Purchase,
        Way::Swap,
        Way::Lease,
        Way::Renovate,
        Way::Manage,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Way::Build => "build",
            Way::Purchase => "purchase",
            Way::Swap => "swap",
            Way::Lease => "lease",
            Way::Renovate => "renovate",
            Way::Manage => "manage",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Way::Build => "补建",
            Way::Purchase => "购置",
            Way::Swap => "置换",
            Way::Lease => "租赁",
            Way::Renovate => "改造",
            Way::Manage => "管理措施",
        }
    }

    pub fn from_id(id: &str) -> Option<Way> {
        Way::ALL.into_iter().find(|w| w.id() == id)
    }
}

/// A project's stage. The order is the only order a project moves in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已谋划: in the project library.
    Planned,
    /// 已落实资金.
    Funded,
    /// 在建.
    UnderConstruction,
    /// 已完工.
    Completed,
    /// 已验收.
    Accepted,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Planned,
        Status::Funded,
        Status::UnderConstruction,
        Status::Completed,
        Status::Accepted,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::Funded => "funded",
            Status::UnderConstruction => "under_construction",
            Status::Completed => "completed",
            Status::Accepted => "accepted",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Status::Planned => "已谋划",
            Status::Funded => "已落实资金",
            Status::UnderConstruction => "在建",
            Status::Completed => "已完工",
            Status::Accepted => "已验收",
        }
    }

    pub fn from_id(id: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The one stage that may follow this one.
    pub fn next(self) -> Option<Status> {
        let i = Status::ALL.iter().position(|s| *s == self)?;
        Status::ALL.get(i + 1).copied()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}（{}）", self.name_zh(), self.id())
    }
}

/// How much is missing, in the check's own unit. For `at_most` checks (walking minutes, impassable
/// checkpoints) it is how far over the limit the community is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    pub value: f64,
    pub unit: Unit,
    /// The limit is a ceiling: the value is an excess, not a lack.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub over: bool,
}

/// The unit's Chinese name, for tables.
pub fn unit_zh(unit: Unit) -> &'static str {
    match unit {
        Unit::M2 => "平方米",
        Unit::Minutes => "分钟",
        Unit::Count => "个",
        Unit::Share => "比例",
    }
}

pub fn unit_id(unit: Unit) -> &'static str {
    match unit {
        Unit::M2 => "m2",
        Unit::Minutes => "minutes",
        Unit::Count => "count",
        Unit::Share => "share",
    }
}

/// A number as people write it: no decimals when whole, else two.
pub fn plain_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The shortfall of one check, from what it requires and what was measured. `None` where the check
/// is not a number (a yes/no observation, a management mode) or nothing is short.
///
/// Nothing measured against a floor means nothing is there: the whole requirement is short (the
/// evaluator only reports `not_met` for an absent value once the surveyor marked the item complete).
pub fn shortfall(check: &CheckResult) -> Option<Shortfall> {
    if check.status != CheckStatus::NotMet {
        return None;
    }
    let measured = match &check.measured {
        Some(Measured::Number { value, .. }) => Some(*value),
        _ => None,
    };
    let (value, unit, over) = match check.required.as_ref()? {
        Requirement::AtLeast { value, unit } => (value - measured.unwrap_or(0.0), *unit, false),
        Requirement::AtMost { value, unit } => (measured? - value, *unit, true),
        Requirement::Yes | Requirement::OneOf { .. } => return None,
    };
    (value > 0.0).then_some(Shortfall { value, unit, over })
}

/// The size of a gap as a share of what is required (1.0: nothing there), for ordering projects.
/// A yes/no check that is not met counts as wholly missing.
pub fn gap_share(check: &CheckResult) -> f64 {
    match (check.required.as_ref(), shortfall(check)) {
        (Some(Requirement::AtLeast { value, .. }), Some(s)) if *value > 0.0 => {
            (s.value / value).min(1.0)
        }
        (Some(Requirement::AtMost { value, .. }), Some(s)) => {
            (s.value / value.abs().max(1.0)).min(1.0)
        }
        _ if check.status == CheckStatus::NotMet => 1.0,
        _ => 0.0,
    }
}

/// One not-met check a project closes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub check: String,
    pub title_zh: String,
    pub strength: Strength,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Requirement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<Measured>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shortfall: Option<Shortfall>,
    /// Estimated cost, yuan; `None` where the table has no price for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_yuan: Option<f64>,
    /// How the cost was reached, or why there is none.
    pub cost_note: String,
}

/// The opinion's order of priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// 优先实施排水防涝设施建设、雨污水管网混错接改造.
    DrainageFirst,
    /// 优先在居住社区内配建居民最需要的设施.
    ResidentsNeeds,
    /// The rest, by the size of the gap (区分轻重缓急).
    Other,
}

impl Tier {
    pub fn number(self) -> u8 {
        match self {
            Tier::DrainageFirst => 1,
            Tier::ResidentsNeeds => 2,
            Tier::Other => 3,
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Tier::DrainageFirst => "排水防涝、雨污水管网混错接改造（优先实施）",
            Tier::ResidentsNeeds => "居民最需要的设施",
            Tier::Other => "其他短板",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    pub tier: Tier,
    /// The largest gap share among the project's lines (0–1).
    pub gap_share: f64,
    /// 1 = first, over the list `rank` was given (a community's plan or a city's library).
    pub rank: usize,
}

/// A dated move of a project's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub status: Status,
    pub date: NaiveDate,
}

/// A proposed project: one way of closing the not-met checks of one item of one community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// `{community id}/{item}/{way}`: stable across re-planning the same gaps.
    pub id: String,
    pub community: Uuid,
    pub community_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    pub item: u8,
    pub item_name_zh: String,
    pub way: Way,
    /// Why this way, in the opinion's or the standard's words where they give it.
    pub way_reason_zh: String,
    pub lines: Vec<Line>,
    /// The sum of the lines' costs that could be estimated, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_yuan: Option<f64>,
    /// Every line has a cost.
    pub cost_complete: bool,
    pub priority: Priority,
    pub target_year: i32,
    pub status: Status,
    /// Every status the project has had, with its date; the first is `planned`.
    pub history: Vec<StatusChange>,
}

/// What the office decides once for a whole plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOptions {
    /// The year the plan starts: the first tier's target year.
    pub base_year: i32,
    /// The day the projects enter the library.
    pub planned_on: NaiveDate,
    /// Also plan advisory shortfalls (以…为宜, 具备条件的). Off by default: they are not 短板.
    pub include_advisory: bool,
    /// Checks that are the first tier. Default `9.drainage`: the standard's observation
    /// `utility.drainage` asks 排水设施完好、运行安全？（含排水防涝、雨污分流，无混错接）, the one
    /// check that covers what the opinion puts first.
    pub first_checks: Vec<String>,
    /// Items of the second tier, in the office's order of need. Default: the elderly station,
    /// nursery, kindergarten, health station, service station (基本公共服务设施, the opinion's
    /// 幼儿园、养老等基本公共服务设施) and accessibility (加强居住社区无障碍环境建设和改造).
    pub needs_items: Vec<u8>,
}

impl PlanOptions {
    pub fn new(base_year: i32, planned_on: NaiveDate) -> Self {
        PlanOptions {
            base_year,
            planned_on,
            include_advisory: false,
            first_checks: vec!["9.drainage".to_owned()],
            needs_items: vec![4, 3, 2, 5, 1, 12],
        }
    }

    fn tier(&self, item: u8, checks: &[&str]) -> Tier {
        if checks
            .iter()
            .any(|c| self.first_checks.iter().any(|f| f == c))
        {
            Tier::DrainageFirst
        } else if self.needs_items.contains(&item) {
            Tier::ResidentsNeeds
        } else {
            Tier::Other
        }
    }
}

/// What kind of thing a facility is, for choosing a way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FacilityClass {
    /// Rooms for a public service (站、园、所、用房).
    PublicRooms,
    /// Shops run by operators (超市、便利店、理发、洗衣…).
    Commercial,
    /// Bought and installed (快递箱、停车棚、充电、收集点、箱体厕所).
    Equipment,
    /// Open ground (活动场地、绿地、游园、收集站、公厕用地).
    Outdoor,
    /// Placed by another body (公交站点).
    Coordinated,
}

fn class_of(kind: FacilityKind) -> FacilityClass {
    use FacilityKind as K;
    match kind {
        K::ServiceStation
        | K::Kindergarten
        | K::Nursery
        | K::ElderlyStation
        | K::DayCareCentre
        | K::HealthStation
        | K::ParcelStation
        | K::PropertyRoom
        | K::AccessibleToilet => FacilityClass::PublicRooms,
        K::Supermarket
        | K::ConvenienceStore
        | K::Barber
        | K::Laundry
        | K::Pharmacy
        | K::Repair
        | K::Housekeeping
        | K::Restaurant => FacilityClass::Commercial,
        K::ParcelLocker | K::BicycleShed | K::EbikeCharging | K::GarbagePoint | K::BoxToilet => {
            FacilityClass::Equipment
        }
        K::Parking
        | K::GarbageStation
        | K::PublicToilet
        | K::ActivityGround
        | K::SportsGround
        | K::GreenSpace
        | K::CommunityPark
        | K::PocketPark
        | K::Other => FacilityClass::Outdoor,
        K::BusStop => FacilityClass::Coordinated,
    }
}

/// Items whose yes/no checks are settled by management, not building: parking order (10), waste
/// sorting (13), property service and platform (16, 17), the management mechanism (18), enforcement
/// and participation (19), community culture (20).
const MANAGED_ITEMS: [u8; 7] = [10, 13, 16, 17, 18, 19, 20];

fn kinds_of(rule: &Rule) -> Vec<FacilityKind> {
    match rule {
        Rule::Count { kinds, .. }
        | Rule::FacilityValue { kinds, .. }
        | Rule::Features { kinds, .. }
        | Rule::FacilityFlag { kinds, .. } => kinds.clone(),
        Rule::AnyOf { alternatives } => alternatives
            .iter()
            .flat_map(|a| kinds_of(&a.rule))
            .collect(),
        _ => Vec::new(),
    }
}

fn site_constrained(c: &Community) -> bool {
    c.old_estate == Some(true) || c.site_constrained == Some(true)
}

/// Chooses the way for one not-met check, with the reason. The rules, in order:
///
/// 1. Management items' yes/no checks, property-management modes, the kindergarten's 普惠 status and
///    bus stops (placed by the transit operator) → 管理措施.
/// 2. Entrances, ramps, 体验活动 checkpoints, and the utilities/walkway/accessibility observations of
///    an existing community → 改造 (the opinion: 加强居住社区无障碍环境建设和改造; 雨污水管网混错接改造).
/// 3. A new community → 补建 (新建住宅项目要…同步规划、同步建设、同步验收和同步交付).
/// 4. An existing community, by what the facility is:
///    - rooms for a public service: missing features → 改造; there but too small (area, classes) →
///      改造 (extend) or,
///      where the site is constrained (城镇老旧小区), 置换 for larger premises out of the public stock;
///      not there → 补建 on free land, or 购置 premises where the site is constrained (统筹利用公有住房、
///      社区居民委员会办公用房和社区综合服务设施、闲置锅炉房等存量房屋资源);
///    - shops → 租赁 (premises for operators; 引导连锁企业进社区);
///    - equipment (lockers, sheds, chargers, collection points, box toilets) → 购置;
///    - open ground → 改造 (因地制宜改造宅间绿地、空地; 结合边角地、废弃地、闲置地等改造建设“口袋公园”).
fn choose_way(item: u8, rule: &Rule, survey: &Survey, check: &CheckResult) -> (Way, &'static str) {
    let community = &survey.community;
    let existing = community.kind == Some(CommunityKind::Existing);
    match rule {
        Rule::Observation { .. } if MANAGED_ITEMS.contains(&item) => {
            return (
                Way::Manage,
                "属管理机制、物业或秩序要求，通过管理措施解决，不形成建设项目",
            );
        }
        Rule::PropertyManagement { .. } => {
            return (Way::Manage, "鼓励引入专业化物业服务，暂不具备条件的，通过社区托管、社会组织代管或居民自管等方式，提高物业管理覆盖率");
        }
        Rule::FacilityFlag { .. } if item == 2 => {
            return (
                Way::Manage,
                "普惠性学前教育属办园性质，由教育部门协调认定，不形成建设项目",
            );
        }
        Rule::Entrances | Rule::Ramps | Rule::Checklists { .. } => {
            return (
                Way::Renovate,
                "加强居住社区无障碍环境建设和改造：对现有出入口和坡道改造",
            );
        }
        Rule::Observation { .. } if existing => {
            return (Way::Renovate, "结合城镇老旧小区改造，对既有市政配套、慢行和无障碍设施改造（优先实施排水防涝设施建设、雨污水管网混错接改造）");
        }
        _ => {}
    }
    let kinds = kinds_of(rule);
    if kinds
        .iter()
        .any(|k| class_of(*k) == FacilityClass::Coordinated)
    {
        return (
            Way::Manage,
            "公交站点由公交主管部门协调设置，不形成社区建设项目",
        );
    }
    if !existing {
        return (Way::Build, "新建住宅项目要按照完整居住社区建设标准同步配建设施，确保同步规划、同步建设、同步验收和同步交付");
    }
    let present = survey.facilities.iter().any(|f| kinds.contains(&f.kind));
    let constrained = site_constrained(community);
    let class = kinds
        .first()
        .map(|k| class_of(*k))
        .unwrap_or(FacilityClass::Outdoor);
    match class {
        FacilityClass::PublicRooms => {
            if matches!(rule, Rule::Features { .. }) && present {
                (Way::Renovate, "设施已有，功能用房或服务项目不全：改造补齐")
            } else if present && shortfall(check).is_some_and(|s| !s.over) {
                if constrained {
                    (Way::Swap, "设施已有但规模不足，受场地条件约束：统筹利用公有住房、社区居民委员会办公用房和社区综合服务设施、闲置锅炉房等存量房屋资源置换")
                } else {
                    (Way::Renovate, "设施已有但规模不足：改扩建")
                }
            } else if constrained {
                (Way::Purchase, "设施缺失，受场地条件约束：购置存量房屋增设")
            } else {
                (
                    Way::Build,
                    "设施缺失：充分利用居住社区内空地、荒地及拆除违法建设腾空土地等配建设施",
                )
            }
        }
        FacilityClass::Commercial => (
            Way::Lease,
            "便民商业网点：租赁经营用房，引导连锁企业进社区提供服务",
        ),
        FacilityClass::Equipment => (Way::Purchase, "设备类设施：购置安装"),
        FacilityClass::Outdoor | FacilityClass::Coordinated => (
            Way::Renovate,
            "因地制宜改造宅间绿地、空地、边角地、废弃地、闲置地等，增加公共活动空间",
        ),
    }
}

/// The lines of one item closed in one way, with the reason for the way and each line's gap share.
type WayGroup = (Way, &'static str, Vec<(Line, f64)>);

fn find_rule<'a>(standard: &'a Standard, check: &str) -> Option<(u8, &'a Rule)> {
    standard.items.iter().find_map(|item| {
        item.checks
            .iter()
            .find(|c| c.id == check)
            .map(|c| (item.number, &c.rule))
    })
}

fn cost_line(
    table: &CostTable,
    community: &Community,
    check: &CheckResult,
    way: Way,
    short: Option<Shortfall>,
) -> (Option<f64>, String) {
    let Some(entry) = table.find(&check.check, way) else {
        return (
            None,
            format!(
                "单价表无“{}”（{}）的单价，未估算",
                check.title_zh, check.check
            ),
        );
    };
    // The table's name, not the entry's source: a report reads in Chinese, and says whose prices.
    let note = |what: String| format!("{what}（{}）", table.table.name_zh);
    match entry.per {
        Per::Unit => match short {
            Some(s) if !s.over && s.unit != Unit::Share => (
                Some(s.value * entry.yuan),
                note(format!(
                    "{} {} × {} 元",
                    plain_number(s.value),
                    unit_zh(s.unit),
                    entry.yuan
                )),
            ),
            _ => (None, "短缺不是面积或数量，无法按单价估算".to_owned()),
        },
        Per::Household => match community.households {
            Some(h) => (
                Some(f64::from(h.get()) * entry.yuan),
                note(format!("{} 户 × {} 元/户", h.get(), entry.yuan)),
            ),
            None => (None, "未填写户数，无法按户估算".to_owned()),
        },
        Per::FloorM2 => match community.total_floor_area_m2 {
            Some(a) => (
                Some(a.get() * entry.yuan),
                note(format!(
                    "物业总建筑面积 {} 平方米 × {} 元/平方米",
                    a.get(),
                    entry.yuan
                )),
            ),
            None => (None, "未填写物业总建筑面积，无法按面积估算".to_owned()),
        },
        Per::Lump => (Some(entry.yuan), note(format!("每社区 {} 元", entry.yuan))),
    }
}

/// The proposed projects for one community: one per item and way, for every binding check that is
/// not met (and advisory ones if asked), ranked within the community. `standard` must be the one the
/// evaluation ran under (it tells each check's rule, which the way depends on).
pub fn plan(
    survey: &Survey,
    evaluation: &Evaluation,
    standard: &Standard,
    costs: &CostTable,
    options: &PlanOptions,
) -> Result<Vec<Project>, OfficeError> {
    if survey.community.id != evaluation.community.id {
        return Err(OfficeError::Mismatch(format!(
            "the evaluation is of community {} ({}), the survey of {} ({})",
            evaluation.community.id,
            evaluation.community.name,
            survey.community.id,
            survey.community.name
        )));
    }
    let community = &survey.community;
    let mut projects = Vec::new();
    for item in &evaluation.items {
        let wanted = |c: &&CheckResult| {
            c.status == CheckStatus::NotMet
                && (c.strength == Strength::Binding || options.include_advisory)
        };
        if item.status != ItemStatus::Gap && !options.include_advisory {
            continue;
        }
        // (way, reason, lines) in the order ways first appear.
        let mut groups: Vec<WayGroup> = Vec::new();
        for check in item.checks.iter().filter(wanted) {
            let Some((_, rule)) = find_rule(standard, &check.check) else {
                return Err(OfficeError::Mismatch(format!(
                    "item {}: check {} is in the evaluation but not in the standard passed to plan()",
                    item.item, check.check
                )));
            };
            let (way, reason) = choose_way(item.item, rule, survey, check);
            let short = shortfall(check);
            let (cost, cost_note) = if way == Way::Manage {
                (None, "管理措施，不估算建设费用".to_owned())
            } else {
                cost_line(costs, community, check, way, short)
            };
            let line = Line {
                check: check.check.clone(),
                title_zh: check.title_zh.clone(),
                strength: check.strength,
                required: check.required.clone(),
                measured: check.measured.clone(),
                shortfall: short,
                cost_yuan: cost,
                cost_note,
            };
            match groups.iter_mut().find(|g| g.0 == way) {
                Some(g) => g.2.push((line, gap_share(check))),
                None => groups.push((way, reason, vec![(line, gap_share(check))])),
            }
        }
        for (way, reason, mut lines) in groups {
            // A facility that is missing whole is priced by its area: its "one facility" count line
            // would price the same building twice.
            let has_area_cost = lines.iter().any(|(l, _)| {
                l.cost_yuan.is_some() && l.shortfall.is_some_and(|s| s.unit == Unit::M2)
            });
            if has_area_cost {
                for (l, _) in lines.iter_mut() {
                    let is_presence = l.shortfall.is_some_and(|s| s.unit == Unit::Count)
                        && matches!(
                            find_rule(standard, &l.check),
                            Some((_, Rule::Count { at_least: 1, .. }))
                        );
                    if is_presence {
                        l.cost_yuan = None;
                        l.cost_note = "设施缺失，费用已按面积计入".to_owned();
                    }
                }
            }
            let checks: Vec<&str> = lines.iter().map(|(l, _)| l.check.as_str()).collect();
            let tier = options.tier(item.item, &checks);
            let share = lines.iter().map(|(_, s)| *s).fold(0.0, f64::max);
            let costed: Vec<f64> = lines.iter().filter_map(|(l, _)| l.cost_yuan).collect();
            let priced = lines
                .iter()
                .filter(|(l, _)| l.cost_note != "设施缺失，费用已按面积计入")
                .all(|(l, _)| l.cost_yuan.is_some());
            projects.push(Project {
                id: format!("{}/{}/{}", community.id, item.item, way.id()),
                community: community.id,
                community_name: community.name.clone(),
                city: community.city.clone(),
                district: community.district.clone(),
                item: item.item,
                item_name_zh: item.name_zh.clone(),
                way,
                way_reason_zh: reason.to_owned(),
                lines: lines.into_iter().map(|(l, _)| l).collect(),
                cost_yuan: (!costed.is_empty()).then(|| costed.iter().sum()),
                cost_complete: priced && way != Way::Manage,
                priority: Priority {
                    tier,
                    gap_share: share,
                    rank: 0,
                },
                // The first tier in the base year, each later tier a year after: the opinion's
                // 推进时序. The office moves years by editing the project.
                target_year: options.base_year + i32::from(tier.number()) - 1,
                status: Status::Planned,
                history: vec![StatusChange {
                    status: Status::Planned,
                    date: options.planned_on,
                }],
            });
        }
    }
    rank(&mut projects, options);
    Ok(projects)
}

/// Orders projects by the opinion's priority and numbers them from 1: tier first; in the second
/// tier the office's order of need; then the larger gap share; then community and item, so the order
/// is the same on every run. Works on one community's plan or a whole city's library.
pub fn rank(projects: &mut [Project], options: &PlanOptions) {
    let need = |item: u8| {
        options
            .needs_items
            .iter()
            .position(|i| *i == item)
            .unwrap_or(usize::MAX)
    };
    projects.sort_by(|a, b| {
        a.priority
            .tier
            .cmp(&b.priority.tier)
            .then_with(|| match a.priority.tier {
                Tier::ResidentsNeeds => need(a.item).cmp(&need(b.item)),
                _ => std::cmp::Ordering::Equal,
            })
            .then_with(|| b.priority.gap_share.total_cmp(&a.priority.gap_share))
            .then_with(|| a.community.cmp(&b.community))
            .then_with(|| a.item.cmp(&b.item))
            .then_with(|| a.way.cmp(&b.way))
    });
    for (i, p) in projects.iter_mut().enumerate() {
        p.priority.rank = i + 1;
    }
}

/// Moves a project to its next stage on a date. Only the next stage is allowed (planned → funded →
/// under construction → completed → accepted), never on a date before the last move.
pub fn transition(project: &mut Project, to: Status, date: NaiveDate) -> Result<(), OfficeError> {
    let from = project.status;
    if from.next() != Some(to) {
        let allowed = match from.next() {
            Some(n) => format!("the only next status is {n}"),
            None => "accepted is the last status".to_owned(),
        };
        return Err(OfficeError::Transition(format!(
            "project {}: cannot move from {from} to {to}: {allowed}",
            project.id
        )));
    }
    if let Some(last) = project.history.last() {
        if date < last.date {
            return Err(OfficeError::Transition(format!(
                "project {}: {to} on {date} is before the last move ({} on {})",
                project.id, last.status, last.date
            )));
        }
    }
    project.status = to;
    project.history.push(StatusChange { status: to, date });
    Ok(())
}

/// Whether a project's gap is closed, and if not, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "closed", rename_all = "snake_case")]
pub enum Closure {
    Closed,
    Open { reason: String },
}

/// A gap is closed only by a completed (or accepted) project AND a re-survey, made on or after the
/// completion date, whose evaluation finds every check the project was for met or no longer
/// applicable.
pub fn gap_closed(project: &Project, resurvey: &Survey, evaluation: &Evaluation) -> Closure {
    let open = |reason: String| Closure::Open { reason };
    if !matches!(project.status, Status::Completed | Status::Accepted) {
        return open(format!(
            "project is {}: it must be completed or accepted",
            project.status
        ));
    }
    if evaluation.community.id != project.community || resurvey.community.id != project.community {
        return open("the re-survey is of another community".to_owned());
    }
    let completed_on = project
        .history
        .iter()
        .find(|c| c.status == Status::Completed)
        .map(|c| c.date);
    let surveyed_on = resurvey
        .surveyed
        .as_ref()
        .and_then(|s| s.finished_at.or(s.started_at))
        .map(|t| t.date_naive());
    match (completed_on, surveyed_on) {
        (Some(done), Some(seen)) if seen < done => {
            return open(format!(
                "the re-survey ({seen}) is from before the project was completed ({done})"
            ))
        }
        (_, None) => {
            return open(
                "the re-survey has no date: cannot tell it came after completion".to_owned(),
            )
        }
        _ => {}
    }
    let Some(item) = evaluation.items.iter().find(|i| i.item == project.item) else {
        return open(format!("the evaluation has no item {}", project.item));
    };
    for line in &project.lines {
        match item.checks.iter().find(|c| c.check == line.check) {
            Some(c) if matches!(c.status, CheckStatus::Met | CheckStatus::NotApplicable) => {}
            Some(c) => {
                return open(format!(
                    "item {} check {} is still {:?} in the re-survey",
                    project.item, line.check, c.status
                ))
            }
            None => {
                return open(format!(
                    "item {} check {} is not in the re-survey's evaluation",
                    project.item, line.check
                ))
            }
        }
    }
    Closure::Closed
}
