//! Incident intake and lifecycle over HTTP: validation, unit assignment,
//! idempotent retries, durable writes, allowed and forbidden transitions,
//! concurrent transitions (one wins), and the event stream.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::api::{AppState, router};

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

/// The data of the next server-sent event of a kind (others skipped), within 2 s.
async fn next_event(body: &mut Body, kind: &str) -> String {
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(2), body.frame())
            .await
            .unwrap_or_else(|_| panic!("a {kind} event within 2 s"))
            .expect("frame")
            .expect("ok");
        let text = String::from_utf8_lossy(frame.data_ref().expect("data")).into_owned();
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
    let first = next_event(&mut sse_body, "kpi").await;
    assert!(first.contains("\"open\":"), "{first}");
    let text = next_event(&mut sse_body, "incident").await;
    assert!(text.contains(&id), "{text}");
    // a retry with the same key: the same incident, not a second one
    let (s, h, again) = call(&app, "POST", "/api/incidents", new.clone(), Some("k-1")).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h.get("idempotent-replayed").and_then(|x| x.to_str().ok()), Some("true"));
    assert_eq!(again["id"], v["id"]);
    {
        let st = state.store.as_ref().expect("store").lock().expect("lock");
        let n: i64 = st.connection().query_row("SELECT count(*) FROM live_incidents", [], |r| r.get(0)).expect("count");
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
    let st = state.store.as_ref().expect("store").lock().expect("lock");
    let tax = wangge_engine::lifecycle::Taxonomy::parse(wangge::live::DEFAULT_TAXONOMY).expect("taxonomy");
    let again = wangge::live::Live::load(&st, tax).expect("load");
    let all = again.all();
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
    assert_eq!(state.live.all().len(), 1);
    let (s, _, _) = call(&app, "POST", "/api/sensors/NOPE/readings", json!({"value": 1.0}), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, _, l) = call(&app, "GET", "/api/sensors", Value::Null, None).await;
    assert_eq!(l["sensors"][0]["incident"]["id"], id.as_str());
}
