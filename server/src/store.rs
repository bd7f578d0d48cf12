//! The embedded DuckDB store: one file holding every layer version, geometry
//! as WKB with bounding-box columns, an H3 cell (resolution 15) for point
//! layers, and the integrity report of each units/buildings combination.
//!
//! Invariant: an import is one transaction. On any error it rolls back, so
//! what was stored before is intact; on success the layer gets a new version
//! and older versions stay in the file. "Current" = the highest version.

use std::collections::BTreeMap;
use std::path::Path;

use duckdb::{Connection, params};
use geo::{BoundingRect, Geometry, MultiLineString, MultiPolygon, Point};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use wangge_engine::model::{Building, Camera, CameraKind, CameraView, Facility, Incident, LayerKind, Level, Metres, Road, Unit, UnitId};

use crate::import::Layer;
use crate::wkb;

/// Default store file, relative to the working directory.
pub const DEFAULT_DB: &str = "wangge.duckdb";

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] duckdb::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

const SCHEMA: &str = r#"
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

/// One stored layer version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionInfo {
    pub layer: String,
    pub version: i32,
    pub features: i64,
    pub source: Option<String>,
    pub crs: Option<String>,
    pub created_at: String,
}

/// The H3 cell (resolution 15) of a WGS84 point.
pub fn h3_cell(p: Point<f64>) -> Option<u64> {
    let ll = h3o::LatLng::new(p.y(), p.x()).ok()?;
    Some(u64::from(ll.to_cell(h3o::Resolution::Fifteen)))
}

/// The store file.
pub struct Store {
    conn: Connection,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

fn attrs_json(a: &wangge_engine::model::Attributes) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| "{}".into())
}

fn bbox4(g: &Geometry<f64>) -> [Option<f64>; 4] {
    match g.bounding_rect() {
        Some(r) => [Some(r.min().x), Some(r.min().y), Some(r.max().x), Some(r.max().y)],
        None => [None; 4],
    }
}

impl Store {
    /// Open (or create) a store file.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn })
    }

    /// A store in memory (tests).
    pub fn memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store { conn })
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Current version of each layer that has one.
    pub fn current_versions(&self) -> Result<BTreeMap<LayerKind, i32>> {
        let mut st = self.conn.prepare("SELECT layer, max(version) FROM layer_versions GROUP BY layer")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?)))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (l, v) = row?;
            if let Some(k) = LayerKind::parse(&l) {
                out.insert(k, v);
            }
        }
        Ok(out)
    }

    /// Every stored version, newest first per layer.
    pub fn versions(&self) -> Result<Vec<VersionInfo>> {
        let mut st = self.conn.prepare(
            "SELECT layer, version, features, source, crs, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') FROM layer_versions ORDER BY layer, version DESC",
        )?;
        let rows = st.query_map([], |r| {
            Ok(VersionInfo {
                layer: r.get(0)?,
                version: r.get(1)?,
                features: r.get(2)?,
                source: r.get(3)?,
                crs: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
    }

    /// Write a validated layer as a new version, in one transaction together
    /// with the integrity report computed by `report` over the new state.
    pub fn write_layer(
        &mut self,
        layer: &Layer,
        source: &str,
        crs: &str,
        report: impl FnOnce(&Store) -> Result<Option<(i32, i32, String)>>,
    ) -> Result<i32> {
        self.conn.execute_batch("BEGIN TRANSACTION")?;
        let res = self.write_inner(layer, source, crs).and_then(|v| {
            if let Some((uv, bv, json)) = report(self)? {
                self.conn.execute(
                    "INSERT INTO integrity_reports (units_version, buildings_version, report) VALUES (?, ?, ?)",
                    params![uv, bv, json],
                )?;
            }
            Ok(v)
        });
        match res {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    fn write_inner(&self, layer: &Layer, source: &str, crs: &str) -> Result<i32> {
        let kind = layer.kind();
        let version: i32 = self.conn.query_row(
            "SELECT coalesce(max(version), 0) + 1 FROM layer_versions WHERE layer = ?",
            params![kind.as_str()],
            |r| r.get(0),
        )?;
        let pb = if layer.len() >= 5_000 { ProgressBar::new(layer.len() as u64) } else { ProgressBar::hidden() };
        pb.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        pb.set_message(format!("writing {kind}"));
        let mut app = self.conn.appender(kind.as_str())?;
        match layer {
            Layer::Units(v) => {
                for (i, u) in v.iter().enumerate() {
                    let g = Geometry::MultiPolygon(u.geometry.clone());
                    let b = bbox4(&g);
                    app.append_row(params![
                        version,
                        i as i32,
                        u.id.0,
                        u.parent.as_ref().map(|p| p.0.clone()),
                        u.level.0,
                        u.name,
                        attrs_json(&u.attributes),
                        wkb::encode(&g),
                        b[0],
                        b[1],
                        b[2],
                        b[3]
                    ])?;
                    pb.inc(1);
                }
            }
            Layer::Buildings(v) => {
                for (i, x) in v.iter().enumerate() {
                    let g = Geometry::MultiPolygon(x.footprint.clone());
                    let b = bbox4(&g);
                    app.append_row(params![
                        version,
                        i as i32,
                        x.id,
                        x.households,
                        x.population,
                        x.floors,
                        x.height.map(|h| h.0),
                        attrs_json(&x.attributes),
                        wkb::encode(&g),
                        b[0],
                        b[1],
                        b[2],
                        b[3]
                    ])?;
                    pb.inc(1);
                }
            }
            Layer::Cameras(v) => {
                for (i, c) in v.iter().enumerate() {
                    app.append_row(params![
                        version,
                        i as i32,
                        c.id,
                        c.view.heading_deg,
                        c.view.fov_deg,
                        c.view.range_m.0,
                        c.view.height_m.0,
                        c.kind.as_str(),
                        attrs_json(&c.attributes),
                        wkb::encode(&Geometry::Point(c.position)),
                        c.position.x(),
                        c.position.y(),
                        h3_cell(c.position)
                    ])?;
                    pb.inc(1);
                }
            }
            Layer::Facilities(v) => {
                for (i, f) in v.iter().enumerate() {
                    app.append_row(params![
                        version,
                        i as i32,
                        f.id,
                        f.kind,
                        f.name,
                        attrs_json(&f.attributes),
                        wkb::encode(&Geometry::Point(f.position)),
                        f.position.x(),
                        f.position.y(),
                        h3_cell(f.position)
                    ])?;
                    pb.inc(1);
                }
            }
            Layer::Incidents(v) => {
                for (i, x) in v.iter().enumerate() {
                    app.append_row(params![
                        version,
                        i as i32,
                        x.id,
                        x.category,
                        x.occurred_at,
                        x.status,
                        attrs_json(&x.attributes),
                        wkb::encode(&Geometry::Point(x.position)),
                        x.position.x(),
                        x.position.y(),
                        h3_cell(x.position)
                    ])?;
                    pb.inc(1);
                }
            }
            Layer::Roads(v) => {
                for (i, r) in v.iter().enumerate() {
                    let g = Geometry::MultiLineString(r.line.clone());
                    let b = bbox4(&g);
                    app.append_row(params![version, i as i32, r.id, attrs_json(&r.attributes), wkb::encode(&g), b[0], b[1], b[2], b[3]])?;
                    pb.inc(1);
                }
            }
        }
        app.flush()?;
        drop(app);
        pb.finish_and_clear();
        self.conn.execute(
            "INSERT INTO layer_versions (layer, version, features, source, crs) VALUES (?, ?, ?, ?, ?)",
            params![kind.as_str(), version, layer.len() as i64, source, crs],
        )?;
        Ok(version)
    }

    /// Read the current version of a layer (empty if none).
    pub fn read_layer(&self, kind: LayerKind) -> Result<Layer> {
        let v = self.current_versions()?.get(&kind).copied().unwrap_or(0);
        self.read_version(kind, v)
    }

    /// Read one version of a layer.
    pub fn read_version(&self, kind: LayerKind, version: i32) -> Result<Layer> {
        fn attrs(s: String) -> wangge_engine::model::Attributes {
            serde_json::from_str(&s).unwrap_or_default()
        }
        fn mp(b: &[u8], id: &str) -> Result<MultiPolygon<f64>> {
            match wkb::decode(b) {
                Some(Geometry::MultiPolygon(m)) => Ok(m),
                Some(Geometry::Polygon(p)) => Ok(MultiPolygon(vec![p])),
                _ => Err(StoreError::Corrupt(format!("geometry of {id}"))),
            }
        }
        fn pt(b: &[u8], id: &str) -> Result<Point<f64>> {
            match wkb::decode(b) {
                Some(Geometry::Point(p)) => Ok(p),
                _ => Err(StoreError::Corrupt(format!("geometry of {id}"))),
            }
        }
        let q = |cols: &str| format!("SELECT {cols} FROM {} WHERE version = ? ORDER BY seq", kind.as_str());
        Ok(match kind {
            LayerKind::Units => {
                let mut st = self.conn.prepare(&q("id, parent_id, level, name, attrs, geom"))?;
                let rows = st.query_map(params![version], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (id, parent, level, name, a, g) = row?;
                    out.push(Unit {
                        geometry: mp(&g, &id)?,
                        id: UnitId(id),
                        parent: parent.map(UnitId),
                        level: Level(level),
                        name,
                        attributes: attrs(a),
                    });
                }
                Layer::Units(out)
            }
            LayerKind::Buildings => {
                let mut st = self.conn.prepare(&q("id, households, population, floors, height, attrs, geom"))?;
                let rows = st.query_map(params![version], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<u32>>(1)?,
                        r.get::<_, Option<u32>>(2)?,
                        r.get::<_, Option<u32>>(3)?,
                        r.get::<_, Option<f64>>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (id, households, population, floors, height, a, g) = row?;
                    out.push(Building {
                        footprint: mp(&g, &id)?,
                        id,
                        households,
                        population,
                        floors,
                        height: height.map(Metres),
                        attributes: attrs(a),
                    });
                }
                Layer::Buildings(out)
            }
            LayerKind::Cameras => {
                let mut st = self.conn.prepare(&q("id, heading, fov, range_m, height_m, kind, attrs, geom"))?;
                let rows = st.query_map(params![version], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, f64>(1)?,
                        r.get::<_, f64>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, f64>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Vec<u8>>(7)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (id, heading, fov, range, height, kind, a, g) = row?;
                    out.push(Camera {
                        position: pt(&g, &id)?,
                        id,
                        view: CameraView { heading_deg: heading, fov_deg: fov, range_m: Metres(range), height_m: Metres(height) },
                        kind: if kind == "dome" { CameraKind::Dome } else { CameraKind::Fixed },
                        attributes: attrs(a),
                    });
                }
                Layer::Cameras(out)
            }
            LayerKind::Facilities => {
                let mut st = self.conn.prepare(&q("id, kind, name, attrs, geom"))?;
                let rows = st.query_map(params![version], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (id, kind, name, a, g) = row?;
                    out.push(Facility { position: pt(&g, &id)?, id, kind, name, attributes: attrs(a) });
                }
                Layer::Facilities(out)
            }
            LayerKind::Incidents => {
                let mut st = self.conn.prepare(&q("id, category, occurred_at, status, attrs, geom"))?;
                let rows = st.query_map(params![version], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Vec<u8>>(5)?,
                    ))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (id, category, occurred_at, status, a, g) = row?;
                    out.push(Incident { position: pt(&g, &id)?, id, category, occurred_at, status, attributes: attrs(a) });
                }
                Layer::Incidents(out)
            }
            LayerKind::Roads => {
                let mut st = self.conn.prepare(&q("id, attrs, geom"))?;
                let rows =
                    st.query_map(params![version], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?)))?;
                let mut out = Vec::new();
                for row in rows {
                    let (id, a, g) = row?;
                    let line = match wkb::decode(&g) {
                        Some(Geometry::MultiLineString(m)) => m,
                        Some(Geometry::LineString(l)) => MultiLineString(vec![l]),
                        _ => return Err(StoreError::Corrupt(format!("geometry of {id}"))),
                    };
                    out.push(Road { id, line, attributes: attrs(a) });
                }
                Layer::Roads(out)
            }
        })
    }

    /// The latest stored integrity report (JSON), if any.
    pub fn latest_report(&self) -> Result<Option<Value>> {
        let mut st = self
            .conn
            .prepare("SELECT report FROM integrity_reports ORDER BY created_at DESC, units_version DESC, buildings_version DESC LIMIT 1")?;
        let mut rows = st.query([])?;
        match rows.next()? {
            Some(r) => {
                let s: String = r.get(0)?;
                Ok(serde_json::from_str(&s).ok())
            }
            None => Ok(None),
        }
    }

    /// Number of rows of every table (tests use it to see nothing changed).
    pub fn row_counts(&self) -> Result<BTreeMap<String, i64>> {
        let mut out = BTreeMap::new();
        for t in ["layer_versions", "units", "buildings", "cameras", "facilities", "incidents", "roads", "integrity_reports"] {
            let n: i64 = self.conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
            out.insert(t.to_owned(), n);
        }
        Ok(out)
    }

    /// Export the current version of a layer with DuckDB's COPY (parquet, csv).
    pub fn copy_to(&self, kind: LayerKind, path: &Path, format: &str) -> Result<()> {
        let v = self.current_versions()?.get(&kind).copied().unwrap_or(0);
        let cols = match kind {
            LayerKind::Units => "id, parent_id, level, name, attrs, geom AS geometry_wkb",
            LayerKind::Buildings => "id, households, population, floors, height, attrs, geom AS geometry_wkb",
            LayerKind::Cameras => "id, lon, lat, heading, fov, range_m AS range, height_m AS height, kind, h3, attrs",
            LayerKind::Facilities => "id, lon, lat, kind, name, h3, attrs",
            LayerKind::Incidents => {
                "id, lon, lat, category, strftime(epoch_ms(occurred_at * 1000), '%Y-%m-%dT%H:%M:%SZ') AS occurred_at, status, h3, attrs"
            }
            LayerKind::Roads => "id, attrs, geom AS geometry_wkb",
        };
        let fmt = if format == "parquet" { "FORMAT PARQUET" } else { "FORMAT CSV, HEADER" };
        let p = path.display().to_string().replace('\'', "''");
        self.conn
            .execute_batch(&format!("COPY (SELECT {cols} FROM {} WHERE version = {v} ORDER BY seq) TO '{p}' ({fmt})", kind.as_str()))?;
        Ok(())
    }
}
