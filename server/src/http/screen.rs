//! The command-center screen's slow figures in one answer:
//! `GET /api/screen/summary?unit=ID`.
//!
//! For the caller's jurisdiction, or a unit inside it (a street's
//! sub-center): the KPI of its live cases ([`crate::live::Live::kpi_for`],
//! the engine's KPI code), its open cases by the level holding them and by
//! class, today's intake (loaded and live incidents) against the mean of the
//! same weekday over the loaded history ([`wangge_engine::incidents::screen`]),
//! and its camera coverage. A `department` caller counts only the cases
//! dispatched to it, as everywhere else.
//!
//! Cheap to ask every few seconds from many wall screens: the history's
//! weekday means are kept per (data version, unit), the live figures per
//! (data version, unit, department, live version, 10-second bucket).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};
use wangge_engine::dataset::Dataset;
use wangge_engine::incidents::screen::{OpenCase, WeekdayMeans, local_day, open_table, weekday};

use super::access::{Action, Routes, Scope};
use super::coverage::coverage_json;
use super::error::{AppError, AppResult};
use super::extract::unit_index;
use super::{AppState, blocking};
use crate::events::Viewer;

/// The district's clock: China Standard Time.
const TZ: i64 = crate::live::closed::DAY_OFFSET_S;
/// Entries kept in each cache before it starts again.
const KEPT: usize = 256;

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/screen/summary", Action::Read, summary)
}

#[derive(Deserialize)]
pub(crate) struct SummaryQuery {
    pub(crate) unit: Option<String>,
}

type HistoryKey = (String, String);
/// (data version, unit, department) → (live version, 10-second bucket, answer): the latest answer of each view only.
type LiveKey = (String, String, Option<String>);
/// An answer with the live version and 10-second bucket it is of.
type Held = (u64, i64, Value);

/// The history's weekday means per (data version, unit or ``).
static HISTORY: Mutex<Option<HashMap<HistoryKey, Arc<WeekdayMeans>>>> = Mutex::new(None);
/// The latest answer per (data version, unit, department), with the live version and 10-second bucket it is of
/// (one per view: keyed by the live version too, a wall's summary every 30 s filled 256 answers over two hours).
static ANSWERS: Mutex<Option<HashMap<LiveKey, Held>>> = Mutex::new(None);

fn cached<K: std::hash::Hash + Eq, V: Clone>(m: &Mutex<Option<HashMap<K, V>>>, key: K, make: impl FnOnce() -> V) -> V {
    if let Some(v) = crate::sync::lock(m).as_ref().and_then(|c| c.get(&key)) {
        return v.clone();
    }
    let v = make();
    let mut g = crate::sync::lock(m);
    let c = g.get_or_insert_with(HashMap::new);
    if c.len() >= KEPT {
        c.clear();
    }
    c.insert(key, v.clone());
    v
}

/// The weekday means of the loaded incidents under `unit` (all of them without).
fn history(d: &Dataset, unit: Option<usize>) -> Arc<WeekdayMeans> {
    let key = (d.data_version(), unit.map_or(String::new(), |u| d.hierarchy.units[u].id.0.clone()));
    cached(&HISTORY, key, || {
        let times = d.incidents.iter().enumerate().filter(|(n, _)| unit.is_none_or(|u| d.incident_in(*n, u))).map(|(_, i)| i.occurred_at);
        Arc::new(WeekdayMeans::of(times, TZ))
    })
}

/// The figures of the screen for the cases `viewer` sees under `unit` (the viewer's jurisdiction when None).
fn figures(s: &AppState, d: &Dataset, viewer: Viewer<'_>, unit: Option<usize>, now: i64) -> Value {
    let kpi = s.live.kpi_for(d, viewer);
    let sees = |i: &crate::live::LiveIncident| viewer.sees_all() || crate::live::kpi::sees_case(d, viewer, i);
    let today = local_day(now, TZ);
    // open cases from memory; today's intake counts the closed ones too (their sums)
    let live_today = s.live.received_on(today, |u, deps| crate::live::kpi::sees(d, viewer, u, deps));
    let mut cases = Vec::new();
    s.live.each_open(|i| {
        if sees(i) {
            cases.push((i.category.clone(), i.status, i.transitions.clone()));
        }
    });
    let open = open_table(cases.iter().map(|(c, st, t)| OpenCase { category: c, status: *st, transitions: t }));
    // loaded incidents are never dispatched: a department has none of them
    let h = if viewer.department.is_some() { Arc::new(WeekdayMeans::default()) } else { history(d, unit) };
    let loaded_today = if viewer.department.is_some() {
        0
    } else {
        d.incidents
            .iter()
            .enumerate()
            .filter(|(n, i)| local_day(i.occurred_at, TZ) == today && unit.is_none_or(|u| d.incident_in(*n, u)))
            .count() as u64
    };
    let wd = weekday(today);
    let coverage: Vec<Value> = match unit {
        Some(u) => vec![coverage_json(d, u)],
        None => (0..d.hierarchy.len()).filter(|&i| d.hierarchy.parent[i].is_none()).map(|i| coverage_json(d, i)).collect(),
    };
    json!({
        "kpi": kpi,
        "open": open,
        "intake": {
            "date": wangge_engine::time::format_time_at(today * 86_400 - TZ, TZ).get(..10),
            "weekday": wd,
            "today": live_today + loaded_today,
            "today_live": live_today,
            "today_loaded": loaded_today,
            "weekday_mean": h.mean(wd),
            "weekday_days": h.days[wd],
            "weekday_means": (0..7).map(|w| h.mean(w)).collect::<Vec<_>>(),
            "history_from": h.first_day.map(|f| wangge_engine::time::format_time(f * 86_400).get(..10).map(str::to_owned)),
            "history_to": h.last_day.map(|l| wangge_engine::time::format_time(l * 86_400).get(..10).map(str::to_owned)),
        },
        "coverage": coverage,
        "incidents_generated": d.incidents_generated(),
    })
}

/// The screen's figures for the caller's jurisdiction, or for `unit` inside it (403 outside).
pub(crate) async fn summary(State(s): State<Arc<AppState>>, scope: Scope, Query(q): Query<SummaryQuery>) -> AppResult {
    let d = s.dataset();
    let unit_id = q.unit.clone().or_else(|| scope.jurisdiction.unit.clone());
    let unit = match &unit_id {
        Some(id) => {
            let i = unit_index(&d, id)?;
            scope.require_unit(&d, id)?;
            Some(i)
        }
        None => None,
    };
    if scope.jurisdiction.is_void() {
        return Err(AppError::Forbidden(scope.outside("the screen's figures")));
    }
    blocking(move || {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |t| i64::try_from(t.as_secs()).unwrap_or(0));
        let j = if q.unit.is_some() { s.jurisdiction(unit_id.as_deref()) } else { scope.jurisdiction.clone() };
        let viewer = Viewer { jurisdiction: &j, department: scope.department() };
        let version = s.live.version.load(std::sync::atomic::Ordering::SeqCst);
        let key = (d.data_version(), j.key().to_owned(), viewer.department.map(str::to_owned));
        let held = crate::sync::lock(&ANSWERS)
            .as_ref()
            .and_then(|c| c.get(&key))
            .filter(|(v, b, _)| *v == version && *b == now / 10)
            .map(|x| x.2.clone());
        let mut v = match held {
            Some(v) => v,
            None => {
                let v = figures(&s, &d, viewer, unit, now);
                let mut g = crate::sync::lock(&ANSWERS);
                let c = g.get_or_insert_with(HashMap::new);
                if c.len() >= KEPT && !c.contains_key(&key) {
                    c.clear();
                }
                c.insert(key, (version, now / 10, v.clone()));
                v
            }
        };
        v["unit"] = match unit {
            Some(u) => {
                let x = &d.hierarchy.units[u];
                json!({"id": x.id.0, "name": x.name, "level": x.level.0})
            }
            None => Value::Null,
        };
        v["data_version"] = json!(d.data_version());
        Ok(Json(v).into_response())
    })
    .await
}
