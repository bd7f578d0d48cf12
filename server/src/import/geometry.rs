//! Raw geometries (`coords`: GeoJSON, Shapefile and WKB alike) read into geo types, with the
//! problem of a bad one in words (which ring, which position); coordinates are converted from
//! the file's CRS to WGS84 (a coordinate the CRS cannot hold is the feature's problem).

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use wangge_engine::geometry::georef::Crs;
use wangge_engine::geometry::validate::polygon_problems;

use super::coords::{Coords, Geom, Item};

pub(super) fn coord(v: Item, crs: &Crs) -> Result<Coord<f64>, String> {
    let (x, y) = match v {
        Item::P(p) | Item::C(&Coords::Pos(p)) => (p[0], p[1]),
        other => {
            let a = other.items().ok_or("a position is not an array")?;
            if a.len() < 2 {
                return Err("a position needs longitude and latitude".into());
            }
            (a[0].num().ok_or("longitude is not a number")?, a[1].num().ok_or("latitude is not a number")?)
        }
    };
    let (x, y) = crs.to_wgs84(x, y)?;
    Ok(Coord { x, y })
}

/// The positions of an array of positions (`what` names it when it is not an array).
fn positions(v: Item, crs: &Crs, what: impl FnOnce() -> String) -> Result<Vec<Coord<f64>>, String> {
    match v {
        Item::C(Coords::Ring(r)) => r.iter().map(|&p| coord(Item::P(p), crs)).collect(),
        other => other.items().ok_or_else(what)?.into_iter().map(|c| coord(c, crs)).collect(),
    }
}

pub(super) fn ring(v: Item, crs: &Crs, what: &str) -> Result<LineString<f64>, String> {
    let cs = positions(v, crs, || format!("{what} is not an array of positions"))?;
    if cs.len() < 4 {
        return Err(format!("{what} is too short: {} positions, a closed ring needs at least 4", cs.len()));
    }
    if cs.first() != cs.last() {
        return Err(format!("{what} is not closed: its first and last positions differ"));
    }
    Ok(LineString(cs))
}

pub(super) fn polygon(v: Item, crs: &Crs, prefix: &str) -> Result<Polygon<f64>, String> {
    let rings = v.items().ok_or("polygon coordinates are not an array of rings")?;
    if rings.is_empty() {
        return Err("polygon has no rings".into());
    }
    let ext = ring(rings[0], crs, &format!("{prefix}exterior ring"))?;
    let ints =
        rings[1..].iter().enumerate().map(|(i, r)| ring(*r, crs, &format!("{prefix}interior ring {i}"))).collect::<Result<Vec<_>, _>>()?;
    Ok(Polygon::new(ext, ints))
}

fn coordinates(g: &Geom) -> Result<Item<'_>, String> {
    g.coordinates.as_ref().map(Item::C).ok_or_else(|| "geometry has no coordinates".into())
}

pub(super) fn areal(g: &Geom, crs: &Crs) -> Result<MultiPolygon<f64>, String> {
    let c = coordinates(g)?;
    let mp = match g.kind.as_str() {
        "Polygon" => MultiPolygon(vec![polygon(c, crs, "")?]),
        "MultiPolygon" => MultiPolygon(
            c.items()
                .ok_or("multipolygon coordinates are not an array")?
                .into_iter()
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

pub(super) fn point(g: &Geom, crs: &Crs) -> Result<Point<f64>, String> {
    match g.kind.as_str() {
        "Point" => Ok(Point::from(coord(coordinates(g)?, crs)?)),
        other => Err(format!("wrong geometry type {other}: expected Point")),
    }
}

pub(super) fn lines(g: &Geom, crs: &Crs) -> Result<MultiLineString<f64>, String> {
    let c = coordinates(g)?;
    let line = |v: Item| -> Result<LineString<f64>, String> {
        let cs = positions(v, crs, || "line coordinates are not an array".into())?;
        if cs.len() < 2 {
            return Err("a line needs at least 2 positions".into());
        }
        Ok(LineString(cs))
    };
    match g.kind.as_str() {
        "LineString" => Ok(MultiLineString(vec![line(c)?])),
        "MultiLineString" => {
            Ok(MultiLineString(c.items().ok_or("coordinates are not an array")?.into_iter().map(line).collect::<Result<_, _>>()?))
        }
        other => Err(format!("wrong geometry type {other}: expected LineString or MultiLineString")),
    }
}
