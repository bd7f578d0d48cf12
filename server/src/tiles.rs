//! Vector tiles of every layer from the in-memory dataset.

use geo::{BoundingRect, MultiPolygon};
use wangge_engine::dataset::Dataset;
use wangge_engine::units::integrity::GapKind;

use crate::mvt::{BUFFER, LayerBuilder, Prop, TileGeom, TileProj, tile_bounds, tile_lines, tile_point, tile_polygons};

/// Tile layers served under `/tiles/{layer}/…`.
pub const TILE_LAYERS: [&str; 11] =
    ["units", "buildings", "cameras", "facilities", "incidents", "roads", "problems", "camera_views", "camera_gaps", "heatmap", "hotspots"];

/// Fields of each tile layer (for TileJSON `vector_layers`).
pub fn layer_fields(layer: &str) -> &'static [(&'static str, &'static str)] {
    match layer {
        "units" => &[
            ("id", "String"),
            ("name", "String"),
            ("level", "String"),
            ("parent_id", "String"),
            ("depth", "Number"),
            ("households", "Number"),
            ("population", "Number"),
            ("buildings", "Number"),
            ("generated", "Boolean"),
        ],
        "buildings" => &[
            ("id", "String"),
            ("households", "Number"),
            ("floors", "Number"),
            ("height", "Number"),
            ("leaf", "String"),
            ("cut", "Boolean"),
            ("generated", "Boolean"),
        ],
        "cameras" => {
            &[("id", "String"), ("kind", "String"), ("heading", "Number"), ("fov", "Number"), ("range", "Number"), ("generated", "Boolean")]
        }
        "facilities" => &[("id", "String"), ("kind", "String"), ("name", "String"), ("generated", "Boolean")],
        "incidents" => {
            &[("id", "String"), ("category", "String"), ("status", "String"), ("occurred_at", "Number"), ("generated", "Boolean")]
        }
        "roads" => &[("id", "String"), ("name", "String"), ("highway", "String")],
        "problems" => {
            &[("kind", "String"), ("area_m2", "Number"), ("parent", "String"), ("a", "String"), ("b", "String"), ("width_m", "Number")]
        }
        "camera_views" => &[("id", "String"), ("kind", "String"), ("area_m2", "Number"), ("on_roof", "String"), ("generated", "Boolean")],
        "camera_gaps" => &[("area_m2", "Number"), ("unit", "String")],
        "heatmap" => &[("cell", "String"), ("count", "Number")],
        "hotspots" => &[("cell", "String"), ("count", "Number"), ("z", "Number"), ("q", "Number"), ("class", "String")],
        _ => &[],
    }
}

fn generated(a: &wangge_engine::model::Attributes) -> Prop {
    Prop::Bool(Dataset::is_generated(a))
}

fn sprop(a: &wangge_engine::model::Attributes, k: &str) -> Option<Prop> {
    a.get(k).and_then(|v| v.as_str()).map(|s| Prop::Str(s.to_owned()))
}

/// Encode one tile; `None` when it holds no feature.
pub fn render(d: &Dataset, layer: &str, level: Option<&str>, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
    let tp = TileProj::new(z, x, y);
    let bounds = tile_bounds(z, x, y, f64::from(BUFFER));
    let mut lb = LayerBuilder::new(layer);
    match layer {
        "units" => {
            let h = &d.hierarchy;
            let mut hits: Vec<usize> = d.unit_index.query_rect(bounds).collect();
            hits.sort_unstable_by_key(|&i| (h.depth[i], i));
            for i in hits {
                let u = &h.units[i];
                if level.is_some_and(|l| l != u.level.0) {
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
        "buildings" => {
            for i in d.building_index.query_rect(bounds) {
                let b = &d.buildings[i];
                let a = &d.building_assignment[i];
                let mut props =
                    vec![("id", Prop::Str(b.id.clone())), ("cut", Prop::Bool(a.is_cut())), ("generated", generated(&b.attributes))];
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
                lb.add(Some(i as u64 + 1), &TileGeom::Polygons(tile_polygons(&b.footprint, &tp)), &props);
            }
        }
        "cameras" => {
            for i in d.camera_index.query_rect(bounds) {
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
        "facilities" => {
            for i in d.facility_index.query_rect(bounds) {
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
        "incidents" => {
            for i in d.incident_index.query_rect(bounds) {
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
        "roads" => {
            for i in d.road_index.query_rect(bounds) {
                let r = &d.roads[i];
                let mut props = vec![("id", Prop::Str(r.id.clone()))];
                for k in ["name", "highway"] {
                    if let Some(p) = sprop(&r.attributes, k) {
                        props.push((k, p));
                    }
                }
                lb.add(Some(i as u64 + 1), &TileGeom::Lines(tile_lines(&r.line, &tp)), &props);
            }
        }
        "problems" => {
            let hit = |m: &MultiPolygon<f64>| m.bounding_rect().is_some_and(|r| wangge_engine::geometry::index::rects_touch(r, bounds));
            let rep = &d.report;
            for g in &rep.gaps {
                let m = MultiPolygon(vec![g.geometry.clone()]);
                if hit(&m) {
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
            for o in &rep.overlaps {
                if hit(&o.geometry) {
                    let props = [
                        ("kind", Prop::Str("overlap".into())),
                        ("area_m2", Prop::Num(o.area_m2)),
                        ("a", Prop::Str(o.a.clone())),
                        ("b", Prop::Str(o.b.clone())),
                    ];
                    lb.add(None, &TileGeom::Polygons(tile_polygons(&o.geometry, &tp)), &props);
                }
            }
            for o in &rep.outside_parent {
                if hit(&o.geometry) {
                    let props = [
                        ("kind", Prop::Str("outside_parent".into())),
                        ("area_m2", Prop::Num(o.area_m2)),
                        ("a", Prop::Str(o.unit.clone())),
                        ("parent", Prop::Str(o.parent.clone())),
                    ];
                    lb.add(None, &TileGeom::Polygons(tile_polygons(&o.geometry, &tp)), &props);
                }
            }
            for i in d.building_index.query_rect(bounds) {
                let a = &d.building_assignment[i];
                if a.leaf.is_some() && !a.is_cut() {
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
        "camera_views" => {
            let cov = d.coverage();
            for i in cov.views_ll_index.query_rect(bounds) {
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
        "camera_gaps" => {
            let cov = d.coverage();
            for i in cov.gaps_ll_index.query_rect(bounds) {
                let (g, a, owner, _) = &cov.gaps_ll[i];
                let props = [("area_m2", Prop::Num(*a)), ("unit", Prop::Str(d.hierarchy.units[*owner].id.0.clone()))];
                lb.add(None, &TileGeom::Polygons(tile_polygons(g, &tp)), &props);
            }
        }
        _ => return None,
    }
    if lb.is_empty() { None } else { Some(lb.encode()) }
}

/// One H3 cell of a heatmap or hot-spot layer, with its properties.
pub type HeatCell = (h3o::CellIndex, Vec<(&'static str, Prop)>);

/// An H3 cell's boundary as a lon/lat polygon.
pub fn hexagon(c: h3o::CellIndex) -> geo::Polygon<f64> {
    let mut ring: Vec<geo::Coord<f64>> = c.boundary().iter().map(|p| geo::Coord { x: p.lng(), y: p.lat() }).collect();
    if let Some(f) = ring.first().copied() {
        ring.push(f);
    }
    geo::Polygon::new(geo::LineString(ring), vec![])
}

/// Encode the cells of a heatmap or hot-spot layer that meet one tile; `None` when none does.
pub fn render_cells(layer: &str, cells: &[HeatCell], z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
    let tp = TileProj::new(z, x, y);
    let bounds = tile_bounds(z, x, y, f64::from(BUFFER));
    let mut lb = LayerBuilder::new(layer);
    for (c, props) in cells {
        let hex = MultiPolygon(vec![hexagon(*c)]);
        if hex.bounding_rect().is_some_and(|r| wangge_engine::geometry::index::rects_touch(r, bounds)) {
            lb.add(Some(u64::from(*c)), &TileGeom::Polygons(tile_polygons(&hex, &tp)), props);
        }
    }
    if lb.is_empty() { None } else { Some(lb.encode()) }
}
