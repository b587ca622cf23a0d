//! What the camera wrote about the photo: orientation, when, where, facing which way.
//!
//! EXIF is advisory. A photo whose EXIF is missing or damaged is still a good photo, so nothing
//! here is an error: a field that cannot be read is `None` (orientation: upright).

use std::io::Cursor;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use exif::{In, Tag, Value};
use serde::{Deserialize, Serialize};

/// A WGS-84 longitude/latitude in degrees, east and north positive — the survey model's order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    /// Degrees east, −180…180.
    pub lon: f64,
    /// Degrees north, −90…90.
    pub lat: f64,
}

/// The EXIF facts the survey keeps. All optional: screenshots and many edited files have none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoExif {
    /// `DateTimeOriginal` (with `SubSecTimeOriginal`), else `DateTimeDigitized`: the camera's
    /// wall-clock time when the shutter fired, in whatever zone the camera was set to.
    pub taken_at: Option<NaiveDateTime>,
    /// `OffsetTimeOriginal` (EXIF 2.31, written by current phones): the zone of `taken_at`, in
    /// minutes east of UTC (480 is `+08:00`). Without it the app decides (the tablet's zone).
    pub utc_offset_minutes: Option<i32>,
    /// `GPSLongitude`/`GPSLatitude` with their N/S/E/W references. `None` when either is
    /// missing, out of range, or exactly 0,0 (what cameras write when they had no fix).
    pub position: Option<LonLat>,
    /// `GPSImgDirection`: the way the lens faced, degrees clockwise from north, 0…360.
    pub bearing_deg: Option<f64>,
    /// `GPSImgDirectionRef` was `M`: `bearing_deg` is from magnetic north (about 5–11° west of
    /// true north across China), not true north.
    pub bearing_magnetic: bool,
    /// The EXIF `Orientation` tag, 1…8 (1 also when absent). Already applied to the display copy
    /// and thumbnail.
    pub orientation: u8,
}

impl Default for PhotoExif {
    /// Nothing known, upright.
    fn default() -> Self {
        PhotoExif {
            taken_at: None,
            utc_offset_minutes: None,
            position: None,
            bearing_deg: None,
            bearing_magnetic: false,
            orientation: 1,
        }
    }
}

impl PhotoExif {
    /// `taken_at` in its own zone, when the camera recorded the zone — the form the survey
    /// model's `PhotoRef::taken_at` holds.
    pub fn taken_at_with_offset(&self) -> Option<DateTime<FixedOffset>> {
        let local = self.taken_at?;
        let offset = FixedOffset::east_opt(self.utc_offset_minutes? * 60)?;
        local.and_local_timezone(offset).single()
    }
}

/// Parses whatever EXIF the JPEG (APP1) or PNG (`eXIf`) carries.
pub(crate) fn read(bytes: &[u8]) -> PhotoExif {
    let parsed = exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|e| e.distill_partial_result(|_ignored| {}));
    match parsed {
        Ok(exif) => from_fields(&exif),
        Err(_) => PhotoExif::default(),
    }
}

fn from_fields(exif: &exif::Exif) -> PhotoExif {
    let field = |tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);
    let orientation = field(Tag::Orientation)
        .and_then(|v| v.get_uint(0))
        .filter(|o| (1..=8).contains(o))
        .map_or(1, |o| o as u8);

    let (taken_at, utc_offset_minutes) =
        match (field(Tag::DateTimeOriginal), field(Tag::DateTimeDigitized)) {
            (Some(v), _) => time(
                v,
                field(Tag::SubSecTimeOriginal),
                field(Tag::OffsetTimeOriginal),
            ),
            (None, Some(v)) => time(
                v,
                field(Tag::SubSecTimeDigitized),
                field(Tag::OffsetTimeDigitized),
            ),
            (None, None) => (None, None),
        };

    let lat = coordinate(field(Tag::GPSLatitude), field(Tag::GPSLatitudeRef), b'S');
    let lon = coordinate(field(Tag::GPSLongitude), field(Tag::GPSLongitudeRef), b'W');
    let position = match (lon, lat) {
        (Some(lon), Some(lat))
            if lat.abs() <= 90.0 && lon.abs() <= 180.0 && (lon, lat) != (0.0, 0.0) =>
        {
            Some(LonLat { lon, lat })
        }
        _ => None,
    };

    let bearing_deg = field(Tag::GPSImgDirection)
        .and_then(|v| rational(v, 0))
        .filter(|d| (0.0..=360.0).contains(d))
        .map(|d| if d == 360.0 { 0.0 } else { d });
    let bearing_magnetic = field(Tag::GPSImgDirectionRef)
        .and_then(ascii)
        .is_some_and(|r| r.first().map(u8::to_ascii_uppercase) == Some(b'M'));

    PhotoExif {
        taken_at,
        utc_offset_minutes,
        position,
        bearing_deg,
        bearing_magnetic,
        orientation,
    }
}

fn ascii(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Ascii(parts) => parts.first().map(Vec::as_slice),
        _ => None,
    }
}

fn rational(v: &Value, i: usize) -> Option<f64> {
    let r = match v {
        Value::Rational(r) => *r.get(i)?,
        _ => return None,
    };
    // 0/0 is how some cameras say "unknown"; any zero denominator is not a number.
    (r.denom != 0).then(|| r.to_f64())
}

/// Degrees, minutes, seconds (any trailing ones may be missing), negative for S or W.
/// A missing reference counts as N or E: the spec requires it, but an absent one is far more
/// often a lazy writer than a southern or western photo.
fn coordinate(dms: Option<&Value>, reference: Option<&Value>, negative: u8) -> Option<f64> {
    let dms = dms?;
    let mut degrees = 0.0;
    let mut any = false;
    for (i, unit) in [1.0, 60.0, 3600.0].into_iter().enumerate() {
        match rational(dms, i) {
            Some(x) => {
                degrees += x / unit;
                any = true;
            }
            None if i == 0 => return None,
            None => break,
        }
    }
    if !any || !degrees.is_finite() {
        return None;
    }
    let is_negative = reference
        .and_then(ascii)
        .and_then(|r| r.first())
        .is_some_and(|c| c.to_ascii_uppercase() == negative);
    Some(if is_negative { -degrees } else { degrees })
}

fn time(
    v: &Value,
    subsec: Option<&Value>,
    offset: Option<&Value>,
) -> (Option<NaiveDateTime>, Option<i32>) {
    let Some(mut t) = ascii(v).and_then(|a| exif::DateTime::from_ascii(a).ok()) else {
        return (None, None);
    };
    if let Some(s) = subsec.and_then(ascii) {
        let _ = t.parse_subsec(s);
    }
    if let Some(o) = offset.and_then(ascii) {
        let _ = t.parse_offset(o);
    }
    let local = NaiveDate::from_ymd_opt(i32::from(t.year), u32::from(t.month), u32::from(t.day))
        .and_then(|d| {
            d.and_hms_nano_opt(
                u32::from(t.hour),
                u32::from(t.minute),
                u32::from(t.second),
                t.nanosecond.unwrap_or(0),
            )
        });
    // Real zones are within ±14 h; anything else is a garbled tag, not a place.
    let offset = t.offset.map(i32::from).filter(|m| m.abs() <= 14 * 60);
    (local, local.and(offset))
}
