//! Property test: a tile's decoded geometry lies within the clipped source.
//! Random lines and polygons around a random tile at a random zoom are encoded
//! with the server's clipping, decoded with mvt-reader, and every decoded
//! vertex must lie in the buffered tile and on (lines) or in (polygons) the
//! source geometry within the grid-snapping tolerance; polygon areas must
//! equal the area of the source intersected with the buffered tile.

use geo::{Area, BooleanOps, Contains, Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon};
use mvt_reader::Reader;
use proptest::prelude::*;
use wangge::tiles::clip::{tile_lines, tile_polygons};
use wangge::tiles::grid::{BUFFER, EXTENT, TileProj};
use wangge::tiles::mvt::{LayerBuilder, TileGeom};

/// A rounded vertex is within √½ of the exact one; a little more for the float round trips.
const TOL: f64 = 0.75;
const LO: f64 = -(BUFFER as f64);
const HI: f64 = EXTENT as f64 + BUFFER as f64;

/// A tile away from the world's edges, so that its neighbours exist.
fn tile() -> impl Strategy<Value = (u8, u32, u32)> {
    (3u8..=20).prop_flat_map(|z| {
        let n = 1u32 << z;
        (Just(z), n / 4..3 * n / 4, n / 4..3 * n / 4)
    })
}

/// Tile coordinates back to lon/lat (inverse Web Mercator).
fn unproject(z: u8, x: u32, y: u32, p: (f64, f64)) -> Coord<f64> {
    let scale = f64::from(EXTENT) * f64::from(1u32 << z);
    let wx = (f64::from(x) * f64::from(EXTENT) + p.0) / scale;
    let wy = (f64::from(y) * f64::from(EXTENT) + p.1) / scale;
    Coord { x: wx * 360.0 - 180.0, y: (std::f64::consts::PI * (1.0 - 2.0 * wy)).sinh().atan().to_degrees() }
}

fn seg_dist(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let l2 = dx * dx + dy * dy;
    let t = if l2 == 0.0 { 0.0 } else { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / l2).clamp(0.0, 1.0) };
    let (qx, qy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - qx).powi(2) + (p.1 - qy).powi(2)).sqrt()
}

fn in_box(x: f64, y: f64) -> bool {
    let r = LO - TOL..=HI + TOL;
    r.contains(&x) && r.contains(&y)
}

fn decode(geom: &TileGeom) -> Option<Geometry<f32>> {
    let mut lb = LayerBuilder::new("t");
    lb.add(Some(1), geom, &[]);
    if lb.is_empty() {
        return None;
    }
    let reader = Reader::new(lb.encode()).expect("decodes");
    Some(reader.get_features(0).expect("features").remove(0).geometry)
}

/// A simple polygon star-shaped around `c`, in tile coordinates: vertex i at angle
/// (i + 0.9·jitterᵢ)/n of a turn, so consecutive angles are less than half a turn apart
/// (n ≥ 4) and `c` sees every edge; convex when all radii are equal.
fn star(c: (f64, f64), jitter: &[f64], radii: &[f64]) -> Vec<(f64, f64)> {
    let n = jitter.len() as f64;
    jitter
        .iter()
        .enumerate()
        .zip(radii.iter().cycle())
        .map(|((i, j), r)| {
            let a = (i as f64 + 0.9 * j) / n * std::f64::consts::TAU;
            (c.0 + r * a.cos(), c.1 + r * a.sin())
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn decoded_lines_lie_on_the_clipped_source(
        (z, x, y) in tile(),
        pts in prop::collection::vec((-4096.0f64..8192.0, -4096.0f64..8192.0), 2..12),
    ) {
        let tp = TileProj::new(z, x, y);
        let ll: Vec<Coord<f64>> = pts.iter().map(|p| unproject(z, x, y, *p)).collect();
        // the source as the server sees it, back in tile coordinates
        let src: Vec<(f64, f64)> = ll.iter().map(|c| tp.project(*c)).collect();
        let parts = tile_lines(&MultiLineString(vec![LineString(ll)]), &tp);
        if let Some(g) = decode(&TileGeom::Lines(parts.clone())) {
            let lines: Vec<LineString<f32>> = match g {
                Geometry::LineString(l) => vec![l],
                Geometry::MultiLineString(m) => m.0,
                other => panic!("not a line: {other:?}"),
            };
            prop_assert_eq!(lines.len(), parts.len());
            for l in &lines {
                prop_assert!(l.0.len() >= 2);
                for c in &l.0 {
                    let p = (f64::from(c.x), f64::from(c.y));
                    prop_assert!(in_box(p.0, p.1), "{:?} outside the buffered tile", p);
                    let d = src.windows(2).map(|w| seg_dist(p, w[0], w[1])).fold(f64::INFINITY, f64::min);
                    prop_assert!(d <= TOL, "{:?} is {} from the source", p, d);
                }
            }
        }
        // nothing of the source inside the tile is lost: a segment crossing the inner tile gives a part
        let crosses = src.windows(2).any(|w| wangge::tiles::clip::liang_barsky(w[0], w[1], 1.0, 4095.0).is_some_and(|(t0, t1)| {
            let len = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
            (t1 - t0) * len > 2.0
        }));
        if crosses {
            prop_assert!(!parts.is_empty());
        }
    }

    #[test]
    fn decoded_polygons_lie_in_the_clipped_source(
        (z, x, y) in tile(),
        c in (-2048.0f64..6144.0, -2048.0f64..6144.0),
        jitter in prop::collection::vec(0.0f64..1.0, 4..14),
        radii in prop::collection::vec(50.0f64..7000.0, 1..6),
        convex in any::<bool>(),
    ) {
        let radii = if convex { vec![radii[0]] } else { radii };
        let ring = star(c, &jitter, &radii);
        let tp = TileProj::new(z, x, y);
        let mut ll: Vec<Coord<f64>> = ring.iter().map(|p| unproject(z, x, y, *p)).collect();
        ll.push(ll[0]);
        let src_tile: Vec<Coord<f64>> = ll.iter().map(|c| { let p = tp.project(*c); Coord { x: p.0, y: p.1 } }).collect();
        let src_poly = Polygon::new(LineString(src_tile.clone()), vec![]);
        prop_assume!(src_poly.unsigned_area() > 1.0);
        let polys = tile_polygons(&MultiPolygon(vec![Polygon::new(LineString(ll), vec![])]), &tp);
        let boxed = geo::Rect::new((LO, LO), (HI, HI)).to_polygon();
        let clipped = src_poly.intersection(&boxed);
        let decoded: Vec<Polygon<f32>> = match decode(&TileGeom::Polygons(polys)) {
            None => vec![],
            Some(Geometry::Polygon(p)) => vec![p],
            Some(Geometry::MultiPolygon(m)) => m.0,
            Some(other) => panic!("not a polygon: {other:?}"),
        };
        let mut area = 0.0;
        for p in &decoded {
            let ext: Vec<(f64, f64)> = p.exterior().coords().map(|c| (f64::from(c.x), f64::from(c.y))).collect();
            let a2: f64 = ext.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum();
            prop_assert!(a2 > 0.0, "exterior rings are positive in y-down tile coordinates");
            area += a2 / 2.0;
            for &(px, py) in &ext {
                prop_assert!(in_box(px, py), "({}, {}) outside the buffered tile", px, py);
                let pt = geo::Point::new(px, py);
                let near = src_tile.windows(2).map(|w| seg_dist((px, py), (w[0].x, w[0].y), (w[1].x, w[1].y))).fold(f64::INFINITY, f64::min);
                let on_box_edge = [px - LO, HI - px, py - LO, HI - py].iter().any(|d| d.abs() <= TOL);
                // Sutherland–Hodgman joins the pieces of a concave polygon along the box edge: such vertices
                // lie on the edge; every other vertex is in the source or on its boundary
                prop_assert!(src_poly.contains(&pt) || near <= TOL || (!convex && on_box_edge),
                    "({}, {}) is outside the source by {}", px, py, near);
            }
        }
        let want = clipped.unsigned_area();
        let perimeter: f64 = clipped.0.iter().map(|p| p.exterior().lines().map(|l| (l.dx().powi(2) + l.dy().powi(2)).sqrt()).sum::<f64>()).sum();
        prop_assert!((area - want).abs() <= perimeter * TOL + 2.0, "area {} vs source ∩ tile {} (perimeter {})", area, want, perimeter);
    }
}
