//! The neighbour graph of one level of units, with what the API and the CLI
//! show of it: adjacency pairs (same or cross parent, and where their
//! ancestors meet), proposed or imported alliances (毗邻型联盟) and AB-post
//! pairs (AB岗). The engine does the work on the units handed to it (a
//! stored layer today, a planner's draft later); this module picks a level
//! of the loaded dataset and turns indices back into unit ids.

use std::io::Write;

use geo::{BoundingRect, Centroid, Coord, Euclidean, Geometry, Length, LineString};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use wangge_engine::dataset::Dataset;
use wangge_engine::geometry::index::rect_union;
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::groups::abpost::{AbOptions, AbResult, Fallback, PairWeight, ab_pairs};
use wangge_engine::groups::adjacency::{Adjacency, AdjacencyOptions, Contact, adjacency};
use wangge_engine::groups::alliance::{AllianceSpec, Alliances, UnitGraph, evaluate, propose};

use crate::geojson_out::{collection, feature, unit_feature};

/// What the balance of alliances counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WeightBy {
    #[default]
    Population,
    Households,
    Units,
}

impl WeightBy {
    pub fn parse(s: &str) -> Result<WeightBy, String> {
        match s {
            "population" => Ok(WeightBy::Population),
            "households" => Ok(WeightBy::Households),
            "units" => Ok(WeightBy::Units),
            _ => Err(format!("unknown weight {s:?}: use population, households or units")),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            WeightBy::Population => "population",
            WeightBy::Households => "households",
            WeightBy::Units => "units",
        }
    }
}

/// Parse a pairing weight name.
pub fn pair_weight(s: &str) -> Result<PairWeight, String> {
    match s {
        "shared" => Ok(PairWeight::Shared),
        "closeness" => Ok(PairWeight::Closeness),
        _ => Err(format!("unknown pairing weight {s:?}: use shared or closeness")),
    }
}

/// One level of units with its neighbour graph.
#[derive(Debug)]
pub struct LevelGraph<'a> {
    pub d: &'a Dataset,
    pub level: String,
    pub opts: AdjacencyOptions,
    /// Hierarchy indices of the level's units; the graph's indices point here.
    pub units: Vec<usize>,
    pub adjacency: Adjacency,
    /// Centroids in metres (local projection of the level).
    pub centres: Vec<[f64; 2]>,
    pub perimeter_m: Vec<f64>,
}

/// Build the neighbour graph of a level.
pub fn level_graph<'a>(d: &'a Dataset, level: &str, opts: AdjacencyOptions) -> Result<LevelGraph<'a>, String> {
    let h = &d.hierarchy;
    if !h.levels.iter().any(|l| l.0 == level) {
        let known: Vec<&str> = h.levels.iter().map(|l| l.0.as_str()).collect();
        return Err(format!("unknown level {level:?}; levels are {}", known.join(", ")));
    }
    if !(opts.tolerance_m.is_finite() && (0.0..=100.0).contains(&opts.tolerance_m)) {
        return Err(format!("tolerance {} m: expected 0 to 100", opts.tolerance_m));
    }
    if !(opts.min_shared_m.is_finite() && opts.min_shared_m >= 0.0) {
        return Err(format!("minimum shared length {} m: expected 0 or more", opts.min_shared_m));
    }
    let units: Vec<usize> = (0..h.len()).filter(|&i| h.units[i].level.0 == level).collect();
    let geoms: Vec<_> = units.iter().map(|&i| &h.units[i].geometry).collect();
    let adjacency = adjacency(&geoms, &opts);
    let bb = geoms.iter().filter_map(|g| g.bounding_rect()).reduce(rect_union);
    let proj = bb.map_or(LocalProjection::new(0.0, 0.0), LocalProjection::for_rect);
    let mut centres = Vec::with_capacity(units.len());
    let mut perimeter_m = Vec::with_capacity(units.len());
    for g in &geoms {
        let m = proj.project_multi(g);
        centres.push(m.centroid().map_or([0.0, 0.0], |c| [c.x(), c.y()]));
        perimeter_m.push(m.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).map(|r| Euclidean.length(r)).sum());
    }
    Ok(LevelGraph { d, level: level.to_owned(), opts, units, adjacency, centres, perimeter_m })
}

impl LevelGraph<'_> {
    fn id(&self, k: usize) -> &str {
        &self.d.hierarchy.units[self.units[k]].id.0
    }

    fn parent_of(&self, k: usize) -> Option<usize> {
        self.d.hierarchy.parent[self.units[k]]
    }

    /// A point inside the unit (lon/lat) for links and labels.
    fn anchor(&self, k: usize) -> Coord<f64> {
        let u = &self.d.hierarchy.units[self.units[k]];
        wangge_engine::synth::inside_point(u).unwrap_or_default()
    }

    /// Edge neighbours as (a, b, shared metres).
    pub fn rook_edges(&self) -> Vec<(usize, usize, f64)> {
        self.adjacency.pairs.iter().filter(|p| p.contact == Contact::Rook).map(|p| (p.a, p.b, p.shared_m)).collect()
    }

    fn pair_fields(&self, a: usize, b: usize) -> Map<String, Value> {
        let h = &self.d.hierarchy;
        let (ia, ib) = (self.units[a], self.units[b]);
        let same = h.parent[ia].is_some() && h.parent[ia] == h.parent[ib];
        let meet = h.meet(ia, ib);
        let mut m = Map::new();
        m.insert("a".into(), json!(self.id(a)));
        m.insert("b".into(), json!(self.id(b)));
        m.insert("a_name".into(), json!(h.units[ia].name));
        m.insert("b_name".into(), json!(h.units[ib].name));
        m.insert("same_parent".into(), json!(same));
        m.insert("meet_id".into(), json!(meet.map(|x| &h.units[x].id.0)));
        m.insert("meet_level".into(), json!(meet.map(|x| &h.units[x].level.0)));
        m
    }

    fn pair_records(&self) -> Vec<Map<String, Value>> {
        self.adjacency
            .pairs
            .iter()
            .map(|p| {
                let mut m = self.pair_fields(p.a, p.b);
                m.insert("shared_m".into(), json!(round2(p.shared_m)));
                m.insert("contact".into(), json!(p.contact));
                m
            })
            .collect()
    }

    /// The graph as JSON: pairs, isolated units and counts.
    pub fn adjacency_json(&self) -> Value {
        let pairs = self.pair_records();
        let count = |f: &dyn Fn(&Map<String, Value>) -> bool| pairs.iter().filter(|m| f(m)).count();
        json!({
            "level": self.level,
            "tolerance_m": self.opts.tolerance_m,
            "min_shared_m": self.opts.min_shared_m,
            "units": self.units.len(),
            "counts": {
                "pairs": pairs.len(),
                "rook": count(&|m| m["contact"] == "rook"),
                "queen": count(&|m| m["contact"] == "queen"),
                "same_parent": count(&|m| m["same_parent"] == true),
                "cross_parent": count(&|m| m["same_parent"] == false),
                "isolated": self.adjacency.isolated.len(),
            },
            "pairs": pairs,
            "isolated": self.adjacency.isolated.iter().map(|&k| json!({"id": self.id(k), "name": self.d.hierarchy.units[self.units[k]].name})).collect::<Vec<_>>(),
        })
    }

    /// The links between neighbours as GeoJSON lines (inside point to inside point).
    pub fn adjacency_geojson(&self) -> Value {
        let f = self
            .pair_records()
            .into_iter()
            .zip(&self.adjacency.pairs)
            .map(|(m, p)| feature(&Geometry::LineString(LineString::new(vec![self.anchor(p.a), self.anchor(p.b)])), m))
            .collect();
        collection(f)
    }

    /// The pairs as CSV.
    pub fn adjacency_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["a", "b", "a_name", "b_name", "shared_m", "contact", "same_parent", "meet_id", "meet_level"])?;
        for m in self.pair_records() {
            let s = |k: &str| match &m[k] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                v => v.to_string(),
            };
            c.write_record(["a", "b", "a_name", "b_name", "shared_m", "contact", "same_parent", "meet_id", "meet_level"].map(s))?;
        }
        for &k in &self.adjacency.isolated {
            c.write_record([self.id(k), "", "", "", "0", "isolated", "", "", ""])?;
        }
        c.flush()
    }

    /// The level as the engine's unit graph (edge neighbours, weights, areas, perimeters, parents).
    pub fn unit_graph(&self, by: WeightBy) -> UnitGraph {
        let loads = &self.d.report.loads;
        UnitGraph {
            edges: self.rook_edges(),
            weight: self
                .units
                .iter()
                .map(|&i| match by {
                    WeightBy::Population => loads.get(i).map_or(0.0, |l| l.population as f64),
                    WeightBy::Households => loads.get(i).map_or(0.0, |l| l.households as f64),
                    WeightBy::Units => 1.0,
                })
                .collect(),
            area_m2: self.units.iter().map(|&i| self.d.unit_area_m2.get(i).copied().unwrap_or(0.0)).collect(),
            perimeter_m: self.perimeter_m.clone(),
            parent: (0..self.units.len()).map(|k| self.parent_of(k)).collect(),
            ids: (0..self.units.len()).map(|k| self.id(k).to_owned()).collect(),
        }
    }

    /// Propose alliances.
    pub fn propose(&self, by: WeightBy, spec: &AllianceSpec) -> Result<Value, String> {
        let a = propose(&self.unit_graph(by), spec).map_err(|e| e.to_string())?;
        Ok(self.alliances_json(&a, by))
    }

    /// Validate alliances given as lists of unit ids.
    pub fn validate(&self, by: WeightBy, groups: &[Vec<String>]) -> Result<Value, String> {
        let pos: std::collections::HashMap<&str, usize> = (0..self.units.len()).map(|k| (self.id(k), k)).collect();
        let mut unknown = Vec::new();
        let idx: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                g.iter()
                    .filter_map(|id| {
                        let k = pos.get(id.as_str()).copied();
                        if k.is_none() {
                            unknown.push(id.clone());
                        }
                        k
                    })
                    .collect()
            })
            .collect();
        if !unknown.is_empty() {
            let first: Vec<&str> = unknown.iter().take(10).map(String::as_str).collect();
            return Err(format!("{} ids are not units of level {:?}: {}", unknown.len(), self.level, first.join(", ")));
        }
        let a = evaluate(&self.unit_graph(by), &idx);
        Ok(self.alliances_json(&a, by))
    }

    fn alliances_json(&self, a: &Alliances, by: WeightBy) -> Value {
        let h = &self.d.hierarchy;
        let groups: Vec<Value> = a
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let mut parents: Vec<&str> =
                    g.members.iter().filter_map(|&k| self.parent_of(k)).map(|p| h.units[p].id.0.as_str()).collect();
                parents.sort_unstable();
                parents.dedup();
                json!({
                    "group": i + 1,
                    "members": g.members.iter().map(|&k| self.id(k)).collect::<Vec<_>>(),
                    "names": g.members.iter().map(|&k| &h.units[self.units[k]].name).collect::<Vec<_>>(),
                    "weight": g.weight,
                    "deviation": round4(g.deviation),
                    "area_m2": round2(g.area_m2),
                    "perimeter_m": round2(g.perimeter_m),
                    "polsby_popper": round4(g.polsby_popper),
                    "parents": parents,
                    "straddles": g.parents >= 2,
                    "contiguous": g.contiguous,
                })
            })
            .collect();
        json!({
            "level": self.level,
            "weight": by.as_str(),
            "groups": groups,
            "mean_weight": a.mean_weight,
            "max_deviation": round4(a.max_deviation),
            "mean_polsby_popper": round4(a.mean_polsby_popper),
            "min_polsby_popper": round4(a.min_polsby_popper),
            "unassigned": a.unassigned.iter().map(|&k| self.id(k)).collect::<Vec<_>>(),
            "duplicated": a.duplicated.iter().map(|&k| self.id(k)).collect::<Vec<_>>(),
            "problems": a.problems,
        })
    }

    /// The level's units as GeoJSON with their group number (alliances JSON from `propose`/`validate`).
    pub fn alliances_geojson(&self, alliances: &Value) -> Value {
        let mut group_of = std::collections::HashMap::new();
        for g in alliances["groups"].as_array().into_iter().flatten() {
            for m in g["members"].as_array().into_iter().flatten() {
                if let Some(id) = m.as_str() {
                    group_of.insert(id.to_owned(), g["group"].clone());
                }
            }
        }
        let f = self
            .units
            .iter()
            .map(|&i| {
                let u = &self.d.hierarchy.units[i];
                unit_feature(u, vec![("group", group_of.get(&u.id.0).cloned().unwrap_or(Value::Null))])
            })
            .collect();
        collection(f)
    }

    /// AB-post pairs.
    pub fn ab_pairs(&self, opts: &AbOptions) -> AbResult {
        let parents: Vec<Option<usize>> = (0..self.units.len()).map(|k| self.parent_of(k)).collect();
        ab_pairs(&self.rook_edges(), &self.centres, &parents, opts)
    }

    fn ab_records(&self, r: &AbResult) -> Vec<Map<String, Value>> {
        r.pairs
            .iter()
            .map(|p| {
                let mut m = self.pair_fields(p.a, p.b);
                m.insert("shared_m".into(), json!(round2(p.shared_m)));
                m.insert("distance_m".into(), json!(round2(p.distance_m)));
                m
            })
            .collect()
    }

    fn fallback_json(&self, f: &Fallback) -> Value {
        let name = |k: usize| &self.d.hierarchy.units[self.units[k]].name;
        match f {
            Fallback::Triple { with } => {
                json!({"kind": "triple", "with": [self.id(with[0]), self.id(with[1])], "names": [name(with[0]), name(with[1])]})
            }
            Fallback::CrossParent { with } => json!({"kind": "cross_parent", "with": [self.id(*with)], "names": [name(*with)]}),
            Fallback::None => json!({"kind": "none", "with": [], "names": []}),
        }
    }

    /// AB pairs as JSON.
    pub fn ab_json(&self, r: &AbResult, opts: &AbOptions) -> Value {
        json!({
            "level": self.level,
            "within_parent": opts.within_parent,
            "weight": opts.weight,
            "units": self.units.len(),
            "pairs": self.ab_records(r),
            "unmatched": r.unmatched.iter().map(|(k, f)| json!({"id": self.id(*k), "name": self.d.hierarchy.units[self.units[*k]].name, "fallback": self.fallback_json(f)})).collect::<Vec<_>>(),
            "total_shared_m": round2(r.total_shared_m),
            "total_distance_m": round2(r.total_distance_m),
        })
    }

    /// AB pairs as GeoJSON lines.
    pub fn ab_geojson(&self, r: &AbResult) -> Value {
        let f = self
            .ab_records(r)
            .into_iter()
            .zip(&r.pairs)
            .map(|(m, p)| feature(&Geometry::LineString(LineString::new(vec![self.anchor(p.a), self.anchor(p.b)])), m))
            .collect();
        collection(f)
    }

    /// AB pairs as CSV (unmatched grids with their fallback at the end).
    pub fn ab_csv(&self, r: &AbResult, w: &mut dyn Write) -> std::io::Result<()> {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["a", "b", "shared_m", "distance_m", "same_parent", "fallback"])?;
        for (m, p) in self.ab_records(r).iter().zip(&r.pairs) {
            c.write_record([
                self.id(p.a),
                self.id(p.b),
                &m["shared_m"].to_string(),
                &m["distance_m"].to_string(),
                &m["same_parent"].to_string(),
                "",
            ])?;
        }
        for (k, f) in &r.unmatched {
            let fb = self.fallback_json(f);
            let with: Vec<&str> = fb["with"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            let text = format!("{}:{}", fb["kind"].as_str().unwrap_or(""), with.join("+"));
            c.write_record([self.id(*k), "", "", "", "", &text])?;
        }
        c.flush()
    }
}

/// Read alliances to validate: CSV with columns `group,unit` (or JSON `[[ids]]`).
pub fn read_groups(path: &std::path::Path) -> Result<Vec<Vec<String>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text).map_err(|e| format!("{}: expected [[unit ids]]: {e}", path.display()));
    }
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h.trim() == name).ok_or_else(|| format!("{}: no column {name:?} (need group,unit)", path.display()))
    };
    let (gc, uc) = (col("group")?, col("unit")?);
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| format!("{} row {}: {e}", path.display(), line + 2))?;
        let (g, u) = (rec.get(gc).unwrap_or("").trim().to_owned(), rec.get(uc).unwrap_or("").trim().to_owned());
        if u.is_empty() {
            return Err(format!("{} row {}: empty unit id", path.display(), line + 2));
        }
        match groups.iter_mut().find(|x| x.0 == g) {
            Some(x) => x.1.push(u),
            None => groups.push((g, vec![u])),
        }
    }
    Ok(groups.into_iter().map(|x| x.1).collect())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
