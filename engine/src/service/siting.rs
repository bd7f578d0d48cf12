//! Siting: where k new stations of a kind serve most, along the walking network.
//!
//! Method: the homes' current distance `d₀` comes from the existing stations
//! ([`super::dijkstra`]). From every candidate (a network node, or a given building's
//! point) a Dijkstra bounded at the goal's reach lists the homes it would bring closer.
//! - **Max-cover** (threshold `T`): lazy greedy on the households outside `T` that a
//!   candidate brings within `T` (the gain is submodular, so stale upper bounds in a
//!   max-heap are exact; (1 − 1/e)-approximate, Nemhauser–Wolsey–Fisher 1978).
//! - **p-median**: minimises `Σ households × min(d, cap)` (`cap` = `max_m`, default
//!   1000 m, the 15-minute circle: a home farther counts as `cap`), greedy additions then
//!   vertex interchange (Teitz & Bart 1968): swap a chosen station for a candidate while
//!   the total falls.
//!
//! The figures before and after and each pick's gain are measured again by the
//! multi-source search with the existing stations plus the picks in order, so they do
//! not depend on the candidate lists. With no network the lists come from straight
//! lines × detour (an R-tree), as the distances do.
//!
//! Complexity: C bounded searches (in parallel) to list the pairs P, then O(k · P log C)
//! for the greedy and O(passes · k · P) for the interchange. Refused beyond
//! `MAX_PAIRS` candidate–home pairs.
//!
//! Reference: checked against the enumeration of all k-subsets on small cases
//! (tests below and engine/tests/service_oracle.rs).

use std::collections::BinaryHeap;

use geo::{BoundingRect, MultiPoint, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::attach::Attachment;
use super::dijkstra::{ByEdge, DistanceOptions, Distances, Search, distances};
use super::network::WalkNetwork;
use crate::geometry::par;
use crate::geometry::projection::LocalProjection;

/// Where new stations may go.
#[derive(Debug, Clone, PartialEq)]
pub enum Candidates {
    /// Every node of the network.
    NetworkNodes,
    /// These nodes of the network (e.g. the ones inside the caller's unit).
    Nodes(Vec<u32>),
    /// These buildings (indices into the buildings list), e.g. vacant ones.
    Buildings(Vec<u32>),
}

/// What the new stations should achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SitingGoal {
    /// Bring the most households within `threshold_m`.
    MaxCover { threshold_m: f64 },
    /// Minimise the total walking distance (households × metres, capped at `max_m`).
    PMedian,
}

/// The result: picks in order, figures before and after.
#[derive(Debug, Clone, PartialEq)]
pub struct SitingResult {
    pub chosen: Vec<SitingPick>,
    pub before: SitingFigures,
    pub after: SitingFigures,
}

/// One new station.
#[derive(Debug, Clone, PartialEq)]
pub struct SitingPick {
    pub position: Point<f64>,
    /// The node index, or the building index given as a candidate.
    pub candidate: usize,
    /// Households brought within the threshold by this pick (after the earlier ones).
    pub gain_households: u64,
    /// Fall of the capped total distance (households × metres) by this pick.
    pub gain_distance_m: f64,
}

/// Coverage figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SitingFigures {
    /// Households within the threshold (max-cover) or within `cap` (p-median).
    pub households_within: u64,
    pub households_total: u64,
    /// Σ households × min(distance, cap), metres.
    pub total_distance_m: f64,
}

/// Why siting was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SitingError {
    #[error("{weights} household weights for {buildings} buildings")]
    Weights { weights: usize, buildings: usize },
    #[error("candidate building {0} does not exist")]
    UnknownCandidate(u32),
    #[error("candidates at network nodes need a walking network (roads layer)")]
    NoNetwork,
    #[error("candidate node {0} is not in the network")]
    UnknownNode(u32),
    #[error("threshold {0} m is not a positive number")]
    Threshold(f64),
    #[error("{pairs} candidate–home pairs exceed the limit of {max}: give fewer candidates or a smaller reach")]
    TooLarge { pairs: usize, max: usize },
}

/// Most candidate–home pairs held at once (8 bytes each).
pub const MAX_PAIRS: usize = 40_000_000;
/// p-median reach when `max_m` is not given, metres.
pub const DEFAULT_CAP_M: f64 = 1000.0;

/// (home, distance) pairs a candidate would bring closer.
type List = Vec<(u32, f32)>;

struct Problem {
    weights: Vec<u64>,
    /// Current distance capped (p-median) / whether covered already (max-cover as 0).
    base: Vec<f64>,
    lists: Vec<List>,
}

/// k new stations (see the module doc).
#[allow(clippy::too_many_arguments)]
pub fn siting(
    net: Option<&WalkNetwork>,
    buildings: &[Point<f64>],
    weights: &[u64],
    existing: &[Point<f64>],
    candidates: &Candidates,
    k: usize,
    goal: SitingGoal,
    opts: &DistanceOptions,
) -> Result<SitingResult, SitingError> {
    if weights.len() != buildings.len() {
        return Err(SitingError::Weights { weights: weights.len(), buildings: buildings.len() });
    }
    let net = net.filter(|n| !n.is_empty());
    let cap = opts.max_m.filter(|m| m.is_finite() && *m > 0.0).unwrap_or(DEFAULT_CAP_M);
    let (within, reach) = match goal {
        SitingGoal::MaxCover { threshold_m } if threshold_m.is_finite() && threshold_m > 0.0 => (threshold_m, threshold_m),
        SitingGoal::MaxCover { threshold_m } => return Err(SitingError::Threshold(threshold_m)),
        SitingGoal::PMedian => (cap, cap),
    };
    let cap = cap.max(within);
    let positions: Vec<(usize, Point<f64>)> = match candidates {
        Candidates::NetworkNodes => {
            let n = net.ok_or(SitingError::NoNetwork)?;
            n.nodes.iter().enumerate().map(|(i, &c)| (i, Point(n.projection.unproject(c)))).collect()
        }
        Candidates::Nodes(ids) => {
            let n = net.ok_or(SitingError::NoNetwork)?;
            ids.iter()
                .map(|&i| {
                    n.nodes.get(i as usize).map(|&c| (i as usize, Point(n.projection.unproject(c)))).ok_or(SitingError::UnknownNode(i))
                })
                .collect::<Result<_, _>>()?
        }
        Candidates::Buildings(ids) => ids
            .iter()
            .map(|&i| buildings.get(i as usize).map(|p| (i as usize, *p)).ok_or(SitingError::UnknownCandidate(i)))
            .collect::<Result<_, _>>()?,
    };
    let unbounded = DistanceOptions { max_m: None, ..*opts };
    let d0 = distances(net, buildings, existing, "siting", &unbounded);
    let current: Vec<f64> = d0.nearest.iter().map(|n| n.map_or(f64::INFINITY, |(_, m)| m)).collect();
    let base: Vec<f64> = match goal {
        SitingGoal::MaxCover { .. } => current.iter().map(|&m| if m <= within { 0.0 } else { 1.0 }).collect(),
        SitingGoal::PMedian => current.iter().map(|&m| m.min(cap)).collect(),
    };
    let lists = candidate_lists(net, buildings, &d0, &positions, reach, opts.detour, &base, goal)?;
    let problem = Problem { weights: weights.to_vec(), base, lists };
    let picks = match goal {
        SitingGoal::MaxCover { .. } => greedy_max_cover(&problem, k),
        SitingGoal::PMedian => interchange(&problem, greedy_p_median(&problem, k)),
    };
    // figures: measured again with the existing stations plus the picks in order
    let figures = |d: &Distances| figures(d, weights, within, cap);
    let before = figures(&d0);
    let mut stations = existing.to_vec();
    let mut chosen = Vec::with_capacity(picks.len());
    let mut last = before;
    for c in picks {
        stations.push(positions[c].1);
        let now = figures(&distances(net, buildings, &stations, "siting", &unbounded));
        chosen.push(SitingPick {
            position: positions[c].1,
            candidate: positions[c].0,
            gain_households: now.households_within.saturating_sub(last.households_within),
            gain_distance_m: last.total_distance_m - now.total_distance_m,
        });
        last = now;
    }
    Ok(SitingResult { chosen, before, after: last })
}

fn figures(d: &Distances, weights: &[u64], within: f64, cap: f64) -> SitingFigures {
    let mut f = SitingFigures { households_within: 0, households_total: 0, total_distance_m: 0.0 };
    for (n, &w) in d.nearest.iter().zip(weights) {
        let m = n.map_or(f64::INFINITY, |(_, m)| m);
        f.households_total += w;
        if m <= within {
            f.households_within += w;
        }
        f.total_distance_m += w as f64 * m.min(cap);
    }
    f
}

/// For each candidate the homes within `reach` it would improve: max-cover lists the homes
/// outside now, p-median those it brings closer than their capped distance.
#[allow(clippy::too_many_arguments)]
fn candidate_lists(
    net: Option<&WalkNetwork>,
    buildings: &[Point<f64>],
    d0: &Distances,
    positions: &[(usize, Point<f64>)],
    reach: f64,
    detour: f64,
    base: &[f64],
    goal: SitingGoal,
) -> Result<Vec<List>, SitingError> {
    let keep = |b: u32, m: f64| match goal {
        SitingGoal::MaxCover { .. } => base[b as usize] > 0.0 && m <= reach,
        SitingGoal::PMedian => m < base[b as usize],
    };
    let chunk = positions.len().div_ceil(64).max(1);
    let chunks: Vec<&[(usize, Point<f64>)]> = positions.chunks(chunk).collect();
    let lists: Vec<Vec<List>> = match (net, d0.field.as_ref()) {
        (Some(net), Some(field)) => {
            let homes = HomesByEdge::new(net, &field.buildings);
            par::map(&chunks, 2, |part| {
                let mut search = Search::new(net.node_count());
                part.iter().map(|&(_, p)| network_list(net, &homes, &field.buildings, &mut search, p, reach, &keep)).collect()
            })
        }
        _ => {
            let detour = if detour.is_finite() && detour >= 1.0 { detour } else { super::DEFAULT_DETOUR };
            let all = MultiPoint(buildings.to_vec());
            let proj = all.bounding_rect().map_or(LocalProjection::new(0.0, 0.0), LocalProjection::for_rect);
            let tree: RTree<GeomWithData<[f64; 2], u32>> = RTree::bulk_load(
                buildings
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.x().is_finite() && p.y().is_finite())
                    .map(|(i, p)| {
                        let c = proj.project(p.0);
                        GeomWithData::new([c.x, c.y], i as u32)
                    })
                    .collect(),
            );
            par::map(&chunks, 2, |part| {
                part.iter()
                    .map(|&(_, p)| {
                        let c = proj.project(p.0);
                        let r = reach / detour;
                        let mut l: List = tree
                            .locate_within_distance([c.x, c.y], r * r)
                            .map(|e| (e.data, (e.geom()[0] - c.x).hypot(e.geom()[1] - c.y) * detour))
                            .filter(|&(b, m)| keep(b, m))
                            .map(|(b, m)| (b, m as f32))
                            .collect();
                        l.sort_unstable_by_key(|x| x.0);
                        l
                    })
                    .collect()
            })
        }
    };
    let lists: Vec<List> = lists.into_iter().flatten().collect();
    let pairs: usize = lists.iter().map(Vec::len).sum();
    if pairs > MAX_PAIRS {
        return Err(SitingError::TooLarge { pairs, max: MAX_PAIRS });
    }
    Ok(lists)
}

/// The homes attached to each edge (CSR).
struct HomesByEdge {
    offsets: Vec<u32>,
    homes: Vec<u32>,
}

impl HomesByEdge {
    fn new(net: &WalkNetwork, atts: &[Option<Attachment>]) -> HomesByEdge {
        let mut offsets = vec![0u32; net.edge_count() + 1];
        for a in atts.iter().flatten() {
            offsets[a.edge as usize + 1] += 1;
        }
        for i in 0..net.edge_count() {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut homes = vec![0u32; offsets[net.edge_count()] as usize];
        for (b, a) in atts.iter().enumerate() {
            if let Some(a) = a {
                homes[fill[a.edge as usize] as usize] = b as u32;
                fill[a.edge as usize] += 1;
            }
        }
        HomesByEdge { offsets, homes }
    }

    fn on(&self, edge: u32) -> &[u32] {
        &self.homes[self.offsets[edge as usize] as usize..self.offsets[edge as usize + 1] as usize]
    }
}

fn network_list(
    net: &WalkNetwork,
    homes: &HomesByEdge,
    atts: &[Option<Attachment>],
    search: &mut Search,
    p: Point<f64>,
    reach: f64,
    keep: &impl Fn(u32, f64) -> bool,
) -> List {
    search.reset();
    let Some(start) = net.attach(p) else { return Vec::new() };
    let seed = [Some(start)];
    search.run(net, [(start, 0)], reach);
    let by_edge = ByEdge::new(&seed);
    let mut edges: Vec<u32> = vec![start.edge];
    for &n in search.touched() {
        edges.extend(net.neighbours(n).map(|(_, e, _)| e));
    }
    edges.sort_unstable();
    edges.dedup();
    let mut out: List = Vec::new();
    for e in edges {
        for &b in homes.on(e) {
            let Some(a) = atts[b as usize] else { continue };
            if let Some((_, m)) = search.reach(net, &a, by_edge.on(e, &seed))
                && keep(b, m)
            {
                out.push((b, m as f32));
            }
        }
    }
    out.sort_unstable_by_key(|x| x.0);
    out
}

/// Lazy greedy max-cover; stops early when no candidate adds households.
fn greedy_max_cover(p: &Problem, k: usize) -> Vec<usize> {
    let mut covered: Vec<bool> = p.base.iter().map(|&b| b == 0.0).collect();
    let gain = |c: usize, covered: &[bool]| -> u64 {
        p.lists[c].iter().filter(|&&(b, _)| !covered[b as usize]).map(|&(b, _)| p.weights[b as usize]).sum()
    };
    let mut heap: BinaryHeap<(u64, std::cmp::Reverse<usize>)> =
        (0..p.lists.len()).map(|c| (gain(c, &covered), std::cmp::Reverse(c))).collect();
    let mut picks = Vec::new();
    while picks.len() < k {
        let Some((g, std::cmp::Reverse(c))) = heap.pop() else { break };
        let now = gain(c, &covered);
        if now != g {
            heap.push((now, std::cmp::Reverse(c)));
            continue;
        }
        if now == 0 {
            break;
        }
        for &(b, _) in &p.lists[c] {
            covered[b as usize] = true;
        }
        picks.push(c);
    }
    picks
}

fn saving(p: &Problem, c: usize, cur: &[f64]) -> f64 {
    p.lists[c].iter().map(|&(b, m)| p.weights[b as usize] as f64 * (cur[b as usize] - f64::from(m)).max(0.0)).sum()
}

/// Greedy additions for p-median (lazy: savings only fall as stations are added).
fn greedy_p_median(p: &Problem, k: usize) -> Vec<usize> {
    let mut cur = p.base.clone();
    let mut heap: BinaryHeap<(u64, std::cmp::Reverse<usize>)> =
        (0..p.lists.len()).map(|c| (saving(p, c, &cur).to_bits(), std::cmp::Reverse(c))).collect();
    let mut picks = Vec::new();
    while picks.len() < k {
        let Some((g, std::cmp::Reverse(c))) = heap.pop() else { break };
        let now = saving(p, c, &cur);
        if now.to_bits() != g {
            heap.push((now.to_bits(), std::cmp::Reverse(c)));
            continue;
        }
        if now <= 0.0 {
            break;
        }
        for &(b, m) in &p.lists[c] {
            cur[b as usize] = cur[b as usize].min(f64::from(m));
        }
        picks.push(c);
    }
    picks
}

/// Vertex interchange: replace a chosen station by a candidate while the total falls.
fn interchange(p: &Problem, mut chosen: Vec<usize>) -> Vec<usize> {
    let eps = 1e-6;
    for _pass in 0..50 {
        let mut improved = false;
        for slot in 0..chosen.len() {
            // the distances without the station in `slot`
            let mut without = p.base.clone();
            for (s, &c) in chosen.iter().enumerate() {
                if s != slot {
                    for &(b, m) in &p.lists[c] {
                        without[b as usize] = without[b as usize].min(f64::from(m));
                    }
                }
            }
            let current = saving(p, chosen[slot], &without);
            let best = (0..p.lists.len())
                .filter(|c| !chosen.contains(c))
                .map(|c| (saving(p, c, &without), c))
                .fold(None, |acc: Option<(f64, usize)>, x| if acc.is_none_or(|a| x.0 > a.0) { Some(x) } else { acc });
            if let Some((s, c)) = best
                && s > current + eps
            {
                chosen[slot] = c;
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    chosen
}

/// Total capped cost of a set of candidates (for the tests).
#[cfg(test)]
fn cost(p: &Problem, set: &[usize]) -> f64 {
    let mut cur = p.base.clone();
    for &c in set {
        for &(b, m) in &p.lists[c] {
            cur[b as usize] = cur[b as usize].min(f64::from(m));
        }
    }
    cur.iter().zip(&p.weights).map(|(&d, &w)| d * w as f64).sum()
}

#[cfg(test)]
mod tests {
    use super::super::network::tests::net;
    use super::*;
    use geo::Coord;

    fn pt(n: &WalkNetwork, x: f64, y: f64) -> Point<f64> {
        Point(n.projection.unproject(Coord { x, y }))
    }

    #[test]
    fn max_cover_picks_the_big_cluster_first() {
        // a street of 2 km: 3 homes of 10 households at 1500 m, 1 home of 50 at 200 m; an existing station at 0
        let n = net(&[
            &[(0.0, 0.0), (500.0, 0.0)],
            &[(500.0, 0.0), (1000.0, 0.0)],
            &[(1000.0, 0.0), (1500.0, 0.0)],
            &[(1500.0, 0.0), (2000.0, 0.0)],
        ]);
        let b = [pt(&n, 1490.0, 5.0), pt(&n, 1500.0, 5.0), pt(&n, 1510.0, 5.0), pt(&n, 200.0, 5.0), pt(&n, 900.0, 5.0)];
        let w = [10, 10, 10, 50, 5];
        let r = siting(
            Some(&n),
            &b,
            &w,
            &[pt(&n, 0.0, 0.0)],
            &Candidates::NetworkNodes,
            2,
            SitingGoal::MaxCover { threshold_m: 300.0 },
            &DistanceOptions::default(),
        )
        .expect("sited");
        assert_eq!(r.before.households_within, 50);
        assert_eq!(r.chosen.len(), 2);
        assert_eq!(r.chosen[0].gain_households, 30);
        assert_eq!(r.chosen[1].gain_households, 5);
        assert_eq!(r.after.households_within, 85);
        assert_eq!(r.after.households_total, 85);
        // only the given nodes (e.g. those inside the caller's unit): the node at 1000 m, not the better one at 1500 m
        let at = |x: f64| n.nodes.iter().position(|c| (c.x - x).abs() < 1e-6).expect("node") as u32;
        let only = Candidates::Nodes(vec![at(0.0), at(1000.0)]);
        let r = siting(
            Some(&n),
            &b,
            &w,
            &[pt(&n, 0.0, 0.0)],
            &only,
            1,
            SitingGoal::MaxCover { threshold_m: 300.0 },
            &DistanceOptions::default(),
        )
        .expect("sited");
        assert_eq!((r.chosen[0].candidate, r.chosen[0].gain_households), (at(1000.0) as usize, 5));
        let e = siting(Some(&n), &b, &w, &[], &Candidates::Nodes(vec![99]), 1, SitingGoal::PMedian, &DistanceOptions::default());
        assert_eq!(e, Err(SitingError::UnknownNode(99)));
        let e = siting(Some(&n), &b, &w[..2], &[], &Candidates::NetworkNodes, 1, SitingGoal::PMedian, &DistanceOptions::default());
        assert!(matches!(e, Err(SitingError::Weights { .. })));
        let e = siting(None, &b, &w, &[], &Candidates::NetworkNodes, 1, SitingGoal::PMedian, &DistanceOptions::default());
        assert_eq!(e, Err(SitingError::NoNetwork));
        let e = siting(None, &b, &w, &[], &Candidates::Buildings(vec![9]), 1, SitingGoal::PMedian, &DistanceOptions::default());
        assert_eq!(e, Err(SitingError::UnknownCandidate(9)));
    }

    /// Small random instances: greedy max-cover against (1 − 1/e) of the optimum, p-median
    /// with interchange against the optimum (all k-subsets enumerated) and 1-swap optimality.
    #[test]
    fn small_cases_against_enumeration() {
        use rand::{Rng, SeedableRng};
        let mut hits = 0;
        let cases = 30;
        for seed in 0..cases {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let nc = 9;
            let nb = 25;
            let lists: Vec<List> = (0..nc)
                .map(|_| {
                    let mut l: List = Vec::new();
                    for b in 0..nb as u32 {
                        if rng.random_bool(0.35) {
                            l.push((b, rng.random_range(10.0..900.0f32)));
                        }
                    }
                    l.sort_unstable_by_key(|x| x.0);
                    l
                })
                .collect();
            let weights: Vec<u64> = (0..nb).map(|_| rng.random_range(1..20)).collect();
            let k = 3;
            let subsets = k_subsets(nc, k);
            // p-median
            let p = Problem { weights: weights.clone(), base: vec![1000.0; nb], lists: lists.clone() };
            let chosen = interchange(&p, greedy_p_median(&p, k));
            let best = subsets.iter().map(|s| cost(&p, s)).fold(f64::INFINITY, f64::min);
            let got = cost(&p, &chosen);
            assert!(got >= best - 1e-6);
            for slot in 0..k {
                for c in (0..nc).filter(|c| !chosen.contains(c)) {
                    let mut s = chosen.clone();
                    s[slot] = c;
                    assert!(cost(&p, &s) >= got - 1e-6, "not 1-swap optimal");
                }
            }
            if (got - best).abs() < 1e-6 {
                hits += 1;
            }
            // max-cover: lists of homes within the threshold, nobody covered now
            let q = Problem {
                weights: weights.clone(),
                base: vec![1.0; nb],
                lists: lists.iter().map(|l| l.iter().copied().filter(|x| x.1 <= 300.0).collect()).collect(),
            };
            let covered = |s: &[usize]| -> u64 {
                let mut c = vec![false; nb];
                s.iter().for_each(|&x| q.lists[x].iter().for_each(|&(b, _)| c[b as usize] = true));
                c.iter().zip(&q.weights).filter(|x| *x.0).map(|x| x.1).sum()
            };
            let opt = subsets.iter().map(|s| covered(s)).max().unwrap_or(0);
            let g = covered(&greedy_max_cover(&q, k));
            assert!(g as f64 >= (1.0 - 1.0 / std::f64::consts::E) * opt as f64, "greedy {g} vs optimum {opt}");
        }
        assert!(hits * 10 >= cases * 8, "interchange found the optimum in only {hits} of {cases}");
    }

    pub(super) fn k_subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
        if k == 0 {
            return vec![vec![]];
        }
        (0..n)
            .flat_map(|first| {
                k_subsets(n, k - 1).into_iter().filter(move |s| s.iter().all(|&x| x > first)).map(move |mut s| {
                    s.insert(0, first);
                    s
                })
            })
            .collect()
    }
}
