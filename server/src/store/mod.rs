//! The embedded DuckDB store: the only place that speaks SQL.
//!
//! One file holds every layer version ([`layers`]), the integrity reports,
//! the live incidents and their transitions ([`incidents`]) and the sensors
//! and their readings ([`sensors`]); the tables are created in one place
//! (`schema.rs`). The connection never leaves this module: callers get typed
//! methods, and writes that must land together run in one transaction.

pub mod incidents;
pub mod layers;
pub mod people;
mod read;
mod schema;
pub mod sensors;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;
use geo::Point;

pub use layers::{Progress, VersionInfo};

/// Default store file, relative to the working directory.
pub const DEFAULT_DB: &str = "wangge.duckdb";

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file cannot be opened (missing directory, locked by another process, not a DuckDB file).
    #[error("cannot open the store {}: {source}", path.display())]
    Open { path: PathBuf, source: duckdb::Error },
    /// The tables cannot be created.
    #[error("cannot create the store's tables: {0}")]
    Schema(#[source] duckdb::Error),
    /// A statement failed; `what` says what was being done.
    #[error("{what}: {source}")]
    Db { what: String, source: duckdb::Error },
    /// A stored geometry does not decode to the kind its table holds.
    #[error("stored data is damaged: the geometry of {table} {id} is not a {expected}")]
    Geometry { table: &'static str, id: String, expected: &'static str },
    /// A stored value does not parse (a status, a JSON column).
    #[error("stored data is damaged: {field} of {table} {id}: {reason}")]
    Field { table: &'static str, id: String, field: &'static str, reason: String },
    /// Stored data failed a check made while loading it (or a caller's check inside a transaction).
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Name what a DuckDB call was doing when it failed.
trait Ctx<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Ctx<T> for duckdb::Result<T> {
    fn ctx(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| StoreError::Db { what: what(), source })
    }
}

/// The H3 cell (resolution 15) of a WGS84 point.
pub fn h3_cell(p: Point<f64>) -> Option<u64> {
    let ll = h3o::LatLng::new(p.y(), p.x()).ok()?;
    Some(u64::from(ll.to_cell(h3o::Resolution::Fifteen)))
}

/// The store file (or a store in memory).
pub struct Store {
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Open (or create) a store file.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        Self::with(conn)
    }

    /// A store in memory (tests).
    pub fn memory() -> Result<Store> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open { path: ":memory:".into(), source })?;
        Self::with(conn)
    }

    fn with(conn: Connection) -> Result<Store> {
        schema::create(&conn).map_err(StoreError::Schema)?;
        Ok(Store { conn })
    }

    /// Run `f` in one transaction: committed when it succeeds, rolled back
    /// (leaving everything as it was) when it fails.
    fn transaction<T>(&self, what: &str, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN TRANSACTION").ctx(|| format!("{what}: begin"))?;
        match f(self) {
            Ok(v) => {
                if let Err(source) = self.conn.execute_batch("COMMIT") {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    return Err(StoreError::Db { what: format!("{what}: commit"), source });
                }
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Number of rows of every table (tests use it to see nothing changed).
    pub fn row_counts(&self) -> Result<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        for t in schema::TABLES {
            let n: i64 = self.conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).ctx(|| format!("counting {t}"))?;
            out.insert(t.to_owned(), n);
        }
        Ok(out)
    }

    /// Drop one of the store's tables under whoever holds it, so every later write
    /// to it fails: failure tests use it to check what a client is told (nothing
    /// of the store's own error text). Only tables of the schema can be named.
    #[doc(hidden)]
    pub fn drop_table_for_failure_tests(&self, table: &str) -> Result<()> {
        let t = schema::TABLES.iter().find(|t| **t == table).ok_or_else(|| StoreError::Corrupt(format!("no table {table}")))?;
        self.conn.execute_batch(&format!("DROP TABLE {t}")).ctx(|| format!("dropping {t}"))
    }
}

#[cfg(test)]
mod tests {
    use super::{Store, StoreError};

    #[test]
    fn a_failed_transaction_leaves_nothing_and_counts_every_table() {
        let s = Store::memory().expect("memory");
        let before = s.row_counts().expect("counts");
        assert_eq!(before.len(), 16);
        assert!(before.values().all(|&n| n == 0));
        let r: super::Result<()> = s.transaction("test", |s| {
            s.conn
                .execute("INSERT INTO sensors VALUES ('S', 'gas', 120, 36, NULL)", [])
                .map_err(|source| StoreError::Db { what: "insert".into(), source })?;
            Err(StoreError::Corrupt("simulated".into()))
        });
        assert!(r.is_err());
        assert_eq!(s.row_counts().expect("counts"), before);
    }

    #[test]
    fn a_long_write_reports_progress_to_the_callback() {
        use wangge_engine::model::{Facility, LayerKind};
        let f = |i: usize| Facility {
            id: format!("F{i}"),
            kind: "school".into(),
            name: String::new(),
            position: geo::Point::new(120.0 + i as f64 * 1e-5, 36.0),
            attributes: Default::default(),
        };
        let layer = wangge_engine::model::Layer::Facilities((0..2_500).map(f).collect());
        let mut s = Store::memory().expect("memory");
        let mut seen = Vec::new();
        let v = s.write_layer_with_progress(&layer, "test", "wgs84", &mut |p| seen.push(p), |_| Ok(None)).expect("write");
        assert_eq!(v, 1);
        assert!(seen.iter().all(|p| p.layer == LayerKind::Facilities && p.total == 2_500));
        assert_eq!(seen.iter().map(|p| p.written).collect::<Vec<_>>(), vec![1024, 2048, 2500]);
        assert_eq!(s.row_counts().expect("counts")["facilities"], 2_500);
    }

    #[test]
    fn opening_a_directory_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = Store::open(dir.path()).expect_err("a directory is not a store");
        assert!(matches!(e, StoreError::Open { .. }));
        assert!(e.to_string().contains(&dir.path().display().to_string()), "{e}");
    }
}
