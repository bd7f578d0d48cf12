//! The H3 tile layers drawn from a query's filtered incident counts:
//! `heatmap` (counts per cell) and `hotspots` (Getis–Ord Gi* classes).
//! The cells are computed once per query by the HTTP layer and cached ([`crate::tiles::HeatCache`]).

use geo::MultiPolygon;
use wangge_engine::model::LayerKind;

use crate::tiles::clip::tile_polygons;
use crate::tiles::mvt::{LayerBuilder, TileGeom};
use crate::tiles::source::{Dep, HeatKind, Inputs, TileAddr, TileSource, any_generated, meets};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

/// An H3 cell's boundary as a lon/lat polygon.
pub fn hexagon(c: h3o::CellIndex) -> geo::Polygon<f64> {
    let mut ring: Vec<geo::Coord<f64>> = c.boundary().iter().map(|p| geo::Coord { x: p.lng(), y: p.lat() }).collect();
    if let Some(f) = ring.first().copied() {
        ring.push(f);
    }
    geo::Polygon::new(geo::LineString(ring), vec![])
}

/// A heat layer: `heatmap` or `hotspots`, which differ only in what their cells carry.
#[derive(Debug)]
pub struct Heat(pub HeatKind);

/// Incident counts per H3 cell.
pub const HEATMAP: Heat = Heat(HeatKind::Counts);
/// Getis–Ord Gi* hot and cold spots.
pub const HOTSPOTS: Heat = Heat(HeatKind::HotSpots);

impl TileSource for Heat {
    fn name(&self) -> &'static str {
        match self.0 {
            HeatKind::Counts => "heatmap",
            HeatKind::HotSpots => "hotspots",
        }
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        match self.0 {
            HeatKind::Counts => &[("cell", "String"), ("count", "Number")],
            HeatKind::HotSpots => &[("cell", "String"), ("count", "Number"), ("z", "Number"), ("q", "Number"), ("class", "String")],
        }
    }
    fn depends_on(&self) -> &'static [Dep] {
        &[Dep::Layer(LayerKind::Incidents), Dep::LiveIncidents]
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let tp = tile.proj();
        for (c, props) in input.cells {
            let hex = MultiPolygon(vec![hexagon(*c)]);
            if meets(&hex, tile) {
                lb.add(Some(u64::from(*c)), &TileGeom::Polygons(tile_polygons(&hex, &tp)), props);
            }
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, live: usize) -> usize {
        super::points::incidents_inside(d, j) + live
    }
    fn generated(&self, d: &Dataset) -> bool {
        any_generated(d.incidents.iter().map(|u| &u.attributes))
    }
    /// Heat layers follow the H3 resolution chosen per zoom (up to 11 at z 18).
    fn maxzoom(&self) -> u8 {
        18
    }
    fn heat(&self) -> Option<HeatKind> {
        Some(self.0)
    }
}
