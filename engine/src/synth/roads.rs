//! Generated walking streets for the demo (labelled generated): streets along
//! the boundaries of the generated units, and a lane from each building to
//! the nearest boundary of its building grid.
//!
//! Method: every ring of every given unit level is cut into segments in one
//! local metric projection; a lane joins each building's footprint to the
//! nearest point of its leaf's boundary whose straight lane crosses no other
//! building of that leaf (the nearest point at all when none is clear). Then
//! the segments are noded: endpoints within [`SNAP_M`] become one node (a grid
//! hash), every node lying on another segment splits it there (an R-tree of
//! segment boxes), and the segments shared by neighbouring units, now equal,
//! are kept once with the highest level they bound (street boundary →
//! `secondary`, community → `tertiary`, grid → `residential`, building grid
//! → `service`, lane → `footway`). Chains of segments through nodes of degree
//! two with the same class become one line. Since the units tile their
//! parents, their boundaries form one network per connected part of the
//! district, and every lane ends on a node of it.
//!
//! Buildings lie inside their building grid, so the streets run between them;
//! the few generated to straddle a building-grid boundary (4 % in the demo)
//! are crossed by it, as a cheap generator allows.
//!
//! Complexity: O(s log s) for s segments (snapping is O(1) per vertex, each
//! node queries the R-tree once); O(b·r·n) for the lanes of b buildings with
//! r ring segments and n buildings in their leaf. Deterministic: no
//! randomness, and every output follows input order.

use std::collections::HashMap;

use geo::{BoundingRect, Contains, Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::generated_attrs;
use crate::geometry::index::PolygonIndex;
use crate::geometry::projection::LocalProjection;
use crate::model::{Building, Road, Unit};

/// Endpoints closer than this (metres) are one node; a node closer than this
/// to a segment splits it.
pub const SNAP_M: f64 = 0.3;

/// `highway` of a street bounding units of level `rank` (0 = the given top level), and of lanes.
pub const HIGHWAY: [&str; 4] = ["secondary", "tertiary", "residential", "service"];
pub const LANE: &str = "footway";
/// Rank of lanes among the segment classes.
const LANE_RANK: u8 = 4;

/// Streets along the boundaries of `levels` (top level first; the last one is
/// the level the buildings lie in) and a lane to each building, in lon/lat,
/// every road with `generated: true` and its `highway`.
pub fn generate_roads(levels: &[&[Unit]], buildings: &[Building]) -> Vec<Road> {
    let Some(bb) =
        levels.iter().flat_map(|l| l.iter()).filter_map(|u| u.geometry.bounding_rect()).reduce(crate::geometry::index::rect_union)
    else {
        return Vec::new();
    };
    let proj = LocalProjection::for_rect(bb);
    let mut segs: Vec<(Coord<f64>, Coord<f64>, u8)> = Vec::new();
    for (rank, level) in levels.iter().enumerate() {
        let rank = u8::try_from(rank.min(HIGHWAY.len() - 1)).unwrap_or(3);
        for u in level.iter() {
            for ring in rings(&proj.project_multi(&u.geometry)) {
                segs.extend(ring.lines().map(|l| (l.start, l.end, rank)));
            }
        }
    }
    let lanes = match levels.last() {
        Some(leaves) => lanes(leaves, buildings, &proj),
        None => Vec::new(),
    };
    let n_lanes_from = segs.len();
    segs.extend(lanes.iter().map(|(_, a, b)| (*a, *b, LANE_RANK)));
    let graph = Noded::build(&segs);
    let mut out = Vec::new();
    for (chain, rank) in graph.chains() {
        let line: Vec<Coord<f64>> = chain.iter().map(|&n| proj.unproject(graph.nodes[n])).collect();
        out.push(road(format!("road-{:05}", out.len() + 1), line, HIGHWAY[usize::from(rank)]));
    }
    for (k, (building, a, b)) in lanes.iter().enumerate() {
        // lanes were noded too: their building end is theirs alone, their street end a node
        debug_assert!(segs[n_lanes_from + k].2 == LANE_RANK);
        let mut r = road(format!("lane-{building}"), vec![proj.unproject(*a), proj.unproject(graph.snap_of(*b))], LANE);
        r.attributes.insert("building".into(), serde_json::Value::String(building.clone()));
        out.push(r);
    }
    out
}

fn road(id: String, line: Vec<Coord<f64>>, highway: &str) -> Road {
    let mut attributes = generated_attrs();
    attributes.insert("highway".into(), serde_json::Value::String(highway.into()));
    Road { id, line: MultiLineString(vec![LineString::new(line)]), attributes }
}

/// The rings of a polygon, without the zero-area slits boolean operations leave (under 1 m²).
fn rings(mp: &MultiPolygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    use geo::Area;
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .filter(|r| Polygon::new((*r).clone(), vec![]).unsigned_area() >= 1.0)
}

/// The point of segment `a`–`b` nearest to `p`.
fn nearest_on(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> (Coord<f64>, f64) {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 { (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    (Coord { x: a.x + t * dx, y: a.y + t * dy }, t)
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// One lane per building (id, footprint end, street end) in metres, to the
/// boundary of the leaf holding its footprint's centroid.
fn lanes(leaves: &[Unit], buildings: &[Building], proj: &LocalProjection) -> Vec<(String, Coord<f64>, Coord<f64>)> {
    let leaves_m: Vec<MultiPolygon<f64>> = leaves.iter().map(|u| proj.project_multi(&u.geometry)).collect();
    let index = PolygonIndex::new(leaves_m.iter().map(BoundingRect::bounding_rect));
    let footprints: Vec<MultiPolygon<f64>> = buildings.iter().map(|b| proj.project_multi(&b.footprint)).collect();
    let centre = |m: &MultiPolygon<f64>| m.bounding_rect().map(|r| r.center());
    // buildings per leaf, in input order
    let mut leaf_of: Vec<Option<usize>> = Vec::with_capacity(buildings.len());
    let mut in_leaf: Vec<Vec<usize>> = vec![Vec::new(); leaves.len()];
    for (i, f) in footprints.iter().enumerate() {
        let l = centre(f).and_then(|c| index.query_point(c.x, c.y).filter(|&l| leaves_m[l].contains(&Point::from(c))).min());
        if let Some(l) = l {
            in_leaf[l].push(i);
        }
        leaf_of.push(l);
    }
    let mut out = Vec::new();
    for (i, b) in buildings.iter().enumerate() {
        let (Some(l), Some(c)) = (leaf_of[i], centre(&footprints[i])) else { continue };
        let Some(outline) = footprints[i].0.first().map(Polygon::exterior) else { continue };
        let mut candidates: Vec<(f64, Coord<f64>)> =
            rings(&leaves_m[l]).flat_map(|r| r.lines()).map(|s| nearest_on(s.start, s.end, c).0).map(|p| (dist(p, c), p)).collect();
        candidates.sort_by(|x, y| x.0.total_cmp(&y.0));
        let lane_to = |p: Coord<f64>| -> Coord<f64> {
            outline.lines().map(|s| nearest_on(s.start, s.end, p).0).min_by(|x, y| dist(*x, p).total_cmp(&dist(*y, p))).unwrap_or(c)
        };
        let clear = |a: Coord<f64>, p: Coord<f64>| in_leaf[l].iter().filter(|&&o| o != i).all(|&o| !crosses(&footprints[o], a, p));
        let chosen = candidates.iter().take(12).map(|&(_, p)| (lane_to(p), p)).find(|&(a, p)| clear(a, p));
        let Some((a, p)) = chosen.or_else(|| candidates.first().map(|&(_, p)| (lane_to(p), p))) else { continue };
        if dist(a, p) > SNAP_M {
            out.push((b.id.clone(), a, p));
        }
    }
    out
}

/// Whether the segment a–p meets the footprint (box test, then its edges or containment).
fn crosses(f: &MultiPolygon<f64>, a: Coord<f64>, p: Coord<f64>) -> bool {
    use geo::Intersects;
    let seg = geo::Line::new(a, p);
    match f.bounding_rect() {
        Some(r) if crate::geometry::index::rects_touch(r, Rect::new(a, p)) => f.intersects(&seg),
        _ => false,
    }
}

/// Segments noded into a graph: snapped nodes, split where a node lies on a segment, duplicates merged.
struct Noded {
    nodes: Vec<Coord<f64>>,
    /// (from, to, class), from < to, unique.
    edges: Vec<(usize, usize, u8)>,
    cells: HashMap<(i64, i64), Vec<usize>>,
}

impl Noded {
    fn build(segs: &[(Coord<f64>, Coord<f64>, u8)]) -> Noded {
        let mut g = Noded { nodes: Vec::new(), edges: Vec::new(), cells: HashMap::new() };
        let ends: Vec<(usize, usize, u8)> = segs.iter().map(|&(a, b, r)| (g.node(a), g.node(b), r)).collect();
        let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = ends
            .iter()
            .enumerate()
            .map(|(k, &(a, b, _))| {
                let (p, q) = (g.nodes[a], g.nodes[b]);
                let lo = [p.x.min(q.x) - SNAP_M, p.y.min(q.y) - SNAP_M];
                let hi = [p.x.max(q.x) + SNAP_M, p.y.max(q.y) + SNAP_M];
                GeomWithData::new(Rectangle::from_corners(lo, hi), k)
            })
            .collect();
        let tree = RTree::bulk_load(boxes);
        let mut splits: Vec<Vec<(f64, usize)>> = vec![Vec::new(); ends.len()];
        for (n, &c) in g.nodes.iter().enumerate() {
            for e in tree.locate_in_envelope_intersecting(&AABB::from_point([c.x, c.y])) {
                let (a, b, _) = ends[e.data];
                if a == n || b == n {
                    continue;
                }
                let (p, t) = nearest_on(g.nodes[a], g.nodes[b], c);
                if t > 0.0 && t < 1.0 && dist(p, c) < SNAP_M {
                    splits[e.data].push((t, n));
                }
            }
        }
        let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
        for (k, &(a, b, rank)) in ends.iter().enumerate() {
            let mut chain = vec![a];
            let mut s = std::mem::take(&mut splits[k]);
            s.sort_by(|x, y| x.0.total_cmp(&y.0));
            chain.extend(s.into_iter().map(|x| x.1));
            chain.push(b);
            for w in chain.windows(2) {
                let (u, v) = (w[0].min(w[1]), w[0].max(w[1]));
                if u == v {
                    continue;
                }
                match seen.get(&(u, v)) {
                    Some(&e) => g.edges[e].2 = g.edges[e].2.min(rank),
                    None => {
                        seen.insert((u, v), g.edges.len());
                        g.edges.push((u, v, rank));
                    }
                }
            }
        }
        g
    }

    fn key(c: Coord<f64>) -> (i64, i64) {
        ((c.x / SNAP_M).floor() as i64, (c.y / SNAP_M).floor() as i64)
    }

    /// The node within SNAP_M of `c` (the first made), or a new one.
    fn find(&self, c: Coord<f64>) -> Option<usize> {
        let (i, j) = Self::key(c);
        (i - 1..=i + 1)
            .flat_map(|x| (j - 1..=j + 1).map(move |y| (x, y)))
            .filter_map(|k| self.cells.get(&k))
            .flatten()
            .copied()
            .filter(|&n| dist(self.nodes[n], c) < SNAP_M)
            .min()
    }

    fn node(&mut self, c: Coord<f64>) -> usize {
        if let Some(n) = self.find(c) {
            return n;
        }
        self.nodes.push(c);
        self.cells.entry(Self::key(c)).or_default().push(self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// Where `c` was snapped to.
    fn snap_of(&self, c: Coord<f64>) -> Coord<f64> {
        self.find(c).map_or(c, |n| self.nodes[n])
    }

    /// Lines of the street classes (lanes left out: they are written one per
    /// building): maximal chains through nodes of degree two of one class.
    fn chains(&self) -> Vec<(Vec<usize>, u8)> {
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for (e, &(a, b, _)) in self.edges.iter().enumerate() {
            adj[a].push(e);
            adj[b].push(e);
        }
        let street = |e: usize| self.edges[e].2 < LANE_RANK;
        let through = |n: usize| adj[n].len() == 2 && self.edges[adj[n][0]].2 == self.edges[adj[n][1]].2;
        let mut used = vec![false; self.edges.len()];
        let mut out = Vec::new();
        let walk = |start: usize, first: usize, used: &mut Vec<bool>| {
            let rank = self.edges[first].2;
            let (mut n, mut e) = (start, first);
            let mut chain = vec![n];
            loop {
                used[e] = true;
                let (a, b, _) = self.edges[e];
                n = if a == n { b } else { a };
                chain.push(n);
                if n == start || !through(n) {
                    break;
                }
                match adj[n].iter().copied().find(|&x| !used[x]) {
                    Some(x) => e = x,
                    None => break,
                }
            }
            (chain, rank)
        };
        // open chains first, from every node that is not a pass-through, then closed rings
        for pass in [false, true] {
            for (n, edges) in adj.iter().enumerate() {
                if !pass && through(n) {
                    continue;
                }
                for &e in edges {
                    if !used[e] && street(e) {
                        out.push(walk(n, e, &mut used));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{BuildingSpec, LatticeSpec, generate_buildings, lattice_units, naming, nest_levels};

    fn sample() -> (Vec<Unit>, Vec<Unit>, Vec<Building>) {
        let top = lattice_units(&LatticeSpec { cols: 3, rows: 2, cell_m: 500.0, densify: 3, seed: 4, origin: (120.35, 36.06) });
        let nested = nest_levels(&top, &naming::demo_levels(3, 2, 2)[..2], 7);
        let leaves: Vec<Unit> = nested.iter().filter(|u| u.level.0 == "grid").cloned().collect();
        let buildings = generate_buildings(&leaves, &BuildingSpec { per_leaf: 3, straddle_share: 0.0, seed: 3 });
        (top, leaves, buildings)
    }

    /// Components of the roads' graph, by their snapped end and inner vertices.
    fn components(roads: &[Road]) -> usize {
        let proj = LocalProjection::new(120.35, 36.06);
        let mut g = Noded { nodes: Vec::new(), edges: Vec::new(), cells: HashMap::new() };
        let mut parent: Vec<usize> = Vec::new();
        fn root(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                x = p[x];
            }
            x
        }
        for r in roads {
            for l in &r.line.0 {
                let ids: Vec<usize> = l.0.iter().map(|&c| g.node(proj.project(c))).collect();
                while parent.len() < g.nodes.len() {
                    parent.push(parent.len());
                }
                for w in ids.windows(2) {
                    let (a, b) = (root(&mut parent, w[0]), root(&mut parent, w[1]));
                    parent[a] = b;
                }
            }
        }
        (0..parent.len()).filter(|&x| root(&mut parent, x) == x).count()
    }

    fn highway(r: &Road) -> &str {
        r.attributes.get("highway").and_then(|v| v.as_str()).unwrap_or("")
    }

    #[test]
    fn streets_are_connected_generated_and_lanes_reach_every_building() {
        let (top, leaves, buildings) = sample();
        let roads = generate_roads(&[&top, &leaves], &buildings);
        assert!(roads.iter().all(|r| r.attributes.get("generated") == Some(&serde_json::Value::Bool(true))));
        for h in [HIGHWAY[0], HIGHWAY[1]] {
            assert!(roads.iter().any(|r| highway(r) == h), "{h}");
        }
        assert_eq!(components(&roads), 1, "one connected network");
        // a lane to every building, except those already touching a street
        let proj = LocalProjection::new(120.35, 36.06);
        let streets: Vec<geo::Line<f64>> = roads
            .iter()
            .filter(|r| highway(r) != LANE)
            .flat_map(|r| r.line.0.iter().flat_map(|l| l.lines()))
            .map(|l| geo::Line::new(proj.project(l.start), proj.project(l.end)))
            .collect();
        let mut without = 0;
        for b in &buildings {
            if roads.iter().any(|r| r.id == format!("lane-{}", b.id)) {
                continue;
            }
            without += 1;
            let f = proj.project_multi(&b.footprint);
            let sides: Vec<geo::Line<f64>> = f.0[0].exterior().lines().collect();
            let seg_dist = |p: &geo::Line<f64>, q: &geo::Line<f64>| {
                [(p, q.start), (p, q.end), (q, p.start), (q, p.end)]
                    .iter()
                    .map(|(l, c)| dist(nearest_on(l.start, l.end, *c).0, *c))
                    .fold(f64::INFINITY, f64::min)
            };
            let near = streets
                .iter()
                .flat_map(|l| sides.iter().map(move |sd| (l, sd)))
                .map(|(l, sd)| seg_dist(l, sd))
                .fold(f64::INFINITY, f64::min);
            assert!(near < 2.0 * SNAP_M, "{} has no lane and is {near} m from the streets", b.id);
        }
        assert!(without * 20 < buildings.len(), "{without} of {} without a lane", buildings.len());
        // deterministic
        let again = generate_roads(&[&top, &leaves], &buildings);
        assert_eq!(roads.iter().map(|r| &r.line).collect::<Vec<_>>(), again.iter().map(|r| &r.line).collect::<Vec<_>>());
    }

    #[test]
    fn streets_run_between_buildings_and_are_not_doubled() {
        let (top, leaves, buildings) = sample();
        let roads = generate_roads(&[&top, &leaves], &buildings);
        let proj = LocalProjection::new(120.35, 36.06);
        // buildings wholly inside their leaf (all but the few whose box cuts a concave bend of its boundary)
        let inside: Vec<bool> = buildings
            .iter()
            .map(|b| leaves.iter().any(|l| geo::Contains::contains(&proj.project_multi(&l.geometry), &proj.project_multi(&b.footprint))))
            .collect();
        assert!(inside.iter().filter(|&&x| x).count() * 10 > buildings.len() * 9);
        let mut seen = std::collections::HashSet::new();
        for r in roads.iter().filter(|r| highway(r) != LANE) {
            for s in r.line.0.iter().flat_map(|l| l.lines()) {
                let (a, b) = (proj.project(s.start), proj.project(s.end));
                let key = |c: Coord<f64>| ((c.x * 10.0).round() as i64, (c.y * 10.0).round() as i64);
                let k = if key(a) < key(b) { (key(a), key(b)) } else { (key(b), key(a)) };
                assert!(seen.insert(k), "segment {k:?} twice");
                for (bl, _) in buildings.iter().zip(&inside).filter(|x| *x.1) {
                    let Some(f) = proj.project_multi(&bl.footprint).bounding_rect() else { continue };
                    let inner = Rect::new((f.min().x + 0.05, f.min().y + 0.05), (f.max().x - 0.05, f.max().y - 0.05));
                    assert!(!geo::Intersects::intersects(&inner, &geo::Line::new(a, b)), "{} crosses {}", r.id, bl.id);
                }
            }
        }
    }

    #[test]
    fn nothing_in_nothing_out() {
        assert!(generate_roads(&[], &[]).is_empty());
    }
}
