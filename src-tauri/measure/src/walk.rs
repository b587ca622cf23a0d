//! A boundary walk → a geodesic area, a perimeter and how far to trust the area.

use std::fmt;

use geo::line_intersection::{line_intersection, LineIntersection};
use geo::{Coord, Distance, Geodesic, GeodesicArea, Line, LineString, Point, Polygon};
use serde::{Deserialize, Serialize};

use crate::fix::{valid_lon_lat, Fix, FixSource};
use crate::plane::Plane;

/// Fixes that all lie within this distance of one straight line enclose no real area: the
/// surveyor walked out and back, or tapped three points on a road edge.
const COLLINEAR_WIDTH_M: f64 = 0.01;

/// `r / accuracy_to_sigma()` is the per-axis standard deviation of a fix whose 68 % horizontal
/// radius is `r`, if its error is a circular normal: then the distance from the truth is Rayleigh
/// distributed, P(d ≤ r) = 1 − exp(−r² / 2σ²) = 0.68, so r = σ·√(−2 ln 0.32) ≈ 1.51 σ.
fn accuracy_to_sigma() -> f64 {
    (-2.0 * (1.0_f64 - 0.68).ln()).sqrt()
}

/// How strict to be with the fixes of a walk. A city profile or the surveyor's settings screen may
/// change any of these; missing fields in JSON take the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WalkSettings {
    /// Fixes whose accuracy radius is larger than this are dropped (default 15 m: one corner that
    /// far out moves a 1 ha estate's area by several per cent). Must be above 0.
    pub max_accuracy_m: f64,
    /// A fix closer than this to the previous kept fix is a repeat and is dropped (default 1 m).
    /// Must be above 0, so that identical fixes never make a side of zero length.
    pub min_step_m: f64,
    /// A fix is also dropped when its step from the previous kept fix is shorter than this many
    /// times its own accuracy radius (default 1). A surveyor standing at a corner collects a cloud
    /// of fixes that wander by a few metres; keeping them all would zig-zag the boundary and
    /// usually make it cross itself. A step shorter than the fix's own uncertainty is not
    /// distinguishable from standing still. Set 0 to use `min_step_m` alone.
    pub step_accuracy_factor: f64,
    /// Kept fixes needed for an area (default 3; anything below 3 counts as 3).
    pub min_points: usize,
    /// The accuracy radius assumed, for the uncertainty only, for manual fixes that carry none
    /// (default 5 m: a corner tapped on a satellite map at street level).
    pub unreported_accuracy_m: f64,
}

impl Default for WalkSettings {
    fn default() -> Self {
        WalkSettings {
            max_accuracy_m: 15.0,
            min_step_m: 1.0,
            step_accuracy_factor: 1.0,
            min_points: 3,
            unreported_accuracy_m: 5.0,
        }
    }
}

impl WalkSettings {
    fn check(&self) -> Result<(), WalkError> {
        let fields = [
            ("max_accuracy_m", self.max_accuracy_m, false),
            ("min_step_m", self.min_step_m, false),
            ("step_accuracy_factor", self.step_accuracy_factor, true),
            ("unreported_accuracy_m", self.unreported_accuracy_m, true),
        ];
        for (name, value, zero_ok) in fields {
            let ok = value.is_finite() && (value > 0.0 || (zero_ok && value == 0.0));
            if !ok {
                return Err(WalkError::InvalidSetting { name, value });
            }
        }
        Ok(())
    }

    /// The shortest step from the previous kept fix that counts as moving.
    fn step_limit(&self, fix: &Fix) -> f64 {
        self.min_step_m
            .max(self.step_accuracy_factor * fix.accuracy_m.unwrap_or(0.0))
    }
}

/// Why a fix was left out of the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DropReason {
    /// Its accuracy radius was worse than [`WalkSettings::max_accuracy_m`].
    PoorAccuracy {
        /// The fix's accuracy radius, m.
        accuracy_m: f64,
        /// The limit it broke, m.
        limit_m: f64,
    },
    /// It had no accuracy and did not come from the map ([`FixSource::Manual`]).
    NoAccuracy {
        /// Where it came from.
        source: FixSource,
    },
    /// It was too close to a kept fix to count as a new corner: the previous kept fix, or for the
    /// last fixes of a walk that ends where it began, the first (then the limit uses the sum of
    /// the two fixes' accuracies).
    Repeat {
        /// Index (in the input) of the kept fix it repeats.
        of: usize,
        /// How far from that fix it was, m.
        distance_m: f64,
        /// The step it needed to make, m: the larger of `min_step_m` and
        /// `step_accuracy_factor` × its accuracy (at the end of a walk, × both accuracies).
        limit_m: f64,
    },
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DropReason::PoorAccuracy {
                accuracy_m,
                limit_m,
            } => write!(f, "accuracy {accuracy_m} m is worse than the {limit_m} m limit"),
            DropReason::NoAccuracy { source } => {
                write!(f, "a {source:?} fix without an accuracy (only manual fixes may omit it)")
            }
            DropReason::Repeat {
                of,
                distance_m,
                limit_m,
            } => write!(
                f,
                "only {distance_m:.1} m from fix {of}, less than the {limit_m:.1} m step that counts as moving"
            ),
        }
    }
}

/// A fix left out of the boundary, and why.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    /// Its index in the fixes given to [`boundary_area`].
    pub index: usize,
    /// Why.
    pub reason: DropReason,
}

/// The measured boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundaryArea {
    /// The kept fixes as `[lon, lat]`, in walk order, **open**: the last vertex joins the first
    /// implicitly and the first is not repeated. Either winding; it is the walker's.
    pub ring: Vec<[f64; 2]>,
    /// For each vertex of `ring`, the index of its fix in the input.
    pub ring_fixes: Vec<usize>,
    /// Area on the WGS-84 ellipsoid, m², always positive whichever way round the walk went.
    pub area_m2: f64,
    /// Length of the closed ring along geodesics, m.
    pub perimeter_m: f64,
    /// One standard deviation of `area_m2`, m², from the fixes' accuracy alone: each vertex is
    /// taken to err independently, circular normal, with per-axis σ = accuracy / 1.51 (the 68 %
    /// radius of such an error), and the error is propagated through the shoelace formula (the
    /// first-order term plus the exact neighbour-product term; see the README). GNSS errors are
    /// in fact correlated over a minute or so, which makes this optimistic for dense walks; and it
    /// does not cover the surveyor walking inside or outside the true line.
    pub uncertainty_m2: f64,
    /// How many fixes were kept (`ring.len()`).
    pub kept: usize,
    /// The fixes left out, in input order.
    pub dropped: Vec<Dropped>,
}

/// Why a walk gives no area.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WalkError {
    /// A setting is NaN, infinite or negative (or zero where that makes no sense).
    #[error("walk setting {name} is {value}, which is not allowed: max_accuracy_m and min_step_m must be above 0, the others 0 or more, all finite")]
    InvalidSetting {
        /// The field of [`WalkSettings`].
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A fix is not a position on the globe.
    #[error("fix {index}: lon {lon}, lat {lat} is not a position (longitude must be finite and within -180..180, latitude within -90..90)")]
    BadCoordinate {
        /// Index in the input.
        index: usize,
        /// Its longitude.
        lon: f64,
        /// Its latitude.
        lat: f64,
    },
    /// A fix's accuracy is NaN, infinite or negative: a bug upstream, not a poor fix.
    #[error("fix {index}: accuracy {accuracy_m} m is not a finite, non-negative radius")]
    BadAccuracy {
        /// Index in the input.
        index: usize,
        /// The accuracy given.
        accuracy_m: f64,
    },
    /// Too few fixes survived the filtering.
    #[error(
        "only {kept} of {total} fixes are usable and a boundary needs at least {needed} distinct corners; {}",
        describe_drops(.dropped)
    )]
    TooFewFixes {
        /// Fixes kept.
        kept: usize,
        /// Fixes needed.
        needed: usize,
        /// Fixes given.
        total: usize,
        /// Every fix left out, and why.
        dropped: Vec<Dropped>,
    },
    /// Two sides of the boundary cross or touch (or one doubles back over the next). Each side is
    /// named by the input indices of the fixes at its ends.
    #[error(
        "the walk crosses itself: {} meets {} near lon {lon:.6}, lat {lat:.6}; walk the boundary once without crossing, or leave out the stray fixes",
        describe_segment(.first),
        describe_segment(.second)
    )]
    SelfIntersecting {
        /// The earlier side: `[from, to]` fix indices.
        first: [usize; 2],
        /// The later side; `to` < `from` when it is the closing side back to the start.
        second: [usize; 2],
        /// Roughly where, longitude.
        lon: f64,
        /// Roughly where, latitude.
        lat: f64,
    },
    /// The kept fixes lie on one line (within about 1 cm), so they enclose no area.
    #[error("the {kept} kept fixes lie on one straight line, so they enclose no area; walk all the way round the boundary")]
    Degenerate {
        /// Fixes kept.
        kept: usize,
    },
}

fn describe_segment(s: &[usize; 2]) -> String {
    if s[1] < s[0] {
        format!("the closing side from fix {} back to fix {}", s[0], s[1])
    } else {
        format!("the side from fix {} to fix {}", s[0], s[1])
    }
}

fn describe_drops(dropped: &[Dropped]) -> String {
    if dropped.is_empty() {
        return "none were dropped".to_owned();
    }
    let (mut poor, mut none, mut repeats) = (0, 0, 0);
    let mut limit = 0.0_f64;
    for d in dropped {
        match d.reason {
            DropReason::PoorAccuracy { limit_m, .. } => {
                poor += 1;
                limit = limit_m;
            }
            DropReason::NoAccuracy { .. } => none += 1,
            DropReason::Repeat { .. } => repeats += 1,
        }
    }
    let mut parts = Vec::new();
    if poor > 0 {
        parts.push(format!("{poor} dropped for accuracy worse than {limit} m"));
    }
    if none > 0 {
        parts.push(format!(
            "{none} dropped for having no accuracy (only manual fixes may omit it)"
        ));
    }
    if repeats > 0 {
        parts.push(format!(
            "{repeats} dropped as repeats (a step shorter than the minimum step or the fix's own accuracy)"
        ));
    }
    parts.join(", ")
}

fn metres_between(a: [f64; 2], b: [f64; 2]) -> f64 {
    Geodesic.distance(Point::new(a[0], a[1]), Point::new(b[0], b[1]))
}

/// Measures the area inside a boundary walk.
///
/// In order: check every fix; drop poor fixes, fixes without accuracy (unless manual) and
/// repeats (see [`WalkSettings`]), including final fixes that come back to within a step of the
/// start; close the ring; refuse a ring that is collinear or crosses itself; then take the area
/// and perimeter on the WGS-84 ellipsoid (Karney's algorithm, via geo) and the area's uncertainty.
pub fn boundary_area(fixes: &[Fix], settings: &WalkSettings) -> Result<BoundaryArea, WalkError> {
    settings.check()?;
    for (index, fix) in fixes.iter().enumerate() {
        if !valid_lon_lat(fix.lon_lat()) {
            return Err(WalkError::BadCoordinate {
                index,
                lon: fix.lon,
                lat: fix.lat,
            });
        }
        if let Some(accuracy_m) = fix.accuracy_m {
            if !(accuracy_m.is_finite() && accuracy_m >= 0.0) {
                return Err(WalkError::BadAccuracy { index, accuracy_m });
            }
        }
    }

    let (kept, dropped) = filter(fixes, settings);
    let needed = settings.min_points.max(3);
    if kept.len() < needed {
        return Err(WalkError::TooFewFixes {
            kept: kept.len(),
            needed,
            total: fixes.len(),
            dropped,
        });
    }

    let ring: Vec<[f64; 2]> = kept.iter().map(|&i| fixes[i].lon_lat()).collect();
    let plane = Plane::around(&ring);
    let xy: Vec<[f64; 2]> = ring.iter().map(|&p| plane.to_xy(p)).collect();

    // Collinear first: a line of fixes also "doubles back" on itself, but the useful thing to
    // tell the surveyor is that nothing was enclosed.
    if collinear(&xy) {
        return Err(WalkError::Degenerate { kept: kept.len() });
    }
    if let Some((a, b, at)) = first_crossing(&xy) {
        let n = kept.len();
        let [lon, lat] = plane.to_lon_lat(at);
        return Err(WalkError::SelfIntersecting {
            first: [kept[a], kept[(a + 1) % n]],
            second: [kept[b], kept[(b + 1) % n]],
            lon,
            lat,
        });
    }

    let exterior: LineString = ring.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    // Signed, then the absolute value: geo's "unsigned" area assumes a counter-clockwise ring
    // and gives the rest of the Earth for a clockwise one, and walkers go either way. A
    // community is far smaller than half the Earth, where the signed area is exact.
    let (perimeter_m, signed) = Polygon::new(exterior, vec![]).geodesic_perimeter_area_signed();
    let area_m2 = signed.abs();
    if !area_m2.is_finite() || area_m2 <= 0.0 {
        return Err(WalkError::Degenerate { kept: kept.len() });
    }

    let sigmas: Vec<f64> = kept
        .iter()
        .map(|&i| {
            fixes[i]
                .accuracy_m
                .unwrap_or(settings.unreported_accuracy_m)
                / accuracy_to_sigma()
        })
        .collect();

    Ok(BoundaryArea {
        ring,
        kept: kept.len(),
        ring_fixes: kept,
        area_m2,
        perimeter_m,
        uncertainty_m2: area_sigma(&xy, &sigmas),
        dropped,
    })
}

/// Indices of the kept fixes, and the dropped ones with reasons (in input order).
fn filter(fixes: &[Fix], settings: &WalkSettings) -> (Vec<usize>, Vec<Dropped>) {
    let mut kept: Vec<usize> = Vec::new();
    let mut dropped = Vec::new();
    for (index, fix) in fixes.iter().enumerate() {
        let reason = match fix.accuracy_m {
            Some(accuracy_m) if accuracy_m > settings.max_accuracy_m => {
                Some(DropReason::PoorAccuracy {
                    accuracy_m,
                    limit_m: settings.max_accuracy_m,
                })
            }
            None if fix.source != FixSource::Manual => {
                Some(DropReason::NoAccuracy { source: fix.source })
            }
            _ => kept.last().and_then(|&of| {
                let distance_m = metres_between(fixes[of].lon_lat(), fix.lon_lat());
                let limit_m = settings.step_limit(fix);
                (distance_m < limit_m).then_some(DropReason::Repeat {
                    of,
                    distance_m,
                    limit_m,
                })
            }),
        };
        match reason {
            Some(reason) => dropped.push(Dropped { index, reason }),
            None => kept.push(index),
        }
    }

    // A walk that ends where it began would otherwise close with a side of a few metres that is
    // pure noise, and often a tiny loop round the start that counts as a crossing. The start and
    // the end were taken minutes apart, so both fixes' errors count: two readings of one spot
    // land up to about the sum of their radii apart.
    while kept.len() > 1 {
        let (first, last) = (kept[0], kept[kept.len() - 1]);
        let distance_m = metres_between(fixes[first].lon_lat(), fixes[last].lon_lat());
        let both = fixes[first].accuracy_m.unwrap_or(0.0) + fixes[last].accuracy_m.unwrap_or(0.0);
        let limit_m = settings
            .min_step_m
            .max(settings.step_accuracy_factor * both);
        if distance_m >= limit_m {
            break;
        }
        kept.pop();
        dropped.push(Dropped {
            index: last,
            reason: DropReason::Repeat {
                of: first,
                distance_m,
                limit_m,
            },
        });
    }
    dropped.sort_by_key(|d| d.index);
    (kept, dropped)
}

/// Whether every point lies within [`COLLINEAR_WIDTH_M`] (give or take a factor of two) of the
/// line through the two points farthest apart.
fn collinear(xy: &[[f64; 2]]) -> bool {
    let dist2 = |p: [f64; 2], q: [f64; 2]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
    let farthest = |from: [f64; 2]| {
        xy.iter().copied().fold(from, |best, p| {
            if dist2(from, p) > dist2(from, best) {
                p
            } else {
                best
            }
        })
    };
    let a = farthest(xy[0]);
    let b = farthest(a);
    let length = dist2(a, b).sqrt();
    if length == 0.0 {
        return true;
    }
    xy.iter().all(|&p| {
        let cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
        (cross / length).abs() <= COLLINEAR_WIDTH_M
    })
}

/// The first pair of sides (by index of the side starting at vertex i) that cross, touch, or
/// (for neighbours) overlap, with a point where they meet. O(n²) with a bounding-box test, which
/// for a few thousand fixes is milliseconds.
fn first_crossing(xy: &[[f64; 2]]) -> Option<(usize, usize, [f64; 2])> {
    let n = xy.len();
    let side = |i: usize| {
        let (p, q) = (xy[i], xy[(i + 1) % n]);
        Line::new(Coord { x: p[0], y: p[1] }, Coord { x: q[0], y: q[1] })
    };
    let boxes: Vec<[f64; 4]> = (0..n)
        .map(|i| {
            let (p, q) = (xy[i], xy[(i + 1) % n]);
            [
                p[0].min(q[0]),
                p[1].min(q[1]),
                p[0].max(q[0]),
                p[1].max(q[1]),
            ]
        })
        .collect();
    for i in 0..n {
        for j in i + 1..n {
            let (a, b) = (boxes[i], boxes[j]);
            if a[2] < b[0] || b[2] < a[0] || a[3] < b[1] || b[3] < a[1] {
                continue;
            }
            let neighbours = j == i + 1 || (i == 0 && j == n - 1);
            let at = match line_intersection(side(i), side(j)) {
                None => continue,
                // Neighbours always share their common corner; that is not a crossing.
                Some(LineIntersection::SinglePoint { .. }) if neighbours => continue,
                Some(LineIntersection::SinglePoint { intersection, .. }) => intersection,
                Some(LineIntersection::Collinear { intersection }) => {
                    if neighbours && intersection.start == intersection.end {
                        continue;
                    }
                    (intersection.start + intersection.end) / 2.0
                }
            };
            return Some((i, j, [at.x, at.y]));
        }
    }
    None
}

/// One standard deviation of the shoelace area when vertex i moves by independent circular
/// normal errors of per-axis σ_i.
///
/// A = ½ Σ (x_i y_{i+1} − x_{i+1} y_i), so ∂A/∂x_i = ½ (y_{i+1} − y_{i−1}) and
/// ∂A/∂y_i = ½ (x_{i−1} − x_{i+1}): to first order var(A) = Σ σ_i² |p_{i+1} − p_{i−1}|² / 4.
/// A is bilinear, so the only other term is the product of two vertices' errors, whose variance
/// is exactly ½ Σ σ_i² σ_{i+1}² (for Gaussian errors it is uncorrelated with the first-order
/// term). It is kept because the step filter spaces fixes only about one accuracy radius apart,
/// and there it is a fifth of the first-order term, not a rounding error.
fn area_sigma(xy: &[[f64; 2]], sigmas: &[f64]) -> f64 {
    let n = xy.len();
    let variance: f64 = (0..n)
        .map(|i| {
            let (prev, next) = (xy[(i + n - 1) % n], xy[(i + 1) % n]);
            let chord2 = (next[0] - prev[0]).powi(2) + (next[1] - prev[1]).powi(2);
            let first_order = sigmas[i].powi(2) * chord2 / 4.0;
            let product = sigmas[i].powi(2) * sigmas[(i + 1) % n].powi(2) / 2.0;
            first_order + product
        })
        .sum();
    variance.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plane::twice_signed_area;

    /// The planar area of the ring in the local plane, to cross-check the geodesic one.
    fn planar_area(ring: &[[f64; 2]]) -> f64 {
        let plane = Plane::around(ring);
        let xy: Vec<[f64; 2]> = ring.iter().map(|&p| plane.to_xy(p)).collect();
        twice_signed_area(&xy).abs() / 2.0
    }

    #[test]
    fn accuracy_radius_is_about_one_and_a_half_sigma() {
        assert!((accuracy_to_sigma() - 1.5096).abs() < 1e-4);
    }

    #[test]
    fn geodesic_and_planar_areas_agree_for_an_estate() {
        let fixes = [
            Fix::manual(114.300, 30.590),
            Fix::manual(114.303, 30.590),
            Fix::manual(114.303, 30.593),
            Fix::manual(114.300, 30.593),
        ];
        let got = boundary_area(&fixes, &WalkSettings::default()).unwrap();
        let planar = planar_area(&got.ring);
        assert!(
            (got.area_m2 - planar).abs() / planar < 1e-5,
            "{} vs {planar}",
            got.area_m2
        );
    }

    #[test]
    fn bow_tie_with_equal_lobes_is_a_crossing_not_zero_area() {
        // Its signed area is zero, so a degenerate check done first would give the wrong reason.
        let xy = [[0.0, 0.0], [10.0, 10.0], [10.0, 0.0], [0.0, 10.0]];
        assert!(!collinear(&xy));
        assert_eq!(twice_signed_area(&xy), 0.0);
        let (a, b, at) = first_crossing(&xy).unwrap();
        assert_eq!((a, b), (0, 2));
        assert!((at[0] - 5.0).abs() < 1e-9 && (at[1] - 5.0).abs() < 1e-9);
    }

    #[test]
    fn a_side_doubling_back_over_its_neighbour_is_a_crossing() {
        // Out along the bottom to (20, 0), then back to (10, 0) over the same line.
        let xy = [
            [0.0, 0.0],
            [20.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
        ];
        let (a, b, _) = first_crossing(&xy).unwrap();
        assert_eq!((a, b), (0, 1));
    }
}
