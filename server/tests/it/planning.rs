//! Planning scenarios (issue 15) through the real router and the real CLI: ops with revisions (a stale write gets
//! 409 with the current revision), undo/redo, publish as the next units version (the served data switches), the
//! version history, rollback giving back the old layer exactly, unit codes refused on import with the message.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use geo::{BoundingRect, InteriorPoint};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::{AppState, app};
use wangge::import::{ImportFailure, ImportOptions, read_str};
use wangge::store::Store;
use wangge_engine::dataset::Dataset;
use wangge_engine::model::{Layer, LayerKind, Unit};
use wangge_engine::units::integrity::IntegrityConfig;

use crate::cli::{ok, p, wangge};
use crate::common;

pub(crate) async fn send(a: &axum::Router, method: Method, uri: &str, body: Option<Value>, if_match: Option<i64>) -> (StatusCode, Value) {
    let mut b = Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1:8080");
    if let Some(r) = if_match {
        b = b.header(header::IF_MATCH, format!("\"{r}\""));
    }
    let req = match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    let resp = a.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// The demo's units and buildings in a store (units version 1) and a state serving them.
pub(crate) fn demo_state() -> (Arc<AppState>, Vec<Unit>) {
    let layers = common::demo_layers();
    let mut store = Store::memory().expect("store");
    let mut d = Dataset::empty(IntegrityConfig::default());
    let mut units = Vec::new();
    for l in layers.into_iter().take(2) {
        let v = store.write_layer(&l, "test", "wgs84", |_| Ok(None)).expect("stored");
        d.versions.insert(l.kind(), v);
        if let Layer::Units(u) = &l {
            units = u.clone();
        }
        d.set(l).expect("layer");
    }
    d.rebuild();
    (AppState::with_store(d, common::repo("web"), store).expect("state"), units)
}

/// A vertical line through the middle of a grid, reaching past it at both ends.
fn cut_line(u: &Unit) -> Value {
    let r = u.geometry.bounding_rect().expect("box");
    let x = u.geometry.interior_point().expect("inside").x();
    json!([[x, r.min().y - 0.001], [x, r.max().y + 0.001]])
}

fn same_units(a: &[Unit], b: &[Unit]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!((&x.id, &x.parent, &x.level, &x.name), (&y.id, &y.parent, &y.level, &y.name));
        assert_eq!(x.geometry, y.geometry, "geometry of {}", x.id);
        assert_eq!(x.attributes, y.attributes, "attributes of {}", x.id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planner_splits_undoes_redoes_publishes_and_rolls_back() {
    let (state, units) = demo_state();
    let a = app(state.clone());
    let grid = units.iter().find(|u| u.level.0 == "grid").expect("a grid").clone();
    let code = grid.attributes.get("code").and_then(Value::as_str).expect("the demo's grids carry codes").to_owned();
    assert_eq!(code.len(), 15, "{code}");

    let (s, v) = send(&a, Method::POST, "/api/scenarios", Some(json!({"name": "re-cut", "description": "split one grid"})), None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_owned();
    assert_eq!((v["base_version"].as_i64(), v["revision"].as_i64()), (Some(1), Some(0)));

    // a write without a revision is refused, naming what is missing
    let split = json!({"op": "split", "unit": grid.id.0, "line": cut_line(&grid)});
    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/ops"), Some(json!({"op": split})), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap_or("").contains("revision"), "{v}");

    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/ops"), Some(json!({"revision": 0, "op": split})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["removed"], json!([grid.id.0]));
    let created: Vec<String> = serde_json::from_value(v["created"].clone()).expect("created");
    assert_eq!(created.len(), 2);
    assert_eq!(v["scenario"]["revision"], 1);
    // every op answers with the validation of the new draft
    assert!(v["validation"]["summary"]["units"].as_u64().is_some_and(|n| n as usize == units.len() + 1), "{}", v["validation"]["summary"]);
    let (s, val) = send(&a, Method::GET, &format!("/api/scenarios/{id}/validate"), None, None).await;
    assert_eq!(s, StatusCode::OK, "{val}");
    assert_eq!(val["summary"], v["validation"]["summary"]);
    // what moves: the grid is gone, two pieces came, and the moved households add up
    let (s, m) = send(&a, Method::GET, &format!("/api/scenarios/{id}/diff"), None, None).await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["units_removed"].as_array().map(|x| x.len()), Some(1), "{m}");
    assert_eq!(m["units_added"].as_array().map(|x| x.len()), Some(2), "{m}");
    let moved: u64 = m["moves"].as_array().expect("moves").iter().filter_map(|x| x["households"].as_u64()).sum();
    assert_eq!(Some(moved), m["totals"]["households"].as_u64(), "{m}");
    assert!(m["moves"].as_array().expect("moves").iter().all(|x| x["from"] == json!(grid.id.0)), "{m}");

    // a second planner still at revision 0: 409 with the current revision
    let rename = json!({"op": "set_attributes", "unit": created[0], "name": "新网格"});
    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/ops"), Some(json!({"revision": 0, "op": rename})), None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["revision"], 1, "{v}");
    // a bad op is a 400 naming the problem
    let far = json!({"op": "split", "unit": created[0], "line": [[0.0, 0.0], [0.001, 0.001]]});
    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/ops"), Some(json!({"op": far})), Some(1)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["message"].as_str().unwrap_or("").contains("does not cross"), "{v}");

    // the pieces carry the next free codes under the grid's community
    let (_, v) = send(&a, Method::GET, &format!("/api/scenarios/{id}"), None, None).await;
    let feats = v["draft"]["features"].as_array().expect("draft");
    let piece_codes: Vec<String> = feats
        .iter()
        .filter(|f| created.iter().any(|c| f["properties"]["id"] == *c))
        .filter_map(|f| f["properties"]["code"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(piece_codes.len(), 2, "{piece_codes:?}");
    assert!(piece_codes.iter().all(|c| c.len() == 15 && c[..12] == code[..12] && *c != code), "{piece_codes:?} vs {code}");

    // undo, redo (If-Match)
    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/undo"), None, Some(1)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["created"], json!([grid.id.0]));
    assert_eq!((v["scenario"]["can_undo"].as_bool(), v["scenario"]["can_redo"].as_bool()), (Some(false), Some(true)));
    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/redo"), Some(json!({"revision": 2})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["removed"], json!([grid.id.0]));

    // publish: the next units version, and the served data switches to it
    let before = state.dataset().data_version();
    let (s, v) =
        send(&a, Method::POST, &format!("/api/scenarios/{id}/publish"), Some(json!({"revision": 3, "message": "湾沚 re-cut"})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);
    let d = state.dataset();
    assert_ne!(d.data_version(), before);
    assert!(d.hierarchy.get(&grid.id).is_none() && created.iter().all(|c| d.hierarchy.get(&c.as_str().into()).is_some()));
    let (s, v) = send(&a, Method::GET, &format!("/api/units/{}", created[0]), None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // the history names who published what and why
    let (_, v) = send(&a, Method::GET, "/api/layers/units/versions", None, None).await;
    let vs = v["versions"].as_array().expect("versions");
    assert_eq!(vs.len(), 2);
    assert_eq!(
        (vs[0]["version"].as_i64(), vs[0]["author"].as_str(), vs[0]["message"].as_str()),
        (Some(2), Some("local"), Some("湾沚 re-cut"))
    );
    assert!(vs[1]["author"].is_null(), "version 1 came from an import: {v}");

    // roll back to version 1: a new version 3 equal to version 1
    let (s, v) = send(&a, Method::POST, "/api/layers/units/rollback", Some(json!({"to": 1})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["version"].as_i64(), v["rollback_of"].as_i64()), (Some(3), Some(1)));
    assert!(state.dataset().hierarchy.get(&grid.id).is_some());
    let (v1, v3) = {
        let st = wangge::sync::lock(state.store.as_ref().expect("store"));
        (st.read_version(LayerKind::Units, 1).expect("v1"), st.read_version(LayerKind::Units, 3).expect("v3"))
    };
    let (Layer::Units(v1), Layer::Units(v3)) = (v1, v3) else { panic!("units") };
    same_units(&v1, &v3);
    same_units(&v1, &units);
    let (s, v) = send(&a, Method::POST, "/api/layers/units/rollback", Some(json!({"to": 9})), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    // the scenario started from version 1 and was published as 2; the layer is now at 3: publishing again is refused
    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/publish"), None, Some(3)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["message"].as_str().unwrap_or("").contains("start a new scenario"), "{v}");
}

#[test]
fn wrong_codes_are_refused_on_import_with_the_unit_and_the_problem() {
    let text = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "S", "level": "street", "code": "370202001"},
         "geometry": {"type": "Polygon", "coordinates": [[[120.0, 36.0], [120.01, 36.0], [120.01, 36.01], [120.0, 36.01], [120.0, 36.0]]]}},
        {"type": "Feature", "properties": {"id": "C1", "level": "community", "parent_id": "S", "code": "370203001001"},
         "geometry": {"type": "Polygon", "coordinates": [[[120.0, 36.0], [120.005, 36.0], [120.005, 36.01], [120.0, 36.01], [120.0, 36.0]]]}},
        {"type": "Feature", "properties": {"id": "C2", "level": "community", "parent_id": "S", "code": "37020200100X"},
         "geometry": {"type": "Polygon", "coordinates": [[[120.005, 36.0], [120.01, 36.0], [120.01, 36.01], [120.005, 36.01], [120.005, 36.0]]]}}
    ]});
    let e = read_str(&text.to_string(), false, "units.geojson", &ImportOptions::new(LayerKind::Units)).expect_err("bad codes");
    let ImportFailure::Features { errors, total } = &e else { panic!("{e}") };
    assert_eq!(*total, 2, "{e}");
    assert_eq!((errors[0].id.as_deref(), errors[0].field.as_deref()), (Some("C1"), Some("code")));
    assert!(errors[0].problem.contains("370203001001") && errors[0].problem.contains("parent S (370202001)"), "{e}");
    assert!(errors[1].problem.contains("digits only"), "{e}");
}

#[test]
fn the_cli_applies_an_edited_layer_publishes_and_rolls_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("w.duckdb");
    let admin = common::repo("data/shinan/admin.geojson");
    ok(&wangge(&["import", "--db", p(&db), "--layer", "units", p(&admin)]));
    // the edited layer: one street renamed, another dropped
    let mut fc: Value = serde_json::from_str(&std::fs::read_to_string(&admin).expect("admin")).expect("json");
    let feats = fc["features"].as_array_mut().expect("features");
    feats[1]["properties"]["name"] = json!("云南路街道（新）");
    let dropped = feats.remove(2)["properties"]["id"].as_str().expect("id").to_owned();
    let edited = dir.path().join("edited.geojson");
    std::fs::write(&edited, fc.to_string()).expect("write");
    let out = ok(&wangge(&["scenario", "apply", "--db", p(&db), "--name", "qgis", "--json", p(&edited)]));
    let v: Value = serde_json::from_str(out.trim()).expect("json output");
    assert_eq!(v["changed"], json!(["street-16846886"]), "{out}");
    assert_eq!(v["removed"], json!([dropped]), "{out}");
    assert_eq!(v["scenario"]["revision"], 1);
    // the validation and what moves come with it (no buildings stored: nothing moves)
    assert_eq!(v["validation"]["summary"]["units"].as_u64(), Some(11), "{out}");
    assert_eq!(v["diff"]["units_removed"][0]["unit"], json!(dropped), "{out}");
    let out = ok(&wangge(&["scenario", "apply", "--db", p(&db), "--name", "qgis", p(&edited)]));
    assert!(out.contains("revision 2") && out.contains("0 unit(s) changed"), "{out}");
    assert!(out.contains("validation: ") && out.contains("what moves: 0 unit(s) added, 1 removed"), "{out}");
    let out = ok(&wangge(&["scenario", "publish", "--db", p(&db), "--name", "qgis", "--message", "from QGIS"]));
    assert!(out.contains("as units version 2 (11 units)"), "{out}");
    let out = ok(&wangge(&["rollback", "--db", p(&db), "--layer", "units", "--to", "1"]));
    assert!(out.contains("written again as version 3 (12 units)"), "{out}");
    let store = Store::open(&db).expect("open");
    let (Layer::Units(v1), Layer::Units(v3)) =
        (store.read_version(LayerKind::Units, 1).expect("v1"), store.read_version(LayerKind::Units, 3).expect("v3"))
    else {
        panic!("units")
    };
    same_units(&v1, &v3);
    let vs = store.unit_versions().expect("versions");
    let p2 = vs.iter().find(|v| v.version == 2).and_then(|v| v.publication.clone()).expect("publication");
    assert_eq!((p2.author.as_str(), p2.message.as_str(), p2.scenario.is_some()), ("cli", "from QGIS", true));
    drop(store);
    // wrong codes in the edited file: refused with the unit and the problem, nothing applied
    feats_with_bad_code(&edited);
    let o = wangge(&["scenario", "apply", "--db", p(&db), "--name", "qgis", p(&edited)]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("street-16868579") && err.contains("code 371202005"), "{err}");
}

fn feats_with_bad_code(path: &std::path::Path) {
    let mut fc: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    fc["features"][2]["properties"]["division_code"] = json!("371202005");
    std::fs::write(path, fc.to_string()).expect("write");
}
