//! Incident intake and lifecycle over HTTP: validation, unit assignment,
//! idempotent retries, durable writes, allowed and forbidden transitions,
//! concurrent transitions (one wins), and the event stream.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::{AppState, app as router};

async fn call(app: &axum::Router, method: &str, uri: &str, body: Value, key: Option<&str>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut r =
        Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1").header(header::CONTENT_TYPE, "application/json");
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let resp = app.clone().oneshot(r.body(Body::from(body.to_string())).expect("req")).await.expect("resp");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let b = resp.into_body().collect().await.expect("body").to_bytes();
    (status, headers, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// The next frame of the event stream as text, within 2 s.
async fn next_frame(body: &mut Body, waiting_for: &str) -> String {
    let frame = tokio::time::timeout(std::time::Duration::from_secs(2), body.frame())
        .await
        .unwrap_or_else(|_| panic!("{waiting_for} within 2 s"))
        .expect("frame")
        .expect("ok");
    String::from_utf8_lossy(frame.data_ref().expect("data")).into_owned()
}

/// The data of the first server-sent event of each kind (others skipped), each within 2 s.
async fn first_events(body: &mut Body, kinds: &[&str]) -> std::collections::HashMap<String, String> {
    let mut got = std::collections::HashMap::new();
    while got.len() < kinds.len() {
        let text = next_frame(body, &format!("events {kinds:?}; got {got:?}")).await;
        for k in kinds {
            if text.contains(&format!("event: {k}\n")) && !got.contains_key(*k) {
                got.insert((*k).to_owned(), text.lines().filter_map(|l| l.strip_prefix("data: ")).collect::<Vec<_>>().join("\n"));
            }
        }
    }
    got
}

/// The data of the next server-sent event of a kind (others skipped), within 2 s.
async fn next_event(body: &mut Body, kind: &str) -> String {
    loop {
        let text = next_frame(body, &format!("a {kind} event")).await;
        if text.contains(&format!("event: {kind}\n")) {
            return text.lines().filter_map(|l| l.strip_prefix("data: ")).collect::<Vec<_>>().join("\n");
        }
    }
}

#[tokio::test]
async fn intake_lifecycle_and_stream() {
    let store = wangge::store::Store::memory().expect("store");
    let d = common::demo_dataset();
    let b = d.buildings[7].footprint.0[0].exterior().0[0];
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    let app = router(state.clone());

    // subscribe to the stream first
    let sse = app
        .clone()
        .oneshot(Request::get("/api/stream").header(header::HOST, "127.0.0.1").body(Body::empty()).expect("req"))
        .await
        .expect("sse");
    assert_eq!(sse.status(), StatusCode::OK);
    let mut sse_body = sse.into_body();

    let new = json!({"lon": b.x + 0.00001, "lat": b.y + 0.00001, "category": "环境卫生", "item": "垃圾堆放", "reporter": "网格员 李四"});
    let (s, h, v) = call(&app, "POST", "/api/incidents", new.clone(), Some("k-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(h.get("idempotent-replayed").is_none());
    let id = v["id"].as_str().expect("id").to_owned();
    assert_eq!(v["status"], "reported");
    assert_eq!(v["units"][0], "district-5655440", "assigned from the district down: {v}");
    assert!(v["units"].as_array().expect("units").len() >= 4);
    // the stream opened with the KPI figures, then delivers the incident
    let got = first_events(&mut sse_body, &["kpi", "incident"]).await;
    assert!(got["kpi"].contains("\"open\":"), "{got:?}");
    assert!(got["incident"].contains(&id), "{got:?}");
    // a retry with the same key: the same incident, not a second one
    let (s, h, again) = call(&app, "POST", "/api/incidents", new.clone(), Some("k-1")).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.get("idempotent-replayed").and_then(|x| x.to_str().ok()), Some("true"));
    assert_eq!(again["id"], v["id"]);
    {
        let st = state.store.as_ref().expect("store").lock().expect("lock");
        let n = st.row_counts().expect("counts")["live_incidents"];
        assert_eq!(n, 1, "stored once, before the 201");
    }
    // bad input names the problem
    for (body, want) in [
        (json!({"lon": 500, "lat": 36, "category": "环境卫生"}), "lon/lat"),
        (json!({"lon": 120.3, "lat": 36, "category": "天气"}), "not in the taxonomy"),
        (json!({"lon": 120.3, "lat": 36, "category": "环境卫生", "item": "地震"}), "not an item"),
        (json!({"lon": 120.3, "lat": 36, "category": "环境卫生", "occurred_at": "yesterday"}), "occurred_at"),
    ] {
        let (s, _, e) = call(&app, "POST", "/api/incidents", body, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(e["message"].as_str().expect("m").contains(want), "{e}");
    }

    // lifecycle: forbidden steps get 409 naming the allowed ones; missing fields 400
    let tu = format!("/api/incidents/{id}/transitions");
    let (s, _, e) = call(&app, "POST", &tu, json!({"to": "evaluated", "actor": "a"}), None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(e["message"].as_str().expect("m").contains("called, dispatched, resolved"), "{e}");
    let (s, _, _) = call(&app, "POST", &tu, json!({"to": "dispatched", "actor": "a", "level": "community"}), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a dispatch needs departments");
    let (s, _, v) = call(&app, "POST", &tu, json!({"to": "called", "actor": "社区 王五"}), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // two concurrent dispatches from "called": exactly one wins
    let body = json!({"from": "called", "to": "dispatched", "actor": "街道", "level": "community", "departments": ["城管执法"]});
    let (a, b2) = tokio::join!(call(&app, "POST", &tu, body.clone(), None), call(&app, "POST", &tu, body.clone(), None));
    let mut codes = [a.0, b2.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT]);
    for step in [
        json!({"to": "in_progress", "actor": "城管执法"}),
        json!({"to": "resolved", "actor": "城管执法", "level": "community"}),
        json!({"to": "evaluated", "actor": "居民", "satisfaction": 5, "score": 95}),
    ] {
        let (s, _, v) = call(&app, "POST", &tu, step, None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, _, v) = call(&app, "GET", &format!("/api/incidents/{id}"), Value::Null, None).await;
    assert_eq!(v["status"], "evaluated");
    assert_eq!(v["resolved_level"], "community");
    assert_eq!(v["transitions"].as_array().map(Vec::len), Some(5));
    assert_eq!(v["allowed_next"].as_array().map(Vec::len), Some(0));
    let (_, _, l) = call(&app, "GET", "/api/incidents?status=evaluated", Value::Null, None).await;
    assert_eq!(l["count"], 1);
    // the KPI figures follow on the stream and at /api/kpi: resolved at community level, satisfaction 5
    loop {
        let k = next_event(&mut sse_body, "kpi").await;
        let k: Value = serde_json::from_str(k.trim_start_matches(|c| c != '{').trim_end()).expect("kpi json");
        if k["by_status"]["evaluated"] == 1 {
            assert_eq!(k["open"], 0);
            assert_eq!(k["share_community"], 1.0);
            assert_eq!(k["satisfaction_mean"], 5.0);
            break;
        }
    }
    let (_, _, k) = call(&app, "GET", "/api/kpi", Value::Null, None).await;
    assert_eq!((k["incidents"].as_u64(), k["resolved_by_level"]["community"].as_u64()), (Some(1), Some(1)), "{k}");

    // everything acknowledged is in the store: a fresh load sees it
    let store = state.store.clone().expect("store");
    let tax = wangge_engine::incidents::taxonomy::Taxonomy::parse(wangge::live::DEFAULT_TAXONOMY).expect("taxonomy");
    let again = wangge::live::Live::load(store, tax).expect("load");
    let all = again.all_where(|_| true).expect("all");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].transitions.len(), 5);
    assert_eq!(all[0].status.as_str(), "evaluated");
}

#[tokio::test]
async fn a_sensor_past_its_threshold_opens_an_incident() {
    let store = wangge::store::Store::memory().expect("store");
    let d = common::demo_dataset();
    let c = d.buildings[3].footprint.0[0].exterior().0[0];
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    let app = router(state.clone());
    let (s, _, v) =
        call(&app, "POST", "/api/sensors", json!({"id": "GAS-1", "kind": "gas", "lon": c.x, "lat": c.y, "name": "燃气探头"}), None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _, e) = call(&app, "POST", "/api/sensors", json!({"id": "X", "kind": "radon", "lon": c.x, "lat": c.y}), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["message"].as_str().expect("m").contains("gas"), "{e}");
    // normal reading: nothing opens
    let (s, _, v) = call(&app, "POST", "/api/sensors/GAS-1/readings", json!({"value": 3.0}), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["opened_incident"], Value::Null);
    assert_eq!(v["sensor"]["alarm"], false);
    // past the threshold: an incident of the configured class, assigned to its units
    let (_, _, v) =
        call(&app, "POST", "/api/sensors/GAS-1/readings", json!({"value": 35.0, "at": "2026-11-20T10:00:00+08:00"}), None).await;
    let id = v["opened_incident"].as_str().expect("an incident").to_owned();
    assert_eq!(v["sensor"]["alarm"], true);
    let (_, _, inc) = call(&app, "GET", &format!("/api/incidents/{id}"), Value::Null, None).await;
    assert_eq!(inc["category"], "安全生产");
    assert!(inc["note"].as_str().expect("note").contains("above 20"), "{inc}");
    assert!(!inc["units"].as_array().expect("units").is_empty());
    // still alarming while that incident is open: no second incident
    let (_, _, v) = call(&app, "POST", "/api/sensors/GAS-1/readings", json!({"value": 40.0}), None).await;
    assert_eq!(v["opened_incident"], Value::Null);
    assert_eq!(state.live.len(), 1);
    let (s, _, _) = call(&app, "POST", "/api/sensors/NOPE/readings", json!({"value": 1.0}), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, _, l) = call(&app, "GET", "/api/sensors", Value::Null, None).await;
    assert_eq!(l["sensors"][0]["incident"]["id"], id.as_str());
}

async fn send_text(
    app: &axum::Router,
    uri: &str,
    ctype: &str,
    body: String,
    key: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut r = Request::builder().method("POST").uri(uri).header(header::HOST, "127.0.0.1").header(header::CONTENT_TYPE, ctype);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let resp = app.clone().oneshot(r.body(Body::from(body)).expect("req")).await.expect("resp");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let b = resp.into_body().collect().await.expect("body").to_bytes();
    (status, headers, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

#[tokio::test]
async fn bulk_import_enters_the_lifecycle_all_or_nothing() {
    let store = wangge::store::Store::memory().expect("store");
    let d = common::demo_dataset();
    let pts: Vec<(f64, f64)> =
        d.buildings.iter().take(40).map(|b| b.footprint.0[0].exterior().0[0]).map(|c| (c.x + 1e-5, c.y + 1e-5)).collect();
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    let app = router(state.clone());
    let csv = |rows: &[(usize, &str, &str)]| {
        let mut t = String::from("id,lon,lat,category,item,occurred_at,status,reporter\n");
        for &(n, cat, status) in rows {
            let (x, y) = pts[n];
            t.push_str(&format!("B-{n},{x},{y},{cat},,2026-11-0{}T08:00:00+08:00,{status},热线\n", 1 + n % 9));
        }
        t
    };
    // a bad row (category not in the taxonomy) and a bad status: nothing imported, both named
    let bad = csv(&[(0, "环境卫生", "reported"), (1, "天气", "reported"), (2, "环境卫生", "lost")]);
    let (s, _, e) = send_text(&app, "/api/incidents/bulk", "text/csv", bad, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let m = e["message"].as_str().expect("m");
    assert!(m.contains("B-1") && m.contains("天气") && m.contains("B-2") && m.contains("lost"), "{m}");
    assert_eq!(state.live.len(), 0);
    // a bad position: the importer's message names the feature
    let (s, _, e) = send_text(
        &app,
        "/api/incidents/bulk",
        "text/csv",
        "id,lon,lat,category,occurred_at\nX,500,36,环境卫生,2026-11-01T08:00:00+08:00\n".into(),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(e["message"].as_str().expect("m").contains("X"), "{e}");
    // 30 good rows, some already dispatched
    let rows: Vec<(usize, &str, &str)> =
        (0..30).map(|n| (n, if n % 2 == 0 { "环境卫生" } else { "市容秩序" }, if n < 25 { "reported" } else { "dispatched" })).collect();
    let (s, h, v) = send_text(&app, "/api/incidents/bulk", "text/csv", csv(&rows), Some("bulk-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert!(h.get("idempotent-replayed").is_none());
    assert_eq!(v["imported"], 30);
    // a retry with the key: the same answer, nothing twice
    let (s, h, again) = send_text(&app, "/api/incidents/bulk", "text/csv", csv(&rows), Some("bulk-1")).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.get("idempotent-replayed").and_then(|x| x.to_str().ok()), Some("true"));
    assert_eq!(again["ids"], v["ids"]);
    assert_eq!(state.live.len(), 30);
    // the same ids without the key: 409, nothing imported
    let (s, _, e) = send_text(&app, "/api/incidents/bulk", "text/csv", csv(&rows[..3]), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["message"].as_str().expect("m").contains("B-0"), "{e}");
    // each is assigned to its units and takes lifecycle steps from its status
    let (_, _, one) = call(&app, "GET", "/api/incidents/B-3", Value::Null, None).await;
    assert!(one["units"].as_array().expect("units").len() >= 4, "{one}");
    assert_eq!(one["reporter"], "热线");
    let (s, _, v) = call(&app, "POST", "/api/incidents/B-26/transitions", json!({"to": "in_progress", "actor": "城管执法"}), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, _) = call(&app, "POST", "/api/incidents/B-4/transitions", json!({"to": "in_progress", "actor": "城管执法"}), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "reported cannot go to in progress");
    // GeoJSON too, with the coordinates converted from GCJ-02 when told
    let (x, y) = pts[35];
    let (gx, gy) = wangge_engine::geometry::crs::wgs84_to_gcj02(x, y);
    let gj = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [gx, gy]},
        "properties": {"id": "G-1", "category": "环境卫生", "occurred_at": "2026-11-05T09:00:00+08:00"}}]});
    let (s, _, v) = send_text(&app, "/api/incidents/bulk?crs=gcj02", "application/geo+json", gj.to_string(), None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, _, g) = call(&app, "GET", "/api/incidents/G-1", Value::Null, None).await;
    assert!((g["lon"].as_f64().expect("lon") - x).abs() < 1e-6 && (g["lat"].as_f64().expect("lat") - y).abs() < 1e-6, "{g}");
    // durable: a fresh load sees all 31
    let store = state.store.clone().expect("store");
    let tax = wangge_engine::incidents::taxonomy::Taxonomy::parse(wangge::live::DEFAULT_TAXONOMY).expect("taxonomy");
    assert_eq!(wangge::live::Live::load(store, tax).expect("load").len(), 31);
}

#[tokio::test]
async fn a_restart_from_the_store_file_keeps_incidents_steps_and_sensors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.duckdb");
    let d = common::demo_dataset();
    let b = d.buildings[5].footprint.0[0].exterior().0[0];
    let before = {
        let state = AppState::with_store(d.clone(), common::repo("web"), wangge::store::Store::open(&db).expect("open")).expect("state");
        let app = router(state.clone());
        let (s, _, v) =
            call(&app, "POST", "/api/incidents", json!({"id": "R-1", "lon": b.x, "lat": b.y, "category": "环境卫生"}), Some("r")).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, _, _) = call(&app, "POST", "/api/incidents/R-1/transitions", json!({"to": "called", "actor": "社区"}), None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, _, _) =
            call(&app, "POST", "/api/sensors", json!({"id": "W-1", "kind": "water_pressure", "lon": b.x, "lat": b.y}), None).await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, _, one) = call(&app, "GET", "/api/incidents/R-1", Value::Null, None).await;
        one
    };
    // the first state (and its store) is gone: a new server on the same file answers the same
    let state = AppState::with_store(d, common::repo("web"), wangge::store::Store::open(&db).expect("reopen")).expect("state");
    let app = router(state.clone());
    let (_, _, after) = call(&app, "GET", "/api/incidents/R-1", Value::Null, None).await;
    assert_eq!(after, before);
    assert_eq!(after["status"], "called");
    let (_, _, l) = call(&app, "GET", "/api/sensors", Value::Null, None).await;
    assert_eq!(l["sensors"][0]["id"], "W-1");
    let (s, h, _) = call(&app, "POST", "/api/incidents", json!({"lon": b.x, "lat": b.y, "category": "环境卫生"}), Some("r")).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.get("idempotent-replayed").and_then(|x| x.to_str().ok()), Some("true"), "the key survives the restart");
}

/// Open the event stream, with a `Last-Event-ID` when given.
async fn open_stream(app: &axum::Router, last_event_id: Option<&str>) -> Body {
    let mut r = Request::get("/api/stream").header(header::HOST, "127.0.0.1");
    if let Some(id) = last_event_id {
        r = r.header("Last-Event-ID", id);
    }
    let resp = app.clone().oneshot(r.body(Body::empty()).expect("req")).await.expect("sse");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.into_body()
}

#[tokio::test]
async fn a_reconnecting_stream_gets_what_it_missed_or_a_resync_and_ends_on_shutdown() {
    let d = common::demo_dataset();
    let b = d.buildings[2].footprint.0[0].exterior().0[0];
    let state = AppState::new(d, common::repo("web"));
    let app = router(state.clone());
    for id in ["S-1", "S-2", "S-3"] {
        let (s, _, v) = call(&app, "POST", "/api/incidents", json!({"id": id, "lon": b.x, "lat": b.y, "category": "环境卫生"}), None).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let epoch = state.live.events.epoch();
    // saw event 1: gets 2 and 3 first, with their ids, then the live ones
    let mut body = open_stream(&app, Some(&format!("{epoch}-1"))).await;
    let first = next_frame(&mut body, "the first missed event").await;
    assert!(first.contains(&format!("id: {epoch}-2\n")) && first.contains("S-2"), "{first}");
    let second = next_event(&mut body, "incident").await;
    assert!(second.contains("S-3"), "{second}");
    let (s, _, _) = call(&app, "POST", "/api/incidents", json!({"id": "S-4", "lon": b.x, "lat": b.y, "category": "环境卫生"}), None).await;
    assert_eq!(s, StatusCode::CREATED);
    let live = next_event(&mut body, "incident").await;
    assert!(live.contains("S-4"), "each event once, in order: {live}");
    // an id of an earlier run (or not an id at all): told to resync
    for stale in [format!("{}-2", epoch + 1), "garbage".to_owned()] {
        let mut other = open_stream(&app, Some(&stale)).await;
        let r = next_event(&mut other, "resync").await;
        assert!(r.contains("reason"), "{r}");
    }
    // shutdown ends the open stream
    state.shut_down();
    let end = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        while let Some(f) = body.frame().await {
            f.expect("frame");
        }
    })
    .await;
    assert!(end.is_ok(), "the stream ends within 2 s of the shutdown");
}
