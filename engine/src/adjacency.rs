//! The neighbour graph of units, robust to digitising noise.
//!
//! Method: all rings are projected to one local metric projection and cut
//! into segments, which are listed in the cells of a uniform grid (cells
//! about three segments long, at least 4·t) that their boxes grown by `t` meet;
//! sorting the (cell, segment) list brings candidates together, and each
//! pair of segments of different units is tested once, in the cell holding
//! the low corner of their common box. For each such pair of
//! unit B the part of A's segment lying within `t` of it is computed exactly
//! (a line meets the capsule around B's segment in one interval: the union of
//! its meets with the rectangle and the two end disks); any segment within `t`
//! marks a contact. Towards the shared length count only the parts of A's
//! segments that face a segment of B (the rectangle, not the end disks)
//! running within 30° of them, so that the edges meeting a shared edge at its
//! ends do not add 2·t to it. The union of those
//! intervals, per segment and per neighbour, gives the length of A's boundary
//! within `t` of B's; the shared length of the pair is the mean of the two
//! directions. A pair sharing at least `min_shared_m` is a rook (edge)
//! neighbour, a pair in contact over less is a queen (corner) neighbour.
//! O(s log s + s·k) for s segments with k candidates per cell.

use geo::{BoundingRect, MultiPolygon};
use serde::Serialize;

use crate::projection::LocalProjection;

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
    let Some(bb) = geoms.iter().filter_map(|g| g.bounding_rect()).reduce(crate::index::rect_union) else {
        return Adjacency { pairs: Vec::new(), isolated: (0..geoms.len()).collect() };
    };
    let proj = LocalProjection::for_rect(bb);
    let t = opts.tolerance_m.max(0.0);
    // segments (metric) and their owners
    let mut segs: Vec<([f64; 2], [f64; 2])> = Vec::new();
    let mut owner: Vec<u32> = Vec::new();
    for (u, g) in geoms.iter().enumerate() {
        for p in &g.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                let mut prev: Option<[f64; 2]> = None;
                for c in ring.coords() {
                    let m = proj.project(*c);
                    let q = [m.x, m.y];
                    if let Some(p0) = prev
                        && p0 != q
                    {
                        segs.push((p0, q));
                        owner.push(u as u32);
                    }
                    prev = Some(q);
                }
            }
        }
    }
    if segs.is_empty() {
        return Adjacency { pairs: Vec::new(), isolated: (0..geoms.len()).collect() };
    }
    // a uniform grid of cells about one segment long (at least 4·t); each
    // segment is listed in every cell its box grown by t meets
    let mean_len = segs.iter().map(|(a, b)| (b[0] - a[0]).hypot(b[1] - a[1])).sum::<f64>() / segs.len() as f64;
    let cell = (3.0 * mean_len).max(4.0 * t).max(1e-6);
    let (x0, y0) = segs.iter().fold((f64::INFINITY, f64::INFINITY), |(x, y), (a, b)| (x.min(a[0]).min(b[0]), y.min(a[1]).min(b[1])));
    let (x0, y0) = (x0 - 2.0 * t - cell, y0 - 2.0 * t - cell);
    let cell_of = |x: f64, y: f64| -> (u64, u64) { (((x - x0) / cell) as u64, ((y - y0) / cell) as u64) };
    let grown = |i: usize| {
        let (a, b) = segs[i];
        ([a[0].min(b[0]) - t, a[1].min(b[1]) - t], [a[0].max(b[0]) + t, a[1].max(b[1]) + t])
    };
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(segs.len() * 3);
    for i in 0..segs.len() {
        let (lo, hi) = grown(i);
        let (cx0, cy0) = cell_of(lo[0], lo[1]);
        let (cx1, cy1) = cell_of(hi[0], hi[1]);
        for cx in cx0..=cx1 {
            for cy in cy0..=cy1 {
                entries.push(((cx << 32) | cy, i as u32));
            }
        }
    }
    entries.sort_unstable();
    // hits per segment as linked lists in one flat array:
    // (neighbour, lo, hi, next); head[i] = first hit of segment i
    const NONE: u32 = u32::MAX;
    let mut head = vec![NONE; segs.len()];
    let mut hits: Vec<(u32, f64, f64, u32)> = Vec::new();
    // neighbours of each unit (by the lower index of the pair), with the
    // shared length accumulated later: few per unit, so a linear search
    let mut near: Vec<Vec<(u32, f64)>> = vec![Vec::new(); geoms.len()];
    let touch = |near: &mut Vec<Vec<(u32, f64)>>, a: u32, b: u32| -> usize {
        let (lo, hi) = (a.min(b), a.max(b));
        let list = &mut near[lo as usize];
        match list.iter().position(|x| x.0 == hi) {
            Some(p) => p,
            None => {
                list.push((hi, 0.0));
                list.len() - 1
            }
        }
    };
    let cos30 = 3f64.sqrt() / 2.0;
    let mut k = 0;
    while k < entries.len() {
        let key = entries[k].0;
        let mut e = k;
        while e < entries.len() && entries[e].0 == key {
            e += 1;
        }
        let run = &entries[k..e];
        for (x, &(_, i)) in run.iter().enumerate() {
            let (i, oi) = (i as usize, owner[i as usize]);
            let (ilo, ihi) = grown(i);
            for &(_, j) in &run[x + 1..] {
                let (j, oj) = (j as usize, owner[j as usize]);
                if oi == oj {
                    continue;
                }
                let (jlo, jhi) = grown(j);
                let (lo, hi) = ([ilo[0].max(jlo[0]), ilo[1].max(jlo[1])], [ihi[0].min(jhi[0]), ihi[1].min(jhi[1])]);
                if lo[0] > hi[0] || lo[1] > hi[1] {
                    continue;
                }
                // test each pair once: in the cell holding the low corner of the common box
                let (cx, cy) = cell_of(lo[0], lo[1]);
                if (cx << 32) | cy != key {
                    continue;
                }
                let ((p0, p1), (q0, q1)) = (segs[i], segs[j]);
                if near_interval(p0, p1, q0, q1, t).is_none() {
                    continue;
                }
                touch(&mut near, oi, oj);
                let (dp, dq) = ([p1[0] - p0[0], p1[1] - p0[1]], [q1[0] - q0[0], q1[1] - q0[1]]);
                let cos = (dp[0] * dq[0] + dp[1] * dq[1]).abs() / (dp[0].hypot(dp[1]) * dq[0].hypot(dq[1]));
                if cos < cos30 {
                    continue;
                }
                if let Some((l, h)) = facing_interval(p0, p1, q0, q1, t) {
                    hits.push((oj, l, h, head[i]));
                    head[i] = (hits.len() - 1) as u32;
                }
                if let Some((l, h)) = facing_interval(q0, q1, p0, p1, t) {
                    hits.push((oi, l, h, head[j]));
                    head[j] = (hits.len() - 1) as u32;
                }
            }
        }
        k = e;
    }
    // directed lengths: per segment, the union of its intervals per neighbour
    let mut list: Vec<(u32, f64, f64)> = Vec::new();
    for (i, &h) in head.iter().enumerate() {
        if h == NONE {
            continue;
        }
        list.clear();
        let mut c = h;
        while c != NONE {
            let (b, lo, hi, next) = hits[c as usize];
            list.push((b, lo, hi));
            c = next;
        }
        list.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)));
        let (p0, p1) = segs[i];
        let len = (p1[0] - p0[0]).hypot(p1[1] - p0[1]);
        let mut k = 0;
        while k < list.len() {
            let b = list[k].0;
            let (mut lo, mut hi) = (list[k].1, list[k].2);
            let mut covered = 0.0;
            while k < list.len() && list[k].0 == b {
                if list[k].1 > hi {
                    covered += hi - lo;
                    lo = list[k].1;
                    hi = list[k].2;
                } else {
                    hi = hi.max(list[k].2);
                }
                k += 1;
            }
            covered += hi - lo;
            let p = touch(&mut near, owner[i], b);
            near[owner[i].min(b) as usize][p].1 += covered * len / 2.0;
        }
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
