//! Incident heatmaps and Gi* hot spots over H3 cells, of the incidents inside
//! the caller's jurisdiction only.
//!
//! A jurisdiction is a unit filter on its root unit (counted directly, as any
//! unit filter is; the whole district keeps the index): a requested `unit=`
//! inside it narrows it, one outside is 403, and a void jurisdiction (its
//! unit is no longer in the data) counts nothing. Hot spots (Gi*) are
//! computed over the inside counts only. Heat counts every case inside, a
//! `department` user's too (figures, not cases).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::{Action, Routes, Scope};
use super::error::{AppError, AppResult};
use super::extract::{Format, IncidentFilter, OutputFormat};
use super::{AppState, blocking};
use crate::geojson_out;
use wangge_engine::dataset::Dataset;

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/heatmap", Action::Read, heatmap).get("/api/hotspots", Action::Read, hotspots)
}

/// Counts per cell of the incidents (loaded and live) a filter lets through, and their total.
pub(crate) fn filtered_counts(
    d: &Dataset,
    live: &crate::live::Live,
    f: &IncidentFilter,
    res: h3o::Resolution,
) -> Result<(std::collections::BTreeMap<h3o::CellIndex, u64>, u64), AppError> {
    let f = crate::heat::Filter { from: f.from, to: f.to, category: f.category.as_deref(), status: f.status.as_deref(), unit: f.unit };
    Ok(crate::heat::counts(d, live, &f, res)?)
}

/// The filter limited to the caller's jurisdiction: its unit is the requested
/// one (403 unless inside) or the jurisdiction's root; None when nothing is
/// inside (a void jurisdiction).
pub(crate) fn scoped_filter(scope: &Scope, d: &Dataset, f: &IncidentFilter) -> Result<Option<IncidentFilter>, AppError> {
    let j = &scope.jurisdiction;
    if j.is_everything() {
        return Ok(Some(f.clone()));
    }
    if let Some(u) = f.unit {
        return if j.unit(u) {
            Ok(Some(f.clone()))
        } else {
            Err(AppError::Forbidden(scope.outside(&format!("unit {}", d.hierarchy.units[u].id.0))))
        };
    }
    Ok(j.root.map(|r| IncidentFilter { unit: Some(r), ..f.clone() }))
}

/// The incidents a heat query counts, per cell at its resolution.
struct Counted {
    res: h3o::Resolution,
    counts: std::collections::BTreeMap<h3o::CellIndex, u64>,
    total: u64,
    generated: bool,
}

/// Check the query's resolution (default 8) and count the incidents inside the jurisdiction the filter lets through.
fn count_cells(
    d: &Dataset,
    live: &crate::live::Live,
    scope: &Scope,
    filter: &IncidentFilter,
    res: Option<u8>,
) -> Result<Counted, AppError> {
    let res = h3_res(res, 8)?;
    let (counts, total) = match scoped_filter(scope, d, filter)? {
        Some(f) => filtered_counts(d, live, &f, res)?,
        None => Default::default(),
    };
    let generated = d.incidents.iter().any(|i| Dataset::is_generated(&i.attributes));
    Ok(Counted { res, counts, total, generated })
}

/// A GeoJSON feature for one cell: its hexagon with `props`.
fn cell_feature<const N: usize>(c: h3o::CellIndex, props: [(String, Value); N]) -> Value {
    geojson_out::feature(&hexagon(c), serde_json::Map::from_iter(props))
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

/// `res` and `k` of the heat answers.
#[derive(Deserialize)]
pub(crate) struct HeatQuery {
    pub(crate) res: Option<u8>,
    pub(crate) k: Option<u32>,
}

const HEAT_FORMATS: [OutputFormat; 2] = [OutputFormat::Json, OutputFormat::Geojson];

pub(crate) async fn heatmap(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    Query(q): Query<HeatQuery>,
    filter: IncidentFilter,
    format: Format,
) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let Counted { res, counts, total, generated } = count_cells(&d, &s.live, &scope, &filter, q.res)?;
        match format.one_of(&HEAT_FORMATS)? {
            OutputFormat::Json => {
                let cells: Vec<Value> = counts.iter().map(|(c, n)| json!({"cell": c.to_string(), "count": n})).collect();
                Ok(Json(json!({"res": u8::from(res), "incidents": total, "generated": generated, "cells": cells})).into_response())
            }
            _ => {
                let f = counts
                    .iter()
                    .map(|(c, n)| cell_feature(*c, [("cell".into(), json!(c.to_string())), ("count".into(), json!(n))]))
                    .collect();
                Ok(Json(geojson_out::collection(f)).into_response())
            }
        }
    })
    .await
}

pub(crate) async fn hotspots(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    Query(q): Query<HeatQuery>,
    filter: IncidentFilter,
    format: Format,
) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let Counted { res, counts, total, generated } = count_cells(&d, &s.live, &scope, &filter, q.res)?;
        let k = q.k.unwrap_or(1);
        if !(1..=5).contains(&k) {
            return Err(AppError::bad(format!("k {k}: use 1 to 5")));
        }
        let hs = wangge_engine::incidents::hotspot::gi_star(&counts, k);
        let class = |h: &wangge_engine::incidents::hotspot::HotSpot| match (h.q < 0.05, h.z > 0.0) {
            (true, true) => "hot",
            (true, false) => "cold",
            _ => "none",
        };
        match format.one_of(&HEAT_FORMATS)? {
            OutputFormat::Json => {
                let cells: Vec<Value> = hs
                    .iter()
                    .map(|h| json!({"cell": h.cell.to_string(), "count": h.count, "z": h.z, "p": h.p, "q": h.q, "class": class(h)}))
                    .collect();
                Ok(Json(json!({"res": u8::from(res), "k": k, "incidents": total, "generated": generated, "fdr": 0.05,
                    "hot": hs.iter().filter(|h| class(h) == "hot").count(), "cold": hs.iter().filter(|h| class(h) == "cold").count(), "cells": cells}))
                .into_response())
            }
            _ => {
                let f = hs
                    .iter()
                    .map(|h| {
cell_feature(
                            h.cell,
                            [
                                ("cell".into(), json!(h.cell.to_string())),
                                ("count".into(), json!(h.count)),
                                ("z".into(), json!(h.z)),
                                ("q".into(), json!(h.q)),
                                ("class".into(), json!(class(h))),
                            ],
                        )
                    })
                    .collect();
                Ok(Json(geojson_out::collection(f)).into_response())
            }
        }
    })
    .await
}
