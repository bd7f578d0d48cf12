//! Reading user files into layers, with validation that names the layer,
//! feature index and id, field and problem. Nothing here touches the store:
//! a file either yields a whole valid layer or the list of what is wrong.
//!
//! GeoJSON FeatureCollections for every layer; CSV with lon/lat columns for
//! point layers. Coordinates are converted from GCJ-02 or BD-09 when told.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde_json::{Map, Value};
use wangge_engine::geometry::crs::SourceCrs;
use wangge_engine::geometry::validate::{lonlat_in_range, polygon_problems};
pub use wangge_engine::model::Layer;
use wangge_engine::model::{
    Attributes, Building, Camera, CameraKind, CameraView, Facility, Incident, LayerKind, Level, Metres, Road, Unit, UnitId,
};
use wangge_engine::units::hierarchy::{Hierarchy, HierarchyError, infer_parents};

use crate::timefmt::parse_time;

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
#[derive(Debug, Clone, PartialEq)]
pub enum ImportFailure {
    /// The file itself is unreadable (IO, JSON syntax, not a FeatureCollection…).
    File { path: String, problem: String },
    /// Features are invalid: all problems found (the first of them listed).
    Features { errors: Vec<FeatureError>, total: usize },
}

impl fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportFailure::File { path, problem } => write!(f, "{path}: {problem}"),
            ImportFailure::Features { errors, total } => {
                writeln!(f, "{total} problem(s); nothing was imported")?;
                for e in errors {
                    writeln!(f, "  {e}")?;
                }
                if *total > errors.len() {
                    writeln!(f, "  … and {} more", total - errors.len())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ImportFailure {}

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

fn coord(v: &Value, crs: SourceCrs) -> Result<Coord<f64>, String> {
    let a = v.as_array().ok_or("a position is not an array")?;
    if a.len() < 2 {
        return Err("a position needs longitude and latitude".into());
    }
    let x = a[0].as_f64().ok_or("longitude is not a number")?;
    let y = a[1].as_f64().ok_or("latitude is not a number")?;
    if !lonlat_in_range(x, y) {
        return Err(format!("coordinate out of range: [{x}, {y}] (longitude must be in [-180, 180], latitude in [-90, 90])"));
    }
    let (x, y) = crs.to_wgs84(x, y);
    Ok(Coord { x, y })
}

fn ring(v: &Value, crs: SourceCrs, what: &str) -> Result<LineString<f64>, String> {
    let a = v.as_array().ok_or(format!("{what} is not an array of positions"))?;
    let cs = a.iter().map(|c| coord(c, crs)).collect::<Result<Vec<_>, _>>()?;
    if cs.len() < 4 {
        return Err(format!("{what} is too short: {} positions, a closed ring needs at least 4", cs.len()));
    }
    if cs.first() != cs.last() {
        return Err(format!("{what} is not closed: its first and last positions differ"));
    }
    Ok(LineString(cs))
}

fn polygon(v: &Value, crs: SourceCrs, prefix: &str) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("polygon coordinates are not an array of rings")?;
    if rings.is_empty() {
        return Err("polygon has no rings".into());
    }
    let ext = ring(&rings[0], crs, &format!("{prefix}exterior ring"))?;
    let ints =
        rings[1..].iter().enumerate().map(|(i, r)| ring(r, crs, &format!("{prefix}interior ring {i}"))).collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(ext, ints))
}

fn geom_type(g: &Value) -> &str {
    g.get("type").and_then(Value::as_str).unwrap_or("?")
}

fn areal(g: &Value, crs: SourceCrs) -> Result<MultiPolygon<f64>, String> {
    let c = g.get("coordinates").ok_or("geometry has no coordinates")?;
    let mp = match geom_type(g) {
        "Polygon" => MultiPolygon(vec![polygon(c, crs, "")?]),
        "MultiPolygon" => MultiPolygon(
            c.as_array()
                .ok_or("multipolygon coordinates are not an array")?
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, crs, &format!("polygon {i}: ")))
                .collect::<Result<_, _>>()?,
        ),
        other => return Err(format!("wrong geometry type {other}: expected Polygon or MultiPolygon")),
    };
    if mp.0.is_empty() {
        return Err("empty MultiPolygon: a unit or building needs at least one polygon".into());
    }
    let problems = polygon_problems(&mp);
    if !problems.is_empty() {
        return Err(format!("invalid polygon: {}", problems.join("; ")));
    }
    Ok(mp)
}

fn point(g: &Value, crs: SourceCrs) -> Result<Point<f64>, String> {
    match geom_type(g) {
        "Point" => Ok(Point::from(coord(g.get("coordinates").ok_or("geometry has no coordinates")?, crs)?)),
        other => Err(format!("wrong geometry type {other}: expected Point")),
    }
}

fn lines(g: &Value, crs: SourceCrs) -> Result<MultiLineString<f64>, String> {
    let c = g.get("coordinates").ok_or("geometry has no coordinates")?;
    let line = |v: &Value| -> Result<LineString<f64>, String> {
        let cs = v.as_array().ok_or("line coordinates are not an array")?.iter().map(|c| coord(c, crs)).collect::<Result<Vec<_>, _>>()?;
        if cs.len() < 2 {
            return Err("a line needs at least 2 positions".into());
        }
        Ok(LineString(cs))
    };
    match geom_type(g) {
        "LineString" => Ok(MultiLineString(vec![line(c)?])),
        "MultiLineString" => {
            Ok(MultiLineString(c.as_array().ok_or("coordinates are not an array")?.iter().map(line).collect::<Result<_, _>>()?))
        }
        other => Err(format!("wrong geometry type {other}: expected LineString or MultiLineString")),
    }
}

/// The point of a point feature: its geometry, or its lon/lat fields.
fn located(ctx: &mut Ctx, raw: &Raw, id: &Option<String>) -> Option<Point<f64>> {
    if let Some(g) = &raw.geometry {
        return match point(g, ctx.opts.crs) {
            Ok(p) => Some(p),
            Err(e) => {
                ctx.err(raw, id, Some("geometry"), e);
                None
            }
        };
    }
    let lon = ctx.number(raw, id, "lon").ok()?;
    let lat = ctx.number(raw, id, "lat").ok()?;
    match (lon, lat) {
        (Some(x), Some(y)) if lonlat_in_range(x, y) => {
            let (x, y) = ctx.opts.crs.to_wgs84(x, y);
            Some(Point::new(x, y))
        }
        (Some(x), Some(y)) => {
            ctx.err(raw, id, Some("lon"), format!("coordinate out of range: [{x}, {y}]"));
            None
        }
        _ => {
            ctx.err(raw, id, Some("geometry"), "no geometry and no lon/lat values");
            None
        }
    }
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

fn need_geometry(ctx: &mut Ctx, raw: &Raw, id: &Option<String>) -> Option<Value> {
    let g = raw.geometry.clone();
    if g.is_none() {
        ctx.err(raw, id, Some("geometry"), "missing geometry");
    }
    g
}

fn units(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Layer {
    let mut out = Vec::new();
    let mut index_of = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let level = ctx.string(raw, "level");
        if level.is_none() {
            ctx.err(raw, id, Some("level"), "missing level");
        }
        let geometry = need_geometry(ctx, raw, id).and_then(|g| match areal(&g, ctx.opts.crs) {
            Ok(m) => Some(m),
            Err(e) => {
                ctx.err(raw, id, Some("geometry"), e);
                None
            }
        });
        let (Some(i), Some(level), Some(geometry)) = (id.clone(), level, geometry) else { continue };
        out.push(Unit {
            name: ctx.string(raw, "name").unwrap_or_else(|| i.clone()),
            id: UnitId(i),
            parent: ctx.string(raw, "parent_id").map(UnitId),
            level: Level(level),
            geometry,
            attributes: ctx.attributes(raw, &["id", "parent_id", "level", "name"]),
        });
        index_of.push(raw.index);
    }
    if !ctx.errors.is_empty() {
        return Layer::Units(out);
    }
    let mut herr = infer_parents(&mut out);
    if herr.is_empty()
        && let Err(e) = Hierarchy::build(out.clone())
    {
        herr = e;
    }
    for e in herr {
        let (i, field, problem) = match &e {
            HierarchyError::DuplicateId { index, first, .. } => {
                (*index, "id", format!("duplicate id, first used by feature {}", index_of[*first]))
            }
            HierarchyError::MissingParent { index, parent, .. } => {
                (*index, "parent_id", format!("missing parent: no unit has id {parent}"))
            }
            HierarchyError::OwnParent { index, .. } => (*index, "parent_id", "parent_id is the unit's own id".into()),
            HierarchyError::Cycle { index, path, .. } => {
                (*index, "parent_id", format!("cycle in parents: {}", path.iter().map(|u| u.0.as_str()).collect::<Vec<_>>().join(" → ")))
            }
            HierarchyError::OutsideEveryParent { index, parent_level, .. } => {
                (*index, "geometry", format!("unit outside every possible parent: it overlaps no unit of level {parent_level}"))
            }
        };
        let raw = &raws[index_of[i]];
        ctx.err(raw, &Some(out[i].id.0.clone()), Some(field), problem);
    }
    Layer::Units(out)
}

fn buildings(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Building> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let geometry = need_geometry(ctx, raw, id).and_then(|g| match areal(&g, ctx.opts.crs) {
            Ok(m) => Some(m),
            Err(e) => {
                ctx.err(raw, id, Some("geometry"), e);
                None
            }
        });
        let households = ctx.count(raw, id, "households");
        let population = ctx.count(raw, id, "population");
        let floors = ctx.count(raw, id, "floors");
        let height = ctx.number(raw, id, "height");
        if let Ok(Some(h)) = height
            && h < 0.0
        {
            ctx.err(raw, id, Some("height"), format!("height must be ≥ 0 m, got {h}"));
            continue;
        }
        let (Some(i), Some(footprint), Ok(households), Ok(population), Ok(floors), Ok(height)) =
            (id.clone(), geometry, households, population, floors, height)
        else {
            continue;
        };
        out.push(Building {
            id: i,
            footprint,
            households,
            population,
            floors,
            height: height.map(Metres),
            attributes: ctx.attributes(raw, &["id", "households", "population", "floors", "height"]),
        });
    }
    out
}

fn cameras(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Camera> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let pos = located(ctx, raw, id);
        let kind = match ctx.string(raw, "kind").map(|k| k.to_lowercase()) {
            None => None,
            Some(k) if k == "dome" || k == "球机" => Some(CameraKind::Dome),
            Some(k) if k == "fixed" || k == "枪机" => Some(CameraKind::Fixed),
            Some(k) => {
                ctx.err(raw, id, Some("kind"), format!("unknown camera kind {k:?}: expected dome or fixed"));
                continue;
            }
        };
        let (Ok(heading), Ok(fov), Ok(range), Ok(height)) =
            (ctx.number(raw, id, "heading"), ctx.number(raw, id, "fov"), ctx.number(raw, id, "range"), ctx.number(raw, id, "height"))
        else {
            continue;
        };
        let fov = match (fov, kind) {
            (Some(f), _) => f,
            (None, Some(CameraKind::Dome)) => 360.0,
            (None, _) => {
                ctx.err(raw, id, Some("fov"), "missing field of view (or give kind dome, or --default fov=DEG)");
                continue;
            }
        };
        if !(fov > 0.0 && fov <= 360.0) {
            ctx.err(raw, id, Some("fov"), format!("field of view must be in (0, 360] degrees, got {fov}"));
        }
        let kind = kind.unwrap_or(if fov >= 360.0 { CameraKind::Dome } else { CameraKind::Fixed });
        let heading = match heading {
            Some(h) => h.rem_euclid(360.0),
            None if kind == CameraKind::Dome || fov >= 360.0 => 0.0,
            None => {
                ctx.err(raw, id, Some("heading"), "missing heading of a fixed camera");
                continue;
            }
        };
        match range {
            Some(r) if r > 0.0 => {}
            Some(r) => ctx.err(raw, id, Some("range"), format!("range must be > 0 m, got {r}")),
            None => ctx.err(raw, id, Some("range"), "missing range (or --default range=M)"),
        }
        match height {
            Some(h) if h >= 0.0 => {}
            Some(h) => ctx.err(raw, id, Some("height"), format!("mounting height must be ≥ 0 m, got {h}")),
            None => ctx.err(raw, id, Some("height"), "missing mounting height (or --default height=M)"),
        }
        let (Some(i), Some(position), Some(range), Some(height)) = (id.clone(), pos, range, height) else { continue };
        out.push(Camera {
            id: i,
            position,
            view: CameraView { heading_deg: heading, fov_deg: fov, range_m: Metres(range), height_m: Metres(height) },
            kind,
            attributes: ctx.attributes(raw, &["id", "heading", "fov", "range", "height", "kind", "lon", "lat"]),
        });
    }
    out
}

fn facilities(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Facility> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let pos = located(ctx, raw, id);
        let kind = ctx.string(raw, "kind");
        if kind.is_none() {
            ctx.err(raw, id, Some("kind"), "missing facility kind");
        }
        let (Some(i), Some(position), Some(kind)) = (id.clone(), pos, kind) else { continue };
        out.push(Facility {
            name: ctx.string(raw, "name").unwrap_or_default(),
            id: i,
            position,
            kind,
            attributes: ctx.attributes(raw, &["id", "kind", "name", "lon", "lat"]),
        });
    }
    out
}

fn incidents(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Incident> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let pos = located(ctx, raw, id);
        let t = match ctx.string(raw, "occurred_at") {
            None => {
                ctx.err(raw, id, Some("occurred_at"), "missing time");
                None
            }
            Some(s) => match parse_time(&s, ctx.opts.tz_offset_s) {
                Some(t) => Some(t),
                None => {
                    ctx.err(
                        raw,
                        id,
                        Some("occurred_at"),
                        format!("unparsable time {s:?} (use RFC 3339, YYYY-MM-DD HH:MM:SS or epoch seconds)"),
                    );
                    None
                }
            },
        };
        let category = ctx.string(raw, "category");
        if category.is_none() {
            ctx.err(raw, id, Some("category"), "missing category");
        }
        let (Some(i), Some(position), Some(occurred_at), Some(category)) = (id.clone(), pos, t, category) else { continue };
        out.push(Incident {
            id: i,
            position,
            category,
            occurred_at,
            status: ctx.string(raw, "status").unwrap_or_else(|| "reported".into()),
            attributes: ctx.attributes(raw, &["id", "occurred_at", "category", "status", "lon", "lat"]),
        });
    }
    out
}

fn roads(ctx: &mut Ctx, raws: &[Raw], ids: &[Option<String>]) -> Vec<Road> {
    let mut out = Vec::new();
    for (raw, id) in raws.iter().zip(ids) {
        let line = need_geometry(ctx, raw, id).and_then(|g| match lines(&g, ctx.opts.crs) {
            Ok(l) => Some(l),
            Err(e) => {
                ctx.err(raw, id, Some("geometry"), e);
                None
            }
        });
        let (Some(i), Some(line)) = (id.clone(), line) else { continue };
        out.push(Road { id: i, line, attributes: ctx.attributes(raw, &["id"]) });
    }
    out
}

/// Parse `a=b` pairs of `--field` flags.
pub fn parse_pairs(pairs: &[String]) -> Result<BTreeMap<String, String>, String> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=').map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned())).ok_or(format!("expected NAME=VALUE, got {p:?}"))
        })
        .collect()
}
