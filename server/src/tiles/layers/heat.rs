//! The H3 tile layers drawn from a query's filtered incident counts:
//! `heatmap` (counts per cell) and `hotspots` (Getis–Ord Gi* classes).
//! The cells are computed once per query by the HTTP layer and cached ([`crate::tiles::HeatCache`]).

use geo::MultiPolygon;
use wangge_engine::model::LayerKind;

use crate::state::Dataset;
use crate::tiles::clip::tile_polygons;
use crate::tiles::mvt::{LayerBuilder, TileGeom};
use crate::tiles::source::{Dep, HeatKind, Inputs, TileAddr, TileSource, meets};

/// An H3 cell's boundary as a lon/lat polygon.
pub fn hexagon(c: h3o::CellIndex) -> geo::Polygon<f64> {
    let mut ring: Vec<geo::Coord<f64>> = c.boundary().iter().map(|p| geo::Coord { x: p.lng(), y: p.lat() }).collect();
    if let Some(f) = ring.first().copied() {
        ring.push(f);
    }
    geo::Polygon::new(geo::LineString(ring), vec![])
}

fn render_cells(input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
    let tp = tile.proj();
    for (c, props) in input.cells {
        let hex = MultiPolygon(vec![hexagon(*c)]);
        if meets(&hex, tile) {
            lb.add(Some(u64::from(*c)), &TileGeom::Polygons(tile_polygons(&hex, &tp)), props);
        }
    }
}

const DEPS: &[Dep] = &[Dep::Layer(LayerKind::Incidents), Dep::LiveIncidents];
/// Heat layers follow the H3 resolution chosen per zoom (up to 11 at z 18).
const HEAT_MAXZOOM: u8 = 18;

#[derive(Debug)]
pub struct Heatmap;

impl TileSource for Heatmap {
    fn name(&self) -> &'static str {
        "heatmap"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("cell", "String"), ("count", "Number")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        DEPS
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        render_cells(input, tile, lb);
    }
    fn count(&self, d: &Dataset, live: usize) -> usize {
        d.incidents.len() + live
    }
    fn generated(&self, d: &Dataset) -> bool {
        d.incidents.iter().any(|u| Dataset::is_generated(&u.attributes))
    }
    fn maxzoom(&self) -> u8 {
        HEAT_MAXZOOM
    }
    fn heat(&self) -> Option<HeatKind> {
        Some(HeatKind::Counts)
    }
}

#[derive(Debug)]
pub struct Hotspots;

impl TileSource for Hotspots {
    fn name(&self) -> &'static str {
        "hotspots"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("cell", "String"), ("count", "Number"), ("z", "Number"), ("q", "Number"), ("class", "String")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        DEPS
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        render_cells(input, tile, lb);
    }
    fn count(&self, d: &Dataset, live: usize) -> usize {
        d.incidents.len() + live
    }
    fn generated(&self, d: &Dataset) -> bool {
        d.incidents.iter().any(|u| Dataset::is_generated(&u.attributes))
    }
    fn maxzoom(&self) -> u8 {
        HEAT_MAXZOOM
    }
    fn heat(&self) -> Option<HeatKind> {
        Some(HeatKind::HotSpots)
    }
}
