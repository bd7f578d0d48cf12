//! The service life-circle tile layers (issue 16), filtered by `?kind=K&threshold=M`:
//! `catchments` (the walking catchment of a facility kind at a threshold, clipped to
//! the caller's jurisdiction) and `service_gaps` (clusters of the homes beyond it).
//! The shapes are computed once per data version, kind, threshold and jurisdiction
//! by the HTTP layer ([`crate::service::ServiceCache`]) and handed in as
//! [`Inputs::shapes`].

use wangge_engine::model::LayerKind;

use crate::service::ShapeKind;
use crate::tiles::clip::tile_polygons;
use crate::tiles::mvt::{LayerBuilder, Prop, TileGeom};
use crate::tiles::source::{Dep, Inputs, TileAddr, TileSource, any_generated};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

/// A service layer: catchments or gaps, which differ only in what their shapes hold.
#[derive(Debug)]
pub struct Service(pub ShapeKind);

/// Walking catchments.
pub const CATCHMENTS: Service = Service(ShapeKind::Catchment);
/// Homes beyond reach.
pub const SERVICE_GAPS: Service = Service(ShapeKind::Gap);

const DEPS: &[Dep] = &[Dep::Layer(LayerKind::Buildings), Dep::Layer(LayerKind::Facilities), Dep::Layer(LayerKind::Roads)];

impl TileSource for Service {
    fn name(&self) -> &'static str {
        match self.0 {
            ShapeKind::Catchment => "catchments",
            ShapeKind::Gap => "service_gaps",
        }
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("threshold_m", "Number"), ("buildings", "Number"), ("households", "Number")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        DEPS
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let tp = tile.proj();
        let bounds = tile.buffered_bounds();
        for (i, s) in input.shapes.iter().enumerate() {
            if !s.bbox.is_some_and(|b| wangge_engine::geometry::index::rects_touch(b, bounds)) {
                continue;
            }
            let props = [
                ("threshold_m", Prop::Num(s.threshold_m)),
                ("buildings", Prop::Int(i64::from(s.buildings))),
                ("households", Prop::Int(s.households as i64)),
            ];
            lb.add(Some(i as u64 + 1), &TileGeom::Polygons(tile_polygons(&s.area, &tp)), &props);
        }
    }
    /// Without a kind and threshold there are no shapes to count: the facilities (catchments) or
    /// buildings (gaps) they are drawn from, inside the jurisdiction.
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        match self.0 {
            ShapeKind::Catchment => (0..d.facilities.len()).filter(|&f| j.facility(d, f)).count(),
            ShapeKind::Gap => (0..d.buildings.len()).filter(|&b| j.building(d, b)).count(),
        }
    }
    fn generated(&self, d: &Dataset) -> bool {
        any_generated(d.facilities.iter().map(|f| &f.attributes)) || any_generated(d.buildings.iter().map(|b| &b.attributes))
    }
    fn service(&self) -> Option<ShapeKind> {
        Some(self.0)
    }
}
