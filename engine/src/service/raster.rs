//! Buffered segments as polygons: capsules rasterised on a bit grid, the outline traced.
//!
//! Method: a grid of square cells (side `cell` metres) over the area, one bit per cell
//! ([`Raster`]), or one byte per cell holding the lowest level whose capsules cover it
//! ([`Levels`]: nested buffers, e.g. the catchments of several thresholds, filled in
//! one pass; the cells at or below a level are that level's bit grid).
//! A capsule (all points within `r` of a segment) is filled row by row: on the row's
//! centre line the capsule is one interval (the union of the two end discs and the
//! slab between them, a convex set), and the cells whose centres fall in it are set as
//! a run of bits. The outline is traced from the cell boundaries: every boundary side
//! between a set and an unset cell is an edge directed with the set cell on its left
//! (horizontal sides merged into runs); edges are linked into rings, turning left at
//! the saddle corners where two set cells touch diagonally (so set regions are
//! 4-connected, holes 8-connected and every ring simple). Counter-clockwise rings are
//! exteriors; each clockwise ring (a hole) goes to the smallest exterior holding the
//! set cell on its left. Collinear vertices are dropped.
//!
//! Tolerance: a cell is in when its centre is within `r` of a segment, so the traced
//! outline lies within half a cell diagonal (`cell·√2/2`) of the exact buffer's boundary
//! (3.5 m for the default 5 m cell). Complexity: O(Σ rows per capsule + boundary) to
//! fill and trace, plus O(holes × exteriors) bounding-box checks to place holes.
//!
//! Reference: the exact buffer (distance to the segments) is the oracle in the tests.

use std::collections::HashMap;

use geo::{Coord, LineString, Polygon};

/// The cells of a grid over a metric rectangle.
#[derive(Debug, Clone, Copy)]
struct Grid {
    x0: f64,
    y0: f64,
    cell: f64,
    w: usize,
    h: usize,
}

impl Grid {
    /// A grid covering `min`..`max` (metres) with a margin of `margin` + one cell.
    fn new(min: Coord<f64>, max: Coord<f64>, margin: f64, cell: f64) -> Grid {
        let x0 = min.x - margin - cell;
        let y0 = min.y - margin - cell;
        let w = (((max.x + margin + cell - x0) / cell).ceil().max(1.0) as usize) + 1;
        let h = (((max.y + margin + cell - y0) / cell).ceil().max(1.0) as usize) + 1;
        Grid { x0, y0, cell, w, h }
    }

    /// Calls `run(j, i0, i1)` for each row `j` with the cells `i0..=i1` whose centres lie
    /// within `r` of the segment `a`–`b` (one interval per row: the capsule is convex).
    #[inline]
    fn capsule_runs(&self, a: Coord<f64>, b: Coord<f64>, r: f64, mut run: impl FnMut(usize, usize, usize)) {
        let c = self.cell;
        let inv_c = 1.0 / c;
        let j_lo = ((a.y.min(b.y) - r - self.y0) * inv_c - 0.5).ceil().max(0.0) as usize;
        let j_hi = ((a.y.max(b.y) + r - self.y0) * inv_c - 0.5).floor();
        if j_hi < 0.0 {
            return;
        }
        let j_hi = (j_hi as usize).min(self.h - 1);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let l2 = dx * dx + dy * dy;
        let rl = r * l2.sqrt();
        let r2 = r * r;
        let (inv_dx, inv_dy) = (1.0 / dx, 1.0 / dy);
        let last = (self.w - 1) as f64;
        for j in j_lo..=j_hi {
            let yc = self.y0 + (j as f64 + 0.5) * c;
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for p in [a, b] {
                let d = yc - p.y;
                if d * d <= r2 {
                    let s = (r2 - d * d).sqrt();
                    lo = lo.min(p.x - s);
                    hi = hi.max(p.x + s);
                }
            }
            if l2 > 0.0 {
                let (mut slo, mut shi) = (f64::NEG_INFINITY, f64::INFINITY);
                let c1 = (yc - a.y) * dy;
                if dx != 0.0 {
                    let (u, v) = (a.x - c1 * inv_dx, a.x + (l2 - c1) * inv_dx);
                    slo = slo.max(u.min(v));
                    shi = shi.min(u.max(v));
                } else if !(0.0..=l2).contains(&c1) {
                    shi = f64::NEG_INFINITY;
                }
                let c2 = (yc - a.y) * dx;
                if dy != 0.0 {
                    let (u, v) = (a.x + (c2 - rl) * inv_dy, a.x + (c2 + rl) * inv_dy);
                    slo = slo.max(u.min(v));
                    shi = shi.min(u.max(v));
                } else if c2.abs() > rl {
                    shi = f64::NEG_INFINITY;
                }
                if slo <= shi {
                    lo = lo.min(slo);
                    hi = hi.max(shi);
                }
            }
            if lo > hi {
                continue;
            }
            // the first and last cell centres in [lo, hi] (ceil and floor by truncation: no libm call per row)
            let tl = (lo - self.x0) * inv_c - 0.5;
            let th = ((hi - self.x0) * inv_c - 0.5).min(last);
            if th < 0.0 {
                continue;
            }
            let i_lo = if tl <= 0.0 {
                0
            } else {
                let k = tl as usize;
                if (k as f64) < tl { k + 1 } else { k }
            };
            let i_hi = th as usize;
            if i_lo <= i_hi {
                run(j, i_lo, i_hi);
            }
        }
    }
}

/// A bit grid over a metric rectangle.
#[derive(Debug, Clone)]
pub struct Raster {
    x0: f64,
    y0: f64,
    cell: f64,
    w: usize,
    h: usize,
    wpr: usize,
    bits: Vec<u64>,
}

/// A byte grid over a metric rectangle: per cell the lowest level filled there (`u8::MAX`: none).
#[derive(Debug, Clone)]
pub struct Levels {
    grid: Grid,
    cells: Vec<u8>,
}

impl Levels {
    /// The highest level a cell can hold (`u8::MAX` marks an empty cell).
    pub const MAX: u8 = u8::MAX - 1;

    /// A grid covering `min`..`max` (metres) with a margin of `margin` + one cell.
    pub fn new(min: Coord<f64>, max: Coord<f64>, margin: f64, cell: f64) -> Levels {
        let grid = Grid::new(min, max, margin, cell);
        Levels { grid, cells: vec![u8::MAX; grid.w * grid.h] }
    }

    /// Lower to `level` every cell whose centre lies within `r` of the segment `a`–`b`.
    pub fn fill_capsule(&mut self, a: Coord<f64>, b: Coord<f64>, r: f64, level: u8) {
        let (grid, cells) = (self.grid, &mut self.cells);
        grid.capsule_runs(a, b, r, |j, i0, i1| {
            for v in &mut cells[j * grid.w + i0..=j * grid.w + i1] {
                *v = (*v).min(level);
            }
        });
    }

    /// The cells at or below `level` as a bit grid.
    pub fn at_most(&self, level: u8) -> Raster {
        let g = self.grid;
        let mut r = Raster::of(g);
        for (j, row) in self.cells.chunks_exact(g.w).enumerate() {
            let out = &mut r.bits[j * r.wpr..(j + 1) * r.wpr];
            for (word, cells) in out.iter_mut().zip(row.chunks(64)) {
                *word = cells.iter().enumerate().fold(0u64, |w, (k, &v)| w | (u64::from(v <= level) << k));
            }
        }
        r
    }
}

#[derive(Debug, Clone, Copy)]
struct Edge {
    from: (u32, u32),
    to: (u32, u32),
    /// 0 +x, 1 +y, 2 −x, 3 −y
    dir: u8,
}

const DIRS: [(i64, i64); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

impl Raster {
    /// A grid covering `min`..`max` (metres) with a margin of `margin` + one cell.
    pub fn new(min: Coord<f64>, max: Coord<f64>, margin: f64, cell: f64) -> Raster {
        Raster::of(Grid::new(min, max, margin, cell))
    }

    fn of(g: Grid) -> Raster {
        let wpr = g.w.div_ceil(64);
        Raster { x0: g.x0, y0: g.y0, cell: g.cell, w: g.w, h: g.h, wpr, bits: vec![0; wpr * g.h] }
    }

    fn grid(&self) -> Grid {
        Grid { x0: self.x0, y0: self.y0, cell: self.cell, w: self.w, h: self.h }
    }

    /// Cells in the grid.
    pub fn cells(&self) -> usize {
        self.w * self.h
    }

    pub fn get(&self, i: i64, j: i64) -> bool {
        if i < 0 || j < 0 || i as usize >= self.w || j as usize >= self.h {
            return false;
        }
        let (i, j) = (i as usize, j as usize);
        self.bits[j * self.wpr + i / 64] >> (i % 64) & 1 == 1
    }

    /// Whether the cell holding a metric point is set.
    pub fn contains(&self, p: Coord<f64>) -> bool {
        self.get(((p.x - self.x0) / self.cell).floor() as i64, ((p.y - self.y0) / self.cell).floor() as i64)
    }

    #[cfg(test)]
    fn fill_run(&mut self, j: usize, i0: usize, i1: usize) {
        fill_run(&mut self.bits[j * self.wpr..(j + 1) * self.wpr], i0, i1);
    }

    /// Set every cell whose centre lies within `r` of the segment `a`–`b`.
    pub fn fill_capsule(&mut self, a: Coord<f64>, b: Coord<f64>, r: f64) {
        let (grid, wpr, bits) = (self.grid(), self.wpr, &mut self.bits);
        grid.capsule_runs(a, b, r, |j, i0, i1| fill_run(&mut bits[j * wpr..(j + 1) * wpr], i0, i1));
    }

    fn row(&self, j: i64) -> &[u64] {
        if j < 0 || j as usize >= self.h { &[] } else { &self.bits[j as usize * self.wpr..(j as usize + 1) * self.wpr] }
    }

    fn edges(&self) -> Vec<Edge> {
        let mut edges = Vec::new();
        // horizontal sides on grid line y = j, merged into runs
        for j in 0..=self.h as i64 {
            let (below, above) = (self.row(j - 1), self.row(j));
            for (dir, pick) in [(0u8, true), (2u8, false)] {
                let mut run: Option<(u32, u32)> = None;
                for k in 0..self.wpr {
                    let (b, a) = (below.get(k).copied().unwrap_or(0), above.get(k).copied().unwrap_or(0));
                    let mut m = if pick { a & !b } else { b & !a };
                    while m != 0 {
                        let i = (k * 64 + m.trailing_zeros() as usize) as u32;
                        m &= m - 1;
                        run = match run {
                            Some((s, e)) if e + 1 == i => Some((s, i)),
                            Some((s, e)) => {
                                edges.push(h_edge(s, e, j as u32, dir));
                                Some((i, i))
                            }
                            None => Some((i, i)),
                        };
                    }
                }
                if let Some((s, e)) = run {
                    edges.push(h_edge(s, e, j as u32, dir));
                }
            }
        }
        // vertical sides on grid line x = i in row j (unit edges)
        for j in 0..self.h {
            let row = self.row(j as i64);
            let mut carry = 0u64;
            for (k, &word) in row.iter().enumerate() {
                let prev = word << 1 | carry; // bit i: cell i-1
                carry = word >> 63;
                let mut m = word ^ prev;
                while m != 0 {
                    let b = m.trailing_zeros();
                    m &= m - 1;
                    let i = (k * 64) as u32 + b;
                    let j = j as u32;
                    if word >> b & 1 == 1 {
                        edges.push(Edge { from: (i, j + 1), to: (i, j), dir: 3 });
                    } else {
                        edges.push(Edge { from: (i, j), to: (i, j + 1), dir: 1 });
                    }
                }
            }
            if carry == 1 {
                // the last cell of the row is set (cannot happen with the margin, kept for safety)
                let i = (self.wpr * 64) as u32;
                edges.push(Edge { from: (i, j as u32), to: (i, j as u32 + 1), dir: 1 });
            }
        }
        edges
    }

    /// The set cells' outline as polygons in metres.
    pub fn outline(&self) -> Vec<Polygon<f64>> {
        let edges = self.edges();
        let key = |v: (u32, u32)| (v.0 as u64) << 32 | v.1 as u64;
        let mut out: HashMap<u64, [u32; 2]> = HashMap::with_capacity(edges.len());
        for (n, e) in edges.iter().enumerate() {
            let slot = out.entry(key(e.from)).or_insert([u32::MAX; 2]);
            if slot[0] == u32::MAX { slot[0] = n as u32 } else { slot[1] = n as u32 }
        }
        let mut used = vec![false; edges.len()];
        let mut rings: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut seq: Vec<u32> = Vec::new();
        for start in 0..edges.len() {
            if used[start] {
                continue;
            }
            seq.clear();
            let mut cur = start as u32;
            loop {
                used[cur as usize] = true;
                seq.push(cur);
                let e = edges[cur as usize];
                let Some(&[o0, o1]) = out.get(&key(e.to)) else { break };
                let left = (e.dir + 1) % 4;
                let next = if o1 == u32::MAX || edges[o0 as usize].dir == left { o0 } else { o1 };
                if next as usize == start || used[next as usize] {
                    break;
                }
                cur = next;
            }
            let n = seq.len();
            let ring: Vec<(u32, u32)> = (0..n)
                .filter(|&k| edges[seq[k] as usize].dir != edges[seq[(k + n - 1) % n] as usize].dir)
                .map(|k| edges[seq[k] as usize].from)
                .collect();
            if ring.len() >= 4 {
                rings.push(ring);
            }
        }
        self.assemble(rings)
    }

    fn assemble(&self, rings: Vec<Vec<(u32, u32)>>) -> Vec<Polygon<f64>> {
        let area2 = |r: &[(u32, u32)]| -> f64 {
            let n = r.len();
            (0..n).map(|k| r[k].0 as f64 * r[(k + 1) % n].1 as f64 - r[(k + 1) % n].0 as f64 * r[k].1 as f64).sum()
        };
        let (mut outers, mut holes) = (Vec::new(), Vec::new());
        for r in rings {
            let a = area2(&r);
            if a > 0.0 { outers.push((a, bbox(&r), r)) } else { holes.push(r) }
        }
        let mut owned: Vec<Vec<Vec<(u32, u32)>>> = vec![Vec::new(); outers.len()];
        for h in holes {
            // the set cell left of the hole's first edge (its direction from the first two corners)
            let (p, q) = (h[0], h[1]);
            let d = ((q.0 as i64 - p.0 as i64).signum(), (q.1 as i64 - p.1 as i64).signum());
            let dir = DIRS.iter().position(|&x| x == d).unwrap_or(0);
            let (lx, ly) = DIRS[(dir + 1) % 4];
            let t = (p.0 as f64 + 0.5 * d.0 as f64 + 0.5 * lx as f64, p.1 as f64 + 0.5 * d.1 as f64 + 0.5 * ly as f64);
            let best = outers
                .iter()
                .enumerate()
                .filter(|(_, (_, b, r))| t.0 > b.0 && t.0 < b.2 && t.1 > b.1 && t.1 < b.3 && inside(t, r))
                .min_by(|x, y| x.1.0.total_cmp(&y.1.0))
                .map(|(k, _)| k);
            if let Some(k) = best {
                owned[k].push(h);
            }
        }
        let to_ls = |r: &[(u32, u32)]| {
            LineString(
                r.iter()
                    .chain(r.first())
                    .map(|&(i, j)| Coord { x: self.x0 + i as f64 * self.cell, y: self.y0 + j as f64 * self.cell })
                    .collect(),
            )
        };
        outers.iter().zip(owned).map(|((_, _, r), hs)| Polygon::new(to_ls(r), hs.iter().map(|h| to_ls(h)).collect())).collect()
    }
}

/// Set the bits `i0..=i1` of a row of words.
fn fill_run(row: &mut [u64], i0: usize, i1: usize) {
    let (w0, w1) = (i0 / 64, i1 / 64);
    for (k, word) in row.iter_mut().enumerate().take(w1 + 1).skip(w0) {
        let lo = if k == w0 { i0 % 64 } else { 0 };
        let hi = if k == w1 { i1 % 64 } else { 63 };
        *word |= (u64::MAX >> (63 - hi)) & (u64::MAX << lo);
    }
}

fn h_edge(s: u32, e: u32, j: u32, dir: u8) -> Edge {
    if dir == 0 { Edge { from: (s, j), to: (e + 1, j), dir } } else { Edge { from: (e + 1, j), to: (s, j), dir } }
}

fn bbox(r: &[(u32, u32)]) -> (f64, f64, f64, f64) {
    r.iter().fold((f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY), |b, &(x, y)| {
        (b.0.min(x as f64), b.1.min(y as f64), b.2.max(x as f64), b.3.max(y as f64))
    })
}

/// Even–odd crossing test; `t` is a cell centre (half-integers), never on a ring.
fn inside(t: (f64, f64), r: &[(u32, u32)]) -> bool {
    let n = r.len();
    let mut c = false;
    for k in 0..n {
        let (a, b) = (r[k], r[(k + 1) % n]);
        let (ay, by) = (a.1 as f64, b.1 as f64);
        if (ay > t.1) != (by > t.1) {
            let x = a.0 as f64 + (t.1 - ay) / (by - ay) * (b.0 as f64 - a.0 as f64);
            if t.0 < x {
                c = !c;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, Contains, Point};

    fn seg_dist(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let l2 = dx * dx + dy * dy;
        let t = if l2 > 0.0 { (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
        (p.x - a.x - t * dx).hypot(p.y - a.y - t * dy)
    }

    #[test]
    fn capsule_cells_are_exactly_the_centres_within_r() {
        let segs = [
            (Coord { x: 3.0, y: 7.0 }, Coord { x: 91.0, y: 40.0 }),
            (Coord { x: 50.0, y: 90.0 }, Coord { x: 50.0, y: 10.0 }),
            (Coord { x: 20.0, y: 60.0 }, Coord { x: 20.0, y: 60.0 }),
        ];
        let mut r = Raster::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 100.0 }, 12.0, 2.0);
        for &(a, b) in &segs {
            r.fill_capsule(a, b, 9.5);
        }
        for j in 0..r.h as i64 {
            for i in 0..r.w as i64 {
                let c = Coord { x: r.x0 + (i as f64 + 0.5) * r.cell, y: r.y0 + (j as f64 + 0.5) * r.cell };
                let want = segs.iter().any(|&(a, b)| seg_dist(c, a, b) <= 9.5);
                // cells within 1e-9 of the boundary may go either way
                let near = segs.iter().any(|&(a, b)| (seg_dist(c, a, b) - 9.5).abs() < 1e-9);
                assert!(near || r.get(i, j) == want, "cell {i},{j}");
            }
        }
    }

    #[test]
    fn outline_area_equals_set_cells_and_holes_are_kept() {
        // a square ring of segments leaves a hole in the middle; a separate dot far away
        let mut r = Raster::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 300.0, y: 100.0 }, 10.0, 1.0);
        let sq = [(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0), (0.0, 0.0)];
        for w in sq.windows(2) {
            r.fill_capsule(Coord { x: w[0].0, y: w[0].1 }, Coord { x: w[1].0, y: w[1].1 }, 5.0);
        }
        r.fill_capsule(Coord { x: 250.0, y: 50.0 }, Coord { x: 250.0, y: 50.0 }, 5.0);
        let polys = r.outline();
        assert_eq!(polys.len(), 2);
        let set = r.bits.iter().map(|w| w.count_ones() as f64).sum::<f64>();
        let area: f64 = polys.iter().map(|p| p.unsigned_area()).sum();
        assert!((area - set).abs() < 1e-6, "{area} vs {set}");
        let ring = polys.iter().find(|p| !p.interiors().is_empty()).expect("the ring has a hole");
        assert!(!ring.contains(&Point::new(50.0, 50.0)) && ring.contains(&Point::new(50.0, 1.0)));
    }

    #[test]
    fn levels_at_or_below_are_the_capsules_of_those_levels() {
        let segs = [
            (Coord { x: 3.0, y: 7.0 }, Coord { x: 91.0, y: 40.0 }, 2u8),
            (Coord { x: 50.0, y: 90.0 }, Coord { x: 50.0, y: 10.0 }, 0),
            (Coord { x: 20.0, y: 60.0 }, Coord { x: 20.0, y: 60.0 }, 1),
            (Coord { x: 80.0, y: 80.0 }, Coord { x: 10.0, y: 95.0 }, 1),
        ];
        let (min, max) = (Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 100.0 });
        let mut levels = Levels::new(min, max, 12.0, 1.5);
        for &(a, b, l) in &segs {
            levels.fill_capsule(a, b, 9.5, l);
        }
        for level in 0..3u8 {
            let mut want = Raster::new(min, max, 12.0, 1.5);
            for &(a, b, l) in &segs {
                if l <= level {
                    want.fill_capsule(a, b, 9.5);
                }
            }
            let got = levels.at_most(level);
            assert_eq!(got.bits, want.bits, "level {level}");
            assert!(got.bits.iter().any(|&w| w != 0));
        }
    }

    #[test]
    fn diagonal_touching_cells_are_two_polygons() {
        let mut r = Raster::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 4.0, y: 4.0 }, 0.0, 1.0);
        r.fill_run(2, 2, 2);
        r.fill_run(3, 3, 3);
        let polys = r.outline();
        assert_eq!(polys.len(), 2);
        assert!(polys.iter().all(|p| (p.unsigned_area() - 1.0).abs() < 1e-9 && p.exterior().0.len() == 5));
        assert!(Raster::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 4.0, y: 4.0 }, 0.0, 1.0).outline().is_empty());
    }
}
