//! A wheelchair ramp against the ramp rules (GB 55019-2021 §2.3 and §2.8, numbers from the
//! standard file's `[ramps]`). Item 12's `ramps` check is built from these assessments.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::evaluate::{at_least, at_most, CheckStatus};
use crate::standard::RampRules;
use crate::survey::Ramp;

/// Where a ramp's running slope came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlopeSource {
    /// Rise over horizontal length, by tape.
    RiseAndLength,
    /// The mean of inclinometer readings.
    Inclinometer,
}

/// A ramp's running slope as rise over run (1:12 = 0.0833).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Slope {
    pub value: f64,
    pub source: SlopeSource,
    /// For inclinometer readings: the largest minus the smallest, in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_deg: Option<f64>,
    /// How many readings were averaged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readings: Option<usize>,
}

impl Slope {
    /// The slope written as the code writes it: `1:12.0`.
    pub fn one_in(&self) -> String {
        one_in(self.value)
    }

    /// The slope with where it came from, so a reviewer can judge it: `1:12.0 (mean of 3
    /// inclinometer readings, spread 0.40°)`.
    pub fn described(&self) -> String {
        match (self.source, self.readings, self.spread_deg) {
            (SlopeSource::Inclinometer, Some(n), Some(spread)) if n > 1 => format!(
                "{} (mean of {n} inclinometer readings, spread {spread:.2}°)",
                self.one_in()
            ),
            (SlopeSource::Inclinometer, _, _) => {
                format!("{} (one inclinometer reading)", self.one_in())
            }
            (SlopeSource::RiseAndLength, _, _) => format!("{} (rise / length)", self.one_in()),
        }
    }

    /// [`Slope::described`] in Chinese.
    pub fn described_zh(&self) -> String {
        match (self.source, self.readings, self.spread_deg) {
            (SlopeSource::Inclinometer, Some(n), Some(spread)) if n > 1 => format!(
                "{}（{n} 次测斜仪读数的平均，极差 {spread:.2}°）",
                self.one_in()
            ),
            (SlopeSource::Inclinometer, _, _) => format!("{}（测斜仪读数 1 次）", self.one_in()),
            (SlopeSource::RiseAndLength, _, _) => format!("{}（高差 / 水平长度）", self.one_in()),
        }
    }
}

/// `1:N` for a rise-over-run ratio.
pub fn one_in(ratio: f64) -> String {
    if ratio <= 0.0 {
        "0 (level)".to_owned()
    } else {
        format!("1:{:.1}", 1.0 / ratio)
    }
}

/// An inclinometer or digital level reading in percent (rise per 100 of run) as degrees, for
/// instruments that show percent.
pub fn percent_to_degrees(percent: f64) -> f64 {
    (percent / 100.0).atan().to_degrees()
}

/// The running slope: from rise and length when both are known, else from inclinometer readings.
pub fn running_slope(ramp: &Ramp) -> Option<Slope> {
    if let (Some(rise), Some(length)) = (ramp.rise_m, ramp.length_m) {
        if length.get() > 0.0 {
            return Some(Slope {
                value: rise.get() / length.get(),
                source: SlopeSource::RiseAndLength,
                spread_deg: None,
                readings: None,
            });
        }
    }
    let readings: Vec<f64> = ramp.slope_readings_deg.iter().map(|d| d.get()).collect();
    if readings.is_empty() {
        return None;
    }
    let mean_deg = readings.iter().sum::<f64>() / readings.len() as f64;
    let (lo, hi) = readings
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &d| {
            (lo.min(d), hi.max(d))
        });
    Some(Slope {
        value: mean_deg.to_radians().tan(),
        source: SlopeSource::Inclinometer,
        spread_deg: Some(hi - lo),
        readings: Some(readings.len()),
    })
}

/// One rule applied to one ramp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RampCheck {
    /// `running_slope`, `cross_slope`, `clear_width`, `landings`, `rest_landings`, `handrails`,
    /// `upper_rail`, `lower_rail`.
    pub id: String,
    pub status: CheckStatus,
    /// What the rule asks, in Chinese and in English.
    pub required_zh: String,
    pub required_en: String,
    /// What was measured, in Chinese and in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_en: Option<String>,
    pub name_zh: String,
    pub name_en: String,
}

/// A ramp's verdict, rule by rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RampAssessment {
    pub ramp: Uuid,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slope: Option<Slope>,
    pub checks: Vec<RampCheck>,
}

impl RampAssessment {
    /// Not met if any rule fails; else not surveyed if any is unknown; else met.
    pub fn status(&self) -> CheckStatus {
        CheckStatus::combine(self.checks.iter().map(|c| c.status))
    }
}

/// A measurement written the same way in both languages.
fn same(text: String) -> (String, String) {
    (text.clone(), text)
}

fn status_of(known: Option<bool>) -> CheckStatus {
    match known {
        Some(true) => CheckStatus::Met,
        Some(false) => CheckStatus::NotMet,
        None => CheckStatus::NotSurveyed,
    }
}

/// Assesses one ramp against the rules.
pub fn assess(ramp: &Ramp, rules: &RampRules) -> RampAssessment {
    let slope = running_slope(ramp);
    let mut checks = Vec::new();
    let mut push = |id: &str,
                    zh: &str,
                    en: &str,
                    status: CheckStatus,
                    required: (String, String),
                    measured: Option<(String, String)>| {
        let (measured_zh, measured_en) = measured.unzip();
        let (required_zh, required_en) = required;
        checks.push(RampCheck {
            id: id.to_owned(),
            status,
            required_zh,
            required_en,
            measured_zh,
            measured_en,
            name_zh: zh.to_owned(),
            name_en: en.to_owned(),
        })
    };

    let max_slope = 1.0 / rules.running_slope_max_one_in;
    push(
        "running_slope",
        "纵向坡度",
        "running slope",
        status_of(slope.map(|s| at_most(s.value, max_slope))),
        same(format!("≤ 1:{}", rules.running_slope_max_one_in)),
        slope.map(|s| (s.described_zh(), s.described())),
    );

    let max_cross = 1.0 / rules.cross_slope_max_one_in;
    push(
        "cross_slope",
        "横向坡度",
        "cross slope",
        status_of(ramp.cross_slope.map(|c| at_most(c.get(), max_cross))),
        same(format!("≤ 1:{}", rules.cross_slope_max_one_in)),
        ramp.cross_slope.map(|c| same(one_in(c.get()))),
    );

    push(
        "clear_width",
        "净宽",
        "clear width",
        status_of(
            ramp.clear_width_m
                .map(|w| at_least(w.get(), rules.clear_width_min_m)),
        ),
        same(format!("≥ {:.2} m", rules.clear_width_min_m)),
        ramp.clear_width_m
            .map(|w| same(format!("{:.2} m", w.get()))),
    );

    // Start and end landings at least; a ramp with fewer recorded is not yet surveyed.
    let landings: Vec<f64> = ramp.landings_m.iter().map(|l| l.get()).collect();
    let shortest = landings.iter().copied().fold(f64::INFINITY, f64::min);
    let landing_status = if landings.iter().any(|&l| !at_least(l, rules.landing_min_m)) {
        CheckStatus::NotMet
    } else if landings.len() < 2 {
        CheckStatus::NotSurveyed
    } else {
        CheckStatus::Met
    };
    push(
        "landings",
        "平台长度",
        "landing length",
        landing_status,
        (
            format!("起止两端各 ≥ {:.2} m", rules.landing_min_m),
            format!("≥ {:.2} m (start and end)", rules.landing_min_m),
        ),
        (!landings.is_empty()).then(|| {
            (
                format!("{} 处平台，最短 {:.2} m", landings.len(), shortest),
                format!("{} landing(s), shortest {:.2} m", landings.len(), shortest),
            )
        }),
    );

    // A run rises at most run_rise_max_m; a higher ramp needs rest landings between runs.
    let rests_needed = ramp
        .rise_m
        .map(|r| ((r.get() / rules.run_rise_max_m).ceil() as usize).saturating_sub(1));
    let rests_status = match rests_needed {
        None => CheckStatus::NotSurveyed,
        Some(0) => CheckStatus::Met,
        Some(n) => status_of(Some(landings.len() >= 2 + n)),
    };
    push(
        "rest_landings",
        "休息平台",
        "rest landings",
        rests_status,
        (
            format!("每升高 {:.2} m 设休息平台", rules.run_rise_max_m),
            format!("a rest landing every {:.2} m of rise", rules.run_rise_max_m),
        ),
        ramp.rise_m.map(|r| {
            (
                format!("高差 {:.2} m，{} 处平台", r.get(), landings.len()),
                format!("rise {:.2} m, {} landing(s)", r.get(), landings.len()),
            )
        }),
    );

    // Both sides when the rise is over the limit and the slope steeper than the exemption.
    let both_sides_needed = match (ramp.rise_m, slope) {
        (Some(r), Some(s)) => Some(
            !at_most(r.get(), rules.handrails_when_rise_over_m)
                && !at_most(s.value, 1.0 / rules.handrails_when_steeper_than_one_in),
        ),
        _ => None,
    };
    let sides = ramp.handrails.map(|h| h.sides);
    let handrail_status = match (both_sides_needed, sides) {
        (_, Some(2)) => CheckStatus::Met,
        (Some(false), Some(_)) => CheckStatus::Met,
        (Some(true), Some(_)) => CheckStatus::NotMet,
        _ => CheckStatus::NotSurveyed,
    };
    push(
        "handrails",
        "两侧扶手",
        "handrails on both sides",
        handrail_status,
        (
            format!(
                "高差 > {:.2} m 且坡度陡于 1:{} 时两侧设扶手",
                rules.handrails_when_rise_over_m, rules.handrails_when_steeper_than_one_in
            ),
            format!(
                "both sides when rise > {:.2} m and slope steeper than 1:{}",
                rules.handrails_when_rise_over_m, rules.handrails_when_steeper_than_one_in
            ),
        ),
        sides.map(|s| (format!("{s} 侧"), format!("{s} side(s)"))),
    );

    if let Some(h) = ramp.handrails.filter(|h| h.sides > 0) {
        let [lo, hi] = rules.upper_rail_mm;
        push(
            "upper_rail",
            "扶手高度",
            "handrail height",
            status_of(
                h.upper_height_mm
                    .map(|v| at_least(v.get(), lo) && at_most(v.get(), hi)),
            ),
            same(format!("{lo:.0}–{hi:.0} mm")),
            h.upper_height_mm
                .map(|v| same(format!("{:.0} mm", v.get()))),
        );
        if let Some(lower) = h.lower_height_mm {
            let [lo, hi] = rules.lower_rail_mm;
            push(
                "lower_rail",
                "下层扶手高度",
                "lower rail height",
                status_of(Some(at_least(lower.get(), lo) && at_most(lower.get(), hi))),
                same(format!("{lo:.0}–{hi:.0} mm")),
                Some(same(format!("{:.0} mm", lower.get()))),
            );
        }
    }

    RampAssessment {
        ramp: ramp.id,
        label: ramp.label.clone(),
        slope,
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_readings_convert_to_degrees() {
        // 1:12 is 8.33 % and 4.76°.
        assert!((percent_to_degrees(100.0 / 12.0) - 4.7636).abs() < 1e-4);
        assert_eq!(percent_to_degrees(0.0), 0.0);
    }

    #[test]
    fn a_slope_says_where_it_came_from() {
        let slope = Slope {
            value: 1.0 / 12.5,
            source: SlopeSource::Inclinometer,
            spread_deg: Some(0.4),
            readings: Some(3),
        };
        assert_eq!(
            slope.described(),
            "1:12.5 (mean of 3 inclinometer readings, spread 0.40°)"
        );
        let tape = Slope {
            source: SlopeSource::RiseAndLength,
            spread_deg: None,
            readings: None,
            ..slope
        };
        assert_eq!(tape.described(), "1:12.5 (rise / length)");
    }
}
