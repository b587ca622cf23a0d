//! The survey model: what a surveyor collects about one community, and the JSON interchange format
//! that carries it (`format = "buqi.survey"`, `version = 1`).
//!
//! The model carries what the field collects, not only what the evaluator reads today: the community
//! profile, facilities with their measured values, the evidence for those values (measurements with
//! their method), building entrances and ramps, GPS points, photo references and 体验活动 checklist
//! runs. Everything optional is `Option` on purpose: an absent value is "not surveyed", which the
//! evaluator must never mistake for "met" or for zero.
//!
//! Ids are UUIDs made where the record is born (UUIDv7 on the device); nothing renumbers them.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::values::{Count, NonNegative};
pub use crate::vocab::PropertyManagement;
use crate::vocab::{FacilityKind, Feature, Method};

/// The `format` field of every survey file.
pub const FORMAT: &str = "buqi.survey";
/// The interchange version this crate writes and reads.
pub const VERSION: u32 = 1;

/// One community's survey: the unit of interchange between the tablet, the server and the office.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Survey {
    /// Always `"buqi.survey"`.
    #[schemars(extend("const" = "buqi.survey"))]
    pub format: String,
    /// The interchange version, `1`.
    #[schemars(extend("const" = 1))]
    pub version: u32,
    /// Who surveyed and when, for the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surveyed: Option<SurveyedBy>,
    pub community: Community,
    /// Per-item records: whether the surveyor has finished looking at an item, and notes.
    #[serde(default)]
    pub items: Vec<ItemRecord>,
    /// Yes/no observations, keyed by the ids the standard defines (`utility.water_supply`,
    /// `governance_mechanism`, …). A key that is absent is not surveyed.
    #[serde(default)]
    pub observations: BTreeMap<String, bool>,
    #[serde(default)]
    pub facilities: Vec<Facility>,
    /// The evidence behind measured values: how each was measured.
    #[serde(default)]
    pub measurements: Vec<Measurement>,
    /// Building entrances checked for item 12.
    #[serde(default)]
    pub entrances: Vec<Entrance>,
    #[serde(default)]
    pub ramps: Vec<Ramp>,
    #[serde(default)]
    pub gps_points: Vec<GpsPoint>,
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
    /// 残联 体验活动 runs.
    #[serde(default)]
    pub checklist_runs: Vec<ChecklistRun>,
}

/// Who made the survey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyedBy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surveyor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// RFC 3339 with the device's offset, e.g. `2026-05-12T09:30:00+08:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<FixedOffset>>,
}

/// New or existing: the standard sets different rules for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommunityKind {
    /// 新建居住社区
    New,
    /// 既有居住社区
    Existing,
}

impl CommunityKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            CommunityKind::New => "新建",
            CommunityKind::Existing => "既有",
        }
    }
}

/// The community profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Community {
    pub id: Uuid,
    /// 居住社区名称
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    /// 街道
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// 社区居委会
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residents_committee: Option<String>,
    /// 新建 or 既有; unknown leaves every rule that depends on it not surveyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<CommunityKind>,
    /// 城镇老旧小区
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_estate: Option<bool>,
    /// 受场地条件约束: the existing-community alternatives (convenience stores, box toilets) apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_constrained: Option<bool>,
    /// 集中供热地区: heating (item 9) applies only there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub central_heating_zone: Option<bool>,
    /// 常住人口
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<Count>,
    /// 户数
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub households: Option<Count>,
    /// 物业总建筑面积, m²
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_floor_area_m2: Option<NonNegative>,
    /// 社区日均邮件快件投递量 (item 7)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_parcel_deliveries: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_management: Option<PropertyManagement>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boundary: Option<Boundary>,
}

/// The community's boundary: a closed ring of WGS-84/CGCS2000 longitude/latitude pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Boundary {
    /// `[longitude, latitude]` pairs, in order; the ring closes itself.
    pub ring: Vec<[f64; 2]>,
    pub method: Method,
    /// Area as measured or computed, m².
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_m2: Option<NonNegative>,
}

/// The surveyor's record of one of the 20 items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRecord {
    /// 1–20.
    #[schemars(range(min = 1, max = 20))]
    pub item: u8,
    /// The surveyor has looked at everything the item asks for. Until then, a missing facility is
    /// "not surveyed", not a gap: the surveyor may not have reached it yet.
    #[serde(default)]
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// How far residents walk to a facility: the longest walk from a residential building.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Walk {
    /// Measured along a drawn or walked path.
    Path { length_m: NonNegative },
    /// Straight-line distance times a stated detour factor (≥ 1).
    StraightLine {
        distance_m: NonNegative,
        detour_factor: NonNegative,
    },
    /// Walked and timed.
    Timed { minutes: NonNegative },
}

impl Walk {
    /// Minutes on foot at the given speed.
    pub fn minutes(&self, speed_m_per_min: f64) -> f64 {
        match *self {
            Walk::Path { length_m } => length_m.get() / speed_m_per_min,
            Walk::StraightLine {
                distance_m,
                detour_factor,
            } => distance_m.get() * detour_factor.get() / speed_m_per_min,
            Walk::Timed { minutes } => minutes.get(),
        }
    }
}

/// A facility found (or built) in or for the community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Facility {
    pub id: Uuid,
    pub kind: FacilityKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// The facility this one sits inside (an elderly station in the service station, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub located_in: Option<Uuid>,
    /// 建筑面积, m²
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_area_m2: Option<NonNegative>,
    /// 用地面积, m²
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land_area_m2: Option<NonNegative>,
    /// 使用面积, m²
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_area_m2: Option<NonNegative>,
    /// 体育活动场地面积 inside a park, m²
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sports_area_m2: Option<NonNegative>,
    /// 班数 (kindergarten)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classes: Option<Count>,
    /// 普惠性 (kindergarten)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusive: Option<bool>,
    /// 格口数 (parcel lockers)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compartments: Option<Count>,
    /// 停车位 (parking)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spaces: Option<Count>,
    /// 已建设充电设施的车位
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charging_spaces: Option<Count>,
    /// 预留建设安装条件的车位
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charging_provisioned_spaces: Option<Count>,
    /// 开放 (green spaces)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_to_public: Option<bool>,
    /// Rooms, services and equipment seen.
    #[serde(default)]
    pub features: Vec<Feature>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk: Option<Walk>,
    /// A label for `other` facilities, and anything worth a word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A point on the earth, WGS-84/CGCS2000 (never GCJ-02: that exists only at the map's display edge).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    #[schemars(range(min = -180, max = 180))]
    pub lon: f64,
    #[schemars(range(min = -90, max = 90))]
    pub lat: f64,
    /// Horizontal accuracy, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<NonNegative>,
}

/// Which value a measurement stands behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Quantity {
    BuildingAreaM2,
    LandAreaM2,
    UsableAreaM2,
    SportsAreaM2,
    TotalFloorAreaM2,
    BoundaryAreaM2,
    WalkLengthM,
}

/// The evidence for one measured value: what was measured, how, and how sure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    pub id: Uuid,
    /// The facility measured; none for a community-level value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<Uuid>,
    pub quantity: Quantity,
    pub value: NonNegative,
    pub method: Method,
    /// ± in the value's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<NonNegative>,
    /// Tape measure: the rectangles `[length_m, width_m]` whose areas were summed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rectangles: Vec<[NonNegative; 2]>,
    /// GPS walk: the fixes walked, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gps_points: Vec<Uuid>,
    /// Documents: which one (产权证 number, drawing sheet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<DateTime<FixedOffset>>,
}

/// A building entrance checked for a wheelchair route (item 12).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entrance {
    pub id: Uuid,
    pub building: BuildingUse,
    /// "3号楼 2单元", "社区服务站正门".
    pub label: String,
    /// Level or flush: no ramp needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_free: Option<bool>,
    /// The ramp serving this entrance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// Residential or public building: the standard asks ramps of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BuildingUse {
    Residential,
    Public,
}

/// A wheelchair ramp, measured against GB 55019-2021.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    pub id: Uuid,
    pub label: String,
    /// Total rise, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rise_m: Option<NonNegative>,
    /// Horizontal run length, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_m: Option<NonNegative>,
    /// Inclinometer readings of the running slope, degrees; used when rise and length are not both known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slope_readings_deg: Vec<NonNegative>,
    /// Cross slope as rise over width (0.02 = 1:50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_slope: Option<NonNegative>,
    /// Clear width, m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clear_width_m: Option<NonNegative>,
    /// Lengths of the landings at the start, the end and every rest, m.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub landings_m: Vec<NonNegative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handrails: Option<Handrails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// Handrails on a ramp.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Handrails {
    /// 0, 1 or 2 sides.
    #[schemars(range(max = 2))]
    pub sides: u8,
    /// Upper (or only) rail height, mm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper_height_mm: Option<NonNegative>,
    /// Lower rail height, mm, where there are two rails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower_height_mm: Option<NonNegative>,
}

/// Where a GPS fix came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FixSource {
    Gnss,
    Network,
    /// From a recorded NMEA or GPX track (demos and tests).
    Replay,
    /// Typed or tapped on the map.
    Manual,
}

/// One GPS fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpsPoint {
    pub id: Uuid,
    #[schemars(range(min = -180, max = 180))]
    pub lon: f64,
    #[schemars(range(min = -90, max = 90))]
    pub lat: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<NonNegative>,
    pub taken_at: DateTime<FixedOffset>,
    pub source: FixSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A photo, by the SHA-256 of its bytes (photos are immutable and content-addressed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PhotoRef {
    /// The photo record's own id: the same picture attached twice (to two items, say) is two
    /// records of one image.
    pub id: Uuid,
    /// The SHA-256 of the camera's original file, 64 lowercase hex digits: the image's address.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 20))]
    pub item: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<DateTime<FixedOffset>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Compass bearing the camera faced, degrees from north.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearing_deg: Option<NonNegative>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// Whose experience a checklist run records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantCategory {
    Wheelchair,
    BlindLowVision,
    DeafHardOfHearing,
    Elderly,
}

/// What a checkpoint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointTarget {
    Entrance,
    Ramp,
    Lift,
    Toilet,
    Counter,
    TactilePaving,
    Signage,
    Route,
}

/// A participant's verdict at a checkpoint.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 通过
    Pass,
    /// 困难
    Difficult,
    /// 无法通过
    Impassable,
}

/// One 体验活动 run along a route of checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistRun {
    pub id: Uuid,
    pub category: ParticipantCategory,
    /// The checklist template used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<FixedOffset>>,
    pub checkpoints: Vec<Checkpoint>,
}

/// One checkpoint on a 体验活动 route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub id: Uuid,
    pub label: String,
    pub target: CheckpointTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrance: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ramp: Option<Uuid>,
    /// None until the participant has been there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// SHA-256 of the photos taken here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
}

impl Survey {
    /// An empty survey of a community: the starting point on the tablet.
    pub fn new(community: Community) -> Self {
        Survey {
            format: FORMAT.to_owned(),
            version: VERSION,
            surveyed: None,
            community,
            items: Vec::new(),
            observations: BTreeMap::new(),
            facilities: Vec::new(),
            measurements: Vec::new(),
            entrances: Vec::new(),
            ramps: Vec::new(),
            gps_points: Vec::new(),
            photos: Vec::new(),
            checklist_runs: Vec::new(),
        }
    }

    /// Has the surveyor finished with this item?
    pub fn item_complete(&self, item: u8) -> bool {
        self.items.iter().any(|r| r.item == item && r.complete)
    }

    /// How a facility's value was measured, where the survey says.
    pub fn method_of(&self, facility: Uuid, quantity: Quantity) -> Option<Method> {
        self.measurements
            .iter()
            .find(|m| m.facility == Some(facility) && m.quantity == quantity)
            .map(|m| m.method)
    }
}
