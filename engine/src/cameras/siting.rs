//! Siting: where k more cameras of a given kind would add most to a unit's
//! coverage, and the coverage before and after.
//!
//! Method: the unit's uncovered open ground (the gaps of its cells in the
//! coverage map) is sampled on a square lattice of at most ~40,000 points;
//! candidates are positions just inside roof corners, just outside building
//! corners, every ~25 m along the roads (or, without roads, the lattice
//! itself at 4× the step), at most 3,000, each tried at `headings` headings
//! (one for a dome). Each candidate's 2.5D view (`cameras::visibility`)
//! gives the samples and unseen buildings it covers; `cameras::maxcover`
//! picks k by lazy greedy max-cover ((1 − 1/e) of the optimum). The share
//! after is exact: the picked views against the cells' gaps (boolean
//! operations). O(s + c · (v + s_v)) for s samples, c candidates, v the
//! sweep of a view and s_v the samples in its box.

use geo::{BoundingRect, Coord, MultiPolygon, Polygon};

use crate::cameras::cells::{Cell, UNSEEN_BELOW_M, cover_cell};
use crate::cameras::map::{CameraCoverage, parallel};
use crate::cameras::maxcover::{Cover, lazy_greedy};
use crate::cameras::visibility::View;
use crate::dataset::Dataset;
use crate::model::{CameraView, Metres};
use crate::units::assign::PreparedPolygon;

/// Why a siting request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SitingError {
    #[error("camera range {range_m} m: expected more than 0 and at most 500")]
    Range { range_m: f64 },
    #[error("camera fov {fov_deg}°: expected more than 0")]
    Fov { fov_deg: f64 },
    #[error("camera height {height_m} m: expected 0 to 300")]
    Height { height_m: f64 },
    #[error("k = {k}: expected 1 to 200 cameras")]
    Count { k: usize },
    #[error("weights must be 0 or more")]
    Weights { households: f64, incidents: f64 },
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
    /// Propose `k` cameras of the given kind (its heading is swept) for a unit.
    pub fn siting(
        &self,
        d: &Dataset,
        unit: usize,
        k: usize,
        camera: CameraView,
        w: SitingWeights,
        headings: usize,
    ) -> Result<Siting, SitingError> {
        let (range_m, fov_deg, height_m) = (camera.range_m.0, camera.fov_deg, camera.height_m.0);
        if !(range_m.is_finite() && range_m > 0.0 && range_m <= 500.0) {
            return Err(SitingError::Range { range_m });
        }
        if !(fov_deg.is_finite() && fov_deg > 0.0) {
            return Err(SitingError::Fov { fov_deg });
        }
        if !(height_m.is_finite() && (0.0..=300.0).contains(&height_m)) {
            return Err(SitingError::Height { height_m });
        }
        if k == 0 || k > 200 {
            return Err(SitingError::Count { k });
        }
        if !(w.households.is_finite() && w.households >= 0.0 && w.incidents.is_finite() && w.incidents >= 0.0) {
            return Err(SitingError::Weights { households: w.households, incidents: w.incidents });
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
            let prep = PreparedPolygon::new(&MultiPolygon(vec![(*p).clone()]));
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
            if d.incident_in(n, unit) {
                let m = proj.project(inc.position.0);
                if let Some(&s) = at.get(&((m.x / step).floor() as i64, (m.y / step).floor() as i64)) {
                    sample_w[s as usize] += w.incidents;
                    sample_inc[s as usize] += 1;
                }
            }
        }
        // buildings of the unit nobody sees yet, weighted by households
        let unseen: Vec<usize> =
            (0..d.buildings.len()).filter(|&b| d.building_in(b, unit) && self.facades[b].seen_m < UNSEEN_BELOW_M).collect();
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
                if !d.building_in(b, unit) {
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
        let dome = fov_deg >= 360.0;
        let steps = if dome { 1 } else { headings.clamp(1, 36) };
        let cands: Vec<([f64; 2], CameraView)> = spots
            .iter()
            .flat_map(|&s| {
                (0..steps).map(move |t| {
                    (
                        s,
                        CameraView {
                            heading_deg: 360.0 * t as f64 / steps as f64,
                            fov_deg: fov_deg.min(360.0),
                            range_m: Metres(range_m),
                            height_m: Metres(height_m),
                        },
                    )
                })
            })
            .collect();
        let covers_of = |(c, spec): &([f64; 2], CameraView)| -> (View, Cover) {
            let v = self.scene.view_25d(*c, spec);
            let mut cover = Cover::default();
            if let Some(bb) = v.polygon.bounding_rect() {
                let prep = PreparedPolygon::new(&v.polygon);
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
        let evaluated: Vec<(View, Cover)> = parallel(&cands, covers_of);
        let covers: Vec<Cover> = evaluated.iter().map(|e| e.1.clone()).collect();
        let picks = lazy_greedy(&covers, &sample_w, &building_w, k);
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
