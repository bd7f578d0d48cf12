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
        Ok(match kind {
            LayerKind::Units => Layer::Units(self.select(table, "id, parent_id, level, name, attrs, geom", version, |r| {
                let (id, parent, level, name, a, g): (String, Option<String>, String, String, String, Vec<u8>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
                Ok(Unit {
                    geometry: mp(&g, &id)?,
                    id: UnitId(id),
                    parent: parent.map(UnitId),
                    level: Level(level),
                    name,
                    attributes: attrs(a),
                })
            })?),
            LayerKind::Buildings => {
                Layer::Buildings(self.select(table, "id, households, population, floors, height, attrs, geom", version, |r| {
                    let id: String = r.get(0)?;
                    let households: Option<u32> = r.get(1)?;
                    let population: Option<u32> = r.get(2)?;
                    let floors: Option<u32> = r.get(3)?;
                    let height: Option<f64> = r.get(4)?;
                    let (a, g): (String, Vec<u8>) = (r.get(5)?, r.get(6)?);
                    Ok(Building {
                        footprint: mp(&g, &id)?,
                        id,
                        households,
                        population,
                        floors,
                        height: height.map(Metres),
                        attributes: attrs(a),
                    })
                })?)
            }
            LayerKind::Cameras => {
                Layer::Cameras(self.select(table, "id, heading, fov, range_m, height_m, kind, attrs, geom", version, |r| {
                    let (id, heading, fov, range, height, kind, a, g): (String, f64, f64, f64, f64, String, String, Vec<u8>) =
                        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?);
                    Ok(Camera {
                        position: pt(&g, &id)?,
                        id,
                        view: CameraView { heading_deg: heading, fov_deg: fov, range_m: Metres(range), height_m: Metres(height) },
                        kind: if kind == "dome" { CameraKind::Dome } else { CameraKind::Fixed },
                        attributes: attrs(a),
                    })
                })?)
            }
            LayerKind::Facilities => Layer::Facilities(self.select(table, "id, kind, name, attrs, geom", version, |r| {
                let (id, kind, name, a, g): (String, String, String, String, Vec<u8>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
                Ok(Facility { position: pt(&g, &id)?, id, kind, name, attributes: attrs(a) })
            })?),
            LayerKind::Incidents => {
                Layer::Incidents(self.select(table, "id, category, occurred_at, status, attrs, geom", version, |r| {
                    let (id, category, occurred_at, status, a, g): (String, String, i64, String, String, Vec<u8>) =
                        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
                    Ok(Incident { position: pt(&g, &id)?, id, category, occurred_at, status, attributes: attrs(a) })
                })?)
            }
            LayerKind::Roads => Layer::Roads(self.select(table, "id, attrs, geom", version, |r| {
                let (id, a, g): (String, String, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let line = match wkb::decode(&g) {
                    Some(Geometry::MultiLineString(m)) => m,
                    Some(Geometry::LineString(l)) => MultiLineString(vec![l]),
                    _ => return Err(StoreError::Geometry { table, id, expected: "line" }.into()),
                };
                Ok(Road { id, line, attributes: attrs(a) })
            })?),
        })
    }

    /// `SELECT cols` from one version of a layer's table, in import order, each row made a feature by `feature`.
    fn select<T>(
        &self,
        table: &str,
        cols: &str,
        version: i32,
        mut feature: impl FnMut(&duckdb::Row<'_>) -> std::result::Result<T, Failure>,
    ) -> std::result::Result<Vec<T>, Failure> {
        let mut st = self.conn.prepare(&format!("SELECT {cols} FROM {table} WHERE version = ? ORDER BY seq"))?;
        let mut rows = st.query(params![version])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(feature(r)?);
        }
        Ok(out)
    }
}
