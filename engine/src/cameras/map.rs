//! The camera coverage map of a dataset: every camera's view (2.5D), the
//! coverage cells (leaf units and the gap pieces of parents), what each
//! cell's open ground has covered and uncovered, facades seen per building,
//! figures per unit summed up the hierarchy, and the gaps as lon/lat
//! polygons or H3 cells.
//!
//! Method: views by `cameras::visibility` (angular sweep, then 2.5D shadows),
//! cells and covers by `cameras::cells` (boolean operations in metres, each
//! cell against the views whose boxes meet it, through an R-tree), both in
//! parallel over the machine's cores; one local projection for the whole
//! dataset (`geometry::projection`, centred on its bounds). O(c · v_c) for c
//! cells and v_c views meeting a cell, plus the views' sweeps. Gap cells at
//! an H3 resolution: the distinct cells of a lattice at half the hexagon
//! edge over the unit's box whose centre lies on a gap (h3o). Checked
//! against shapely/pyproj on the Helsinki buildings and cameras (server
//! coverage test).

use geo::{BoundingRect, Contains, Coord, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};

use crate::cameras::cells::{Cell, CellCover, Facade, UNSEEN_BELOW_M, UnitCoverage, cover_cell, facades};
use crate::cameras::visibility::{Scene, View, views};
use crate::dataset::Dataset;
use crate::geometry::index::PolygonIndex;
use crate::geometry::projection::LocalProjection;
use crate::model::{CameraView, UnitId};

/// Storey height used when a building gives floors but no height.
pub const STOREY_M: f64 = 3.0;

/// Everything computed about the cameras of a dataset.
#[derive(Debug, Clone)]
pub struct CameraCoverage {
    pub scene: Scene,
    /// One view per camera (metres, 2.5D).
    pub views: Vec<View>,
    pub cells: Vec<Cell>,
    pub covers: Vec<CellCover>,
    pub cell_index: PolygonIndex,
    pub facades: Vec<Facade>,
    /// Per unit of the hierarchy.
    pub units: Vec<UnitCoverage>,
    /// Views in lon/lat (for tiles and GeoJSON) and their index.
    pub views_ll: Vec<MultiPolygon<f64>>,
    pub views_ll_index: PolygonIndex,
    /// Gap pieces of at least 1 m² in lon/lat: (piece, m², owning unit, cell), and their index.
    pub gaps_ll: Vec<(MultiPolygon<f64>, f64, usize, usize)>,
    pub gaps_ll_index: PolygonIndex,
}

impl CameraCoverage {
    /// Compute views, cells, covers and per-unit figures.
    pub fn compute(d: &Dataset) -> CameraCoverage {
        let proj = d.bounds().map_or(LocalProjection::new(0.0, 0.0), LocalProjection::for_rect);
        let scene = Scene::new(&d.buildings, proj, STOREY_M);
        let cams: Vec<([f64; 2], CameraView)> = d
            .cameras
            .iter()
            .map(|c| {
                let m = proj.project(c.position.0);
                ([m.x, m.y], c.effective_view())
            })
            .collect();
        let views = views(&scene, &cams, true);
        // cells: the leaves and every parent's gap pieces
        let h = &d.hierarchy;
        let mut geoms: Vec<(usize, MultiPolygon<f64>)> =
            h.leaves().into_iter().map(|i| (i, proj.project_multi(&h.units[i].geometry))).collect();
        for g in &d.report.gaps {
            if let Some(p) = h.get(&UnitId(g.parent.clone())) {
                geoms.push((p, proj.project_multi(&MultiPolygon(vec![g.geometry.clone()]))));
            }
        }
        let cells: Vec<Cell> = parallel(&geoms, |(owner, g)| Cell::new(*owner, g, &scene));
        let cell_index = PolygonIndex::new(cells.iter().map(|c| c.bbox));
        let view_refs: Vec<&MultiPolygon<f64>> = views.iter().map(|v| &v.polygon).collect();
        let view_index = PolygonIndex::new(views.iter().map(|v| v.polygon.bounding_rect()));
        let covers = parallel(&cells, |c| cover_with(c, &view_refs, &view_index));
        let facades = facades(&scene, &views);
        let views_ll: Vec<MultiPolygon<f64>> = views.iter().map(|v| proj.unproject_multi(&v.polygon)).collect();
        let views_ll_index = PolygonIndex::new(views_ll.iter().map(|v| v.bounding_rect()));
        let gaps_ll: Vec<(MultiPolygon<f64>, f64, usize, usize)> = cells
            .iter()
            .zip(&covers)
            .enumerate()
            .flat_map(|(k, (c, cv))| cv.gaps.0.iter().map(move |p| (c.owner, k, p)))
            .filter_map(|(owner, k, p)| {
                let a = geo::Area::unsigned_area(p);
                (a >= 1.0).then(|| (proj.unproject_multi(&MultiPolygon(vec![p.clone()])), a, owner, k))
            })
            .collect();
        let gaps_ll_index = PolygonIndex::new(gaps_ll.iter().map(|g| g.0.bounding_rect()));
        let mut cov = CameraCoverage {
            scene,
            views,
            cells,
            covers,
            cell_index,
            facades,
            units: Vec::new(),
            views_ll,
            views_ll_index,
            gaps_ll,
            gaps_ll_index,
        };
        cov.aggregate(d);
        cov
    }

    /// Sum cells, facades, buildings and cameras up the hierarchy.
    pub fn aggregate(&mut self, d: &Dataset) {
        let h = &d.hierarchy;
        let mut u = vec![UnitCoverage::default(); h.len()];
        for (c, cv) in self.cells.iter().zip(&self.covers) {
            for a in h.chain(c.owner) {
                u[a].ground_m2 += c.ground_m2;
                u[a].covered_m2 += cv.covered_m2;
            }
        }
        for (b, f) in self.facades.iter().enumerate() {
            let Some(leaf) = d.building_assignment.get(b).and_then(|a| a.leaf) else { continue };
            let unseen = f.seen_m < UNSEEN_BELOW_M;
            let hh = u64::from(d.buildings[b].households.unwrap_or(0));
            for a in h.chain(leaf) {
                u[a].facade_m += f.perimeter_m;
                u[a].facade_seen_m += f.seen_m;
                u[a].buildings += 1;
                if unseen {
                    u[a].buildings_unseen += 1;
                    u[a].households_unseen += hh;
                }
            }
        }
        for c in &d.cameras {
            if let Some(leaf) = d.locator.locate_point(c.position) {
                for a in h.chain(leaf) {
                    u[a].cameras += 1;
                }
            }
        }
        for (i, x) in u.iter_mut().enumerate() {
            x.area_m2 = d.unit_area_m2.get(i).copied().unwrap_or(0.0);
            x.finish();
        }
        self.units = u;
    }

    /// Cells under a unit (the unit and its descendants own them).
    pub(crate) fn cells_under(&self, d: &Dataset, unit: usize) -> Vec<usize> {
        (0..self.cells.len()).filter(|&c| d.hierarchy.chain(self.cells[c].owner).contains(&unit)).collect()
    }

    /// Uncovered open ground of a unit as lon/lat polygons of at least `min_area_m2`.
    pub fn gap_polygons(&self, d: &Dataset, unit: usize, min_area_m2: f64) -> Vec<(Polygon<f64>, f64)> {
        let proj = self.scene.proj;
        self.cells_under(d, unit)
            .into_iter()
            .flat_map(|c| self.covers[c].gaps.0.iter())
            .filter_map(|p| {
                let a = geo::Area::unsigned_area(p);
                (a >= min_area_m2).then(|| (proj.unproject_multi(&MultiPolygon(vec![p.clone()])).0.remove(0), a))
            })
            .collect()
    }

    /// H3 cells at `res` whose centre lies on uncovered open ground of the unit.
    pub fn gap_cells(&self, d: &Dataset, unit: usize, res: Resolution) -> Vec<CellIndex> {
        let proj = self.scene.proj;
        let u = &d.hierarchy.units[unit];
        let Some(bb) = u.geometry.bounding_rect() else { return Vec::new() };
        let mut out = Vec::new();
        let cells = self.cells_under(d, unit);
        // the cells of the unit's box: walk a grid finer than the hexagons and keep distinct cells
        let edge_m = res.edge_length_m();
        let step = edge_m * 0.5;
        let (m0, m1) = (proj.project(bb.min()), proj.project(bb.max()));
        let mut seen = std::collections::HashSet::new();
        let mut y = m0.y;
        while y <= m1.y + step {
            let mut x = m0.x;
            while x <= m1.x + step {
                let ll = proj.unproject(Coord { x, y });
                if let Ok(p) = LatLng::new(ll.y, ll.x) {
                    let cell = p.to_cell(res);
                    if seen.insert(cell) {
                        let c = LatLng::from(cell);
                        let cm = proj.project(Coord { x: c.lng(), y: c.lat() });
                        let pt = geo::Point::new(cm.x, cm.y);
                        let on_gap = cells.iter().any(|&k| {
                            self.cells[k]
                                .bbox
                                .is_some_and(|b| b.min().x <= cm.x && cm.x <= b.max().x && b.min().y <= cm.y && cm.y <= b.max().y)
                                && self.covers[k].gaps.contains(&pt)
                        });
                        if on_gap {
                            out.push(cell);
                        }
                    }
                }
                x += step;
            }
            y += step;
        }
        out.sort_unstable();
        out
    }
}

pub(crate) fn cover_with(c: &Cell, views: &[&MultiPolygon<f64>], index: &PolygonIndex) -> CellCover {
    let near: Vec<&MultiPolygon<f64>> = match c.bbox {
        Some(b) => index.query_rect(b).map(|i| views[i]).collect(),
        None => Vec::new(),
    };
    cover_cell(c, &near)
}

/// Map over a slice on the machine's cores, keeping the order.
pub(crate) fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    crate::geometry::par::map(items, 32, f)
}
