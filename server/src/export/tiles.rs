//! The tiles of a layer set for a PMTiles archive: every tile from `minzoom`
//! to `maxzoom` that covers the data (with a one-tile margin for the clip
//! buffer), rendered by the same [`crate::tiles::render_layer`] the tile route
//! calls for the caller `Jurisdiction::everything()` with no filter, the
//! layers concatenated in the order given as the composite tile
//! `/tiles/a,b,c/{z}/{x}/{y}.mvt` is, empty tiles left out, each gzipped.
//! O(tiles × features met per tile); the tiles of a zoom rendered in parallel.

use geo::{BoundingRect, Rect};
use serde_json::{Value, json};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

use super::pmtiles::{Header, write_archive};
use crate::tiles::grid::{MAX_ZOOM, tiles_covering};
use crate::tiles::mvt::concat;
use crate::tiles::source::{self, TileAddr, TileSource};
use crate::tiles::tilejson::vector_layer;
use crate::tiles::{Inputs, render_layer};

/// The sources named in `list` (static layers only: the heat and service layers need a query's filter).
pub fn sources(list: &[String]) -> Result<Vec<&'static dyn TileSource>, String> {
    let mut out: Vec<&'static dyn TileSource> = Vec::new();
    for name in list {
        let statics: Vec<&str> = source::static_layers().map(|s| s.name()).collect();
        let Some(src) = source::static_layers().find(|s| s.name() == name) else {
            return Err(format!("no tile layer {name:?} to export; layers are {}", statics.join(", ")));
        };
        if out.iter().any(|s| s.name() == name) {
            return Err(format!("tile layer {name:?} is listed twice"));
        }
        out.push(src);
    }
    if out.is_empty() {
        return Err("no layers given: --layers units,buildings,…".into());
    }
    Ok(out)
}

/// The bounds of every layer of the dataset.
pub fn data_bounds(d: &Dataset) -> Option<Rect<f64>> {
    let pts =
        d.cameras.iter().map(|c| c.position).chain(d.facilities.iter().map(|f| f.position)).chain(d.incidents.iter().map(|n| n.position));
    let rects = pts.map(|p| Rect::new(p.0, p.0)).chain(d.roads.iter().filter_map(|r| r.line.bounding_rect())).chain(d.bounds());
    rects.reduce(|a, b| {
        Rect::new(
            geo::coord! {x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y)},
            geo::coord! {x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y)},
        )
    })
}

/// The composite tile of `sources` at `t` (raw MVT), `None` when empty: the tile route's answer to an open-mode caller.
pub fn composite(d: &Dataset, sources: &[&'static dyn TileSource], t: TileAddr) -> Option<Vec<u8>> {
    let everything = Jurisdiction::everything();
    let input = Inputs { d, scope: &everything, level: None, cells: &[], shapes: &[] };
    let parts: Vec<Vec<u8>> = sources.iter().filter_map(|s| render_layer(*s, &input, t)).collect();
    if parts.is_empty() { None } else { Some(concat(parts.iter().map(Vec::as_slice))) }
}

/// The addresses the archive covers at zoom `z`: the data's tiles and one more on each side.
pub fn covered(bounds: Rect<f64>, z: u8) -> Vec<TileAddr> {
    let (xs, ys) = tiles_covering(bounds, z);
    let max = (1u32 << z) - 1;
    let (x0, x1) = (xs.start().saturating_sub(1), (*xs.end() + 1).min(max));
    let (y0, y1) = (ys.start().saturating_sub(1), (*ys.end() + 1).min(max));
    (x0..=x1).flat_map(|x| (y0..=y1).map(move |y| TileAddr { z, x, y })).collect()
}

/// A PMTiles archive of `sources` from `minzoom` to `maxzoom`, and the number of tiles in it.
pub fn archive(d: &Dataset, sources: &[&'static dyn TileSource], minzoom: u8, maxzoom: u8) -> Result<(Vec<u8>, usize), String> {
    if minzoom > maxzoom || maxzoom > MAX_ZOOM {
        return Err(format!("zooms {minzoom}–{maxzoom}: minzoom must be at most maxzoom, and maxzoom at most {MAX_ZOOM}"));
    }
    let bounds = data_bounds(d).ok_or_else(|| "the store holds no layer to tile".to_owned())?;
    let mut tiles = Vec::new();
    for z in minzoom..=maxzoom {
        let addrs = covered(bounds, z);
        let rendered = wangge_engine::geometry::par::map(&addrs, 4, |t| composite(d, sources, *t).map(|raw| (*t, raw)));
        for (t, raw) in rendered.into_iter().flatten() {
            let gz = crate::tiles::cache::gzip_level(&raw, 6);
            tiles.push((t.z, t.x, t.y, gz));
        }
    }
    let n = tiles.len();
    let b = [bounds.min().x, bounds.min().y, bounds.max().x, bounds.max().y];
    let header = Header { min_zoom: minzoom, max_zoom: maxzoom, bounds: b, center_zoom: minzoom.max(maxzoom.min(13)) };
    let bytes = write_archive(tiles, &metadata(d, sources, minzoom, maxzoom), &header).map_err(|e| format!("writing the archive: {e}"))?;
    Ok((bytes, n))
}

fn metadata(d: &Dataset, sources: &[&'static dyn TileSource], minzoom: u8, maxzoom: u8) -> Value {
    let name = sources.iter().map(|s| s.name()).collect::<Vec<_>>().join(",");
    let generated = sources.iter().any(|s| s.generated(d));
    json!({
        "name": name,
        "format": "pbf",
        "type": "overlay",
        "version": d.data_version(),
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "generated": generated,
        "description": "wangge tiles exported by `wangge export --format pmtiles` (the same tiles /tiles/{name}/{z}/{x}/{y}.mvt serves)",
        "attribution": "© OpenStreetMap contributors, ODbL 1.0 (real boundaries); generated layers are labelled generated",
        "vector_layers": sources.iter().map(|s| vector_layer(*s)).collect::<Vec<_>>(),
    })
}
