//! The `problems` tile layer: the integrity report's gaps, slivers, overlaps,
//! units outside their parent, and unassigned or cut buildings.

use geo::MultiPolygon;
use wangge_engine::units::integrity::GapKind;

use crate::tiles::clip::tile_polygons;
use crate::tiles::mvt::{LayerBuilder, Prop, TileGeom};
use crate::tiles::source::{Dep, Inputs, TileAddr, TileSource, UNITS_AND_BUILDINGS, meets};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

#[derive(Debug)]
pub struct Problems;

impl TileSource for Problems {
    fn name(&self) -> &'static str {
        "problems"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("kind", "String"), ("area_m2", "Number"), ("parent", "String"), ("a", "String"), ("b", "String"), ("width_m", "Number")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        UNITS_AND_BUILDINGS
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        let rep = &d.report;
        // the jurisdiction's rules are those of `Jurisdiction::report`
        let j = input.scope;
        let id = |s: &str| j.unit_id(d, s);
        for g in rep.gaps.iter().filter(|g| id(&g.parent)) {
            let m = MultiPolygon(vec![g.geometry.clone()]);
            if meets(&m, tile) {
                let kind = if g.kind == GapKind::Gap { "gap" } else { "sliver" };
                let props = [
                    ("kind", Prop::Str(kind.into())),
                    ("area_m2", Prop::Num(g.area_m2)),
                    ("width_m", Prop::Num(g.width_m)),
                    ("parent", Prop::Str(g.parent.clone())),
                ];
                lb.add(None, &TileGeom::Polygons(tile_polygons(&m, &tp)), &props);
            }
        }
        for o in rep.overlaps.iter().filter(|o| id(&o.a) && id(&o.b)) {
            if meets(&o.geometry, tile) {
                let props = [
                    ("kind", Prop::Str("overlap".into())),
                    ("area_m2", Prop::Num(o.area_m2)),
                    ("a", Prop::Str(o.a.clone())),
                    ("b", Prop::Str(o.b.clone())),
                ];
                lb.add(None, &TileGeom::Polygons(tile_polygons(&o.geometry, &tp)), &props);
            }
        }
        for o in rep.outside_parent.iter().filter(|o| id(&o.unit)) {
            if meets(&o.geometry, tile) {
                let props = [
                    ("kind", Prop::Str("outside_parent".into())),
                    ("area_m2", Prop::Num(o.area_m2)),
                    ("a", Prop::Str(o.unit.clone())),
                    ("parent", Prop::Str(o.parent.clone())),
                ];
                lb.add(None, &TileGeom::Polygons(tile_polygons(&o.geometry, &tp)), &props);
            }
        }
        for i in d.building_index.query_rect(tile.buffered_bounds()) {
            let a = &d.building_assignment[i];
            if (a.leaf.is_some() && !a.is_cut()) || !j.building(d, i) {
                continue;
            }
            let b = &d.buildings[i];
            let kind = if a.leaf.is_none() { "unassigned_building" } else { "cut_building" };
            let mut props = vec![("kind", Prop::Str(kind.into())), ("a", Prop::Str(b.id.clone()))];
            if let Some(l) = a.leaf {
                props.push(("parent", Prop::Str(d.hierarchy.units[l].id.0.clone())));
            }
            lb.add(None, &TileGeom::Polygons(tile_polygons(&b.footprint, &tp)), &props);
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        let count = |r: &wangge_engine::units::integrity::Report| r.gaps.len() + r.overlaps.len() + r.outside_parent.len();
        if j.is_everything() { count(&d.report) } else { count(&j.report(d)) }
    }
}
