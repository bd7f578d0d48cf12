//! The `buildings` tile layer: footprints with households, floors, height and the leaf unit they belong to
//! (`assigned`: by a unit's `assigned_buildings` rather than the footprint).

use crate::tiles::clip::tile_polygons;
use crate::tiles::mvt::{LayerBuilder, Prop, TileGeom};
use crate::tiles::source::{Dep, Inputs, TileAddr, TileSource, UNITS_AND_BUILDINGS, any_generated, count_inside, generated};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

#[derive(Debug)]
pub struct Buildings;

impl TileSource for Buildings {
    fn name(&self) -> &'static str {
        "buildings"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[
            ("id", "String"),
            ("households", "Number"),
            ("floors", "Number"),
            ("height", "Number"),
            ("leaf", "String"),
            ("assigned", "Boolean"),
            ("cut", "Boolean"),
            ("generated", "Boolean"),
        ]
    }
    fn depends_on(&self) -> &'static [Dep] {
        UNITS_AND_BUILDINGS
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        for i in d.building_index.query_rect(tile.buffered_bounds()) {
            if !input.scope.building(d, i) {
                continue;
            }
            let b = &d.buildings[i];
            let a = &d.building_assignment[i];
            let mut props = vec![("id", Prop::Str(b.id.clone())), ("cut", Prop::Bool(a.is_cut())), ("generated", generated(&b.attributes))];
            if let Some(v) = b.households {
                props.push(("households", Prop::Int(i64::from(v))));
            }
            if let Some(v) = b.floors {
                props.push(("floors", Prop::Int(i64::from(v))));
            }
            if let Some(v) = b.height_or(3.0) {
                props.push(("height", Prop::Num(v.0)));
            }
            if let Some(l) = a.leaf {
                props.push(("leaf", Prop::Str(d.hierarchy.units[l].id.0.clone())));
            }
            if a.explicit {
                props.push(("assigned", Prop::Bool(true)));
            }
            lb.add(Some(i as u64 + 1), &TileGeom::Polygons(tile_polygons(&b.footprint, &tp)), &props);
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        count_inside(d.buildings.len(), j, |b| j.building(d, b))
    }
    fn generated(&self, d: &Dataset) -> bool {
        any_generated(d.buildings.iter().map(|u| &u.attributes))
    }
}
