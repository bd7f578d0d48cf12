//! The camera coverage tile layers: `camera_views` (each camera's view polygon)
//! and `camera_gaps` (uncovered ground per unit). Camera edits change them in place.

use super::points::{cameras_generated, cameras_inside};
use crate::tiles::clip::tile_polygons;
use crate::tiles::mvt::{LayerBuilder, Prop, TileGeom};
use crate::tiles::source::{Dep, Freshness, Inputs, TileAddr, TileSource, UNITS_AND_BUILDINGS, count_inside, generated};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

#[derive(Debug)]
pub struct CameraViews;

impl TileSource for CameraViews {
    fn name(&self) -> &'static str {
        "camera_views"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("id", "String"), ("kind", "String"), ("area_m2", "Number"), ("on_roof", "String"), ("generated", "Boolean")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        UNITS_AND_BUILDINGS
    }
    fn freshness(&self) -> Freshness {
        Freshness::CameraEdited
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        let cov = d.coverage();
        for i in cov.views_ll_index.query_rect(tile.buffered_bounds()) {
            if !input.scope.camera(d, i) {
                continue;
            }
            let c = &d.cameras[i];
            let v = &cov.views[i];
            let mut props = vec![
                ("id", Prop::Str(c.id.clone())),
                ("kind", Prop::Str(c.kind.as_str().into())),
                ("area_m2", Prop::Num(geo::Area::unsigned_area(&v.polygon))),
                ("generated", generated(&c.attributes)),
            ];
            if let Some(b) = v.on_roof {
                props.push(("on_roof", Prop::Str(d.buildings[b].id.clone())));
            }
            lb.add(Some(i as u64 + 1), &TileGeom::Polygons(tile_polygons(&cov.views_ll[i], &tp)), &props);
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        cameras_inside(d, j)
    }
    fn generated(&self, d: &Dataset) -> bool {
        cameras_generated(d)
    }
}

#[derive(Debug)]
pub struct CameraGaps;

impl TileSource for CameraGaps {
    fn name(&self) -> &'static str {
        "camera_gaps"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("area_m2", "Number"), ("unit", "String")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        UNITS_AND_BUILDINGS
    }
    fn freshness(&self) -> Freshness {
        Freshness::CameraEdited
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        let cov = d.coverage();
        for i in cov.gaps_ll_index.query_rect(tile.buffered_bounds()) {
            let (g, a, owner, _) = &cov.gaps_ll[i];
            if !input.scope.unit(*owner) {
                continue;
            }
            let props = [("area_m2", Prop::Num(*a)), ("unit", Prop::Str(d.hierarchy.units[*owner].id.0.clone()))];
            lb.add(None, &TileGeom::Polygons(tile_polygons(g, &tp)), &props);
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        let gaps = &d.coverage().gaps_ll;
        count_inside(gaps.len(), j, |g| j.unit(gaps[g].2))
    }
    fn generated(&self, d: &Dataset) -> bool {
        cameras_generated(d)
    }
}
