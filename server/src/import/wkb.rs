//! Well-known binary (OGC 06-103r4, ISO and EWKB flavours) read into raw
//! geometries (`coords`) in the file's own coordinates: either byte order, Z/M flags
//! (ISO thousands and EWKB high bits) and an EWKB SRID skipped, Z and M
//! dropped. Points, lines, polygons and their multis; O(bytes). Used by the
//! GeoPackage and GeoParquet readers.

use super::coords::{Coords, Geom};

pub(super) struct Wkb<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Wkb<'a> {
    /// A reader of `b` from byte `at` (after any header).
    pub(super) fn new(b: &'a [u8], at: usize) -> Self {
        Wkb { b, at }
    }

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
    /// One geometry.
    pub(super) fn geometry(&mut self, depth: usize) -> Result<Geom, String> {
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
        let sub = |s: &mut Self, want: &str| -> Result<Coords, String> {
            let n = s.u32(le)? as usize;
            (0..n.min(s.b.len()))
                .map(|_| s.geometry(depth + 1).map(|g| g.coordinates.unwrap_or(Coords::Other)))
                .collect::<Result<Vec<_>, _>>()
                .map(Coords::collect)
                .map_err(|e| format!("{want}: {e}"))
        };
        let flat = |r: Vec<[f64; 2]>| if r.is_empty() { Coords::List(Vec::new()) } else { Coords::Ring(r) };
        Ok(match kind {
            1 => {
                let p = [self.f64(le)?, self.f64(le)?];
                for _ in 2..dims {
                    self.f64(le)?;
                }
                Geom::new("Point", Coords::Pos(p))
            }
            2 => Geom::new("LineString", flat(self.points(le, dims)?)),
            3 => {
                let n = self.u32(le)? as usize;
                let rings = (0..n.min(self.b.len())).map(|_| self.points(le, dims).map(flat)).collect::<Result<Vec<_>, _>>()?;
                Geom::new("Polygon", Coords::List(rings))
            }
            4 => Geom::new("MultiPoint", sub(self, "multipoint")?),
            5 => Geom::new("MultiLineString", sub(self, "multilinestring")?),
            6 => Geom::new("MultiPolygon", sub(self, "multipolygon")?),
            k => return Err(format!("WKB geometry type {k} is not supported (points, lines, polygons and their multis are)")),
        })
    }
}
