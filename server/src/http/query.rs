//! Area questions: `POST /api/query/area` with a drawn polygon
//! (`{"geometry": <GeoJSON Polygon or MultiPolygon>}`) or a unit
//! (`{"unit": "ID"}`), and optionally `period`, `compare` (`{"from", "to"}`,
//! RFC 3339 times or dates in UTC+8; a date as `to` includes that day) and
//! `classes` (categories) for the incident figures. The answer: area,
//! buildings, households, population, the buildings no camera sees, cameras
//! and their covered share, incidents by class and status, per ISO week, the
//! hot spots inside, and the comparison (the engine's `analysis::area` and
//! `analysis::area_incidents`).
//!
//! Jurisdiction: a drawn polygon counts only what lies inside the caller's
//! jurisdiction; a unit outside it is 403 (404 when there is no such unit),
//! as `/api/units/{id}`. A `department` user counts only the live cases
//! dispatched to it, as the unit trends do. With `?table=T&format=F` the same
//! body answers one table as a file (`http::query_export`).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use wangge_engine::analysis::area::{AreaFigures, AreaShape, MAX_VERTICES, figures};
use wangge_engine::analysis::area_incidents::{AreaIncidents, Counts, IncidentQuery, LiveCase, Window, incidents};
use wangge_engine::dataset::Dataset;

use super::access::{Action, Routes, Scope};
use super::error::{AppError, AppResult};
use super::extract::unit_index;
use super::{AppState, blocking};

pub(crate) fn routes() -> Routes {
    Routes::new().post("/api/query/area", Action::Read, area)
}

/// The request body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AreaBody {
    pub(crate) geometry: Option<Value>,
    pub(crate) unit: Option<String>,
    pub(crate) period: Option<PeriodBody>,
    pub(crate) compare: Option<PeriodBody>,
    pub(crate) classes: Option<Vec<String>>,
}

/// A period as sent.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeriodBody {
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
}

/// `?table=&format=`: one table of the answer as a file.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ExportQuery {
    pub(crate) table: Option<String>,
    pub(crate) format: Option<String>,
}

/// Everything an answer is made of.
pub(crate) struct Answer {
    pub(crate) d: Arc<Dataset>,
    pub(crate) shape: AreaShape,
    pub(crate) figures: AreaFigures,
    pub(crate) incidents: AreaIncidents,
    pub(crate) period: PeriodBody,
    pub(crate) compare: Option<PeriodBody>,
}

pub(crate) async fn area(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    Query(q): Query<ExportQuery>,
    body: Result<Json<AreaBody>, JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let export = super::query_export::Export::parse(&q)?;
    blocking(move || {
        let a = compute(&s, &scope, b)?;
        match export {
            Some(e) => e.respond(&a),
            None => Ok(Json(answer_json(&a)).into_response()),
        }
    })
    .await
}

/// A time bound: RFC 3339, `YYYY-MM-DD HH:MM`, or a date (UTC+8); a date as the end includes that day.
fn bound(s: &Option<String>, what: &str, end: bool) -> Result<Option<i64>, AppError> {
    let Some(t) = s else { return Ok(None) };
    let v = wangge_engine::time::parse_time(t, 8 * 3600)
        .ok_or_else(|| AppError::bad(format!("{what} {t:?}: expected a date (2026-03-01) or a time (2026-03-01T08:00:00+08:00)")))?;
    let date_only = t.trim().len() == 10;
    Ok(Some(if end && date_only { v + 86_400 } else { v }))
}

fn window(p: &PeriodBody, what: &str) -> Result<Window, AppError> {
    let w = Window { from: bound(&p.from, &format!("{what}.from"), false)?, to: bound(&p.to, &format!("{what}.to"), true)? };
    if let (Some(f), Some(t)) = (w.from, w.to)
        && f >= t
    {
        return Err(AppError::bad(format!("{what}: from must be before to")));
    }
    Ok(w)
}

/// Positions in a GeoJSON geometry's coordinates (counted before the geometry is read, so a huge one is refused cheaply).
fn positions(v: &Value) -> usize {
    match v {
        Value::Array(a) if a.first().is_some_and(Value::is_number) => 1,
        Value::Array(a) => a.iter().map(positions).sum(),
        _ => 0,
    }
}

/// The area the body names, checked against the caller's jurisdiction.
fn shape(d: &Dataset, scope: &Scope, b: &AreaBody) -> Result<AreaShape, AppError> {
    match (&b.geometry, &b.unit) {
        (Some(_), Some(_)) => Err(AppError::bad("give either geometry or unit, not both")),
        (None, None) => Err(AppError::bad("give geometry (a GeoJSON Polygon or MultiPolygon) or unit (a unit id)")),
        (None, Some(id)) => {
            let i = unit_index(d, id)?;
            scope.require_unit(d, id)?;
            Ok(AreaShape::unit(d, i))
        }
        (Some(g), None) => {
            let g = g.get("geometry").filter(|_| g.get("type").and_then(Value::as_str) == Some("Feature")).unwrap_or(g);
            let n = g.get("coordinates").map_or(0, positions);
            if n > MAX_VERTICES {
                return Err(AppError::bad(format!("geometry: the polygon has {n} vertices; at most {MAX_VERTICES} are taken")));
            }
            let mp = crate::import::areal_geometry(g).map_err(|e| AppError::bad(format!("geometry: {e}")))?;
            AreaShape::drawn(d, mp).map_err(|e| AppError::bad(format!("geometry: {e}")))
        }
    }
}

/// Compute the figures of the body's area for the caller.
pub(crate) fn compute(s: &AppState, scope: &Scope, b: AreaBody) -> Result<Answer, AppError> {
    let d = s.dataset();
    let shape = shape(&d, scope, &b)?;
    let period = b.period.clone().unwrap_or_default();
    let mut q = IncidentQuery { period: window(&period, "period")?, ..IncidentQuery::default() };
    if let Some(c) = &b.compare {
        q.compare = Some(window(c, "compare")?);
    }
    if let Some(cs) = &b.classes {
        if cs.iter().any(|c| c.trim().is_empty()) {
            return Err(AppError::bad("classes: a class is an incident category, not an empty string"));
        }
        q.classes = Some(cs.clone());
    }
    let viewer = scope.viewer();
    // loaded incidents are never dispatched: a department has none of them
    q.loaded = viewer.department.is_none();
    let j = &scope.jurisdiction;
    let figures = figures(&d, &shape, j);
    // open cases from memory, closed ones from the store (with their steps when a department's dispatches matter)
    let mut read = Ok(());
    let incidents = incidents(&d, &shape, j, &q, |visit| {
        read = s.live.each_all(viewer.department.is_some(), |i| {
            if viewer.department.is_none() || crate::live::kpi::sees_case(&d, viewer, i) {
                visit(LiveCase {
                    id: &i.id,
                    lon: i.lon,
                    lat: i.lat,
                    occurred_at: i.occurred_at,
                    category: &i.category,
                    status: i.status.as_str(),
                    units: &i.units,
                });
            }
        })
    });
    read?;
    Ok(Answer { d, shape, figures, incidents, period, compare: b.compare })
}

fn counts_json(c: &Counts) -> (Value, Value) {
    (json!(c.by_class), json!(c.by_status))
}

/// The answer as JSON.
pub(crate) fn answer_json(a: &Answer) -> Value {
    let (d, f, inc) = (&a.d, &a.figures, &a.incidents);
    let unit = a.shape.unit_index().map(|u| &d.hierarchy.units[u]);
    let ids = |v: &[usize]| v.iter().map(|&b| d.buildings[b].id.as_str()).collect::<Vec<_>>();
    let (by_class, by_status) = counts_json(&inc.counts);
    let hotspots: Vec<Value> = inc
        .hotspots
        .iter()
        .map(|h| {
            json!({"cell": h.cell.to_string(), "lon": h.lon, "lat": h.lat, "count": h.count, "z": h.z, "p": h.p, "q": h.q,
                   "class": if h.hot { "hot" } else { "cold" }})
        })
        .collect();
    let weekly: Vec<Value> = inc.weekly.iter().map(|w| json!({"week": w.week, "from": w.from, "count": w.count})).collect();
    let compare = match (&a.compare, &inc.compare) {
        (Some(p), Some(c)) => {
            let keys: std::collections::BTreeSet<&String> = c.by_class.keys().chain(inc.counts.by_class.keys()).collect();
            let change: serde_json::Map<String, Value> = keys
                .into_iter()
                .map(|k| {
                    let n = |m: &std::collections::BTreeMap<String, u64>| m.get(k).copied().unwrap_or(0) as i64;
                    (k.clone(), json!(n(&inc.counts.by_class) - n(&c.by_class)))
                })
                .collect();
            json!({"period": p, "total": c.total, "by_class": c.by_class, "by_status": c.by_status,
                   "change": {"total": inc.counts.total as i64 - c.total as i64, "by_class": change}})
        }
        _ => Value::Null,
    };
    json!({
        "area": {"unit": unit.map(|u| &u.id.0), "name": unit.map(|u| &u.name), "level": unit.map(|u| &u.level.0), "area_m2": f.area_m2},
        "buildings": f.buildings.len(),
        "households": f.households,
        "population": f.population,
        "uncovered": {"buildings": f.uncovered.len(), "households": f.uncovered_households, "population": f.uncovered_population,
                      "ids": ids(&f.uncovered)},
        "cameras": {"count": f.cameras.len(), "covered_share": f.covered_share, "ground_m2": f.ground_m2, "covered_m2": f.covered_m2,
                    "ids": f.cameras.iter().map(|&c| d.cameras[c].id.as_str()).collect::<Vec<_>>()},
        "incidents": {"total": inc.counts.total, "by_class": by_class, "by_status": by_status, "period": a.period,
                      "weekly": weekly, "hotspots": hotspots},
        "compare": compare,
        "generated": f.generated || inc.generated,
    })
}
