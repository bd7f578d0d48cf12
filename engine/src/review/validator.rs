//! The live validation of a units layer: prepared once, then rechecked
//! after each edit from what the edit touched.
//!
//! Method: the validator keeps, keyed by ids, the findings of every sibling
//! group, the shape of every unit, the leaf of every building, the
//! neighbour graph of the group level and the AB matching per component.
//! After an edit the changed units are found (given, or by comparing the
//! two layers unit by unit), and only the sibling groups they belong to or
//! head, their own shapes, the buildings whose boxes meet their old or new
//! boxes, their neighbour pairs and the matching components holding a unit
//! whose neighbours changed are computed again; loads, overrides, isolated
//! units and alliances are summed again over the whole layer (linear).
//! Each part depends only on its own inputs, so the result equals a full
//! validation of the edited layer (checked by a test after random edits).
//! Full: O(groups + buildings·k + adjacency); one edit: O(work near the edit
//! + n + b) for n units and b buildings.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use geo::{BoundingRect, Rect};
use serde::Serialize;

use crate::geometry::index::{PolygonIndex, rect_union};
use crate::model::{Building, Unit, UnitId};
use crate::review::buildings::{self, Load, Placed};
use crate::review::finding::{Finding, Location, Severity};
use crate::review::neighbours::{Neighbours, grow_m};
use crate::review::pairing::{self, AbSummary, AllianceSummary, Pairing};
use crate::review::shape::{self, Shape};
use crate::review::topology::{self, GroupKey};
use crate::review::{Overrides, ReviewConfig, ReviewError};
use crate::units::hierarchy::Hierarchy;

/// Counts of a report.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidationSummary {
    pub units: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub by_kind: BTreeMap<String, usize>,
}

/// Everything the validation found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidationReport {
    pub summary: ValidationSummary,
    pub findings: Vec<Finding>,
    /// None when the group level has no units.
    pub ab: Option<AbSummary>,
    /// None when no alliances are configured.
    pub alliances: Option<AllianceSummary>,
}

/// What the last validation did and how long each phase took (milliseconds, wall clock).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ValidationStats {
    pub changed_units: usize,
    pub groups_checked: usize,
    pub buildings_assigned: usize,
    pub phases_ms: Vec<(&'static str, f64)>,
}

/// A layer under validation.
#[derive(Debug, Clone)]
pub struct Validator {
    cfg: ReviewConfig,
    h: Hierarchy,
    index: PolygonIndex,
    building_index: PolygonIndex,
    groups: BTreeMap<GroupKey, (Vec<UnitId>, Vec<Finding>)>,
    shapes: HashMap<UnitId, (Shape, Vec<Finding>)>,
    placed: Vec<Placed>,
    placed_findings: Vec<Option<Finding>>,
    leaf: Vec<Option<UnitId>>,
    loads: Vec<Load>,
    neighbours: Neighbours,
    pairing: Pairing,
    report: ValidationReport,
    stats: ValidationStats,
}

/// Times the phases of one validation.
struct Clock(std::time::Instant, Vec<(&'static str, f64)>);

impl Clock {
    fn new() -> Clock {
        Clock(std::time::Instant::now(), Vec::new())
    }

    fn lap(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        self.1.push((phase, (now - self.0).as_secs_f64() * 1e3));
        self.0 = now;
    }
}

fn unit_index(h: &Hierarchy) -> PolygonIndex {
    PolygonIndex::new(h.units.iter().map(|u| u.geometry.bounding_rect()))
}

fn build(units: Vec<Unit>) -> Result<Hierarchy, ReviewError> {
    Hierarchy::build(units).map_err(ReviewError::Hierarchy)
}

impl Validator {
    /// Validate a whole layer.
    pub fn new(units: Vec<Unit>, buildings: &[Building], overrides: &Overrides, mut cfg: ReviewConfig) -> Result<Validator, ReviewError> {
        let h = build(units)?;
        if cfg.frame.is_none() {
            let bb = h.units.iter().filter_map(|u| u.geometry.bounding_rect()).reduce(rect_union);
            cfg.frame = Some(grow_m(bb.unwrap_or(Rect::new((0.0, 0.0), (0.0, 0.0))), 5_000.0));
        }
        if cfg.group_level.is_none() {
            // the grids (网格) when the layer has them, else the deepest level
            let named = h.levels.iter().find(|l| l.0 == "grid" || l.0 == "网格");
            cfg.group_level = named.or(h.levels.last()).cloned();
        }
        let level = cfg.group_level.clone().unwrap_or_else(|| crate::model::Level(String::new()));
        let frame = cfg.frame.unwrap_or(Rect::new((0.0, 0.0), (0.0, 0.0)));
        let mut groups = BTreeMap::new();
        for (key, members) in topology::groups(&h) {
            let f = topology::check_group(&h, &key, &members, &cfg.integrity);
            groups.insert(key, (members, f));
        }
        let shapes = h.units.iter().map(|u| (u.id.clone(), shaped(u, &cfg))).collect();
        let placed = buildings::assign_all(&h, buildings);
        let placed_findings = buildings.iter().zip(&placed).map(|(b, p)| buildings::building_findings(b, p)).collect();
        let neighbours = Neighbours::full(&h, &level, frame, &cfg.adjacency);
        let mut pairing = Pairing::default();
        pairing.update(&h, &neighbours, &cfg.ab, None);
        let mut v = Validator {
            index: unit_index(&h),
            building_index: PolygonIndex::new(buildings.iter().map(|b| b.footprint.bounding_rect())),
            cfg,
            h,
            groups,
            shapes,
            placed,
            placed_findings,
            leaf: Vec::new(),
            loads: Vec::new(),
            neighbours,
            pairing,
            report: ValidationReport::default(),
            stats: ValidationStats::default(),
        };
        let n = v.h.len();
        v.finish(buildings, overrides);
        v.stats = ValidationStats {
            changed_units: n,
            groups_checked: v.groups.len(),
            buildings_assigned: buildings.len(),
            phases_ms: Vec::new(),
        };
        Ok(v)
    }

    /// Validate an edited layer, rechecking only what changed. `changed`: the units added, removed or
    /// whose geometry, parent or level changed; None = find them by comparing with the current layer.
    /// On error the validator is left as it was.
    pub fn revalidate(
        &mut self,
        units: Vec<Unit>,
        changed: Option<&[UnitId]>,
        buildings: &[Building],
        overrides: &Overrides,
    ) -> Result<&ValidationReport, ReviewError> {
        if buildings.len() != self.placed.len() {
            return Err(ReviewError::BuildingsChanged { was: self.placed.len(), now: buildings.len() });
        }
        let mut clock = Clock::new();
        let h = build(units)?;
        let old = std::mem::replace(&mut self.h, h);
        let changed = changed_units(&old, &self.h, changed);
        self.index = unit_index(&self.h);
        clock.lap("layer");
        let groups_checked = self.recheck_groups(&old, &changed);
        clock.lap("groups");
        for id in &changed {
            self.shapes.remove(id);
            if let Some(i) = self.h.get(id) {
                self.shapes.insert(id.clone(), shaped(&self.h.units[i], &self.cfg));
            }
        }
        clock.lap("shapes");
        let buildings_assigned = self.reassign(&old, &changed, buildings);
        clock.lap("buildings");
        let dirty = self.neighbours.update(&self.h, &self.index, &changed, &self.cfg.adjacency);
        clock.lap("neighbours");
        self.pairing.update(&self.h, &self.neighbours, &self.cfg.ab, Some(&dirty));
        clock.lap("ab_pairs");
        self.finish(buildings, overrides);
        clock.lap("report");
        self.stats = ValidationStats { changed_units: changed.len(), groups_checked, buildings_assigned, phases_ms: clock.1 };
        Ok(&self.report)
    }

    /// Sibling groups that hold or are headed by a changed unit, in the old or the new layer.
    fn recheck_groups(&mut self, old: &Hierarchy, changed: &BTreeSet<UnitId>) -> usize {
        let mut keys: BTreeSet<GroupKey> = BTreeSet::new();
        for id in changed {
            for h in [old, &self.h] {
                if let Some(i) = h.get(id) {
                    keys.insert(h.parent[i].map(|p| h.units[p].id.clone()));
                    keys.insert(Some(id.clone()));
                }
            }
        }
        let n = keys.len();
        for key in keys {
            self.groups.remove(&key);
            if let Some(members) = topology::group_of(&self.h, &key) {
                let f = topology::check_group(&self.h, &key, &members, &self.cfg.integrity);
                self.groups.insert(key, (members, f));
            }
        }
        n
    }

    /// Assign again the buildings whose boxes meet a changed leaf (old or new) or a unit that became or
    /// stopped being a leaf.
    fn reassign(&mut self, old: &Hierarchy, changed: &BTreeSet<UnitId>, buildings: &[Building]) -> usize {
        let is_leaf = |h: &Hierarchy, id: &UnitId| h.get(id).map(|i| h.children[i].is_empty());
        let mut boxes: Vec<Rect<f64>> = Vec::new();
        let mut consider: BTreeSet<&UnitId> = changed.iter().collect();
        for id in changed {
            for h in [old, &self.h] {
                if let Some(p) = h.get(id).and_then(|i| h.parent[i]) {
                    consider.insert(&h.units[p].id);
                }
            }
        }
        for id in consider {
            let (was, now) = (is_leaf(old, id), is_leaf(&self.h, id));
            if !changed.contains(id) && was == now {
                continue;
            }
            for (h, leaf) in [(old, was), (&self.h, now)] {
                if leaf == Some(true)
                    && let Some(r) = h.get(id).and_then(|i| h.units[i].geometry.bounding_rect())
                {
                    boxes.push(r);
                }
            }
        }
        let mut which: Vec<usize> = boxes.iter().flat_map(|&r| self.building_index.query_rect(r).collect::<Vec<_>>()).collect();
        which.sort_unstable();
        which.dedup();
        for (b, p) in buildings::assign_some(&self.h, &self.index, buildings, &which) {
            self.placed_findings[b] = buildings::building_findings(&buildings[b], &p);
            self.placed[b] = p;
        }
        which.len()
    }

    /// Overrides, loads, pairs, alliances and the report from the parts kept.
    fn finish(&mut self, buildings: &[Building], overrides: &Overrides) {
        let h = &self.h;
        let (leaf, mut findings) = buildings::apply_overrides(h, buildings, &self.placed, overrides);
        self.leaf = leaf;
        self.loads = buildings::loads(h, buildings, &self.leaf);
        let shapes = &self.shapes;
        let location = |id: &UnitId| shapes.get(id).and_then(|s| s.0.location);
        findings.extend(buildings::load_findings(h, &self.loads, &self.cfg.integrity.norms, location));
        findings.extend(self.groups.values().flat_map(|g| g.1.iter().cloned()));
        findings.extend(self.shapes.values().flat_map(|s| s.1.iter().cloned()));
        findings.extend(self.placed_findings.iter().flatten().cloned());
        let ab = if pairing::has_units(h, &self.neighbours) {
            let (s, f) = self.pairing.summary(h, &self.neighbours, location);
            findings.extend(f);
            findings.extend(pairing::isolated(h, &self.neighbours, location));
            Some(s)
        } else {
            None
        };
        let alliances = (!self.cfg.alliances.is_empty()).then(|| {
            let loads = &self.loads;
            let households = |id: &UnitId| h.get(id).map_or(0.0, |i| loads[i].households as f64);
            let shape = |id: &UnitId| shapes.get(id).map_or((0.0, 0.0), |s| (s.0.area_m2, s.0.perimeter_m));
            let (s, f) = pairing::alliances(h, &self.neighbours, &self.cfg.alliances, households, shape, location);
            findings.extend(f);
            s
        });
        findings.sort_by(Finding::order);
        let mut summary = ValidationSummary { units: h.len(), ..Default::default() };
        for f in &findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
            *summary.by_kind.entry(f.kind.as_str().to_owned()).or_default() += 1;
        }
        self.report = ValidationReport { summary, findings, ab, alliances };
    }

    pub fn report(&self) -> &ValidationReport {
        &self.report
    }

    /// What the last validation did, with the time of each phase of an incremental one.
    pub fn stats(&self) -> &ValidationStats {
        &self.stats
    }

    /// How many buildings the validator was given.
    pub fn building_count(&self) -> usize {
        self.placed.len()
    }

    /// The layer as validated.
    pub fn hierarchy(&self) -> &Hierarchy {
        &self.h
    }

    /// The settings, with the frame and group level filled in.
    pub fn config(&self) -> &ReviewConfig {
        &self.cfg
    }

    /// The leaf holding building `b` (an index into the buildings), after the overrides.
    pub fn leaf_of_building(&self, b: usize) -> Option<&UnitId> {
        self.leaf.get(b).and_then(Option::as_ref)
    }

    /// Households, population and buildings of a unit (its subtree).
    pub fn load(&self, id: &UnitId) -> Option<Load> {
        self.h.get(id).and_then(|i| self.loads.get(i).copied())
    }

    /// Area, perimeter, parts and compactness of a unit.
    pub fn shape(&self, id: &UnitId) -> Option<&Shape> {
        self.shapes.get(id).map(|s| &s.0)
    }

    /// A point and box of a unit for the map.
    pub fn location(&self, id: &UnitId) -> Option<Location> {
        self.shape(id).and_then(|s| s.location)
    }
}

fn shaped(u: &Unit, cfg: &ReviewConfig) -> (Shape, Vec<Finding>) {
    let s = shape::measure(u, cfg.integrity.noise_m2);
    let f = shape::findings(u, &s, cfg.min_polsby_popper);
    (s, f)
}

/// Units added, removed, or with another geometry, parent or level; `hint` replaces the comparison of
/// the units present in both layers (additions and removals are always found).
fn changed_units(old: &Hierarchy, new: &Hierarchy, hint: Option<&[UnitId]>) -> BTreeSet<UnitId> {
    let mut out: BTreeSet<UnitId> = BTreeSet::new();
    for u in &old.units {
        if new.get(&u.id).is_none() {
            out.insert(u.id.clone());
        }
    }
    for u in &new.units {
        match old.get(&u.id) {
            None => {
                out.insert(u.id.clone());
            }
            Some(i) if hint.is_none() => {
                let o = &old.units[i];
                if o.parent != u.parent || o.level != u.level || o.geometry != u.geometry {
                    out.insert(u.id.clone());
                }
            }
            Some(_) => {}
        }
    }
    out.extend(hint.into_iter().flatten().cloned());
    out
}
