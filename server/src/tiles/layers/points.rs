//! The point tile layers: `cameras`, `facilities` and `incidents`.

use wangge_engine::model::LayerKind;

use crate::tiles::clip::tile_point;
use crate::tiles::mvt::{LayerBuilder, Prop, TileGeom};
use crate::tiles::source::{Dep, Freshness, Inputs, TileAddr, TileSource, UNITS_AND_BUILDINGS, any_generated, count_inside, generated};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

#[derive(Debug)]
pub struct Cameras;

impl TileSource for Cameras {
    fn name(&self) -> &'static str {
        "cameras"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("id", "String"), ("kind", "String"), ("heading", "Number"), ("fov", "Number"), ("range", "Number"), ("generated", "Boolean")]
    }
    // not keyed by the cameras' version: edits invalidate the tiles they touch
    fn depends_on(&self) -> &'static [Dep] {
        UNITS_AND_BUILDINGS
    }
    fn freshness(&self) -> Freshness {
        Freshness::CameraEdited
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        for i in d.camera_index.query_rect(tile.buffered_bounds()) {
            if !input.scope.camera(d, i) {
                continue;
            }
            let c = &d.cameras[i];
            if let Some(p) = tile_point(c.position, &tp) {
                let props = [
                    ("id", Prop::Str(c.id.clone())),
                    ("kind", Prop::Str(c.kind.as_str().into())),
                    ("heading", Prop::Num(c.view.heading_deg)),
                    ("fov", Prop::Num(c.view.fov_deg)),
                    ("range", Prop::Num(c.view.range_m.0)),
                    ("generated", generated(&c.attributes)),
                ];
                lb.add(Some(i as u64 + 1), &TileGeom::Points(vec![p]), &props);
            }
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
pub struct Facilities;

impl TileSource for Facilities {
    fn name(&self) -> &'static str {
        "facilities"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("id", "String"), ("kind", "String"), ("name", "String"), ("generated", "Boolean")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        &[Dep::Layer(LayerKind::Facilities)]
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        for i in d.facility_index.query_rect(tile.buffered_bounds()) {
            if !input.scope.facility(d, i) {
                continue;
            }
            let f = &d.facilities[i];
            if let Some(p) = tile_point(f.position, &tp) {
                let props = [
                    ("id", Prop::Str(f.id.clone())),
                    ("kind", Prop::Str(f.kind.clone())),
                    ("name", Prop::Str(f.name.clone())),
                    ("generated", generated(&f.attributes)),
                ];
                lb.add(Some(i as u64 + 1), &TileGeom::Points(vec![p]), &props);
            }
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        count_inside(d.facilities.len(), j, |f| j.facility(d, f))
    }
    fn generated(&self, d: &Dataset) -> bool {
        any_generated(d.facilities.iter().map(|u| &u.attributes))
    }
}

#[derive(Debug)]
pub struct Incidents;

impl TileSource for Incidents {
    fn name(&self) -> &'static str {
        "incidents"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("id", "String"), ("category", "String"), ("status", "String"), ("occurred_at", "Number"), ("generated", "Boolean")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        &[Dep::Layer(LayerKind::Incidents)]
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        for i in d.incident_index.query_rect(tile.buffered_bounds()) {
            if !input.scope.incident(d, i) {
                continue;
            }
            let n = &d.incidents[i];
            if let Some(p) = tile_point(n.position, &tp) {
                let props = [
                    ("id", Prop::Str(n.id.clone())),
                    ("category", Prop::Str(n.category.clone())),
                    ("status", Prop::Str(n.status.clone())),
                    ("occurred_at", Prop::Int(n.occurred_at)),
                    ("generated", generated(&n.attributes)),
                ];
                lb.add(Some(i as u64 + 1), &TileGeom::Points(vec![p]), &props);
            }
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        incidents_inside(d, j)
    }
    fn generated(&self, d: &Dataset) -> bool {
        any_generated(d.incidents.iter().map(|u| &u.attributes))
    }
}

/// The number of loaded incidents inside `j`.
pub(crate) fn incidents_inside(d: &Dataset, j: &Jurisdiction) -> usize {
    count_inside(d.incidents.len(), j, |n| j.incident(d, n))
}

/// The number of cameras inside `j` (the `cameras` and `camera_views` layers).
pub(crate) fn cameras_inside(d: &Dataset, j: &Jurisdiction) -> usize {
    count_inside(d.cameras.len(), j, |c| j.camera(d, c))
}

/// Whether any camera is generated (the `cameras`, `camera_views` and `camera_gaps` layers).
pub(crate) fn cameras_generated(d: &Dataset) -> bool {
    any_generated(d.cameras.iter().map(|c| &c.attributes))
}
