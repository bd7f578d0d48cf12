//! Incidents reported over HTTP: intake, bulk, transitions (each as the
//! caller's [`Actor`], 403 outside their role or jurisdiction), listing, KPI,
//! the case loop's evaluation and unit trends.
//!
//! The read routes (list, one incident, KPI, unit trends) answer only the
//! cases inside the caller's jurisdiction ([`Scope`]), and for a `department`
//! user only those whose current dispatch names their department
//! ([`crate::live::kpi::sees_case`]); one case or unit outside is 403.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use wangge_engine::people::Actor;

use super::access::{Action, Routes, Scope};
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
        .get("/api/evaluation", Action::Read, evaluation)
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
    Extension(by): Extension<Actor>,
    IdempotencyKey(key): IdempotencyKey,
    body: Result<Json<crate::live::NewIncident>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let d = s.dataset();
    blocking(move || {
        let (v, replayed) = s.live.intake_by(&d, b, key, &by)?;
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
    Extension(by): Extension<Actor>,
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
        o.crs = Some(wangge_engine::geometry::georef::Crs::parse(c).map_err(|e| AppError::bad(format!("crs: {e}")))?);
    }
    o.defaults.insert("status".into(), json!("reported"));
    let d = s.dataset();
    blocking(move || {
        let name = if is_csv { "incidents.csv" } else { "incidents.geojson" };
        let wangge_engine::model::Layer::Incidents(rows) = crate::import::read_str(&body, is_csv, name, &o)? else {
            return Err(AppError::bad("not an incidents layer"));
        };
        let (v, replayed) = s.live.bulk_by(&d, rows, key, &by)?;
        tracing::info!(incidents = %v["imported"], replayed, "bulk incidents stored");
        Ok(created(v, replayed))
    })
    .await
}

pub(crate) async fn incident_get(State(s): State<Arc<AppState>>, scope: Scope, Path(id): Path<String>) -> AppResult {
    let v = s.live.get(&id)?.ok_or_else(|| AppError::not_found(format!("no live incident with id {id}")))?;
    if !scope.jurisdiction.is_everything() {
        let d = s.dataset();
        let units: Vec<&str> = v["units"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        if !scope.jurisdiction.chain(&d, &units) {
            return Err(AppError::Forbidden(scope.outside(&format!("incident {id}"))));
        }
    }
    if let Some(dep) = scope.department() {
        let current = v["transitions"].as_array().and_then(|steps| steps.iter().rev().find(|t| t["to"] == "dispatched"));
        if !current.and_then(|t| t["departments"].as_array()).is_some_and(|ds| ds.iter().any(|x| x == dep)) {
            return Err(AppError::Forbidden(format!("incident {id} is not dispatched to department {dep:?} ({})", scope.actor.name)));
        }
    }
    Ok(Json(v).into_response())
}

pub(crate) async fn incident_transition(
    State(s): State<Arc<AppState>>,
    Extension(by): Extension<Actor>,
    Path(id): Path<String>,
    body: Result<Json<crate::live::StepBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    blocking(move || {
        let v = s.live.transition_by(&id, b, &by)?;
        tracing::info!(incident = %id, status = %v["status"], user = %by.name, role = %by.role, "transition stored");
        Ok(Json(v).into_response())
    })
    .await
}

pub(crate) async fn incident_list(State(s): State<Arc<AppState>>, scope: Scope, bbox: Bbox, f: IncidentFilter) -> AppResult {
    let d = s.dataset();
    let viewer = scope.viewer();
    // open cases from memory, closed ones from the store
    let list: Vec<Value> = s
        .live
        .all_in(f.occurred(), |i| {
            (viewer.sees_all() || crate::live::kpi::sees_case(&d, viewer, i))
                && f.in_window(i.occurred_at)
                && f.category.as_ref().is_none_or(|c| &i.category == c)
                && f.status.as_ref().is_none_or(|st| i.status.as_str() == st)
                && f.unit.is_none_or(|u| i.units.iter().any(|x| x == &d.hierarchy.units[u].id.0))
                && bbox.contains(i.lon, i.lat)
        })?
        .iter()
        .map(|i| s.live.json(i))
        .collect();
    Ok(Json(json!({"count": list.len(), "incidents": list})).into_response())
}

pub(crate) async fn kpi(State(s): State<Arc<AppState>>, scope: Scope) -> AppResult {
    Ok(Json(s.live.kpi_for(&s.dataset(), scope.viewer())).into_response())
}

#[derive(Deserialize)]
pub(crate) struct EvaluationQuery {
    pub(crate) by: Option<String>,
    pub(crate) level: Option<String>,
}

/// 综合评价: closure, on-time and rework rates and satisfaction per unit (optionally of one level), department or grid worker.
pub(crate) async fn evaluation(State(s): State<Arc<AppState>>, scope: Scope, Query(q): Query<EvaluationQuery>) -> AppResult {
    use wangge_engine::incidents::evaluation::By;
    let by_name = q.by.as_deref().unwrap_or("unit");
    let by = By::parse(by_name).ok_or_else(|| AppError::bad(format!("by {by_name:?}: use unit, department or grid_worker")))?;
    let d = s.dataset();
    let h = &d.hierarchy;
    if let Some(l) = &q.level {
        if by != By::Unit {
            return Err(AppError::bad(format!("level {l:?}: only with by=unit")));
        }
        if !h.levels.iter().any(|x| &x.0 == l) {
            let known: Vec<&str> = h.levels.iter().map(|x| x.0.as_str()).collect();
            return Err(AppError::bad(format!("level {l:?}: not a level of the units; levels: {}", known.join(", "))));
        }
    }
    let rows: Vec<Value> = s
        .live
        .evaluation(&d, scope.viewer(), by)?
        .into_iter()
        // a unit row outside the jurisdiction (an ancestor) is left out
        .filter(|r| by != By::Unit || scope.jurisdiction.unit_id(&d, &r.key))
        .filter_map(|r| {
            let mut v = serde_json::to_value(&r).ok()?;
            if by == By::Unit {
                let unit = h.get(&wangge_engine::model::UnitId(r.key.clone())).map(|u| &h.units[u]);
                if q.level.as_ref().is_some_and(|l| unit.is_none_or(|u| &u.level.0 != l)) {
                    return None;
                }
                if let Some(o) = v.as_object_mut() {
                    o.insert("level".into(), json!(unit.map(|u| u.level.0.as_str())));
                    o.insert("name".into(), json!(unit.map(|u| u.name.as_str())));
                }
            }
            Some(v)
        })
        .collect();
    Ok(Json(json!({"by": by_name, "level": q.level, "count": rows.len(), "rows": rows})).into_response())
}

#[derive(Deserialize)]
pub(crate) struct TrendQuery {
    pub(crate) period: Option<String>,
}

/// Incident trend (per week or month, change against the previous period) and
/// resolution levels of a unit inside the jurisdiction (403 outside); a
/// `department` user counts only the live cases dispatched to it.
pub(crate) async fn unit_incidents(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    UnitRef { id, index: u, dataset: d }: UnitRef,
    Query(q): Query<TrendQuery>,
) -> AppResult {
    scope.require_unit(&d, &id)?;
    let viewer = scope.viewer();
    use wangge_engine::incidents::trend::{Period, TrendRow, UnitIncidents, loaded_rows};
    let period = match q.period.as_deref() {
        None => Period::Week,
        Some(p) => Period::parse(p).ok_or_else(|| AppError::bad(format!("period {p:?}: use week or month")))?,
    };
    // loaded incidents are never dispatched: a department has none of them
    let mut rows = if viewer.department.is_some() { Vec::new() } else { loaded_rows(&d, u) };
    s.live.each_all(true, |i| {
        if i.units.iter().any(|x| x == &id) && (viewer.department.is_none() || crate::live::kpi::sees_case(&d, viewer, i)) {
            let lvl = wangge_engine::incidents::lifecycle::resolved_level(&i.transitions);
            rows.push(TrendRow { at: i.occurred_at, resolved_level: lvl.map(|l| l.as_str().to_owned()) });
        }
    })?;
    let r = UnitIncidents::compute(id, d.incidents_generated(), &rows, period, 8 * 3600);
    Ok(Json(serde_json::to_value(&r).unwrap_or(Value::Null)).into_response())
}
