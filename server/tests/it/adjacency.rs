//! The neighbour graph on the real Qingdao street boundaries against libpysal
//! and shapely (fixture made by benches/oracles/adjacency_qingdao.py).

use crate::common;

use std::collections::BTreeSet;

use geo::MultiPolygon;
use serde_json::Value;
use wangge::import::{ImportOptions, Layer, read_path};
use wangge_engine::groups::adjacency::{AdjacencyOptions, Contact, adjacency};
use wangge_engine::model::LayerKind;

#[test]
fn qingdao_street_neighbours_match_libpysal_and_shapely() {
    // the districts' parent (the city) is not in the file: read without parents
    let mut opts = ImportOptions::new(LayerKind::Units);
    opts.fields.insert("parent_id".into(), "no_parent_field".into());
    let units = match read_path(&common::fixture("qingdao/admin.geojson"), &opts) {
        Ok(Layer::Units(u)) => u,
        other => panic!("admin.geojson: {other:?}"),
    };
    let streets: Vec<_> = units.iter().filter(|u| u.level.0 == "street").collect();
    assert_eq!(streets.len(), 135);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("qingdao/adjacency_expected.json")).expect("fixture")).expect("json");
    let geoms: Vec<&MultiPolygon<f64>> = streets.iter().map(|u| &u.geometry).collect();
    let a = adjacency(&geoms, &AdjacencyOptions { tolerance_m: 2.0, min_shared_m: 1.0 });
    let key = |i: usize, j: usize| {
        let (x, y) = (&streets[i].id.0, &streets[j].id.0);
        if x < y { format!("{x}|{y}") } else { format!("{y}|{x}") }
    };
    let ours: BTreeSet<String> = a.pairs.iter().map(|n| key(n.a, n.b)).collect();
    let set = |k: &str| -> BTreeSet<String> {
        expected[k]
            .as_array()
            .expect("array")
            .iter()
            .map(|v| {
                let s = v.as_str().expect("str");
                let (x, y) = s.split_once('|').expect("pair");
                if x < y { format!("{x}|{y}") } else { format!("{y}|{x}") }
            })
            .collect()
    };
    let fuzzy = set("fuzzy");
    assert_eq!(ours, fuzzy, "pairs differ from libpysal fuzzy_contiguity (2 m)");
    // every exact queen pair is a neighbour; every exact rook pair is an edge neighbour
    assert!(set("queen").is_subset(&ours));
    let rook: BTreeSet<String> = a.pairs.iter().filter(|n| n.contact == Contact::Rook).map(|n| key(n.a, n.b)).collect();
    assert!(set("rook").is_subset(&rook), "{:?}", set("rook").difference(&rook).collect::<Vec<_>>());
    // shared lengths: shapely counts the ends of the edges meeting a shared edge
    // (up to 2 m at each end, both directions averaged); ours does not
    let shapely: std::collections::BTreeMap<String, f64> = expected["shared_m"]
        .as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| {
            let (x, y) = k.split_once('|').expect("pair");
            (if x < y { format!("{x}|{y}") } else { format!("{y}|{x}") }, v.as_f64().expect("number"))
        })
        .collect();
    for n in &a.pairs {
        let k = key(n.a, n.b);
        let s = shapely[&k];
        assert!(n.shared_m <= s + 0.01 * s + 0.5, "{k}: ours {} shapely {s}", n.shared_m);
        assert!(n.shared_m >= 0.99 * s - 8.5, "{k}: ours {} shapely {s}", n.shared_m);
    }
}
