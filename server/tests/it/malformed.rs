//! The malformed-input corpus (`tests/fixtures/malformed/`, listed in its
//! `cases.json`): every file, of every layer, GeoJSON and CSV, is refused by
//! the import pipeline `wangge import` runs (read and validate, then write the
//! version with its integrity report in one transaction) into a store that
//! already holds data; the refusal names what the manifest says (the layer or
//! file, the feature, the field, the problem), and nothing stored changes:
//! every table's row count and every layer's current version are the same
//! before and after. `import_errors` runs the older corpus in `bad/` through
//! the binary itself.

use std::collections::BTreeMap;

use serde_json::Value;
use wangge::import::{ImportOptions, read_path};
use wangge::state::report_for_store;
use wangge::store::Store;
use wangge_engine::model::LayerKind;
use wangge_engine::units::integrity::IntegrityConfig;

use crate::common::fixture;

/// Import one file as `wangge import` does; the error's text on refusal.
fn import(store: &mut Store, path: &std::path::Path, kind: LayerKind) -> Result<i32, String> {
    let layer = read_path(path, &ImportOptions::new(kind)).map_err(|e| e.to_string())?;
    let with_report = matches!(kind, LayerKind::Units | LayerKind::Buildings);
    let cfg = IntegrityConfig::default();
    store
        .write_layer(&layer, &path.display().to_string(), "wgs84", |s| if with_report { report_for_store(s, &cfg) } else { Ok(None) })
        .map_err(|e| e.to_string())
}

fn snapshot(store: &Store) -> (BTreeMap<String, i64>, BTreeMap<LayerKind, i32>) {
    (store.row_counts().expect("counts"), store.current_versions().expect("versions"))
}

#[test]
fn every_malformed_file_is_refused_naming_layer_feature_and_problem_and_nothing_changes() {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("malformed/cases.json")).expect("cases.json")).expect("cases.json is JSON");
    let cases = manifest.as_array().expect("a list of cases");
    assert!(cases.len() >= 50, "{} cases", cases.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("t.duckdb")).expect("open");
    for (file, kind) in [("integrity/units.geojson", LayerKind::Units), ("integrity/buildings.geojson", LayerKind::Buildings)] {
        import(&mut store, &fixture(file), kind).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let before = snapshot(&store);
    let mut listed = std::collections::BTreeSet::new();
    let mut layers = std::collections::BTreeSet::new();
    for c in cases {
        let file = c["file"].as_str().expect("file");
        let layer = c["layer"].as_str().expect("layer");
        let kind = LayerKind::parse(layer).unwrap_or_else(|| panic!("{file}: unknown layer {layer}"));
        let wants: Vec<&str> = c["expect"].as_array().expect("expect").iter().map(|v| v.as_str().expect("a string")).collect();
        assert!(!wants.is_empty(), "{file}: the manifest expects nothing");
        let got = import(&mut store, &fixture(&format!("malformed/{file}")), kind);
        if std::env::var_os("MALFORMED_PRINT").is_some() {
            println!("{file}\t{layer}\t{got:?}");
            continue;
        }
        let err = match got {
            Ok(v) => panic!("{file} was imported as {layer} version {v}"),
            Err(e) => e,
        };
        for w in &wants {
            assert!(err.contains(w), "{file}: the message lacks {w:?}:\n{err}");
        }
        assert_eq!(snapshot(&store), before, "{file} changed the store");
        listed.insert(file.to_owned());
        layers.insert(layer.to_owned());
    }
    if std::env::var_os("MALFORMED_PRINT").is_some() {
        return;
    }
    // every file in the folder is a case, every layer has cases
    for entry in std::fs::read_dir(fixture("malformed")).expect("dir") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(name == "cases.json" || listed.contains(&name), "{name} is not in cases.json");
    }
    assert_eq!(layers.len(), LayerKind::ALL.len(), "layers covered: {layers:?}");
}

/// A unit naming a parent it does not even touch is refused with both ids and
/// the gap in metres; one sharing only an edge with its parent is accepted.
#[test]
fn a_unit_moved_away_from_its_parent_is_refused_and_one_touching_its_edge_imports() {
    use wangge::import::{ImportFailure, read_str};
    let street = r#"{"type":"Feature","properties":{"id":"P","level":"street"},"geometry":{"type":"Polygon","coordinates":[[[120.4,36.06],[120.41,36.06],[120.41,36.07],[120.4,36.07],[120.4,36.06]]]}}"#;
    let grid = |x0: f64| {
        let x1 = x0 + 0.005;
        format!(
            r#"{{"type":"Feature","properties":{{"id":"g","parent_id":"P","level":"grid"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},36.061],[{x1},36.061],[{x1},36.062],[{x0},36.062],[{x0},36.061]]]}}}}"#
        )
    };
    let file = |x0: f64| format!(r#"{{"type":"FeatureCollection","features":[{street},{}]}}"#, grid(x0));
    let opts = ImportOptions::new(LayerKind::Units);
    // sharing the street's east edge (x = 120.41)
    assert!(read_str(&file(120.41), false, "touching", &opts).is_ok());
    // 0.55° east of the edge: about 49.5 km at 36° N
    let Err(ImportFailure::Features { errors, .. }) = read_str(&file(120.96), false, "moved", &opts) else {
        panic!("the moved grid imports")
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!((e.index, e.id.as_deref(), e.field.as_deref()), (1, Some("g"), Some("parent_id")));
    let metres: f64 = e
        .problem
        .strip_prefix("unit wholly outside its parent P: ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", e.problem));
    let expected = 0.55 * 111_320.0 * 36.0615_f64.to_radians().cos();
    assert!((metres - expected).abs() < 0.01 * expected, "{metres} m, expected about {expected:.0} m");
}
