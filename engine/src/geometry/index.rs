//! R-tree over bounding boxes of a layer's features (rstar bulk load).
//!
//! The tree holds each feature's bounding rectangle with its index in the
//! layer; exact tests (point in polygon, intersections) are done by the caller
//! on the candidates. Bulk loading is O(n log n); a query is O(log n + k).

use geo::Rect;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Whether two rectangles meet (closed: touching counts).
pub fn rects_touch(a: Rect<f64>, b: Rect<f64>) -> bool {
    a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
}

/// The smallest rectangle holding both.
pub fn rect_union(a: Rect<f64>, b: Rect<f64>) -> Rect<f64> {
    Rect::new((a.min().x.min(b.min().x), a.min().y.min(b.min().y)), (a.max().x.max(b.max().x), a.max().y.max(b.max().y)))
}

/// Bounding-box index of a layer.
#[derive(Debug, Clone)]
pub struct PolygonIndex {
    tree: RTree<Entry>,
}

impl PolygonIndex {
    /// Index the given rectangles; `None` (empty geometry) is skipped.
    pub fn new(rects: impl IntoIterator<Item = Option<Rect<f64>>>) -> Self {
        let entries = rects
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| r.map(|r| GeomWithData::new(Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]), i)))
            .collect();
        PolygonIndex { tree: RTree::bulk_load(entries) }
    }

    /// Features whose box contains the point.
    pub fn query_point(&self, x: f64, y: f64) -> impl Iterator<Item = usize> + '_ {
        self.tree.locate_all_at_point(&[x, y]).map(|e| e.data)
    }

    /// Features whose box intersects the rectangle.
    pub fn query_rect(&self, r: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        self.tree.locate_in_envelope_intersecting(&env).map(|e| e.data)
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// The box of everything indexed (the root's envelope, O(1)); None when empty.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        if self.is_empty() {
            return None;
        }
        let e = self.tree.root().envelope();
        Some(Rect::new((e.lower()[0], e.lower()[1]), (e.upper()[0], e.upper()[1])))
    }
}
