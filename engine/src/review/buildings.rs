//! Buildings against a units layer: which leaf holds each (after the
//! scenario's reassignments), which are cut by a boundary or in no leaf, and
//! the load of every unit against the norm of its level.
//!
//! Method: [`crate::units::assign::assign_by_footprint`] (largest share of the
//! footprint, intersection areas in a local metric projection) on the whole
//! layer, or — after an edit — on just the buildings whose boxes meet the
//! changed leaves, against a flat hierarchy of the leaves their boxes meet,
//! kept in layer order so ties break the same way as on the whole layer.
//! A building's assignment depends only on the leaves whose boxes meet it,
//! so the partial result equals the whole one. Overrides (building id →
//! unit id) then replace the leaf; loads sum households, population and
//! buildings up each leaf's chain of parents. O(b·k) for b buildings with k
//! candidate leaves; loads O(b·depth).

use std::collections::{BTreeMap, HashMap};

use geo::BoundingRect;

use crate::geometry::index::PolygonIndex;
use crate::model::{Building, Unit, UnitId};
use crate::review::Overrides;
use crate::review::finding::{Finding, FindingKind, Location, Severity};
use crate::units::assign::{BuildingAssignment, CUT_TOLERANCE_M2, assign_by_footprint};
use crate::units::explicit;
use crate::units::hierarchy::Hierarchy;
use crate::units::integrity::LoadNorm;

/// Where one building went, by unit id.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub leaf: Option<UnitId>,
    pub share: f64,
    pub cut_by: Vec<(UnitId, f64)>,
    pub outside_m2: f64,
}

impl Placed {
    fn from(a: &BuildingAssignment, id: impl Fn(usize) -> UnitId) -> Placed {
        Placed {
            leaf: a.leaf.map(&id),
            share: a.share,
            cut_by: a.cut_by.iter().map(|&(l, m2)| (id(l), m2)).collect(),
            outside_m2: a.outside_m2,
        }
    }

    pub fn is_cut(&self) -> bool {
        !self.cut_by.is_empty() || (self.leaf.is_some() && self.outside_m2 > CUT_TOLERANCE_M2)
    }
}

/// Assign every building.
pub fn assign_all(h: &Hierarchy, buildings: &[Building]) -> Vec<Placed> {
    assign_by_footprint(h, buildings).iter().map(|a| Placed::from(a, |i| h.units[i].id.clone())).collect()
}

/// Assign the buildings `which` (indices into `buildings`) again; `units` indexes every unit of `h` by box.
pub fn assign_some(h: &Hierarchy, units: &PolygonIndex, buildings: &[Building], which: &[usize]) -> Vec<(usize, Placed)> {
    if which.is_empty() {
        return Vec::new();
    }
    let mut leaves: Vec<usize> = which
        .iter()
        .filter_map(|&b| buildings[b].footprint.bounding_rect())
        .flat_map(|r| units.query_rect(r).collect::<Vec<_>>())
        .filter(|&i| h.children[i].is_empty())
        .collect();
    leaves.sort_unstable();
    leaves.dedup();
    let flat: Vec<Unit> = leaves
        .iter()
        .map(|&i| {
            let u = &h.units[i];
            Unit {
                id: u.id.clone(),
                parent: None,
                level: u.level.clone(),
                name: String::new(),
                geometry: u.geometry.clone(),
                attributes: Default::default(),
            }
        })
        .collect();
    let Ok(sub) = Hierarchy::build(flat) else { return Vec::new() };
    let picked: Vec<Building> = which.iter().map(|&b| buildings[b].clone()).collect();
    let got = assign_by_footprint(&sub, &picked);
    which.iter().zip(&got).map(|(&b, a)| (b, Placed::from(a, |i| sub.units[i].id.clone()))).collect()
}

/// The leaf of each building after the overrides, and the findings about the overrides themselves.
pub fn apply_overrides(
    h: &Hierarchy,
    buildings: &[Building],
    placed: &[Placed],
    overrides: &Overrides,
) -> (Vec<Option<UnitId>>, Vec<Finding>) {
    let mut leaf: Vec<Option<UnitId>> = placed.iter().map(|p| p.leaf.clone()).collect();
    let mut findings = Vec::new();
    if overrides.is_empty() {
        return (leaf, findings);
    }
    let by_id: HashMap<&str, usize> = buildings.iter().enumerate().map(|(i, b)| (b.id.as_str(), i)).collect();
    for (bid, target) in overrides {
        // the rule of the served assignment (`units::explicit`): an existing building, a leaf unit
        let found = by_id.get(bid.as_str()).copied();
        let problem = match (explicit::judge(h, bid, target, found.is_some()), found) {
            (Ok(_), Some(b)) => {
                leaf[b] = Some(target.clone());
                None
            }
            (Ok(_), None) => None,
            (Err(p), _) => Some(p.to_string()),
        };
        if let Some(message) = problem {
            let b = by_id.get(bid.as_str()).map(|&b| &buildings[b].footprint);
            findings.push(Finding {
                kind: FindingKind::OverrideInvalid,
                severity: Severity::Error,
                units: vec![target.clone()],
                message,
                value: None,
                building: Some(bid.clone()),
                location: b.and_then(Location::of),
                geometry: b.cloned(),
            });
        }
    }
    (leaf, findings)
}

/// Findings of one building's assignment: in no leaf, or cut by a boundary.
pub fn building_findings(b: &Building, p: &Placed) -> Option<Finding> {
    let (kind, units, message, value) = match &p.leaf {
        None => (FindingKind::BuildingUnassigned, Vec::new(), format!("building {} lies in no unit", b.id), p.outside_m2),
        Some(leaf) if p.is_cut() => {
            let mut units = vec![leaf.clone()];
            units.extend(p.cut_by.iter().map(|x| x.0.clone()));
            let others: Vec<String> = p.cut_by.iter().map(|(u, m2)| format!("{u} {m2:.1} m²")).collect();
            let outside =
                if p.outside_m2 > CUT_TOLERANCE_M2 { format!(", {:.1} m² outside every unit", p.outside_m2) } else { String::new() };
            let msg = format!(
                "building {} is cut by a boundary: {:.0} % in {leaf}{}{outside}",
                b.id,
                p.share * 100.0,
                if others.is_empty() { String::new() } else { format!(", {}", others.join(", ")) }
            );
            (FindingKind::BuildingCut, units, msg, p.share)
        }
        Some(_) => return None,
    };
    Some(Finding {
        kind,
        severity: Severity::Warning,
        units,
        message,
        value: Some(value),
        building: Some(b.id.clone()),
        location: Location::of(&b.footprint),
        geometry: Some(b.footprint.clone()),
    })
}

/// Households, population and buildings of a unit (its subtree).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    pub households: u64,
    pub population: u64,
    pub buildings: u64,
}

/// Loads of every unit of `h` (indexed as `h`), from each building's leaf.
pub fn loads(h: &Hierarchy, buildings: &[Building], leaf: &[Option<UnitId>]) -> Vec<Load> {
    let mut out = vec![Load::default(); h.len()];
    for (b, l) in buildings.iter().zip(leaf) {
        let Some(i) = l.as_ref().and_then(|l| h.get(l)) else { continue };
        let mut cur = Some(i);
        while let Some(u) = cur {
            out[u].households += u64::from(b.households.unwrap_or(0));
            out[u].population += u64::from(b.population.unwrap_or(0));
            out[u].buildings += 1;
            cur = h.parent[u];
        }
    }
    out
}

/// Units whose households fall outside the norm of their level.
pub fn load_findings(
    h: &Hierarchy,
    loads: &[Load],
    norms: &BTreeMap<String, LoadNorm>,
    location: impl Fn(&UnitId) -> Option<Location>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, u) in h.units.iter().enumerate() {
        let Some(n) = norms.get(&u.level.0) else { continue };
        let hh = loads[i].households;
        let (kind, word) = if hh > n.max_households {
            (FindingKind::LoadOver, "above")
        } else if hh < n.min_households {
            (FindingKind::LoadUnder, "below")
        } else {
            continue;
        };
        out.push(Finding {
            kind,
            severity: Severity::Warning,
            units: vec![u.id.clone()],
            message: format!("{} holds {hh} households, {word} the {} norm of {}–{}", u.id, u.level, n.min_households, n.max_households),
            value: Some(hh as f64),
            building: None,
            location: location(&u.id),
            geometry: None,
        });
    }
    out
}
