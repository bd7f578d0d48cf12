//! `POST /api/query/area` on the demo district (real 市南区 streets, generated
//! grids, buildings, cameras and incidents): a unit's figures equal its unit
//! panel and coverage figures; a drawn polygon's equal a plain recount of
//! every building, camera and incident; a street's staff drawing over the
//! whole district count only their street; bad bodies are 400 naming the
//! problem; the exports carry the rows and columns of the answer, and the
//! GeoParquet file has GeoParquet 1.1 metadata (checked here, and opened by
//! GeoPandas and DuckDB when python3 has them: `benches/oracles/geoparquet_check.py`).

use crate::common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use geo::{Area, BooleanOps, BoundingRect, Contains, MultiPolygon, Polygon};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::{AppState, app as router};
use wangge_engine::dataset::Dataset;
use wangge_engine::model::UnitId;
use wangge_engine::people::{Actor, Role};
use wangge_engine::units::jurisdiction::Jurisdiction;

async fn post(app: &axum::Router, uri: &str, body: &Value) -> (StatusCode, HeaderMap, Vec<u8>) {
    let r = Request::post(uri).header(header::HOST, "127.0.0.1").header(header::CONTENT_TYPE, "application/json");
    let resp = app.clone().oneshot(r.body(Body::from(body.to_string())).expect("req")).await.expect("resp");
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.into_body().collect().await.expect("body").to_bytes().to_vec())
}

async fn get(app: &axum::Router, uri: &str) -> Value {
    let r = Request::get(uri).header(header::HOST, "127.0.0.1").body(Body::empty()).expect("req");
    let resp = app.clone().oneshot(r).await.expect("resp");
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    serde_json::from_slice(&resp.into_body().collect().await.expect("body").to_bytes()).expect("json")
}

async fn query(app: &axum::Router, body: &Value) -> Value {
    let (s, _, b) = post(app, "/api/query/area", body).await;
    assert_eq!(s, StatusCode::OK, "{body}: {}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).expect("json")
}

fn state() -> Arc<AppState> {
    AppState::new(common::demo_dataset(), common::repo("web"))
}

fn as_street(state: &Arc<AppState>, street: &str) -> axum::Router {
    let actor = Actor { name: "street staff".into(), role: Role::Analyst, unit: Some(street.into()), department: None };
    router(state.clone()).layer(axum::Extension(actor))
}

/// A slanted quadrilateral over the middle of the district.
fn slanted(d: &Dataset) -> Polygon<f64> {
    let b = d.bounds().expect("bounds");
    let at = |fx: f64, fy: f64| (b.min().x + fx * b.width(), b.min().y + fy * b.height());
    Polygon::new(vec![at(0.22, 0.31), at(0.64, 0.18), at(0.77, 0.58), at(0.35, 0.74), at(0.22, 0.31)].into(), vec![])
}

fn geojson(p: &Polygon<f64>) -> Value {
    let ring: Vec<[f64; 2]> = p.exterior().coords().map(|c| [c.x, c.y]).collect();
    json!({"type": "Polygon", "coordinates": [ring]})
}

#[tokio::test]
async fn a_unit_equals_its_panel_and_coverage_figures() {
    let s = state();
    let app = router(s.clone());
    let d = s.dataset();
    // every street and a few grids
    let streets: Vec<usize> = (0..d.hierarchy.len()).filter(|&i| d.hierarchy.units[i].level.0 == "street").collect();
    let grids: Vec<usize> = (0..d.hierarchy.len()).filter(|&i| d.hierarchy.units[i].level.0 == "grid").step_by(9).take(4).collect();
    assert!(!streets.is_empty() && !grids.is_empty());
    for i in streets.into_iter().chain(grids) {
        let id = &d.hierarchy.units[i].id.0;
        let a = query(&app, &json!({"unit": id})).await;
        let panel = get(&app, &format!("/api/units/{id}")).await;
        for k in ["households", "population", "buildings"] {
            assert_eq!(a[k], panel[k], "{id} {k}");
        }
        assert_eq!(a["area"]["unit"], json!(id));
        assert_eq!(a["area"]["area_m2"], panel["area_m2"]);
        let cov = get(&app, &format!("/api/coverage/cameras?unit={id}")).await;
        let u = &cov["unit"];
        assert_eq!(a["uncovered"]["buildings"], u["buildings_unseen"], "{id}");
        assert_eq!(a["uncovered"]["households"], u["households_unseen"], "{id}");
        assert_eq!(a["cameras"]["count"], u["cameras"], "{id}");
        assert_eq!(a["cameras"]["covered_share"], u["ground_share"], "{id}");
        assert_eq!(a["uncovered"]["ids"].as_array().map(Vec::len), u["buildings_unseen"].as_u64().map(|n| n as usize));
        // incidents: the unit's trend counts the same ones
        let trend = get(&app, &format!("/api/units/{id}/incidents")).await;
        assert_eq!(a["incidents"]["total"], trend["incidents"], "{id}");
        assert_eq!(a["generated"], json!(true));
    }
}

#[tokio::test]
async fn a_drawn_polygon_equals_a_plain_recount() {
    let s = state();
    let app = router(s.clone());
    let d = s.dataset();
    let p = slanted(&d);
    let mp = MultiPolygon(vec![p.clone()]);
    // one live incident inside, one outside
    let b = p.bounding_rect().expect("box");
    let inside = geo::InteriorPoint::interior_point(&p).expect("point");
    let outside = geo::Point::new(b.max().x + 0.001, b.max().y + 0.001);
    for (id, pt) in [("LIVE-IN", inside), ("LIVE-OUT", outside)] {
        let body = json!({"id": id, "lon": pt.x(), "lat": pt.y(), "category": "环境卫生", "reporter": "t"});
        let r = Request::post("/api/incidents").header(header::HOST, "127.0.0.1").header(header::CONTENT_TYPE, "application/json");
        let resp = app.clone().oneshot(r.body(Body::from(body.to_string())).expect("req")).await.expect("resp");
        assert_eq!(resp.status(), StatusCode::CREATED);
    }
    let a = query(&app, &json!({"geometry": geojson(&p)})).await;
    let want: Vec<usize> = (0..d.buildings.len())
        .filter(|&i| {
            let fp = &d.buildings[i].footprint;
            fp.intersection(&mp).unsigned_area() > 0.5 * fp.unsigned_area()
        })
        .collect();
    assert!(want.len() > 5, "{}", want.len());
    assert_eq!(a["buildings"], json!(want.len()));
    let hh: u64 = want.iter().map(|&i| u64::from(d.buildings[i].households.unwrap_or(0))).sum();
    let pop: u64 = want.iter().map(|&i| u64::from(d.buildings[i].population.unwrap_or(0))).sum();
    assert_eq!((a["households"].as_u64(), a["population"].as_u64()), (Some(hh), Some(pop)));
    let cov = d.coverage();
    let unseen: Vec<&str> = want.iter().filter(|&&i| cov.facades[i].seen_m < 1.0).map(|&i| d.buildings[i].id.as_str()).collect();
    assert_eq!(a["uncovered"]["ids"], json!(unseen));
    let cams: Vec<&str> = d.cameras.iter().filter(|c| p.contains(&c.position)).map(|c| c.id.as_str()).collect();
    assert_eq!(a["cameras"]["ids"], json!(cams));
    let loaded: Vec<&wangge_engine::model::Incident> = d.incidents.iter().filter(|i| p.contains(&i.position)).collect();
    assert_eq!(a["incidents"]["total"], json!(loaded.len() + 1), "loaded inside and the live one inside");
    let mut by_class = std::collections::BTreeMap::<String, u64>::new();
    for i in &loaded {
        *by_class.entry(i.category.clone()).or_default() += 1;
    }
    *by_class.entry("环境卫生".into()).or_default() += 1;
    assert_eq!(a["incidents"]["by_class"], json!(by_class));
    assert_eq!(a["incidents"]["by_status"]["reported"].as_u64(), Some(loaded.iter().filter(|i| i.status == "reported").count() as u64 + 1));
    let weeks = a["incidents"]["weekly"].as_array().expect("weeks");
    assert_eq!(weeks.iter().filter_map(|w| w["count"].as_u64()).sum::<u64>(), loaded.len() as u64 + 1);
    assert!(weeks.iter().all(|w| w["week"].as_str().is_some_and(|s| s.len() == 8 && &s[4..6] == "-W")));
    for h in a["incidents"]["hotspots"].as_array().expect("hot spots") {
        let pt = geo::Point::new(h["lon"].as_f64().expect("lon"), h["lat"].as_f64().expect("lat"));
        assert!(p.contains(&pt) && h["q"].as_f64().is_some_and(|q| q < 0.05), "{h}");
    }
    assert!(a["area"]["unit"].is_null() && a["area"]["area_m2"].as_f64().is_some_and(|m| m > 1e6));
    let share = a["cameras"]["covered_share"].as_f64().expect("share");
    assert!(share > 0.0 && share < 1.0, "{share}");
    // a period and classes, and a comparison with the year before
    let q = json!({"geometry": geojson(&p), "period": {"from": "2026-03-01", "to": "2026-04-30"}, "classes": ["环境卫生"],
                   "compare": {"from": "2026-01-01", "to": "2026-02-28"}});
    let a = query(&app, &q).await;
    let t = |s: &str| wangge_engine::time::parse_time(s, 8 * 3600).expect("time");
    let n = |from: &str, to: &str| {
        loaded.iter().filter(|i| i.category == "环境卫生" && i.occurred_at >= t(from) && i.occurred_at < t(to)).count() as i64
    };
    let (march, feb) = (n("2026-03-01", "2026-05-01"), n("2026-01-01", "2026-03-01"));
    assert!(march > 0 && feb > 0);
    assert_eq!(a["incidents"]["total"], json!(march));
    assert_eq!(a["compare"]["total"], json!(feb));
    assert_eq!(a["compare"]["change"]["total"], json!(march - feb));
    assert_eq!(a["compare"]["change"]["by_class"]["环境卫生"], json!(march - feb));
    assert_eq!(a["incidents"]["weekly"].as_array().map(|w| w[0]["week"].clone()), Some(json!("2026-W09")));
}

#[tokio::test]
async fn a_street_drawing_over_the_district_counts_only_its_street() {
    let s = state();
    let d = s.dataset();
    let street = (0..d.hierarchy.len()).find(|&i| d.hierarchy.units[i].level.0 == "street").expect("a street");
    let id = d.hierarchy.units[street].id.0.clone();
    let app = as_street(&s, &id);
    let b = d.bounds().expect("bounds");
    let whole = geo::Rect::new(b.min(), b.max()).to_polygon();
    let a = query(&app, &json!({"geometry": geojson(&whole)})).await;
    let j = Jurisdiction::of(&d, Some(&id));
    let mine = (0..d.buildings.len()).filter(|&i| j.building(&d, i)).count();
    let panel = get(&router(s.clone()), &format!("/api/units/{id}")).await;
    assert_eq!(a["buildings"], json!(mine));
    assert_eq!(a["households"], panel["households"]);
    assert_eq!(a["population"], panel["population"]);
    let cams = (0..d.cameras.len()).filter(|&c| j.camera(&d, c)).count();
    assert_eq!(a["cameras"]["count"], json!(cams));
    let incidents = (0..d.incidents.len()).filter(|&n| j.incident(&d, n)).count();
    assert_eq!(a["incidents"]["total"], json!(incidents));
    let area = a["area"]["area_m2"].as_f64().expect("area");
    assert!((area - d.unit_area_m2[street]).abs() < 1e-3 * d.unit_area_m2[street], "{area} vs {}", d.unit_area_m2[street]);
    // a sibling street is 403, an unknown unit 404
    let other = (0..d.hierarchy.len()).find(|&i| d.hierarchy.units[i].level.0 == "street" && i != street).expect("sibling");
    let (st, _, body) = post(&app, "/api/query/area", &json!({"unit": d.hierarchy.units[other].id.0})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&body));
    let (st, _, _) = post(&app, "/api/query/area", &json!({"unit": "no-such-unit"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(d.hierarchy.get(&UnitId(id)).is_some());
}

#[tokio::test]
async fn bad_bodies_are_400_with_the_reason() {
    let s = state();
    let app = router(s.clone());
    let d = s.dataset();
    let b = d.bounds().expect("bounds");
    let c = b.center();
    let many: Vec<[f64; 2]> = (0..=10_001)
        .map(|k| {
            let a = k as f64 / 10_001.0 * std::f64::consts::TAU;
            [c.x + 0.001 * a.cos(), c.y + 0.001 * a.sin()]
        })
        .collect();
    let huge = json!({"type": "Polygon", "coordinates": [[[100.0, 20.0], [140.0, 20.0], [140.0, 50.0], [100.0, 50.0], [100.0, 20.0]]]});
    let bow = json!({"type": "Polygon", "coordinates": [[[c.x, c.y], [c.x + 0.01, c.y + 0.01], [c.x + 0.01, c.y], [c.x, c.y + 0.01], [c.x, c.y]]]});
    let sq = json!({"type": "Polygon", "coordinates": [[[c.x, c.y], [c.x + 0.01, c.y], [c.x + 0.01, c.y + 0.01], [c.x, c.y + 0.01], [c.x, c.y]]]});
    let cases = [
        ("/api/query/area", json!({"geometry": {"type": "Point", "coordinates": [c.x, c.y]}}), "Polygon or MultiPolygon"),
        ("/api/query/area", json!({"geometry": bow}), "self-intersection"),
        ("/api/query/area", json!({"geometry": {"type": "Polygon", "coordinates": [many]}}), "10002 vertices"),
        ("/api/query/area", json!({"geometry": huge}), "far more than the district"),
        ("/api/query/area", json!({}), "give geometry"),
        ("/api/query/area", json!({"geometry": sq, "unit": "x"}), "not both"),
        ("/api/query/area", json!({"geometry": sq, "period": {"from": "yesterday"}}), "period.from"),
        ("/api/query/area", json!({"geometry": sq, "compare": {"from": "2026-03-02", "to": "2026-03-01"}}), "from must be before to"),
        ("/api/query/area", json!({"geometry": sq, "colour": "red"}), "unknown field"),
        ("/api/query/area", json!({"geometry": {"type": "Polygon", "coordinates": [[[c.x, c.y], [c.x, c.y]]]}}), "too short"),
        ("/api/query/area?table=roads&format=csv", json!({"geometry": sq}), "table \"roads\""),
        ("/api/query/area?table=buildings&format=shp", json!({"geometry": sq}), "format \"shp\""),
    ];
    for (uri, body, reason) in cases {
        let (st, _, b) = post(&app, uri, &body).await;
        let text = String::from_utf8_lossy(&b);
        assert_eq!(st, StatusCode::BAD_REQUEST, "{uri} {text}");
        let v: Value = serde_json::from_slice(&b).expect("json");
        let text = v["message"].as_str().unwrap_or_default();
        assert!(text.contains(reason), "{uri}: want {reason:?} in {text}");
    }
}

/// The GeoParquet `geo` metadata of a file, read by DuckDB.
fn geo_metadata(path: &std::path::Path) -> Value {
    let conn = duckdb::Connection::open_in_memory().expect("duckdb");
    let sql = format!("SELECT decode(value) FROM parquet_kv_metadata('{}') WHERE decode(key) = 'geo'", path.display());
    let text: String = conn.query_row(&sql, [], |r| r.get(0)).expect("a geo key");
    serde_json::from_str(&text).expect("json")
}

fn python_has_geopandas() -> bool {
    std::process::Command::new("python3")
        .args(["-c", "import geopandas, duckdb, duckdb_extension_spatial, pyarrow"])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn exports_carry_the_rows_and_columns() {
    let s = state();
    let app = router(s.clone());
    let d = s.dataset();
    let body = json!({"geometry": geojson(&slanted(&d))});
    let a = query(&app, &body).await;
    let dir = tempfile::tempdir().expect("dir");
    let geopandas = python_has_geopandas();
    let tables = [
        ("buildings", a["buildings"].as_u64(), "id,unit,households,population,floors,height_m,uncovered,generated", "MultiPolygon"),
        (
            "uncovered",
            a["uncovered"]["buildings"].as_u64(),
            "id,unit,households,population,floors,height_m,uncovered,generated",
            "MultiPolygon",
        ),
        ("cameras", a["cameras"]["count"].as_u64(), "id,unit,kind,heading_deg,fov_deg,range_m,height_m,generated", "Point"),
        ("incidents", a["incidents"]["total"].as_u64(), "id,category,status,occurred_at,live", "Point"),
        ("by_class", a["incidents"]["by_class"].as_object().map(|m| m.len() as u64), "class,count", "MultiPolygon"),
        ("weekly", a["incidents"]["weekly"].as_array().map(|w| w.len() as u64), "week,from,count", "MultiPolygon"),
    ];
    for (table, rows, cols, gtype) in tables {
        let rows = rows.expect("a count");
        assert!(rows > 0, "{table}");
        // CSV: the header, then one line per row
        let (st, h, b) = post(&app, &format!("/api/query/area?table={table}&format=csv"), &body).await;
        assert_eq!(st, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
        let disp = h.get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(disp, format!("attachment; filename=\"area-drawn-{table}.csv\""));
        let mut r = csv::Reader::from_reader(b.as_slice());
        let header: Vec<String> = r.headers().expect("header").iter().map(str::to_owned).collect();
        assert_eq!(header.join(","), format!("{cols},lon,lat"), "{table}");
        assert_eq!(r.records().count() as u64, rows, "{table} csv");
        // GeoJSON: one feature per row with the columns as properties
        let (st, _, b) = post(&app, &format!("/api/query/area?table={table}&format=geojson"), &body).await;
        assert_eq!(st, StatusCode::OK);
        let fc: Value = serde_json::from_slice(&b).expect("geojson");
        let features = fc["features"].as_array().expect("features");
        assert_eq!(features.len() as u64, rows, "{table} geojson");
        assert_eq!(features[0]["geometry"]["type"], json!(gtype));
        for c in cols.split(',') {
            assert!(features[0]["properties"].get(c).is_some(), "{table}: {c}");
        }
        // GeoParquet: the metadata checked here, the file opened by GeoPandas and DuckDB spatial when present
        let (st, h, b) = post(&app, &format!("/api/query/area?table={table}&format=geoparquet"), &body).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()), Some("application/vnd.apache.parquet"));
        let f = dir.path().join(format!("{table}.parquet"));
        std::fs::write(&f, &b).expect("write");
        let geo = geo_metadata(&f);
        assert_eq!(geo["version"], "1.1.0");
        assert_eq!(geo["primary_column"], "geometry");
        assert_eq!(geo["columns"]["geometry"]["encoding"], "WKB");
        assert_eq!(geo["columns"]["geometry"]["geometry_types"], json!([gtype]));
        assert!(geo["columns"]["geometry"].get("crs").is_none(), "no crs: OGC:CRS84");
        let bbox = geo["columns"]["geometry"]["bbox"].as_array().expect("bbox");
        assert!(bbox.len() == 4 && bbox[0].as_f64() < bbox[2].as_f64());
        let conn = duckdb::Connection::open_in_memory().expect("duckdb");
        // the bytes as written (the bundled DuckDB has no spatial extension to convert them)
        conn.execute_batch("SET enable_geoparquet_conversion = false").expect("setting");
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM read_parquet('{}')", f.display()), [], |r| r.get(0)).expect("count");
        assert_eq!(n as u64, rows, "{table} parquet");
        if geopandas {
            let out = std::process::Command::new("python3")
                .arg(common::repo("benches/oracles/geoparquet_check.py"))
                .args([f.display().to_string(), rows.to_string(), cols.to_owned(), gtype.to_owned()])
                .output()
                .expect("python3");
            assert!(out.status.success(), "{table}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        }
    }
    // a unit's file is named after it
    let id = &d.hierarchy.units[d.hierarchy.len() - 1].id.0;
    let (st, h, _) = post(&app, "/api/query/area?table=cameras&format=geojson", &json!({"unit": id})).await;
    assert_eq!(st, StatusCode::OK);
    let disp = h.get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(disp.contains(&format!("area-{id}-cameras.geojson")), "{disp}");
}
