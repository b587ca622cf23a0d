//! Is a point inside a boundary?

use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::{Coord, LineString, Polygon};

use crate::fix::valid_lon_lat;

/// Whether `point` (`[lon, lat]`) lies inside `ring` (`[lon, lat]` vertices, open or closed,
/// either winding — [`BoundaryArea::ring`](crate::BoundaryArea::ring) as it comes).
///
/// A point **on the boundary counts as inside**: a facility whose gate is on the estate's fence
/// serves the estate. The test is done with straight sides in longitude/latitude rather than
/// geodesics; over a side of 1 km the two differ by about a centimetre, well inside any fix's
/// error. A ring with fewer than 3 vertices, or any coordinate that is not a position on the
/// globe, contains nothing (`false`). Rings across the ±180° meridian are not handled (no
/// Chinese community is near it).
pub fn point_in_boundary(point: [f64; 2], ring: &[[f64; 2]]) -> bool {
    if ring.len() < 3 || !valid_lon_lat(point) || !ring.iter().all(|&p| valid_lon_lat(p)) {
        return false;
    }
    let exterior: LineString = ring.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    let polygon = Polygon::new(exterior, vec![]);
    polygon.coordinate_position(&Coord {
        x: point[0],
        y: point[1],
    }) != CoordPos::Outside
}
