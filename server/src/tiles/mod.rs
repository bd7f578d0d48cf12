//! Vector tiles: the tile grid, clipping and MVT encoding, one [`TileSource`]
//! per layer registered in [`source::SOURCES`], the caches keyed by
//! [`TileKey`], TileJSON, the MapLibre style and the glyphs. The routes are in
//! `http/tiles.rs`.

pub mod cache;
pub mod clip;
pub mod encoding;
pub mod glyphs;
pub mod grid;
pub mod layers;
pub mod mvt;
pub mod source;
pub mod style;
pub mod tilejson;

pub use cache::{CompositeKey, HeatCache, HeatFilter, HeatKey, LayerTile, TileCache, TileFilter, TileKey, TileScope, Versions};
pub use layers::heat::hexagon;
pub use source::{HeatCell, Inputs, TileAddr, TileSource, render_layer, source};

use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

/// Encode one layer of one tile without the cache (`None` when the layer is unknown, drawn
/// from heat cells or service shapes, or holds no feature there). Used by tests and the tile benchmark.
pub fn render(d: &Dataset, layer: &str, level: Option<&str>, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
    render_in(d, &Jurisdiction::everything(), layer, level, z, x, y)
}

/// [`render`] limited to jurisdiction `scope`.
pub fn render_in(d: &Dataset, scope: &Jurisdiction, layer: &str, level: Option<&str>, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
    let src = source(layer).filter(|s| s.heat().is_none() && s.service().is_none())?;
    render_layer(src, &Inputs { d, scope, level, cells: &[], shapes: &[] }, TileAddr { z, x, y })
}
