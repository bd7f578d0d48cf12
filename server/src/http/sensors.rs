//! Sensors and their readings.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::access::{Action, Routes};
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
    body: Result<Json<crate::live::Sensor>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    blocking(move || {
        let id = b.id.clone();
        let v = s.live.add_sensor(b)?;
        tracing::info!(sensor = %id, "sensor stored");
        Ok((StatusCode::CREATED, Json(v)).into_response())
    })
    .await
}

pub(crate) async fn sensor_list(State(s): State<Arc<AppState>>) -> AppResult {
    Ok(Json(json!({"sensors": s.live.sensors()})).into_response())
}

pub(crate) async fn sensor_reading(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Json<crate::live::Reading>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let d = s.dataset();
    blocking(move || {
        let v = s.live.reading(&d, &id, b)?;
        tracing::info!(sensor = %id, incident = %v["incident"], "reading stored");
        Ok(Json(v).into_response())
    })
    .await
}
