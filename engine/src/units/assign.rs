//! Assignment of points (incidents, cameras, facilities) and building
//! footprints to units at every level of the hierarchy.
//!
//! Points: an R-tree over the units of the deepest level gives candidates, an
//! exact crossing-number point-in-polygon test (half-open edges, so a point on
//! a boundary shared by two siblings goes to exactly one) picks the unit, and
//! the parent chain gives every level above. A point in no leaf is searched
//! one level up, and so on. O(log n + k·v) per point for k candidates of v
//! vertices. Checked against a brute-force all-units test in the tests.
//!
//! Buildings: the leaf holding the largest share of the footprint's area
//! (intersection areas in a local metric projection); a footprint with more
//! than `CUT_TOLERANCE_M2` outside that leaf is reported as cut. An explicit
//! assignment (a unit's `assigned_buildings`, [`crate::units::explicit`])
//! overrides the footprint's leaf when it holds ([`assign_buildings`]); the
//! review of a scenario, which keeps its reassignments apart, starts from the
//! footprint alone ([`assign_by_footprint`]).

use crate::geometry::index::PolygonIndex;
use crate::geometry::projection::LocalProjection;
use crate::model::Building;
use crate::units::hierarchy::Hierarchy;
use geo::{Area, BooleanOps, BoundingRect, Coord, Intersects, Line, MultiPolygon, Point, Rect};

/// Area outside its leaf above which a building counts as cut by a boundary.
pub const CUT_TOLERANCE_M2: f64 = 1.0;

/// A polygon flattened for fast point-in-polygon tests.
///
/// Edges are stored as `[x1, y1, x2, y2]` and bucketed into horizontal bands
/// over the polygon's y-range (one band per ~4 edges, at most 64): a point
/// only meets the edges of its band, so a 90-vertex grid costs ~8 edge tests
/// instead of 90. Exact: an edge is in every band its closed y-range touches,
/// and the crossing rule is the same half-open one for every edge.
#[derive(Debug, Clone)]
pub struct PreparedPolygon {
    /// Ring vertices, each ring closed; edge `i` runs from `pts[i]` to `pts[i + 1]`.
    pts: Vec<[f64; 2]>,
    ymin: f64,
    ymax: f64,
    band_h: f64,
    /// Edge indices of each band: `band_edges[band_starts[b]..band_starts[b + 1]]`.
    band_starts: Vec<u32>,
    band_edges: Vec<u32>,
}

impl PreparedPolygon {
    pub fn new(mp: &MultiPolygon<f64>) -> Self {
        let mut pts: Vec<[f64; 2]> = Vec::new();
        let mut edges: Vec<u32> = Vec::new();
        let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in &mp.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                let start = pts.len();
                for c in ring.coords() {
                    pts.push([c.x, c.y]);
                    ymin = ymin.min(c.y);
                    ymax = ymax.max(c.y);
                }
                if pts.len() - start >= 2 {
                    edges.extend(start as u32..(pts.len() - 1) as u32);
                }
            }
        }
        let nb = (edges.len() / 4).clamp(1, 64);
        let band_h = if ymax > ymin { (ymax - ymin) / nb as f64 } else { 1.0 };
        let band_of = |y: f64| (((y - ymin) / band_h) as usize).min(nb - 1);
        // counting sort of (band, edge) pairs: no per-band allocation
        let span = |i: u32| {
            let (a, b) = (pts[i as usize][1], pts[i as usize + 1][1]);
            (band_of(a.min(b)), band_of(a.max(b)))
        };
        let mut band_starts = vec![0u32; nb + 1];
        for &e in &edges {
            let (lo, hi) = span(e);
            for b in lo..=hi {
                band_starts[b + 1] += 1;
            }
        }
        for b in 0..nb {
            band_starts[b + 1] += band_starts[b];
        }
        let mut fill: Vec<u32> = band_starts[..nb].to_vec();
        let mut band_edges = vec![0u32; band_starts[nb] as usize];
        for &e in &edges {
            let (lo, hi) = span(e);
            for b in lo..=hi {
                band_edges[fill[b] as usize] = e;
                fill[b] += 1;
            }
        }
        PreparedPolygon { pts, ymin, ymax, band_h, band_starts, band_edges }
    }

    /// Crossing number test over all rings (even–odd): true inside.
    #[inline]
    pub fn contains(&self, x: f64, y: f64) -> bool {
        if y.is_nan() || y < self.ymin || y > self.ymax {
            return false;
        }
        let nb = self.band_starts.len() - 1;
        let b = (((y - self.ymin) / self.band_h) as usize).min(nb - 1);
        let mut inside = false;
        for &i in &self.band_edges[self.band_starts[b] as usize..self.band_starts[b + 1] as usize] {
            let ([x1, y1], [x2, y2]) = (self.pts[i as usize], self.pts[i as usize + 1]);
            if (y1 > y) != (y2 > y) {
                let xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1);
                if x < xi {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Whether any edge of the polygon meets (crosses or touches) an edge of the rings of `fp`, whose
    /// bounds are `r`; only the edges of the bands `r` spans whose boxes reach `r` are tested.
    pub fn meets_rings(&self, fp: &MultiPolygon<f64>, r: Rect<f64>) -> bool {
        if r.max().y < self.ymin || r.min().y > self.ymax {
            return false;
        }
        let nb = self.band_starts.len() - 1;
        let band_of = |y: f64| (((y - self.ymin) / self.band_h).max(0.0) as usize).min(nb - 1);
        let (b0, b1) = (band_of(r.min().y.max(self.ymin)), band_of(r.max().y.min(self.ymax)));
        let edges = &self.band_edges[self.band_starts[b0] as usize..self.band_starts[b1 + 1] as usize];
        edges.iter().any(|&i| {
            let ([x1, y1], [x2, y2]) = (self.pts[i as usize], self.pts[i as usize + 1]);
            if x1.max(x2) < r.min().x || x1.min(x2) > r.max().x || y1.max(y2) < r.min().y || y1.min(y2) > r.max().y {
                return false;
            }
            let e = Line::new((x1, y1), (x2, y2));
            fp.0.iter().any(|p| std::iter::once(p.exterior()).chain(p.interiors()).any(|ring| ring.lines().any(|l| l.intersects(&e))))
        })
    }
}

/// Locates points in the units of a hierarchy.
#[derive(Debug, Clone)]
pub struct PointLocator {
    /// Per level (deepest first): the units of that level and their index.
    levels: Vec<(Vec<usize>, PolygonIndex)>,
    prepared: Vec<PreparedPolygon>,
}

impl PointLocator {
    pub fn new(h: &Hierarchy) -> Self {
        let prepared = prepare_all(&h.units.iter().map(|u| &u.geometry).collect::<Vec<_>>());
        let max_depth = h.depth.iter().copied().max().unwrap_or(0);
        let mut levels = Vec::new();
        for d in (0..=max_depth).rev() {
            let members: Vec<usize> = (0..h.len()).filter(|&i| h.depth[i] == d).collect();
            let index = PolygonIndex::new(members.iter().map(|&i| h.units[i].geometry.bounding_rect()));
            levels.push((members, index));
        }
        PointLocator { levels, prepared }
    }

    /// The deepest unit containing the point, if any.
    pub fn locate(&self, x: f64, y: f64) -> Option<usize> {
        for (members, index) in &self.levels {
            let mut hit: Option<usize> = None;
            for k in index.query_point(x, y) {
                let u = members[k];
                if self.prepared[u].contains(x, y) && hit.is_none_or(|h| u < h) {
                    hit = Some(u);
                }
            }
            if hit.is_some() {
                return hit;
            }
        }
        None
    }

    pub fn locate_point(&self, p: Point<f64>) -> Option<usize> {
        self.locate(p.x(), p.y())
    }

    /// Locate many points, split over the machine's cores (scoped threads);
    /// the answer for each point is the same as [`PointLocator::locate`].
    pub fn locate_all(&self, pts: &[(f64, f64)]) -> Vec<Option<usize>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads <= 1 || pts.len() < 20_000 {
            return pts.iter().map(|&(x, y)| self.locate(x, y)).collect();
        }
        // visit the points in Morton (Z) order of a 2^16 grid over their
        // bounds, so that consecutive queries walk the same R-tree nodes
        let (mut x0, mut y0, mut x1, mut y1) = (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for &(x, y) in pts {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        let sx = 65_535.0 / (x1 - x0).max(1e-12);
        let sy = 65_535.0 / (y1 - y0).max(1e-12);
        let mut order: Vec<(u32, u32)> = pts
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| {
                let gx = ((x - x0) * sx).clamp(0.0, 65_535.0) as u32;
                let gy = ((y - y0) * sy).clamp(0.0, 65_535.0) as u32;
                (spread(gx) | (spread(gy) << 1), i as u32)
            })
            .collect();
        order.sort_unstable();
        let chunk = order.len().div_ceil(threads);
        let mut found: Vec<(u32, Option<usize>)> = Vec::with_capacity(pts.len());
        std::thread::scope(|s| {
            let handles: Vec<_> = order
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|&(_, i)| {
                                let (x, y) = pts[i as usize];
                                (i, self.locate(x, y))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                if let Ok(v) = h.join() {
                    found.extend(v);
                }
            }
        });
        let mut out = vec![None; pts.len()];
        for (i, r) in found {
            out[i as usize] = r;
        }
        out
    }
}

/// Prepare many polygons, split over the machine's cores.
pub fn prepare_all(polys: &[&MultiPolygon<f64>]) -> Vec<PreparedPolygon> {
    crate::geometry::par::map(polys, 1_000, |p| PreparedPolygon::new(p))
}

/// Interleave the low 16 bits of `v` with zeros (for Morton codes).
pub(crate) fn spread(v: u32) -> u32 {
    let mut v = v & 0xFFFF;
    v = (v | (v << 8)) & 0x00FF_00FF;
    v = (v | (v << 4)) & 0x0F0F_0F0F;
    v = (v | (v << 2)) & 0x3333_3333;
    (v | (v << 1)) & 0x5555_5555
}

/// Where a building went.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildingAssignment {
    /// The leaf the building belongs to: the one a unit's `assigned_buildings` names, else `footprint_leaf`.
    pub leaf: Option<usize>,
    /// The leaf holding the largest share of the footprint, if any share is inside a leaf.
    pub footprint_leaf: Option<usize>,
    /// Whether `leaf` comes from an explicit assignment.
    pub explicit: bool,
    /// Share of the footprint inside `footprint_leaf` (0–1).
    pub share: f64,
    /// Other leaves holding more than the tolerance, with their area in m².
    pub cut_by: Vec<(usize, f64)>,
    /// Area in m² outside every leaf.
    pub outside_m2: f64,
}

impl BuildingAssignment {
    fn by_footprint(leaf: Option<usize>, share: f64, cut_by: Vec<(usize, f64)>, outside_m2: f64) -> Self {
        BuildingAssignment { leaf, footprint_leaf: leaf, explicit: false, share, cut_by, outside_m2 }
    }

    /// Whether a leaf boundary cuts the footprint (whatever leaf the building is assigned to).
    pub fn is_cut(&self) -> bool {
        !self.cut_by.is_empty() || (self.footprint_leaf.is_some() && self.outside_m2 > CUT_TOLERANCE_M2)
    }
}

/// Assign each building to its leaf unit: the one a unit's `assigned_buildings` names when that
/// assignment holds ([`crate::units::explicit::resolve`]), else the leaf holding most of its footprint.
pub fn assign_buildings(h: &Hierarchy, buildings: &[Building]) -> Vec<BuildingAssignment> {
    let mut out = assign_by_footprint(h, buildings);
    for (b, leaf) in crate::units::explicit::resolve(h, buildings).0 {
        out[b].leaf = Some(leaf);
        out[b].explicit = true;
    }
    out
}

/// Assign each building to the leaf unit holding most of its footprint, ignoring explicit assignments
/// (on every core; the result in building order).
pub fn assign_by_footprint(h: &Hierarchy, buildings: &[Building]) -> Vec<BuildingAssignment> {
    let leaves = h.leaves();
    let index = PolygonIndex::new(leaves.iter().map(|&i| h.units[i].geometry.bounding_rect()));
    let prepared = prepare_all(&leaves.iter().map(|&i| &h.units[i].geometry).collect::<Vec<_>>());
    crate::geometry::par::map(buildings, 8_192, |b| assign_one(h, &leaves, &index, &prepared, &b.footprint))
}

fn assign_one(
    h: &Hierarchy,
    leaves: &[usize],
    index: &PolygonIndex,
    prepared: &[PreparedPolygon],
    fp: &MultiPolygon<f64>,
) -> BuildingAssignment {
    let none = BuildingAssignment::by_footprint(None, 0.0, Vec::new(), 0.0);
    let Some(r) = fp.bounding_rect() else {
        return none;
    };
    let cands: Vec<usize> = index.query_rect(r).collect();
    // fast path: the footprint wholly inside one leaf and meeting no other
    if let Some(k) = sole_holder(h, leaves, &cands, prepared, fp, r) {
        return BuildingAssignment::by_footprint(Some(leaves[k]), 1.0, Vec::new(), 0.0);
    }
    by_overlay(h, leaves, &cands, fp, r)
}

/// The shares of the footprint (bounds `r`) in each candidate leaf by overlay, in a local metric projection.
fn by_overlay(h: &Hierarchy, leaves: &[usize], cands: &[usize], fp: &MultiPolygon<f64>, r: Rect<f64>) -> BuildingAssignment {
    let none = BuildingAssignment::by_footprint(None, 0.0, Vec::new(), 0.0);
    let proj = LocalProjection::for_rect(r);
    let fpm = proj.project_multi(fp);
    let total = fpm.unsigned_area();
    if total <= 0.0 {
        return none;
    }
    let mut shares: Vec<(usize, f64)> = cands
        .iter()
        .map(|&k| (leaves[k], fpm.intersection(&proj.project_multi(&h.units[leaves[k]].geometry)).unsigned_area()))
        .filter(|(_, a)| *a > 1e-9)
        .collect();
    shares.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let inside: f64 = shares.iter().map(|s| s.1).sum();
    match shares.first() {
        None => BuildingAssignment { outside_m2: total, ..none },
        Some(&(leaf, a)) => BuildingAssignment::by_footprint(
            Some(leaf),
            a / total,
            shares[1..].iter().copied().filter(|s| s.1 > CUT_TOLERANCE_M2).collect(),
            (total - inside).max(0.0),
        ),
    }
}

/// The one candidate that holds the whole footprint (bounds `r`) when no other meets its inside: then
/// the overlay's shares are that candidate's 1 and nothing else. `None` when that is not certain.
///
/// With no candidate edge meeting a footprint edge and no candidate vertex inside `r` (so no candidate
/// ring lies inside the footprint), each part of the footprint lies wholly inside or wholly outside each
/// candidate, which its first vertex then tells.
fn sole_holder(
    h: &Hierarchy,
    leaves: &[usize],
    cands: &[usize],
    prepared: &[PreparedPolygon],
    fp: &MultiPolygon<f64>,
    r: Rect<f64>,
) -> Option<usize> {
    let mut holder = None;
    for &k in cands {
        if ring_edges_cross(&h.units[leaves[k]].geometry, r) || prepared[k].meets_rings(fp, r) {
            return None;
        }
        let mut parts = fp.0.iter().map(|p| p.exterior().0.first().is_some_and(|c| prepared[k].contains(c.x, c.y)));
        let first = parts.next()?;
        if parts.any(|inside| inside != first) {
            return None; // some parts inside, some outside: the overlay weighs them
        }
        if first {
            if holder.is_some() {
                return None; // overlapping leaves: the overlay shares the footprint
            }
            holder = Some(k);
        }
    }
    holder
}

/// Whether any vertex of the polygon's rings lies strictly inside the rect
/// (then a boundary may pass through the footprint).
fn ring_edges_cross(mp: &MultiPolygon<f64>, r: geo::Rect<f64>) -> bool {
    let inside = |c: &Coord<f64>| c.x > r.min().x && c.x < r.max().x && c.y > r.min().y && c.y < r.max().y;
    mp.0.iter().any(|p| p.exterior().coords().any(inside) || p.interiors().iter().any(|i| i.coords().any(inside)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Level, Unit};
    use crate::synth::{LatticeSpec, lattice_units};
    use geo::{Contains, Rect};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn two_level() -> Hierarchy {
        let grids = lattice_units(&LatticeSpec { cols: 12, rows: 9, cell_m: 300.0, densify: 3, seed: 7, origin: (120.38, 36.06) });
        let mut units = vec![Unit {
            id: "root".into(),
            parent: None,
            level: Level("district".into()),
            name: "root".into(),
            geometry: MultiPolygon(vec![Rect::new((120.0, 35.0), (121.0, 37.0)).to_polygon()]),
            attributes: Default::default(),
        }];
        for mut g in grids {
            g.parent = Some("root".into());
            units.push(g);
        }
        Hierarchy::build(units).expect("valid")
    }

    #[test]
    fn point_assignment_matches_brute_force() {
        let h = two_level();
        let loc = PointLocator::new(&h);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let bb = h.units[1..].iter().filter_map(|u| u.geometry.bounding_rect()).reduce(crate::geometry::index::rect_union);
        let bb = bb.expect("non-empty");
        for _ in 0..20_000 {
            let x = rng.random_range(bb.min().x - 0.001..bb.max().x + 0.001);
            let y = rng.random_range(bb.min().y - 0.001..bb.max().y + 0.001);
            let brute: Vec<usize> = (1..h.len()).filter(|&i| h.units[i].geometry.contains(&Point::new(x, y))).collect();
            let got = loc.locate(x, y);
            match brute.as_slice() {
                [] => assert_eq!(got, Some(0), "({x},{y}) outside every grid goes to the district"),
                [one] => assert_eq!(got, Some(*one), "({x},{y})"),
                many => panic!("lattice overlaps at ({x},{y}): {many:?}"),
            }
        }
    }

    #[test]
    fn batch_location_equals_one_by_one() {
        let h = two_level();
        let loc = PointLocator::new(&h);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let pts: Vec<(f64, f64)> = (0..50_000).map(|_| (rng.random_range(120.37..120.43), rng.random_range(36.05..36.09))).collect();
        let one: Vec<Option<usize>> = pts.iter().map(|&(x, y)| loc.locate(x, y)).collect();
        assert_eq!(loc.locate_all(&pts), one);
    }

    #[test]
    fn polygon_with_hole_excludes_the_hole() {
        let outer = Rect::new((0.0, 0.0), (10.0, 10.0)).to_polygon();
        let hole = Rect::new((4.0, 4.0), (6.0, 6.0)).to_polygon();
        let p = geo::Polygon::new(outer.exterior().clone(), vec![hole.exterior().clone()]);
        let pp = PreparedPolygon::new(&MultiPolygon(vec![p]));
        assert!(pp.contains(1.0, 1.0));
        assert!(!pp.contains(5.0, 5.0));
        assert!(!pp.contains(11.0, 5.0));
    }

    fn square_building(id: &str, c: Coord<f64>) -> Building {
        Building {
            id: id.into(),
            footprint: MultiPolygon(vec![Rect::new((c.x - 0.0001, c.y - 0.0001), (c.x + 0.0001, c.y + 0.0001)).to_polygon()]),
            households: Some(10),
            population: Some(25),
            floors: None,
            height: None,
            attributes: Default::default(),
        }
    }

    #[test]
    fn an_explicit_assignment_overrides_the_footprint_and_a_stale_one_falls_back() {
        use crate::units::explicit::FIELD;
        use crate::units::integrity::{IntegrityConfig, check};
        let base = two_level();
        let centre = |i: usize| base.units[i].geometry.bounding_rect().expect("rect").center();
        let buildings = vec![square_building("B1", centre(1)), square_building("B2", centre(2)), square_building("B3", centre(3))];
        let geometric = assign_buildings(&base, &buildings);
        assert_eq!(geometric.iter().map(|a| a.leaf).collect::<Vec<_>>(), vec![Some(1), Some(2), Some(3)]);
        assert!(geometric.iter().all(|a| !a.explicit && a.footprint_leaf == a.leaf));
        // unit 2 names B1 (lying in unit 1) and a building that does not exist; the root names B3
        let mut units = base.units.clone();
        units[2].attributes.insert(FIELD.into(), serde_json::json!(["B1", "nowhere"]));
        units[0].attributes.insert(FIELD.into(), serde_json::json!(["B3"]));
        let h = Hierarchy::build(units).expect("valid");
        let a = assign_buildings(&h, &buildings);
        assert_eq!((a[0].leaf, a[0].footprint_leaf, a[0].explicit), (Some(2), Some(1), true), "B1 goes where unit 2 says");
        assert_eq!((a[1].leaf, a[1].explicit), (Some(2), false), "B2 stays");
        assert_eq!((a[2].leaf, a[2].explicit), (Some(3), false), "B3 named by a unit with units below it: geometry");
        assert!(a.iter().all(|x| !x.is_cut()));
        // the report counts B1 in unit 2 (and up its chain), lists it, and reports the two stale ones
        let r = check(&h, &buildings, &a, &IntegrityConfig::default());
        let load = |i: usize| (r.loads[i].households, r.loads[i].buildings);
        assert_eq!((load(1), load(2), load(3), load(0)), ((0, 0), (20, 2), (10, 1), (30, 3)));
        assert_eq!(r.summary.buildings_assigned, 1);
        assert_eq!(r.buildings_assigned[0].building, "B1");
        assert_eq!(r.buildings_assigned[0].footprint_unit.as_deref(), Some(h.units[1].id.0.as_str()));
        let mut stale: Vec<&str> = r.assignments_stale.iter().map(|s| s.problem).collect();
        stale.sort_unstable();
        assert_eq!(stale, ["no_building", "not_a_leaf"]);
        assert_eq!(r.summary.assignments_stale, 2);
        // the review's starting point ignores the attribute
        assert_eq!(assign_by_footprint(&h, &buildings), geometric);
    }

    /// A footprint of `n` parts 200 m apart (valid: they never overlap): rotated rectangles and L shapes
    /// of 4–80 m from `c` (degrees).
    fn random_footprint(rng: &mut ChaCha8Rng, c: Coord<f64>, n: usize) -> MultiPolygon<f64> {
        let m = 1.0 / 111_000.0;
        MultiPolygon(
            (0..n)
                .map(|k| {
                    let (w, d) = (rng.random_range(4.0..80.0) * m, rng.random_range(4.0..40.0) * m);
                    let a: f64 = rng.random_range(0.0..std::f64::consts::PI);
                    let o = Coord { x: c.x + k as f64 * 200.0 * m, y: c.y };
                    let shape: Vec<(f64, f64)> = if rng.random_bool(0.5) {
                        vec![(0.0, 0.0), (w, 0.0), (w, d), (0.0, d)]
                    } else {
                        vec![(0.0, 0.0), (w, 0.0), (w, d / 2.0), (w / 2.0, d / 2.0), (w / 2.0, d), (0.0, d)]
                    };
                    let ring: Vec<Coord<f64>> = shape
                        .iter()
                        .map(|&(x, y)| Coord { x: o.x + x * a.cos() - y * a.sin(), y: o.y + x * a.sin() + y * a.cos() })
                        .collect();
                    geo::Polygon::new(geo::LineString::from(ring), vec![])
                })
                .collect(),
        )
    }

    #[test]
    fn the_fast_path_gives_what_the_overlay_gives() {
        // leaves that tile, a leaf with a hole, and two that overlap (each box meets several others)
        let mut units = two_level().units;
        let hole = units[5].geometry.bounding_rect().expect("rect");
        let (c, w) = (hole.center(), hole.width() / 6.0);
        units[5].geometry.0[0].interiors_push(Rect::new((c.x - w, c.y - w), (c.x + w, c.y + w)).to_polygon().exterior().clone());
        let mut extra = units[8].clone();
        extra.id = "overlapping".into();
        let r8 = extra.geometry.bounding_rect().expect("rect");
        extra.geometry = MultiPolygon(vec![Rect::new(r8.center(), Coord { x: r8.max().x + r8.width() / 2.0, y: r8.max().y }).to_polygon()]);
        units.push(extra);
        let h = Hierarchy::build(units).expect("valid");
        let leaves = h.leaves();
        let index = PolygonIndex::new(leaves.iter().map(|&i| h.units[i].geometry.bounding_rect()));
        let prepared = prepare_all(&leaves.iter().map(|&i| &h.units[i].geometry).collect::<Vec<_>>());
        let bb = h.units[1..].iter().filter_map(|u| u.geometry.bounding_rect()).reduce(crate::geometry::index::rect_union);
        let bb = bb.expect("non-empty");
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let (mut fast, mut checked) = (0, 0);
        for _ in 0..6_000 {
            let c = Coord { x: rng.random_range(bb.min().x..bb.max().x), y: rng.random_range(bb.min().y..bb.max().y) };
            let parts = if rng.random_bool(0.1) { 2 } else { 1 };
            let fp = random_footprint(&mut rng, c, parts);
            let r = fp.bounding_rect().expect("rect");
            let cands: Vec<usize> = index.query_rect(r).collect();
            let got = assign_one(&h, &leaves, &index, &prepared, &fp);
            let want = by_overlay(&h, &leaves, &cands, &fp, r);
            if sole_holder(&h, &leaves, &cands, &prepared, &fp, r).is_some() {
                fast += 1;
            }
            checked += 1;
            assert_eq!(got.leaf, want.leaf, "{fp:?}");
            assert!((got.share - want.share).abs() < 1e-6, "{got:?} vs {want:?}");
            assert_eq!(got.cut_by.iter().map(|c| c.0).collect::<Vec<_>>(), want.cut_by.iter().map(|c| c.0).collect::<Vec<_>>());
            assert!((got.outside_m2 - want.outside_m2).abs() < 1e-3, "{got:?} vs {want:?}");
            assert_eq!(got.is_cut(), want.is_cut());
        }
        // the fast path is taken for most footprints, the overlay for the rest
        assert!(fast > checked / 2 && fast < checked, "{fast} of {checked}");
    }

    #[test]
    fn building_goes_to_largest_share_and_cut_is_reported() {
        let h = two_level();
        let g = &h.units[1].geometry;
        let r = g.bounding_rect().expect("rect");
        let c = r.center();
        let inner = Building {
            id: "in".into(),
            footprint: MultiPolygon(vec![Rect::new((c.x - 0.0001, c.y - 0.0001), (c.x + 0.0001, c.y + 0.0001)).to_polygon()]),
            households: None,
            population: None,
            floors: None,
            height: None,
            attributes: Default::default(),
        };
        let a = assign_buildings(&h, std::slice::from_ref(&inner));
        assert_eq!(a[0].leaf, h.leaves().into_iter().find(|&l| h.units[l].geometry.contains(&Point::from(c))));
        assert!(!a[0].is_cut());
        // straddle the right edge of the first grid
        let straddle = Building {
            id: "cut".into(),
            footprint: MultiPolygon(vec![Rect::new((r.max().x - 0.0003, c.y), (r.max().x + 0.0001, c.y + 0.0002)).to_polygon()]),
            ..inner
        };
        let a = assign_buildings(&h, &[straddle]);
        assert!(a[0].is_cut(), "{:?}", a[0]);
        assert!(a[0].share > 0.5 && a[0].share < 1.0);
    }
}
