//! A jittered brick lattice: cells that tile a rectangle exactly, with shared
//! vertices computed once from a hash so that neighbours agree bit for bit.
//!
//! Each cell has 6 corner vertices (rows are offset by half a cell, as bricks),
//! plus `densify` jittered points on each of its 6 edges: 6 + 6·densify
//! vertices (densify 14 gives ~90-vertex cells like digitised boundaries).

use geo::{Coord, LineString, Polygon};

/// A deterministic value in [-1, 1) from a seed and three integers.
pub fn jitter(seed: u64, a: i64, b: i64, c: i64) -> f64 {
    let mut z = seed
        ^ (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (c as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// A brick lattice in metric coordinates.
#[derive(Debug, Clone, Copy)]
pub struct Lattice {
    pub x0: f64,
    pub y0: f64,
    pub w: f64,
    pub h: f64,
    pub cols: usize,
    pub rows: usize,
    pub densify: usize,
    pub seed: u64,
}

impl Lattice {
    fn vertex(&self, line: i64, half: i64) -> Coord<f64> {
        Coord {
            x: self.x0 + half as f64 * self.w / 2.0 + 0.18 * self.w / 2.0 * jitter(self.seed, line, half, 1),
            y: self.y0 + line as f64 * self.h + 0.18 * self.h * jitter(self.seed, line, half, 2),
        }
    }

    /// Intermediate points of the edge from `a` to `b` (given in the edge's
    /// canonical direction, so both cells compute the same points), appended
    /// in reverse order when `reverse`. `key` identifies the edge.
    fn dense(&self, a: Coord<f64>, b: Coord<f64>, key: (i64, i64, i64), reverse: bool, out: &mut Vec<Coord<f64>>) {
        let m = self.densify;
        if m == 0 {
            return;
        }
        let (p, q) = (a, b);
        let (dx, dy) = (q.x - p.x, q.y - p.y);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let (nx, ny) = (-dy / len, dx / len);
        let amp = 0.04 * len;
        let mut pts: Vec<Coord<f64>> = (1..=m)
            .map(|k| {
                let t = k as f64 / (m + 1) as f64;
                let j = amp * jitter(self.seed, key.0 * 7 + key.2, key.1, 100 + k as i64);
                Coord { x: p.x + dx * t + nx * j, y: p.y + dy * t + ny * j }
            })
            .collect();
        if reverse {
            pts.reverse();
        }
        out.extend(pts);
    }

    /// The cell in column `i`, row `j` (counter-clockwise exterior).
    pub fn cell(&self, i: usize, j: usize) -> Polygon<f64> {
        let (i, j) = (i as i64, j as i64);
        let h0 = 2 * i + (j % 2);
        let mut ring = Vec::with_capacity(6 + 6 * self.densify + 1);
        // bottom, left to right (horizontal edges keyed by line, half, 0)
        for h in h0..h0 + 2 {
            ring.push(self.vertex(j, h));
            self.dense(self.vertex(j, h), self.vertex(j, h + 1), (j, h, 0), false, &mut ring);
        }
        // right side, up (vertical edges keyed by line, half, 1)
        ring.push(self.vertex(j, h0 + 2));
        self.dense(self.vertex(j, h0 + 2), self.vertex(j + 1, h0 + 2), (j, h0 + 2, 1), false, &mut ring);
        // top, right to left
        for h in (h0 + 1..=h0 + 2).rev() {
            ring.push(self.vertex(j + 1, h));
            self.dense(self.vertex(j + 1, h - 1), self.vertex(j + 1, h), (j + 1, h - 1, 0), true, &mut ring);
        }
        // left side, down
        ring.push(self.vertex(j + 1, h0));
        self.dense(self.vertex(j, h0), self.vertex(j + 1, h0), (j, h0, 1), true, &mut ring);
        let first = ring[0];
        ring.push(first);
        Polygon::new(LineString::new(ring), vec![])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps, MultiPolygon, Validation};

    #[test]
    fn cells_are_valid_and_tile_without_overlap() {
        for densify in [0, 14] {
            let l = Lattice { x0: 0.0, y0: 0.0, w: 100.0, h: 80.0, cols: 6, rows: 5, densify, seed: 3 };
            let cells: Vec<Polygon<f64>> = (0..l.rows).flat_map(|j| (0..l.cols).map(move |i| (i, j))).map(|(i, j)| l.cell(i, j)).collect();
            for c in &cells {
                assert!(c.is_valid(), "{:?}", c.validation_errors());
                assert_eq!(c.exterior().0.len(), 6 + 6 * densify + 1);
                assert!(c.signed_area() > 0.0);
            }
            let total: f64 = cells.iter().map(|c| c.unsigned_area()).sum();
            let union = cells.iter().fold(MultiPolygon::<f64>::new(vec![]), |acc, c| acc.union(&MultiPolygon(vec![c.clone()])));
            assert!((union.unsigned_area() - total).abs() < 1e-6 * total, "overlap between cells");
        }
    }
}
