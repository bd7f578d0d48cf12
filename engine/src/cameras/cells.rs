//! Camera coverage: what the cameras see of each unit's open ground and
//! facades, and what they miss.
//!
//! Method: the area is cut into cells that never overlap — the leaf units
//! and the gap pieces of every parent (ground inside a parent that none of
//! its children holds) — each owned by the deepest unit holding it. A cell's
//! open ground is the cell minus the building footprints; its covered ground
//! is the open ground met by the union of the views whose boxes meet it, and
//! its gaps are the rest (boolean operations in metres). A unit's figures are
//! the sums over the cells under it, so one camera changes only the cells
//! its views touch. Facades: per building edge, the union of the parameter
//! intervals the views see, over the footprint's perimeter.

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Polygon, Rect};
use serde::Serialize;

use crate::cameras::visibility::{DUST_M2, FacadeSeen, Scene, View, drop_dust};
use crate::geometry::index::rects_touch;

/// A piece of ground owned by one unit (the deepest holding it).
#[derive(Debug, Clone)]
pub struct Cell {
    pub owner: usize,
    /// Open ground (cell minus footprints), metres.
    pub ground: MultiPolygon<f64>,
    pub ground_m2: f64,
    pub bbox: Option<Rect<f64>>,
}

impl Cell {
    /// A cell from its geometry (metres) minus the footprints of the scene's buildings that meet it.
    pub fn new(owner: usize, geometry: &MultiPolygon<f64>, scene: &Scene) -> Cell {
        let bbox = geometry.bounding_rect();
        let mut ground = geometry.clone();
        if let Some(bb) = bbox {
            let fps: Vec<Polygon<f64>> = scene.buildings_in(bb).flat_map(|b| scene.footprints[b].0.iter().cloned()).collect();
            if !fps.is_empty() {
                let all = MultiPolygon(fps.into_iter().map(|p| geo::orient::Orient::orient(&p, geo::orient::Direction::Default)).collect());
                ground = drop_dust(ground.difference(&geo::unary_union(&all)));
            }
        }
        let ground_m2 = ground.unsigned_area();
        Cell { owner, ground, ground_m2, bbox }
    }
}

/// What the views cover of one cell.
#[derive(Debug, Clone)]
pub struct CellCover {
    pub covered_m2: f64,
    /// Uncovered open ground.
    pub gaps: MultiPolygon<f64>,
}

/// Cover one cell with the given views (those whose boxes meet it are used).
pub fn cover_cell(cell: &Cell, views: &[&MultiPolygon<f64>]) -> CellCover {
    let Some(cb) = cell.bbox else { return CellCover { covered_m2: 0.0, gaps: MultiPolygon(Vec::new()) } };
    let near: Vec<Polygon<f64>> = views
        .iter()
        .filter(|v| v.bounding_rect().is_some_and(|vb| rects_touch(vb, cb)))
        .flat_map(|v| {
            v.0.iter().filter(|p| p.unsigned_area() >= DUST_M2).map(|p| geo::orient::Orient::orient(p, geo::orient::Direction::Default))
        })
        .collect();
    if near.is_empty() {
        return CellCover { covered_m2: 0.0, gaps: cell.ground.clone() };
    }
    let seen = geo::unary_union(&MultiPolygon(near));
    let covered = cell.ground.intersection(&seen).unsigned_area();
    let gaps = drop_dust(cell.ground.difference(&seen));
    CellCover { covered_m2: covered.min(cell.ground_m2), gaps }
}

/// Seen and total facade length per building (metres).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Facade {
    pub seen_m: f64,
    pub perimeter_m: f64,
}

/// Facade lengths seen per building, from the views' facade intervals.
pub fn facades(scene: &Scene, views: &[View]) -> Vec<Facade> {
    let mut per: Vec<Vec<FacadeSeen>> = vec![Vec::new(); scene.footprints.len()];
    for v in views {
        for f in &v.facades {
            if f.building < per.len() {
                per[f.building].push(*f);
            }
        }
    }
    per.into_iter().enumerate().map(|(b, list)| facade_of(scene, b, list)).collect()
}

/// One building's facade from the intervals seen of its edges.
pub fn facade_of(scene: &Scene, b: usize, mut list: Vec<FacadeSeen>) -> Facade {
    let fp = &scene.footprints[b];
    let edge_len = |part: u32, ring: u32, edge: u32| -> f64 {
        let p = &fp.0[part as usize];
        let r = if ring == 0 { p.exterior() } else { &p.interiors()[ring as usize - 1] };
        let (a, c) = (r.0[edge as usize], r.0[edge as usize + 1]);
        (c.x - a.x).hypot(c.y - a.y)
    };
    let perimeter: f64 =
        fp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines())
            .map(|l| (l.end.x - l.start.x).hypot(l.end.y - l.start.y))
            .sum();
    list.sort_by(|a, c| (a.part, a.ring, a.edge).cmp(&(c.part, c.ring, c.edge)).then(a.t0.total_cmp(&c.t0)));
    let mut seen = 0.0;
    let mut k = 0;
    while k < list.len() {
        let key = (list[k].part, list[k].ring, list[k].edge);
        let (mut lo, mut hi) = (list[k].t0, list[k].t1);
        let mut sum = 0.0;
        while k < list.len() && (list[k].part, list[k].ring, list[k].edge) == key {
            if list[k].t0 > hi {
                sum += hi - lo;
                lo = list[k].t0;
                hi = list[k].t1;
            } else {
                hi = hi.max(list[k].t1);
            }
            k += 1;
        }
        sum += hi - lo;
        seen += sum.min(1.0) * edge_len(key.0, key.1, key.2);
    }
    Facade { seen_m: seen.min(perimeter), perimeter_m: perimeter }
}

/// A building with less facade seen than this (metres) counts as unseen.
pub const UNSEEN_BELOW_M: f64 = 1.0;

/// Coverage figures of one unit.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct UnitCoverage {
    pub ground_m2: f64,
    pub covered_m2: f64,
    /// covered / ground (0 when there is no open ground).
    pub ground_share: f64,
    pub facade_m: f64,
    pub facade_seen_m: f64,
    pub facade_share: f64,
    pub buildings: u64,
    /// Buildings with no facade seen (less than [`UNSEEN_BELOW_M`] of wall: a corner glimpse is not a view).
    pub buildings_unseen: u64,
    pub households_unseen: u64,
    pub cameras: u64,
    pub area_m2: f64,
    pub cameras_per_km2: f64,
}

impl UnitCoverage {
    /// Fill the shares from the sums.
    pub fn finish(&mut self) {
        self.ground_share = if self.ground_m2 > 0.0 { (self.covered_m2 / self.ground_m2).min(1.0) } else { 0.0 };
        self.facade_share = if self.facade_m > 0.0 { (self.facade_seen_m / self.facade_m).min(1.0) } else { 0.0 };
        self.cameras_per_km2 = if self.area_m2 > 0.0 { self.cameras as f64 / (self.area_m2 / 1e6) } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::projection::LocalProjection;
    use crate::model::{CameraView, Metres};
    use geo::LineString;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Polygon::new(LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]), vec![])])
    }

    #[test]
    fn a_cell_half_seen() {
        // a 100 × 100 cell with one 20 × 20 building; a camera at the west edge looking east, 90° wide, 200 m range
        let scene = Scene::from_metric(vec![rect(40.0, 40.0, 60.0, 60.0)], vec![Some(20.0)], LocalProjection::new(120.4, 36.0));
        let cell = Cell::new(0, &rect(0.0, 0.0, 100.0, 100.0), &scene);
        assert!((cell.ground_m2 - 9_600.0).abs() < 1e-6);
        let v = scene.view_2d([0.0, 50.0], &CameraView { heading_deg: 90.0, fov_deg: 90.0, range_m: Metres(200.0), height_m: Metres(4.0) });
        let c = cover_cell(&cell, &[&v.polygon]);
        // the 90° sector from (0, 50) covers the triangle x ≥ |y − 50| inside the cell
        // (100·100 − 2·(50·50/2)) = 7,500 m², minus the building (400) and its shadow
        assert!(c.covered_m2 < 7_500.0 - 400.0 && c.covered_m2 > 5_000.0, "{}", c.covered_m2);
        assert!((c.covered_m2 + c.gaps.unsigned_area() - cell.ground_m2).abs() < 1e-3);
        let f = facades(&scene, &[v]);
        // the west facade (20 m) is seen; the building's perimeter is 80 m
        assert!((f[0].seen_m - 20.0).abs() < 1e-6 && (f[0].perimeter_m - 80.0).abs() < 1e-9, "{:?}", f[0]);
    }
}
