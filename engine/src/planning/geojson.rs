//! GeoJSON Polygon/MultiPolygon geometry ↔ `geo::MultiPolygon` for ops and stored drafts.
//!
//! Method: the coordinates arrays are read as they stand (WGS84 lon/lat; a
//! ring must be closed and have four positions), then checked with the OGC
//! rules of `geometry::validate`. Writing always gives a MultiPolygon.
//! serde_json (without its `float_roundtrip` feature) may read a coordinate
//! back one ulp (~1e-14°, nanometres) off; equal coordinates stay equal, so
//! shared vertices stay shared. O(n).

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Value, json};

use crate::geometry::validate::{lonlat_in_range, polygon_problems};

/// A multipolygon as a GeoJSON geometry object.
pub fn to_value(mp: &MultiPolygon<f64>) -> Value {
    let ring = |r: &LineString<f64>| Value::Array(r.0.iter().map(|c| json!([c.x, c.y])).collect());
    let polys: Vec<Value> =
        mp.0.iter().map(|p| Value::Array(std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect())).collect();
    json!({"type": "MultiPolygon", "coordinates": polys})
}

fn ring(v: &Value) -> Result<LineString<f64>, String> {
    let pts = v.as_array().ok_or("a ring is not an array of positions")?;
    let mut out = Vec::with_capacity(pts.len());
    for p in pts {
        let xy = p.as_array().filter(|a| a.len() >= 2).ok_or("a position is not [lon, lat]")?;
        let (Some(x), Some(y)) = (xy[0].as_f64(), xy[1].as_f64()) else { return Err("a position is not [lon, lat]".into()) };
        if !lonlat_in_range(x, y) {
            return Err(format!("coordinate ({x}, {y}) is not a WGS84 lon/lat"));
        }
        out.push(Coord { x, y });
    }
    if out.len() < 4 {
        return Err(format!("a ring needs at least 4 positions, it has {}", out.len()));
    }
    if out.first() != out.last() {
        return Err("a ring is not closed (its first and last positions differ)".into());
    }
    Ok(LineString(out))
}

fn polygon(v: &Value) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().filter(|a| !a.is_empty()).ok_or("a polygon is not an array of rings")?;
    let exterior = ring(&rings[0])?;
    let interiors = rings[1..].iter().map(ring).collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(exterior, interiors))
}

/// Read a GeoJSON Polygon or MultiPolygon; the problem in words.
pub fn from_value(v: &Value) -> Result<MultiPolygon<f64>, String> {
    let coords = v.get("coordinates").ok_or("geometry without coordinates")?;
    let mp = match v.get("type").and_then(Value::as_str) {
        Some("Polygon") => MultiPolygon(vec![polygon(coords)?]),
        Some("MultiPolygon") => {
            let ps = coords.as_array().ok_or("MultiPolygon coordinates are not an array")?;
            MultiPolygon(ps.iter().map(polygon).collect::<Result<_, _>>()?)
        }
        Some(t) => return Err(format!("geometry type {t}: a unit needs a Polygon or MultiPolygon")),
        None => return Err("geometry without a type".into()),
    };
    if mp.0.is_empty() {
        return Err("empty MultiPolygon".into());
    }
    let problems = polygon_problems(&mp);
    if problems.is_empty() { Ok(mp) } else { Err(format!("invalid geometry: {}", problems.join("; "))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_problems() {
        let v = json!({"type": "Polygon", "coordinates": [[[120.1, 36.0], [120.2, 36.0], [120.2, 36.1], [120.1, 36.0]]]});
        let mp = from_value(&v).expect("valid");
        let back = from_value(&to_value(&mp)).expect("back");
        assert_eq!(back.0[0].exterior().0.len(), 4);
        let open = json!({"type": "Polygon", "coordinates": [[[120.1, 36.0], [120.2, 36.0], [120.2, 36.1], [120.15, 36.2]]]});
        assert!(from_value(&open).expect_err("refused").contains("not closed"));
        let bow = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]});
        assert!(from_value(&bow).expect_err("refused").contains("invalid geometry"));
        assert!(from_value(&json!({"type": "Point", "coordinates": [1, 2]})).expect_err("refused").contains("Point"));
        let far = json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [200.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]});
        assert!(from_value(&far).expect_err("refused").contains("WGS84"));
    }
}
