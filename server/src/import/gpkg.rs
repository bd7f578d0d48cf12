//! GeoPackage feature tables (OGC 12-128r18) read with SQLite: the table
//! (the only one, or `--source-layer`), its CRS from `gpkg_spatial_ref_sys`
//! (an EPSG code we know, else its WKT definition), attributes as JSON and
//! geometries from the GeoPackage binary header + WKB (either byte order,
//! ISO and EWKB Z/M flags; Z and M dropped). O(rows).

use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Number, Value, json};
use wangge_engine::geometry::{epsg, wkt};

use super::{Parsed, Raw};

struct Wkb<'a> {
    b: &'a [u8],
    at: usize,
}

impl Wkb<'_> {
    fn u32(&mut self, le: bool) -> Result<u32, String> {
        let s = self.b.get(self.at..self.at + 4).ok_or("WKB ends early")?;
        self.at += 4;
        let a = [s[0], s[1], s[2], s[3]];
        Ok(if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    }
    fn f64(&mut self, le: bool) -> Result<f64, String> {
        let s = self.b.get(self.at..self.at + 8).ok_or("WKB ends early")?;
        self.at += 8;
        let a = [s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]];
        Ok(if le { f64::from_le_bytes(a) } else { f64::from_be_bytes(a) })
    }
    fn points(&mut self, le: bool, dims: usize) -> Result<Vec<[f64; 2]>, String> {
        let n = self.u32(le)? as usize;
        if n > self.b.len() / 16 {
            return Err(format!("WKB claims {n} points, more than the blob holds"));
        }
        (0..n)
            .map(|_| {
                let p = [self.f64(le)?, self.f64(le)?];
                for _ in 2..dims {
                    self.f64(le)?;
                }
                Ok(p)
            })
            .collect()
    }
    /// One geometry as GeoJSON.
    fn geometry(&mut self, depth: usize) -> Result<Value, String> {
        if depth > 3 {
            return Err("WKB nested too deeply".into());
        }
        let le = match self.b.get(self.at) {
            Some(1) => true,
            Some(0) => false,
            _ => return Err("WKB: bad byte-order mark".into()),
        };
        self.at += 1;
        let t = self.u32(le)?;
        let (mut z, mut m) = (t & 0x8000_0000 != 0, t & 0x4000_0000 != 0);
        if t & 0x2000_0000 != 0 {
            self.u32(le)?; // EWKB SRID
        }
        let base = t & 0x0FFF_FFFF;
        let kind = match base / 1000 {
            1 => {
                z = true;
                base % 1000
            }
            2 => {
                m = true;
                base % 1000
            }
            3 => {
                (z, m) = (true, true);
                base % 1000
            }
            _ => base,
        };
        let dims = 2 + usize::from(z) + usize::from(m);
        let sub = |s: &mut Self, want: &str| -> Result<Vec<Value>, String> {
            let n = s.u32(le)? as usize;
            (0..n.min(s.b.len()))
                .map(|_| s.geometry(depth + 1).map(|g| g["coordinates"].clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{want}: {e}"))
        };
        Ok(match kind {
            1 => {
                let p = [self.f64(le)?, self.f64(le)?];
                for _ in 2..dims {
                    self.f64(le)?;
                }
                json!({"type": "Point", "coordinates": p})
            }
            2 => json!({"type": "LineString", "coordinates": self.points(le, dims)?}),
            3 => {
                let n = self.u32(le)? as usize;
                let rings = (0..n.min(self.b.len())).map(|_| self.points(le, dims)).collect::<Result<Vec<_>, _>>()?;
                json!({"type": "Polygon", "coordinates": rings})
            }
            4 => json!({"type": "MultiPoint", "coordinates": sub(self, "multipoint")?}),
            5 => json!({"type": "MultiLineString", "coordinates": sub(self, "multilinestring")?}),
            6 => json!({"type": "MultiPolygon", "coordinates": sub(self, "multipolygon")?}),
            k => return Err(format!("WKB geometry type {k} is not supported (points, lines, polygons and their multis are)")),
        })
    }
}

/// A GeoPackage geometry blob as GeoJSON (`None` for an empty geometry).
fn gpkg_geometry(b: &[u8]) -> Result<Option<Value>, String> {
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
    let mut w = Wkb { b, at: 8 + envelope };
    w.geometry(0).map(Some)
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
