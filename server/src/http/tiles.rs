//! Vector tiles, TileJSON and glyphs.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::error::{AppError, AppResult};
use super::heat::*;
use super::params::*;
use super::units::*;
use crate::mvt::{MAX_ZOOM, valid_tile};
use crate::tiles::{TILE_LAYERS, layer_fields, render};
use wangge_engine::dataset::Dataset;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/tiles/{name}", get(tilejson))
        .route("/tiles/{layer}/{z}/{x}/{file}", get(tile))
        .route("/fonts/{stack}/{range}", get(glyphs))
}

pub(crate) async fn tilejson(
    State(s): State<Arc<AppState>>,
    Path(name): Path<String>,
    Query(q): Query<LevelQuery>,
    headers: HeaderMap,
) -> AppResult {
    let layer = name.strip_suffix(".json").ok_or_else(|| AppError::not_found(format!("no tile resource {name:?}")))?;
    if !TILE_LAYERS.contains(&layer) {
        return Err(AppError::not_found(format!("no tile layer {layer:?}; layers are {}", TILE_LAYERS.join(", "))));
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

#[derive(Deserialize)]
pub(crate) struct TileQuery {
    pub(crate) level: Option<String>,
    pub(crate) res: Option<u8>,
    pub(crate) k: Option<u32>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) unit: Option<String>,
}

/// The cells of a heatmap or hot-spot tile layer for a query (res from the zoom when not given).
pub(crate) fn heat_cells(s: &AppState, d: &Dataset, layer: &str, q: &TileQuery, z: u8) -> Result<Vec<crate::tiles::HeatCell>, AppError> {
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

pub(crate) async fn tile(
    State(s): State<Arc<AppState>>,
    Path((layer, z, x, file)): Path<(String, String, String, String)>,
    Query(q): Query<TileQuery>,
    headers: HeaderMap,
) -> AppResult {
    if !TILE_LAYERS.contains(&layer.as_str()) {
        return Err(AppError::not_found(format!("no tile layer {layer:?}; layers are {}", TILE_LAYERS.join(", "))));
    }
    let y = file.strip_suffix(".mvt").or_else(|| file.strip_suffix(".pbf")).unwrap_or(&file);
    let parsed = (z.parse::<u8>(), x.parse::<u32>(), y.parse::<u32>());
    let (Ok(z), Ok(x), Ok(y)) = parsed else {
        return Err(AppError::BadTile(format!("{z}/{x}/{file} is not a tile address z/x/y.mvt")));
    };
    if !valid_tile(z, x, y) {
        return Err(AppError::BadTile(format!("no tile {z}/{x}/{y}: z must be 0–{MAX_ZOOM} and x, y below 2^z")));
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
pub(crate) const CAMERA_TILE_LAYERS: [&str; 3] = ["cameras", "camera_views", "camera_gaps"];

/// Cache key of a tile: the versions of the layers it depends on, then the layer, level and address.
pub(crate) fn tile_key(d: &Dataset, layer: &str, level: &str, z: u8, x: u32, y: u32) -> String {
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
    let pbf = crate::glyphs::range_pbf(&stack, start);
    Ok(([(header::CONTENT_TYPE, "application/x-protobuf")], pbf).into_response())
}
