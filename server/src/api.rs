//! The HTTP API (axum): JSON endpoints, vector tiles, glyphs and the web page.
//!
//! Errors are `{"error": code, "message": text}` with the matching status.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::services::ServeDir;

use wangge_engine::cameras::edit::CameraEdit;
use wangge_engine::cameras::map::CameraCoverage;
use wangge_engine::dataset::Dataset;
use wangge_engine::groups::abpost::AbOptions;
use wangge_engine::groups::adjacency::AdjacencyOptions;
use wangge_engine::groups::alliance::AllianceSpec;

use crate::geojson_out;
use crate::graphs::{WeightBy, level_graph, pair_weight};
use crate::mvt::{MAX_ZOOM, valid_tile};
use crate::tiles::{TILE_LAYERS, layer_fields, render};

/// Shared server state.
pub struct AppState {
    pub data: RwLock<Arc<Dataset>>,
    /// The store, when edits over HTTP are to be kept (serve); None in tests that only read.
    pub store: Option<std::sync::Mutex<crate::store::Store>>,
    /// Incidents reported over HTTP, their lifecycle and the event stream.
    pub live: crate::live::Live,
    /// Gzipped tiles by data version, layer, level and z/x/y (`None` = empty).
    pub tiles: moka::sync::Cache<String, Option<Arc<Vec<u8>>>>,
    /// Cells of heatmap and hot-spot layers per query and version.
    pub heat: moka::sync::Cache<String, Arc<Vec<crate::tiles::HeatCell>>>,
    pub web_dir: PathBuf,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

impl AppState {
    pub fn new(d: Dataset, web_dir: PathBuf) -> Arc<AppState> {
        let live = crate::live::Live::new(default_taxonomy());
        Arc::new(AppState {
            data: RwLock::new(Arc::new(d)),
            store: None,
            live,
            tiles: moka::sync::Cache::new(20_000),
            heat: moka::sync::Cache::new(64),
            web_dir,
        })
    }

    /// State whose camera edits are written to the store as new layer versions.
    pub fn with_store(d: Dataset, web_dir: PathBuf, store: crate::store::Store) -> Result<Arc<AppState>, String> {
        let live = crate::live::Live::load(&store, default_taxonomy()).map_err(|e| format!("live incidents: {e}"))?;
        Ok(Arc::new(AppState {
            data: RwLock::new(Arc::new(d)),
            store: Some(std::sync::Mutex::new(store)),
            live,
            tiles: moka::sync::Cache::new(20_000),
            heat: moka::sync::Cache::new(64),
            web_dir,
        }))
    }
    fn dataset(&self) -> Arc<Dataset> {
        match self.data.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// The built-in taxonomy (checked by the engine's tests).
fn default_taxonomy() -> wangge_engine::incidents::taxonomy::Taxonomy {
    wangge_engine::incidents::taxonomy::Taxonomy::parse(crate::live::DEFAULT_TAXONOMY).unwrap_or_else(|_| {
        wangge_engine::incidents::taxonomy::Taxonomy {
            classes: Vec::new(),
            departments: Vec::new(),
            deadlines_h: Default::default(),
            sensor_kinds: Default::default(),
        }
    })
}

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.code, "message": self.message}))).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

/// The router with every route.
pub fn router(state: Arc<AppState>) -> Router {
    let web = state.web_dir.clone();
    let vendor = web.join("node_modules/maplibre-gl/dist");
    Router::new()
        .route("/health", get(health))
        .route("/api/layers", get(layers))
        .route("/api/units", get(units))
        .route("/api/units/{id}", get(unit))
        .route("/api/units/{id}/incidents", get(unit_incidents))
        .route("/api/features/{layer}", get(features))
        .route("/api/check", get(check))
        .route("/api/adjacency", get(adjacency))
        .route("/api/alliances/propose", post(alliances_propose))
        .route("/api/alliances/validate", post(alliances_validate))
        .route("/api/ab-pairs", get(ab_pairs))
        .route("/api/coverage/cameras", get(coverage_cameras))
        .route("/api/coverage/gaps", get(coverage_gaps))
        .route("/api/coverage/siting", post(coverage_siting))
        .route("/api/coverage/high-points", get(coverage_high_points))
        .route("/api/incidents", post(incident_create).get(incident_list))
        .route("/api/incidents/bulk", post(incident_bulk).layer(axum::extract::DefaultBodyLimit::max(256 << 20)))
        .route("/api/incidents/{id}", get(incident_get))
        .route("/api/incidents/{id}/transitions", post(incident_transition))
        .route("/api/stream", get(stream))
        .route("/api/kpi", get(kpi))
        .route("/api/sensors", post(sensor_create).get(sensor_list))
        .route("/api/sensors/{id}/readings", post(sensor_reading))
        .route("/api/heatmap", get(heatmap))
        .route("/api/hotspots", get(hotspots))
        .route("/api/cameras", post(camera_create))
        .route("/api/cameras/{id}", get(camera_get).put(camera_replace).delete(camera_delete))
        .route("/api/{*rest}", get(api_not_found))
        .route("/tiles/{name}", get(tilejson))
        .route("/tiles/{layer}/{z}/{x}/{file}", get(tile))
        .route("/fonts/{stack}/{range}", get(glyphs))
        .nest_service("/vendor/maplibre-gl", ServeDir::new(vendor))
        .fallback_service(ServeDir::new(web))
        .with_state(state)
}

async fn api_not_found(Path(rest): Path<String>) -> ApiError {
    ApiError::not_found(format!("no API endpoint /api/{rest}"))
}

async fn health(State(s): State<Arc<AppState>>) -> Json<Value> {
    let d = s.dataset();
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "data_version": d.data_version(), "units": d.hierarchy.len()}))
}

async fn layers(State(s): State<Arc<AppState>>) -> Json<Value> {
    let d = s.dataset();
    let count = |l: &str| match l {
        "units" => d.hierarchy.len(),
        "buildings" => d.buildings.len(),
        "cameras" => d.cameras.len(),
        "facilities" => d.facilities.len(),
        "incidents" => d.incidents.len(),
        "roads" => d.roads.len(),
        "camera_views" => d.cameras.len(),
        "camera_gaps" => d.coverage().gaps_ll.len(),
        "heatmap" | "hotspots" => d.incidents.len() + s.live.len(),
        _ => d.report.gaps.len() + d.report.overlaps.len() + d.report.outside_parent.len(),
    };
    let generated = |l: &str| match l {
        "units" => d.hierarchy.units.iter().any(|u| Dataset::is_generated(&u.attributes)),
        "buildings" => d.buildings.iter().any(|u| Dataset::is_generated(&u.attributes)),
        "cameras" | "camera_views" | "camera_gaps" => d.cameras.iter().any(|u| Dataset::is_generated(&u.attributes)),
        "heatmap" | "hotspots" => d.incidents.iter().any(|u| Dataset::is_generated(&u.attributes)),
        "facilities" => d.facilities.iter().any(|u| Dataset::is_generated(&u.attributes)),
        "incidents" => d.incidents.iter().any(|u| Dataset::is_generated(&u.attributes)),
        _ => false,
    };
    let list: Vec<Value> = TILE_LAYERS
        .iter()
        .map(|l| {
            let version = wangge_engine::model::LayerKind::parse(l).and_then(|k| d.versions.get(&k).copied());
            json!({"name": l, "version": version, "features": count(l), "generated": generated(l),
                   "tiles": format!("/tiles/{l}.json")})
        })
        .collect();
    Json(json!({"data_version": d.data_version(), "levels": d.hierarchy.levels, "bounds": bounds_json(&d), "layers": list}))
}

fn bounds_json(d: &Dataset) -> Value {
    match d.bounds() {
        Some(r) => json!([r.min().x, r.min().y, r.max().x, r.max().y]),
        None => json!([-180.0, -85.0, 180.0, 85.0]),
    }
}

#[derive(Deserialize)]
struct LevelQuery {
    level: Option<String>,
}

fn unit_summary(d: &Dataset, i: usize) -> Value {
    let u = &d.hierarchy.units[i];
    let l = &d.report.loads[i];
    json!({
        "id": u.id.0, "name": u.name, "level": u.level.0, "parent_id": u.parent.as_ref().map(|p| &p.0),
        "households": l.households, "population": l.population, "buildings": l.buildings,
        "incidents": d.unit_incidents[i], "children": d.hierarchy.children[i].len(),
        "area_m2": d.unit_area_m2[i], "generated": Dataset::is_generated(&u.attributes),
        "load_status": l.status,
    })
}

async fn units(State(s): State<Arc<AppState>>, Query(q): Query<LevelQuery>) -> ApiResult {
    let d = s.dataset();
    if let Some(l) = &q.level
        && !d.hierarchy.levels.iter().any(|x| &x.0 == l)
    {
        let known: Vec<&str> = d.hierarchy.levels.iter().map(|x| x.0.as_str()).collect();
        return Err(ApiError::bad(format!("unknown level {l:?}; levels are {}", known.join(", "))));
    }
    let list: Vec<Value> = (0..d.hierarchy.len())
        .filter(|&i| q.level.as_ref().is_none_or(|l| &d.hierarchy.units[i].level.0 == l))
        .map(|i| unit_summary(&d, i))
        .collect();
    Ok(Json(json!({"units": list})).into_response())
}

async fn unit(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    let d = s.dataset();
    let h = &d.hierarchy;
    let i = h.get(&wangge_engine::model::UnitId(id.clone())).ok_or_else(|| ApiError::not_found(format!("no unit with id {id}")))?;
    let mut v = unit_summary(&d, i);
    let chain: Vec<Value> = h.chain(i)[1..]
        .iter()
        .rev()
        .map(|&p| json!({"id": h.units[p].id.0, "name": h.units[p].name, "level": h.units[p].level.0}))
        .collect();
    let children: Vec<Value> = h.children[i].iter().map(|&c| unit_summary(&d, c)).collect();
    let r = &d.report;
    let uid = &h.units[i].id.0;
    let gaps: f64 =
        r.gaps.iter().filter(|g| &g.parent == uid && g.kind == wangge_engine::units::integrity::GapKind::Gap).map(|g| g.area_m2).sum();
    let slivers: f64 =
        r.gaps.iter().filter(|g| &g.parent == uid && g.kind == wangge_engine::units::integrity::GapKind::Sliver).map(|g| g.area_m2).sum();
    let overlaps: Vec<Value> =
        r.overlaps.iter().filter(|o| &o.a == uid || &o.b == uid).map(|o| json!({"a": o.a, "b": o.b, "area_m2": o.area_m2})).collect();
    let outside: f64 = r.outside_parent.iter().filter(|o| &o.unit == uid).map(|o| o.area_m2).sum();
    v["chain"] = json!(chain);
    v["children"] = json!(children);
    v["norm"] = json!(r.loads[i].norm);
    v["attributes"] = json!(h.units[i].attributes);
    v["integrity"] = json!({"gap_m2": gaps, "sliver_m2": slivers, "overlaps": overlaps, "outside_parent_m2": outside});
    Ok(Json(v).into_response())
}

#[derive(Deserialize)]
struct FeatureQuery {
    bbox: Option<String>,
    limit: Option<usize>,
    level: Option<String>,
}

fn parse_bbox(s: &str) -> Result<geo::Rect<f64>, ApiError> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| ApiError::bad(format!("bbox {s:?} is not four numbers minlon,minlat,maxlon,maxlat")))?;
    if v.len() != 4 || v.iter().any(|x| !x.is_finite()) || v[0] > v[2] || v[1] > v[3] {
        return Err(ApiError::bad(format!("bbox {s:?} must be minlon,minlat,maxlon,maxlat with min ≤ max")));
    }
    Ok(geo::Rect::new((v[0], v[1]), (v[2], v[3])))
}

async fn features(State(s): State<Arc<AppState>>, Path(layer): Path<String>, Query(q): Query<FeatureQuery>) -> ApiResult {
    let d = s.dataset();
    if layer == "problems" {
        return Ok(Json(geojson_out::collection(geojson_out::problem_features(&d))).into_response());
    }
    let index = match layer.as_str() {
        "units" => &d.unit_index,
        "buildings" => &d.building_index,
        "cameras" => &d.camera_index,
        "facilities" => &d.facility_index,
        "incidents" => &d.incident_index,
        "roads" => &d.road_index,
        _ => return Err(ApiError::not_found(format!("no layer {layer:?}; layers are {}", TILE_LAYERS.join(", ")))),
    };
    let bbox = match &q.bbox {
        Some(b) => parse_bbox(b)?,
        None => geo::Rect::new((-180.0, -90.0), (180.0, 90.0)),
    };
    let limit = q.limit.unwrap_or(10_000).min(100_000);
    let mut idx: Vec<usize> = index.query_rect(bbox).collect();
    if layer == "units"
        && let Some(l) = &q.level
    {
        idx.retain(|&i| &d.hierarchy.units[i].level.0 == l);
    }
    idx.sort_unstable();
    let total = idx.len();
    idx.truncate(limit);
    let mut fc = geojson_out::collection(geojson_out::layer_features(&d, &layer, &idx));
    fc["total"] = json!(total);
    fc["truncated"] = json!(total > idx.len());
    Ok(Json(fc).into_response())
}

#[derive(Deserialize)]
struct CheckQuery {
    format: Option<String>,
}

async fn check(State(s): State<Arc<AppState>>, Query(q): Query<CheckQuery>) -> ApiResult {
    let d = s.dataset();
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(serde_json::to_value(&d.report).unwrap_or(Value::Null)).into_response()),
        Some("geojson") => Ok(Json(geojson_out::collection(geojson_out::problem_features(&d))).into_response()),
        Some(f) => Err(ApiError::bad(format!("format {f:?}: use json or geojson"))),
    }
}

async fn tilejson(State(s): State<Arc<AppState>>, Path(name): Path<String>, Query(q): Query<LevelQuery>, headers: HeaderMap) -> ApiResult {
    let layer = name.strip_suffix(".json").ok_or_else(|| ApiError::not_found(format!("no tile resource {name:?}")))?;
    if !TILE_LAYERS.contains(&layer) {
        return Err(ApiError::not_found(format!("no tile layer {layer:?}; layers are {}", TILE_LAYERS.join(", "))));
    }
    let d = s.dataset();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:8080");
    let qs = q.level.as_ref().map(|l| format!("?level={}", urlencode(l))).unwrap_or_default();
    let fields: serde_json::Map<String, Value> = layer_fields(layer).iter().map(|(k, t)| ((*k).to_owned(), json!(t))).collect();
    let b = bounds_json(&d);
    let center = match d.bounds() {
        Some(r) => json!([r.center().x, r.center().y, 13]),
        None => json!([0.0, 0.0, 2]),
    };
    Ok(Json(json!({
        "tilejson": "3.0.0",
        "name": layer,
        "version": d.data_version(),
        "scheme": "xyz",
        "tiles": [format!("http://{host}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt{qs}")],
        "vector_layers": [{"id": layer, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM}],
        "bounds": b,
        "center": center,
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "attribution": "© OpenStreetMap contributors, ODbL 1.0 (real boundaries); generated layers are labelled generated",
    }))
    .into_response())
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[derive(Deserialize)]
struct TileQuery {
    level: Option<String>,
    res: Option<u8>,
    k: Option<u32>,
    from: Option<String>,
    to: Option<String>,
    category: Option<String>,
    status: Option<String>,
    unit: Option<String>,
}

/// The cells of a heatmap or hot-spot tile layer for a query (res from the zoom when not given).
fn heat_cells(s: &AppState, d: &Dataset, layer: &str, q: &TileQuery, z: u8) -> Result<Vec<crate::tiles::HeatCell>, ApiError> {
    use crate::mvt::Prop;
    let auto = (z / 2 + 2).clamp(5, 11);
    let res = h3_res(q.res.or(Some(auto)), auto)?;
    let iq = IncidentQuery {
        res: None,
        k: None,
        from: q.from.clone(),
        to: q.to.clone(),
        category: q.category.clone(),
        status: q.status.clone(),
        unit: q.unit.clone(),
        format: None,
    };
    let (counts, _) = heat_counts(d, &s.live, &iq, res)?;
    if layer == "heatmap" {
        return Ok(counts
            .into_iter()
            .map(|(c, n)| (c, vec![("cell", Prop::Str(c.to_string())), ("count", Prop::Int(n as i64))]))
            .collect());
    }
    let k = q.k.unwrap_or(1);
    if !(1..=5).contains(&k) {
        return Err(ApiError::bad(format!("k {k}: use 1 to 5")));
    }
    Ok(wangge_engine::incidents::hotspot::gi_star(&counts, k)
        .into_iter()
        .map(|h| {
            let class = match (h.q < 0.05, h.z > 0.0) {
                (true, true) => "hot",
                (true, false) => "cold",
                _ => "none",
            };
            (
                h.cell,
                vec![
                    ("cell", Prop::Str(h.cell.to_string())),
                    ("count", Prop::Int(h.count as i64)),
                    ("z", Prop::Num(h.z)),
                    ("q", Prop::Num(h.q)),
                    ("class", Prop::Str(class.into())),
                ],
            )
        })
        .collect())
}

async fn tile(
    State(s): State<Arc<AppState>>,
    Path((layer, z, x, file)): Path<(String, String, String, String)>,
    Query(q): Query<TileQuery>,
    headers: HeaderMap,
) -> ApiResult {
    if !TILE_LAYERS.contains(&layer.as_str()) {
        return Err(ApiError::not_found(format!("no tile layer {layer:?}; layers are {}", TILE_LAYERS.join(", "))));
    }
    let y = file.strip_suffix(".mvt").or_else(|| file.strip_suffix(".pbf")).unwrap_or(&file);
    let parsed = (z.parse::<u8>(), x.parse::<u32>(), y.parse::<u32>());
    let (Ok(z), Ok(x), Ok(y)) = parsed else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_tile", format!("{z}/{x}/{file} is not a tile address z/x/y.mvt")));
    };
    if !valid_tile(z, x, y) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_tile",
            format!("no tile {z}/{x}/{y}: z must be 0–{MAX_ZOOM} and x, y below 2^z"),
        ));
    }
    let d = s.dataset();
    let camera_layer = CAMERA_TILE_LAYERS.contains(&layer.as_str());
    let gz = |raw: Vec<u8>| {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = std::io::Write::write_all(&mut enc, &raw);
        Arc::new(enc.finish().unwrap_or_default())
    };
    let (key, body) = if layer == "heatmap" || layer == "hotspots" {
        // keyed by the filters and the live incidents' version; the cells are shared by the tiles of one query
        let filters = format!("{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}", q.res, q.k, q.from, q.to, q.category, q.status, q.unit);
        let auto = (z / 2 + 2).clamp(5, 11);
        let version = format!(
            "i{}-l{}",
            d.versions.get(&wangge_engine::model::LayerKind::Incidents).copied().unwrap_or(0),
            s.live.version.load(std::sync::atomic::Ordering::SeqCst)
        );
        let cells_key = format!("{version}/{layer}/{filters}/{}", q.res.unwrap_or(auto));
        let cells = match s.heat.get(&cells_key) {
            Some(c) => c,
            None => {
                let c = Arc::new(heat_cells(&s, &d, &layer, &q, z)?);
                s.heat.insert(cells_key.clone(), c.clone());
                c
            }
        };
        let key = format!("{version}/{layer}/{filters}/{z}/{x}/{y}");
        let body = s.tiles.get_with(key.clone(), || crate::tiles::render_cells(&layer, &cells, z, x, y).map(gz));
        (key, body)
    } else {
        let key = tile_key(&d, &layer, q.level.as_deref().unwrap_or(""), z, x, y);
        let body = s.tiles.get_with(key.clone(), || render(&d, &layer, q.level.as_deref(), z, x, y).map(gz));
        (key, body)
    };
    // camera layers change tile by tile with camera edits: their ETag is the content's hash
    let etag = if camera_layer {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.as_ref().map(|b| b.as_slice()).hash(&mut h);
        format!("\"{:016x}\"", h.finish())
    } else {
        format!("\"{}\"", key.split('/').next().unwrap_or(""))
    };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, &etag)
            .body(Body::empty())
            .unwrap_or_default());
    }
    let Some(gz) = body else {
        return Ok(Response::builder().status(StatusCode::NO_CONTENT).header(header::ETAG, &etag).body(Body::empty()).unwrap_or_default());
    };
    let accepts_gzip = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("gzip"));
    let mut resp = if accepts_gzip {
        let mut r = Response::new(Body::from(gz.as_ref().clone()));
        r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let mut raw = Vec::new();
        let _ = std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut raw);
        Response::new(Body::from(raw))
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(resp)
}

/// Tile layers that camera edits change (invalidated tile by tile).
const CAMERA_TILE_LAYERS: [&str; 3] = ["cameras", "camera_views", "camera_gaps"];

/// Cache key of a tile: the versions of the layers it depends on, then the layer, level and address.
fn tile_key(d: &Dataset, layer: &str, level: &str, z: u8, x: u32, y: u32) -> String {
    use wangge_engine::model::LayerKind as K;
    let v = |k: K| d.versions.get(&k).copied().unwrap_or(0);
    let deps = match layer {
        "facilities" => format!("f{}", v(K::Facilities)),
        "incidents" => format!("i{}", v(K::Incidents)),
        "roads" => format!("r{}", v(K::Roads)),
        // camera layers are not keyed by the cameras' version: edits invalidate the tiles they touch
        "cameras" | "camera_views" | "camera_gaps" => format!("u{}-b{}-cam", v(K::Units), v(K::Buildings)),
        _ => format!("u{}-b{}", v(K::Units), v(K::Buildings)),
    };
    format!("{deps}/{layer}/{level}/{z}/{x}/{y}")
}

async fn glyphs(Path((stack, range)): Path<(String, String)>) -> ApiResult {
    let r = range.strip_suffix(".pbf").unwrap_or(&range);
    let start = r
        .split('-')
        .next()
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| ApiError::bad(format!("glyph range {range:?} is not START-END.pbf")))?;
    if start % 256 != 0 || start > 65_280 {
        return Err(ApiError::bad(format!("glyph range {range:?} must start at a multiple of 256")));
    }
    let pbf = crate::glyphs::range_pbf(&stack, start);
    Ok(([(header::CONTENT_TYPE, "application/x-protobuf")], pbf).into_response())
}

#[derive(Deserialize)]
struct GraphQuery {
    level: Option<String>,
    tolerance: Option<f64>,
    min_shared: Option<f64>,
    format: Option<String>,
    within: Option<String>,
    weight: Option<String>,
}

fn graph_opts(tolerance: Option<f64>, min_shared: Option<f64>) -> AdjacencyOptions {
    let d = AdjacencyOptions::default();
    AdjacencyOptions { tolerance_m: tolerance.unwrap_or(d.tolerance_m), min_shared_m: min_shared.unwrap_or(d.min_shared_m) }
}

/// Run CPU-bound work on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

fn csv_response(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], bytes).into_response()
}

async fn adjacency(State(s): State<Arc<AppState>>, Query(q): Query<GraphQuery>) -> ApiResult {
    let d = s.dataset();
    blocking(move || {
        let level = q.level.as_deref().ok_or_else(|| ApiError::bad("level is required, e.g. ?level=grid"))?;
        let g = level_graph(&d, level, graph_opts(q.tolerance, q.min_shared)).map_err(ApiError::bad)?;
        match q.format.as_deref() {
            None | Some("json") => Ok(Json(g.adjacency_json()).into_response()),
            Some("geojson") => Ok(Json(g.adjacency_geojson()).into_response()),
            Some("csv") => {
                let mut buf = Vec::new();
                g.adjacency_csv(&mut buf).map_err(|e| ApiError::bad(e.to_string()))?;
                Ok(csv_response(buf))
            }
            Some(f) => Err(ApiError::bad(format!("format {f:?}: use json, geojson or csv"))),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProposeBody {
    level: String,
    count: Option<usize>,
    min_size: Option<usize>,
    max_size: Option<usize>,
    #[serde(default)]
    weight: WeightBy,
    #[serde(default)]
    straddle: bool,
    #[serde(default)]
    seed: u64,
    tolerance: Option<f64>,
    min_shared: Option<f64>,
    #[serde(default)]
    geojson: bool,
}

fn body_error(e: axum::extract::rejection::JsonRejection) -> ApiError {
    ApiError::bad(format!("request body: {}", e.body_text()))
}

async fn alliances_propose(
    State(s): State<Arc<AppState>>,
    body: Result<Json<ProposeBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(body_error)?;
    let d = s.dataset();
    blocking(move || {
        let g = level_graph(&d, &b.level, graph_opts(b.tolerance, b.min_shared)).map_err(ApiError::bad)?;
        let (min_size, max_size) = match (b.count, b.min_size, b.max_size) {
            (Some(_), lo, hi) => (lo.unwrap_or(1), hi.unwrap_or(usize::MAX)),
            (None, lo, hi) => (lo.unwrap_or(2), hi.unwrap_or(4)),
        };
        let spec = AllianceSpec { groups: b.count, min_size, max_size, straddle: b.straddle, seed: b.seed };
        let mut v = g.propose(b.weight, &spec).map_err(ApiError::bad)?;
        if b.geojson {
            v["geojson"] = g.alliances_geojson(&v);
        }
        Ok(Json(v).into_response())
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateBody {
    level: String,
    groups: Vec<Vec<String>>,
    #[serde(default)]
    weight: WeightBy,
    tolerance: Option<f64>,
    min_shared: Option<f64>,
}

async fn alliances_validate(
    State(s): State<Arc<AppState>>,
    body: Result<Json<ValidateBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(body_error)?;
    let d = s.dataset();
    blocking(move || {
        let g = level_graph(&d, &b.level, graph_opts(b.tolerance, b.min_shared)).map_err(ApiError::bad)?;
        Ok(Json(g.validate(b.weight, &b.groups).map_err(ApiError::bad)?).into_response())
    })
    .await
}

async fn ab_pairs(State(s): State<Arc<AppState>>, Query(q): Query<GraphQuery>) -> ApiResult {
    let d = s.dataset();
    blocking(move || {
        let level = q.level.as_deref().ok_or_else(|| ApiError::bad("level is required, e.g. ?level=grid"))?;
        let within_parent = match q.within.as_deref() {
            None | Some("parent") => true,
            Some("any") => false,
            Some(w) => return Err(ApiError::bad(format!("within {w:?}: use parent or any"))),
        };
        let weight = pair_weight(q.weight.as_deref().unwrap_or("shared")).map_err(ApiError::bad)?;
        let opts = AbOptions { within_parent, weight };
        let g = level_graph(&d, level, graph_opts(q.tolerance, q.min_shared)).map_err(ApiError::bad)?;
        let r = g.ab_pairs(&opts);
        match q.format.as_deref() {
            None | Some("json") => Ok(Json(g.ab_json(&r, &opts)).into_response()),
            Some("geojson") => Ok(Json(g.ab_geojson(&r)).into_response()),
            Some("csv") => {
                let mut buf = Vec::new();
                g.ab_csv(&r, &mut buf).map_err(|e| ApiError::bad(e.to_string()))?;
                Ok(csv_response(buf))
            }
            Some(f) => Err(ApiError::bad(format!("format {f:?}: use json, geojson or csv"))),
        }
    })
    .await
}

#[derive(Deserialize)]
struct CoverageQuery {
    unit: Option<String>,
    format: Option<String>,
    min_area: Option<f64>,
    res: Option<u8>,
}

fn unit_index(d: &Dataset, id: &str) -> Result<usize, ApiError> {
    d.hierarchy.get(&wangge_engine::model::UnitId(id.to_owned())).ok_or_else(|| ApiError::not_found(format!("no unit with id {id}")))
}

fn coverage_json(d: &Dataset, i: usize) -> Value {
    let u = &d.hierarchy.units[i];
    let mut v = serde_json::to_value(&d.coverage().units[i]).unwrap_or(Value::Null);
    v["id"] = json!(u.id.0);
    v["name"] = json!(u.name);
    v["level"] = json!(u.level.0);
    v
}

async fn coverage_cameras(State(s): State<Arc<AppState>>, Query(q): Query<CoverageQuery>) -> ApiResult {
    let d = s.dataset();
    blocking(move || {
        let cov = d.coverage();
        let h = &d.hierarchy;
        let (unit, children): (Option<Value>, Vec<usize>) = match &q.unit {
            Some(id) => {
                let i = unit_index(&d, id)?;
                (Some(coverage_json(&d, i)), h.children[i].clone())
            }
            None => (None, (0..h.len()).filter(|&i| h.parent[i].is_none()).collect()),
        };
        let on_roof: Vec<Value> = cov
            .views
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.on_roof.map(|b| json!({"camera": d.cameras[i].id, "building": d.buildings[b].id})))
            .collect();
        Ok(Json(json!({
            "mode": "2.5d",
            "storey_m": wangge_engine::cameras::map::STOREY_M,
            "cameras": d.cameras.len(),
            "unit": unit,
            "children": children.iter().map(|&c| coverage_json(&d, c)).collect::<Vec<_>>(),
            "on_roof": on_roof,
        }))
        .into_response())
    })
    .await
}

async fn coverage_gaps(State(s): State<Arc<AppState>>, Query(q): Query<CoverageQuery>) -> ApiResult {
    let d = s.dataset();
    blocking(move || {
        let id = q.unit.as_deref().ok_or_else(|| ApiError::bad("unit is required, e.g. ?unit=ID"))?;
        let i = unit_index(&d, id)?;
        let cov = d.coverage();
        match q.format.as_deref() {
            None | Some("geojson") => {
                let min = q.min_area.unwrap_or(25.0);
                if !(min.is_finite() && min >= 0.0) {
                    return Err(ApiError::bad(format!("min_area {min}: expected 0 or more (m²)")));
                }
                let f: Vec<Value> = cov
                    .gap_polygons(&d, i, min)
                    .into_iter()
                    .map(|(p, a)| {
                        geojson_out::feature(
                            &geo::Geometry::Polygon(p),
                            serde_json::Map::from_iter([("area_m2".into(), json!((a * 10.0).round() / 10.0)), ("unit".into(), json!(id))]),
                        )
                    })
                    .collect();
                Ok(Json(geojson_out::collection(f)).into_response())
            }
            Some("h3") => {
                let r = q.res.unwrap_or(11);
                let res = h3o::Resolution::try_from(r).map_err(|_| ApiError::bad(format!("res {r}: expected 0 to 15")))?;
                if r < 7 {
                    return Err(ApiError::bad(format!("res {r}: use 7 to 15 for gaps")));
                }
                let cells: Vec<String> = cov.gap_cells(&d, i, res).into_iter().map(|c| c.to_string()).collect();
                Ok(Json(json!({"unit": id, "res": r, "count": cells.len(), "cells": cells})).into_response())
            }
            Some(f) => Err(ApiError::bad(format!("format {f:?}: use geojson or h3"))),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SitingBody {
    unit: String,
    k: usize,
    camera: wangge_engine::model::CameraView,
    #[serde(default)]
    weights: wangge_engine::cameras::siting::SitingWeights,
    headings: Option<usize>,
}

async fn coverage_siting(
    State(s): State<Arc<AppState>>,
    body: Result<Json<SitingBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(body_error)?;
    let d = s.dataset();
    blocking(move || {
        let i = unit_index(&d, &b.unit)?;
        let r = d.coverage().siting(&d, i, b.k, b.camera, b.weights, b.headings.unwrap_or(8)).map_err(|e| ApiError::bad(e.to_string()))?;
        let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
        let features: Vec<Value> = r
            .proposals
            .iter()
            .flat_map(|p| {
                let props = serde_json::Map::from_iter([
                    ("rank".into(), json!(p.rank)),
                    ("heading".into(), json!(p.heading)),
                    ("gain_m2".into(), json!(p.gain_m2)),
                    ("generated".into(), json!(true)),
                ]);
                let mut view = props.clone();
                view.insert("kind".into(), json!("view"));
                let mut point = props;
                point.insert("kind".into(), json!("camera"));
                [
                    geojson_out::feature(&geo::Geometry::MultiPolygon(p.view.clone()), view),
                    geojson_out::feature(&geo::Geometry::Point(geo::Point::new(p.lon, p.lat)), point),
                ]
            })
            .collect();
        v["unit"] = json!(b.unit);
        v["camera"] = json!({"fov": b.camera.fov_deg, "range": b.camera.range_m.0, "height": b.camera.height_m.0});
        v["geojson"] = geojson_out::collection(features);
        Ok(Json(v).into_response())
    })
    .await
}

#[derive(Deserialize)]
struct HighPointsQuery {
    unit: Option<String>,
    n: Option<usize>,
    range: Option<f64>,
    height: Option<f64>,
}

async fn coverage_high_points(State(s): State<Arc<AppState>>, Query(q): Query<HighPointsQuery>) -> ApiResult {
    let d = s.dataset();
    blocking(move || {
        let h = &d.hierarchy;
        let i = match &q.unit {
            Some(id) => unit_index(&d, id)?,
            None => (0..h.len()).find(|&i| h.parent[i].is_none()).ok_or_else(|| ApiError::not_found("no units loaded"))?,
        };
        let dome = wangge_engine::model::CameraView::dome(q.range.unwrap_or(500.0), q.height.unwrap_or(5.0));
        let r = d.coverage().high_points(&d, i, q.n.unwrap_or(12), dome).map_err(|e| ApiError::bad(e.to_string()))?;
        let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
        let mut features: Vec<Value> = Vec::new();
        for (c, view) in r.cameras.iter().zip(&r.views) {
            let props = serde_json::Map::from_iter([("kind".into(), json!("view")), ("building".into(), json!(c.building))]);
            features.push(geojson_out::feature(&geo::Geometry::MultiPolygon(view.clone()), props));
        }
        for (g, a) in &r.gaps {
            let props = serde_json::Map::from_iter([("kind".into(), json!("gap")), ("area_m2".into(), json!((a * 10.0).round() / 10.0))]);
            features.push(geojson_out::feature(&geo::Geometry::Polygon(g.clone()), props));
        }
        for c in &r.cameras {
            let props = serde_json::Map::from_iter([("kind".into(), json!("camera")), ("building".into(), json!(c.building))]);
            features.push(geojson_out::feature(&geo::Geometry::Point(geo::Point::new(c.lon, c.lat)), props));
        }
        v["unit"] = json!(h.units[i].id.0);
        v["unit_name"] = json!(h.units[i].name);
        v["geojson"] = geojson_out::collection(features);
        Ok(Json(v).into_response())
    })
    .await
}

/// Parse one camera from a GeoJSON Feature (or a FeatureCollection of one) with the importer's checks.
fn parse_camera(body: &str, id: Option<&str>) -> Result<wangge_engine::model::Camera, ApiError> {
    let mut v: Value = serde_json::from_str(body).map_err(|e| ApiError::bad(format!("request body: not JSON: {e}")))?;
    if v["type"] == "Feature" {
        v = json!({"type": "FeatureCollection", "features": [v]});
    }
    let n = v["features"].as_array().map_or(0, Vec::len);
    if v["type"] != "FeatureCollection" || n != 1 {
        return Err(ApiError::bad("request body: expected one GeoJSON Feature (a Point with the camera's properties)"));
    }
    if let Some(id) = id {
        v["features"][0]["properties"]["id"] = json!(id);
    }
    let opts = crate::import::ImportOptions::new(wangge_engine::model::LayerKind::Cameras);
    match crate::import::read_str(&v.to_string(), false, "request body", &opts) {
        Ok(crate::import::Layer::Cameras(mut c)) if c.len() == 1 => Ok(c.remove(0)),
        Ok(_) => Err(ApiError::bad("request body: expected one camera")),
        Err(e) => Err(ApiError::bad(format!("cameras: {e}"))),
    }
}

fn camera_json(d: &Dataset, i: usize) -> Value {
    let c = &d.cameras[i];
    let mut extra = Vec::new();
    if let Some(cov) = d.coverage.get()
        && let Some(v) = cov.views.get(i)
    {
        extra.push(("view_m2", json!(geo::Area::unsigned_area(&v.polygon))));
        extra.push(("on_roof", json!(v.on_roof.map(|b| &d.buildings[b].id))));
    }
    geojson_out::camera_feature(c, extra)
}

async fn camera_get(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    let d = s.dataset();
    let i = d.cameras.iter().position(|c| c.id == id).ok_or_else(|| ApiError::not_found(format!("no camera with id {id}")))?;
    Ok(Json(camera_json(&d, i)).into_response())
}

/// Apply a camera edit: write the new cameras layer to the store (if any) first,
/// then update the in-memory state incrementally and drop the touched tiles.
fn edit_cameras(s: &AppState, make: impl FnOnce(&Dataset) -> Result<CameraEdit, ApiError>) -> Result<(Value, StatusCode), ApiError> {
    let mut guard = match s.data.write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let edit = make(&guard)?;
    let mut next = guard.cameras.clone();
    let (status, id) = match &edit {
        CameraEdit::Add(c) => {
            next.push(c.clone());
            (StatusCode::CREATED, Some(c.id.clone()))
        }
        CameraEdit::Replace(i, c) => {
            next[*i] = c.clone();
            (StatusCode::OK, Some(c.id.clone()))
        }
        CameraEdit::Remove(i) => {
            next.remove(*i);
            (StatusCode::OK, None)
        }
    };
    let mut version = None;
    if let Some(store) = &s.store {
        let mut st = crate::live::lock(store);
        let v = st
            .write_layer(&crate::import::Layer::Cameras(next), "http", "wgs84", |_| Ok(None))
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store", format!("the edit was not saved: {e}")))?;
        version = Some(v);
    }
    let d = Arc::make_mut(&mut guard);
    let effect = CameraCoverage::apply(d, edit);
    if let Some(v) = version {
        d.versions.insert(wangge_engine::model::LayerKind::Cameras, v);
    }
    // drop the cached camera tiles the edit touched, at every zoom
    if let Some(t) = effect.touched {
        for z in 0..=MAX_ZOOM {
            let (xs, ys) = crate::mvt::tiles_covering(t, z);
            let max = (1u32 << z) - 1;
            for x in xs.start().saturating_sub(1)..=(*xs.end() + 1).min(max) {
                for y in ys.start().saturating_sub(1)..=(*ys.end() + 1).min(max) {
                    for layer in CAMERA_TILE_LAYERS {
                        s.tiles.invalidate(&tile_key(d, layer, "", z, x, y));
                    }
                }
            }
        }
    }
    let root = (0..d.hierarchy.len()).find(|&i| d.hierarchy.parent[i].is_none());
    let kpi = root.and_then(|r| d.coverage.get().map(|c| &c.units[r]));
    let camera = id.and_then(|id| d.cameras.iter().position(|c| c.id == id)).map(|i| camera_json(d, i));
    Ok((
        json!({
            "camera": camera,
            "version": version,
            "recompute_ms": (effect.seconds * 1e4).round() / 10.0,
            "touched_cells": effect.cells,
            "touched_buildings": effect.buildings,
            "cameras": d.cameras.len(),
            "ground_share": kpi.map(|k| k.ground_share),
        }),
        status,
    ))
}

async fn camera_create(State(s): State<Arc<AppState>>, body: String) -> ApiResult {
    blocking(move || {
        let (v, status) = edit_cameras(&s, |d| {
            let c = parse_camera(&body, None)?;
            if d.cameras.iter().any(|x| x.id == c.id) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!("a camera with id {} exists; PUT /api/cameras/{} to change it", c.id, c.id),
                ));
            }
            Ok(CameraEdit::Add(c))
        })?;
        Ok((status, Json(v)).into_response())
    })
    .await
}

async fn camera_replace(State(s): State<Arc<AppState>>, Path(id): Path<String>, body: String) -> ApiResult {
    blocking(move || {
        let (v, status) = edit_cameras(&s, |d| {
            let i = d.cameras.iter().position(|c| c.id == id).ok_or_else(|| ApiError::not_found(format!("no camera with id {id}")))?;
            Ok(CameraEdit::Replace(i, parse_camera(&body, Some(&id))?))
        })?;
        Ok((status, Json(v)).into_response())
    })
    .await
}

async fn camera_delete(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    blocking(move || {
        let (v, status) = edit_cameras(&s, |d| {
            let i = d.cameras.iter().position(|c| c.id == id).ok_or_else(|| ApiError::not_found(format!("no camera with id {id}")))?;
            Ok(CameraEdit::Remove(i))
        })?;
        Ok((status, Json(v)).into_response())
    })
    .await
}

#[derive(Deserialize)]
struct IncidentQuery {
    res: Option<u8>,
    k: Option<u32>,
    from: Option<String>,
    to: Option<String>,
    category: Option<String>,
    status: Option<String>,
    unit: Option<String>,
    format: Option<String>,
}

/// A query's time window (from, to) and unit.
type Filters = (Option<i64>, Option<i64>, Option<usize>);

fn incident_filters(d: &Dataset, q: &IncidentQuery) -> Result<Filters, ApiError> {
    let time = |s: &Option<String>, what: &str| -> Result<Option<i64>, ApiError> {
        match s {
            None => Ok(None),
            Some(t) => crate::timefmt::parse_time(t, 8 * 3600)
                .map(Some)
                .ok_or_else(|| ApiError::bad(format!("{what} {t:?}: expected a time like 2026-11-01T00:00:00+08:00"))),
        }
    };
    let unit = match &q.unit {
        Some(id) => Some(unit_index(d, id)?),
        None => None,
    };
    Ok((time(&q.from, "from")?, time(&q.to, "to")?, unit))
}

/// Counts per cell of the incidents (loaded and live) matching a query's window, category, status and unit, and their total.
fn heat_counts(
    d: &Dataset,
    live: &crate::live::Live,
    q: &IncidentQuery,
    res: h3o::Resolution,
) -> Result<(std::collections::BTreeMap<h3o::CellIndex, u64>, u64), ApiError> {
    let (from, to, unit) = incident_filters(d, q)?;
    let f = crate::heat::Filter { from, to, category: q.category.as_deref(), status: q.status.as_deref(), unit };
    Ok(crate::heat::counts(d, live, &f, res))
}

fn h3_res(r: Option<u8>, default: u8) -> Result<h3o::Resolution, ApiError> {
    let r = r.unwrap_or(default);
    if !(5..=11).contains(&r) {
        return Err(ApiError::bad(format!("res {r}: use 5 to 11")));
    }
    h3o::Resolution::try_from(r).map_err(|_| ApiError::bad(format!("res {r}: use 5 to 11")))
}

fn hexagon(c: h3o::CellIndex) -> geo::Geometry<f64> {
    geo::Geometry::Polygon(crate::tiles::hexagon(c))
}

async fn heatmap(State(s): State<Arc<AppState>>, Query(q): Query<IncidentQuery>) -> ApiResult {
    let d = s.dataset();
    blocking(move || {
        let res = h3_res(q.res, 8)?;
        let (counts, total) = heat_counts(&d, &s.live, &q, res)?;
        let generated = d.incidents.iter().any(|i| Dataset::is_generated(&i.attributes));
        match q.format.as_deref() {
            None | Some("json") => {
                let cells: Vec<Value> = counts.iter().map(|(c, n)| json!({"cell": c.to_string(), "count": n})).collect();
                Ok(Json(json!({"res": u8::from(res), "incidents": total, "generated": generated, "cells": cells})).into_response())
            }
            Some("geojson") => {
                let f = counts
                    .iter()
                    .map(|(c, n)| {
                        geojson_out::feature(
                            &hexagon(*c),
                            serde_json::Map::from_iter([("cell".into(), json!(c.to_string())), ("count".into(), json!(n))]),
                        )
                    })
                    .collect();
                Ok(Json(geojson_out::collection(f)).into_response())
            }
            Some(f) => Err(ApiError::bad(format!("format {f:?}: use json or geojson"))),
        }
    })
    .await
}

async fn hotspots(State(s): State<Arc<AppState>>, Query(q): Query<IncidentQuery>) -> ApiResult {
    let d = s.dataset();
    blocking(move || {
        let res = h3_res(q.res, 8)?;
        let k = q.k.unwrap_or(1);
        if !(1..=5).contains(&k) {
            return Err(ApiError::bad(format!("k {k}: use 1 to 5")));
        }
        let (counts, total) = heat_counts(&d, &s.live, &q, res)?;
        let hs = wangge_engine::incidents::hotspot::gi_star(&counts, k);
        let generated = d.incidents.iter().any(|i| Dataset::is_generated(&i.attributes));
        let class = |h: &wangge_engine::incidents::hotspot::HotSpot| match (h.q < 0.05, h.z > 0.0) {
            (true, true) => "hot",
            (true, false) => "cold",
            _ => "none",
        };
        match q.format.as_deref() {
            None | Some("json") => {
                let cells: Vec<Value> = hs
                    .iter()
                    .map(|h| json!({"cell": h.cell.to_string(), "count": h.count, "z": h.z, "p": h.p, "q": h.q, "class": class(h)}))
                    .collect();
                Ok(Json(json!({"res": u8::from(res), "k": k, "incidents": total, "generated": generated, "fdr": 0.05,
                    "hot": hs.iter().filter(|h| class(h) == "hot").count(), "cold": hs.iter().filter(|h| class(h) == "cold").count(), "cells": cells}))
                .into_response())
            }
            Some("geojson") => {
                let f = hs
                    .iter()
                    .map(|h| {
                        geojson_out::feature(
                            &hexagon(h.cell),
                            serde_json::Map::from_iter([
                                ("cell".into(), json!(h.cell.to_string())),
                                ("count".into(), json!(h.count)),
                                ("z".into(), json!(h.z)),
                                ("q".into(), json!(h.q)),
                                ("class".into(), json!(class(h))),
                            ]),
                        )
                    })
                    .collect();
                Ok(Json(geojson_out::collection(f)).into_response())
            }
            Some(f) => Err(ApiError::bad(format!("format {f:?}: use json or geojson"))),
        }
    })
    .await
}

fn live_error(e: crate::live::LiveError) -> ApiError {
    use crate::live::LiveError as L;
    match e {
        L::Bad(m) => ApiError::bad(m),
        L::NotFound(m) => ApiError::not_found(m),
        L::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
        L::Store(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "store", m),
    }
}

/// The request's `Idempotency-Key`, if any (1 to 200 characters).
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 200) {
        return Err(ApiError::bad("Idempotency-Key: 1 to 200 characters"));
    }
    Ok(key)
}

/// 201 with the body, marked when it replays an earlier answer to the same key.
fn created(v: Value, replayed: bool) -> Response {
    let mut r = (StatusCode::CREATED, Json(v)).into_response();
    if replayed {
        r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}

async fn incident_create(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<crate::live::NewIncident>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(body_error)?;
    let key = idempotency_key(&headers)?;
    let d = s.dataset();
    blocking(move || {
        let (v, replayed) = s.live.intake(&d, s.store.as_ref(), b, key).map_err(live_error)?;
        Ok(created(v, replayed))
    })
    .await
}

#[derive(Deserialize)]
struct BulkQuery {
    format: Option<String>,
    crs: Option<String>,
}

/// Many incidents from a CSV or GeoJSON body into the live lifecycle, all or nothing.
async fn incident_bulk(State(s): State<Arc<AppState>>, Query(q): Query<BulkQuery>, headers: HeaderMap, body: String) -> ApiResult {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_csv = match q.format.as_deref() {
        Some("csv") => true,
        Some("geojson") => false,
        None => content_type.contains("csv"),
        Some(f) => return Err(ApiError::bad(format!("format {f:?}: use csv or geojson"))),
    };
    let mut o = crate::import::ImportOptions::new(wangge_engine::model::LayerKind::Incidents);
    if let Some(c) = &q.crs {
        o.crs = wangge_engine::geometry::crs::SourceCrs::parse(c)
            .ok_or_else(|| ApiError::bad(format!("crs {c:?}: use wgs84, gcj02 or bd09")))?;
    }
    o.defaults.insert("status".into(), json!("reported"));
    let key = idempotency_key(&headers)?;
    let d = s.dataset();
    blocking(move || {
        let name = if is_csv { "incidents.csv" } else { "incidents.geojson" };
        let rows = match crate::import::read_str(&body, is_csv, name, &o) {
            Ok(crate::import::Layer::Incidents(v)) => v,
            Ok(_) => return Err(ApiError::bad("not an incidents layer")),
            Err(e) => return Err(ApiError::bad(e.to_string())),
        };
        let (v, replayed) = s.live.bulk(&d, s.store.as_ref(), rows, key).map_err(live_error)?;
        Ok(created(v, replayed))
    })
    .await
}

async fn incident_get(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> ApiResult {
    s.live.get(&id).map(|v| Json(v).into_response()).ok_or_else(|| ApiError::not_found(format!("no live incident with id {id}")))
}

async fn incident_transition(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Json<crate::live::StepBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(body_error)?;
    blocking(move || Ok(Json(s.live.transition(s.store.as_ref(), &id, b).map_err(live_error)?).into_response())).await
}

async fn incident_list(State(s): State<Arc<AppState>>, Query(q): Query<IncidentListQuery>) -> ApiResult {
    let d = s.dataset();
    let bbox = q.bbox.as_deref().map(parse_bbox).transpose()?;
    let iq =
        IncidentQuery { res: None, k: None, from: q.from, to: q.to, category: q.category, status: q.status, unit: q.unit, format: None };
    let (from, to, unit) = incident_filters(&d, &iq)?;
    let inside = |x: f64, y: f64| bbox.is_none_or(|b| b.min().x <= x && x <= b.max().x && b.min().y <= y && y <= b.max().y);
    let list: Vec<Value> = s
        .live
        .all()
        .iter()
        .filter(|i| from.is_none_or(|f| i.occurred_at >= f) && to.is_none_or(|t| i.occurred_at < t))
        .filter(|i| iq.category.as_ref().is_none_or(|c| &i.category == c) && iq.status.as_ref().is_none_or(|st| i.status.as_str() == st))
        .filter(|i| unit.is_none_or(|u| i.units.iter().any(|x| x == &d.hierarchy.units[u].id.0)) && inside(i.lon, i.lat))
        .map(|i| s.live.json(i))
        .collect();
    Ok(Json(json!({"count": list.len(), "incidents": list})).into_response())
}

#[derive(Deserialize)]
struct IncidentListQuery {
    bbox: Option<String>,
    from: Option<String>,
    to: Option<String>,
    category: Option<String>,
    status: Option<String>,
    unit: Option<String>,
}

/// Server-sent events: `incident`, `transition` and `sensor` as they happen;
/// `kpi` on connect and whenever the figures change (checked every 500 ms).
async fn stream(
    State(s): State<Arc<AppState>>,
) -> axum::response::sse::Sse<impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let rx = s.live.events.subscribe();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let events = futures_util::stream::unfold((rx, tick, s, String::new()), |(mut rx, mut tick, s, mut last)| async move {
        loop {
            tokio::select! {
                m = rx.recv() => match m {
                    Ok((kind, data)) => return Some((Ok(Event::default().event(kind).data(data)), (rx, tick, s, last))),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                _ = tick.tick() => {
                    let mut k = s.live.kpi();
                    // "at" changes every call; compare the figures only
                    let at = k.as_object_mut().and_then(|o| o.remove("at"));
                    let figures = k.to_string();
                    if figures != last {
                        last = figures;
                        if let (Some(o), Some(at)) = (k.as_object_mut(), at) {
                            o.insert("at".into(), at);
                        }
                        return Some((Ok(Event::default().event("kpi").data(k.to_string())), (rx, tick, s, last)));
                    }
                }
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}

async fn kpi(State(s): State<Arc<AppState>>) -> ApiResult {
    Ok(Json(s.live.kpi()).into_response())
}

#[derive(Deserialize)]
struct TrendQuery {
    period: Option<String>,
}

/// Incident trend (per week or month, change against the previous period) and resolution levels of a unit.
async fn unit_incidents(State(s): State<Arc<AppState>>, Path(id): Path<String>, Query(q): Query<TrendQuery>) -> ApiResult {
    use wangge_engine::incidents::trend::{Period, TrendRow, UnitIncidents, loaded_rows};
    let d = s.dataset();
    let u = unit_index(&d, &id)?;
    let period = match q.period.as_deref() {
        None => Period::Week,
        Some(p) => Period::parse(p).ok_or_else(|| ApiError::bad(format!("period {p:?}: use week or month")))?,
    };
    let mut rows = loaded_rows(&d, u);
    s.live.each(|i| {
        if i.units.iter().any(|x| x == &id) {
            let lvl = wangge_engine::incidents::lifecycle::resolved_level(&i.transitions);
            rows.push(TrendRow { at: i.occurred_at, resolved_level: lvl.map(|l| l.as_str().to_owned()) });
        }
    });
    let r = UnitIncidents::compute(id, d.incidents_generated(), &rows, period, 8 * 3600);
    Ok(Json(serde_json::to_value(&r).unwrap_or(Value::Null)).into_response())
}

async fn sensor_create(
    State(s): State<Arc<AppState>>,
    body: Result<Json<crate::live::Sensor>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(body_error)?;
    blocking(move || Ok((StatusCode::CREATED, Json(s.live.add_sensor(s.store.as_ref(), b).map_err(live_error)?)).into_response())).await
}

async fn sensor_list(State(s): State<Arc<AppState>>) -> ApiResult {
    Ok(Json(json!({"sensors": s.live.sensors()})).into_response())
}

async fn sensor_reading(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Json<crate::live::Reading>, axum::extract::rejection::JsonRejection>,
) -> ApiResult {
    let Json(b) = body.map_err(body_error)?;
    let d = s.dataset();
    blocking(move || Ok(Json(s.live.reading(&d, s.store.as_ref(), &id, b).map_err(live_error)?).into_response())).await
}
