//! Geometry: coordinate systems, the local metric projection, validity checks, R-tree indexes and parallel maps.

pub mod crs;
pub mod ellipsoid;
pub mod epsg;
pub mod georef;
pub mod helmert;
pub mod index;
pub mod par;
pub mod projection;
pub mod tmerc;
pub mod validate;
pub mod wkt;
