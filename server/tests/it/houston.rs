//! Heatmap counts and Gi* hot spots on the 86,309 real Houston incidents
//! (fixture and oracle: server/tests/fixtures/houston/MANIFEST.md), counted
//! directly and through the columnar heat index.

use crate::common;

use std::collections::BTreeMap;
use std::io::Read;

use serde_json::Value;
use wangge::import::{ImportOptions, Layer, read_str};
use wangge_engine::incidents::heatindex::HeatIndex;
use wangge_engine::incidents::hotspot::{counts_by_cell, gi_star};
use wangge_engine::model::{Incident, LayerKind};

fn houston() -> Vec<Incident> {
    let mut text = String::new();
    let f = std::fs::File::open(common::fixture("houston/incidents.csv.gz")).expect("fixture");
    flate2::read::GzDecoder::new(f).read_to_string(&mut text).expect("gunzip");
    let mut o = ImportOptions::new(LayerKind::Incidents);
    o.defaults.insert("status".into(), Value::from("resolved"));
    match read_str(&text, true, "incidents.csv", &o) {
        Ok(Layer::Incidents(v)) => v,
        Ok(_) => panic!("not incidents"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn heatmap_counts_and_gi_star_match_h3_py_and_esda() {
    let inc = houston();
    assert_eq!(inc.len(), 86_309, "every row imported, outliers and duplicates included");
    let e: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("houston/expected.json")).expect("fixture")).expect("json");
    // the columnar heat index over the same incidents, grouped by category
    let mut cats: Vec<String> = inc.iter().map(|i| i.category.clone()).collect();
    cats.sort();
    cats.dedup();
    let group: Vec<u16> = inc.iter().map(|i| cats.binary_search(&i.category).expect("category") as u16).collect();
    let all: Vec<(f64, f64)> = inc.iter().map(|i| (i.position.x(), i.position.y())).collect();
    let times: Vec<i64> = inc.iter().map(|i| i.occurred_at).collect();
    let ix = HeatIndex::build(&all, &times, &group, cats);
    assert_eq!(ix.len(), inc.len());
    for (name, w) in e["windows"].as_object().expect("windows") {
        let (from, to, cat) = (w["from"].as_i64(), w["to"].as_i64(), w["category"].as_str());
        let pts: Vec<(f64, f64)> = inc
            .iter()
            .filter(|i| {
                from.is_none_or(|f| i.occurred_at >= f) && to.is_none_or(|t| i.occurred_at < t) && cat.is_none_or(|c| i.category == c)
            })
            .map(|i| (i.position.x(), i.position.y()))
            .collect();
        assert_eq!(pts.len() as u64, w["incidents"].as_u64().expect("n"), "{name}");
        for res in [5u8, 8, 11] {
            let ours = counts_by_cell(pts.iter().copied(), h3o::Resolution::try_from(res).expect("res"));
            let theirs = e["counts"][format!("{name}/{res}")].as_object().expect("counts");
            assert_eq!(ours.len(), theirs.len(), "{name} res {res}: cells");
            for (c, n) in &ours {
                assert_eq!(theirs.get(&c.to_string()).and_then(Value::as_u64), Some(*n), "{name} res {res} cell {c}");
            }
            let indexed = ix.counts_of(res, from.unwrap_or(i64::MIN), to.unwrap_or(i64::MAX), cat);
            assert_eq!(indexed.len(), theirs.len(), "{name} res {res}: cells of the index");
            for (c, n) in &indexed {
                assert_eq!(theirs.get(&c.to_string()).and_then(Value::as_u64), Some(u64::from(*n)), "{name} res {res} cell {c} (index)");
            }
        }
    }
    // Gi* at res 8, k = 1, in the greater-Houston box
    let pts = inc.iter().map(|i| (i.position.x(), i.position.y())).filter(|&(x, y)| x > -95.9 && x < -95.0 && y > 29.5 && y < 30.2);
    let counts: BTreeMap<h3o::CellIndex, u64> = counts_by_cell(pts, h3o::Resolution::Eight);
    let hs = gi_star(&counts, 1);
    let g = &e["gi"];
    let cells = g["cells"].as_array().expect("cells");
    assert_eq!(hs.len(), cells.len());
    let by: BTreeMap<String, usize> = cells.iter().enumerate().map(|(i, c)| (c.as_str().expect("s").to_owned(), i)).collect();
    let num = |k: &str, i: usize| g[k][i].as_f64().expect("number");
    for h in &hs {
        let i = by[&h.cell.to_string()];
        assert_eq!(h.count, g["counts"][i].as_u64().expect("n"));
        assert!((h.z - num("z", i)).abs() < 1e-6, "cell {}: z {} vs esda {}", h.cell, h.z, num("z", i));
        assert!((h.p - num("p", i)).abs() < 1e-9 + 1e-6 * num("p", i), "p");
        assert!((h.q - num("q", i)).abs() < 1e-9 + 1e-6 * num("q", i), "q");
    }
    let hot = hs.iter().filter(|h| h.z > 0.0 && h.q < 0.05).count();
    assert!(hot > 10, "{hot} hot cells at FDR 5 %");
}
