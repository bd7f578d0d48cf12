//! Reading user files into layers, with validation that names the layer,
//! feature index and id, field and problem. Nothing here touches the store:
//! a file either yields a whole valid layer or the list of what is wrong.
//!
//! GeoJSON FeatureCollections, Shapefiles (`.shp`, a folder or a `.zip`),
//! GeoPackages and GeoParquet for every layer; CSV with lon/lat columns for
//! point layers. FlatGeobuf is refused with the conversion to use.
//! Text in UTF-8 or GBK/GB18030 (`text`). Coordinates are converted to WGS 84
//! from the CRS given (`--crs`) or declared by the file (`.prj`, GeoJSON
//! `crs`, `gpkg_spatial_ref_sys`, GeoParquet `geo` metadata): GCJ-02, BD-09, CGCS2000 and Gauss–Krüger
//! zones (`resolve`, engine `geometry::georef`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};
use wangge_engine::geometry::georef::Crs;
use wangge_engine::geometry::helmert::Helmert;
use wangge_engine::model::{Attributes, LayerKind};

mod coords;
mod dbf;
mod features;
mod geojson;
mod geometry;
mod geoparquet;
mod gpkg;
mod resolve;
mod shapefile;
mod shp;
mod source;
pub mod text;
mod wkb;

use coords::Geom;
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
    /// The CRS given by the user; `None`: the file's declared CRS, else WGS 84
    /// (a file whose coordinates look projected is then refused).
    pub crs: Option<Crs>,
    /// Seven-parameter shift for Xi'an 1980 / Beijing 1954 (`--towgs84`).
    pub towgs84: Option<Helmert>,
    /// Text encoding given by the user (`--encoding`); `None`: declared or detected.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Which layer of a multi-layer source (a GeoPackage table, a Shapefile in a folder or zip).
    pub source_layer: Option<String>,
    /// Our field name → the file's field name (`--field floors=levels`).
    pub fields: HashMap<String, String>,
    /// Values for fields a file lacks (`--default range=50`).
    pub defaults: HashMap<String, Value>,
    /// Zone of times given without one, seconds east of UTC (default +08:00).
    pub tz_offset_s: i64,
}

impl ImportOptions {
    pub fn new(layer: LayerKind) -> Self {
        ImportOptions {
            layer,
            crs: None,
            towgs84: None,
            encoding: None,
            source_layer: None,
            fields: HashMap::new(),
            defaults: HashMap::new(),
            tz_offset_s: 8 * 3600,
        }
    }
}

/// A validated layer.
pub use wangge_engine::model::Layer;

/// A GeoJSON Polygon or MultiPolygon geometry in WGS84, checked as the importer checks a
/// unit's (arrays of positions, closed rings, coordinate ranges, OGC validity); the problem in words.
pub fn areal_geometry(g: &Value) -> Result<geo::MultiPolygon<f64>, String> {
    geometry::areal(&Geom::from_value(g), &Crs::default())
}

/// A validated layer with the CRS its coordinates were converted from and
/// what the import should tell (CRS assumptions, detected encodings).
#[derive(Debug)]
pub struct Imported {
    pub layer: Layer,
    pub crs: Crs,
    pub notes: Vec<String>,
}

/// A source file read into raw features, with the CRS it declares (and where).
struct Parsed {
    raws: Vec<Raw>,
    crs: Option<(Crs, String)>,
    notes: Vec<String>,
}

/// A feature before validation: its properties and raw geometry.
struct Raw {
    index: usize,
    props: Map<String, Value>,
    geometry: Option<Geom>,
}

struct Ctx<'a> {
    opts: &'a ImportOptions,
    /// The CRS the coordinates are in (given, declared or WGS 84).
    crs: Crs,
    errors: Vec<FeatureError>,
}

impl Ctx<'_> {
    fn err(&mut self, raw: &Raw, id: &Option<String>, field: Option<&str>, problem: impl Into<String>) {
        self.errors.push(FeatureError {
            layer: self.opts.layer.as_str().to_owned(),
            index: raw.index,
            id: id.clone(),
            field: field.map(|f| self.source_name(f).to_owned()),
            problem: problem.into(),
        });
    }
    fn source_name<'s>(&'s self, canon: &'s str) -> &'s str {
        self.opts.fields.get(canon).map_or(canon, String::as_str)
    }
    /// The value of one of our fields (through the mapping), null and "" as absent.
    fn get<'r>(&'r self, raw: &'r Raw, canon: &str) -> Option<&'r Value> {
        let present = |v: &&Value| match v {
            Value::Null => false,
            Value::String(s) => !s.trim().is_empty(),
            _ => true,
        };
        raw.props.get(self.source_name(canon)).filter(present).or_else(|| self.opts.defaults.get(canon).filter(present))
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
        raw.props
            .iter()
            .filter(|(k, _)| !used.iter().any(|u| self.source_name(u) == k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Read a file (GeoJSON, Shapefile, GeoPackage, GeoParquet, or CSV for point layers) into a validated layer.
pub fn read_path(path: &Path, opts: &ImportOptions) -> Result<Layer, ImportFailure> {
    read_paths(&[path], opts)
}

/// Read several files of one layer as one import.
pub fn read_paths(paths: &[&Path], opts: &ImportOptions) -> Result<Layer, ImportFailure> {
    import_paths(paths, opts).map(|i| i.layer)
}

/// Read several files of one layer as one import, with the CRS used and the notes.
/// Every file must be in the same CRS.
pub fn import_paths(paths: &[&Path], opts: &ImportOptions) -> Result<Imported, ImportFailure> {
    let mut raws = Vec::new();
    let mut notes = Vec::new();
    let mut crs: Option<(Crs, String)> = None;
    for p in paths {
        let name = p.display().to_string();
        let t = std::time::Instant::now();
        let parsed = source::read(p, opts)?;
        tracing::debug!(file = %name, features = parsed.raws.len(), s = t.elapsed().as_secs_f64(), "import: read");
        let c = resolve::crs(opts, &parsed, &name)?;
        if let Some((first, first_name)) = &crs
            && *first != c
        {
            let problem = format!("in {}, but {first_name} is in {}: import them separately", c.describe(), first.describe());
            return Err(ImportFailure::File { path: name, problem });
        }
        crs.get_or_insert((c, name));
        notes.extend(parsed.notes);
        let offset = raws.len();
        raws.extend(parsed.raws.into_iter().map(|mut r| {
            r.index += offset;
            r
        }));
    }
    let crs = crs.map(|c| c.0).unwrap_or_default();
    notes.extend(crs.note());
    let t = std::time::Instant::now();
    let layer = build_layer(raws, opts, crs)?;
    tracing::debug!(s = t.elapsed().as_secs_f64(), "import: validated");
    Ok(Imported { layer, crs, notes })
}

/// Read file contents (GeoJSON or CSV) into a validated layer; `name` is used in file errors.
pub fn read_str(text: &str, is_csv: bool, name: &str, opts: &ImportOptions) -> Result<Layer, ImportFailure> {
    let parsed = parse_text(text, is_csv, name, opts)?;
    let crs = resolve::crs(opts, &parsed, name)?;
    build_layer(parsed.raws, opts, crs)
}

/// GeoJSON or CSV text into raw features (with the GeoJSON `crs` member, if any).
fn parse_text(text: &str, is_csv: bool, name: &str, opts: &ImportOptions) -> Result<Parsed, ImportFailure> {
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
        return Ok(Parsed { raws: out, crs: None, notes: Vec::new() });
    }
    let (raws, crs) = match geojson::read(text) {
        Some(read) => read.map_err(file_err)?,
        None => general_geojson(text).map_err(file_err)?,
    };
    let crs = resolve::geojson_member(crs.as_ref()).map_err(file_err)?.map(|c| (c, format!("{name} (its \"crs\" member)")));
    Ok(Parsed { raws, crs, notes: Vec::new() })
}

/// A GeoJSON document read as a general JSON value (the messages for documents
/// [`geojson::read`] does not take): its features and its `crs` member.
fn general_geojson(text: &str) -> geojson::Read {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err("not a GeoJSON FeatureCollection (\"type\" must be \"FeatureCollection\")".into());
    }
    let Some(features) = v.get("features").and_then(Value::as_array) else {
        return Err("FeatureCollection without a \"features\" array".into());
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
        out.push(Raw { index: i, props, geometry: f.get("geometry").filter(|g| !g.is_null()).map(Geom::from_value) });
    }
    Ok((out, v.get("crs").filter(|c| !c.is_null()).cloned()))
}

fn build_layer(raws: Vec<Raw>, opts: &ImportOptions, crs: Crs) -> Result<Layer, ImportFailure> {
    let mut ctx = Ctx { opts, crs, errors: Vec::new() };
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
        LayerKind::Buildings => Layer::Buildings(in_parallel(&mut ctx, &raws, &ids, buildings)),
        LayerKind::Cameras => Layer::Cameras(in_parallel(&mut ctx, &raws, &ids, cameras)),
        LayerKind::Facilities => Layer::Facilities(in_parallel(&mut ctx, &raws, &ids, facilities)),
        LayerKind::Incidents => Layer::Incidents(in_parallel(&mut ctx, &raws, &ids, incidents)),
        LayerKind::Roads => Layer::Roads(in_parallel(&mut ctx, &raws, &ids, roads)),
    };
    // unit codes (GB/T 30428.1): checked by the engine's planning::codes
    if let (true, Layer::Units(us)) = (ctx.errors.is_empty(), &layer) {
        for p in wangge_engine::planning::codes::check(us) {
            let index = raws.get(p.index).map_or(p.index, |r| r.index);
            let problem = format!("code {}: {}", p.code, p.problem);
            ctx.errors.push(FeatureError { layer: "units".into(), index, id: Some(p.unit), field: Some("code".into()), problem });
        }
        // explicit building assignments (`assigned_buildings`): a malformed list, a building named by two units,
        // a unit with units below it
        for (i, p) in wangge_engine::units::explicit::check_layer(us) {
            let index = raws.get(i).map_or(i, |r| r.index);
            let field = Some(wangge_engine::units::explicit::FIELD.into());
            ctx.errors.push(FeatureError { layer: "units".into(), index, id: Some(us[i].id.0.clone()), field, problem: p.to_string() });
        }
    }
    // freeing a million property maps takes a while: another thread does it (here when none can start)
    if raws.len() >= PARALLEL_FROM {
        let _ = std::thread::Builder::new().spawn(move || drop(raws));
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

type Check<T> = fn(&mut Ctx, &[Raw], &[Option<String>]) -> Vec<T>;

/// Below this many features the checks stay on one thread (a thread costs more than small work).
const PARALLEL_FROM: usize = 8_192;

/// `check` over the features split into one run of consecutive features per
/// core (every check of these layers concerns one feature alone); the features
/// and the problems come back in file order, as from one run.
fn in_parallel<T: Send>(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>], check: Check<T>) -> Vec<T> {
    let (opts, crs) = (ctx.opts, ctx.crs);
    let parts = wangge_engine::geometry::par::ranges(raws.len(), PARALLEL_FROM, |r| {
        let mut c = Ctx { opts, crs, errors: Vec::new() };
        let out = check(&mut c, &raws[r.clone()], &ids[r]);
        (out, c.errors)
    });
    let mut out = Vec::with_capacity(raws.len());
    for (features, errors) in parts {
        out.extend(features);
        ctx.errors.extend(errors);
    }
    out
}

/// Parse `a=b` pairs of `--field` flags.
pub fn parse_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>, PairError> {
    pairs
        .iter()
        .map(|p| p.split_once('=').map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned())).ok_or_else(|| PairError(p.clone())))
        .collect()
}
