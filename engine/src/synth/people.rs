//! Generated cameras, facilities and incidents (labelled generated).

use super::generated_attrs;
use crate::geometry::projection::LocalProjection;
use crate::model::{Building, Camera, CameraKind, CameraView, Facility, Incident, Metres, Unit};
use geo::{BoundingRect, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Cameras near building corners: about `per_building` per building, 25 % domes.
pub fn generate_cameras(buildings: &[Building], per_building: f64, seed: u64) -> Vec<Camera> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for b in buildings {
        if !rng.random_bool(per_building.clamp(0.0, 1.0)) {
            continue;
        }
        let Some(bb) = b.footprint.bounding_rect() else { continue };
        let proj = LocalProjection::for_rect(bb);
        let m = proj.project_multi(&b.footprint);
        let Some(mb) = m.bounding_rect() else { continue };
        let corner = rng.random_range(0..4);
        let (x, y, base): (f64, f64, f64) = match corner {
            0 => (mb.min().x - 2.0, mb.min().y - 2.0, 225.0),
            1 => (mb.max().x + 2.0, mb.min().y - 2.0, 135.0),
            2 => (mb.max().x + 2.0, mb.max().y + 2.0, 45.0),
            _ => (mb.min().x - 2.0, mb.max().y + 2.0, 315.0),
        };
        let ll = proj.unproject(geo::Coord { x, y });
        let dome = rng.random_bool(0.25);
        out.push(Camera {
            id: format!("CAM-{:05}", out.len() + 1),
            position: Point::from(ll),
            view: CameraView {
                heading_deg: if dome { 0.0 } else { (base + rng.random_range(-30.0..30.0f64)).rem_euclid(360.0) },
                fov_deg: if dome { 360.0 } else { rng.random_range(60.0..100.0f64).round() },
                range_m: Metres(if dome { 60.0 } else { rng.random_range(40.0..80.0f64).round() }),
                height_m: Metres(rng.random_range(3.0..6.0f64).round()),
            },
            kind: if dome { CameraKind::Dome } else { CameraKind::Fixed },
            attributes: generated_attrs(),
        });
    }
    out
}

/// Service facilities: a 党群服务中心 per community, and per grid a chance of
/// 先锋驿站, 邻里中心, 老年幸福食堂 or 卫生服务站.
pub fn generate_facilities(communities: &[Unit], grids: &[Unit], seed: u64) -> Vec<Facility> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::new();
    for c in communities {
        if let Some(p) = super::inside_point(c) {
            out.push(Facility {
                id: format!("FAC-{:04}", out.len() + 1),
                position: Point::from(p),
                kind: "党群服务中心".into(),
                name: format!("{}党群服务中心", c.name),
                attributes: generated_attrs(),
            });
        }
    }
    let kinds = ["先锋驿站", "邻里中心", "老年幸福食堂", "卫生服务站"];
    for g in grids {
        if !rng.random_bool(0.3) {
            continue;
        }
        let Some(bb) = g.geometry.bounding_rect() else { continue };
        let prepared = crate::units::assign::PreparedPolygon::new(&g.geometry);
        for _ in 0..50 {
            let x = rng.random_range(bb.min().x..=bb.max().x);
            let y = rng.random_range(bb.min().y..=bb.max().y);
            if prepared.contains(x, y) {
                let kind = kinds[rng.random_range(0..kinds.len())];
                out.push(Facility {
                    id: format!("FAC-{:04}", out.len() + 1),
                    position: Point::new(x, y),
                    kind: kind.into(),
                    name: format!("{}{}", g.name, kind),
                    attributes: generated_attrs(),
                });
                break;
            }
        }
    }
    out
}

/// Incident generation settings.
#[derive(Debug, Clone, Copy)]
pub struct IncidentSpec {
    pub count: usize,
    /// Window start and end, seconds since the epoch (UTC).
    pub from: i64,
    pub to: i64,
    pub seed: u64,
}

/// The default incident categories (湾沚-style classes).
pub const CATEGORIES: [&str; 9] = ["矛盾纠纷", "治安隐患", "安全生产", "环境卫生", "市容秩序", "基础设施", "民生服务", "消防安全", "其他"];
const CATEGORY_WEIGHTS: [u32; 9] = [14, 9, 6, 22, 16, 12, 13, 4, 4];
const HOUR_WEIGHTS: [u32; 24] = [1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 9, 10, 11, 11, 10, 9, 8, 7, 5, 4, 2, 1];
/// The levels at which an incident is resolved (小事不出楼栋…).
pub const RESOLVED_LEVELS: [&str; 5] = ["building_grid", "grid", "community", "street", "district"];

fn pick(rng: &mut ChaCha8Rng, w: &[u32]) -> usize {
    let total: u32 = w.iter().sum();
    let mut r = rng.random_range(0..total);
    for (i, &x) in w.iter().enumerate() {
        if r < x {
            return i;
        }
        r -= x;
    }
    w.len() - 1
}

/// Incidents near buildings (most) and anywhere in the leaves (some), with a
/// daily rhythm (peaks 9–11 and 14–16 local time), fewer on weekends.
pub fn generate_incidents(buildings: &[Building], leaves: &[Unit], spec: &IncidentSpec) -> Vec<Incident> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut out = Vec::with_capacity(spec.count);
    let days = ((spec.to - spec.from) / 86_400).max(1);
    let statuses = [("resolved", 70), ("in_progress", 12), ("dispatched", 8), ("reported", 10)];
    let sw: Vec<u32> = statuses.iter().map(|s| s.1).collect();
    let mut guard = 0;
    while out.len() < spec.count && guard < spec.count * 20 {
        guard += 1;
        let pos = if !buildings.is_empty() && rng.random_bool(0.8) {
            let b = &buildings[rng.random_range(0..buildings.len())];
            let Some(bb) = b.footprint.bounding_rect() else { continue };
            let c = bb.center();
            Point::new(c.x + rng.random_range(-0.0004..0.0004), c.y + rng.random_range(-0.0003..0.0003))
        } else if !leaves.is_empty() {
            let l = &leaves[rng.random_range(0..leaves.len())];
            let Some(bb) = l.geometry.bounding_rect() else { continue };
            Point::new(rng.random_range(bb.min().x..=bb.max().x), rng.random_range(bb.min().y..=bb.max().y))
        } else {
            break;
        };
        let day = rng.random_range(0..days);
        let day_start = spec.from + day * 86_400;
        // 1970-01-01 was a Thursday; weekday 0 = Monday (in UTC+8)
        let weekday = ((day_start + 8 * 3600) / 86_400 + 3).rem_euclid(7);
        if weekday >= 5 && rng.random_bool(0.4) {
            continue;
        }
        let hour = pick(&mut rng, &HOUR_WEIGHTS) as i64;
        // local hour (UTC+8) → UTC seconds
        let t = day_start - day_start.rem_euclid(86_400) + (hour - 8) * 3600 + rng.random_range(0..3600);
        let category = CATEGORIES[pick(&mut rng, &CATEGORY_WEIGHTS)];
        let status = statuses[pick(&mut rng, &sw)].0;
        let mut attributes = generated_attrs();
        if status == "resolved" {
            let lvl = RESOLVED_LEVELS[pick(&mut rng, &[35, 35, 18, 9, 3])];
            attributes.insert("resolved_level".into(), serde_json::Value::String(lvl.into()));
        }
        out.push(Incident {
            id: format!("INC-{:06}", out.len() + 1),
            position: pos,
            category: category.into(),
            occurred_at: t.clamp(spec.from, spec.to),
            status: status.into(),
            attributes,
        });
    }
    out
}
