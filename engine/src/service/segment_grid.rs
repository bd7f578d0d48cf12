//! The nearest segment of the walking network to a point: a uniform grid of segments.
//!
//! Method: square cells (side: twice the mean segment length, grown until the grid has
//! at most four cells per segment) over the segments' box; each segment is listed in
//! every cell its bounding box meets (CSR arrays: no allocation per cell). A query visits
//! the cells in square rings around the point's cell (clamped to the grid), keeping the
//! nearest segment, and stops once no cell left unvisited can hold a nearer one: every
//! such cell lies beyond a side of the visited square that is not the grid's edge, at
//! least the point's distance to that side away. Ties go to the first segment in edge
//! order (the oracle's rule).
//!
//! Complexity: O(S · cells per segment) to build; per query O(segments in the few rings
//! visited), about one ring for points near a street.
//!
//! Reference: a brute-force scan over all segments (the test below, and the oracle's own
//! attachment in benches/oracles/service_networkx.py).

use geo::Coord;

/// A segment `(a, b)` with its (edge, first vertex).
pub type Segment = ((Coord<f64>, Coord<f64>), (u32, u32));

/// Segments `(a, b)` with their (edge, first vertex) in a grid.
#[derive(Debug, Clone, Default)]
pub struct SegmentGrid {
    x0: f64,
    y0: f64,
    cell: f64,
    w: usize,
    h: usize,
    /// Segment ids of cell `c` are `ids[offsets[c]..offsets[c + 1]]`.
    offsets: Vec<u32>,
    ids: Vec<u32>,
    segs: Vec<(Coord<f64>, Coord<f64>)>,
    data: Vec<(u32, u32)>,
}

/// Squared distance from `p` to the segment `a`–`b`.
fn dist2(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    let (x, y) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    x * x + y * y
}

impl SegmentGrid {
    /// A grid of the segments (in their given order, which breaks ties).
    pub fn new(segments: Vec<Segment>) -> SegmentGrid {
        let finite = |c: Coord<f64>| c.x.is_finite() && c.y.is_finite();
        let (segs, data): (Vec<_>, Vec<_>) = segments.into_iter().filter(|((a, b), _)| finite(*a) && finite(*b)).unzip();
        if segs.is_empty() {
            return SegmentGrid::default();
        }
        let (mut min, mut max) = (Coord { x: f64::INFINITY, y: f64::INFINITY }, Coord { x: f64::NEG_INFINITY, y: f64::NEG_INFINITY });
        let mut total = 0.0;
        for (a, b) in &segs {
            for c in [a, b] {
                min = Coord { x: min.x.min(c.x), y: min.y.min(c.y) };
                max = Coord { x: max.x.max(c.x), y: max.y.max(c.y) };
            }
            total += (b.x - a.x).hypot(b.y - a.y);
        }
        let n = segs.len() as f64;
        let (span_x, span_y) = ((max.x - min.x).max(1.0), (max.y - min.y).max(1.0));
        let mut cell = (2.0 * total / n).max(1.0);
        cell = cell.max((span_x * span_y / (4.0 * n)).sqrt());
        let w = ((span_x / cell).floor() as usize + 1).max(1);
        let h = ((span_y / cell).floor() as usize + 1).max(1);
        let mut g = SegmentGrid { x0: min.x, y0: min.y, cell, w, h, offsets: vec![0; w * h + 1], ids: Vec::new(), segs, data };
        // two passes: count per cell, then place (CSR)
        for pass in 0..2 {
            let mut fill = g.offsets.clone();
            for (s, (a, b)) in g.segs.iter().enumerate() {
                let (i0, j0) = g.clamped(Coord { x: a.x.min(b.x), y: a.y.min(b.y) });
                let (i1, j1) = g.clamped(Coord { x: a.x.max(b.x), y: a.y.max(b.y) });
                for j in j0..=j1 {
                    for i in i0..=i1 {
                        let c = j * w + i;
                        if pass == 0 {
                            g.offsets[c + 1] += 1;
                        } else {
                            g.ids[fill[c] as usize] = s as u32;
                            fill[c] += 1;
                        }
                    }
                }
            }
            if pass == 0 {
                for c in 0..w * h {
                    g.offsets[c + 1] += g.offsets[c];
                }
                g.ids = vec![0; g.offsets[w * h] as usize];
            }
        }
        g
    }

    /// The cell holding `p`, clamped to the grid.
    fn clamped(&self, p: Coord<f64>) -> (usize, usize) {
        let i = ((p.x - self.x0) / self.cell).floor().clamp(0.0, (self.w - 1) as f64) as usize;
        let j = ((p.y - self.y0) / self.cell).floor().clamp(0.0, (self.h - 1) as f64) as usize;
        (i, j)
    }

    /// The nearest segment to `p`: its (edge, first vertex); `None` when there is none.
    pub fn nearest(&self, p: Coord<f64>) -> Option<(u32, u32)> {
        if self.segs.is_empty() || !(p.x.is_finite() && p.y.is_finite()) {
            return None;
        }
        let (ci, cj) = self.clamped(p);
        let mut best: Option<(f64, u32)> = None;
        for k in 0usize.. {
            let (i0, i1) = (ci.saturating_sub(k), (ci + k).min(self.w - 1));
            let (j0, j1) = (cj.saturating_sub(k), (cj + k).min(self.h - 1));
            for j in j0..=j1 {
                // the ring only: whole rows at its top and bottom, the two end cells between
                let ring_row = j + k == cj || j == cj + k;
                let step = if ring_row || i1 == i0 { 1 } else { i1 - i0 };
                let mut i = i0;
                while i <= i1 {
                    if ring_row || ci.abs_diff(i) == k {
                        let c = j * self.w + i;
                        for &s in &self.ids[self.offsets[c] as usize..self.offsets[c + 1] as usize] {
                            let (a, b) = self.segs[s as usize];
                            let d = dist2(a, b, p);
                            if best.is_none_or(|(bd, bs)| d < bd || (d == bd && s < bs)) {
                                best = Some((d, s));
                            }
                        }
                    }
                    i += step;
                }
            }
            // how far the unvisited cells lie: beyond each side of the square that is not the grid's edge
            let mut bound = f64::INFINITY;
            if i0 > 0 {
                bound = bound.min((p.x - (self.x0 + i0 as f64 * self.cell)).max(0.0));
            }
            if i1 + 1 < self.w {
                bound = bound.min((self.x0 + (i1 + 1) as f64 * self.cell - p.x).max(0.0));
            }
            if j0 > 0 {
                bound = bound.min((p.y - (self.y0 + j0 as f64 * self.cell)).max(0.0));
            }
            if j1 + 1 < self.h {
                bound = bound.min((self.y0 + (j1 + 1) as f64 * self.cell - p.y).max(0.0));
            }
            if bound == f64::INFINITY || best.is_some_and(|(d, _)| d < bound * bound) {
                break;
            }
        }
        best.map(|(_, s)| self.data[s as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn nearest_equals_a_brute_force_scan() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut segs = Vec::new();
        for s in 0..400u32 {
            let a = Coord { x: rng.random_range(0.0..2000.0), y: rng.random_range(0.0..1000.0) };
            let len = if s % 50 == 0 { 900.0 } else { 40.0 };
            let b = Coord { x: a.x + rng.random_range(-len..len), y: a.y + rng.random_range(-len..len) };
            segs.push(((a, b), (s, 0)));
        }
        // a zero-length segment and a duplicate (ties go to the first)
        segs.push(((Coord { x: 10.0, y: 10.0 }, Coord { x: 10.0, y: 10.0 }), (400, 0)));
        segs.push((segs[3].0, (401, 0)));
        let g = SegmentGrid::new(segs.clone());
        for _ in 0..3000 {
            // inside the box and well outside it
            let p = Coord { x: rng.random_range(-1500.0..3500.0), y: rng.random_range(-1000.0..2000.0) };
            let want = segs.iter().map(|((a, b), d)| (dist2(*a, *b, p), *d)).fold(None, |best: Option<(f64, (u32, u32))>, (d, id)| {
                if best.is_none_or(|(bd, _)| d < bd) { Some((d, id)) } else { best }
            });
            let got = g.nearest(p).expect("a segment");
            let gd = segs.iter().find(|(_, d)| *d == got).map(|((a, b), _)| dist2(*a, *b, p)).expect("known");
            assert_eq!(gd, want.expect("some").0, "{p:?}");
        }
        assert_eq!(g.nearest(Coord { x: 10.0, y: 10.0 }), Some((400, 0)));
        let on3 = segs[3].0.0;
        assert_eq!(g.nearest(on3), Some((3, 0)), "the first of two equal segments");
        assert_eq!(SegmentGrid::new(Vec::new()).nearest(Coord { x: 0.0, y: 0.0 }), None);
        assert_eq!(g.nearest(Coord { x: f64::NAN, y: 0.0 }), None);
    }
}
