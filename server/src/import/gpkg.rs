//! GeoPackage feature tables (OGC 12-128r18) read with SQLite: the table
//! (the only one, or `--source-layer`), its CRS from `gpkg_spatial_ref_sys`
//! (an EPSG code we know, else its WKT definition), attributes as JSON and
//! geometries from the GeoPackage binary header + WKB (either byte order,
//! ISO and EWKB Z/M flags; Z and M dropped). O(rows).

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Number, Value};
use wangge_engine::geometry::{epsg, wkt};

use super::coords::Geom;
use super::wkb::Wkb;
use super::{Parsed, Raw};

/// A GeoPackage geometry blob as a raw geometry (`None` for an empty geometry).
fn gpkg_geometry(b: &[u8]) -> Result<Option<Geom>, String> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err("not a GeoPackage geometry (no \"GP\" header)".into());
    }
    let flags = b[3];
    if flags & 0x10 != 0 {
        return Ok(None);
    }
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("bad envelope code {e}")),
    };
    Wkb::new(b, 8 + envelope).geometry(0).map(Some)
}

fn quote(id: &str) -> String {
    format!("\"{}\"", id.replace('"', "\"\""))
}

/// The features of a GeoPackage table and the CRS it declares.
pub fn parse(path: &Path, layer: Option<&str>) -> Result<Parsed, String> {
    let name = path.display().to_string();
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| format!("{name}: cannot open as SQLite: {e}"))?;
    let sql = "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
               JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name";
    let tables: Vec<(String, String, i64)> = db
        .prepare(sql)
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
        .map_err(|e| format!("{name}: not a GeoPackage with feature tables: {e}"))?;
    let names: Vec<String> = tables.iter().map(|t| t.0.clone()).collect();
    let (table, geom_col, srs_id) = match layer {
        Some(l) => tables
            .iter()
            .find(|t| t.0.eq_ignore_ascii_case(l))
            .ok_or_else(|| format!("{name}: no feature table {l:?}; it has {}", names.join(", ")))?,
        None => match &tables[..] {
            [] => return Err(format!("{name}: the GeoPackage has no feature table")),
            [one] => one,
            _ => return Err(format!("{name}: several feature tables ({}); choose one with --source-layer NAME", names.join(", "))),
        },
    };
    let where_ = format!("{name}, table {table}");
    let srs: Option<(String, i64, String)> = db
        .query_row("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1", [srs_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .ok();
    let crs = match srs {
        None => None,
        Some((_, _, _)) if *srs_id <= 0 => None, // -1 / 0: undefined Cartesian / geographic
        Some((org, code, def)) => {
            let by_code = (org.eq_ignore_ascii_case("epsg")).then(|| u32::try_from(code).ok().and_then(epsg::lookup)).flatten();
            let c = match by_code {
                Some(c) => c,
                None => wkt::parse_crs(&def).map_err(|e| format!("{where_}: srs_id {srs_id} ({org}:{code}): {e}"))?,
            };
            Some((c, format!("{where_} (gpkg_spatial_ref_sys {org}:{code})")))
        }
    };
    let pk: Option<String> = db
        .prepare(&format!("PRAGMA table_info({})", quote(table)))
        .and_then(|mut s| s.query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(5)?)))?.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{where_}: {e}"))?
        .into_iter()
        .find(|(_, k)| *k == 1)
        .map(|(n, _)| n);
    let mut stmt = db.prepare(&format!("SELECT * FROM {}", quote(table))).map_err(|e| format!("{where_}: {e}"))?;
    let cols: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let mut rows = stmt.query([]).map_err(|e| format!("{where_}: {e}"))?;
    let mut raws = Vec::new();
    while let Some(row) = rows.next().map_err(|e| format!("{where_}: {e}"))? {
        let index = raws.len();
        let mut props = Map::new();
        let mut geometry = None;
        for (i, c) in cols.iter().enumerate() {
            let v = row.get_ref(i).map_err(|e| format!("{where_}: row {index}: {e}"))?;
            if c == geom_col {
                if let ValueRef::Blob(b) = v {
                    geometry = gpkg_geometry(b).map_err(|e| format!("{where_}: feature {index}, column {c}: {e}"))?;
                }
                continue;
            }
            if pk.as_deref() == Some(c.as_str()) && c.eq_ignore_ascii_case("fid") {
                continue;
            }
            let val = match v {
                ValueRef::Null | ValueRef::Blob(_) => Value::Null,
                ValueRef::Integer(n) => Value::Number(n.into()),
                ValueRef::Real(x) => Number::from_f64(x).map_or(Value::Null, Value::Number),
                ValueRef::Text(t) => Value::String(
                    std::str::from_utf8(t)
                        .map_err(|e| format!("{where_}: feature {index}, column {c}: text is not UTF-8 (GeoPackage text must be): {e}"))?
                        .to_owned(),
                ),
            };
            props.insert(c.clone(), val);
        }
        raws.push(Raw { index, props, geometry });
    }
    Ok(Parsed { raws, crs, notes: Vec::new() })
}
