//! `wangge serve`: load the store, compute camera coverage and serve the API, the tiles and the map
//! until SIGTERM or Ctrl-C (open event streams are ended, requests drained within a cap).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{CheckArgs, DbArg};
use crate::http::{Limits, Options, WebSource};
use crate::store::Store;

/// Flags of `wangge serve`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[arg(long, env = "WANGGE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Serve the page from this directory (with node_modules/maplibre-gl) instead of the copy built into the binary.
    #[arg(long, env = "WANGGE_WEB")]
    pub web: Option<PathBuf>,
    /// Incident taxonomy (JSON, like data/taxonomy.json); the built-in one when not given.
    #[arg(long, env = "WANGGE_TAXONOMY")]
    pub taxonomy: Option<PathBuf>,
    /// Longest a request may take, in seconds (the event stream is not limited).
    #[arg(long, env = "WANGGE_TIMEOUT", default_value_t = 60)]
    pub timeout: u64,
    /// Largest request body: bytes, or with a unit (16MiB, 512KiB); the bulk incident route allows 256 MiB.
    #[arg(long, env = "WANGGE_BODY_LIMIT", default_value = "16MiB", value_parser = parse_size)]
    pub body_limit: usize,
    /// On SIGTERM or Ctrl-C, how long to let requests finish, in seconds.
    #[arg(long, env = "WANGGE_SHUTDOWN_TIMEOUT", default_value_t = 10)]
    pub shutdown_timeout: u64,
    /// Requests a second per credential (token or session), with bursts of twice that; 0 for no limit.
    #[arg(long, env = "WANGGE_RATE_LIMIT", default_value_t = 5000.0)]
    pub rate_limit: f64,
    /// Longest a read-only SQL statement (POST /api/sql) may run, in milliseconds; cancelled after it.
    #[arg(long, env = "WANGGE_SQL_TIMEOUT_MS", default_value_t = 5000)]
    pub sql_timeout_ms: u64,
    /// Log the process's resident size and the store's DuckDB memory every this many seconds (0: never).
    #[arg(long, env = "WANGGE_MEMORY_LOG_S", default_value_t = 60)]
    pub memory_log_s: u64,
    /// Memory the store's DuckDB may hold (its buffer pool: table data, indexes, updates not yet checkpointed),
    /// (DuckDB's units: 256MB, 1GB); past it DuckDB evicts cached blocks and spills. Without it DuckDB keeps every
    /// block it read or wrote up to 80 % of RAM, which a server taking incidents all day sees as growth.
    #[arg(long, env = "WANGGE_STORE_MEMORY_LIMIT", default_value = "1GB")]
    pub store_memory_limit: String,
    /// Checkpoint the store every this many seconds (0: only when DuckDB's WAL passes its own threshold), so cases
    /// taken all day move from the WAL into the file, where the buffer pool may evict them under its limit.
    #[arg(long, env = "WANGGE_CHECKPOINT_S", default_value_t = 300)]
    pub checkpoint_s: u64,
    #[command(flatten)]
    pub check: CheckArgs,
}

/// A size in bytes: `1048576`, `512KiB`, `16MiB`, `1GiB` (also `K`, `M`, `G`, `KB`, `MB`, `GB` as powers of 1024).
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: usize = n.parse().map_err(|_| format!("{s:?}: expected a size like 16MiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        u => return Err(format!("{s:?}: unknown unit {u:?}; use KiB, MiB or GiB")),
    };
    n.checked_mul(1 << shift).filter(|&b| b > 0).ok_or_else(|| format!("{s:?}: expected a size above 0"))
}

/// Why `wangge serve` stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Taxonomy(#[from] crate::http::taxonomy::TaxonomyError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    State(#[from] crate::http::StateError),
    #[error(
        "the store has no users, so it is in open local mode (everyone is admin) and serves on loopback only, not on {0}: \
         serve on 127.0.0.1, or add users first (wangge users add --db FILE --name NAME --role admin --password-stdin)"
    )]
    OpenNotLoopback(std::net::SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: String, source: std::io::Error },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// Serve until SIGTERM or Ctrl-C.
pub fn run(args: ServeArgs) -> Result<(), ServeError> {
    let ServeArgs {
        db,
        addr,
        web,
        taxonomy,
        timeout,
        body_limit,
        shutdown_timeout,
        rate_limit,
        sql_timeout_ms,
        memory_log_s,
        store_memory_limit,
        checkpoint_s,
        check,
    } = args;
    // a taxonomy that does not parse stops start-up before anything is loaded
    let taxonomy = crate::http::taxonomy::load(taxonomy.as_deref())?;
    let web = web.map_or(WebSource::Embedded, WebSource::Dir);
    let store = Store::open(&db.db)?;
    store.limit_memory(&store_memory_limit)?;
    let started = std::time::Instant::now();
    let d = crate::state::load(&store, check.config().map_err(|e| ServeError::Config(e.to_string()))?)?;
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
    if let Some(why) = web.missing_map_library() {
        eprintln!("warning: {why}");
    }
    let limits = Limits {
        timeout: Duration::from_secs(timeout.max(1)),
        body_limit,
        rate_per_s: rate_limit.max(0.0),
        sql_timeout: Duration::from_millis(sql_timeout_ms.max(1)),
    };
    // the server keeps the store: camera edits over HTTP become new layer versions
    let state = crate::http::AppState::open(d, store, Options { web, taxonomy, limits })?;
    // blocking work (store, tiles, queries) on a bounded pool: every store call waits for one lock, so more threads
    // than this only queue there while each holds a stack and allocator state
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads((4 * cores).max(8)).build()?;
    let served = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|source| ServeError::Listen { addr: addr.clone(), source })?;
        let local = listener.local_addr()?;
        if state.people.is_open() {
            if !local.ip().is_loopback() {
                return Err(ServeError::OpenNotLoopback(local));
            }
            eprintln!(
                "open local mode: the store has no users, so everyone is admin and the server listens on loopback only; \
                 add users with `wangge users add` to require logins"
            );
        } else {
            eprintln!("{} users: every /api, /tiles and page data request needs a login or an API token", state.people.users().len());
        }
        eprintln!("serving the map at http://{local}/");
        tracing::info!(%local, "serving");
        // 督办: overdue cases are urged every second, whether or not anyone is watching
        let urging = state.clone();
        every(Duration::from_secs(1), true, "overdue cases not urged", move || urging.live.raise_urges(crate::auth::now()).map(drop));
        if let Some(store) = state.store.clone().filter(|_| memory_log_s > 0) {
            let app = state.clone();
            every(Duration::from_secs(memory_log_s), true, "memory not logged", move || {
                crate::store::memory::log(&store, app.tiles.weight() + app.heat.weight(), app.live.held());
                Ok::<(), std::convert::Infallible>(())
            });
        }
        if let Some(store) = state.store.clone().filter(|_| checkpoint_s > 0) {
            // not at the start: the store was just opened
            every(Duration::from_secs(checkpoint_s), false, "store not checkpointed", move || crate::sync::lock(&store).checkpoint());
        }
        // what DuckDB freed, back to the OS once a minute: glibc's malloc otherwise keeps it in its arenas
        every(Duration::from_secs(TRIM_S), false, "C heap not trimmed", || {
            crate::store::memory::trim_c_heap();
            Ok::<(), std::convert::Infallible>(())
        });
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let on_signal = state.clone();
        let server = axum::serve(listener, crate::http::app(state)).with_graceful_shutdown(async move {
            let which = shutdown_signal().await;
            eprintln!("{which}: shutting down (open requests get {shutdown_timeout} s)");
            on_signal.shut_down();
            let _ = stopping_tx.send(());
        });
        let cap = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(Duration::from_secs(shutdown_timeout)).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = server => r?,
            () = cap => eprintln!("requests still open after {shutdown_timeout} s: stopping anyway"),
        }
        eprintln!("stopped");
        Ok(())
    });
    // a long job still running on the blocking pool does not hold the exit
    rt.shutdown_timeout(Duration::from_millis(500));
    served
}

/// Wait for Ctrl-C or (on Unix) SIGTERM; say which.
async fn shutdown_signal() -> &'static str {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => "Ctrl-C",
        () = term => "SIGTERM",
    }
}

/// Seconds between two trims of glibc's heap (DuckDB's freed memory given back: `store::memory::trim_c_heap`).
const TRIM_S: u64 = 60;

/// Runs `job` on a blocking thread every `period` (the first time now when `at_start`), one run at a
/// time; a failure is logged as `what` and the job runs again at the next tick.
fn every<E: std::fmt::Display + Send + 'static>(
    period: Duration,
    at_start: bool,
    what: &'static str,
    job: impl Fn() -> Result<(), E> + Send + Sync + 'static,
) {
    let job = std::sync::Arc::new(job);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        if !at_start {
            ticks.tick().await; // an interval's first tick is at once
        }
        loop {
            ticks.tick().await;
            let j = job.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || j()).await {
                tracing::warn!(error = %e, "{what}; trying again in {} s", period.as_secs());
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("1024"), Ok(1024));
        assert!(parse_size("0").is_err());
        assert!(parse_size("16 furlongs").is_err());
        assert!(parse_size("MiB").is_err());
    }
}
