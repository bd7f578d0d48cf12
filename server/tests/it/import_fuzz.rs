//! Bad input never panics: thousands of mutated files (byte flips, cuts,
//! swapped values) are either imported or refused with errors.

use crate::common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use wangge::import::{ImportOptions, read_str};
use wangge_engine::model::LayerKind;

fn mutate_value(v: &mut Value, rng: &mut ChaCha8Rng) {
    let replacements =
        [json!(null), json!("x"), json!(-1), json!(1e308), json!([]), json!({}), json!([1]), json!([[0, 0]]), json!(true), json!(400.5)];
    match v {
        Value::Array(a) if !a.is_empty() => {
            let i = rng.random_range(0..a.len());
            if rng.random_bool(0.7) {
                mutate_value(&mut a[i], rng);
            } else if rng.random_bool(0.5) {
                a.remove(i);
            } else {
                a[i] = replacements[rng.random_range(0..replacements.len())].clone();
            }
        }
        Value::Object(m) if !m.is_empty() => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = &keys[rng.random_range(0..keys.len())];
            if rng.random_bool(0.7) {
                if let Some(x) = m.get_mut(k) {
                    mutate_value(x, rng);
                }
            } else {
                m.insert(k.clone(), replacements[rng.random_range(0..replacements.len())].clone());
            }
        }
        other => *other = replacements[rng.random_range(0..replacements.len())].clone(),
    }
}

#[test]
fn mutated_files_are_refused_or_imported_never_a_panic() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let sources = [
        (LayerKind::Units, std::fs::read_to_string(common::fixture("integrity/units.geojson")).expect("units")),
        (LayerKind::Buildings, std::fs::read_to_string(common::fixture("integrity/buildings.geojson")).expect("buildings")),
        (LayerKind::Cameras, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"c","heading":90,"fov":90,"range":50,"height":4},"geometry":{"type":"Point","coordinates":[120.4,36.06]}}]}"#.to_owned()),
        (LayerKind::Roads, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"r"},"geometry":{"type":"LineString","coordinates":[[120.4,36.06],[120.41,36.07]]}}]}"#.to_owned()),
    ];
    let (mut ok, mut refused) = (0, 0);
    for (layer, text) in &sources {
        let opts = ImportOptions::new(*layer);
        let base: Value = serde_json::from_str(text).expect("json");
        for _ in 0..400 {
            let mut v = base.clone();
            for _ in 0..rng.random_range(1..4) {
                mutate_value(&mut v, &mut rng);
            }
            match read_str(&v.to_string(), false, "mutated", &opts) {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    refused += 1;
                }
            }
        }
        // raw byte damage: truncation and flipped bytes
        for _ in 0..200 {
            let mut b = text.as_bytes().to_vec();
            let cut = rng.random_range(0..b.len());
            if rng.random_bool(0.5) {
                b.truncate(cut);
            } else {
                b[cut] = rng.random();
            }
            let s = String::from_utf8_lossy(&b).into_owned();
            if read_str(&s, false, "damaged", &opts).is_ok() {
                ok += 1;
            } else {
                refused += 1;
            }
        }
    }
    assert!(refused > 1_000, "refused {refused}, imported {ok}");
    // the CSV reader too
    let opts = ImportOptions::new(LayerKind::Incidents);
    for _ in 0..500 {
        let fields: Vec<String> = (0..5)
            .map(|_| match rng.random_range(0..6) {
                0 => String::new(),
                1 => "2026-02-30 25:61".into(),
                2 => format!("{}", rng.random_range(-500.0..500.0)),
                3 => "\"quoted, comma\"".into(),
                4 => "9999999999999999999999".into(),
                _ => "环境卫生".into(),
            })
            .collect();
        let text = format!("id,occurred_at,category,lon,lat\n{}\n", fields.join(","));
        let _ = read_str(&text, true, "random.csv", &opts);
    }
}
