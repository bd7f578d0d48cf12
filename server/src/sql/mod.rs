//! Read-only SQL for power users (`POST /api/sql`): one read query over
//! documented tables of the caller's jurisdiction, with a time limit and a
//! row limit, and anything else refused with the reason.
//!
//! Design: a **separate in-memory DuckDB database per jurisdiction**
//! ([`sandbox::Sandbox`]), filled from the in-memory `Dataset` and the live
//! incidents, never the store's connection. Because it holds only what the
//! caller's jurisdiction holds, no query can see anything outside it (no
//! row filter to get right per query), and because it is a copy, no query
//! can change the store (which the store's invariant 6 — only `store/`
//! speaks SQL *to the store* — keeps). It is opened with external access off
//! and its configuration locked, so file and URL readers, `COPY`, `ATTACH`
//! and `SET` fail inside DuckDB whatever text reaches it. Sandboxes are
//! cached by (data version, jurisdiction) — a camera edit or an import
//! makes a new data version, so a new sandbox — and their live incidents
//! are replaced before a query when the live list moved.
//!
//! A query: [`guard::check`] (one statement, a query, no file, environment
//! or dynamic-SQL function; clear messages), then the text runs wrapped in
//! `SELECT * FROM (…) LIMIT n+1` ([`guard::wrap`]: DuckDB's grammar accepts
//! only a query there, and the limit stops a huge `generate_series` early)
//! on a fresh connection of the sandbox, while a timer thread holds the
//! connection's interrupt handle and interrupts it at the time limit (the
//! sandbox stays usable: the next query gets a new connection).
//!
//! Spatial predicates: the bundled DuckDB has no spatial extension (and
//! extensions cannot be installed or loaded here), so geometry is WKB in
//! BLOB columns with lon/lat beside it; distances and bounding boxes are
//! written with lon/lat arithmetic (docs/SQL.md shows how, in metres).

pub mod convert;
pub mod guard;
pub mod sandbox;
pub mod tables;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value as Json;
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

use crate::live::Live;
pub use sandbox::Sandbox;

/// Rows answered when the caller names no limit.
pub const DEFAULT_LIMIT: usize = 1000;
/// The most rows one answer may hold.
pub const MAX_LIMIT: usize = 100_000;
/// The most bytes of cell text one answer may hold.
pub const MAX_ANSWER_BYTES: usize = 64 << 20;
/// The statement time limit when `wangge serve --sql-timeout-ms` is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(5000);

/// One column of an answer.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

/// The answer to a query.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Json>>,
    /// More rows than the limit: the answer holds the first `limit`.
    pub truncated: bool,
    pub elapsed_ms: f64,
}

/// Why a query got no answer.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// Not one read query, or it reaches for files, settings or the environment; the message says why.
    #[error("{0}")]
    Refused(String),
    /// The query ran past the statement time limit and was cancelled.
    #[error("cancelled after {0} ms (the statement time limit; wangge serve --sql-timeout-ms)")]
    Timeout(u64),
    /// DuckDB could not run the query (syntax, unknown column, types, memory…).
    #[error("{0}")]
    Query(String),
    /// The sandbox could not be built (our failure).
    #[error("the SQL sandbox could not be built: {0}")]
    Sandbox(String),
}

/// The sandboxes and the statement time limit.
pub struct SqlService {
    cache: moka::sync::Cache<(String, String), Arc<Sandbox>>,
    pub timeout: Duration,
}

impl std::fmt::Debug for SqlService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlService").field("timeout", &self.timeout).field("sandboxes", &self.cache.entry_count()).finish()
    }
}

impl SqlService {
    /// Up to 8 sandboxes (jurisdictions × data versions) are kept.
    pub fn new(timeout: Duration) -> SqlService {
        SqlService { cache: moka::sync::Cache::new(8), timeout }
    }

    /// The sandbox of `j` for the current data, built on first use, with its live incidents brought up to date.
    pub fn sandbox(&self, d: &Dataset, j: &Jurisdiction, live: &Live) -> Result<Arc<Sandbox>, SqlError> {
        let key = (d.data_version(), j.key().to_owned());
        let s = self.cache.try_get_with(key, || Sandbox::build(d, j, live).map(Arc::new)).map_err(|e| SqlError::Sandbox(e.to_string()))?;
        s.refresh_live(d, j, live).map_err(|e| SqlError::Sandbox(e.to_string()))?;
        Ok(s)
    }

    /// Run one read query for jurisdiction `j`, answering at most `limit` rows.
    pub fn run(&self, d: &Dataset, j: &Jurisdiction, live: &Live, sql: &str, limit: usize) -> Result<Answer, SqlError> {
        let query = guard::check(sql).map_err(SqlError::Refused)?;
        let sandbox = self.sandbox(d, j, live)?;
        let t0 = Instant::now();
        let conn = sandbox.connection().map_err(|e| SqlError::Sandbox(e.to_string()))?;
        // the timer: interrupts the connection at the limit unless the query ends first (the sender drops)
        let (done, wait) = mpsc::channel::<()>();
        let handle = conn.interrupt_handle();
        let timeout = self.timeout;
        let timer = std::thread::spawn(move || {
            let fired = matches!(wait.recv_timeout(timeout), Err(mpsc::RecvTimeoutError::Timeout));
            if fired {
                handle.interrupt();
            }
            fired
        });
        let result = fetch(&conn, &guard::wrap(&query, limit), limit);
        drop(done);
        let fired = timer.join().unwrap_or(false);
        let elapsed_ms = (t0.elapsed().as_secs_f64() * 1e4).round() / 10.0;
        match result {
            Ok((columns, rows, truncated)) => Ok(Answer { columns, rows, truncated, elapsed_ms }),
            Err(e) if fired || e.contains("INTERRUPT") => Err(SqlError::Timeout(timeout.as_millis() as u64)),
            Err(e) => Err(classify(e)),
        }
    }
}

type Fetched = (Vec<Column>, Vec<Vec<Json>>, bool);

fn fetch(conn: &duckdb::Connection, sql: &str, limit: usize) -> Result<Fetched, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let columns: Vec<Column> = match rows.as_ref() {
        Some(st) => (0..st.column_count())
            .map(|i| Column {
                name: st.column_name(i).map_or_else(|_| format!("column{i}"), Clone::clone),
                ty: convert::type_name(&st.column_type(i)),
            })
            .collect(),
        None => Vec::new(),
    };
    let mut out = Vec::new();
    let mut bytes = 0usize;
    while let Some(r) = rows.next().map_err(|e| e.to_string())? {
        if out.len() == limit {
            return Ok((columns, out, true));
        }
        let mut row = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            let v: duckdb::types::Value =
                r.get(i).map_err(|e| format!("column {:?} ({}) cannot be answered: {e}; cast it, e.g. to VARCHAR", c.name, c.ty))?;
            let j = convert::to_json(v);
            bytes += match &j {
                Json::String(s) => s.len(),
                Json::Array(_) | Json::Object(_) => j.to_string().len(),
                _ => 8,
            };
            row.push(j);
        }
        if bytes > MAX_ANSWER_BYTES {
            return Err(format!("the answer passes {} MiB; ask for fewer rows or columns", MAX_ANSWER_BYTES >> 20));
        }
        out.push(row);
    }
    Ok((columns, out, false))
}

/// DuckDB's message as the caller's: a file DuckDB refused to touch is a refusal, the rest a query error.
fn classify(e: String) -> SqlError {
    let first = e.lines().next().unwrap_or_default().to_owned();
    if first.contains("Permission Error") || first.contains("disabled by configuration") {
        SqlError::Refused(format!("refused: {first} (external access is off)"))
    } else if first.contains("configuration has been locked") {
        SqlError::Refused(format!("refused: {first}"))
    } else {
        SqlError::Query(format!("SQL error: {}", e.trim()))
    }
}
