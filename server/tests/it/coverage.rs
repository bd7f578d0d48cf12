//! Camera coverage on real data: the 446 Helsinki OSM buildings (13
//! overlapping pairs, near-duplicates) and 221 real surveillance cameras
//! (no headings: domes, 40 m range, 4 m high), with generated units (a 3 × 3
//! grid), against an independent shapely/pyproj computation (fixture:
//! `python3 benches/oracles/coverage_helsinki.py server/tests/fixtures/coverage`).

use crate::common;

use serde_json::Value;
use wangge::import::{ImportOptions, Layer, read_path};
use wangge_engine::dataset::Dataset;
use wangge_engine::model::{LayerKind, UnitId};
use wangge_engine::units::integrity::IntegrityConfig;

fn layer(path: &str, kind: LayerKind, fields: &[(&str, &str)], defaults: &[(&str, Value)]) -> Layer {
    let mut o = ImportOptions::new(kind);
    for (a, b) in fields {
        o.fields.insert((*a).into(), (*b).into());
    }
    for (a, b) in defaults {
        o.defaults.insert((*a).into(), b.clone());
    }
    read_path(&common::fixture(path), &o).unwrap_or_else(|e| panic!("{path}: {e:?}"))
}

pub fn helsinki() -> Dataset {
    let mut d = Dataset::empty(IntegrityConfig::default());
    d.set(layer("coverage/units.geojson", LayerKind::Units, &[], &[])).expect("units");
    d.set(layer("helsinki/buildings.geojson", LayerKind::Buildings, &[("floors", "levels")], &[])).expect("buildings");
    let cams = layer(
        "helsinki/cameras.geojson",
        LayerKind::Cameras,
        &[],
        &[("kind", Value::from("dome")), ("range", Value::from(40)), ("height", Value::from(4))],
    );
    d.set(cams).expect("cameras");
    d.rebuild();
    d
}

#[test]
fn helsinki_coverage_matches_shapely() {
    let d = helsinki();
    assert_eq!((d.buildings.len(), d.cameras.len()), (446, 221));
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("coverage/expected.json")).expect("fixture")).expect("json");
    let cov = d.coverage();
    let close = |ours: f64, theirs: f64, what: &str, id: &str| {
        assert!((ours - theirs).abs() <= 0.01 * theirs.abs() + 1.0, "{id} {what}: ours {ours:.1} vs shapely {theirs:.1}");
    };
    // per building: seen facade lengths agree within 1 m
    let by_id = expected["facade_seen_by_building"].as_object().expect("by building");
    for (b, f) in d.buildings.iter().zip(&cov.facades) {
        let theirs = by_id[&b.id].as_f64().expect("number");
        assert!((f.seen_m - theirs).abs() <= 1.0, "building {} facade seen: ours {:.2} m vs shapely {theirs:.2} m", b.id, f.seen_m);
    }
    for (id, e) in expected["units"].as_object().expect("units") {
        let i = d.hierarchy.get(&UnitId(id.clone())).expect("unit");
        let u = &cov.units[i];
        let f = |k: &str| e[k].as_f64().expect("number");
        close(u.ground_m2, f("ground_m2"), "open ground m²", id);
        close(u.covered_m2, f("covered_m2"), "covered m²", id);
        close(u.facade_m, f("facade_m"), "facade m", id);
        close(u.facade_seen_m, f("facade_seen_m"), "facade seen m", id);
        assert_eq!(u.buildings, e["buildings"].as_u64().expect("n"), "{id} buildings");
        assert_eq!(u.cameras, e["cameras"].as_u64().expect("n"), "{id} cameras");
        assert_eq!(u.buildings_unseen, e["buildings_unseen"].as_u64().expect("n"), "{id} buildings unseen");
    }
    // gaps and covered ground add up to the open ground; gap cells exist where nothing sees
    let root = d.hierarchy.get(&UnitId("HEL".into())).expect("root");
    let gaps: f64 = cov.gap_polygons(&d, root, 0.0).iter().map(|g| g.1).sum();
    let r = &cov.units[root];
    assert!((gaps + r.covered_m2 - r.ground_m2).abs() < 1e-3 * r.ground_m2, "{gaps} + {} vs {}", r.covered_m2, r.ground_m2);
    let cells = cov.gap_cells(&d, root, h3o::Resolution::Eleven);
    assert!(!cells.is_empty());
    // every camera's view lies within its 40 m disk
    for (c, v) in d.cameras.iter().zip(&cov.views) {
        let m = cov.scene.proj.project(c.position.0);
        for p in &v.polygon.0 {
            for q in p.exterior().coords() {
                assert!((q.x - m.x).hypot(q.y - m.y) <= 40.0 + 1e-6, "camera {} view beyond its range", c.id);
            }
        }
    }
}
