//! AB posts (AB岗): pair each grid with a neighbouring grid whose worker
//! stands in for it, as an exact maximum-weight matching.
//!
//! Method: the candidate pairs are the edge (rook) neighbours, kept within
//! the same parent unless asked otherwise, weighted by shared boundary (cm)
//! or by closeness of the centres (C − distance in cm, C above every
//! distance, so that the heaviest matching of the most pairs is the one of
//! least total distance). [`crate::groups::matching::max_weight_matching`] with
//! maximum cardinality pairs as many grids as possible and, among those
//! matchings, takes the heaviest. Each grid left over gets a suggested
//! fallback: join a matched same-parent neighbour's pair as a triple, else a
//! neighbour under another parent, else nothing (no neighbour at all).

use serde::Serialize;

use crate::groups::matching::{Edge, max_weight_matching};

/// What the pairing weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairWeight {
    /// Longer shared boundary is better.
    Shared,
    /// Closer centres are better.
    Closeness,
}

#[derive(Debug, Clone, Copy)]
pub struct AbOptions {
    /// Pair only grids under the same parent.
    pub within_parent: bool,
    pub weight: PairWeight,
}

impl Default for AbOptions {
    fn default() -> Self {
        AbOptions { within_parent: true, weight: PairWeight::Shared }
    }
}

/// One A/B pair (`a < b`, indices into the input).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AbPair {
    pub a: usize,
    pub b: usize,
    pub shared_m: f64,
    pub distance_m: f64,
}

/// What a grid without a partner can do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fallback {
    /// Join the pair of a matched neighbour under the same parent.
    Triple { with: [usize; 2] },
    /// Pair across the parent border with this neighbour.
    CrossParent { with: usize },
    /// No neighbour at all.
    None,
}

#[derive(Debug, Clone, Serialize)]
pub struct AbResult {
    pub pairs: Vec<AbPair>,
    pub unmatched: Vec<(usize, Fallback)>,
    pub total_shared_m: f64,
    pub total_distance_m: f64,
}

/// Pair the grids. `edges`: neighbours (a, b, shared metres); `centres` in metres.
pub fn ab_pairs(edges: &[(usize, usize, f64)], centres: &[[f64; 2]], parent: &[Option<usize>], opts: &AbOptions) -> AbResult {
    let n = centres.len();
    let dist = |a: usize, b: usize| (centres[a][0] - centres[b][0]).hypot(centres[a][1] - centres[b][1]);
    let ok = |&&(a, b, _): &&(usize, usize, f64)| a < n && b < n && a != b && (!opts.within_parent || parent[a] == parent[b]);
    let cand: Vec<&(usize, usize, f64)> = edges.iter().filter(ok).collect();
    let far = cand.iter().map(|&&(a, b, _)| dist(a, b)).fold(0.0, f64::max) + 1.0;
    let medges: Vec<Edge> = cand
        .iter()
        .map(|&&(a, b, s)| Edge {
            a,
            b,
            weight: match opts.weight {
                PairWeight::Shared => (s * 100.0).round().max(1.0) as i64,
                PairWeight::Closeness => ((far - dist(a, b)) * 100.0).round().max(1.0) as i64,
            },
        })
        .collect();
    let mate = max_weight_matching(n, &medges, true);
    let mut shared: std::collections::HashMap<(usize, usize), f64> = std::collections::HashMap::with_capacity(cand.len());
    for &&(a, b, s) in &cand {
        let v = shared.entry((a.min(b), a.max(b))).or_insert(s);
        *v = v.max(s);
    }
    let shared_of = |a: usize, b: usize| shared.get(&(a, b)).copied().unwrap_or(0.0);
    let mut pairs = Vec::new();
    for (a, m) in mate.iter().enumerate() {
        if let Some(b) = *m
            && a < b
        {
            pairs.push(AbPair { a, b, shared_m: shared_of(a, b), distance_m: dist(a, b) });
        }
    }
    // fallbacks for the grids left over
    let mut nb: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for &(a, b, s) in edges.iter().filter(|e| e.0 < n && e.1 < n && e.0 != e.1) {
        nb[a].push((b, s));
        nb[b].push((a, s));
    }
    let best = |list: Vec<(usize, f64)>| list.into_iter().max_by(|x, y| x.1.total_cmp(&y.1).then(y.0.cmp(&x.0)));
    let unmatched = (0..n)
        .filter(|&u| mate[u].is_none())
        .map(|u| {
            let same: Vec<(usize, f64)> = nb[u].iter().copied().filter(|&(v, _)| parent[v] == parent[u] && mate[v].is_some()).collect();
            let across: Vec<(usize, f64)> = nb[u].iter().copied().filter(|&(v, _)| parent[v] != parent[u]).collect();
            let fb = if let Some((v, _)) = best(same) {
                let m = mate[v].unwrap_or(v);
                Fallback::Triple { with: [v.min(m), v.max(m)] }
            } else if let Some((v, _)) = best(across) {
                Fallback::CrossParent { with: v }
            } else if let Some((v, _)) = best(nb[u].clone()) {
                // an unmatched same-parent neighbour cannot happen with a maximum matching; keep the nearest anyway
                Fallback::CrossParent { with: v }
            } else {
                Fallback::None
            };
            (u, fb)
        })
        .collect();
    AbResult {
        total_shared_m: pairs.iter().map(|p| p.shared_m).sum(),
        total_distance_m: pairs.iter().map(|p| p.distance_m).sum(),
        pairs,
        unmatched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_within_parents_and_fallbacks() {
        // parent 0: a path 0-1-2 (odd); parent 1: 3-4; 5 alone; 2 touches 3 across the border
        let edges = [(0, 1, 50.0), (1, 2, 80.0), (2, 3, 30.0), (3, 4, 10.0)];
        let centres = [[0.0, 0.0], [100.0, 0.0], [200.0, 0.0], [300.0, 0.0], [400.0, 0.0], [900.0, 900.0]];
        let parent = [Some(0), Some(0), Some(0), Some(1), Some(1), Some(2)];
        let r = ab_pairs(&edges, &centres, &parent, &AbOptions::default());
        let pairs: Vec<(usize, usize)> = r.pairs.iter().map(|p| (p.a, p.b)).collect();
        assert_eq!(pairs, vec![(1, 2), (3, 4)]);
        assert_eq!(r.unmatched, vec![(0, Fallback::Triple { with: [1, 2] }), (5, Fallback::None)]);
        // across parents the 2-3 edge may be used: 0-1, 2-3 leaves 4 alone (same cardinality, less shared)
        let r = ab_pairs(&edges, &centres, &parent, &AbOptions { within_parent: false, weight: PairWeight::Shared });
        assert_eq!(r.pairs.len(), 2);
        assert!((r.total_shared_m - 90.0).abs() < 1e-9, "{}", r.total_shared_m);
    }
}
