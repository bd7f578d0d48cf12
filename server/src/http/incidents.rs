//! Incidents reported over HTTP: intake, bulk, transitions, listing, KPI and unit trends.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::{Action, Routes};
use super::error::{AppError, AppResult};
use super::extract::{Bbox, Format, IdempotencyKey, IncidentFilter, OutputFormat, UnitRef};
use super::{AppState, blocking};

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/incidents", Action::Report, incident_create)
        .get("/api/incidents", Action::ReadCases, incident_list)
        .get("/api/incidents/{id}", Action::ReadCases, incident_get)
        .post("/api/incidents/{id}/transitions", Action::Transition, incident_transition)
        .get("/api/kpi", Action::Read, kpi)
        .get("/api/units/{id}/incidents", Action::ReadCases, unit_incidents)
}

/// The bulk route, apart: it has its own body limit ([`super::BULK_BODY_LIMIT`]).
pub(crate) fn bulk_routes() -> Routes {
    Routes::new().post("/api/incidents/bulk", Action::BulkReport, incident_bulk)
}

/// 201 with the body, marked when it replays an earlier answer to the same key.
pub(crate) fn created(v: Value, replayed: bool) -> Response {
    let mut r = (StatusCode::CREATED, Json(v)).into_response();
    if replayed {
        r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}

pub(crate) async fn incident_create(
    State(s): State<Arc<AppState>>,
    IdempotencyKey(key): IdempotencyKey,
    body: Result<Json<crate::live::NewIncident>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let d = s.dataset();
    blocking(move || {
        let (v, replayed) = s.live.intake(&d, b, key)?;
        tracing::info!(incident = %v["id"], replayed, "incident stored");
        Ok(created(v, replayed))
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct BulkQuery {
    pub(crate) crs: Option<String>,
}

/// Many incidents from a CSV or GeoJSON body into the live lifecycle, all or nothing.
pub(crate) async fn incident_bulk(
    State(s): State<Arc<AppState>>,
    Query(q): Query<BulkQuery>,
    format: Format,
    IdempotencyKey(key): IdempotencyKey,
    headers: HeaderMap,
    body: String,
) -> AppResult {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_csv = match format.given(&[OutputFormat::Csv, OutputFormat::Geojson])? {
        Some(f) => f == OutputFormat::Csv,
        None => content_type.contains("csv"),
    };
    let mut o = crate::import::ImportOptions::new(wangge_engine::model::LayerKind::Incidents);
    if let Some(c) = &q.crs {
        o.crs = wangge_engine::geometry::crs::SourceCrs::parse(c)
            .ok_or_else(|| AppError::bad(format!("crs {c:?}: use wgs84, gcj02 or bd09")))?;
    }
    o.defaults.insert("status".into(), json!("reported"));
    let d = s.dataset();
    blocking(move || {
        let name = if is_csv { "incidents.csv" } else { "incidents.geojson" };
        let wangge_engine::model::Layer::Incidents(rows) = crate::import::read_str(&body, is_csv, name, &o)? else {
            return Err(AppError::bad("not an incidents layer"));
        };
        let (v, replayed) = s.live.bulk(&d, rows, key)?;
        tracing::info!(incidents = %v["imported"], replayed, "bulk incidents stored");
        Ok(created(v, replayed))
    })
    .await
}

pub(crate) async fn incident_get(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult {
    s.live.get(&id).map(|v| Json(v).into_response()).ok_or_else(|| AppError::not_found(format!("no live incident with id {id}")))
}

pub(crate) async fn incident_transition(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Json<crate::live::StepBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    blocking(move || {
        let v = s.live.transition(&id, b)?;
        tracing::info!(incident = %id, status = %v["status"], "transition stored");
        Ok(Json(v).into_response())
    })
    .await
}

pub(crate) async fn incident_list(State(s): State<Arc<AppState>>, bbox: Bbox, f: IncidentFilter) -> AppResult {
    let d = s.dataset();
    let list: Vec<Value> = s
        .live
        .all()
        .iter()
        .filter(|i| f.in_window(i.occurred_at))
        .filter(|i| f.category.as_ref().is_none_or(|c| &i.category == c) && f.status.as_ref().is_none_or(|st| i.status.as_str() == st))
        .filter(|i| f.unit.is_none_or(|u| i.units.iter().any(|x| x == &d.hierarchy.units[u].id.0)) && bbox.contains(i.lon, i.lat))
        .map(|i| s.live.json(i))
        .collect();
    Ok(Json(json!({"count": list.len(), "incidents": list})).into_response())
}

pub(crate) async fn kpi(State(s): State<Arc<AppState>>) -> AppResult {
    Ok(Json(s.live.kpi()).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TrendQuery {
    pub(crate) period: Option<String>,
}

/// Incident trend (per week or month, change against the previous period) and resolution levels of a unit.
pub(crate) async fn unit_incidents(
    State(s): State<Arc<AppState>>,
    UnitRef { id, index: u, dataset: d }: UnitRef,
    Query(q): Query<TrendQuery>,
) -> AppResult {
    use wangge_engine::incidents::trend::{Period, TrendRow, UnitIncidents, loaded_rows};
    let period = match q.period.as_deref() {
        None => Period::Week,
        Some(p) => Period::parse(p).ok_or_else(|| AppError::bad(format!("period {p:?}: use week or month")))?,
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
