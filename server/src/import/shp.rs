//! ESRI Shapefile geometries (`.shp`) read into raw geometries (`coords`) in the
//! file's own coordinates (the CRS conversion and validation come after).
//!
//! Method: one sequential pass over the records (the `.shx` index is not
//! needed); points, multipoints, polylines and polygons, with Z and M values
//! dropped. Polygon parts become polygons by ring orientation, as the format
//! defines it: clockwise rings are outer rings, counter-clockwise rings are
//! holes, each put in the smallest outer ring that contains its first vertex
//! (a hole inside none becomes an outer ring, as GDAL does). O(n) reading,
//! O(holes × outer rings × vertices) grouping.
//! Reference: ESRI Shapefile Technical Description (July 1998).

use super::coords::{Coords, Geom};

fn i32_be(b: &[u8], at: usize) -> Option<i32> {
    b.get(at..at + 4).map(|s| i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}
fn i32_le(b: &[u8], at: usize) -> Option<i32> {
    b.get(at..at + 4).map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
fn f64_le(b: &[u8], at: usize) -> Option<f64> {
    b.get(at..at + 8).map(|s| f64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
}

type Ring = Vec<[f64; 2]>;

/// Twice the signed area (positive = counter-clockwise with y up).
fn signed_area2(r: &Ring) -> f64 {
    r.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

fn contains(r: &Ring, p: [f64; 2]) -> bool {
    let mut inside = false;
    for w in r.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
    }
    inside
}

/// Rings grouped into polygons: `[[outer, holes…], …]`.
fn group(rings: Vec<Ring>) -> Vec<Vec<Ring>> {
    let (mut outers, mut holes) = (Vec::new(), Vec::new());
    for r in rings {
        if signed_area2(&r) < 0.0 { outers.push(vec![r]) } else { holes.push(r) }
    }
    for h in holes {
        let p = h[0];
        let best = outers
            .iter()
            .enumerate()
            .filter(|(_, o)| contains(&o[0], p))
            .min_by(|a, b| signed_area2(&a.1[0]).abs().total_cmp(&signed_area2(&b.1[0]).abs()))
            .map(|(i, _)| i);
        match best {
            Some(i) => outers[i].push(h),
            None => outers.push(vec![h]),
        }
    }
    outers
}

/// The parts of a polyline or polygon record, or the points of a multipoint.
fn parts(c: &[u8], multipoint: bool) -> Option<Vec<Ring>> {
    let (nparts, npoints, first_point) = if multipoint {
        (1, usize::try_from(i32_le(c, 36)?).ok()?, 40)
    } else {
        let np = usize::try_from(i32_le(c, 36)?).ok()?;
        (np, usize::try_from(i32_le(c, 40)?).ok()?, 44 + 4 * np)
    };
    let starts: Vec<usize> = if multipoint {
        vec![0]
    } else {
        (0..nparts).map(|i| i32_le(c, 44 + 4 * i).and_then(|s| usize::try_from(s).ok())).collect::<Option<_>>()?
    };
    let pts: Vec<[f64; 2]> =
        (0..npoints).map(|i| Some([f64_le(c, first_point + 16 * i)?, f64_le(c, first_point + 16 * i + 8)?])).collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(nparts);
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(npoints);
        out.push(pts.get(s..e)?.to_vec());
    }
    Some(out)
}

/// Positions as stored: flat unless empty.
fn flat(r: Ring) -> Coords {
    if r.is_empty() { Coords::List(Vec::new()) } else { Coords::Ring(r) }
}

fn record(c: &[u8]) -> Result<Option<Geom>, String> {
    let short = || "the record is shorter than its shape needs".to_string();
    let kind = i32_le(c, 0).ok_or_else(short)?;
    Ok(Some(match kind {
        0 => return Ok(None),
        1 | 11 | 21 => Geom::new("Point", Coords::Pos([f64_le(c, 4).ok_or_else(short)?, f64_le(c, 12).ok_or_else(short)?])),
        8 | 18 | 28 => {
            let p = parts(c, true).ok_or_else(short)?.concat();
            if p.len() == 1 { Geom::new("Point", Coords::Pos(p[0])) } else { Geom::new("MultiPoint", flat(p)) }
        }
        3 | 13 | 23 => {
            let mut p = parts(c, false).ok_or_else(short)?;
            if p.len() == 1 {
                Geom::new("LineString", flat(p.remove(0)))
            } else {
                Geom::new("MultiLineString", Coords::List(p.into_iter().map(flat).collect()))
            }
        }
        5 | 15 | 25 => {
            let rings: Vec<Ring> = parts(c, false).ok_or_else(short)?.into_iter().filter(|r| !r.is_empty()).collect();
            let polygon = |p: Vec<Ring>| Coords::List(p.into_iter().map(flat).collect());
            let mut polys = group(rings);
            if polys.len() == 1 {
                Geom::new("Polygon", polygon(polys.remove(0)))
            } else {
                Geom::new("MultiPolygon", Coords::List(polys.into_iter().map(polygon).collect()))
            }
        }
        31 => return Err("MultiPatch shapes are not supported".into()),
        k => return Err(format!("unknown shape type {k}")),
    }))
}

/// The geometries of a `.shp` (one per record, `None` for null shapes), or the
/// problem with the file and the byte offset where it is.
pub fn read(b: &[u8], file: &str) -> Result<Vec<Option<Geom>>, String> {
    if i32_be(b, 0) != Some(9994) || b.len() < 100 {
        return Err(format!("{file}: not a Shapefile (.shp files start with the file code 9994 and a 100-byte header)"));
    }
    let mut out = Vec::new();
    let mut at = 100;
    while at + 8 <= b.len() {
        let len = i32_be(b, at + 4).and_then(|w| usize::try_from(w).ok()).map(|w| w * 2);
        let Some(content) = len.and_then(|l| b.get(at + 8..at + 8 + l)) else {
            return Err(format!("{file}: record {} at byte offset {at} runs past the end of the file", out.len()));
        };
        let g = record(content).map_err(|e| format!("{file}: record {} at byte offset {at}: {e}", out.len()))?;
        out.push(g);
        at += 8 + content.len();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, s: f64, clockwise: bool) -> Ring {
        let mut r = vec![[x0, y0], [x0 + s, y0], [x0 + s, y0 + s], [x0, y0 + s], [x0, y0]];
        if clockwise {
            r.reverse();
        }
        r
    }

    #[test]
    fn holes_go_into_the_outer_ring_around_them() {
        let g = group(vec![square(0.0, 0.0, 10.0, true), square(20.0, 0.0, 10.0, true), square(22.0, 2.0, 1.0, false)]);
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].len(), g[1].len()), (1, 2));
        // a counter-clockwise ring alone becomes an outer ring
        assert_eq!(group(vec![square(0.0, 0.0, 1.0, false)]).len(), 1);
    }

    #[test]
    fn refuses_what_is_not_a_shapefile() {
        assert!(read(b"hello", "x.shp").is_err_and(|e| e.contains("x.shp")));
        let mut b = vec![0u8; 100];
        b[..4].copy_from_slice(&9994_i32.to_be_bytes());
        b.extend_from_slice(&1_i32.to_be_bytes());
        b.extend_from_slice(&100_i32.to_be_bytes()); // claims 200 bytes
        assert!(read(&b, "x.shp").is_err_and(|e| e.contains("byte offset 100")));
    }
}
