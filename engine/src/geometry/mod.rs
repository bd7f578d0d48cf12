//! Geometry: coordinate systems, the local metric projection, validity checks, R-tree indexes and parallel maps.

pub mod crs;
pub mod index;
pub mod par;
pub mod projection;
pub mod validate;
