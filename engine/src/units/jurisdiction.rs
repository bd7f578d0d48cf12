//! A jurisdiction: the subtree of one unit (or the whole district), and
//! whether a unit, a located thing or a chain of unit ids lies inside it.
//!
//! Method: one pass over the hierarchy marks the root's subtree (O(n) per
//! jurisdiction, built once per data version and unit and shared); every
//! test after that is O(1) for a unit or a leaf, and one point location
//! (R-tree, `units::assign`) for a point.

use geo::{BoundingRect, Point, Rect};

use crate::dataset::Dataset;
use crate::model::UnitId;

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

    /// The bounds of the root unit (None for everything or void).
    pub fn bounds(&self, d: &Dataset) -> Option<Rect<f64>> {
        self.root.and_then(|r| d.hierarchy.units[r].geometry.bounding_rect())
    }

    /// How it is named in keys and messages: the unit id, or `*`.
    pub fn key(&self) -> &str {
        self.unit.as_deref().unwrap_or("*")
    }
}
