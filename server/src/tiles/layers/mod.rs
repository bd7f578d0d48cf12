//! One [`super::TileSource`] implementation per tile layer, registered in [`super::source::SOURCES`].

pub mod buildings;
pub mod coverage;
pub mod heat;
pub mod points;
pub mod problems;
pub mod roads;
pub mod service;
pub mod units;
