//! The HTTP API in-process (tower oneshot) on 市南区 with generated layers.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use wangge::http::{AppState, app as router};

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app
        .clone()
        .oneshot(Request::get(uri).header(header::HOST, "127.0.0.1:8080").body(Body::empty()).expect("req"))
        .await
        .expect("resp");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.expect("body").to_bytes().to_vec();
    (status, headers, body)
}

async fn json(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let (s, _, b) = get(app, uri).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn app() -> (axum::Router, std::sync::Arc<AppState>) {
    let state = AppState::new(common::demo_dataset(), common::repo("web"));
    (router(state.clone()), state)
}

#[tokio::test]
async fn health_layers_and_units() {
    let (app, state) = app();
    let (s, v) = json(&app, "/health").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "ok");
    let (s, v) = json(&app, "/api/layers").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["levels"], serde_json::json!(["district", "street", "community", "grid"]));
    let units = v["layers"].as_array().expect("layers").iter().find(|l| l["name"] == "units").expect("units").clone();
    assert_eq!(units["generated"], true);
    let d = state.data.read().expect("lock").clone();
    assert_eq!(units["features"], d.hierarchy.len());

    let (s, v) = json(&app, "/api/units?level=street").await;
    assert_eq!(s, StatusCode::OK);
    let streets = v["units"].as_array().expect("units");
    assert_eq!(streets.len(), 11);
    assert!(streets.iter().any(|u| u["name"] == "八大湖街道"));
    assert!(streets.iter().any(|u| u["name"] == "珠海路街道"));
    let (s, v) = json(&app, "/api/units?level=planet").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], "bad_request");
    assert!(v["message"].as_str().expect("msg").contains("unknown level \"planet\""));
}

#[tokio::test]
async fn unit_detail_has_figures_children_and_parent_chain() {
    let (app, state) = app();
    let d = state.data.read().expect("lock").clone();
    // a grid: its figures must equal the buildings assigned to it, counted independently
    let gi = (0..d.hierarchy.len())
        .find(|&i| d.hierarchy.units[i].level.0 == "grid" && d.report.loads[i].buildings > 0)
        .expect("a grid with buildings");
    let gid = d.hierarchy.units[gi].id.0.clone();
    let (mut hh, mut n) = (0u64, 0u64);
    for (b, a) in d.buildings.iter().zip(&d.building_assignment) {
        if a.leaf == Some(gi) {
            hh += u64::from(b.households.unwrap_or(0));
            n += 1;
        }
    }
    let incidents = d.incident_unit.iter().filter(|u| **u == Some(gi)).count();
    let (s, v) = json(&app, &format!("/api/units/{gid}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["households"], hh);
    assert_eq!(v["buildings"], n);
    assert_eq!(v["incidents"], incidents);
    assert_eq!(v["generated"], true);
    let chain: Vec<&str> = v["chain"].as_array().expect("chain").iter().map(|c| c["level"].as_str().expect("level")).collect();
    assert_eq!(chain, ["district", "street", "community"]);
    assert_eq!(v["chain"][0]["name"], "市南区");
    // the district: children are the 11 real streets, and the sea shows as gap
    let (_, v) = json(&app, "/api/units/district-5655440").await;
    assert_eq!(v["children"].as_array().expect("children").len(), 11);
    assert_eq!(v["generated"], false);
    assert!(v["integrity"]["gap_m2"].as_f64().expect("gap") > 4_000_000.0);
    let (s, v) = json(&app, "/api/units/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"], "not_found");
}

#[tokio::test]
async fn features_by_bbox_check_and_errors() {
    let (app, state) = app();
    let d = state.data.read().expect("lock").clone();
    let bbox = "120.36,36.05,120.38,36.07";
    let (s, v) = json(&app, &format!("/api/features/buildings?bbox={bbox}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["type"], "FeatureCollection");
    let r = geo::Rect::new((120.36, 36.05), (120.38, 36.07));
    let brute = d
        .buildings
        .iter()
        .filter(|b| geo::BoundingRect::bounding_rect(&b.footprint).is_some_and(|x| wangge_engine::geometry::index::rects_touch(x, r)))
        .count();
    assert_eq!(v["features"].as_array().expect("features").len(), brute);
    assert!(brute > 0);
    let (s, v) = json(&app, "/api/features/incidents?bbox=1,2,3").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().expect("m").contains("bbox"));
    let (s, _) = json(&app, "/api/features/rivers").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = json(&app, "/api/nothing/here").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"], "not_found");
    let (s, v) = json(&app, "/api/check").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["summary"]["gap_m2"].as_f64().expect("gap") > 4_000_000.0);
    let (s, v) = json(&app, "/api/check?format=geojson").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["features"].as_array().expect("f").iter().any(|f| f["properties"]["kind"] == "gap"));
}

#[tokio::test]
async fn tiles_status_codes_etag_and_tilejson() {
    let (app, _) = app();
    let (s, v) = json(&app, "/tiles/units.json?level=grid").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["tilejson"], "3.0.0");
    assert_eq!(v["tiles"][0], "http://127.0.0.1:8080/tiles/units/{z}/{x}/{y}.mvt?level=grid");
    assert_eq!(v["vector_layers"][0]["id"], "units");
    assert!(v["bounds"][0].as_f64().expect("b") > 120.0);
    let (s, _, _) = get(&app, "/tiles/units/3/9/1.mvt").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, b) = get(&app, "/tiles/units/x/1/1.mvt").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&b).contains("bad_tile"));
    let (s, _, _) = get(&app, "/tiles/units/23/0/0.mvt").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // empty ocean tile
    let (s, _, b) = get(&app, "/tiles/units/10/0/0.mvt").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(b.is_empty());
    let (s, _, _) = get(&app, "/tiles/lakes/1/0/0.mvt").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // a tile over 市南区 (z14 x=13669 y=6429 holds 120.36,36.07)
    let (s, h, _) = get(&app, "/tiles/units/14/13669/6429.mvt").await;
    assert_eq!(s, StatusCode::OK);
    let etag = h.get(header::ETAG).expect("etag").to_str().expect("etag").to_owned();
    let resp = app
        .clone()
        .oneshot(Request::get("/tiles/units/14/13669/6429.mvt").header(header::IF_NONE_MATCH, &etag).body(Body::empty()).expect("req"))
        .await
        .expect("resp");
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    // gzip when asked for
    let resp = app
        .clone()
        .oneshot(
            Request::get("/tiles/units/14/13669/6429.mvt").header(header::ACCEPT_ENCODING, "gzip, br").body(Body::empty()).expect("req"),
        )
        .await
        .expect("resp");
    assert_eq!(resp.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().ok()), Some(Some("gzip")));
    let (s, h, b) = get(&app, "/fonts/DejaVu%20Sans/0-255.pbf").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.get(header::CONTENT_TYPE).expect("ct"), "application/x-protobuf");
    assert!(b.len() > 10_000);
}

async fn post(app: &axum::Router, uri: &str, body: &str) -> (StatusCode, Value) {
    send(app, "POST", uri, body).await
}

#[tokio::test]
async fn adjacency_alliances_and_ab_pairs() {
    let (app, _) = app();
    let (_, units) = json(&app, "/api/units?level=community").await;
    let parent: std::collections::HashMap<String, Value> = units["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| (u["id"].as_str().expect("id").to_owned(), u["parent_id"].clone()))
        .collect();
    let (s, v) = json(&app, "/api/adjacency?level=community").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let pairs = v["pairs"].as_array().expect("pairs");
    assert!(pairs.len() > parent.len(), "{} pairs for {} communities", pairs.len(), parent.len());
    assert_eq!(v["counts"]["pairs"].as_u64(), Some(pairs.len() as u64));
    let mut cross = 0;
    for p in pairs {
        let (a, b) = (p["a"].as_str().expect("a"), p["b"].as_str().expect("b"));
        let same = parent[a] == parent[b];
        assert_eq!(p["same_parent"].as_bool(), Some(same), "{p}");
        if same {
            assert_eq!(p["meet_id"], parent[a], "{p}");
        } else {
            cross += 1;
            // communities of different streets meet at the district
            assert_eq!(p["meet_level"], "district", "{p}");
        }
        assert!(p["shared_m"].as_f64().expect("shared") >= 0.0);
    }
    assert!(cross > 0 && v["counts"]["cross_parent"].as_u64() == Some(cross));
    let (s, g) = json(&app, "/api/adjacency?level=community&format=geojson&tolerance=1").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(g["features"][0]["geometry"]["type"], "LineString");
    for bad in
        ["/api/adjacency", "/api/adjacency?level=nope", "/api/adjacency?level=grid&tolerance=-1", "/api/adjacency?level=grid&format=x"]
    {
        let (s, e) = json(&app, bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    }

    // alliances: a partition, deterministic, and the validator agrees with the proposal's figures
    let body = r#"{"level":"grid","min_size":3,"max_size":6,"weight":"households","seed":3}"#;
    let (s, a) = post(&app, "/api/alliances/propose", body).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let (_, again) = post(&app, "/api/alliances/propose", body).await;
    assert_eq!(a["groups"], again["groups"]);
    let groups: Vec<Vec<String>> = a["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["members"].as_array().expect("m").iter().map(|x| x.as_str().expect("id").to_owned()).collect())
        .collect();
    let (_, grids) = json(&app, "/api/units?level=grid").await;
    let all: usize = groups.iter().map(Vec::len).sum();
    assert_eq!(all, grids["units"].as_array().expect("grids").len());
    assert!(a["groups"].as_array().expect("g").iter().all(|g| g["contiguous"] == true));
    let vb = serde_json::json!({"level": "grid", "weight": "households", "groups": groups}).to_string();
    let (s, val) = post(&app, "/api/alliances/validate", &vb).await;
    assert_eq!(s, StatusCode::OK, "{val}");
    assert_eq!(val["max_deviation"], a["max_deviation"]);
    assert_eq!(val["unassigned"].as_array().map(Vec::len), Some(0));
    // a broken alliance: two far-apart grids
    let ids: Vec<&str> = grids["units"].as_array().expect("g").iter().map(|u| u["id"].as_str().expect("id")).collect();
    let vb = serde_json::json!({"level": "grid", "groups": [[ids[0], ids[ids.len() - 1]]]}).to_string();
    let (_, val) = post(&app, "/api/alliances/validate", &vb).await;
    assert_eq!(val["groups"][0]["contiguous"], false);
    assert!(val["problems"].as_array().expect("p").iter().any(|p| p.as_str().is_some_and(|s| s.contains("not contiguous"))));
    let (s, e) = post(&app, "/api/alliances/validate", r#"{"level":"grid","groups":[["no-such-grid"]]}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["message"].as_str().expect("m").contains("no-such-grid"));
    let (s, e) = post(&app, "/api/alliances/propose", r#"{"level":"grid","min_size":5,"max_size":2}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, _) = post(&app, "/api/alliances/propose", r#"{"level":"grid","colour":"red"}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, a) = post(&app, "/api/alliances/propose", r#"{"level":"community","count":6,"geojson":true}"#).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["groups"].as_array().map(Vec::len), Some(6));
    assert!(a["geojson"]["features"].as_array().expect("f").iter().all(|f| f["properties"]["group"].is_u64()));

    // AB pairs: disjoint, within a parent, everyone paired or given a fallback
    let (s, ab) = json(&app, "/api/ab-pairs?level=grid").await;
    assert_eq!(s, StatusCode::OK, "{ab}");
    let mut used = std::collections::HashSet::new();
    for p in ab["pairs"].as_array().expect("pairs") {
        assert_eq!(p["same_parent"], true);
        assert!(used.insert(p["a"].as_str().expect("a").to_owned()) && used.insert(p["b"].as_str().expect("b").to_owned()));
    }
    let unmatched = ab["unmatched"].as_array().expect("unmatched");
    assert_eq!(used.len() + unmatched.len(), ids.len());
    assert!(unmatched.iter().all(|u| ["triple", "cross_parent", "none"].contains(&u["fallback"]["kind"].as_str().expect("kind"))));
    let (_, any) = json(&app, "/api/ab-pairs?level=grid&within=any&weight=closeness").await;
    assert!(any["pairs"].as_array().expect("p").len() >= ab["pairs"].as_array().expect("p").len());
    let (s, _, csv) = get(&app, "/api/ab-pairs?level=grid&format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8_lossy(&csv).starts_with("a,b,shared_m,distance_m,same_parent,fallback"));
    let (s, _) = json(&app, "/api/ab-pairs?level=grid&within=nowhere").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn camera_coverage_gaps_and_siting() {
    let (app, _) = app();
    let (s, top) = json(&app, "/api/coverage/cameras").await;
    assert_eq!(s, StatusCode::OK, "{top}");
    let district = &top["children"][0];
    let share = district["ground_share"].as_f64().expect("share");
    assert!(share > 0.0 && share < 1.0, "{district}");
    let id = district["id"].as_str().expect("id").to_owned();
    let (_, c) = json(&app, &format!("/api/coverage/cameras?unit={id}")).await;
    // the children's figures add up to the parent's (cells never overlap); the parent also holds its gaps
    let kids: f64 = c["children"].as_array().expect("children").iter().map(|k| k["covered_m2"].as_f64().expect("c")).sum();
    assert!(kids <= c["unit"]["covered_m2"].as_f64().expect("c") + 1e-6);
    assert_eq!(
        c["unit"]["cameras"].as_u64(),
        c["children"].as_array().map(|k| k.iter().map(|x| x["cameras"].as_u64().unwrap_or(0)).sum::<u64>())
    );
    // a community: gaps as polygons and as H3 cells
    let (_, units) = json(&app, "/api/units?level=community").await;
    let com = units["units"][0]["id"].as_str().expect("id").to_owned();
    let (s, g) = json(&app, &format!("/api/coverage/gaps?unit={com}&min_area=25")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(g["features"].as_array().expect("f").iter().all(|f| f["properties"]["area_m2"].as_f64().expect("a") >= 25.0));
    let (s, h) = json(&app, &format!("/api/coverage/gaps?unit={com}&format=h3&res=11")).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert!(h["count"].as_u64().expect("n") > 0);
    for bad in
        [format!("/api/coverage/gaps?unit={com}&format=h3&res=3"), "/api/coverage/gaps".into(), "/api/coverage/gaps?unit=nope".into()]
    {
        let (s, _) = json(&app, &bad).await;
        assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND, "{bad}");
    }
    // siting: three domes raise the coverage, gains shrink, every proposal carries its view
    let body = serde_json::json!({"unit": com, "k": 3, "camera": {"fov": 360, "range": 60, "height": 6}, "weights": {"households": 1.0, "incidents": 10.0}});
    let (s, r) = post(&app, "/api/coverage/siting", &body.to_string()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let props = r["proposals"].as_array().expect("proposals");
    assert_eq!(props.len(), 3);
    let gains: Vec<f64> = props.iter().map(|p| p["gain"].as_f64().expect("gain")).collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1] - 1e-9), "{gains:?}");
    assert!(r["after_share"].as_f64().expect("a") > r["before_share"].as_f64().expect("b"));
    assert_eq!(r["geojson"]["features"].as_array().map(Vec::len), Some(6));
    let (s, _) = post(
        &app,
        "/api/coverage/siting",
        &serde_json::json!({"unit": com, "k": 0, "camera": {"fov": 90, "range": 50, "height": 5}}).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

async fn send(app: &axum::Router, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let (status, _, b) = common::send(app, method, uri, body).await;
    (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

#[tokio::test]
async fn camera_edits_recompute_incrementally_and_persist() {
    let store = wangge::store::Store::memory().expect("store");
    let state = AppState::with_store(common::demo_dataset(), common::repo("web"), store).expect("state");
    let app = router(state.clone());
    let d0 = state.data.read().expect("read").clone();
    let cam0 = &d0.cameras[0];
    let (lon, lat) = (cam0.position.x() + 0.0004, cam0.position.y() + 0.0003);
    // a camera-views tile over the new camera, and one far away
    let z = 17u8;
    let (xs, ys) = wangge::tiles::grid::tiles_covering(geo::Rect::new((lon, lat), (lon, lat)), z);
    let near = format!("/tiles/camera_views/{z}/{}/{}.mvt", xs.start(), ys.start());
    let b = d0.bounds().expect("bounds");
    let (fx, fy) = wangge::tiles::grid::tiles_covering(geo::Rect::new(b.min(), b.min()), z);
    let far = format!("/tiles/camera_views/{z}/{}/{}.mvt", fx.start(), fy.start());
    let (_, h_near, body_near) = get(&app, &near).await;
    let (_, h_far, _) = get(&app, &far).await;

    let feature = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"id": "CAM-NEW", "kind": "dome", "fov": 360, "range": 50, "height": 8, "heading": 0}});
    let (s, r) = send(&app, "POST", "/api/cameras", &feature.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["version"], 1, "the edit is a new cameras version in the store");
    assert!(r["touched_cells"].as_u64().expect("cells") > 0);
    let (s, _) = send(&app, "POST", "/api/cameras", &feature.to_string()).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // the incremental state equals a full recomputation
    let d1 = state.data.read().expect("read").clone();
    let full = wangge_engine::cameras::map::CameraCoverage::compute(&d1);
    let inc = d1.coverage.get().expect("coverage");
    for (a, b) in inc.units.iter().zip(&full.units) {
        assert!((a.covered_m2 - b.covered_m2).abs() < 1e-6 * (1.0 + b.covered_m2), "{a:?} vs {b:?}");
        assert!((a.facade_seen_m - b.facade_seen_m).abs() < 1e-6 * (1.0 + b.facade_seen_m));
        assert_eq!((a.cameras, a.buildings_unseen), (b.cameras, b.buildings_unseen));
    }
    // the touched tile changed, the far one is still the cached one
    let (_, h2, body2) = get(&app, &near).await;
    assert_ne!(body2, body_near, "the tile under the new camera changed");
    assert_ne!(h2[header::ETAG], h_near[header::ETAG]);
    let (_, h3, _) = get(&app, &far).await;
    assert_eq!(h3[header::ETAG], h_far[header::ETAG]);
    // move it, then delete it: back to the first figures
    let moved = serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon + 0.0002, lat]},
        "properties": {"kind": "fixed", "fov": 90, "range": 40, "height": 5, "heading": 45}});
    let (s, r) = send(&app, "PUT", "/api/cameras/CAM-NEW", &moved.to_string()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["camera"]["properties"]["kind"], "fixed");
    let (s, _) = send(&app, "PUT", "/api/cameras/NOPE", &moved.to_string()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = send(&app, "POST", "/api/cameras", r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[120.3,36.0]},"properties":{"id":"X","kind":"fixed","fov":-5,"range":40,"height":5,"heading":0}}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["message"].as_str().expect("m").contains("fov"), "{e}");
    let (s, r) = send(&app, "DELETE", "/api/cameras/CAM-NEW", "").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["version"], 3);
    let d3 = state.data.read().expect("read").clone();
    let back = d3.coverage.get().expect("coverage");
    let first = d0.coverage();
    for (a, b) in back.units.iter().zip(&first.units) {
        assert!((a.covered_m2 - b.covered_m2).abs() < 1e-6 * (1.0 + b.covered_m2));
    }
    let (s, _) = json(&app, "/api/cameras/CAM-NEW").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn heatmap_and_hotspots_of_incidents() {
    let (app, state) = app();
    let d = state.data.read().expect("read").clone();
    let (s, all) = json(&app, "/api/heatmap?res=8").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let total: u64 = all["cells"].as_array().expect("cells").iter().map(|c| c["count"].as_u64().expect("n")).sum();
    assert_eq!(total as usize, d.incidents.len());
    assert_eq!(all["generated"], true);
    // a category and a window: the counts add up to the matching incidents
    let cat = d.incidents[0].category.clone();
    let (from, to) =
        (d.incidents.iter().map(|i| i.occurred_at).min().expect("t"), d.incidents.iter().map(|i| i.occurred_at).max().expect("t"));
    let mid = from + (to - from) / 2;
    let want = d.incidents.iter().filter(|i| i.category == cat && i.occurred_at >= mid).count();
    let uri = format!("/api/heatmap?res=9&category={}&from={}", urlencode(&cat), urlencode(&wangge_engine::time::format_time(mid)));
    let (s, v) = json(&app, &uri).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["incidents"].as_u64(), Some(want as u64));
    // cell by cell, the heat index's counts (category, status, window) equal direct counting
    let status = d.incidents[0].status.clone();
    for res in [5u8, 8, 11] {
        let uri = format!(
            "/api/heatmap?res={res}&category={}&status={}&from={}",
            urlencode(&cat),
            urlencode(&status),
            urlencode(&wangge_engine::time::format_time(mid))
        );
        let (s, v) = json(&app, &uri).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let ours: std::collections::BTreeMap<String, u64> = v["cells"]
            .as_array()
            .expect("cells")
            .iter()
            .map(|c| (c["cell"].as_str().expect("cell").to_owned(), c["count"].as_u64().expect("n")))
            .collect();
        let sel = d.incidents.iter().filter(|i| i.category == cat && i.status == status && i.occurred_at >= mid);
        let direct = wangge_engine::incidents::hotspot::counts_by_cell(
            sel.map(|i| (i.position.x(), i.position.y())),
            h3o::Resolution::try_from(res).expect("res"),
        );
        let direct: std::collections::BTreeMap<String, u64> = direct.into_iter().map(|(c, n)| (c.to_string(), n)).collect();
        assert!(!direct.is_empty());
        assert_eq!(ours, direct, "res {res}");
    }
    // a unit filter (counted directly): the incidents of that unit at any level below
    let u = d.hierarchy.units.iter().position(|u| u.parent.is_none()).expect("top unit");
    let want = d.incident_unit.iter().filter(|l| l.is_some_and(|l| d.hierarchy.chain(l).contains(&u))).count();
    let (_, v) = json(&app, &format!("/api/heatmap?res=8&unit={}", urlencode(&d.hierarchy.units[u].id.0))).await;
    assert_eq!(v["incidents"].as_u64(), Some(want as u64));
    let (_, g) = json(&app, "/api/heatmap?res=7&format=geojson").await;
    assert_eq!(g["features"][0]["geometry"]["type"], "Polygon");
    let (s, h) = json(&app, "/api/hotspots?res=9&k=1").await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["generated"], true);
    // the same as vector tiles: every cell once over the tiles covering the data (z 11), counts adding up
    let b = d.bounds().expect("bounds");
    let (xs, ys) = wangge::tiles::grid::tiles_covering(b, 11);
    let mut cells: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for x in xs.clone() {
        for y in ys.clone() {
            let (s, _, body) = get(&app, &format!("/tiles/heatmap/11/{x}/{y}.mvt?res=7")).await;
            if s == StatusCode::NO_CONTENT {
                continue;
            }
            for f in mvt_reader::Reader::new(body).expect("decodes").get_features(0).expect("features") {
                let p = f.properties.expect("props");
                let (Some(mvt_reader::feature::Value::String(c)), Some(n)) = (p.get("cell"), p.get("count")) else { panic!("props") };
                let n = match n {
                    mvt_reader::feature::Value::SInt(n) | mvt_reader::feature::Value::Int(n) => *n,
                    mvt_reader::feature::Value::UInt(n) => *n as i64,
                    other => panic!("count {other:?}"),
                };
                cells.insert(c.clone(), n);
            }
        }
    }
    assert_eq!(cells.values().sum::<i64>() as usize, d.incidents.len());
    let mut hot = std::collections::BTreeSet::new();
    for x in xs.clone() {
        for y in ys.clone() {
            let (s, _, body) = get(&app, &format!("/tiles/hotspots/11/{x}/{y}.mvt?res=9&k=1")).await;
            if s == StatusCode::NO_CONTENT {
                continue;
            }
            for f in mvt_reader::Reader::new(body).expect("decodes").get_features(0).expect("features") {
                let p = f.properties.expect("props");
                if let (Some(mvt_reader::feature::Value::String(c)), Some(mvt_reader::feature::Value::String(k))) =
                    (p.get("cell"), p.get("class"))
                    && k == "hot"
                {
                    hot.insert(c.clone());
                }
            }
        }
    }
    assert_eq!(hot.len() as u64, h["hot"].as_u64().expect("hot"));
    assert!(h["cells"].as_array().expect("cells").iter().all(|c| c["q"].as_f64().expect("q") >= c["p"].as_f64().expect("p") - 1e-12));
    for bad in ["/api/heatmap?res=3", "/api/heatmap?from=yesterday", "/api/hotspots?k=9", "/api/heatmap?unit=nope"] {
        let (s, _) = json(&app, bad).await;
        assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND, "{bad}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test]
async fn unit_incident_trend_and_resolution_levels() {
    let (app, state) = app();
    let d = state.data.read().expect("read").clone();
    let (_, units) = json(&app, "/api/units?level=street").await;
    let id = units["units"][0]["id"].as_str().expect("id").to_owned();
    let (s, v) = json(&app, &format!("/api/units/{id}/incidents?period=week")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let buckets = v["trend"]["buckets"].as_array().expect("buckets");
    let sum: u64 = buckets.iter().map(|b| b["count"].as_u64().expect("n")).sum();
    assert_eq!(sum, v["incidents"].as_u64().expect("n"));
    let i = d.hierarchy.get(&wangge_engine::model::UnitId(id.clone())).expect("unit");
    assert_eq!(sum, d.unit_incidents[i], "the same incidents as the unit's count");
    // weeks start on Monday 00:00 +08:00
    assert!(buckets.iter().all(|b| b["start"].as_str().expect("t").ends_with("T00:00:00+08:00")), "{buckets:?}");
    let r = &v["resolution"];
    let shares = ["share_building_grid", "share_grid", "share_community", "share_above_community"]
        .iter()
        .map(|k| r[*k].as_f64().expect("s"))
        .sum::<f64>();
    assert!(r["resolved"].as_u64().expect("n") > 0 && shares > 0.99 && shares <= 1.0 + 1e-9, "{r}");
    let (_, m) = json(&app, &format!("/api/units/{id}/incidents?period=month")).await;
    assert!(m["trend"]["buckets"].as_array().expect("b").len() <= buckets.len());
    let (s, _) = json(&app, &format!("/api/units/{id}/incidents?period=day")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}
