//! The tile source trait and the registry: every tile layer is one
//! [`TileSource`] implementation (in `layers/`) and one line in [`SOURCES`].

use wangge_engine::model::LayerKind;

use super::cache::Versions;
use super::grid::{BUFFER, TileProj, tile_bounds};
use super::layers;
use super::mvt::{LayerBuilder, Prop};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

/// Highest zoom advertised for data layers in TileJSON; MapLibre overzooms beyond.
pub const DATA_MAXZOOM: u8 = 16;

/// A version a tile depends on: a stored layer's, or the live incidents'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dep {
    Layer(LayerKind),
    LiveIncidents,
}

impl Dep {
    /// The letter of this dependency in an ETag (`u3-b2`).
    pub fn letter(self) -> char {
        match self {
            Dep::Layer(LayerKind::Units) => 'u',
            Dep::Layer(LayerKind::Buildings) => 'b',
            Dep::Layer(LayerKind::Cameras) => 'c',
            Dep::Layer(LayerKind::Facilities) => 'f',
            Dep::Layer(LayerKind::Incidents) => 'i',
            Dep::Layer(LayerKind::Roads) => 'r',
            Dep::LiveIncidents => 'l',
        }
    }
}

/// How a layer's tiles are kept fresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Keyed by the versions of the layers it depends on; the ETag is those versions.
    Versioned,
    /// Changed in place by camera edits: the cache drops the tiles an edit touches
    /// ([`super::TileCache::invalidate`]) and the ETag is the content's hash.
    CameraEdited,
}

/// What a heatmap or hot-spot layer computes from the filtered incident counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeatKind {
    /// Incident counts per H3 cell.
    Counts,
    /// Getis–Ord Gi* hot and cold spots over the counts.
    HotSpots,
}

/// One H3 cell of a heatmap or hot-spot layer, with its properties.
pub type HeatCell = (h3o::CellIndex, Vec<(&'static str, Prop)>);

/// The address of a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileAddr {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileAddr {
    pub fn proj(self) -> TileProj {
        TileProj::new(self.z, self.x, self.y)
    }
    /// Lon/lat bounds of the tile grown by the clip buffer.
    pub fn buffered_bounds(self) -> geo::Rect<f64> {
        tile_bounds(self.z, self.x, self.y, f64::from(BUFFER))
    }
}

/// What a source renders from: the dataset, the caller's jurisdiction, the units level filter, and the heat cells of the query.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub d: &'a Dataset,
    /// Only features inside this jurisdiction (the heat cells are already limited to it).
    pub scope: &'a Jurisdiction,
    /// Only units of this level (units layer).
    pub level: Option<&'a str>,
    /// The cells of the query (heatmap and hot-spot layers; empty otherwise).
    pub cells: &'a [HeatCell],
    /// The shapes of the query (catchments and service gaps; empty otherwise).
    pub shapes: &'a [crate::service::ServiceShape],
}

/// A tile layer.
pub trait TileSource: Send + Sync {
    /// The layer's name in URLs, in the tile and in TileJSON.
    fn name(&self) -> &'static str;
    /// Attribute names and types (TileJSON `vector_layers[].fields`).
    fn fields(&self) -> &'static [(&'static str, &'static str)];
    /// The versions its tiles depend on (the cache key and the ETag).
    fn depends_on(&self) -> &'static [Dep];
    /// Add the features that meet the tile to `lb`.
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder);
    /// Number of features inside jurisdiction `j` (`/api/layers`); `live_incidents` is the number of live incidents inside it.
    fn count(&self, d: &Dataset, j: &Jurisdiction, live_incidents: usize) -> usize;
    /// Whether any of its features is generated (`/api/layers`).
    fn generated(&self, _d: &Dataset) -> bool {
        false
    }
    fn minzoom(&self) -> u8 {
        0
    }
    fn maxzoom(&self) -> u8 {
        DATA_MAXZOOM
    }
    fn freshness(&self) -> Freshness {
        Freshness::Versioned
    }
    /// Some for layers drawn from the heat cells of a query.
    fn heat(&self) -> Option<HeatKind> {
        None
    }
    /// Some for layers drawn from the service shapes of a query (`?kind=&threshold=`).
    fn service(&self) -> Option<crate::service::ShapeKind> {
        None
    }
}

impl std::fmt::Debug for dyn TileSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TileSource({})", self.name())
    }
}

/// Every tile layer, in the order `/api/layers` lists them. Adding a layer: one implementation, one line here.
pub static SOURCES: &[&dyn TileSource] = &[
    &layers::units::Units,
    &layers::buildings::Buildings,
    &layers::points::Cameras,
    &layers::points::Facilities,
    &layers::points::Incidents,
    &layers::roads::Roads,
    &layers::problems::Problems,
    &layers::coverage::CameraViews,
    &layers::coverage::CameraGaps,
    &layers::heat::HEATMAP,
    &layers::heat::HOTSPOTS,
    &layers::service::CATCHMENTS,
    &layers::service::SERVICE_GAPS,
];

/// The source named `name`.
pub fn source(name: &str) -> Option<&'static dyn TileSource> {
    SOURCES.iter().copied().find(|s| s.name() == name)
}

/// The names of every tile layer.
pub fn names() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|s| s.name())
}

/// The layers that do not depend on a query's heat or service filters (one composite source on the page and in `/style.json`).
pub fn static_layers() -> impl Iterator<Item = &'static dyn TileSource> {
    SOURCES.iter().copied().filter(|s| s.heat().is_none() && s.service().is_none())
}

/// The layers camera edits change in place.
pub fn camera_edited() -> Vec<&'static str> {
    SOURCES.iter().filter(|s| s.freshness() == Freshness::CameraEdited).map(|s| s.name()).collect()
}

/// The current versions of what `src` depends on.
pub fn versions(src: &dyn TileSource, d: &Dataset, live_version: u64) -> Versions {
    Versions(
        src.depends_on()
            .iter()
            .map(|&dep| {
                let v = match dep {
                    Dep::Layer(k) => i64::from(d.versions.get(&k).copied().unwrap_or(0)),
                    Dep::LiveIncidents => live_version as i64,
                };
                (dep, v)
            })
            .collect(),
    )
}

/// Encode one layer of one tile; `None` when it holds no feature.
pub fn render_layer(src: &dyn TileSource, input: &Inputs<'_>, tile: TileAddr) -> Option<Vec<u8>> {
    let mut lb = LayerBuilder::new(src.name());
    src.render(input, tile, &mut lb);
    if lb.is_empty() { None } else { Some(lb.encode()) }
}

/// Whether the bounding box of `g` meets the buffered tile.
pub(crate) fn meets<G: geo::BoundingRect<f64>>(g: &G, tile: TileAddr) -> bool
where
    G::Output: Into<Option<geo::Rect<f64>>>,
{
    g.bounding_rect().into().is_some_and(|r| wangge_engine::geometry::index::rects_touch(r, tile.buffered_bounds()))
}

/// The `generated` attribute of a feature.
pub(crate) fn generated(a: &wangge_engine::model::Attributes) -> Prop {
    Prop::Bool(Dataset::is_generated(a))
}

/// What the layers drawn from the unit hierarchy and its buildings are keyed by
/// (units, buildings and the camera layers, whose camera edits invalidate tiles in place).
pub(crate) const UNITS_AND_BUILDINGS: &[Dep] = &[Dep::Layer(LayerKind::Units), Dep::Layer(LayerKind::Buildings)];

/// How many of the `n` features of a layer are inside `j` (`inside(i)`: feature `i` is); all of them when `j` is everything.
pub(crate) fn count_inside(n: usize, j: &Jurisdiction, inside: impl Fn(usize) -> bool) -> usize {
    if j.is_everything() { n } else { (0..n).filter(|&i| inside(i)).count() }
}

/// Whether any of these features' attributes marks it generated.
pub(crate) fn any_generated<'a>(attributes: impl IntoIterator<Item = &'a wangge_engine::model::Attributes>) -> bool {
    attributes.into_iter().any(Dataset::is_generated)
}
