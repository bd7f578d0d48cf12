//! The neighbour graph of one level of units, with what the API and the CLI
//! show of it: adjacency pairs (same or cross parent, and where their
//! ancestors meet), proposed or imported alliances (毗邻型联盟) and AB-post
//! pairs (AB岗). The engine does the work on the units handed to it (a
//! stored layer today, a planner's draft later); this module picks a level
//! of the loaded dataset and turns indices back into unit ids.

use std::io::Write;
use std::path::Path;

use geo::{BoundingRect, Centroid, Coord, Euclidean, Geometry, Length, LineString};
use serde::Serialize;
use serde_json::{Map, Value};
use wangge_engine::geometry::index::rect_union;
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::groups::abpost::{AbOptions, AbResult, Fallback, ab_pairs};
use wangge_engine::groups::adjacency::{Adjacency, AdjacencyOptions, Contact, adjacency};
use wangge_engine::groups::alliance::{AllianceSpec, Alliances, UnitGraph, evaluate, propose};

use crate::geojson_out::{collection, feature, unit_feature};
use wangge_engine::dataset::Dataset;

mod report;

pub use report::*;

/// The fields of a serializable record as GeoJSON properties.
fn properties(r: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(r) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// A number as the JSON answers write it (`3.0`, `12.25`), for CSV cells.
fn num(x: f64) -> String {
    serde_json::to_string(&x).unwrap_or_default()
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
pub fn level_graph<'a>(d: &'a Dataset, level: &str, opts: AdjacencyOptions) -> Result<LevelGraph<'a>, GraphError> {
    level_graph_in(d, level, opts, |_| true)
}

/// Build the neighbour graph of the units of a level that `keep` (by hierarchy index) lets through,
/// e.g. those of a jurisdiction: units left out are neither nodes nor neighbours.
pub fn level_graph_in<'a>(
    d: &'a Dataset,
    level: &str,
    opts: AdjacencyOptions,
    keep: impl Fn(usize) -> bool,
) -> Result<LevelGraph<'a>, GraphError> {
    let h = &d.hierarchy;
    if !h.levels.iter().any(|l| l.0 == level) {
        let known: Vec<&str> = h.levels.iter().map(|l| l.0.as_str()).collect();
        return Err(GraphError::UnknownLevel { level: level.to_owned(), known: known.join(", ") });
    }
    if !(opts.tolerance_m.is_finite() && (0.0..=100.0).contains(&opts.tolerance_m)) {
        return Err(GraphError::Tolerance(opts.tolerance_m));
    }
    if !(opts.min_shared_m.is_finite() && opts.min_shared_m >= 0.0) {
        return Err(GraphError::MinShared(opts.min_shared_m));
    }
    let units: Vec<usize> = (0..h.len()).filter(|&i| h.units[i].level.0 == level && keep(i)).collect();
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

/// The names and ancestry of a pair of units, shared by neighbour and AB pairs.
struct PairFields {
    a: String,
    a_name: String,
    b: String,
    b_name: String,
    same_parent: bool,
    meet_id: Option<String>,
    meet_level: Option<String>,
}

impl LevelGraph<'_> {
    fn id(&self, k: usize) -> &str {
        &self.d.hierarchy.units[self.units[k]].id.0
    }

    fn name(&self, k: usize) -> &str {
        &self.d.hierarchy.units[self.units[k]].name
    }

    fn named(&self, k: usize) -> NamedUnit {
        NamedUnit { id: self.id(k).to_owned(), name: self.name(k).to_owned() }
    }

    fn parent_of(&self, k: usize) -> Option<usize> {
        self.d.hierarchy.parent[self.units[k]]
    }

    /// A point inside the unit (lon/lat) for links and labels.
    fn anchor(&self, k: usize) -> Coord<f64> {
        let u = &self.d.hierarchy.units[self.units[k]];
        wangge_engine::synth::inside_point(u).unwrap_or_default()
    }

    fn link(&self, a: usize, b: usize) -> Geometry<f64> {
        Geometry::LineString(LineString::new(vec![self.anchor(a), self.anchor(b)]))
    }

    /// Edge neighbours as (a, b, shared metres).
    pub fn rook_edges(&self) -> Vec<(usize, usize, f64)> {
        self.adjacency.pairs.iter().filter(|p| p.contact == Contact::Rook).map(|p| (p.a, p.b, p.shared_m)).collect()
    }

    fn pair_fields(&self, a: usize, b: usize) -> PairFields {
        let h = &self.d.hierarchy;
        let (ia, ib) = (self.units[a], self.units[b]);
        let meet = h.meet(ia, ib);
        PairFields {
            a: self.id(a).to_owned(),
            a_name: self.name(a).to_owned(),
            b: self.id(b).to_owned(),
            b_name: self.name(b).to_owned(),
            same_parent: h.parent[ia].is_some() && h.parent[ia] == h.parent[ib],
            meet_id: meet.map(|x| h.units[x].id.0.clone()),
            meet_level: meet.map(|x| h.units[x].level.0.clone()),
        }
    }

    fn neighbour_pairs(&self) -> Vec<NeighbourPair> {
        self.adjacency
            .pairs
            .iter()
            .map(|p| {
                let f = self.pair_fields(p.a, p.b);
                NeighbourPair {
                    a: f.a,
                    a_name: f.a_name,
                    b: f.b,
                    b_name: f.b_name,
                    contact: p.contact,
                    meet_id: f.meet_id,
                    meet_level: f.meet_level,
                    same_parent: f.same_parent,
                    shared_m: round2(p.shared_m),
                }
            })
            .collect()
    }

    /// The graph: pairs, isolated units and counts (the JSON of `/api/adjacency`).
    pub fn adjacency_json(&self) -> AdjacencyReport {
        let pairs = self.neighbour_pairs();
        let count = |f: &dyn Fn(&NeighbourPair) -> bool| pairs.iter().filter(|p| f(p)).count();
        AdjacencyReport {
            counts: AdjacencyCounts {
                cross_parent: count(&|p| !p.same_parent),
                isolated: self.adjacency.isolated.len(),
                pairs: pairs.len(),
                queen: count(&|p| p.contact == Contact::Queen),
                rook: count(&|p| p.contact == Contact::Rook),
                same_parent: count(&|p| p.same_parent),
            },
            isolated: self.adjacency.isolated.iter().map(|&k| self.named(k)).collect(),
            level: self.level.clone(),
            min_shared_m: self.opts.min_shared_m,
            pairs,
            tolerance_m: self.opts.tolerance_m,
            units: self.units.len(),
        }
    }

    /// The links between neighbours as GeoJSON lines (inside point to inside point).
    pub fn adjacency_geojson(&self) -> Value {
        let f =
            self.neighbour_pairs().iter().zip(&self.adjacency.pairs).map(|(r, p)| feature(&self.link(p.a, p.b), properties(r))).collect();
        collection(f)
    }

    /// The pairs as CSV.
    pub fn adjacency_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["a", "b", "a_name", "b_name", "shared_m", "contact", "same_parent", "meet_id", "meet_level"])?;
        for p in self.neighbour_pairs() {
            let contact = match p.contact {
                Contact::Rook => "rook",
                Contact::Queen => "queen",
            };
            c.write_record([
                p.a.as_str(),
                &p.b,
                &p.a_name,
                &p.b_name,
                &num(p.shared_m),
                contact,
                &p.same_parent.to_string(),
                p.meet_id.as_deref().unwrap_or(""),
                p.meet_level.as_deref().unwrap_or(""),
            ])?;
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
    pub fn propose(&self, by: WeightBy, spec: &AllianceSpec) -> Result<AllianceReport, GraphError> {
        let a = propose(&self.unit_graph(by), spec)?;
        Ok(self.alliance_report(&a, by))
    }

    /// Validate alliances given as lists of unit ids.
    pub fn validate(&self, by: WeightBy, groups: &[Vec<String>]) -> Result<AllianceReport, GraphError> {
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
            return Err(GraphError::UnknownIds { count: unknown.len(), level: self.level.clone(), first: first.join(", ") });
        }
        let a = evaluate(&self.unit_graph(by), &idx);
        Ok(self.alliance_report(&a, by))
    }

    fn alliance_report(&self, a: &Alliances, by: WeightBy) -> AllianceReport {
        let h = &self.d.hierarchy;
        let ids = |v: &[usize]| v.iter().map(|&k| self.id(k).to_owned()).collect::<Vec<_>>();
        let groups = a
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let mut parents: Vec<String> =
                    g.members.iter().filter_map(|&k| self.parent_of(k)).map(|p| h.units[p].id.0.clone()).collect();
                parents.sort_unstable();
                parents.dedup();
                AllianceGroup {
                    area_m2: round2(g.area_m2),
                    contiguous: g.contiguous,
                    deviation: round4(g.deviation),
                    group: i + 1,
                    members: ids(&g.members),
                    names: g.members.iter().map(|&k| self.name(k).to_owned()).collect(),
                    parents,
                    perimeter_m: round2(g.perimeter_m),
                    polsby_popper: round4(g.polsby_popper),
                    straddles: g.parents >= 2,
                    weight: g.weight,
                }
            })
            .collect();
        AllianceReport {
            duplicated: ids(&a.duplicated),
            geojson: None,
            groups,
            level: self.level.clone(),
            max_deviation: round4(a.max_deviation),
            mean_polsby_popper: round4(a.mean_polsby_popper),
            mean_weight: a.mean_weight,
            min_polsby_popper: round4(a.min_polsby_popper),
            problems: a.problems.clone(),
            unassigned: ids(&a.unassigned),
            weight: by,
        }
    }

    /// The level's units as GeoJSON with their group number (alliances from `propose`/`validate`).
    pub fn alliances_geojson(&self, alliances: &AllianceReport) -> Value {
        let group_of: std::collections::HashMap<&str, usize> =
            alliances.groups.iter().flat_map(|g| g.members.iter().map(move |m| (m.as_str(), g.group))).collect();
        let f = self
            .units
            .iter()
            .map(|&i| {
                let u = &self.d.hierarchy.units[i];
                unit_feature(u, vec![("group", group_of.get(u.id.0.as_str()).map_or(Value::Null, |&g| Value::from(g)))])
            })
            .collect();
        collection(f)
    }

    /// AB-post pairs.
    pub fn ab_pairs(&self, opts: &AbOptions) -> AbResult {
        let parents: Vec<Option<usize>> = (0..self.units.len()).map(|k| self.parent_of(k)).collect();
        ab_pairs(&self.rook_edges(), &self.centres, &parents, opts)
    }

    fn ab_records(&self, r: &AbResult) -> Vec<AbPair> {
        r.pairs
            .iter()
            .map(|p| {
                let f = self.pair_fields(p.a, p.b);
                AbPair {
                    a: f.a,
                    a_name: f.a_name,
                    b: f.b,
                    b_name: f.b_name,
                    distance_m: round2(p.distance_m),
                    meet_id: f.meet_id,
                    meet_level: f.meet_level,
                    same_parent: f.same_parent,
                    shared_m: round2(p.shared_m),
                }
            })
            .collect()
    }

    fn fallback(&self, f: &Fallback) -> FallbackInfo {
        let (kind, with): (&'static str, Vec<usize>) = match f {
            Fallback::Triple { with } => ("triple", with.to_vec()),
            Fallback::CrossParent { with } => ("cross_parent", vec![*with]),
            Fallback::None => ("none", vec![]),
        };
        FallbackInfo {
            kind,
            names: with.iter().map(|&k| self.name(k).to_owned()).collect(),
            with: with.iter().map(|&k| self.id(k).to_owned()).collect(),
        }
    }

    /// AB pairs with the units left over (the JSON of `/api/ab-pairs`).
    pub fn ab_json(&self, r: &AbResult, opts: &AbOptions) -> AbReport {
        AbReport {
            level: self.level.clone(),
            pairs: self.ab_records(r),
            total_distance_m: round2(r.total_distance_m),
            total_shared_m: round2(r.total_shared_m),
            units: self.units.len(),
            unmatched: r
                .unmatched
                .iter()
                .map(|(k, f)| Unmatched { fallback: self.fallback(f), id: self.id(*k).to_owned(), name: self.name(*k).to_owned() })
                .collect(),
            weight: opts.weight,
            within_parent: opts.within_parent,
        }
    }

    /// AB pairs as GeoJSON lines.
    pub fn ab_geojson(&self, r: &AbResult) -> Value {
        let f = self.ab_records(r).iter().zip(&r.pairs).map(|(m, p)| feature(&self.link(p.a, p.b), properties(m))).collect();
        collection(f)
    }

    /// AB pairs as CSV (unmatched grids with their fallback at the end).
    pub fn ab_csv(&self, r: &AbResult, w: &mut dyn Write) -> std::io::Result<()> {
        let mut c = csv::Writer::from_writer(w);
        c.write_record(["a", "b", "shared_m", "distance_m", "same_parent", "fallback"])?;
        for m in self.ab_records(r) {
            c.write_record([m.a.as_str(), &m.b, &num(m.shared_m), &num(m.distance_m), &m.same_parent.to_string(), ""])?;
        }
        for (k, f) in &r.unmatched {
            let fb = self.fallback(f);
            let text = format!("{}:{}", fb.kind, fb.with.join("+"));
            c.write_record([self.id(*k), "", "", "", "", &text])?;
        }
        c.flush()
    }
}

/// Read alliances to validate: CSV with columns `group,unit` (or JSON `[[ids]]`).
pub fn read_groups(path: &Path) -> Result<Vec<Vec<String>>, GraphError> {
    let bad = |problem: String| GraphError::GroupsFile { path: path.to_owned(), problem };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(&text).map_err(|e| bad(format!("expected [[unit ids]]: {e}")));
    }
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col =
        |name: &str| headers.iter().position(|h| h.trim() == name).ok_or_else(|| bad(format!("no column {name:?} (need group,unit)")));
    let (gc, uc) = (col("group")?, col("unit")?);
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (line, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| GraphError::GroupsFile { path: path.to_owned(), problem: format!("row {}: {e}", line + 2) })?;
        let (g, u) = (rec.get(gc).unwrap_or("").trim().to_owned(), rec.get(uc).unwrap_or("").trim().to_owned());
        if u.is_empty() {
            return Err(GraphError::GroupsFile { path: path.to_owned(), problem: format!("row {}: empty unit id", line + 2) });
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
