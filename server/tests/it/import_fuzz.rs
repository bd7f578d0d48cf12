//! Bad input never panics, and every refusal says where: thousands of mutated
//! files (a value swapped deep inside one feature, a feature dropped, the
//! collection broken, bytes cut or flipped) are either imported or refused
//! with errors that name the feature (index or id) and the field that was
//! changed; random CSV rows are checked against what the row holds.
//! Seeded (ChaCha8), so a failure replays.

use crate::common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use wangge::import::{FeatureError, ImportFailure, ImportOptions, Layer, read_str};
use wangge_engine::model::LayerKind;
use wangge_engine::time::parse_time;

fn replacement(rng: &mut ChaCha8Rng) -> Value {
    let r =
        [json!(null), json!("x"), json!(-1), json!(1e308), json!([]), json!({}), json!([1]), json!([[0, 0]]), json!(true), json!(400.5)];
    r[rng.random_range(0..r.len())].clone()
}

/// Change one value somewhere inside `v`: deeper with 70 %, else drop an array element or replace.
fn mutate_value(v: &mut Value, rng: &mut ChaCha8Rng) {
    match v {
        Value::Array(a) if !a.is_empty() => {
            let i = rng.random_range(0..a.len());
            if rng.random_bool(0.7) {
                mutate_value(&mut a[i], rng);
            } else if rng.random_bool(0.5) {
                a.remove(i);
            } else {
                a[i] = replacement(rng);
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
                m.insert(k.clone(), replacement(rng));
            }
        }
        other => *other = replacement(rng),
    }
}

/// What one mutation changed.
#[derive(Debug, Clone)]
enum Site {
    /// One field of one feature: a property, or "geometry".
    Field { index: usize, id: Option<String>, field: String },
    /// A feature as a whole (replaced, or its properties replaced).
    Feature { index: usize, id: Option<String> },
    /// A feature dropped from the collection.
    Removed { id: Option<String> },
    /// The collection's own members ("type", "features").
    Collection,
}

fn mutate(v: &mut Value, rng: &mut ChaCha8Rng) -> Site {
    let n = v["features"].as_array().map_or(0, Vec::len);
    if n == 0 || rng.random_bool(0.05) {
        let key = if rng.random_bool(0.5) { "type" } else { "features" };
        v[key] = replacement(rng);
        return Site::Collection;
    }
    let index = rng.random_range(0..n);
    let f = &mut v["features"][index];
    let id = f["properties"]["id"].as_str().map(str::to_owned);
    match rng.random_range(0..10) {
        0 => {
            if let Some(a) = v["features"].as_array_mut() {
                a.remove(index);
            }
            Site::Removed { id }
        }
        1 => {
            if rng.random_bool(0.5) {
                *f = replacement(rng);
            } else {
                f["properties"] = replacement(rng);
            }
            Site::Feature { index, id }
        }
        2..=4 => {
            mutate_value(&mut f["geometry"], rng);
            Site::Field { index, id, field: "geometry".into() }
        }
        _ => {
            let keys: Vec<String> = f["properties"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            let field = keys[rng.random_range(0..keys.len())].clone();
            mutate_value(&mut f["properties"][&field], rng);
            Site::Field { index, id, field }
        }
    }
}

/// A unit's id, parent and level tie it to other units: a change there may
/// surface on the units that refer to it (their parent_id names the lost id,
/// or a parent they no longer touch) or, through geometry, on the unit itself.
fn relational_consequence(layer: LayerKind, e: &FeatureError, index: usize, id: &Option<String>) -> bool {
    let about_it = e.index == index
        || id.as_ref().is_some_and(|id| {
            e.id.as_ref() == Some(id)
                || e.problem.ends_with(&format!("no unit has id {id}"))
                // a parent's geometry moved away from a child that names it
                || e.problem.starts_with(&format!("unit wholly outside its parent {id}:"))
        });
    layer == LayerKind::Units && ["id", "parent_id", "level", "geometry"].contains(&e.field.as_deref().unwrap_or("")) && about_it
}

/// Every listed problem names its feature and a field; the text says both.
fn each_names_feature_and_field(errors: &[FeatureError], text: &str) {
    assert!(!errors.is_empty(), "{text}");
    for e in errors {
        let field = e.field.as_deref().unwrap_or_else(|| panic!("a problem without a field: {e}"));
        let line = e.to_string();
        assert!(line.contains(&format!("feature {}", e.index)) && line.contains(&format!("field {field}")), "{line}");
        assert!(text.contains(&line), "{text}");
    }
}

/// The refusal of a mutated file names what the mutation changed.
fn check_refusal(layer: LayerKind, site: &Site, err: &ImportFailure) {
    let text = err.to_string();
    let errors = match (err, site) {
        (ImportFailure::File { path, .. }, Site::Collection) => {
            assert!(path == "mutated" && text.starts_with("mutated: "), "{text}");
            return;
        }
        (ImportFailure::File { .. }, _) => panic!("{site:?} refused without naming a feature: {text}"),
        (ImportFailure::Features { errors, .. }, _) => errors,
    };
    each_names_feature_and_field(errors, &text);
    let found = match site {
        Site::Field { index, id, field } => errors
            .iter()
            .any(|e| (e.index == *index && e.field.as_deref() == Some(field.as_str())) || relational_consequence(layer, e, *index, id)),
        Site::Feature { index, id } => errors.iter().any(|e| e.index == *index || relational_consequence(layer, e, *index, id)),
        Site::Removed { id } => {
            errors.iter().any(|e| e.field.as_deref() == Some("parent_id") && id.as_ref().is_some_and(|id| e.problem.contains(id.as_str())))
        }
        Site::Collection => errors.iter().any(|e| e.field.is_some()),
    };
    assert!(found, "{site:?} of {layer} refused without naming it:\n{text}");
}

#[test]
fn mutated_files_are_refused_naming_feature_and_field_or_imported() {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let sources = [
        (LayerKind::Units, std::fs::read_to_string(common::fixture("integrity/units.geojson")).expect("units")),
        (LayerKind::Buildings, std::fs::read_to_string(common::fixture("integrity/buildings.geojson")).expect("buildings")),
        (LayerKind::Cameras, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"c","heading":90,"fov":90,"range":50,"height":4},"geometry":{"type":"Point","coordinates":[120.4,36.06]}}]}"#.to_owned()),
        (LayerKind::Roads, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"r"},"geometry":{"type":"LineString","coordinates":[[120.4,36.06],[120.41,36.07]]}}]}"#.to_owned()),
    ];
    let (mut ok, mut refused, mut refused_field) = (0, 0, 0);
    for (layer, text) in &sources {
        let opts = ImportOptions::new(*layer);
        let base: Value = serde_json::from_str(text).expect("json");
        assert!(read_str(text, false, "base", &opts).is_ok(), "the unmutated {layer} file imports");
        for _ in 0..500 {
            let mut v = base.clone();
            let site = mutate(&mut v, &mut rng);
            match read_str(&v.to_string(), false, "mutated", &opts) {
                Ok(_) => ok += 1,
                Err(e) => {
                    check_refusal(*layer, &site, &e);
                    refused += 1;
                    refused_field += usize::from(matches!(site, Site::Field { .. }));
                }
            }
        }
        // raw byte damage: a syntax error says where (line and column), anything parsed names feature and field
        for _ in 0..200 {
            let mut b = text.as_bytes().to_vec();
            let cut = rng.random_range(0..b.len());
            if rng.random_bool(0.5) {
                b.truncate(cut);
            } else {
                b[cut] = rng.random();
            }
            let s = String::from_utf8_lossy(&b).into_owned();
            match read_str(&s, false, "damaged", &opts) {
                Ok(_) => ok += 1,
                Err(ImportFailure::File { path, problem }) => {
                    assert_eq!(path, "damaged");
                    let located = problem.starts_with("not valid JSON") && problem.contains(" line ") && problem.contains(" column ");
                    assert!(located || problem.contains("FeatureCollection"), "{problem}");
                    refused += 1;
                }
                Err(e @ ImportFailure::Features { .. }) => {
                    let ImportFailure::Features { errors, .. } = &e else { unreachable!() };
                    each_names_feature_and_field(errors, &e.to_string());
                    refused += 1;
                }
            }
        }
    }
    assert!(refused > 1_000 && refused_field > 500 && ok > 100, "refused {refused} ({refused_field} field changes), imported {ok}");
}

/// What a CSV cell holds, as the importer reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Absent,
    NotANumber,
    Value(f64),
}

fn num(s: &str) -> Num {
    match s.trim() {
        "" => Num::Absent,
        t => t.parse::<f64>().ok().filter(|x| x.is_finite()).map_or(Num::NotANumber, Num::Value),
    }
}

/// The fields of an incident row `id,occurred_at,category,lon,lat` that are wrong (empty: the row imports).
fn bad_fields(cells: &[String]) -> Vec<&'static str> {
    let mut bad = Vec::new();
    if cells[0].trim().is_empty() {
        bad.push("id");
    }
    if cells[1].trim().is_empty() || parse_time(cells[1].trim(), 8 * 3600).is_none() {
        bad.push("occurred_at");
    }
    if cells[2].trim().is_empty() {
        bad.push("category");
    }
    match (num(&cells[3]), num(&cells[4])) {
        (Num::NotANumber, _) => bad.push("lon"),
        (_, Num::NotANumber) => bad.push("lat"),
        (Num::Absent, Num::Absent) => bad.push("geometry"),
        (Num::Value(_), Num::Absent) => bad.push("lat"),
        (Num::Absent, Num::Value(_)) => bad.push("lon"),
        (Num::Value(x), Num::Value(_)) if !(-180.0..=180.0).contains(&x) => bad.push("lon"),
        (Num::Value(_), Num::Value(y)) if !(-90.0..=90.0).contains(&y) => bad.push("lat"),
        _ => {}
    }
    bad
}

#[test]
fn random_csv_rows_are_refused_naming_the_bad_field_or_imported_as_written() {
    let mut rng = ChaCha8Rng::seed_from_u64(2027);
    let opts = ImportOptions::new(LayerKind::Incidents);
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..1_000 {
        let mut cells: Vec<String> = (0..5)
            .map(|_| match rng.random_range(0..7) {
                0 => String::new(),
                1 => "2026-02-30 25:61".into(),
                2 => format!("{}", rng.random_range(-500.0..500.0)),
                3 => "quoted, comma".into(),
                4 => "9999999999999999999999".into(),
                5 => "2026-03-01 08:30:00".into(),
                _ => "环境卫生".into(),
            })
            .collect();
        // keep about half the positions valid so accepted rows are common
        if rng.random_bool(0.5) {
            cells[3] = format!("{}", rng.random_range(120.0..121.0));
            cells[4] = format!("{}", rng.random_range(36.0..37.0));
        }
        let quoted: Vec<String> = cells.iter().map(|c| if c.contains(',') { format!("\"{c}\"") } else { c.clone() }).collect();
        let text = format!("id,occurred_at,category,lon,lat\n{}\n", quoted.join(","));
        let bad = bad_fields(&cells);
        match read_str(&text, true, "random.csv", &opts) {
            Ok(Layer::Incidents(v)) => {
                assert!(bad.is_empty(), "{text} was imported though {bad:?} are wrong");
                let i = &v[0];
                assert_eq!((i.id.as_str(), i.category.as_str()), (cells[0].trim(), cells[2].trim()), "{text}");
                assert_eq!(Some(i.occurred_at), parse_time(cells[1].trim(), 8 * 3600), "{text}");
                let (Num::Value(x), Num::Value(y)) = (num(&cells[3]), num(&cells[4])) else { panic!("{text}") };
                assert_eq!((i.position.x(), i.position.y()), (x, y), "{text}");
                ok += 1;
            }
            Ok(other) => panic!("{other:?}"),
            Err(e @ ImportFailure::Features { .. }) => {
                let ImportFailure::Features { errors, .. } = &e else { unreachable!() };
                each_names_feature_and_field(errors, &e.to_string());
                assert!(!bad.is_empty(), "{text} refused though every field is fine: {e}");
                for er in errors {
                    assert_eq!(er.index, 0);
                    let field = er.field.as_deref().unwrap_or("");
                    assert!(bad.contains(&field), "{text}: {er} names {field}, the wrong fields are {bad:?}");
                }
                // every wrong field is named, except lat/lon/geometry which stop at the first position problem
                for b in &bad {
                    assert!(errors.iter().any(|er| er.field.as_deref() == Some(b)), "{text}: {b} not named in {e}");
                }
                refused += 1;
            }
            Err(e) => panic!("{text}: a well-formed row refused as a file: {e}"),
        }
    }
    assert!(ok > 50 && refused > 500, "imported {ok}, refused {refused}");
}
