//! Review of an edited units layer (issue 15): live validation after every
//! edit and what moves between a base layer and an edited one.
//!
//! - [`validator`]: a [`Validator`] prepared once on a layer, then
//!   `revalidate` after an edit rechecks only what the edit touched
//!   (sibling groups in [`topology`], unit shapes in [`shape`], buildings and
//!   loads in [`buildings`], neighbours in [`neighbours`], AB pairs,
//!   alliances and isolated units in [`pairing`]); findings in [`finding`].
//! - [`diff`]: units added, removed and reshaped; buildings, households and
//!   population moved; camera coverage and incident counts per unit.
//!
//! Pure computation, no IO; everything keyed by unit and building ids so
//! results compare across layers.

pub mod buildings;
pub mod diff;
pub mod finding;
pub mod neighbours;
pub mod pairing;
pub mod shape;
pub mod topology;
pub mod validator;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use geo::Rect;

use crate::groups::abpost::AbOptions;
use crate::groups::adjacency::AdjacencyOptions;
use crate::model::{Level, UnitId};
use crate::units::hierarchy::HierarchyError;
use crate::units::integrity::IntegrityConfig;

pub use diff::{DiffInputs, LayerDiff, diff};
pub use finding::{Finding, FindingKind, Location, Severity, findings_geojson};
pub use pairing::{AbSummary, AllianceSummary};
pub use validator::{ValidationReport, ValidationStats, ValidationSummary, Validator};

/// A scenario's building reassignments: building id → the leaf unit it goes to.
pub type Overrides = BTreeMap<String, UnitId>;

/// Settings of the validation.
#[derive(Debug, Clone)]
pub struct ReviewConfig {
    /// Sliver width, noise area and load norms by level.
    pub integrity: IntegrityConfig,
    /// Units with a Polsby–Popper score below this are flagged as not compact.
    pub min_polsby_popper: f64,
    pub adjacency: AdjacencyOptions,
    /// Level of the AB pairs and alliances; None = `grid` or `网格` if the layer has it, else the deepest
    /// level (set by `Validator::new`).
    pub group_level: Option<Level>,
    pub ab: AbOptions,
    /// Alliances to check on the edited layer (may be empty).
    pub alliances: Vec<Vec<UnitId>>,
    /// Box (lon/lat) whose centre neighbours are measured from; None = the first layer's box grown by
    /// 5 km (set by `Validator::new`, then kept so every later validation measures the same way).
    pub frame: Option<Rect<f64>>,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        ReviewConfig {
            integrity: IntegrityConfig::default(),
            min_polsby_popper: 0.15,
            adjacency: AdjacencyOptions::default(),
            group_level: None,
            ab: AbOptions::default(),
            alliances: Vec::new(),
            frame: None,
        }
    }
}

/// Why a layer cannot be reviewed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReviewError {
    #[error("the units layer is not a hierarchy: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Hierarchy(Vec<HierarchyError>),
    #[error("the buildings changed under the validator: {was} buildings, now {now}")]
    BuildingsChanged { was: usize, now: usize },
}
