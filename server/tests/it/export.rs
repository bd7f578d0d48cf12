//! `wangge export` on a generated store: GeoParquet 1.1 of every layer (the WKB equal to the
//! stored geometries, the `geo` metadata; opened by GeoPandas and DuckDB spatial through
//! `benches/oracles/geoparquet_layer_check.py` when python3 has them), hive partitions by H3
//! cell and month, and PMTiles whose every tile equals the tile the router serves (decoded
//! here and by the reference reader, `benches/oracles/pmtiles_check.py`, when present).

use crate::cli::{ok, p, wangge};
use crate::common;

use std::collections::BTreeMap;
use std::io::Read;

use sha2::Digest;
use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use wangge::http::{AppState, app as router};
use wangge_engine::model::LayerKind;

fn python_has(modules: &str) -> bool {
    std::process::Command::new("python3").args(["-c", &format!("import {modules}")]).output().is_ok_and(|o| o.status.success())
}

/// A store with every layer of a small generated demo.
pub(crate) fn demo_store(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("gen");
    let db = dir.join("w.duckdb");
    let admin = common::repo("data/shinan/admin.geojson");
    ok(&wangge(&["gen", "demo", "--admin", p(&admin), "--out", p(&out), "--split", "2,2,2", "--incidents", "400"]));
    ok(&wangge(&["import", "--db", p(&db), "--layer", "units", p(&admin), p(&out.join("units.geojson"))]));
    for (layer, file) in [
        ("buildings", "buildings.geojson"),
        ("cameras", "cameras.geojson"),
        ("facilities", "facilities.geojson"),
        ("incidents", "incidents.csv"),
        ("roads", "roads.geojson"),
    ] {
        ok(&wangge(&["import", "--db", p(&db), "--layer", layer, p(&out.join(file))]));
    }
    db
}

/// `wangge export --db DB ARGS… --out OUT`.
fn export(db: &Path, args: &[&str], out: &Path) -> std::process::Output {
    wangge(&[&["export", "--db", p(db)][..], args, &["--out", p(out)]].concat())
}

fn geo_metadata(conn: &duckdb::Connection, f: &str) -> Value {
    let s: String = conn
        .query_row(&format!("SELECT decode(value) FROM parquet_kv_metadata('{f}') WHERE decode(key) = 'geo'"), [], |r| r.get(0))
        .expect("geo key");
    serde_json::from_str(&s).expect("json")
}

#[test]
fn geoparquet_of_every_layer_carries_the_stored_geometries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_store(dir.path());
    let conn = duckdb::Connection::open_in_memory().expect("duckdb");
    // the bytes as written (the bundled DuckDB has no spatial extension to convert them)
    conn.execute_batch("SET enable_geoparquet_conversion = false").expect("setting");
    let oracle = python_has("geopandas, duckdb, duckdb_extension_spatial, pyarrow, shapely");
    for (layer, gtype) in [
        ("units", "MultiPolygon"),
        ("buildings", "MultiPolygon"),
        ("cameras", "Point"),
        ("facilities", "Point"),
        ("incidents", "Point"),
        ("roads", "MultiLineString"),
    ] {
        let f = dir.path().join(format!("{layer}.parquet"));
        ok(&export(&db, &["--layer", layer, "--format", "parquet"], &f));
        let geo = geo_metadata(&conn, p(&f));
        assert_eq!(geo["version"], "1.1.0");
        assert_eq!(geo["primary_column"], "geometry");
        assert_eq!(geo["columns"]["geometry"]["encoding"], "WKB");
        assert_eq!(geo["columns"]["geometry"]["geometry_types"], serde_json::json!([gtype]), "{layer}");
        assert!(geo["columns"]["geometry"].get("crs").is_none(), "no crs: OGC:CRS84");
        // the WKB of every row is the stored geometry's, in order, with the id beside it
        let kind = LayerKind::parse(layer).expect("kind");
        let stored_layer = wangge::store::Store::open(&db).expect("open").read_layer(kind).expect("read");
        let stored = wangge::export::geoparquet::LayerRows::of(&stored_layer);
        let mut stmt = conn.prepare(&format!("SELECT CAST(id AS VARCHAR), geometry FROM read_parquet('{}')", p(&f))).expect("prepare");
        let rows: Vec<(String, Vec<u8>)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("query").map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), stored.geometries.len(), "{layer}");
        assert!(!rows.is_empty(), "{layer}");
        for (i, (id, wkb)) in rows.iter().enumerate() {
            assert_eq!(wkb, &wangge::wkb::encode(&stored.geometries[i]), "{layer} row {i}");
            assert_eq!(&Value::String(id.clone()), &stored.properties[i]["id"], "{layer} row {i}");
        }
        let bbox: Vec<f64> = geo["columns"]["geometry"]["bbox"].as_array().expect("bbox").iter().filter_map(Value::as_f64).collect();
        assert!(bbox.len() == 4 && bbox[0] <= bbox[2] && bbox[1] <= bbox[3] && bbox[0] > 120.0 && bbox[3] < 36.2, "{layer}: {bbox:?}");
        if oracle {
            let gj = dir.path().join(format!("{layer}.geojson"));
            ok(&export(&db, &["--layer", layer, "--format", "geojson"], &gj));
            let out = std::process::Command::new("python3")
                .arg(common::repo("benches/oracles/geoparquet_layer_check.py"))
                .args([p(&f), p(&gj)])
                .output()
                .expect("python3");
            assert!(out.status.success(), "{layer}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        }
    }
    // numbers stay numbers; the geometry is WKB
    let mut stmt =
        conn.prepare(&format!("DESCRIBE SELECT * FROM read_parquet('{}')", p(&dir.path().join("buildings.parquet")))).expect("d");
    let cols: BTreeMap<String, String> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).expect("q").map(|r| r.expect("row")).collect();
    assert_eq!(cols.get("households").map(String::as_str), Some("BIGINT"), "{cols:?}");
    assert_eq!(cols.get("geometry").map(String::as_str), Some("BLOB"), "{cols:?}");
}

#[test]
fn incidents_partition_by_h3_cell_and_month() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_store(dir.path());
    let out = dir.path().join("incidents");
    let s = ok(&export(&db, &["--layer", "incidents", "--format", "parquet", "--partition", "h3:7,month"], &out));
    assert!(s.contains("partition files"), "{s}");
    let layer = wangge::store::Store::open(&db).expect("open").read_layer(LayerKind::Incidents).expect("read");
    let wangge_engine::model::Layer::Incidents(incidents) = layer else { panic!("incidents") };
    let conn = duckdb::Connection::open_in_memory().expect("duckdb");
    conn.execute_batch("SET enable_geoparquet_conversion = false").expect("setting");
    // every incident is in the folder of its own res-7 cell and UTC+8 month, once
    let glob = format!("{}/**/*.parquet", p(&out));
    let mut stmt = conn.prepare(&format!("SELECT id, h3_7, month FROM read_parquet('{glob}', hive_partitioning = true)")).expect("prepare");
    let rows: BTreeMap<String, (String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?)))).expect("query").map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), incidents.len());
    for n in &incidents {
        let cell = h3o::LatLng::new(n.position.y(), n.position.x()).expect("ll").to_cell(h3o::Resolution::Seven).to_string();
        let month = wangge_engine::time::format_time(n.occurred_at + 8 * 3600)[..7].to_owned();
        assert_eq!(rows.get(&n.id), Some(&(cell, month)), "{}", n.id);
    }
    // each partition is a GeoParquet file of its own, its bbox that of its rows
    let files: Vec<String> = conn
        .prepare(&format!("SELECT file FROM glob('{glob}')"))
        .expect("g")
        .query_map([], |r| r.get(0))
        .expect("q")
        .map(|r| r.expect("f"))
        .collect();
    assert!(files.len() > 5, "{}", files.len());
    let geo = geo_metadata(&conn, &files[0]);
    assert_eq!(geo["columns"]["geometry"]["geometry_types"], serde_json::json!(["Point"]));
    if python_has("geopandas, duckdb, duckdb_extension_spatial, pyarrow, shapely") {
        let gj = dir.path().join("incidents.geojson");
        ok(&export(&db, &["--layer", "incidents", "--format", "geojson"], &gj));
        let o = std::process::Command::new("python3")
            .arg(common::repo("benches/oracles/geoparquet_layer_check.py"))
            .args([p(&out), p(&gj)])
            .output()
            .expect("python3");
        assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    }
    // refused with the reason
    let o = export(&db, &["--layer", "units", "--format", "parquet", "--partition", "h3:7"], &dir.path().join("u"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("point layers"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = export(&db, &["--layer", "incidents", "--format", "parquet", "--partition", "week"], &dir.path().join("w"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("use h3:RES and/or month"), "{}", String::from_utf8_lossy(&o.stderr));
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b).read_to_end(&mut out).expect("gzip");
    out
}

async fn served(app: &axum::Router, uri: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::get(uri).header(header::HOST, "127.0.0.1:8080").header(header::ACCEPT_ENCODING, "identity").body(Body::empty());
    let resp = app.clone().oneshot(req.expect("req")).await.expect("resp");
    let status = resp.status();
    (status, resp.into_body().collect().await.expect("body").to_bytes().to_vec())
}

#[tokio::test]
async fn pmtiles_hold_exactly_the_served_tiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = demo_store(dir.path());
    let f = dir.path().join("demo.pmtiles");
    let layers = "units,buildings,roads,cameras";
    let s = ok(&export(&db, &["--format", "pmtiles", "--layers", layers, "--minzoom", "11", "--maxzoom", "15"], &f));
    assert!(s.contains("tiles of units,buildings,roads,cameras (z11–15)"), "{s}");
    let bytes = std::fs::read(&f).expect("read");
    let (h, meta, tiles) = wangge::export::pmtiles::read(&bytes).expect("decodes");
    assert_eq!((h.min_zoom, h.max_zoom), (11, 15));
    let ids: Vec<&str> = meta["vector_layers"].as_array().expect("vector_layers").iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(ids, ["units", "buildings", "roads", "cameras"]);
    assert!(tiles.len() > 100, "{}", tiles.len());
    // the server on the same store, open local mode: every archived tile is the served one, byte for byte
    let store = wangge::store::Store::open(&db).expect("open");
    let d = wangge::state::load(&store, Default::default()).expect("load");
    drop(store);
    let app = router(AppState::new(d, common::repo("web")));
    let mut at: BTreeMap<(u8, u32, u32), Vec<u8>> = BTreeMap::new();
    for (z, x, y, gz) in &tiles {
        let (st, body) = served(&app, &format!("/tiles/{layers}/{z}/{x}/{y}.mvt")).await;
        assert_eq!(st, StatusCode::OK, "{z}/{x}/{y}");
        assert_eq!(gunzip(gz), body, "{z}/{x}/{y}");
        at.insert((*z, *x, *y), gz.clone());
    }
    // and every served tile of the data's area (with a margin of two tiles) is in the archive
    let bounds = wangge::export::tiles::data_bounds(&{
        let store = wangge::store::Store::open(&db).expect("open");
        wangge::state::load(&store, Default::default()).expect("load")
    })
    .expect("bounds");
    for z in [11u8, 13, 15] {
        let (xs, ys) = wangge::tiles::grid::tiles_covering(bounds, z);
        for x in xs.start().saturating_sub(2)..=xs.end() + 2 {
            for y in ys.start().saturating_sub(2)..=ys.end() + 2 {
                let (st, _) = served(&app, &format!("/tiles/{layers}/{z}/{x}/{y}.mvt")).await;
                assert_eq!(st == StatusCode::OK, at.contains_key(&(z, x, y)), "{z}/{x}/{y}: served {st}");
            }
        }
    }
    // the reference reader sees the same tiles
    if python_has("pmtiles") {
        let o = std::process::Command::new("python3")
            .arg(common::repo("benches/oracles/pmtiles_check.py"))
            .arg(p(&f))
            .output()
            .expect("python3");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).expect("json");
        assert_eq!((v["min_zoom"].as_u64(), v["max_zoom"].as_u64(), v["tile_type"].as_u64()), (Some(11), Some(15), Some(1)));
        let theirs = v["tiles"].as_object().expect("tiles");
        assert_eq!(theirs.len(), tiles.len());
        for (z, x, y, gz) in &tiles {
            let sha: String = sha2::Sha256::digest(gz).iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(theirs.get(&format!("{z}/{x}/{y}")).and_then(Value::as_str), Some(sha.as_str()), "{z}/{x}/{y}");
        }
        assert_eq!(v["metadata"]["vector_layers"], meta["vector_layers"]);
    }
    // bad flags are refused with the reason
    let o = export(&db, &["--format", "pmtiles", "--layers", "units,heatmap"], &f);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no tile layer \"heatmap\" to export"), "{}", String::from_utf8_lossy(&o.stderr));
    let o = export(&db, &["--format", "pmtiles", "--layers", "units", "--minzoom", "9", "--maxzoom", "8"], &f);
    assert!(String::from_utf8_lossy(&o.stderr).contains("minzoom must be at most maxzoom"), "{}", String::from_utf8_lossy(&o.stderr));
}
