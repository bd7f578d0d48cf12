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
//! A building is in the catchment when its distance is within the threshold, which
//! the oracle test checks against the polygon too (its attachment point lies in the
//! reached network). With no network (the straight-line method) the catchment is the
//! disc of radius `T / detour` around each facility.
//!
//! Complexity: O(E + Σ pieces' raster rows + boundary) per threshold.
//!
//! Reference: GB 50180-2018 life circles (300/500/1000 m); membership is checked against
//! networkx distances (engine/tests/service_oracle.rs).

use geo::{BoundingRect, Coord, MultiPoint, MultiPolygon, Point, Polygon};

use super::dijkstra::{Distances, Method, NetworkField};
use super::network::WalkNetwork;
use super::raster::Raster;
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

/// Largest raster per catchment (cells); beyond it the cell grows.
const MAX_CELLS: f64 = 64.0e6;

/// A reached piece: (edge, from metres, to metres along it).
pub type Piece = (u32, f64, f64);

/// The reached pieces of the network within `threshold_m`.
pub fn reached_pieces(net: &WalkNetwork, field: &NetworkField, threshold_m: f64) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (k, e) in net.edges.iter().enumerate() {
        let ru = threshold_m - field.node_m[e.from as usize];
        let rv = threshold_m - field.node_m[e.to as usize];
        let l = e.length_m;
        if ru >= l || rv >= l || (ru >= 0.0 && rv >= 0.0 && ru + rv >= l) {
            pieces.push((k as u32, 0.0, l));
            continue;
        }
        if ru >= 0.0 {
            pieces.push((k as u32, 0.0, ru));
        }
        if rv >= 0.0 {
            pieces.push((k as u32, l - rv, l));
        }
    }
    for a in field.facilities.iter().flatten() {
        let r = threshold_m - a.access_m;
        if r >= 0.0 {
            pieces.push((a.edge, (a.along_m - r).max(0.0), (a.along_m + r).min(net.edges[a.edge as usize].length_m)));
        }
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

/// The reached pieces buffered by `width_m`, lon/lat.
pub fn buffer_pieces(net: &WalkNetwork, pieces: &[Piece], width_m: f64) -> MultiPolygon<f64> {
    let mut line = Vec::new();
    let (mut min, mut max) = (Coord { x: f64::INFINITY, y: f64::INFINITY }, Coord { x: f64::NEG_INFINITY, y: f64::NEG_INFINITY });
    for &(e, lo, hi) in pieces {
        let whole = lo <= 0.0 && hi >= net.edges[e as usize].length_m;
        if whole {
            for c in &net.edges[e as usize].geometry {
                min = Coord { x: min.x.min(c.x), y: min.y.min(c.y) };
                max = Coord { x: max.x.max(c.x), y: max.y.max(c.y) };
            }
        } else {
            net.sub_polyline(e, lo, hi, &mut line);
            for c in &line {
                min = Coord { x: min.x.min(c.x), y: min.y.min(c.y) };
                max = Coord { x: max.x.max(c.x), y: max.y.max(c.y) };
            }
        }
    }
    if pieces.is_empty() || !min.x.is_finite() {
        return MultiPolygon(vec![]);
    }
    let mut raster = Raster::new(min, max, width_m, cell_for(width_m, min, max));
    for &(e, lo, hi) in pieces {
        let edge = &net.edges[e as usize];
        let g: &[Coord<f64>] = if lo <= 0.0 && hi >= edge.length_m {
            &edge.geometry
        } else {
            net.sub_polyline(e, lo, hi, &mut line);
            &line
        };
        for w in g.windows(2) {
            raster.fill_capsule(w[0], w[1], width_m);
        }
    }
    unproject(&net.projection, raster.outline())
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
    par::map(thresholds_m, 2, |&t| {
        let area = match (&d.field, d.method) {
            (Some(field), _) => buffer_pieces(net, &reached_pieces(net, field, t), width),
            (None, Method::StraightLine { detour }) if t >= 0.0 => discs(facilities, t / detour),
            _ => MultiPolygon(vec![]),
        };
        let buildings = d.nearest.iter().enumerate().filter(|(_, n)| n.is_some_and(|(_, m)| m <= t)).map(|(i, _)| i as u32).collect();
        Catchment { kind: d.kind.clone(), threshold_m: t, area, buildings }
    })
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
