//! A drawn area's outline, prepared for the questions an area query asks of
//! every candidate: does a point lie inside, does the outline's boundary
//! reach into a rectangle, and how much of a footprint lies inside.
//!
//! Method: the rings go into the banded crossing-number test of
//! `units::assign::PreparedPolygon` (the one the point assignment uses, so a
//! point on a shared edge is decided the same way), and every boundary edge's
//! box into an R-tree (`geometry::index`). A rectangle no boundary edge meets
//! lies wholly inside or wholly outside, decided by one point test; only
//! footprints the boundary crosses need a boolean intersection (geo's
//! `BooleanOps`). O(log e + k) per rectangle for e edges and k edges met,
//! O(log e + e/64) per point.

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Rect};

use crate::geometry::index::PolygonIndex;
use crate::units::assign::PreparedPolygon;

/// A (multi)polygon prepared for point, rectangle and footprint tests, in whatever coordinates it was given.
#[derive(Debug, Clone)]
pub struct Outline {
    pub geometry: MultiPolygon<f64>,
    pub bbox: Option<Rect<f64>>,
    prepared: PreparedPolygon,
    /// Boundary edges as `[x1, y1, x2, y2]`, and an index of their boxes.
    edges: Vec<[f64; 4]>,
    edge_index: PolygonIndex,
}

impl Outline {
    pub fn new(geometry: MultiPolygon<f64>) -> Outline {
        let mut edges = Vec::new();
        for p in &geometry.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for l in ring.lines() {
                    edges.push([l.start.x, l.start.y, l.end.x, l.end.y]);
                }
            }
        }
        let edge_index = PolygonIndex::new(edges.iter().map(|e| Some(Rect::new((e[0], e[1]), (e[2], e[3])))));
        Outline { bbox: geometry.bounding_rect(), prepared: PreparedPolygon::new(&geometry), geometry, edges, edge_index }
    }

    /// Whether the point lies inside (crossing number, even–odd over every ring).
    #[inline]
    pub fn contains(&self, x: f64, y: f64) -> bool {
        self.prepared.contains(x, y)
    }

    /// Whether any boundary edge meets the closed rectangle.
    pub fn boundary_meets(&self, r: Rect<f64>) -> bool {
        self.edge_index.query_rect(r).any(|i| segment_meets_rect(self.edges[i], r))
    }

    /// Where a rectangle lies: wholly inside, wholly outside, or crossed by the boundary.
    pub fn place(&self, r: Rect<f64>) -> Place {
        if self.bbox.is_none_or(|b| !crate::geometry::index::rects_touch(b, r)) {
            return Place::Outside;
        }
        if self.boundary_meets(r) {
            return Place::Crossed;
        }
        let c = r.center();
        if self.contains(c.x, c.y) { Place::Inside } else { Place::Outside }
    }

    /// The share (0–1) of a footprint's area inside. Exact for a footprint the
    /// boundary crosses (boolean intersection); the share of area is the same in
    /// degrees and in a local metric projection (an affine map keeps ratios of areas).
    pub fn share_of(&self, fp: &MultiPolygon<f64>) -> f64 {
        let Some(r) = fp.bounding_rect() else { return 0.0 };
        match self.place(r) {
            Place::Inside => 1.0,
            Place::Outside => 0.0,
            Place::Crossed => {
                let total = fp.unsigned_area();
                if total <= 0.0 {
                    let c = r.center();
                    return if self.contains(c.x, c.y) { 1.0 } else { 0.0 };
                }
                (fp.intersection(&self.geometry).unsigned_area() / total).clamp(0.0, 1.0)
            }
        }
    }

    /// Number of boundary vertices.
    pub fn vertices(&self) -> usize {
        self.edges.len()
    }
}

/// Where a rectangle lies against an outline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Inside,
    Outside,
    Crossed,
}

/// Whether segment `[x1, y1, x2, y2]` meets the closed rectangle (Liang–Barsky clipping).
pub fn segment_meets_rect(s: [f64; 4], r: Rect<f64>) -> bool {
    let (x1, y1, dx, dy) = (s[0], s[1], s[2] - s[0], s[3] - s[1]);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, x1 - r.min().x), (dx, r.max().x - x1), (-dy, y1 - r.min().y), (dy, r.max().y - y1)] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, Polygon, polygon};

    fn square(x0: f64, y0: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new((x0, y0), (x0 + s, y0 + s)).to_polygon()])
    }

    #[test]
    fn places_match_plain_geometry() {
        // an L-shaped outline with a hole
        let l: Polygon<f64> =
            polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 4.0), (x: 4.0, y: 4.0), (x: 4.0, y: 10.0), (x: 0.0, y: 10.0)];
        let hole = Rect::new((1.0, 1.0), (2.0, 2.0)).to_polygon();
        let mp = MultiPolygon(vec![Polygon::new(l.exterior().clone(), vec![hole.exterior().clone()])]);
        let o = Outline::new(mp.clone());
        for (x, y, s) in [(0.5, 0.5, 0.2), (5.0, 5.0, 1.0), (3.0, 3.0, 2.0), (1.2, 1.2, 0.3), (8.0, 1.0, 1.0), (20.0, 20.0, 1.0)] {
            let r = Rect::new((x, y), (x + s, y + s));
            let want = if mp.contains(&r.to_polygon()) {
                Place::Inside
            } else if !mp.intersects_rect(r) {
                Place::Outside
            } else {
                Place::Crossed
            };
            assert_eq!(o.place(r), want, "{r:?}");
        }
        assert!(o.contains(0.5, 0.5) && !o.contains(1.5, 1.5) && !o.contains(5.0, 5.0));
        assert_eq!(o.vertices(), 6 + 4);
    }

    trait IntersectsRect {
        fn intersects_rect(&self, r: Rect<f64>) -> bool;
    }
    impl IntersectsRect for MultiPolygon<f64> {
        fn intersects_rect(&self, r: Rect<f64>) -> bool {
            use geo::Intersects;
            self.intersects(&r.to_polygon()) && self.intersection(&MultiPolygon(vec![r.to_polygon()])).unsigned_area() > 0.0
        }
    }

    #[test]
    fn footprint_shares() {
        let o = Outline::new(square(0.0, 0.0, 10.0));
        assert_eq!(o.share_of(&square(1.0, 1.0, 2.0)), 1.0);
        assert_eq!(o.share_of(&square(20.0, 1.0, 2.0)), 0.0);
        let half = o.share_of(&square(9.0, 1.0, 2.0));
        assert!((half - 0.5).abs() < 1e-9, "{half}");
        assert!(o.contains(5.0, 5.0) && !o.contains(11.0, 5.0));
    }

    #[test]
    fn segments_and_rectangles() {
        let r = Rect::new((0.0, 0.0), (1.0, 1.0));
        assert!(segment_meets_rect([-1.0, 0.5, 2.0, 0.5], r));
        assert!(segment_meets_rect([0.5, 0.5, 0.6, 0.6], r));
        assert!(!segment_meets_rect([-1.0, 2.0, 2.0, 2.5], r));
        assert!(segment_meets_rect([-1.0, 1.0, 0.0, 2.0], Rect::new((-0.5, 1.0), (0.0, 1.5))));
        assert!(!segment_meets_rect([2.0, 0.0, 3.0, 1.0], r));
    }
}
