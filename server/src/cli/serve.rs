//! `wangge serve`: load the store, compute camera coverage and serve the API, the tiles and the map.

use std::path::PathBuf;

use clap::Args;

use super::{CheckArgs, DbArg};
use crate::state::Dataset;
use crate::store::Store;

/// Flags of `wangge serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[arg(long, env = "WANGGE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Directory of the web page (with node_modules/maplibre-gl).
    #[arg(long, env = "WANGGE_WEB", default_value = "web")]
    pub web: PathBuf,
    #[command(flatten)]
    pub check: CheckArgs,
}

/// Serve until Ctrl-C.
pub fn run(args: ServeArgs) -> Result<(), String> {
    let ServeArgs { db, addr, web, check } = args;
    let store = Store::open(&db.db).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let d = Dataset::load(&store, check.config().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    eprintln!(
        "loaded {} units, {} buildings, {} cameras, {} facilities, {} incidents in {:.2} s",
        d.hierarchy.len(),
        d.buildings.len(),
        d.cameras.len(),
        d.facilities.len(),
        d.incidents.len(),
        started.elapsed().as_secs_f64()
    );
    let t = std::time::Instant::now();
    let cov = d.coverage();
    eprintln!("camera views and coverage of {} cameras computed in {:.2} s", cov.views.len(), t.elapsed().as_secs_f64());
    // the server keeps the store: camera edits over HTTP become new layer versions
    let state = crate::http::AppState::with_store(d, web, store)?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("serving the map at http://{local}/");
        axum::serve(listener, crate::http::app(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| e.to_string())
    })
}
