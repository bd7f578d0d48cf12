//! What lies in an area — a unit, or a polygon someone drew — inside a
//! jurisdiction: its area, buildings, households and population, the
//! buildings no camera sees, the cameras and the share of open ground they
//! cover.
//!
//! Membership:
//! - a **unit** holds what the unit panel and the coverage figures count:
//!   buildings by their leaf (`units::assign`, the leaf holding the largest
//!   share of the footprint), cameras by the unit holding their point, and
//!   its covered share is its coverage figure (`cameras::map`), so the
//!   answers equal `/api/units/{id}` and `/api/coverage/cameras?unit=ID`;
//! - a **drawn polygon** holds a building when more than half of its
//!   footprint lies inside — the assignment's own rule (largest share of the
//!   area) between the polygon and the rest of the plane; it gives each
//!   building to a unit by area, not by one point, so there is no point to
//!   reuse — a camera or incident by its point, and its covered share is the
//!   covered open ground of the coverage cells inside the polygon over their
//!   open ground (cells cut by the boundary are intersected with it in
//!   metres). Everything is clipped to the jurisdiction: a building by its
//!   leaf, a camera by the unit holding it, a cell by its owner, and the
//!   area is that of the polygon's intersection with the jurisdiction's root.
//!
//! "No camera view": a building with less than `UNSEEN_BELOW_M` of facade
//! seen, as the coverage figures (`buildings_unseen`) count it.
//!
//! Method: R-tree queries of the area's box (the buildings', cameras' and
//! cells' indexes), then the outline's tests (`analysis::outline`); no scan of
//! every building. O(log n + k) for k candidates, plus a boolean intersection
//! per footprint or cell the boundary crosses. Checked against a plain
//! recount of every building and camera in the tests.

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon, Rect};

use crate::analysis::outline::{Outline, Place};
use crate::cameras::cells::UNSEEN_BELOW_M;
use crate::dataset::Dataset;
use crate::geometry::index::rect_union;
use crate::geometry::projection::LocalProjection;
use crate::geometry::validate::polygon_problems;
use crate::units::jurisdiction::Jurisdiction;

/// Most boundary vertices a drawn polygon may have.
pub const MAX_VERTICES: usize = 10_000;

/// A drawn polygon may be at most this many times the district's box (and at least this over 1 km²).
pub const MAX_AREA_FACTOR: f64 = 4.0;

/// Why a drawn area cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AreaError {
    #[error("the geometry has no polygon")]
    Empty,
    #[error("the polygon has {n} vertices; at most {max} are taken")]
    TooManyVertices { n: usize, max: usize },
    #[error("invalid polygon: {0}")]
    Invalid(String),
    #[error("the polygon covers {area_km2:.1} km², far more than the district ({district_km2:.1} km²)")]
    TooBig { area_km2: f64, district_km2: f64 },
}

/// The area a query is about.
#[derive(Debug, Clone)]
pub enum AreaShape {
    /// A unit (index into the hierarchy) and what its subtree holds.
    Unit { unit: usize, subtree: Jurisdiction },
    /// A polygon in lon/lat.
    Drawn(Box<Outline>),
}

impl AreaShape {
    /// A unit of `d`.
    pub fn unit(d: &Dataset, unit: usize) -> AreaShape {
        let id = d.hierarchy.units[unit].id.0.clone();
        AreaShape::Unit { unit, subtree: Jurisdiction::of(d, Some(&id)) }
    }

    /// A drawn polygon (lon/lat), checked: not empty, at most [`MAX_VERTICES`],
    /// valid (OGC rules: no self-intersection), and not far bigger than the district.
    pub fn drawn(d: &Dataset, mp: MultiPolygon<f64>) -> Result<AreaShape, AreaError> {
        let n: usize = mp.0.iter().map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()).sum();
        if n > MAX_VERTICES {
            return Err(AreaError::TooManyVertices { n, max: MAX_VERTICES });
        }
        let Some(bb) = mp.bounding_rect() else { return Err(AreaError::Empty) };
        let problems = polygon_problems(&mp);
        if !problems.is_empty() {
            return Err(AreaError::Invalid(problems.join("; ")));
        }
        let area = metric_area(&mp, bb);
        // the units' and buildings' boxes from their R-trees' roots (O(1); `Dataset::bounds` walks every building)
        let data = [d.unit_index.bounds(), d.building_index.bounds()].into_iter().flatten().reduce(rect_union);
        let district = data.map_or(0.0, |r| metric_area(&MultiPolygon(vec![r.to_polygon()]), r));
        if area > MAX_AREA_FACTOR * district.max(1e6) {
            return Err(AreaError::TooBig { area_km2: area / 1e6, district_km2: district / 1e6 });
        }
        Ok(AreaShape::Drawn(Box::new(Outline::new(mp))))
    }

    /// The unit, for a unit area.
    pub fn unit_index(&self) -> Option<usize> {
        match self {
            AreaShape::Unit { unit, .. } => Some(*unit),
            AreaShape::Drawn(_) => None,
        }
    }

    /// A box holding everything the area may count (for a unit: every unit of its subtree).
    pub fn bbox(&self, d: &Dataset) -> Option<Rect<f64>> {
        match self {
            AreaShape::Unit { unit, .. } => {
                subtree_units(d, *unit).filter_map(|u| d.hierarchy.units[u].geometry.bounding_rect()).reduce(rect_union)
            }
            AreaShape::Drawn(o) => o.bbox,
        }
    }

    /// Whether a thing at a point, located in leaf `leaf` (by the caller), is in the area and inside `j`.
    pub fn holds_point(&self, j: &Jurisdiction, x: f64, y: f64, leaf: Option<usize>) -> bool {
        match self {
            AreaShape::Unit { subtree, .. } => subtree.leaf(leaf),
            AreaShape::Drawn(o) => o.contains(x, y) && j.leaf(leaf),
        }
    }

    /// Whether a chain of unit ids (a live incident's) is in a unit area; for a drawn one, the point
    /// decides and the chain must lie inside `j`.
    pub fn holds_chain<S: AsRef<str>>(&self, d: &Dataset, j: &Jurisdiction, x: f64, y: f64, chain: &[S]) -> bool {
        match self {
            AreaShape::Unit { unit, .. } => {
                let id = &d.hierarchy.units[*unit].id.0;
                chain.iter().any(|c| c.as_ref() == id)
            }
            AreaShape::Drawn(o) => o.contains(x, y) && j.chain(d, chain),
        }
    }
}

/// The units of `unit`'s subtree.
fn subtree_units(d: &Dataset, unit: usize) -> impl Iterator<Item = usize> + '_ {
    let mut stack = vec![unit];
    std::iter::from_fn(move || {
        let u = stack.pop()?;
        stack.extend(d.hierarchy.children[u].iter().copied());
        Some(u)
    })
}

/// Area in m² in a projection centred on the box.
fn metric_area(mp: &MultiPolygon<f64>, bb: Rect<f64>) -> f64 {
    LocalProjection::for_rect(bb).project_multi(mp).unsigned_area()
}

/// What lies in an area (incidents apart: `analysis::area_incidents`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaFigures {
    pub area_m2: f64,
    /// Building indexes, ascending.
    pub buildings: Vec<usize>,
    pub households: u64,
    pub population: u64,
    /// Buildings with no camera view (indexes, ascending).
    pub uncovered: Vec<usize>,
    pub uncovered_households: u64,
    pub uncovered_population: u64,
    /// Camera indexes, ascending.
    pub cameras: Vec<usize>,
    /// Open ground (not under buildings) and the part of it the cameras cover, m².
    pub ground_m2: f64,
    pub covered_m2: f64,
    /// covered / ground (0 without open ground), as the coverage figures define it.
    pub covered_share: f64,
    /// Whether the unit or anything counted carries the generated label.
    pub generated: bool,
}

/// The figures of `area` inside jurisdiction `j` (a unit area is taken whole: the caller checks it is inside).
pub fn figures(d: &Dataset, area: &AreaShape, j: &Jurisdiction) -> AreaFigures {
    let mut f = AreaFigures::default();
    let Some(bb) = area.bbox(d) else { return f };
    let cov = d.coverage();
    f.buildings = match area {
        AreaShape::Unit { subtree, .. } => {
            // the buildings whose leaf lies in the subtree: those meeting its box, and those assigned to it
            // explicitly (a unit's `assigned_buildings`) wherever their footprints lie
            let mut v: Vec<usize> = d
                .building_index
                .query_rect(bb)
                .chain(d.explicit_buildings.iter().copied())
                .filter(|&b| subtree.leaf(d.building_assignment.get(b).and_then(|a| a.leaf)))
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        }
        AreaShape::Drawn(o) => {
            let mut v: Vec<usize> =
                d.building_index.query_rect(bb).filter(|&b| j.building(d, b) && o.share_of(&d.buildings[b].footprint) > 0.5).collect();
            v.sort_unstable();
            v
        }
    };
    for &b in &f.buildings {
        let x = &d.buildings[b];
        let (hh, pop) = (u64::from(x.households.unwrap_or(0)), u64::from(x.population.unwrap_or(0)));
        f.households += hh;
        f.population += pop;
        f.generated |= Dataset::is_generated(&x.attributes);
        if cov.facades.get(b).is_some_and(|fc| fc.seen_m < UNSEEN_BELOW_M) {
            f.uncovered.push(b);
            f.uncovered_households += hh;
            f.uncovered_population += pop;
        }
    }
    f.cameras = d
        .camera_index
        .query_rect(bb)
        .filter(|&c| {
            let p = d.cameras[c].position;
            // a drawn area tests the point first: only cameras inside it are located
            match area {
                AreaShape::Drawn(o) if !o.contains(p.x(), p.y()) => false,
                _ => area.holds_point(j, p.x(), p.y(), d.locator.locate_point(p)),
            }
        })
        .collect();
    f.cameras.sort_unstable();
    f.generated |= f.cameras.iter().any(|&c| Dataset::is_generated(&d.cameras[c].attributes));
    match area {
        AreaShape::Unit { unit, .. } => {
            let u = cov.units.get(*unit).cloned().unwrap_or_default();
            (f.ground_m2, f.covered_m2, f.covered_share) = (u.ground_m2, u.covered_m2, u.ground_share);
            f.area_m2 = d.unit_area_m2.get(*unit).copied().unwrap_or(0.0);
            f.generated |= Dataset::is_generated(&d.hierarchy.units[*unit].attributes);
        }
        AreaShape::Drawn(o) => {
            (f.ground_m2, f.covered_m2) = drawn_cover(d, o, j);
            f.covered_share = if f.ground_m2 > 0.0 { (f.covered_m2 / f.ground_m2).min(1.0) } else { 0.0 };
            f.area_m2 = drawn_area_m2(d, o, j);
        }
    }
    f
}

/// Open ground and covered ground (m²) of the coverage cells inside a drawn outline, cells owned by units inside `j`.
fn drawn_cover(d: &Dataset, o: &Outline, j: &Jurisdiction) -> (f64, f64) {
    let cov = d.coverage();
    let proj = cov.scene.proj;
    let m = Outline::new(proj.project_multi(&o.geometry));
    let Some(mb) = m.bbox else { return (0.0, 0.0) };
    let (mut ground, mut covered) = (0.0, 0.0);
    for k in cov.cell_index.query_rect(mb) {
        let (cell, cv) = (&cov.cells[k], &cov.covers[k]);
        if !j.unit(cell.owner) {
            continue;
        }
        let Some(cb) = cell.bbox else { continue };
        match m.place(cb) {
            Place::Outside => {}
            Place::Inside => {
                ground += cell.ground_m2;
                covered += cv.covered_m2;
            }
            Place::Crossed => {
                let g = cell.ground.intersection(&m.geometry).unsigned_area();
                let gaps = cv.gaps.intersection(&m.geometry).unsigned_area();
                ground += g;
                covered += (g - gaps).max(0.0);
            }
        }
    }
    (ground, covered)
}

/// The outline's area in m², clipped to the jurisdiction's root.
fn drawn_area_m2(d: &Dataset, o: &Outline, j: &Jurisdiction) -> f64 {
    let Some(bb) = o.bbox else { return 0.0 };
    if j.is_everything() {
        return metric_area(&o.geometry, bb);
    }
    match j.root {
        Some(r) => metric_area(&o.geometry.intersection(&d.hierarchy.units[r].geometry), bb),
        None => 0.0,
    }
}

#[cfg(test)]
#[path = "area_tests.rs"]
mod tests;
