//! Closed cases leave the server's memory and the screen's figures stay
//! those of every case: on the demo district with the DuckDB store, a mix of
//! cases (open, refused, resolved at three levels, dispatched to a
//! department, reworked, escalated, evaluated) leaves only the open ones in
//! memory, while `GET /api/screen/summary` and `GET /api/kpi` — for the whole
//! district, a street's staff and a department — equal a brute-force recount
//! over `GET /api/incidents` (which reads the closed cases from the store),
//! and heat counts them all.

use crate::common::{self, call};

use axum::http::StatusCode;
use geo::InteriorPoint;
use serde_json::{Value, json};
use wangge::http::{AppState, app as router};
use wangge_engine::people::{Actor, Role};
use wangge_engine::units::jurisdiction::Jurisdiction;

/// The KPI figures and today's intake recounted from a list of incidents as `/api/incidents` gives them.
fn recount(list: &[Value], today: &str) -> Value {
    let closed = |s: &str| matches!(s, "refused" | "resolved" | "evaluated");
    let status = |i: &Value| i["status"].as_str().unwrap_or("").to_owned();
    let mut by_status = serde_json::Map::new();
    for s in ["reported", "accepted", "refused", "called", "dispatched", "in_progress", "fed_back", "resolved", "evaluated"] {
        by_status.insert(s.into(), json!(list.iter().filter(|i| status(i) == s).count()));
    }
    let mut by_level = serde_json::Map::new();
    for l in ["building_grid", "grid", "community", "street", "district"] {
        let n = list.iter().filter(|i| matches!(status(i).as_str(), "resolved" | "evaluated") && i["resolved_level"] == l).count();
        by_level.insert(l.into(), json!(n));
    }
    let ratings: Vec<u64> =
        list.iter().filter_map(|i| i["transitions"].as_array()?.iter().rev().find_map(|t| t["satisfaction"].as_u64())).collect();
    // received today at +08:00: the UTC time shifted by 8 hours
    let local_day = |t: &str| {
        let at = wangge_engine::time::parse_time(t, 0).unwrap_or(0);
        wangge_engine::time::format_time(at + 8 * 3600).get(..10).map(str::to_owned)
    };
    json!({
        "incidents": list.len(),
        "open": list.iter().filter(|i| !closed(&status(i))).count(),
        "by_status": by_status,
        "resolved_by_level": by_level,
        "reworked": list.iter().filter(|i| i["rework"].as_u64() > Some(0)).count(),
        "escalated": list.iter().filter(|i| i["escalations"].as_u64() > Some(0)).count(),
        "evaluated": ratings.len(),
        "satisfaction_mean": (!ratings.is_empty()).then(|| ratings.iter().sum::<u64>() as f64 / ratings.len() as f64),
        "today_live": list.iter().filter(|i| i["received_at"].as_str().and_then(local_day).as_deref() == Some(today)).count(),
    })
}

/// The same fields of the screen's summary.
fn figures(s: &Value) -> Value {
    let k = &s["kpi"];
    json!({
        "incidents": k["incidents"], "open": k["open"], "by_status": k["by_status"], "resolved_by_level": k["resolved_by_level"],
        "reworked": k["reworked"], "escalated": k["escalated"], "evaluated": k["evaluated"], "satisfaction_mean": k["satisfaction_mean"],
        "today_live": s["intake"]["today_live"],
    })
}

#[tokio::test]
async fn closed_cases_leave_memory_and_the_screen_figures_equal_a_recount_of_every_case() {
    let store = wangge::store::Store::memory().expect("store");
    let d = common::demo_dataset();
    let h = &d.hierarchy;
    // points inside two streets
    let streets: Vec<String> = (0..h.len()).filter(|&i| h.units[i].level.0 == "street").map(|i| h.units[i].id.0.clone()).collect();
    let points_in = |unit: &str, count: usize| -> Vec<(f64, f64)> {
        let j = Jurisdiction::of(&d, Some(unit));
        (0..d.buildings.len())
            .filter(|&b| j.building(&d, b))
            .filter_map(|b| d.buildings[b].footprint.interior_point())
            .filter(|p| j.point(&d, *p))
            .step_by(5)
            .take(count)
            .map(|p| (p.x(), p.y()))
            .collect()
    };
    let with: Vec<&String> = streets.iter().filter(|s| points_in(s, 6).len() == 6).take(2).collect();
    assert_eq!(with.len(), 2, "{streets:?}");
    let (u, v) = (with[0].clone(), with[1].clone());
    let pts: Vec<(f64, f64)> = points_in(&u, 6).into_iter().chain(points_in(&v, 6)).collect();
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    let admin = router(state.clone());
    let as_actor = |role: Role, unit: Option<&str>, dep: Option<&str>| {
        let a = Actor { name: "t".into(), role, unit: unit.map(str::to_owned), department: dep.map(str::to_owned) };
        router(state.clone()).layer(axum::Extension(a))
    };
    let cats = ["环境卫生", "市容秩序", "安全生产"];
    let mut ids = Vec::new();
    for (k, (x, y)) in pts.iter().enumerate() {
        let (s, b) = call(&admin, "POST", "/api/incidents", json!({"lon": x, "lat": y, "category": cats[k % 3]})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_str().expect("id").to_owned());
    }
    let step = |id: String, body: Value| {
        let admin = admin.clone();
        async move {
            let (s, b) = call(&admin, "POST", &format!("/api/incidents/{id}/transitions"), body).await;
            assert_eq!(s, StatusCode::OK, "{id}: {b}");
        }
    };
    let dispatch = |level: &str, dep: &str| json!({"to": "dispatched", "level": level, "departments": [dep]});
    // in both streets: resolved on the spot at three levels, one refused, one dispatched to 城管执法 and verified
    // after a send-back, one escalated and closed, one left dispatched; some evaluated, one after it left memory
    for base in [0, 6] {
        let id = |n: usize| ids[base + n].clone();
        step(id(0), json!({"to": "resolved", "level": "building_grid"})).await;
        let level = ["grid", "community"][base / 6];
        step(id(1), json!({"to": "resolved", "level": level})).await;
        step(id(2), json!({"to": "refused", "reason": "invalid"})).await;
        step(id(3), dispatch("grid", "城管执法")).await;
        for b in [json!({"to": "in_progress"}), json!({"to": "fed_back", "note": "x"}), json!({"to": "in_progress"})] {
            step(id(3), b).await;
        }
        step(id(3), json!({"to": "resolved", "level": "grid"})).await;
        step(id(4), dispatch("grid", "生态环境")).await;
        step(id(4), dispatch("street", "城管执法")).await;
        step(id(4), json!({"to": "in_progress"})).await;
        step(id(4), json!({"to": "resolved", "level": "street"})).await;
        step(id(5), dispatch("community", "城管执法")).await;
        step(id(0), json!({"to": "evaluated", "satisfaction": 5 - base / 6, "score": 90})).await;
    }
    step(ids[3].clone(), json!({"to": "evaluated", "satisfaction": 2, "score": 50})).await;

    // only the open cases (one a street) stay in memory
    assert_eq!(state.live.in_memory(), 2);
    assert_eq!(state.live.len(), 12);
    let (_, one) = call(&admin, "GET", &format!("/api/incidents/{}", ids[3]), Value::Null).await;
    assert_eq!(one["status"], "evaluated", "a closed case answers from the store: {one}");

    let staff = as_actor(Role::Dispatcher, Some(&u), None);
    let dept = as_actor(Role::Department, None, Some("城管执法"));
    for (who, app) in [("admin", &admin), ("street", &staff), ("department", &dept)] {
        let (s, l) = call(app, "GET", "/api/incidents", Value::Null).await;
        assert_eq!(s, StatusCode::OK, "{who}: {l}");
        let list = l["incidents"].as_array().expect("incidents").clone();
        let (s, sum) = call(app, "GET", "/api/screen/summary", Value::Null).await;
        assert_eq!(s, StatusCode::OK, "{who}: {sum}");
        let today = sum["intake"]["date"].as_str().expect("date").to_owned();
        let want = recount(&list, &today);
        assert_eq!(figures(&sum), want, "{who}");
        let (_, k) = call(app, "GET", "/api/kpi", Value::Null).await;
        assert_eq!(k["incidents"], want["incidents"], "{who}");
        // the open table counts the open cases
        let open: usize = list.iter().filter(|i| !matches!(i["status"].as_str(), Some("refused" | "resolved" | "evaluated"))).count();
        assert_eq!(sum["open"]["total"], open, "{who}");
        let n = list.len();
        assert_eq!(n, [12, 6, 6][["admin", "street", "department"].iter().position(|x| *x == who).unwrap_or(0)], "{who}");
    }
    // heat counts the closed cases too: every live case at a cell on top of the loaded ones
    let (_, with_live) = call(&admin, "GET", "/api/heatmap?res=8", Value::Null).await;
    let loaded = state.dataset().incidents.len() as u64;
    assert_eq!(with_live["incidents"].as_u64(), Some(loaded + 12), "{with_live}");
    // the heatmap of every case (closed ones from their counts per cell) equals the one read from the store (any
    // period reads it): for the district, one street asked for by unit and the other street's staff (their scope)
    let cells = |v: &Value| v["cells"].clone();
    for (who, app, unit) in [("admin", &admin, None), ("admin", &admin, Some(&v)), ("street", &staff, None)] {
        for res in [5, 8, 9, 11] {
            let q = format!("/api/heatmap?res={res}{}", unit.map(|u| format!("&unit={u}")).unwrap_or_default());
            let (s, kept) = call(app, "GET", &q, Value::Null).await;
            assert_eq!(s, StatusCode::OK, "{who} {q}: {kept}");
            let (_, read) = call(app, "GET", &format!("{q}&from=2000-01-01T00:00:00Z"), Value::Null).await;
            assert_eq!(cells(&kept), cells(&read), "{who} {q}");
            assert_eq!(kept["incidents"], read["incidents"], "{who} {q}");
        }
    }
    let (_, street) = call(&staff, "GET", "/api/heatmap?res=9", Value::Null).await;
    let (_, all) = call(&admin, "GET", "/api/heatmap?res=9", Value::Null).await;
    assert!(street["incidents"].as_u64() < all["incidents"].as_u64(), "{street}");
}
