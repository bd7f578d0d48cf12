//! GeoParquet 1.1 files of a table handed in (rows of plain values and a WKB
//! geometry per row), written by DuckDB's Parquet writer: an in-memory
//! DuckDB instance takes the rows through its appender and `COPY … TO`
//! a temporary file with the `geo` key-value metadata (version 1.1.0, the
//! primary column, WKB encoding, geometry types, bbox; no `crs`, which means
//! OGC:CRS84 lon/lat). The file's bytes are returned and the file removed.
//! Checked in the tests by reading the metadata back with DuckDB's
//! `parquet_kv_metadata` and by GeoPandas (`benches/oracles/geoparquet_check.py`).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use duckdb::Connection;
use duckdb::types::Value as DbValue;
use serde_json::json;

use super::{Ctx, Result, StoreError};

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Integer,
    Double,
    Boolean,
}

impl ColumnType {
    fn sql(self) -> &'static str {
        match self {
            ColumnType::Text => "VARCHAR",
            ColumnType::Integer => "BIGINT",
            ColumnType::Double => "DOUBLE",
            ColumnType::Boolean => "BOOLEAN",
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Integer(i64),
    Double(f64),
    Boolean(bool),
    Null,
}

/// Rows with a geometry each (WKB), the geometry types present and their bbox (lon/lat).
#[derive(Debug, Clone, Default)]
pub struct GeoTable {
    pub columns: Vec<(String, ColumnType)>,
    pub rows: Vec<Vec<Cell>>,
    pub wkb: Vec<Vec<u8>>,
    /// GeoParquet geometry type names (`Point`, `Polygon`, `MultiPolygon`, …).
    pub geometry_types: Vec<String>,
    /// `[minx, miny, maxx, maxy]`.
    pub bbox: Option<[f64; 4]>,
}

/// The name of the geometry column.
pub const GEOMETRY_COLUMN: &str = "geometry";

/// The `geo` metadata of a table (GeoParquet 1.1).
pub fn geo_metadata(t: &GeoTable) -> String {
    let mut col = json!({"encoding": "WKB", "geometry_types": t.geometry_types});
    if let Some(b) = t.bbox {
        col["bbox"] = json!(b);
    }
    json!({"version": "1.1.0", "primary_column": GEOMETRY_COLUMN, "columns": {GEOMETRY_COLUMN: col}}).to_string()
}

/// `s` as a quoted SQL identifier.
pub(crate) fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `s` as a quoted SQL string literal.
pub(crate) fn quote_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A temporary file name no other call uses.
fn temp_path() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("wangge-geoparquet-{}-{t}-{n}.parquet", std::process::id()))
}

/// The table as a GeoParquet 1.1 file's bytes.
pub fn geoparquet_bytes(t: &GeoTable) -> Result<Vec<u8>> {
    if t.rows.len() != t.wkb.len() || t.rows.iter().any(|r| r.len() != t.columns.len()) {
        return Err(StoreError::Corrupt(format!(
            "a GeoParquet table of {} columns has {} rows and {} geometries, or a row of another width",
            t.columns.len(),
            t.rows.len(),
            t.wkb.len()
        )));
    }
    let conn = Connection::open_in_memory().ctx(|| "opening an in-memory DuckDB for GeoParquet".into())?;
    let mut cols: Vec<String> = t.columns.iter().map(|(n, ty)| format!("{} {}", quote_ident(n), ty.sql())).collect();
    cols.push(format!("{} BLOB", quote_ident(GEOMETRY_COLUMN)));
    conn.execute_batch(&format!("CREATE TABLE rows_out ({})", cols.join(", "))).ctx(|| "creating the GeoParquet table".into())?;
    {
        let mut app = conn.appender("rows_out").ctx(|| "appending GeoParquet rows".into())?;
        for (row, wkb) in t.rows.iter().zip(&t.wkb) {
            let values = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => DbValue::Text(s.clone()),
                    Cell::Integer(i) => DbValue::BigInt(*i),
                    Cell::Double(f) => DbValue::Double(*f),
                    Cell::Boolean(b) => DbValue::Boolean(*b),
                    Cell::Null => DbValue::Null,
                })
                .chain(std::iter::once(DbValue::Blob(wkb.clone())));
            app.append_row(duckdb::appender_params_from_iter(values)).ctx(|| "appending a GeoParquet row".into())?;
        }
        app.flush().ctx(|| "appending GeoParquet rows".into())?;
    }
    let path = temp_path();
    let copy = format!(
        "COPY rows_out TO {} (FORMAT parquet, KV_METADATA {{geo: {}}})",
        quote_text(&path.display().to_string()),
        quote_text(&geo_metadata(t))
    );
    let written = conn.execute_batch(&copy).ctx(|| format!("writing GeoParquet to {}", path.display()));
    let bytes = written.and_then(|()| {
        std::fs::read(&path).map_err(|e| StoreError::Corrupt(format!("reading back the GeoParquet file {}: {e}", path.display())))
    });
    let _ = std::fs::remove_file(&path);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_rows_read_back() {
        let t = GeoTable {
            columns: vec![("id".into(), ColumnType::Text), ("n".into(), ColumnType::Integer), ("it's".into(), ColumnType::Boolean)],
            rows: vec![vec![Cell::Text("a'b".into()), Cell::Integer(3), Cell::Boolean(true)], vec![Cell::Null, Cell::Null, Cell::Null]],
            wkb: vec![
                crate::wkb::encode(&geo::Geometry::Point(geo::Point::new(120.4, 36.0))),
                crate::wkb::encode(&geo::Geometry::Point(geo::Point::new(120.5, 36.1))),
            ],
            geometry_types: vec!["Point".into()],
            bbox: Some([120.4, 36.0, 120.5, 36.1]),
        };
        let bytes = geoparquet_bytes(&t).expect("written");
        assert_eq!(&bytes[..4], b"PAR1");
        let dir = std::env::temp_dir().join(format!("wangge-gp-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let f = dir.join("t.parquet");
        std::fs::write(&f, &bytes).expect("write");
        let conn = Connection::open_in_memory().expect("duckdb");
        // read the column back as the WKB bytes written: without the spatial extension DuckDB's
        // GeoParquet conversion fails inside (an internal "without active transaction" error)
        conn.execute_batch("SET enable_geoparquet_conversion = false").expect("setting");
        let p = quote_text(&f.display().to_string());
        let geo: String = conn
            .query_row(&format!("SELECT decode(value) FROM parquet_kv_metadata({p}) WHERE decode(key) = 'geo'"), [], |r| r.get(0))
            .expect("geo key");
        let v: serde_json::Value = serde_json::from_str(&geo).expect("json");
        assert_eq!(v["version"], "1.1.0");
        assert_eq!(v["columns"]["geometry"]["encoding"], "WKB");
        let (id, n, g): (Option<String>, Option<i64>, Vec<u8>) = conn
            .query_row(&format!("SELECT id, n, geometry FROM read_parquet({p}) ORDER BY n NULLS LAST"), [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("row");
        assert_eq!((id.as_deref(), n), (Some("a'b"), Some(3)));
        assert_eq!(g, t.wkb[0]);
        let _ = std::fs::remove_dir_all(&dir);
        let bad = GeoTable { wkb: Vec::new(), ..t };
        assert!(geoparquet_bytes(&bad).is_err());
    }
}
