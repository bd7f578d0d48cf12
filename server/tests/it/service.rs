//! Service life circles (issue 16) through the real router and the real CLI: the demo
//! district with its generated walking network, and central Helsinki's real OSM roads
//! (`tests/fixtures/helsinki`, © OpenStreetMap contributors, ODbL).

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use geo::{BoundingRect, MultiPoint};
use http_body_util::BodyExt;
use mvt_reader::Reader;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::import::Layer;
use wangge_engine::dataset::Dataset;
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::model::Unit;
use wangge_engine::units::integrity::IntegrityConfig;

use crate::cli::{ok, p, wangge};
use crate::common;

const KIND: &str = "党群服务中心";
const KIND_Q: &str = "%E5%85%9A%E7%BE%A4%E6%9C%8D%E5%8A%A1%E4%B8%AD%E5%BF%83";

/// The demo layers plus streets generated along their units' boundaries (as `wangge gen demo` does).
fn demo(with_roads: bool) -> Dataset {
    let mut layers = common::demo_layers();
    if with_roads {
        let units: Vec<Unit> = layers.iter().find_map(|l| if let Layer::Units(u) = l { Some(u.clone()) } else { None }).expect("units");
        let buildings = layers.iter().find_map(|l| if let Layer::Buildings(b) = l { Some(b.clone()) } else { None }).expect("b");
        let of = |l: &str| -> Vec<Unit> { units.iter().filter(|u| u.level.0 == l).cloned().collect() };
        let (streets, communities, grids) = (of("street"), of("community"), of("grid"));
        let roads = wangge_engine::synth::generate_roads(&[&streets, &communities, &grids], &buildings);
        layers.push(Layer::Roads(roads));
    }
    let mut d = Dataset::empty(IntegrityConfig::default());
    for l in layers {
        d.versions.insert(l.kind(), 1);
        d.set(l).expect("valid layer");
    }
    d.rebuild();
    d
}

async fn call(app: &axum::Router, method: Method, uri: &str, body: Option<Value>) -> (StatusCode, Vec<u8>) {
    let b = Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1:8080");
    let req = match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let s = resp.status();
    (s, resp.into_body().collect().await.expect("body").to_bytes().to_vec())
}

async fn get_json(app: &axum::Router, uri: &str) -> Value {
    let (s, b) = call(app, Method::GET, uri, None).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).expect("json")
}

/// Straight-line metres from each building point to the nearest facility of the kind (a lower bound of walking).
fn straight(d: &Dataset, kind: &str) -> Vec<f64> {
    let pts: Vec<geo::Point<f64>> = d.buildings.iter().filter_map(wangge_engine::service::building_point).collect();
    let proj = LocalProjection::for_rect(MultiPoint(pts).bounding_rect().expect("bbox"));
    let fac: Vec<geo::Coord<f64>> = d.facilities.iter().filter(|f| f.kind == kind).map(|f| proj.project(f.position.0)).collect();
    d.buildings
        .iter()
        .map(|b| {
            let c = proj.project(wangge_engine::service::building_point(b).expect("point").0);
            fac.iter().map(|f| (f.x - c.x).hypot(f.y - c.y)).fold(f64::INFINITY, f64::min)
        })
        .collect()
}

#[tokio::test]
async fn coverage_catchments_tiles_and_siting_on_the_demo_network() {
    let d = demo(true);
    let street = d.hierarchy.units.iter().find(|u| u.level.0 == "street").expect("street").id.0.clone();
    let state = wangge::http::AppState::new(d, common::repo("web"));
    let app = wangge::http::app(state.clone());
    let kinds = get_json(&app, "/api/service/kinds").await;
    assert_eq!(kinds["method"], "network", "{kinds}");
    assert!(kinds["kinds"].as_array().expect("kinds").iter().any(|k| k["kind"] == KIND));
    assert!(kinds["network"]["edges"].as_u64().unwrap_or(0) > 1000, "{}", kinds["network"]);

    // per unit: counts grow with the threshold and the outside list is what lies beyond the largest
    let v = get_json(&app, &format!("/api/coverage/service?kind={KIND_Q}&unit={street}")).await;
    assert_eq!((v["method"].as_str(), v["thresholds_m"].clone()), (Some("network"), json!([300.0, 500.0, 1000.0])));
    let u = &v["unit"];
    let within: Vec<u64> = u["within"].as_array().expect("within").iter().map(|w| w["households"].as_u64().expect("n")).collect();
    assert!(within.windows(2).all(|w| w[0] <= w[1]) && within[2] <= u["households"].as_u64().expect("hh"), "{u}");
    let b1000 = u["within"][2]["buildings"].as_u64().expect("b");
    assert_eq!(b1000 + u["outside"].as_array().expect("outside").len() as u64, u["buildings"].as_u64().expect("b"));
    assert!(!v["children"].as_array().expect("children").is_empty());
    // walking is never shorter than the straight line: every outside building is beyond 1000 m or unreached
    let d = state.dataset();
    let line = straight(&d, KIND);
    let index: HashMap<&str, usize> = d.buildings.iter().enumerate().map(|(i, b)| (b.id.as_str(), i)).collect();
    for o in u["outside"].as_array().expect("outside") {
        let i = index[o["id"].as_str().expect("id")];
        if let Some(m) = o["distance_m"].as_f64() {
            assert!(m > 1000.0 && m >= line[i] * 0.99, "{o} straight {}", line[i]);
        }
    }
    let k = state.service.kind(&d, KIND).expect("kind");
    for (i, n) in k.distances.nearest.iter().enumerate() {
        if let Some((_, m)) = n {
            assert!(*m >= line[i] * 0.995 - 0.01, "building {i}: walks {m} m, straight line {}", line[i]);
        }
    }
    // minutes at a speed
    let v = get_json(&app, &format!("/api/coverage/service?kind={KIND_Q}&minutes=5&speed=100")).await;
    assert_eq!((v["thresholds_m"].clone(), v["minutes"].clone()), (json!([500.0]), json!([5.0])));
    for (uri, want) in [
        ("/api/coverage/service".to_owned(), "kind is required"),
        ("/api/coverage/service?kind=nope".to_owned(), "no facilities of kind"),
        (format!("/api/coverage/service?kind={KIND_Q}&threshold=-1"), "threshold -1"),
        (format!("/api/coverage/service?kind={KIND_Q}&unit=no-such-unit"), "no unit"),
    ] {
        let (s, b) = call(&app, Method::GET, &uri, None).await;
        assert!(s.is_client_error() && String::from_utf8_lossy(&b).contains(want), "{uri}: {s} {}", String::from_utf8_lossy(&b));
    }

    // catchments: one feature per threshold, households reached grow with it
    let c = get_json(&app, &format!("/api/catchments?kind={KIND_Q}")).await;
    let f = c["features"].as_array().expect("features");
    assert_eq!((f.len(), c["method"].as_str()), (3, Some("network")));
    let hh: Vec<u64> = f.iter().map(|x| x["properties"]["households"].as_u64().expect("hh")).collect();
    assert!(hh[0] < hh[1] && hh[1] < hh[2], "{hh:?}");

    // tiles: decode the catchments at two thresholds and the gaps over the district
    let (z, x, y) = {
        let f = d.facilities.iter().find(|f| f.kind == KIND).expect("a facility").position.0;
        let (xs, ys) = wangge::tiles::grid::tiles_covering(geo::Rect::new(f, f), 13);
        (13, *xs.start(), *ys.start())
    };
    let mut seen = Vec::new();
    for (layer, t) in [("catchments", 300), ("catchments", 1000), ("service_gaps", 300)] {
        let (s, b) = call(&app, Method::GET, &format!("/tiles/{layer}/{z}/{x}/{y}.mvt?kind={KIND_Q}&threshold={t}"), None).await;
        assert_eq!(s, StatusCode::OK, "{layer} {t}");
        let r = Reader::new(b).expect("decodes");
        assert_eq!(r.get_layer_names().expect("names"), vec![layer.to_owned()]);
        let feats = r.get_features(0).expect("features");
        assert!(!feats.is_empty());
        for f in &feats {
            let props = f.properties.as_ref().expect("props");
            assert_eq!(props.get("threshold_m"), Some(&mvt_reader::feature::Value::Double(f64::from(t))), "{layer}");
        }
        seen.push(format!("{:?}", feats.iter().map(|f| &f.geometry).collect::<Vec<_>>()));
    }
    assert_ne!(seen[0], seen[1], "the threshold changes the catchment tile");
    // and its ETag: MapLibre keeps a reloaded tile's old features when the new URL answers the ETag it holds,
    // so one ETag for both thresholds left the page drawing the old catchments after the threshold switch
    for layer in ["catchments", "service_gaps"] {
        let mut tags = Vec::new();
        for q in ["threshold=300", "threshold=1000", "threshold=1000&res=7"] {
            let uri = format!("/tiles/{layer}/{z}/{x}/{y}.mvt?kind={KIND_Q}&{q}");
            let req = Request::get(&uri).header(header::HOST, "127.0.0.1:8080").body(Body::empty()).expect("request");
            let resp = app.clone().oneshot(req).await.expect("response");
            tags.push(resp.headers().get(header::ETAG).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned());
        }
        assert!(!tags[0].is_empty() && tags[0] != tags[1], "{layer}: one ETag for 300 m and 1000 m: {tags:?}");
        // a parameter the layer ignores (the heat layers' `res`) leaves the tile and its ETag alone
        assert_eq!(tags[1], tags[2], "{layer}");
    }
    // no kind: an empty layer (so a composite of every layer still answers)
    let (s, _) = call(&app, Method::GET, &format!("/tiles/catchments/{z}/{x}/{y}.mvt"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // siting: the picks' gains add up to the change of households within the threshold
    let body = json!({"kind": KIND, "k": 2, "goal": "max_cover", "threshold": 300, "unit": street});
    let (s, b) = call(&app, Method::POST, "/api/coverage/service/siting", Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let r: Value = serde_json::from_slice(&b).expect("json");
    let picks = r["picks"].as_array().expect("picks");
    assert_eq!(picks.len(), 2, "{r}");
    let gained: u64 = picks.iter().map(|p| p["gain_households"].as_u64().expect("gain")).sum();
    let (before, after) = (r["before"]["households_within"].as_u64().expect("b"), r["after"]["households_within"].as_u64().expect("a"));
    assert!(gained > 0 && after == before + gained, "{r}");
    assert_eq!(r["geojson"]["features"].as_array().map(Vec::len), Some(2));
    for bad in [
        json!({"kind": KIND, "k": 0}),
        json!({"kind": KIND, "k": 1, "candidates": ["no-such-building"]}),
        json!({"kind": KIND, "k": 1, "x": 1}),
    ] {
        let (s, _) = call(&app, Method::POST, "/api/coverage/service/siting", Some(bad.clone())).await;
        assert!(s.is_client_error(), "{bad}: {s}");
    }
}

/// Siting at network nodes for a unit picks nodes inside that unit. The demo's streets run along the
/// unit borders, so without the restriction the best node for a community's homes was often a
/// neighbour's (10 of 28 picks over 10 communities lay outside, some 50–80 m beyond the border).
#[tokio::test]
async fn siting_at_nodes_stays_inside_the_unit() {
    use geo::Intersects;
    let state = wangge::http::AppState::new(demo(true), common::repo("web"));
    let app = wangge::http::app(state.clone());
    let d = state.dataset();
    let communities: Vec<(String, geo::MultiPolygon<f64>)> =
        d.hierarchy.units.iter().filter(|u| u.level.0 == "community").take(10).map(|u| (u.id.0.clone(), u.geometry.clone())).collect();
    assert_eq!(communities.len(), 10);
    let mut picks = 0;
    for (id, geometry) in &communities {
        for candidates in [json!("nodes"), Value::Null] {
            let mut body = json!({"kind": KIND, "k": 3, "goal": "max_cover", "threshold": 300, "unit": id});
            if !candidates.is_null() {
                body["candidates"] = candidates;
            }
            let (s, b) = call(&app, Method::POST, "/api/coverage/service/siting", Some(body)).await;
            assert_eq!(s, StatusCode::OK, "{id}: {}", String::from_utf8_lossy(&b));
            let r: Value = serde_json::from_slice(&b).expect("json");
            for p in r["picks"].as_array().expect("picks") {
                let (x, y) = (p["lon"].as_f64().expect("lon"), p["lat"].as_f64().expect("lat"));
                // on the border counts as inside; 1e-9° (0.1 mm) of slack for the JSON round trip (serde_json's
                // parser may be 1 ulp off, and the demo's nodes lie on unit borders); outside picks were 50–80 m out
                let at = geo::Rect::new((x - 1e-9, y - 1e-9), (x + 1e-9, y + 1e-9));
                assert!(geometry.intersects(&at), "{id}: pick {p} lies outside the unit");
                picks += 1;
            }
        }
    }
    assert!(picks >= 20, "only {picks} picks checked");
}

#[tokio::test]
async fn without_roads_every_answer_says_straight_line() {
    let app = wangge::http::app(wangge::http::AppState::new(demo(false), common::repo("web")));
    let v = get_json(&app, &format!("/api/coverage/service?kind={KIND_Q}&threshold=500")).await;
    assert_eq!((v["method"].as_str(), v["detour"].as_f64()), (Some("straight_line"), Some(1.3)), "{v}");
    let c = get_json(&app, &format!("/api/catchments?kind={KIND_Q}&threshold=500")).await;
    assert_eq!(c["method"], "straight_line");
    let (s, b) =
        call(&app, Method::POST, "/api/coverage/service/siting", Some(json!({"kind": KIND, "k": 1, "candidates": "buildings"}))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(serde_json::from_slice::<Value>(&b).expect("json")["method"], "straight_line");
}

#[test]
fn cli_on_helsinki_real_roads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("h.duckdb");
    for (layer, file) in [("buildings", "buildings.geojson"), ("facilities", "facilities.geojson"), ("roads", "roads.geojson")] {
        ok(&wangge(&["import", "--db", p(&db), "--layer", layer, p(&common::fixture(&format!("helsinki/{file}")))]));
    }
    let csv = dir.path().join("cafe.csv");
    let s = ok(&wangge(&["service", "--db", p(&db), "--kind", "amenity=cafe", "--out", p(&csv)]));
    assert!(s.contains("along the walking network"), "{s}");
    let text = std::fs::read_to_string(&csv).expect("csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("building_id,facility_id,distance_m"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // every building once; a reached one names a cafe and a distance no shorter than the straight line
    let d = {
        let store = wangge::store::Store::open(&db).expect("open");
        wangge::state::load(&store, Default::default()).expect("load")
    };
    assert_eq!(rows.len(), d.buildings.len());
    let cafes: std::collections::HashSet<&str> = d.facilities.iter().filter(|f| f.kind == "amenity=cafe").map(|f| f.id.as_str()).collect();
    let line = straight(&d, "amenity=cafe");
    let mut reached = 0;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r[0], d.buildings[i].id);
        match (r[1], r[2]) {
            ("", "") => {}
            (f, m) => {
                reached += 1;
                assert!(cafes.contains(f), "{r:?}");
                let m: f64 = m.parse().expect("metres");
                assert!(m >= line[i] * 0.99 - 0.1, "{r:?}: straight line {}", line[i]);
            }
        }
    }
    assert!(reached * 10 > rows.len() * 9, "{reached} of {} reached", rows.len());
    // GeoJSON: the buildings with the same figures and the method
    let gj = dir.path().join("cafe.geojson");
    ok(&wangge(&["service", "--db", p(&db), "--kind", "amenity=cafe", "--threshold", "300", "--out", p(&gj)]));
    let v: Value = serde_json::from_slice(&std::fs::read(&gj).expect("read")).expect("json");
    assert_eq!((v["method"].as_str(), v["features"].as_array().map(Vec::len)), (Some("network"), Some(d.buildings.len())));
    let bad = wangge(&["service", "--db", p(&db), "--kind", "amenity=nothing", "--out", p(&csv)]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("amenity=cafe"));
}

#[test]
fn cli_on_the_demo_per_unit_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out_dir, db) = (dir.path().join("gen"), dir.path().join("d.duckdb"));
    let admin = common::repo("data/shinan/admin.geojson");
    ok(&wangge(&["gen", "demo", "--admin", p(&admin), "--out", p(&out_dir), "--split", "2,2,2", "--incidents", "10"]));
    ok(&wangge(&["import", "--db", p(&db), "--layer", "units", p(&admin), p(&out_dir.join("units.geojson"))]));
    for l in ["buildings", "facilities", "roads"] {
        ok(&wangge(&["import", "--db", p(&db), "--layer", l, p(&out_dir.join(format!("{l}.geojson")))]));
    }
    let out = dir.path().join("s.json");
    let s = ok(&wangge(&["service", "--db", p(&db), "--kind", KIND, "--unit", "street-16868580", "--minutes", "5,10", "--out", p(&out)]));
    assert!(s.contains("along the walking network"), "{s}");
    let v: Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    assert_eq!((v["method"].as_str(), v["thresholds_m"].clone()), (Some("network"), json!([400.0, 800.0])));
    let units = v["units"].as_array().expect("units");
    assert_eq!(units[0]["id"], "street-16868580");
    assert!(units.len() > 4 && units.iter().all(|u| u["within"][0]["buildings"].as_u64() <= u["within"][1]["buildings"].as_u64()));
    let bad = wangge(&["service", "--db", p(&db), "--kind", KIND, "--unit", "nope", "--out", p(&out)]);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("no unit with id nope"));
}
