//! The `units` tile layer: every unit of the hierarchy (optionally one level), parents first.

use crate::tiles::clip::tile_polygons;
use crate::tiles::mvt::{LayerBuilder, Prop, TileGeom};
use crate::tiles::source::{Dep, Inputs, TileAddr, TileSource, UNITS_AND_BUILDINGS, any_generated, count_inside, generated};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

#[derive(Debug)]
pub struct Units;

impl TileSource for Units {
    fn name(&self) -> &'static str {
        "units"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("id", "String"),
            ("name", "String"),
            ("level", "String"),
            ("parent_id", "String"),
            ("depth", "Number"),
            ("households", "Number"),
            ("population", "Number"),
            ("buildings", "Number"),
            ("generated", "Boolean"),
        ]
    }
    fn depends_on(&self) -> &'static [Dep] {
        UNITS_AND_BUILDINGS
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        let h = &d.hierarchy;
        let mut hits: Vec<usize> = d.unit_index.query_rect(tile.buffered_bounds()).collect();
        hits.sort_unstable_by_key(|&i| (h.depth[i], i));
        for i in hits {
            let u = &h.units[i];
            if input.level.is_some_and(|l| l != u.level.0) || !input.scope.unit(i) {
                continue;
            }
            let load = &d.report.loads[i];
            let mut props = vec![
                ("id", Prop::Str(u.id.0.clone())),
                ("name", Prop::Str(u.name.clone())),
                ("level", Prop::Str(u.level.0.clone())),
                ("depth", Prop::Int(h.depth[i] as i64)),
                ("households", Prop::Int(load.households as i64)),
                ("population", Prop::Int(load.population as i64)),
                ("buildings", Prop::Int(load.buildings as i64)),
                ("generated", generated(&u.attributes)),
            ];
            if let Some(p) = &u.parent {
                props.push(("parent_id", Prop::Str(p.0.clone())));
            }
            lb.add(Some(i as u64 + 1), &TileGeom::Polygons(tile_polygons(&u.geometry, &tp)), &props);
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        count_inside(d.hierarchy.len(), j, |i| j.unit(i))
    }
    fn generated(&self, d: &Dataset) -> bool {
        any_generated(d.hierarchy.units.iter().map(|u| &u.attributes))
    }
}
