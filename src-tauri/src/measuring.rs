//! Measuring in the field, recorded: a boundary walk becomes the community's boundary with its
//! GPS points and a measurement that cites them; tape rectangles become a facility's area; a path
//! or a straight line becomes a facility's walking distance. The arithmetic is `buqi-measure`'s;
//! this module files the results as one batch of edits each, so a measurement is never stored
//! without its evidence or the evidence without the value.

use buqi_measure::{
    boundary_area, tape_area, BoundaryArea, DistanceError, Fix, TapeError, WalkDistance, WalkError,
    WalkSettings,
};
use buqi_schema::record::{EntityKind, Fields};
use buqi_schema::survey::Quantity;
use chrono::{DateTime, FixedOffset};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::store::{Store, StoreError};

/// Why a measurement was not recorded. Nothing was stored in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("the boundary walk was not recorded: {0}")]
    Walk(#[from] WalkError),
    #[error("the tape area was not recorded: {0}")]
    Tape(#[from] TapeError),
    #[error("the walking distance was not recorded: {0}")]
    Distance(#[from] DistanceError),
    #[error(
        "the boundary walk was not recorded: fix {index} has no time (every recorded GPS point keeps when it was taken)"
    )]
    NoTime { index: usize },
    #[error(
        "{quantity} is not an area of a facility; expected building, land, usable or sports area"
    )]
    NotAFacilityArea { quantity: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A boundary walk as recorded.
#[derive(Debug, Clone)]
pub struct RecordedWalk {
    /// The area, its uncertainty, and which fixes were dropped and why.
    pub area: BoundaryArea,
    /// The `boundary_area_m2` measurement.
    pub measurement: Uuid,
    /// Every fix of the walk as a GPS point, in walking order (dropped ones too: they are the
    /// raw evidence); the measurement cites the kept ones.
    pub gps_points: Vec<Uuid>,
}

/// A tape area as recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordedTape {
    pub area_m2: f64,
    /// The `tape` measurement.
    pub measurement: Uuid,
}

impl Store {
    /// Records a walk round the community's boundary: every fix as a GPS point, the boundary ring
    /// and area on the community, and a `boundary_area_m2` measurement (method `gps_polygon`,
    /// uncertainty one σ) that cites the fixes it used. `offset` is the device's UTC offset,
    /// kept with each time.
    pub fn record_boundary_walk(
        &mut self,
        community: Uuid,
        fixes: &[Fix],
        offset: FixedOffset,
        settings: &WalkSettings,
    ) -> Result<RecordedWalk, MeasureError> {
        let area = boundary_area(fixes, settings)?;
        let mut times = Vec::with_capacity(fixes.len());
        for (index, fix) in fixes.iter().enumerate() {
            let time = fix
                .taken_at_ms
                .and_then(DateTime::from_timestamp_millis)
                .ok_or(MeasureError::NoTime { index })?;
            times.push(time.with_timezone(&offset));
        }
        let recorded = self.batch(|b| {
            let mut points = Vec::with_capacity(fixes.len());
            for (fix, time) in fixes.iter().zip(&times) {
                let mut point = fields(json!({
                    "lon": fix.lon,
                    "lat": fix.lat,
                    "taken_at": time.to_rfc3339(),
                    "source": fix.source,
                    "label": "boundary walk",
                }));
                if let Some(a) = fix.accuracy_m {
                    point.insert("accuracy_m".into(), json!(a));
                }
                points.push(b.create(community, EntityKind::GpsPoint, point)?);
            }
            let cited: Vec<String> = area
                .ring_fixes
                .iter()
                .map(|&i| points[i].to_string())
                .collect();
            let measurement = b.create(
                community,
                EntityKind::Measurement,
                fields(json!({
                    "quantity": "boundary_area_m2",
                    "value": area.area_m2,
                    "method": "gps_polygon",
                    "uncertainty": area.uncertainty_m2,
                    "gps_points": cited,
                    "taken_at": times.last().map(|t| t.to_rfc3339()),
                })),
            )?;
            b.set(
                EntityKind::Community,
                community,
                "boundary",
                json!({"ring": area.ring, "method": "gps_polygon", "area_m2": area.area_m2}),
            )?;
            Ok((measurement, points))
        })?;
        Ok(RecordedWalk {
            area,
            measurement: recorded.0,
            gps_points: recorded.1,
        })
    }

    /// Records a facility's area measured by tape as rectangles `[length_m, width_m]`: the sum
    /// on the facility's field for `quantity`, and a `tape` measurement listing the rectangles.
    /// Returns the area in m².
    pub fn record_tape_area(
        &mut self,
        facility: Uuid,
        quantity: Quantity,
        rectangles: &[[f64; 2]],
    ) -> Result<f64, MeasureError> {
        Ok(self
            .record_tape_measurement(facility, quantity, rectangles)?
            .area_m2)
    }

    /// [`Store::record_tape_area`], also giving the id of the measurement it filed (the window
    /// links the measurement to its evidence screen).
    pub fn record_tape_measurement(
        &mut self,
        facility: Uuid,
        quantity: Quantity,
        rectangles: &[[f64; 2]],
    ) -> Result<RecordedTape, MeasureError> {
        let field = match quantity {
            Quantity::BuildingAreaM2 => "building_area_m2",
            Quantity::LandAreaM2 => "land_area_m2",
            Quantity::UsableAreaM2 => "usable_area_m2",
            Quantity::SportsAreaM2 => "sports_area_m2",
            other => {
                return Err(MeasureError::NotAFacilityArea {
                    quantity: quantity_id(other),
                })
            }
        };
        let area = tape_area(rectangles)?;
        let measurement = self.batch(|b| {
            let community = b.community_of(EntityKind::Facility, facility)?;
            b.set(EntityKind::Facility, facility, field, json!(area))?;
            b.create(
                community,
                EntityKind::Measurement,
                fields(json!({
                    "facility": facility.to_string(),
                    "quantity": quantity_id(quantity),
                    "value": area,
                    "method": "tape",
                    "rectangles": rectangles,
                })),
            )
        })?;
        Ok(RecordedTape {
            area_m2: area,
            measurement,
        })
    }

    /// Records how far residents walk to a facility: along a drawn path (method `drawing`) or as
    /// a straight line times the stated detour factor (method `estimate`, the factor kept on the
    /// facility's `walk`). Returns the walking distance in metres.
    pub fn record_walk_distance(
        &mut self,
        facility: Uuid,
        walk: &WalkDistance,
    ) -> Result<f64, MeasureError> {
        let metres = walk.distance_m()?;
        let (value, method) = match walk {
            WalkDistance::Path { .. } => (json!({"method": "path", "length_m": metres}), "drawing"),
            WalkDistance::StraightLine {
                from,
                to,
                detour_factor,
            } => {
                let straight = buqi_measure::straight_line_m(*from, *to)?;
                (
                    json!({"method": "straight_line", "distance_m": straight, "detour_factor": detour_factor}),
                    "estimate",
                )
            }
        };
        self.batch(|b| {
            let community = b.community_of(EntityKind::Facility, facility)?;
            b.set(EntityKind::Facility, facility, "walk", value)?;
            b.create(
                community,
                EntityKind::Measurement,
                fields(json!({
                    "facility": facility.to_string(),
                    "quantity": "walk_length_m",
                    "value": metres,
                    "method": method,
                })),
            )
        })?;
        Ok(metres)
    }
}

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Fields::new(),
    }
}

fn quantity_id(quantity: Quantity) -> String {
    serde_json::to_value(quantity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
