//! Maximum-weight matching in general graphs with the alternating trees kept
//! across augmentations (the solver behind [`crate::groups::matching`]).
//!
//! Computes the same optimum as networkx `max_weight_matching` (and with
//! `max_cardinality`, the heaviest among the matchings with the most edges).
//!
//! Method: Edmonds' primal–dual blossom algorithm in the integer formulation
//! of Galil (1986) / van Rantwijk (the networkx code): doubled vertex duals
//! `y`, blossom duals `z`, edge slack `y_a + y_b − 2w`. Every exposed vertex
//! is the root of an alternating tree from the start and stays one until it
//! is matched, so all exposed vertices share one dual, `W − t`. Unlike the
//! stage-by-stage formulation (where every augmentation wipes all labels and
//! regrows every tree from scratch), an augmentation here dissolves only the
//! two trees it joined; the other trees keep their labels, as in the single
//! dual-update variant of Kolmogorov's Blossom V. Two things make that cheap:
//!
//! - lazy duals: a vertex stores `y = base + sign·t`, where `t` is the total
//!   dual change so far and the sign follows its outer blossom's label
//!   (S −1, T +1, free 0); a dual step is `t += δ`, O(1), and only vertices
//!   whose label changed are re-based;
//! - one event queue keyed by the `t` at which each event happens (a radix
//!   heap, [`crate::groups::radix_heap`]): an S–free edge whose slack reaches
//!   0, an S–S edge at half its slack, a T-blossom whose z reaches 0. Every
//!   label change that starts an event queues it (a vertex turning S queues
//!   its edges, a vertex turning free its edges to S vertices, a T-blossom
//!   itself); an entry is checked against the present state when it comes
//!   out and dropped if it no longer holds, so nothing is ever re-keyed.
//!
//! Without max cardinality the run stops when the exposed dual reaches 0
//! (`t = W`). Integer weights keep every step exact.
//!
//! Complexity: O(n·m·log m) in the worst case like the stage formulation,
//! but each augmentation costs only the two trees it dissolves and the
//! events it touches; on 50,000 lattice grids in one component the run takes
//! well under a second (benches/RESULTS.md, issue 15 part 9), where the stage
//! formulation took 115 s.
//!
//! References: Z. Galil, "Efficient algorithms for finding maximum matching
//! in graphs", ACM Comput. Surv. 18 (1986); V. Kolmogorov, "Blossom V: a new
//! implementation of a minimum cost perfect matching algorithm", Math. Prog.
//! Comp. 1 (2009); networkx `max_weight_matching` (checked against it and
//! against brute force in engine/tests/it/matching*.rs).

use crate::groups::matching::Edge;
use crate::groups::radix_heap::RadixHeap;

mod structure;

const NO: usize = usize::MAX;
const FREE: u8 = 0;
const S: u8 = 1;
const T: u8 = 2;
/// A mark on S-blossoms during [`Solver::scan_blossom`].
const MARK: u8 = 4;

/// Event kinds, in the low two bits of a queued item (`id << 2 | kind`).
const EV_S_FREE: usize = 0;
const EV_S_S: usize = 1;
const EV_T_BLOSSOM: usize = 2;

/// `mate[v]` of a maximum-weight matching (see [`crate::groups::matching`]);
/// the edges must have both ends below n and no self-loops.
pub(crate) fn solve(n: usize, edges: &[Edge], max_cardinality: bool) -> Vec<Option<usize>> {
    if n == 0 {
        return Vec::new();
    }
    let mut s = Solver::new(n, edges, max_cardinality);
    s.run();
    s.mate.iter().map(|&p| (p != NO).then(|| s.endpoint[p])).collect()
}

/// Vertices are 0..n, blossoms n..2n; endpoint 2k is edge k's `a` end and
/// 2k + 1 its `b` end (as in the networkx code).
struct Solver<'a> {
    n: usize,
    edges: &'a [Edge],
    max_cardinality: bool,
    maxweight: i64,
    endpoint: Vec<usize>,
    /// remote endpoints of the edges at each vertex (CSR)
    nb_start: Vec<usize>,
    nb: Vec<usize>,
    /// remote endpoint of the matched edge, or NO
    mate: Vec<usize>,
    label: Vec<u8>,
    labelend: Vec<usize>,
    inblossom: Vec<usize>,
    blossomparent: Vec<usize>,
    blossomchilds: Vec<Vec<usize>>,
    blossombase: Vec<usize>,
    blossomendps: Vec<Vec<usize>>,
    unusedblossoms: Vec<usize>,
    /// lazy duals: y(v) = ybase[v] + ysign[v]·time, z(b) = zbase[b] + zsign[b]·time
    ybase: Vec<i64>,
    ysign: Vec<i64>,
    zbase: Vec<i64>,
    zsign: Vec<i64>,
    time: i64,
    /// blossoms (or vertices) whose label or nesting changed since the last re-base
    dirty: Vec<usize>,
    /// root vertex of the tree each labelled vertex belongs to, and the members of each tree
    tree: Vec<usize>,
    members: Vec<Vec<usize>>,
    seen: Vec<bool>,
    queue: Vec<usize>,
    /// events by the time they happen: S–free and S–S edges, T-blossoms
    events: RadixHeap<usize>,
    scratch: Vec<usize>,
}

impl<'a> Solver<'a> {
    fn new(n: usize, edges: &'a [Edge], max_cardinality: bool) -> Self {
        let maxweight = edges.iter().map(|e| e.weight).max().unwrap_or(0).max(0);
        let mut endpoint = Vec::with_capacity(2 * edges.len());
        let mut deg = vec![0usize; n + 1];
        for e in edges {
            endpoint.push(e.a);
            endpoint.push(e.b);
            deg[e.a] += 1;
            deg[e.b] += 1;
        }
        let mut nb_start = vec![0usize; n + 1];
        for v in 0..n {
            nb_start[v + 1] = nb_start[v] + deg[v];
        }
        let mut fill = nb_start.clone();
        let mut nb = vec![0usize; 2 * edges.len()];
        for (k, e) in edges.iter().enumerate() {
            nb[fill[e.a]] = 2 * k + 1;
            fill[e.a] += 1;
            nb[fill[e.b]] = 2 * k;
            fill[e.b] += 1;
        }
        Solver {
            n,
            edges,
            max_cardinality,
            maxweight,
            endpoint,
            nb_start,
            nb,
            mate: vec![NO; n],
            label: vec![FREE; 2 * n],
            labelend: vec![NO; 2 * n],
            inblossom: (0..n).collect(),
            blossomparent: vec![NO; 2 * n],
            blossomchilds: vec![Vec::new(); 2 * n],
            blossombase: (0..n).chain(std::iter::repeat_n(NO, n)).collect(),
            blossomendps: vec![Vec::new(); 2 * n],
            unusedblossoms: (n..2 * n).rev().collect(),
            ybase: vec![maxweight; n],
            ysign: vec![0; n],
            zbase: vec![0; 2 * n],
            zsign: vec![0; 2 * n],
            time: 0,
            dirty: Vec::new(),
            tree: vec![NO; n],
            members: vec![Vec::new(); n],
            seen: vec![false; 2 * n],
            queue: Vec::new(),
            events: RadixHeap::new(),
            scratch: Vec::new(),
        }
    }

    fn y(&self, v: usize) -> i64 {
        self.ybase[v] + self.ysign[v] * self.time
    }

    fn z(&self, b: usize) -> i64 {
        self.zbase[b] + self.zsign[b] * self.time
    }

    fn slack(&self, k: usize) -> i64 {
        let e = self.edges[k];
        self.y(e.a) + self.y(e.b) - 2 * e.weight
    }

    fn top_label(&self, v: usize) -> u8 {
        self.label[self.inblossom[v]]
    }

    fn is_top_blossom(&self, b: usize) -> bool {
        b >= self.n && self.blossombase[b] != NO && self.blossomparent[b] == NO
    }

    fn nbrs(&self, v: usize) -> std::ops::Range<usize> {
        self.nb_start[v]..self.nb_start[v + 1]
    }

    /// Append the vertices inside b to out.
    fn leaves(&self, b: usize, out: &mut Vec<usize>) {
        let mut i = out.len();
        out.push(b);
        while i < out.len() {
            let x = out[i];
            if x < self.n {
                i += 1;
            } else {
                out.swap_remove(i);
                out.extend_from_slice(&self.blossomchilds[x]);
            }
        }
    }

    /// Queue an event at time `key` (never before now).
    fn push_event(&mut self, key: i64, id: usize, kind: usize) {
        debug_assert!(key >= self.time, "event {kind} at {key} before {}", self.time);
        self.events.push(key as u64, id << 2 | kind);
    }

    fn leaves_of(&self, b: usize) -> Vec<usize> {
        let mut v = Vec::new();
        self.leaves(b, &mut v);
        v
    }

    /// Re-base the duals of everything whose label or nesting changed, so that
    /// the signs follow the labels before `time` moves.
    fn flush(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        let mut buf = std::mem::take(&mut self.scratch);
        for &b in &dirty {
            let top = if b < self.n { self.inblossom[b] == b } else { self.is_top_blossom(b) };
            if b >= self.n {
                let sign = match (top, self.label[b] & 3) {
                    (true, S) => 1,
                    (true, T) => -1,
                    _ => 0,
                };
                self.zbase[b] = self.z(b) - sign * self.time;
                self.zsign[b] = sign;
            }
            if top {
                buf.clear();
                self.leaves(b, &mut buf);
                let sign = match self.label[b] & 3 {
                    S => -1,
                    T => 1,
                    _ => 0,
                };
                for &v in &buf {
                    self.ybase[v] = self.y(v) - sign * self.time;
                    self.ysign[v] = sign;
                }
            }
        }
        self.dirty = dirty;
        self.dirty.clear();
        buf.clear();
        self.scratch = buf;
    }

    /// Label the outer blossom of w with t, reached through endpoint p (NO for a root);
    /// a T label pulls the mate's blossom in as S.
    fn assign_label(&mut self, mut w: usize, mut t: u8, mut p: usize) {
        loop {
            let b = self.inblossom[w];
            self.label[w] = t;
            self.label[b] = t;
            self.labelend[w] = p;
            self.labelend[b] = p;
            self.dirty.push(b);
            let root = if p == NO { w } else { self.tree[self.endpoint[p]] };
            let leaves = self.leaves_of(b);
            for &v in &leaves {
                self.tree[v] = root;
            }
            self.members[root].extend_from_slice(&leaves);
            if t == S {
                self.queue.extend(leaves);
                return;
            }
            if b >= self.n {
                self.push_event(self.time + self.z(b), b, EV_T_BLOSSOM);
            }
            let m = self.mate[self.blossombase[b]];
            w = self.endpoint[m];
            t = S;
            p = m ^ 1;
        }
    }

    /// Queue the edges from vertex v (just turned free) to S vertices.
    fn queue_free_edges(&mut self, v: usize) {
        for i in self.nbrs(v) {
            let p = self.nb[i];
            let w = self.endpoint[p];
            if self.inblossom[w] != self.inblossom[v] && self.top_label(w) == S {
                self.push_event(self.time + self.slack(p / 2), p / 2, EV_S_FREE);
            }
        }
    }

    /// After an augmentation: every vertex of the two trees turns free, S-blossoms
    /// of zero dual among them are expanded, and their edges to the remaining trees are queued.
    fn dissolve(&mut self, roots: [usize; 2]) {
        let mut verts = Vec::new();
        for r in roots {
            for v in std::mem::take(&mut self.members[r]) {
                if self.tree[v] == r && !self.seen[v] && self.top_label(v) != FREE {
                    self.seen[v] = true;
                    verts.push(v);
                }
            }
        }
        let mut tops = Vec::new();
        for &v in &verts {
            let b = self.inblossom[v];
            if b >= self.n && !self.seen[b] {
                self.seen[b] = true;
                tops.push((b, self.label[b] == S));
            }
        }
        for &v in &verts {
            self.dirty.push(self.inblossom[v]);
            let mut x = v;
            while x != NO {
                self.label[x] = FREE;
                self.labelend[x] = NO;
                x = self.blossomparent[x];
            }
        }
        for &(b, was_s) in &tops {
            self.seen[b] = false;
            if was_s && self.z(b) == 0 {
                self.expand_blossom(b, true);
            }
        }
        for &v in &verts {
            self.seen[v] = false;
            self.tree[v] = NO;
            self.queue_free_edges(v);
        }
    }

    /// Edge k from S vertex v (p: the far endpoint): act on it if tight, else queue it.
    fn scan_edge(&mut self, v: usize, p: usize) {
        let k = p / 2;
        let w = self.endpoint[p];
        let (bv, bw) = (self.inblossom[v], self.inblossom[w]);
        if bv == bw {
            return;
        }
        let slack = self.slack(k);
        let lw = self.label[bw];
        if slack > 0 {
            match lw {
                S => self.push_event(self.time + slack / 2, k, EV_S_S),
                FREE => self.push_event(self.time + slack, k, EV_S_FREE),
                _ => {}
            }
            return;
        }
        match lw {
            FREE => self.assign_label(w, T, p ^ 1),
            S => {
                let base = self.scan_blossom(v, w);
                if base != NO {
                    self.add_blossom(base, k);
                } else {
                    let roots = [self.tree[v], self.tree[w]];
                    self.augment_matching(k);
                    self.dissolve(roots);
                }
            }
            _ => {}
        }
    }

    fn scan_queue(&mut self) {
        while let Some(v) = self.queue.pop() {
            for i in self.nbrs(v) {
                if self.top_label(v) != S {
                    break;
                }
                self.scan_edge(v, self.nb[i]);
            }
        }
    }

    /// What edge k is now: (kind, time) for an S–free or S–S edge between two outer blossoms.
    fn edge_event(&self, k: usize) -> Option<(usize, i64)> {
        let e = self.edges[k];
        let (ba, bb) = (self.inblossom[e.a], self.inblossom[e.b]);
        if ba == bb {
            return None;
        }
        let s = self.slack(k);
        match (self.label[ba], self.label[bb]) {
            (S, S) => {
                debug_assert!(s >= 0 && s % 2 == 0, "S–S slack {s}");
                Some((EV_S_S, self.time + s / 2))
            }
            (S, FREE) | (FREE, S) => Some((EV_S_FREE, self.time + s)),
            _ => None,
        }
    }

    /// Whether a queued event still holds. A label change that starts an
    /// event always queues it afresh, so an entry that no longer matches the
    /// present state is simply dropped.
    fn holds(&self, key: i64, id: usize, kind: usize) -> bool {
        if kind == EV_T_BLOSSOM {
            self.is_top_blossom(id) && self.label[id] == T && self.time + self.z(id) == key
        } else {
            self.edge_event(id) == Some((kind, key))
        }
    }

    fn run(&mut self) {
        for v in 0..self.n {
            self.assign_label(v, S, NO);
        }
        loop {
            self.scan_queue();
            self.flush();
            // the next event that still holds (events are popped in time order)
            let mut next = None;
            while let Some((key, item)) = self.events.pop() {
                let (key, id, kind) = (key as i64, item >> 2, item & 3);
                if self.holds(key, id, kind) {
                    next = Some((key, id, kind));
                    break;
                }
            }
            let Some((key, id, kind)) = next else { break };
            if !self.max_cardinality && self.maxweight <= key {
                // the exposed vertices' dual reaches zero first: optimal
                break;
            }
            self.time = key;
            match kind {
                EV_T_BLOSSOM => self.expand_blossom(id, false),
                _ => {
                    let e = self.edges[id];
                    if self.top_label(e.a) == S {
                        self.scan_edge(e.a, 2 * id + 1);
                    } else {
                        self.scan_edge(e.b, 2 * id);
                    }
                }
            }
        }
    }
}
