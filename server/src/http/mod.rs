//! The HTTP layer (axum): one router per capability, merged by [`app`].
//!
//! Errors are `{"error": code, "message": text}` with the matching status.

pub mod cameras;
pub mod coverage;
pub mod error;
pub mod graphs;
pub mod heat;
pub mod incidents;
pub mod params;
pub mod sensors;
pub mod stream;
pub mod tiles;
pub mod units;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_http::services::ServeDir;

use crate::state::Dataset;

use error::AppError;

/// The whole application: every capability's router, the static page and the shared state.
pub fn app(state: Arc<AppState>) -> Router {
    let web = state.web_dir.clone();
    let vendor = web.join("node_modules/maplibre-gl/dist");
    Router::new()
        .merge(units::router())
        .merge(tiles::router())
        .merge(graphs::router())
        .merge(coverage::router())
        .merge(cameras::router())
        .merge(heat::router())
        .merge(incidents::router())
        .merge(sensors::router())
        .merge(stream::router())
        .route("/health", get(health))
        .route("/api/{*rest}", get(api_not_found))
        .nest_service("/vendor/maplibre-gl", ServeDir::new(vendor))
        .fallback_service(ServeDir::new(web))
        .with_state(state)
}

/// Shared server state.
pub struct AppState {
    pub data: RwLock<Arc<Dataset>>,
    /// The store, when edits over HTTP are to be kept (serve); None in tests that only read.
    pub store: Option<std::sync::Mutex<crate::store::Store>>,
    /// Incidents reported over HTTP, their lifecycle and the event stream.
    pub live: crate::live::Live,
    /// Encoded layer tiles by [`crate::tiles::TileKey`] (layer, versions, filter, z/x/y, scope).
    pub tiles: crate::tiles::TileCache,
    /// Cells of heatmap and hot-spot layers per query ([`crate::tiles::HeatKey`]).
    pub heat: crate::tiles::HeatCache,
    pub web_dir: PathBuf,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

impl AppState {
    pub fn new(d: Dataset, web_dir: PathBuf) -> Arc<AppState> {
        let live = crate::live::Live::new(default_taxonomy());
        Arc::new(AppState {
            data: RwLock::new(Arc::new(d)),
            store: None,
            live,
            tiles: crate::tiles::TileCache::new(20_000),
            heat: crate::tiles::HeatCache::new(64),
            web_dir,
        })
    }

    /// State whose camera edits are written to the store as new layer versions.
    pub fn with_store(d: Dataset, web_dir: PathBuf, store: crate::store::Store) -> Result<Arc<AppState>, String> {
        let live = crate::live::Live::load(&store, default_taxonomy()).map_err(|e| format!("live incidents: {e}"))?;
        Ok(Arc::new(AppState {
            data: RwLock::new(Arc::new(d)),
            store: Some(std::sync::Mutex::new(store)),
            live,
            tiles: crate::tiles::TileCache::new(20_000),
            heat: crate::tiles::HeatCache::new(64),
            web_dir,
        }))
    }
    pub fn dataset(&self) -> Arc<Dataset> {
        match self.data.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// The built-in taxonomy (checked by the engine's tests).
fn default_taxonomy() -> wangge_engine::lifecycle::Taxonomy {
    wangge_engine::lifecycle::Taxonomy::parse(crate::live::DEFAULT_TAXONOMY).unwrap_or_else(|_| wangge_engine::lifecycle::Taxonomy {
        classes: Vec::new(),
        departments: Vec::new(),
        deadlines_h: Default::default(),
        sensor_kinds: Default::default(),
    })
}

/// Run CPU-bound work on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, AppError> + Send + 'static) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AppError::Internal(e.to_string()))?
}

async fn api_not_found(Path(rest): Path<String>) -> AppError {
    AppError::not_found(format!("no API endpoint /api/{rest}"))
}

async fn health(State(s): State<Arc<AppState>>) -> Json<Value> {
    let d = s.dataset();
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "data_version": d.data_version(), "units": d.hierarchy.len()}))
}
