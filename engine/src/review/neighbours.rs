//! The neighbour graph of one level of units, kept up to date after edits.
//!
//! Method: [`crate::groups::adjacency::adjacency`] (segments bucketed in a
//! uniform grid, shared length within a tolerance, rook or queen contact).
//! That function measures in a projection centred on the box of what it is
//! given, so every call here also gets two tiny anchor squares at the
//! corners of a fixed *frame* (the base layer's box grown by a margin):
//! the box, hence the projection, is the same whether the whole level or a
//! few units are passed, and the units are passed in id order so each
//! pair's sums run in the same order. After an edit only the changed units
//! and the units whose boxes come within the tolerance of them are passed;
//! the pairs touching a changed unit are replaced. O(s + s·k) for s
//! segments of the units passed (see the adjacency module).

use std::collections::{BTreeMap, BTreeSet};

use geo::{BoundingRect, MultiPolygon, Rect};

use crate::geometry::index::PolygonIndex;
use crate::geometry::projection::LocalProjection;
use crate::groups::adjacency::{AdjacencyOptions, Contact, adjacency};
use crate::model::{Level, UnitId};
use crate::units::hierarchy::Hierarchy;

/// A neighbouring pair: (smaller id, larger id) → (shared metres, contact).
pub type Pairs = BTreeMap<(UnitId, UnitId), (f64, Contact)>;

/// The neighbour graph of a level.
#[derive(Debug, Clone)]
pub struct Neighbours {
    pub level: Level,
    pub frame: Rect<f64>,
    pub pairs: Pairs,
}

/// Grow a lon/lat box by `m` metres on every side (scale of its centre).
pub fn grow_m(r: Rect<f64>, m: f64) -> Rect<f64> {
    let (kx, ky) = LocalProjection::for_rect(r).scale();
    let (dx, dy) = (m / kx.max(1e-9), m / ky.max(1e-9));
    Rect::new((r.min().x - dx, r.min().y - dy), (r.max().x + dx, r.max().y + dy))
}

fn anchors(frame: Rect<f64>) -> [MultiPolygon<f64>; 2] {
    let e = 1e-7;
    let (a, b) = (frame.min(), frame.max());
    [
        MultiPolygon(vec![Rect::new((a.x, a.y), (a.x + e, a.y + e)).to_polygon()]),
        MultiPolygon(vec![Rect::new((b.x - e, b.y - e), (b.x, b.y)).to_polygon()]),
    ]
}

/// All pairs among the given units (ids in increasing order), measured in the frame.
fn pairs_among(h: &Hierarchy, ids: &[&UnitId], frame: Rect<f64>, opts: &AdjacencyOptions) -> Pairs {
    let anchors = anchors(frame);
    let mut geoms: Vec<&MultiPolygon<f64>> = ids.iter().filter_map(|id| h.get(id)).map(|i| &h.units[i].geometry).collect();
    let n = geoms.len();
    geoms.extend(anchors.iter());
    let adj = adjacency(&geoms, opts);
    adj.pairs
        .into_iter()
        .filter(|p| p.a < n && p.b < n)
        .map(|p| {
            let (a, b) = (ids[p.a].clone(), ids[p.b].clone());
            (if a < b { (a, b) } else { (b, a) }, (p.shared_m, p.contact))
        })
        .collect()
}

/// Ids of the units of a level, in id order.
pub fn level_ids<'h>(h: &'h Hierarchy, level: &Level) -> Vec<&'h UnitId> {
    let mut ids: Vec<&UnitId> = h.units.iter().filter(|u| &u.level == level).map(|u| &u.id).collect();
    ids.sort();
    ids
}

impl Neighbours {
    /// The whole level's graph.
    pub fn full(h: &Hierarchy, level: &Level, frame: Rect<f64>, opts: &AdjacencyOptions) -> Neighbours {
        let ids = level_ids(h, level);
        Neighbours { level: level.clone(), frame, pairs: pairs_among(h, &ids, frame, opts) }
    }

    /// Bring the graph up to the new layer `h` after the units `changed` (ids in the old or the new
    /// layer, any level) changed. Returns the units whose neighbours may have changed.
    pub fn update(&mut self, h: &Hierarchy, index: &PolygonIndex, changed: &BTreeSet<UnitId>, opts: &AdjacencyOptions) -> BTreeSet<UnitId> {
        let mut dirty: BTreeSet<UnitId> = BTreeSet::new();
        let in_level = |id: &UnitId| h.get(id).is_some_and(|i| h.units[i].level == self.level);
        // the changed units of the level, old or new
        let touched: BTreeSet<&UnitId> = changed.iter().collect();
        self.pairs.retain(|(a, b), _| {
            let hit = touched.contains(a) || touched.contains(b);
            if hit {
                dirty.insert(a.clone());
                dirty.insert(b.clone());
            }
            !hit
        });
        let now: Vec<&UnitId> = changed.iter().filter(|id| in_level(id)).collect();
        if now.is_empty() {
            dirty.extend(changed.iter().cloned());
            return dirty;
        }
        let mut pass: BTreeSet<&UnitId> = now.iter().copied().collect();
        for id in &now {
            let Some(r) = h.get(id).and_then(|i| h.units[i].geometry.bounding_rect()) else { continue };
            for k in index.query_rect(grow_m(r, 2.0 * opts.tolerance_m + 1.0)) {
                if h.units[k].level == self.level {
                    pass.insert(&h.units[k].id);
                }
            }
        }
        let ids: Vec<&UnitId> = pass.into_iter().collect();
        for (key, v) in pairs_among(h, &ids, self.frame, opts) {
            if touched.contains(&key.0) || touched.contains(&key.1) {
                dirty.insert(key.0.clone());
                dirty.insert(key.1.clone());
                self.pairs.insert(key, v);
            }
        }
        dirty.extend(changed.iter().cloned());
        dirty
    }

    /// Rook (edge) neighbours as (a, b, shared metres).
    pub fn rook(&self) -> impl Iterator<Item = (&UnitId, &UnitId, f64)> {
        self.pairs.iter().filter(|(_, v)| v.1 == Contact::Rook).map(|((a, b), v)| (a, b, v.0))
    }
}
