//! The blossom matching against networkx's `max_weight_matching` on 120
//! random graphs (fixture: `python3 benches/oracles/matching_networkx.py
//! engine/tests/fixtures/matching_networkx.json`).

use wangge_engine::groups::matching::{Edge, matching_weight, max_weight_matching};

#[test]
fn optimal_weight_equals_networkx() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/matching_networkx.json")).expect("fixture");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let cases = doc["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 120);
    for (i, c) in cases.iter().enumerate() {
        let n = c["n"].as_u64().expect("n") as usize;
        let edges: Vec<Edge> = c["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| Edge {
                a: e[0].as_u64().expect("a") as usize,
                b: e[1].as_u64().expect("b") as usize,
                weight: e[2].as_i64().expect("w"),
            })
            .collect();
        for (mc, wkey, pkey) in [(false, "weight", "pairs"), (true, "weight_max_cardinality", "pairs_max_cardinality")] {
            let mate = max_weight_matching(n, &edges, mc);
            for v in 0..n {
                if let Some(w) = mate[v] {
                    assert_eq!(mate[w], Some(v), "case {i}: symmetric");
                }
            }
            assert_eq!(matching_weight(&edges, &mate), c[wkey].as_i64().expect("w"), "case {i} ({}) max_cardinality {mc}", c["kind"]);
            if mc {
                assert_eq!(mate.iter().filter(|m| m.is_some()).count() / 2, c[pkey].as_u64().expect("p") as usize, "case {i}");
            }
        }
    }
}
