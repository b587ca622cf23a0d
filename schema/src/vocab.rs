//! The field's vocabulary: kinds of facility and the features (rooms, services, equipment) a surveyor
//! ticks off. The names come from the standard's own text, so that the survey file, the evaluator,
//! the database and the UI all say the same thing.
//!
//! These are closed lists on purpose: a facility kind that the evaluator does not know could never be
//! counted, so an unknown kind in a survey file is an error, not a silent zero. A facility the list
//! does not name is recorded as `other` with a label.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Defines a closed vocabulary: a snake_case serde enum with its Chinese and English labels.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $id:literal, $zh:literal, $en:literal; )+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $(
                #[doc = concat!($zh, " — ", $en)]
                #[serde(rename = $id)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the standard's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The id used in files and the database.
            pub fn id(self) -> &'static str {
                match self { $($name::$variant => $id),+ }
            }

            /// The value with this id, if there is one.
            pub fn from_id(id: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.id() == id)
            }

            /// The standard's own Chinese term.
            pub fn name_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// An English rendering of the term.
            pub fn name_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }
    };
}

vocabulary! {
    /// What a facility is, in the standard's terms (items 1–16 name them).
    FacilityKind {
        ServiceStation = "service_station", "社区综合服务站", "community service station";
        Kindergarten = "kindergarten", "幼儿园", "kindergarten";
        Nursery = "nursery", "托儿所", "nursery";
        ElderlyStation = "elderly_station", "老年服务站", "elderly service station";
        DayCareCentre = "day_care_centre", "老年人日间照料中心", "day-care centre for the elderly";
        HealthStation = "health_station", "社区卫生服务站", "community health station";
        Supermarket = "supermarket", "综合超市", "supermarket";
        ConvenienceStore = "convenience_store", "便利店", "convenience store";
        ParcelLocker = "parcel_locker", "智能信包箱、智能快递箱", "smart mail and parcel lockers";
        ParcelStation = "parcel_station", "邮政快递末端综合服务站", "postal and parcel service station";
        Barber = "barber", "理发店", "barber";
        Laundry = "laundry", "洗衣店", "laundry";
        Pharmacy = "pharmacy", "药店", "pharmacy";
        Repair = "repair", "维修点", "repair shop";
        Housekeeping = "housekeeping", "家政服务网点", "housekeeping service";
        Restaurant = "restaurant", "餐饮店", "restaurant";
        Parking = "parking", "机动车停车位", "car parking";
        BicycleShed = "bicycle_shed", "非机动车停车棚、停放架", "bicycle shed or rack";
        EbikeCharging = "ebike_charging", "电动车集中停放和充电场所", "e-bike parking and charging";
        BusStop = "bus_stop", "公交站点", "bus stop";
        AccessibleToilet = "accessible_toilet", "无障碍厕所（厕位）", "accessible toilet";
        GarbagePoint = "garbage_point", "垃圾分类收集点", "sorted-waste collection point";
        GarbageStation = "garbage_station", "生活垃圾收集站", "household waste collection station";
        PublicToilet = "public_toilet", "公共厕所", "public toilet";
        BoxToilet = "box_toilet", "集成箱体式公共厕所", "integrated-box public toilet";
        ActivityGround = "activity_ground", "公共活动场地", "public activity ground";
        SportsGround = "sports_ground", "多功能运动场地", "multi-sport ground";
        GreenSpace = "green_space", "公共绿地", "public green space";
        CommunityPark = "community_park", "社区游园", "community park";
        PocketPark = "pocket_park", "口袋公园", "pocket park";
        PropertyRoom = "property_room", "物业管理用房", "property management room";
        Other = "other", "其他设施", "other facility";
    }
}

vocabulary! {
    /// A room, service or piece of equipment that the standard asks a facility to have.
    Feature {
        // Item 1: the service station's rooms.
        ServiceHall = "service_hall", "社区服务大厅", "community service hall";
        PoliceRoom = "police_room", "警务室", "police room";
        CommitteeOffice = "committee_office", "社区居委会办公室", "residents' committee office";
        ActivityRoom = "activity_room", "居民活动用房", "residents' activity room";
        ReadingRoom = "reading_room", "阅览室", "reading room";
        PartyCentre = "party_centre", "党群活动中心", "Party–masses activity centre";
        // Item 4: the elderly station's services.
        DayCare = "day_care", "居家日间生活辅助照料", "home and day-time living assistance";
        Meals = "meals", "助餐", "meal assistance";
        HealthCare = "health_care", "保健", "health care";
        Recreation = "recreation", "文化娱乐", "culture and recreation";
        // Item 5: the health station's services.
        Prevention = "prevention", "预防", "prevention";
        Medical = "medical", "医疗", "medical care";
        FamilyPlanning = "family_planning", "计生", "family planning";
        Rehabilitation = "rehabilitation", "康复", "rehabilitation";
        EpidemicPrevention = "epidemic_prevention", "防疫", "epidemic prevention";
        // Item 6: what the supermarket sells.
        Vegetables = "vegetables", "蔬菜", "vegetables";
        Fruit = "fruit", "水果", "fruit";
        FreshFood = "fresh_food", "生鲜", "fresh food";
        DailyGoods = "daily_goods", "日常生活用品", "daily necessities";
        // Item 12: accessible service features.
        LowCounter = "low_counter", "低位服务柜台", "low-level service counter";
        InfoScreen = "info_screen", "信息屏幕显示系统", "information display screen";
        BrailleOrAudioSigns = "braille_or_audio_signs", "盲文或有声提示标识", "braille or audible signs";
        // Item 14: the activity ground's equipment and the sports ground's courts.
        FitnessEquipment = "fitness_equipment", "健身器材", "fitness equipment";
        FitnessTrail = "fitness_trail", "健身步道", "fitness trail";
        Seating = "seating", "休息座椅", "seating";
        ChildrenPlay = "children_play", "儿童娱乐设施（沙坑等）", "children's play (sandpit etc.)";
        FiveASideFootball = "five_a_side_football", "5人制足球场地", "five-a-side football pitch";
        Basketball = "basketball", "篮球场地", "basketball court";
        Volleyball = "volleyball", "排球场地", "volleyball court";
        TableTennis = "table_tennis", "乒乓球场地", "table-tennis tables";
        Gateball = "gateball", "门球场地", "gateball court";
        EmergencyShelter = "emergency_shelter", "可转换为应急避难场所", "convertible to an emergency shelter";
        // Item 15: the green space's furnishing.
        RestFacilities = "rest_facilities", "休憩设施", "rest facilities";
    }
}

vocabulary! {
    /// How a value was measured. Each measured value keeps its method, because a planner weighs a
    /// figure from a 竣工图 differently from one paced out on site.
    Method {
        GpsPolygon = "gps_polygon", "GPS 绕行测面", "GPS boundary walk";
        GpsTrack = "gps_track", "GPS 轨迹测距", "GPS track of a walked route";
        Tape = "tape", "卷尺丈量", "tape measure";
        Drawing = "drawing", "地图勾绘", "drawn on the map";
        Documents = "documents", "产权证、竣工图等资料", "documents (title deed, as-built drawings)";
        Inclinometer = "inclinometer", "倾角仪", "inclinometer";
        Count = "count", "现场清点", "counted on site";
        Interview = "interview", "询问", "asked on site";
        Estimate = "estimate", "目测估计", "estimated by eye";
    }
}

vocabulary! {
    /// How the community's property is managed (item 16).
    PropertyManagement {
        Professional = "professional", "专业化物业服务", "professional property services";
        CommunityTrusteeship = "community_trusteeship", "社区托管", "community trusteeship";
        SocialOrganisation = "social_organisation", "社会组织代管", "managed by a social organisation";
        SelfManaged = "self_managed", "居民自管", "managed by residents";
        None = "none", "无物业管理", "no property management";
    }
}
