//! The grid hierarchy as data: parent links, levels, children, ancestors.
//!
//! Method: ids are hashed once; parent links are resolved to indices; cycles
//! are found by walking each chain with a visited mark (O(n) overall); the
//! level order is the order of the levels' smallest depth. A unit whose parent
//! is not given, below the top level, gets the unit of the level above that
//! holds most of its area (`infer_parents`), or an error if none holds any.

use crate::geometry::index::PolygonIndex;
use crate::geometry::projection::LocalProjection;
use crate::model::{Level, Unit, UnitId};
use geo::{Area, BooleanOps, BoundingRect, Distance, Euclidean, Intersects, Rect};
use std::collections::HashMap;

/// What can be wrong with a set of units as a hierarchy.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HierarchyError {
    #[error("feature {index} (id {id}): duplicate id, first used by feature {first}")]
    DuplicateId { index: usize, id: UnitId, first: usize },
    #[error("feature {index} (id {id}): parent_id {parent} is not a unit in this layer")]
    MissingParent { index: usize, id: UnitId, parent: UnitId },
    #[error("feature {index} (id {id}): parent_id is its own id")]
    OwnParent { index: usize, id: UnitId },
    #[error("feature {index} (id {id}): cycle in parents: {}", path.iter().map(|u| u.0.as_str()).collect::<Vec<_>>().join(" → "))]
    Cycle { index: usize, id: UnitId, path: Vec<UnitId> },
    #[error("feature {index} (id {id}): unit outside every possible parent (no unit of level {parent_level} overlaps it)")]
    OutsideEveryParent { index: usize, id: UnitId, parent_level: Level },
    #[error("feature {index} (id {id}): wholly outside its parent {parent}, {distance_m:.0} m from it")]
    OutsideParent { index: usize, id: UnitId, parent: UnitId, distance_m: f64 },
}

/// Units with resolved links. Indices are positions in `units`.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    pub units: Vec<Unit>,
    pub parent: Vec<Option<usize>>,
    pub children: Vec<Vec<usize>>,
    pub depth: Vec<usize>,
    /// Level names from the top (district) down.
    pub levels: Vec<Level>,
    by_id: HashMap<UnitId, usize>,
}

impl Hierarchy {
    /// A hierarchy without units.
    pub fn empty() -> Hierarchy {
        Hierarchy {
            units: Vec::new(),
            parent: Vec::new(),
            children: Vec::new(),
            depth: Vec::new(),
            levels: Vec::new(),
            by_id: HashMap::new(),
        }
    }

    /// Resolve parent links; report every problem found.
    pub fn build(units: Vec<Unit>) -> Result<Hierarchy, Vec<HierarchyError>> {
        let mut errors = Vec::new();
        let mut by_id: HashMap<UnitId, usize> = HashMap::with_capacity(units.len());
        for (i, u) in units.iter().enumerate() {
            if let Some(&first) = by_id.get(&u.id) {
                errors.push(HierarchyError::DuplicateId { index: i, id: u.id.clone(), first });
            } else {
                by_id.insert(u.id.clone(), i);
            }
        }
        let mut parent = vec![None; units.len()];
        for (i, u) in units.iter().enumerate() {
            if let Some(p) = &u.parent {
                if p == &u.id {
                    errors.push(HierarchyError::OwnParent { index: i, id: u.id.clone() });
                } else if let Some(&pi) = by_id.get(p) {
                    parent[i] = Some(pi);
                } else {
                    errors.push(HierarchyError::MissingParent { index: i, id: u.id.clone(), parent: p.clone() });
                }
            }
        }
        // cycles: 0 = unvisited, 1 = on current path, 2 = done
        let mut state = vec![0u8; units.len()];
        for start in 0..units.len() {
            let mut path = Vec::new();
            let mut cur = Some(start);
            while let Some(c) = cur {
                match state[c] {
                    2 => break,
                    1 => {
                        let from = path.iter().position(|&p| p == c).unwrap_or(0);
                        let mut ids: Vec<UnitId> = path[from..].iter().map(|&p: &usize| units[p].id.clone()).collect();
                        ids.push(units[c].id.clone());
                        errors.push(HierarchyError::Cycle { index: c, id: units[c].id.clone(), path: ids });
                        break;
                    }
                    _ => {
                        state[c] = 1;
                        path.push(c);
                        cur = parent[c];
                    }
                }
            }
            for p in path {
                state[p] = 2;
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut depth = vec![usize::MAX; units.len()];
        for i in 0..units.len() {
            depth_of(i, &parent, &mut depth);
        }
        let mut children = vec![Vec::new(); units.len()];
        for (i, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(i);
            }
        }
        let mut level_depth: HashMap<&Level, usize> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            let d = level_depth.entry(&u.level).or_insert(usize::MAX);
            *d = (*d).min(depth[i]);
        }
        let mut levels: Vec<(usize, Level)> = level_depth.into_iter().map(|(l, d)| (d, l.clone())).collect();
        levels.sort();
        let levels = levels.into_iter().map(|(_, l)| l).collect();
        Ok(Hierarchy { units, parent, children, depth, levels, by_id })
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn get(&self, id: &UnitId) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The unit and its ancestors, from the unit up to its root.
    pub fn chain(&self, i: usize) -> Vec<usize> {
        let mut out = vec![i];
        let mut cur = self.parent[i];
        while let Some(p) = cur {
            out.push(p);
            cur = self.parent[p];
        }
        out
    }

    /// The lowest common ancestor of two units (not either unit itself), if any.
    pub fn meet(&self, a: usize, b: usize) -> Option<usize> {
        let above_b = self.chain(b);
        self.chain(a).into_iter().skip(1).find(|x| above_b[1..].contains(x))
    }

    /// Units without children.
    pub fn leaves(&self) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.children[i].is_empty()).collect()
    }

    /// Position of a level in the order (0 = top).
    pub fn level_rank(&self, l: &Level) -> Option<usize> {
        self.levels.iter().position(|x| x == l)
    }

    /// Indices of units at a level.
    pub fn at_level(&self, l: &Level) -> Vec<usize> {
        (0..self.len()).filter(|&i| &self.units[i].level == l).collect()
    }
}

fn depth_of(i: usize, parent: &[Option<usize>], depth: &mut [usize]) -> usize {
    let mut chain = vec![i];
    let mut cur = parent[i];
    while let Some(p) = cur {
        if depth[p] != usize::MAX {
            break;
        }
        chain.push(p);
        cur = parent[p];
    }
    let mut d = cur.map_or(0, |p| depth[p] + 1);
    for &c in chain.iter().rev() {
        if depth[c] == usize::MAX {
            depth[c] = d;
        }
        d = depth[c] + 1;
    }
    depth[i]
}

/// Units lying wholly outside the parent they name (not even touching it):
/// a unit must share at least a point with its parent. The distance between
/// the two is measured in metres, in a local metric projection around both.
pub fn outside_parents(h: &Hierarchy) -> Vec<HierarchyError> {
    let mut errors = Vec::new();
    for (i, p) in h.parent.iter().enumerate() {
        let Some(p) = *p else { continue };
        let (u, parent) = (&h.units[i], &h.units[p]);
        let (Some(ru), Some(rp)) = (u.geometry.bounding_rect(), parent.geometry.bounding_rect()) else { continue };
        if u.geometry.intersects(&parent.geometry) {
            continue;
        }
        let span =
            Rect::new((ru.min().x.min(rp.min().x), ru.min().y.min(rp.min().y)), (ru.max().x.max(rp.max().x), ru.max().y.max(rp.max().y)));
        let proj = LocalProjection::for_rect(span);
        let (a, b) = (proj.project_multi(&u.geometry), proj.project_multi(&parent.geometry));
        let distance_m = a.0.iter().flat_map(|x| b.0.iter().map(move |y| Euclidean.distance(x, y))).fold(f64::INFINITY, f64::min);
        errors.push(HierarchyError::OutsideParent { index: i, id: u.id.clone(), parent: parent.id.clone(), distance_m });
    }
    errors
}

/// Give a parent to every unit that has none but whose level normally has one.
///
/// The parent level of a level is the most common level among the parents that
/// units of it name. Candidates are found through an R-tree; the one sharing
/// the largest area (measured in a local metric projection) wins.
pub fn infer_parents(units: &mut [Unit]) -> Vec<HierarchyError> {
    let by_id: HashMap<&UnitId, usize> = units.iter().enumerate().map(|(i, u)| (&u.id, i)).collect();
    let mut votes: HashMap<Level, HashMap<Level, usize>> = HashMap::new();
    for u in units.iter() {
        if let Some(p) = u.parent.as_ref().and_then(|p| by_id.get(p)) {
            *votes.entry(u.level.clone()).or_default().entry(units[*p].level.clone()).or_default() += 1;
        }
    }
    let parent_level: HashMap<Level, Level> = votes
        .into_iter()
        .filter_map(|(l, v)| v.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map(|(p, _)| (l, p)))
        .collect();
    let orphans: Vec<usize> =
        (0..units.len()).filter(|&i| units[i].parent.is_none() && parent_level.contains_key(&units[i].level)).collect();
    if orphans.is_empty() {
        return Vec::new();
    }
    let index = PolygonIndex::new(units.iter().map(|u| u.geometry.bounding_rect()));
    let mut errors = Vec::new();
    for i in orphans {
        let want = &parent_level[&units[i].level];
        let g = &units[i].geometry;
        let Some(r) = g.bounding_rect() else {
            continue;
        };
        let proj = LocalProjection::for_rect(r);
        let gm = proj.project_multi(g);
        let mut best: Option<(f64, usize)> = None;
        for c in index.query_rect(r) {
            if c == i || &units[c].level != want {
                continue;
            }
            let a = gm.intersection(&proj.project_multi(&units[c].geometry)).unsigned_area();
            if a > 0.0 && best.is_none_or(|(b, _)| a > b) {
                best = Some((a, c));
            }
        }
        match best {
            Some((_, c)) => units[i].parent = Some(units[c].id.clone()),
            None => errors.push(HierarchyError::OutsideEveryParent { index: i, id: units[i].id.clone(), parent_level: want.clone() }),
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, Rect};

    fn unit(id: &str, parent: Option<&str>, level: &str, r: (f64, f64, f64, f64)) -> Unit {
        Unit {
            id: id.into(),
            parent: parent.map(UnitId::from),
            level: Level(level.into()),
            name: id.into(),
            geometry: MultiPolygon(vec![Rect::new((r.0, r.1), (r.2, r.3)).to_polygon()]),
            attributes: Default::default(),
        }
    }

    #[test]
    fn builds_levels_children_and_chain() {
        let h = Hierarchy::build(vec![
            unit("g1", Some("s1"), "grid", (0.0, 0.0, 0.001, 0.001)),
            unit("d", None, "district", (0.0, 0.0, 0.01, 0.01)),
            unit("s1", Some("d"), "street", (0.0, 0.0, 0.005, 0.01)),
        ])
        .expect("valid");
        assert_eq!(h.levels.iter().map(|l| l.0.as_str()).collect::<Vec<_>>(), ["district", "street", "grid"]);
        assert_eq!(h.chain(0), vec![0, 2, 1]);
        assert_eq!(h.leaves(), vec![0]);
        assert_eq!(h.depth, vec![2, 0, 1]);
    }

    #[test]
    fn reports_duplicates_missing_parents_and_cycles_together() {
        let errs = Hierarchy::build(vec![
            unit("a", Some("b"), "x", (0.0, 0.0, 1.0, 1.0)),
            unit("b", Some("a"), "x", (0.0, 0.0, 1.0, 1.0)),
            unit("c", Some("nope"), "x", (0.0, 0.0, 1.0, 1.0)),
            unit("c", None, "x", (0.0, 0.0, 1.0, 1.0)),
            unit("e", Some("e"), "x", (0.0, 0.0, 1.0, 1.0)),
        ])
        .expect_err("invalid");
        let text: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert!(text.iter().any(|t| t.contains("duplicate id")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("parent_id nope")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("cycle in parents: a → b → a") || t.contains("cycle in parents: b → a → b")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("its own id")), "{text:?}");
    }

    #[test]
    fn infers_parent_by_largest_overlap_or_reports_outside() {
        let mut units = vec![
            unit("d", None, "district", (0.0, 0.0, 0.02, 0.01)),
            unit("s1", Some("d"), "street", (0.0, 0.0, 0.01, 0.01)),
            unit("s2", Some("d"), "street", (0.01, 0.0, 0.02, 0.01)),
            unit("g1", Some("s1"), "grid", (0.0, 0.0, 0.001, 0.001)),
            unit("g2", None, "grid", (0.009, 0.0, 0.0125, 0.001)),
            unit("g3", None, "grid", (0.5, 0.5, 0.6, 0.6)),
        ];
        let errs = infer_parents(&mut units);
        assert_eq!(units[4].parent, Some(UnitId::from("s2")));
        assert_eq!(errs.len(), 1);
        assert!(errs[0].to_string().contains("outside every possible parent"));
    }

    #[test]
    fn a_unit_wholly_outside_its_parent_is_reported_with_the_distance_in_metres() {
        // at 36° N, 0.45° of longitude is about 40.5 km; the grid lies 0.45° east of its street
        let far = Hierarchy::build(vec![
            unit("s", None, "street", (120.0, 36.0, 120.01, 36.01)),
            unit("g", Some("s"), "grid", (120.46, 36.0, 120.47, 36.01)),
        ])
        .expect("links resolve");
        let errs = outside_parents(&far);
        assert_eq!(errs.len(), 1, "{errs:?}");
        let HierarchyError::OutsideParent { index, parent, distance_m, .. } = &errs[0] else { panic!("{errs:?}") };
        assert_eq!((*index, parent.0.as_str()), (1, "s"));
        let expected = 0.45 * 111_320.0 * 36.005_f64.to_radians().cos();
        assert!((distance_m - expected).abs() < 0.01 * expected, "{distance_m} m, expected about {expected} m");
        assert!(errs[0].to_string().contains("(id g): wholly outside its parent s, 40"), "{}", errs[0]);
        // sharing only an edge with the parent, or lying inside it, is fine
        let touching = Hierarchy::build(vec![
            unit("s", None, "street", (120.0, 36.0, 120.01, 36.01)),
            unit("g", Some("s"), "grid", (120.01, 36.0, 120.02, 36.01)),
            unit("h", Some("s"), "grid", (120.001, 36.001, 120.002, 36.002)),
        ])
        .expect("links resolve");
        assert_eq!(outside_parents(&touching), vec![]);
    }
}
