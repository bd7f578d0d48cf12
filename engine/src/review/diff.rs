//! What moves between a base units layer and an edited one: units added,
//! removed and reshaped; buildings, households and population moved from
//! which leaf to which; and per unit the households, population, buildings,
//! incidents and covered share before and after.
//!
//! Method: both layers come as [`Validator`]s, which hold each building's
//! leaf (largest share of the footprint, then the scenario's overrides);
//! a building moves when its leaf id differs. Incidents are located in
//! both layers with [`PointLocator`] (the store's crossing-number test,
//! deepest unit) and counted up each chain of parents. Covered share is the
//! camera coverage map's own computation ([`Cell::new`] then
//! [`cover_cell`] with the dataset's views) on the unit's geometry: covered
//! open ground over open ground, equal to the map's figure for a leaf.
//! O(b + i·log n + n) plus one coverage cell per unit listed.

use std::collections::{BTreeMap, BTreeSet};

use geo::{LineString, MultiPolygon};
use serde::Serialize;
use serde_json::{Value, json};

use crate::cameras::cells::{Cell, cover_cell};
use crate::cameras::map::CameraCoverage;
use crate::model::{Building, Incident, UnitId};
use crate::review::finding::{Location, linestring_json, multipolygon_json};
use crate::review::{ReviewError, Validator};
use crate::units::assign::PointLocator;
use crate::units::hierarchy::Hierarchy;

/// What the diff needs besides the two layers.
#[derive(Debug, Clone, Copy)]
pub struct DiffInputs<'a> {
    /// The buildings both validators were given.
    pub buildings: &'a [Building],
    pub incidents: &'a [Incident],
    /// The dataset's camera coverage (views and scene); None leaves the shares out.
    pub coverage: Option<&'a CameraCoverage>,
}

/// A unit added or removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitEntry {
    pub unit: UnitId,
    pub name: String,
    pub level: String,
    pub area_m2: f64,
    pub location: Option<Location>,
}

/// A unit whose geometry changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reshaped {
    pub unit: UnitId,
    pub name: String,
    pub level: String,
    pub area_before_m2: f64,
    pub area_after_m2: f64,
    pub change_m2: f64,
    pub location: Option<Location>,
}

/// One building that changes leaf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Move {
    pub building: String,
    /// Its leaf in the base layer (None: in no leaf).
    pub from: Option<UnitId>,
    pub to: Option<UnitId>,
    pub households: u64,
    pub population: u64,
    pub location: Option<Location>,
    #[serde(skip)]
    pub footprint: MultiPolygon<f64>,
}

/// Everything moving from one leaf to another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    pub from: Option<UnitId>,
    pub to: Option<UnitId>,
    pub buildings: u64,
    pub households: u64,
    pub population: u64,
}

/// Sums of the moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MoveTotals {
    pub buildings: u64,
    pub households: u64,
    pub population: u64,
}

/// A unit's figures before and after (a unit's figures include the units below it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitDelta {
    pub unit: UnitId,
    pub level: String,
    pub in_base: bool,
    pub in_edited: bool,
    pub households_before: u64,
    pub households_after: u64,
    pub population_before: u64,
    pub population_after: u64,
    pub buildings_before: u64,
    pub buildings_after: u64,
    pub incidents_before: u64,
    pub incidents_after: u64,
    pub covered_share_before: Option<f64>,
    pub covered_share_after: Option<f64>,
}

/// What moves.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LayerDiff {
    pub units_added: Vec<UnitEntry>,
    pub units_removed: Vec<UnitEntry>,
    pub units_reshaped: Vec<Reshaped>,
    pub moves: Vec<Move>,
    pub flows: Vec<Flow>,
    pub totals: MoveTotals,
    pub units: Vec<UnitDelta>,
    /// Anchors of the units named by flows (for the flow lines).
    #[serde(skip)]
    anchors: BTreeMap<UnitId, [f64; 2]>,
}

fn entry(v: &Validator, i: usize) -> UnitEntry {
    let u = &v.hierarchy().units[i];
    UnitEntry {
        unit: u.id.clone(),
        name: u.name.clone(),
        level: u.level.0.clone(),
        area_m2: v.shape(&u.id).map_or(0.0, |s| s.area_m2),
        location: v.location(&u.id),
    }
}

/// Incidents per unit (its subtree), by id.
fn incident_counts(h: &Hierarchy, incidents: &[Incident]) -> Vec<u64> {
    let loc = PointLocator::new(h);
    let pts: Vec<(f64, f64)> = incidents.iter().map(|n| (n.position.x(), n.position.y())).collect();
    let mut out = vec![0u64; h.len()];
    for hit in loc.locate_all(&pts).into_iter().flatten() {
        for u in h.chain(hit) {
            out[u] += 1;
        }
    }
    out
}

/// Covered share of a geometry's open ground with the coverage map's views.
fn covered_share(cov: &CameraCoverage, g: &MultiPolygon<f64>) -> f64 {
    let cell = Cell::new(0, &cov.scene.proj.project_multi(g), &cov.scene);
    let views: Vec<&MultiPolygon<f64>> = cov.views.iter().map(|v| &v.polygon).collect();
    let c = cover_cell(&cell, &views);
    if cell.ground_m2 > 0.0 { (c.covered_m2 / cell.ground_m2).min(1.0) } else { 0.0 }
}

/// What moves from `base` to `edited`.
pub fn diff(base: &Validator, edited: &Validator, inputs: &DiffInputs) -> Result<LayerDiff, ReviewError> {
    let (hb, he) = (base.hierarchy(), edited.hierarchy());
    let n = inputs.buildings.len();
    for v in [base, edited] {
        if v.building_count() != n {
            return Err(ReviewError::BuildingsChanged { was: v.building_count(), now: n });
        }
    }
    let mut d = LayerDiff::default();
    for (i, u) in hb.units.iter().enumerate() {
        match he.get(&u.id) {
            None => d.units_removed.push(entry(base, i)),
            Some(j) if he.units[j].geometry != u.geometry => {
                let (a, b) = (base.shape(&u.id).map_or(0.0, |s| s.area_m2), edited.shape(&u.id).map_or(0.0, |s| s.area_m2));
                d.units_reshaped.push(Reshaped {
                    unit: u.id.clone(),
                    name: he.units[j].name.clone(),
                    level: he.units[j].level.0.clone(),
                    area_before_m2: a,
                    area_after_m2: b,
                    change_m2: b - a,
                    location: edited.location(&u.id),
                });
            }
            Some(_) => {}
        }
    }
    for (j, u) in he.units.iter().enumerate() {
        if hb.get(&u.id).is_none() {
            d.units_added.push(entry(edited, j));
        }
    }
    // buildings that change leaf
    let mut flows: BTreeMap<(Option<UnitId>, Option<UnitId>), Flow> = BTreeMap::new();
    for (k, b) in inputs.buildings.iter().enumerate() {
        let (from, to) = (base.leaf_of_building(k), edited.leaf_of_building(k));
        if from == to {
            continue;
        }
        let (hh, pop) = (u64::from(b.households.unwrap_or(0)), u64::from(b.population.unwrap_or(0)));
        let (from, to) = (from.cloned(), to.cloned());
        let f = flows.entry((from.clone(), to.clone())).or_insert(Flow {
            from: from.clone(),
            to: to.clone(),
            buildings: 0,
            households: 0,
            population: 0,
        });
        f.buildings += 1;
        f.households += hh;
        f.population += pop;
        d.totals.buildings += 1;
        d.totals.households += hh;
        d.totals.population += pop;
        d.moves.push(Move {
            building: b.id.clone(),
            from,
            to,
            households: hh,
            population: pop,
            location: Location::of(&b.footprint),
            footprint: b.footprint.clone(),
        });
    }
    d.flows = flows.into_values().collect();
    for f in &d.flows {
        for (v, id) in [(base, f.from.as_ref()), (edited, f.to.as_ref())] {
            if let Some(id) = id
                && let Some(l) = v.location(id)
            {
                d.anchors.insert(id.clone(), l.point);
            }
        }
    }
    // per unit figures
    let (ib, ie) = (incident_counts(hb, inputs.incidents), incident_counts(he, inputs.incidents));
    let ids: BTreeSet<&UnitId> = hb.units.iter().chain(&he.units).map(|u| &u.id).collect();
    for id in ids {
        let (bi, ei) = (hb.get(id), he.get(id));
        let (lb, le) = (base.load(id).unwrap_or_default(), edited.load(id).unwrap_or_default());
        let (gb, ge) = (bi.map(|i| &hb.units[i].geometry), ei.map(|j| &he.units[j].geometry));
        let reshaped = gb != ge;
        let (nb, ne) = (bi.map_or(0, |i| ib[i]), ei.map_or(0, |j| ie[j]));
        if !reshaped && lb == le && nb == ne {
            continue;
        }
        let share = |g: Option<&MultiPolygon<f64>>| inputs.coverage.and_then(|c| g.map(|g| covered_share(c, g)));
        let before = share(gb);
        let after = if reshaped { share(ge) } else { before };
        let level = ei.map(|j| &he.units[j].level).or(bi.map(|i| &hb.units[i].level)).map_or(String::new(), |l| l.0.clone());
        d.units.push(UnitDelta {
            unit: id.clone(),
            level,
            in_base: bi.is_some(),
            in_edited: ei.is_some(),
            households_before: lb.households,
            households_after: le.households,
            population_before: lb.population,
            population_after: le.population,
            buildings_before: lb.buildings,
            buildings_after: le.buildings,
            incidents_before: nb,
            incidents_after: ne,
            covered_share_before: before,
            covered_share_after: after,
        });
    }
    Ok(d)
}

impl LayerDiff {
    /// One feature per moved building: its footprint, with the move's fields.
    pub fn moves_geojson(&self) -> Value {
        let features: Vec<Value> = self
            .moves
            .iter()
            .map(|m| {
                json!({
                    "type": "Feature",
                    "geometry": multipolygon_json(&m.footprint),
                    "properties": { "building": m.building, "from": m.from, "to": m.to,
                                    "households": m.households, "population": m.population },
                })
            })
            .collect();
        json!({ "type": "FeatureCollection", "features": features })
    }

    /// One line per flow, from a point inside the base leaf to a point inside the edited leaf
    /// (flows from or to no leaf are left out).
    pub fn flows_geojson(&self) -> Value {
        let features: Vec<Value> = self
            .flows
            .iter()
            .filter_map(|f| {
                let a = self.anchors.get(f.from.as_ref()?)?;
                let b = self.anchors.get(f.to.as_ref()?)?;
                let line = LineString::from(vec![(a[0], a[1]), (b[0], b[1])]);
                Some(json!({
                    "type": "Feature",
                    "geometry": linestring_json(&line),
                    "properties": { "from": f.from, "to": f.to, "buildings": f.buildings,
                                    "households": f.households, "population": f.population },
                }))
            })
            .collect();
        json!({ "type": "FeatureCollection", "features": features })
    }
}
