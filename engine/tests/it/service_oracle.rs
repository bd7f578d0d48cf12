//! Walking distances against networkx (issue 16's oracle).
//!
//! The fixtures in engine/tests/fixtures/service/ were written by
//! `python3 benches/oracles/service_networkx.py engine/tests/fixtures/service`: an
//! independent reimplementation of the snapping, splitting and attachment rules and
//! networkx `multi_source_dijkstra` on the graph split at every attachment point, on the
//! real Helsinki network (server/tests/fixtures/helsinki, © OpenStreetMap contributors,
//! ODbL 1.0) and on three generated networks (dangling spurs, crossings without a shared
//! vertex, an island, near-miss ends, a zero-length line). Every building's distance must
//! agree within 1 cm, the nearest facility must be the same (or one attached at the very
//! same spot), islands must agree, and each catchment must hold exactly the buildings
//! within its threshold, their attachment points inside its polygon.

use geo::{Contains, Coord, LineString, MultiPolygon, Point, Polygon};
use serde_json::Value;
use wangge_engine::model::{Attributes, Building};
use wangge_engine::service::{DistanceOptions, NetworkOptions, WalkNetwork, building_point, catchments, distances};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn point(v: &Value) -> Point<f64> {
    Point::new(v[0].as_f64().expect("lon"), v[1].as_f64().expect("lat"))
}

fn line(v: &Value) -> LineString<f64> {
    LineString(v.as_array().expect("line").iter().map(|c| point(c).0).collect())
}

fn lines(doc: &Value) -> Vec<LineString<f64>> {
    if let Some(file) = doc["roads"].as_str() {
        let text = std::fs::read_to_string(root().join(file)).expect("roads");
        let fc: Value = serde_json::from_str(&text).expect("geojson");
        fc["features"]
            .as_array()
            .expect("features")
            .iter()
            .filter(|f| f["geometry"]["type"] == "LineString")
            .map(|f| line(&f["geometry"]["coordinates"]))
            .collect()
    } else {
        doc["lines"].as_array().expect("lines").iter().map(line).collect()
    }
}

fn check(name: &str) {
    let path = root().join(format!("engine/tests/fixtures/service/{name}.json"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    let net = WalkNetwork::build(&lines(&doc), &NetworkOptions { snap_m: doc["snap_m"].as_f64().expect("snap") });
    let g = &doc["graph"];
    assert_eq!(net.node_count() as u64, g["nodes"].as_u64().expect("n"), "{name}: nodes");
    assert_eq!(net.edge_count() as u64, g["edges"].as_u64().expect("e"), "{name}: edges");
    assert_eq!(net.component_sizes().len() as u64, g["components"].as_u64().expect("c"), "{name}: components");
    let buildings: Vec<Point<f64>> = doc["buildings"].as_array().expect("b").iter().map(point).collect();
    let tie: Vec<bool> = doc["building_tie"].as_array().expect("tie").iter().map(|t| t.as_bool() == Some(true)).collect();
    let mut compared = 0;
    for kind in doc["kinds"].as_array().expect("kinds") {
        let k = kind["kind"].as_str().expect("kind");
        let facilities: Vec<Point<f64>> = kind["facilities"].as_array().expect("f").iter().map(point).collect();
        let d = distances(Some(&net), &buildings, &facilities, k, &DistanceOptions::default());
        for (i, want) in kind["expected"].as_array().expect("expected").iter().enumerate() {
            if tie[i] {
                continue;
            }
            let got = d.nearest[i];
            match (want.as_array(), got) {
                (None, None) => {}
                (Some(w), Some((f, m))) => {
                    let wm = w[1].as_f64().expect("m");
                    assert!((m - wm).abs() < 0.01, "{name} {k} building {i}: {m} m, networkx {wm} m");
                    let same: Vec<u64> = w[0].as_array().expect("same").iter().filter_map(Value::as_u64).collect();
                    assert!(same.contains(&u64::from(f)), "{name} {k} building {i}: facility {f}, networkx {same:?}");
                    compared += 1;
                }
                (w, g) => panic!("{name} {k} building {i}: got {g:?}, networkx {w:?}"),
            }
            assert_eq!(d.island[i], kind["island"][i].as_bool() == Some(true), "{name} {k} building {i}: island");
        }
        // catchments: membership is the distances; reached attachment points lie inside
        let thresholds = [300.0, 500.0, 1000.0];
        let field = d.field.as_ref().expect("network method");
        for c in catchments(&net, &facilities, &thresholds, 25.0, &d) {
            let want: Vec<u32> =
                (0..buildings.len() as u32).filter(|&i| d.nearest[i as usize].is_some_and(|(_, m)| m <= c.threshold_m)).collect();
            assert_eq!(c.buildings, want, "{name} {k} {}", c.threshold_m);
            for &b in &c.buildings {
                let a = field.buildings[b as usize].expect("attached");
                let p = Point(net.projection.unproject(net.snap_point(&a)));
                assert!(c.area.contains(&p), "{name} {k} {} m: building {b}'s attachment outside the catchment", c.threshold_m);
            }
        }
    }
    assert!(compared > 100, "{name}: only {compared} distances compared");
}

#[test]
fn helsinki_against_networkx() {
    check("helsinki");
}

#[test]
fn generated_networks_against_networkx() {
    for seed in 1..=3 {
        check(&format!("generated_{seed}"));
    }
}

/// The building points the oracle used: centroids (shapely) where inside the footprint.
#[test]
fn helsinki_building_points_are_the_centroids() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("engine/tests/fixtures/service/helsinki.json")).expect("fixture"))
            .expect("json");
    let fc: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("server/tests/fixtures/helsinki/buildings.geojson")).expect("b"))
            .expect("json");
    let mut n = 0;
    for (i, f) in fc["features"].as_array().expect("features").iter().enumerate() {
        let rings: Vec<LineString<f64>> = f["geometry"]["coordinates"].as_array().expect("rings").iter().map(line).collect();
        let mut rings = rings.into_iter();
        let poly = Polygon::new(rings.next().expect("exterior"), rings.collect());
        let b = Building {
            id: i.to_string(),
            footprint: MultiPolygon(vec![poly.clone()]),
            households: None,
            population: None,
            floors: None,
            height: None,
            attributes: Attributes::default(),
        };
        let p = building_point(&b).expect("a point");
        assert!(poly.contains(&p) || poly.exterior().0.contains(&Coord::from(p)), "building {i}");
        if doc["centroid"][i].as_bool() == Some(true) {
            let want = point(&doc["buildings"][i]);
            assert!((p.x() - want.x()).abs() < 2e-9 && (p.y() - want.y()).abs() < 2e-9, "building {i}: {p:?} vs {want:?}");
            n += 1;
        }
    }
    assert!(n > 300);
}
