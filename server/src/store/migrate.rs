//! Schema versions: the store keeps the version of its tables in
//! `schema_meta` (one row), and opening a store applies the migrations it
//! lacks, in order, in one transaction.
//!
//! Version 1 is the schema of the stores written before versions were kept
//! (no `schema_meta`; recognised by its `layer_versions` table). A new file
//! starts at 0 and runs every migration. A file of a newer version than this
//! build knows is refused, naming both versions, and left untouched.
//!
//! To change the schema, append a [`Migration`] to [`MIGRATIONS`] with the
//! next version and the SQL that takes a store of the previous version to it
//! (never edit a published one: files in the field were made by it). The
//! normal open is one `SELECT` of the version.

use duckdb::Connection;

use super::schema;

/// One step of the schema: `sql` takes a store of `version - 1` to `version`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    /// What the step adds, for the log and the error if it fails.
    pub what: &'static str,
    pub sql: &'static str,
}

/// Every schema version, oldest first; the last is the version this build writes.
pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, what: "layer versions, live incidents, sensors", sql: schema::V1 },
    Migration { version: 2, what: "users, API tokens, login sessions, audit log", sql: schema::V2 },
    Migration { version: 3, what: "planning scenarios, layer publications", sql: schema::V3 },
];

/// The version this build writes.
pub fn newest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// What can go wrong with the schema version.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The file was written by a newer build.
    #[error(
        "the store's schema is version {found}, newer than this wangge knows (up to version {known}): use the wangge that wrote it, or restore a backup made by this one"
    )]
    Newer { found: u32, known: u32 },
    /// A migration failed; nothing of it (or of any later one) was kept.
    #[error("migrating the store's schema from version {from} to {to} ({what}) failed; the store is left at version {from}: {source}")]
    Step { from: u32, to: u32, what: &'static str, source: duckdb::Error },
    /// The version cannot be read or written.
    #[error("reading the store's schema version: {0}")]
    Read(#[source] duckdb::Error),
}

const META: &str =
    "CREATE TABLE IF NOT EXISTS schema_meta (version INTEGER NOT NULL, migrated_at TIMESTAMP NOT NULL DEFAULT current_timestamp)";

/// The version of the open store: `schema_meta`'s row, else 1 when the
/// tables of version 1 are there (a store from before versions were kept),
/// else 0 (a new file).
pub fn version(conn: &Connection) -> Result<u32, MigrateError> {
    stored(conn).map(|(v, _)| v)
}

/// The version, and whether `schema_meta` holds it.
fn stored(conn: &Connection) -> Result<(u32, bool), MigrateError> {
    if let Ok(Some(v)) = conn.query_row("SELECT max(version) FROM schema_meta", [], |r| r.get::<_, Option<i64>>(0)) {
        return Ok((u32::try_from(v).unwrap_or(u32::MAX), true));
    }
    let has: i64 = conn
        .query_row(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'layer_versions'",
            [],
            |r| r.get(0),
        )
        .map_err(MigrateError::Read)?;
    Ok((if has > 0 { 1 } else { 0 }, false))
}

/// Bring the store to the newest of `steps` (the steps after its version, in
/// one transaction); returns the version it was at.
pub fn run(conn: &Connection, steps: &[Migration]) -> Result<u32, MigrateError> {
    let (found, kept) = stored(conn)?;
    let known = steps.last().map_or(0, |m| m.version);
    if found > known {
        return Err(MigrateError::Newer { found, known });
    }
    if found == known && kept {
        return Ok(found);
    }
    let from = found;
    let step = |to: u32, what: &'static str| move |source| MigrateError::Step { from, to, what, source };
    conn.execute_batch("BEGIN TRANSACTION").map_err(step(known, "begin"))?;
    let applied = (|| {
        for m in steps.iter().filter(|m| m.version > found) {
            conn.execute_batch(m.sql).map_err(step(m.version, m.what))?;
        }
        conn.execute_batch(META).map_err(step(known, "schema_meta"))?;
        conn.execute_batch("DELETE FROM schema_meta").map_err(step(known, "schema_meta"))?;
        conn.execute("INSERT INTO schema_meta (version) VALUES (?)", [known]).map_err(step(known, "schema_meta"))?;
        conn.execute_batch("COMMIT").map_err(step(known, "commit"))
    })();
    if applied.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    applied.map(|()| {
        if found != known {
            tracing::info!(from = found, to = known, "store schema migrated");
        }
        found
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(conn: &Connection) -> Vec<i64> {
        let mut st = conn.prepare("SELECT version FROM schema_meta").expect("prepare");
        st.query_map([], |r| r.get(0)).expect("query").collect::<duckdb::Result<_>>().expect("rows")
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut st = conn.prepare("SELECT table_name FROM information_schema.tables ORDER BY 1").expect("prepare");
        st.query_map([], |r| r.get(0)).expect("query").collect::<duckdb::Result<_>>().expect("rows")
    }

    const V2: Migration =
        Migration { version: 2, what: "users", sql: "CREATE TABLE users (name TEXT PRIMARY KEY); INSERT INTO users VALUES ('admin');" };

    #[test]
    fn a_new_store_runs_every_step_and_records_the_newest() {
        let conn = Connection::open_in_memory().expect("memory");
        assert_eq!(version(&conn).expect("version"), 0);
        assert_eq!(run(&conn, &[MIGRATIONS[0], V2]).expect("run"), 0);
        assert_eq!(meta(&conn), vec![2]);
        let t = tables(&conn);
        assert!(t.contains(&"users".to_owned()) && t.contains(&"layer_versions".to_owned()), "{t:?}");
        // opening again changes nothing
        assert_eq!(run(&conn, &[MIGRATIONS[0], V2]).expect("again"), 2);
        assert_eq!(meta(&conn), vec![2]);
    }

    #[test]
    fn a_store_without_versions_is_version_one_and_gets_only_the_later_steps() {
        let conn = Connection::open_in_memory().expect("memory");
        conn.execute_batch(schema::V1).expect("v1");
        conn.execute_batch("INSERT INTO sensors VALUES ('S', 'gas', 120, 36, NULL)").expect("row");
        assert_eq!(version(&conn).expect("version"), 1);
        // a step 1 that would fail proves it is not run again
        let v1_again = Migration { version: 1, what: "v1", sql: "CREATE TABLE sensors (x INTEGER)" };
        assert_eq!(run(&conn, &[v1_again, V2]).expect("run"), 1);
        assert_eq!(meta(&conn), vec![2]);
        let n: i64 = conn.query_row("SELECT count(*) FROM sensors", [], |r| r.get(0)).expect("count");
        assert_eq!(n, 1);
    }

    #[test]
    fn a_failed_step_leaves_the_store_as_it_was() {
        let conn = Connection::open_in_memory().expect("memory");
        run(&conn, &MIGRATIONS[..1]).expect("v1");
        let before = tables(&conn);
        let bad = Migration { version: 3, what: "broken", sql: "CREATE TABLE nope (x INTEGER); SELECT * FROM no_such_table;" };
        let e = run(&conn, &[MIGRATIONS[0], V2, bad]).expect_err("step 3 fails");
        assert!(matches!(e, MigrateError::Step { from: 1, to: 3, what: "broken", .. }), "{e}");
        assert!(e.to_string().contains("left at version 1"), "{e}");
        assert_eq!(tables(&conn), before, "neither users nor nope kept");
        assert_eq!(meta(&conn), vec![1]);
    }

    #[test]
    fn a_newer_store_is_refused_naming_both_versions() {
        let conn = Connection::open_in_memory().expect("memory");
        run(&conn, &[MIGRATIONS[0], V2]).expect("v2");
        let e = run(&conn, &MIGRATIONS[..1]).expect_err("this build knows only 1");
        assert!(matches!(e, MigrateError::Newer { found: 2, known: 1 }), "{e}");
        let m = e.to_string();
        assert!(m.contains("version 2") && m.contains("version 1"), "{m}");
        assert_eq!(meta(&conn), vec![2]);
    }
}
