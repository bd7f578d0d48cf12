//! The import error corpus: every malformed file is refused with a message
//! naming the layer, the feature (index and id), the field and the problem,
//! through the real `wangge import` binary, and the store is unchanged.

use std::process::Command;

use crate::common::fixture;
use wangge::store::Store;

/// (file, layer, substrings the message must contain)
const CASES: &[(&str, &str, &[&str])] = &[
    ("bad_json.geojson", "units", &["bad_json.geojson", "not valid JSON"]),
    ("not_feature_collection.geojson", "units", &["not a GeoJSON FeatureCollection"]),
    ("units_wrong_type.geojson", "units", &["layer units, feature 1 (id s1)", "field geometry", "wrong geometry type Point"]),
    ("units_self_intersection.geojson", "units", &["feature 1 (id s-bow)", "invalid polygon", "self-intersection"]),
    ("units_unclosed.geojson", "units", &["feature 1 (id s-open)", "not closed"]),
    ("units_short_ring.geojson", "units", &["feature 1 (id s-short)", "too short"]),
    ("units_coord_range.geojson", "units", &["feature 1 (id s-far)", "coordinate out of range"]),
    ("units_duplicate_id.geojson", "units", &["feature 2 (id s1)", "field id", "duplicate id, first used by feature 1"]),
    ("units_missing_parent.geojson", "units", &["feature 1 (id s1)", "field parent_id", "missing parent: no unit has id nowhere"]),
    ("units_cycle.geojson", "units", &["field parent_id", "cycle in parents"]),
    ("units_outside_parent.geojson", "units", &["feature 2 (id s-lost)", "outside every possible parent"]),
    ("units_missing_level.geojson", "units", &["feature 1 (id s1)", "field level", "missing level"]),
    ("units_hole_outside.geojson", "units", &["feature 1 (id s-hole)", "interior ring"]),
    ("units_missing_id.geojson", "units", &["feature 1", "field id", "missing id"]),
    ("units_many_errors.geojson", "units", &["60 problem(s)", "feature 1 (id s0)", "… and 10 more"]),
    (
        "buildings_households_text.geojson",
        "buildings",
        &["layer buildings, feature 0 (id b1)", "field households", "not a number: \"many\""],
    ),
    ("buildings_negative_households.geojson", "buildings", &["(id b1)", "field households", "whole number ≥ 0"]),
    ("buildings_missing_geometry.geojson", "buildings", &["(id b1)", "missing geometry"]),
    ("buildings_floors_fraction.geojson", "buildings", &["(id b1)", "field floors", "whole number"]),
    ("buildings.csv", "buildings", &["CSV is only for point layers"]),
    ("cameras_fov_zero.geojson", "cameras", &["layer cameras, feature 0 (id cam1)", "field fov", "(0, 360]"]),
    ("cameras_fov_400.geojson", "cameras", &["(id cam1)", "field fov", "got 400"]),
    ("cameras_range_zero.geojson", "cameras", &["(id cam1)", "field range", "range must be > 0 m"]),
    ("cameras_wrong_type.geojson", "cameras", &["(id cam1)", "wrong geometry type Polygon: expected Point"]),
    ("cameras_unknown_kind.geojson", "cameras", &["(id cam1)", "field kind", "unknown camera kind"]),
    ("facilities_missing_kind.geojson", "facilities", &["(id f1)", "field kind", "missing facility kind"]),
    (
        "incidents_bad_time.csv",
        "incidents",
        &["layer incidents, feature 1 (id I2)", "field occurred_at", "unparsable time \"yesterday at noon\""],
    ),
    ("incidents_no_coords.csv", "incidents", &["(id I1)", "no geometry and no lon/lat"]),
    ("incidents_lat_range.csv", "incidents", &["(id I1)", "coordinate out of range"]),
    ("incidents_ragged.csv", "incidents", &["incidents_ragged.csv", "CSV row"]),
    ("buildings_empty_multipolygon.geojson", "buildings", &["(id b-empty)", "field geometry", "empty MultiPolygon"]),
    ("incidents_bom_bad_category.csv", "incidents", &["layer incidents, feature 0 (id I1)", "field category", "missing category"]),
];

#[test]
fn every_malformed_file_is_refused_with_a_precise_message_and_nothing_changes() {
    assert!(CASES.len() >= 20);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("t.duckdb");
    let bin = env!("CARGO_BIN_EXE_wangge");
    // something stored first, which must survive every failed import
    let ok = Command::new(bin)
        .args(["import", "--db"])
        .arg(&db)
        .args(["--layer", "units"])
        .arg(fixture("integrity/units.geojson"))
        .output()
        .expect("run");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let before = Store::open(&db).expect("open").row_counts().expect("counts");
    for (file, layer, wants) in CASES {
        let out = Command::new(bin)
            .args(["import", "--db"])
            .arg(&db)
            .args(["--layer", layer])
            .arg(fixture(&format!("bad/{file}")))
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file} should fail: {err}");
        for w in *wants {
            assert!(err.contains(w), "{file}: message lacks {w:?}:\n{err}");
        }
        let after = Store::open(&db).expect("open").row_counts().expect("counts");
        assert_eq!(before, after, "{file} changed the store");
    }
}

#[test]
fn a_failure_inside_the_transaction_rolls_everything_back_and_versions_accumulate() {
    use wangge::import::{ImportOptions, read_path};
    use wangge::store::StoreError;
    use wangge_engine::model::LayerKind;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("t.duckdb")).expect("open");
    let layer = read_path(&fixture("integrity/units.geojson"), &ImportOptions::new(LayerKind::Units)).expect("valid");
    assert_eq!(store.write_layer(&layer, "a", "wgs84", |_| Ok(None)).expect("v1"), 1);
    let before = store.row_counts().expect("counts");
    let failed =
        store.write_layer(&layer, "b", "wgs84", |_| Err(StoreError::Corrupt("simulated failure after the rows were written".into())));
    assert!(failed.is_err());
    assert_eq!(store.row_counts().expect("counts"), before);
    assert_eq!(store.write_layer(&layer, "c", "wgs84", |_| Ok(None)).expect("v2"), 2);
    let versions = store.versions().expect("versions");
    assert_eq!(versions.iter().filter(|v| v.layer == "units").map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    // the old version is still readable
    let wangge::import::Layer::Units(v1) = store.read_version(LayerKind::Units, 1).expect("v1") else { panic!() };
    assert_eq!(v1.len(), 6);
}
