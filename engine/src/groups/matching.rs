//! Maximum-weight matching in general graphs (AB-post pairs): the interface.
//!
//! [`max_weight_matching`] returns an exact maximum-weight matching, or with
//! `max_cardinality` the heaviest among the matchings with the most edges —
//! the semantics of networkx `max_weight_matching(maxcardinality=...)`.
//! Self-loops and edges with an end out of range are ignored; parallel edges
//! are allowed (the heaviest counts). The solver is
//! [`crate::groups::blossom`] (Edmonds' primal–dual blossom algorithm with
//! the alternating trees kept across augmentations; method, complexity and
//! references there).

use crate::groups::blossom;

/// An undirected edge with an integer weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub a: usize,
    pub b: usize,
    pub weight: i64,
}

/// `mate[v]`: the vertex matched to v, if any.
pub fn max_weight_matching(n: usize, edges: &[Edge], max_cardinality: bool) -> Vec<Option<usize>> {
    let edges: Vec<Edge> = edges.iter().copied().filter(|e| e.a != e.b && e.a < n && e.b < n).collect();
    blossom::solve(n, &edges, max_cardinality)
}

/// The weight of a matching.
pub fn matching_weight(edges: &[Edge], mate: &[Option<usize>]) -> i64 {
    // the heaviest edge between each matched pair (parallel edges allowed)
    let mut best: std::collections::HashMap<(usize, usize), i64> = std::collections::HashMap::new();
    for e in edges {
        if mate.get(e.a).copied().flatten() == Some(e.b) {
            let k = (e.a.min(e.b), e.a.max(e.b));
            let w = best.entry(k).or_insert(e.weight);
            *w = (*w).max(e.weight);
        }
    }
    best.values().sum()
}
