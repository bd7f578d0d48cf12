//! A stored layer as GeoParquet 1.1: every feature's own fields and attributes
//! as columns (typed from the values: all integers → BIGINT, all numbers →
//! DOUBLE, all booleans → BOOLEAN, otherwise text, objects as JSON text), its
//! geometry as WKB in the `geometry` column — point layers too — with the `geo`
//! metadata written by [`crate::store::geoparquet`] (primary column, WKB,
//! geometry types, bbox; no `crs`, i.e. OGC:CRS84). Optionally split into a hive
//! layout by H3 cell (point layers) and month (incidents, UTC+8 like every
//! calendar figure of the project): `h3_7=87…/month=2026-03/part-0.parquet`,
//! one GeoParquet file per partition with its own bbox.
//! Linear in the features; checked by GeoPandas and DuckDB spatial
//! (`benches/oracles/geoparquet_layer_check.py`, run by `server/tests/it/export.rs`).

use std::collections::BTreeMap;
use std::path::Path;

use geo::{BoundingRect, Geometry};
use serde_json::Value;
use wangge_engine::model::Layer;

use crate::geojson_out::layer_collection;
use crate::store::geoparquet::{Cell, ColumnType, GeoTable, geoparquet_bytes};

/// How to split an exported layer into files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Partition {
    /// H3 resolution of the `h3_R=` folder level (point layers).
    pub h3: Option<u8>,
    /// A `month=YYYY-MM` folder level (incidents).
    pub month: bool,
}

impl Partition {
    /// Parse `h3:7,month` (either part optional).
    pub fn parse(s: &str) -> Result<Partition, String> {
        let mut p = Partition::default();
        for part in s.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if part == "month" {
                p.month = true;
            } else if let Some(r) = part.strip_prefix("h3:") {
                let r: u8 = r.parse().map_err(|_| format!("partition {part:?}: the H3 resolution must be a number 0–15"))?;
                if r > 15 {
                    return Err(format!("partition {part:?}: the H3 resolution must be 0–15"));
                }
                p.h3 = Some(r);
            } else {
                return Err(format!("partition {part:?}: use h3:RES and/or month, e.g. h3:7,month"));
            }
        }
        if p == Partition::default() {
            return Err(format!("partition {s:?} names no level: use h3:RES and/or month"));
        }
        Ok(p)
    }
}

/// The geometries of a layer in feature order.
fn geometries(layer: &Layer) -> Vec<Geometry<f64>> {
    match layer {
        Layer::Units(v) => v.iter().map(|x| Geometry::MultiPolygon(x.geometry.clone())).collect(),
        Layer::Buildings(v) => v.iter().map(|x| Geometry::MultiPolygon(x.footprint.clone())).collect(),
        Layer::Cameras(v) => v.iter().map(|x| Geometry::Point(x.position)).collect(),
        Layer::Facilities(v) => v.iter().map(|x| Geometry::Point(x.position)).collect(),
        Layer::Incidents(v) => v.iter().map(|x| Geometry::Point(x.position)).collect(),
        Layer::Roads(v) => v.iter().map(|x| Geometry::MultiLineString(x.line.clone())).collect(),
    }
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        _ => "Unknown",
    }
}

/// The column type that holds every value of a column.
fn column_type<'a>(values: impl Iterator<Item = &'a Value>) -> ColumnType {
    let (mut ints, mut nums, mut bools, mut other) = (0, 0, 0, 0);
    for v in values {
        match v {
            Value::Null => {}
            Value::Number(n) if n.is_i64() => ints += 1,
            Value::Number(_) => nums += 1,
            Value::Bool(_) => bools += 1,
            _ => other += 1,
        }
    }
    match (ints, nums, bools, other) {
        (_, _, 0, 0) if nums > 0 => ColumnType::Double,
        (_, 0, 0, 0) if ints > 0 => ColumnType::Integer,
        (0, 0, _, 0) if bools > 0 => ColumnType::Boolean,
        _ => ColumnType::Text,
    }
}

fn cell(v: Option<&Value>, t: ColumnType) -> Cell {
    match (v, t) {
        (None | Some(Value::Null), _) => Cell::Null,
        (Some(Value::Number(n)), ColumnType::Integer) => n.as_i64().map_or(Cell::Null, Cell::Integer),
        (Some(Value::Number(n)), ColumnType::Double) => n.as_f64().map_or(Cell::Null, Cell::Double),
        (Some(Value::Bool(b)), ColumnType::Boolean) => Cell::Boolean(*b),
        (Some(Value::String(s)), _) => Cell::Text(s.clone()),
        (Some(other), _) => Cell::Text(other.to_string()),
    }
}

/// A layer's features as rows: the properties and the geometries, in feature order.
pub struct LayerRows {
    pub properties: Vec<serde_json::Map<String, Value>>,
    pub geometries: Vec<Geometry<f64>>,
}

impl LayerRows {
    pub fn of(layer: &Layer) -> LayerRows {
        let fc = layer_collection(layer);
        let properties = match fc.get("features") {
            Some(Value::Array(fs)) => fs
                .iter()
                .map(|f| match f.get("properties") {
                    Some(Value::Object(m)) => m.clone(),
                    _ => serde_json::Map::new(),
                })
                .collect(),
            _ => Vec::new(),
        };
        LayerRows { properties, geometries: geometries(layer) }
    }

    /// The rows whose indices are given as one GeoParquet table (the columns are those of the whole layer).
    fn table(&self, columns: &[(String, ColumnType)], idx: &[usize]) -> GeoTable {
        let mut bbox: Option<geo::Rect<f64>> = None;
        let mut types: Vec<String> = Vec::new();
        for &i in idx {
            let g = &self.geometries[i];
            if let Some(r) = g.bounding_rect() {
                bbox = Some(bbox.map_or(r, |b| {
                    geo::Rect::new(
                        geo::coord! {x: b.min().x.min(r.min().x), y: b.min().y.min(r.min().y)},
                        geo::coord! {x: b.max().x.max(r.max().x), y: b.max().y.max(r.max().y)},
                    )
                }));
            }
            let t = type_name(g).to_owned();
            if !types.contains(&t) {
                types.push(t);
            }
        }
        types.sort();
        GeoTable {
            columns: columns.to_vec(),
            rows: idx.iter().map(|&i| columns.iter().map(|(n, t)| cell(self.properties[i].get(n), *t)).collect()).collect(),
            wkb: idx.iter().map(|&i| crate::wkb::encode(&self.geometries[i])).collect(),
            geometry_types: types,
            bbox: bbox.map(|b| [b.min().x, b.min().y, b.max().x, b.max().y]),
        }
    }

    /// The columns: the first feature's own fields in order, then every other key sorted; `geometry` is reserved.
    fn columns(&self) -> Vec<(String, ColumnType)> {
        let mut names: Vec<String> = self.properties.first().map(|m| m.keys().cloned().collect()).unwrap_or_default();
        let mut rest: Vec<String> = self.properties.iter().flat_map(|m| m.keys()).filter(|k| !names.contains(k)).cloned().collect();
        rest.sort();
        rest.dedup();
        names.extend(rest);
        names
            .into_iter()
            .filter(|n| n != crate::store::geoparquet::GEOMETRY_COLUMN)
            .map(|n| {
                let t = column_type(self.properties.iter().filter_map(|m| m.get(&n)));
                (n, t)
            })
            .collect()
    }
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Bad(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("writing {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ExportError::Io { path: dir.display().to_string(), source: e })?;
    }
    std::fs::write(path, bytes).map_err(|e| ExportError::Io { path: path.display().to_string(), source: e })
}

/// The partition folder of feature `i` (`h3_7=…/month=…`).
fn partition_dir(layer: &Layer, rows: &LayerRows, i: usize, p: Partition) -> Result<String, ExportError> {
    let mut parts = Vec::new();
    if let Some(res) = p.h3 {
        let Geometry::Point(pt) = &rows.geometries[i] else {
            return Err(ExportError::Bad(format!(
                "partition by H3 is for point layers; {} has {}",
                layer.kind(),
                type_name(&rows.geometries[i])
            )));
        };
        let r = h3o::Resolution::try_from(res).map_err(|e| ExportError::Bad(format!("H3 resolution {res}: {e}")))?;
        let ll = h3o::LatLng::new(pt.y(), pt.x()).map_err(|e| ExportError::Bad(format!("feature {i}: {e}")))?;
        parts.push(format!("h3_{res}={}", ll.to_cell(r)));
    }
    if p.month {
        let Layer::Incidents(v) = layer else {
            return Err(ExportError::Bad(format!("partition by month is for incidents, not {}", layer.kind())));
        };
        // the month in China Standard Time (UTC+8), as the project's weeks and days
        let local = wangge_engine::time::format_time(v[i].occurred_at + 8 * 3600);
        parts.push(format!("month={}", local.get(..7).unwrap_or("unknown")));
    }
    Ok(parts.join("/"))
}

/// Write `layer` as one GeoParquet file at `out`, or as a hive-partitioned folder of them; returns the files written.
pub fn write_layer(layer: &Layer, out: &Path, partition: Option<Partition>) -> Result<Vec<std::path::PathBuf>, ExportError> {
    let rows = LayerRows::of(layer);
    let columns = rows.columns();
    let Some(p) = partition else {
        let all: Vec<usize> = (0..rows.geometries.len()).collect();
        write(out, &geoparquet_bytes(&rows.table(&columns, &all))?)?;
        return Ok(vec![out.to_path_buf()]);
    };
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in 0..rows.geometries.len() {
        groups.entry(partition_dir(layer, &rows, i, p)?).or_default().push(i);
    }
    let mut files = Vec::new();
    for (dir, idx) in groups {
        let f = out.join(dir).join("part-0.parquet");
        write(&f, &geoparquet_bytes(&rows.table(&columns, &idx))?)?;
        files.push(f);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partition_parse() {
        assert_eq!(Partition::parse("h3:7,month"), Ok(Partition { h3: Some(7), month: true }));
        assert_eq!(Partition::parse("month"), Ok(Partition { h3: None, month: true }));
        assert!(Partition::parse("h3:16").is_err());
        assert!(Partition::parse("week").is_err());
        assert!(Partition::parse("").is_err());
    }

    #[test]
    fn column_types_hold_every_value() {
        let t = |v: Vec<Value>| column_type(v.iter());
        assert_eq!(t(vec![json!(1), json!(null), json!(2)]), ColumnType::Integer);
        assert_eq!(t(vec![json!(1), json!(2.5)]), ColumnType::Double);
        assert_eq!(t(vec![json!(true)]), ColumnType::Boolean);
        assert_eq!(t(vec![json!(1), json!("a")]), ColumnType::Text);
        assert_eq!(t(vec![json!(null)]), ColumnType::Text);
        assert_eq!(cell(Some(&json!({"a": 1})), ColumnType::Text), Cell::Text("{\"a\":1}".into()));
    }
}
