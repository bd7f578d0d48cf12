//! wangge-engine: pure spatial computation for grid-based community
//! governance — the domain model, coordinate conversion, metric projection,
//! the unit hierarchy, R-tree indexes, assignment of buildings and points to
//! units, hierarchy integrity, camera coverage, incident analytics and
//! deterministic generated data. No IO.

pub mod analysis;
pub mod cameras;
pub mod dataset;
pub mod geometry;
pub mod groups;
pub mod incidents;
pub mod model;
pub mod people;
pub mod review;
pub mod service;
pub mod synth;
pub mod time;
pub mod units;
