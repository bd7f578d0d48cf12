//! Jurisdiction on the map, layer, analysis and tile routes: as a street's
//! staff (unit U), nothing of a sibling street V is returned, counts equal a
//! recount inside U, V's units and cameras are 403, tiles hold only U's
//! features and are not served across jurisdictions.

use crate::common::{self, send};

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use geo::BoundingRect;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::{AppState, app as router};
use wangge_engine::dataset::Dataset;
use wangge_engine::people::{Actor, Role};

fn as_actor(state: &Arc<AppState>, unit: Option<&str>, role: Role) -> axum::Router {
    let actor = Actor { name: format!("staff-{}", unit.unwrap_or("all")), role, unit: unit.map(str::to_owned), department: None };
    router(state.clone()).layer(axum::Extension(actor))
}

async fn json(app: &axum::Router, method: &str, uri: &str, body: &str) -> (StatusCode, Value) {
    let (s, _, b) = send(app, method, uri, body).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    json(app, "GET", uri, "").await
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// What lies under one unit, counted directly from the dataset (not through `Jurisdiction`).
#[derive(Debug, Default)]
struct Inside {
    units: BTreeSet<String>,
    buildings: BTreeSet<String>,
    cameras: BTreeSet<String>,
    facilities: BTreeSet<String>,
    incidents: BTreeSet<String>,
}

impl Inside {
    fn of(d: &Dataset, u: usize) -> Inside {
        let h = &d.hierarchy;
        let at = |p: geo::Point<f64>| d.under(d.locator.locate_point(p), u);
        Inside {
            units: (0..h.len()).filter(|&i| h.chain(i).contains(&u)).map(|i| h.units[i].id.0.clone()).collect(),
            buildings: (0..d.buildings.len()).filter(|&b| d.building_in(b, u)).map(|b| d.buildings[b].id.clone()).collect(),
            cameras: d.cameras.iter().filter(|c| at(c.position)).map(|c| c.id.clone()).collect(),
            facilities: d.facilities.iter().filter(|f| at(f.position)).map(|f| f.id.clone()).collect(),
            incidents: (0..d.incidents.len()).filter(|&n| d.incident_in(n, u)).map(|n| d.incidents[n].id.clone()).collect(),
        }
    }

    fn layer(&self, name: &str) -> &BTreeSet<String> {
        match name {
            "units" => &self.units,
            "buildings" => &self.buildings,
            "cameras" | "camera_views" => &self.cameras,
            "facilities" => &self.facilities,
            "incidents" => &self.incidents,
            other => panic!("no id set for layer {other}"),
        }
    }

    /// Every id (units, buildings, cameras, facilities, incidents).
    fn all(&self) -> BTreeSet<&str> {
        [&self.units, &self.buildings, &self.cameras, &self.facilities, &self.incidents]
            .into_iter()
            .flat_map(|s| s.iter().map(String::as_str))
            .collect()
    }
}

/// Every string anywhere in a JSON value.
fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// No id of `outside` appears in `v`.
fn no_leak(v: &Value, outside: &Inside, what: &str) {
    let all = outside.all();
    let mut s = Vec::new();
    strings(v, &mut s);
    let leaked: Vec<&&str> = s.iter().filter(|x| all.contains(**x)).take(5).collect();
    assert!(leaked.is_empty(), "{what}: ids from outside the jurisdiction: {leaked:?}");
}

/// Two sibling streets whose bounding boxes meet (so that tiles hold both), with the most buildings first.
fn streets(d: &Dataset) -> (usize, usize) {
    let h = &d.hierarchy;
    let s: Vec<usize> = (0..h.len()).filter(|&i| h.units[i].level.0 == "street").collect();
    for &u in &s {
        for &v in &s {
            let (Some(a), Some(b)) = (h.units[u].geometry.bounding_rect(), h.units[v].geometry.bounding_rect()) else { continue };
            if u != v
                && h.parent[u] == h.parent[v]
                && wangge_engine::geometry::index::rects_touch(a, b)
                && (0..d.buildings.len()).any(|x| d.building_in(x, u))
                && (0..d.buildings.len()).any(|x| d.building_in(x, v))
            {
                return (u, v);
            }
        }
    }
    panic!("no two neighbouring streets");
}

struct Fixture {
    state: Arc<AppState>,
    d: Arc<Dataset>,
    u: usize,
    v: usize,
    inside_u: Inside,
    inside_v: Inside,
}

fn fixture() -> Fixture {
    let state = AppState::new(common::demo_dataset(), common::repo("web"));
    let d = state.dataset();
    let (u, v) = streets(&d);
    let inside_u = Inside::of(&d, u);
    let inside_v = Inside::of(&d, v);
    assert!(inside_u.units.is_disjoint(&inside_v.units));
    for s in [&inside_u, &inside_v] {
        assert!(s.units.len() > 3 && !s.buildings.is_empty() && !s.cameras.is_empty() && !s.incidents.is_empty(), "{s:?}");
    }
    Fixture { state, d, u, v, inside_u, inside_v }
}

impl Fixture {
    fn id(&self, i: usize) -> &str {
        &self.d.hierarchy.units[i].id.0
    }
}

#[tokio::test]
async fn layers_units_features_and_check_hold_only_the_jurisdiction() {
    let f = fixture();
    let d = &f.d;
    let app = as_actor(&f.state, Some(f.id(f.u)), Role::Screen);

    // /api/units: exactly the subtree
    let (s, v) = get(&app, "/api/units").await;
    assert_eq!(s, StatusCode::OK);
    let ids: BTreeSet<String> = v["units"].as_array().expect("units").iter().map(|u| u["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(ids, f.inside_u.units);
    no_leak(&v, &f.inside_v, "/api/units");
    let (_, v) = get(&app, "/api/units?level=grid").await;
    assert!(
        v["units"]
            .as_array()
            .expect("units")
            .iter()
            .all(|u| u["level"] == "grid" && f.inside_u.units.contains(u["id"].as_str().expect("id")))
    );

    // /api/units/{id}: inside 200 (ancestors named in the chain only), outside 403 with the reason
    let (s, v) = get(&app, &format!("/api/units/{}", enc(f.id(f.u)))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["children"].as_array().expect("children").iter().all(|c| f.inside_u.units.contains(c["id"].as_str().expect("id"))));
    no_leak(&v, &f.inside_v, "/api/units/U");
    for id in [f.id(f.v).to_owned(), f.inside_v.units.iter().next_back().expect("a unit of V").clone()] {
        let (s, e) = get(&app, &format!("/api/units/{}", enc(&id))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        let m = e["message"].as_str().expect("message");
        assert!(m.contains(&id) && m.contains("outside the jurisdiction") && m.contains(f.id(f.u)), "{m}");
    }
    // the district itself (an ancestor) is outside too
    let root = d.hierarchy.parent[f.u].expect("district");
    assert_eq!(get(&app, &format!("/api/units/{}", enc(f.id(root)))).await.0, StatusCode::FORBIDDEN);

    // /api/layers: counts equal a recount inside U; bounds are U's
    let (_, v) = get(&app, "/api/layers").await;
    let count = |name: &str| v["layers"].as_array().expect("layers").iter().find(|l| l["name"] == name).expect(name)["features"].as_u64();
    for layer in ["units", "buildings", "cameras", "facilities", "incidents"] {
        assert_eq!(count(layer), Some(f.inside_u.layer(layer).len() as u64), "{layer}");
    }
    assert_eq!(count("camera_views"), Some(f.inside_u.cameras.len() as u64));
    assert_eq!(count("heatmap"), Some(f.inside_u.incidents.len() as u64), "no live incidents yet");
    let r = d.hierarchy.units[f.u].geometry.bounding_rect().expect("bounds");
    assert_eq!(v["bounds"], json!([r.min().x, r.min().y, r.max().x, r.max().y]));

    // /api/features/{layer}: only features inside, by id and by coordinates; totals are the recount
    for layer in ["units", "buildings", "cameras", "facilities", "incidents"] {
        let (s, fc) = get(&app, &format!("/api/features/{layer}?limit=100000")).await;
        assert_eq!(s, StatusCode::OK, "{layer}: {fc}");
        let feats = fc["features"].as_array().expect("features");
        let ids: BTreeSet<String> = feats.iter().map(|x| x["properties"]["id"].as_str().expect("id").to_owned()).collect();
        assert_eq!(&ids, f.inside_u.layer(layer), "{layer}");
        assert_eq!(fc["total"].as_u64(), Some(ids.len() as u64), "{layer}");
        for x in feats.iter().filter(|x| x["geometry"]["type"] == "Point") {
            let c = &x["geometry"]["coordinates"];
            let p = geo::Point::new(c[0].as_f64().expect("lon"), c[1].as_f64().expect("lat"));
            if layer != "incidents" {
                assert!(d.under(d.locator.locate_point(p), f.u), "{layer} {} at {p:?} lies outside U", x["properties"]["id"]);
            }
            assert!(r.min().x <= p.x() && p.x() <= r.max().x && r.min().y <= p.y() && p.y() <= r.max().y, "{layer} at {p:?}");
        }
        no_leak(&fc, &f.inside_v, layer);
    }
    let (_, fc) = get(&app, "/api/features/problems").await;
    no_leak(&fc, &f.inside_v, "problems");

    // /api/check: loads of the units inside only, the summary recounted
    let (s, rep) = get(&app, "/api/check").await;
    assert_eq!(s, StatusCode::OK);
    let loads: BTreeSet<String> =
        rep["loads"].as_array().expect("loads").iter().map(|l| l["unit"].as_str().expect("unit").to_owned()).collect();
    assert_eq!(loads, f.inside_u.units);
    assert_eq!(rep["summary"]["units"].as_u64(), Some(f.inside_u.units.len() as u64));
    assert_eq!(rep["summary"]["buildings"].as_u64(), Some(f.inside_u.buildings.len() as u64));
    assert_eq!(rep["buildings_unassigned"], json!([]));
    no_leak(&rep, &f.inside_v, "/api/check");
    let (_, all) = get(&as_actor(&f.state, None, Role::Screen), "/api/check").await;
    assert_eq!(all["summary"]["units"].as_u64(), Some(d.hierarchy.len() as u64), "the whole district as before");
}

#[tokio::test]
async fn graphs_and_coverage_stay_inside() {
    let f = fixture();
    let app = as_actor(&f.state, Some(f.id(f.u)), Role::Planner);
    let h = &f.d.hierarchy;
    let grids = |inside: &Inside| -> Vec<String> {
        inside
            .units
            .iter()
            .filter(|id| h.get(&wangge_engine::model::UnitId((*id).clone())).is_some_and(|i| h.units[i].level.0 == "grid"))
            .cloned()
            .collect()
    };
    let (grids_u, grids_v) = (grids(&f.inside_u), grids(&f.inside_v));
    assert!(grids_u.len() >= 2 && !grids_v.is_empty());

    for uri in [
        "/api/adjacency?level=grid",
        "/api/adjacency?level=grid&format=geojson",
        "/api/ab-pairs?level=grid",
        "/api/ab-pairs?level=grid&within=any",
    ] {
        let (s, v) = get(&app, uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {v}");
        no_leak(&v, &f.inside_v, uri);
        let mut s = Vec::new();
        strings(&v, &mut s);
        assert!(s.iter().any(|x| f.inside_u.units.contains(*x)), "{uri}: names units of U");
    }
    let (s, v) = json(&app, "POST", "/api/alliances/propose", r#"{"level":"grid","geojson":true}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    no_leak(&v, &f.inside_v, "propose");
    // validating a group with a unit of V is refused, naming it
    let v_grid = &grids_v[0];
    let body = json!({"level": "grid", "groups": [[grids_u[0], v_grid]]}).to_string();
    let (s, e) = json(&app, "POST", "/api/alliances/validate", &body).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(e["message"].as_str().expect("message").contains(v_grid.as_str()));
    let body = json!({"level": "grid", "groups": [[grids_u[0], grids_u[1]]]}).to_string();
    let (s, v) = json(&app, "POST", "/api/alliances/validate", &body).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // coverage: without a unit, U's; V is 403 everywhere
    let (s, v) = get(&app, "/api/coverage/cameras").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["unit"]["id"], f.id(f.u));
    assert_eq!(v["cameras"].as_u64(), Some(f.inside_u.cameras.len() as u64));
    no_leak(&v, &f.inside_v, "/api/coverage/cameras");
    let vid = enc(f.id(f.v));
    for uri in [
        format!("/api/coverage/cameras?unit={vid}"),
        format!("/api/coverage/gaps?unit={vid}&format=geojson"),
        format!("/api/coverage/gaps?unit={vid}&format=h3"),
        format!("/api/coverage/high-points?unit={vid}"),
    ] {
        assert_eq!(get(&app, &uri).await.0, StatusCode::FORBIDDEN, "{uri}");
    }
    let siting = |unit: &str| json!({"unit": unit, "k": 1, "camera": {"fov": 360, "range": 40, "height": 6}}).to_string();
    let (s, e) = json(&app, "POST", "/api/coverage/siting", &siting(f.id(f.v))).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, r) = json(&app, "POST", "/api/coverage/siting", &siting(f.id(f.u))).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    for p in r["proposals"].as_array().expect("proposals") {
        let pt = geo::Point::new(p["lon"].as_f64().expect("lon"), p["lat"].as_f64().expect("lat"));
        assert!(f.d.under(f.d.locator.locate_point(pt), f.u), "siting proposal at {pt:?} outside U");
    }
    let (s, v) = get(&app, &format!("/api/coverage/gaps?unit={}&format=geojson", enc(f.id(f.u)))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = get(&app, "/api/coverage/high-points?n=2").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["unit"], f.id(f.u));
    for c in v["cameras"].as_array().expect("cameras") {
        assert!(f.inside_u.buildings.contains(c["building"].as_str().expect("building")), "{c}");
    }
}

#[tokio::test]
async fn cameras_outside_are_forbidden_to_read_and_edit() {
    let store = wangge::store::Store::memory().expect("store");
    let state = AppState::with_store(common::demo_dataset(), common::repo("web"), store).expect("state");
    let d = state.dataset();
    let (u, v) = streets(&d);
    let (iu, iv) = (Inside::of(&d, u), Inside::of(&d, v));
    let app = as_actor(&state, Some(&d.hierarchy.units[u].id.0), Role::Planner);
    let cu = d.cameras.iter().find(|c| iu.cameras.contains(&c.id)).expect("camera in U").clone();
    let cv = d.cameras.iter().find(|c| iv.cameras.contains(&c.id)).expect("camera in V").clone();

    assert_eq!(get(&app, &format!("/api/cameras/{}", enc(&cu.id))).await.0, StatusCode::OK);
    let (s, e) = get(&app, &format!("/api/cameras/{}", enc(&cv.id))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let m = e["message"].as_str().expect("message");
    assert!(m.contains(&cv.id) && m.contains(&d.hierarchy.units[u].id.0), "{m}");

    let at = |id: &str, p: geo::Point<f64>| {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.x(), p.y()]},
               "properties": {"id": id, "kind": "dome", "fov": 360, "range": 30, "height": 6, "heading": 0}})
        .to_string()
    };
    // V's camera: no change, no delete; a new camera at V's camera's place: refused; U's camera moved into V: refused
    let (s, e) = json(&app, "PUT", &format!("/api/cameras/{}", enc(&cv.id)), &at(&cv.id, cv.position)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert_eq!(json(&app, "DELETE", &format!("/api/cameras/{}", enc(&cv.id)), "").await.0, StatusCode::FORBIDDEN);
    let (s, e) = json(&app, "POST", "/api/cameras", &at("CAM-IN-V", cv.position)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    assert!(e["message"].as_str().expect("message").contains("CAM-IN-V"));
    let (s, _) = json(&app, "PUT", &format!("/api/cameras/{}", enc(&cu.id)), &at(&cu.id, cv.position)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(state.dataset().cameras.len(), d.cameras.len(), "nothing changed");
    assert!(state.dataset().cameras.iter().any(|c| c.id == cv.id && c.position == cv.position));
    // inside: allowed
    let (s, r) = json(&app, "POST", "/api/cameras", &at("CAM-IN-U", cu.position)).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, r) = json(&app, "DELETE", "/api/cameras/CAM-IN-U", "").await;
    assert_eq!(s, StatusCode::OK, "{r}");
}

/// Per layer of a decoded tile: the ids of its features.
fn tile_ids(body: Vec<u8>) -> BTreeMap<String, BTreeSet<String>> {
    let r = mvt_reader::Reader::new(body).expect("decodes");
    let mut out = BTreeMap::new();
    for (k, m) in r.get_layer_metadata().expect("meta").into_iter().enumerate() {
        let ids = r
            .get_features(k)
            .expect("features")
            .into_iter()
            .filter_map(|f| match f.properties.and_then(|p| p.get("id").cloned()) {
                Some(mvt_reader::feature::Value::String(s)) => Some(s),
                _ => None,
            })
            .collect();
        out.insert(m.name, ids);
    }
    out
}

/// A tile at zoom `z` where the local view holds units of both U and V.
async fn shared_tile(f: &Fixture, z: u8) -> (u32, u32) {
    let h = &f.d.hierarchy;
    let everyone = as_actor(&f.state, None, Role::Screen);
    let a = h.units[f.u].geometry.bounding_rect().expect("U");
    let (xs, ys) = wangge::tiles::grid::tiles_covering(a, z);
    for x in xs {
        for y in ys.clone() {
            let (s, _, b) = send(&everyone, "GET", &format!("/tiles/buildings/{z}/{x}/{y}.mvt"), "").await;
            if s != StatusCode::OK {
                continue;
            }
            let ids = tile_ids(b).remove("buildings").unwrap_or_default();
            if !ids.is_disjoint(&f.inside_u.buildings) && !ids.is_disjoint(&f.inside_v.buildings) {
                return (x, y);
            }
        }
    }
    panic!("no z{z} tile with buildings of both streets");
}

#[tokio::test]
async fn tiles_hold_only_the_jurisdiction_and_are_cached_per_jurisdiction() {
    let f = fixture();
    let (z, (x, y)) = (14u8, shared_tile(&f, 14).await);
    let as_u = as_actor(&f.state, Some(f.id(f.u)), Role::Screen);
    let as_v = as_actor(&f.state, Some(f.id(f.v)), Role::Screen);
    let everyone = as_actor(&f.state, None, Role::Screen);
    let layers = ["units", "buildings", "cameras", "facilities", "incidents", "camera_views"];
    let composite = layers.join(",");
    // the local view first (fills the cache), then U, then V on the same tiles
    let mut seen: BTreeMap<&str, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut etags: BTreeMap<&str, String> = BTreeMap::new();
    for (who, app) in [("all", &everyone), ("U", &as_u), ("V", &as_v)] {
        let mut merged = BTreeMap::new();
        for l in layers {
            let (s, h, b) = send(app, "GET", &format!("/tiles/{l}/{z}/{x}/{y}.mvt"), "").await;
            if s == StatusCode::NO_CONTENT {
                continue;
            }
            assert_eq!(s, StatusCode::OK, "{who} {l}");
            if l == "buildings" {
                etags.insert(who, h.get(header::ETAG).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned());
            }
            merged.extend(tile_ids(b));
        }
        // the composite tile holds the same
        let (s, _, b) = send(app, "GET", &format!("/tiles/{composite}/{z}/{x}/{y}.mvt"), "").await;
        assert_eq!(s, StatusCode::OK, "{who} composite");
        assert_eq!(tile_ids(b), merged, "{who}: composite = its layers");
        seen.insert(who, merged);
    }
    for (who, inside, outside) in [("U", &f.inside_u, &f.inside_v), ("V", &f.inside_v, &f.inside_u)] {
        for (layer, ids) in &seen[who] {
            let want = inside.layer(layer);
            assert!(ids.is_subset(want), "{who} {layer}: {:?} outside", ids.difference(want).take(5).collect::<Vec<_>>());
            assert!(ids.is_disjoint(outside.layer(layer)), "{who} {layer}");
            // and everything of the jurisdiction the local view has there
            let local: BTreeSet<String> = seen["all"].get(layer).map(|s| s.intersection(want).cloned().collect()).unwrap_or_default();
            assert_eq!(ids, &local, "{who} {layer}: all of its features in the tile");
        }
        assert!(!seen[who]["buildings"].is_empty(), "{who} has buildings in the shared tile");
    }
    assert_ne!(seen["U"], seen["V"]);
    assert!(etags["U"] != etags["V"] && etags["U"] != etags["all"], "{etags:?}");
    // a V client's If-None-Match with U's ETag gets V's tile, not a 304
    let req = Request::get(format!("/tiles/buildings/{z}/{x}/{y}.mvt"))
        .header(header::IF_NONE_MATCH, &etags["U"])
        .body(Body::empty())
        .expect("req");
    assert_eq!(as_v.clone().oneshot(req).await.expect("resp").status(), StatusCode::OK);

    // TileJSON bounds and centre are U's
    let (_, tj) = get(&as_u, &format!("/tiles/{composite}.json")).await;
    let r = f.d.hierarchy.units[f.u].geometry.bounding_rect().expect("bounds");
    assert_eq!(tj["bounds"], json!([r.min().x, r.min().y, r.max().x, r.max().y]));
    assert_eq!(tj["center"][0].as_f64(), Some(r.center().x));

    // heat tiles count only U's incidents: over the tiles covering the district, the counts add up to U's
    let b = f.d.bounds().expect("bounds");
    let (xs, ys) = wangge::tiles::grid::tiles_covering(b, 11);
    for (app, want) in [(&as_u, f.inside_u.incidents.len()), (&as_v, f.inside_v.incidents.len()), (&everyone, f.d.incidents.len())] {
        let mut cells: BTreeMap<String, i64> = BTreeMap::new();
        for x in xs.clone() {
            for y in ys.clone() {
                let (s, _, body) = send(app, "GET", &format!("/tiles/heatmap/11/{x}/{y}.mvt?res=7"), "").await;
                if s == StatusCode::NO_CONTENT {
                    continue;
                }
                for feat in mvt_reader::Reader::new(body).expect("decodes").get_features(0).expect("features") {
                    let p = feat.properties.expect("props");
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
        assert_eq!(cells.values().sum::<i64>() as usize, want);
    }
    // a heat tile filtered by a unit of V, as U: 403
    let (s, _, _) = send(&as_u, "GET", &format!("/tiles/heatmap/11/{}/{}.mvt?unit={}", xs.start(), ys.start(), enc(f.id(f.v))), "").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_void_jurisdiction_sees_nothing() {
    let f = fixture();
    // an analyst: reads and runs analyses
    let app = as_actor(&f.state, Some("no-such-unit"), Role::Analyst);
    let (s, v) = get(&app, "/api/units").await;
    assert_eq!((s, v["units"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (_, v) = get(&app, "/api/layers").await;
    for l in v["layers"].as_array().expect("layers") {
        assert_eq!(l["features"], 0, "{}", l["name"]);
    }
    let (_, fc) = get(&app, "/api/features/buildings").await;
    assert_eq!(fc["total"], 0);
    let (_, rep) = get(&app, "/api/check").await;
    assert_eq!(rep["loads"], json!([]));
    let (s, v) = get(&app, "/api/adjacency?level=grid").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    no_leak(&v, &f.inside_u, "void adjacency");
    let (s, v) = get(&app, "/api/coverage/cameras").await;
    assert_eq!((s, v["cameras"].as_u64()), (StatusCode::OK, Some(0)));
    let (s, v) = get(&app, "/api/coverage/high-points").await;
    assert_eq!((s, v["cameras"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (x, y) = shared_tile(&f, 14).await;
    for l in ["units,buildings,cameras,incidents", "heatmap"] {
        assert_eq!(send(&app, "GET", &format!("/tiles/{l}/14/{x}/{y}.mvt"), "").await.0, StatusCode::NO_CONTENT, "{l}");
    }
}
