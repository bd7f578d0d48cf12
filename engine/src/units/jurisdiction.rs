//! A jurisdiction: the subtree of one unit (or the whole district), and
//! whether a unit, a located thing or a chain of unit ids lies inside it.
//!
//! Method: one pass over the hierarchy marks the root's subtree (O(n) per
//! jurisdiction, built once per data version and unit and shared); every
//! test after that is O(1) for a unit or a leaf, and one point location
//! (R-tree, `units::assign`) for a point.

use geo::{BoundingRect, Euclidean, InterpolatableLine, Length, Point, Rect};

use crate::dataset::Dataset;
use crate::model::UnitId;
use crate::units::integrity::{GapKind, Report};

/// The part of the district someone acts on.
#[derive(Debug, Clone)]
pub struct Jurisdiction {
    /// The unit id it was asked for; `None` is the whole district.
    pub unit: Option<String>,
    /// The root's index in the hierarchy (`None` for everything, or a unit no longer stored).
    pub root: Option<usize>,
    /// Per unit index: inside the subtree.
    inside: Vec<bool>,
}

impl Jurisdiction {
    /// The whole district.
    pub fn everything() -> Jurisdiction {
        Jurisdiction { unit: None, root: None, inside: Vec::new() }
    }

    /// The subtree of `unit` in `d` (everything for `None`). A unit the
    /// current units layer no longer has is a jurisdiction with nothing in
    /// it (see [`Jurisdiction::is_void`]).
    pub fn of(d: &Dataset, unit: Option<&str>) -> Jurisdiction {
        let Some(id) = unit else { return Jurisdiction::everything() };
        let h = &d.hierarchy;
        let mut inside = vec![false; h.len()];
        let root = h.get(&UnitId(id.to_owned()));
        if let Some(r) = root {
            let mut stack = vec![r];
            while let Some(i) = stack.pop() {
                inside[i] = true;
                stack.extend(h.children[i].iter().copied());
            }
        }
        Jurisdiction { unit: Some(id.to_owned()), root, inside }
    }

    /// The whole district.
    pub fn is_everything(&self) -> bool {
        self.unit.is_none()
    }

    /// Asked for a unit the data does not have: nothing is inside.
    pub fn is_void(&self) -> bool {
        self.unit.is_some() && self.root.is_none()
    }

    /// Unit index `i` is in the subtree.
    pub fn unit(&self, i: usize) -> bool {
        self.is_everything() || self.inside.get(i).copied().unwrap_or(false)
    }

    /// The unit with this id is in the subtree.
    pub fn unit_id(&self, d: &Dataset, id: &str) -> bool {
        self.is_everything() || d.hierarchy.get(&UnitId(id.to_owned())).is_some_and(|i| self.unit(i))
    }

    /// A thing located in leaf `leaf` (None: in no unit) is inside.
    pub fn leaf(&self, leaf: Option<usize>) -> bool {
        self.is_everything() || leaf.is_some_and(|l| self.unit(l))
    }

    /// A point is inside (located in the deepest unit holding it).
    pub fn point(&self, d: &Dataset, p: Point<f64>) -> bool {
        self.is_everything() || self.leaf(d.locator.locate_point(p))
    }

    /// Loaded building `b` is inside (by the leaf holding most of it).
    pub fn building(&self, d: &Dataset, b: usize) -> bool {
        self.is_everything() || self.leaf(d.building_assignment.get(b).and_then(|a| a.leaf))
    }

    /// Loaded incident `n` is inside.
    pub fn incident(&self, d: &Dataset, n: usize) -> bool {
        self.is_everything() || self.leaf(d.incident_unit.get(n).copied().flatten())
    }

    /// A thing whose holding units are `chain` (ids, any order) is inside:
    /// the chain names the root or a unit below it.
    pub fn chain<S: AsRef<str>>(&self, d: &Dataset, chain: &[S]) -> bool {
        self.is_everything() || chain.iter().any(|id| self.unit_id(d, id.as_ref()))
    }

    /// Camera `i` of `d` is inside (by its position).
    pub fn camera(&self, d: &Dataset, i: usize) -> bool {
        self.is_everything() || d.cameras.get(i).is_some_and(|c| self.point(d, c.position))
    }

    /// Facility `i` of `d` is inside (by its position).
    pub fn facility(&self, d: &Dataset, i: usize) -> bool {
        self.is_everything() || d.facilities.get(i).is_some_and(|f| self.point(d, f.position))
    }

    /// Road `i` of `d` is inside: the midpoint of its longest part lies inside
    /// (a road along a border belongs to one side only).
    pub fn road(&self, d: &Dataset, i: usize) -> bool {
        if self.is_everything() {
            return true;
        }
        let Some(r) = d.roads.get(i) else { return false };
        let longest = r.line.0.iter().max_by(|a, b| Euclidean.length(*a).total_cmp(&Euclidean.length(*b)));
        longest.and_then(|l| l.point_at_ratio_from_start(&Euclidean, 0.5)).is_some_and(|p| self.point(d, p))
    }

    /// The integrity report of `d` limited to the subtree: loads of the units
    /// inside, gaps under a parent inside, overlaps between two units inside,
    /// units inside lying outside their parent, cut buildings whose leaf is
    /// inside (with the other leaves inside only), explicit and stale assignments naming a unit inside;
    /// unassigned buildings lie in no unit and are left out. The
    /// summary is recounted over what is kept.
    pub fn report(&self, d: &Dataset) -> Report {
        let r = &d.report;
        if self.is_everything() {
            return r.clone();
        }
        let id = |s: &str| self.unit_id(d, s);
        let mut out = Report {
            summary: Default::default(),
            sliver_width_m: r.sliver_width_m,
            outside_parent: r.outside_parent.iter().filter(|o| id(&o.unit)).cloned().collect(),
            overlaps: r.overlaps.iter().filter(|o| id(&o.a) && id(&o.b)).cloned().collect(),
            gaps: r.gaps.iter().filter(|g| id(&g.parent)).cloned().collect(),
            buildings_unassigned: Vec::new(),
            // a cut building names the other leaves it lies in: only those inside are kept
            buildings_cut: r
                .buildings_cut
                .iter()
                .filter(|c| id(&c.leaf))
                .map(|c| {
                    let mut c = c.clone();
                    c.others.retain(|(o, _)| id(o));
                    c
                })
                .collect(),
            buildings_assigned: r.buildings_assigned.iter().filter(|a| id(&a.unit)).cloned().collect(),
            assignments_stale: r.assignments_stale.iter().filter(|a| id(&a.unit)).cloned().collect(),
            loads: r.loads.iter().enumerate().filter(|(i, _)| self.unit(*i)).map(|(_, l)| l.clone()).collect(),
        };
        let s = &mut out.summary;
        s.units = out.loads.len();
        s.outside_parent = out.outside_parent.len();
        s.outside_parent_m2 = out.outside_parent.iter().map(|x| x.area_m2).sum::<f64>() + 0.0;
        s.overlaps = out.overlaps.len();
        s.overlap_m2 = out.overlaps.iter().map(|x| x.area_m2).sum::<f64>() + 0.0;
        let gaps = |k: GapKind| out.gaps.iter().filter(move |g| g.kind == k);
        s.gaps = gaps(GapKind::Gap).count();
        s.gap_m2 = gaps(GapKind::Gap).map(|g| g.area_m2).sum::<f64>() + 0.0;
        s.slivers = gaps(GapKind::Sliver).count();
        s.sliver_m2 = gaps(GapKind::Sliver).map(|g| g.area_m2).sum::<f64>() + 0.0;
        s.buildings = (0..d.buildings.len()).filter(|&b| self.building(d, b)).count();
        s.buildings_unassigned = 0;
        s.buildings_cut = out.buildings_cut.len();
        s.buildings_assigned = out.buildings_assigned.len();
        s.assignments_stale = out.assignments_stale.len();
        s.units_over_norm = out.loads.iter().filter(|l| l.status == "over").count();
        s.units_under_norm = out.loads.iter().filter(|l| l.status == "under").count();
        out
    }

    /// The bounds of the root unit (None for everything or void).
    pub fn bounds(&self, d: &Dataset) -> Option<Rect<f64>> {
        self.root.and_then(|r| d.hierarchy.units[r].geometry.bounding_rect())
    }

    /// How it is named in keys and messages: the unit id, or `*`.
    pub fn key(&self) -> &str {
        self.unit.as_deref().unwrap_or("*")
    }
}
