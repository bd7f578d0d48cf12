//! View polygons against brute-force ray casting written plainly here:
//! 3,600 rays per camera over random scenes of rotated rectangles and
//! L-shaped buildings (some overlapping, some touching), cameras outside and
//! on roofs, domes and narrow sectors; 2D and 2.5D. Areas within 1 %; every
//! view inside its sector.

use geo::{Area, BooleanOps, Contains, Coord, LineString, MultiPolygon, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wangge_engine::cameras::visibility::Scene;
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::model::{CameraView, Metres};

const RAYS: usize = 3600;

fn poly(pts: &[(f64, f64)]) -> MultiPolygon<f64> {
    let mut v: Vec<(f64, f64)> = pts.to_vec();
    v.push(pts[0]);
    MultiPolygon(vec![Polygon::new(LineString::from(v), vec![])])
}

fn random_scene(seed: u64) -> (Vec<MultiPolygon<f64>>, Vec<Option<f64>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut fps = Vec::new();
    let mut hs = Vec::new();
    for k in 0..160 {
        let (cx, cy) = (rng.random_range(0.0..300.0), rng.random_range(0.0..300.0));
        let (w, h) = (rng.random_range(6.0..30.0), rng.random_range(6.0..20.0));
        let a: f64 = rng.random_range(0.0..std::f64::consts::PI);
        let rot = |x: f64, y: f64| (cx + x * a.cos() - y * a.sin(), cy + x * a.sin() + y * a.cos());
        let pts: Vec<(f64, f64)> = if k % 3 == 0 {
            // an L shape (concave)
            vec![rot(0.0, 0.0), rot(w, 0.0), rot(w, h / 2.0), rot(w / 2.0, h / 2.0), rot(w / 2.0, h), rot(0.0, h)]
        } else {
            vec![rot(0.0, 0.0), rot(w, 0.0), rot(w, h), rot(0.0, h)]
        };
        fps.push(poly(&pts));
        hs.push(Some(rng.random_range(3.0..40.0)));
    }
    // two buildings touching along an edge
    fps.push(poly(&[(320.0, 0.0), (340.0, 0.0), (340.0, 20.0), (320.0, 20.0)]));
    fps.push(poly(&[(340.0, 0.0), (360.0, 0.0), (360.0, 20.0), (340.0, 20.0)]));
    hs.push(Some(12.0));
    hs.push(None);
    (fps, hs)
}

/// Where the ray from c in direction u crosses the rings of a footprint (distances > 0).
fn crossings(c: [f64; 2], u: [f64; 2], fp: &MultiPolygon<f64>) -> Vec<f64> {
    let mut out = Vec::new();
    for p in &fp.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for l in r.lines() {
                let (a, b) = ([l.start.x - c[0], l.start.y - c[1]], [l.end.x - c[0], l.end.y - c[1]]);
                let d = [b[0] - a[0], b[1] - a[1]];
                let den = u[0] * d[1] - u[1] * d[0];
                if den.abs() < 1e-14 {
                    continue;
                }
                let t = (a[0] * d[1] - a[1] * d[0]) / den;
                let s = (a[0] * u[1] - a[1] * u[0]) / den;
                if t > 1e-9 && (0.0..1.0).contains(&s) {
                    out.push(t);
                }
            }
        }
    }
    out.sort_by(f64::total_cmp);
    out
}

fn inside(fp: &MultiPolygon<f64>, c: [f64; 2]) -> bool {
    fp.contains(&Coord { x: c[0], y: c[1] })
}

/// Intervals of the ray inside a footprint: pairs of crossings (even-odd), starting inside if the camera is.
fn spans(c: [f64; 2], u: [f64; 2], fp: &MultiPolygon<f64>) -> Vec<(f64, f64)> {
    let mut xs = crossings(c, u, fp);
    if inside(fp, c) {
        xs.insert(0, 0.0);
    }
    xs.chunks(2).filter(|w| w.len() == 2).map(|w| (w[0], w[1])).collect()
}

/// Visible ground area by ray casting: visible intervals along each ray, ∫ r dr dθ.
fn ray_cast(c: [f64; 2], spec: &CameraView, fps: &[MultiPolygon<f64>], hs: &[Option<f64>], with_heights: bool) -> f64 {
    let full = spec.fov_deg >= 360.0;
    let span = if full { std::f64::consts::TAU } else { spec.fov_deg.to_radians() };
    let a0 = if full { 0.0 } else { (90.0 - spec.heading_deg).to_radians() - span / 2.0 };
    let r = spec.range_m.0;
    let own: Vec<usize> = (0..fps.len()).filter(|&b| inside(&fps[b], c)).collect();
    let roof = own.iter().map(|&b| hs[b].unwrap_or(0.0)).fold(0.0, f64::max);
    let h_cam = if own.is_empty() { spec.height_m.0 } else { roof + spec.height_m.0 };
    // only buildings whose box meets the range's box can matter
    let near: Vec<usize> = (0..fps.len())
        .filter(|&b| {
            geo::BoundingRect::bounding_rect(&fps[b])
                .is_some_and(|bb| bb.min().x <= c[0] + r && bb.max().x >= c[0] - r && bb.min().y <= c[1] + r && bb.max().y >= c[1] - r)
        })
        .collect();
    let mut area = 0.0;
    for i in 0..RAYS {
        let th = a0 + span * (i as f64 + 0.5) / RAYS as f64;
        let u = [th.cos(), th.sin()];
        // hidden intervals along the ray
        let mut hidden: Vec<(f64, f64)> = Vec::new();
        for &b in &near {
            let fp = &fps[b];
            let is_own = own.contains(&b);
            for (x_in, x_out) in spans(c, u, fp) {
                // a footprint is never ground
                hidden.push((x_in, x_out));
                if with_heights {
                    let h = hs[b];
                    let tall = h.is_none_or(|h| h >= h_cam - 1e-9);
                    if is_own && tall {
                        continue;
                    }
                    if tall {
                        hidden.push((x_in, f64::INFINITY));
                    } else {
                        let f = h_cam / (h_cam - h.unwrap_or(0.0));
                        hidden.push((x_in, f * x_out));
                    }
                } else if !is_own {
                    hidden.push((x_in, f64::INFINITY));
                }
            }
        }
        hidden.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut pos = 0.0;
        let mut vis = 0.0;
        for (a, b) in hidden {
            if a > pos {
                let (x, y) = (pos.min(r), a.min(r));
                vis += (y * y - x * x) / 2.0;
            }
            pos = f64::max(pos, b);
        }
        if pos < r {
            vis += (r * r - pos * pos) / 2.0;
        }
        area += vis * span / RAYS as f64;
    }
    area
}

fn sector(c: [f64; 2], spec: &CameraView) -> MultiPolygon<f64> {
    let full = spec.fov_deg >= 360.0;
    let span = if full { std::f64::consts::TAU } else { spec.fov_deg.to_radians() };
    let a0 = if full { 0.0 } else { (90.0 - spec.heading_deg).to_radians() - span / 2.0 };
    let mut pts: Vec<(f64, f64)> = if full { Vec::new() } else { vec![(c[0], c[1])] };
    // slightly larger than the range so the polygonal arc stays inside
    let r = spec.range_m.0 * 1.001;
    for k in 0..=720 {
        let t = a0 + span * k as f64 / 720.0;
        pts.push((c[0] + r * t.cos(), c[1] + r * t.sin()));
    }
    poly(&pts)
}

#[test]
fn view_areas_match_ray_casting() {
    let proj = LocalProjection::new(120.38, 36.07);
    let mut checked = 0;
    for seed in 0..3u64 {
        let (fps, hs) = random_scene(seed);
        let scene = Scene::from_metric(fps.clone(), hs.clone(), proj);
        let mut rng = ChaCha8Rng::seed_from_u64(100 + seed);
        for k in 0..24 {
            // every fourth camera on a roof (inside a rectangle's first corner)
            let c = if k % 4 == 0 {
                let e = fps[3 * k + 1].0[0].exterior().0.clone();
                [0.8 * e[0].x + 0.1 * e[1].x + 0.1 * e[2].x, 0.8 * e[0].y + 0.1 * e[1].y + 0.1 * e[2].y]
            } else {
                [rng.random_range(-20.0..380.0), rng.random_range(-20.0..320.0)]
            };
            let spec = CameraView {
                heading_deg: rng.random_range(0.0..360.0),
                fov_deg: [360.0, 90.0, 45.0, 200.0][k % 4],
                range_m: Metres(rng.random_range(30.0..120.0)),
                height_m: Metres(rng.random_range(3.0..30.0)),
            };
            for with_heights in [false, true] {
                let v = if with_heights { scene.view_25d(c, &spec) } else { scene.view_2d(c, &spec) };
                let ours = v.polygon.unsigned_area();
                let truth = ray_cast(c, &spec, &fps, &hs, with_heights);
                assert!(
                    (ours - truth).abs() <= 0.01 * truth + 0.5,
                    "seed {seed} camera {k} at {c:?} {spec:?} 2.5D {with_heights}: ours {ours:.2} m² vs rays {truth:.2} m²"
                );
                let outside = v.polygon.difference(&sector(c, &spec)).unsigned_area();
                assert!(outside < 1e-6 * (1.0 + ours), "view outside its sector by {outside} m²");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 144);
}

fn square_box(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    poly(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
}

#[test]
fn camera_on_a_roof_and_degenerate_buildings() {
    let s = Scene::from_metric(
        vec![square_box(-5.0, -5.0, 5.0, 5.0), square_box(5.0, -5.0, 15.0, 5.0), square_box(30.0, 0.0, 30.0, 10.0)],
        vec![Some(20.0), Some(20.0), None],
        LocalProjection::new(120.4, 36.06),
    );
    let v = s.view_2d([0.0, 0.0], &CameraView::dome(50.0, 3.0));
    assert_eq!(v.on_roof, Some(0));
    assert!(v.polygon.unsigned_area() > 0.0);
    // touching building 1 hides the ground east of it
    assert!(!v.polygon.contains(&geo::Point::new(20.0, 0.0)));
    // camera exactly on a corner shared by both
    let v = s.view_25d([5.0, 5.0], &CameraView::dome(50.0, 3.0));
    assert!(v.on_roof.is_some());
}
