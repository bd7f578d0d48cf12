//! The "high points" scenario: domes on the roofs of a unit's n tallest
//! buildings, and how much of its open ground they see.
//!
//! Method: buildings of the unit with a known height, tallest first (ties by
//! id); each dome half a metre inside the roof corner nearest the unit's
//! centroid, at roof height plus its own; views in 2.5D
//! (`cameras::visibility`), then the unit's cells covered by them alone
//! (`cameras::cells`, boolean operations in metres). O(b log b + n·v + c·n)
//! for b buildings, n domes, v a view's sweep and c cells.

use geo::{BoundingRect, Coord, MultiPolygon, Polygon};

use crate::cameras::cells::CellCover;
use crate::cameras::map::{CameraCoverage, cover_with};
use crate::dataset::Dataset;
use crate::geometry::index::PolygonIndex;
use crate::model::CameraView;

/// Why a high-points request was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HighPointsError {
    #[error("n = {n}: expected 1 to 100 cameras")]
    Count { n: usize },
    #[error("range {range_m} m: expected more than 0 and at most 2000")]
    Range { range_m: f64 },
    #[error("height {height_m} m: expected 0 to 100")]
    Height { height_m: f64 },
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
    /// `n` domes (`dome`: range, height above the roof; its field of view is
    /// taken as 360°) on the `n` tallest buildings of a unit, and what they cover.
    pub fn high_points(&self, d: &Dataset, unit: usize, n: usize, dome: CameraView) -> Result<HighPoints, HighPointsError> {
        let (range_m, height_m) = (dome.range_m.0, dome.height_m.0);
        if n == 0 || n > 100 {
            return Err(HighPointsError::Count { n });
        }
        if !(range_m.is_finite() && range_m > 0.0 && range_m <= 2_000.0) {
            return Err(HighPointsError::Range { range_m });
        }
        if !(height_m.is_finite() && (0.0..=100.0).contains(&height_m)) {
            return Err(HighPointsError::Height { height_m });
        }
        let dome = CameraView::dome(range_m, height_m);
        let h = &d.hierarchy;
        let proj = self.scene.proj;
        let mut tall: Vec<usize> = (0..d.buildings.len()).filter(|&b| self.scene.heights[b].is_some() && d.building_in(b, unit)).collect();
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
            let v = self.scene.view_25d(pos, &dome);
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
