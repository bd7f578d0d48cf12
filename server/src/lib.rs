//! wangge server: the DuckDB store, import and export, vector tiles, the HTTP
//! API and the web page, used by the `wangge` binary.

pub mod api;
pub mod cli;
pub mod geojson_out;
pub mod glyphs;
pub mod import;
pub mod mvt;
pub mod state;
pub mod store;
pub mod tiles;
pub mod timefmt;
pub mod wkb;

/// Whether two rectangles meet.
pub fn mvt_rects_touch(a: geo::Rect<f64>, b: geo::Rect<f64>) -> bool {
    a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
}
