//! GeoParquet 1.0 and 1.1 files (<https://geoparquet.org/releases/v1.1.0/>)
//! read with DuckDB's Parquet reader on an in-memory connection: the `geo`
//! key-value metadata names the primary geometry column (WKB; the GeoArrow
//! encodings of 1.1 are refused with a message) and its CRS — PROJJSON with an
//! `id` (EPSG or OGC:CRS84), absent meaning OGC:CRS84, `null` meaning unknown
//! (then the projected-coordinates check applies). Every other column becomes
//! a property: numbers, booleans and text as they are, decimals as doubles,
//! timestamps with a zone as epoch seconds, anything else as DuckDB's text of
//! it; other binary columns are skipped, and a null is an absent property (a
//! Parquet column exists in every row). DuckDB hands the rows over as Arrow
//! batches, which become features on every core. O(rows).
//!
//! DuckDB's own GeoParquet conversion is switched off: it needs the spatial
//! extension, which the bundled DuckDB does not have; the geometry column is
//! read as its WKB bytes.

use std::path::Path;

use duckdb::Connection;
use duckdb::arrow::array::{Array, AsArray, RecordBatch};
use duckdb::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use serde_json::{Map, Number, Value};
use wangge_engine::geometry::georef::Crs;
use wangge_engine::geometry::par;

use super::wkb::Wkb;
use super::{Parsed, Raw};
use crate::store::geoparquet::{quote_ident, quote_text};

/// The CRS of a GeoParquet column's `crs` member: `None` when it is `null` (unknown).
fn column_crs(col: &Value) -> Result<Option<Crs>, String> {
    let c = match col.get("crs") {
        None => return Crs::parse("OGC:CRS84").map(Some),
        Some(Value::Null) => return Ok(None),
        Some(c) => c,
    };
    let named = match c {
        Value::String(s) => s.clone(),
        Value::Object(o) => match o.get("id") {
            Some(id) => {
                let auth = id.get("authority").and_then(Value::as_str).unwrap_or("");
                let code = match id.get("code") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                format!("{auth}:{code}")
            }
            None => {
                let name = o.get("name").and_then(Value::as_str).unwrap_or("without a name");
                return Err(format!(
                    "its PROJJSON CRS ({name}) has no \"id\" (authority and code) wangge could match: give the CRS with --crs EPSG:NNNN"
                ));
            }
        },
        other => return Err(format!("the \"crs\" of the geometry column is neither PROJJSON nor null: {other}")),
    };
    Crs::parse(&named).map(Some).map_err(|e| format!("the CRS of the geometry column: {e}"))
}

/// The primary geometry column, its CRS and its covering columns (GeoParquet 1.1 `covering`, e.g. a `bbox`
/// struct: derived from the geometry, not attributes) from the `geo` metadata.
fn geo_column(geo: &str) -> Result<(String, Option<Crs>, Vec<String>), String> {
    let v: Value = serde_json::from_str(geo).map_err(|e| format!("the \"geo\" metadata is not JSON: {e}"))?;
    let primary = v.get("primary_column").and_then(Value::as_str).ok_or("the \"geo\" metadata names no primary_column")?;
    let col = v
        .pointer(&format!("/columns/{}", primary.replace('~', "~0").replace('/', "~1")))
        .ok_or_else(|| format!("the \"geo\" metadata does not describe its primary column {primary:?}"))?;
    let encoding = col.get("encoding").and_then(Value::as_str).unwrap_or("");
    if !encoding.eq_ignore_ascii_case("WKB") {
        return Err(format!(
            "the geometry column {primary:?} is encoded as {encoding:?}; wangge reads WKB GeoParquet (write it with WKB encoding, \
             e.g. GeoPandas to_parquet(geometry_encoding=\"WKB\"))"
        ));
    }
    // covering: {"bbox": {"xmin": ["bbox", "xmin"], …}}: the first element of each path is a column
    let covering = col
        .get("covering")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|c| c.values())
        .filter_map(Value::as_object)
        .flat_map(|parts| parts.values())
        .filter_map(|path| path.get(0).and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    Ok((primary.to_owned(), column_crs(col)?, covering))
}

/// The select expression of a column of DuckDB type `ty` (`None`: skipped).
fn select(name: &str, ty: &str) -> Option<String> {
    let q = quote_ident(name);
    let t = ty.to_ascii_uppercase();
    let plain = ["BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE"];
    Some(if plain.contains(&t.as_str()) || t == "VARCHAR" {
        q
    } else if t == "BLOB" {
        return None;
    } else if t.starts_with("DECIMAL") || t == "HUGEINT" || t == "UHUGEINT" {
        format!("CAST({q} AS DOUBLE)")
    } else if t == "TIMESTAMP WITH TIME ZONE" {
        // an instant (stored as UTC): read as plain UTC time, since the zone functions need ICU,
        // which the bundled DuckDB does not have
        format!("CAST(epoch(CAST({q} AS TIMESTAMP)) AS BIGINT)")
    } else {
        format!("CAST({q} AS VARCHAR)")
    })
}

/// The value of row `i` of a column (the types `select` leaves: numbers, booleans, text).
fn json_value(a: &dyn Array, i: usize) -> Result<Value, String> {
    if a.is_null(i) {
        return Ok(Value::Null);
    }
    let f = |x: f64| Number::from_f64(x).map_or(Value::Null, Value::Number);
    Ok(match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int8 => Value::from(a.as_primitive::<Int8Type>().value(i)),
        DataType::Int16 => Value::from(a.as_primitive::<Int16Type>().value(i)),
        DataType::Int32 => Value::from(a.as_primitive::<Int32Type>().value(i)),
        DataType::Int64 => Value::from(a.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => Value::from(a.as_primitive::<UInt8Type>().value(i)),
        DataType::UInt16 => Value::from(a.as_primitive::<UInt16Type>().value(i)),
        DataType::UInt32 => Value::from(a.as_primitive::<UInt32Type>().value(i)),
        DataType::UInt64 => Value::from(a.as_primitive::<UInt64Type>().value(i)),
        DataType::Float32 => f(f64::from(a.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => f(a.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 => Value::String(a.as_string::<i32>().value(i).to_owned()),
        DataType::LargeUtf8 => Value::String(a.as_string::<i64>().value(i).to_owned()),
        DataType::Utf8View => Value::String(a.as_string_view().value(i).to_owned()),
        other => return Err(format!("a value of an unexpected type: {other}")),
    })
}

/// The WKB bytes of row `i` of the geometry column (`None`: null or empty).
fn wkb_bytes(a: &dyn Array, i: usize) -> Result<Option<&[u8]>, String> {
    if a.is_null(i) {
        return Ok(None);
    }
    let b = match a.data_type() {
        DataType::Binary => a.as_binary::<i32>().value(i),
        DataType::LargeBinary => a.as_binary::<i64>().value(i),
        DataType::BinaryView => a.as_binary_view().value(i),
        other => return Err(format!("the geometry arrives as {other}, not bytes")),
    };
    Ok((!b.is_empty()).then_some(b))
}

/// The features of one batch of rows, the first at file position `start`: the property columns
/// `props` (in select order), then the geometry column.
fn batch_raws(batch: &RecordBatch, start: usize, props: &[&String], name: &str, geom_col: &str) -> Result<Vec<Raw>, String> {
    let cols = batch.columns();
    let geom = cols.get(props.len()).ok_or_else(|| format!("{name}: the geometry column {geom_col} was not read"))?;
    let mut out = Vec::with_capacity(batch.num_rows());
    for row in 0..batch.num_rows() {
        let index = start + row;
        let mut map = Map::new();
        for (c, col) in props.iter().zip(cols) {
            let v = json_value(col.as_ref(), row).map_err(|e| format!("{name}: feature {index}, column {c}: {e}"))?;
            if !v.is_null() {
                map.insert((*c).clone(), v);
            }
        }
        let geometry = match wkb_bytes(geom.as_ref(), row).map_err(|e| format!("{name}: {e}"))? {
            Some(b) => Some(Wkb::new(b, 0).geometry(0).map_err(|e| format!("{name}: feature {index}, column {geom_col}: {e}"))?),
            None => None,
        };
        out.push(Raw { index, props: map, geometry });
    }
    Ok(out)
}

/// The features of a GeoParquet file and the CRS its metadata declares.
pub fn parse(path: &Path) -> Result<Parsed, String> {
    let name = path.display().to_string();
    let db = |e: duckdb::Error| format!("{name}: {e}");
    let conn = Connection::open_in_memory().map_err(db)?;
    conn.execute_batch("SET enable_geoparquet_conversion = false").map_err(db)?;
    let file = quote_text(&name);
    let geo: Option<String> = conn
        .prepare(&format!("SELECT decode(value) FROM parquet_kv_metadata({file}) WHERE decode(key) = 'geo'"))
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.next().transpose())
        .map_err(|e| format!("{name}: not a readable Parquet file: {e}"))?;
    let geo = geo.ok_or_else(|| {
        format!("{name}: a Parquet file without GeoParquet \"geo\" metadata: it has no geometry column wangge can recognise")
    })?;
    let (geom_col, crs, covering) = geo_column(&geo).map_err(|e| format!("{name}: {e}"))?;
    let columns: Vec<(String, String)> = conn
        .prepare(&format!("DESCRIBE SELECT * FROM read_parquet({file})"))
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(db)?;
    let Some((_, gty)) = columns.iter().find(|(c, _)| *c == geom_col) else {
        return Err(format!("{name}: the \"geo\" metadata names the column {geom_col:?}, which the file does not have"));
    };
    if !gty.eq_ignore_ascii_case("BLOB") {
        return Err(format!("{name}: the geometry column {geom_col:?} holds {gty}, not WKB bytes"));
    }
    let props: Vec<(&String, String)> =
        columns.iter().filter(|(c, _)| *c != geom_col && !covering.contains(c)).filter_map(|(c, t)| select(c, t).map(|s| (c, s))).collect();
    let mut exprs: Vec<String> = props.iter().map(|(_, s)| s.clone()).collect();
    exprs.push(quote_ident(&geom_col));
    let mut stmt = conn.prepare(&format!("SELECT {} FROM read_parquet({file})", exprs.join(", "))).map_err(db)?;
    // DuckDB reads the file into Arrow batches; their rows become features on every core
    let batches: Vec<RecordBatch> = stmt.query_arrow([]).map_err(db)?.collect();
    // each batch with the file position of its first row
    let placed: Vec<(usize, &RecordBatch)> = batches
        .iter()
        .scan(0, |next, b| {
            *next += b.num_rows();
            Some((*next - b.num_rows(), b))
        })
        .collect();
    let names: Vec<&String> = props.iter().map(|(c, _)| *c).collect();
    let parts = par::map(&placed, 2, |(start, b)| batch_raws(b, *start, &names, &name, &geom_col));
    let mut raws = Vec::with_capacity(batches.iter().map(RecordBatch::num_rows).sum());
    for part in parts {
        raws.extend(part?);
    }
    let crs = crs.map(|c| (c, format!("{name} (its GeoParquet \"geo\" metadata)")));
    Ok(Parsed { raws, crs, notes: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn crs_members() {
        let wgs84 = Crs::parse("OGC:CRS84").expect("crs84");
        assert_eq!(column_crs(&json!({"encoding": "WKB"})), Ok(Some(wgs84)), "absent: OGC:CRS84");
        assert_eq!(column_crs(&json!({"crs": null})), Ok(None), "null: unknown");
        let gk = json!({"crs": {"type": "ProjectedCRS", "name": "CGCS2000 / 3-degree Gauss-Kruger CM 120E", "id": {"authority": "EPSG", "code": 4549}}});
        assert_eq!(column_crs(&gk), Ok(Some(Crs::parse("EPSG:4549").expect("4549"))));
        let ogc = json!({"crs": {"id": {"authority": "OGC", "code": "CRS84"}}});
        assert_eq!(column_crs(&ogc), Ok(Some(wgs84)));
        let Err(e) = column_crs(&json!({"crs": {"name": "a local grid"}})) else { panic!("no id") };
        assert!(e.contains("a local grid") && e.contains("--crs"), "{e}");
        assert!(column_crs(&json!({"crs": {"id": {"authority": "EPSG", "code": 3857}}})).is_err(), "a CRS wangge does not convert");
    }

    #[test]
    fn metadata_names_the_column_and_refuses_other_encodings() {
        let (c, crs, covering) =
            geo_column(r#"{"version":"1.0.0","primary_column":"geom","columns":{"geom":{"encoding":"WKB"}}}"#).expect("ok");
        assert_eq!((c.as_str(), crs.is_some(), covering.len()), ("geom", true, 0));
        // GeoParquet 1.1: a bbox covering column is derived from the geometry, never an attribute
        let meta = r#"{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{"encoding":"WKB","covering":{"bbox":{
            "xmin":["bbox","xmin"],"ymin":["bbox","ymin"],"xmax":["bbox","xmax"],"ymax":["bbox","ymax"]}}}}}"#;
        let (_, _, covering) = geo_column(meta).expect("ok");
        assert_eq!(covering.iter().map(String::as_str).collect::<std::collections::BTreeSet<_>>(), ["bbox"].into());
        let e = geo_column(r#"{"primary_column":"g","columns":{"g":{"encoding":"polygon"}}}"#).expect_err("geoarrow");
        assert!(e.contains("\"polygon\"") && e.contains("WKB"), "{e}");
        assert!(geo_column(r#"{"primary_column":"g","columns":{}}"#).is_err());
        assert!(geo_column("not json").is_err());
    }

    #[test]
    fn column_selects() {
        assert_eq!(select("a", "BIGINT").as_deref(), Some("\"a\""));
        assert_eq!(select("b", "BLOB"), None);
        assert_eq!(select("c", "DECIMAL(9,2)").as_deref(), Some("CAST(\"c\" AS DOUBLE)"));
        assert_eq!(select("t", "TIMESTAMP WITH TIME ZONE").as_deref(), Some("CAST(epoch(CAST(\"t\" AS TIMESTAMP)) AS BIGINT)"));
        assert_eq!(select("d", "DATE").as_deref(), Some("CAST(\"d\" AS VARCHAR)"));
    }
}
