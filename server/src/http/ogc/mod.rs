//! OGC API – Features, Part 1: Core (OGC 17-069r4) over the stored layers, so
//! QGIS, ArcGIS Pro and GDAL (`OAPIF:`) connect with no custom code: the landing
//! page `/ogc`, `/ogc/conformance`, `/ogc/collections`, one collection, its
//! items (`bbox`, `limit` 10 by default and at most 10 000, `offset`,
//! `datetime` for incidents and cases, equality filters on properties, `next`/`prev`
//! links, `numberMatched`/`numberReturned`) and single items, as JSON/GeoJSON
//! or a plain HTML page (`?f=html` or `Accept: text/html`). Every answer holds
//! only what lies inside the caller's jurisdiction (the rules of
//! `/api/features`); a feature outside it is a 404 like one that does not
//! exist. Coordinates are always CRS84 lon/lat: `/ogc/conformance` claims no
//! Part 2 (other CRSs by reference), and none is offered.
//! Checked by `server/tests/it/ogc.rs`, with GDAL's `ogrinfo` against a live server.

mod cases;
mod html;
mod items;

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use geo::BoundingRect;
use serde_json::{Value, json};

use super::AppState;
use super::access::{Action, Routes, Scope};
use super::error::{AppError, AppResult};
use crate::tiles::tilejson::BaseUrl;
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/ogc", Action::Read, landing)
        .get("/ogc/conformance", Action::Read, conformance)
        .get("/ogc/collections", Action::Read, collections)
        .get("/ogc/collections/{id}", Action::Read, collection)
        .get("/ogc/collections/{id}/items", Action::Read, items::items)
        .get("/ogc/collections/{id}/items/{fid}", Action::Read, items::item)
}

/// The conformance classes implemented (and tested).
pub(crate) const CONFORMS_TO: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
];

/// The collections: the stored layers, and the cases reported through the API.
pub(crate) const COLLECTIONS: [(&str, &str, &str); 7] = [
    ("units", "Units", "The governance hierarchy (district, streets, communities, grids): polygons"),
    ("buildings", "Buildings", "Building footprints with floors, households and population"),
    ("cameras", "Cameras", "Video cameras with their view (heading, field of view, range)"),
    ("facilities", "Facilities", "Service facilities (party-mass service centres, stations, clinics)"),
    ("incidents", "Incidents", "Loaded incidents with their time (occurred_at) and category"),
    (
        cases::ID,
        "Cases",
        "Incidents reported through the API (the grid workers' apps), open and closed, with their status, time (occurred_at) and category",
    ),
    ("roads", "Roads", "The walking network's lines"),
];

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// JSON or HTML, from `?f=` or the Accept header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Out {
    Json,
    Html,
}

impl Out {
    pub(crate) fn of(f: Option<&str>, headers: &HeaderMap) -> Result<Out, AppError> {
        match f {
            Some("json" | "geojson" | "application/json" | "application/geo+json") => Ok(Out::Json),
            Some("html" | "text/html") => Ok(Out::Html),
            Some(other) => Err(AppError::bad(format!("f={other:?}: use f=json or f=html"))),
            None => {
                let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
                let html = accept.find("text/html");
                let json = accept.find("json");
                Ok(if html.is_some_and(|h| json.is_none_or(|j| h < j)) { Out::Html } else { Out::Json })
            }
        }
    }
}

/// The `/ogc` base URL as the client sees it (proxy headers honoured).
pub(crate) fn base(headers: &HeaderMap) -> String {
    format!("{}/ogc", BaseUrl::from_headers(headers).0)
}

fn link(href: String, rel: &str, ty: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": ty, "title": title})
}

/// A JSON or HTML answer with its content type.
pub(crate) fn answer(out: Out, v: Value, json_type: &'static str, title: &str) -> Response {
    match out {
        Out::Json => {
            let mut r = Json(v).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(json_type));
            r
        }
        Out::Html => html::page(title, &v).into_response(),
    }
}

/// The `f` parameter alone (the landing page, conformance and collections take no other).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct FQuery {
    f: Option<String>,
}

async fn landing(headers: HeaderMap, axum::extract::Query(q): axum::extract::Query<FQuery>, _scope: Scope) -> AppResult {
    let out = Out::of(q.f.as_deref(), &headers)?;
    let b = base(&headers);
    let v = json!({
        "title": "wangge — 网格",
        "description": "The stored layers of wangge (units, buildings, cameras, facilities, incidents, roads) and the cases \
                        reported through its API as OGC API – Features; only what lies inside the caller's jurisdiction. Generated layers are labelled generated.",
        "links": [
            link(format!("{b}?f=json"), "self", "application/json", "This document"),
            link(format!("{b}?f=html"), "alternate", "text/html", "This document as HTML"),
            link(format!("{b}/conformance"), "conformance", "application/json", "Conformance classes implemented"),
            link(format!("{b}/collections"), "data", "application/json", "The collections"),
        ],
    });
    Ok(answer(out, v, "application/json", "wangge — OGC API – Features"))
}

async fn conformance(headers: HeaderMap, axum::extract::Query(q): axum::extract::Query<FQuery>, _scope: Scope) -> AppResult {
    let out = Out::of(q.f.as_deref(), &headers)?;
    Ok(answer(out, json!({"conformsTo": CONFORMS_TO}), "application/json", "Conformance"))
}

/// The bbox of the features of `layer` inside `j`, `None` when there are none.
fn extent(d: &Dataset, layer: &str, j: &Jurisdiction) -> Option<geo::Rect<f64>> {
    let idx = super::units::layer_indices(d, layer, None, j)?;
    idx.iter().filter_map(|&i| items::geometry(d, layer, i).and_then(|g| g.bounding_rect())).reduce(|a, b| {
        geo::Rect::new(
            geo::coord! {x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y)},
            geo::coord! {x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y)},
        )
    })
}

fn collection_json(
    s: &AppState,
    d: &Dataset,
    scope: &Scope,
    b: &str,
    (id, title, description): (&str, &str, &str),
) -> Result<Value, AppError> {
    let j = &scope.jurisdiction;
    let mut extent_v = json!({});
    let trs = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";
    if id == cases::ID {
        if let Some((r, (lo, hi))) = cases::extent(&cases::visible(s, d, scope, None, None)?) {
            let f = wangge_engine::time::format_time;
            extent_v["spatial"] = json!({"bbox": [[r.min().x, r.min().y, r.max().x, r.max().y]], "crs": CRS84});
            extent_v["temporal"] = json!({"interval": [[f(lo), f(hi)]], "trs": trs});
        }
    } else if let Some(r) = extent(d, id, j) {
        extent_v["spatial"] = json!({"bbox": [[r.min().x, r.min().y, r.max().x, r.max().y]], "crs": CRS84});
    }
    if id == "incidents" {
        let times = super::units::layer_indices(d, id, None, j)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|i| d.incidents.get(i).map(|n| n.occurred_at));
        let (lo, hi) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        if lo <= hi {
            let f = wangge_engine::time::format_time;
            extent_v["temporal"] = json!({"interval": [[f(lo), f(hi)]], "trs": trs});
        }
    }
    let generated = match id {
        "units" => d.hierarchy.units.iter().any(|u| Dataset::is_generated(&u.attributes)),
        "buildings" => d.buildings.iter().any(|x| Dataset::is_generated(&x.attributes)),
        "cameras" => d.cameras.iter().any(|x| Dataset::is_generated(&x.attributes)),
        "facilities" => d.facilities.iter().any(|x| Dataset::is_generated(&x.attributes)),
        "incidents" => d.incidents.iter().any(|x| Dataset::is_generated(&x.attributes)),
        // reported by people through the API, never generated by us
        cases::ID => false,
        _ => d.roads.iter().any(|x| Dataset::is_generated(&x.attributes)),
    };
    let description = if generated { format!("{description} (generated data)") } else { description.to_owned() };
    Ok(json!({
        "id": id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent_v,
        "links": [
            link(format!("{b}/collections/{id}"), "self", "application/json", title),
            link(format!("{b}/collections/{id}?f=html"), "alternate", "text/html", title),
            link(format!("{b}/collections/{id}/items"), "items", "application/geo+json", &format!("{title} as GeoJSON")),
            link(format!("{b}/collections/{id}/items?f=html"), "items", "text/html", &format!("{title} as HTML")),
        ],
    }))
}

pub(crate) fn find_collection(id: &str) -> Result<(&'static str, &'static str, &'static str), AppError> {
    COLLECTIONS
        .into_iter()
        .find(|c| c.0 == id)
        .ok_or_else(|| AppError::not_found(format!("no collection {id:?}; collections are {}", COLLECTIONS.map(|c| c.0).join(", "))))
}

async fn collections(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<FQuery>,
    scope: Scope,
) -> AppResult {
    let out = Out::of(q.f.as_deref(), &headers)?;
    let d = s.dataset();
    let b = base(&headers);
    let list = COLLECTIONS.into_iter().map(|c| collection_json(&s, &d, &scope, &b, c)).collect::<Result<Vec<Value>, AppError>>()?;
    let v = json!({
        "links": [
            link(format!("{b}/collections"), "self", "application/json", "The collections"),
            link(format!("{b}/collections?f=html"), "alternate", "text/html", "The collections as HTML"),
        ],
        "collections": list,
    });
    Ok(answer(out, v, "application/json", "Collections"))
}

async fn collection(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<FQuery>,
    scope: Scope,
) -> AppResult {
    let out = Out::of(q.f.as_deref(), &headers)?;
    let c = find_collection(&id)?;
    let d = s.dataset();
    let v = collection_json(&s, &d, &scope, &base(&headers), c)?;
    Ok(answer(out, v, "application/json", c.1))
}
