//! Recorded tracks as fixes: NMEA 0183 (`$GPGGA`, `$GPRMC`, any talker) and GPX 1.0/1.1. The
//! Linux webview has no geolocation, so demos and the window tests walk boundaries from a
//! replayed track; a surveyor may also load a track logged by another receiver.
//!
//! Every fix comes back with `source: replay` and a time (`taken_at_ms`), which the app uses to
//! pace the replay. Accuracy: GPX's and NMEA's horizontal dilution of precision (HDOP) times
//! [`UERE_M`], or a GPX extension element named `accuracy` (metres, as Android loggers write it);
//! a fix with neither has no accuracy, and a boundary walk then names it instead of guessing.

use crate::{Fix, FixSource};

/// The user-equivalent range error assumed for a consumer receiver, m: accuracy ≈ HDOP × UERE.
/// 5 m is the usual figure for single-frequency phones and handhelds in open sky; it turns the
/// HDOP of 0.8–1.5 seen in the open into the 4–8 m Android reports there.
pub const UERE_M: f64 = 5.0;

/// Why a track could not be read. `line` is 1-based, in the file as given.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReplayError {
    /// A line of the file is wrong; the message says what.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// Nothing in the file was a position fix.
    #[error("the track has no position fixes (NMEA needs $GPGGA or $GPRMC sentences with a fix; GPX needs <trkpt> or <rtept> points)")]
    Empty,
    /// Neither NMEA nor GPX.
    #[error("not a track: expected NMEA sentences starting with $ or a GPX file starting with <")]
    UnknownFormat,
}

fn at(line: usize, message: impl Into<String>) -> ReplayError {
    ReplayError::Line {
        line,
        message: message.into(),
    }
}

/// Reads an NMEA or a GPX track, telling them apart by their first character.
pub fn parse_track(text: &str) -> Result<Vec<Fix>, ReplayError> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.starts_with('$') {
        parse_nmea(text)
    } else if body.starts_with('<') {
        parse_gpx(text)
    } else {
        Err(ReplayError::UnknownFormat)
    }
}

/// Reads NMEA sentences. `GGA` gives position, time of day and HDOP; `RMC` gives position, time
/// and date. A `GGA` and an `RMC` of the same second become one fix (the date from the `RMC`,
/// the accuracy from the `GGA`). Without any date, times count from 1970-01-01, going on to the
/// next day when the time of day wraps, which is enough to pace a replay. Other sentences are
/// skipped; a sentence without a fix (`GGA` quality 0, `RMC` status `V`) is skipped too, as a
/// receiver that has lost the sky would produce.
pub fn parse_nmea(text: &str) -> Result<Vec<Fix>, ReplayError> {
    let mut fixes: Vec<Fix> = Vec::new();
    // Time of day (ms) of the last fix pushed, to merge GGA/RMC pairs and to notice midnight.
    let mut last_tod: Option<i64> = None;
    let mut date_days: Option<i64> = None;
    let mut day_offset: i64 = 0;
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let sentence = raw.trim();
        if sentence.is_empty() {
            continue;
        }
        let Some(sentence) = sentence.strip_prefix('$') else {
            return Err(at(
                line,
                format!(
                    "expected an NMEA sentence starting with $, got {:?}",
                    clip(sentence)
                ),
            ));
        };
        // Only GGA and RMC are read; other sentences (satellites in view, DOP, …) are skipped
        // whole, so a garbled one of those costs nothing.
        if !matches!(sentence.get(2..5), Some("GGA" | "RMC")) {
            continue;
        }
        let body = checked_body(sentence).map_err(|m| at(line, m))?;
        let f: Vec<&str> = body.split(',').collect();
        let kind = f[0].get(2..).unwrap_or("");
        let (tod, lat, lon, accuracy, date) = match kind {
            "GGA" => {
                if f.len() < 9 {
                    return Err(at(
                        line,
                        format!("a GGA sentence has at least 9 fields, this one {}", f.len()),
                    ));
                }
                if f[6].trim().is_empty() || f[6] == "0" {
                    continue;
                }
                let hdop = if f[8].trim().is_empty() {
                    None
                } else {
                    Some(number(f[8], "HDOP").map_err(|m| at(line, m))?)
                };
                (
                    time_of_day(f[1]).map_err(|m| at(line, m))?,
                    coordinate(f[2], f[3], 'N', 'S', 90.0)
                        .map_err(|m| at(line, format!("latitude: {m}")))?,
                    coordinate(f[4], f[5], 'E', 'W', 180.0)
                        .map_err(|m| at(line, format!("longitude: {m}")))?,
                    hdop.map(|h| h * UERE_M),
                    None,
                )
            }
            "RMC" => {
                if f.len() < 10 {
                    return Err(at(
                        line,
                        format!(
                            "an RMC sentence has at least 10 fields, this one {}",
                            f.len()
                        ),
                    ));
                }
                if f[2] != "A" {
                    continue;
                }
                (
                    time_of_day(f[1]).map_err(|m| at(line, m))?,
                    coordinate(f[3], f[4], 'N', 'S', 90.0)
                        .map_err(|m| at(line, format!("latitude: {m}")))?,
                    coordinate(f[5], f[6], 'E', 'W', 180.0)
                        .map_err(|m| at(line, format!("longitude: {m}")))?,
                    None,
                    Some(nmea_date(f[9]).map_err(|m| at(line, m))?),
                )
            }
            _ => continue,
        };
        if let Some(d) = date {
            if date_days != Some(d) {
                date_days = Some(d);
                day_offset = 0;
            }
        }
        // The second half of a GGA/RMC pair for the same second: complete the fix already made.
        if last_tod == Some(tod) {
            if let Some(prev) = fixes.last_mut() {
                if prev.accuracy_m.is_none() {
                    prev.accuracy_m = accuracy;
                }
                if date.is_some() {
                    prev.taken_at_ms = Some(date_days.unwrap_or(0) * DAY_MS + tod);
                }
                continue;
            }
        }
        if let Some(prev) = last_tod {
            if tod < prev && date.is_none() {
                day_offset += 1;
            }
        }
        last_tod = Some(tod);
        fixes.push(Fix {
            lon,
            lat,
            accuracy_m: accuracy,
            taken_at_ms: Some((date_days.unwrap_or(0) + day_offset) * DAY_MS + tod),
            source: FixSource::Replay,
        });
    }
    if fixes.is_empty() {
        return Err(ReplayError::Empty);
    }
    Ok(fixes)
}

/// Reads the track points (`<trkpt>`) of a GPX file, or its route points (`<rtept>`) if it has
/// no track. Each needs `lat`, `lon` and a `<time>`.
pub fn parse_gpx(text: &str) -> Result<Vec<Fix>, ReplayError> {
    let doc = roxmltree::Document::parse(text).map_err(|e| {
        let pos = e.pos();
        at(pos.row as usize, format!("not well-formed XML: {e}"))
    })?;
    let line_of = |node: roxmltree::Node| doc.text_pos_at(node.range().start).row as usize;
    let root = doc.root_element();
    if root.tag_name().name() != "gpx" {
        return Err(at(
            line_of(root),
            format!(
                "expected a <gpx> document, got <{}>",
                root.tag_name().name()
            ),
        ));
    }
    let mut points: Vec<roxmltree::Node> = root
        .descendants()
        .filter(|n| n.has_tag_name("trkpt"))
        .collect();
    if points.is_empty() {
        points = root
            .descendants()
            .filter(|n| n.has_tag_name("rtept"))
            .collect();
    }
    let mut fixes = Vec::with_capacity(points.len());
    for p in points {
        let line = line_of(p);
        let attr = |name: &str| -> Result<f64, ReplayError> {
            let v = p.attribute(name).ok_or_else(|| {
                at(
                    line,
                    format!("<{}> has no {name} attribute", p.tag_name().name()),
                )
            })?;
            number(v, name).map_err(|m| at(line, m))
        };
        let lat = attr("lat")?;
        let lon = attr("lon")?;
        if !(-90.0..=90.0).contains(&lat) {
            return Err(at(line, format!("lat {lat} is outside −90…90")));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(at(line, format!("lon {lon} is outside −180…180")));
        }
        let child = |name: &str| {
            p.descendants()
                .find(|n| n.is_element() && n.tag_name().name() == name)
        };
        let time = child("time").ok_or_else(|| {
            at(
                line,
                "the point has no <time>; a replay needs each fix's time",
            )
        })?;
        let taken_at_ms =
            iso_time_ms(time.text().unwrap_or("").trim()).map_err(|m| at(line_of(time), m))?;
        let accuracy_m = if let Some(a) = child("accuracy") {
            Some(number(a.text().unwrap_or(""), "accuracy").map_err(|m| at(line_of(a), m))?)
        } else if let Some(h) = child("hdop") {
            Some(number(h.text().unwrap_or(""), "hdop").map_err(|m| at(line_of(h), m))? * UERE_M)
        } else {
            None
        };
        fixes.push(Fix {
            lon,
            lat,
            accuracy_m,
            taken_at_ms: Some(taken_at_ms),
            source: FixSource::Replay,
        });
    }
    if fixes.is_empty() {
        return Err(ReplayError::Empty);
    }
    Ok(fixes)
}

const DAY_MS: i64 = 86_400_000;

fn clip(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The sentence between `$` and `*`, after checking the checksum if there is one (the XOR of
/// every byte between them, two hex digits). A sentence garbled in logging is refused, not
/// replayed as a wild position.
fn checked_body(sentence: &str) -> Result<&str, String> {
    let (body, sum) = match sentence.split_once('*') {
        Some((b, s)) => (b, Some(s.trim())),
        None => (sentence, None),
    };
    if let Some(sum) = sum {
        let want = u8::from_str_radix(sum, 16)
            .map_err(|_| format!("checksum {sum:?} is not two hex digits"))?;
        let got = body.bytes().fold(0u8, |a, b| a ^ b);
        if got != want {
            return Err(format!(
                "checksum is {sum} but the sentence sums to {got:02X}: the line is garbled"
            ));
        }
    }
    if body.len() < 5 || !body.is_ascii() {
        return Err(format!("{:?} is not an NMEA sentence", clip(body)));
    }
    Ok(body)
}

fn number(text: &str, what: &str) -> Result<f64, String> {
    let t = text.trim();
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{what} {t:?} is not a number")),
    }
}

/// `ddmm.mmmm` (latitude) or `dddmm.mmmm` (longitude) with its hemisphere, to signed degrees.
fn coordinate(value: &str, hemi: &str, pos: char, neg: char, max: f64) -> Result<f64, String> {
    let v = number(value, "coordinate")?;
    let degrees = (v / 100.0).trunc();
    let minutes = v - degrees * 100.0;
    if minutes >= 60.0 || v < 0.0 {
        return Err(format!("{value:?} is not degrees and minutes"));
    }
    let d = degrees + minutes / 60.0;
    if d > max {
        return Err(format!("{value:?} is beyond {max}°"));
    }
    match hemi.trim().chars().next() {
        Some(c) if c == pos => Ok(d),
        Some(c) if c == neg => Ok(-d),
        _ => Err(format!("hemisphere {hemi:?} is not {pos} or {neg}")),
    }
}

/// `hhmmss(.sss)` to milliseconds since midnight.
fn time_of_day(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || format!("time {t:?} is not hhmmss");
    if t.len() < 6 || !t.is_char_boundary(6) {
        return Err(bad());
    }
    let int = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let (h, m) = (int(&t[0..2])?, int(&t[2..4])?);
    let s = number(&t[4..], "seconds").map_err(|_| bad())?;
    if h > 23 || m > 59 || !(0.0..61.0).contains(&s) {
        return Err(bad());
    }
    Ok((h * 3600 + m * 60) * 1000 + (s * 1000.0).round() as i64)
}

/// `ddmmyy` to days since 1970-01-01 (two-digit years are 2000–2099: NMEA logs are recent).
fn nmea_date(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || format!("date {t:?} is not ddmmyy");
    if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n = |r: std::ops::Range<usize>| t[r].parse::<i64>().map_err(|_| bad());
    let (d, m, y) = (n(0..2)?, n(2..4)?, n(4..6)?);
    days_from_civil(2000 + y, m, d).ok_or_else(bad)
}

/// `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)` to milliseconds since the Unix epoch.
fn iso_time_ms(text: &str) -> Result<i64, String> {
    let bad = || format!("time {text:?} is not an ISO 8601 time like 2026-05-12T09:30:05Z");
    let (date, rest) = text.split_once('T').ok_or_else(bad)?;
    let mut ymd = date.split('-');
    let mut next =
        || -> Result<i64, String> { ymd.next().and_then(|s| s.parse().ok()).ok_or_else(bad) };
    let (y, mo, d) = (next()?, next()?, next()?);
    let days = days_from_civil(y, mo, d).ok_or_else(bad)?;
    let (clock, offset_min) = if let Some(c) = rest.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':').ok_or_else(bad)?;
        let oh: i64 = oh.parse().map_err(|_| bad())?;
        let om: i64 = om.parse().map_err(|_| bad())?;
        (c, sign * (oh * 60 + om))
    } else {
        return Err(bad());
    };
    let mut hms = clock.split(':');
    let h: i64 = hms.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let m: i64 = hms.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let s: f64 = hms.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    if h > 23 || m > 59 || !(0.0..61.0).contains(&s) {
        return Err(bad());
    }
    Ok(days * DAY_MS + (h * 3600 + m * 60 - offset_min * 60) * 1000 + (s * 1000.0).round() as i64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date, if it is one (the era arithmetic of
/// H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_sum(body: &str) -> String {
        let sum = body.bytes().fold(0u8, |a, b| a ^ b);
        format!("${body}*{sum:02X}")
    }

    #[test]
    fn gga_and_rmc_of_one_second_make_one_fix() {
        let text = [
            with_sum("GPGGA,013005.00,3034.5000,N,11418.0000,E,1,09,0.9,25.0,M,-10.0,M,,"),
            with_sum("GPRMC,013005.00,A,3034.5000,N,11418.0000,E,0.5,90.0,120526,,,A"),
            "$GPGSV,3,1,09,01,40,083,46*7F".to_owned(), // another sentence: skipped unchecked
            with_sum("GPGGA,013006.00,3034.5010,N,11418.0020,E,1,09,1.2,25.0,M,-10.0,M,,"),
            with_sum("GPGGA,013007.00,,,,,0,00,,,M,,M,,"), // no fix
        ]
        .join("\r\n");
        let fixes = parse_nmea(&text).unwrap();
        assert_eq!(fixes.len(), 2);
        assert!((fixes[0].lat - 30.575).abs() < 1e-9);
        assert!((fixes[0].lon - 114.3).abs() < 1e-9);
        assert_eq!(fixes[0].accuracy_m, Some(0.9 * UERE_M));
        // 2026-05-12T01:30:05Z
        assert_eq!(fixes[0].taken_at_ms, Some(1_778_549_405_000));
        assert_eq!(fixes[1].taken_at_ms, Some(1_778_549_406_000));
        assert_eq!(fixes[1].source, FixSource::Replay);
    }

    #[test]
    fn southern_and_western_hemispheres_are_negative() {
        let text = with_sum("GNRMC,120000,A,3352.0000,S,15112.0000,W,0,0,010126,,,A");
        let f = parse_nmea(&text).unwrap();
        assert!((f[0].lat + 33.866_666_666).abs() < 1e-6);
        assert!((f[0].lon + 151.2).abs() < 1e-9);
        assert_eq!(f[0].accuracy_m, None);
    }

    #[test]
    fn time_of_day_wraps_past_midnight_without_a_date() {
        let text = [
            with_sum("GPGGA,235959,3034.5,N,11418.0,E,1,8,1.0,0,M,0,M,,"),
            with_sum("GPGGA,000001,3034.5,N,11418.0,E,1,8,1.0,0,M,0,M,,"),
        ]
        .join("\n");
        let f = parse_nmea(&text).unwrap();
        assert_eq!(f[1].taken_at_ms.unwrap() - f[0].taken_at_ms.unwrap(), 2_000);
    }

    #[test]
    fn bad_nmea_names_the_line() {
        let good = with_sum("GPGGA,013005.00,3034.5000,N,11418.0000,E,1,09,0.9,25.0,M,-10.0,M,,");
        let garbled = "$GPGGA,013006.00,3034.5000,N,11418.0000,E,1,09,0.9,25.0,M,-10.0,M,,*00";
        let err = parse_nmea(&format!("{good}\n{garbled}\n")).unwrap_err();
        assert!(err.to_string().starts_with("line 2: checksum"), "{err}");

        let bad_lat =
            with_sum("GPGGA,013005.00,3075.0000,N,11418.0000,E,1,09,0.9,25.0,M,-10.0,M,,");
        let err = parse_nmea(&format!("{good}\n\n{bad_lat}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: latitude: \"3075.0000\" is not degrees and minutes"
        );

        let bad_hemi = with_sum("GPRMC,013005.00,A,3034.5,X,11418.0,E,0,0,120526,,,A");
        let err = parse_nmea(&bad_hemi).unwrap_err();
        assert!(err.to_string().contains("hemisphere \"X\""), "{err}");

        let bad_date = with_sum("GPRMC,013005.00,A,3034.5,N,11418.0,E,0,0,310226,,,A");
        let err = parse_nmea(&bad_date).unwrap_err();
        assert!(err.to_string().contains("date \"310226\""), "{err}");

        let err = parse_nmea(&format!("{good}\nhello")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 2: expected an NMEA sentence"),
            "{err}"
        );
        assert_eq!(
            parse_nmea("$GPRMC,1*00\n"),
            Err(ReplayError::Line {
                line: 1,
                message: "checksum is 00 but the sentence sums to 56: the line is garbled".into()
            })
        );
        assert_eq!(
            parse_nmea(&with_sum("GPGSV,1,1,0")),
            Err(ReplayError::Empty)
        );
    }

    const GPX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><trkseg>
    <trkpt lat="30.5750" lon="114.3000"><time>2026-05-12T09:30:05+08:00</time><hdop>1.0</hdop></trkpt>
    <trkpt lat="30.5751" lon="114.3002"><time>2026-05-12T01:30:06.5Z</time>
      <extensions><accuracy>3.5</accuracy></extensions></trkpt>
    <trkpt lat="30.5752" lon="114.3004"><time>2026-05-12T01:30:08Z</time></trkpt>
  </trkseg></trk>
</gpx>"#;

    #[test]
    fn gpx_points_with_times_and_accuracy() {
        let f = parse_gpx(GPX).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].taken_at_ms, Some(1_778_549_405_000));
        assert_eq!(f[1].taken_at_ms, Some(1_778_549_406_500));
        assert_eq!(f[0].accuracy_m, Some(UERE_M));
        assert_eq!(f[1].accuracy_m, Some(3.5));
        assert_eq!(f[2].accuracy_m, None);
        assert_eq!(parse_track(GPX).unwrap(), f);
    }

    #[test]
    fn bad_gpx_names_the_line() {
        let err = parse_gpx(&GPX.replace("lat=\"30.5751\"", "lat=\"north\"")).unwrap_err();
        assert_eq!(err.to_string(), "line 5: lat \"north\" is not a number");
        let err = parse_gpx(&GPX.replace("2026-05-12T01:30:08Z", "yesterday")).unwrap_err();
        assert!(
            err.to_string().starts_with("line 7: time \"yesterday\""),
            "{err}"
        );
        let err = parse_gpx(&GPX.replace("lon=\"114.3004\"", "lon=\"214.3\"")).unwrap_err();
        assert!(err.to_string().starts_with("line 7: lon 214.3"), "{err}");
        let err = parse_gpx(&GPX.replace("</trkseg>", "")).unwrap_err();
        assert!(err.to_string().contains("not well-formed XML"), "{err}");
        let err = parse_gpx(&GPX.replace("<time>2026-05-12T01:30:08Z</time>", "")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 7: the point has no <time>"),
            "{err}"
        );
        assert_eq!(parse_gpx("<gpx></gpx>"), Err(ReplayError::Empty));
        assert_eq!(parse_track("lat,lon\n1,2"), Err(ReplayError::UnknownFormat));
    }

    #[test]
    fn the_window_tests_walk_is_a_100_by_80_m_block() {
        let text = include_str!("../../tests/fixtures/wuhan-block-walk.gpx");
        let fixes = parse_track(text).unwrap();
        assert_eq!(fixes.len(), 40);
        assert!(fixes
            .iter()
            .all(|f| (4.0..=7.0).contains(&f.accuracy_m.unwrap())));
        let b = crate::boundary_area(&fixes, &crate::WalkSettings::default()).unwrap();
        assert!((7_200.0..8_800.0).contains(&b.area_m2), "{}", b.area_m2);
        assert!(
            b.uncertainty_m2 > 0.0 && b.uncertainty_m2 < 0.1 * b.area_m2,
            "{}",
            b.uncertainty_m2
        );
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(2000, 3, 1), Some(11_017));
        assert_eq!(days_from_civil(2024, 2, 29), Some(19_782));
        assert_eq!(days_from_civil(2023, 2, 29), None);
    }
}
