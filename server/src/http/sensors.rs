//! Sensors and their readings, within the caller's jurisdiction: the list
//! holds only the sensors whose position is inside it; registering a sensor
//! outside it, or posting a reading for one outside it, is 403.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::access::{Action, Routes, Scope};
use super::error::AppError;
use super::error::AppResult;
use super::{AppState, blocking};

pub(crate) fn routes() -> Routes {
    Routes::new().post("/api/sensors", Action::Sensors, sensor_create).get("/api/sensors", Action::Read, sensor_list).post(
        "/api/sensors/{id}/readings",
        Action::Sensors,
        sensor_reading,
    )
}

pub(crate) async fn sensor_create(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    body: Result<Json<crate::live::Sensor>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    if !scope.jurisdiction.point(&s.dataset(), geo::Point::new(b.lon, b.lat)) {
        return Err(AppError::Forbidden(scope.outside(&format!("sensor {} at {}, {}", b.id, b.lon, b.lat))));
    }
    blocking(move || {
        let id = b.id.clone();
        let v = s.live.add_sensor(b)?;
        tracing::info!(sensor = %id, "sensor stored");
        Ok((StatusCode::CREATED, Json(v)).into_response())
    })
    .await
}

pub(crate) async fn sensor_list(State(s): State<Arc<AppState>>, scope: Scope) -> AppResult {
    let mut list = s.live.sensors();
    if !scope.jurisdiction.is_everything() {
        let d = s.dataset();
        list.retain(|v| match (v["lon"].as_f64(), v["lat"].as_f64()) {
            (Some(x), Some(y)) => scope.jurisdiction.point(&d, geo::Point::new(x, y)),
            _ => false,
        });
    }
    Ok(Json(json!({"sensors": list})).into_response())
}

pub(crate) async fn sensor_reading(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    Path(id): Path<String>,
    body: Result<Json<crate::live::Reading>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let d = s.dataset();
    if !scope.jurisdiction.is_everything()
        && let Some((x, y)) = s.live.sensor_position(&id)
        && !scope.jurisdiction.point(&d, geo::Point::new(x, y))
    {
        return Err(AppError::Forbidden(scope.outside(&format!("sensor {id}"))));
    }
    blocking(move || {
        let v = s.live.reading(&d, &id, b)?;
        tracing::info!(sensor = %id, incident = %v["incident"], "reading stored");
        Ok(Json(v).into_response())
    })
    .await
}
