//! Layer versions: write a validated layer as a new version (one
//! transaction, with the integrity report of the new state), read the current
//! or any version back, list versions, and export with DuckDB's COPY.
//!
//! Invariant: a published version is immutable; on any error the import
//! rolls back, so what was stored before is intact; "current" is the highest
//! version. Long writes report [`Progress`] through a callback (the CLI draws
//! the bar).

use std::collections::BTreeMap;
use std::path::Path;

use std::sync::Arc;

use duckdb::arrow::array::{ArrayRef, BinaryArray, Float64Array, Int32Array, RecordBatch, StringArray};
use duckdb::arrow::datatypes::{Field, Schema};
use duckdb::params;
use geo::{BoundingRect, Geometry, Point};
use serde_json::Value;
use wangge_engine::model::{Attributes, Building, LayerKind};

use super::{Ctx, Result, Store, h3_cell};
use crate::wkb;
use wangge_engine::geometry::par;
use wangge_engine::model::Layer;

/// Below this many features the encoding stays on one thread.
const PARALLEL_FROM: usize = 8_192;

/// How far a layer write has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub layer: LayerKind,
    /// Features written so far.
    pub written: u64,
    /// Features in the layer.
    pub total: u64,
}

/// The callback is told every this many features (and at the end).
const PROGRESS_EVERY: usize = 1024;

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

fn attrs_json(a: &Attributes) -> String {
    serde_json::to_string(a).unwrap_or_else(|_| "{}".into())
}

fn bbox4(g: &Geometry<f64>) -> [Option<f64>; 4] {
    match g.bounding_rect() {
        Some(r) => [Some(r.min().x), Some(r.min().y), Some(r.max().x), Some(r.max().y)],
        None => [None; 4],
    }
}

/// What a feature with an extent is stored as: WKB, attribute JSON and bbox.
type Encoded = (Vec<u8>, String, [Option<f64>; 4]);

/// A feature with an extent as stored: WKB, attribute JSON and bbox.
fn shape(g: Geometry<f64>, a: &Attributes) -> Encoded {
    (wkb::encode(&g), attrs_json(a), bbox4(&g))
}

/// A point feature as stored: WKB, attribute JSON and H3 cell.
fn spot(p: Point<f64>, a: &Attributes) -> (Vec<u8>, String, Option<u64>) {
    (wkb::encode(&Geometry::Point(p)), attrs_json(a), h3_cell(p))
}

/// Rows a buildings batch takes (DuckDB's appender cuts it into vectors of 2,048).
const BATCH_ROWS: usize = 65_536;

/// Buildings `start…` of a new version as one Arrow batch in the columns of the `buildings` table.
fn buildings_batch(version: i32, start: usize, xs: &[Building], es: &[Encoded]) -> duckdb::Result<RecordBatch> {
    let conversion = |e: String| duckdb::Error::ToSqlConversionFailure(e.into());
    let int = |v: Option<u32>, field: &str, id: &str| {
        v.map(|n| i32::try_from(n).map_err(|_| conversion(format!("building {id}: {field} {n} is more than the store holds")))).transpose()
    };
    let (mut households, mut population, mut floors) = (Vec::new(), Vec::new(), Vec::new());
    for x in xs {
        households.push(int(x.households, "households", &x.id)?);
        population.push(int(x.population, "population", &x.id)?);
        floors.push(int(x.floors, "floors", &x.id)?);
    }
    let seq = i32::try_from(start + xs.len()).map_err(|_| conversion(format!("more than {} buildings", i32::MAX)))?;
    let bound = |i: usize| -> ArrayRef { Arc::new(Float64Array::from(es.iter().map(|e| e.2[i]).collect::<Vec<_>>())) };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(vec![version; xs.len()])),
        Arc::new(Int32Array::from_iter_values(seq - xs.len() as i32..seq)),
        Arc::new(StringArray::from_iter_values(xs.iter().map(|x| x.id.as_str()))),
        Arc::new(Int32Array::from(households)),
        Arc::new(Int32Array::from(population)),
        Arc::new(Int32Array::from(floors)),
        Arc::new(Float64Array::from(xs.iter().map(|x| x.height.map(|h| h.0)).collect::<Vec<_>>())),
        Arc::new(StringArray::from_iter_values(es.iter().map(|e| e.1.as_str()))),
        Arc::new(BinaryArray::from_iter_values(es.iter().map(|e| e.0.as_slice()))),
        bound(0),
        bound(1),
        bound(2),
        bound(3),
    ];
    let names = ["version", "seq", "id", "households", "population", "floors", "height", "attrs", "geom", "xmin", "ymin", "xmax", "ymax"];
    let fields: Vec<Field> = names.iter().zip(&columns).map(|(n, c)| Field::new(*n, c.data_type().clone(), true)).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(|e| duckdb::Error::ToSqlConversionFailure(Box::new(e)))
}

impl Store {
    /// Current version of each layer that has one.
    pub fn current_versions(&self) -> Result<BTreeMap<LayerKind, i32>> {
        let rows = (|| -> duckdb::Result<Vec<(String, i32)>> {
            let mut st = self.conn.prepare("SELECT layer, max(version) FROM layer_versions GROUP BY layer")?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
        })()
        .ctx(|| "reading the current layer versions".into())?;
        Ok(rows.into_iter().filter_map(|(l, v)| LayerKind::parse(&l).map(|k| (k, v))).collect())
    }

    /// Every stored version, newest first per layer.
    pub fn versions(&self) -> Result<Vec<VersionInfo>> {
        (|| -> duckdb::Result<Vec<VersionInfo>> {
            let mut st = self.conn.prepare(
                "SELECT layer, version, features, source, crs, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') FROM layer_versions ORDER BY layer, version DESC",
            )?;
            st.query_map([], |r| {
                Ok(VersionInfo {
                    layer: r.get(0)?,
                    version: r.get(1)?,
                    features: r.get(2)?,
                    source: r.get(3)?,
                    crs: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })?
            .collect()
        })()
        .ctx(|| "listing the layer versions".into())
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
        self.write_layer_with_progress(layer, source, crs, &mut |_| {}, report)
    }

    /// [`Store::write_layer`], telling `progress` how far the rows have got.
    pub fn write_layer_with_progress(
        &mut self,
        layer: &Layer,
        source: &str,
        crs: &str,
        progress: &mut dyn FnMut(Progress),
        report: impl FnOnce(&Store) -> Result<Option<(i32, i32, String)>>,
    ) -> Result<i32> {
        // each step's own duration at debug level (`RUST_LOG=wangge=debug`)
        let mut t = std::time::Instant::now();
        let mut step = |what: &str| {
            tracing::debug!(s = t.elapsed().as_secs_f64(), "import: {what}");
            t = std::time::Instant::now();
        };
        let v = self.transaction(&format!("writing {}", layer.kind()), |s| {
            let v = s.write_rows(layer, source, crs, progress)?;
            step("rows encoded, appended and flushed");
            let r = report(s)?;
            step("integrity report");
            if let Some((uv, bv, json)) = r {
                s.conn
                    .execute(
                        "INSERT INTO integrity_reports (units_version, buildings_version, report) VALUES (?, ?, ?)",
                        params![uv, bv, json],
                    )
                    .ctx(|| format!("storing the integrity report of units version {uv} and buildings version {bv}"))?;
            }
            Ok(v)
        })?;
        step("committed");
        Ok(v)
    }

    /// The rows and the version row of a new version (inside the caller's transaction).
    fn write_rows(&self, layer: &Layer, source: &str, crs: &str, progress: &mut dyn FnMut(Progress)) -> Result<i32> {
        let kind = layer.kind();
        let version: i32 = self
            .conn
            .query_row("SELECT coalesce(max(version), 0) + 1 FROM layer_versions WHERE layer = ?", params![kind.as_str()], |r| r.get(0))
            .ctx(|| format!("numbering the new {kind} version"))?;
        let total = layer.len();
        let mut tick = |i: usize| {
            if (i + 1).is_multiple_of(PROGRESS_EVERY) || i + 1 == total {
                progress(Progress { layer: kind, written: (i + 1) as u64, total: total as u64 });
            }
        };
        let feature = |i: usize, id: &str| format!("writing {kind} {id} (feature {i}) as version {version}");
        let mut app = self.conn.appender(kind.as_str()).ctx(|| format!("writing {kind} version {version}"))?;
        // the WKB, bbox and attribute JSON of every feature are encoded on every core; the
        // appender then takes the rows in order
        match layer {
            Layer::Units(v) => {
                let enc = par::map(v, PARALLEL_FROM, |u| shape(Geometry::MultiPolygon(u.geometry.clone()), &u.attributes));
                for (i, (u, (g, a, b))) in v.iter().zip(&enc).enumerate() {
                    app.append_row(params![
                        version,
                        i as i32,
                        u.id.0,
                        u.parent.as_ref().map(|p| p.0.clone()),
                        u.level.0,
                        u.name,
                        a,
                        g,
                        b[0],
                        b[1],
                        b[2],
                        b[3]
                    ])
                    .ctx(|| feature(i, &u.id.0))?;
                    tick(i);
                }
            }
            Layer::Buildings(v) => {
                let enc = par::map(v, PARALLEL_FROM, |x| shape(Geometry::MultiPolygon(x.footprint.clone()), &x.attributes));
                // whole columns through the Arrow appender: a call per column and batch instead of 13 a row
                for (k, (xs, es)) in v.chunks(BATCH_ROWS).zip(enc.chunks(BATCH_ROWS)).enumerate() {
                    let start = k * BATCH_ROWS;
                    let rows = || {
                        format!(
                            "writing {kind} {}–{} (features {start}–{}) as version {version}",
                            xs[0].id,
                            xs[xs.len() - 1].id,
                            start + xs.len() - 1
                        )
                    };
                    app.append_record_batch(buildings_batch(version, start, xs, es).ctx(rows)?).ctx(rows)?;
                    tick(start + xs.len() - 1);
                }
            }
            Layer::Cameras(v) => {
                let enc = par::map(v, PARALLEL_FROM, |c| spot(c.position, &c.attributes));
                for (i, (c, (g, a, h3))) in v.iter().zip(&enc).enumerate() {
                    app.append_row(params![
                        version,
                        i as i32,
                        c.id,
                        c.view.heading_deg,
                        c.view.fov_deg,
                        c.view.range_m.0,
                        c.view.height_m.0,
                        c.kind.as_str(),
                        a,
                        g,
                        c.position.x(),
                        c.position.y(),
                        h3
                    ])
                    .ctx(|| feature(i, &c.id))?;
                    tick(i);
                }
            }
            Layer::Facilities(v) => {
                let enc = par::map(v, PARALLEL_FROM, |f| spot(f.position, &f.attributes));
                for (i, (f, (g, a, h3))) in v.iter().zip(&enc).enumerate() {
                    app.append_row(params![version, i as i32, f.id, f.kind, f.name, a, g, f.position.x(), f.position.y(), h3])
                        .ctx(|| feature(i, &f.id))?;
                    tick(i);
                }
            }
            Layer::Incidents(v) => {
                let enc = par::map(v, PARALLEL_FROM, |x| spot(x.position, &x.attributes));
                for (i, (x, (g, a, h3))) in v.iter().zip(&enc).enumerate() {
                    app.append_row(params![
                        version,
                        i as i32,
                        x.id,
                        x.category,
                        x.occurred_at,
                        x.status,
                        a,
                        g,
                        x.position.x(),
                        x.position.y(),
                        h3
                    ])
                    .ctx(|| feature(i, &x.id))?;
                    tick(i);
                }
            }
            Layer::Roads(v) => {
                let enc = par::map(v, PARALLEL_FROM, |r| shape(Geometry::MultiLineString(r.line.clone()), &r.attributes));
                for (i, (r, (g, a, b))) in v.iter().zip(&enc).enumerate() {
                    app.append_row(params![version, i as i32, r.id, a, g, b[0], b[1], b[2], b[3]]).ctx(|| feature(i, &r.id))?;
                    tick(i);
                }
            }
        }
        app.flush().ctx(|| format!("writing {kind} version {version}"))?;
        drop(app);
        self.conn
            .execute(
                "INSERT INTO layer_versions (layer, version, features, source, crs) VALUES (?, ?, ?, ?, ?)",
                params![kind.as_str(), version, layer.len() as i64, source, crs],
            )
            .ctx(|| format!("recording {kind} version {version}"))?;
        Ok(version)
    }

    /// The latest stored integrity report (JSON), if any.
    pub fn latest_report(&self) -> Result<Option<Value>> {
        let text: Option<String> = (|| -> duckdb::Result<Option<String>> {
            let mut st = self.conn.prepare(
                "SELECT report FROM integrity_reports ORDER BY created_at DESC, units_version DESC, buildings_version DESC LIMIT 1",
            )?;
            let mut rows = st.query([])?;
            rows.next()?.map(|r| r.get(0)).transpose()
        })()
        .ctx(|| "reading the latest integrity report".into())?;
        Ok(text.and_then(|s| serde_json::from_str(&s).ok()))
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
            .execute_batch(&format!("COPY (SELECT {cols} FROM {} WHERE version = {v} ORDER BY seq) TO '{p}' ({fmt})", kind.as_str()))
            .ctx(|| format!("exporting {kind} version {v} to {}", path.display()))
    }
}
