//! Published building reassignments (issue 15): a scenario's `reassign_building`, once published as the unit
//! attribute `assigned_buildings`, is where the served data puts the building — unit figures, the building
//! feature, the area question by unit, the integrity report — and a rollback gives the building back to its
//! footprint's unit. A units layer carrying the attribute is honoured on import and refused with the unit and
//! the building named when it is wrong; an assignment that no longer holds falls back to the footprint and is
//! reported by `wangge check`.

use axum::http::{Method, StatusCode};
use geo::BoundingRect;
use serde_json::{Value, json};
use wangge::http::app;

use crate::cli::{ok, p, wangge};
use crate::common;
use crate::planning::{demo_state, send};

/// (households, buildings) of a unit as `/api/units/{id}` answers.
async fn figures(a: &axum::Router, unit: &str) -> (u64, u64) {
    let (s, v) = send(a, Method::GET, &format!("/api/units/{unit}"), None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (v["households"].as_u64().expect("households"), v["buildings"].as_u64().expect("buildings"))
}

/// (households, buildings) of a unit as the area question answers.
async fn area(a: &axum::Router, unit: &str) -> (u64, u64) {
    let (s, v) = send(a, Method::POST, "/api/query/area", Some(json!({"unit": unit})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (v["households"].as_u64().expect("households"), v["buildings"].as_u64().expect("buildings"))
}

/// The building feature's properties, from `/api/features/buildings` over its box.
async fn building(a: &axum::Router, id: &str, bbox: geo::Rect<f64>) -> Value {
    let uri = format!("/api/features/buildings?bbox={},{},{},{}", bbox.min().x, bbox.min().y, bbox.max().x, bbox.max().y);
    let (s, v) = send(a, Method::GET, &uri, None, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let f = v["features"].as_array().expect("features").iter().find(|f| f["properties"]["id"] == json!(id)).cloned();
    f.expect("the building is served")["properties"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_reassignment_moves_the_building_everywhere_and_rollback_returns_it() {
    let (state, _) = demo_state();
    let a = app(state.clone());
    let d = state.dataset();
    let h = &d.hierarchy;
    // a building with households, wholly in its leaf; the target: a leaf of the same level whose box is far
    // from the building (so the area question cannot find it by its box)
    let (b, from) = d
        .building_assignment
        .iter()
        .enumerate()
        .find_map(|(b, x)| x.leaf.filter(|_| !x.is_cut() && d.buildings[b].households.unwrap_or(0) > 0).map(|l| (b, l)))
        .expect("a building with households in a leaf");
    let bb = d.buildings[b].footprint.bounding_rect().expect("box");
    let far = |i: usize| h.units[i].geometry.bounding_rect().is_some_and(|r| r.max().x < bb.min().x || r.min().x > bb.max().x);
    let to = h.leaves().into_iter().find(|&i| i != from && h.units[i].level == h.units[from].level && far(i)).expect("a far leaf");
    let (bid, from_id, to_id) = (d.buildings[b].id.clone(), h.units[from].id.0.clone(), h.units[to].id.0.clone());
    let hh = u64::from(d.buildings[b].households.unwrap_or(0));
    drop(d);
    let (f0, t0) = (figures(&a, &from_id).await, figures(&a, &to_id).await);
    let (af0, at0) = (area(&a, &from_id).await, area(&a, &to_id).await);
    assert_eq!((af0, at0), (f0, t0), "the area question and the unit panel agree before");
    let props = building(&a, &bid, bb).await;
    assert_eq!((props["leaf"].as_str(), props["assigned"].as_bool()), (Some(from_id.as_str()), Some(false)));

    // a scenario reassigns the building; its diff moves it; publish
    let (s, v) = send(&a, Method::POST, "/api/scenarios", Some(json!({"name": "reassign"})), None).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().expect("id").to_owned();
    let op = json!({"op": "reassign_building", "building": bid, "to": to_id});
    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/ops"), Some(json!({"revision": 0, "op": op})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, m) = send(&a, Method::GET, &format!("/api/scenarios/{id}/diff"), None, None).await;
    assert_eq!(m["moves"].as_array().map(Vec::len), Some(1), "{m}");
    // (a move is named at the highest level that differs; the per-unit figures name both grids)
    assert_eq!(m["moves"][0]["building"].as_str(), Some(bid.as_str()), "{m}");
    let unit_delta = |id: &str| {
        let u = m["units"].as_array().expect("units").iter().find(|u| u["unit"] == json!(id)).cloned().expect("unit in the diff");
        u["households_after"].as_i64().unwrap_or(0) - u["households_before"].as_i64().unwrap_or(0)
    };
    assert_eq!((unit_delta(&from_id), unit_delta(&to_id)), (-(hh as i64), hh as i64), "{m}");
    // undo and redo name the unit whose reassigned buildings change, as the op did (what the page fetches
    // again, and what the caller's jurisdiction is checked on)
    for (step, revision) in [("undo", 1), ("redo", 2)] {
        let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/{step}"), None, Some(revision)).await;
        assert_eq!(s, StatusCode::OK, "{step}");
        assert_eq!(v["changed"], json!([to_id]), "{step}: {}", v["changed"]);
    }
    let (s, v) = send(&a, Method::POST, &format!("/api/scenarios/{id}/publish"), Some(json!({"revision": 3})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["version"], 2);

    // served: the households moved between the two units' totals, in the panel and in the area question
    let (f1, t1) = (figures(&a, &from_id).await, figures(&a, &to_id).await);
    assert_eq!(f1, (f0.0 - hh, f0.1 - 1), "{from_id} loses the building");
    assert_eq!(t1, (t0.0 + hh, t0.1 + 1), "{to_id} gains it");
    assert_eq!((area(&a, &from_id).await, area(&a, &to_id).await), (f1, t1));
    let props = building(&a, &bid, bb).await;
    assert_eq!((props["leaf"].as_str(), props["assigned"].as_bool()), (Some(to_id.as_str()), Some(true)));
    let (_, r) = send(&a, Method::GET, "/api/check", None, None).await;
    assert_eq!(r["summary"]["buildings_assigned"], 1, "{}", r["summary"]);
    assert_eq!(
        (r["buildings_assigned"][0]["unit"].as_str(), r["buildings_assigned"][0]["footprint_unit"].as_str()),
        (Some(to_id.as_str()), Some(from_id.as_str()))
    );
    assert_eq!(r["summary"]["assignments_stale"], 0);
    // a new scenario starts from the published assignment: nothing moves until it is dropped
    let (_, v) = send(&a, Method::POST, "/api/scenarios", Some(json!({"name": "after"})), None).await;
    let id2 = v["id"].as_str().expect("id").to_owned();
    let (_, v) = send(&a, Method::GET, &format!("/api/scenarios/{id2}"), None, None).await;
    assert_eq!(v["overrides"][&bid], json!(to_id), "{}", v["overrides"]);
    let (_, m) = send(&a, Method::GET, &format!("/api/scenarios/{id2}/diff"), None, None).await;
    assert_eq!(m["totals"]["buildings"], 0, "{m}");

    // rollback to version 1: the building is back in its footprint's unit
    let (s, v) = send(&a, Method::POST, "/api/layers/units/rollback", Some(json!({"to": 1})), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((figures(&a, &from_id).await, figures(&a, &to_id).await), (f0, t0));
    assert_eq!((area(&a, &from_id).await, area(&a, &to_id).await), (af0, at0));
    assert_eq!(building(&a, &bid, bb).await["leaf"].as_str(), Some(from_id.as_str()));
}

fn square(id: &str, x: f64, y: f64, households: u32) -> Value {
    let e = 0.0001;
    json!({"type": "Feature", "properties": {"id": id, "households": households},
           "geometry": {"type": "Polygon", "coordinates": [[[x, y], [x + e, y], [x + e, y + e], [x, y + e], [x, y]]]}})
}

#[test]
fn an_imported_layer_carrying_assignments_is_honoured_checked_and_reported_when_stale() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("w.duckdb");
    let admin = common::repo("data/shinan/admin.geojson");
    let mut fc: Value = serde_json::from_str(&std::fs::read_to_string(&admin).expect("admin")).expect("json");
    // B1 lies in street 2; street 3 names it
    let units = common::shinan();
    let s2 = units.iter().find(|u| u.id.0 == "street-16846887").expect("street");
    let c = geo::InteriorPoint::interior_point(&s2.geometry).expect("inside");
    let buildings = dir.path().join("b.geojson");
    let bfc = json!({"type": "FeatureCollection", "features": [square("B1", c.x(), c.y(), 40), square("B2", c.x() + 0.0003, c.y(), 7)]});
    std::fs::write(&buildings, bfc.to_string()).expect("write");
    ok(&wangge(&["import", "--db", p(&db), "--layer", "buildings", p(&buildings)]));

    // wrong: the district (it has streets below it) names B2, and B1 is named by two streets
    fc["features"][0]["properties"]["assigned_buildings"] = json!(["B2"]);
    fc["features"][3]["properties"]["assigned_buildings"] = json!(["B1"]);
    fc["features"][4]["properties"]["assigned_buildings"] = json!(["B1"]);
    let units_file = dir.path().join("u.geojson");
    std::fs::write(&units_file, fc.to_string()).expect("write");
    let o = wangge(&["import", "--db", p(&db), "--layer", "units", p(&units_file)]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("building B2 is assigned to unit district-5655440, which has units below it"), "{err}");
    let (s3, s4) = (
        fc["features"][3]["properties"]["id"].as_str().expect("id").to_owned(),
        fc["features"][4]["properties"]["id"].as_str().expect("id").to_owned(),
    );
    assert!(err.contains(&format!("building B1 is assigned to both unit {s3} and unit {s4}")), "{err}");

    // right: street 3 alone names B1
    fc["features"][0]["properties"].as_object_mut().expect("props").remove("assigned_buildings");
    fc["features"][4]["properties"].as_object_mut().expect("props").remove("assigned_buildings");
    std::fs::write(&units_file, fc.to_string()).expect("write");
    ok(&wangge(&["import", "--db", p(&db), "--layer", "units", p(&units_file)]));
    let out = ok(&wangge(&["check", "--db", p(&db), "--json"]));
    let r: Value = serde_json::from_str(&out).expect("json");
    let load =
        |id: &str| r["loads"].as_array().expect("loads").iter().find(|l| l["unit"] == json!(id)).expect("load")["households"].clone();
    assert_eq!((load(&s3), load("street-16846887")), (json!(40), json!(7)), "B1 counts in {s3}, B2 stays in its street");
    assert_eq!(r["buildings_assigned"], json!([{"building": "B1", "unit": s3, "footprint_unit": "street-16846887"}]));

    // the buildings change: B1 is gone, so the assignment is stale and reported, not fatal
    let bfc = json!({"type": "FeatureCollection", "features": [square("B2", c.x() + 0.0003, c.y(), 7)]});
    std::fs::write(&buildings, bfc.to_string()).expect("write");
    ok(&wangge(&["import", "--db", p(&db), "--layer", "buildings", p(&buildings)]));
    let out = ok(&wangge(&["check", "--db", p(&db)]));
    assert!(out.contains("stale assignments 1"), "{out}");
    assert!(out.contains(&format!("building B1 is assigned to unit {s3}, but there is no building B1")), "{out}");

    // a scenario from an edited layer carrying the attribute takes it as its reassignments
    fc["features"][5]["properties"]["assigned_buildings"] = json!(["B2"]);
    let s5 = fc["features"][5]["properties"]["id"].as_str().expect("id").to_owned();
    std::fs::write(&units_file, fc.to_string()).expect("write");
    let out = ok(&wangge(&["scenario", "apply", "--db", p(&db), "--name", "qgis", "--json", p(&units_file)]));
    let v: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(v["diff"]["totals"]["buildings"], 1, "{out}");
    assert_eq!(v["diff"]["moves"][0]["to"], json!(s5), "{out}");
}
