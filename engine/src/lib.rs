//! wangge-engine: pure spatial computation for grid-based community
//! governance — the domain model, coordinate conversion, metric projection,
//! the unit hierarchy, R-tree indexes, assignment of buildings and points to
//! units, hierarchy integrity and deterministic generated data. No IO.

pub mod abpost;
pub mod adjacency;
pub mod alliance;
pub mod assign;
pub mod coverage;
pub mod crs;
pub mod h3locate;
pub mod heatindex;
pub mod hierarchy;
pub mod hotspot;
pub mod index;
pub mod integrity;
pub mod lifecycle;
pub mod matching;
pub mod model;
pub mod par;
pub mod projection;
pub mod siting;
pub mod synth;
pub mod validate;
pub mod visibility;
