//! Mapbox Vector Tile 2.1 encoding (protobuf via prost) and tile geometry:
//! Web Mercator tile coordinates, clipping with a buffer, snapping to the
//! tile grid (which simplifies per zoom without opening gaps: neighbours
//! share vertices, and a shared vertex snaps to the same grid point in both),
//! and ring orientation (exterior rings have positive area in y-down tile
//! coordinates, i.e. clockwise on screen; holes negative).

use geo::{Coord, MultiLineString, MultiPolygon, Point, Rect};
use prost::Message;

pub const EXTENT: u32 = 4096;
/// Clip buffer in tile units on each side.
pub const BUFFER: i32 = 64;
pub const MAX_ZOOM: u8 = 22;

#[derive(Clone, PartialEq, prost::Message)]
pub struct Tile {
    #[prost(message, repeated, tag = "3")]
    pub layers: Vec<TileLayer>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TileValue {
    #[prost(string, optional, tag = "1")]
    pub string_value: Option<String>,
    #[prost(float, optional, tag = "2")]
    pub float_value: Option<f32>,
    #[prost(double, optional, tag = "3")]
    pub double_value: Option<f64>,
    #[prost(int64, optional, tag = "4")]
    pub int_value: Option<i64>,
    #[prost(uint64, optional, tag = "5")]
    pub uint_value: Option<u64>,
    #[prost(sint64, optional, tag = "6")]
    pub sint_value: Option<i64>,
    #[prost(bool, optional, tag = "7")]
    pub bool_value: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TileFeature {
    #[prost(uint64, optional, tag = "1")]
    pub id: Option<u64>,
    #[prost(uint32, repeated, tag = "2")]
    pub tags: Vec<u32>,
    /// 1 point, 2 linestring, 3 polygon
    #[prost(int32, optional, tag = "3")]
    pub r#type: Option<i32>,
    #[prost(uint32, repeated, tag = "4")]
    pub geometry: Vec<u32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TileLayer {
    #[prost(uint32, required, tag = "15")]
    pub version: u32,
    #[prost(string, required, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub features: Vec<TileFeature>,
    #[prost(string, repeated, tag = "3")]
    pub keys: Vec<String>,
    #[prost(message, repeated, tag = "4")]
    pub values: Vec<TileValue>,
    #[prost(uint32, optional, tag = "5")]
    pub extent: Option<u32>,
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
}

/// Whether z/x/y names a tile.
pub fn valid_tile(z: u8, x: u32, y: u32) -> bool {
    z <= MAX_ZOOM && u64::from(x) < (1u64 << z) && u64::from(y) < (1u64 << z)
}

/// Lon/lat bounds of a tile, grown by `grow` tile units on each side.
pub fn tile_bounds(z: u8, x: u32, y: u32, grow: f64) -> Rect<f64> {
    let n = f64::from(1u32 << z);
    let lon = |px: f64| px / n * 360.0 - 180.0;
    let lat = |py: f64| (std::f64::consts::PI * (1.0 - 2.0 * py / n)).sinh().atan().to_degrees();
    let g = grow / f64::from(EXTENT);
    Rect::new((lon(f64::from(x) - g), lat(f64::from(y) + 1.0 + g)), (lon(f64::from(x) + 1.0 + g), lat(f64::from(y) - g)))
}

/// The x/y ranges of the tiles at zoom `z` that cover a lon/lat rectangle.
pub fn tiles_covering(r: Rect<f64>, z: u8) -> (std::ops::RangeInclusive<u32>, std::ops::RangeInclusive<u32>) {
    let n = f64::from(1u32 << z);
    let max = (1u32 << z) - 1;
    let tx = |lon: f64| (((lon + 180.0) / 360.0 * n).max(0.0) as u32).min(max);
    let ty = |lat: f64| {
        let r = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
        (((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).max(0.0) as u32).min(max)
    };
    (tx(r.min().x)..=tx(r.max().x), ty(r.max().y)..=ty(r.min().y))
}

/// Projects lon/lat to the tile's integer grid.
#[derive(Debug, Clone, Copy)]
pub struct TileProj {
    scale: f64,
    x0: f64,
    y0: f64,
}

impl TileProj {
    pub fn new(z: u8, x: u32, y: u32) -> Self {
        let scale = f64::from(EXTENT) * f64::from(1u32 << z);
        TileProj { scale, x0: f64::from(x) * f64::from(EXTENT), y0: f64::from(y) * f64::from(EXTENT) }
    }
    /// Tile coordinates (not rounded).
    pub fn project(&self, c: Coord<f64>) -> (f64, f64) {
        let lat = c.y.clamp(-85.051_128_78, 85.051_128_78).to_radians();
        let wx = (c.x + 180.0) / 360.0;
        let wy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
        (wx * self.scale - self.x0, wy * self.scale - self.y0)
    }
}

type Ring = Vec<(f64, f64)>;

/// Clip a ring to an axis-aligned box (Sutherland–Hodgman, one edge at a time).
fn clip_ring(ring: &Ring, lo: f64, hi: f64) -> Ring {
    let mut out = ring.clone();
    // (axis, bound, keep greater)
    for (axis, bound, greater) in [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)] {
        if out.is_empty() {
            break;
        }
        let inside = |p: &(f64, f64)| {
            let v = if axis == 0 { p.0 } else { p.1 };
            if greater { v >= bound } else { v <= bound }
        };
        let cross = |a: &(f64, f64), b: &(f64, f64)| {
            let (va, vb) = if axis == 0 { (a.0, b.0) } else { (a.1, b.1) };
            let t = (bound - va) / (vb - va);
            if axis == 0 { (bound, a.1 + t * (b.1 - a.1)) } else { (a.0 + t * (b.0 - a.0), bound) }
        };
        let input = std::mem::take(&mut out);
        let n = input.len();
        for i in 0..n {
            let cur = &input[i];
            let prev = &input[(i + n - 1) % n];
            match (inside(prev), inside(cur)) {
                (true, true) => out.push(*cur),
                (true, false) => out.push(cross(prev, cur)),
                (false, true) => {
                    out.push(cross(prev, cur));
                    out.push(*cur);
                }
                (false, false) => {}
            }
        }
    }
    out
}

/// Snap to integers, drop repeated and collinear points.
fn snap_ring(ring: &Ring) -> Vec<(i32, i32)> {
    let mut pts: Vec<(i32, i32)> = Vec::with_capacity(ring.len());
    for &(x, y) in ring {
        let p = (x.round() as i32, y.round() as i32);
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    // remove collinear points (repeat until stable: removing one can expose
    // another); repeated points are merged first so that the two copies of a
    // point are never both judged collinear with each other
    loop {
        pts.dedup();
        while pts.len() > 1 && pts.first() == pts.last() {
            pts.pop();
        }
        let n = pts.len();
        if n < 3 {
            break;
        }
        let keep: Vec<bool> = (0..n)
            .map(|i| {
                let a = pts[(i + n - 1) % n];
                let b = pts[i];
                let c = pts[(i + 1) % n];
                let cross = i64::from(b.0 - a.0) * i64::from(c.1 - a.1) - i64::from(b.1 - a.1) * i64::from(c.0 - a.0);
                cross != 0
            })
            .collect();
        if keep.iter().all(|k| *k) {
            break;
        }
        let mut i = 0;
        pts.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
    pts
}

/// Twice the signed area (surveyor's formula) in tile coordinates (y down):
/// positive for rings that run clockwise on screen.
pub fn ring_area2(r: &[(i32, i32)]) -> i64 {
    let n = r.len();
    (0..n)
        .map(|i| {
            let (a, b) = (r[i], r[(i + 1) % n]);
            i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1)
        })
        .sum()
}

/// Polygon rings for a tile: exterior rings positive, holes negative.
pub fn tile_polygons(mp: &MultiPolygon<f64>, tp: &TileProj) -> Vec<Vec<Vec<(i32, i32)>>> {
    let lo = -f64::from(BUFFER);
    let hi = f64::from(EXTENT as i32 + BUFFER);
    let mut out = Vec::new();
    for p in &mp.0 {
        let prep = |ls: &geo::LineString<f64>| -> Vec<(i32, i32)> {
            let mut r: Ring = ls.coords().map(|c| tp.project(*c)).collect();
            if r.len() > 1 && r.first() == r.last() {
                r.pop();
            }
            snap_ring(&clip_ring(&r, lo, hi))
        };
        let mut ext = prep(p.exterior());
        if ext.len() < 3 || ring_area2(&ext) == 0 {
            continue;
        }
        if ring_area2(&ext) < 0 {
            ext.reverse();
        }
        let mut rings = vec![ext];
        for h in p.interiors() {
            let mut r = prep(h);
            if r.len() < 3 || ring_area2(&r) == 0 {
                continue;
            }
            if ring_area2(&r) > 0 {
                r.reverse();
            }
            rings.push(r);
        }
        out.push(rings);
    }
    out
}

/// Line parts for a tile (clipped by dropping segments wholly outside the buffer box).
pub fn tile_lines(ml: &MultiLineString<f64>, tp: &TileProj) -> Vec<Vec<(i32, i32)>> {
    let lo = -f64::from(BUFFER);
    let hi = f64::from(EXTENT as i32 + BUFFER);
    let mut out = Vec::new();
    for l in &ml.0 {
        let pts: Vec<(f64, f64)> = l.coords().map(|c| tp.project(*c)).collect();
        let mut cur: Vec<(i32, i32)> = Vec::new();
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let outside = (a.0 < lo && b.0 < lo) || (a.0 > hi && b.0 > hi) || (a.1 < lo && b.1 < lo) || (a.1 > hi && b.1 > hi);
            if outside {
                if cur.len() >= 2 {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
                continue;
            }
            for p in [a, b] {
                let q = (p.0.clamp(-32_000.0, 32_000.0).round() as i32, p.1.clamp(-32_000.0, 32_000.0).round() as i32);
                if cur.last() != Some(&q) {
                    cur.push(q);
                }
            }
        }
        if cur.len() >= 2 {
            out.push(cur);
        }
    }
    out
}

/// Geometry of one feature in tile coordinates.
#[derive(Debug, Clone)]
pub enum TileGeom {
    Points(Vec<(i32, i32)>),
    Lines(Vec<Vec<(i32, i32)>>),
    Polygons(Vec<Vec<Vec<(i32, i32)>>>),
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

fn encode_geom(g: &TileGeom) -> (i32, Vec<u32>) {
    let mut out = Vec::new();
    let mut cur = (0i32, 0i32);
    let moveto = |out: &mut Vec<u32>, cur: &mut (i32, i32), p: (i32, i32)| {
        out.push(zigzag(p.0 - cur.0));
        out.push(zigzag(p.1 - cur.1));
        *cur = p;
    };
    match g {
        TileGeom::Points(ps) => {
            out.push(command(1, ps.len() as u32));
            for &p in ps {
                moveto(&mut out, &mut cur, p);
            }
            (1, out)
        }
        TileGeom::Lines(ls) => {
            for l in ls {
                out.push(command(1, 1));
                moveto(&mut out, &mut cur, l[0]);
                out.push(command(2, (l.len() - 1) as u32));
                for &p in &l[1..] {
                    moveto(&mut out, &mut cur, p);
                }
            }
            (2, out)
        }
        TileGeom::Polygons(ps) => {
            for rings in ps {
                for r in rings {
                    out.push(command(1, 1));
                    moveto(&mut out, &mut cur, r[0]);
                    out.push(command(2, (r.len() - 1) as u32));
                    for &p in &r[1..] {
                        moveto(&mut out, &mut cur, p);
                    }
                    out.push(command(7, 1));
                }
            }
            (3, out)
        }
    }
}

/// Builds one layer of a tile.
#[derive(Debug)]
pub struct LayerBuilder {
    layer: TileLayer,
    keys: std::collections::HashMap<String, u32>,
    values: std::collections::HashMap<String, u32>,
}

impl LayerBuilder {
    pub fn new(name: &str) -> Self {
        LayerBuilder {
            layer: TileLayer { version: 2, name: name.to_owned(), extent: Some(EXTENT), ..Default::default() },
            keys: Default::default(),
            values: Default::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.layer.features.is_empty()
    }

    /// Add a feature; empty geometries are skipped.
    pub fn add(&mut self, id: Option<u64>, geom: &TileGeom, props: &[(&str, Prop)]) {
        let empty = match geom {
            TileGeom::Points(p) => p.is_empty(),
            TileGeom::Lines(l) => l.is_empty(),
            TileGeom::Polygons(p) => p.is_empty(),
        };
        if empty {
            return;
        }
        let mut tags = Vec::with_capacity(props.len() * 2);
        for (k, v) in props {
            let ki = match self.keys.get(*k) {
                Some(&i) => i,
                None => {
                    let i = self.layer.keys.len() as u32;
                    self.layer.keys.push((*k).to_owned());
                    self.keys.insert((*k).to_owned(), i);
                    i
                }
            };
            let (key, val) = match v {
                Prop::Str(s) => (format!("s{s}"), TileValue { string_value: Some(s.clone()), ..Default::default() }),
                Prop::Int(i) => (format!("i{i}"), TileValue { sint_value: Some(*i), ..Default::default() }),
                Prop::Num(f) => (format!("d{f}"), TileValue { double_value: Some(*f), ..Default::default() }),
                Prop::Bool(b) => (format!("b{b}"), TileValue { bool_value: Some(*b), ..Default::default() }),
            };
            let vi = match self.values.get(&key) {
                Some(&i) => i,
                None => {
                    let i = self.layer.values.len() as u32;
                    self.layer.values.push(val);
                    self.values.insert(key, i);
                    i
                }
            };
            tags.push(ki);
            tags.push(vi);
        }
        let (t, geometry) = encode_geom(geom);
        self.layer.features.push(TileFeature { id, tags, r#type: Some(t), geometry });
    }

    /// Encode as a one-layer tile.
    pub fn encode(self) -> Vec<u8> {
        Tile { layers: vec![self.layer] }.encode_to_vec()
    }
}

/// A point in tile coordinates if it is inside the buffered tile.
pub fn tile_point(p: Point<f64>, tp: &TileProj) -> Option<(i32, i32)> {
    let (x, y) = tp.project(p.0);
    let b = f64::from(BUFFER);
    let e = f64::from(EXTENT);
    (x >= -b && x <= e + b && y >= -b && y <= e + b).then(|| (x.round() as i32, y.round() as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_keeps_the_inside_and_orientation_is_positive() {
        let tp = TileProj::new(0, 0, 0);
        let sq = geo::Rect::new((-170.0, -80.0), (170.0, 80.0)).to_polygon();
        let polys = tile_polygons(&MultiPolygon(vec![sq]), &tp);
        assert_eq!(polys.len(), 1);
        assert!(ring_area2(&polys[0][0]) > 0);
        // a polygon far outside the buffered tile vanishes
        let tp = TileProj::new(4, 0, 0);
        let far = geo::Rect::new((100.0, -10.0), (110.0, 10.0)).to_polygon();
        assert!(tile_polygons(&MultiPolygon(vec![far]), &tp).is_empty());
        assert!(valid_tile(3, 7, 7) && !valid_tile(3, 8, 0) && !valid_tile(23, 0, 0));
    }
}
