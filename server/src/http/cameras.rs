//! Camera edits (add, replace, delete) with incremental coverage.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::access::{Action, Routes};
use super::error::{AppError, AppResult};
use super::{AppState, blocking};
use crate::geojson_out;
use wangge_engine::cameras::edit::CameraEdit;
use wangge_engine::cameras::map::CameraCoverage;
use wangge_engine::dataset::Dataset;

pub(crate) fn routes() -> Routes {
    Routes::new()
        .post("/api/cameras", Action::EditCameras, camera_create)
        .get("/api/cameras/{id}", Action::Read, camera_get)
        .put("/api/cameras/{id}", Action::EditCameras, camera_replace)
        .delete("/api/cameras/{id}", Action::EditCameras, camera_delete)
}

/// Parse one camera from a GeoJSON Feature (or a FeatureCollection of one) with the importer's checks.
pub(crate) fn parse_camera(body: &str, id: Option<&str>) -> Result<wangge_engine::model::Camera, AppError> {
    let mut v: Value = serde_json::from_str(body).map_err(|e| AppError::bad(format!("request body: not JSON: {e}")))?;
    if v["type"] == "Feature" {
        v = json!({"type": "FeatureCollection", "features": [v]});
    }
    let n = v["features"].as_array().map_or(0, Vec::len);
    if v["type"] != "FeatureCollection" || n != 1 {
        return Err(AppError::bad("request body: expected one GeoJSON Feature (a Point with the camera's properties)"));
    }
    if let Some(id) = id {
        v["features"][0]["properties"]["id"] = json!(id);
    }
    let opts = crate::import::ImportOptions::new(wangge_engine::model::LayerKind::Cameras);
    match crate::import::read_str(&v.to_string(), false, "request body", &opts) {
        Ok(wangge_engine::model::Layer::Cameras(mut c)) if c.len() == 1 => Ok(c.remove(0)),
        Ok(_) => Err(AppError::bad("request body: expected one camera")),
        Err(e) => Err(AppError::bad(format!("cameras: {e}"))),
    }
}

pub(crate) fn camera_json(d: &Dataset, i: usize) -> Value {
    let c = &d.cameras[i];
    let mut extra = Vec::new();
    if let Some(cov) = d.coverage.get()
        && let Some(v) = cov.views.get(i)
    {
        extra.push(("view_m2", json!(geo::Area::unsigned_area(&v.polygon))));
        extra.push(("on_roof", json!(v.on_roof.map(|b| &d.buildings[b].id))));
    }
    geojson_out::camera_feature(c, extra)
}

pub(crate) async fn camera_get(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult {
    let d = s.dataset();
    let i = d.cameras.iter().position(|c| c.id == id).ok_or_else(|| AppError::not_found(format!("no camera with id {id}")))?;
    Ok(Json(camera_json(&d, i)).into_response())
}

/// Apply a camera edit: write the new cameras layer to the store (if any) first,
/// then update the in-memory state incrementally and drop the touched tiles.
pub(crate) fn edit_cameras(
    s: &AppState,
    make: impl FnOnce(&Dataset) -> Result<CameraEdit, AppError>,
) -> Result<(Value, StatusCode), AppError> {
    let mut guard = match s.data.write() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let edit = make(&guard)?;
    let mut next = guard.cameras.clone();
    let (status, id) = match &edit {
        CameraEdit::Add(c) => {
            next.push(c.clone());
            (StatusCode::CREATED, Some(c.id.clone()))
        }
        CameraEdit::Replace(i, c) => {
            next[*i] = c.clone();
            (StatusCode::OK, Some(c.id.clone()))
        }
        CameraEdit::Remove(i) => {
            next.remove(*i);
            (StatusCode::OK, None)
        }
    };
    let mut version = None;
    let next_len = next.len();
    if let Some(store) = &s.store {
        let mut st = crate::live::lock(store);
        let v = st
            .write_layer(&wangge_engine::model::Layer::Cameras(next), "http", "wgs84", |_| Ok(None))
            .map_err(|e| AppError::Store(format!("the edit was not saved: {e}")))?;
        tracing::info!(layer = "cameras", version = v, cameras = next_len, "camera edit stored");
        version = Some(v);
    }
    let d = Arc::make_mut(&mut guard);
    let effect = CameraCoverage::apply(d, edit);
    if let Some(v) = version {
        d.versions.insert(wangge_engine::model::LayerKind::Cameras, v);
    }
    // drop the cached camera tiles the edit touched, at every zoom
    if let Some(t) = effect.touched {
        s.tiles.invalidate(t, &crate::tiles::source::camera_edited());
    }
    let root = (0..d.hierarchy.len()).find(|&i| d.hierarchy.parent[i].is_none());
    let kpi = root.and_then(|r| d.coverage.get().map(|c| &c.units[r]));
    let camera = id.and_then(|id| d.cameras.iter().position(|c| c.id == id)).map(|i| camera_json(d, i));
    Ok((
        json!({
            "camera": camera,
            "version": version,
            "recompute_ms": (effect.seconds * 1e4).round() / 10.0,
            "touched_cells": effect.cells,
            "touched_buildings": effect.buildings,
            "cameras": d.cameras.len(),
            "ground_share": kpi.map(|k| k.ground_share),
        }),
        status,
    ))
}

pub(crate) async fn camera_create(State(s): State<Arc<AppState>>, body: String) -> AppResult {
    blocking(move || {
        let (v, status) = edit_cameras(&s, |d| {
            let c = parse_camera(&body, None)?;
            if d.cameras.iter().any(|x| x.id == c.id) {
                return Err(AppError::Conflict(format!("a camera with id {} exists; PUT /api/cameras/{} to change it", c.id, c.id)));
            }
            Ok(CameraEdit::Add(c))
        })?;
        Ok((status, Json(v)).into_response())
    })
    .await
}

pub(crate) async fn camera_replace(State(s): State<Arc<AppState>>, Path(id): Path<String>, body: String) -> AppResult {
    blocking(move || {
        let (v, status) = edit_cameras(&s, |d| {
            let i = d.cameras.iter().position(|c| c.id == id).ok_or_else(|| AppError::not_found(format!("no camera with id {id}")))?;
            Ok(CameraEdit::Replace(i, parse_camera(&body, Some(&id))?))
        })?;
        Ok((status, Json(v)).into_response())
    })
    .await
}

pub(crate) async fn camera_delete(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> AppResult {
    blocking(move || {
        let (v, status) = edit_cameras(&s, |d| {
            let i = d.cameras.iter().position(|c| c.id == id).ok_or_else(|| AppError::not_found(format!("no camera with id {id}")))?;
            Ok(CameraEdit::Remove(i))
        })?;
        Ok((status, Json(v)).into_response())
    })
    .await
}
