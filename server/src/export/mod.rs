//! Data out as GIS tools open it: a layer as GeoParquet 1.1 (optionally
//! hive-partitioned by H3 cell and month), and a tile layer set as a PMTiles v3
//! archive of the same tiles the server serves, a plain offline basemap built
//! from the project's layers, and a self-contained offline folder showing both.
//! The CLI (`cli/export.rs`) calls these.

pub mod basemap;
pub mod geoparquet;
pub mod pmtiles;
pub mod site;
pub mod tiles;
