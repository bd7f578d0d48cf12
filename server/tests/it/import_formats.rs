//! Import round trips from files written by independent tools
//! (benches/oracles/make_import_fixtures.py: pyshp + pyproj, GeoPandas/pyogrio,
//! Python's GB18030 codec): a GBK Shapefile in a Gauss–Krüger zone, a
//! GeoPackage in a prefixed zone, a GB18030 CSV with office dates; and the
//! messages for a wrong encoding and a missing CRS.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wangge::import::{ImportFailure, ImportOptions, Imported, Layer, import_paths};
use wangge_engine::model::LayerKind;

use crate::common::fixture;

fn expected() -> Value {
    let text = std::fs::read_to_string(fixture("import/expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("json")
}

fn import(path: &Path, opts: &ImportOptions) -> Result<Imported, ImportFailure> {
    import_paths(&[path], opts)
}

/// Metres between two lon/lat points a few metres apart at most.
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let kx = 111_320.0 * a.1.to_radians().cos();
    (((a.0 - b.0) * kx).powi(2) + ((a.1 - b.1) * 110_574.0).powi(2)).sqrt()
}

/// Every unit's name and every vertex against pyproj's (`key` in expected.json); the largest distance.
fn check_units(imported: &Imported, key: &str) -> f64 {
    let exp = expected();
    let Layer::Units(units) = &imported.layer else { panic!("not units") };
    assert_eq!(units.len(), 12, "the district and its 11 streets");
    let mut worst: f64 = 0.0;
    for u in units {
        let e = &exp["units"][&u.id.0];
        assert_eq!(u.name, e["name"].as_str().expect("name"), "{}: the Chinese name survives", u.id.0);
        let rings: Vec<&geo::LineString<f64>> =
            u.geometry.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).collect();
        let want = e[key].as_array().expect("rings");
        assert_eq!(rings.len(), want.len(), "{}: rings", u.id.0);
        for (r, w) in rings.iter().zip(want) {
            let w = w.as_array().expect("ring");
            assert_eq!(r.0.len(), w.len(), "{}: vertices", u.id.0);
            for (c, p) in r.0.iter().zip(w) {
                let p = (p[0].as_f64().expect("lon"), p[1].as_f64().expect("lat"));
                worst = worst.max(metres((c.x, c.y), p));
            }
        }
    }
    worst
}

#[test]
fn gbk_shapefile_in_a_gauss_kruger_zone_matches_pyproj() {
    let imported = import(&fixture("import/shinan_4549.shp"), &ImportOptions::new(LayerKind::Units)).expect("imports");
    assert!(imported.crs.is_projected(), "{:?}", imported.crs);
    let worst = check_units(&imported, "coords_4549");
    eprintln!("Shapefile EPSG:4549: largest distance to pyproj {worst} m");
    assert!(worst < 0.01, "largest distance to pyproj {worst} m");
    assert!(imported.notes.iter().any(|n| n.contains("read as WGS 84")), "{:?}", imported.notes);
    let Layer::Units(units) = &imported.layer else { unreachable!() };
    let d = units.iter().find(|u| u.id.0 == "district-5655440").expect("the district");
    assert_eq!(d.parent, None, "an empty DBF text is no parent");
    assert_eq!(d.attributes.get("div_code").and_then(Value::as_str), Some("370202"));
}

fn copy_shapefile(dir: &Path, exts: &[&str]) -> PathBuf {
    for e in exts {
        std::fs::copy(fixture(&format!("import/shinan_4549.{e}")), dir.join(format!("shinan_4549.{e}"))).expect("copy");
    }
    dir.join("shinan_4549.shp")
}

#[test]
fn a_folder_and_a_zip_import_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_shapefile(dir.path(), &["shp", "shx", "dbf", "prj", "cpg"]);
    let opts = ImportOptions::new(LayerKind::Units);
    assert!(check_units(&import(dir.path(), &opts).expect("folder"), "coords_4549") < 0.01);
    let zip_path = dir.path().join("shinan.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).expect("create"));
    for e in ["shp", "shx", "dbf", "prj", "cpg"] {
        let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file(format!("交付/shinan_4549.{e}"), o).expect("entry");
        z.write_all(&std::fs::read(fixture(&format!("import/shinan_4549.{e}"))).expect("read")).expect("write");
    }
    z.finish().expect("zip");
    assert!(check_units(&import(&zip_path, &opts).expect("zip"), "coords_4549") < 0.01);
}

#[test]
fn geopackage_in_a_prefixed_zone_matches_pyproj() {
    let imported = import(&fixture("import/shinan_4528.gpkg"), &ImportOptions::new(LayerKind::Units)).expect("imports");
    assert_eq!(imported.crs.code(), "EPSG:4528");
    let worst = check_units(&imported, "coords_4528");
    eprintln!("GeoPackage EPSG:4528: largest distance to pyproj {worst} m");
    assert!(worst < 0.01, "largest distance to pyproj {worst} m");
    let mut wrong = ImportOptions::new(LayerKind::Units);
    wrong.source_layer = Some("roads".into());
    assert!(
        matches!(import(&fixture("import/shinan_4528.gpkg"), &wrong), Err(ImportFailure::File { problem, .. }) if problem.contains("units"))
    );
}

#[test]
fn gb18030_csv_with_office_dates() {
    let imported = import(&fixture("import/incidents_gb18030.csv"), &ImportOptions::new(LayerKind::Incidents)).expect("imports");
    assert!(imported.notes.iter().any(|n| n.contains("GB18030")), "{:?}", imported.notes);
    let exp = expected();
    let Layer::Incidents(rows) = &imported.layer else { panic!("not incidents") };
    assert_eq!(rows.len(), 12);
    for r in rows {
        let e = &exp["incidents"][&r.id];
        assert_eq!(Some(r.occurred_at), e["occurred_at"].as_i64(), "{}", r.id);
        assert_eq!(r.category, e["category"].as_str().expect("category"));
        assert_eq!(r.attributes.get("描述"), Some(&e["描述"]), "{}", r.id);
    }
}

#[test]
fn the_wrong_encoding_names_the_file_and_byte_offset() {
    let mut opts = ImportOptions::new(LayerKind::Incidents);
    opts.encoding = Some(encoding_rs::UTF_8);
    let at = expected()["csv_first_non_ascii_byte"].as_u64().expect("offset");
    match import(&fixture("import/incidents_gb18030.csv"), &opts) {
        Err(ImportFailure::File { path, problem }) => {
            assert!(path.ends_with("incidents_gb18030.csv"), "{path}");
            assert!(problem.contains(&format!("byte offset {at} ")) && problem.contains("--encoding gb18030"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    // a .cpg that says UTF-8 over GBK attributes
    let dir = tempfile::tempdir().expect("tempdir");
    let shp = copy_shapefile(dir.path(), &["shp", "dbf", "prj"]);
    std::fs::write(dir.path().join("shinan_4549.cpg"), "UTF-8").expect("cpg");
    match import(&shp, &ImportOptions::new(LayerKind::Units)) {
        Err(ImportFailure::File { problem, .. }) => {
            assert!(problem.contains("shinan_4549.dbf") && problem.contains("byte offset") && problem.contains(".cpg"), "{problem}")
        }
        other => panic!("{other:?}"),
    }
    // without the .cpg the GBK text is detected
    std::fs::remove_file(dir.path().join("shinan_4549.cpg")).expect("rm");
    let i = import(&shp, &ImportOptions::new(LayerKind::Units)).expect("detected");
    assert!(check_units(&i, "coords_4549") < 0.01 && i.notes.iter().any(|n| n.contains("GB18030")));
}

#[test]
fn a_projected_file_without_a_crs_is_refused_with_the_zones_it_fits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shp = copy_shapefile(dir.path(), &["shp", "dbf", "cpg"]);
    match import(&shp, &ImportOptions::new(LayerKind::Units)) {
        Err(ImportFailure::File { problem, .. }) => {
            assert!(problem.contains("look projected") && problem.contains("EPSG:4549") && problem.contains("--crs"), "{problem}")
        }
        other => panic!("{other:?}"),
    }
    // given with --crs it imports
    let mut opts = ImportOptions::new(LayerKind::Units);
    opts.crs = Some(wangge_engine::geometry::georef::Crs::parse("EPSG:4549").expect("crs"));
    assert!(check_units(&import(&shp, &opts).expect("imports"), "coords_4549") < 0.01);
    // prefixed eastings in GeoJSON: the zone is named
    let gj = dir.path().join("cams.geojson");
    let fc = |crs: &str| {
        format!(
            r#"{{"type":"FeatureCollection",{crs}"features":[{{"type":"Feature","properties":{{"id":"c1","kind":"dome","range":50,"height":4}},"geometry":{{"type":"Point","coordinates":[40530000.0,3990000.0]}}}}]}}"#
        )
    };
    std::fs::write(&gj, fc("")).expect("write");
    match import(&gj, &ImportOptions::new(LayerKind::Cameras)) {
        Err(ImportFailure::File { problem, .. }) => assert!(problem.contains("zone 40") && problem.contains("EPSG:4528"), "{problem}"),
        other => panic!("{other:?}"),
    }
    std::fs::write(&gj, fc(r#""crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4528"}},"#)).expect("write");
    assert_eq!(import(&gj, &ImportOptions::new(LayerKind::Cameras)).map(|i| i.crs.code()).ok().as_deref(), Some("EPSG:4528"));
}

#[test]
fn a_coordinate_outside_the_zone_names_layer_and_feature_and_nothing_is_imported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gj = dir.path().join("cams.geojson");
    let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4549"}},"features":[
        {"type":"Feature","properties":{"id":"c1","kind":"dome","range":50,"height":4},"geometry":{"type":"Point","coordinates":[530000.0,3990000.0]}},
        {"type":"Feature","properties":{"id":"c2","kind":"dome","range":50,"height":4},"geometry":{"type":"Point","coordinates":[3990000.0,530000.0]}}]}"#;
    std::fs::write(&gj, text).expect("write");
    match import(&gj, &ImportOptions::new(LayerKind::Cameras)) {
        Err(ImportFailure::Features { errors, total: 1 }) => {
            let e = &errors[0];
            assert_eq!((e.layer.as_str(), e.index, e.id.as_deref()), ("cameras", 1, Some("c2")));
            assert!(e.problem.contains("outside EPSG:4549"), "{}", e.problem);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn xian_1980_needs_its_seven_parameters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gj = dir.path().join("cams.geojson");
    let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2385"}},"features":[
        {"type":"Feature","properties":{"id":"c1","kind":"dome","range":50,"height":4},"geometry":{"type":"Point","coordinates":[530000.0,3990000.0]}}]}"#;
    std::fs::write(&gj, text).expect("write");
    match import(&gj, &ImportOptions::new(LayerKind::Cameras)) {
        Err(ImportFailure::File { problem, .. }) => assert!(problem.contains("--towgs84") && problem.contains("Xian 1980"), "{problem}"),
        other => panic!("{other:?}"),
    }
    let mut opts = ImportOptions::new(LayerKind::Cameras);
    opts.towgs84 = Some(wangge_engine::geometry::helmert::Helmert::parse("24,-123,-94,0.02,-0.25,-0.13,1.1").expect("params"));
    assert!(import(&gj, &opts).is_ok());
}

#[test]
fn the_command_line_imports_a_shapefile_and_says_what_it_assumed() {
    use crate::cli::{ok, p, wangge};
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("w.duckdb");
    let shp = fixture("import/shinan_4549.shp");
    let o = wangge(&["import", "--db", p(&db), "--layer", "units", p(&shp)]);
    let out = ok(&o);
    assert!(out.contains("imported 12 units as version 1"), "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("note:") && err.contains("read as WGS 84"), "{err}");
    let o = wangge(&["import", "--db", p(&db), "--layer", "units", "--crs", "EPSG:3857", p(&shp)]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("4491–4554"));
    let o = wangge(&["import", "--db", p(&db), "--layer", "units", "--encoding", "latin1", p(&shp)]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("gb18030"));
    let csv = fixture("import/incidents_gb18030.csv");
    let o = wangge(&["import", "--db", p(&db), "--layer", "incidents", "--encoding", "utf-8", p(&csv)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("incidents_gb18030.csv") && err.contains("byte offset"), "{err}");
    let o = wangge(&["import", "--db", p(&db), "--layer", "incidents", "--encoding", "gb18030", p(&csv)]);
    assert!(ok(&o).contains("imported 12 incidents"));
}
