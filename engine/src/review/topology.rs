//! Overlaps, gaps, slivers and children outside their parent, one sibling
//! group at a time, so that an edit rechecks only the groups it touched.
//!
//! Method: a sibling group is a parent and its children (or the top-level
//! units). Each group is checked by [`crate::units::integrity::check`] on a
//! small hierarchy of just that parent and its children, in id order, so the
//! result of a group depends only on the group's own units and is the same
//! whether the layer is checked whole or one group again after an edit.
//! Cost per group: O(k log k + p) box tests and boolean operations on the k
//! children's polygons (local metric projection centred on the group).

use geo::MultiPolygon;

use crate::model::{Unit, UnitId};
use crate::review::finding::{Finding, FindingKind, Location, Severity};
use crate::units::hierarchy::Hierarchy;
use crate::units::integrity::{self, GapKind, IntegrityConfig};

/// The key of a sibling group: its parent, or None for the top-level units.
pub type GroupKey = Option<UnitId>;

/// The sibling groups of a hierarchy: key → member ids in id order.
pub fn groups(h: &Hierarchy) -> Vec<(GroupKey, Vec<UnitId>)> {
    let mut roots: Vec<UnitId> = (0..h.len()).filter(|&i| h.parent[i].is_none()).map(|i| h.units[i].id.clone()).collect();
    roots.sort();
    let mut out = vec![(None, roots)];
    for p in 0..h.len() {
        if !h.children[p].is_empty() {
            let mut kids: Vec<UnitId> = h.children[p].iter().map(|&k| h.units[k].id.clone()).collect();
            kids.sort();
            out.push((Some(h.units[p].id.clone()), kids));
        }
    }
    out
}

/// The members of one group (None when the group no longer exists).
pub fn group_of(h: &Hierarchy, key: &GroupKey) -> Option<Vec<UnitId>> {
    match key {
        None => {
            let mut roots: Vec<UnitId> = (0..h.len()).filter(|&i| h.parent[i].is_none()).map(|i| h.units[i].id.clone()).collect();
            roots.sort();
            Some(roots)
        }
        Some(p) => {
            let pi = h.get(p)?;
            let mut kids: Vec<UnitId> = h.children[pi].iter().map(|&k| h.units[k].id.clone()).collect();
            kids.sort();
            (!kids.is_empty()).then_some(kids)
        }
    }
}

fn bare(u: &Unit, parent: Option<&UnitId>) -> Unit {
    Unit {
        id: u.id.clone(),
        parent: parent.cloned(),
        level: u.level.clone(),
        name: String::new(),
        geometry: u.geometry.clone(),
        attributes: Default::default(),
    }
}

/// Check one sibling group of `h`.
pub fn check_group(h: &Hierarchy, key: &GroupKey, members: &[UnitId], cfg: &IntegrityConfig) -> Vec<Finding> {
    let mut units: Vec<Unit> = Vec::with_capacity(members.len() + 1);
    if let Some(p) = key {
        let Some(pi) = h.get(p) else { return Vec::new() };
        units.push(bare(&h.units[pi], None));
    }
    for m in members {
        if let Some(i) = h.get(m) {
            units.push(bare(&h.units[i], key.as_ref()));
        }
    }
    let Ok(mini) = Hierarchy::build(units) else { return Vec::new() };
    let r = integrity::check(&mini, &[], &[], cfg);
    let mut out = Vec::new();
    let parent_note = |p: &Option<String>| p.as_ref().map_or(String::new(), |p| format!(" (parent {p})"));
    for o in r.overlaps {
        // a parent never overlaps its own children in this small hierarchy: only siblings are paired
        out.push(finding(
            FindingKind::Overlap,
            Severity::Error,
            vec![UnitId(o.a.clone()), UnitId(o.b.clone())],
            format!("{} and {} overlap by {:.1} m²{}", o.a, o.b, o.area_m2, parent_note(&o.parent)),
            o.area_m2,
            o.geometry,
        ));
    }
    for o in r.outside_parent {
        out.push(finding(
            FindingKind::OutsideParent,
            Severity::Error,
            vec![UnitId(o.unit.clone()), UnitId(o.parent.clone())],
            format!("{} reaches {:.1} m² outside its parent {}", o.unit, o.area_m2, o.parent),
            o.area_m2,
            o.geometry,
        ));
    }
    for g in r.gaps {
        let (kind, severity, what) = match g.kind {
            GapKind::Gap => (FindingKind::Gap, Severity::Error, "gap"),
            GapKind::Sliver => (FindingKind::Sliver, Severity::Warning, "sliver"),
        };
        out.push(finding(
            kind,
            severity,
            vec![UnitId(g.parent.clone())],
            format!("{what} of {:.1} m² (mean width {:.1} m) in {} that none of its children covers", g.area_m2, g.width_m, g.parent),
            g.area_m2,
            MultiPolygon(vec![g.geometry]),
        ));
    }
    out
}

fn finding(kind: FindingKind, severity: Severity, units: Vec<UnitId>, message: String, value: f64, g: MultiPolygon<f64>) -> Finding {
    Finding { kind, severity, units, message, value: Some(value), building: None, location: Location::of(&g), geometry: Some(g) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Level;
    use geo::Rect;

    fn unit(id: &str, parent: Option<&str>, r: (f64, f64, f64, f64)) -> Unit {
        Unit {
            id: id.into(),
            parent: parent.map(UnitId::from),
            level: Level(if parent.is_some() { "grid" } else { "community" }.into()),
            name: id.into(),
            geometry: MultiPolygon(vec![Rect::new((r.0, r.1), (r.2, r.3)).to_polygon()]),
            attributes: Default::default(),
        }
    }

    #[test]
    fn overlap_gap_and_outside_in_one_group() {
        // parent 0..0.01; a covers 0..0.006, b 0.005..0.009 (overlaps a, leaves 0.009..0.01 uncovered), c pokes out
        let h = Hierarchy::build(vec![
            unit("p", None, (120.0, 36.0, 120.01, 36.01)),
            unit("a", Some("p"), (120.0, 36.0, 120.006, 36.01)),
            unit("b", Some("p"), (120.005, 36.0, 120.009, 36.01)),
            unit("c", Some("p"), (120.009, 36.0, 120.011, 36.001)),
        ])
        .expect("valid");
        let gs = groups(&h);
        assert_eq!(gs.len(), 2);
        let (key, members) = &gs[1];
        assert_eq!(key.as_ref().map(|k| k.0.as_str()), Some("p"));
        let f = check_group(&h, key, members, &IntegrityConfig::default());
        let kinds: Vec<FindingKind> = f.iter().map(|x| x.kind).collect();
        assert!(kinds.contains(&FindingKind::Overlap), "{kinds:?}");
        assert!(kinds.contains(&FindingKind::OutsideParent), "{kinds:?}");
        assert!(kinds.contains(&FindingKind::Gap), "{kinds:?}");
        let ov = f.iter().find(|x| x.kind == FindingKind::Overlap).expect("overlap");
        assert_eq!(ov.units, vec![UnitId::from("a"), UnitId::from("b")]);
        // 0.001° × 0.01° at 36° N ≈ 90 m × 1,110 m
        let v = ov.value.unwrap_or(0.0);
        assert!((v - 90.2 * 1109.6).abs() < 0.01 * v, "{v}");
        assert!(f.iter().all(|x| x.location.is_some()));
        assert_eq!(check_group(&h, &gs[0].0, &gs[0].1, &IntegrityConfig::default()), vec![]);
    }
}
