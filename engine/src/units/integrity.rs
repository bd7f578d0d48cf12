//! Hierarchy integrity: what is wrong with a set of nested units, in metres.
//!
//! For every parent, in a local metric projection centred on it:
//! - each child minus the parent → "child outside parent" (area in m²);
//! - each pair of siblings whose boxes meet (R-tree) → their intersection
//!   ("overlapping siblings", area in m²);
//! - the parent minus the union of its children → gaps, split into connected
//!   polygons. A polygon whose mean width 2·A/P is below the sliver tolerance
//!   is a sliver (digitising noise between neighbours), otherwise a real gap.
//!   Pieces under `noise_m2` (floating-point dust of the boolean operations)
//!   are dropped.
//!
//! Buildings in no leaf or cut by a leaf boundary come from
//! [`crate::units::assign::assign_buildings`]. Load per unit (households, population,
//! buildings) sums the buildings assigned to the leaves below it and compares
//! households against the norm of its level. Explicit assignments (a unit's
//! `assigned_buildings`, [`crate::units::explicit`]) are listed, and those
//! that do not hold are reported as stale.

use crate::geometry::index::PolygonIndex;
use crate::geometry::projection::LocalProjection;
use crate::model::Building;
use crate::units::assign::BuildingAssignment;
use crate::units::explicit::{self, StaleAssignment};
use crate::units::hierarchy::Hierarchy;
use geo::{Area, BooleanOps, BoundingRect, Euclidean, Length, MultiPolygon, Polygon};
use serde::Serialize;
use std::collections::BTreeMap;

/// A households range a unit of a level should hold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LoadNorm {
    pub min_households: u64,
    pub max_households: u64,
}

/// Settings of the integrity check.
#[derive(Debug, Clone)]
pub struct IntegrityConfig {
    /// Gap pieces narrower than this (mean width 2·A/P, metres) are slivers.
    pub sliver_width_m: f64,
    /// Pieces smaller than this (m²) are floating-point dust and dropped.
    pub noise_m2: f64,
    /// Norms by level name.
    pub norms: BTreeMap<String, LoadNorm>,
}

impl Default for IntegrityConfig {
    fn default() -> Self {
        // The usual rule for a 网格: 300–500 households.
        let grid = LoadNorm { min_households: 300, max_households: 500 };
        let mut norms = BTreeMap::new();
        norms.insert("grid".to_owned(), grid);
        norms.insert("网格".to_owned(), grid);
        IntegrityConfig { sliver_width_m: 2.0, noise_m2: 0.01, norms }
    }
}

/// A child reaching outside its parent.
#[derive(Debug, Clone, Serialize)]
pub struct OutsideParent {
    pub unit: String,
    pub parent: String,
    pub area_m2: f64,
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
}

/// Two siblings that overlap.
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    pub a: String,
    pub b: String,
    /// Their common parent (none for top-level units).
    pub parent: Option<String>,
    pub area_m2: f64,
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
}

/// Whether an uncovered piece is a real gap or a sliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GapKind {
    Gap,
    Sliver,
}

/// Part of a parent that none of its children covers.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub parent: String,
    pub kind: GapKind,
    pub area_m2: f64,
    /// Mean width 2·A/P in metres.
    pub width_m: f64,
    #[serde(skip)]
    pub geometry: Polygon<f64>,
}

/// A building cut by a leaf boundary.
#[derive(Debug, Clone, Serialize)]
pub struct CutBuilding {
    pub building: String,
    pub leaf: String,
    pub share: f64,
    /// Other leaves and the area (m²) of the footprint inside each.
    pub others: Vec<(String, f64)>,
    pub outside_m2: f64,
}

/// Load of one unit against its norm.
#[derive(Debug, Clone, Serialize)]
pub struct UnitLoad {
    pub unit: String,
    pub level: String,
    pub households: u64,
    pub population: u64,
    pub buildings: u64,
    pub norm: Option<LoadNorm>,
    /// `under`, `within`, `over` or `no_norm`.
    pub status: &'static str,
}

/// Counts and totals of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub units: usize,
    pub outside_parent: usize,
    pub outside_parent_m2: f64,
    pub overlaps: usize,
    pub overlap_m2: f64,
    pub gaps: usize,
    pub gap_m2: f64,
    pub slivers: usize,
    pub sliver_m2: f64,
    pub buildings: usize,
    pub buildings_unassigned: usize,
    pub buildings_cut: usize,
    pub buildings_assigned: usize,
    pub assignments_stale: usize,
    pub units_over_norm: usize,
    pub units_under_norm: usize,
}

/// The integrity report of a hierarchy.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub summary: Summary,
    pub sliver_width_m: f64,
    pub outside_parent: Vec<OutsideParent>,
    pub overlaps: Vec<Overlap>,
    pub gaps: Vec<Gap>,
    pub buildings_unassigned: Vec<String>,
    pub buildings_cut: Vec<CutBuilding>,
    /// Buildings whose unit comes from a unit's `assigned_buildings` rather than the footprint.
    pub buildings_assigned: Vec<AssignedBuilding>,
    /// Explicit assignments that do not hold (the building keeps its footprint's leaf).
    pub assignments_stale: Vec<StaleAssignment>,
    pub loads: Vec<UnitLoad>,
}

/// A building assigned explicitly: the unit it is in and the leaf its footprint gives.
#[derive(Debug, Clone, Serialize)]
pub struct AssignedBuilding {
    pub building: String,
    pub unit: String,
    pub footprint_unit: Option<String>,
}

/// Polygons of a multipolygon, each with its area and perimeter (metric input).
fn pieces(mp: MultiPolygon<f64>, noise: f64) -> Vec<(Polygon<f64>, f64, f64)> {
    mp.0.into_iter()
        .filter_map(|p| {
            let a = p.unsigned_area();
            if a < noise {
                return None;
            }
            let per = Euclidean.length(p.exterior()) + p.interiors().iter().map(|r| Euclidean.length(r)).sum::<f64>();
            Some((p, a, per))
        })
        .collect()
}

/// Check the hierarchy, with the buildings and their assignments.
pub fn check(h: &Hierarchy, buildings: &[Building], assignment: &[BuildingAssignment], cfg: &IntegrityConfig) -> Report {
    let mut r = Report { sliver_width_m: cfg.sliver_width_m, ..Default::default() };
    let roots: Vec<usize> = (0..h.len()).filter(|&i| h.parent[i].is_none()).collect();
    // groups of siblings: the children of each parent, and the roots
    let mut groups: Vec<(Option<usize>, Vec<usize>)> = vec![(None, roots)];
    for p in 0..h.len() {
        if !h.children[p].is_empty() {
            groups.push((Some(p), h.children[p].clone()));
        }
    }
    for (parent, kids) in &groups {
        let Some(bb) = kids
            .iter()
            .chain(parent.iter())
            .filter_map(|&i| h.units[i].geometry.bounding_rect())
            .reduce(crate::geometry::index::rect_union)
        else {
            continue;
        };
        let proj = LocalProjection::for_rect(bb);
        let km: Vec<MultiPolygon<f64>> = kids.iter().map(|&k| proj.project_multi(&h.units[k].geometry)).collect();
        let parent_id = parent.map(|p| h.units[p].id.0.clone());
        // overlapping siblings
        let index = PolygonIndex::new(km.iter().map(|m| m.bounding_rect()));
        for (a, ma) in km.iter().enumerate() {
            let Some(ra) = ma.bounding_rect() else { continue };
            for b in index.query_rect(ra) {
                if b <= a {
                    continue;
                }
                let inter = ma.intersection(&km[b]);
                let area = inter.unsigned_area();
                if area >= cfg.noise_m2 {
                    r.overlaps.push(Overlap {
                        a: h.units[kids[a]].id.0.clone(),
                        b: h.units[kids[b]].id.0.clone(),
                        parent: parent_id.clone(),
                        area_m2: area,
                        geometry: proj.unproject_multi(&inter),
                    });
                }
            }
        }
        let Some(p) = *parent else { continue };
        let pm = proj.project_multi(&h.units[p].geometry);
        for (k, m) in km.iter().enumerate() {
            let out = m.difference(&pm);
            let area = out.unsigned_area();
            if area >= cfg.noise_m2 {
                r.outside_parent.push(OutsideParent {
                    unit: h.units[kids[k]].id.0.clone(),
                    parent: h.units[p].id.0.clone(),
                    area_m2: area,
                    geometry: proj.unproject_multi(&out),
                });
            }
        }
        let union = geo::unary_union(km.iter().flat_map(|m| m.0.iter()));
        for (poly, area, per) in pieces(pm.difference(&union), cfg.noise_m2) {
            let width = if per > 0.0 { 2.0 * area / per } else { 0.0 };
            let kind = if width < cfg.sliver_width_m { GapKind::Sliver } else { GapKind::Gap };
            let geometry = proj
                .unproject_multi(&MultiPolygon(vec![poly]))
                .0
                .into_iter()
                .next()
                .unwrap_or_else(|| Polygon::new(geo::LineString::<f64>(vec![]), vec![]));
            r.gaps.push(Gap { parent: h.units[p].id.0.clone(), kind, area_m2: area, width_m: width, geometry });
        }
    }
    // buildings
    let mut hh = vec![0u64; h.len()];
    let mut pop = vec![0u64; h.len()];
    let mut nb = vec![0u64; h.len()];
    for (b, a) in buildings.iter().zip(assignment) {
        if let Some(fl) = a.footprint_leaf
            && a.is_cut()
        {
            r.buildings_cut.push(CutBuilding {
                building: b.id.clone(),
                leaf: h.units[fl].id.0.clone(),
                share: a.share,
                others: a.cut_by.iter().map(|&(l, m2)| (h.units[l].id.0.clone(), m2)).collect(),
                outside_m2: a.outside_m2,
            });
        }
        match a.leaf {
            None => r.buildings_unassigned.push(b.id.clone()),
            Some(leaf) => {
                for u in h.chain(leaf) {
                    hh[u] += u64::from(b.households.unwrap_or(0));
                    pop[u] += u64::from(b.population.unwrap_or(0));
                    nb[u] += 1;
                }
            }
        }
    }
    for (b, a) in buildings.iter().zip(assignment) {
        if let (true, Some(l)) = (a.explicit, a.leaf) {
            let footprint_unit = a.footprint_leaf.map(|f| h.units[f].id.0.clone());
            r.buildings_assigned.push(AssignedBuilding { building: b.id.clone(), unit: h.units[l].id.0.clone(), footprint_unit });
        }
    }
    r.assignments_stale = explicit::resolve(h, buildings).1.into_iter().map(StaleAssignment::from).collect();
    for (i, u) in h.units.iter().enumerate() {
        let norm = cfg.norms.get(&u.level.0).copied();
        let status = match norm {
            None => "no_norm",
            Some(n) if hh[i] < n.min_households => "under",
            Some(n) if hh[i] > n.max_households => "over",
            Some(_) => "within",
        };
        r.loads.push(UnitLoad {
            unit: u.id.0.clone(),
            level: u.level.0.clone(),
            households: hh[i],
            population: pop[i],
            buildings: nb[i],
            norm,
            status,
        });
    }
    let s = &mut r.summary;
    s.units = h.len();
    s.outside_parent = r.outside_parent.len();
    s.outside_parent_m2 = r.outside_parent.iter().map(|x| x.area_m2).sum::<f64>() + 0.0;
    s.overlaps = r.overlaps.len();
    s.overlap_m2 = r.overlaps.iter().map(|x| x.area_m2).sum::<f64>() + 0.0;
    s.gaps = r.gaps.iter().filter(|g| g.kind == GapKind::Gap).count();
    s.gap_m2 = r.gaps.iter().filter(|g| g.kind == GapKind::Gap).map(|g| g.area_m2).sum::<f64>() + 0.0;
    s.slivers = r.gaps.iter().filter(|g| g.kind == GapKind::Sliver).count();
    s.sliver_m2 = r.gaps.iter().filter(|g| g.kind == GapKind::Sliver).map(|g| g.area_m2).sum::<f64>() + 0.0;
    s.buildings = buildings.len();
    s.buildings_unassigned = r.buildings_unassigned.len();
    s.buildings_cut = r.buildings_cut.len();
    s.buildings_assigned = r.buildings_assigned.len();
    s.assignments_stale = r.assignments_stale.len();
    s.units_over_norm = r.loads.iter().filter(|l| l.status == "over").count();
    s.units_under_norm = r.loads.iter().filter(|l| l.status == "under").count();
    r
}
