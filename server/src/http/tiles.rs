//! Vector tile routes: TileJSON and tiles of one layer or of a comma-separated
//! list of layers in one MVT (`/tiles/units,roads/{z}/{x}/{y}.mvt`), the MapLibre
//! style and the glyphs.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::access::{Action, Routes, Scope};
use super::error::{AppError, AppResult};
use super::extract::{IncidentFilter, IncidentParams};
use super::heat::{filtered_counts, h3_res};
use super::params::urlencode;
use super::{AppState, blocking};
use crate::tiles::encoding::{TileEncoding, negotiate};
use crate::tiles::grid::{MAX_ZOOM, valid_tile};
use crate::tiles::mvt::{Prop, concat};
use crate::tiles::source::{self, Freshness, HeatKind};
use crate::tiles::tilejson::{BaseUrl, tilejson};
use crate::tiles::{CompositeKey, HeatCell, HeatFilter, HeatKey, Inputs, LayerTile, TileAddr, TileFilter, TileKey, TileScope, TileSource};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/tiles/{name}", Action::Read, tilejson_route)
        .get("/tiles/{layers}/{z}/{x}/{file}", Action::Read, tile)
        .get("/style.json", Action::Read, style)
        .get("/fonts/{stack}/{range}", Action::Public, glyphs)
}

/// The query of tile and TileJSON requests: `level` filters units; the rest are the heat layers' filters.
#[derive(Debug, Deserialize, Default)]
pub(crate) struct TileQuery {
    pub(crate) level: Option<String>,
    pub(crate) res: Option<u8>,
    pub(crate) k: Option<u32>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) unit: Option<String>,
    /// Facility kind of the service layers.
    pub(crate) kind: Option<String>,
    /// Threshold in metres of the service layers (default 500).
    pub(crate) threshold: Option<f64>,
}

/// The threshold of a service tile when none is given, metres.
const SERVICE_TILE_THRESHOLD_M: f64 = 500.0;

impl TileQuery {
    fn heat(&self) -> HeatFilter {
        HeatFilter {
            res: self.res,
            k: self.k,
            from: self.from.clone(),
            to: self.to.clone(),
            category: self.category.clone(),
            status: self.status.clone(),
            unit: self.unit.clone(),
        }
    }
    /// The filter that applies to `src`.
    fn filter_for(&self, src: &dyn TileSource) -> TileFilter {
        if src.heat().is_some() {
            TileFilter::Heat(self.heat())
        } else if src.service().is_some() {
            let t = self.threshold.unwrap_or(SERVICE_TILE_THRESHOLD_M);
            TileFilter::Service { kind: self.kind.clone().unwrap_or_default(), threshold_bits: t.to_bits() }
        } else if src.name() == "units"
            && let Some(l) = &self.level
        {
            TileFilter::Level(l.clone())
        } else {
            TileFilter::None
        }
    }
    /// The query string to repeat in tile URLs (`?level=grid&res=8`), or empty.
    fn to_query_string(&self) -> String {
        let num = |v: Option<String>| v;
        let pairs = [
            ("level", self.level.clone()),
            ("res", num(self.res.map(|v| v.to_string()))),
            ("k", num(self.k.map(|v| v.to_string()))),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("category", self.category.clone()),
            ("status", self.status.clone()),
            ("unit", self.unit.clone()),
            ("kind", self.kind.clone()),
            ("threshold", num(self.threshold.map(|v| v.to_string()))),
        ];
        let parts: Vec<String> = pairs.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", urlencode(v)))).collect();
        if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
    }
}

/// The sources named in a comma-separated list; an unknown name is a 404 naming it.
fn resolve(list: &str) -> Result<Vec<&'static dyn TileSource>, AppError> {
    let mut out: Vec<&'static dyn TileSource> = Vec::new();
    for name in list.split(',') {
        let Some(src) = source::source(name) else {
            return Err(AppError::not_found(format!(
                "no tile layer {name:?}; layers are {}",
                source::names().collect::<Vec<_>>().join(", ")
            )));
        };
        if out.iter().any(|s| s.name() == name) {
            return Err(AppError::bad(format!("tile layer {name:?} is listed twice")));
        }
        out.push(src);
    }
    Ok(out)
}

pub(crate) async fn tilejson_route(
    State(s): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<TileQuery>,
    scope: Scope,
    headers: HeaderMap,
) -> AppResult {
    let list = name.strip_suffix(".json").ok_or_else(|| AppError::not_found(format!("no tile resource {name:?}")))?;
    let sources = resolve(list)?;
    let d = s.dataset();
    let bounds = if scope.jurisdiction.is_everything() { d.bounds() } else { scope.jurisdiction.bounds(&d) };
    Ok(Json(tilejson(&BaseUrl::from_headers(&headers), &sources, &d, &q.to_query_string(), bounds)).into_response())
}

pub(crate) async fn style(headers: HeaderMap) -> AppResult {
    Ok(Json(crate::tiles::style::style(&BaseUrl::from_headers(&headers))).into_response())
}

/// The cells of a heatmap or hot-spot layer for a query (res from the zoom when not given), counting
/// only incidents inside the caller's jurisdiction: a `unit` filter must name a unit inside it (403
/// otherwise) and without one the jurisdiction's root is the filter (the heat filter's unit rule,
/// loaded incidents by their leaf's ancestry and live ones by their unit chain, is the jurisdiction's).
fn heat_cells(s: &AppState, d: &Dataset, scope: &Scope, kind: HeatKind, f: &HeatFilter, res: u8) -> Result<Vec<HeatCell>, AppError> {
    let res = h3_res(Some(res), res)?;
    let j = &scope.jurisdiction;
    let unit = match (&f.unit, &j.unit) {
        _ if j.is_void() => return Ok(Vec::new()),
        (None, root) => root.clone(),
        (Some(u), _) => {
            scope.require_unit(d, u)?;
            Some(u.clone())
        }
    };
    let p = IncidentParams { from: f.from.clone(), to: f.to.clone(), category: f.category.clone(), status: f.status.clone(), unit };
    let (counts, _) = filtered_counts(d, &s.live, &IncidentFilter::resolve(d, p)?, res)?;
    if kind == HeatKind::Counts {
        return Ok(counts
            .into_iter()
            .map(|(c, n)| (c, vec![("cell", Prop::Str(c.to_string())), ("count", Prop::Int(n as i64))]))
            .collect());
    }
    let k = f.k.unwrap_or(1);
    if !(1..=5).contains(&k) {
        return Err(AppError::bad(format!("k {k}: use 1 to 5")));
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

/// One layer of one tile from the cache (rendered on a miss), with its ETag part.
fn layer_tile(
    s: &AppState,
    d: &Dataset,
    scope: &Scope,
    src: &'static dyn TileSource,
    q: &TileQuery,
    tile: TileAddr,
) -> Result<(Option<Arc<LayerTile>>, String, TileKey), AppError> {
    let versions = source::versions(src, d, s.live.version.load(std::sync::atomic::Ordering::SeqCst));
    let filter = q.filter_for(src);
    let j: &Jurisdiction = &scope.jurisdiction;
    let tile_scope = TileScope::of(j, d);
    let cells = match (src.heat(), &filter) {
        (Some(kind), TileFilter::Heat(f)) => {
            let res = f.res.unwrap_or((tile.z / 2 + 2).clamp(5, 11));
            let key = HeatKey { kind, versions: versions.clone(), filter: f.clone(), res, scope: tile_scope.clone() };
            Some(s.heat.get_or_try(key, || heat_cells(s, d, scope, kind, f, res))?)
        }
        _ => None,
    };
    let shapes = match (src.service(), &filter) {
        (Some(what), TileFilter::Service { kind, threshold_bits }) => {
            let t = f64::from_bits(*threshold_bits);
            if !(t.is_finite() && t > 0.0 && t <= crate::service::MAX_THRESHOLD_M) {
                return Err(AppError::bad(format!("threshold {t} m: expected above 0 and at most {} m", crate::service::MAX_THRESHOLD_M)));
            }
            // without a kind (e.g. in a composite of every layer) the layer is empty
            if kind.is_empty() { None } else { Some(s.service.shapes(d, kind, t, j, what)?) }
        }
        _ => None,
    };
    // a jurisdiction's tiles have their own ETags: a browser shared by two users never revalidates one's tile as the other's
    let tag = match &tile_scope {
        TileScope::Everything => versions.to_string(),
        TileScope::Unit { id, units_version } => format!("{versions}-j{:08x}", hash(&(id, units_version)) as u32),
    };
    // so have a query's (level, heat filters, service kind and threshold): MapLibre keeps a reloaded tile's old
    // features when the new URL answers the ETag it already holds, so after `setTiles` with another threshold
    // the map would go on drawing the old one
    let tag = match &filter {
        TileFilter::None => tag,
        f => format!("{tag}-q{:08x}", hash(f) as u32),
    };
    let level = match &filter {
        TileFilter::Level(l) => Some(l.as_str()),
        _ => None,
    };
    let key = TileKey { layer: src.name(), versions, filter: filter.clone(), z: tile.z, x: tile.x, y: tile.y, scope: tile_scope };
    let body = s.tiles.get_with(key.clone(), || {
        let input = Inputs {
            d,
            scope: j,
            level,
            cells: cells.as_deref().map_or(&[], |c| c.as_slice()),
            shapes: shapes.as_deref().map_or(&[], |c| c.as_slice()),
        };
        source::render_layer(src, &input, tile)
    });
    // camera layers change tile by tile with camera edits: their ETag is the content's hash
    let tag = match src.freshness() {
        Freshness::Versioned => tag,
        Freshness::CameraEdited => format!("{:016x}", hash(&body.as_ref().map(|b| b.raw.as_ref()))),
    };
    Ok((body, tag, key))
}

fn hash(v: &impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

pub(crate) async fn tile(
    State(s): State<Arc<AppState>>,
    Path((list, z, x, file)): Path<(String, String, String, String)>,
    Query(q): Query<TileQuery>,
    scope: Scope,
    headers: HeaderMap,
) -> AppResult {
    let sources = resolve(&list)?;
    let y = file.strip_suffix(".mvt").or_else(|| file.strip_suffix(".pbf")).unwrap_or(&file);
    let parsed = (z.parse::<u8>(), x.parse::<u32>(), y.parse::<u32>());
    let (Ok(z), Ok(x), Ok(y)) = parsed else {
        return Err(AppError::BadTile(format!("{z}/{x}/{file} is not a tile address z/x/y.mvt")));
    };
    if !valid_tile(z, x, y) {
        return Err(AppError::BadTile(format!("no tile {z}/{x}/{y}: z must be 0–{MAX_ZOOM} and x, y below 2^z")));
    }
    let tile = TileAddr { z, x, y };
    let state = s.clone();
    let parts = blocking(move || {
        let d = state.dataset();
        sources.iter().map(|src| layer_tile(&state, &d, &scope, *src, &q, tile)).collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    let etag = match parts.as_slice() {
        [(_, tag, _)] => format!("\"{tag}\""),
        _ => format!("\"m{:016x}\"", hash(&(&list, parts.iter().map(|(_, t, _)| t.as_str()).collect::<Vec<_>>()))),
    };
    let encoding = negotiate(headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()));
    let empty = |status: StatusCode| {
        Response::builder()
            .status(status)
            .header(header::ETAG, &etag)
            .header(header::VARY, "Accept-Encoding")
            .body(Body::empty())
            .unwrap_or_default()
    };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok(empty(StatusCode::NOT_MODIFIED));
    }
    let composite =
        CompositeKey { parts: parts.iter().map(|(_, _, k)| k.clone()).collect(), tags: parts.iter().map(|(_, t, _)| t.clone()).collect() };
    let tiles: Vec<Arc<LayerTile>> = parts.into_iter().filter_map(|(t, _, _)| t).collect();
    let body: Bytes = match (tiles.as_slice(), encoding) {
        ([], _) => return Ok(empty(StatusCode::NO_CONTENT)),
        ([one], TileEncoding::Gzip) => one.gzip.clone(),
        ([one], TileEncoding::Identity) => one.raw.clone(),
        (many, TileEncoding::Gzip) => {
            blocking({
                let s = s.clone();
                let many: Vec<Arc<LayerTile>> = many.to_vec();
                move || Ok(s.tiles.composite_gzip(composite, || concat(many.iter().map(|t| t.raw.as_ref()))))
            })
            .await?
        }
        (many, TileEncoding::Identity) => concat(many.iter().map(|t| t.raw.as_ref())).into(),
    };
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    if encoding == TileEncoding::Gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(resp)
}

pub(crate) async fn glyphs(Path((stack, range)): Path<(String, String)>) -> AppResult {
    let r = range.strip_suffix(".pbf").unwrap_or(&range);
    let start = r
        .split('-')
        .next()
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| AppError::bad(format!("glyph range {range:?} is not START-END.pbf")))?;
    if start % 256 != 0 || start > 65_280 {
        return Err(AppError::bad(format!("glyph range {range:?} must start at a multiple of 256")));
    }
    let pbf = crate::tiles::glyphs::range_pbf(&stack, start);
    Ok(([(header::CONTENT_TYPE, "application/x-protobuf")], pbf).into_response())
}
