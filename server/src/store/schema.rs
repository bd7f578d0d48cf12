//! Every table of the store file, in one place: the versioned layers and
//! their integrity reports, then the live incidents, their transitions, the
//! sensors and their readings.

/// The versioned layers: one row per feature and version, geometry as WKB.
const LAYERS: &str = r#"
CREATE TABLE IF NOT EXISTS layer_versions (
  layer VARCHAR NOT NULL, version INTEGER NOT NULL, features BIGINT NOT NULL,
  source VARCHAR, crs VARCHAR, created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
  PRIMARY KEY (layer, version));
CREATE TABLE IF NOT EXISTS units (
  version INTEGER NOT NULL, seq INTEGER NOT NULL, id VARCHAR NOT NULL, parent_id VARCHAR, level VARCHAR NOT NULL,
  name VARCHAR NOT NULL, attrs VARCHAR NOT NULL, geom BLOB NOT NULL,
  xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE);
CREATE TABLE IF NOT EXISTS buildings (
  version INTEGER NOT NULL, seq INTEGER NOT NULL, id VARCHAR NOT NULL, households INTEGER, population INTEGER,
  floors INTEGER, height DOUBLE, attrs VARCHAR NOT NULL, geom BLOB NOT NULL,
  xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE);
CREATE TABLE IF NOT EXISTS cameras (
  version INTEGER NOT NULL, seq INTEGER NOT NULL, id VARCHAR NOT NULL, heading DOUBLE NOT NULL, fov DOUBLE NOT NULL,
  range_m DOUBLE NOT NULL, height_m DOUBLE NOT NULL, kind VARCHAR NOT NULL, attrs VARCHAR NOT NULL, geom BLOB NOT NULL,
  lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, h3 UBIGINT);
CREATE TABLE IF NOT EXISTS facilities (
  version INTEGER NOT NULL, seq INTEGER NOT NULL, id VARCHAR NOT NULL, kind VARCHAR NOT NULL, name VARCHAR NOT NULL,
  attrs VARCHAR NOT NULL, geom BLOB NOT NULL, lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, h3 UBIGINT);
CREATE TABLE IF NOT EXISTS incidents (
  version INTEGER NOT NULL, seq INTEGER NOT NULL, id VARCHAR NOT NULL, category VARCHAR NOT NULL,
  occurred_at BIGINT NOT NULL, status VARCHAR NOT NULL, attrs VARCHAR NOT NULL, geom BLOB NOT NULL,
  lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, h3 UBIGINT);
CREATE TABLE IF NOT EXISTS roads (
  version INTEGER NOT NULL, seq INTEGER NOT NULL, id VARCHAR NOT NULL, attrs VARCHAR NOT NULL, geom BLOB NOT NULL,
  xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE);
CREATE TABLE IF NOT EXISTS integrity_reports (
  units_version INTEGER NOT NULL, buildings_version INTEGER NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, report VARCHAR NOT NULL);
"#;

/// Incidents reported over HTTP, their lifecycle steps, sensors and readings (not versioned).
const LIVE: &str = "
CREATE TABLE IF NOT EXISTS live_incidents (
    id TEXT PRIMARY KEY, idempotency_key TEXT UNIQUE, lon DOUBLE NOT NULL, lat DOUBLE NOT NULL,
    occurred_at BIGINT NOT NULL, received_at BIGINT NOT NULL, category TEXT NOT NULL, item TEXT,
    status TEXT NOT NULL, units TEXT NOT NULL, reporter TEXT, note TEXT);
CREATE TABLE IF NOT EXISTS sensors (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, lon DOUBLE NOT NULL, lat DOUBLE NOT NULL, name TEXT);
CREATE TABLE IF NOT EXISTS sensor_readings (
    sensor_id TEXT NOT NULL, taken_at BIGINT NOT NULL, value DOUBLE NOT NULL, breach TEXT, incident_id TEXT);
CREATE TABLE IF NOT EXISTS incident_transitions (
    incident_id TEXT NOT NULL, seq INTEGER NOT NULL, taken_at BIGINT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (incident_id, seq));
";

/// People and machines: users, API tokens (hashed), login sessions (hashed) and the audit log.
const PEOPLE: &str = "
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, unit TEXT, department TEXT, password_hash TEXT,
    created_at BIGINT NOT NULL, disabled BOOLEAN NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY, user_name TEXT NOT NULL, hash TEXT NOT NULL, label TEXT,
    created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, user_name TEXT NOT NULL, hash TEXT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, ended_at BIGINT);
CREATE TABLE IF NOT EXISTS audit_log (
    at_ms BIGINT NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, credential TEXT NOT NULL, method TEXT NOT NULL,
    path TEXT NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL, unit TEXT, target TEXT, detail TEXT);
";

/// Every table, for [`super::Store::row_counts`].
pub(super) const TABLES: [&str; 16] = [
    "layer_versions",
    "units",
    "buildings",
    "cameras",
    "facilities",
    "incidents",
    "roads",
    "integrity_reports",
    "live_incidents",
    "incident_transitions",
    "sensors",
    "sensor_readings",
    "users",
    "api_tokens",
    "sessions",
    "audit_log",
];

/// Create what is missing (every statement is `IF NOT EXISTS`).
pub(super) fn create(conn: &duckdb::Connection) -> duckdb::Result<()> {
    conn.execute_batch(LAYERS)?;
    conn.execute_batch(LIVE)?;
    conn.execute_batch(PEOPLE)
}
