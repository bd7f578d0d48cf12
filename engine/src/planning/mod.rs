//! Planning: a draft of the units layer edited by operations (issue 15).
//!
//! A [`Draft`] is a units layer plus per-scenario building reassignments
//! (overrides of the point-in-polygon assignment). An [`Op`] is one edit,
//! serialisable so a scenario's log can be stored; [`apply`] takes a draft and
//! an op and returns the next draft, or a [`PlanError`] naming what is wrong
//! (unknown id, a line that does not cross the unit, units that are not
//! neighbours…). The draft before an op is its snapshot: undo replays the log
//! from the base (`history.rs`).
//!
//! Geometry work is done in a local metric projection centred on the units
//! concerned (`geometry::projection`); coordinates stay WGS84 lon/lat at this edge.
//! Unit codes (GB/T 30428.1) are checked and proposed in `codes.rs`.

pub mod codes;
pub mod geojson;
pub mod history;
pub mod merge;
pub mod split;
pub mod vertex;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Attributes, Level, Unit, UnitId};
use crate::units::explicit;

/// Vertices closer than this (metres) are the same vertex: a shared vertex moves for every unit holding it.
pub const SNAP_M: f64 = 0.05;

/// One edit of a draft. Serialised with a tag `op` (`{"op": "split", …}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Cut `unit` in two by a drawn line (lon/lat); the pieces get `ids` (or `<id>-1`, `<id>-2`) and proposed codes.
    Split {
        unit: String,
        line: Vec<[f64; 2]>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ids: Option<[String; 2]>,
    },
    /// Join neighbouring units of one parent into one new unit (`id`, or the first id with `-m`).
    Merge {
        units: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Move the vertex at `at` (within [`SNAP_M`]) to `to`, in every unit holding it.
    MoveVertex { at: [f64; 2], to: [f64; 2] },
    /// Insert a vertex at `at` into every unit edge passing within [`SNAP_M`] of it.
    AddVertex { at: [f64; 2] },
    /// Remove the vertex at `at` from every unit holding it.
    DeleteVertex { at: [f64; 2] },
    /// Assign a building to `to` whatever its footprint says; `to: null` drops the override.
    ReassignBuilding { building: String, to: Option<String> },
    /// Change a unit's name, code or attributes (an attribute set to null is removed).
    SetAttributes {
        unit: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// `Some(None)` (JSON null) removes the code.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]
        code: Option<Option<String>>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        attributes: BTreeMap<String, Value>,
    },
    /// Replace a unit's geometry by a GeoJSON Polygon or MultiPolygon.
    SetGeometry { unit: String, geometry: Value },
    /// Replace the whole layer (a file edited elsewhere).
    ReplaceLayer { units: Vec<UnitRecord> },
}

/// `Option<Option<T>>` where a present null is `Some(None)`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Option<String>>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

/// A unit as data (GeoJSON geometry), for ops and stored drafts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRecord {
    pub id: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    pub level: String,
    #[serde(default)]
    pub name: String,
    pub geometry: Value,
    #[serde(default)]
    pub attributes: Attributes,
}

impl UnitRecord {
    pub fn of(u: &Unit) -> UnitRecord {
        UnitRecord {
            id: u.id.0.clone(),
            parent_id: u.parent.as_ref().map(|p| p.0.clone()),
            level: u.level.0.clone(),
            name: u.name.clone(),
            geometry: geojson::to_value(&u.geometry),
            attributes: u.attributes.clone(),
        }
    }

    pub fn to_unit(&self) -> Result<Unit, PlanError> {
        let geometry = geojson::from_value(&self.geometry).map_err(|problem| PlanError::Geometry { unit: self.id.clone(), problem })?;
        Ok(Unit {
            id: UnitId(self.id.clone()),
            parent: self.parent_id.clone().map(UnitId),
            level: Level(self.level.clone()),
            name: if self.name.is_empty() { self.id.clone() } else { self.name.clone() },
            geometry,
            attributes: self.attributes.clone(),
        })
    }
}

/// The state of a scenario: the units and the building reassignments.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub units: Vec<Unit>,
    /// Building id → the unit it is assigned to whatever its footprint says.
    pub overrides: BTreeMap<String, UnitId>,
}

/// A draft as data (stored as JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DraftRecord {
    pub units: Vec<UnitRecord>,
    #[serde(default)]
    pub overrides: BTreeMap<String, String>,
}

impl Draft {
    pub fn new(units: Vec<Unit>) -> Draft {
        Draft { units, overrides: BTreeMap::new() }
    }

    pub fn record(&self) -> DraftRecord {
        DraftRecord {
            units: self.units.iter().map(UnitRecord::of).collect(),
            overrides: self.overrides.iter().map(|(b, u)| (b.clone(), u.0.clone())).collect(),
        }
    }

    pub fn from_record(r: &DraftRecord) -> Result<Draft, PlanError> {
        Ok(Draft {
            units: r.units.iter().map(UnitRecord::to_unit).collect::<Result<_, _>>()?,
            overrides: r.overrides.iter().map(|(b, u)| (b.clone(), UnitId(u.clone()))).collect(),
        })
    }

    /// Position of unit `id`.
    pub fn find(&self, id: &str) -> Result<usize, PlanError> {
        self.units.iter().position(|u| u.id.0 == id).ok_or_else(|| PlanError::UnknownUnit(id.to_owned()))
    }
}

/// Why an op cannot be applied. The messages are shown to the planner.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error("no unit with id {0} in the draft")]
    UnknownUnit(String),
    #[error("a unit with id {0} exists already")]
    DuplicateId(String),
    #[error("the line must have at least two points (it has {0})")]
    ShortLine(usize),
    #[error("the line crosses itself")]
    LineCrossesItself,
    #[error("the line does not cross unit {0} (both sides must keep some area)")]
    LineMissesUnit(String),
    #[error("a merge needs at least two distinct units")]
    MergeTooFew,
    #[error("units {a} and {b} have different parents ({}, {})", pa.as_deref().unwrap_or("none"), pb.as_deref().unwrap_or("none"))]
    DifferentParents { a: String, b: String, pa: Option<String>, pb: Option<String> },
    #[error("units {a} and {b} are of different levels ({la}, {lb})")]
    DifferentLevels { a: String, b: String, la: String, lb: String },
    #[error("unit {0} shares no boundary with the other units of the merge")]
    NotAdjacent(String),
    #[error("no unit has a vertex within {SNAP_M} m of ({}, {})", .0[0], .0[1])]
    NoVertex([f64; 2]),
    #[error("no unit edge passes within {SNAP_M} m of ({}, {})", .0[0], .0[1])]
    NoEdge([f64; 2]),
    #[error("({}, {}) is already a vertex of unit {}", .0[0], .0[1], .1)]
    VertexExists([f64; 2], String),
    #[error("removing the vertex would leave a ring of unit {0} with fewer than three corners")]
    RingTooSmall(String),
    #[error("coordinate ({}, {}) is not a WGS84 lon/lat", .0[0], .0[1])]
    BadCoordinate([f64; 2]),
    #[error("unit {unit}: {problem}")]
    Geometry { unit: String, problem: String },
    #[error("unit {unit}: code {code}: {problem}")]
    Code { unit: String, code: String, problem: String },
    #[error("{0}")]
    Assignment(explicit::AssignmentProblem),
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("nothing to redo")]
    NothingToRedo,
}

/// What an op changed (ids), for the answer and the scope check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Change {
    /// Units whose geometry or attributes changed (kept ids).
    pub changed: Vec<String>,
    /// Units the op created.
    pub created: Vec<String>,
    /// Units the op removed.
    pub removed: Vec<String>,
}

/// Apply one op to a draft: the next draft and what changed. The input draft is left as it was (it is the snapshot).
pub fn apply(draft: &Draft, op: &Op) -> Result<(Draft, Change), PlanError> {
    let mut next = draft.clone();
    let change = match op {
        Op::Split { unit, line, ids } => split::split(&mut next, unit, line, ids.as_ref())?,
        Op::Merge { units, id } => merge::merge(&mut next, units, id.as_deref())?,
        Op::MoveVertex { at, to } => vertex::move_vertex(&mut next, *at, *to)?,
        Op::AddVertex { at } => vertex::add_vertex(&mut next, *at)?,
        Op::DeleteVertex { at } => vertex::delete_vertex(&mut next, *at)?,
        Op::ReassignBuilding { building, to } => {
            let was = match to {
                Some(t) => {
                    next.find(t)?;
                    let id = UnitId(t.clone());
                    if next.units.iter().any(|u| u.parent.as_ref() == Some(&id)) {
                        return Err(PlanError::Assignment(explicit::AssignmentProblem::NotALeaf {
                            building: building.clone(),
                            unit: t.clone(),
                        }));
                    }
                    next.overrides.insert(building.clone(), id)
                }
                None => next.overrides.remove(building),
            };
            let mut changed: Vec<String> = to.iter().cloned().collect();
            changed.extend(was.map(|u| u.0).filter(|u| !changed.contains(u) && next.find(u).is_ok()));
            Change { changed, ..Change::default() }
        }
        Op::SetAttributes { unit, name, code, attributes } => {
            let i = next.find(unit)?;
            let u = &mut next.units[i];
            if let Some(n) = name {
                u.name = n.clone();
            }
            for (k, v) in attributes {
                if v.is_null() {
                    u.attributes.remove(k);
                } else {
                    u.attributes.insert(k.clone(), v.clone());
                }
            }
            match code {
                Some(Some(c)) => {
                    u.attributes.insert(codes::FIELD.to_owned(), Value::String(c.clone()));
                }
                Some(None) => {
                    u.attributes.remove(codes::FIELD);
                }
                None => {}
            }
            codes::check_unit(&next.units, i).map_err(|e| e.into_plan())?;
            Change { changed: vec![unit.clone()], ..Change::default() }
        }
        Op::SetGeometry { unit, geometry } => {
            let i = next.find(unit)?;
            next.units[i].geometry =
                geojson::from_value(geometry).map_err(|problem| PlanError::Geometry { unit: unit.clone(), problem })?;
            Change { changed: vec![unit.clone()], ..Change::default() }
        }
        Op::ReplaceLayer { units } => {
            let mut new: Vec<Unit> = units.iter().map(UnitRecord::to_unit).collect::<Result<_, _>>()?;
            let mut seen = std::collections::HashSet::new();
            for u in &new {
                if !seen.insert(u.id.0.clone()) {
                    return Err(PlanError::DuplicateId(u.id.0.clone()));
                }
            }
            // reassignments the file carries (`assigned_buildings`, as published) replace the draft's
            let carried = take_assignments(&mut new)?;
            let mut change = layer_change(&draft.units, &new);
            next.units = new;
            match carried {
                Some(o) => next.overrides = o,
                None => next.overrides.retain(|_, u| seen.contains(&u.0)),
            }
            note_reassigned(&mut change, &draft.overrides, &next.overrides);
            change
        }
    };
    Ok((next, change))
}

/// Take the explicit assignments (`assigned_buildings`, [`explicit::FIELD`]) off the units as reassignments:
/// None when no unit carries the attribute; refused when one is malformed, names a building another unit
/// names too, or is on a unit with units below it.
pub fn take_assignments(units: &mut [Unit]) -> Result<Option<BTreeMap<String, UnitId>>, PlanError> {
    if !units.iter().any(|u| u.attributes.contains_key(explicit::FIELD)) {
        return Ok(None);
    }
    if let Some((_, p)) = explicit::check_layer(units).into_iter().next() {
        return Err(PlanError::Assignment(p));
    }
    let (named, _) = explicit::read(units);
    let overrides = named.into_iter().map(|(b, i)| (b, units[i].id.clone())).collect();
    for u in units.iter_mut() {
        u.attributes.remove(explicit::FIELD);
    }
    Ok(Some(overrides))
}

/// Add to `change.changed` the kept units that gain or lose a reassigned building.
fn note_reassigned(change: &mut Change, before: &BTreeMap<String, UnitId>, after: &BTreeMap<String, UnitId>) {
    let mut touched: Vec<&UnitId> = Vec::new();
    for (b, u) in before {
        if after.get(b) != Some(u) {
            touched.push(u);
        }
    }
    for (b, u) in after {
        if before.get(b) != Some(u) {
            touched.push(u);
        }
    }
    for u in touched {
        let id = &u.0;
        if !change.changed.contains(id) && !change.created.contains(id) && !change.removed.contains(id) {
            change.changed.push(id.clone());
        }
    }
}

/// Which units differ between two drafts: [`layer_change`] of their units, plus the kept units that gain or lose
/// a reassigned building (what an undo changed, as [`apply`] reports it for the op).
pub fn draft_change(before: &Draft, after: &Draft) -> Change {
    let mut change = layer_change(&before.units, &after.units);
    note_reassigned(&mut change, &before.overrides, &after.overrides);
    change
}

/// Which units differ between two layers (by id: geometry, parent, level, name or attributes).
pub fn layer_change(old: &[Unit], new: &[Unit]) -> Change {
    let by_id: BTreeMap<&str, &Unit> = old.iter().map(|u| (u.id.0.as_str(), u)).collect();
    let new_ids: std::collections::HashSet<&str> = new.iter().map(|u| u.id.0.as_str()).collect();
    let mut c = Change::default();
    for u in new {
        match by_id.get(u.id.0.as_str()) {
            None => c.created.push(u.id.0.clone()),
            Some(o) => {
                if o.geometry != u.geometry
                    || o.parent != u.parent
                    || o.level != u.level
                    || o.name != u.name
                    || o.attributes != u.attributes
                {
                    c.changed.push(u.id.0.clone());
                }
            }
        }
    }
    c.removed = old.iter().filter(|u| !new_ids.contains(u.id.0.as_str())).map(|u| u.id.0.clone()).collect();
    c
}

/// A fresh id based on `want`: `want` itself if free, else `want-2`, `want-3`…
pub(crate) fn fresh_id(units: &[Unit], want: &str) -> String {
    let taken = |s: &str| units.iter().any(|u| u.id.0 == s);
    if !taken(want) {
        return want.to_owned();
    }
    (2..).map(|k| format!("{want}-{k}")).find(|s| !taken(s)).unwrap_or_else(|| want.to_owned())
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::model::{Attributes, Level, Unit, UnitId};
    use geo::{MultiPolygon, polygon};

    /// Degrees per metre near (120.4, 36.06), roughly: tests build metre-sized squares.
    pub const D: f64 = 1.0 / 100_000.0;

    /// An axis-aligned square unit `(x0, y0)`–`(x1, y1)` in units of [`D`] around (120.4, 36.06).
    pub fn square(id: &str, parent: Option<&str>, level: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> Unit {
        let (bx, by) = (120.4, 36.06);
        let p = polygon![
            (x: bx + x0 * D, y: by + y0 * D),
            (x: bx + x1 * D, y: by + y0 * D),
            (x: bx + x1 * D, y: by + y1 * D),
            (x: bx + x0 * D, y: by + y1 * D),
        ];
        Unit {
            id: UnitId(id.into()),
            parent: parent.map(UnitId::from),
            level: Level(level.into()),
            name: id.into(),
            geometry: MultiPolygon(vec![p]),
            attributes: Attributes::new(),
        }
    }

    /// A community 0..200 × 0..100 with two grids 0..100 and 100..200.
    pub fn two_grids() -> Vec<Unit> {
        vec![
            square("c", None, "community", 0.0, 0.0, 200.0, 100.0),
            square("g1", Some("c"), "grid", 0.0, 0.0, 100.0, 100.0),
            square("g2", Some("c"), "grid", 100.0, 0.0, 200.0, 100.0),
        ]
    }

    pub fn coord(x: f64, y: f64) -> [f64; 2] {
        [120.4 + x * D, 36.06 + y * D]
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn ops_round_trip_through_json() {
        let ops = vec![
            Op::Split { unit: "g1".into(), line: vec![coord(50.0, -10.0), coord(50.0, 110.0)], ids: None },
            Op::Merge { units: vec!["a".into(), "b".into()], id: Some("ab".into()) },
            Op::MoveVertex { at: coord(0.0, 0.0), to: coord(1.0, 1.0) },
            Op::SetAttributes { unit: "g1".into(), name: None, code: Some(None), attributes: BTreeMap::new() },
            Op::ReassignBuilding { building: "B1".into(), to: Some("g2".into()) },
        ];
        for op in ops {
            // serde_json (without its float_roundtrip feature) may read a float 1 ulp off: compare the text
            let s = serde_json::to_string(&op).expect("json");
            let back: Op = serde_json::from_str(&s).expect("parse");
            let again = serde_json::to_string(&back).expect("json");
            let back2: Op = serde_json::from_str(&again).expect("parse");
            assert_eq!(back2, back, "{s}");
            assert_eq!(std::mem::discriminant(&back), std::mem::discriminant(&op));
        }
        let bad = serde_json::from_str::<Op>(r#"{"op":"explode","unit":"x"}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn unknown_ids_are_named() {
        let d = Draft::new(two_grids());
        let e = apply(&d, &Op::SetAttributes { unit: "nope".into(), name: Some("x".into()), code: None, attributes: BTreeMap::new() });
        assert_eq!(e.err().map(|e| e.to_string()), Some("no unit with id nope in the draft".into()));
        let e = apply(&d, &Op::ReassignBuilding { building: "B".into(), to: Some("zz".into()) });
        assert!(matches!(e, Err(PlanError::UnknownUnit(ref s)) if s == "zz"));
    }

    #[test]
    fn a_replaced_layer_brings_its_assignments_and_is_refused_when_they_are_wrong() {
        let mut d = Draft::new(two_grids());
        d.overrides.insert("B0".into(), UnitId::from("g1"));
        let mut units = two_grids();
        units[2].attributes.insert(explicit::FIELD.into(), serde_json::json!(["B1", "B2"]));
        let op = Op::ReplaceLayer { units: units.iter().map(UnitRecord::of).collect() };
        let (n, change) = apply(&d, &op).expect("applied");
        // the file's assignments replace the draft's; the attribute leaves the units (it lives in the overrides)
        let want: BTreeMap<String, UnitId> =
            [("B1", "g2"), ("B2", "g2")].into_iter().map(|(b, u)| (b.to_owned(), UnitId::from(u))).collect();
        assert_eq!(n.overrides, want);
        assert!(n.units.iter().all(|u| !u.attributes.contains_key(explicit::FIELD)));
        assert_eq!(change.changed, vec!["g1".to_owned(), "g2".to_owned()], "g1 loses B0, g2 gains B1 and B2");
        // a file without the attribute keeps the draft's reassignments
        let plain = Op::ReplaceLayer { units: two_grids().iter().map(UnitRecord::of).collect() };
        assert_eq!(apply(&d, &plain).expect("applied").0.overrides, d.overrides);
        // an assignment to a unit with units below it, and a building named twice, are refused by name
        let mut bad = two_grids();
        bad[0].attributes.insert(explicit::FIELD.into(), serde_json::json!(["B9"]));
        let e = apply(&d, &Op::ReplaceLayer { units: bad.iter().map(UnitRecord::of).collect() }).expect_err("refused");
        assert!(e.to_string().starts_with("building B9 is assigned to unit c, which has units below it"), "{e}");
        let mut twice = two_grids();
        twice[1].attributes.insert(explicit::FIELD.into(), serde_json::json!(["B1"]));
        twice[2].attributes.insert(explicit::FIELD.into(), serde_json::json!(["B1"]));
        let e = apply(&d, &Op::ReplaceLayer { units: twice.iter().map(UnitRecord::of).collect() }).expect_err("refused");
        assert_eq!(e.to_string(), "building B1 is assigned to both unit g1 and unit g2");
        // reassigning to a unit with units below it is refused too
        let e = apply(&d, &Op::ReassignBuilding { building: "B".into(), to: Some("c".into()) }).expect_err("refused");
        assert!(matches!(e, PlanError::Assignment(explicit::AssignmentProblem::NotALeaf { .. })), "{e}");
    }

    #[test]
    fn reassignment_is_kept_and_dropped() {
        let d = Draft::new(two_grids());
        let (d2, _) = apply(&d, &Op::ReassignBuilding { building: "B".into(), to: Some("g2".into()) }).expect("ok");
        assert_eq!(d2.overrides.get("B").map(|u| u.0.as_str()), Some("g2"));
        let (d3, _) = apply(&d2, &Op::ReassignBuilding { building: "B".into(), to: None }).expect("ok");
        assert!(d3.overrides.is_empty());
        let rec = d2.record();
        let back = Draft::from_record(&rec).expect("back");
        assert_eq!(back.overrides, d2.overrides);
        assert_eq!(back.units.len(), 3);
        assert_eq!(back.units[1].geometry, d2.units[1].geometry);
    }
}
