//! Jurisdiction on cases, heat, hot spots, KPIs, the event stream and
//! sensors: as a street's staff (unit U) nothing of a sibling street V is
//! listed, counted or streamed, V's cases are 403, every figure equals a
//! recount inside U; a department sees only the cases dispatched to it; a
//! user whose unit is gone sees nothing; the local admin sees everything.

use crate::common::{self, call};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use geo::InteriorPoint;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::{AppState, app as router};
use wangge_engine::dataset::Dataset;
use wangge_engine::people::{Actor, Role};
use wangge_engine::units::jurisdiction::Jurisdiction;

fn as_actor(state: &std::sync::Arc<AppState>, name: &str, role: Role, unit: Option<&str>, department: Option<&str>) -> axum::Router {
    let actor = Actor { name: name.into(), role, unit: unit.map(str::to_owned), department: department.map(str::to_owned) };
    router(state.clone()).layer(axum::Extension(actor))
}

/// An interior point of every `n`-th building inside `unit`, `count` of them.
fn points_in(d: &Dataset, unit: &str, count: usize) -> Vec<(f64, f64)> {
    let j = Jurisdiction::of(d, Some(unit));
    (0..d.buildings.len())
        .filter(|&b| j.building(d, b))
        .filter_map(|b| d.buildings[b].footprint.interior_point())
        .filter(|p| j.point(d, *p))
        .step_by(3)
        .take(count)
        .map(|p| (p.x(), p.y()))
        .collect()
}

/// Open the event stream with an app, optionally resuming after `last`.
async fn open_stream(app: &axum::Router, last: Option<&str>) -> Body {
    let mut r = Request::get("/api/stream").header(header::HOST, "127.0.0.1");
    if let Some(l) = last {
        r = r.header("last-event-id", l);
    }
    let resp = app.clone().oneshot(r.body(Body::empty()).expect("req")).await.expect("sse");
    assert_eq!(resp.status(), StatusCode::OK);
    resp.into_body()
}

/// Every server-sent event (kind, id, data) that arrives within `ms` milliseconds.
async fn events_for(body: &mut Body, ms: u64) -> Vec<(String, String, String)> {
    let mut text = String::new();
    let until = tokio::time::Instant::now() + std::time::Duration::from_millis(ms);
    while let Ok(Some(Ok(f))) = tokio::time::timeout_at(until, body.frame()).await {
        if let Some(d) = f.data_ref() {
            text.push_str(&String::from_utf8_lossy(d));
        }
    }
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            let field = |k: &str| b.lines().filter_map(|l| l.strip_prefix(k)).collect::<Vec<_>>().join("\n");
            (field("event: "), field("id: "), field("data: "))
        })
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        v["incidents"].as_array().expect("incidents").iter().map(|i| i["id"].as_str().expect("id").to_owned()).collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_street_sees_only_its_cases_heat_kpis_events_and_sensors() {
    let store = wangge::store::Store::memory().expect("store");
    let d = common::demo_dataset();
    // two sibling streets with buildings
    let h = &d.hierarchy;
    let streets: Vec<String> = (0..h.len())
        .filter(|&i| h.units[i].level.0 == "street" && !points_in(&d, &h.units[i].id.0, 3).is_empty())
        .map(|i| h.units[i].id.0.clone())
        .collect();
    assert!(streets.len() >= 2, "{streets:?}");
    let (u, v) = (streets[0].clone(), streets[1].clone());
    let in_u = points_in(&d, &u, 3);
    let in_v = points_in(&d, &v, 2);
    assert_eq!((in_u.len(), in_v.len()), (3, 2));
    let ju = Jurisdiction::of(&d, Some(&u));
    let loaded_in_u = (0..d.incidents.len()).filter(|&n| ju.incident(&d, n)).count() as u64;
    let loaded_all = d.incidents.len() as u64;
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    let admin = router(state.clone());
    let staff = as_actor(&state, "云南路 staff", Role::Dispatcher, Some(&u), None);
    let dept = as_actor(&state, "城管 staff", Role::Department, None, Some("城管执法"));
    let gone = as_actor(&state, "former staff", Role::Screen, Some("street-no-longer-here"), None);

    // U's staff listens from the start
    let mut sse_u = open_stream(&staff, None).await;
    // V's incidents first, then U's: a leak would arrive before U's
    let mut posted = Vec::new();
    for (k, (x, y)) in in_v.iter().chain(in_u.iter()).enumerate() {
        let (s, b) =
            call(&admin, "POST", "/api/incidents", json!({"lon": x, "lat": y, "category": "环境卫生", "reporter": format!("r{k}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        posted.push(b);
    }
    let (v_ids, u_ids): (Vec<&Value>, Vec<&Value>) =
        posted.iter().partition(|b| b["units"].as_array().expect("units").iter().any(|x| x == v.as_str()));
    assert_eq!((v_ids.len(), u_ids.len()), (2, 3), "each posted incident lies in its street");
    let mut u_list: Vec<String> = u_ids.iter().map(|b| b["id"].as_str().expect("id").to_owned()).collect();
    u_list.sort();
    let v_list: Vec<String> = v_ids.iter().map(|b| b["id"].as_str().expect("id").to_owned()).collect();
    // one of U's cases dispatched to 城管执法
    let dispatched = u_list[0].clone();
    let (s, b) = call(
        &admin,
        "POST",
        &format!("/api/incidents/{dispatched}/transitions"),
        json!({"to": "dispatched", "actor": "受理员", "level": "community", "departments": ["城管执法"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // lists and details
    let (s, l) = call(&staff, "GET", "/api/incidents", Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&l), u_list, "U's staff lists U's cases only");
    assert_eq!(l["count"], 3);
    let (_, l) = call(&admin, "GET", "/api/incidents", Value::Null).await;
    assert_eq!(l["count"], 5, "the local admin lists everything");
    let (s, e) = call(&staff, "GET", &format!("/api/incidents/{}", v_list[0]), Value::Null).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(e["message"].as_str().expect("message").contains("outside the jurisdiction"), "{e}");
    let (s, _) = call(&staff, "GET", &format!("/api/incidents/{}", u_list[1]), Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = call(&staff, "GET", &format!("/api/units/{v}/incidents"), Value::Null).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, t) = call(&staff, "GET", &format!("/api/units/{u}/incidents"), Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{t}");

    // KPI figures: a recount inside U
    let (_, k) = call(&staff, "GET", "/api/kpi", Value::Null).await;
    assert_eq!(k["incidents"], 3, "{k}");
    assert_eq!(k["by_status"]["dispatched"], 1, "{k}");
    assert_eq!(k["by_status"]["reported"], 2, "{k}");
    let (_, k) = call(&admin, "GET", "/api/kpi", Value::Null).await;
    assert_eq!(k["incidents"], 5, "{k}");

    // heat and hot spots: loaded incidents inside U plus U's three live ones
    let (s, hm) = call(&staff, "GET", "/api/heatmap?res=8", Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{hm}");
    assert_eq!(hm["incidents"].as_u64(), Some(loaded_in_u + 3), "{}", hm["incidents"]);
    let cells: u64 = hm["cells"].as_array().expect("cells").iter().map(|c| c["count"].as_u64().expect("count")).sum();
    assert_eq!(cells, loaded_in_u + 3);
    let (_, hm_all) = call(&admin, "GET", "/api/heatmap?res=8", Value::Null).await;
    assert_eq!(hm_all["incidents"].as_u64(), Some(loaded_all + 5));
    let (s, hs) = call(&staff, "GET", "/api/hotspots?res=8", Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{hs}");
    assert_eq!(hs["incidents"].as_u64(), Some(loaded_in_u + 3));
    let (s, _) = call(&staff, "GET", &format!("/api/heatmap?unit={v}"), Value::Null).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a requested unit outside");
    let (s, hm_u) = call(&staff, "GET", &format!("/api/heatmap?res=8&unit={u}"), Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(hm_u["incidents"], hm["incidents"]);

    // the stream: U's three incidents and its transition, nothing of V's; the KPI event is U's
    let got = events_for(&mut sse_u, 1500).await;
    for (_, _, data) in &got {
        assert!(v_list.iter().all(|id| !data.contains(id.as_str())), "V's case leaked: {data}");
    }
    let mut streamed: Vec<String> = got
        .iter()
        .filter(|(kind, _, _)| kind == "incident")
        .filter_map(|(_, _, data)| serde_json::from_str::<Value>(data).ok()?["id"].as_str().map(str::to_owned))
        .collect();
    streamed.sort();
    assert_eq!(streamed, u_list, "{got:?}");
    assert_eq!(got.iter().filter(|(kind, _, _)| kind == "transition").count(), 1);
    let last_kpi = got.iter().rev().find(|(kind, _, _)| kind == "kpi").map(|(_, _, d)| d.clone()).expect("a kpi event");
    let last_kpi: Value = serde_json::from_str(&last_kpi).expect("kpi json");
    assert_eq!(last_kpi["incidents"], 3, "{last_kpi}");

    // a replay after Last-Event-ID is filtered the same way
    let first_id = got.iter().find(|(kind, _, _)| kind == "incident").map(|(_, id, _)| id.clone()).expect("an id");
    let (epoch, _) = first_id.split_once('-').expect("EPOCH-ID");
    let mut again = open_stream(&staff, Some(&format!("{epoch}-0"))).await;
    let replay = events_for(&mut again, 700).await;
    let replayed = replay.iter().filter(|(kind, _, _)| kind == "incident").count();
    assert_eq!(replayed, 3, "{replay:?}");
    assert!(replay.iter().all(|(_, _, data)| v_list.iter().all(|id| !data.contains(id.as_str()))), "{replay:?}");
    // the local admin's replay holds all five
    let mut all = open_stream(&admin, Some(&format!("{epoch}-0"))).await;
    let replay = events_for(&mut all, 700).await;
    assert_eq!(replay.iter().filter(|(kind, _, _)| kind == "incident").count(), 5);

    // a department: only the case dispatched to it, in lists, details, KPIs and the stream
    let (_, l) = call(&dept, "GET", "/api/incidents", Value::Null).await;
    assert_eq!(ids(&l), vec![dispatched.clone()]);
    let (s, _) = call(&dept, "GET", &format!("/api/incidents/{dispatched}"), Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = call(&dept, "GET", &format!("/api/incidents/{}", u_list[1]), Value::Null).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(e["message"].as_str().expect("message").contains("not dispatched to department"), "{e}");
    let (_, k) = call(&dept, "GET", "/api/kpi", Value::Null).await;
    assert_eq!(k["incidents"], 1, "{k}");
    let mut sse_d = open_stream(&dept, Some(&format!("{epoch}-0"))).await;
    let replay = events_for(&mut sse_d, 700).await;
    let cases: Vec<&(String, String, String)> = replay.iter().filter(|(kind, _, _)| kind == "incident" || kind == "transition").collect();
    assert_eq!(cases.len(), 1, "the dispatch only (its incident event was not yet dispatched): {replay:?}");
    assert!(cases[0].2.contains(&dispatched));

    // a jurisdiction whose unit is gone: nothing, not an error
    let (s, l) = call(&gone, "GET", "/api/incidents", Value::Null).await;
    assert_eq!((s, l["count"].as_u64()), (StatusCode::OK, Some(0)));
    let (_, k) = call(&gone, "GET", "/api/kpi", Value::Null).await;
    assert_eq!(k["incidents"], 0);
    let (s, hm) = call(&gone, "GET", "/api/heatmap", Value::Null).await;
    assert_eq!((s, hm["incidents"].as_u64()), (StatusCode::OK, Some(0)));
    let (s, l) = call(&gone, "GET", "/api/sensors", Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{l}");

    // sensors: listed inside only; registering or reading outside is 403
    let sensor_u = as_actor(&state, "U's gas meter", Role::Sensor, Some(&u), None);
    let (s, b) = call(&admin, "POST", "/api/sensors", json!({"id": "GAS-V", "kind": "gas", "lon": in_v[0].0, "lat": in_v[0].1})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = call(&sensor_u, "POST", "/api/sensors", json!({"id": "GAS-U", "kind": "gas", "lon": in_u[0].0, "lat": in_u[0].1})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, e) = call(&sensor_u, "POST", "/api/sensors", json!({"id": "GAS-V2", "kind": "gas", "lon": in_v[1].0, "lat": in_v[1].1})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, _) = call(&sensor_u, "POST", "/api/sensors/GAS-V/readings", json!({"value": 1.0})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = call(&sensor_u, "POST", "/api/sensors/GAS-U/readings", json!({"value": 1.0})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, _) = call(&admin, "POST", "/api/sensors/GAS-V/readings", json!({"value": 2.0})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, l) = call(&staff, "GET", "/api/sensors", Value::Null).await;
    let listed: Vec<&str> = l["sensors"].as_array().expect("sensors").iter().filter_map(|x| x["id"].as_str()).collect();
    assert_eq!(listed, vec!["GAS-U"]);
    let (_, l) = call(&admin, "GET", "/api/sensors", Value::Null).await;
    assert_eq!(l["sensors"].as_array().expect("sensors").len(), 2);
    let (_, l) = call(&gone, "GET", "/api/sensors", Value::Null).await;
    assert_eq!(l["sensors"].as_array().map(Vec::len), Some(0));
    // U's stream got U's sensor reading, not V's
    let got = events_for(&mut sse_u, 700).await;
    let sensors: Vec<&String> = got.iter().filter(|(kind, _, _)| kind == "sensor").map(|(_, _, d)| d).collect();
    assert_eq!(sensors.len(), 1, "{got:?}");
    assert!(sensors[0].contains("GAS-U"));
}
