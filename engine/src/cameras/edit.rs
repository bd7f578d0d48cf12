//! Incremental camera edits: add, move or delete one camera and recompute
//! only what its old and new views touch.
//!
//! Method: the edited camera's view is recomputed (`cameras::visibility`);
//! the cells whose boxes meet the old or new view's box are covered again
//! against all views (R-tree), the facades of the buildings in that box are
//! merged again from the views that reach them, the gap pieces of those
//! cells replaced, then the per-unit sums recomputed (`CameraCoverage::
//! aggregate`, O(cells + buildings) additions up the hierarchy). The result
//! equals a full [`CameraCoverage::compute`] (property test in
//! `engine/tests/it/coverage_edit.rs`). Without a computed coverage only the
//! cameras and their index change.

use geo::{BoundingRect, MultiPolygon, Rect};

use crate::cameras::cells::facade_of;
use crate::cameras::map::{CameraCoverage, cover_with};
use crate::cameras::visibility::FacadeSeen;
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

impl CameraCoverage {
    /// Apply a camera edit to the dataset's cameras and recompute only what
    /// the old and new views touch: that view, the cells and buildings under
    /// them, then the sums per unit.
    pub fn apply(d: &mut Dataset, edit: CameraEdit) -> EditEffect {
        let started = std::time::Instant::now();
        let mut cov = d.coverage.take();
        let proj = cov.as_ref().map(|c| c.scene.proj);
        let view_of = |c: &Camera, cov: &CameraCoverage| {
            let m = cov.scene.proj.project(c.position.0);
            cov.scene.view_25d([m.x, m.y], &c.effective_view())
        };
        let mut touched: Option<Rect<f64>> = None;
        let mut grow = |r: Option<Rect<f64>>| {
            if let Some(r) = r {
                touched = Some(touched.map_or(r, |t| rect_union(t, r)));
            }
        };
        let point_box = |c: &Camera| Some(Rect::new(c.position.0, c.position.0));
        match &edit {
            CameraEdit::Add(c) => {
                grow(point_box(c));
                d.cameras.push(c.clone());
                if let Some(cv) = cov.as_mut() {
                    let v = view_of(c, cv);
                    grow(v.polygon.bounding_rect().map(|r| ll_rect(cv, r)));
                    cv.views_ll.push(cv.scene.proj.unproject_multi(&v.polygon));
                    cv.views.push(v);
                }
            }
            CameraEdit::Replace(i, c) => {
                grow(point_box(&d.cameras[*i]));
                grow(point_box(c));
                d.cameras[*i] = c.clone();
                if let Some(cv) = cov.as_mut() {
                    grow(cv.views[*i].polygon.bounding_rect().map(|r| ll_rect(cv, r)));
                    let v = view_of(c, cv);
                    grow(v.polygon.bounding_rect().map(|r| ll_rect(cv, r)));
                    cv.views_ll[*i] = cv.scene.proj.unproject_multi(&v.polygon);
                    cv.views[*i] = v;
                }
            }
            CameraEdit::Remove(i) => {
                grow(point_box(&d.cameras[*i]));
                d.cameras.remove(*i);
                if let Some(cv) = cov.as_mut() {
                    grow(cv.views[*i].polygon.bounding_rect().map(|r| ll_rect(cv, r)));
                    cv.views.remove(*i);
                    cv.views_ll.remove(*i);
                }
            }
        }
        d.reindex_cameras();
        let (mut cells_n, mut buildings_n) = (0, 0);
        if let (Some(cv), Some(proj), Some(t)) = (cov.as_mut(), proj, touched) {
            let region = Rect::new(proj.project(t.min()), proj.project(t.max()));
            cv.views_ll_index = PolygonIndex::new(cv.views_ll.iter().map(|v| v.bounding_rect()));
            let view_refs: Vec<&MultiPolygon<f64>> = cv.views.iter().map(|v| &v.polygon).collect();
            let view_index = PolygonIndex::new(cv.views.iter().map(|v| v.polygon.bounding_rect()));
            let cells: Vec<usize> = cv.cell_index.query_rect(region).collect();
            for &c in &cells {
                cv.covers[c] = cover_with(&cv.cells[c], &view_refs, &view_index);
            }
            cells_n = cells.len();
            // facades of the buildings the views could reach
            let buildings: Vec<usize> = cv.scene.buildings_in(region).collect();
            for &b in &buildings {
                let Some(bb) = cv.scene.footprints[b].bounding_rect() else { continue };
                let seen: Vec<FacadeSeen> =
                    view_index.query_rect(bb).flat_map(|v| cv.views[v].facades.iter().filter(|f| f.building == b).copied()).collect();
                cv.facades[b] = facade_of(&cv.scene, b, seen);
            }
            buildings_n = buildings.len();
            // gap pieces of the touched cells
            let touched_cells: std::collections::HashSet<usize> = cells.iter().copied().collect();
            cv.gaps_ll.retain(|g| !touched_cells.contains(&g.3));
            for &c in &cells {
                for p in &cv.covers[c].gaps.0 {
                    let a = geo::Area::unsigned_area(p);
                    if a >= 1.0 {
                        cv.gaps_ll.push((proj.unproject_multi(&MultiPolygon(vec![p.clone()])), a, cv.cells[c].owner, c));
                    }
                }
            }
            cv.gaps_ll_index = PolygonIndex::new(cv.gaps_ll.iter().map(|g| g.0.bounding_rect()));
            cv.aggregate(d);
        }
        if let Some(cv) = cov {
            let _ = d.coverage.set(cv);
        }
        EditEffect { touched, cells: cells_n, buildings: buildings_n, seconds: started.elapsed().as_secs_f64() }
    }
}

fn ll_rect(cv: &CameraCoverage, r: Rect<f64>) -> Rect<f64> {
    Rect::new(cv.scene.proj.unproject(r.min()), cv.scene.proj.unproject(r.max()))
}
