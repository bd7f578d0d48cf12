//! Catchments: the part of the street network within a threshold of the nearest
//! facility of a kind, as polygons (not circles), and the buildings it serves.
//!
//! Method: from the node distances of the multi-source search ([`super::dijkstra`]), an
//! edge `(u, v)` of length `L` is reached whole when `d(u) + L ≤ T`, `d(v) + L ≤ T` or
//! `(T − d(u)) + (T − d(v)) ≥ L`; otherwise its first `T − d(u)` and last `T − d(v)` metres
//! are. A facility's own edge is also reached `T − access` metres either side of its
//! attachment. Every reached piece is buffered by `width_m` ([`super::raster`]: capsules
//! on a grid of `width/5` metre cells, at most 5 m, outline traced; the boundary is
//! within half a cell diagonal of the exact buffer — 3.5 m at the default 25 m width).
//! All thresholds of a kind share one grid of levels: the reach grows with the threshold,
//! so each edge's stretch within the k-th threshold less its stretch within the one
//! before is rasterised once, at level k, and each catchment is traced from the cells at
//! or below its level.
//! A building is in the catchment when its distance is within the threshold, which
//! the oracle test checks against the polygon too (its attachment point lies in the
//! reached network). With no network (the straight-line method) the catchment is the
//! disc of radius `T / detour` around each facility.
//!
//! Complexity: O(E · thresholds) to find the stretches, O(rows of the pieces reached at the
//! largest threshold) to fill, O(grid + boundary) per threshold to trace.
//!
//! Reference: GB 50180-2018 life circles (300/500/1000 m); membership is checked against
//! networkx distances (engine/tests/service_oracle.rs).

use geo::{BoundingRect, Coord, MultiPoint, MultiPolygon, Point, Polygon};

use super::attach::Attachment;
use super::dijkstra::{Distances, Method, NetworkField};
use super::network::WalkNetwork;
use super::raster::{Levels, Raster};
use crate::geometry::par;
use crate::geometry::projection::LocalProjection;

/// The reach of one facility kind within one threshold.
#[derive(Debug, Clone)]
pub struct Catchment {
    pub kind: String,
    pub threshold_m: f64,
    /// The reached network buffered (lon/lat).
    pub area: MultiPolygon<f64>,
    /// Buildings whose distance is within the threshold.
    pub buildings: Vec<u32>,
}

/// Largest raster per kind (cells, one byte each); beyond it the cell grows.
const MAX_CELLS: f64 = 32.0e6;

/// A reached piece: (edge, from metres, to metres along it).
pub type Piece = (u32, f64, f64);

/// The facilities' attachments sorted by edge (the same-edge pieces).
fn by_edge(field: &NetworkField) -> Vec<Attachment> {
    let mut f: Vec<Attachment> = field.facilities.iter().flatten().copied().collect();
    f.sort_by_key(|a| a.edge);
    f
}

/// The attachments in `sorted` (by edge) on edge `k`.
fn on_edge(sorted: &[Attachment], k: u32) -> &[Attachment] {
    let start = sorted.partition_point(|a| a.edge < k);
    let end = start + sorted[start..].partition_point(|a| a.edge == k);
    &sorted[start..end]
}

/// The reached stretches of edge `k` within `t` metres, sorted and merged, into `out`:
/// the whole edge, or its first `t − d(u)` and last `t − d(v)` metres, and `t − access`
/// either side of each facility attached to it. Monotone in `t` (the stretches of a
/// smaller threshold lie inside those of a larger one).
fn edge_reach(net: &WalkNetwork, field: &NetworkField, k: u32, facilities: &[Attachment], t: f64, out: &mut Vec<(f64, f64)>) {
    out.clear();
    let e = &net.edges[k as usize];
    let ru = t - field.node_m[e.from as usize];
    let rv = t - field.node_m[e.to as usize];
    let l = e.length_m;
    if ru >= l || rv >= l || (ru >= 0.0 && rv >= 0.0 && ru + rv >= l) {
        out.push((0.0, l));
        return;
    }
    if ru >= 0.0 {
        out.push((0.0, ru));
    }
    if rv >= 0.0 {
        out.push((l - rv, l));
    }
    for a in facilities {
        let r = t - a.access_m;
        if r >= 0.0 {
            out.push(((a.along_m - r).max(0.0), (a.along_m + r).min(l)));
        }
    }
    if out.len() > 1 {
        out.sort_by(|x, y| x.0.total_cmp(&y.0));
        let mut m = 0;
        for n in 1..out.len() {
            if out[n].0 <= out[m].1 {
                out[m].1 = out[m].1.max(out[n].1);
            } else {
                m += 1;
                out[m] = out[n];
            }
        }
        out.truncate(m + 1);
    }
}

/// `a` minus `b` (both sorted and merged) into `out`; a point of `a` outside `b` stays a point.
fn subtract(a: &[(f64, f64)], b: &[(f64, f64)], out: &mut Vec<(f64, f64)>) {
    out.clear();
    let mut k = 0;
    for &(lo, hi) in a {
        while k < b.len() && b[k].1 < lo {
            k += 1;
        }
        let mut s = lo;
        let mut covered = false;
        let mut n = k;
        while n < b.len() && b[n].0 <= hi {
            if b[n].0 > s {
                out.push((s, b[n].0));
            }
            covered |= b[n].0 <= s && b[n].1 >= s;
            s = s.max(b[n].1);
            n += 1;
        }
        if s < hi || (lo == hi && !covered) {
            out.push((s, hi));
        }
    }
}

/// The reached pieces of the network within `threshold_m`.
pub fn reached_pieces(net: &WalkNetwork, field: &NetworkField, threshold_m: f64) -> Vec<Piece> {
    let fac = by_edge(field);
    let mut pieces = Vec::new();
    let mut stretch = Vec::new();
    for k in 0..net.edges.len() as u32 {
        edge_reach(net, field, k, on_edge(&fac, k), threshold_m, &mut stretch);
        pieces.extend(stretch.iter().map(|&(lo, hi)| (k, lo, hi)));
    }
    pieces
}

fn cell_for(width_m: f64, min: Coord<f64>, max: Coord<f64>) -> f64 {
    let mut cell = (width_m / 5.0).clamp(0.25, 5.0);
    let span = (max.x - min.x + 2.0 * width_m) * (max.y - min.y + 2.0 * width_m);
    if span / (cell * cell) > MAX_CELLS {
        cell = (span / MAX_CELLS).sqrt();
    }
    cell
}

/// The reached network buffered by `width_m` for each threshold (lon/lat, in the order given),
/// on one grid: each edge's stretch within the k-th smallest threshold less the stretch within
/// the one before is filled at level k, so every piece of network is rasterised once and the
/// catchment of the k-th threshold is the cells at or below level k.
pub fn buffer_reach(net: &WalkNetwork, field: &NetworkField, thresholds_m: &[f64], width_m: f64) -> Vec<MultiPolygon<f64>> {
    let mut out = vec![MultiPolygon(vec![]); thresholds_m.len()];
    let mut order: Vec<usize> = (0..thresholds_m.len()).filter(|&i| thresholds_m[i] >= 0.0).collect();
    order.sort_by(|&a, &b| thresholds_m[a].total_cmp(&thresholds_m[b]));
    let fac = by_edge(field);
    let (mut cur, mut prev, mut diff, mut line) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for group in order.chunks(usize::from(Levels::MAX) + 1) {
        let ts: Vec<f64> = group.iter().map(|&i| thresholds_m[i]).collect();
        let Some(&tmax) = ts.last() else { continue };
        // the grid: the box of every edge reached at the largest threshold
        let (mut min, mut max) = (Coord { x: f64::INFINITY, y: f64::INFINITY }, Coord { x: f64::NEG_INFINITY, y: f64::NEG_INFINITY });
        let mut reached = Vec::new();
        for k in 0..net.edges.len() as u32 {
            edge_reach(net, field, k, on_edge(&fac, k), tmax, &mut cur);
            if !cur.is_empty() {
                reached.push(k);
                for c in &net.edges[k as usize].geometry {
                    min = Coord { x: min.x.min(c.x), y: min.y.min(c.y) };
                    max = Coord { x: max.x.max(c.x), y: max.y.max(c.y) };
                }
            }
        }
        if !min.x.is_finite() {
            continue;
        }
        let mut levels = Levels::new(min, max, width_m, cell_for(width_m, min, max));
        for &k in &reached {
            let edge = &net.edges[k as usize];
            prev.clear();
            for (level, &t) in ts.iter().enumerate() {
                edge_reach(net, field, k, on_edge(&fac, k), t, &mut cur);
                subtract(&cur, &prev, &mut diff);
                for &(lo, hi) in &diff {
                    let g: &[Coord<f64>] = if lo <= 0.0 && hi >= edge.length_m {
                        &edge.geometry
                    } else {
                        net.sub_polyline(k, lo, hi, &mut line);
                        &line
                    };
                    for w in g.windows(2) {
                        levels.fill_capsule(w[0], w[1], width_m, level as u8);
                    }
                }
                std::mem::swap(&mut cur, &mut prev);
            }
        }
        let areas =
            par::map(&(0..group.len()).collect::<Vec<_>>(), 2, |&level| unproject(&net.projection, levels.at_most(level as u8).outline()));
        for (&i, a) in group.iter().zip(areas) {
            out[i] = a;
        }
    }
    out
}

fn unproject(p: &LocalProjection, polys: Vec<Polygon<f64>>) -> MultiPolygon<f64> {
    p.unproject_multi(&MultiPolygon(polys))
}

/// Discs of radius `r` metres around points (the straight-line fallback and the gaps), lon/lat.
pub fn discs(points: &[Point<f64>], r: f64) -> MultiPolygon<f64> {
    let Some(bb) = MultiPoint(points.iter().copied().filter(|p| p.x().is_finite() && p.y().is_finite()).collect()).bounding_rect() else {
        return MultiPolygon(vec![]);
    };
    let proj = LocalProjection::for_rect(bb);
    let (min, max) = (proj.project(bb.min()), proj.project(bb.max()));
    let mut raster = Raster::new(min, max, r, cell_for(r, min, max));
    for p in points.iter().filter(|p| p.x().is_finite() && p.y().is_finite()) {
        let c = proj.project(p.0);
        raster.fill_capsule(c, c, r);
    }
    unproject(&proj, raster.outline())
}

/// One catchment per threshold for the facilities (the same list, in the same order,
/// that produced `d`); `width_m` ≤ 0 or not finite takes the default 25 m.
pub fn catchments(net: &WalkNetwork, facilities: &[Point<f64>], thresholds_m: &[f64], width_m: f64, d: &Distances) -> Vec<Catchment> {
    let width = if width_m.is_finite() && width_m > 0.0 { width_m } else { super::DEFAULT_WIDTH_M };
    let areas = match (&d.field, d.method) {
        (Some(field), _) => buffer_reach(net, field, thresholds_m, width),
        (None, Method::StraightLine { detour }) => {
            par::map(thresholds_m, 2, |&t| if t >= 0.0 { discs(facilities, t / detour) } else { MultiPolygon(vec![]) })
        }
        _ => vec![MultiPolygon(vec![]); thresholds_m.len()],
    };
    thresholds_m
        .iter()
        .zip(areas)
        .map(|(&t, area)| {
            let buildings = d.nearest.iter().enumerate().filter(|(_, n)| n.is_some_and(|(_, m)| m <= t)).map(|(i, _)| i as u32).collect();
            Catchment { kind: d.kind.clone(), threshold_m: t, area, buildings }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::dijkstra::{DistanceOptions, distances};
    use super::super::network::tests::net;
    use super::*;
    use geo::{Area, Contains};

    fn pt(n: &WalkNetwork, x: f64, y: f64) -> Point<f64> {
        Point(n.projection.unproject(Coord { x, y }))
    }

    #[test]
    fn partial_edges_and_the_facility_edge() {
        // a straight street of 1000 m with a facility at 400 m, 10 m off
        let n = net(&[&[(0.0, 0.0), (1000.0, 0.0)]]);
        let f = [pt(&n, 400.0, 10.0)];
        let b = [pt(&n, 100.0, 5.0), pt(&n, 650.0, 20.0), pt(&n, 900.0, 0.0)];
        let d = distances(Some(&n), &b, &f, "k", &DistanceOptions::default());
        let field = d.field.as_ref().expect("network");
        let p = reached_pieces(&n, field, 300.0);
        // the facility's own edge: 290 m either side (110..690); the end nodes at 410 / 610 are beyond
        assert!(p.iter().any(|&(e, lo, hi)| e == 0 && (lo - 110.0).abs() < 1e-9 && (hi - 690.0).abs() < 1e-9), "{p:?}");
        let c = catchments(&n, &f, &[300.0], 25.0, &d);
        assert_eq!(c[0].buildings, vec![1]);
        let proj = n.projection;
        let area = proj.project_multi(&c[0].area);
        // 580 m × 50 m plus two half discs, within the raster tolerance
        let exact = 580.0 * 50.0 + std::f64::consts::PI * 625.0;
        assert!((area.unsigned_area() - exact).abs() / exact < 0.03, "{}", area.unsigned_area());
        assert!(area.contains(&Point::new(650.0, 0.0)), "{area:?}");
        assert!(!area.contains(&Point::new(80.0, 0.0)) && area.contains(&Point::new(95.0, 0.0)));
    }

    #[test]
    fn subtract_keeps_what_the_smaller_reach_left_out() {
        let mut out = Vec::new();
        subtract(&[(0.0, 100.0)], &[(0.0, 30.0), (60.0, 70.0)], &mut out);
        assert_eq!(out, vec![(30.0, 60.0), (70.0, 100.0)]);
        subtract(&[(0.0, 10.0), (50.0, 50.0), (80.0, 80.0)], &[(0.0, 10.0), (79.0, 81.0)], &mut out);
        assert_eq!(out, vec![(50.0, 50.0)], "a new point stays, a covered point goes");
        subtract(&[(0.0, 100.0)], &[], &mut out);
        assert_eq!(out, vec![(0.0, 100.0)]);
    }

    #[test]
    fn one_grid_for_all_thresholds_draws_each_as_alone() {
        // a grid of streets with two facilities: every threshold's polygon from the shared grid
        // covers the same area as that threshold computed alone (same cells: the grids differ
        // only by their origin, so within the cells of the boundary)
        let mut lines: Vec<Vec<(f64, f64)>> = Vec::new();
        for k in 0..6 {
            let c = f64::from(k) * 120.0;
            lines.push((0..6).map(|i| (f64::from(i) * 120.0, c)).collect());
            lines.push((0..6).map(|i| (c, f64::from(i) * 120.0)).collect());
        }
        let refs: Vec<&[(f64, f64)]> = lines.iter().map(Vec::as_slice).collect();
        let n = net(&refs);
        let f = [pt(&n, 130.0, 10.0), pt(&n, 500.0, 370.0)];
        let d = distances(Some(&n), &[pt(&n, 0.0, 0.0)], &f, "k", &DistanceOptions::default());
        let field = d.field.as_ref().expect("network");
        let ts = [500.0, 90.0, 250.0, 90.0, -1.0];
        let all = buffer_reach(&n, field, &ts, 20.0);
        for (t, shared) in ts.iter().zip(&all) {
            let alone = buffer_reach(&n, field, &[*t], 20.0);
            let (a, b) = (n.projection.project_multi(shared).unsigned_area(), n.projection.project_multi(&alone[0]).unsigned_area());
            if *t < 0.0 {
                assert!(a == 0.0 && b == 0.0);
                continue;
            }
            assert!(a > 0.0 && (a - b).abs() / b < 0.01, "{t} m: {a} m² on the shared grid, {b} m² alone");
        }
        let area = |k: usize| n.projection.project_multi(&all[k]).unsigned_area();
        assert!(area(1) < area(2) && area(2) < area(0) && area(1) == area(3));
    }

    #[test]
    fn nothing_reached_and_the_straight_line_discs() {
        let n = net(&[&[(0.0, 0.0), (100.0, 0.0)]]);
        let d = distances(Some(&n), &[pt(&n, 50.0, 0.0)], &[pt(&n, 50.0, 500.0)], "k", &DistanceOptions::default());
        let c = catchments(&n, &[], &[300.0], 25.0, &d);
        assert!(c[0].area.0.is_empty() && c[0].buildings.is_empty());
        let empty = net(&[]);
        let f = [pt(&n, 0.0, 0.0)];
        let d = distances(None, &[pt(&n, 0.0, 200.0)], &f, "k", &DistanceOptions::default());
        let c = catchments(&empty, &f, &[270.0, 300.0], 25.0, &d);
        assert_eq!(c[0].buildings, vec![0]);
        let r: f64 = 300.0 / 1.3;
        let a = LocalProjection::for_rect(geo::Rect::new(f[0].0, f[0].0)).project_multi(&c[1].area).unsigned_area();
        assert!((a - std::f64::consts::PI * r * r).abs() / a < 0.02, "{a}");
    }
}
