//! The tile caches: encoded layer tiles by [`TileKey`] and the heat cells of a
//! query by [`HeatKey`] (moka, bounded). Tiles of versioned layers are never
//! invalidated: a new version is a new key. Tiles of layers camera edits change
//! in place are dropped by [`TileCache::invalidate`] over the edited region.

use std::sync::Arc;

use axum::body::Bytes;
use geo::Rect;

use super::grid::{MAX_ZOOM, tiles_covering};
use super::source::{Dep, HeatCell, HeatKind};

/// The versions a tile was rendered from (its dependencies' versions, in the source's order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Versions(pub Vec<(Dep, i64)>);

impl std::fmt::Display for Versions {
    /// `u3-b2`: each dependency's letter and version, as in the ETag.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (dep, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            write!(f, "{}{v}", dep.letter())?;
        }
        Ok(())
    }
}

/// Whose view of the data a tile is: the whole district, or one jurisdiction
/// (a unit and its descendants). Tiles are cached per scope and never served
/// across. A unit's scope carries the units layer's version: which features
/// lie inside depends on the hierarchy even for layers (facilities, roads,
/// incidents) whose own versions do not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum TileScope {
    #[default]
    Everything,
    Unit {
        id: String,
        units_version: i64,
    },
}

impl TileScope {
    /// The scope of jurisdiction `j` over `d`.
    pub fn of(j: &wangge_engine::units::jurisdiction::Jurisdiction, d: &wangge_engine::dataset::Dataset) -> TileScope {
        match &j.unit {
            None => TileScope::Everything,
            Some(id) => TileScope::Unit {
                id: id.clone(),
                units_version: i64::from(d.versions.get(&wangge_engine::model::LayerKind::Units).copied().unwrap_or(0)),
            },
        }
    }
}

/// The filters of a heatmap or hot-spot query (`?res=&k=&from=&to=&category=&status=&unit=`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Deserialize)]
pub struct HeatFilter {
    pub res: Option<u8>,
    pub k: Option<u32>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub unit: Option<String>,
}

/// What a layer's tile is filtered by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum TileFilter {
    #[default]
    None,
    /// Units of one level.
    Level(String),
    /// A heat query.
    Heat(HeatFilter),
    /// A service query: facility kind and threshold (metres, as f64 bits).
    Service { kind: String, threshold_bits: u64 },
}

/// The cache key of one layer of one tile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub layer: &'static str,
    pub versions: Versions,
    pub filter: TileFilter,
    pub z: u8,
    pub x: u32,
    pub y: u32,
    pub scope: TileScope,
}

/// One encoded layer tile: the protobuf and its gzip.
#[derive(Debug)]
pub struct LayerTile {
    pub raw: Bytes,
    pub gzip: Bytes,
}

impl LayerTile {
    pub fn new(raw: Vec<u8>) -> LayerTile {
        let gzip = gzip(&raw).into();
        LayerTile { raw: raw.into(), gzip }
    }
}

/// Gzip of a tile body at `level` (0–9).
pub fn gzip_level(raw: &[u8], level: u32) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 2 + 64), flate2::Compression::new(level));
    // writing into a Vec cannot fail
    let _ = std::io::Write::write_all(&mut enc, raw);
    enc.finish().unwrap_or_default()
}

/// Gzip (fast level) of a layer tile.
pub fn gzip(raw: &[u8]) -> Vec<u8> {
    gzip_level(raw, 1)
}

/// The cache key of a composite tile: its layer tiles' keys and their ETag parts
/// (the content hashes of camera layers change with edits under the same key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompositeKey {
    pub parts: Vec<TileKey>,
    pub tags: Vec<String>,
}

/// Encoded layer tiles (`None` = the layer has no feature there).
#[derive(Debug)]
pub struct TileCache {
    tiles: moka::sync::Cache<TileKey, Option<Arc<LayerTile>>>,
    /// Gzipped composite tiles (built from the layer tiles above, gzipped once at the default level).
    composites: moka::sync::Cache<CompositeKey, Bytes>,
}

/// What an entry costs beside its bytes (key, map slot, Arc), roughly.
const ENTRY_OVERHEAD: u32 = 128;

fn weight(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX).saturating_add(ENTRY_OVERHEAD)
}

impl TileCache {
    /// A cache of at most `bytes` of tiles: three quarters for layer tiles (raw and gzipped), a quarter for
    /// gzipped composites. Bounded by bytes, not entries: tiles of live layers are keyed by the live version, so
    /// a server taking incidents all day fills any cache, and a bound in entries of unequal size bounds nothing.
    pub fn new(bytes: u64) -> TileCache {
        TileCache {
            tiles: moka::sync::Cache::builder()
                .max_capacity(bytes / 4 * 3)
                .weigher(|_: &TileKey, t: &Option<Arc<LayerTile>>| weight(t.as_ref().map_or(0, |t| t.raw.len() + t.gzip.len())))
                .support_invalidation_closures()
                .build(),
            composites: moka::sync::Cache::builder().max_capacity(bytes / 4).weigher(|_: &CompositeKey, b: &Bytes| weight(b.len())).build(),
        }
    }

    /// The bytes the cache holds (after pending maintenance), as its weigher counts them.
    pub fn weight(&self) -> u64 {
        self.tiles.run_pending_tasks();
        self.composites.run_pending_tasks();
        self.tiles.weighted_size() + self.composites.weighted_size()
    }

    /// The gzipped composite under `key`, built by `build` (the concatenated raw tile) when not cached.
    pub fn composite_gzip(&self, key: CompositeKey, build: impl FnOnce() -> Vec<u8>) -> Bytes {
        self.composites.get_with(key, || gzip_level(&build(), 6).into())
    }

    /// The tile under `key`, rendered by `render` when not cached.
    pub fn get_with(&self, key: TileKey, render: impl FnOnce() -> Option<Vec<u8>>) -> Option<Arc<LayerTile>> {
        self.tiles.get_with(key, || render().map(|raw| Arc::new(LayerTile::new(raw))))
    }

    /// Drop every cached tile of `layers`, at every zoom, that meets `region`
    /// (lon/lat) or lies one tile beside it, whatever its versions, filter or scope.
    pub fn invalidate(&self, region: Rect<f64>, layers: &[&str]) {
        let ranges: Vec<_> = (0..=MAX_ZOOM).map(|z| tiles_covering(region, z)).collect();
        let layers: Vec<String> = layers.iter().map(|l| (*l).to_owned()).collect();
        let hit = move |k: &TileKey, _: &Option<Arc<LayerTile>>| {
            let Some((xs, ys)) = ranges.get(usize::from(k.z)) else { return false };
            layers.iter().any(|l| l == k.layer)
                && k.x + 1 >= *xs.start()
                && k.x <= xs.end().saturating_add(1)
                && k.y + 1 >= *ys.start()
                && k.y <= ys.end().saturating_add(1)
        };
        if self.tiles.invalidate_entries_if(hit).is_err() {
            // only when closures are not supported, which `new` enables; drop everything rather than serve stale tiles
            self.tiles.invalidate_all();
        }
    }

    /// Number of cached tiles (after pending maintenance).
    pub fn len(&self) -> u64 {
        self.tiles.run_pending_tasks();
        self.tiles.entry_count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cache key of a query's heat cells.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeatKey {
    pub kind: HeatKind,
    pub versions: Versions,
    pub filter: HeatFilter,
    /// The H3 resolution used (given, or chosen from the zoom).
    pub res: u8,
    pub scope: TileScope,
}

/// Heat cells per query.
#[derive(Debug)]
pub struct HeatCache {
    cells: moka::sync::Cache<HeatKey, Arc<Vec<HeatCell>>>,
}

impl HeatCache {
    /// A cache of at most `bytes` of cells (their properties counted by size).
    pub fn new(bytes: u64) -> HeatCache {
        let weigher = |_: &HeatKey, v: &Arc<Vec<HeatCell>>| {
            let props: usize = v.iter().map(|(_, p)| p.len()).sum();
            weight(v.len() * std::mem::size_of::<HeatCell>() + props * std::mem::size_of::<(&str, super::mvt::Prop)>())
        };
        HeatCache { cells: moka::sync::Cache::builder().max_capacity(bytes).weigher(weigher).build() }
    }

    /// The bytes the cache holds (after pending maintenance), as its weigher counts them.
    pub fn weight(&self) -> u64 {
        self.cells.run_pending_tasks();
        self.cells.weighted_size()
    }

    /// The cells under `key`, computed by `compute` when not cached (errors are not cached).
    pub fn get_or_try<E>(&self, key: HeatKey, compute: impl FnOnce() -> Result<Vec<HeatCell>, E>) -> Result<Arc<Vec<HeatCell>>, E> {
        if let Some(c) = self.cells.get(&key) {
            return Ok(c);
        }
        let c = Arc::new(compute()?);
        self.cells.insert(key, c.clone());
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(layer: &'static str, z: u8, x: u32, y: u32) -> TileKey {
        TileKey { layer, versions: Versions(vec![]), filter: TileFilter::None, z, x, y, scope: TileScope::Everything }
    }

    #[test]
    fn invalidate_drops_the_touched_tiles_of_the_named_layers_only() {
        let c = TileCache::new(1 << 20);
        let spot = geo::Rect::new((120.35, 36.06), (120.351, 36.061));
        let (xs, ys) = tiles_covering(spot, 15);
        let (x, y) = (*xs.start(), *ys.start());
        for k in [key("cameras", 15, x, y), key("cameras", 15, x + 1, y), key("cameras", 15, x + 5, y), key("units", 15, x, y)] {
            c.get_with(k, || Some(vec![1, 2, 3]));
        }
        assert_eq!(c.len(), 4);
        c.invalidate(spot, &["cameras"]);
        let mut rendered = Vec::new();
        for k in [key("cameras", 15, x, y), key("cameras", 15, x + 1, y), key("cameras", 15, x + 5, y), key("units", 15, x, y)] {
            let mut again = false;
            c.get_with(k, || {
                again = true;
                Some(vec![4])
            });
            rendered.push(again);
        }
        // the tile over the spot and its neighbour are rendered again; the far one and the other layer are kept
        assert_eq!(rendered, vec![true, true, false, false]);
    }

    #[test]
    fn the_cache_holds_at_most_its_bytes() {
        let cap = 1 << 20;
        let c = TileCache::new(cap);
        // tiles under ever new keys, as a live layer's tiles are after every incident: 10 MB offered
        let noise = |i: u32| (0..10_000u32).map(|k| (k.wrapping_mul(2_654_435_761).wrapping_add(i) >> 13) as u8).collect::<Vec<u8>>();
        for i in 0..1000 {
            c.get_with(key("incidents", 15, i, 0), || Some(noise(i)));
        }
        let w = c.weight();
        assert!(w <= cap / 4 * 3, "{w} bytes held, cap {}", cap / 4 * 3);
        assert!(w > cap / 4, "the cache is used: {w}");
    }

    #[test]
    fn versions_read_as_the_etag() {
        use wangge_engine::model::LayerKind;
        let v = Versions(vec![(Dep::Layer(LayerKind::Units), 3), (Dep::Layer(LayerKind::Buildings), 2)]);
        assert_eq!(v.to_string(), "u3-b2");
        assert_eq!(Versions(vec![(Dep::Layer(LayerKind::Incidents), 1), (Dep::LiveIncidents, 0)]).to_string(), "i1-l0");
    }
}
