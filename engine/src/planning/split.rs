//! Split a unit in two by a drawn line.
//!
//! Method, in a local metric projection centred on the unit and the line:
//! the line is extended at both ends along its end segments to a circle
//! around everything (radius twice the farthest point), and closed along that
//! circle counter-clockwise, giving the half-plane-like "blade" polygon to the
//! line's left. The pieces are `unit ∩ blade` and `unit − blade` (geo's
//! boolean operations, i_overlay), so both share the line's coordinates and
//! their union is the unit again. Pieces under 0.01 m² (boolean-op dust) are
//! dropped; a side without at least 0.5 m² means the line misses the unit.
//! The pieces get new ids and the next free codes under the parent; the
//! unit's children go to the piece holding most of their area.
//! Complexity: O((n + k) log(n + k)) for n unit vertices and k line points,
//! plus O(k²) for the self-crossing check of the line.

use geo::{Area, BooleanOps, BoundingRect, Coord, Line, LineString, MultiPolygon, Polygon, Validation};

use super::{Change, Draft, PlanError, codes, fresh_id};
use crate::geometry::index::rect_union;
use crate::geometry::projection::LocalProjection;
use crate::geometry::validate::lonlat_in_range;
use crate::model::{Unit, UnitId};

/// Pieces smaller than this (m²) are boolean-op dust.
const DUST_M2: f64 = 0.01;
/// Each side of a split keeps at least this much (m²).
const MIN_SIDE_M2: f64 = 0.5;

/// Whether two segments that are not neighbours in the line cross or touch.
fn crosses_itself(pts: &[Coord<f64>]) -> bool {
    use geo::Intersects;
    let segs: Vec<Line<f64>> = pts.windows(2).map(|w| Line::new(w[0], w[1])).collect();
    (0..segs.len()).any(|i| (i + 2..segs.len()).any(|j| segs[i].intersects(&segs[j])))
}

/// Where the ray from `p` in direction `d` (unit vector) meets the circle of radius `r` around `c`.
fn to_circle(p: Coord<f64>, d: Coord<f64>, c: Coord<f64>, r: f64) -> Coord<f64> {
    // |p + t d - c|² = r², t > 0
    let f = p - c;
    let b = f.x * d.x + f.y * d.y;
    let cc = f.x * f.x + f.y * f.y - r * r;
    let t = -b + (b * b - cc).max(0.0).sqrt();
    p + d * t
}

fn unit_vec(a: Coord<f64>, b: Coord<f64>) -> Option<Coord<f64>> {
    let d = a - b;
    let n = d.x.hypot(d.y);
    (n > 1e-9).then(|| d / n)
}

/// The polygon left of the (metric) line, closed along a far circle.
fn blade(pts: &[Coord<f64>], around: geo::Rect<f64>) -> Option<Polygon<f64>> {
    let c = around.center();
    let far = pts.iter().chain([around.min(), around.max()].iter()).map(|p| (*p - c).x.hypot((*p - c).y)).fold(0.0, f64::max);
    let r = 2.0 * far + 100.0;
    let n = pts.len();
    let e0 = to_circle(pts[0], unit_vec(pts[0], pts[1])?, c, r);
    let e1 = to_circle(pts[n - 1], unit_vec(pts[n - 1], pts[n - 2])?, c, r);
    let mut ring = vec![e0];
    ring.extend_from_slice(pts);
    ring.push(e1);
    let a1 = (e1.y - c.y).atan2(e1.x - c.x);
    let a0 = (e0.y - c.y).atan2(e0.x - c.x);
    let mut sweep = a0 - a1;
    while sweep <= 0.0 {
        sweep += std::f64::consts::TAU;
    }
    let steps = (sweep / 0.1).ceil() as usize;
    for k in 1..steps {
        let a = a1 + sweep * k as f64 / steps as f64;
        ring.push(Coord { x: c.x + r * a.cos(), y: c.y + r * a.sin() });
    }
    ring.push(e0);
    let p = Polygon::new(LineString(ring), vec![]);
    p.is_valid().then_some(p)
}

fn without_dust(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    MultiPolygon(mp.0.into_iter().filter(|p| p.unsigned_area() >= DUST_M2).collect())
}

/// Back to lon/lat, dissolved when the boolean output is not valid as it stands.
fn back(proj: &LocalProjection, mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let g = proj.unproject_multi(mp);
    if g.is_valid() { g } else { geo::unary_union(g.0.iter()) }
}

/// Split unit `id` of `d` by `line` (lon/lat).
pub fn split(d: &mut Draft, id: &str, line: &[[f64; 2]], ids: Option<&[String; 2]>) -> Result<Change, PlanError> {
    let i = d.find(id)?;
    if line.len() < 2 {
        return Err(PlanError::ShortLine(line.len()));
    }
    if let Some(bad) = line.iter().find(|p| !lonlat_in_range(p[0], p[1])) {
        return Err(PlanError::BadCoordinate(*bad));
    }
    let unit = d.units[i].clone();
    let ll: Vec<Coord<f64>> = line.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
    let Some(bb) = unit.geometry.bounding_rect().map(|r| rect_union(r, LineString(ll.clone()).bounding_rect().unwrap_or(r))) else {
        return Err(PlanError::LineMissesUnit(id.to_owned()));
    };
    let proj = LocalProjection::for_rect(bb);
    let mut pts: Vec<Coord<f64>> = ll.iter().map(|c| proj.project(*c)).collect();
    pts.dedup_by(|a, b| (*a - *b).x.hypot((*a - *b).y) < 1e-6);
    if pts.len() < 2 {
        return Err(PlanError::ShortLine(pts.len()));
    }
    if crosses_itself(&pts) {
        return Err(PlanError::LineCrossesItself);
    }
    let pm = proj.project_multi(&unit.geometry);
    let mbb = pm.bounding_rect().ok_or_else(|| PlanError::LineMissesUnit(id.to_owned()))?;
    let around = rect_union(mbb, LineString(pts.clone()).bounding_rect().unwrap_or(mbb));
    let b = blade(&pts, around).ok_or(PlanError::LineCrossesItself)?;
    let left = without_dust(pm.intersection(&b));
    let right = without_dust(pm.difference(&b));
    if left.unsigned_area() < MIN_SIDE_M2 || right.unsigned_area() < MIN_SIDE_M2 {
        return Err(PlanError::LineMissesUnit(id.to_owned()));
    }
    let [ida, idb] = match ids {
        Some([a, b]) => {
            for x in [a, b] {
                if x != id && d.units.iter().any(|u| &u.id.0 == x) || a == b {
                    return Err(PlanError::DuplicateId(x.clone()));
                }
            }
            [a.clone(), b.clone()]
        }
        None => {
            let a = fresh_id(&d.units, &format!("{id}-1"));
            let b = fresh_id(&d.units, &format!("{id}-2"));
            [a, b]
        }
    };
    d.units.remove(i);
    let mut pieces = Vec::new();
    for (k, (nid, geom)) in [(ida, &left), (idb, &right)].into_iter().enumerate() {
        let mut attributes = unit.attributes.clone();
        attributes.remove(codes::FIELD);
        let mut u = Unit {
            id: UnitId(nid),
            parent: unit.parent.clone(),
            level: unit.level.clone(),
            name: format!("{}-{}", unit.name, k + 1),
            geometry: back(&proj, geom),
            attributes,
        };
        if let Some(code) = codes::propose(&d.units, u.parent.as_ref(), codes::code_of(&unit)) {
            u.attributes.insert(codes::FIELD.to_owned(), serde_json::Value::String(code));
        }
        d.units.insert(i + k, u);
        pieces.push((i + k, geom.clone()));
    }
    // the unit's children go to the piece that holds most of their area
    let new_ids = [d.units[pieces[0].0].id.clone(), d.units[pieces[1].0].id.clone()];
    let mut moved = Vec::new();
    for c in d.units.iter_mut().filter(|c| c.parent.as_ref().is_some_and(|p| p.0 == id)) {
        let cm = proj.project_multi(&c.geometry);
        let share = |g: &MultiPolygon<f64>| cm.intersection(g).unsigned_area();
        let to = if share(&pieces[0].1) >= share(&pieces[1].1) { 0 } else { 1 };
        c.parent = Some(new_ids[to].clone());
        moved.push(c.id.0.clone());
    }
    d.overrides.retain(|_, u| u.0 != id);
    Ok(Change { changed: moved, created: new_ids.iter().map(|u| u.0.clone()).collect(), removed: vec![id.to_owned()] })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Op, apply};
    use super::*;

    fn area_m2(mp: &MultiPolygon<f64>) -> f64 {
        let r = mp.bounding_rect().expect("box");
        LocalProjection::for_rect(r).project_multi(mp).unsigned_area()
    }

    #[test]
    fn a_square_is_cut_in_two_halves() {
        let d = Draft::new(two_grids());
        let op = Op::Split { unit: "g1".into(), line: vec![coord(50.0, -10.0), coord(50.0, 110.0)], ids: None };
        let (next, change) = apply(&d, &op).expect("split");
        assert_eq!(change.created, vec!["g1-1".to_owned(), "g1-2".to_owned()]);
        assert_eq!(change.removed, vec!["g1".to_owned()]);
        let whole = area_m2(&d.units[1].geometry);
        let a = area_m2(&next.units[next.find("g1-1").expect("a")].geometry);
        let b = area_m2(&next.units[next.find("g1-2").expect("b")].geometry);
        assert!((a + b - whole).abs() < 0.01, "{a} + {b} vs {whole}");
        assert!((a - b).abs() / whole < 1e-3, "{a} vs {b}");
        assert_eq!(next.units.len(), 4);
        assert!(next.units.iter().filter(|u| u.id.0.starts_with("g1-")).all(|u| u.parent == Some(UnitId::from("c"))));
    }

    #[test]
    fn bad_lines_are_named() {
        let d = Draft::new(two_grids());
        let miss = Op::Split { unit: "g1".into(), line: vec![coord(150.0, -10.0), coord(150.0, 110.0)], ids: None };
        assert_eq!(apply(&d, &miss).err(), Some(PlanError::LineMissesUnit("g1".into())));
        let short = Op::Split { unit: "g1".into(), line: vec![coord(50.0, -10.0)], ids: None };
        assert_eq!(apply(&d, &short).err(), Some(PlanError::ShortLine(1)));
        let zig = vec![coord(50.0, -10.0), coord(50.0, 110.0), coord(60.0, 50.0), coord(40.0, 50.0)];
        assert_eq!(apply(&d, &Op::Split { unit: "g1".into(), line: zig, ids: None }).err(), Some(PlanError::LineCrossesItself));
        let taken =
            Op::Split { unit: "g1".into(), line: vec![coord(50.0, -10.0), coord(50.0, 110.0)], ids: Some(["g2".into(), "x".into()]) };
        assert_eq!(apply(&d, &taken).err(), Some(PlanError::DuplicateId("g2".into())));
        let unknown = Op::Split { unit: "zz".into(), line: vec![coord(0.0, 0.0), coord(1.0, 1.0)], ids: None };
        assert_eq!(apply(&d, &unknown).err(), Some(PlanError::UnknownUnit("zz".into())));
    }

    #[test]
    fn children_follow_the_piece_that_holds_them() {
        let mut units = two_grids();
        units.push(square("b1", Some("g1"), "building_grid", 0.0, 0.0, 30.0, 100.0));
        units.push(square("b2", Some("g1"), "building_grid", 30.0, 0.0, 100.0, 100.0));
        let d = Draft::new(units);
        // a bent line through b2, mostly east of its middle
        let line = vec![coord(80.0, -10.0), coord(80.0, 50.0), coord(90.0, 110.0)];
        let (next, change) = apply(&d, &Op::Split { unit: "g1".into(), line, ids: Some(["west".into(), "east".into()]) }).expect("split");
        let parent = |id: &str| next.units[next.find(id).expect("unit")].parent.clone().map(|p| p.0);
        assert_eq!(parent("b1").as_deref(), Some("west"));
        assert_eq!(parent("b2").as_deref(), Some("west"), "b2 lies mostly west of the line");
        assert_eq!(change.changed, vec!["b1".to_owned(), "b2".to_owned()]);
    }
}
