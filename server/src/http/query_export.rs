//! The tables of an area answer (`http::query`) as files:
//! `POST /api/query/area?table=T&format=F` with the same body, T one of
//! `buildings`, `uncovered`, `cameras`, `incidents`, `by_class`, `weekly`,
//! F one of `csv`, `geojson`, `geoparquet`, answered as a download
//! (`Content-Disposition: attachment; filename="area-<unit or drawn>-<table>.<ext>"`).
//!
//! Every table has the same columns in every format: CSV adds `lon`/`lat`
//! (the point, or a footprint's centroid), GeoJSON carries the geometry of
//! each row, GeoParquet 1.1 the geometry as WKB with the `geo` metadata
//! (`store::geoparquet`). The `by_class` and `weekly` rows are figures of
//! the whole area: their geometry is the area's outline.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use geo::{BoundingRect, Centroid, Geometry};
use serde_json::{Map, Value, json};
use wangge_engine::analysis::area::AreaShape;
use wangge_engine::dataset::Dataset;

use super::error::AppError;
use super::query::{Answer, ExportQuery};
use crate::geojson_out;
use crate::store::geoparquet::{Cell, ColumnType as T, GeoTable, geoparquet_bytes};

/// The tables an answer exports.
pub const TABLES: [&str; 6] = ["buildings", "uncovered", "cameras", "incidents", "by_class", "weekly"];
/// The formats.
pub const FORMATS: [&str; 3] = ["csv", "geojson", "geoparquet"];

/// A table and a format asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Export {
    pub(crate) table: &'static str,
    pub(crate) format: &'static str,
}

impl Export {
    /// None for the JSON answer; 400 naming the valid tables and formats otherwise.
    pub(crate) fn parse(q: &ExportQuery) -> Result<Option<Export>, AppError> {
        let (t, f) = match (&q.table, &q.format) {
            (None, None) => return Ok(None),
            (None, Some(f)) if f == "json" => return Ok(None),
            (None, Some(_)) => return Err(AppError::bad(format!("format without table: name a table, one of {}", TABLES.join(", ")))),
            (Some(t), f) => (t.as_str(), f.as_deref().unwrap_or("csv")),
        };
        let table = TABLES.iter().find(|x| **x == t).ok_or_else(|| AppError::bad(format!("table {t:?}: use {}", TABLES.join(", "))))?;
        let format = FORMATS.iter().find(|x| **x == f).ok_or_else(|| AppError::bad(format!("format {f:?}: use {}", FORMATS.join(", "))))?;
        Ok(Some(Export { table, format }))
    }

    /// The table as a file download.
    pub(crate) fn respond(&self, a: &Answer) -> Result<Response, AppError> {
        let t = table(a, self.table);
        let (body, mime, ext): (Vec<u8>, &str, &str) = match self.format {
            "csv" => (csv_bytes(&t)?, "text/csv; charset=utf-8", "csv"),
            "geojson" => (geojson_bytes(&t)?, "application/geo+json", "geojson"),
            _ => (geoparquet_bytes(&t.geo)?, "application/vnd.apache.parquet", "parquet"),
        };
        let name = match a.shape.unit_index() {
            Some(u) => safe_name(&a.d.hierarchy.units[u].id.0),
            None => "drawn".to_owned(),
        };
        let mut r = body.into_response();
        let h = r.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(if mime.starts_with("text") { "text/csv; charset=utf-8" } else { mime }));
        let disp = format!("attachment; filename=\"area-{name}-{}.{ext}\"", self.table);
        h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disp).map_err(|e| AppError::Internal(format!("file name: {e}")))?);
        Ok(r)
    }
}

/// A unit id usable in a file name (ASCII letters, digits, `-`, `_`; others as `_`).
fn safe_name(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// The rows of one table, their geometries and lon/lat points.
pub(crate) struct Rows {
    pub(crate) geo: GeoTable,
    pub(crate) geometries: Vec<Geometry<f64>>,
    pub(crate) points: Vec<(f64, f64)>,
}

fn point_of(g: &Geometry<f64>) -> (f64, f64) {
    g.centroid().map_or((f64::NAN, f64::NAN), |p| (p.x(), p.y()))
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn opt_int(v: Option<u32>) -> Cell {
    v.map_or(Cell::Null, |n| Cell::Integer(i64::from(n)))
}

/// The leaf unit id of a building, or the unit holding a point.
fn leaf_id(d: &Dataset, leaf: Option<usize>) -> Cell {
    leaf.map_or(Cell::Null, |l| text(&d.hierarchy.units[l].id.0))
}

/// The area's outline.
fn area_geometry(a: &Answer) -> Geometry<f64> {
    match &a.shape {
        AreaShape::Unit { unit, .. } => Geometry::MultiPolygon(a.d.hierarchy.units[*unit].geometry.clone()),
        AreaShape::Drawn(o) => Geometry::MultiPolygon(o.geometry.clone()),
    }
}

fn table(a: &Answer, name: &str) -> Rows {
    let (d, f, inc) = (&a.d, &a.figures, &a.incidents);
    let mut columns: Vec<(&str, T)>;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut geoms: Vec<Geometry<f64>> = Vec::new();
    match name {
        "buildings" | "uncovered" => {
            columns = vec![
                ("id", T::Text),
                ("unit", T::Text),
                ("households", T::Integer),
                ("population", T::Integer),
                ("floors", T::Integer),
                ("height_m", T::Double),
                ("uncovered", T::Boolean),
                ("generated", T::Boolean),
            ];
            let list = if name == "buildings" { &f.buildings } else { &f.uncovered };
            for &b in list {
                let x = &d.buildings[b];
                rows.push(vec![
                    text(&x.id),
                    leaf_id(d, d.building_assignment.get(b).and_then(|a| a.leaf)),
                    opt_int(x.households),
                    opt_int(x.population),
                    opt_int(x.floors),
                    x.height.map_or(Cell::Null, |h| Cell::Double(h.0)),
                    Cell::Boolean(f.uncovered.binary_search(&b).is_ok()),
                    Cell::Boolean(Dataset::is_generated(&x.attributes)),
                ]);
                geoms.push(Geometry::MultiPolygon(x.footprint.clone()));
            }
        }
        "cameras" => {
            columns = vec![
                ("id", T::Text),
                ("unit", T::Text),
                ("kind", T::Text),
                ("heading_deg", T::Double),
                ("fov_deg", T::Double),
                ("range_m", T::Double),
                ("height_m", T::Double),
                ("generated", T::Boolean),
            ];
            for &c in &f.cameras {
                let x = &d.cameras[c];
                rows.push(vec![
                    text(&x.id),
                    leaf_id(d, d.locator.locate_point(x.position)),
                    text(x.kind.as_str()),
                    Cell::Double(x.view.heading_deg),
                    Cell::Double(x.view.fov_deg),
                    Cell::Double(x.view.range_m.0),
                    Cell::Double(x.view.height_m.0),
                    Cell::Boolean(Dataset::is_generated(&x.attributes)),
                ]);
                geoms.push(Geometry::Point(x.position));
            }
        }
        "incidents" => {
            columns = vec![("id", T::Text), ("category", T::Text), ("status", T::Text), ("occurred_at", T::Text), ("live", T::Boolean)];
            for c in &inc.cases {
                rows.push(vec![
                    text(&c.id),
                    text(&c.category),
                    text(&c.status),
                    text(&wangge_engine::time::format_time_at(c.occurred_at, 8 * 3600)),
                    Cell::Boolean(c.live),
                ]);
                geoms.push(Geometry::Point(geo::Point::new(c.lon, c.lat)));
            }
        }
        "by_class" => {
            columns = vec![("class", T::Text), ("count", T::Integer)];
            let cmp = inc.compare.as_ref();
            if cmp.is_some() {
                columns.extend([("compare_count", T::Integer), ("change", T::Integer)]);
            }
            let mut keys: Vec<&String> = inc.counts.by_class.keys().chain(cmp.into_iter().flat_map(|c| c.by_class.keys())).collect();
            keys.sort();
            keys.dedup();
            let outline = area_geometry(a);
            for k in keys {
                let n = inc.counts.by_class.get(k).copied().unwrap_or(0) as i64;
                let mut row = vec![text(k), Cell::Integer(n)];
                if let Some(c) = cmp {
                    let m = c.by_class.get(k).copied().unwrap_or(0) as i64;
                    row.extend([Cell::Integer(m), Cell::Integer(n - m)]);
                }
                rows.push(row);
                geoms.push(outline.clone());
            }
        }
        _ => {
            columns = vec![("week", T::Text), ("from", T::Text), ("count", T::Integer)];
            let outline = area_geometry(a);
            for w in &inc.weekly {
                rows.push(vec![text(&w.week), text(&w.from), Cell::Integer(w.count as i64)]);
                geoms.push(outline.clone());
            }
        }
    }
    let points = geoms.iter().map(point_of).collect();
    let bbox = geoms.iter().filter_map(|g| g.bounding_rect()).reduce(wangge_engine::geometry::index::rect_union);
    let mut types: Vec<String> = geoms.iter().map(|g| type_name(g).to_owned()).collect();
    types.sort();
    types.dedup();
    let geo = GeoTable {
        columns: columns.into_iter().map(|(n, t)| (n.to_owned(), t)).collect(),
        rows,
        wkb: geoms.iter().map(crate::wkb::encode).collect(),
        geometry_types: types,
        bbox: bbox.map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
    };
    Rows { geo, geometries: geoms, points }
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::LineString(_) | Geometry::Line(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

fn cell_json(c: &Cell) -> Value {
    match c {
        Cell::Text(s) => json!(s),
        Cell::Integer(i) => json!(i),
        Cell::Double(f) => json!(f),
        Cell::Boolean(b) => json!(b),
        Cell::Null => Value::Null,
    }
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Integer(i) => i.to_string(),
        Cell::Double(f) => f.to_string(),
        Cell::Boolean(b) => b.to_string(),
        Cell::Null => String::new(),
    }
}

/// CSV: the columns, then `lon` and `lat`.
fn csv_bytes(t: &Rows) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
    let header: Vec<&str> = t.geo.columns.iter().map(|(n, _)| n.as_str()).chain(["lon", "lat"]).collect();
    w.write_record(&header).map_err(err)?;
    for (row, (x, y)) in t.geo.rows.iter().zip(&t.points) {
        let rec: Vec<String> = row.iter().map(cell_text).chain([x.to_string(), y.to_string()]).collect();
        w.write_record(&rec).map_err(err)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(format!("writing CSV: {e}")))
}

/// GeoJSON: one feature per row with the columns as properties.
fn geojson_bytes(t: &Rows) -> Result<Vec<u8>, AppError> {
    let features: Vec<Value> = t
        .geo
        .rows
        .iter()
        .zip(&t.geometries)
        .map(|(row, g)| {
            let props: Map<String, Value> = t.geo.columns.iter().zip(row).map(|((n, _), c)| (n.clone(), cell_json(c))).collect();
            geojson_out::feature(g, props)
        })
        .collect();
    serde_json::to_vec(&geojson_out::collection(features)).map_err(|e| AppError::Internal(format!("writing GeoJSON: {e}")))
}
