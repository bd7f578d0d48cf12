//! Incidents reported over HTTP: intake, bulk, transitions, listing, KPI and unit trends.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{AppError, AppResult};
use super::extract::{Bbox, Format, IdempotencyKey, IncidentFilter, OutputFormat, UnitRef};
use super::{AppState, blocking};
use crate::state::Dataset;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/incidents", post(incident_create).get(incident_list))
        .route("/api/incidents/{id}", get(incident_get))
        .route("/api/incidents/{id}/transitions", post(incident_transition))
        .route("/api/kpi", get(kpi))
        .route("/api/units/{id}/incidents", get(unit_incidents))
}

/// The bulk route, apart: it has its own body limit ([`super::BULK_BODY_LIMIT`]).
pub(crate) fn bulk_router() -> Router<Arc<AppState>> {
    Router::new().route("/api/incidents/bulk", post(incident_bulk))
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
        let (v, replayed) = s.live.intake(&d, s.store.as_ref(), b, key)?;
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
        o.crs = wangge_engine::crs::SourceCrs::parse(c).ok_or_else(|| AppError::bad(format!("crs {c:?}: use wgs84, gcj02 or bd09")))?;
    }
    o.defaults.insert("status".into(), json!("reported"));
    let d = s.dataset();
    blocking(move || {
        let name = if is_csv { "incidents.csv" } else { "incidents.geojson" };
        let crate::import::Layer::Incidents(rows) = crate::import::read_str(&body, is_csv, name, &o)? else {
            return Err(AppError::bad("not an incidents layer"));
        };
        let (v, replayed) = s.live.bulk(&d, s.store.as_ref(), rows, key)?;
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
        let v = s.live.transition(s.store.as_ref(), &id, b)?;
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

/// The start (Unix seconds) of the week (Monday) or month holding `t`, in local time +08:00.
pub(crate) fn period_start(t: i64, month: bool) -> i64 {
    const TZ: i64 = 8 * 3600;
    let days = (t + TZ).div_euclid(86_400);
    let start_day = if month {
        let (y, m, _) = crate::timefmt::civil_from_days(days);
        crate::timefmt::days_from_civil(y, m, 1)
    } else {
        // 1970-01-01 was a Thursday
        days - (days + 3).rem_euclid(7)
    };
    start_day * 86_400 - TZ
}

/// Incident trend (per week or month, change against the previous period) and resolution levels of a unit.
pub(crate) async fn unit_incidents(
    State(s): State<Arc<AppState>>,
    UnitRef { id, index: u, dataset: d }: UnitRef,
    Query(q): Query<TrendQuery>,
) -> AppResult {
    let month = match q.period.as_deref() {
        None | Some("week") => false,
        Some("month") => true,
        Some(p) => return Err(AppError::bad(format!("period {p:?}: use week or month"))),
    };
    let h = &d.hierarchy;
    // (time, resolved level if resolved)
    let mut rows: Vec<(i64, Option<String>)> = d
        .incidents
        .iter()
        .enumerate()
        .filter(|(n, _)| d.incident_unit.get(*n).copied().flatten().is_some_and(|l| h.chain(l).contains(&u)))
        .map(|(_, i)| {
            let lvl = (i.status == "resolved" || i.status == "evaluated")
                .then(|| i.attributes.get("resolved_level").and_then(Value::as_str).unwrap_or("unknown").to_owned());
            (i.occurred_at, lvl)
        })
        .collect();
    s.live.each(|i| {
        if i.units.iter().any(|x| x == &id) {
            let lvl =
                i.transitions.iter().rev().find(|t| t.step.to == wangge_engine::lifecycle::Status::Resolved).and_then(|t| t.step.level);
            rows.push((i.occurred_at, lvl.map(|l| l.as_str().to_owned())));
        }
    });
    let mut buckets: std::collections::BTreeMap<i64, u64> = std::collections::BTreeMap::new();
    for (t, _) in &rows {
        *buckets.entry(period_start(*t, month)).or_insert(0) += 1;
    }
    let list: Vec<Value> =
        buckets.iter().map(|(t, n)| json!({"start": crate::timefmt::format_time_at(*t, 8 * 3600), "count": n})).collect();
    let counts: Vec<u64> = buckets.values().copied().collect();
    let (last, prev) = (counts.last().copied(), counts.len().checked_sub(2).map(|i| counts[i]));
    let change = last.zip(prev).map(|(a, b)| a as i64 - b as i64);
    let change_pct = last.zip(prev).and_then(|(a, b)| (b > 0).then(|| (a as f64 - b as f64) / b as f64 * 100.0));
    let mut by_level: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for lvl in rows.iter().filter_map(|r| r.1.clone()) {
        *by_level.entry(lvl).or_insert(0) += 1;
    }
    let resolved: u64 = by_level.values().sum();
    let share = |f: &dyn Fn(&str) -> bool| {
        if resolved > 0 { by_level.iter().filter(|(k, _)| f(k)).map(|(_, v)| *v).sum::<u64>() as f64 / resolved as f64 } else { 0.0 }
    };
    Ok(Json(json!({
        "unit": id,
        "incidents": rows.len(),
        "generated": d.incidents.iter().any(|i| Dataset::is_generated(&i.attributes)),
        "trend": {"period": if month { "month" } else { "week" }, "buckets": list, "last": last, "previous": prev, "change": change, "change_pct": change_pct},
        "resolution": {
            "resolved": resolved,
            "by_level": by_level,
            // 小事不出楼栋、纠纷不出网格、矛盾不出社区
            "share_building_grid": share(&|k| k == "building_grid"),
            "share_grid": share(&|k| k == "grid"),
            "share_community": share(&|k| k == "community"),
            "share_above_community": share(&|k| k == "street" || k == "district"),
        },
    }))
    .into_response())
}
