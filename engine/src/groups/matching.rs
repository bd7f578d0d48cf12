//! Maximum-weight matching in general graphs (AB-post pairs): the interface.
//!
//! [`max_weight_matching`] returns an exact maximum-weight matching, or with
//! `max_cardinality` the heaviest among the matchings with the most edges —
//! the semantics of networkx `max_weight_matching(maxcardinality=...)`.
//! Self-loops and edges with an end out of range are ignored; parallel edges
//! are allowed (the heaviest counts). The solver is
//! [`crate::groups::blossom`] (Edmonds' primal–dual blossom algorithm with
//! the alternating trees kept across augmentations; method, complexity and
//! references there). The graph is cut into its connected components first
//! (union–find, O(m·α(n))) and each is solved alone: a matching never joins
//! two components, and many small components (pairing within parents) are
//! much cheaper apart than as one graph whose unmatched vertices keep
//! growing trees.

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
    // connected components (union-find with path halving)
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for e in &edges {
        let (ra, rb) = (find(&mut parent, e.a), find(&mut parent, e.b));
        if ra != rb {
            parent[ra] = rb;
        }
    }
    // vertices of each component with an edge, numbered locally
    let mut comp_of_root: Vec<usize> = vec![usize::MAX; n];
    let mut comp_of: Vec<usize> = vec![usize::MAX; n];
    let mut local: Vec<usize> = vec![0; n];
    let mut members: Vec<Vec<usize>> = Vec::new();
    for e in &edges {
        for v in [e.a, e.b] {
            if comp_of[v] != usize::MAX {
                continue;
            }
            let r = find(&mut parent, v);
            if comp_of_root[r] == usize::MAX {
                comp_of_root[r] = members.len();
                members.push(Vec::new());
            }
            let c = comp_of_root[r];
            comp_of[v] = c;
            local[v] = members[c].len();
            members[c].push(v);
        }
    }
    if members.len() <= 1 {
        return blossom::solve(n, &edges, max_cardinality);
    }
    let mut comp_edges: Vec<Vec<Edge>> = vec![Vec::new(); members.len()];
    for e in &edges {
        comp_edges[comp_of[e.a]].push(Edge { a: local[e.a], b: local[e.b], weight: e.weight });
    }
    let mut mate = vec![None; n];
    for (verts, es) in members.iter().zip(&comp_edges) {
        for (i, m) in blossom::solve(verts.len(), es, max_cardinality).into_iter().enumerate() {
            mate[verts[i]] = m.map(|j| verts[j]);
        }
    }
    mate
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
