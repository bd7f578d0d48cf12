//! The neighbour graph of units, robust to digitising noise.
//!
//! Method: all rings are projected to one local metric projection and cut
//! into segments, which are bucketed (a counting sort) into the cells of a
//! uniform grid (cells about three segments long, at least 4·t) that their
//! boxes grown by `t` meet. Each pair of segments of different units is tested
//! once, in the cell holding the low corner of their common box; the cells are
//! split over the machine's cores. Two segments with the same two ends (the
//! common case of digitised neighbours) share their whole length. Otherwise,
//! for a pair of segments of units A and B, the part of A's segment lying
//! within `t` of B's is computed exactly (a line meets the capsule around a
//! segment in one interval: the union of its meets with the rectangle and
//! the two end disks); any segment within `t` marks a contact. Towards the
//! shared length count only the parts of A's segments that face a segment of
//! B (the rectangle, not the end disks) running within 30° of them, so that
//! the edges meeting a shared edge at its ends do not add 2·t to it. The
//! union of those intervals, per segment and per neighbour, gives the length
//! of A's boundary within `t` of B's; the shared length of the pair is the
//! mean of the two directions. A pair sharing at least `min_shared_m` is a
//! rook (edge) neighbour, a pair in contact over less is a queen (corner)
//! neighbour. O(s + s·k) for s segments with k candidates per cell.

use geo::{BoundingRect, MultiPolygon};
use serde::Serialize;

use crate::geometry::projection::LocalProjection;

/// Settings of the neighbour search.
#[derive(Debug, Clone, Copy)]
pub struct AdjacencyOptions {
    /// Boundaries closer than this (metres) count as touching.
    pub tolerance_m: f64,
    /// Shared length (metres) from which a contact is an edge (rook), not a corner (queen).
    pub min_shared_m: f64,
}

impl Default for AdjacencyOptions {
    fn default() -> Self {
        AdjacencyOptions { tolerance_m: 2.0, min_shared_m: 1.0 }
    }
}

/// How two units touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Contact {
    /// Along an edge of at least the minimum shared length.
    Rook,
    /// At a corner or over less than the minimum shared length.
    Queen,
}

/// One neighbouring pair (`a < b`, indices into the input).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Neighbour {
    pub a: usize,
    pub b: usize,
    /// Length of boundary the two share, in metres (mean of both directions).
    pub shared_m: f64,
    pub contact: Contact,
}

/// The neighbour graph.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Adjacency {
    pub pairs: Vec<Neighbour>,
    /// Units with no neighbour at all.
    pub isolated: Vec<usize>,
}

/// The interval of `t ∈ [0, 1]` where `p0 + t·(p1 − p0)` is within `r` of the
/// segment `q0 q1`, if any.
pub fn near_interval(p0: [f64; 2], p1: [f64; 2], q0: [f64; 2], q1: [f64; 2], r: f64) -> Option<(f64, f64)> {
    capsule_interval(p0, p1, q0, q1, r, true)
}

/// The interval of `t` where the point faces the segment `q0 q1` (projects
/// onto it) within `r`: the capsule without its end disks.
pub fn facing_interval(p0: [f64; 2], p1: [f64; 2], q0: [f64; 2], q1: [f64; 2], r: f64) -> Option<(f64, f64)> {
    capsule_interval(p0, p1, q0, q1, r, false)
}

fn capsule_interval(p0: [f64; 2], p1: [f64; 2], q0: [f64; 2], q1: [f64; 2], r: f64, disks: bool) -> Option<(f64, f64)> {
    let d = [p1[0] - p0[0], p1[1] - p0[1]];
    let dd = d[0] * d[0] + d[1] * d[1];
    if dd == 0.0 {
        return None;
    }
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    let mut take = |a: f64, b: f64| {
        if a <= b {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    };
    // the two end disks
    let ends = [q0, q1];
    for q in &ends[..if disks { 2 } else { 0 }] {
        let w = [p0[0] - q[0], p0[1] - q[1]];
        let b = 2.0 * (d[0] * w[0] + d[1] * w[1]);
        let c = w[0] * w[0] + w[1] * w[1] - r * r;
        let disc = b * b - 4.0 * dd * c;
        if disc >= 0.0 {
            let s = disc.sqrt();
            take((-b - s) / (2.0 * dd), (-b + s) / (2.0 * dd));
        }
    }
    // the rectangle around the segment
    let e = [q1[0] - q0[0], q1[1] - q0[1]];
    let len = (e[0] * e[0] + e[1] * e[1]).sqrt();
    if len > 0.0 {
        let u = [e[0] / len, e[1] / len];
        let n = [-u[1], u[0]];
        let w = [p0[0] - q0[0], p0[1] - q0[1]];
        let (f0, f1) = (u[0] * w[0] + u[1] * w[1], u[0] * d[0] + u[1] * d[1]);
        let (g0, g1) = (n[0] * w[0] + n[1] * w[1], n[0] * d[0] + n[1] * d[1]);
        // f0 + t·f1 ∈ [0, len] and g0 + t·g1 ∈ [−r, r]
        let slab = |v0: f64, v1: f64, a: f64, b: f64| -> Option<(f64, f64)> {
            if v1 == 0.0 {
                return (v0 >= a && v0 <= b).then_some((f64::NEG_INFINITY, f64::INFINITY));
            }
            let (t0, t1) = ((a - v0) / v1, (b - v0) / v1);
            Some((t0.min(t1), t0.max(t1)))
        };
        if let (Some(x), Some(y)) = (slab(f0, f1, 0.0, len), slab(g0, g1, -r, r)) {
            take(x.0.max(y.0), x.1.min(y.1));
        }
    }
    let (lo, hi) = (lo.max(0.0), hi.min(1.0));
    (lo <= hi).then_some((lo, hi))
}

/// The neighbour graph of the given (lon/lat) polygons.
pub fn adjacency(geoms: &[&MultiPolygon<f64>], opts: &AdjacencyOptions) -> Adjacency {
    let Some(bb) = geoms.iter().filter_map(|g| g.bounding_rect()).reduce(crate::geometry::index::rect_union) else {
        return Adjacency { pairs: Vec::new(), isolated: (0..geoms.len()).collect() };
    };
    let proj = LocalProjection::for_rect(bb);
    let t = opts.tolerance_m.max(0.0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let threads = if geoms.len() < 2_000 { 1 } else { threads };
    let segs = Segments::of(geoms, &proj, threads);
    if segs.ends.is_empty() {
        return Adjacency { pairs: Vec::new(), isolated: (0..geoms.len()).collect() };
    }
    let grid = CellGrid::new(&segs, t, threads);
    // split the cells into runs of about equal numbers of entries
    let total = grid.entries_before(grid.cells());
    let mut bounds = vec![0usize];
    for k in 1..threads {
        let want = total * k / threads;
        // the first cell with at least `want` entries before it
        let (mut a, mut b) = (*bounds.last().unwrap_or(&0), grid.cells());
        while a < b {
            let m = (a + b) / 2;
            if grid.entries_before(m) < want { a = m + 1 } else { b = m }
        }
        bounds.push(a);
    }
    bounds.push(grid.cells());
    let parts: Vec<PairScan> = std::thread::scope(|s| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (c0, c1) = (w[0], w[1]);
                let (segs, grid) = (&segs, &grid);
                s.spawn(move || scan_cells(segs, grid, c0, c1, t, geoms.len()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    // merge: contacts, segments fully covered by a twin, and the other facing parts
    let mut near: Vec<Vec<(u32, f64)>> = vec![Vec::new(); geoms.len()];
    let mut full = vec![NONE; segs.ends.len()];
    let mut hits: Vec<(u32, u32, f64, f64)> = Vec::new();
    for p in parts {
        for (a, list) in p.near.into_iter().enumerate() {
            for (b, ()) in list {
                slot(&mut near, a as u32, b);
            }
        }
        for (i, b) in p.twins {
            let f = &mut full[i as usize];
            if *f == NONE || *f == b {
                *f = b;
            } else {
                hits.push((i, b, 0.0, 1.0));
            }
        }
        hits.extend(p.hits);
    }
    for (i, &b) in full.iter().enumerate() {
        if b != NONE {
            let o = segs.owner[i];
            let k = slot(&mut near, o, b);
            near[o.min(b) as usize][k].1 += segs.len(i) / 2.0;
        }
    }
    // the other facing parts: per segment and neighbour, the union of the intervals
    hits.retain(|h| full[h.0 as usize] != h.1);
    hits.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.total_cmp(&y.2)));
    let mut k = 0;
    while k < hits.len() {
        let (i, b) = (hits[k].0, hits[k].1);
        let (mut lo, mut hi) = (hits[k].2, hits[k].3);
        let mut covered = 0.0;
        while k < hits.len() && hits[k].0 == i && hits[k].1 == b {
            if hits[k].2 > hi {
                covered += hi - lo;
                lo = hits[k].2;
                hi = hits[k].3;
            } else {
                hi = hi.max(hits[k].3);
            }
            k += 1;
        }
        covered += hi - lo;
        let o = segs.owner[i as usize];
        let p = slot(&mut near, o, b);
        near[o.min(b) as usize][p].1 += covered * segs.len(i as usize) / 2.0;
    }
    let mut out: Vec<Neighbour> = near
        .iter()
        .enumerate()
        .flat_map(|(a, list)| {
            list.iter().map(move |&(b, shared)| Neighbour {
                a,
                b: b as usize,
                shared_m: shared,
                contact: if shared >= opts.min_shared_m { Contact::Rook } else { Contact::Queen },
            })
        })
        .collect();
    out.sort_by_key(|n| (n.a, n.b));
    let mut has = vec![false; geoms.len()];
    for n in &out {
        has[n.a] = true;
        has[n.b] = true;
    }
    Adjacency { pairs: out, isolated: (0..geoms.len()).filter(|&i| !has[i]).collect() }
}

const NONE: u32 = u32::MAX;

/// The position of the pair (a, b) in the neighbour list of the lower one, added if new.
fn slot<T: Default>(near: &mut [Vec<(u32, T)>], a: u32, b: u32) -> usize {
    let (lo, hi) = (a.min(b), a.max(b));
    let list = &mut near[lo as usize];
    match list.iter().position(|x| x.0 == hi) {
        Some(p) => p,
        None => {
            list.push((hi, T::default()));
            list.len() - 1
        }
    }
}

/// All ring segments in metres, with the unit each belongs to.
struct Segments {
    ends: Vec<[f64; 4]>,
    owner: Vec<u32>,
}

impl Segments {
    fn of(geoms: &[&MultiPolygon<f64>], proj: &LocalProjection, threads: usize) -> Segments {
        let chunk = geoms.len().div_ceil(threads.max(1)).max(1);
        let parts: Vec<Segments> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..geoms.len())
                .step_by(chunk)
                .map(|a| s.spawn(move || Segments::of_range(geoms, proj, a..(a + chunk).min(geoms.len()))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        let mut all = Segments { ends: Vec::new(), owner: Vec::new() };
        for p in parts {
            all.ends.extend(p.ends);
            all.owner.extend(p.owner);
        }
        all
    }

    fn of_range(geoms: &[&MultiPolygon<f64>], proj: &LocalProjection, units: std::ops::Range<usize>) -> Segments {
        let mut ends = Vec::new();
        let mut owner = Vec::new();
        for u in units {
            for p in &geoms[u].0 {
                for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                    let mut prev: Option<[f64; 2]> = None;
                    for c in ring.coords() {
                        let m = proj.project(*c);
                        let q = [m.x, m.y];
                        if let Some(p0) = prev
                            && p0 != q
                        {
                            ends.push([p0[0], p0[1], q[0], q[1]]);
                            owner.push(u as u32);
                        }
                        prev = Some(q);
                    }
                }
            }
        }
        Segments { ends, owner }
    }

    fn len(&self, i: usize) -> f64 {
        let s = self.ends[i];
        let (dx, dy) = (s[2] - s[0], s[3] - s[1]);
        (dx * dx + dy * dy).sqrt()
    }

    /// The box of segment i grown by t.
    fn grown(&self, i: usize, t: f64) -> [f64; 4] {
        let s = self.ends[i];
        [s[0].min(s[2]) - t, s[1].min(s[3]) - t, s[0].max(s[2]) + t, s[1].max(s[3]) + t]
    }
}

/// A uniform grid of square cells listing the segments whose grown boxes
/// meet them, bucketed by a counting sort. The segments are split into
/// contiguous parts (one per thread), each bucketed on its own: the segments
/// of part k in cell c are `parts[k].1[parts[k].0[c]..parts[k].0[c + 1]]`.
struct CellGrid {
    origin: [f64; 2],
    size: f64,
    nx: usize,
    ny: usize,
    parts: Vec<(Vec<u32>, Vec<u32>)>,
}

impl CellGrid {
    fn new(segs: &Segments, t: f64, threads: usize) -> CellGrid {
        let ends = &segs.ends;
        let n = ends.len();
        let mean_len = (0..n).map(|i| segs.len(i)).sum::<f64>() / n as f64;
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for s in ends {
            lo = [lo[0].min(s[0]).min(s[2]), lo[1].min(s[1]).min(s[3])];
            hi = [hi[0].max(s[0]).max(s[2]), hi[1].max(s[1]).max(s[3])];
        }
        let margin = 2.0 * t + 1.0;
        let (w, h) = (hi[0] - lo[0] + 2.0 * margin, hi[1] - lo[1] + 2.0 * margin);
        // cells about three segments long, at least 4·t, and no more cells than 2 per segment
        let size = (3.0 * mean_len).max(4.0 * t).max((w * h / (2.0 * n as f64)).sqrt()).max(1e-6);
        let (nx, ny) = ((w / size) as usize + 1, (h / size) as usize + 1);
        let mut grid = CellGrid { origin: [lo[0] - margin, lo[1] - margin], size, nx, ny, parts: Vec::new() };
        let chunk = n.div_ceil(threads.max(1));
        let g = &grid;
        grid.parts = std::thread::scope(|s| {
            let handles: Vec<_> = (0..n).step_by(chunk.max(1)).map(|a| s.spawn(move || g.bucket(segs, a..(a + chunk).min(n), t))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        });
        grid
    }

    /// Counting sort of the segments in `range` into the cells their grown boxes meet.
    fn bucket(&self, segs: &Segments, range: std::ops::Range<usize>, t: f64) -> (Vec<u32>, Vec<u32>) {
        let cells = |i: usize| {
            let b = segs.grown(i, t);
            let ((x0, y0), (x1, y1)) = (self.cell_xy(b[0], b[1]), self.cell_xy(b[2], b[3]));
            (y0..=y1).flat_map(move |y| (x0..=x1).map(move |x| y * self.nx + x))
        };
        let mut start = vec![0u32; self.cells() + 1];
        for i in range.clone() {
            for c in cells(i) {
                start[c + 1] += 1;
            }
        }
        for c in 1..start.len() {
            start[c] += start[c - 1];
        }
        let mut fill = start.clone();
        let mut order = vec![0u32; start[self.cells()] as usize];
        for i in range {
            for c in cells(i) {
                order[fill[c] as usize] = i as u32;
                fill[c] += 1;
            }
        }
        (start, order)
    }

    fn cells(&self) -> usize {
        self.nx * self.ny
    }

    /// Entries in the cells before cell c.
    fn entries_before(&self, c: usize) -> usize {
        self.parts.iter().map(|p| p.0[c] as usize).sum()
    }

    /// The segments listed in cell c, into `run`.
    fn run(&self, c: usize, run: &mut Vec<u32>) {
        run.clear();
        for (start, order) in &self.parts {
            run.extend_from_slice(&order[start[c] as usize..start[c + 1] as usize]);
        }
    }

    fn cell_xy(&self, x: f64, y: f64) -> (usize, usize) {
        let cx = ((x - self.origin[0]) / self.size).max(0.0) as usize;
        let cy = ((y - self.origin[1]) / self.size).max(0.0) as usize;
        (cx.min(self.nx - 1), cy.min(self.ny - 1))
    }
}

/// What one thread found in its cells.
struct PairScan {
    /// Neighbours by the lower unit of each pair.
    near: Vec<Vec<(u32, ())>>,
    /// (segment, unit) where a segment of that unit has the same two ends.
    twins: Vec<(u32, u32)>,
    /// (segment, unit, lo, hi): the part of the segment facing a segment of that unit.
    hits: Vec<(u32, u32, f64, f64)>,
}

fn scan_cells(segs: &Segments, grid: &CellGrid, c0: usize, c1: usize, t: f64, units: usize) -> PairScan {
    let mut out = PairScan { near: vec![Vec::new(); units], twins: Vec::new(), hits: Vec::new() };
    let mut last = (NONE, NONE);
    let mut run = Vec::new();
    for c in c0..c1 {
        grid.run(c, &mut run);
        for (x, &i) in run.iter().enumerate() {
            let (iu, oi) = (i as usize, segs.owner[i as usize]);
            let gi = segs.grown(iu, t);
            let si = segs.ends[iu];
            for &j in &run[x + 1..] {
                let (ju, oj) = (j as usize, segs.owner[j as usize]);
                if oi == oj {
                    continue;
                }
                let gj = segs.grown(ju, t);
                let lo = [gi[0].max(gj[0]), gi[1].max(gj[1])];
                if lo[0] > gi[2].min(gj[2]) || lo[1] > gi[3].min(gj[3]) {
                    continue;
                }
                // test each pair once: in the cell holding the low corner of the common box
                let (cx, cy) = grid.cell_xy(lo[0], lo[1]);
                if cy * grid.nx + cx != c {
                    continue;
                }
                let sj = segs.ends[ju];
                let twin = (si[0] == sj[2] && si[1] == sj[3] && si[2] == sj[0] && si[3] == sj[1]) || si == sj;
                if !twin && near_interval([si[0], si[1]], [si[2], si[3]], [sj[0], sj[1]], [sj[2], sj[3]], t).is_none() {
                    continue;
                }
                if last != (oi.min(oj), oi.max(oj)) {
                    last = (oi.min(oj), oi.max(oj));
                    slot(&mut out.near, oi, oj);
                }
                if twin {
                    out.twins.push((i, oj));
                    out.twins.push((j, oi));
                    continue;
                }
                let (p0, p1, q0, q1) = ([si[0], si[1]], [si[2], si[3]], [sj[0], sj[1]], [sj[2], sj[3]]);
                let (dp, dq) = ([p1[0] - p0[0], p1[1] - p0[1]], [q1[0] - q0[0], q1[1] - q0[1]]);
                // within 30° of parallel: cos² ≥ 3/4
                let dot = dp[0] * dq[0] + dp[1] * dq[1];
                if 4.0 * dot * dot < 3.0 * (dp[0] * dp[0] + dp[1] * dp[1]) * (dq[0] * dq[0] + dq[1] * dq[1]) {
                    continue;
                }
                if let Some((l, h)) = facing_interval(p0, p1, q0, q1, t)
                    && h > l
                {
                    out.hits.push((i, oj, l, h));
                }
                if let Some((l, h)) = facing_interval(q0, q1, p0, p1, t)
                    && h > l
                {
                    out.hits.push((j, oi, l, h));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{LatticeSpec, lattice_units};

    fn square(x0: f64, y0: f64, w: f64) -> MultiPolygon<f64> {
        // metres around (120.4, 36.06) → lon/lat
        let p = LocalProjection::new(120.4, 36.06);
        let c = |x: f64, y: f64| p.unproject(geo::Coord { x, y });
        MultiPolygon(vec![geo::Polygon::new(vec![c(x0, y0), c(x0 + w, y0), c(x0 + w, y0 + w), c(x0, y0 + w), c(x0, y0)].into(), vec![])])
    }

    #[test]
    fn interval_of_a_segment_near_another() {
        // parallel at distance 1, overlapping over x ∈ [5, 10] of a 0..10 segment
        let i = near_interval([0.0, 1.0], [10.0, 1.0], [5.0, 0.0], [15.0, 0.0], 2.0).expect("near");
        // within 2 of the other segment from x = 5 − √3 (the end disk) to 10
        assert!((i.0 - (5.0 - 3f64.sqrt()) / 10.0).abs() < 1e-12 && (i.1 - 1.0).abs() < 1e-12, "{i:?}");
        assert_eq!(near_interval([0.0, 3.0], [10.0, 3.0], [0.0, 0.0], [10.0, 0.0], 2.0), None);
        // crossing at a right angle: within 2 for t ∈ [0.3, 0.7]
        let i = near_interval([5.0, -5.0], [5.0, 5.0], [0.0, 0.0], [10.0, 0.0], 2.0).expect("near");
        assert!((i.0 - 0.3).abs() < 1e-12 && (i.1 - 0.7).abs() < 1e-12, "{i:?}");
    }

    #[test]
    fn edges_corners_gaps_and_islands() {
        let g = [
            square(0.0, 0.0, 100.0),
            square(100.0, 0.0, 100.0),   // shares 100 m with 0
            square(200.0, 100.0, 100.0), // touches 1 at a corner
            square(0.0, 101.0, 100.0),   // 1 m gap above 0: still an edge neighbour at 2 m tolerance
            square(500.0, 500.0, 10.0),  // island
        ];
        let refs: Vec<&MultiPolygon<f64>> = g.iter().collect();
        let a = adjacency(&refs, &AdjacencyOptions::default());
        let find = |x: usize, y: usize| a.pairs.iter().find(|n| n.a == x && n.b == y).cloned();
        let e01 = find(0, 1).expect("0-1");
        assert_eq!(e01.contact, Contact::Rook);
        assert!((e01.shared_m - 100.0).abs() < 0.2, "{}", e01.shared_m);
        assert_eq!(find(1, 2).expect("1-2").contact, Contact::Queen);
        let e03 = find(0, 3).expect("0-3");
        assert!((e03.shared_m - 100.0).abs() < 2.0, "{}", e03.shared_m);
        assert_eq!(a.isolated, vec![4]);
        // a wider gap than the tolerance separates
        let tight = adjacency(&refs, &AdjacencyOptions { tolerance_m: 0.5, min_shared_m: 1.0 });
        assert!(!tight.pairs.iter().any(|n| (n.a, n.b) == (0, 3)));
    }

    #[test]
    fn brick_lattice_has_six_neighbours_inside() {
        let units = lattice_units(&LatticeSpec { cols: 8, rows: 6, cell_m: 200.0, densify: 14, seed: 4, origin: (120.3, 36.0) });
        let refs: Vec<&MultiPolygon<f64>> = units.iter().map(|u| &u.geometry).collect();
        let a = adjacency(&refs, &AdjacencyOptions::default());
        let mut degree = vec![0; units.len()];
        for n in a.pairs.iter().filter(|n| n.contact == Contact::Rook) {
            degree[n.a] += 1;
            degree[n.b] += 1;
        }
        // interior cells of a brick lattice touch 6 others along edges
        for j in 1..5 {
            for i in 1..7 {
                assert_eq!(degree[j * 8 + i], 6, "cell {i},{j}");
            }
        }
    }
}
