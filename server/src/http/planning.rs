//! Planning scenarios over HTTP (issue 15): create, list, read and delete
//! scenarios, apply ops, undo and redo, publish the draft as the next units
//! version, list the versions and roll back to one.
//!
//! Every write names the revision it was based on (`If-Match: N` or
//! `"revision": N` in the body); a stale one gets 409 with the current
//! revision. A planner edits, publishes and rolls back only units inside their
//! jurisdiction: every unit an op changes, creates or removes must lie in it
//! (new units by their parent chain in the draft). Publishing writes the new
//! version first, then swaps the in-memory dataset in one step (readers see
//! the old or the new); tiles and caches are keyed by the data version, so
//! they switch with it.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use wangge_engine::dataset::Dataset;
use wangge_engine::model::{Layer, LayerKind, UnitId};
use wangge_engine::planning::{Change, Draft, Op};

use super::access::{Action, Routes, Scope};
use super::error::{AppError, AppResult};
use super::{AppState, blocking};
use crate::planning::{self as plan, Outcome, PlanningError};
use crate::store::Store;
use crate::store::scenarios::ScenarioRow;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/scenarios", Action::Plan, create)
        .get("/api/scenarios", Action::Plan, list)
        .get("/api/scenarios/{id}", Action::Plan, get)
        .delete("/api/scenarios/{id}", Action::Plan, delete)
        .post("/api/scenarios/{id}/ops", Action::Plan, ops)
        .post("/api/scenarios/{id}/undo", Action::Plan, undo)
        .post("/api/scenarios/{id}/redo", Action::Plan, redo)
        .get("/api/scenarios/{id}/validate", Action::Plan, validate)
        .get("/api/scenarios/{id}/diff", Action::Plan, diff)
        .post("/api/scenarios/{id}/publish", Action::Publish, publish)
        .get("/api/layers/units/versions", Action::Read, versions)
        .post("/api/layers/units/rollback", Action::Publish, rollback)
}

/// A planning failure as an answer: 409 for a stale revision carries the current one.
fn fail(e: PlanningError) -> AppError {
    match e {
        PlanningError::NotFound(m) => AppError::not_found(m),
        PlanningError::Stale { .. } | PlanningError::Conflict(_) => AppError::Conflict(e.to_string()),
        PlanningError::Plan(p) => AppError::bad(p.to_string()),
        PlanningError::Bad(m) => AppError::bad(m),
        PlanningError::Forbidden(m) => AppError::Forbidden(m),
        PlanningError::Store(s) => AppError::from(s),
    }
}

fn answer(r: Result<Response, PlanningError>) -> AppResult {
    match r {
        Ok(resp) => Ok(resp),
        Err(PlanningError::Stale { id, based_on, current }) => {
            let message = PlanningError::Stale { id, based_on, current }.to_string();
            Ok((StatusCode::CONFLICT, Json(json!({"error": "conflict", "message": message, "revision": current}))).into_response())
        }
        Err(e) => Err(fail(e)),
    }
}

fn body_json(body: &str) -> Result<Value, AppError> {
    if body.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(body).map_err(|e| AppError::bad(format!("request body: not JSON: {e}")))
}

/// The revision a write was based on: `If-Match` (quotes and `W/` allowed) or the body's `revision`.
fn revision(headers: &HeaderMap, body: &Value) -> Result<i64, AppError> {
    if let Some(h) = headers.get(header::IF_MATCH) {
        let t = h.to_str().unwrap_or("").trim().trim_start_matches("W/").trim_matches('"');
        return t.parse().map_err(|_| AppError::bad(format!("If-Match: {t:?} is not a revision number")));
    }
    match body.get("revision") {
        Some(v) => v.as_i64().ok_or_else(|| AppError::bad("revision: not a whole number")),
        None => Err(AppError::bad("name the revision this write is based on: If-Match: N or \"revision\": N in the body")),
    }
}

fn store_of(s: &AppState) -> Result<&Arc<std::sync::Mutex<Store>>, AppError> {
    s.store.as_ref().ok_or_else(|| AppError::bad("this server keeps no store: scenarios need one (wangge serve --db FILE)"))
}

/// Whether unit `id` of `draft` lies inside the jurisdiction: a unit the published layer knows by the
/// jurisdiction, a new one by its nearest ancestor the published layer knows.
fn inside(scope: &Scope, d: &Dataset, draft: &Draft, id: &str) -> bool {
    if scope.jurisdiction.is_everything() {
        return true;
    }
    let mut cur = id.to_owned();
    for _ in 0..=draft.units.len() {
        if d.hierarchy.get(&UnitId(cur.clone())).is_some() {
            return scope.jurisdiction.unit_id(d, &cur);
        }
        match draft.units.iter().find(|u| u.id.0 == cur).and_then(|u| u.parent.clone()) {
            Some(p) => cur = p.0,
            None => return false,
        }
    }
    false
}

/// Whether a scenario planning the subtree of `unit` (none: the district) is the caller's to see and edit.
fn scenario_inside(scope: &Scope, d: &Dataset, unit: Option<&str>) -> bool {
    match unit {
        None => scope.jurisdiction.is_everything(),
        Some(u) => scope.jurisdiction.unit_id(d, u),
    }
}

/// The scenario `id` (404), if it is the caller's (403).
fn require_scenario(scope: &Scope, d: &Dataset, st: &Store, id: &str) -> Result<ScenarioRow, AppError> {
    let row = st.scenario(id).map_err(AppError::from)?.ok_or_else(|| AppError::not_found(format!("no scenario {id}")))?;
    if scenario_inside(scope, d, row.unit.as_deref()) {
        Ok(row)
    } else {
        Err(AppError::Forbidden(scope.outside(&format!(
            "scenario {} (planning {})",
            row.name,
            row.unit.as_deref().unwrap_or("the whole district")
        ))))
    }
}

/// 403 unless everything `c` touches lies inside.
fn check_change(scope: &Scope, d: &Dataset, before: &Draft, after: &Draft, c: &Change) -> Result<(), PlanningError> {
    let outside = c
        .changed
        .iter()
        .chain(&c.created)
        .find(|id| !inside(scope, d, after, id))
        .or_else(|| c.removed.iter().find(|id| !inside(scope, d, before, id)));
    match outside {
        Some(id) => Err(PlanningError::Forbidden(scope.outside(&format!("unit {id}")))),
        None => Ok(()),
    }
}

/// The answer to an op, undo or redo: the scenario's figures, what changed and the validation of the new draft
/// (null with `validation_error` when the draft cannot be validated, e.g. it is no longer a hierarchy).
/// Findings of units outside the caller's jurisdiction are left out, as in `/validate`.
fn outcome_json(s: &AppState, st: &Store, d: &Dataset, o: &Outcome, scope: &Scope) -> Value {
    let mut v = json!({
        "scenario": plan::meta(&o.row, &o.log),
        "changed": o.change.changed, "created": o.change.created, "removed": o.change.removed,
    });
    match s.planning.validate(st, d, &o.row, &o.draft) {
        Ok(r) => {
            let mut report = plan::review::report_json(&r);
            if !scope.jurisdiction.is_everything() {
                scoped_findings(&mut report, &|u: &str| inside(scope, d, &o.draft, u));
            }
            v["validation"] = report;
        }
        Err(e) => {
            v["validation"] = Value::Null;
            v["validation_error"] = json!(e.to_string());
        }
    }
    v
}

async fn create(State(s): State<Arc<AppState>>, scope: Scope, body: String) -> AppResult {
    blocking(move || {
        let v = body_json(&body)?;
        let name = v.get("name").and_then(Value::as_str).ok_or_else(|| AppError::bad("name: missing (the scenario's name)"))?;
        let description = v.get("description").and_then(Value::as_str).unwrap_or("");
        let st = crate::sync::lock(store_of(&s)?);
        let row = plan::create(&st, name, &scope.actor.name, scope.actor.unit.as_deref(), description).map_err(fail)?;
        let (row, draft, log) = plan::load(&st, &row.id).map_err(fail)?;
        let d = s.dataset();
        let view = plan::view(&row, &draft, &log, &|id| inside(&scope, &d, &draft, id), None);
        Ok((StatusCode::CREATED, Json(view)).into_response())
    })
    .await
}

async fn list(State(s): State<Arc<AppState>>, scope: Scope) -> AppResult {
    blocking(move || {
        let st = crate::sync::lock(store_of(&s)?);
        let rows = st.scenarios().map_err(AppError::from)?;
        let d = s.dataset();
        let out: Vec<Value> = rows
            .iter()
            .filter(|r| scenario_inside(&scope, &d, r.unit.as_deref()))
            .map(|r| {
                let ops = serde_json::from_str::<Vec<Value>>(&r.ops).map_or(0, |o| o.len());
                let cursor = usize::try_from(r.cursor).unwrap_or(0);
                let mut m = serde_json::to_value(r).unwrap_or(Value::Null);
                m["ops"] = json!(ops);
                m["can_undo"] = json!(cursor > 0);
                m["can_redo"] = json!(cursor < ops);
                m
            })
            .collect();
        Ok(Json(json!({"scenarios": out})).into_response())
    })
    .await
}

/// `?units=A,B`: only these units of the draft (the page fetches what an op changed, created or removed).
#[derive(Debug, serde::Deserialize)]
struct GetQuery {
    units: Option<String>,
}

async fn get(State(s): State<Arc<AppState>>, Path(id): Path<String>, Query(q): Query<GetQuery>, scope: Scope) -> AppResult {
    blocking(move || {
        let st = crate::sync::lock(store_of(&s)?);
        let d = s.dataset();
        require_scenario(&scope, &d, &st, &id)?;
        let (row, draft, log) = plan::load(&st, &id).map_err(fail)?;
        let want: Option<std::collections::HashSet<&str>> =
            q.units.as_deref().map(|w| w.split(',').map(str::trim).filter(|x| !x.is_empty()).collect());
        Ok(Json(plan::view(&row, &draft, &log, &|u| inside(&scope, &d, &draft, u), want.as_ref())).into_response())
    })
    .await
}

async fn delete(State(s): State<Arc<AppState>>, Path(id): Path<String>, scope: Scope) -> AppResult {
    blocking(move || {
        let st = crate::sync::lock(store_of(&s)?);
        // any planner whose jurisdiction holds the scenario's unit may delete it (colleagues of one street)
        let row = require_scenario(&scope, &s.dataset(), &st, &id)?;
        st.scenario_delete(&row.id).map_err(AppError::from)?;
        Ok(Json(json!({"deleted": row.id})).into_response())
    })
    .await
}

async fn ops(State(s): State<Arc<AppState>>, Path(id): Path<String>, scope: Scope, headers: HeaderMap, body: String) -> AppResult {
    blocking(move || {
        let v = body_json(&body)?;
        let based_on = revision(&headers, &v)?;
        let op_value = v.get("op").cloned().ok_or_else(|| AppError::bad("op: missing (the edit, e.g. {\"op\": \"split\", …})"))?;
        let op: Op = serde_json::from_value(op_value).map_err(|e| AppError::bad(format!("op: {e}")))?;
        let d = s.dataset();
        if let Op::ReassignBuilding { building, .. } = &op {
            let b = d.buildings.iter().position(|x| &x.id == building).ok_or_else(|| AppError::bad(format!("no building {building}")))?;
            if !scope.jurisdiction.building(&d, b) {
                return Err(AppError::Forbidden(scope.outside(&format!("building {building}"))));
            }
        }
        let st = crate::sync::lock(store_of(&s)?);
        require_scenario(&scope, &d, &st, &id)?;
        let guard = |a: &Draft, b: &Draft, c: &Change| check_change(&scope, &d, a, b, c);
        answer(plan::apply_op(&st, &id, based_on, op, &guard).map(|o| Json(outcome_json(&s, &st, &d, &o, &scope)).into_response()))
    })
    .await
}

async fn undo(State(s): State<Arc<AppState>>, Path(id): Path<String>, scope: Scope, headers: HeaderMap, body: String) -> AppResult {
    step(s, id, scope, headers, body, plan::undo).await
}

async fn redo(State(s): State<Arc<AppState>>, Path(id): Path<String>, scope: Scope, headers: HeaderMap, body: String) -> AppResult {
    step(s, id, scope, headers, body, plan::redo).await
}

type Step = fn(&Store, &str, i64, plan::Guard<'_>) -> Result<Outcome, PlanningError>;

async fn step(s: Arc<AppState>, id: String, scope: Scope, headers: HeaderMap, body: String, f: Step) -> AppResult {
    blocking(move || {
        let based_on = revision(&headers, &body_json(&body)?)?;
        let d = s.dataset();
        let st = crate::sync::lock(store_of(&s)?);
        require_scenario(&scope, &d, &st, &id)?;
        let guard = |a: &Draft, b: &Draft, c: &Change| check_change(&scope, &d, a, b, c);
        answer(f(&st, &id, based_on, &guard).map(|o| Json(outcome_json(&s, &st, &d, &o, &scope)).into_response()))
    })
    .await
}

async fn validate(State(s): State<Arc<AppState>>, Path(id): Path<String>, scope: Scope) -> AppResult {
    review(s, id, scope, false).await
}

async fn diff(State(s): State<Arc<AppState>>, Path(id): Path<String>, scope: Scope) -> AppResult {
    review(s, id, scope, true).await
}

/// The validation or the diff of a scenario's draft; findings and moves outside the jurisdiction are left out.
async fn review(s: Arc<AppState>, id: String, scope: Scope, moves: bool) -> AppResult {
    blocking(move || {
        let st = crate::sync::lock(store_of(&s)?);
        let d = s.dataset();
        require_scenario(&scope, &d, &st, &id)?;
        let (row, draft, _) = plan::load(&st, &id).map_err(fail)?;
        let keep = |u: &str| inside(&scope, &d, &draft, u);
        let v = if moves {
            let r = s.planning.diff(&st, &d, &row, &draft).map_err(fail)?;
            let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
            if !scope.jurisdiction.is_everything() {
                scoped_diff(&mut v, &keep);
            }
            v
        } else {
            let r = s.planning.validate(&st, &d, &row, &draft).map_err(fail)?;
            let mut v = plan::review::report_json(&r);
            if !scope.jurisdiction.is_everything() {
                scoped_findings(&mut v, &keep);
            }
            v
        };
        Ok(Json(v).into_response())
    })
    .await
}

fn str_in(v: &Value, keep: &dyn Fn(&str) -> bool) -> bool {
    v.as_str().is_none_or(keep)
}

/// Only findings all of whose units lie inside (and AB pairs of units inside).
fn scoped_findings(v: &mut Value, keep: &dyn Fn(&str) -> bool) {
    if let Some(f) = v.get_mut("findings").and_then(Value::as_array_mut) {
        f.retain(|x| x["units"].as_array().is_none_or(|us| us.iter().all(|u| str_in(u, keep))));
    }
    if let Some(ab) = v.get_mut("ab").filter(|a| a.is_object()) {
        if let Some(p) = ab.get_mut("pairs").and_then(Value::as_array_mut) {
            p.retain(|pair| pair.as_array().is_some_and(|xs| xs.iter().all(|u| str_in(u, keep))));
        }
        if let Some(u) = ab.get_mut("unmatched").and_then(Value::as_array_mut) {
            u.retain(|x| str_in(x, keep));
        }
    }
    if let Some(a) = v.get_mut("alliances") {
        *a = Value::Null;
    }
}

/// Only the units, moves and flows inside.
fn scoped_diff(v: &mut Value, keep: &dyn Fn(&str) -> bool) {
    for k in ["units_added", "units_removed", "units_reshaped", "units"] {
        if let Some(a) = v.get_mut(k).and_then(Value::as_array_mut) {
            a.retain(|x| str_in(&x["unit"], keep));
        }
    }
    for k in ["moves", "flows"] {
        if let Some(a) = v.get_mut(k).and_then(Value::as_array_mut) {
            a.retain(|x| str_in(&x["from"], keep) && str_in(&x["to"], keep));
        }
    }
}

/// Take a new units version into the in-memory dataset (under the store's lock, so publishes apply in order).
fn swap_units(s: &AppState, version: i32, layer: Layer) -> Result<(), AppError> {
    let mut next = (*s.dataset()).clone();
    next.set(layer).map_err(|e| AppError::Store(format!("the published units do not load: {e}")))?;
    next.versions.insert(LayerKind::Units, version);
    next.rebuild();
    let mut guard = match s.data.write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    *guard = Arc::new(next);
    Ok(())
}

/// 403 unless every unit that differs between the published layer and `after` lies inside.
fn check_layer(scope: &Scope, d: &Dataset, after: &Layer) -> Result<(), PlanningError> {
    let Layer::Units(units) = after else { return Ok(()) };
    let before = Draft::new(d.hierarchy.units.clone());
    let after = Draft::new(units.clone());
    let c = wangge_engine::planning::layer_change(&before.units, &after.units);
    check_change(scope, d, &before, &after, &c)
}

async fn publish(State(s): State<Arc<AppState>>, Path(id): Path<String>, scope: Scope, headers: HeaderMap, body: String) -> AppResult {
    blocking(move || {
        let v = body_json(&body)?;
        let based_on = revision(&headers, &v)?;
        let message = v.get("message").and_then(Value::as_str).unwrap_or("").to_owned();
        let mut st = crate::sync::lock(store_of(&s)?);
        let d = s.dataset();
        require_scenario(&scope, &d, &st, &id)?;
        let (_, draft, _) = plan::load(&st, &id).map_err(fail)?;
        check_layer(&scope, &d, &plan::draft_layer(&draft)).map_err(fail)?;
        let cfg = d.config.clone();
        let r = plan::publish(&mut st, &id, Some(based_on), &scope.actor.name, &message, &cfg);
        let (version, layer) = match r {
            Ok(x) => x,
            Err(e) => return answer(Err(e)),
        };
        swap_units(&s, version, layer)?;
        tracing::info!(layer = "units", version, scenario = %id, "scenario published");
        Ok(Json(json!({"layer": "units", "version": version, "author": scope.actor.name, "message": message, "scenario": id}))
            .into_response())
    })
    .await
}

async fn versions(State(s): State<Arc<AppState>>, _scope: Scope) -> AppResult {
    blocking(move || {
        let st = crate::sync::lock(store_of(&s)?);
        let v = st.unit_versions().map_err(AppError::from)?;
        Ok(Json(json!({"layer": "units", "versions": v})).into_response())
    })
    .await
}

async fn rollback(State(s): State<Arc<AppState>>, scope: Scope, body: String) -> AppResult {
    blocking(move || {
        let v = body_json(&body)?;
        let to = v
            .get("to")
            .and_then(Value::as_i64)
            .and_then(|t| i32::try_from(t).ok())
            .ok_or_else(|| AppError::bad("to: missing (the version to go back to)"))?;
        let message = v.get("message").and_then(Value::as_str).map_or_else(|| format!("rollback to version {to}"), str::to_owned);
        let mut st = crate::sync::lock(store_of(&s)?);
        let d = s.dataset();
        if !scope.jurisdiction.is_everything() {
            let target = st.read_version(LayerKind::Units, to).map_err(AppError::from)?;
            check_layer(&scope, &d, &target).map_err(fail)?;
        }
        let (version, layer) = plan::rollback(&mut st, to, &scope.actor.name, &message, &d.config).map_err(fail)?;
        swap_units(&s, version, layer)?;
        tracing::info!(layer = "units", version, rollback_of = to, "units rolled back");
        Ok(Json(json!({"layer": "units", "version": version, "rollback_of": to, "author": scope.actor.name, "message": message}))
            .into_response())
    })
    .await
}
