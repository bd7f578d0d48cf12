//! Incremental camera edits: add, move or delete one camera and recompute
//! only what its old and new views touch.
//!
//! Method: the edited camera's view is recomputed (`cameras::visibility`);
//! the cells whose boxes meet the old or new view's ground box (or the
//! camera's old or new point) are covered again against all views (R-tree);
//! the facades of the buildings whose walls the old or new view sees — named
//! by the views' facade lists, not found by box, since a seen wall can lie
//! outside the view's ground box (a camera on a roof whose own roof hides all
//! ground in range still sees the walls of the lower buildings next to it) —
//! are merged again from every view's intervals on them; the gap pieces of
//! the touched cells are replaced, then the per-unit sums recomputed
//! (`CameraCoverage::aggregate`, O(cells + buildings) additions up the
//! hierarchy). O(c_t · v_c) for c_t touched cells, plus one pass over the
//! views' facade intervals. The result equals a full
//! [`CameraCoverage::compute`] (property and regression tests in
//! `engine/tests/it/coverage_edit.rs`). Without a computed coverage only the
//! cameras and their index change.

use std::collections::BTreeMap;

use geo::{BoundingRect, MultiPolygon, Rect};

use crate::cameras::cells::facade_of;
use crate::cameras::map::{CameraCoverage, cover_with};
use crate::cameras::visibility::{FacadeSeen, View};
use crate::dataset::Dataset;
use crate::geometry::index::{PolygonIndex, rect_union};
use crate::model::Camera;

/// What a camera edit changed: the region (lon/lat) whose tiles and figures it touched, and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct EditEffect {
    pub touched: Option<Rect<f64>>,
    pub cells: usize,
    pub buildings: usize,
    pub seconds: f64,
}

/// A camera edit.
#[derive(Debug, Clone)]
pub enum CameraEdit {
    Add(Camera),
    Replace(usize, Camera),
    Remove(usize),
}

/// What the edited camera's old and new views reach.
#[derive(Debug, Default)]
struct Reach {
    /// Lon/lat box of the camera's old and new points and of the views' ground.
    ground: Option<Rect<f64>>,
    /// Buildings whose walls the old or new view sees.
    buildings: Vec<usize>,
}

impl Reach {
    fn grow(&mut self, r: Option<Rect<f64>>) {
        if let Some(r) = r {
            self.ground = Some(self.ground.map_or(r, |t| rect_union(t, r)));
        }
    }

    fn camera(&mut self, c: &Camera) {
        self.grow(Some(Rect::new(c.position.0, c.position.0)));
    }

    fn view(&mut self, cv: &CameraCoverage, v: &View) {
        self.grow(v.polygon.bounding_rect().map(|r| ll_rect(cv, r)));
        self.buildings.extend(v.facades.iter().map(|f| f.building));
    }
}

impl CameraCoverage {
    /// Apply a camera edit to the dataset's cameras and recompute only what
    /// the old and new views touch: that view, the cells under them, the
    /// buildings whose walls they see, then the sums per unit.
    pub fn apply(d: &mut Dataset, edit: CameraEdit) -> EditEffect {
        let started = std::time::Instant::now();
        let mut cov = d.coverage.take();
        let view_of = |c: &Camera, cov: &CameraCoverage| {
            let m = cov.scene.proj.project(c.position.0);
            cov.scene.view_25d([m.x, m.y], &c.effective_view())
        };
        let mut reach = Reach::default();
        match &edit {
            CameraEdit::Add(c) => {
                reach.camera(c);
                d.cameras.push(c.clone());
                if let Some(cv) = cov.as_mut() {
                    let v = view_of(c, cv);
                    reach.view(cv, &v);
                    cv.views_ll.push(cv.scene.proj.unproject_multi(&v.polygon));
                    cv.views.push(v);
                }
            }
            CameraEdit::Replace(i, c) => {
                reach.camera(&d.cameras[*i]);
                reach.camera(c);
                d.cameras[*i] = c.clone();
                if let Some(cv) = cov.as_mut() {
                    reach.view(cv, &cv.views[*i]);
                    let v = view_of(c, cv);
                    reach.view(cv, &v);
                    cv.views_ll[*i] = cv.scene.proj.unproject_multi(&v.polygon);
                    cv.views[*i] = v;
                }
            }
            CameraEdit::Remove(i) => {
                reach.camera(&d.cameras[*i]);
                d.cameras.remove(*i);
                if let Some(cv) = cov.as_mut() {
                    reach.view(cv, &cv.views[*i]);
                    cv.views.remove(*i);
                    cv.views_ll.remove(*i);
                }
            }
        }
        d.reindex_cameras();
        reach.buildings.sort_unstable();
        reach.buildings.dedup();
        // the walls seen count among what the edit touched (their buildings' figures change)
        let mut touched = reach.ground;
        for &b in &reach.buildings {
            if let Some(r) = d.buildings.get(b).and_then(|x| x.footprint.bounding_rect()) {
                touched = Some(touched.map_or(r, |t| rect_union(t, r)));
            }
        }
        let (mut cells_n, mut buildings_n) = (0, 0);
        if let Some(cv) = cov.as_mut() {
            cv.views_ll_index = PolygonIndex::new(cv.views_ll.iter().map(|v| v.bounding_rect()));
            if let Some(g) = reach.ground {
                cells_n = cv.recover_cells(Rect::new(cv.scene.proj.project(g.min()), cv.scene.proj.project(g.max())));
            }
            buildings_n = cv.remerge_facades(&reach.buildings);
            cv.aggregate(d);
        }
        if let Some(cv) = cov {
            let _ = d.coverage.set(cv);
        }
        EditEffect { touched, cells: cells_n, buildings: buildings_n, seconds: started.elapsed().as_secs_f64() }
    }

    /// Cover again the cells whose boxes meet `region` (metres) and replace their gap pieces; returns how many.
    fn recover_cells(&mut self, region: Rect<f64>) -> usize {
        let proj = self.scene.proj;
        let view_refs: Vec<&MultiPolygon<f64>> = self.views.iter().map(|v| &v.polygon).collect();
        let view_index = PolygonIndex::new(self.views.iter().map(|v| v.polygon.bounding_rect()));
        let cells: Vec<usize> = self.cell_index.query_rect(region).collect();
        for &c in &cells {
            self.covers[c] = cover_with(&self.cells[c], &view_refs, &view_index);
        }
        let touched_cells: std::collections::HashSet<usize> = cells.iter().copied().collect();
        self.gaps_ll.retain(|g| !touched_cells.contains(&g.3));
        for &c in &cells {
            for p in &self.covers[c].gaps.0 {
                let a = geo::Area::unsigned_area(p);
                if a >= 1.0 {
                    self.gaps_ll.push((proj.unproject_multi(&MultiPolygon(vec![p.clone()])), a, self.cells[c].owner, c));
                }
            }
        }
        self.gaps_ll_index = PolygonIndex::new(self.gaps_ll.iter().map(|g| g.0.bounding_rect()));
        cells.len()
    }

    /// Merge again the facades of the given buildings from every view's intervals on them; returns how many.
    fn remerge_facades(&mut self, buildings: &[usize]) -> usize {
        let mut per: BTreeMap<usize, Vec<FacadeSeen>> =
            buildings.iter().filter(|&&b| b < self.facades.len()).map(|&b| (b, Vec::new())).collect();
        for f in self.views.iter().flat_map(|v| &v.facades) {
            if let Some(list) = per.get_mut(&f.building) {
                list.push(*f);
            }
        }
        let n = per.len();
        for (b, list) in per {
            self.facades[b] = facade_of(&self.scene, b, list);
        }
        n
    }
}

fn ll_rect(cv: &CameraCoverage, r: Rect<f64>) -> Rect<f64> {
    Rect::new(cv.scene.proj.unproject(r.min()), cv.scene.proj.unproject(r.max()))
}

#[cfg(test)]
mod tests {
    use geo::{LineString, Point, Polygon};

    use super::*;
    use crate::cameras::cells::UnitCoverage;
    use crate::geometry::projection::LocalProjection;
    use crate::model::{Attributes, Building, CameraKind, CameraView, Layer, Level, Metres, Unit, UnitId};
    use crate::units::integrity::IntegrityConfig;

    /// A rectangle given in metres around (120.4, 36.06), as lon/lat.
    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        let ring = LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]);
        LocalProjection::new(120.4, 36.06).unproject_multi(&MultiPolygon(vec![Polygon::new(ring, vec![])]))
    }

    fn building(id: &str, footprint: MultiPolygon<f64>, height_m: f64) -> Building {
        Building {
            id: id.into(),
            footprint,
            households: None,
            population: None,
            floors: None,
            height: Some(Metres(height_m)),
            attributes: Attributes::default(),
        }
    }

    /// The same per-unit figures, up to rounding (the cells' unions may take the views in another order).
    fn same(a: &[UnitCoverage], b: &[UnitCoverage]) -> bool {
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * y.abs().max(1.0);
        a.len() == b.len()
            && a.iter().zip(b).all(|(a, b)| {
                close(a.covered_m2, b.covered_m2)
                    && close(a.ground_m2, b.ground_m2)
                    && close(a.facade_seen_m, b.facade_seen_m)
                    && (a.cameras, a.buildings, a.buildings_unseen) == (b.cameras, b.buildings, b.buildings_unseen)
            })
    }

    #[test]
    fn a_roof_camera_seeing_no_ground_still_sees_the_walls_next_door() {
        // one 200 × 200 m grid; a 30 m tower (20 × 20) and, 15 m east of it, a 10 m block (10 × 10)
        let unit = Unit {
            id: UnitId::from("g"),
            parent: None,
            level: Level("grid".into()),
            name: "g".into(),
            geometry: rect(-100.0, -100.0, 100.0, 100.0),
            attributes: Attributes::default(),
        };
        let buildings = vec![building("tower", rect(-10.0, -10.0, 10.0, 10.0), 30.0), building("block", rect(25.0, -5.0, 35.0, 5.0), 10.0)];
        let mut d = Dataset::empty(IntegrityConfig::default());
        for l in [Layer::Units(vec![unit]), Layer::Buildings(buildings), Layer::Cameras(Vec::new())] {
            d.set(l).expect("valid layer");
        }
        d.rebuild();
        let _ = d.coverage();
        // a dome 4 m above the tower's roof, 30 m range: the roof hides the ground out to 10 · 34 / 4 = 85 m
        let at = |x: f64, y: f64| Point::from(LocalProjection::new(120.4, 36.06).unproject(geo::Coord { x, y }));
        let dome = |position: Point<f64>, range_m: f64| Camera {
            id: "roof".into(),
            position,
            view: CameraView { heading_deg: 0.0, fov_deg: 360.0, range_m: Metres(range_m), height_m: Metres(4.0) },
            kind: CameraKind::Dome,
            attributes: Attributes::default(),
        };
        let camera = dome(at(0.0, 0.0), 30.0);
        let effect = CameraCoverage::apply(&mut d, CameraEdit::Add(camera));
        let cov = d.coverage().clone();
        let v = &cov.views[0];
        assert_eq!(v.on_roof, Some(0));
        assert!(v.polygon.0.is_empty(), "no ground in range: {:?}", v.polygon);
        assert!(v.facades.iter().all(|f| f.building == 1) && !v.facades.is_empty(), "{:?}", v.facades);
        assert_eq!(effect.buildings, 1, "the block whose wall is seen is touched");
        let block = d.buildings[1].footprint.bounding_rect().expect("a box");
        assert!(effect.touched.is_some_and(|t| crate::geometry::index::rects_touch(t, block)), "{effect:?}");
        let full = CameraCoverage::compute(&d);
        assert!(full.facades[1].seen_m > 9.0, "the block's west wall (10 m) is seen: {:?}", full.facades[1]);
        assert_eq!(cov.facades, full.facades);
        assert!(same(&cov.units, &full.units), "{:?}\n{:?}", cov.units, full.units);
        // and moving the camera away forgets the wall again
        let away = dome(at(-80.0, 80.0), 10.0);
        CameraCoverage::apply(&mut d, CameraEdit::Replace(0, away));
        assert!(d.coverage().facades[1].seen_m < 1e-9, "{:?}", d.coverage().facades[1]);
        assert!(same(&d.coverage().units, &CameraCoverage::compute(&d).units));
    }
}
