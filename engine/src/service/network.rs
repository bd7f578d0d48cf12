//! The walking network: road lines become a graph.
//!
//! Method: every line vertex is projected into one local metric projection (centred on
//! the lines' bounding box) and merged, in input order, into the nearest earlier
//! representative within `snap_m` (a hash grid of cell `snap_m`; the first vertex of a
//! cluster is its representative and its position). A representative becomes a *node*
//! when it ends a line or occurs more than once in all the lines (a shared vertex, or a
//! line passing twice); lines are split at nodes into edges carrying their polyline and
//! length. Two lines that cross without a shared vertex stay apart (bridges, tunnels);
//! one-way tags are ignored (walking). Consecutive repeats of one representative are
//! dropped, so a zero-length line gives no edge. The adjacency is a CSR array (both
//! directions); components are labelled by breadth-first search.
//!
//! Complexity: O(V) expected for the snapping (hash grid), O(V + E) for the rest, V the
//! line vertices and E the edges.
//!
//! Reference: the same rule is written plainly in benches/oracles/service_networkx.py,
//! whose networkx graph the oracle test compares against.

use std::collections::HashMap;

use geo::{BoundingRect, Coord, LineString, Rect};

use super::segment_grid::SegmentGrid;
use crate::geometry::index::rect_union;
use crate::geometry::projection::LocalProjection;
use crate::model::Road;

/// How lines become a graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetworkOptions {
    /// Line ends and vertices within this distance (metres) become one node (default 1.0).
    pub snap_m: f64,
}

impl Default for NetworkOptions {
    fn default() -> Self {
        NetworkOptions { snap_m: 1.0 }
    }
}

/// One edge: a polyline between two nodes, in metres.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: u32,
    pub to: u32,
    /// The polyline from `from` to `to` (metric coordinates).
    pub geometry: Vec<Coord<f64>>,
    /// Length along the polyline up to each vertex (`cum[0] = 0`, last = `length_m`).
    pub cum: Vec<f64>,
    pub length_m: f64,
}

/// The walking graph in a local metric projection.
#[derive(Debug, Clone)]
pub struct WalkNetwork {
    pub projection: LocalProjection,
    /// Node positions (metres).
    pub nodes: Vec<Coord<f64>>,
    pub edges: Vec<Edge>,
    /// CSR: the neighbours of node `n` are `adj[offsets[n]..offsets[n + 1]]`.
    pub(crate) offsets: Vec<u32>,
    /// (neighbour, edge) pairs.
    pub(crate) adj: Vec<(u32, u32)>,
    /// Weight of each adjacency entry (the edge's length), beside `adj` for the heap loop.
    pub(crate) adj_w: Vec<f64>,
    component: Vec<u32>,
    component_size: Vec<usize>,
    /// The edges' segments, for the nearest one to a point.
    pub(crate) segments: SegmentGrid,
}

struct Snapper {
    snap: f64,
    grid: HashMap<(i64, i64), Vec<u32>>,
    reps: Vec<Coord<f64>>,
}

impl Snapper {
    fn cell(&self, c: Coord<f64>) -> (i64, i64) {
        ((c.x / self.snap).floor() as i64, (c.y / self.snap).floor() as i64)
    }

    /// The representative for `c`: the nearest earlier one within `snap` (lowest index on ties), or a new one.
    fn snap(&mut self, c: Coord<f64>) -> u32 {
        let (cx, cy) = self.cell(c);
        let mut best: Option<(f64, u32)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &r in self.grid.get(&(cx + dx, cy + dy)).map_or(&[][..], Vec::as_slice) {
                    let p = self.reps[r as usize];
                    let d = (p.x - c.x).hypot(p.y - c.y);
                    if d <= self.snap && best.is_none_or(|(bd, br)| d < bd || (d == bd && r < br)) {
                        best = Some((d, r));
                    }
                }
            }
        }
        if let Some((_, r)) = best {
            return r;
        }
        let r = self.reps.len() as u32;
        self.reps.push(c);
        self.grid.entry((cx, cy)).or_default().push(r);
        r
    }
}

fn finite(c: Coord<f64>) -> bool {
    c.x.is_finite() && c.y.is_finite()
}

impl WalkNetwork {
    /// Lines (lon/lat) become a graph; see the module doc for the rule.
    pub fn build(lines: &[LineString<f64>], opts: &NetworkOptions) -> WalkNetwork {
        let bbox = lines.iter().filter_map(BoundingRect::bounding_rect).reduce(rect_union);
        let projection = bbox.map_or(LocalProjection::new(0.0, 0.0), LocalProjection::for_rect);
        Self::build_in(lines, opts, projection)
    }

    /// As [`WalkNetwork::build`], in a given projection.
    pub fn build_in(lines: &[LineString<f64>], opts: &NetworkOptions, projection: LocalProjection) -> WalkNetwork {
        let snap = if opts.snap_m.is_finite() && opts.snap_m > 0.0 { opts.snap_m } else { 1e-6 };
        let mut snapper = Snapper { snap, grid: HashMap::new(), reps: Vec::new() };
        // each line as its sequence of representatives, consecutive repeats dropped
        let seqs: Vec<Vec<u32>> = lines
            .iter()
            .map(|l| {
                let mut s: Vec<u32> = Vec::with_capacity(l.0.len());
                for &c in l.0.iter().filter(|c| finite(**c)) {
                    let r = snapper.snap(projection.project(c));
                    if s.last() != Some(&r) {
                        s.push(r);
                    }
                }
                s
            })
            .filter(|s| s.len() >= 2)
            .collect();
        let mut uses = vec![0u32; snapper.reps.len()];
        let mut is_node = vec![false; snapper.reps.len()];
        for s in &seqs {
            for &r in s {
                uses[r as usize] += 1;
            }
            is_node[s[0] as usize] = true;
            is_node[s[s.len() - 1] as usize] = true;
        }
        let mut node_of = vec![u32::MAX; snapper.reps.len()];
        let mut nodes = Vec::new();
        for r in 0..snapper.reps.len() {
            if is_node[r] || uses[r] >= 2 {
                node_of[r] = nodes.len() as u32;
                nodes.push(snapper.reps[r]);
            }
        }
        let mut edges = Vec::new();
        for s in &seqs {
            let mut start = 0;
            for i in 1..s.len() {
                if node_of[s[i] as usize] != u32::MAX {
                    let geometry: Vec<Coord<f64>> = s[start..=i].iter().map(|&r| snapper.reps[r as usize]).collect();
                    edges.push(Self::edge(node_of[s[start] as usize], node_of[s[i] as usize], geometry));
                    start = i;
                }
            }
        }
        Self::assemble(projection, nodes, edges)
    }

    fn edge(from: u32, to: u32, geometry: Vec<Coord<f64>>) -> Edge {
        let mut cum = Vec::with_capacity(geometry.len());
        let mut acc = 0.0;
        cum.push(0.0);
        for w in geometry.windows(2) {
            acc += (w[1].x - w[0].x).hypot(w[1].y - w[0].y);
            cum.push(acc);
        }
        Edge { from, to, geometry, cum, length_m: acc }
    }

    fn assemble(projection: LocalProjection, nodes: Vec<Coord<f64>>, edges: Vec<Edge>) -> WalkNetwork {
        let n = nodes.len();
        let mut degree = vec![0u32; n + 1];
        for e in &edges {
            degree[e.from as usize] += 1;
            degree[e.to as usize] += 1;
        }
        let mut offsets = vec![0u32; n + 1];
        for i in 0..n {
            offsets[i + 1] = offsets[i] + degree[i];
        }
        let mut fill = offsets.clone();
        let mut adj = vec![(0u32, 0u32); offsets[n] as usize];
        let mut adj_w = vec![0.0; offsets[n] as usize];
        for (i, e) in edges.iter().enumerate() {
            for (a, b) in [(e.from, e.to), (e.to, e.from)] {
                let k = fill[a as usize] as usize;
                adj[k] = (b, i as u32);
                adj_w[k] = e.length_m;
                fill[a as usize] += 1;
            }
        }
        let (component, component_size) = label_components(n, &offsets, &adj);
        let segments = SegmentGrid::new(
            edges
                .iter()
                .enumerate()
                .flat_map(|(i, e)| e.geometry.windows(2).enumerate().map(move |(k, w)| ((w[0], w[1]), (i as u32, k as u32))))
                .collect(),
        );
        WalkNetwork { projection, nodes, edges, offsets, adj, adj_w, component, component_size, segments }
    }

    /// The lines of a roads layer (MultiLineStrings) as a network.
    pub fn from_roads(roads: &[Road], opts: &NetworkOptions) -> WalkNetwork {
        let lines: Vec<LineString<f64>> = roads.iter().flat_map(|r| r.line.0.iter().cloned()).collect();
        Self::build(&lines, opts)
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Component id of each node (0-based, numbered by first node).
    pub fn components(&self) -> Vec<usize> {
        self.component.iter().map(|&c| c as usize).collect()
    }

    /// Component of one node.
    pub fn component_of(&self, node: u32) -> u32 {
        self.component[node as usize]
    }

    /// Nodes per component.
    pub fn component_sizes(&self) -> Vec<usize> {
        self.component_size.clone()
    }

    /// The neighbours of a node: (neighbour, edge, length).
    pub fn neighbours(&self, node: u32) -> impl Iterator<Item = (u32, u32, f64)> + '_ {
        let r = self.offsets[node as usize] as usize..self.offsets[node as usize + 1] as usize;
        self.adj[r.clone()].iter().zip(&self.adj_w[r]).map(|(&(m, e), &w)| (m, e, w))
    }

    /// Total length of all edges, metres.
    pub fn total_length_m(&self) -> f64 {
        self.edges.iter().map(|e| e.length_m).sum()
    }

    /// Bounding box of the nodes in lon/lat.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        self.edges.iter().flat_map(|e| e.geometry.iter()).map(|&c| self.projection.unproject(c)).map(|c| Rect::new(c, c)).reduce(rect_union)
    }

    /// The point at `along_m` metres along an edge (metres, clamped to the edge).
    pub fn point_along(&self, edge: u32, along_m: f64) -> Coord<f64> {
        let e = &self.edges[edge as usize];
        let k = e.cum.partition_point(|&c| c <= along_m).clamp(1, e.geometry.len().max(2) - 1);
        let (a, b) = (e.geometry[k - 1], e.geometry[k]);
        let seg = e.cum[k] - e.cum[k - 1];
        let t = if seg > 0.0 { ((along_m - e.cum[k - 1]) / seg).clamp(0.0, 1.0) } else { 0.0 };
        Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) }
    }

    /// The part of an edge between two distances along it (metres), as a polyline.
    pub fn sub_polyline(&self, edge: u32, from_m: f64, to_m: f64, out: &mut Vec<Coord<f64>>) {
        out.clear();
        let e = &self.edges[edge as usize];
        let (lo, hi) = (from_m.max(0.0), to_m.min(e.length_m));
        if hi < lo {
            return;
        }
        out.push(self.point_along(edge, lo));
        for k in 1..e.geometry.len().saturating_sub(1) {
            if e.cum[k] > lo && e.cum[k] < hi {
                out.push(e.geometry[k]);
            }
        }
        out.push(self.point_along(edge, hi));
    }
}

fn label_components(n: usize, offsets: &[u32], adj: &[(u32, u32)]) -> (Vec<u32>, Vec<usize>) {
    let mut comp = vec![u32::MAX; n];
    let mut sizes = Vec::new();
    let mut queue = Vec::new();
    for s in 0..n {
        if comp[s] != u32::MAX {
            continue;
        }
        let c = sizes.len() as u32;
        comp[s] = c;
        queue.clear();
        queue.push(s as u32);
        let mut size = 0;
        while let Some(u) = queue.pop() {
            size += 1;
            for &(v, _) in &adj[offsets[u as usize] as usize..offsets[u as usize + 1] as usize] {
                if comp[v as usize] == u32::MAX {
                    comp[v as usize] = c;
                    queue.push(v);
                }
            }
        }
        sizes.push(size);
    }
    (comp, sizes)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use geo::line_string;

    /// Lines given in metres around (0,0) at lat 0 → lon/lat lines for `build`.
    pub(crate) fn metric_lines(lines: &[&[(f64, f64)]]) -> (LocalProjection, Vec<LineString<f64>>) {
        let p = LocalProjection::new(24.94, 60.17);
        let ls = lines.iter().map(|l| LineString(l.iter().map(|&(x, y)| p.unproject(Coord { x, y })).collect())).collect();
        (p, ls)
    }

    pub(crate) fn net(lines: &[&[(f64, f64)]]) -> WalkNetwork {
        let (p, ls) = metric_lines(lines);
        WalkNetwork::build_in(&ls, &NetworkOptions::default(), p)
    }

    #[test]
    fn empty_network() {
        let n = WalkNetwork::build(&[], &NetworkOptions::default());
        assert_eq!((n.node_count(), n.edge_count()), (0, 0));
        assert!(n.components().is_empty() && n.component_sizes().is_empty() && n.is_empty());
        let n = WalkNetwork::build(&[line_string![(x: 24.9, y: 60.1)]], &NetworkOptions::default());
        assert_eq!(n.edge_count(), 0);
    }

    #[test]
    fn crossing_without_a_shared_vertex_stays_apart() {
        let n = net(&[&[(-100.0, 0.0), (100.0, 0.0)], &[(0.0, -100.0), (0.0, 100.0)]]);
        assert_eq!((n.node_count(), n.edge_count()), (4, 2));
        assert_eq!(n.component_sizes(), vec![2, 2]);
        // with the crossing vertex in both lines: one node of degree 4
        let n = net(&[&[(-100.0, 0.0), (0.0, 0.0), (100.0, 0.0)], &[(0.0, -100.0), (0.0, 0.3), (0.0, 100.0)]]);
        assert_eq!((n.node_count(), n.edge_count()), (5, 4));
        assert_eq!(n.component_sizes(), vec![5]);
        assert!((n.total_length_m() - 400.0).abs() < 1.0);
    }

    #[test]
    fn ends_within_snap_merge_and_interior_vertices_stay_geometry() {
        let n = net(&[&[(0.0, 0.0), (50.0, 10.0), (100.0, 0.0)], &[(100.4, 0.0), (200.0, 0.0)], &[(300.0, 0.0), (400.0, 0.0)]]);
        assert_eq!(n.node_count(), 5);
        assert_eq!(n.edge_count(), 3);
        assert_eq!(n.edges[0].geometry.len(), 3);
        assert_eq!(n.component_sizes(), vec![3, 2]);
    }

    #[test]
    fn zero_length_and_dangling_edges() {
        let n = net(&[&[(0.0, 0.0), (0.0, 0.0)], &[(0.0, 0.0), (0.2, 0.0)], &[(0.0, 0.0), (100.0, 0.0)], &[(50.0, 0.0), (50.0, 40.0)]]);
        // the first two lines collapse to one representative: no edge; the dangling spur has no shared vertex
        assert_eq!(n.edge_count(), 2);
        assert_eq!(n.component_sizes().len(), 2);
        assert!(n.edges.iter().all(|e| e.length_m > 0.0));
    }

    #[test]
    fn sub_polyline_and_point_along() {
        let n = net(&[&[(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]]);
        let p = n.point_along(0, 15.0);
        assert!((p.x - 10.0).abs() < 1e-6 && (p.y - 5.0).abs() < 1e-6);
        let mut v = Vec::new();
        n.sub_polyline(0, 5.0, 15.0, &mut v);
        assert_eq!(v.len(), 3);
    }
}
