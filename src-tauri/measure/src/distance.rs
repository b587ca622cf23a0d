//! Distances on the ellipsoid and the minutes they take on foot.

use geo::{Distance, Geodesic, Point};
use serde::{Deserialize, Serialize};

use crate::fix::valid_lon_lat;

/// The standard's walking speed, m/min (《完整居住社区建设标准（试行）》: a 5-minute walk is
/// about 400 m). A city profile may set another; every function here takes the speed as an
/// argument for that reason.
pub const DEFAULT_WALKING_SPEED_M_PER_MIN: f64 = 80.0;

/// Why a distance or a walking time can't be given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DistanceError {
    /// A point is not a position on the globe. For a straight line, point 0 is `from` and
    /// point 1 is `to`.
    #[error("point {index}: lon {lon}, lat {lat} is not a position (longitude must be finite and within -180..180, latitude within -90..90)")]
    BadCoordinate {
        /// Index in the path (0 = from, 1 = to for a straight line).
        index: usize,
        /// Its longitude.
        lon: f64,
        /// Its latitude.
        lat: f64,
    },
    /// A path of fewer than two points has no length to speak of.
    #[error("a path needs at least 2 points, got {got}")]
    TooFewPoints {
        /// Points given.
        got: usize,
    },
    /// The detour factor is below 1, NaN or infinite. Below 1 would make the walk shorter than
    /// the straight line, which no street network allows.
    #[error("detour factor {factor} must be a finite number of at least 1 (the walk can't be shorter than the straight line)")]
    BadDetourFactor {
        /// What was given.
        factor: f64,
    },
    /// The walking speed is zero, negative, NaN or infinite.
    #[error("walking speed {speed_m_per_min} m/min must be a positive, finite number")]
    BadSpeed {
        /// What was given.
        speed_m_per_min: f64,
    },
    /// A distance handed to [`walking_minutes`] is negative, NaN or infinite.
    #[error("distance {distance_m} m must be a finite, non-negative number")]
    BadDistance {
        /// What was given.
        distance_m: f64,
    },
}

fn point(index: usize, p: [f64; 2]) -> Result<Point, DistanceError> {
    if valid_lon_lat(p) {
        Ok(Point::new(p[0], p[1]))
    } else {
        Err(DistanceError::BadCoordinate {
            index,
            lon: p[0],
            lat: p[1],
        })
    }
}

/// The geodesic distance between two `[lon, lat]` points on the WGS-84 ellipsoid, m.
pub fn straight_line_m(from: [f64; 2], to: [f64; 2]) -> Result<f64, DistanceError> {
    Ok(Geodesic.distance(point(0, from)?, point(1, to)?))
}

/// The length of a drawn path of `[lon, lat]` points: the sum of the geodesics between
/// consecutive points, m. A closed ring must repeat its first point at the end to count the
/// closing side.
pub fn path_length_m(path: &[[f64; 2]]) -> Result<f64, DistanceError> {
    if path.len() < 2 {
        return Err(DistanceError::TooFewPoints { got: path.len() });
    }
    let points = path
        .iter()
        .enumerate()
        .map(|(i, &p)| point(i, p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(points
        .windows(2)
        .map(|w| Geodesic.distance(w[0], w[1]))
        .sum())
}

/// Minutes on foot to cover `distance_m` at `speed_m_per_min` (usually
/// [`DEFAULT_WALKING_SPEED_M_PER_MIN`]).
pub fn walking_minutes(distance_m: f64, speed_m_per_min: f64) -> Result<f64, DistanceError> {
    if !(speed_m_per_min.is_finite() && speed_m_per_min > 0.0) {
        return Err(DistanceError::BadSpeed { speed_m_per_min });
    }
    if !(distance_m.is_finite() && distance_m >= 0.0) {
        return Err(DistanceError::BadDistance { distance_m });
    }
    Ok(distance_m / speed_m_per_min)
}

/// How the walk from a home to a facility was measured. Serialized like `buqi-schema`'s `Walk`:
/// tagged by `method`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum WalkDistance {
    /// Along a path drawn on the map (or walked), `[lon, lat]` points in order.
    Path {
        /// The path's points.
        path: Vec<[f64; 2]>,
    },
    /// The straight line from a home to the facility, times a stated detour factor (≥ 1) for the
    /// streets in between. The factor is the surveyor's judgement; it is kept with the
    /// measurement so a reader can see it.
    StraightLine {
        /// The home end, `[lon, lat]`.
        from: [f64; 2],
        /// The facility end, `[lon, lat]`.
        to: [f64; 2],
        /// Walk length ÷ straight-line length, at least 1.
        detour_factor: f64,
    },
}

impl WalkDistance {
    /// The walking distance, m.
    pub fn distance_m(&self) -> Result<f64, DistanceError> {
        match self {
            WalkDistance::Path { path } => path_length_m(path),
            &WalkDistance::StraightLine {
                from,
                to,
                detour_factor,
            } => {
                if !(detour_factor.is_finite() && detour_factor >= 1.0) {
                    return Err(DistanceError::BadDetourFactor {
                        factor: detour_factor,
                    });
                }
                Ok(straight_line_m(from, to)? * detour_factor)
            }
        }
    }

    /// Minutes on foot at `speed_m_per_min` (usually [`DEFAULT_WALKING_SPEED_M_PER_MIN`]).
    pub fn minutes(&self, speed_m_per_min: f64) -> Result<f64, DistanceError> {
        walking_minutes(self.distance_m()?, speed_m_per_min)
    }
}
