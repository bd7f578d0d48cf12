//! The `wangge` binary on temp files: gen, import (with GCJ-02 conversion and
//! field mapping), versions, check, export.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

pub(crate) fn wangge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wangge")).args(args).output().expect("run wangge")
}

pub(crate) fn ok(o: &Output) -> String {
    assert!(o.status.success(), "stderr: {}\nstdout: {}", String::from_utf8_lossy(&o.stderr), String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn p(x: &Path) -> &str {
    x.to_str().expect("utf-8 path")
}

/// Import the Helsinki buildings into `db`, their `levels` mapped to floors; the command's output.
fn import_helsinki_buildings(db: &Path) -> String {
    let buildings = common::fixture("helsinki/buildings.geojson");
    ok(&wangge(&["import", "--db", p(db), "--layer", "buildings", "--field", "floors=levels", p(&buildings)]))
}

/// Import the Helsinki cameras into `db`; they carry no kind, range or height, so these come
/// as defaults (dome, 40 m, 4 m). The command's output.
fn import_helsinki_cameras(db: &Path) -> String {
    let cameras = common::fixture("helsinki/cameras.geojson");
    ok(&wangge(&[
        "import",
        "--db",
        p(db),
        "--layer",
        "cameras",
        "--default",
        "kind=dome",
        "--default",
        "range=40",
        "--default",
        "height=4",
        p(&cameras),
    ]))
}

#[test]
fn gen_import_check_export_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("gen");
    let db = dir.path().join("w.duckdb");
    let admin = common::repo("data/shinan/admin.geojson");
    let s = ok(&wangge(&["gen", "demo", "--admin", p(&admin), "--out", p(&out), "--split", "2,2,2", "--incidents", "500"]));
    assert!(s.contains("generated (seed 2026)"), "{s}");
    // same seed, same files
    let out2 = dir.path().join("gen2");
    ok(&wangge(&["gen", "demo", "--admin", p(&admin), "--out", p(&out2), "--split", "2,2,2", "--incidents", "500"]));
    for f in ["units.geojson", "buildings.geojson", "incidents.csv", "roads.geojson"] {
        assert_eq!(std::fs::read(out.join(f)).expect("a"), std::fs::read(out2.join(f)).expect("b"), "{f} differs between runs");
    }
    let s = ok(&wangge(&["import", "--db", p(&db), "--layer", "units", p(&admin), p(&out.join("units.geojson"))]));
    assert!(s.contains("as version 1"), "{s}");
    ok(&wangge(&["import", "--db", p(&db), "--layer", "buildings", p(&out.join("buildings.geojson"))]));
    ok(&wangge(&["import", "--db", p(&db), "--layer", "incidents", p(&out.join("incidents.csv"))]));
    {
        // the CSV's `generated` column (text "true") keeps the label through the import
        let store = wangge::store::Store::open(&db).expect("open");
        let d = wangge::state::load(&store, Default::default()).expect("load");
        assert_eq!(d.incidents.len(), 500);
        assert!(d.incidents.iter().all(|i| wangge_engine::dataset::Dataset::is_generated(&i.attributes)));
    }
    let s = ok(&wangge(&["import", "--db", p(&db), "--layer", "buildings", p(&out.join("buildings.geojson"))]));
    assert!(s.contains("as version 2"), "{s}");
    let s = ok(&wangge(&["versions", "--db", p(&db)]));
    assert!(s.contains("buildings   v2") && s.contains("buildings   v1"), "{s}");

    let s = ok(&wangge(&["check", "--db", p(&db)]));
    assert!(s.contains("gaps inside parents"), "{s}");
    let v: serde_json::Value = serde_json::from_str(&ok(&wangge(&["check", "--db", p(&db), "--json"]))).expect("json");
    let gap = v["summary"]["gap_m2"].as_f64().expect("gap") + v["summary"]["sliver_m2"].as_f64().expect("sliver");
    assert!((gap - 5_093_460.0).abs() / 5_093_460.0 < 0.01, "{gap}");
    assert!(v["problems"]["features"].as_array().expect("problems").len() > 5);
    let stored = wangge::store::Store::open(&db).expect("open").latest_report().expect("report").expect("some");
    assert_eq!(stored["summary"]["gaps"], v["summary"]["gaps"]);

    let gj = dir.path().join("b.geojson");
    ok(&wangge(&["export", "--db", p(&db), "--layer", "buildings", "--format", "geojson", "--out", p(&gj)]));
    let orig: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("buildings.geojson")).expect("r")).expect("json");
    let back: serde_json::Value = serde_json::from_slice(&std::fs::read(&gj).expect("r")).expect("json");
    assert_eq!(orig["features"].as_array().map(Vec::len), back["features"].as_array().map(Vec::len));
    assert_eq!(orig["features"][3]["geometry"], back["features"][3]["geometry"]);
    assert_eq!(orig["features"][3]["properties"]["households"], back["features"][3]["properties"]["households"]);
    let csv = dir.path().join("i.csv");
    ok(&wangge(&["export", "--db", p(&db), "--layer", "incidents", "--format", "csv", "--out", p(&csv)]));
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.starts_with("id,lon,lat,category,occurred_at,status,h3,attrs"), "{}", &text[..80.min(text.len())]);
    assert_eq!(text.lines().count(), 501);
    let pq = dir.path().join("u.parquet");
    ok(&wangge(&["export", "--db", p(&db), "--layer", "units", "--format", "parquet", "--out", p(&pq)]));
    assert_eq!(&std::fs::read(&pq).expect("parquet")[..4], b"PAR1");
}

#[test]
fn gcj02_input_is_converted_and_fields_are_mapped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("w.duckdb");
    let f = dir.path().join("cams.csv");
    // a WGS84 point in 市南区 and its GCJ-02 coordinates
    let (wlon, wlat) = (120.3826, 36.0660);
    let (glon, glat) = wangge_engine::geometry::crs::wgs84_to_gcj02(wlon, wlat);
    std::fs::write(&f, format!("cam_no,x,y,dir,angle,dist,h\nC1,{glon},{glat},90,60,50,5\n")).expect("write");
    let s = ok(&wangge(&[
        "import",
        "--db",
        p(&db),
        "--layer",
        "cameras",
        "--crs",
        "gcj02",
        "--field",
        "id=cam_no",
        "--field",
        "lon=x",
        "--field",
        "lat=y",
        "--field",
        "heading=dir",
        "--field",
        "fov=angle",
        "--field",
        "range=dist",
        "--field",
        "height=h",
        p(&f),
    ]));
    assert!(s.contains("imported 1 cameras"), "{s}");
    let store = wangge::store::Store::open(&db).expect("open");
    let wangge::import::Layer::Cameras(c) = store.read_layer(wangge_engine::model::LayerKind::Cameras).expect("read") else { panic!() };
    let m = wangge_engine::geometry::projection::LocalProjection::new(wlon, wlat).project(c[0].position.0);
    assert!(m.x.hypot(m.y) < 0.5, "converted point is {} m off", m.x.hypot(m.y));
    assert_eq!(c[0].view.fov_deg, 60.0);
    assert_eq!(c[0].kind, wangge_engine::model::CameraKind::Fixed);
    // an unknown CRS is refused before anything is read
    let o = wangge(&["import", "--db", p(&db), "--layer", "cameras", "--crs", "utm51", p(&f)]);
    assert_eq!(o.status.code(), Some(2));
    // clap names the flag, the value and the values it takes
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("invalid value 'utm51' for '--crs <CRS>'") && e.contains("wgs84, gcj02, bd09"), "{e}");
}

#[test]
fn enum_flags_list_their_values_and_every_flag_reads_its_env() {
    // an unknown layer or format is refused by clap with the values listed
    let o = wangge(&["export", "--layer", "parcels", "--out", "x.geojson"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("'parcels'") && e.contains("units, buildings, cameras, facilities, incidents, roads"), "{e}");
    let o = wangge(&["export", "--layer", "units", "--format", "shp", "--out", "x.shp"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("geojson, csv, parquet"));
    let o = wangge(&["abpairs", "--level", "grid", "--weight", "population", "--out", "x.json"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("shared, closeness"));
    // help lists the values
    let help = ok(&wangge(&["alliances", "--help"]));
    assert!(help.contains("population") && help.contains("households") && help.contains("[env: WANGGE_ALLIANCE_WEIGHT="), "{help}");
    for (cmd, flag_env) in [
        (
            "import",
            [
                "WANGGE_DB",
                "WANGGE_LAYER",
                "WANGGE_CRS",
                "WANGGE_TOWGS84",
                "WANGGE_ENCODING",
                "WANGGE_SOURCE_LAYER",
                "WANGGE_FIELD",
                "WANGGE_DEFAULT",
                "WANGGE_TZ",
            ]
            .as_slice(),
        ),
        ("export", &["WANGGE_DB", "WANGGE_LAYER", "WANGGE_FORMAT", "WANGGE_OUT"]),
        ("check", &["WANGGE_DB", "WANGGE_JSON", "WANGGE_SLIVER_WIDTH", "WANGGE_NORM"]),
        ("adjacency", &["WANGGE_LEVEL", "WANGGE_TOLERANCE", "WANGGE_MIN_SHARED", "WANGGE_OUT"]),
        ("abpairs", &["WANGGE_ACROSS_PARENTS", "WANGGE_PAIR_WEIGHT"]),
        ("coverage", &["WANGGE_UNIT", "WANGGE_MIN_AREA"]),
    ] {
        let help = ok(&wangge(&[cmd, "--help"]));
        for env in flag_env {
            assert!(help.contains(&format!("[env: {env}")), "{cmd} --help lacks {env}: {help}");
        }
    }
    // flags given by the environment work as the flags do
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("city");
    let o = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(["gen", "city"])
        .env("WANGGE_OUT", &out)
        .env("WANGGE_GRIDS", "6")
        .env("WANGGE_BUILDINGS", "12")
        .output()
        .expect("run");
    let s = ok(&o);
    assert!(s.contains("generated 6 grids"), "{s}");
    let o = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(["import", p(&out.join("grids.geojson"))])
        .env("WANGGE_DB", dir.path().join("w.duckdb"))
        .env("WANGGE_LAYER", "units")
        .env("WANGGE_CRS", "GCJ-02")
        .output()
        .expect("run");
    assert!(ok(&o).contains("imported 6 units as version 1"));
}

#[test]
fn real_helsinki_layers_import_with_field_mapping_and_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.duckdb");
    let f = |n: &str| common::fixture(&format!("helsinki/{n}"));
    let s = import_helsinki_buildings(&db);
    assert!(s.contains("imported 446 buildings"), "{s}");
    // without a field of view or kind the cameras are refused, naming the field
    let o = wangge(&["import", "--db", p(&db), "--layer", "cameras", p(&f("cameras.geojson"))]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("221 problem(s)"), "{e}");
    assert!(e.contains("(id node/256257146)") && e.contains("field fov") && e.contains("missing field of view"), "{e}");
    let s = import_helsinki_cameras(&db);
    assert!(s.contains("imported 221 cameras"), "{s}");
    let s = ok(&wangge(&["import", "--db", p(&db), "--layer", "facilities", p(&f("facilities.geojson"))]));
    assert!(s.contains("imported 626 facilities"), "{s}");
    let s = ok(&wangge(&["import", "--db", p(&db), "--layer", "roads", p(&f("roads.geojson"))]));
    assert!(s.contains("roads as version 1"), "{s}");
    let store = wangge::store::Store::open(&db).expect("open");
    let wangge::import::Layer::Buildings(b) = store.read_layer(wangge_engine::model::LayerKind::Buildings).expect("read") else { panic!() };
    let with_floors = b.iter().filter(|x| x.floors.is_some()).count();
    assert!(with_floors > 100, "{with_floors}");
    assert!(b.iter().all(|x| !x.attributes.contains_key("levels")), "mapped field is not kept twice");
}

#[test]
fn adjacency_alliances_and_abpairs_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("gen");
    let db = dir.path().join("w.duckdb");
    let admin = common::repo("data/shinan/admin.geojson");
    ok(&wangge(&["gen", "demo", "--admin", p(&admin), "--out", p(&out), "--split", "3,3,2", "--incidents", "10"]));
    ok(&wangge(&["import", "--db", p(&db), "--layer", "units", p(&admin), p(&out.join("units.geojson"))]));
    ok(&wangge(&["import", "--db", p(&db), "--layer", "buildings", p(&out.join("buildings.geojson"))]));

    let csv = dir.path().join("adj.csv");
    let s = ok(&wangge(&["adjacency", "--db", p(&db), "--level", "community", "--out", p(&csv)]));
    assert!(s.contains("neighbour pairs"), "{s}");
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(text.starts_with("a,b,a_name,b_name,shared_m,contact,same_parent,meet_id,meet_level"));
    assert!(text.lines().count() > 10 && text.contains(",rook,"), "{text}");
    let gj = dir.path().join("adj.geojson");
    ok(&wangge(&["adjacency", "--db", p(&db), "--level", "grid", "--tolerance", "1", "--out", p(&gj)]));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&gj).expect("r")).expect("json");
    assert!(v["features"].as_array().is_some_and(|f| !f.is_empty()));

    // propose, write as group,unit CSV, and validate that file
    let al = dir.path().join("alliances.csv");
    let s = ok(&wangge(&[
        "alliances",
        "--db",
        p(&db),
        "--level",
        "grid",
        "--min-size",
        "2",
        "--max-size",
        "4",
        "--seed",
        "9",
        "--out",
        p(&al),
    ]));
    assert!(s.contains("max deviation"), "{s}");
    let back = dir.path().join("check.json");
    ok(&wangge(&["alliances", "--db", p(&db), "--level", "grid", "--validate", p(&al), "--out", p(&back)]));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&back).expect("r")).expect("json");
    assert_eq!(v["unassigned"].as_array().map(Vec::len), Some(0));
    assert!(v["groups"].as_array().expect("groups").iter().all(|g| g["contiguous"] == true));

    let ab = dir.path().join("ab.csv");
    let s = ok(&wangge(&["abpairs", "--db", p(&db), "--level", "grid", "--out", p(&ab)]));
    assert!(s.contains("pairs of"), "{s}");
    assert!(std::fs::read_to_string(&ab).expect("ab").starts_with("a,b,shared_m,distance_m,same_parent,fallback"));

    // clear errors
    let o = wangge(&["abpairs", "--db", p(&db), "--level", "ward", "--out", p(&ab)]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("unknown level \"ward\""));
    let o = wangge(&["adjacency", "--db", p(&db), "--level", "grid", "--out", p(&dir.path().join("x.txt"))]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains(".csv, .geojson or .json"));
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "group,unit\n1,no-such-grid\n").expect("write");
    let o = wangge(&["alliances", "--db", p(&db), "--level", "grid", "--validate", p(&bad), "--out", p(&back)]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("no-such-grid"));
}

#[test]
fn coverage_command_on_real_helsinki_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.duckdb");
    let f = |n: &str| common::fixture(n);
    ok(&wangge(&["import", "--db", p(&db), "--layer", "units", p(&f("coverage/units.geojson"))]));
    import_helsinki_buildings(&db);
    import_helsinki_cameras(&db);
    let csv = dir.path().join("cov.csv");
    let s = ok(&wangge(&["coverage", "--db", p(&db), "--out", p(&csv)]));
    assert!(s.contains("221 cameras") && s.contains("open ground covered"), "{s}");
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert_eq!(text.lines().count(), 1 + 10, "header and 10 units");
    assert!(text.starts_with("id,name,level,ground_m2,covered_m2,ground_share"));
    let gj = dir.path().join("gaps.geojson");
    ok(&wangge(&["coverage", "--db", p(&db), "--unit", "HEL-11", "--out", p(&gj), "--min-area", "50"]));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&gj).expect("r")).expect("json");
    let feats = v["features"].as_array().expect("features");
    assert!(!feats.is_empty() && feats.iter().all(|f| f["properties"]["area_m2"].as_f64().is_some_and(|a| a >= 50.0)));
    let o = wangge(&["coverage", "--db", p(&db), "--unit", "nope", "--out", p(&gj)]);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("no unit with id nope"));
}
