//! What the graphs of a level answer, typed: the neighbour graph, alliances and AB pairs, and
//! `GraphError`. Each serializes to the JSON `/api/adjacency`, `/api/alliances/*` and `/api/ab-pairs` answer.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wangge_engine::groups::abpost::PairWeight;
use wangge_engine::groups::adjacency::Contact;
use wangge_engine::groups::alliance::AllianceError;

/// Why a graph, alliances or pairs could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("unknown level {level:?}; levels are {known}")]
    UnknownLevel { level: String, known: String },
    #[error("tolerance {0} m: expected 0 to 100")]
    Tolerance(f64),
    #[error("minimum shared length {0} m: expected 0 or more")]
    MinShared(f64),
    #[error("unknown pairing weight {0:?}: use shared or closeness")]
    PairWeight(String),
    #[error(transparent)]
    Alliance(#[from] AllianceError),
    #[error("{count} ids are not units of level {level:?}: {first}")]
    UnknownIds { count: usize, level: String, first: String },
    /// The alliances file to validate is unreadable or malformed.
    #[error("{}: {problem}", path.display())]
    GroupsFile { path: PathBuf, problem: String },
}

/// What the balance of alliances counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum WeightBy {
    #[default]
    Population,
    Households,
    Units,
}

impl WeightBy {
    pub fn as_str(self) -> &'static str {
        match self {
            WeightBy::Population => "population",
            WeightBy::Households => "households",
            WeightBy::Units => "units",
        }
    }
}

/// Parse a pairing weight name (`shared` or `closeness`).
pub fn pair_weight(s: &str) -> Result<PairWeight, GraphError> {
    match s {
        "shared" => Ok(PairWeight::Shared),
        "closeness" => Ok(PairWeight::Closeness),
        _ => Err(GraphError::PairWeight(s.to_owned())),
    }
}

// The result types below serialize to the JSON the API has always answered;
// their fields are in alphabetical order, the order serde_json's maps wrote
// them in before they were typed.

/// A unit by id and name.
#[derive(Debug, Clone, Serialize)]
pub struct NamedUnit {
    pub id: String,
    pub name: String,
}

/// Two neighbouring units, their contact and where their ancestors meet.
#[derive(Debug, Clone, Serialize)]
pub struct NeighbourPair {
    pub a: String,
    pub a_name: String,
    pub b: String,
    pub b_name: String,
    pub contact: Contact,
    /// The closest common ancestor.
    pub meet_id: Option<String>,
    pub meet_level: Option<String>,
    pub same_parent: bool,
    pub shared_m: f64,
}

/// How many pairs of each kind.
#[derive(Debug, Clone, Serialize)]
pub struct AdjacencyCounts {
    pub cross_parent: usize,
    pub isolated: usize,
    pub pairs: usize,
    pub queen: usize,
    pub rook: usize,
    pub same_parent: usize,
}

/// The neighbour graph of a level: pairs, isolated units and counts.
#[derive(Debug, Clone, Serialize)]
pub struct AdjacencyReport {
    pub counts: AdjacencyCounts,
    pub isolated: Vec<NamedUnit>,
    pub level: String,
    pub min_shared_m: f64,
    pub pairs: Vec<NeighbourPair>,
    pub tolerance_m: f64,
    /// Units of the level.
    pub units: usize,
}

/// One alliance with its figures.
#[derive(Debug, Clone, Serialize)]
pub struct AllianceGroup {
    pub area_m2: f64,
    pub contiguous: bool,
    pub deviation: f64,
    /// 1-based group number.
    pub group: usize,
    pub members: Vec<String>,
    pub names: Vec<String>,
    /// Ids of the members' parents, sorted, once each.
    pub parents: Vec<String>,
    pub perimeter_m: f64,
    pub polsby_popper: f64,
    pub straddles: bool,
    pub weight: f64,
}

/// Proposed or validated alliances of a level.
#[derive(Debug, Clone, Serialize)]
pub struct AllianceReport {
    pub duplicated: Vec<String>,
    /// The level's units with their group (set by the API when asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geojson: Option<Value>,
    pub groups: Vec<AllianceGroup>,
    pub level: String,
    pub max_deviation: f64,
    pub mean_polsby_popper: f64,
    pub mean_weight: f64,
    pub min_polsby_popper: f64,
    pub problems: Vec<String>,
    pub unassigned: Vec<String>,
    pub weight: WeightBy,
}

/// An AB pair (A岗 and B岗 cover each other).
#[derive(Debug, Clone, Serialize)]
pub struct AbPair {
    pub a: String,
    pub a_name: String,
    pub b: String,
    pub b_name: String,
    pub distance_m: f64,
    pub meet_id: Option<String>,
    pub meet_level: Option<String>,
    pub same_parent: bool,
    pub shared_m: f64,
}

/// What a unit without a partner does instead.
#[derive(Debug, Clone, Serialize)]
pub struct FallbackInfo {
    /// `triple`, `cross_parent` or `none`.
    pub kind: &'static str,
    pub names: Vec<String>,
    pub with: Vec<String>,
}

/// A unit left without a partner.
#[derive(Debug, Clone, Serialize)]
pub struct Unmatched {
    pub fallback: FallbackInfo,
    pub id: String,
    pub name: String,
}

/// AB pairs of a level.
#[derive(Debug, Clone, Serialize)]
pub struct AbReport {
    pub level: String,
    pub pairs: Vec<AbPair>,
    pub total_distance_m: f64,
    pub total_shared_m: f64,
    pub units: usize,
    pub unmatched: Vec<Unmatched>,
    pub weight: PairWeight,
    pub within_parent: bool,
}
