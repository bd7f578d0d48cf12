//! Reading layer versions back into model values (the current one or any
//! older one), decoding the WKB geometry and the JSON attributes.

use duckdb::params;
use geo::{Geometry, MultiLineString, MultiPolygon};
use wangge_engine::model::{Building, Camera, CameraKind, CameraView, Facility, Incident, LayerKind, Level, Metres, Road, Unit, UnitId};

use super::{Result, Store, StoreError};
use crate::wkb;
use wangge_engine::model::Layer;

/// A failure while reading: DuckDB's (named by the caller) or already a store error.
enum Failure {
    Db(duckdb::Error),
    Store(StoreError),
}

impl From<duckdb::Error> for Failure {
    fn from(e: duckdb::Error) -> Self {
        Failure::Db(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

/// Attributes as stored (a JSON object; empty when the column does not parse).
fn attrs(s: String) -> wangge_engine::model::Attributes {
    serde_json::from_str(&s).unwrap_or_default()
}

impl Store {
    /// Read the current version of a layer (empty if none).
    pub fn read_layer(&self, kind: LayerKind) -> Result<Layer> {
        let v = self.current_versions()?.get(&kind).copied().unwrap_or(0);
        self.read_version(kind, v)
    }

    /// Read one version of a layer.
    pub fn read_version(&self, kind: LayerKind, version: i32) -> Result<Layer> {
        self.read_rows(kind, version).map_err(|f| match f {
            Failure::Db(source) => StoreError::Db { what: format!("reading {kind} version {version}"), source },
            Failure::Store(e) => e,
        })
    }

    fn read_rows(&self, kind: LayerKind, version: i32) -> std::result::Result<Layer, Failure> {
        let table = kind.as_str();
        let mp = |b: &[u8], id: &str| match wkb::decode(b) {
            Some(Geometry::MultiPolygon(m)) => Ok(m),
            Some(Geometry::Polygon(p)) => Ok(MultiPolygon(vec![p])),
            _ => Err(StoreError::Geometry { table, id: id.to_owned(), expected: "polygon" }),
        };
        let pt = |b: &[u8], id: &str| match wkb::decode(b) {
            Some(Geometry::Point(p)) => Ok(p),
            _ => Err(StoreError::Geometry { table, id: id.to_owned(), expected: "point" }),
        };
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
                        _ => return Err(StoreError::Geometry { table, id, expected: "line" }.into()),
                    };
                    out.push(Road { id, line, attributes: attrs(a) });
                }
                Layer::Roads(out)
            }
        })
    }
}
