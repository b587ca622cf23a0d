//! GPS and tape measuring for the field app.
//!
//! One job: turn what a surveyor measured — a walk round a boundary, tape rectangles, a path or a
//! straight line to a facility — into square metres, metres and minutes, with errors that say
//! what is wrong and where. No files, no clock, no sensors: the app (or a replayed track) hands
//! in plain [`Fix`]es.
//!
//! Coordinates are always `[longitude, latitude]` in WGS-84 / CGCS2000 degrees. Areas and
//! lengths are geodesics on the WGS-84 ellipsoid (Karney's algorithms, through the `geo` crate),
//! checked against GeographicLib's Python package in `tests/reference.rs`.
//!
//! ```
//! use buqi_measure::{boundary_area, Fix, WalkSettings};
//!
//! let walk = [
//!     Fix::gnss(114.3000, 30.5900, 4.0),
//!     Fix::gnss(114.3031, 30.5900, 5.0),
//!     Fix::gnss(114.3031, 30.5936, 4.0),
//!     Fix::gnss(114.3000, 30.5936, 6.0),
//! ];
//! let b = boundary_area(&walk, &WalkSettings::default())?;
//! assert!((b.area_m2 - 118_661.0).abs() < 1.0); // about 297 m × 399 m
//! assert!((b.uncertainty_m2 - 1_590.0).abs() < 10.0); // one σ: 1.3 % from 4–6 m fixes
//! # Ok::<(), buqi_measure::WalkError>(())
//! ```

#![warn(missing_docs)]

mod distance;
mod fix;
mod inside;
mod plane;
mod replay;
mod tape;
mod walk;

pub use distance::{
    path_length_m, straight_line_m, walking_minutes, DistanceError, WalkDistance,
    DEFAULT_WALKING_SPEED_M_PER_MIN,
};
pub use fix::{Fix, FixSource};
pub use inside::point_in_boundary;
pub use replay::{parse_gpx, parse_nmea, parse_track, ReplayError, UERE_M};
pub use tape::{tape_area, TapeError};
pub use walk::{boundary_area, BoundaryArea, DropReason, Dropped, WalkError, WalkSettings};
