//! The Web Mercator tile grid: tile addresses, their lon/lat bounds, the tiles
//! covering a rectangle, and the projection of lon/lat onto a tile's integer grid.

use geo::{Coord, Rect};

/// Tile units per tile side.
pub const EXTENT: u32 = 4096;
/// Clip buffer in tile units on each side.
pub const BUFFER: i32 = 64;
/// Highest zoom served (TileJSON advertises lower per-layer maxima; clients overzoom).
pub const MAX_ZOOM: u8 = 22;

const MAX_LAT: f64 = 85.051_128_78;

/// Whether z/x/y names a tile.
pub fn valid_tile(z: u8, x: u32, y: u32) -> bool {
    z <= MAX_ZOOM && u64::from(x) < (1u64 << z) && u64::from(y) < (1u64 << z)
}

/// Lon/lat bounds of a tile, grown by `grow` tile units on each side.
pub fn tile_bounds(z: u8, x: u32, y: u32, grow: f64) -> Rect<f64> {
    let n = f64::from(1u32 << z);
    let lon = |px: f64| px / n * 360.0 - 180.0;
    let lat = |py: f64| (std::f64::consts::PI * (1.0 - 2.0 * py / n)).sinh().atan().to_degrees();
    let g = grow / f64::from(EXTENT);
    Rect::new((lon(f64::from(x) - g), lat(f64::from(y) + 1.0 + g)), (lon(f64::from(x) + 1.0 + g), lat(f64::from(y) - g)))
}

/// The x/y ranges of the tiles at zoom `z` that cover a lon/lat rectangle.
pub fn tiles_covering(r: Rect<f64>, z: u8) -> (std::ops::RangeInclusive<u32>, std::ops::RangeInclusive<u32>) {
    let n = f64::from(1u32 << z);
    let max = (1u32 << z) - 1;
    let tx = |lon: f64| (((lon + 180.0) / 360.0 * n).max(0.0) as u32).min(max);
    let ty = |lat: f64| {
        let r = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
        (((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).max(0.0) as u32).min(max)
    };
    (tx(r.min().x)..=tx(r.max().x), ty(r.max().y)..=ty(r.min().y))
}

/// Projects lon/lat to the tile's integer grid.
#[derive(Debug, Clone, Copy)]
pub struct TileProj {
    scale: f64,
    x0: f64,
    y0: f64,
}

impl TileProj {
    pub fn new(z: u8, x: u32, y: u32) -> Self {
        let scale = f64::from(EXTENT) * f64::from(1u32 << z);
        TileProj { scale, x0: f64::from(x) * f64::from(EXTENT), y0: f64::from(y) * f64::from(EXTENT) }
    }
    /// Tile coordinates (not rounded; y down).
    pub fn project(&self, c: Coord<f64>) -> (f64, f64) {
        let lat = c.y.clamp(-MAX_LAT, MAX_LAT).to_radians();
        let wx = (c.x + 180.0) / 360.0;
        let wy = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
        (wx * self.scale - self.x0, wy * self.scale - self.y0)
    }
}
