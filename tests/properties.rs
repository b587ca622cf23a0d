//! Property tests of the evaluator: what must hold for every survey, not only the fixtures.
//!
//! Properties 1, 2 and 5 start from one of the two base communities in `fixtures/rules/` (which meet
//! every check), disturbed at random (facilities dropped, areas scaled, observations flipped or
//! removed, items left incomplete, the community's kind and conditions changed), so that there are
//! checks on both sides of their thresholds; then they make one change and compare before and after.
//! Property 3 evaluates arbitrary surveys; property 4 the empty survey.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use buqi_schema::evaluate::{CheckStatus, Evaluation, ItemStatus, Verdict};
use buqi_schema::standard::{Aggregate, Rule};
use buqi_schema::survey::{
    BuildingUse, ChecklistRun, Checkpoint, CheckpointTarget, Community, CommunityKind, Entrance,
    Facility, Handrails, ItemRecord, Outcome, ParticipantCategory, PropertyManagement, Ramp, Walk,
};
use buqi_schema::values::{Count, NonNegative};
use buqi_schema::vocab::{FacilityKind, Feature};
use buqi_schema::{evaluate, Standard, Survey};
use buqi_tests::{base_survey, standard};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::FileFailurePersistence;
use uuid::Uuid;

const CASES: u32 = 256;

/// The national standard and the standard with the Hubei profile.
fn standards() -> &'static [Standard; 2] {
    static S: OnceLock<[Standard; 2]> = OnceLock::new();
    S.get_or_init(|| [standard(None).unwrap(), standard(Some("hubei")).unwrap()])
}

/// The two base communities.
fn bases() -> &'static [Survey; 2] {
    static B: OnceLock<[Survey; 2]> = OnceLock::new();
    B.get_or_init(|| [base_survey("base-new"), base_survey("base-existing")])
}

fn nn(v: f64) -> NonNegative {
    NonNegative::new(v).expect("a number ≥ 0")
}

// ---------------------------------------------------------------------------------------------
// Disturbed base communities

/// How a base community is disturbed.
#[derive(Debug, Clone)]
struct Disturbance {
    base: usize,
    standard: usize,
    /// Per facility: dropped?
    drop: Vec<bool>,
    /// Per facility: areas scaled by this factor, if any.
    scale: Vec<Option<f64>>,
    /// Per observation: 0 keep, 1 flip, 2 remove.
    observations: Vec<u8>,
    /// Per item: left incomplete?
    incomplete: Vec<bool>,
    /// 0 keep, 1 unknown, 2 the other kind.
    kind: u8,
    old_estate: Option<Option<bool>>,
    site_constrained: Option<Option<bool>>,
    central_heating_zone: Option<Option<bool>>,
    /// Households, floor area and deliveries scaled by this factor.
    basis_scale: Option<f64>,
}

fn option_bool() -> impl Strategy<Value = Option<bool>> {
    prop_oneof![Just(None), Just(Some(true)), Just(Some(false))]
}

fn maybe_change<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop_oneof![4 => Just(None), 1 => s.prop_map(Some)]
}

fn disturbance() -> impl Strategy<Value = Disturbance> {
    (
        (0..2usize, 0..2usize),
        prop::collection::vec(prop::bool::weighted(0.12), 40),
        prop::collection::vec(maybe_change(0.5f64..1.5), 40),
        prop::collection::vec(
            prop_oneof![12 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
            30,
        ),
        prop::collection::vec(prop::bool::weighted(0.08), 20),
        prop_oneof![8 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8)],
        (
            maybe_change(option_bool()),
            maybe_change(option_bool()),
            maybe_change(option_bool()),
        ),
        maybe_change(0.5f64..1.5),
    )
        .prop_map(
            |(
                (base, standard),
                drop,
                scale,
                observations,
                incomplete,
                kind,
                (old_estate, site_constrained, central_heating_zone),
                basis_scale,
            )| Disturbance {
                base,
                standard,
                drop,
                scale,
                observations,
                incomplete,
                kind,
                old_estate,
                site_constrained,
                central_heating_zone,
                basis_scale,
            },
        )
}

fn scaled(v: Option<NonNegative>, factor: f64) -> Option<NonNegative> {
    v.map(|v| nn(v.get() * factor))
}

impl Disturbance {
    fn survey(&self) -> Survey {
        let mut s = bases()[self.base].clone();
        let c = &mut s.community;
        c.kind = match self.kind {
            0 => c.kind,
            1 => None,
            _ => c.kind.map(|k| match k {
                CommunityKind::New => CommunityKind::Existing,
                CommunityKind::Existing => CommunityKind::New,
            }),
        };
        if let Some(v) = self.old_estate {
            c.old_estate = v;
        }
        if let Some(v) = self.site_constrained {
            c.site_constrained = v;
        }
        if let Some(v) = self.central_heating_zone {
            c.central_heating_zone = v;
        }
        if let Some(f) = self.basis_scale {
            c.households = c
                .households
                .map(|h| Count::new((f64::from(h.get()) * f) as u32));
            c.total_floor_area_m2 = scaled(c.total_floor_area_m2, f);
            c.daily_parcel_deliveries = c
                .daily_parcel_deliveries
                .map(|d| Count::new((f64::from(d.get()) * f) as u32));
        }
        for (i, f) in s.facilities.iter_mut().enumerate() {
            if let Some(Some(factor)) = self.scale.get(i) {
                f.building_area_m2 = scaled(f.building_area_m2, *factor);
                f.land_area_m2 = scaled(f.land_area_m2, *factor);
                f.usable_area_m2 = scaled(f.usable_area_m2, *factor);
            }
        }
        let mut i = 0;
        s.facilities.retain(|_| {
            i += 1;
            !self.drop.get(i - 1).copied().unwrap_or(false)
        });
        let keys: Vec<String> = s.observations.keys().cloned().collect();
        for (key, action) in keys.iter().zip(&self.observations) {
            match action {
                1 => {
                    let v = s.observations[key];
                    s.observations.insert(key.clone(), !v);
                }
                2 => {
                    s.observations.remove(key);
                }
                _ => {}
            }
        }
        for r in &mut s.items {
            if self
                .incomplete
                .get(usize::from(r.item) - 1)
                .copied()
                .unwrap_or(false)
            {
                r.complete = false;
            }
        }
        s
    }

    fn standard(&self) -> &'static Standard {
        &standards()[self.standard]
    }
}

/// Every check's status, by id.
fn checks(e: &Evaluation) -> BTreeMap<&str, CheckStatus> {
    e.items
        .iter()
        .flat_map(|i| &i.checks)
        .map(|c| (c.check.as_str(), c.status))
        .collect()
}

/// Can adding a facility (or area to one) only help this rule? Everything but a pooled share (and a
/// min against a floor or a max or sum against a ceiling, which the standard does not use).
fn monotone(rule: &Rule) -> bool {
    match rule {
        Rule::FacilityValue {
            aggregate,
            at_least,
            at_most,
            ..
        } => match (aggregate, at_least, at_most) {
            (Some(Aggregate::Pooled), _, _) => false,
            (None | Some(Aggregate::Max | Aggregate::Sum), Some(_), None) => true,
            (None | Some(Aggregate::Min), None, Some(_)) => true,
            _ => false,
        },
        Rule::AnyOf { alternatives } => alternatives.iter().all(|a| monotone(&a.rule)),
        _ => true,
    }
}

/// The ids of the checks a facility added can make worse, and the items they sit in.
fn not_monotone(standard: &Standard) -> (Vec<String>, Vec<u8>) {
    let mut checks = Vec::new();
    let mut items = Vec::new();
    for item in &standard.items {
        for c in item.checks.iter().filter(|c| !monotone(&c.rule)) {
            checks.push(c.id.clone());
            items.push(item.number);
        }
    }
    (checks, items)
}

// ---------------------------------------------------------------------------------------------
// Arbitrary facilities and surveys

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn area() -> impl Strategy<Value = Option<NonNegative>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(nn(0.0))),
        4 => (0.0f64..10_000.0).prop_map(|v| Some(nn(v))),
        1 => (0.0f64..1e12).prop_map(|v| Some(nn(v))),
    ]
}

fn count() -> impl Strategy<Value = Option<Count>> {
    prop_oneof![
        2 => Just(None),
        4 => (0u32..5_000).prop_map(|v| Some(Count::new(v))),
        1 => any::<u32>().prop_map(|v| Some(Count::new(v))),
    ]
}

fn walk() -> impl Strategy<Value = Option<Walk>> {
    prop_oneof![
        Just(None),
        (0.0f64..5_000.0).prop_map(|m| Some(Walk::Path { length_m: nn(m) })),
        (0.0f64..5_000.0, 0.0f64..4.0).prop_map(|(d, f)| Some(Walk::StraightLine {
            distance_m: nn(d),
            detour_factor: nn(f),
        })),
        (0.0f64..60.0).prop_map(|m| Some(Walk::Timed { minutes: nn(m) })),
    ]
}

fn facility() -> impl Strategy<Value = Facility> {
    (
        uuid(),
        prop::sample::select(FacilityKind::ALL.to_vec()),
        (area(), area(), area(), area()),
        (count(), count(), count(), count(), count()),
        (option_bool(), option_bool()),
        prop::sample::subsequence(Feature::ALL.to_vec(), 0..=8),
        walk(),
    )
        .prop_map(
            |(
                id,
                kind,
                (building, land, usable, sports),
                (classes, compartments, spaces, charging, provisioned),
                (inclusive, open),
                features,
                walk,
            )| Facility {
                id,
                kind,
                name: None,
                position: None,
                located_in: None,
                building_area_m2: building,
                land_area_m2: land,
                usable_area_m2: usable,
                sports_area_m2: sports,
                classes,
                inclusive,
                compartments,
                spaces,
                charging_spaces: charging,
                charging_provisioned_spaces: provisioned,
                open_to_public: open,
                features,
                walk,
                notes: None,
            },
        )
}

fn community() -> impl Strategy<Value = Community> {
    (
        uuid(),
        prop_oneof![
            Just(None),
            Just(Some(CommunityKind::New)),
            Just(Some(CommunityKind::Existing))
        ],
        (option_bool(), option_bool(), option_bool()),
        (count(), count(), area(), count()),
        prop_oneof![
            Just(None),
            prop::sample::select(PropertyManagement::ALL.to_vec()).prop_map(Some)
        ],
    )
        .prop_map(
            |(
                id,
                kind,
                (old_estate, site_constrained, central_heating_zone),
                (population, households, total_floor_area_m2, daily_parcel_deliveries),
                property_management,
            )| Community {
                id,
                name: "随机社区".to_owned(),
                city: None,
                district: None,
                street: None,
                residents_committee: None,
                kind,
                old_estate,
                site_constrained,
                central_heating_zone,
                population,
                households,
                total_floor_area_m2,
                daily_parcel_deliveries,
                property_management,
                boundary: None,
            },
        )
}

fn ramp() -> impl Strategy<Value = Ramp> {
    (
        uuid(),
        (area(), area(), area(), area()),
        prop::collection::vec((0.0f64..89.0).prop_map(nn), 0..4),
        prop::collection::vec((0.0f64..3.0).prop_map(nn), 0..5),
        prop_oneof![
            Just(None),
            (any::<u8>(), area(), area()).prop_map(|(sides, upper, lower)| Some(Handrails {
                sides,
                upper_height_mm: upper,
                lower_height_mm: lower,
            })),
        ],
    )
        .prop_map(
            |(id, (rise, length, cross, width), readings, landings, handrails)| Ramp {
                id,
                label: "坡道".to_owned(),
                rise_m: rise,
                length_m: length,
                slope_readings_deg: readings,
                cross_slope: cross,
                clear_width_m: width,
                landings_m: landings,
                handrails,
                position: None,
            },
        )
}

fn entrance() -> impl Strategy<Value = Entrance> {
    (
        uuid(),
        any::<bool>(),
        option_bool(),
        prop::option::of(uuid()),
    )
        .prop_map(|(id, residential, step_free, ramp)| Entrance {
            id,
            building: if residential {
                BuildingUse::Residential
            } else {
                BuildingUse::Public
            },
            label: "入口".to_owned(),
            step_free,
            ramp,
            position: None,
        })
}

fn checklist_run() -> impl Strategy<Value = ChecklistRun> {
    (
        uuid(),
        prop::collection::vec(
            (
                uuid(),
                prop_oneof![
                    Just(None),
                    Just(Some(Outcome::Pass)),
                    Just(Some(Outcome::Difficult)),
                    Just(Some(Outcome::Impassable))
                ],
            ),
            0..5,
        ),
    )
        .prop_map(|(id, checkpoints)| ChecklistRun {
            id,
            category: ParticipantCategory::Wheelchair,
            template: None,
            started_at: None,
            checkpoints: checkpoints
                .into_iter()
                .map(|(id, outcome)| Checkpoint {
                    id,
                    label: "点位".to_owned(),
                    target: CheckpointTarget::Route,
                    facility: None,
                    entrance: None,
                    ramp: None,
                    outcome,
                    notes: None,
                    photos: Vec::new(),
                })
                .collect(),
        })
}

fn observation_id() -> impl Strategy<Value = String> {
    let ids: Vec<String> = standards()[0]
        .observations
        .iter()
        .map(|o| o.id.clone())
        .collect();
    prop_oneof![
        8 => prop::sample::select(ids),
        1 => "[a-z_.]{1,12}",
    ]
}

fn arbitrary_survey() -> impl Strategy<Value = Survey> {
    (
        community(),
        prop::collection::vec((0u8..=25, any::<bool>()), 0..25),
        prop::collection::btree_map(observation_id(), any::<bool>(), 0..30),
        prop::collection::vec(facility(), 0..40),
        prop::collection::vec(entrance(), 0..5),
        prop::collection::vec(ramp(), 0..4),
        prop::collection::vec(checklist_run(), 0..3),
    )
        .prop_map(
            |(community, items, observations, facilities, entrances, ramps, runs)| {
                let mut s = Survey::new(community);
                s.items = items
                    .into_iter()
                    .map(|(item, complete)| ItemRecord {
                        item,
                        complete,
                        notes: None,
                    })
                    .collect();
                s.observations = observations;
                s.facilities = facilities;
                s.entrances = entrances;
                s.ramps = ramps;
                s.checklist_runs = runs;
                s
            },
        )
}

// ---------------------------------------------------------------------------------------------
// The properties

/// Modest case counts, so that the suite runs in seconds; a failure's seed is kept next to this file
/// (`properties.proptest-regressions`), inside `tests/`.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// 1. Adding building, land or usable area to a facility never turns an item from met into a gap,
    /// nor a check from met into not met. The one exception is the park's sports share (sports area
    /// over land area, 15.park_sports_*): more land with the same sports area is a smaller share, and
    /// the standard asks for 10–15 %; those checks are left out when the land of a community park grows.
    #[test]
    fn more_area_never_breaks_a_met_check(
        d in disturbance(),
        which in any::<Index>(),
        field in 0..3usize,
        delta in prop_oneof![0.01f64..10.0, 10.0f64..5_000.0],
    ) {
        let before_survey = d.survey();
        prop_assume!(!before_survey.facilities.is_empty());
        let mut after_survey = before_survey.clone();
        let f = which.get_mut(&mut after_survey.facilities);
        let slot = match field {
            0 => &mut f.building_area_m2,
            1 => &mut f.land_area_m2,
            _ => &mut f.usable_area_m2,
        };
        *slot = Some(nn(slot.map_or(0.0, |v| v.get()) + delta));
        let share_exempt = field == 1 && f.kind == FacilityKind::CommunityPark;

        let before = evaluate(&before_survey, d.standard());
        let after = evaluate(&after_survey, d.standard());
        let after_checks = checks(&after);
        for (id, status) in checks(&before) {
            if share_exempt && id.starts_with("15.park_sports") {
                continue;
            }
            if status == CheckStatus::Met {
                prop_assert_ne!(after_checks[id], CheckStatus::NotMet, "check {} went from met to not met", id);
            }
        }
        for (b, a) in before.items.iter().zip(&after.items) {
            if share_exempt && b.item == 15 {
                continue;
            }
            if b.status == ItemStatus::Met {
                prop_assert_ne!(a.status, ItemStatus::Gap, "item {} went from met to gap", b.item);
            }
        }
    }

    /// 2. Adding a facility of any kind, with any values, never turns a met check into not met, for
    /// every check that counts facilities or takes the max, the sum (against a floor) or the min
    /// (against a ceiling) of their values, looks for features or flags, or does not read facilities
    /// at all: everything but the pooled share (10.charging_new, where a car park with no charging
    /// does lower the share) and the checks of an item judged on one facility of the added kind.
    /// Nor does an item with no pooled check go from met to a gap.
    #[test]
    fn another_facility_never_breaks_a_met_check(d in disturbance(), added in facility()) {
        let before_survey = d.survey();
        let mut after_survey = before_survey.clone();
        let (mut skip_checks, skip_items) = not_monotone(d.standard());
        // An item judged on one facility (一个幼儿园) is judged on the one meeting most checks; a
        // newcomer meeting more of them may fail one the old best met. The item as a whole still
        // never goes from met to a gap, which the second loop keeps checking.
        for item in d.standard().items.iter().filter(|i| i.one_facility.contains(&added.kind)) {
            skip_checks.extend(item.checks.iter().map(|c| c.id.clone()));
        }
        after_survey.facilities.push(added);

        let before = evaluate(&before_survey, d.standard());
        let after = evaluate(&after_survey, d.standard());
        let after_checks = checks(&after);
        for (id, status) in checks(&before) {
            if skip_checks.iter().any(|s| s == id) {
                continue;
            }
            if status == CheckStatus::Met {
                prop_assert_ne!(after_checks[id], CheckStatus::NotMet, "check {} went from met to not met", id);
            }
        }
        for (b, a) in before.items.iter().zip(&after.items) {
            if skip_items.contains(&b.item) {
                continue;
            }
            if b.status == ItemStatus::Met {
                prop_assert_ne!(a.status, ItemStatus::Gap, "item {} went from met to gap", b.item);
            }
        }
    }

    /// 3. Whatever the survey, the evaluation has exactly the 20 items, numbered 1 to 20 in order,
    /// each with its checks; the summary adds up; and the evaluation serialises. No panic.
    #[test]
    fn every_survey_gets_twenty_items(s in arbitrary_survey(), which in 0..2usize) {
        let e = evaluate(&s, &standards()[which]);
        let numbers: Vec<u8> = e.items.iter().map(|i| i.item).collect();
        prop_assert_eq!(numbers, (1..=20).collect::<Vec<u8>>());
        prop_assert!(e.items.iter().all(|i| !i.checks.is_empty()));
        let sum = &e.summary;
        prop_assert_eq!(sum.met + sum.gaps + sum.advisory + sum.not_applicable + sum.not_surveyed, 20);
        let gap_items: Vec<u8> = e.items.iter().filter(|i| i.status == ItemStatus::Gap).map(|i| i.item).collect();
        prop_assert_eq!(&sum.gap_items, &gap_items);
        prop_assert_eq!(sum.verdict == Verdict::NotComplete, !gap_items.is_empty());
        prop_assert!(serde_json::to_string(&e).is_ok());
    }

    /// 4. An empty survey (a community with only its id and name) has no item met and no gap: missing
    /// data is never met, and never a shortfall.
    #[test]
    fn empty_survey_has_nothing_met_and_no_gap(id in uuid(), name in "\\PC{1,20}", which in 0..2usize) {
        let s = Survey::new(Community {
            id,
            name,
            city: None,
            district: None,
            street: None,
            residents_committee: None,
            kind: None,
            old_estate: None,
            site_constrained: None,
            central_heating_zone: None,
            population: None,
            households: None,
            total_floor_area_m2: None,
            daily_parcel_deliveries: None,
            property_management: None,
            boundary: None,
        });
        let e = evaluate(&s, &standards()[which]);
        for item in &e.items {
            prop_assert_ne!(item.status, ItemStatus::Met, "item {}", item.item);
            prop_assert_ne!(item.status, ItemStatus::Gap, "item {}", item.item);
            for c in &item.checks {
                prop_assert_ne!(c.status, CheckStatus::Met, "check {}", &c.check);
                prop_assert_ne!(c.status, CheckStatus::NotMet, "check {}", &c.check);
            }
        }
        prop_assert_eq!(e.summary.verdict, Verdict::Undetermined);
    }

    /// 5. Removing an observation never turns a check or an item that was not met (not met, not
    /// surveyed, advisory, gap) into met; and the checks that read it are then not surveyed (or not
    /// applicable).
    #[test]
    fn removing_an_observation_never_makes_anything_met(d in disturbance(), which in any::<Index>()) {
        let before_survey = d.survey();
        prop_assume!(!before_survey.observations.is_empty());
        let key = which.get(&before_survey.observations.keys().cloned().collect::<Vec<_>>()).clone();
        let mut after_survey = before_survey.clone();
        after_survey.observations.remove(&key);

        let before = evaluate(&before_survey, d.standard());
        let after = evaluate(&after_survey, d.standard());
        let after_checks = checks(&after);
        for (id, status) in checks(&before) {
            if status != CheckStatus::Met {
                prop_assert_ne!(after_checks[id], CheckStatus::Met, "check {} became met", id);
            }
        }
        for (b, a) in before.items.iter().zip(&after.items) {
            if b.status != ItemStatus::Met {
                prop_assert_ne!(a.status, ItemStatus::Met, "item {} became met", b.item);
            }
        }
        for item in &d.standard().items {
            for c in &item.checks {
                if matches!(&c.rule, Rule::Observation { id } if *id == key) {
                    let status = after_checks[c.id.as_str()];
                    prop_assert!(
                        matches!(status, CheckStatus::NotSurveyed | CheckStatus::NotApplicable),
                        "check {} reads the removed {} but is {:?}", c.id, key, status
                    );
                }
            }
        }
    }
}
