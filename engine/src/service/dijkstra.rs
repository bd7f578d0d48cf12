//! Distances: for every building the nearest facility of a kind and the walking distance.
//!
//! Method: each facility attaches to its nearest edge at `s_f` metres from the edge's
//! `from` node with access `a_f` ([`super::attach`]); it seeds both ends of that edge
//! (`a_f + s_f` and `a_f + len − s_f`). One multi-source Dijkstra over the CSR graph with
//! a binary heap (keys are the f64 bits, monotone for non-negative values) gives every
//! node its distance to the nearest facility and which. A building attached at `s_b` on
//! edge `(u, v)` with access `a_b` then takes
//! `a_b + min(d(u) + s_b, d(v) + len − s_b, min over facilities f on the same edge of a_f + |s_b − s_f|)`,
//! which is exactly the shortest path in the graph whose edges are split at every
//! attachment point with the access legs added as pendant edges. A building in a
//! component holding no facility of the kind is reported (`island`). With no network
//! (or one without edges) the distance is the straight line × `detour` (default 1.3),
//! labelled [`Method::StraightLine`], the nearest facility found in an R-tree.
//!
//! Complexity: O((V + E) log V) for the search plus O(B log F) for B buildings and F
//! facilities; `max_m` stops the search early.
//!
//! Reference: networkx 3.6 `multi_source_dijkstra` on the split graph
//! (benches/oracles/service_networkx.py, fixtures in engine/tests/fixtures/service/).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use geo::{BoundingRect, Coord, MultiPoint, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::attach::Attachment;
use super::network::WalkNetwork;
use crate::geometry::projection::LocalProjection;

/// How distances were measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Along the walking network (access + network + access).
    Network,
    /// No network: straight line × detour.
    StraightLine { detour: f64 },
}

/// Options for [`distances`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DistanceOptions {
    /// Beyond this (metres) a building counts as unreached; the search stops there.
    pub max_m: Option<f64>,
    /// Straight-line factor when there is no network (default 1.3).
    pub detour: f64,
}

impl Default for DistanceOptions {
    fn default() -> Self {
        DistanceOptions { max_m: None, detour: super::DEFAULT_DETOUR }
    }
}

/// The network search behind a [`Distances`] (what the catchments draw).
#[derive(Debug, Clone)]
pub struct NetworkField {
    /// Distance of each node to the nearest facility, metres (`f64::INFINITY` unreached).
    pub node_m: Vec<f64>,
    /// The facility nearest to each node (`u32::MAX` unreached).
    pub node_facility: Vec<u32>,
    /// Each facility's attachment.
    pub facilities: Vec<Option<Attachment>>,
    /// The buildings' attachments.
    pub buildings: Vec<Option<Attachment>>,
}

/// Distances to the nearest facility of one kind.
#[derive(Debug, Clone)]
pub struct Distances {
    pub kind: String,
    pub method: Method,
    /// Per building: (facility index into the given list, metres), or `None` unreached.
    pub nearest: Vec<Option<(u32, f64)>>,
    /// The building attaches to a component with no facility of this kind.
    pub island: Vec<bool>,
    /// The search (network method only).
    pub field: Option<NetworkField>,
}

/// Reusable Dijkstra state: distances, labels and the nodes touched (for a cheap reset).
#[derive(Debug, Clone, Default)]
pub(crate) struct Search {
    pub dist: Vec<f64>,
    pub label: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
}

impl Search {
    pub fn new(n: usize) -> Search {
        Search { dist: vec![f64::INFINITY; n], label: vec![u32::MAX; n], touched: Vec::new(), heap: BinaryHeap::new() }
    }

    /// Forget the last run (O(touched)).
    pub fn reset(&mut self) {
        for &t in &self.touched {
            self.dist[t as usize] = f64::INFINITY;
            self.label[t as usize] = u32::MAX;
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Nodes reached by the last run.
    pub fn touched(&self) -> &[u32] {
        &self.touched
    }

    fn offer(&mut self, node: u32, d: f64, label: u32) {
        let cur = self.dist[node as usize];
        if d < cur || (d == cur && label < self.label[node as usize]) {
            if cur == f64::INFINITY {
                self.touched.push(node);
            }
            self.dist[node as usize] = d;
            self.label[node as usize] = label;
            self.heap.push(Reverse((d.to_bits(), node)));
        }
    }

    /// Seed from attachments (label = index) and run to `bound` metres.
    pub fn run(&mut self, net: &WalkNetwork, seeds: impl IntoIterator<Item = (Attachment, u32)>, bound: f64) {
        for (a, label) in seeds {
            let e = &net.edges[a.edge as usize];
            let d = a.access_m + a.along_m;
            if d <= bound {
                self.offer(e.from, d, label);
            }
            let d = a.access_m + (e.length_m - a.along_m);
            if d <= bound {
                self.offer(e.to, d, label);
            }
        }
        while let Some(Reverse((bits, u))) = self.heap.pop() {
            let du = f64::from_bits(bits);
            if du > self.dist[u as usize] {
                continue;
            }
            let lu = self.label[u as usize];
            let r = net.offsets[u as usize] as usize..net.offsets[u as usize + 1] as usize;
            for (&(v, _), &w) in net.adj[r.clone()].iter().zip(&net.adj_w[r]) {
                let dv = du + w;
                if dv <= bound {
                    self.offer(v, dv, lu);
                }
            }
        }
    }

    /// Distance from the sources to a point attached at `b` (including its access), with the label.
    /// `same_edge` lists the sources on `b`'s edge with their attachments.
    pub fn reach(&self, net: &WalkNetwork, b: &Attachment, same_edge: impl IntoIterator<Item = (Attachment, u32)>) -> Option<(u32, f64)> {
        let e = &net.edges[b.edge as usize];
        let mut best: Option<(f64, u32)> = None;
        let mut consider = |d: f64, l: u32| {
            if d.is_finite() && l != u32::MAX && best.is_none_or(|(bd, bl)| d < bd || (d == bd && l < bl)) {
                best = Some((d, l));
            }
        };
        consider(self.dist[e.from as usize] + b.along_m, self.label[e.from as usize]);
        consider(self.dist[e.to as usize] + (e.length_m - b.along_m), self.label[e.to as usize]);
        for (f, l) in same_edge {
            consider(f.access_m + (b.along_m - f.along_m).abs(), l);
        }
        best.map(|(d, l)| (l, d + b.access_m))
    }
}

/// Facilities sorted by edge for the same-edge case.
pub(crate) struct ByEdge {
    sorted: Vec<(u32, u32)>,
}

impl ByEdge {
    pub fn new(atts: &[Option<Attachment>]) -> ByEdge {
        let mut sorted: Vec<(u32, u32)> = atts.iter().enumerate().filter_map(|(i, a)| a.map(|a| (a.edge, i as u32))).collect();
        sorted.sort_unstable();
        ByEdge { sorted }
    }

    pub fn on<'a>(&'a self, edge: u32, atts: &'a [Option<Attachment>]) -> impl Iterator<Item = (Attachment, u32)> + 'a {
        let start = self.sorted.partition_point(|&(e, _)| e < edge);
        self.sorted[start..].iter().take_while(move |&&(e, _)| e == edge).filter_map(move |&(_, i)| atts[i as usize].map(|a| (a, i)))
    }
}

/// Multi-source distances from every facility (lon/lat points) of one kind to every building point.
pub fn distances(
    net: Option<&WalkNetwork>,
    buildings: &[Point<f64>],
    facilities: &[Point<f64>],
    kind: &str,
    opts: &DistanceOptions,
) -> Distances {
    match net {
        Some(net) if !net.is_empty() => {
            let b = net.attach_all(buildings);
            let f = net.attach_all(facilities);
            distances_attached(net, b, f, kind, opts)
        }
        _ => straight_line(buildings, facilities, kind, opts),
    }
}

/// As [`distances`] with the attachments already made (reuse the buildings' across kinds).
pub fn distances_attached(
    net: &WalkNetwork,
    buildings: Vec<Option<Attachment>>,
    facilities: Vec<Option<Attachment>>,
    kind: &str,
    opts: &DistanceOptions,
) -> Distances {
    let bound = opts.max_m.filter(|m| !m.is_nan()).unwrap_or(f64::INFINITY);
    let mut search = Search::new(net.node_count());
    search.run(net, facilities.iter().enumerate().filter_map(|(i, a)| a.map(|a| (a, i as u32))), bound);
    let by_edge = ByEdge::new(&facilities);
    let mut served = vec![false; net.component_sizes().len()];
    for a in facilities.iter().flatten() {
        served[a.component as usize] = true;
    }
    let nearest = buildings
        .iter()
        .map(|b| b.and_then(|b| search.reach(net, &b, by_edge.on(b.edge, &facilities))).filter(|&(_, d)| d <= bound))
        .collect();
    let island = buildings.iter().map(|b| b.is_some_and(|b| !served[b.component as usize])).collect();
    let Search { dist, label, .. } = search;
    Distances {
        kind: kind.to_owned(),
        method: Method::Network,
        nearest,
        island,
        field: Some(NetworkField { node_m: dist, node_facility: label, facilities, buildings }),
    }
}

type FacilityEntry = GeomWithData<[f64; 2], u32>;

/// The fallback: straight line × detour to the nearest facility (R-tree in a local projection).
fn straight_line(buildings: &[Point<f64>], facilities: &[Point<f64>], kind: &str, opts: &DistanceOptions) -> Distances {
    let detour = if opts.detour.is_finite() && opts.detour >= 1.0 { opts.detour } else { super::DEFAULT_DETOUR };
    let bound = opts.max_m.filter(|m| !m.is_nan()).unwrap_or(f64::INFINITY);
    let all = MultiPoint(buildings.iter().chain(facilities).copied().filter(|p| p.x().is_finite() && p.y().is_finite()).collect());
    let proj = all.bounding_rect().map_or(LocalProjection::new(0.0, 0.0), LocalProjection::for_rect);
    let tree: RTree<FacilityEntry> = RTree::bulk_load(
        facilities
            .iter()
            .enumerate()
            .filter(|(_, p)| p.x().is_finite() && p.y().is_finite())
            .map(|(i, p)| metric_entry(&proj, p.0, i as u32))
            .collect(),
    );
    let nearest = buildings
        .iter()
        .map(|b| {
            let c = proj.project(b.0);
            let f = tree.nearest_neighbor(&[c.x, c.y])?;
            let d = (f.geom()[0] - c.x).hypot(f.geom()[1] - c.y) * detour;
            (d <= bound).then_some((f.data, d))
        })
        .collect();
    Distances { kind: kind.to_owned(), method: Method::StraightLine { detour }, nearest, island: vec![false; buildings.len()], field: None }
}

fn metric_entry(proj: &LocalProjection, c: Coord<f64>, i: u32) -> FacilityEntry {
    let m = proj.project(c);
    GeomWithData::new([m.x, m.y], i)
}

#[cfg(test)]
mod tests {
    use super::super::network::tests::net;
    use super::*;

    fn pt(n: &WalkNetwork, x: f64, y: f64) -> Point<f64> {
        Point(n.projection.unproject(Coord { x, y }))
    }

    fn close(a: Option<(u32, f64)>, f: u32, d: f64) -> bool {
        a.is_some_and(|(af, ad)| af == f && (ad - d).abs() < 1e-6)
    }

    #[test]
    fn along_the_network_with_access_at_both_ends() {
        // an L: (0,0)-(100,0)-(100,100)
        let n = net(&[&[(0.0, 0.0), (100.0, 0.0)], &[(100.0, 0.0), (100.0, 100.0)]]);
        let b = [pt(&n, 20.0, 5.0), pt(&n, 110.0, 80.0)];
        let f = [pt(&n, 90.0, 90.0)];
        let d = distances(Some(&n), &b, &f, "clinic", &DistanceOptions::default());
        assert_eq!(d.method, Method::Network);
        // building 0: 5 + 80 + 90 + 10; building 1 on the same edge: 10 + |80 - 90| + 10
        assert!(close(d.nearest[0], 0, 185.0), "{:?}", d.nearest);
        assert!(close(d.nearest[1], 0, 30.0), "{:?}", d.nearest);
        assert_eq!(d.island, vec![false, false]);
    }

    #[test]
    fn same_edge_goes_round_when_shorter() {
        // a square loop of 4 × 100 m split in two lines; facility and building on the same long line
        let n = net(&[&[(0.0, 0.0), (100.0, 0.0), (100.0, 100.0), (0.0, 100.0)], &[(0.0, 100.0), (0.0, 0.0)]]);
        // along the long edge: 5 m and 295 m; round via the short edge: 5 + 100 + 5 = 110 < 290
        let d = distances(Some(&n), &[pt(&n, 5.0, 100.0)], &[pt(&n, 5.0, 0.0)], "k", &DistanceOptions::default());
        assert!(close(d.nearest[0], 0, 110.0), "{:?}", d.nearest);
    }

    #[test]
    fn islands_crossings_and_max() {
        // two lines crossing without a shared vertex: no connection; a far island
        let n = net(&[&[(-100.0, 0.0), (100.0, 0.0)], &[(0.0, -100.0), (0.0, 100.0)], &[(1000.0, 0.0), (1100.0, 0.0)]]);
        let b = [pt(&n, 50.0, 2.0), pt(&n, 2.0, 60.0), pt(&n, 1050.0, 1.0)];
        let d = distances(Some(&n), &b, &[pt(&n, -50.0, 1.0)], "k", &DistanceOptions::default());
        assert!(close(d.nearest[0], 0, 103.0));
        assert_eq!(d.nearest[1], None);
        assert_eq!(d.island, vec![false, true, true]);
        let d = distances(Some(&n), &b, &[pt(&n, -50.0, 1.0)], "k", &DistanceOptions { max_m: Some(100.0), ..Default::default() });
        assert_eq!(d.nearest[0], None);
        assert!(!d.island[0]);
    }

    #[test]
    fn facility_on_an_island_and_building_on_a_node() {
        let n = net(&[&[(0.0, 0.0), (100.0, 0.0)], &[(100.0, 0.0), (200.0, 0.0)], &[(0.0, 500.0), (100.0, 500.0)]]);
        let f = [pt(&n, 50.0, 510.0), pt(&n, 0.0, -3.0)];
        let d = distances(Some(&n), &[pt(&n, 100.0, 0.0)], &f, "k", &DistanceOptions::default());
        assert!(close(d.nearest[0], 1, 103.0), "{:?}", d.nearest);
        let d = distances(Some(&n), &[pt(&n, 100.0, 0.0)], &f[..1], "k", &DistanceOptions::default());
        assert_eq!((d.nearest[0], d.island[0]), (None, true));
    }

    #[test]
    fn no_network_is_straight_line_times_detour() {
        let n = net(&[]);
        let b = [pt(&n, 0.0, 0.0), pt(&n, 300.0, 400.0)];
        let f = [pt(&n, 0.0, 100.0), pt(&n, 300.0, 0.0)];
        for net in [None, Some(&n)] {
            let d = distances(net, &b, &f, "k", &DistanceOptions::default());
            assert_eq!(d.method, Method::StraightLine { detour: 1.3 });
            let (f0, m0) = d.nearest[0].expect("reached");
            let (f1, m1) = d.nearest[1].expect("reached");
            assert!(f0 == 0 && (m0 - 130.0).abs() < 0.05 && f1 == 1 && (m1 - 520.0).abs() < 0.05, "{:?}", d.nearest);
        }
        let d = distances(None, &b, &[], "k", &DistanceOptions::default());
        assert_eq!(d.nearest, vec![None, None]);
    }
}
