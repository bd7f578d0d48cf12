//! Incident heatmaps and Gi* hot spots over H3 cells.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::{AppError, AppResult};
use super::units::*;
use super::{AppState, blocking};
use crate::geojson_out;
use wangge_engine::dataset::Dataset;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new().route("/api/heatmap", get(heatmap)).route("/api/hotspots", get(hotspots))
}

#[derive(Deserialize)]
pub(crate) struct IncidentQuery {
    pub(crate) res: Option<u8>,
    pub(crate) k: Option<u32>,
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) unit: Option<String>,
    pub(crate) format: Option<String>,
}

/// A query's time window (from, to) and unit.
pub(crate) type Filters = (Option<i64>, Option<i64>, Option<usize>);

pub(crate) fn incident_filters(d: &Dataset, q: &IncidentQuery) -> Result<Filters, AppError> {
    let time = |s: &Option<String>, what: &str| -> Result<Option<i64>, AppError> {
        match s {
            None => Ok(None),
            Some(t) => crate::timefmt::parse_time(t, 8 * 3600)
                .map(Some)
                .ok_or_else(|| AppError::bad(format!("{what} {t:?}: expected a time like 2026-11-01T00:00:00+08:00"))),
        }
    };
    let unit = match &q.unit {
        Some(id) => Some(unit_index(d, id)?),
        None => None,
    };
    Ok((time(&q.from, "from")?, time(&q.to, "to")?, unit))
}

/// Counts per cell of the incidents (loaded and live) matching a query's window, category, status and unit, and their total.
pub(crate) fn heat_counts(
    d: &Dataset,
    live: &crate::live::Live,
    q: &IncidentQuery,
    res: h3o::Resolution,
) -> Result<(std::collections::BTreeMap<h3o::CellIndex, u64>, u64), AppError> {
    let (from, to, unit) = incident_filters(d, q)?;
    let f = crate::heat::Filter { from, to, category: q.category.as_deref(), status: q.status.as_deref(), unit };
    Ok(crate::heat::counts(d, live, &f, res))
}

pub(crate) fn h3_res(r: Option<u8>, default: u8) -> Result<h3o::Resolution, AppError> {
    let r = r.unwrap_or(default);
    if !(5..=11).contains(&r) {
        return Err(AppError::bad(format!("res {r}: use 5 to 11")));
    }
    h3o::Resolution::try_from(r).map_err(|_| AppError::bad(format!("res {r}: use 5 to 11")))
}

pub(crate) fn hexagon(c: h3o::CellIndex) -> geo::Geometry<f64> {
    geo::Geometry::Polygon(crate::tiles::hexagon(c))
}

pub(crate) async fn heatmap(State(s): State<Arc<AppState>>, Query(q): Query<IncidentQuery>) -> AppResult {
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
            Some(f) => Err(AppError::bad(format!("format {f:?}: use json or geojson"))),
        }
    })
    .await
}

pub(crate) async fn hotspots(State(s): State<Arc<AppState>>, Query(q): Query<IncidentQuery>) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let res = h3_res(q.res, 8)?;
        let k = q.k.unwrap_or(1);
        if !(1..=5).contains(&k) {
            return Err(AppError::bad(format!("k {k}: use 1 to 5")));
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
            Some(f) => Err(AppError::bad(format!("format {f:?}: use json or geojson"))),
        }
    })
    .await
}
