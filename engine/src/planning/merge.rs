//! Merge neighbouring units of one parent into one new unit.
//!
//! Method, in a local metric projection centred on the units: two units are
//! neighbours when the length of A's boundary lying within 0.05 m of B's
//! (summed per edge pair with the adjacency engine's capsule interval,
//! `groups::adjacency::near_interval`) exceeds 0.5 m — touching at a corner
//! is not sharing a boundary; the units of a merge must form one connected
//! group of neighbours. The new geometry is the union (i_overlay) with
//! boolean-op dust under 0.01 m² dropped; children and building
//! reassignments of the merged units move to the new unit, which gets the
//! next free code under the parent. Complexity: O(Σ nᵢ·nⱼ) edge pairs over
//! the pairs of merged units (bounding boxes filter), plus the union.

use geo::{Area, BoundingRect, MultiPolygon, Validation};

use super::{Change, Draft, PlanError, SNAP_M, codes, fresh_id};
use crate::geometry::index::rect_union;
use crate::geometry::projection::LocalProjection;
use crate::groups::adjacency::near_interval;
use crate::model::UnitId;

/// Two units share a boundary when this much of it (m) lies within [`SNAP_M`] of the other's.
const MIN_SHARED_M: f64 = 0.5;

fn edges(mp: &MultiPolygon<f64>) -> Vec<([f64; 2], [f64; 2])> {
    mp.0.iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.0.windows(2).map(|w| ([w[0].x, w[0].y], [w[1].x, w[1].y])))
        .collect()
}

/// Length (m) of `a`'s boundary within `r` of `b`'s (metric input).
pub fn shared_length(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>, r: f64) -> f64 {
    let (ea, eb) = (edges(a), edges(b));
    let near = |p: &([f64; 2], [f64; 2]), q: &([f64; 2], [f64; 2])| {
        p.0[0].min(p.1[0]) <= q.0[0].max(q.1[0]) + r
            && q.0[0].min(q.1[0]) <= p.0[0].max(p.1[0]) + r
            && p.0[1].min(p.1[1]) <= q.0[1].max(q.1[1]) + r
            && q.0[1].min(q.1[1]) <= p.0[1].max(p.1[1]) + r
    };
    let mut total = 0.0;
    for p in &ea {
        let len = (p.1[0] - p.0[0]).hypot(p.1[1] - p.0[1]);
        for q in eb.iter().filter(|q| near(p, q)) {
            if let Some((lo, hi)) = near_interval(p.0, p.1, q.0, q.1, r) {
                total += (hi - lo).max(0.0) * len;
            }
        }
    }
    total
}

/// Merge `ids` of `d` into one unit (`new_id`, or the first id followed by `-m`).
pub fn merge(d: &mut Draft, ids: &[String], new_id: Option<&str>) -> Result<Change, PlanError> {
    let mut idx = Vec::new();
    for id in ids {
        let i = d.find(id)?;
        if !idx.contains(&i) {
            idx.push(i);
        }
    }
    if idx.len() < 2 {
        return Err(PlanError::MergeTooFew);
    }
    let first = &d.units[idx[0]];
    for &i in &idx[1..] {
        let u = &d.units[i];
        if u.parent != first.parent {
            return Err(PlanError::DifferentParents {
                a: first.id.0.clone(),
                b: u.id.0.clone(),
                pa: first.parent.as_ref().map(|p| p.0.clone()),
                pb: u.parent.as_ref().map(|p| p.0.clone()),
            });
        }
        if u.level != first.level {
            return Err(PlanError::DifferentLevels {
                a: first.id.0.clone(),
                b: u.id.0.clone(),
                la: first.level.0.clone(),
                lb: u.level.0.clone(),
            });
        }
    }
    let bb = idx.iter().filter_map(|&i| d.units[i].geometry.bounding_rect()).reduce(rect_union);
    let Some(bb) = bb else { return Err(PlanError::MergeTooFew) };
    let proj = LocalProjection::for_rect(bb);
    let pm: Vec<MultiPolygon<f64>> = idx.iter().map(|&i| proj.project_multi(&d.units[i].geometry)).collect();
    // connected through shared boundaries, grown from the first unit
    let mut reached = vec![false; idx.len()];
    reached[0] = true;
    let mut stack = vec![0];
    while let Some(a) = stack.pop() {
        for b in 0..idx.len() {
            if !reached[b] && shared_length(&pm[a], &pm[b], SNAP_M) > MIN_SHARED_M {
                reached[b] = true;
                stack.push(b);
            }
        }
    }
    if let Some(k) = reached.iter().position(|r| !r) {
        return Err(PlanError::NotAdjacent(d.units[idx[k]].id.0.clone()));
    }
    let union = geo::unary_union(pm.iter().flat_map(|m| m.0.iter()));
    let union = MultiPolygon(union.0.into_iter().filter(|p| p.unsigned_area() >= 0.01).collect());
    let mut geometry = proj.unproject_multi(&union);
    if !geometry.is_valid() {
        geometry = geo::unary_union(geometry.0.iter());
    }
    let old: Vec<String> = idx.iter().map(|&i| d.units[i].id.0.clone()).collect();
    let template = d.units[idx[0]].clone();
    let at = idx[0];
    let mut sorted = idx.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    for i in sorted {
        d.units.remove(i);
    }
    let id = match new_id {
        Some(n) if d.units.iter().any(|u| u.id.0 == n) => return Err(PlanError::DuplicateId(n.to_owned())),
        Some(n) => n.to_owned(),
        None => fresh_id(&d.units, &format!("{}-m", old[0])),
    };
    let mut unit = template.clone();
    unit.id = UnitId(id.clone());
    unit.geometry = geometry;
    unit.attributes.remove(codes::FIELD);
    if let Some(code) = codes::propose(&d.units, unit.parent.as_ref(), codes::code_of(&template)) {
        unit.attributes.insert(codes::FIELD.to_owned(), serde_json::Value::String(code));
    }
    d.units.insert(at.min(d.units.len()), unit);
    let mut moved = Vec::new();
    for c in d.units.iter_mut() {
        if c.parent.as_ref().is_some_and(|p| old.contains(&p.0)) {
            c.parent = Some(UnitId(id.clone()));
            moved.push(c.id.0.clone());
        }
    }
    for u in d.overrides.values_mut() {
        if old.contains(&u.0) {
            *u = UnitId(id.clone());
        }
    }
    Ok(Change { changed: moved, created: vec![id], removed: old })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Op, apply};
    use super::*;
    use geo::BooleanOps;

    fn sym_diff_m2(a: &MultiPolygon<f64>, b: &MultiPolygon<f64>) -> f64 {
        let r = rect_union(a.bounding_rect().expect("a"), b.bounding_rect().expect("b"));
        let p = LocalProjection::for_rect(r);
        let (pa, pb) = (p.project_multi(a), p.project_multi(b));
        pa.difference(&pb).unsigned_area() + pb.difference(&pa).unsigned_area()
    }

    #[test]
    fn split_then_merge_gives_the_unit_back() {
        let mut units = two_grids();
        // an irregular unit: a pentagon-ish grid with a notch
        units[1].geometry = {
            use geo::polygon;
            let c = |x: f64, y: f64| {
                let k = coord(x, y);
                (k[0], k[1])
            };
            let p = polygon![
                (x: c(0.0, 0.0).0, y: c(0.0, 0.0).1),
                (x: c(100.0, 0.0).0, y: c(100.0, 0.0).1),
                (x: c(100.0, 100.0).0, y: c(100.0, 100.0).1),
                (x: c(37.3, 81.9).0, y: c(37.3, 81.9).1),
                (x: c(0.0, 100.0).0, y: c(0.0, 100.0).1),
            ];
            MultiPolygon(vec![p])
        };
        let d = Draft::new(units);
        let line = vec![coord(13.7, -20.0), coord(48.1, 50.3), coord(71.9, 130.0)];
        let (cut, _) = apply(&d, &Op::Split { unit: "g1".into(), line, ids: None }).expect("split");
        let (back, change) = apply(&cut, &Op::Merge { units: vec!["g1-1".into(), "g1-2".into()], id: Some("g1".into()) }).expect("merge");
        assert_eq!(change.created, vec!["g1".to_owned()]);
        let i = back.find("g1").expect("merged");
        let diff = sym_diff_m2(&back.units[i].geometry, &d.units[1].geometry);
        assert!(diff < 0.01, "symmetric difference {diff} m²");
        assert_eq!(back.units[i].geometry.0.len(), 1, "one polygon");
        assert_eq!(back.units.len(), 3);
    }

    #[test]
    fn only_neighbours_of_one_parent_merge() {
        let mut units = two_grids();
        units.push(square("far", Some("c"), "grid", 300.0, 0.0, 400.0, 100.0));
        units.push(square("corner", Some("c"), "grid", 200.0, 100.0, 300.0, 200.0));
        units.push(square("other", Some("x"), "grid", 200.0, 0.0, 300.0, 100.0));
        let d = Draft::new(units);
        let m = |ids: &[&str]| apply(&d, &Op::Merge { units: ids.iter().map(|s| s.to_string()).collect(), id: None }).map(|(n, _)| n);
        assert_eq!(m(&["g1", "far"]).err(), Some(PlanError::NotAdjacent("far".into())));
        assert_eq!(m(&["g2", "corner"]).err(), Some(PlanError::NotAdjacent("corner".into())), "a corner is not a boundary");
        assert!(matches!(m(&["g2", "other"]).err(), Some(PlanError::DifferentParents { .. })));
        assert_eq!(m(&["g1", "g1"]).err(), Some(PlanError::MergeTooFew));
        assert!(matches!(m(&["g1", "c"]).err(), Some(PlanError::DifferentParents { .. })));
        let merged = m(&["g2", "g1"]).expect("neighbours");
        assert!(merged.find("g2-m").is_ok());
    }

    #[test]
    fn merged_units_take_codes_children_and_overrides() {
        let mut units = two_grids();
        units[0].attributes.insert("code".into(), "370202004001".into());
        units[1].attributes.insert("code".into(), "370202004001001".into());
        units[2].attributes.insert("code".into(), "370202004001002".into());
        units.push(square("b", Some("g1"), "building_grid", 0.0, 0.0, 10.0, 10.0));
        let mut d = Draft::new(units);
        d.overrides.insert("B1".into(), UnitId::from("g2"));
        let (n, change) = apply(&d, &Op::Merge { units: vec!["g1".into(), "g2".into()], id: Some("g".into()) }).expect("merge");
        let g = &n.units[n.find("g").expect("g")];
        assert_eq!(codes::code_of(g).as_deref(), Some("370202004001001"), "the next free after the merged ones left");
        assert_eq!(n.units[n.find("b").expect("b")].parent, Some(UnitId::from("g")));
        assert_eq!(n.overrides.get("B1"), Some(&UnitId::from("g")));
        assert_eq!(change.changed, vec!["b".to_owned()]);
        assert!(codes::check(&n.units).is_empty());
    }
}
