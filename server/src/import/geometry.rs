//! GeoJSON geometries read into geo types, with the problem of a bad one in words
//! (which ring, which position); coordinates are converted from the file's CRS to WGS84
//! (a coordinate the CRS cannot hold is the feature's problem).

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde_json::Value;
use wangge_engine::geometry::georef::Crs;
use wangge_engine::geometry::validate::polygon_problems;

pub(super) fn coord(v: &Value, crs: &Crs) -> Result<Coord<f64>, String> {
    let a = v.as_array().ok_or("a position is not an array")?;
    if a.len() < 2 {
        return Err("a position needs longitude and latitude".into());
    }
    let x = a[0].as_f64().ok_or("longitude is not a number")?;
    let y = a[1].as_f64().ok_or("latitude is not a number")?;
    let (x, y) = crs.to_wgs84(x, y)?;
    Ok(Coord { x, y })
}

pub(super) fn ring(v: &Value, crs: &Crs, what: &str) -> Result<LineString<f64>, String> {
    let a = v.as_array().ok_or(format!("{what} is not an array of positions"))?;
    let cs = a.iter().map(|c| coord(c, crs)).collect::<Result<Vec<_>, _>>()?;
    if cs.len() < 4 {
        return Err(format!("{what} is too short: {} positions, a closed ring needs at least 4", cs.len()));
    }
    if cs.first() != cs.last() {
        return Err(format!("{what} is not closed: its first and last positions differ"));
    }
    Ok(LineString(cs))
}

pub(super) fn polygon(v: &Value, crs: &Crs, prefix: &str) -> Result<Polygon<f64>, String> {
    let rings = v.as_array().ok_or("polygon coordinates are not an array of rings")?;
    if rings.is_empty() {
        return Err("polygon has no rings".into());
    }
    let ext = ring(&rings[0], crs, &format!("{prefix}exterior ring"))?;
    let ints =
        rings[1..].iter().enumerate().map(|(i, r)| ring(r, crs, &format!("{prefix}interior ring {i}"))).collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(ext, ints))
}

pub(super) fn geom_type(g: &Value) -> &str {
    g.get("type").and_then(Value::as_str).unwrap_or("?")
}

pub(super) fn areal(g: &Value, crs: &Crs) -> Result<MultiPolygon<f64>, String> {
    let c = g.get("coordinates").ok_or("geometry has no coordinates")?;
    let mp = match geom_type(g) {
        "Polygon" => MultiPolygon(vec![polygon(c, crs, "")?]),
        "MultiPolygon" => MultiPolygon(
            c.as_array()
                .ok_or("multipolygon coordinates are not an array")?
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, crs, &format!("polygon {i}: ")))
                .collect::<Result<_, _>>()?,
        ),
        other => return Err(format!("wrong geometry type {other}: expected Polygon or MultiPolygon")),
    };
    if mp.0.is_empty() {
        return Err("empty MultiPolygon: a unit or building needs at least one polygon".into());
    }
    let problems = polygon_problems(&mp);
    if !problems.is_empty() {
        return Err(format!("invalid polygon: {}", problems.join("; ")));
    }
    Ok(mp)
}

pub(super) fn point(g: &Value, crs: &Crs) -> Result<Point<f64>, String> {
    match geom_type(g) {
        "Point" => Ok(Point::from(coord(g.get("coordinates").ok_or("geometry has no coordinates")?, crs)?)),
        other => Err(format!("wrong geometry type {other}: expected Point")),
    }
}

pub(super) fn lines(g: &Value, crs: &Crs) -> Result<MultiLineString<f64>, String> {
    let c = g.get("coordinates").ok_or("geometry has no coordinates")?;
    let line = |v: &Value| -> Result<LineString<f64>, String> {
        let cs = v.as_array().ok_or("line coordinates are not an array")?.iter().map(|c| coord(c, crs)).collect::<Result<Vec<_>, _>>()?;
        if cs.len() < 2 {
            return Err("a line needs at least 2 positions".into());
        }
        Ok(LineString(cs))
    };
    match geom_type(g) {
        "LineString" => Ok(MultiLineString(vec![line(c)?])),
        "MultiLineString" => {
            Ok(MultiLineString(c.as_array().ok_or("coordinates are not an array")?.iter().map(line).collect::<Result<_, _>>()?))
        }
        other => Err(format!("wrong geometry type {other}: expected LineString or MultiLineString")),
    }
}
