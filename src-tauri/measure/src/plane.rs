//! A local east/north plane in metres around a community.
//!
//! Areas and lengths come from the ellipsoid (geo's geodesic code); this plane is only for the
//! questions that need a flat picture: does the walk cross itself, are the fixes all on one line,
//! and how does a vertex's error move the area. Over a few kilometres the plane's scale is off by
//! far less than a GNSS fix is, and crossing/collinearity don't depend on scale at all: the map
//! from degrees to this plane is affine, so straight lines stay straight.

/// WGS-84 semi-major axis, m. CGCS2000's ellipsoid differs from WGS-84's by 0.1 mm in b, which is
/// nothing at this scale.
const A: f64 = 6_378_137.0;
/// WGS-84 flattening.
const F: f64 = 1.0 / 298.257_223_563;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Plane {
    lon0: f64,
    lat0: f64,
    m_per_deg_lon: f64,
    m_per_deg_lat: f64,
}

impl Plane {
    /// A plane touching the ellipsoid in the middle of `points`' bounding box, scaled by the
    /// meridian and prime-vertical radii of curvature there.
    pub(crate) fn around(points: &[[f64; 2]]) -> Plane {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for p in points {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let (lon0, lat0) = if points.is_empty() {
            (0.0, 0.0)
        } else {
            ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0)
        };
        let e2 = F * (2.0 - F);
        let phi = lat0.to_radians();
        let w = (1.0 - e2 * phi.sin().powi(2)).sqrt();
        let meridian = A * (1.0 - e2) / (w * w * w);
        let prime_vertical = A / w;
        Plane {
            lon0,
            lat0,
            m_per_deg_lon: prime_vertical * phi.cos() * std::f64::consts::PI / 180.0,
            m_per_deg_lat: meridian * std::f64::consts::PI / 180.0,
        }
    }

    pub(crate) fn to_xy(self, p: [f64; 2]) -> [f64; 2] {
        [
            (p[0] - self.lon0) * self.m_per_deg_lon,
            (p[1] - self.lat0) * self.m_per_deg_lat,
        ]
    }

    pub(crate) fn to_lon_lat(self, xy: [f64; 2]) -> [f64; 2] {
        [
            xy[0] / self.m_per_deg_lon + self.lon0,
            xy[1] / self.m_per_deg_lat + self.lat0,
        ]
    }
}

/// Twice the signed shoelace area; positive when counter-clockwise.
#[cfg(test)]
pub(crate) fn twice_signed_area(xy: &[[f64; 2]]) -> f64 {
    let n = xy.len();
    (0..n)
        .map(|i| {
            let (p, q) = (xy[i], xy[(i + 1) % n]);
            p[0] * q[1] - q[0] * p[1]
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_scales_like_the_ellipsoid() {
        let plane = Plane::around(&[[114.30, 30.59], [114.31, 30.60]]);
        let p = [114.3071, 30.5987];
        let back = plane.to_lon_lat(plane.to_xy(p));
        assert!((back[0] - p[0]).abs() < 1e-12 && (back[1] - p[1]).abs() < 1e-12);
        // One degree of latitude near 30.6° N is about 110.86 km, of longitude about 95.9 km.
        assert!(
            (plane.m_per_deg_lat - 110_860.0).abs() < 50.0,
            "{}",
            plane.m_per_deg_lat
        );
        assert!(
            (plane.m_per_deg_lon - 95_900.0).abs() < 100.0,
            "{}",
            plane.m_per_deg_lon
        );
    }
}
