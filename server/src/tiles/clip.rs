//! Tile geometry: clipping to the buffered tile and snapping to its grid.
//!
//! Polygons: each ring clipped with Sutherland–Hodgman (one box edge at a
//! time, O(n) per edge), snapped to integers (which simplifies per zoom
//! without opening gaps: neighbours share vertices, and a shared vertex snaps
//! to the same grid point in both), repeated and collinear points dropped;
//! exterior rings get positive area in y-down tile coordinates (clockwise on
//! screen), holes negative. Lines: every segment clipped with Liang–Barsky
//! (Liang & Barsky 1984, "A new concept and method for line clipping"), O(1)
//! per segment, so the visible part of a long segment keeps its direction.

use geo::{MultiLineString, MultiPolygon, Point};

use super::grid::{BUFFER, EXTENT, TileProj};

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

/// Clip the segment a→b to the box `lo..=hi` on both axes (Liang–Barsky):
/// the part inside as parameters `(t0, t1)` with `0 ≤ t0 ≤ t1 ≤ 1`, or `None`
/// when the segment misses the box. A segment touching the box in one point
/// gives `t0 == t1`.
pub fn liang_barsky(a: (f64, f64), b: (f64, f64), lo: f64, hi: f64) -> Option<(f64, f64)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    // p·t ≤ q for each of the four edges
    for (p, q) in [(-dx, a.0 - lo), (dx, hi - a.0), (-dy, a.1 - lo), (dy, hi - a.1)] {
        if p == 0.0 {
            if q < 0.0 {
                return None; // parallel to this edge and outside it
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    Some((t0, t1))
}

/// Clip a polyline (tile coordinates) to the box `lo..=hi`: the parts inside, unsnapped.
/// A part ends where the line leaves the box and a new one starts where it comes back.
pub fn clip_line(pts: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let at = |t: f64| (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        match liang_barsky(a, b, lo, hi) {
            Some((t0, t1)) => {
                // the part continues when this segment starts inside (t0 == 0) where the last one ended
                if t0 > 0.0 && !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                if cur.is_empty() {
                    cur.push(if t0 == 0.0 { a } else { at(t0) });
                }
                cur.push(if t1 == 1.0 { b } else { at(t1) });
                if t1 < 1.0 {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Line parts for a tile: each line clipped to the buffered tile (Liang–Barsky,
/// so a long segment keeps its direction at any zoom), snapped to the grid,
/// repeated points dropped, parts of fewer than two points dropped.
pub fn tile_lines(ml: &MultiLineString<f64>, tp: &TileProj) -> Vec<Vec<(i32, i32)>> {
    let lo = -f64::from(BUFFER);
    let hi = f64::from(EXTENT as i32 + BUFFER);
    let mut out = Vec::new();
    for l in &ml.0 {
        let pts: Vec<(f64, f64)> = l.coords().map(|c| tp.project(*c)).collect();
        for part in clip_line(&pts, lo, hi) {
            let mut snapped: Vec<(i32, i32)> = part.iter().map(|p| (p.0.round() as i32, p.1.round() as i32)).collect();
            snapped.dedup();
            if snapped.len() >= 2 {
                out.push(snapped);
            }
        }
    }
    out
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
    use crate::tiles::grid::valid_tile;

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

    const LO: f64 = -64.0;
    const HI: f64 = 4160.0;

    #[test]
    fn liang_barsky_crossing_the_tile_keeps_the_inside_part() {
        // horizontal line from far left to far right through the middle
        let (t0, t1) = liang_barsky((-1000.0, 2048.0), (5000.0, 2048.0), LO, HI).expect("crosses");
        assert!((t0 - 936.0 / 6000.0).abs() < 1e-12 && (t1 - 5160.0 / 6000.0).abs() < 1e-12);
        // diagonal corner to corner beyond the box
        let (t0, t1) = liang_barsky((-200.0, -200.0), (4400.0, 4400.0), LO, HI).expect("crosses");
        let at = |t: f64| -200.0 + t * 4600.0;
        assert!((at(t0) - LO).abs() < 1e-9 && (at(t1) - HI).abs() < 1e-9);
    }

    #[test]
    fn liang_barsky_outside_parallel_and_on_the_boundary() {
        // wholly outside, beside the box, and diagonally past a corner
        assert_eq!(liang_barsky((-500.0, 10.0), (-100.0, 900.0), LO, HI), None);
        assert_eq!(liang_barsky((-300.0, 4100.0), (0.0, 4400.0), LO, HI), None);
        // parallel to an edge: outside it, inside it, and along it
        assert_eq!(liang_barsky((-100.0, 10.0), (-100.0, 900.0), LO, HI), None);
        assert_eq!(liang_barsky((100.0, 10.0), (100.0, 900.0), LO, HI), Some((0.0, 1.0)));
        assert_eq!(liang_barsky((LO, 10.0), (LO, 900.0), LO, HI), Some((0.0, 1.0)));
        // endpoints on the boundary stay where they are
        assert_eq!(liang_barsky((LO, LO), (HI, HI), LO, HI), Some((0.0, 1.0)));
        // touching a corner from outside is one point
        let (t0, t1) = liang_barsky((LO - 10.0, HI + 10.0), (LO + 10.0, HI - 10.0), LO, HI).expect("touches");
        assert!(t0 <= t1);
    }

    #[test]
    fn a_long_segment_at_z20_keeps_its_direction() {
        // a 2 km road segment in Qingdao; at z20 the tile is ~30 m wide
        let (a, b) = ((120.30, 36.06), (120.32, 36.07));
        let z = 20;
        let mid = geo::Coord { x: 120.31, y: 36.065 };
        let (xs, ys) = crate::tiles::grid::tiles_covering(geo::Rect::new(mid, mid), z);
        let tp = TileProj::new(z, *xs.start(), *ys.start());
        let ml = MultiLineString(vec![geo::LineString::from(vec![a, b])]);
        let parts = tile_lines(&ml, &tp);
        assert_eq!(parts.len(), 1, "{parts:?}");
        let (pa, pb) = (tp.project(a.into()), tp.project(b.into()));
        let want = (pb.1 - pa.1).atan2(pb.0 - pa.0);
        let part = &parts[0];
        let (q0, q1) = (part[0], part[part.len() - 1]);
        let got = f64::from(q1.1 - q0.1).atan2(f64::from(q1.0 - q0.0));
        assert!((got - want).abs() < 0.002, "direction {got} vs {want}");
        for q in part {
            assert!(f64::from(q.0) >= LO && f64::from(q.0) <= HI && f64::from(q.1) >= LO && f64::from(q.1) <= HI, "{q:?}");
        }
        // the line passes through the middle of the tile it was asked for
        let (mx, my) = tp.project(mid);
        assert!((0.0..4096.0).contains(&mx) && (0.0..4096.0).contains(&my));
    }

    #[test]
    fn a_line_leaving_and_coming_back_is_two_parts() {
        let pts = [(100.0, 100.0), (5000.0, 100.0), (5000.0, 200.0), (100.0, 200.0)];
        let parts = clip_line(&pts, LO, HI);
        assert_eq!(parts, vec![vec![(100.0, 100.0), (HI, 100.0)], vec![(HI, 200.0), (100.0, 200.0)]]);
        assert!(clip_line(&[(-500.0, -500.0), (-400.0, 9000.0)], LO, HI).is_empty());
    }
}
