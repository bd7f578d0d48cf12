//! Every table of the store file, in one place: the versioned layers and
//! their integrity reports, then the live incidents, their transitions, the
//! sensors and their readings.

/// Schema version 1 (see `migrate.rs`; later versions are migrations there,
/// never edits here). The versioned layers: one row per feature and version,
/// geometry as WKB; the integrity reports; then the incidents reported over
/// HTTP, their lifecycle steps, sensors and readings (not versioned).
pub(super) const V1: &str = r#"
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
"#;

/// The tables of versioned layers (named by `layer_versions.layer`).
pub(super) const LAYER_TABLES: [&str; 6] = ["units", "buildings", "cameras", "facilities", "incidents", "roads"];

/// Schema version 2: people and machines — users, API tokens (hashed), login
/// sessions (hashed) and the audit log (issue 13).
pub(super) const V2: &str = "
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

/// Schema version 3: planning scenarios (a draft of the units layer with its op log and revision) and who
/// published each layer version, when and why (issue 15).
pub(super) const V3: &str = "
CREATE TABLE IF NOT EXISTS scenarios (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, author TEXT NOT NULL, unit TEXT, description TEXT NOT NULL,
    base_version INTEGER NOT NULL, revision BIGINT NOT NULL, ops TEXT NOT NULL, op_cursor BIGINT NOT NULL,
    draft TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, published_version INTEGER);
CREATE TABLE IF NOT EXISTS layer_publications (
    layer TEXT NOT NULL, version INTEGER NOT NULL, author TEXT NOT NULL, message TEXT NOT NULL,
    scenario TEXT, rollback_of INTEGER, at_ms BIGINT NOT NULL, PRIMARY KEY (layer, version));
";

/// Every table, for [`super::Store::row_counts`].
pub(super) const TABLES: [&str; 18] = [
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
    "scenarios",
    "layer_publications",
];
