//! One position reading and where it came from.

use serde::{Deserialize, Serialize};

/// Where a fix came from: the survey model's own vocabulary, so a survey's `gps_points` map
/// straight onto [`Fix`]es. Only `manual` fixes may lack an accuracy (a corner placed by hand has
/// no receiver to ask); `replay` is treated like the source it was recorded from.
pub use buqi_schema::survey::FixSource;

/// One position: WGS-84 / CGCS2000 longitude and latitude in degrees (never GCJ-02, whose
/// offsets of a few hundred metres would put every boundary in the wrong place), with what the
/// device said about it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// Longitude, degrees east, −180…180.
    pub lon: f64,
    /// Latitude, degrees north, −90…90.
    pub lat: f64,
    /// Horizontal accuracy in metres as Android reports it: the radius of the circle the true
    /// position is inside with 68 % probability. `None` only makes sense for [`FixSource::Manual`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// When the fix was taken, milliseconds since the Unix epoch. Carried for the record; the
    /// walk's order is the order of the slice, not of these times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at_ms: Option<i64>,
    /// Where the fix came from.
    pub source: FixSource,
}

impl Fix {
    /// A receiver fix with an accuracy and no time: the common case in tests and replays.
    pub fn gnss(lon: f64, lat: f64, accuracy_m: f64) -> Fix {
        Fix {
            lon,
            lat,
            accuracy_m: Some(accuracy_m),
            taken_at_ms: None,
            source: FixSource::Gnss,
        }
    }

    /// A corner placed by hand on the map: no accuracy, no time.
    pub fn manual(lon: f64, lat: f64) -> Fix {
        Fix {
            lon,
            lat,
            accuracy_m: None,
            taken_at_ms: None,
            source: FixSource::Manual,
        }
    }

    /// `[lon, lat]`, the order every other function in this crate takes.
    pub fn lon_lat(&self) -> [f64; 2] {
        [self.lon, self.lat]
    }
}

/// Whether `[lon, lat]` is a finite position on the globe.
pub(crate) fn valid_lon_lat(p: [f64; 2]) -> bool {
    p[0].is_finite()
        && p[1].is_finite()
        && (-180.0..=180.0).contains(&p[0])
        && (-90.0..=90.0).contains(&p[1])
}
