//! Camera view polygons: what a camera sees of the ground, in metres.
//!
//! Method (2D): the exact visibility polygon by an angular sweep. The
//! building edges within range (found through the R-tree) are trimmed to the
//! range disk; the critical angles are the sector's two bounds, the edges'
//! end points and the points where edges of overlapping buildings cross.
//! Between two consecutive critical angles the nearest edge along the ray is
//! one and the same, so it is found once at the middle angle (edges bucketed
//! by angle) and the boundary there is the straight piece of that edge
//! between the two rays — or, where no edge is hit, the range arc
//! (polyline, ≤ 1° a step: area error < 0.01 %). O(k log k + k·b) for k
//! edges and b edges per angular bucket. The parts of the edges that form the
//! boundary are the facades the camera sees.
//!
//! Method (2.5D): buildings at least as high as the camera (or of unknown
//! height) occlude as in 2D; a lower building of height h hides, from a
//! camera at height H, the ground it sweeps when scaled about the camera
//! from 1 to H/(H − h) (the ground behind it up to the end of its shadow,
//! not everything behind it): the union of the footprint, its scaled copy
//! and the quadrilaterals swept by its edges. These shadows are subtracted
//! from the 2D polygon of the tall buildings (boolean operations). A camera
//! inside a footprint is on that roof: in 2D its own building is ignored; in
//! 2.5D it stands at roof height plus its own height and its building casts
//! a shadow like any other. Footprints are never ground.

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use serde::Serialize;

use crate::geometry::index::PolygonIndex;
use crate::geometry::projection::LocalProjection;
use crate::model::{Building, CameraView};

/// A visible part of a building edge: ring `ring` of polygon `part`, edge `edge`, parameters t0..t1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FacadeSeen {
    pub building: usize,
    pub part: u32,
    pub ring: u32,
    pub edge: u32,
    pub t0: f64,
    pub t1: f64,
}

/// What one camera sees.
#[derive(Debug, Clone)]
pub struct View {
    /// Visible ground, metres in the scene's projection.
    pub polygon: MultiPolygon<f64>,
    /// The building whose roof the camera stands on, if it stands inside a footprint.
    pub on_roof: Option<usize>,
    pub facades: Vec<FacadeSeen>,
}

/// A building edge in metres with where it came from.
#[derive(Debug, Clone, Copy)]
struct Edge {
    a: [f64; 2],
    b: [f64; 2],
    building: usize,
    part: u32,
    ring: u32,
    edge: u32,
}

/// Buildings in metres with an R-tree, ready for view computations.
#[derive(Debug, Clone)]
pub struct Scene {
    pub proj: LocalProjection,
    /// Footprints in metres.
    pub footprints: Vec<MultiPolygon<f64>>,
    /// Heights in metres (None: unknown).
    pub heights: Vec<Option<f64>>,
    edges: Vec<Vec<Edge>>,
    index: PolygonIndex,
    /// Largest step of the range arc, radians.
    pub arc_step: f64,
}

impl Scene {
    /// Project the buildings; heights from `height`, else floors × `storey_m`.
    pub fn new(buildings: &[Building], proj: LocalProjection, storey_m: f64) -> Scene {
        let footprints: Vec<MultiPolygon<f64>> = buildings.iter().map(|b| proj.project_multi(&b.footprint)).collect();
        let heights = buildings.iter().map(|b| b.height_or(storey_m).map(|m| m.0)).collect();
        Self::from_metric(footprints, heights, proj)
    }

    /// A scene from footprints already in metres.
    pub fn from_metric(footprints: Vec<MultiPolygon<f64>>, heights: Vec<Option<f64>>, proj: LocalProjection) -> Scene {
        let edges = footprints
            .iter()
            .enumerate()
            .map(|(bi, mp)| {
                let mut v = Vec::new();
                for (pi, p) in mp.0.iter().enumerate() {
                    for (ri, r) in std::iter::once(p.exterior()).chain(p.interiors()).enumerate() {
                        for (ei, l) in r.lines().enumerate() {
                            if l.start != l.end {
                                v.push(Edge {
                                    a: [l.start.x, l.start.y],
                                    b: [l.end.x, l.end.y],
                                    building: bi,
                                    part: pi as u32,
                                    ring: ri as u32,
                                    edge: ei as u32,
                                });
                            }
                        }
                    }
                }
                v
            })
            .collect();
        let index = PolygonIndex::new(footprints.iter().map(|f| f.bounding_rect()));
        Scene { proj, footprints, heights, edges, index, arc_step: 1f64.to_radians() }
    }

    /// Buildings whose box meets the rectangle (metres).
    pub fn buildings_in(&self, r: Rect<f64>) -> impl Iterator<Item = usize> + '_ {
        self.index.query_rect(r)
    }

    /// Buildings whose box meets the disk's box.
    fn near(&self, c: [f64; 2], r: f64) -> Vec<usize> {
        let mut v: Vec<usize> = self.index.query_rect(Rect::new((c[0] - r, c[1] - r), (c[0] + r, c[1] + r))).collect();
        v.sort_unstable();
        v
    }

    /// The buildings whose footprint holds the point (boundary included, 1 mm).
    pub fn containing(&self, c: [f64; 2]) -> Vec<usize> {
        self.index
            .query_rect(Rect::new((c[0] - 1e-3, c[1] - 1e-3), (c[0] + 1e-3, c[1] + 1e-3)))
            .filter(|&b| inside_or_on(&self.footprints[b], c, 1e-3))
            .collect()
    }

    /// The 2D view: every building is a wall of unlimited height.
    pub fn view_2d(&self, cam: [f64; 2], spec: &CameraView) -> View {
        let roofs = self.containing(cam);
        let on_roof = self.tallest(&roofs);
        let near = self.near(cam, spec.range_m.0.max(0.0));
        let edges: Vec<Edge> = near.iter().filter(|b| !roofs.contains(b)).flat_map(|&b| self.edges[b].iter().copied()).collect();
        let (ring, facades) = sweep(cam, spec, &edges, self.arc_step);
        let facades = self.outside_roofs(facades, &roofs);
        let mut polygon = ring_polygon(ring);
        for &b in &roofs {
            if !polygon.0.is_empty() {
                polygon = drop_dust(polygon.difference(&self.footprints[b]));
            }
        }
        View { polygon, on_roof, facades }
    }

    /// The 2.5D view: buildings lower than the camera hide only their shadows.
    pub fn view_25d(&self, cam: [f64; 2], spec: &CameraView) -> View {
        let roofs = self.containing(cam);
        let on_roof = self.tallest(&roofs);
        let ground_h = on_roof.and_then(|b| self.heights[b]).unwrap_or(0.0);
        let h_cam = ground_h + spec.height_m.0.max(0.0);
        let near = self.near(cam, spec.range_m.0.max(0.0));
        let tall = |b: usize| self.heights[b].is_none_or(|h| h >= h_cam - 1e-9);
        // walls: tall buildings (never the camera's own roof)
        let walls: Vec<Edge> =
            near.iter().filter(|&&b| !roofs.contains(&b) && tall(b)).flat_map(|&b| self.edges[b].iter().copied()).collect();
        let (ring, _) = sweep(cam, spec, &walls, self.arc_step);
        let mut polygon = ring_polygon(ring);
        if polygon.0.is_empty() {
            return View { polygon, on_roof, facades: Vec::new() };
        }
        let view_box = polygon.bounding_rect();
        let mut shadows: Vec<Polygon<f64>> = Vec::new();
        for &b in &near {
            let own = roofs.contains(&b);
            if !own && tall(b) {
                continue;
            }
            let h = self.heights[b].unwrap_or(0.0).max(0.0);
            if own && h >= h_cam {
                continue;
            }
            if let (Some(vb), Some(bb)) = (view_box, self.footprints[b].bounding_rect())
                && !crate::geometry::index::rects_touch(vb, bb)
            {
                continue;
            }
            let f = if h_cam > h { h_cam / (h_cam - h) } else { f64::INFINITY };
            shadows.extend(shadow(cam, &self.footprints[b], f, spec.range_m.0));
        }
        if !shadows.is_empty() {
            // the union needs consistently oriented rings
            let all = MultiPolygon(shadows.into_iter().map(|p| p.orient(Direction::Default)).collect());
            let hidden = geo::unary_union(&all);
            polygon = drop_dust(polygon.difference(&hidden));
        }
        // facades as seen at their foot: the 2D sweep over every building
        let all_edges: Vec<Edge> = near.iter().filter(|b| !roofs.contains(b)).flat_map(|&b| self.edges[b].iter().copied()).collect();
        let (_, facades) = sweep(cam, spec, &all_edges, self.arc_step);
        let facades = self.outside_roofs(facades, &roofs);
        View { polygon, on_roof, facades }
    }

    /// Facades not inside (or on) the footprint of the roof the camera stands on:
    /// walls of building parts under the camera's own roof are not seen.
    fn outside_roofs(&self, facades: Vec<FacadeSeen>, roofs: &[usize]) -> Vec<FacadeSeen> {
        if roofs.is_empty() {
            return facades;
        }
        facades
            .into_iter()
            .filter(|f| {
                let r = &self.footprints[f.building].0[f.part as usize];
                let ring = if f.ring == 0 { r.exterior() } else { &r.interiors()[f.ring as usize - 1] };
                let (a, b) = (ring.0[f.edge as usize], ring.0[f.edge as usize + 1]);
                let t = (f.t0 + f.t1) / 2.0;
                let m = [a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)];
                !roofs.iter().any(|&o| inside_or_on(&self.footprints[o], m, 1e-3))
            })
            .collect()
    }

    fn tallest(&self, bs: &[usize]) -> Option<usize> {
        bs.iter().copied().max_by(|&a, &b| self.heights[a].unwrap_or(0.0).total_cmp(&self.heights[b].unwrap_or(0.0)).then(b.cmp(&a)))
    }
}

/// Views of many cameras (positions in the scene's metres), over the machine's cores.
pub fn views(scene: &Scene, cams: &[([f64; 2], CameraView)], with_heights: bool) -> Vec<View> {
    crate::geometry::par::map(cams, 64, |(c, s)| if with_heights { scene.view_25d(*c, s) } else { scene.view_2d(*c, s) })
}

/// The region a footprint hides from a camera when scaled about it from 1 to
/// `f` (∞ = up to beyond the range): footprint, scaled copy and swept edges.
fn shadow(cam: [f64; 2], fp: &MultiPolygon<f64>, f: f64, range: f64) -> Vec<Polygon<f64>> {
    // one factor for every vertex (a homothety keeps the rings simple): f, or
    // less when f·|x| already passes 4 R for the nearest boundary point x
    let near =
        fp.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|r| r.lines())
            .map(|l| dist_point_segment(cam, [l.start.x, l.start.y], [l.end.x, l.end.y]))
            .fold(f64::INFINITY, f64::min);
    let k = f.min(4.0 * range / near.max(0.05)).max(1.0);
    let far = |p: Coord<f64>| Coord { x: cam[0] + (p.x - cam[0]) * k, y: cam[1] + (p.y - cam[1]) * k };
    let mut out = Vec::new();
    for p in &fp.0 {
        out.push(p.clone());
        // the scaled copy keeps its holes: a camera in a courtyard sees the courtyard
        let scale = |r: &LineString<f64>| LineString(r.coords().map(|&c| far(c)).collect());
        out.push(Polygon::new(scale(p.exterior()), p.interiors().iter().map(scale).collect()));
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for l in r.lines() {
                if l.start == l.end {
                    continue;
                }
                let quad = Polygon::new(LineString(vec![l.start, l.end, far(l.end), far(l.start), l.start]), vec![]);
                if geo::Area::unsigned_area(&quad) > 1e-9 {
                    out.push(quad);
                }
            }
        }
    }
    out
}

/// Pieces smaller than this (m²) left by boolean operations are dropped: they
/// carry no area and their near-collinear rings upset later operations.
pub const DUST_M2: f64 = 0.01;

/// A multipolygon without its dust pieces.
pub fn drop_dust(m: MultiPolygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(m.0.into_iter().filter(|p| geo::Area::unsigned_area(p) >= DUST_M2).collect())
}

fn ring_polygon(ring: Vec<[f64; 2]>) -> MultiPolygon<f64> {
    if ring.len() < 3 {
        return MultiPolygon(Vec::new());
    }
    let mut cs: Vec<Coord<f64>> = ring.into_iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    cs.dedup_by(|a, b| (a.x - b.x).abs() < 1e-9 && (a.y - b.y).abs() < 1e-9);
    if cs.len() < 3 {
        return MultiPolygon(Vec::new());
    }
    cs.push(cs[0]);
    let p = Polygon::new(LineString(cs), vec![]);
    if geo::Area::unsigned_area(&p) <= 1e-9 { MultiPolygon(Vec::new()) } else { MultiPolygon(vec![p]) }
}

fn inside_or_on(mp: &MultiPolygon<f64>, c: [f64; 2], eps: f64) -> bool {
    let mut inside = false;
    for p in &mp.0 {
        let mut crossings = false;
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for l in r.lines() {
                let (a, b) = ([l.start.x, l.start.y], [l.end.x, l.end.y]);
                if dist_point_segment(c, a, b) <= eps {
                    return true;
                }
                if (a[1] > c[1]) != (b[1] > c[1]) && c[0] < a[0] + (c[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]) {
                    crossings = !crossings;
                }
            }
        }
        inside |= crossings;
    }
    inside
}

fn dist_point_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}

fn cross(a: [f64; 2], b: [f64; 2]) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

/// A trimmed edge relative to the camera, with its parameter range on the original edge.
#[derive(Debug, Clone, Copy)]
struct Piece {
    p: [f64; 2],
    q: [f64; 2],
    /// original edge parameters of p and q
    tp: f64,
    tq: f64,
    src: usize,
}

/// The visibility boundary (metric, absolute) and the facades seen.
fn sweep(cam: [f64; 2], spec: &CameraView, edges: &[Edge], arc_step: f64) -> (Vec<[f64; 2]>, Vec<FacadeSeen>) {
    let r = spec.range_m.0;
    let fov = spec.fov_deg;
    if !(r > 0.0 && r.is_finite() && fov > 0.0 && fov.is_finite() && spec.heading_deg.is_finite()) {
        return (Vec::new(), Vec::new());
    }
    let full = fov >= 360.0;
    let tau = std::f64::consts::TAU;
    let span = if full { tau } else { fov.to_radians() };
    // math angle of the sector's start (counter-clockwise from east)
    let a0 = if full { 0.0 } else { (90.0 - spec.heading_deg).to_radians() - span / 2.0 };
    let rel = |v: [f64; 2]| (v[1].atan2(v[0]) - a0).rem_euclid(tau);
    // trim the edges to the range disk, relative to the camera
    let mut pieces: Vec<Piece> = Vec::with_capacity(edges.len());
    for (k, e) in edges.iter().enumerate() {
        let p = [e.a[0] - cam[0], e.a[1] - cam[1]];
        let q = [e.b[0] - cam[0], e.b[1] - cam[1]];
        let d = [q[0] - p[0], q[1] - p[1]];
        let dd = d[0] * d[0] + d[1] * d[1];
        if dd == 0.0 {
            continue;
        }
        // |p + t d|² ≤ r²
        let b = p[0] * d[0] + p[1] * d[1];
        let c = p[0] * p[0] + p[1] * p[1] - r * r;
        let disc = b * b - dd * c;
        if disc <= 0.0 {
            continue;
        }
        let s = disc.sqrt();
        let (t0, t1) = (((-b - s) / dd).max(0.0), ((-b + s) / dd).min(1.0));
        if t0 >= t1 {
            continue;
        }
        let at = |t: f64| [p[0] + t * d[0], p[1] + t * d[1]];
        let (pp, qq) = (at(t0), at(t1));
        // an edge through the camera hides nothing (zero angular width)
        if cross(pp, qq).abs() < 1e-12 * (1.0 + dd) {
            continue;
        }
        pieces.push(Piece { p: pp, q: qq, tp: t0, tq: t1, src: k });
    }
    // critical angles: sector bounds, piece ends, crossings of pieces
    let mut angles: Vec<f64> = vec![0.0, span];
    for pc in &pieces {
        angles.push(rel(pc.p));
        angles.push(rel(pc.q));
    }
    for i in 0..pieces.len() {
        let (p, q) = (pieces[i].p, pieces[i].q);
        let (lo, hi) = ([p[0].min(q[0]), p[1].min(q[1])], [p[0].max(q[0]), p[1].max(q[1])]);
        for pj in &pieces[i + 1..] {
            let (u, v) = (pj.p, pj.q);
            if u[0].max(v[0]) < lo[0] || u[0].min(v[0]) > hi[0] || u[1].max(v[1]) < lo[1] || u[1].min(v[1]) > hi[1] {
                continue;
            }
            let d1 = [q[0] - p[0], q[1] - p[1]];
            let d2 = [v[0] - u[0], v[1] - u[1]];
            let den = cross(d1, d2);
            if den.abs() < 1e-15 {
                continue;
            }
            let w = [u[0] - p[0], u[1] - p[1]];
            let (s, t) = (cross(w, d2) / den, cross(w, d1) / den);
            if (0.0..=1.0).contains(&s) && (0.0..=1.0).contains(&t) {
                angles.push(rel([p[0] + s * d1[0], p[1] + s * d1[1]]));
            }
        }
    }
    angles.retain(|&a| a <= span);
    angles.sort_by(f64::total_cmp);
    angles.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    // pieces bucketed by angle
    let nb = (pieces.len() / 2).clamp(8, 1024);
    let bw = tau / nb as f64;
    let mut buckets: Vec<Vec<u32>> = vec![Vec::new(); nb];
    for (i, pc) in pieces.iter().enumerate() {
        let (mut s, mut e) = (rel(pc.p), rel(pc.q));
        if cross(pc.p, pc.q) < 0.0 {
            std::mem::swap(&mut s, &mut e);
        }
        // counter-clockwise from s to e (less than half a turn)
        let len = (e - s).rem_euclid(tau);
        let first = (s / bw) as usize;
        let count = (len / bw) as usize + 2;
        for k in 0..count.min(nb) {
            buckets[(first + k) % nb].push(i as u32);
        }
    }
    let ray = |a: f64| {
        let t = a + a0;
        [t.cos(), t.sin()]
    };
    // distance along direction u to the line through the piece, and the piece parameter there
    let hit = |pc: &Piece, u: [f64; 2]| -> Option<(f64, f64)> {
        let d = [pc.q[0] - pc.p[0], pc.q[1] - pc.p[1]];
        let den = cross(u, d);
        if den.abs() < 1e-15 {
            return None;
        }
        let dist = cross(pc.p, d) / den;
        let s = cross(pc.p, u) / den;
        Some((dist, s))
    };
    let mut out: Vec<[f64; 2]> = Vec::new();
    let mut facades = Vec::new();
    if !full {
        out.push(cam);
    }
    let push = |out: &mut Vec<[f64; 2]>, u: [f64; 2], dist: f64| out.push([cam[0] + u[0] * dist, cam[1] + u[1] * dist]);
    // the part of a piece between piece parameters sa and sb is seen: as parameters of its original edge
    let credit = |facades: &mut Vec<FacadeSeen>, pc: &Piece, sa: f64, sb: f64| {
        let e = &edges[pc.src];
        let t = |s: f64| pc.tp + s.clamp(0.0, 1.0) * (pc.tq - pc.tp);
        let (t0, t1) = (t(sa).min(t(sb)), t(sa).max(t(sb)));
        if t1 > t0 {
            facades.push(FacadeSeen { building: e.building, part: e.part, ring: e.ring, edge: e.edge, t0, t1 });
        }
    };
    for w in angles.windows(2) {
        let (alpha, beta) = (w[0], w[1]);
        if beta - alpha < 1e-12 {
            continue;
        }
        let mid = (alpha + beta) / 2.0;
        let um = ray(mid);
        let mut best: Option<(f64, usize)> = None;
        for &i in &buckets[((mid / bw) as usize).min(nb - 1)] {
            if let Some((dist, s)) = hit(&pieces[i as usize], um)
                && dist > 0.0
                && (-1e-12..=1.0 + 1e-12).contains(&s)
                && best.is_none_or(|b| dist < b.0)
            {
                best = Some((dist, i as usize));
            }
        }
        let (ua, ub) = (ray(alpha), ray(beta));
        // edges within 1 mm of the nearest (coincident walls of duplicate buildings) are seen too
        if let Some((bd, bi)) = best {
            for &i in &buckets[((mid / bw) as usize).min(nb - 1)] {
                let i = i as usize;
                if i == bi {
                    continue;
                }
                let pc = &pieces[i];
                if let Some((dist, s)) = hit(pc, um)
                    && dist > 0.0
                    && dist <= bd + 1e-3
                    && (-1e-12..=1.0 + 1e-12).contains(&s)
                {
                    let (_, sa) = hit(pc, ray(alpha)).unwrap_or((r, 0.0));
                    let (_, sb) = hit(pc, ray(beta)).unwrap_or((r, 1.0));
                    credit(&mut facades, pc, sa, sb);
                }
            }
        }
        match best {
            Some((_, i)) => {
                let pc = &pieces[i];
                let (da, sa) = hit(pc, ua).unwrap_or((r, 0.0));
                let (db, sb) = hit(pc, ub).unwrap_or((r, 1.0));
                push(&mut out, ua, da.clamp(0.0, r));
                push(&mut out, ub, db.clamp(0.0, r));
                credit(&mut facades, pc, sa, sb);
            }
            None => {
                let steps = ((beta - alpha) / arc_step).ceil().max(1.0) as usize;
                for k in 0..=steps {
                    push(&mut out, ray(alpha + (beta - alpha) * k as f64 / steps as f64), r);
                }
            }
        }
    }
    (out, facades)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Metres;
    use geo::Area;

    fn cv(heading_deg: f64, fov_deg: f64, range_m: f64, height_m: f64) -> CameraView {
        CameraView { heading_deg, fov_deg, range_m: Metres(range_m), height_m: Metres(height_m) }
    }

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Polygon::new(LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]), vec![])])
    }

    fn scene(fps: Vec<MultiPolygon<f64>>, heights: Vec<Option<f64>>) -> Scene {
        Scene::from_metric(fps, heights, LocalProjection::new(120.4, 36.06))
    }

    #[test]
    fn empty_scene_gives_the_sector() {
        let s = scene(vec![], vec![]);
        let dome = cv(0.0, 360.0, 50.0, 5.0);
        let a = s.view_2d([0.0, 0.0], &dome).polygon.unsigned_area();
        assert!((a - std::f64::consts::PI * 2500.0).abs() / a < 1e-4, "{a}");
        let quarter = CameraView { fov_deg: 90.0, ..dome };
        let a = s.view_2d([0.0, 0.0], &quarter).polygon.unsigned_area();
        assert!((a - std::f64::consts::PI * 2500.0 / 4.0).abs() / a < 1e-4, "{a}");
        for bad in [
            CameraView { fov_deg: 0.0, ..dome },
            CameraView { range_m: Metres(0.0), ..dome },
            CameraView { range_m: Metres(f64::NAN), ..dome },
        ] {
            assert!(s.view_2d([0.0, 0.0], &bad).polygon.0.is_empty());
        }
    }

    #[test]
    fn a_wall_hides_what_is_behind_it() {
        // a building 10..20 m east, from y −5 to 5: the camera at the origin looking east
        let s = scene(vec![rect(10.0, -5.0, 20.0, 5.0)], vec![Some(30.0)]);
        let v = s.view_2d([0.0, 0.0], &cv(90.0, 360.0, 40.0, 5.0));
        use geo::Contains;
        assert!(!v.polygon.contains(&geo::Point::new(30.0, 0.0)), "behind the building");
        assert!(v.polygon.contains(&geo::Point::new(5.0, 0.0)));
        assert!(v.polygon.contains(&geo::Point::new(30.0, 20.0)));
        // the facade facing the camera (x = 10) is seen in full, the far one not at all
        let seen: f64 = v.facades.iter().filter(|f| f.edge == 3).map(|f| f.t1 - f.t0).sum();
        assert!((seen - 1.0).abs() < 1e-9, "{:?}", v.facades);
        assert!(!v.facades.iter().any(|f| f.edge == 1));
        // a camera higher than the building sees past it in 2.5D: only its shadow is hidden
        let low = scene(vec![rect(10.0, -5.0, 20.0, 5.0)], vec![Some(4.0)]);
        let v = low.view_25d([0.0, 0.0], &cv(90.0, 360.0, 40.0, 8.0));
        // shadow ends at 20 · 8 / (8 − 4) = 40 m along the axis
        assert!(!v.polygon.contains(&geo::Point::new(30.0, 0.0)));
        assert!(v.polygon.contains(&geo::Point::new(5.0, 0.0)));
        let v = low.view_25d([0.0, 0.0], &cv(90.0, 360.0, 60.0, 8.0));
        assert!(v.polygon.contains(&geo::Point::new(45.0, 0.0)), "visible again past the shadow");
    }

    #[test]
    fn a_camera_in_a_courtyard_sees_the_courtyard() {
        // a 60 × 60 block with a 20 × 20 courtyard; the camera in the courtyard
        let outer = LineString::from(vec![(0.0, 0.0), (60.0, 0.0), (60.0, 60.0), (0.0, 60.0), (0.0, 0.0)]);
        let hole = LineString::from(vec![(20.0, 20.0), (40.0, 20.0), (40.0, 40.0), (20.0, 40.0), (20.0, 20.0)]);
        let block = MultiPolygon(vec![Polygon::new(outer, vec![hole])]);
        for h in [Some(12.0), Some(3.0)] {
            let s = scene(vec![block.clone()], vec![h]);
            let spec = cv(0.0, 360.0, 100.0, 5.0);
            let v = s.view_2d([30.0, 30.0], &spec);
            assert!((v.polygon.unsigned_area() - 400.0).abs() < 1e-6, "2D: {}", v.polygon.unsigned_area());
            assert_eq!(v.on_roof, None);
            let seen: f64 = v.facades.iter().map(|f| f.t1 - f.t0).sum();
            assert!((seen - 4.0).abs() < 1e-9, "the four courtyard walls");
            let v = s.view_25d([30.0, 30.0], &spec);
            let a = v.polygon.unsigned_area();
            if h == Some(12.0) {
                assert!((a - 400.0).abs() < 1e-6, "2.5D behind tall walls: {a}");
            } else {
                // over a 3 m block from 5 m: the ground beyond its shadow (to 2.5× the far edge) shows again
                assert!(a > 400.0, "2.5D over low walls: {a}");
            }
        }
    }
}
