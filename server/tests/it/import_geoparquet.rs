//! GeoParquet in: every layer of a generated store exported with `wangge export --format parquet`
//! and imported into a fresh store gives the same features and geometries (and the import's
//! integrity report is the one computed from the store); files written by GeoPandas
//! (`server/tests/fixtures/geoparquet/make_fixtures.py`): units in a prefixed Gauss–Krüger zone
//! with a PROJJSON CRS against pyproj, points with no `crs` (OGC:CRS84); and the messages for a
//! bad feature, a plain Parquet file and a projected file whose CRS is unknown.

use std::path::Path;

use serde_json::Value;
use wangge::import::{ImportFailure, ImportOptions, Layer, import_paths};
use wangge::store::Store;
use wangge::store::geoparquet::{Cell, ColumnType, GeoTable, geoparquet_bytes};
use wangge_engine::model::LayerKind;
use wangge_engine::units::integrity::IntegrityConfig;

use crate::cli::{ok, p, wangge};
use crate::common::fixture;

const LAYERS: [&str; 6] = ["units", "buildings", "cameras", "facilities", "incidents", "roads"];

/// Ids, WKB and own fields of every feature of a layer, in order (attributes apart).
fn features(layer: &Layer) -> Vec<(String, Vec<u8>, Value)> {
    let rows = wangge::export::geoparquet::LayerRows::of(layer);
    rows.properties
        .iter()
        .zip(&rows.geometries)
        .map(|(props, g)| {
            let id = props.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
            (id, wangge::wkb::encode(g), Value::Object(props.clone()))
        })
        .collect()
}

#[test]
fn exported_layers_import_into_a_fresh_store_unchanged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = crate::export::demo_store(dir.path());
    let fresh = dir.path().join("fresh.duckdb");
    for layer in LAYERS {
        let f = dir.path().join(format!("{layer}.parquet"));
        ok(&wangge(&["export", "--db", p(&db), "--layer", layer, "--format", "parquet", "--out", p(&f)]));
        ok(&wangge(&["import", "--db", p(&fresh), "--layer", layer, p(&f)]));
    }
    let (a, b) = (Store::open(&db).expect("open"), Store::open(&fresh).expect("open"));
    for layer in LAYERS {
        let kind = LayerKind::parse(layer).expect("kind");
        let (was, now) = (features(&a.read_layer(kind).expect("read")), features(&b.read_layer(kind).expect("read")));
        assert!(!was.is_empty(), "{layer}: the demo has features");
        assert_eq!(was.len(), now.len(), "{layer}: feature count");
        for (w, n) in was.iter().zip(&now) {
            assert_eq!(w.0, n.0, "{layer}: ids in order");
            assert_eq!(w.1, n.1, "{layer} {}: the same geometry, bit for bit", w.0);
            // every property the export wrote (own fields and attributes) back, nulls apart
            let strip = |v: &Value| -> Value {
                Value::Object(
                    v.as_object().into_iter().flatten().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), x.clone())).collect(),
                )
            };
            assert_eq!(strip(&w.2), strip(&n.2), "{layer} {}: properties", w.0);
        }
    }
    // the buildings import stored the report the store's state gives
    let stored = b.latest_report().expect("report").expect("a report");
    let (_, _, json) = wangge::state::report_for_store(&b, &IntegrityConfig::default()).expect("computed").expect("some");
    assert_eq!(stored, serde_json::from_str::<Value>(&json).expect("json"));
}

fn import(path: &Path, kind: LayerKind) -> Result<wangge::import::Imported, ImportFailure> {
    import_paths(&[path], &ImportOptions::new(kind))
}

/// Metres between two lon/lat points a few metres apart at most.
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let kx = 111_320.0 * a.1.to_radians().cos();
    (((a.0 - b.0) * kx).powi(2) + ((a.1 - b.1) * 110_574.0).powi(2)).sqrt()
}

#[test]
fn geopandas_units_in_a_gauss_kruger_zone_match_pyproj() {
    let imported = import(&fixture("geoparquet/shinan_4528.parquet"), LayerKind::Units).expect("imports");
    assert_eq!(imported.crs.code(), "EPSG:4528", "the CRS from the PROJJSON id");
    let exp: Value = serde_json::from_str(&std::fs::read_to_string(fixture("import/expected.json")).expect("read")).expect("json");
    let Layer::Units(units) = &imported.layer else { panic!("units") };
    assert_eq!(units.len(), 12);
    let mut worst: f64 = 0.0;
    for u in units {
        let e = &exp["units"][&u.id.0];
        assert_eq!(u.name, e["name"].as_str().expect("name"), "{}", u.id.0);
        let rings: Vec<&geo::LineString<f64>> =
            u.geometry.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).collect();
        let want = e["coords_4528"].as_array().expect("rings");
        assert_eq!(rings.len(), want.len(), "{}: rings", u.id.0);
        for (r, w) in rings.iter().zip(want) {
            let w = w.as_array().expect("ring");
            assert_eq!(r.0.len(), w.len(), "{}: vertices", u.id.0);
            for (c, q) in r.0.iter().zip(w) {
                worst = worst.max(metres((c.x, c.y), (q[0].as_f64().expect("x"), q[1].as_f64().expect("y"))));
            }
        }
    }
    assert!(worst < 0.01, "largest distance to pyproj {worst} m");
}

#[test]
fn geopandas_points_without_a_crs_are_lon_lat() {
    let imported = import(&fixture("geoparquet/facilities_crs84.parquet"), LayerKind::Facilities).expect("imports");
    assert_eq!(imported.crs.code(), "wgs84");
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("geoparquet/facilities_crs84.json")).expect("read")).expect("json");
    let Layer::Facilities(fs) = &imported.layer else { panic!("facilities") };
    let want = exp["features"].as_array().expect("features");
    assert_eq!(fs.len(), want.len());
    for (f, w) in fs.iter().zip(want) {
        let props = w["properties"].as_object().expect("props");
        assert_eq!(f.id, props["id"].as_str().expect("id"));
        assert_eq!((f.kind.as_str(), f.name.as_str()), (props["kind"].as_str().expect("k"), props["name"].as_str().expect("n")));
        let c = &w["geometry"]["coordinates"];
        assert_eq!((f.position.x(), f.position.y()), (c[0].as_f64().expect("x"), c[1].as_f64().expect("y")));
        let rest: serde_json::Map<String, Value> =
            props.iter().filter(|(k, _)| !["id", "kind", "name"].contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
        let got: serde_json::Map<String, Value> = f.attributes.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert_eq!(got, rest, "{}: attributes (integer, float, boolean, timestamp as epoch seconds)", f.id);
    }
}

/// A GeoParquet file of buildings written by wangge's writer, with `geo` metadata `geo`.
fn buildings_file(dir: &Path, name: &str, rows: &[(&str, f64, [f64; 2])], metadata: Option<&str>) -> std::path::PathBuf {
    let square = |[x, y]: [f64; 2], d: f64| {
        geo::Geometry::Polygon(geo::Polygon::new(vec![(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)].into(), vec![]))
    };
    let t = GeoTable {
        columns: vec![("id".into(), ColumnType::Text), ("height".into(), ColumnType::Double)],
        rows: rows.iter().map(|(id, h, _)| vec![Cell::Text((*id).into()), Cell::Double(*h)]).collect(),
        wkb: rows.iter().map(|(_, _, at)| wangge::wkb::encode(&square(*at, if at[0] > 1000.0 { 20.0 } else { 0.0002 }))).collect(),
        geometry_types: vec!["Polygon".into()],
        bbox: None,
    };
    let mut bytes = geoparquet_bytes(&t).expect("written");
    let f = dir.join(name);
    if let Some(m) = metadata {
        // the same rows under other `geo` metadata, rewritten by DuckDB
        let tmp = dir.join("plain.parquet");
        std::fs::write(&tmp, &bytes).expect("write");
        let conn = duckdb::Connection::open_in_memory().expect("duckdb");
        conn.execute_batch("SET enable_geoparquet_conversion = false").expect("setting");
        let kv = if m.is_empty() { String::new() } else { format!(", KV_METADATA {{geo: '{m}'}}") };
        conn.execute_batch(&format!("COPY (SELECT * FROM read_parquet('{}')) TO '{}' (FORMAT parquet{kv})", p(&tmp), p(&f))).expect("copy");
        bytes = std::fs::read(&f).expect("read");
    }
    std::fs::write(&f, bytes).expect("write");
    f
}

#[test]
fn bad_features_and_files_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rows = [("b1", 10.0, [120.38, 36.06]), ("b2", -3.0, [120.381, 36.06]), ("b1", 12.0, [120.382, 36.06])];
    let f = buildings_file(dir.path(), "bad.parquet", &rows, None);
    let Err(ImportFailure::Features { errors, total }) = import(&f, LayerKind::Buildings) else { panic!("refused") };
    assert_eq!(total, 2, "{errors:?}");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(shown[0], "layer buildings, feature 1 (id b2), field height: height must be ≥ 0 m, got -3");
    assert!(shown[1].starts_with("layer buildings, feature 2 (id b1), field id: duplicate id"), "{}", shown[1]);

    let plain = buildings_file(dir.path(), "plain-copy.parquet", &rows[..1], Some(""));
    let Err(ImportFailure::File { problem, .. }) = import(&plain, LayerKind::Buildings) else { panic!("refused") };
    assert!(problem.contains("without GeoParquet \"geo\" metadata"), "{problem}");

    let unknown = r#"{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{"encoding":"WKB","crs":null}}}"#;
    let projected = buildings_file(dir.path(), "projected.parquet", &[("p1", 5.0, [40_500_000.0, 3_990_000.0])], Some(unknown));
    let Err(ImportFailure::File { problem, .. }) = import(&projected, LayerKind::Buildings) else { panic!("refused") };
    assert!(problem.contains("look projected") && problem.contains("--crs"), "{problem}");

    let geoarrow = r#"{"version":"1.1.0","primary_column":"geometry","columns":{"geometry":{"encoding":"polygon"}}}"#;
    let other = buildings_file(dir.path(), "geoarrow.parquet", &rows[..1], Some(geoarrow));
    let Err(ImportFailure::File { problem, .. }) = import(&other, LayerKind::Buildings) else { panic!("refused") };
    assert!(problem.contains("WKB"), "{problem}");
}
