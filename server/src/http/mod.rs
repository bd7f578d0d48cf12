//! The HTTP layer (axum): one router per capability, merged by [`app`] under
//! tower-http's request log, compression, body limit and timeout.
//!
//! Errors are `{"error": code, "message": text}` with the matching status.

pub mod access;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod cameras;
pub mod coverage;
pub mod error;
pub mod extract;
pub mod graphs;
pub mod heat;
pub mod incidents;
pub mod login;
pub mod ogc;
pub mod params;
pub mod people;
pub mod planning;
pub mod query;
pub mod query_export;
pub mod request_id;
pub mod screen;
pub mod sensors;
pub mod service;
pub mod sql;
pub mod stream;
pub mod taxonomy;
pub mod tiles;
pub mod units;
pub mod web_files;

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{Request, Response, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_http::compression::predicate::{NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, DefaultPredicate};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use wangge_engine::incidents::taxonomy::Taxonomy;

use wangge_engine::dataset::Dataset;

pub use access::{Action, Routes, Scope};
pub use assets::WebSource;
use error::AppError;

/// Bytes of rendered tiles the server keeps (layer tiles and gzipped composites).
const TILE_CACHE_BYTES: u64 = 96 << 20;
/// Bytes of heat cells the server keeps (one entry per query: kind, versions, filter, resolution, scope).
const HEAT_CACHE_BYTES: u64 = 32 << 20;

/// The body limit of the bulk incident route (a day's CSV of a city).
pub const BULK_BODY_LIMIT: usize = 256 << 20;

/// Limits every request is held to (`wangge serve --timeout`, `--body-limit`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Longest a request may take (not the event stream); 503 after it.
    pub timeout: Duration,
    /// Largest request body (not the bulk incident route); 413 above it.
    pub body_limit: usize,
    /// Requests a second per credential (token or session; a burst of twice that); 429 above it. 0: no limit.
    pub rate_per_s: f64,
    /// Longest a read-only SQL statement may run (`POST /api/sql`); cancelled after it.
    pub sql_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: Duration::from_secs(60), body_limit: 16 << 20, rate_per_s: 5_000.0, sql_timeout: crate::sql::DEFAULT_TIMEOUT }
    }
}

/// Every route with its action, in three groups: those under the normal body
/// limit and timeout, the bulk route (its own body limit) and the event stream
/// (no timeout).
fn route_groups() -> [Routes; 3] {
    let capped = Routes::new()
        .merge(units::routes())
        .merge(tiles::routes())
        .merge(graphs::routes())
        .merge(coverage::routes())
        .merge(service::routes())
        .merge(cameras::routes())
        .merge(heat::routes())
        .merge(incidents::routes())
        .merge(sensors::routes())
        .merge(screen::routes())
        .merge(taxonomy::routes())
        .merge(sql::routes())
        .merge(login::routes())
        .merge(people::routes())
        .merge(admin::routes())
        .merge(query::routes())
        .merge(ogc::routes())
        .merge(planning::routes())
        .get("/health", Action::Public, health)
        .get("/api/{*rest}", Action::Public, api_not_found);
    [capped, incidents::bulk_routes(), stream::routes()]
}

/// The router's own list of routes (method, path, action): the access tests walk it.
pub fn route_table() -> Vec<access::RouteInfo> {
    route_groups().into_iter().flat_map(|g| g.into_parts().1).collect()
}

/// The whole application: every capability's router, the static page, the shared state and the tower-http layers.
pub fn app(state: Arc<AppState>) -> Router {
    let limits = state.limits;
    let [capped, bulk, stream] = route_groups().map(|g| g.into_parts().0);
    let capped = capped
        .fallback(assets::serve)
        .layer(RequestBodyLimitLayer::new(limits.body_limit))
        .merge(bulk.layer(RequestBodyLimitLayer::new(BULK_BODY_LIMIT)))
        // long jobs (siting, high points, alliances) answer within the cap
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limits.timeout));
    // tiles are gzipped by their handler (and negotiated there); the event stream must not be buffered
    let compress = DefaultPredicate::new().and(NotForContentType::const_new("application/vnd.mapbox-vector-tile"));
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request<axum::body::Body>| {
            let id = req.extensions().get::<request_id::RequestId>().map_or("", |r| r.0.as_str());
            // the path only: queries are not logged (credentials never travel in URLs, but keep it that way)
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        })
        .on_request(())
        .on_response(|res: &Response<axum::body::Body>, latency: Duration, _: &tracing::Span| {
            tracing::info!(status = res.status().as_u16(), latency_ms = (latency.as_secs_f64() * 1e4).round() / 10.0, "answered");
        })
        .on_failure(());
    Router::new()
        .merge(capped)
        .merge(stream)
        // the limit is RequestBodyLimitLayer's, per route group
        .layer(DefaultBodyLimit::disable())
        .layer(CompressionLayer::new().compress_when(compress))
        .layer(from_fn_with_state(state.clone(), auth::identify))
        .layer(from_fn(auth::security_headers))
        .layer(from_fn(error::internal_errors))
        .layer(trace)
        .layer(from_fn(request_id::assign))
        .with_state(state)
}

/// Shared server state.
pub struct AppState {
    pub data: RwLock<Arc<Dataset>>,
    /// The store, when edits over HTTP are to be kept (serve); None in tests that only read.
    pub store: Option<Arc<std::sync::Mutex<crate::store::Store>>>,
    /// Incidents reported over HTTP, their lifecycle and the event stream.
    pub live: crate::live::Live,
    /// Encoded layer tiles by [`crate::tiles::TileKey`] (layer, versions, filter, z/x/y, scope).
    pub tiles: crate::tiles::TileCache,
    /// Cells of heatmap and hot-spot layers per query ([`crate::tiles::HeatKey`]).
    pub heat: crate::tiles::HeatCache,
    /// Where the page's files come from.
    pub web: WebSource,
    pub limits: Limits,
    /// Set to true when the server shuts down: open event streams end.
    pub shutdown: tokio::sync::watch::Sender<bool>,
    /// Users, tokens and sessions (open local mode when there are no users).
    pub people: crate::auth::People,
    /// Jurisdictions by (data version, unit id), built once and shared.
    jurisdictions: moka::sync::Cache<(String, String), Arc<wangge_engine::units::jurisdiction::Jurisdiction>>,
    /// Walking networks, distances per facility kind, catchments and gaps, per data version.
    pub service: crate::service::ServiceCache,
    /// Every write and refused request.
    pub audit: auth::AuditLog,
    /// Request rate per credential.
    pub rate: auth::RateLimiter,
    /// Read-only SQL: a sandbox per jurisdiction and the statement time limit.
    pub sql: crate::sql::SqlService,
    /// Validators of planning scenarios and their base versions, kept warm between edits.
    pub planning: crate::planning::review::ReviewCache,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

/// Why the state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("live incidents: {0}")]
    Live(#[from] crate::live::LiveError),
    #[error(transparent)]
    Taxonomy(#[from] taxonomy::TaxonomyError),
    #[error("users and tokens: {0}")]
    People(#[from] crate::store::StoreError),
}

/// How to build the state (`wangge serve`'s flags).
#[derive(Debug, Clone)]
pub struct Options {
    pub web: WebSource,
    pub taxonomy: Taxonomy,
    pub limits: Limits,
}

impl AppState {
    /// State without a store, the built-in taxonomy and the page from `web_dir`.
    pub fn new(d: Dataset, web_dir: PathBuf) -> Arc<AppState> {
        // the built-in taxonomy is compiled in and checked by the engine's tests and by `wangge serve` at start
        let taxonomy = match taxonomy::load(None) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        Self::build(d, None, Options { web: WebSource::Dir(web_dir), taxonomy, limits: Limits::default() })
    }

    /// State whose camera edits and live incidents are written to the store (built-in taxonomy, page from `web_dir`).
    pub fn with_store(d: Dataset, web_dir: PathBuf, store: crate::store::Store) -> Result<Arc<AppState>, StateError> {
        let opts = Options { web: WebSource::Dir(web_dir), taxonomy: taxonomy::load(None)?, limits: Limits::default() };
        Self::open(d, store, opts)
    }

    /// State over a store, with the live incidents it holds.
    pub fn open(d: Dataset, store: crate::store::Store, opts: Options) -> Result<Arc<AppState>, StateError> {
        let people = crate::auth::People::load(&store)?;
        let store = Arc::new(std::sync::Mutex::new(store));
        let live = crate::live::Live::load(store.clone(), opts.taxonomy.clone())?;
        Ok(Self::assemble(d, Some(store), live, opts, people))
    }

    /// State without a store (nothing is kept).
    pub fn build(d: Dataset, store: Option<crate::store::Store>, opts: Options) -> Arc<AppState> {
        let live = crate::live::Live::new(opts.taxonomy.clone());
        Self::assemble(d, store.map(|s| Arc::new(std::sync::Mutex::new(s))), live, opts, crate::auth::People::open())
    }

    fn assemble(
        d: Dataset,
        store: Option<Arc<std::sync::Mutex<crate::store::Store>>>,
        live: crate::live::Live,
        opts: Options,
        people: crate::auth::People,
    ) -> Arc<AppState> {
        let audit = auth::AuditLog::new(store.clone());
        Arc::new(AppState {
            data: RwLock::new(Arc::new(d)),
            store,
            live,
            tiles: crate::tiles::TileCache::new(TILE_CACHE_BYTES),
            heat: crate::tiles::HeatCache::new(HEAT_CACHE_BYTES),
            web: opts.web,
            limits: opts.limits,
            shutdown: tokio::sync::watch::Sender::new(false),
            people,
            jurisdictions: moka::sync::Cache::new(256),
            service: crate::service::ServiceCache::default(),
            audit,
            rate: auth::RateLimiter::default(),
            sql: crate::sql::SqlService::new(opts.limits.sql_timeout),
            planning: crate::planning::review::ReviewCache::default(),
        })
    }

    /// The jurisdiction of `unit` in the current data (shared, built once per data version).
    pub fn jurisdiction(&self, unit: Option<&str>) -> Arc<wangge_engine::units::jurisdiction::Jurisdiction> {
        use wangge_engine::units::jurisdiction::Jurisdiction;
        let Some(unit) = unit else { return Arc::new(Jurisdiction::everything()) };
        let d = self.dataset();
        self.jurisdictions.get_with((d.data_version(), unit.to_owned()), || Arc::new(Jurisdiction::of(&d, Some(unit))))
    }

    pub fn dataset(&self) -> Arc<Dataset> {
        match self.data.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Begin shutting down: open event streams end.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }
}

/// Run CPU-bound work on the blocking pool.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, AppError> + Send + 'static) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f).await?
}

async fn api_not_found(Path(rest): Path<String>) -> AppError {
    AppError::not_found(format!("no API endpoint /api/{rest}"))
}

async fn health(State(s): State<Arc<AppState>>) -> Json<Value> {
    let d = s.dataset();
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "data_version": d.data_version(), "units": d.hierarchy.len()}))
}
