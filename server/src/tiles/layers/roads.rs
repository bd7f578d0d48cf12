//! The `roads` tile layer: road centre lines, clipped to the buffered tile.

use wangge_engine::model::LayerKind;

use crate::tiles::clip::tile_lines;
use crate::tiles::mvt::{LayerBuilder, Prop, TileGeom};
use crate::tiles::source::{Dep, Inputs, TileAddr, TileSource, any_generated, generated};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::jurisdiction::Jurisdiction;

#[derive(Debug)]
pub struct Roads;

impl TileSource for Roads {
    fn name(&self) -> &'static str {
        "roads"
    }
    fn fields(&self) -> &'static [(&'static str, &'static str)] {
        &[("id", "String"), ("name", "String"), ("highway", "String"), ("generated", "Boolean")]
    }
    fn depends_on(&self) -> &'static [Dep] {
        &[Dep::Layer(LayerKind::Roads)]
    }
    fn render(&self, input: &Inputs<'_>, tile: TileAddr, lb: &mut LayerBuilder) {
        let d = input.d;
        let tp = tile.proj();
        for i in d.road_index.query_rect(tile.buffered_bounds()) {
            if !input.scope.road(d, i) {
                continue;
            }
            let r = &d.roads[i];
            let mut props = vec![("id", Prop::Str(r.id.clone())), ("generated", generated(&r.attributes))];
            for k in ["name", "highway"] {
                if let Some(p) = r.attributes.get(k).and_then(|v| v.as_str()).map(|s| Prop::Str(s.to_owned())) {
                    props.push((k, p));
                }
            }
            lb.add(Some(i as u64 + 1), &TileGeom::Lines(tile_lines(&r.line, &tp)), &props);
        }
    }
    fn count(&self, d: &Dataset, j: &Jurisdiction, _live: usize) -> usize {
        if j.is_everything() { d.roads.len() } else { (0..d.roads.len()).filter(|&r| j.road(d, r)).count() }
    }
    fn generated(&self, d: &Dataset) -> bool {
        any_generated(d.roads.iter().map(|r| &r.attributes))
    }
}
