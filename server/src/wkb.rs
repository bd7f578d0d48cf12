//! Well-known binary (little-endian, 2D) for the geometries we store.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_coords(out: &mut Vec<u8>, cs: &[Coord<f64>]) {
    put_u32(out, cs.len() as u32);
    for c in cs {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    }
}

fn put_polygon_body(out: &mut Vec<u8>, p: &Polygon<f64>) {
    put_u32(out, 1 + p.interiors().len() as u32);
    put_coords(out, &p.exterior().0);
    for r in p.interiors() {
        put_coords(out, &r.0);
    }
}

/// Encode a geometry (point, line string, multi line string, polygon, multi polygon).
pub fn encode(g: &Geometry<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.push(1);
    match g {
        Geometry::Point(p) => {
            put_u32(&mut out, 1);
            out.extend_from_slice(&p.x().to_le_bytes());
            out.extend_from_slice(&p.y().to_le_bytes());
        }
        Geometry::LineString(l) => {
            put_u32(&mut out, 2);
            put_coords(&mut out, &l.0);
        }
        Geometry::Polygon(p) => {
            put_u32(&mut out, 3);
            put_polygon_body(&mut out, p);
        }
        Geometry::MultiLineString(m) => {
            put_u32(&mut out, 5);
            put_u32(&mut out, m.0.len() as u32);
            for l in &m.0 {
                out.push(1);
                put_u32(&mut out, 2);
                put_coords(&mut out, &l.0);
            }
        }
        Geometry::MultiPolygon(m) => {
            put_u32(&mut out, 6);
            put_u32(&mut out, m.0.len() as u32);
            for p in &m.0 {
                out.push(1);
                put_u32(&mut out, 3);
                put_polygon_body(&mut out, p);
            }
        }
        other => {
            // not stored by wangge; encode as an empty geometry collection
            let _ = other;
            put_u32(&mut out, 7);
            put_u32(&mut out, 0);
        }
    }
    out
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    le: bool,
}

impl Reader<'_> {
    fn u8(&mut self) -> Option<u8> {
        let v = *self.b.get(self.pos)?;
        self.pos += 1;
        Some(v)
    }
    fn u32(&mut self) -> Option<u32> {
        let s: [u8; 4] = self.b.get(self.pos..self.pos + 4)?.try_into().ok()?;
        self.pos += 4;
        Some(if self.le { u32::from_le_bytes(s) } else { u32::from_be_bytes(s) })
    }
    /// A coordinate: finite, as every stored one is (NaN also broke the ring
    /// closing of `Polygon::new`, which then added a position on every read).
    fn f64(&mut self) -> Option<f64> {
        let s: [u8; 8] = self.b.get(self.pos..self.pos + 8)?.try_into().ok()?;
        self.pos += 8;
        Some(if self.le { f64::from_le_bytes(s) } else { f64::from_be_bytes(s) }).filter(|v| v.is_finite())
    }
    fn coords(&mut self) -> Option<Vec<Coord<f64>>> {
        let n = self.u32()? as usize;
        if n > (self.b.len() - self.pos) / 16 {
            return None;
        }
        (0..n).map(|_| Some(Coord { x: self.f64()?, y: self.f64()? })).collect()
    }
    fn polygon_body(&mut self) -> Option<Polygon<f64>> {
        let n = self.u32()? as usize;
        let mut rings = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            rings.push(LineString(self.coords()?));
        }
        let mut it = rings.into_iter();
        let ext = it.next().unwrap_or_else(|| LineString(vec![]));
        Some(Polygon::new(ext, it.collect()))
    }
    fn geometry(&mut self) -> Option<Geometry<f64>> {
        let t = self.header()?;
        Some(match t {
            1 => Geometry::Point(Point::new(self.f64()?, self.f64()?)),
            2 => Geometry::LineString(LineString(self.coords()?)),
            3 => Geometry::Polygon(self.polygon_body()?),
            5 => {
                let n = self.u32()?;
                let mut v = Vec::new();
                for _ in 0..n {
                    // a member is a line string: anything else is refused before its body is read
                    if self.header()? != 2 {
                        return None;
                    }
                    v.push(LineString(self.coords()?));
                }
                Geometry::MultiLineString(MultiLineString(v))
            }
            6 => {
                let n = self.u32()?;
                let mut v = Vec::new();
                for _ in 0..n {
                    if self.header()? != 3 {
                        return None;
                    }
                    v.push(self.polygon_body()?);
                }
                Geometry::MultiPolygon(MultiPolygon(v))
            }
            _ => return None,
        })
    }
    /// Byte order and geometry type of a (member) geometry.
    fn header(&mut self) -> Option<u32> {
        self.le = self.u8()? == 1;
        Some(self.u32()? & 0xffff)
    }
}

/// Decode WKB; `None` if malformed, of a type we do not store or with a coordinate that is not finite.
pub fn decode(b: &[u8]) -> Option<Geometry<f64>> {
    Reader { b, pos: 0, le: true }.geometry()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, wkt};

    #[test]
    fn round_trips() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
        for g in [
            Geometry::Point(Point::new(120.1, 36.2)),
            Geometry::MultiPolygon(MultiPolygon(vec![p.clone(), p])),
            Geometry::LineString(wkt!(LINESTRING(0. 0.,1. 2.))),
            Geometry::MultiLineString(MultiLineString(vec![wkt!(LINESTRING(0. 0.,1. 2.))])),
        ] {
            assert_eq!(decode(&encode(&g)), Some(g));
        }
        assert_eq!(decode(&[1, 1, 0]), None);
    }

    #[test]
    fn coordinates_that_are_not_finite_are_refused() {
        let ring = vec![Coord { x: f64::NAN, y: 0.0 }, Coord { x: 1.0, y: 0.0 }, Coord { x: 1.0, y: 1.0 }, Coord { x: f64::NAN, y: 0.0 }];
        // found by fuzzing: each read of this polygon added a closing position (NaN ≠ NaN)
        assert_eq!(decode(&encode(&Geometry::Polygon(Polygon::new(LineString(ring), vec![])))), None);
        assert_eq!(decode(&encode(&Geometry::Point(Point::new(f64::INFINITY, 0.0)))), None);
    }

    #[test]
    fn members_nested_deep_are_refused_without_recursing() {
        // a multi line string whose member claims to be a multi line string, 200,000 deep:
        // read recursively this overflowed the stack (an abort, not an error)
        let mut b = Vec::new();
        for _ in 0..200_000 {
            b.push(1);
            b.extend_from_slice(&5u32.to_le_bytes());
            b.extend_from_slice(&1u32.to_le_bytes());
        }
        assert_eq!(decode(&b), None);
    }
}
