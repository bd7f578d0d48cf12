//! The seven-step case loop over HTTP as different people: each step taken
//! by the role allowed to take it and refused (403 naming the role, the step
//! and why) to every other role, outside the jurisdiction and to another
//! department; an overdue case raising 督办 on the stream and in the KPI
//! figures; rework and escalation counted; the evaluation figures.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::{AppState, app as router};
use wangge_engine::model::UnitId;
use wangge_engine::people::{Actor, Role};

async fn call(app: &axum::Router, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let r = Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1").header(header::CONTENT_TYPE, "application/json");
    let resp = app.clone().oneshot(r.body(Body::from(body.to_string())).expect("req")).await.expect("resp");
    let status = resp.status();
    let b = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

fn actor(name: &str, role: Role, unit: Option<&str>, department: Option<&str>) -> Actor {
    Actor { name: name.into(), role, unit: unit.map(str::to_owned), department: department.map(str::to_owned) }
}

/// The data of the next server-sent event of a kind, within `secs` seconds.
async fn wait_event(body: &mut Body, kind: &str, secs: u64) -> String {
    let found = tokio::time::timeout(std::time::Duration::from_secs(secs), async {
        while let Some(f) = body.frame().await {
            let f = f.expect("frame");
            let text = String::from_utf8_lossy(f.data_ref().map_or(&[][..], |b| &b[..])).into_owned();
            if text.contains(&format!("event: {kind}\n")) {
                return text.lines().filter_map(|l| l.strip_prefix("data: ")).collect::<Vec<_>>().join("\n");
            }
        }
        String::new()
    })
    .await;
    found.unwrap_or_else(|_| panic!("a {kind} event within {secs} s"))
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[tokio::test]
async fn a_case_runs_the_whole_loop_each_step_by_its_role() {
    let d = common::demo_dataset();
    let p = d.buildings[11].footprint.0[0].exterior().0[0];
    let h = d.hierarchy.clone();
    let state = AppState::with_store(d, common::repo("web"), wangge::store::Store::memory().expect("store")).expect("state");
    let open = router(state.clone());

    // where the case will be: its grid and street, and another street
    let (_, probe) = call(&open, "POST", "/api/incidents", json!({"id": "PROBE", "lon": p.x, "lat": p.y, "category": "环境卫生"})).await;
    let chain: Vec<String> = serde_json::from_value(probe["units"].clone()).expect("units");
    assert!(chain.len() >= 4, "{probe}");
    let (street, grid) = (chain[1].clone(), chain[chain.len() - 1].clone());
    let street_level = h.units[h.get(&UnitId(street.clone())).expect("street")].level.clone();
    let other_street =
        h.at_level(&street_level).into_iter().map(|u| h.units[u].id.0.clone()).find(|id| id != &street).expect("a second street");

    let people = [
        actor("调度 周", Role::Dispatcher, Some(&street), None),
        actor("城管 吴", Role::Department, None, Some("城管执法")),
        actor("网格员 郑", Role::GridWorker, Some(&grid), None),
        actor("大屏", Role::Screen, None, None),
        actor("规划 冯", Role::Planner, None, None),
        actor("分析 陈", Role::Analyst, None, None),
    ];
    let as_ = |a: &Actor| router(state.clone()).layer(axum::Extension(a.clone()));
    let by_role = |r: Role| people.iter().find(|a| a.role == r).expect("role");
    let far_dispatcher = actor("调度 褚", Role::Dispatcher, Some(&other_street), None);
    let far_worker = actor("网格员 卫", Role::GridWorker, Some(&other_street), None);
    let other_department = actor("派出所 蒋", Role::Department, None, Some("公安派出所"));

    // the stream, watched by the screen
    let sse = as_(by_role(Role::Screen))
        .oneshot(Request::get("/api/stream").header(header::HOST, "127.0.0.1").body(Body::empty()).expect("req"))
        .await
        .expect("sse");
    assert_eq!(sse.status(), StatusCode::OK);
    let mut stream = sse.into_body();

    // 1 信息采集: the grid worker reports in their grid; others may not, nor outside it
    let report = json!({"id": "CASE-1", "lon": p.x, "lat": p.y, "category": "环境卫生", "item": "垃圾堆放"});
    for a in [by_role(Role::Department), by_role(Role::Screen), by_role(Role::Planner), by_role(Role::Analyst), &far_worker] {
        let (s, e) = call(&as_(a), "POST", "/api/incidents", report.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{} reports: {e}", a.role);
        assert_eq!(e["error"], "forbidden");
        assert!(e["message"].as_str().expect("m").contains(a.role.as_str()), "{e}");
    }
    let (s, e) = call(&as_(&far_worker), "POST", "/api/incidents", report.clone()).await;
    assert!(s == StatusCode::FORBIDDEN && e["message"].as_str().expect("m").contains(&format!("unit {other_street}")), "{e}");
    let worker = by_role(Role::GridWorker);
    let (s, v) = call(&as_(worker), "POST", "/api/incidents", report.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["reporter"], "网格员 郑", "the reporter is the caller when the body names none");
    // bulk: nothing imported when a row falls outside the caller's jurisdiction
    let csv = format!("id,lon,lat,category,occurred_at\nBULK-1,{},{},环境卫生,2026-11-01T08:00:00+08:00\n", p.x, p.y);
    let bulk = |a: &Actor| {
        let app = as_(a);
        let csv = csv.clone();
        async move {
            let r = Request::post("/api/incidents/bulk").header(header::HOST, "127.0.0.1").header(header::CONTENT_TYPE, "text/csv");
            let resp = app.oneshot(r.body(Body::from(csv)).expect("req")).await.expect("resp");
            let s = resp.status();
            let b = resp.into_body().collect().await.expect("body").to_bytes();
            (s, serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null))
        }
    };
    let (s, e) = bulk(&far_worker).await;
    assert!(s == StatusCode::FORBIDDEN && e["message"].as_str().expect("m").contains("BULK-1"), "{e}");
    let (s, e) = bulk(by_role(Role::Analyst)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(state.live.get("BULK-1").expect("read").is_none());

    let url = "/api/incidents/CASE-1/transitions";
    // each step: refused to every other role (403 naming it), then taken by its role
    let deadline = now() + 2;
    let steps: Vec<(Role, Value)> = vec![
        (Role::Dispatcher, json!({"to": "accepted"})),
        (Role::Dispatcher, json!({"to": "dispatched", "level": "grid", "departments": ["城管执法"], "deadline": deadline})),
    ];
    for (role, body) in &steps {
        for other in people.iter().filter(|a| a.role != *role) {
            let (s, e) = call(&as_(other), "POST", url, body.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{} takes {body}: {e}", other.role);
            let m = e["message"].as_str().expect("m");
            // roles that take no case step at all are refused by the access table before the lifecycle
            let by_table = !wangge::http::access::allowed(other.role, wangge::http::Action::Transition);
            assert!(
                if by_table {
                    m.contains(&format!("role {}", other.role.as_str())) && m.contains("take case steps")
                } else {
                    m.contains(&format!("{} {}", other.role.as_str(), other.name)) && m.contains(body["to"].as_str().expect("to"))
                },
                "{m}"
            );
        }
        let (s, e) = call(&as_(&far_dispatcher), "POST", url, body.clone()).await;
        assert!(s == StatusCode::FORBIDDEN && e["message"].as_str().expect("m").contains(&format!("unit {other_street}")), "{e}");
        let (s, v) = call(&as_(by_role(*role)), "POST", url, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{role} takes {body}: {v}");
    }
    let (_, v) = call(&open, "GET", "/api/incidents/CASE-1", Value::Null).await;
    let dispatch = &v["transitions"][1];
    assert_eq!(
        (dispatch["actor"].as_str(), dispatch["user"].as_str(), dispatch["role"].as_str()),
        (Some("调度 周"), Some("调度 周"), Some("dispatcher"))
    );
    assert_eq!((dispatch["kind"].as_str(), dispatch["due"].as_i64()), (Some("dispatch"), Some(deadline)));

    // 督办: past the deadline, an urge on the stream, counted in the KPI figures
    let urge: Value = serde_json::from_str(&wait_event(&mut stream, "urge", 8).await).expect("urge json");
    assert_eq!(
        (urge["id"].as_str(), urge["level"].as_str(), urge["departments"][0].as_str()),
        (Some("CASE-1"), Some("grid"), Some("城管执法"))
    );
    assert_eq!(urge["units"], json!(chain));
    let (_, k) = call(&open, "GET", "/api/kpi", Value::Null).await;
    assert_eq!((k["overdue"].as_u64(), k["urged"].as_u64()), (Some(1), Some(1)), "{k}");
    let (_, v) = call(&open, "GET", "/api/incidents/CASE-1", Value::Null).await;
    assert_eq!((v["overdue"].as_bool(), v["urges"].as_array().map(Vec::len)), (Some(true), Some(1)), "{v}");

    // escalated to the street: a new deadline from the taxonomy (环境卫生 at street: 72 h), no longer overdue
    let (s, v) =
        call(&as_(by_role(Role::Dispatcher)), "POST", url, json!({"to": "dispatched", "level": "street", "departments": ["城管执法"]}))
            .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["escalations"].as_u64(), v["overdue"].as_bool()), (Some(1), Some(false)), "{v}");
    let due = v["transitions"][2]["due"].as_i64().expect("due");
    let at = v["transitions"][2]["at"].as_i64().expect("at");
    assert_eq!(due - at, 72 * 3600);

    // 4 任务处理 and 5 处理反馈 by the department dispatched; 6 sent back once, then verified; 7 evaluated
    let rest: Vec<(Role, Value)> = vec![
        (Role::Department, json!({"to": "in_progress"})),
        (Role::Department, json!({"to": "fed_back", "note": "已清运", "photo": "photos/case-1-a.jpg"})),
        (Role::GridWorker, json!({"to": "in_progress", "note": "仍有残留"})),
        (Role::Department, json!({"to": "fed_back", "note": "已复清", "photo": "photos/case-1-b.jpg"})),
        (Role::GridWorker, json!({"to": "resolved", "level": "grid"})),
        (Role::Dispatcher, json!({"to": "evaluated", "satisfaction": 5, "score": 92})),
    ];
    for (role, body) in &rest {
        for other in people.iter().filter(|a| a.role != *role) {
            let (s, e) = call(&as_(other), "POST", url, body.clone()).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{} takes {body}: {e}", other.role);
            assert!(e["message"].as_str().expect("m").contains(other.role.as_str()), "{e}");
        }
        match role {
            Role::Department => {
                let (s, e) = call(&as_(&other_department), "POST", url, body.clone()).await;
                assert!(s == StatusCode::FORBIDDEN && e["message"].as_str().expect("m").contains("not your department"), "{e}");
            }
            Role::GridWorker => {
                let (s, e) = call(&as_(&far_worker), "POST", url, body.clone()).await;
                assert!(s == StatusCode::FORBIDDEN && e["message"].as_str().expect("m").contains("jurisdiction"), "{e}");
            }
            _ => {}
        }
        let (s, v) = call(&as_(by_role(*role)), "POST", url, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{role} takes {body}: {v}");
    }
    let (_, v) = call(&open, "GET", "/api/incidents/CASE-1", Value::Null).await;
    assert_eq!(v["status"], "evaluated");
    assert_eq!((v["rework"].as_u64(), v["escalations"].as_u64()), (Some(1), Some(1)));
    let kinds: Vec<&str> = v["transitions"].as_array().expect("steps").iter().filter_map(|t| t["kind"].as_str()).collect();
    assert_eq!(kinds, ["accept", "dispatch", "escalate", "start", "feedback", "send_back", "feedback", "verify", "evaluate"]);
    assert_eq!(v["transitions"][4]["photo"], "photos/case-1-a.jpg");
    // a refusal: terminal, with its reason
    let (s, v) = call(
        &as_(by_role(Role::Dispatcher)),
        "POST",
        "/api/incidents/PROBE/transitions",
        json!({"to": "refused", "reason": "duplicate", "note": "同 CASE-1"}),
    )
    .await;
    assert_eq!((s, v["status"].as_str(), v["allowed_next"].as_array().map(Vec::len)), (StatusCode::OK, Some("refused"), Some(0)), "{v}");
    let (s, _) = call(&as_(by_role(Role::Dispatcher)), "POST", "/api/incidents/PROBE/transitions", json!({"to": "accepted"})).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // 综合评价 figures: fed back before the street deadline (on time), sent back once
    let (s, e) = call(&open, "GET", "/api/evaluation?by=department", Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    let row = e["rows"].as_array().expect("rows").iter().find(|r| r["key"] == "城管执法").expect("城管执法").clone();
    assert_eq!(
        [&row["cases"], &row["closed"], &row["finished"], &row["on_time"], &row["fed_back"], &row["reworked"], &row["rework"]],
        [&json!(1), &json!(1), &json!(1), &json!(1), &json!(1), &json!(1), &json!(1)],
        "{row}"
    );
    assert_eq!(
        (row["closure_rate"].as_f64(), row["rework_rate"].as_f64(), row["satisfaction_mean"].as_f64()),
        (Some(1.0), Some(1.0), Some(5.0))
    );
    let (_, e) = call(&open, "GET", "/api/evaluation?by=grid_worker", Value::Null).await;
    let w = e["rows"].as_array().expect("rows").iter().find(|r| r["key"] == "网格员 郑").expect("the grid worker").clone();
    assert_eq!((w["cases"].as_u64(), w["closed"].as_u64(), w["rework"].as_u64()), (Some(1), Some(1), Some(1)), "{w}");
    let (_, e) = call(&open, "GET", &format!("/api/evaluation?by=unit&level={}", street_level.0), Value::Null).await;
    let rows = e["rows"].as_array().expect("rows");
    assert!(rows.iter().all(|r| r["level"] == street_level.0.as_str()), "{e}");
    let mine = rows.iter().find(|r| r["key"] == street.as_str()).expect("the street");
    assert_eq!((mine["cases"].as_u64(), mine["refused"].as_u64(), mine["closed"].as_u64()), (Some(1), Some(1), Some(1)), "{mine}");
    for bad in ["/api/evaluation?by=team", "/api/evaluation?by=unit&level=planet", "/api/evaluation?by=department&level=street"] {
        let (s, e) = call(&open, "GET", bad, Value::Null).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
    }
}
