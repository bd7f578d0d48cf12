//! Vector tiles decoded with mvt-reader and checked against the source features.

use crate::common;

use std::collections::{BTreeSet, HashMap};

use geo::{BoundingRect, Geometry};
use mvt_reader::Reader;
use mvt_reader::feature::Value;
use wangge::mvt::{TileProj, tile_bounds};
use wangge::tiles::render;

fn ring_area2(r: &geo::LineString<f32>) -> f64 {
    r.0.windows(2).map(|w| f64::from(w[0].x) * f64::from(w[1].y) - f64::from(w[1].x) * f64::from(w[0].y)).sum()
}

fn polygons(g: &Geometry<f32>) -> Vec<geo::Polygon<f32>> {
    match g {
        Geometry::Polygon(p) => vec![p.clone()],
        Geometry::MultiPolygon(m) => m.0.clone(),
        other => panic!("not a polygon: {other:?}"),
    }
}

fn tiles_over(d: &wangge_engine::dataset::Dataset, z: u8) -> Vec<(u32, u32)> {
    let (xs, ys) = wangge::mvt::tiles_covering(d.bounds().expect("bounds"), z);
    xs.flat_map(|x| ys.clone().map(move |y| (x, y))).collect()
}

#[test]
fn unit_tiles_decode_with_clockwise_exteriors_and_the_right_features() {
    let d = common::demo_dataset();
    let mut checked = 0;
    for z in [12u8, 14] {
        for (x, y) in tiles_over(&d, z) {
            let Some(bytes) = render(&d, "units", None, z, x, y) else { continue };
            let reader = Reader::new(bytes).expect("decodes");
            let meta = reader.get_layer_metadata().expect("meta");
            assert_eq!(meta.len(), 1);
            assert_eq!((meta[0].name.as_str(), meta[0].extent, meta[0].version), ("units", 4096, 2));
            let feats = reader.get_features(0).expect("features");
            let mut ids = BTreeSet::new();
            for f in &feats {
                let p = f.properties.as_ref().expect("props");
                let Some(Value::String(id)) = p.get("id") else { panic!("id") };
                assert!(matches!(p.get("level"), Some(Value::String(_))));
                assert!(matches!(p.get("name"), Some(Value::String(_))));
                ids.insert(id.clone());
                for poly in polygons(&f.geometry) {
                    assert!(ring_area2(poly.exterior()) > 0.0, "exterior ring must be clockwise on screen (positive in y-down)");
                    for h in poly.interiors() {
                        assert!(ring_area2(h) < 0.0);
                    }
                    for c in poly.exterior().coords() {
                        assert!(c.x >= -64.0 && c.x <= 4160.0 && c.y >= -64.0 && c.y <= 4160.0, "clipped to the buffer");
                    }
                }
            }
            // every unit with a vertex well inside the tile is in it; nothing far away is
            let inner = tile_bounds(z, x, y, -8.0);
            let outer = tile_bounds(z, x, y, 64.0);
            for u in &d.hierarchy.units {
                let inside = u
                    .geometry
                    .0
                    .iter()
                    .flat_map(|p| p.exterior().coords())
                    .any(|c| c.x > inner.min().x && c.x < inner.max().x && c.y > inner.min().y && c.y < inner.max().y);
                if inside {
                    assert!(ids.contains(&u.id.0), "{} missing from {z}/{x}/{y}", u.id);
                }
                let bb = u.geometry.bounding_rect().expect("bb");
                if ids.contains(&u.id.0) {
                    assert!(wangge_engine::geometry::index::rects_touch(bb, outer), "{} is not near {z}/{x}/{y}", u.id);
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "{checked}");
}

#[test]
fn children_cover_their_parent_in_every_tile_without_gaps() {
    let d = common::demo_dataset();
    let h = &d.hierarchy;
    for (z, min_area) in [(13u8, 20_000.0), (15, 20_000.0)] {
        for (x, y) in tiles_over(&d, z) {
            let Some(bytes) = render(&d, "units", None, z, x, y) else { continue };
            let reader = Reader::new(bytes).expect("decodes");
            let mut area: HashMap<String, f64> = HashMap::new();
            for f in reader.get_features(0).expect("features") {
                let Some(Value::String(id)) = f.properties.as_ref().and_then(|p| p.get("id")).cloned() else { continue };
                let a: f64 = polygons(&f.geometry)
                    .iter()
                    .map(|p| ring_area2(p.exterior()) + p.interiors().iter().map(ring_area2).sum::<f64>())
                    .sum::<f64>()
                    / 2.0;
                *area.entry(id).or_default() += a;
            }
            for (i, u) in h.units.iter().enumerate() {
                if u.level.0 != "community" {
                    continue;
                }
                let Some(&pa) = area.get(&u.id.0) else { continue };
                if pa < min_area {
                    continue;
                }
                let kids: f64 = h.children[i].iter().map(|&c| area.get(&h.units[c].id.0).copied().unwrap_or(0.0)).sum();
                assert!((kids - pa).abs() / pa < 0.01, "{z}/{x}/{y}: grids of {} cover {kids} of {pa} tile units²", u.id);
            }
        }
    }
}

#[test]
fn point_and_building_tiles_match_their_sources() {
    let d = common::demo_dataset();
    let z = 15u8;
    let mut seen = 0;
    for (x, y) in tiles_over(&d, z).into_iter().take(400) {
        let tp2 = TileProj::new(z, x, y);
        let Some(bytes) = render(&d, "cameras", None, z, x, y) else { continue };
        let reader = Reader::new(bytes).expect("decodes");
        for f in reader.get_features(0).expect("features") {
            let Geometry::MultiPoint(mp) = &f.geometry else { panic!("point") };
            assert_eq!(mp.0.len(), 1, "one point per feature");
            {
                let p = &mp.0[0];
                let id = f.id.expect("id") as usize - 1;
                let (ex, ey) = tp2.project(d.cameras[id].position.0);
                assert!((f64::from(p.x()) - ex).abs() <= 0.5 && (f64::from(p.y()) - ey).abs() <= 0.5);
                let Some(Value::String(kind)) = f.properties.as_ref().and_then(|p| p.get("kind")).cloned() else { panic!("kind") };
                assert_eq!(kind, d.cameras[id].kind.as_str());
                seen += 1;
            }
        }
    }
    assert!(seen > 50, "{seen}");
    // buildings: households attribute equals the source
    let mut nb = 0;
    for (x, y) in tiles_over(&d, 15).into_iter().take(400) {
        let Some(bytes) = render(&d, "buildings", None, 15, x, y) else { continue };
        let reader = Reader::new(bytes).expect("decodes");
        for f in reader.get_features(0).expect("features") {
            let id = f.id.expect("id") as usize - 1;
            let p = f.properties.as_ref().expect("props");
            assert_eq!(p.get("households"), Some(&Value::SInt(i64::from(d.buildings[id].households.expect("hh")))));
            for poly in polygons(&f.geometry) {
                assert!(ring_area2(poly.exterior()) > 0.0);
            }
            nb += 1;
        }
    }
    assert!(nb > 50, "{nb}");
}
