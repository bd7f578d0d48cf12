//! Reading user files into layers, with validation that names the layer,
//! feature index and id, field and problem. Nothing here touches the store:
//! a file either yields a whole valid layer or the list of what is wrong.
//!
//! GeoJSON FeatureCollections for every layer; CSV with lon/lat columns for
//! point layers. Coordinates are converted from GCJ-02 or BD-09 when told.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};
use wangge_engine::geometry::crs::SourceCrs;
use wangge_engine::model::{Attributes, LayerKind};

mod features;
mod geometry;

use features::{buildings, cameras, facilities, incidents, roads, units};

/// How many problems an import lists before it only counts them.
pub const MAX_LISTED_ERRORS: usize = 50;

/// One problem with one feature.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FeatureError {
    pub layer: String,
    /// 0-based position of the feature in the file (data row for CSV).
    pub index: usize,
    pub id: Option<String>,
    pub field: Option<String>,
    pub problem: String,
}

impl fmt::Display for FeatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "layer {}, feature {}", self.layer, self.index)?;
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// Why a file could not be imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportFailure {
    /// The file itself is unreadable (IO, JSON syntax, not a FeatureCollection…).
    #[error("{path}: {problem}")]
    File { path: String, problem: String },
    /// Features are invalid: all problems found (the first of them listed).
    #[error("{}", features_text(errors, *total))]
    Features { errors: Vec<FeatureError>, total: usize },
}

fn features_text(errors: &[FeatureError], total: usize) -> String {
    let mut s = format!("{total} problem(s); nothing was imported\n");
    for e in errors {
        s.push_str(&format!("  {e}\n"));
    }
    if total > errors.len() {
        s.push_str(&format!("  … and {} more\n", total - errors.len()));
    }
    s
}

/// A `NAME=VALUE` flag (`--field`, `--default`) without its `=`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("expected NAME=VALUE, got {0:?}")]
pub struct PairError(pub String);

/// Options of an import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub layer: LayerKind,
    pub crs: SourceCrs,
    /// Our field name → the file's field name (`--field floors=levels`).
    pub fields: HashMap<String, String>,
    /// Values for fields a file lacks (`--default range=50`).
    pub defaults: HashMap<String, Value>,
    /// Zone of times given without one, seconds east of UTC (default +08:00).
    pub tz_offset_s: i64,
}

impl ImportOptions {
    pub fn new(layer: LayerKind) -> Self {
        ImportOptions { layer, crs: SourceCrs::Wgs84, fields: HashMap::new(), defaults: HashMap::new(), tz_offset_s: 8 * 3600 }
    }
}

/// A validated layer.
pub use wangge_engine::model::Layer;

/// A GeoJSON Polygon or MultiPolygon geometry in WGS84, checked as the importer checks a
/// unit's (arrays of positions, closed rings, coordinate ranges, OGC validity); the problem in words.
pub fn areal_geometry(g: &Value) -> Result<geo::MultiPolygon<f64>, String> {
    geometry::areal(g, SourceCrs::Wgs84)
}

/// A feature before validation: its properties and raw GeoJSON geometry.
struct Raw {
    index: usize,
    props: Map<String, Value>,
    geometry: Option<Value>,
}

struct Ctx<'a> {
    opts: &'a ImportOptions,
    errors: Vec<FeatureError>,
}

impl Ctx<'_> {
    fn err(&mut self, raw: &Raw, id: &Option<String>, field: Option<&str>, problem: impl Into<String>) {
        self.errors.push(FeatureError {
            layer: self.opts.layer.as_str().to_owned(),
            index: raw.index,
            id: id.clone(),
            field: field.map(|f| self.source_name(f)),
            problem: problem.into(),
        });
    }
    fn source_name(&self, canon: &str) -> String {
        self.opts.fields.get(canon).cloned().unwrap_or_else(|| canon.to_owned())
    }
    /// The value of one of our fields (through the mapping), null and "" as absent.
    fn get<'r>(&'r self, raw: &'r Raw, canon: &str) -> Option<&'r Value> {
        let present = |v: &&Value| match v {
            Value::Null => false,
            Value::String(s) => !s.trim().is_empty(),
            _ => true,
        };
        raw.props.get(&self.source_name(canon)).filter(present).or_else(|| self.opts.defaults.get(canon).filter(present))
    }
    fn string(&self, raw: &Raw, canon: &str) -> Option<String> {
        self.get(raw, canon).map(|v| match v {
            Value::String(s) => s.trim().to_owned(),
            other => other.to_string(),
        })
    }
    fn number(&mut self, raw: &Raw, id: &Option<String>, canon: &str) -> Result<Option<f64>, ()> {
        let v = match self.get(raw, canon) {
            None => return Ok(None),
            Some(v) => v.clone(),
        };
        let n = match &v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(x) if x.is_finite() => Ok(Some(x)),
            _ => {
                self.err(raw, id, Some(canon), format!("not a number: {v}"));
                Err(())
            }
        }
    }
    fn count(&mut self, raw: &Raw, id: &Option<String>, canon: &str) -> Result<Option<u32>, ()> {
        match self.number(raw, id, canon)? {
            None => Ok(None),
            Some(x) if x >= 0.0 && x.fract() == 0.0 && x <= f64::from(u32::MAX) => Ok(Some(x as u32)),
            Some(x) => {
                self.err(raw, id, Some(canon), format!("must be a whole number ≥ 0, got {x}"));
                Err(())
            }
        }
    }
    fn attributes(&self, raw: &Raw, used: &[&str]) -> Attributes {
        let used: Vec<String> = used.iter().map(|u| self.source_name(u)).collect();
        raw.props.iter().filter(|(k, _)| !used.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// Read a file (GeoJSON, or CSV for point layers) into a validated layer.
pub fn read_path(path: &Path, opts: &ImportOptions) -> Result<Layer, ImportFailure> {
    read_paths(&[path], opts)
}

/// Read several files of one layer as one import.
pub fn read_paths(paths: &[&Path], opts: &ImportOptions) -> Result<Layer, ImportFailure> {
    let mut raws = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p)
            .map_err(|e| ImportFailure::File { path: p.display().to_string(), problem: format!("cannot read: {e}") })?;
        let is_csv = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let offset = raws.len();
        let mut more = raws_of(&text, is_csv, &p.display().to_string(), opts)?;
        for r in &mut more {
            r.index += offset;
        }
        raws.extend(more);
    }
    build_layer(raws, opts)
}

/// Read file contents into a validated layer; `name` is used in file errors.
pub fn read_str(text: &str, is_csv: bool, name: &str, opts: &ImportOptions) -> Result<Layer, ImportFailure> {
    let raws = raws_of(text, is_csv, name, opts)?;
    build_layer(raws, opts)
}

fn raws_of(text: &str, is_csv: bool, name: &str, opts: &ImportOptions) -> Result<Vec<Raw>, ImportFailure> {
    // spreadsheet programs often start UTF-8 files with a byte-order mark
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file_err = |problem: String| ImportFailure::File { path: name.to_owned(), problem };
    if is_csv {
        if !opts.layer.is_point() {
            return Err(file_err(format!("CSV is only for point layers (cameras, facilities, incidents), not {}", opts.layer)));
        }
        if text.trim().is_empty() {
            return Err(file_err("empty file: a CSV file needs a header row (id, lon, lat, …)".into()));
        }
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
        let headers = rdr.headers().map_err(|e| file_err(format!("CSV header: {e}")))?.clone();
        let mut out = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| file_err(format!("CSV row {}: {e}", i + 2)))?;
            let props: Map<String, Value> =
                headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_owned(), Value::String(v.to_owned()))).collect();
            out.push(Raw { index: i, props, geometry: None });
        }
        return Ok(out);
    }
    let v: Value = serde_json::from_str(text).map_err(|e| file_err(format!("not valid JSON: {e}")))?;
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(file_err("not a GeoJSON FeatureCollection (\"type\" must be \"FeatureCollection\")".into()));
    }
    let Some(features) = v.get("features").and_then(Value::as_array) else {
        return Err(file_err("FeatureCollection without a \"features\" array".into()));
    };
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let mut props = match f.get("properties") {
            Some(Value::Object(m)) => m.clone(),
            _ => Map::new(),
        };
        // a top-level feature id counts as `id` when the properties have none
        if let Some(fid) = f.get("id") {
            props.entry("id").or_insert_with(|| fid.clone());
        }
        out.push(Raw { index: i, props, geometry: f.get("geometry").filter(|g| !g.is_null()).cloned() });
    }
    Ok(out)
}

fn build_layer(raws: Vec<Raw>, opts: &ImportOptions) -> Result<Layer, ImportFailure> {
    let mut ctx = Ctx { opts, errors: Vec::new() };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut ids = Vec::with_capacity(raws.len());
    for raw in &raws {
        let id = ctx.string(raw, "id");
        match &id {
            None => ctx.err(raw, &None, Some("id"), "missing id"),
            Some(i) => {
                if let Some(first) = seen.get(i) {
                    let p = format!("duplicate id, first used by feature {first}");
                    ctx.err(raw, &id, Some("id"), p);
                } else {
                    seen.insert(i.clone(), raw.index);
                }
            }
        }
        ids.push(id);
    }
    let layer = match opts.layer {
        LayerKind::Units => units(&mut ctx, &raws, &ids),
        LayerKind::Buildings => Layer::Buildings(buildings(&mut ctx, &raws, &ids)),
        LayerKind::Cameras => Layer::Cameras(cameras(&mut ctx, &raws, &ids)),
        LayerKind::Facilities => Layer::Facilities(facilities(&mut ctx, &raws, &ids)),
        LayerKind::Incidents => Layer::Incidents(incidents(&mut ctx, &raws, &ids)),
        LayerKind::Roads => Layer::Roads(roads(&mut ctx, &raws, &ids)),
    };
    // unit codes (GB/T 30428.1): checked by the engine's planning::codes
    if let (true, Layer::Units(us)) = (ctx.errors.is_empty(), &layer) {
        for p in wangge_engine::planning::codes::check(us) {
            let index = raws.get(p.index).map_or(p.index, |r| r.index);
            let problem = format!("code {}: {}", p.code, p.problem);
            ctx.errors.push(FeatureError { layer: "units".into(), index, id: Some(p.unit), field: Some("code".into()), problem });
        }
    }
    if ctx.errors.is_empty() {
        return Ok(layer);
    }
    let mut errors = ctx.errors;
    errors.sort_by_key(|e| e.index);
    errors.dedup();
    let total = errors.len();
    errors.truncate(MAX_LISTED_ERRORS);
    Err(ImportFailure::Features { errors, total })
}

/// Parse `a=b` pairs of `--field` flags.
pub fn parse_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>, PairError> {
    pairs
        .iter()
        .map(|p| p.split_once('=').map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned())).ok_or_else(|| PairError(p.clone())))
        .collect()
}
