//! Adjacency graphs, alliances and AB-post pairs of one level.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use wangge_engine::groups::abpost::AbOptions;
use wangge_engine::groups::adjacency::AdjacencyOptions;
use wangge_engine::groups::alliance::AllianceSpec;

use super::access::{Action, Routes};
use super::error::{AppError, AppResult};
use super::extract::{Format, OutputFormat};
use super::params::*;
use super::{AppState, blocking};
use crate::graphs::{WeightBy, level_graph, pair_weight};

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/adjacency", Action::Read, adjacency)
        .post("/api/alliances/propose", Action::Analyse, alliances_propose)
        .post("/api/alliances/validate", Action::Analyse, alliances_validate)
        .get("/api/ab-pairs", Action::Read, ab_pairs)
}

#[derive(Deserialize)]
pub(crate) struct GraphQuery {
    pub(crate) level: Option<String>,
    pub(crate) tolerance: Option<f64>,
    pub(crate) min_shared: Option<f64>,
    pub(crate) within: Option<String>,
    pub(crate) weight: Option<String>,
}

pub(crate) fn graph_opts(tolerance: Option<f64>, min_shared: Option<f64>) -> AdjacencyOptions {
    let d = AdjacencyOptions::default();
    AdjacencyOptions { tolerance_m: tolerance.unwrap_or(d.tolerance_m), min_shared_m: min_shared.unwrap_or(d.min_shared_m) }
}

const GRAPH_FORMATS: [OutputFormat; 3] = [OutputFormat::Json, OutputFormat::Geojson, OutputFormat::Csv];

pub(crate) async fn adjacency(State(s): State<Arc<AppState>>, Query(q): Query<GraphQuery>, format: Format) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let level = q.level.as_deref().ok_or_else(|| AppError::bad("level is required, e.g. ?level=grid"))?;
        let g = level_graph(&d, level, graph_opts(q.tolerance, q.min_shared)).map_err(|e| AppError::bad(e.to_string()))?;
        match format.one_of(&GRAPH_FORMATS)? {
            OutputFormat::Geojson => Ok(Json(g.adjacency_geojson()).into_response()),
            OutputFormat::Csv => {
                let mut buf = Vec::new();
                g.adjacency_csv(&mut buf).map_err(|e| AppError::bad(e.to_string()))?;
                Ok(csv_response(buf))
            }
            _ => Ok(Json(g.adjacency_json()).into_response()),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProposeBody {
    pub(crate) level: String,
    pub(crate) count: Option<usize>,
    pub(crate) min_size: Option<usize>,
    pub(crate) max_size: Option<usize>,
    #[serde(default)]
    pub(crate) weight: WeightBy,
    #[serde(default)]
    pub(crate) straddle: bool,
    #[serde(default)]
    pub(crate) seed: u64,
    pub(crate) tolerance: Option<f64>,
    pub(crate) min_shared: Option<f64>,
    #[serde(default)]
    pub(crate) geojson: bool,
}

pub(crate) async fn alliances_propose(
    State(s): State<Arc<AppState>>,
    body: Result<Json<ProposeBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let d = s.dataset();
    blocking(move || {
        let g = level_graph(&d, &b.level, graph_opts(b.tolerance, b.min_shared)).map_err(|e| AppError::bad(e.to_string()))?;
        let (min_size, max_size) = match (b.count, b.min_size, b.max_size) {
            (Some(_), lo, hi) => (lo.unwrap_or(1), hi.unwrap_or(usize::MAX)),
            (None, lo, hi) => (lo.unwrap_or(2), hi.unwrap_or(4)),
        };
        let spec = AllianceSpec { groups: b.count, min_size, max_size, straddle: b.straddle, seed: b.seed };
        let mut v = g.propose(b.weight, &spec).map_err(|e| AppError::bad(e.to_string()))?;
        if b.geojson {
            v.geojson = Some(g.alliances_geojson(&v));
        }
        Ok(Json(v).into_response())
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ValidateBody {
    pub(crate) level: String,
    pub(crate) groups: Vec<Vec<String>>,
    #[serde(default)]
    pub(crate) weight: WeightBy,
    pub(crate) tolerance: Option<f64>,
    pub(crate) min_shared: Option<f64>,
}

pub(crate) async fn alliances_validate(
    State(s): State<Arc<AppState>>,
    body: Result<Json<ValidateBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let d = s.dataset();
    blocking(move || {
        let g = level_graph(&d, &b.level, graph_opts(b.tolerance, b.min_shared)).map_err(|e| AppError::bad(e.to_string()))?;
        Ok(Json(g.validate(b.weight, &b.groups).map_err(|e| AppError::bad(e.to_string()))?).into_response())
    })
    .await
}

pub(crate) async fn ab_pairs(State(s): State<Arc<AppState>>, Query(q): Query<GraphQuery>, format: Format) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let level = q.level.as_deref().ok_or_else(|| AppError::bad("level is required, e.g. ?level=grid"))?;
        let within_parent = match q.within.as_deref() {
            None | Some("parent") => true,
            Some("any") => false,
            Some(w) => return Err(AppError::bad(format!("within {w:?}: use parent or any"))),
        };
        let weight = pair_weight(q.weight.as_deref().unwrap_or("shared")).map_err(|e| AppError::bad(e.to_string()))?;
        let opts = AbOptions { within_parent, weight };
        let g = level_graph(&d, level, graph_opts(q.tolerance, q.min_shared)).map_err(|e| AppError::bad(e.to_string()))?;
        let r = g.ab_pairs(&opts);
        match format.one_of(&GRAPH_FORMATS)? {
            OutputFormat::Geojson => Ok(Json(g.ab_geojson(&r)).into_response()),
            OutputFormat::Csv => {
                let mut buf = Vec::new();
                g.ab_csv(&r, &mut buf).map_err(|e| AppError::bad(e.to_string()))?;
                Ok(csv_response(buf))
            }
            _ => Ok(Json(g.ab_json(&r, &opts)).into_response()),
        }
    })
    .await
}
