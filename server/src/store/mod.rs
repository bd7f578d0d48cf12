//! The embedded DuckDB store: the only place that speaks SQL.
//!
//! One file holds every layer version ([`layers`]), the integrity reports,
//! the live incidents and their transitions ([`incidents`]) and the sensors
//! and their readings ([`sensors`]); the tables are created in one place
//! (`schema.rs`) and brought up to date on open (`migrate.rs`); [`Store::backup_to`]
//! writes a consistent copy. The connection never leaves this module: callers get typed
//! methods, and writes that must land together run in one transaction.

pub mod geoparquet;
pub mod incidents;
pub mod layers;
pub mod memory;
pub mod migrate;
pub mod people;
mod read;
pub mod scenarios;
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
    /// The tables cannot be created or migrated, or the file is of a newer schema.
    #[error("the store {}: {source}", path.display())]
    Schema { path: PathBuf, source: Box<migrate::MigrateError> },
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
        Self::with(conn, path)
    }

    /// Fail (naming the holder DuckDB reports) when another process holds the
    /// store file; the file is opened and closed without any change.
    pub fn check_free(path: &Path) -> Result<()> {
        let conn = Connection::open(path).map_err(|source| StoreError::Open { path: path.to_owned(), source })?;
        drop(conn);
        Ok(())
    }

    /// A store in memory (tests).
    pub fn memory() -> Result<Store> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open { path: ":memory:".into(), source })?;
        Self::with(conn, Path::new(":memory:"))
    }

    /// Bring the tables to this build's schema version (one `SELECT` when they are).
    fn with(conn: Connection, path: &Path) -> Result<Store> {
        migrate::run(&conn, migrate::MIGRATIONS)
            .map_err(|source| StoreError::Schema { path: path.to_owned(), source: Box::new(source) })?;
        Ok(Store { conn })
    }

    /// The schema version of the open store (after its migrations: this build's newest).
    pub fn schema_version(&self) -> Result<u32> {
        migrate::version(&self.conn).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Write a consistent copy of the whole store to `out` (a new DuckDB file,
    /// which must not exist): every table with its rows as of now, the schema
    /// version included. The caller holds the store, so no write can land
    /// half-way through (the server calls it under the store's mutex).
    pub fn backup_to(&self, out: &Path) -> Result<()> {
        let what = || format!("backing up the store to {}", out.display());
        if out.exists() {
            return Err(StoreError::Corrupt(format!("{}: the backup file exists; give a new path", out.display())));
        }
        let name: String = self.conn.query_row("SELECT current_database()", [], |r| r.get(0)).ctx(what)?;
        let target = out.to_string_lossy().replace('\'', "''");
        self.conn.execute_batch(&format!("ATTACH '{target}' AS wangge_backup")).ctx(what)?;
        let copied = self.conn.execute_batch(&format!("COPY FROM DATABASE \"{}\" TO wangge_backup", name.replace('"', "\"\"")));
        let detached = self.conn.execute_batch("DETACH wangge_backup");
        copied.ctx(what)?;
        detached.ctx(what)
    }

    /// What of the layer versions is half-written: a version row whose
    /// feature count differs from the rows of that version in its table, or
    /// rows of a version that has no row in `layer_versions`. Empty when
    /// every version is whole.
    pub fn version_problems(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for t in schema::LAYER_TABLES {
            let sql = format!(
                "SELECT coalesce(v.version, r.version), v.features, coalesce(r.n, 0) FROM
                   (SELECT version, features FROM layer_versions WHERE layer = '{t}') v
                   FULL OUTER JOIN (SELECT version, count(*) AS n FROM {t} GROUP BY version) r ON r.version = v.version
                 WHERE v.features IS NULL OR v.features <> coalesce(r.n, 0) ORDER BY 1"
            );
            let mut st = self.conn.prepare(&sql).ctx(|| format!("checking the versions of {t}"))?;
            let rows = st
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?, r.get::<_, i64>(2)?)))
                .and_then(|m| m.collect::<duckdb::Result<Vec<_>>>())
                .ctx(|| format!("checking the versions of {t}"))?;
            for (v, features, n) in rows {
                out.push(match features {
                    Some(f) => format!("{t} version {v}: layer_versions says {f} features, the table holds {n}"),
                    None => format!("{t} version {v}: {n} rows but no row in layer_versions"),
                });
            }
        }
        let mut st = self.conn.prepare("SELECT layer, version FROM layer_versions ORDER BY 1, 2").ctx(|| "listing versions".into())?;
        let listed = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .and_then(|m| m.collect::<duckdb::Result<Vec<_>>>())
            .ctx(|| "listing versions".into())?;
        for (layer, v) in listed {
            if !schema::LAYER_TABLES.contains(&layer.as_str()) {
                out.push(format!("layer_versions names layer {layer:?} (version {v}), which has no table"));
            }
        }
        Ok(out)
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
        assert_eq!(before.len(), 18);
        assert_eq!(s.schema_version().expect("version"), super::migrate::newest());
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
    fn buildings_go_in_as_arrow_batches_and_come_back_the_same() {
        use wangge_engine::model::{Building, Layer, LayerKind, Metres};
        // more than one batch, every optional field both present and absent
        let b = |i: usize| Building {
            id: format!("B{i}"),
            footprint: geo::MultiPolygon(vec![
                geo::Rect::new((120.0 + i as f64 * 1e-6, 36.0), (120.00001 + i as f64 * 1e-6, 36.00001)).to_polygon(),
            ]),
            households: (!i.is_multiple_of(3)).then_some(i as u32 % 500),
            population: (!i.is_multiple_of(5)).then_some(i as u32 % 1500),
            floors: (!i.is_multiple_of(7)).then_some(1 + i as u32 % 30),
            height: (i.is_multiple_of(2)).then_some(Metres(i as f64 % 90.0 + 0.5)),
            attributes: if i.is_multiple_of(4) {
                [("名称".to_owned(), serde_json::json!(format!("楼{i}")))].into()
            } else {
                Default::default()
            },
        };
        let buildings: Vec<Building> = (0..70_000).map(b).collect();
        let mut s = Store::memory().expect("memory");
        let v = s.write_layer(&Layer::Buildings(buildings.clone()), "test", "wgs84", |_| Ok(None)).expect("write");
        let Layer::Buildings(back) = s.read_layer(LayerKind::Buildings).expect("read") else { panic!("buildings") };
        let fields =
            |x: &Building| (x.id.clone(), x.households, x.population, x.floors, x.height, x.attributes.clone(), x.footprint.clone());
        assert_eq!(back.iter().map(fields).collect::<Vec<_>>(), buildings.iter().map(fields).collect::<Vec<_>>(), "version {v}");
        // a count the store's INTEGER cannot hold is refused with the building named, and nothing is written
        let mut big = buildings[..3].to_vec();
        big[1].households = Some(u32::MAX);
        let e = s.write_layer(&Layer::Buildings(big), "test", "wgs84", |_| Ok(None)).expect_err("too many households");
        assert!(e.to_string().contains("building B1: households 4294967295"), "{e}");
        assert_eq!(s.row_counts().expect("counts")["buildings"], 70_000);
    }

    #[test]
    fn a_version_with_missing_or_orphan_rows_is_named() {
        let s = Store::memory().expect("memory");
        assert!(s.version_problems().expect("check").is_empty());
        s.conn
            .execute_batch(
                "INSERT INTO layer_versions (layer, version, features) VALUES ('roads', 1, 2);
                 INSERT INTO roads (version, seq, id, attrs, geom) VALUES (1, 0, 'R1', '{}', ''::BLOB), (3, 0, 'R9', '{}', ''::BLOB);",
            )
            .expect("rows");
        let p = s.version_problems().expect("check");
        assert_eq!(
            p,
            vec![
                "roads version 1: layer_versions says 2 features, the table holds 1",
                "roads version 3: 1 rows but no row in layer_versions"
            ]
        );
    }

    #[test]
    fn a_backup_holds_every_row_and_the_schema_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open(&dir.path().join("a.duckdb")).expect("open");
        s.conn.execute_batch("INSERT INTO sensors VALUES ('S''1', 'gas', 120, 36, NULL)").expect("row");
        let out = dir.path().join("it's a backup.duckdb");
        s.backup_to(&out).expect("backup");
        assert!(s.backup_to(&out).is_err(), "an existing file is not overwritten");
        let b = Store::open(&out).expect("open the backup");
        assert_eq!(b.row_counts().expect("counts"), s.row_counts().expect("counts"));
        assert_eq!(b.schema_version().expect("version"), super::migrate::newest());
        // the copy keeps the keys: the same sensor id again is refused
        assert!(b.conn.execute_batch("INSERT INTO sensors VALUES ('S''1', 'gas', 120, 36, NULL)").is_err());
    }

    #[test]
    fn opening_a_directory_names_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = Store::open(dir.path()).expect_err("a directory is not a store");
        assert!(matches!(e, StoreError::Open { .. }));
        assert!(e.to_string().contains(&dir.path().display().to_string()), "{e}");
    }
}
