//! Explicit building assignments: a unit's attribute `assigned_buildings` (a
//! list of building ids) puts those buildings in that unit whatever their
//! footprints say. A planner's reassignment is published this way (the
//! server's `planning::draft_layer`), and a units layer edited elsewhere may
//! carry it.
//!
//! Rule: an explicit assignment overrides the geometric one (the leaf holding
//! the largest share of the footprint, [`crate::units::assign`]) when it
//! names a building that exists and a unit of the level buildings are
//! assigned at: a leaf, one with no units below it. Otherwise it is stale —
//! a later publish gave the unit units below it, the building was removed
//! from the buildings layer, two units name the building — and the building
//! keeps its geometric leaf; the integrity report lists the stale assignment
//! with the reason ([`AssignmentProblem`]). A units layer whose own
//! attributes are wrong (not a list of ids, a building named twice, a unit
//! with units below it) is refused on import and on publish
//! ([`check_layer`]); whether the buildings exist is only known against the
//! buildings layer ([`resolve`]).
//!
//! Method: one pass over the units' attributes and a hash of the building
//! ids, O(u + b + a) for a assignments. Oracle: the tests spell the rule out
//! case by case.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use crate::model::{Building, Unit, UnitId};
use crate::units::hierarchy::Hierarchy;

/// The unit attribute holding the ids of the buildings assigned to the unit.
pub const FIELD: &str = "assigned_buildings";

/// What is wrong with one explicit assignment. The messages name the unit and the building.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentProblem {
    #[error("unit {unit}: {FIELD} must be a list of building ids, not {value}")]
    NotAList { unit: String, value: String },
    #[error("unit {unit}: {FIELD} holds {value}, which is not a building id (a string)")]
    NotAnId { unit: String, value: String },
    #[error("building {building} is assigned to both unit {first} and unit {unit}")]
    Twice { building: String, first: String, unit: String },
    #[error("building {building} is assigned to unit {unit}, which has units below it (assign buildings to a unit without units below it)")]
    NotALeaf { building: String, unit: String },
    #[error("building {building} is assigned to unit {unit}, but there is no building {building}")]
    NoBuilding { building: String, unit: String },
    #[error("building {building} is assigned to unit {unit}, which is not a unit of this layer")]
    NoUnit { building: String, unit: String },
}

impl AssignmentProblem {
    /// The unit whose assignment it is.
    pub fn unit(&self) -> &str {
        match self {
            AssignmentProblem::NotAList { unit, .. }
            | AssignmentProblem::NotAnId { unit, .. }
            | AssignmentProblem::Twice { unit, .. }
            | AssignmentProblem::NotALeaf { unit, .. }
            | AssignmentProblem::NoBuilding { unit, .. }
            | AssignmentProblem::NoUnit { unit, .. } => unit,
        }
    }

    /// The kind, as the report names it.
    pub fn kind(&self) -> &'static str {
        match self {
            AssignmentProblem::NotAList { .. } => "not_a_list",
            AssignmentProblem::NotAnId { .. } => "not_an_id",
            AssignmentProblem::Twice { .. } => "twice",
            AssignmentProblem::NotALeaf { .. } => "not_a_leaf",
            AssignmentProblem::NoBuilding { .. } => "no_building",
            AssignmentProblem::NoUnit { .. } => "no_unit",
        }
    }

    /// The building concerned, if the problem is about one.
    pub fn building(&self) -> Option<&str> {
        match self {
            AssignmentProblem::NotAList { .. } | AssignmentProblem::NotAnId { .. } => None,
            AssignmentProblem::Twice { building, .. }
            | AssignmentProblem::NotALeaf { building, .. }
            | AssignmentProblem::NoBuilding { building, .. }
            | AssignmentProblem::NoUnit { building, .. } => Some(building),
        }
    }
}

/// The assignments the units' attributes make: building id → the index of the unit naming it, and the
/// problems of form (a value that is no list of ids, a building named by two units: assigned by neither).
pub fn read(units: &[Unit]) -> (BTreeMap<String, usize>, Vec<(usize, AssignmentProblem)>) {
    let mut named: BTreeMap<String, usize> = BTreeMap::new();
    let mut twice: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let unit = || u.id.0.clone();
        let list = match u.attributes.get(FIELD) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(list)) => list,
            Some(other) => {
                problems.push((i, AssignmentProblem::NotAList { unit: unit(), value: other.to_string() }));
                continue;
            }
        };
        for v in list {
            let Some(b) = v.as_str().map(str::trim).filter(|b| !b.is_empty()) else {
                problems.push((i, AssignmentProblem::NotAnId { unit: unit(), value: v.to_string() }));
                continue;
            };
            match named.get(b) {
                Some(&first) if first != i => {
                    let building = b.to_owned();
                    problems
                        .push((i, AssignmentProblem::Twice { building: building.clone(), first: units[first].id.0.clone(), unit: unit() }));
                    twice.entry(building).or_insert(first);
                }
                Some(_) => {}
                None => {
                    named.insert(b.to_owned(), i);
                }
            }
        }
    }
    for b in twice.keys() {
        named.remove(b);
    }
    (named, problems)
}

/// The problems a units layer carries in its own attributes (form, a building named twice, an assignment
/// to a unit that has units below it), with the index of the unit concerned. Empty: the layer may be stored.
pub fn check_layer(units: &[Unit]) -> Vec<(usize, AssignmentProblem)> {
    let (named, mut problems) = read(units);
    if named.is_empty() {
        return problems;
    }
    let parents: std::collections::HashSet<&UnitId> = units.iter().filter_map(|u| u.parent.as_ref()).collect();
    for (b, &i) in &named {
        if parents.contains(&units[i].id) {
            problems.push((i, AssignmentProblem::NotALeaf { building: b.clone(), unit: units[i].id.0.clone() }));
        }
    }
    problems.sort_by_key(|p| p.0);
    problems
}

/// Whether building `building` may be assigned to unit `unit` of `h`: the unit's index, or why not.
/// `exists` tells whether there is such a building.
pub fn judge(h: &Hierarchy, building: &str, unit: &UnitId, exists: bool) -> Result<usize, AssignmentProblem> {
    let names = || (building.to_owned(), unit.0.clone());
    match h.get(unit) {
        _ if !exists => {
            let (building, unit) = names();
            Err(AssignmentProblem::NoBuilding { building, unit })
        }
        None => {
            let (building, unit) = names();
            Err(AssignmentProblem::NoUnit { building, unit })
        }
        Some(i) if !h.children[i].is_empty() => {
            let (building, unit) = names();
            Err(AssignmentProblem::NotALeaf { building, unit })
        }
        Some(i) => Ok(i),
    }
}

/// The explicit assignments of `h`'s units that hold, as (building index, leaf index), and the stale ones.
pub fn resolve(h: &Hierarchy, buildings: &[Building]) -> (Vec<(usize, usize)>, Vec<AssignmentProblem>) {
    let (named, read_problems) = read(&h.units);
    let mut stale: Vec<AssignmentProblem> = read_problems.into_iter().map(|p| p.1).collect();
    if named.is_empty() {
        return (Vec::new(), stale);
    }
    // one pass over the buildings against the (few) named ids
    let want: HashMap<&str, usize> = named.keys().enumerate().map(|(k, b)| (b.as_str(), k)).collect();
    let mut at: Vec<Option<usize>> = vec![None; want.len()];
    for (i, b) in buildings.iter().enumerate() {
        if let Some(&k) = want.get(b.id.as_str()) {
            at[k].get_or_insert(i);
        }
    }
    let mut ok = Vec::with_capacity(named.len());
    for ((b, i), found) in named.iter().zip(at) {
        match judge(h, b, &h.units[*i].id, found.is_some()) {
            Ok(leaf) => ok.extend(found.map(|k| (k, leaf))),
            Err(p) => stale.push(p),
        }
    }
    ok.sort_unstable();
    (ok, stale)
}

/// A stale explicit assignment, as the integrity report lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StaleAssignment {
    /// The building named (none when the attribute itself is malformed).
    pub building: Option<String>,
    /// The unit naming it.
    pub unit: String,
    /// What kind of problem (`not_a_list`, `not_an_id`, `twice`, `not_a_leaf`, `no_building`, `no_unit`).
    pub problem: &'static str,
    /// The problem in words.
    pub message: String,
}

impl From<AssignmentProblem> for StaleAssignment {
    fn from(p: AssignmentProblem) -> Self {
        StaleAssignment { building: p.building().map(str::to_owned), unit: p.unit().to_owned(), problem: p.kind(), message: p.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Attributes, Level};
    use geo::{MultiPolygon, Rect};
    use serde_json::json;

    fn unit(id: &str, parent: Option<&str>, assigned: Option<Value>) -> Unit {
        let mut attributes = Attributes::new();
        if let Some(a) = assigned {
            attributes.insert(FIELD.into(), a);
        }
        Unit {
            id: id.into(),
            parent: parent.map(UnitId::from),
            level: Level(if parent.is_some() { "grid" } else { "community" }.into()),
            name: id.into(),
            geometry: MultiPolygon(vec![Rect::new((0.0, 0.0), (1.0, 1.0)).to_polygon()]),
            attributes,
        }
    }

    fn building(id: &str) -> Building {
        Building {
            id: id.into(),
            footprint: MultiPolygon(vec![]),
            households: None,
            population: None,
            floors: None,
            height: None,
            attributes: Attributes::new(),
        }
    }

    #[test]
    fn the_rule_case_by_case() {
        let h = Hierarchy::build(vec![
            unit("c", None, Some(json!(["B0"]))),
            unit("g1", Some("c"), Some(json!(["B1", "B2", "gone"]))),
            unit("g2", Some("c"), Some(json!(["B2", "B3", 7]))),
            unit("g3", Some("c"), Some(json!("B4"))),
        ])
        .expect("a hierarchy");
        let bs: Vec<Building> = ["B0", "B1", "B2", "B3", "B4"].into_iter().map(building).collect();
        let (ok, stale) = resolve(&h, &bs);
        // B1 → g1 and B3 → g2 hold; B0 names a unit with units below it, B2 is named twice, `gone` is no
        // building, 7 is no id, "B4" is no list
        assert_eq!(ok, vec![(1, 1), (3, 2)]);
        let mut kinds: Vec<&str> = stale.iter().map(AssignmentProblem::kind).collect();
        kinds.sort();
        assert_eq!(kinds, ["no_building", "not_a_leaf", "not_a_list", "not_an_id", "twice"]);
        let msgs: Vec<String> = stale.iter().map(ToString::to_string).collect();
        assert!(msgs.contains(&"building B2 is assigned to both unit g1 and unit g2".to_owned()), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.starts_with("building B0 is assigned to unit c, which has units below it")), "{msgs:?}");
        assert!(msgs.contains(&"building gone is assigned to unit g1, but there is no building gone".to_owned()), "{msgs:?}");
    }

    #[test]
    fn the_layer_check_sees_what_the_layer_alone_shows() {
        let units = vec![
            unit("c", None, Some(json!(["B0"]))),
            unit("g1", Some("c"), Some(json!(["B1", "B2"]))),
            unit("g2", Some("c"), Some(json!(["B2"]))),
            unit("g3", Some("c"), None),
        ];
        let p = check_layer(&units);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0], (0, AssignmentProblem::NotALeaf { building: "B0".into(), unit: "c".into() }));
        assert_eq!(p[1], (2, AssignmentProblem::Twice { building: "B2".into(), first: "g1".into(), unit: "g2".into() }));
        // no attribute anywhere: nothing to say; a unit listing a building twice itself is harmless
        assert!(check_layer(&[unit("c", None, None), unit("g", Some("c"), Some(json!(["B", "B"])))]).is_empty());
        assert!(check_layer(&[]).is_empty());
    }

    #[test]
    fn a_stale_assignment_names_building_and_unit() {
        let s = StaleAssignment::from(AssignmentProblem::NoUnit { building: "B".into(), unit: "g9".into() });
        let v = serde_json::to_value(&s).expect("json");
        assert_eq!(v["building"], "B");
        assert_eq!(v["unit"], "g9");
        assert_eq!(v["problem"], "no_unit");
        assert_eq!(v["message"], "building B is assigned to unit g9, which is not a unit of this layer");
    }
}
