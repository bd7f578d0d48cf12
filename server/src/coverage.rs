//! Camera coverage of the loaded dataset: view polygons (2.5D), cells, per
//! unit figures, gaps as polygons and as H3 cells. Computed on first use and
//! kept with the dataset.

use geo::{BoundingRect, Contains, Coord, MultiPolygon, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use wangge_engine::coverage::{Cell, CellCover, Facade, UnitCoverage, cover_cell, facades};
use wangge_engine::index::PolygonIndex;
use wangge_engine::projection::LocalProjection;
use wangge_engine::visibility::{Scene, View, ViewSpec, views};

use crate::state::Dataset;

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
        let cams: Vec<([f64; 2], ViewSpec)> = d
            .cameras
            .iter()
            .map(|c| {
                let m = proj.project(c.position.0);
                ([m.x, m.y], ViewSpec::of(c))
            })
            .collect();
        let views = views(&scene, &cams, true);
        // cells: the leaves and every parent's gap pieces
        let h = &d.hierarchy;
        let mut geoms: Vec<(usize, MultiPolygon<f64>)> =
            h.leaves().into_iter().map(|i| (i, proj.project_multi(&h.units[i].geometry))).collect();
        for g in &d.report.gaps {
            if let Some(p) = h.get(&wangge_engine::model::UnitId(g.parent.clone())) {
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
            let unseen = f.seen_m < wangge_engine::coverage::UNSEEN_BELOW_M;
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
    fn cells_under(&self, d: &Dataset, unit: usize) -> Vec<usize> {
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

fn cover_with(c: &Cell, views: &[&MultiPolygon<f64>], index: &PolygonIndex) -> CellCover {
    let near: Vec<&MultiPolygon<f64>> = match c.bbox {
        Some(b) => index.query_rect(b).map(|i| views[i]).collect(),
        None => Vec::new(),
    };
    cover_cell(c, &near)
}

/// Map over a slice on the machine's cores, keeping the order.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    wangge_engine::par::map(items, 32, f)
}

/// The camera to site (the user's model).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
pub struct CameraModel {
    /// Field of view in degrees; 360 for a dome.
    pub fov: f64,
    pub range: f64,
    /// Mounting height above the ground (above the roof on a roof).
    pub height: f64,
}

/// How the siting weighs what a camera would add.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitingWeights {
    /// Per household of a building whose facades nobody sees yet (m² of ground equivalent).
    #[serde(default)]
    pub households: f64,
    /// Per incident on uncovered ground (m² equivalent).
    #[serde(default)]
    pub incidents: f64,
}

/// One proposed camera.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Proposal {
    pub rank: usize,
    pub lon: f64,
    pub lat: f64,
    pub heading: f64,
    pub on_roof: Option<String>,
    /// Weighted marginal gain (m² of ground plus weights).
    pub gain: f64,
    /// Newly covered open ground (samples), m².
    pub gain_m2: f64,
    pub gain_households: u64,
    pub gain_incidents: u64,
    #[serde(skip)]
    pub view: MultiPolygon<f64>,
}

/// Proposals with coverage before and after.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Siting {
    pub candidates: usize,
    pub samples: usize,
    pub sample_step_m: f64,
    pub before_share: f64,
    pub after_share: f64,
    pub ground_m2: f64,
    pub proposals: Vec<Proposal>,
}

impl CameraCoverage {
    /// Propose `k` cameras of the given model for a unit.
    pub fn siting(
        &self,
        d: &Dataset,
        unit: usize,
        k: usize,
        model: CameraModel,
        w: SitingWeights,
        headings: usize,
    ) -> Result<Siting, String> {
        if !(model.range.is_finite() && model.range > 0.0 && model.range <= 500.0) {
            return Err(format!("camera range {} m: expected more than 0 and at most 500", model.range));
        }
        if !(model.fov.is_finite() && model.fov > 0.0) {
            return Err(format!("camera fov {}°: expected more than 0", model.fov));
        }
        if !(model.height.is_finite() && (0.0..=300.0).contains(&model.height)) {
            return Err(format!("camera height {} m: expected 0 to 300", model.height));
        }
        if k == 0 || k > 200 {
            return Err(format!("k = {k}: expected 1 to 200 cameras"));
        }
        if !(w.households.is_finite() && w.households >= 0.0 && w.incidents.is_finite() && w.incidents >= 0.0) {
            return Err("weights must be 0 or more".into());
        }
        let proj = self.scene.proj;
        let h = &d.hierarchy;
        let cells = self.cells_under(d, unit);
        let gaps: Vec<&Polygon<f64>> = cells.iter().flat_map(|&c| self.covers[c].gaps.0.iter()).collect();
        let gap_area: f64 = gaps.iter().map(|p| geo::Area::unsigned_area(*p)).sum();
        // samples of uncovered ground on a lattice (at most ~40,000)
        let step = (gap_area / 40_000.0).sqrt().max(2.0);
        let mut samples: Vec<[f64; 2]> = Vec::new();
        let mut at: std::collections::HashMap<(i64, i64), u32> = std::collections::HashMap::new();
        for p in &gaps {
            let Some(bb) = p.bounding_rect() else { continue };
            let prep = wangge_engine::assign::PreparedPolygon::new(&MultiPolygon(vec![(*p).clone()]));
            let (i0, i1) = ((bb.min().x / step).floor() as i64, (bb.max().x / step).ceil() as i64);
            let (j0, j1) = ((bb.min().y / step).floor() as i64, (bb.max().y / step).ceil() as i64);
            for j in j0..=j1 {
                for i in i0..=i1 {
                    let (x, y) = ((i as f64 + 0.5) * step, (j as f64 + 0.5) * step);
                    if !at.contains_key(&(i, j)) && prep.contains(x, y) {
                        at.insert((i, j), samples.len() as u32);
                        samples.push([x, y]);
                    }
                }
            }
        }
        let mut sample_w = vec![step * step; samples.len()];
        let mut sample_inc = vec![0u32; samples.len()];
        for (n, inc) in d.incidents.iter().enumerate() {
            if d.incident_unit.get(n).copied().flatten().is_some_and(|l| h.chain(l).contains(&unit)) {
                let m = proj.project(inc.position.0);
                if let Some(&s) = at.get(&((m.x / step).floor() as i64, (m.y / step).floor() as i64)) {
                    sample_w[s as usize] += w.incidents;
                    sample_inc[s as usize] += 1;
                }
            }
        }
        // buildings of the unit nobody sees yet, weighted by households
        let unseen: Vec<usize> = (0..d.buildings.len())
            .filter(|&b| {
                d.building_assignment.get(b).and_then(|a| a.leaf).is_some_and(|l| h.chain(l).contains(&unit))
                    && self.facades[b].seen_m < wangge_engine::coverage::UNSEEN_BELOW_M
            })
            .collect();
        let mut building_w = vec![0.0; d.buildings.len()];
        for &b in &unseen {
            building_w[b] = w.households * f64::from(d.buildings[b].households.unwrap_or(0));
        }
        // candidate positions: roof corners, outside corners, road points or the uncovered ground itself
        let unit_box = h.units[unit].geometry.bounding_rect().map(|r| {
            let (a, b) = (proj.project(r.min()), proj.project(r.max()));
            geo::Rect::new(a, b)
        });
        let mut spots: Vec<[f64; 2]> = Vec::new();
        if let Some(ub) = unit_box {
            for b in self.scene.buildings_in(ub) {
                if !d.building_assignment.get(b).and_then(|a| a.leaf).is_some_and(|l| h.chain(l).contains(&unit)) {
                    continue;
                }
                for p in &self.scene.footprints[b].0 {
                    let ring = &p.exterior().0;
                    let n = ring.len().saturating_sub(1);
                    if n < 3 {
                        continue;
                    }
                    let (cx, cy) = ring[..n].iter().fold((0.0, 0.0), |a, c| (a.0 + c.x / n as f64, a.1 + c.y / n as f64));
                    for c in &ring[..n] {
                        let (dx, dy) = (cx - c.x, cy - c.y);
                        let l = dx.hypot(dy).max(1e-9);
                        spots.push([c.x + dx / l * 0.3, c.y + dy / l * 0.3]);
                        spots.push([c.x - dx / l * 1.5, c.y - dy / l * 1.5]);
                    }
                }
            }
            let road_box = geo::Rect::new(proj.unproject(ub.min()), proj.unproject(ub.max()));
            for r in d.road_index.query_rect(road_box) {
                for l in d.roads[r].line.0.iter().flat_map(|ls| ls.lines()) {
                    let (a, b) = (proj.project(l.start), proj.project(l.end));
                    let len = (b.x - a.x).hypot(b.y - a.y);
                    let m = (len / 25.0).ceil().max(1.0) as usize;
                    for t in 0..m {
                        let f = (t as f64 + 0.5) / m as f64;
                        spots.push([a.x + f * (b.x - a.x), a.y + f * (b.y - a.y)]);
                    }
                }
            }
        }
        if d.roads.is_empty() {
            // no roads: open ground itself, every ~4th sample lattice point at 4× the step
            spots.extend(at.iter().filter(|((i, j), _)| i % 4 == 0 && j % 4 == 0).map(|(_, &s)| samples[s as usize]));
        }
        // keep spots inside the unit's box; at most 3,000 (every n-th, deterministic)
        spots.retain(|s| unit_box.is_some_and(|b| b.min().x <= s[0] && s[0] <= b.max().x && b.min().y <= s[1] && s[1] <= b.max().y));
        spots.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
        spots.dedup_by(|a, b| (a[0] - b[0]).abs() < 0.01 && (a[1] - b[1]).abs() < 0.01);
        if spots.len() > 3_000 {
            let every = spots.len().div_ceil(3_000);
            spots = spots.into_iter().step_by(every).collect();
        }
        let dome = model.fov >= 360.0;
        let steps = if dome { 1 } else { headings.clamp(1, 36) };
        let cands: Vec<([f64; 2], ViewSpec)> = spots
            .iter()
            .flat_map(|&s| {
                (0..steps).map(move |t| {
                    (
                        s,
                        ViewSpec {
                            heading_deg: 360.0 * t as f64 / steps as f64,
                            fov_deg: model.fov.min(360.0),
                            range_m: model.range,
                            height_m: model.height,
                        },
                    )
                })
            })
            .collect();
        let covers_of = |(c, spec): &([f64; 2], ViewSpec)| -> (View, wangge_engine::siting::Cover) {
            let v = self.scene.view_25d(*c, spec);
            let mut cover = wangge_engine::siting::Cover::default();
            if let Some(bb) = v.polygon.bounding_rect() {
                let prep = wangge_engine::assign::PreparedPolygon::new(&v.polygon);
                let (i0, i1) = ((bb.min().x / step).floor() as i64, (bb.max().x / step).ceil() as i64);
                let (j0, j1) = ((bb.min().y / step).floor() as i64, (bb.max().y / step).ceil() as i64);
                for j in j0..=j1 {
                    for i in i0..=i1 {
                        if let Some(&s) = at.get(&(i, j)) {
                            let p = samples[s as usize];
                            if prep.contains(p[0], p[1]) {
                                cover.samples.push(s);
                            }
                        }
                    }
                }
            }
            let mut seen: Vec<u32> = v.facades.iter().map(|f| f.building as u32).filter(|&b| building_w[b as usize] > 0.0).collect();
            seen.sort_unstable();
            seen.dedup();
            cover.buildings = seen;
            (v, cover)
        };
        let evaluated: Vec<(View, wangge_engine::siting::Cover)> = parallel(&cands, covers_of);
        let covers: Vec<wangge_engine::siting::Cover> = evaluated.iter().map(|e| e.1.clone()).collect();
        let picks = wangge_engine::siting::lazy_greedy(&covers, &sample_w, &building_w, k);
        // coverage after, exactly: the unit's cells with the new views added
        let mut after_covered = 0.0;
        let ground: f64 = cells.iter().map(|&c| self.cells[c].ground_m2).sum();
        for &c in &cells {
            let cell = &self.cells[c];
            let gaps = &self.covers[c].gaps;
            let new: Vec<&MultiPolygon<f64>> = picks.iter().map(|p| &evaluated[p.set].0.polygon).collect();
            let extra = if new.is_empty() || gaps.0.is_empty() {
                0.0
            } else {
                let g =
                    Cell { owner: cell.owner, ground: gaps.clone(), ground_m2: geo::Area::unsigned_area(gaps), bbox: gaps.bounding_rect() };
                cover_cell(&g, &new).covered_m2
            };
            after_covered += self.covers[c].covered_m2 + extra;
        }
        let before_covered: f64 = cells.iter().map(|&c| self.covers[c].covered_m2).sum();
        let mut taken = std::collections::HashSet::new();
        let mut taken_b = std::collections::HashSet::new();
        let proposals = picks
            .iter()
            .enumerate()
            .map(|(rank, p)| {
                let (c, spec) = cands[p.set];
                let (v, cover) = (&evaluated[p.set].0, &covers[p.set]);
                let new: Vec<u32> = cover.samples.iter().copied().filter(|s| taken.insert(*s)).collect();
                let hh: u64 = cover
                    .buildings
                    .iter()
                    .filter(|b| taken_b.insert(**b))
                    .map(|&b| u64::from(d.buildings[b as usize].households.unwrap_or(0)))
                    .sum();
                let ll = proj.unproject(Coord { x: c[0], y: c[1] });
                Proposal {
                    rank: rank + 1,
                    lon: ll.x,
                    lat: ll.y,
                    heading: spec.heading_deg,
                    on_roof: v.on_roof.map(|b| d.buildings[b].id.clone()),
                    gain: p.gain,
                    gain_m2: new.len() as f64 * step * step,
                    gain_households: hh,
                    gain_incidents: new.iter().map(|&s| u64::from(sample_inc[s as usize])).sum(),
                    view: proj.unproject_multi(&v.polygon),
                }
            })
            .collect();
        let share = |x: f64| if ground > 0.0 { (x / ground).min(1.0) } else { 0.0 };
        Ok(Siting {
            candidates: cands.len(),
            samples: samples.len(),
            sample_step_m: step,
            before_share: share(before_covered),
            after_share: share(after_covered),
            ground_m2: ground,
            proposals,
        })
    }
}

/// The "high points" scenario: domes on the roofs of the tallest buildings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HighPoints {
    pub cameras: Vec<HighPoint>,
    pub ground_m2: f64,
    pub covered_m2: f64,
    pub share: f64,
    /// Uncovered open ground, m².
    pub uncovered_m2: f64,
    /// Whether they see all the open ground (less than 1 % left).
    pub covers_all: bool,
    #[serde(skip)]
    pub views: Vec<MultiPolygon<f64>>,
    #[serde(skip)]
    pub gaps: Vec<(Polygon<f64>, f64)>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct HighPoint {
    pub building: String,
    pub roof_m: f64,
    pub lon: f64,
    pub lat: f64,
    pub view_m2: f64,
}

impl CameraCoverage {
    /// `n` domes (range, height above the roof) on the `n` tallest buildings of a unit, and what they cover.
    pub fn high_points(&self, d: &Dataset, unit: usize, n: usize, range: f64, height: f64) -> Result<HighPoints, String> {
        if n == 0 || n > 100 {
            return Err(format!("n = {n}: expected 1 to 100 cameras"));
        }
        if !(range.is_finite() && range > 0.0 && range <= 2_000.0) {
            return Err(format!("range {range} m: expected more than 0 and at most 2000"));
        }
        if !(height.is_finite() && (0.0..=100.0).contains(&height)) {
            return Err(format!("height {height} m: expected 0 to 100"));
        }
        let h = &d.hierarchy;
        let proj = self.scene.proj;
        let mut tall: Vec<usize> = (0..d.buildings.len())
            .filter(|&b| {
                self.scene.heights[b].is_some()
                    && d.building_assignment.get(b).and_then(|a| a.leaf).is_some_and(|l| h.chain(l).contains(&unit))
            })
            .collect();
        tall.sort_by(|&a, &b| {
            self.scene.heights[b]
                .unwrap_or(0.0)
                .total_cmp(&self.scene.heights[a].unwrap_or(0.0))
                .then(d.buildings[a].id.cmp(&d.buildings[b].id))
        });
        tall.truncate(n);
        // each dome half a metre inside the roof corner nearest the unit's centre
        let centre = geo::Centroid::centroid(&proj.project_multi(&h.units[unit].geometry)).map_or([0.0, 0.0], |c| [c.x(), c.y()]);
        let mut cameras = Vec::new();
        let mut views = Vec::new();
        for &b in &tall {
            let Some(p) = self.scene.footprints[b].0.first() else { continue };
            let ring = &p.exterior().0;
            let m = ring.len().saturating_sub(1).max(1);
            let (cx, cy) = ring[..m].iter().fold((0.0, 0.0), |a, c| (a.0 + c.x / m as f64, a.1 + c.y / m as f64));
            let Some(corner) = ring[..m]
                .iter()
                .min_by(|a, c| (a.x - centre[0]).hypot(a.y - centre[1]).total_cmp(&(c.x - centre[0]).hypot(c.y - centre[1])))
            else {
                continue;
            };
            let (dx, dy) = (cx - corner.x, cy - corner.y);
            let l = dx.hypot(dy).max(1e-9);
            let pos = [corner.x + dx / l * 0.5, corner.y + dy / l * 0.5];
            let v = self.scene.view_25d(pos, &ViewSpec { heading_deg: 0.0, fov_deg: 360.0, range_m: range, height_m: height });
            let ll = proj.unproject(Coord { x: pos[0], y: pos[1] });
            cameras.push(HighPoint {
                building: d.buildings[b].id.clone(),
                roof_m: self.scene.heights[b].unwrap_or(0.0),
                lon: ll.x,
                lat: ll.y,
                view_m2: geo::Area::unsigned_area(&v.polygon),
            });
            views.push(v.polygon);
        }
        let refs: Vec<&MultiPolygon<f64>> = views.iter().collect();
        let index = PolygonIndex::new(views.iter().map(|v| v.bounding_rect()));
        let cells = self.cells_under(d, unit);
        let covers: Vec<CellCover> = cells.iter().map(|&c| cover_with(&self.cells[c], &refs, &index)).collect();
        let ground: f64 = cells.iter().map(|&c| self.cells[c].ground_m2).sum();
        let covered: f64 = covers.iter().map(|c| c.covered_m2).sum();
        let gaps = covers
            .iter()
            .flat_map(|c| c.gaps.0.iter())
            .filter_map(|p| {
                let a = geo::Area::unsigned_area(p);
                (a >= 25.0).then(|| (proj.unproject_multi(&MultiPolygon(vec![p.clone()])).0.remove(0), a))
            })
            .collect();
        let share = if ground > 0.0 { (covered / ground).min(1.0) } else { 0.0 };
        Ok(HighPoints {
            cameras,
            ground_m2: ground,
            covered_m2: covered,
            share,
            uncovered_m2: (ground - covered).max(0.0),
            covers_all: share >= 0.99,
            views: views.iter().map(|v| proj.unproject_multi(v)).collect(),
            gaps,
        })
    }
}

/// What a camera edit changed: the region (lon/lat) whose tiles and figures it touched, and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct EditEffect {
    pub touched: Option<geo::Rect<f64>>,
    pub cells: usize,
    pub buildings: usize,
    pub seconds: f64,
}

/// A camera edit.
#[derive(Debug, Clone)]
pub enum CameraEdit {
    Add(wangge_engine::model::Camera),
    Replace(usize, wangge_engine::model::Camera),
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
        let view_of = |c: &wangge_engine::model::Camera, cov: &CameraCoverage| {
            let m = cov.scene.proj.project(c.position.0);
            cov.scene.view_25d([m.x, m.y], &ViewSpec::of(c))
        };
        let mut touched: Option<geo::Rect<f64>> = None;
        let mut grow = |r: Option<geo::Rect<f64>>| {
            if let Some(r) = r {
                touched = Some(touched.map_or(r, |t| wangge_engine::index::rect_union(t, r)));
            }
        };
        let point_box = |c: &wangge_engine::model::Camera| Some(geo::Rect::new(c.position.0, c.position.0));
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
        d.camera_index = PolygonIndex::new(d.cameras.iter().map(|c| Some(geo::Rect::new(c.position.0, c.position.0))));
        let (mut cells_n, mut buildings_n) = (0, 0);
        if let (Some(cv), Some(proj), Some(t)) = (cov.as_mut(), proj, touched) {
            let region = geo::Rect::new(proj.project(t.min()), proj.project(t.max()));
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
                let seen: Vec<wangge_engine::visibility::FacadeSeen> =
                    view_index.query_rect(bb).flat_map(|v| cv.views[v].facades.iter().filter(|f| f.building == b).copied()).collect();
                cv.facades[b] = wangge_engine::coverage::facade_of(&cv.scene, b, seen);
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

fn ll_rect(cv: &CameraCoverage, r: geo::Rect<f64>) -> geo::Rect<f64> {
    geo::Rect::new(cv.scene.proj.unproject(r.min()), cv.scene.proj.unproject(r.max()))
}
