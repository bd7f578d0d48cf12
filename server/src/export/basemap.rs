//! A plain offline basemap for the demo district, built from what the project
//! has and written as one PMTiles archive of four vector layers:
//!
//! - `water`: the box around the data (its bounds grown by a quarter of their
//!   larger side) minus the land — the sea around 市南区;
//! - `land`: real OSM boundaries (`data/qingdao/land.geojson`: the 街道 of
//!   Qingdao near the district, ODbL) clipped to the box, with their names;
//! - `roads`: the store's `roads` layer (the demo's are generated and say so:
//!   `generated: true`);
//! - `places`: label points (an interior point of the polygon) of the store's
//!   units down to depth 2 and of the land areas the store does not hold.
//!
//! Method: one polygon union of the land and one difference from the box
//! (`geo::BooleanOps`, i_overlay), then every tile of the zooms asked that
//! meets the box is cut as the served tiles are (`tiles::clip`), gzipped and
//! written by [`super::pmtiles::write_archive`]. Deterministic: the same store
//! and land file give the same bytes. O(tiles × vertices met per tile).

use std::path::Path;

use geo::{BooleanOps, BoundingRect, InteriorPoint, Intersects, MultiPolygon, Point, Rect, coord};
use serde_json::{Value, json};
use wangge_engine::dataset::Dataset;

use super::pmtiles::{Header, write_archive};
use super::tiles::{covered, data_bounds};
use crate::tiles::clip::{tile_lines, tile_point, tile_polygons};
use crate::tiles::grid::MAX_ZOOM;
use crate::tiles::mvt::{LayerBuilder, Prop, TileGeom, concat};
use crate::tiles::source::{TileAddr, generated};

/// The basemap's vector layers, in drawing order.
pub const LAYERS: [&str; 4] = ["water", "land", "roads", "places"];

/// Units of the store labelled on the basemap: depth 0 (the district) to this depth.
const LABEL_DEPTH: usize = 2;

/// One land area: an OSM boundary polygon and its name.
#[derive(Debug, Clone)]
pub struct Area {
    pub id: String,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
}

/// One label point.
#[derive(Debug, Clone)]
pub struct Place {
    pub name: String,
    /// `unit` (from the store) or `area` (a land area the store does not hold).
    pub kind: &'static str,
    /// The unit's depth in the hierarchy; 1 for land areas (they are 街道, as the store's depth 1).
    pub depth: i64,
    pub generated: bool,
    pub at: Point<f64>,
}

/// The basemap's geometry, ready to tile.
#[derive(Debug, Clone)]
pub struct Basemap {
    pub bbox: Rect<f64>,
    pub land: Vec<Area>,
    pub water: MultiPolygon<f64>,
    pub places: Vec<Place>,
}

/// The land areas of a GeoJSON FeatureCollection of Polygon/MultiPolygon features with `id` and `name` properties.
pub fn read_land(path: &Path) -> Result<Vec<Area>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let feats = v["features"].as_array().ok_or_else(|| format!("{}: not a GeoJSON FeatureCollection", path.display()))?;
    let mut out = Vec::with_capacity(feats.len());
    for (i, f) in feats.iter().enumerate() {
        let geometry = crate::import::areal_geometry(&f["geometry"]).map_err(|e| format!("{} feature {i}: {e}", path.display()))?;
        let p = &f["properties"];
        let text = |k: &str| p[k].as_str().map(str::to_owned).or_else(|| p[k].as_i64().map(|n| n.to_string()));
        out.push(Area { id: text("id").unwrap_or_else(|| format!("land-{i}")), name: text("name").unwrap_or_default(), geometry });
    }
    if out.is_empty() {
        return Err(format!("{}: no land polygons", path.display()));
    }
    Ok(out)
}

/// `r` grown by `f` of its larger side on every side.
fn grown(r: Rect<f64>, f: f64) -> Rect<f64> {
    let m = r.width().max(r.height()) * f;
    Rect::new(coord! {x: r.min().x - m, y: r.min().y - m}, coord! {x: r.max().x + m, y: r.max().y + m})
}

/// The box minus the land.
pub fn water(bbox: Rect<f64>, land: &[Area]) -> MultiPolygon<f64> {
    let all = geo::unary_union(land.iter().flat_map(|a| a.geometry.0.iter()));
    MultiPolygon::new(vec![bbox.to_polygon()]).difference(&all)
}

/// The basemap of the store's data on `land`.
pub fn build(d: &Dataset, land: Vec<Area>) -> Result<Basemap, String> {
    let bounds = data_bounds(d).ok_or_else(|| "the store holds no layer to draw a basemap around".to_owned())?;
    let bbox = grown(bounds, 0.25);
    let frame = MultiPolygon::new(vec![bbox.to_polygon()]);
    let land: Vec<Area> = land
        .into_iter()
        .filter(|a| a.geometry.intersects(&bbox))
        .map(|a| Area { geometry: a.geometry.intersection(&frame), ..a })
        .filter(|a| !a.geometry.0.is_empty())
        .collect();
    if land.is_empty() {
        return Err(format!(
            "no land polygon meets the data's box {:.4},{:.4},{:.4},{:.4}: is the land file for this place?",
            bbox.min().x,
            bbox.min().y,
            bbox.max().x,
            bbox.max().y
        ));
    }
    let water = water(bbox, &land);
    let h = &d.hierarchy;
    let mut places: Vec<Place> = (0..h.len())
        .filter(|&i| h.depth[i] <= LABEL_DEPTH)
        .filter_map(|i| {
            let u = &h.units[i];
            Some(Place {
                name: u.name.clone(),
                kind: "unit",
                depth: h.depth[i] as i64,
                generated: Dataset::is_generated(&u.attributes),
                at: u.geometry.interior_point()?,
            })
        })
        .collect();
    let held = |id: &str| h.units.iter().any(|u| u.id.0 == id);
    places.extend(
        land.iter().filter(|a| !held(&a.id) && !a.name.is_empty()).filter_map(|a| {
            Some(Place { name: a.name.clone(), kind: "area", depth: 1, generated: false, at: a.geometry.interior_point()? })
        }),
    );
    Ok(Basemap { bbox, land, water, places })
}

/// The basemap tile at `t` (raw MVT), `None` when empty.
pub fn tile(b: &Basemap, d: &Dataset, t: TileAddr) -> Option<Vec<u8>> {
    let tp = t.proj();
    let meets = |r: Option<Rect<f64>>| r.is_some_and(|r| wangge_engine::geometry::index::rects_touch(r, t.buffered_bounds()));
    let mut water = LayerBuilder::new("water");
    if meets(b.water.bounding_rect()) {
        water.add(None, &TileGeom::Polygons(tile_polygons(&b.water, &tp)), &[]);
    }
    let mut land = LayerBuilder::new("land");
    for (i, a) in b.land.iter().enumerate().filter(|(_, a)| meets(a.geometry.bounding_rect())) {
        let props = [("id", Prop::Str(a.id.clone())), ("name", Prop::Str(a.name.clone()))];
        land.add(Some(i as u64 + 1), &TileGeom::Polygons(tile_polygons(&a.geometry, &tp)), &props);
    }
    let mut roads = LayerBuilder::new("roads");
    for i in d.road_index.query_rect(t.buffered_bounds()) {
        let r = &d.roads[i];
        let mut props = vec![("generated", generated(&r.attributes))];
        for k in ["name", "highway"] {
            if let Some(s) = r.attributes.get(k).and_then(|v| v.as_str()) {
                props.push((k, Prop::Str(s.to_owned())));
            }
        }
        roads.add(Some(i as u64 + 1), &TileGeom::Lines(tile_lines(&r.line, &tp)), &props);
    }
    let mut places = LayerBuilder::new("places");
    for p in &b.places {
        if let Some(xy) = tile_point(p.at, &tp) {
            let props = [
                ("name", Prop::Str(p.name.clone())),
                ("kind", Prop::Str(p.kind.to_owned())),
                ("depth", Prop::Int(p.depth)),
                ("generated", Prop::Bool(p.generated)),
            ];
            places.add(None, &TileGeom::Points(vec![xy]), &props);
        }
    }
    let parts: Vec<Vec<u8>> = [water, land, roads, places].into_iter().filter(|l| !l.is_empty()).map(LayerBuilder::encode).collect();
    if parts.is_empty() { None } else { Some(concat(parts.iter().map(Vec::as_slice))) }
}

/// The basemap as a PMTiles archive from `minzoom` to `maxzoom`, and the number of tiles in it.
pub fn archive(b: &Basemap, d: &Dataset, minzoom: u8, maxzoom: u8) -> Result<(Vec<u8>, usize), String> {
    if minzoom > maxzoom || maxzoom > MAX_ZOOM {
        return Err(format!("zooms {minzoom}–{maxzoom}: minzoom must be at most maxzoom, and maxzoom at most {MAX_ZOOM}"));
    }
    let mut tiles = Vec::new();
    for z in minzoom..=maxzoom {
        let addrs = covered(b.bbox, z);
        let rendered = wangge_engine::geometry::par::map(&addrs, 4, |t| tile(b, d, *t).map(|raw| (*t, raw)));
        for (t, raw) in rendered.into_iter().flatten() {
            tiles.push((t.z, t.x, t.y, crate::tiles::cache::gzip_level(&raw, 6)));
        }
    }
    let n = tiles.len();
    let r = b.bbox;
    let header = Header {
        min_zoom: minzoom,
        max_zoom: maxzoom,
        bounds: [r.min().x, r.min().y, r.max().x, r.max().y],
        center_zoom: minzoom.max(maxzoom.min(13)),
    };
    let bytes = write_archive(tiles, &metadata(d, minzoom, maxzoom), &header).map_err(|e| format!("writing the basemap: {e}"))?;
    Ok((bytes, n))
}

fn metadata(d: &Dataset, minzoom: u8, maxzoom: u8) -> Value {
    let layer = |id: &str, fields: Value| json!({"id": id, "fields": fields, "minzoom": minzoom, "maxzoom": maxzoom});
    json!({
        "name": "basemap",
        "format": "pbf",
        "type": "baselayer",
        "version": d.data_version(),
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "generated": d.roads.iter().any(|r| Dataset::is_generated(&r.attributes)),
        "description": "wangge offline basemap: land from OSM boundaries, water = the box around the data minus land, \
                        roads from the roads layer (generated in the demo), labels from unit names",
        "attribution": "© OpenStreetMap contributors, ODbL 1.0 (land, boundaries); roads generated (生成数据)",
        "vector_layers": [
            layer("water", json!({})),
            layer("land", json!({"id": "String", "name": "String"})),
            layer("roads", json!({"name": "String", "highway": "String", "generated": "Boolean"})),
            layer("places", json!({"name": "String", "kind": "String", "depth": "Number", "generated": "Boolean"})),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area as _, Contains, polygon};

    fn square(x0: f64, y0: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![(x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s)]])
    }

    #[test]
    fn water_is_the_box_minus_the_land() {
        let bbox = Rect::new(coord! {x: 0.0, y: 0.0}, coord! {x: 4.0, y: 4.0});
        // two touching land squares and one apart
        let land = vec![
            Area { id: "a".into(), name: "A".into(), geometry: square(0.0, 0.0, 1.0) },
            Area { id: "b".into(), name: "B".into(), geometry: square(1.0, 0.0, 1.0) },
            Area { id: "c".into(), name: "C".into(), geometry: square(2.5, 2.5, 1.0) },
        ];
        let w = water(bbox, &land);
        assert!((w.unsigned_area() - (16.0 - 3.0)).abs() < 1e-9, "{}", w.unsigned_area());
        // sample points: water exactly where no land is
        for i in 0..40 {
            for j in 0..40 {
                let p = Point::new(0.05 + f64::from(i) * 0.1, 0.05 + f64::from(j) * 0.1);
                let on_land = land.iter().any(|a| a.geometry.contains(&p));
                assert_eq!(w.contains(&p), !on_land, "{p:?}");
            }
        }
        // no land: all water
        assert!((water(bbox, &[]).unsigned_area() - 16.0).abs() < 1e-9);
    }

    #[test]
    fn the_box_grows_by_a_quarter_of_the_larger_side() {
        let r = grown(Rect::new(coord! {x: 10.0, y: 20.0}, coord! {x: 14.0, y: 22.0}), 0.25);
        assert_eq!((r.min().x, r.min().y, r.max().x, r.max().y), (9.0, 19.0, 15.0, 23.0));
    }
}
