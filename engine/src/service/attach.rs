//! Where a point joins the walking network: the nearest point of the nearest edge.
//!
//! Method: the edges' segments sit in a uniform grid ([`super::segment_grid`], built with
//! the network); the nearest segment to the projected point is found by searching the
//! grid's cells ring by ring, the point is projected onto it (clamped to its ends), and the
//! attachment records the edge, the distance along it from its `from` node, the
//! straight access distance and the edge's component. A building's point is its
//! footprint's centroid, or a point inside the footprint when the centroid falls
//! outside (`geo::InteriorPoint`).
//!
//! Complexity: O(segments in the few cells searched) per point, about one ring of cells
//! for a point near a street.
//!
//! Reference: checked against a brute-force scan over all segments in
//! benches/oracles/service_networkx.py (the oracle test's fixtures).

use geo::{Centroid, Contains, Coord, InteriorPoint, Point};

use super::network::WalkNetwork;
use crate::geometry::par;
use crate::model::Building;

/// Where a point joins the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attachment {
    pub edge: u32,
    /// Metres along the edge from its `from` node.
    pub along_m: f64,
    /// Straight distance from the point to the edge, metres.
    pub access_m: f64,
    pub component: u32,
}

/// A building's point for distances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Origin {
    pub position: Point<f64>,
}

impl Origin {
    pub fn of(b: &Building) -> Option<Origin> {
        building_point(b).map(|position| Origin { position })
    }
}

/// The footprint's centroid, or a point inside it when the centroid falls outside; `None` for an empty footprint.
pub fn building_point(b: &Building) -> Option<Point<f64>> {
    let c = b.footprint.centroid()?;
    if b.footprint.contains(&c) { Some(c) } else { b.footprint.interior_point().or(Some(c)) }
}

/// Nearest point of segment `a`–`b` to `p`: (parameter 0..1, distance).
fn project_on(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> (f64, f64) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    let (x, y) = (a.x + t * dx, a.y + t * dy);
    (t, (p.x - x).hypot(p.y - y))
}

impl WalkNetwork {
    /// Attach one point given in metres (this network's projection); `None` when the network has no edge.
    pub fn attach_metric(&self, p: Coord<f64>) -> Option<Attachment> {
        if !(p.x.is_finite() && p.y.is_finite()) {
            return None;
        }
        let (edge, k) = self.segments.nearest(p)?;
        let e = &self.edges[edge as usize];
        let (a, b) = (e.geometry[k as usize], e.geometry[k as usize + 1]);
        let (t, access_m) = project_on(a, b, p);
        let along_m = (e.cum[k as usize] + t * (e.cum[k as usize + 1] - e.cum[k as usize])).clamp(0.0, e.length_m);
        Some(Attachment { edge, along_m, access_m, component: self.component_of(e.from) })
    }

    /// Attach one lon/lat point.
    pub fn attach(&self, p: Point<f64>) -> Option<Attachment> {
        self.attach_metric(self.projection.project(p.0))
    }

    /// Attach many lon/lat points (in parallel over the cores).
    pub fn attach_all(&self, points: &[Point<f64>]) -> Vec<Option<Attachment>> {
        par::map(points, 4096, |&p| self.attach(p))
    }

    /// The attachment's position on the network, metres.
    pub fn snap_point(&self, a: &Attachment) -> Coord<f64> {
        self.point_along(a.edge, a.along_m)
    }
}

#[cfg(test)]
mod tests {
    use super::super::network::tests::net;
    use super::*;
    use crate::model::Attributes;
    use geo::{MultiPolygon, polygon};

    #[test]
    fn nearest_point_of_the_nearest_edge() {
        let n = net(&[&[(0.0, 0.0), (100.0, 0.0)], &[(0.0, 50.0), (100.0, 50.0)]]);
        let a = n.attach_metric(Coord { x: 30.0, y: 10.0 }).expect("attached");
        assert_eq!(a.edge, 0);
        assert!((a.along_m - 30.0).abs() < 1e-9 && (a.access_m - 10.0).abs() < 1e-9);
        // beyond the end: clamped to the end node
        let a = n.attach_metric(Coord { x: 130.0, y: 45.0 }).expect("attached");
        assert_eq!(a.edge, 1);
        assert!((a.along_m - 100.0).abs() < 1e-9 && (a.access_m - 30.0_f64.hypot(5.0)).abs() < 1e-9);
        assert_ne!(n.attach_metric(Coord { x: 0.0, y: 0.0 }).map(|a| a.component), Some(1));
    }

    #[test]
    fn a_point_exactly_on_a_node_and_an_empty_network() {
        let n = net(&[&[(0.0, 0.0), (100.0, 0.0)], &[(100.0, 0.0), (100.0, 100.0)]]);
        let a = n.attach_metric(Coord { x: 100.0, y: 0.0 }).expect("attached");
        assert!(a.access_m < 1e-9);
        let p = n.snap_point(&a);
        assert!((p.x - 100.0).abs() < 1e-9 && p.y.abs() < 1e-9);
        let empty = net(&[]);
        assert!(empty.attach_metric(Coord { x: 0.0, y: 0.0 }).is_none());
        assert!(n.attach_metric(Coord { x: f64::NAN, y: 0.0 }).is_none());
    }

    #[test]
    fn building_point_inside_a_u_shape() {
        let u = polygon![(x: 0.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 3.0), (x: 2.0, y: 3.0), (x: 2.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 3.0), (x: 0.0, y: 3.0)];
        let b = Building {
            id: "u".into(),
            footprint: MultiPolygon(vec![u.clone()]),
            households: None,
            population: None,
            floors: None,
            height: None,
            attributes: Attributes::default(),
        };
        let p = building_point(&b).expect("a point");
        assert!(u.contains(&p), "{p:?}");
        let square = Building {
            footprint: MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)]]),
            ..b.clone()
        };
        assert_eq!(building_point(&square), Some(Point::new(1.0, 1.0)));
        assert_eq!(building_point(&Building { footprint: MultiPolygon(vec![]), ..b }), None);
    }
}
