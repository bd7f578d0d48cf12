//! Incident heatmaps and hot spots on H3 cells.
//!
//! Counts: each incident's cell at the asked resolution (h3o), counted.
//! Hot spots: Getis-Ord Gi* (Getis & Ord 1992, Ord & Getis 1995) over the
//! study cells — the cells with incidents and their k-rings, so that empty
//! neighbours count as zeros — with binary weights over each cell's k-ring
//! including the cell itself:
//!   Gi* = (Σ_j w_ij x_j − x̄ W_i) / (S √((n Σ_j w_ij² − W_i²) / (n − 1))),
//! x̄ and S the mean and standard deviation (population) of all n counts,
//! W_i = Σ_j w_ij. Two-sided p-values from the normal distribution, and
//! Benjamini–Hochberg q-values for the false discovery rate. O(n·k²).

use std::collections::{BTreeMap, HashMap};

use h3o::{CellIndex, LatLng, Resolution};
use serde::Serialize;

/// Incident counts per H3 cell at `res` (points as lon/lat; invalid ones skipped).
pub fn counts_by_cell(points: impl IntoIterator<Item = (f64, f64)>, res: Resolution) -> BTreeMap<CellIndex, u64> {
    let mut out = BTreeMap::new();
    for (lon, lat) in points {
        if let Ok(p) = LatLng::new(lat, lon) {
            *out.entry(p.to_cell(res)).or_insert(0) += 1;
        }
    }
    out
}

/// One study cell of a hot-spot analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotSpot {
    #[serde(serialize_with = "cell_hex")]
    pub cell: CellIndex,
    pub count: u64,
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Benjamini–Hochberg adjusted p-value.
    pub q: f64,
}

fn cell_hex<S: serde::Serializer>(c: &CellIndex, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.to_string())
}

/// Gi* z-scores over the cells with counts and their k-rings.
pub fn gi_star(counts: &BTreeMap<CellIndex, u64>, k: u32) -> Vec<HotSpot> {
    let mut study: Vec<CellIndex> = Vec::with_capacity(counts.len() * 4);
    for c in counts.keys() {
        study.extend(c.grid_disk::<Vec<_>>(k));
    }
    study.sort_unstable();
    study.dedup();
    let n = study.len();
    if n < 2 {
        return study
            .into_iter()
            .map(|cell| HotSpot { cell, count: counts.get(&cell).copied().unwrap_or(0), z: 0.0, p: 1.0, q: 1.0 })
            .collect();
    }
    let pos: HashMap<CellIndex, usize> = study.iter().enumerate().map(|(i, c)| (*c, i)).collect();
    let x: Vec<f64> = study.iter().map(|c| counts.get(c).copied().unwrap_or(0) as f64).collect();
    let nf = n as f64;
    let mean = x.iter().sum::<f64>() / nf;
    let s = (x.iter().map(|v| v * v).sum::<f64>() / nf - mean * mean).max(0.0).sqrt();
    let mut out: Vec<HotSpot> = study
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let ring: Vec<usize> = c.grid_disk::<Vec<_>>(k).into_iter().filter_map(|nb| pos.get(&nb).copied()).collect();
            let w = ring.len() as f64;
            let sum: f64 = ring.iter().map(|&j| x[j]).sum();
            let den = s * ((nf * w - w * w) / (nf - 1.0)).max(0.0).sqrt();
            let z = if den > 0.0 { (sum - mean * w) / den } else { 0.0 };
            HotSpot { cell: *c, count: x[i] as u64, z, p: 2.0 * normal_sf(z.abs()), q: 1.0 }
        })
        .collect();
    let q = bh_fdr(&out.iter().map(|h| h.p).collect::<Vec<_>>());
    for (h, q) in out.iter_mut().zip(q) {
        h.q = q;
    }
    out
}

/// Benjamini–Hochberg adjusted p-values (same order as the input).
pub fn bh_fdr(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![1.0; m];
    let mut running = 1.0f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * m as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

/// Upper tail of the standard normal, 1 − Φ(x), to double precision.
pub fn normal_sf(x: f64) -> f64 {
    0.5 * erfc(x / std::f64::consts::SQRT_2)
}

/// The complementary error function (series for small |x|, continued fraction beyond).
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.5 {
        // erf by its Maclaurin series: 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
        let mut term = x;
        let mut sum = x;
        let x2 = x * x;
        for n in 1..200 {
            term *= -x2 / n as f64;
            let add = term / (2 * n + 1) as f64;
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
        }
        1.0 - 2.0 / std::f64::consts::PI.sqrt() * sum
    } else {
        // continued fraction (modified Lentz): erfc(x) = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
        let tiny = 1e-300;
        let mut f = x;
        let mut c = x;
        let mut d = 0.0;
        for n in 1..500 {
            let a = n as f64 / 2.0;
            d = x + a * d;
            d = if d.abs() < tiny { tiny } else { d };
            c = x + a / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x * x).exp() / std::f64::consts::PI.sqrt() / f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_tail_and_fdr() {
        // values from the standard normal table (scipy.stats.norm.sf)
        for (x, sf) in
            [(0.0, 0.5), (1.0, 0.15865525393145707), (1.96, 0.024997895148220435), (3.0, 0.0013498980316301), (6.0, 9.865876450376946e-10)]
        {
            assert!((normal_sf(x) - sf).abs() <= 1e-14 + 1e-12 * sf, "{x}: {} vs {sf}", normal_sf(x));
        }
        assert!((normal_sf(-1.0) - (1.0 - 0.15865525393145707)).abs() < 1e-15);
        let q = bh_fdr(&[0.01, 0.04, 0.03, 0.5]);
        // sorted 0.01, 0.03, 0.04, 0.5 → 0.04, 0.0533, 0.0533, 0.5
        let want = [0.04, 0.04 * 4.0 / 3.0, 0.04 * 4.0 / 3.0, 0.5];
        for (a, b) in q.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
    }

    #[test]
    fn a_cluster_is_hot() {
        let c = LatLng::new(29.76, -95.37).expect("ll").to_cell(Resolution::Eight);
        let mut counts = BTreeMap::new();
        for (i, n) in c.grid_disk::<Vec<_>>(1).into_iter().enumerate() {
            counts.insert(n, if i == 0 { 50 } else { 20 });
        }
        for far in c.grid_ring_fast(6).flatten() {
            counts.insert(far, 1);
        }
        let h = gi_star(&counts, 1);
        let centre = h.iter().find(|x| x.cell == c).expect("centre");
        assert!(centre.z > 3.0 && centre.q < 0.05, "{centre:?}");
        assert!(h.iter().filter(|x| x.z > centre.z).count() == 0);
    }
}
