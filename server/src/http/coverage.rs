//! Camera coverage: figures per unit, blind spots, siting and the high-points
//! scenario, inside the caller's jurisdiction: a unit named must be inside it
//! (403 otherwise), and without one a jurisdiction's root stands for the
//! district's top units.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::{Action, Routes, Scope};
use super::error::{AppError, AppResult};
use super::extract::{Format, OutputFormat};
use super::units::*;
use super::{AppState, blocking};
use crate::geojson_out;
use wangge_engine::dataset::Dataset;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/coverage/cameras", Action::Read, coverage_cameras)
        .get("/api/coverage/gaps", Action::Read, coverage_gaps)
        .post("/api/coverage/siting", Action::Analyse, coverage_siting)
        .get("/api/coverage/high-points", Action::Analyse, coverage_high_points)
}

#[derive(Deserialize)]
pub(crate) struct CoverageQuery {
    pub(crate) unit: Option<String>,
    pub(crate) min_area: Option<f64>,
    pub(crate) res: Option<u8>,
}

pub(crate) fn coverage_json(d: &Dataset, i: usize) -> Value {
    let u = &d.hierarchy.units[i];
    let mut v = serde_json::to_value(&d.coverage().units[i]).unwrap_or(Value::Null);
    v["id"] = json!(u.id.0);
    v["name"] = json!(u.name);
    v["level"] = json!(u.level.0);
    v
}

/// The unit a coverage query is about: the one named (inside the jurisdiction), else the jurisdiction's
/// root, else `None` (the whole district).
pub(crate) fn scoped_unit(d: &Dataset, scope: &Scope, unit: Option<&str>) -> Result<Option<usize>, AppError> {
    let j = &scope.jurisdiction;
    match unit.or(j.unit.as_deref()) {
        Some(id) => {
            scope.require_unit(d, id)?;
            Ok(Some(unit_index(d, id)?))
        }
        None => Ok(None),
    }
}

pub(crate) async fn coverage_cameras(State(s): State<Arc<AppState>>, Query(q): Query<CoverageQuery>, scope: Scope) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let cov = d.coverage();
        let h = &d.hierarchy;
        let j = &scope.jurisdiction;
        if j.is_void() {
            return Ok(Json(json!({"mode": "2.5d", "storey_m": wangge_engine::cameras::map::STOREY_M, "cameras": 0,
                                  "unit": null, "children": [], "on_roof": []}))
            .into_response());
        }
        let (unit, children): (Option<Value>, Vec<usize>) = match scoped_unit(&d, &scope, q.unit.as_deref())? {
            Some(i) => (Some(coverage_json(&d, i)), h.children[i].clone()),
            None => (None, (0..h.len()).filter(|&i| h.parent[i].is_none()).collect()),
        };
        let on_roof: Vec<Value> = cov
            .views
            .iter()
            .enumerate()
            .filter(|(i, _)| j.camera(&d, *i))
            .filter_map(|(i, v)| v.on_roof.map(|b| json!({"camera": d.cameras[i].id, "building": d.buildings[b].id})))
            .collect();
        let cameras = crate::tiles::layers::points::cameras_inside(&d, j);
        Ok(Json(json!({
            "mode": "2.5d",
            "storey_m": wangge_engine::cameras::map::STOREY_M,
            "cameras": cameras,
            "unit": unit,
            "children": children.iter().map(|&c| coverage_json(&d, c)).collect::<Vec<_>>(),
            "on_roof": on_roof,
        }))
        .into_response())
    })
    .await
}

pub(crate) async fn coverage_gaps(
    State(s): State<Arc<AppState>>,
    Query(q): Query<CoverageQuery>,
    format: Format,
    scope: Scope,
) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let id = q.unit.as_deref().ok_or_else(|| AppError::bad("unit is required, e.g. ?unit=ID"))?;
        scope.require_unit(&d, id)?;
        let i = unit_index(&d, id)?;
        let cov = d.coverage();
        match format.one_of(&[OutputFormat::Geojson, OutputFormat::H3])? {
            OutputFormat::Geojson => {
                let min = q.min_area.unwrap_or(25.0);
                if !(min.is_finite() && min >= 0.0) {
                    return Err(AppError::bad(format!("min_area {min}: expected 0 or more (m²)")));
                }
                let f: Vec<Value> = cov
                    .gap_polygons(&d, i, min)
                    .into_iter()
                    .map(|(p, a)| {
                        geojson_out::feature(
                            &geo::Geometry::Polygon(p),
                            serde_json::Map::from_iter([("area_m2".into(), json!((a * 10.0).round() / 10.0)), ("unit".into(), json!(id))]),
                        )
                    })
                    .collect();
                Ok(Json(geojson_out::collection(f)).into_response())
            }
            _ => {
                let r = q.res.unwrap_or(11);
                let res = h3o::Resolution::try_from(r).map_err(|_| AppError::bad(format!("res {r}: expected 0 to 15")))?;
                if r < 7 {
                    return Err(AppError::bad(format!("res {r}: use 7 to 15 for gaps")));
                }
                let cells: Vec<String> = cov.gap_cells(&d, i, res).into_iter().map(|c| c.to_string()).collect();
                Ok(Json(json!({"unit": id, "res": r, "count": cells.len(), "cells": cells})).into_response())
            }
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SitingBody {
    pub(crate) unit: String,
    pub(crate) k: usize,
    pub(crate) camera: wangge_engine::model::CameraView,
    #[serde(default)]
    pub(crate) weights: wangge_engine::cameras::siting::SitingWeights,
    pub(crate) headings: Option<usize>,
}

pub(crate) async fn coverage_siting(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    body: Result<Json<SitingBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let d = s.dataset();
    blocking(move || {
        // siting works inside the unit's polygon: its candidates and chosen sites lie in the unit, hence in the jurisdiction
        scope.require_unit(&d, &b.unit)?;
        let i = unit_index(&d, &b.unit)?;
        let r = d.coverage().siting(&d, i, b.k, b.camera, b.weights, b.headings.unwrap_or(8)).map_err(|e| AppError::bad(e.to_string()))?;
        let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
        let features: Vec<Value> = r
            .proposals
            .iter()
            .flat_map(|p| {
                let props = serde_json::Map::from_iter([
                    ("rank".into(), json!(p.rank)),
                    ("heading".into(), json!(p.heading)),
                    ("gain_m2".into(), json!(p.gain_m2)),
                    ("generated".into(), json!(true)),
                ]);
                let mut view = props.clone();
                view.insert("kind".into(), json!("view"));
                let mut point = props;
                point.insert("kind".into(), json!("camera"));
                [
                    geojson_out::feature(&geo::Geometry::MultiPolygon(p.view.clone()), view),
                    geojson_out::feature(&geo::Geometry::Point(geo::Point::new(p.lon, p.lat)), point),
                ]
            })
            .collect();
        v["unit"] = json!(b.unit);
        v["camera"] = json!({"fov": b.camera.fov_deg, "range": b.camera.range_m.0, "height": b.camera.height_m.0});
        v["geojson"] = geojson_out::collection(features);
        Ok(Json(v).into_response())
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct HighPointsQuery {
    pub(crate) unit: Option<String>,
    pub(crate) n: Option<usize>,
    pub(crate) range: Option<f64>,
    pub(crate) height: Option<f64>,
}

pub(crate) async fn coverage_high_points(State(s): State<Arc<AppState>>, Query(q): Query<HighPointsQuery>, scope: Scope) -> AppResult {
    let d = s.dataset();
    blocking(move || {
        let h = &d.hierarchy;
        if scope.jurisdiction.is_void() && q.unit.is_none() {
            return Ok(Json(json!({"cameras": [], "ground_m2": 0.0, "covered_m2": 0.0, "share": 0.0, "uncovered_m2": 0.0,
                                  "covers_all": false, "unit": null, "unit_name": null, "geojson": geojson_out::collection(vec![])}))
            .into_response());
        }
        let i = match scoped_unit(&d, &scope, q.unit.as_deref())? {
            Some(i) => i,
            None => (0..h.len()).find(|&i| h.parent[i].is_none()).ok_or_else(|| AppError::not_found("no units loaded"))?,
        };
        let dome = wangge_engine::model::CameraView::dome(q.range.unwrap_or(500.0), q.height.unwrap_or(5.0));
        let r = d.coverage().high_points(&d, i, q.n.unwrap_or(12), dome).map_err(|e| AppError::bad(e.to_string()))?;
        let mut v = serde_json::to_value(&r).unwrap_or(Value::Null);
        let mut features: Vec<Value> = Vec::new();
        for (c, view) in r.cameras.iter().zip(&r.views) {
            let props = serde_json::Map::from_iter([("kind".into(), json!("view")), ("building".into(), json!(c.building))]);
            features.push(geojson_out::feature(&geo::Geometry::MultiPolygon(view.clone()), props));
        }
        for (g, a) in &r.gaps {
            let props = serde_json::Map::from_iter([("kind".into(), json!("gap")), ("area_m2".into(), json!((a * 10.0).round() / 10.0))]);
            features.push(geojson_out::feature(&geo::Geometry::Polygon(g.clone()), props));
        }
        for c in &r.cameras {
            let props = serde_json::Map::from_iter([("kind".into(), json!("camera")), ("building".into(), json!(c.building))]);
            features.push(geojson_out::feature(&geo::Geometry::Point(geo::Point::new(c.lon, c.lat)), props));
        }
        v["unit"] = json!(h.units[i].id.0);
        v["unit_name"] = json!(h.units[i].name);
        v["geojson"] = geojson_out::collection(features);
        Ok(Json(v).into_response())
    })
    .await
}
