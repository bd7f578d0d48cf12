//! Move, add and delete a vertex, for every unit holding it, so neighbours stay seamless.
//!
//! Method: distances are measured in a local metric projection centred on the
//! vertex. Every ring (of every unit, at every level) with a vertex within
//! [`SNAP_M`] of the point holds "the same" vertex; a ring whose edge passes
//! that close without a vertex there (a T-junction: a neighbour's corner on
//! this unit's side) gets one inserted first, so moving the corner bends the
//! side with it and no gap or overlap opens. A ring's closing vertex is kept
//! equal to its first. Units left invalid by the edit (a self-crossing ring)
//! refuse the whole op. Complexity: O(V) over all vertices of the layer.

use geo::{Coord, LineString, MultiPolygon};

use super::{Change, Draft, PlanError, SNAP_M};
use crate::geometry::projection::LocalProjection;
use crate::geometry::validate::{lonlat_in_range, polygon_problems};

/// Apply `f` to every ring of a multipolygon; true if any call returned true.
fn rings_mut(mp: &mut MultiPolygon<f64>, f: &mut impl FnMut(&mut LineString<f64>) -> bool) -> bool {
    let mut any = false;
    for p in mp.0.iter_mut() {
        p.exterior_mut(|r| any |= f(r));
        p.interiors_mut(|rs| {
            for r in rs {
                any |= f(r);
            }
        });
    }
    any
}

/// Metric distance helpers around the point.
struct Near {
    proj: LocalProjection,
    at: Coord<f64>,
}

impl Near {
    fn new(at: [f64; 2]) -> Near {
        Near { proj: LocalProjection::new(at[0], at[1]), at: Coord { x: at[0], y: at[1] } }
    }

    fn to_vertex(&self, c: Coord<f64>) -> f64 {
        let p = self.proj.project(c);
        p.x.hypot(p.y)
    }

    /// Distance from the point to segment `a b`.
    fn to_segment(&self, a: Coord<f64>, b: Coord<f64>) -> f64 {
        let (a, b) = (self.proj.project(a), self.proj.project(b));
        let d = b - a;
        let dd = d.x * d.x + d.y * d.y;
        let t = if dd == 0.0 { 0.0 } else { (-(a.x * d.x + a.y * d.y) / dd).clamp(0.0, 1.0) };
        let q = a + d * t;
        q.x.hypot(q.y)
    }

    fn has_vertex(&self, r: &LineString<f64>) -> bool {
        r.0.iter().any(|c| self.to_vertex(*c) <= SNAP_M)
    }

    /// Insert the point into the first edge passing within the tolerance; true if one did.
    fn insert(&self, r: &mut LineString<f64>) -> bool {
        if self.has_vertex(r) {
            return false;
        }
        match (0..r.0.len().saturating_sub(1)).find(|&k| self.to_segment(r.0[k], r.0[k + 1]) <= SNAP_M) {
            Some(k) => {
                r.0.insert(k + 1, self.at);
                true
            }
            None => false,
        }
    }
}

fn check_coord(c: [f64; 2]) -> Result<(), PlanError> {
    if lonlat_in_range(c[0], c[1]) { Ok(()) } else { Err(PlanError::BadCoordinate(c)) }
}

/// Run `edit` on every unit's rings; the units it changed must stay valid.
fn edit_all(d: &mut Draft, mut edit: impl FnMut(&mut LineString<f64>) -> Result<bool, PlanError>) -> Result<Vec<String>, PlanError> {
    let mut changed = Vec::new();
    for u in d.units.iter_mut() {
        let mut err = None;
        let mut g = u.geometry.clone();
        let any = rings_mut(&mut g, &mut |r| match edit(r) {
            Ok(b) => b,
            Err(e) => {
                err.get_or_insert(e);
                false
            }
        });
        if let Some(e) = err {
            return Err(match e {
                PlanError::RingTooSmall(_) => PlanError::RingTooSmall(u.id.0.clone()),
                e => e,
            });
        }
        if any {
            let problems = polygon_problems(&g);
            if !problems.is_empty() {
                return Err(PlanError::Geometry {
                    unit: u.id.0.clone(),
                    problem: format!("the edit makes it invalid: {}", problems.join("; ")),
                });
            }
            u.geometry = g;
            changed.push(u.id.0.clone());
        }
    }
    Ok(changed)
}

/// Move the vertex at `at` to `to` in every unit holding it (or with an edge through it).
pub fn move_vertex(d: &mut Draft, at: [f64; 2], to: [f64; 2]) -> Result<Change, PlanError> {
    check_coord(at)?;
    check_coord(to)?;
    let near = Near::new(at);
    if !d.units.iter().any(|u| u.geometry.0.iter().any(|p| std::iter::once(p.exterior()).chain(p.interiors()).any(|r| near.has_vertex(r))))
    {
        return Err(PlanError::NoVertex(at));
    }
    let target = Coord { x: to[0], y: to[1] };
    let changed = edit_all(d, |r| {
        near.insert(r);
        let mut any = false;
        for c in r.0.iter_mut() {
            if near.to_vertex(*c) <= SNAP_M {
                *c = target;
                any = true;
            }
        }
        Ok(any)
    })?;
    Ok(Change { changed, ..Change::default() })
}

/// Insert a vertex at `at` into every unit edge passing within the tolerance.
pub fn add_vertex(d: &mut Draft, at: [f64; 2]) -> Result<Change, PlanError> {
    check_coord(at)?;
    let near = Near::new(at);
    let changed = edit_all(d, |r| Ok(near.insert(r)))?;
    if changed.is_empty() {
        let holder = d.units.iter().find(|u| u.geometry.0.iter().any(|p| near.has_vertex(p.exterior())));
        return Err(match holder {
            Some(u) => PlanError::VertexExists(at, u.id.0.clone()),
            None => PlanError::NoEdge(at),
        });
    }
    Ok(Change { changed, ..Change::default() })
}

/// Remove the vertex at `at` from every unit holding it.
pub fn delete_vertex(d: &mut Draft, at: [f64; 2]) -> Result<Change, PlanError> {
    check_coord(at)?;
    let near = Near::new(at);
    let changed = edit_all(d, |r| {
        if !near.has_vertex(r) {
            return Ok(false);
        }
        let mut pts: Vec<Coord<f64>> = r.0[..r.0.len().saturating_sub(1)].to_vec();
        pts.retain(|c| near.to_vertex(*c) > SNAP_M);
        if pts.len() < 3 {
            return Err(PlanError::RingTooSmall(String::new()));
        }
        pts.push(pts[0]);
        r.0 = pts;
        Ok(true)
    })?;
    if changed.is_empty() {
        return Err(PlanError::NoVertex(at));
    }
    Ok(Change { changed, ..Change::default() })
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::{Op, apply};
    use super::*;
    use crate::units::hierarchy::Hierarchy;
    use crate::units::integrity::{IntegrityConfig, check};

    /// A community of four grids meeting at (100, 100), and a fifth below whose top side has the
    /// corner of two grids on it (a T-junction at (100, 0)).
    fn four_grids() -> Vec<crate::model::Unit> {
        vec![
            square("c", None, "community", 0.0, -100.0, 200.0, 200.0),
            square("a", Some("c"), "grid", 0.0, 0.0, 100.0, 100.0),
            square("b", Some("c"), "grid", 100.0, 0.0, 200.0, 100.0),
            square("e", Some("c"), "grid", 0.0, 100.0, 100.0, 200.0),
            square("f", Some("c"), "grid", 100.0, 100.0, 200.0, 200.0),
            square("s", Some("c"), "grid", 0.0, -100.0, 200.0, 0.0),
        ]
    }

    fn gaps_and_overlaps(units: &[crate::model::Unit]) -> (usize, usize, f64) {
        let h = Hierarchy::build(units.to_vec()).expect("hierarchy");
        let r = check(&h, &[], &[], &IntegrityConfig::default());
        (r.summary.gaps + r.summary.slivers, r.summary.overlaps, r.summary.gap_m2 + r.summary.sliver_m2 + r.summary.overlap_m2)
    }

    #[test]
    fn moving_a_shared_vertex_keeps_neighbours_seamless() {
        let d = Draft::new(four_grids());
        assert_eq!(gaps_and_overlaps(&d.units), (0, 0, 0.0));
        // the corner of four grids, picked about 2 cm off
        let (n, change) = apply(&d, &Op::MoveVertex { at: coord(100.0 + 0.02, 100.0), to: coord(130.0, 80.0) }).expect("move");
        assert_eq!(change.changed, vec!["a".to_owned(), "b".to_owned(), "e".to_owned(), "f".to_owned()]);
        assert_eq!(gaps_and_overlaps(&n.units), (0, 0, 0.0));
        // the T-junction: a and b meet on s's top side; s bends with them
        let (n2, change) = apply(&n, &Op::MoveVertex { at: coord(100.0, 0.0), to: coord(90.0, -20.0) }).expect("move");
        assert_eq!(change.changed, vec!["a".to_owned(), "b".to_owned(), "s".to_owned()]);
        assert_eq!(gaps_and_overlaps(&n2.units), (0, 0, 0.0));
        // moving it for one unit only would have opened a gap: the check sees it
        let mut broken = n2.units.clone();
        broken[5] = d.units[5].clone();
        assert!(gaps_and_overlaps(&broken).2 > 100.0);
    }

    #[test]
    fn add_and_delete_a_vertex_on_a_shared_side() {
        let d = Draft::new(four_grids());
        let (n, change) = apply(&d, &Op::AddVertex { at: coord(100.0, 50.0) }).expect("add");
        assert_eq!(change.changed, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(
            apply(&n, &Op::AddVertex { at: coord(100.0, 50.0) }).err(),
            Some(PlanError::VertexExists(coord(100.0, 50.0), "a".into()))
        );
        let (m, _) = apply(&n, &Op::MoveVertex { at: coord(100.0, 50.0), to: coord(120.0, 50.0) }).expect("move");
        assert_eq!(gaps_and_overlaps(&m.units), (0, 0, 0.0));
        let (back, _) = apply(&m, &Op::DeleteVertex { at: coord(120.0, 50.0) }).expect("delete");
        assert_eq!(gaps_and_overlaps(&back.units), (0, 0, 0.0));
        assert_eq!(apply(&d, &Op::AddVertex { at: coord(50.0, 50.0) }).err(), Some(PlanError::NoEdge(coord(50.0, 50.0))));
        assert_eq!(apply(&d, &Op::DeleteVertex { at: coord(50.0, 50.0) }).err(), Some(PlanError::NoVertex(coord(50.0, 50.0))));
        assert_eq!(
            apply(&d, &Op::MoveVertex { at: coord(50.0, 50.0), to: coord(1.0, 1.0) }).err(),
            Some(PlanError::NoVertex(coord(50.0, 50.0)))
        );
    }

    #[test]
    fn a_triangle_keeps_its_corners_and_a_crossing_move_is_refused() {
        let d = Draft::new(vec![square("a", None, "grid", 0.0, 0.0, 100.0, 100.0)]);
        let (tri, _) = apply(&d, &Op::DeleteVertex { at: coord(100.0, 100.0) }).expect("to a triangle");
        assert_eq!(tri.units[0].geometry.0[0].exterior().0.len(), 4);
        assert_eq!(apply(&tri, &Op::DeleteVertex { at: coord(0.0, 0.0) }).err(), Some(PlanError::RingTooSmall("a".into())));
        let e = apply(&d, &Op::MoveVertex { at: coord(100.0, 100.0), to: coord(-50.0, 50.0) }).err();
        assert!(matches!(e, Some(PlanError::Geometry { ref unit, .. }) if unit == "a"), "{e:?}");
    }
}
