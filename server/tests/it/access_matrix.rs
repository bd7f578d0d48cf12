//! The role × route × inside/outside matrix (issue 13, part 2): every route
//! of the router's own list ([`wangge::http::route_table`]), every role, a
//! target inside the caller's street and one in a sibling street, on two
//! layouts (the demo district, and a generated one). A role the access
//! table refuses gets 403 naming the role; an allowed role gets an answer
//! with nothing from the sibling street in it (ids checked in JSON, GeoJSON,
//! vector tiles and the event stream), and a write or a read of one thing
//! in the sibling street is refused. A route without a sample request here
//! fails the test: a new route cannot be forgotten.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use geo::InteriorPoint;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::access::{RouteInfo, allowed};
use wangge::http::{AppState, app, route_table};
use wangge::store::Store;
use wangge_engine::dataset::Dataset;
use wangge_engine::model::{Attributes, Layer, Level, Unit, UnitId};
use wangge_engine::people::{Actor, Role};
use wangge_engine::synth;
use wangge_engine::units::integrity::IntegrityConfig;
use wangge_engine::units::jurisdiction::Jurisdiction;

use crate::common;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Inside,
    Outside,
}

/// One street and its sibling, with things in each.
struct Place {
    street: String,
    point: (f64, f64),
    leaf: String,
    grids: Vec<String>,
    camera: String,
    tile: (u8, u32, u32),
    live: String,
    sensor: String,
}

struct Layout {
    name: &'static str,
    state: Arc<AppState>,
    inside: Place,
    outside: Place,
    /// Every id of a thing in the sibling street's subtree.
    foreign: HashSet<String>,
}

fn dataset(layers: Vec<Layer>) -> Dataset {
    let mut d = Dataset::empty(IntegrityConfig::default());
    for l in layers {
        d.versions.insert(l.kind(), 1);
        d.set(l).expect("valid layer");
    }
    d.rebuild();
    d
}

/// A generated district: four lattice streets, two communities each, two grids each (labelled generated).
fn generated_layers() -> Vec<Layer> {
    let cells =
        synth::lattice_units(&synth::LatticeSpec { cols: 2, rows: 2, cell_m: 1800.0, densify: 2, seed: 11, origin: (120.30, 36.05) });
    let mut attrs = Attributes::default();
    attrs.insert("generated".into(), json!(true));
    let bounds = cells
        .iter()
        .filter_map(|u| geo::BoundingRect::bounding_rect(&u.geometry))
        .reduce(wangge_engine::geometry::index::rect_union)
        .expect("bounds");
    let district = Unit {
        id: UnitId("GEN-D".into()),
        parent: None,
        level: Level("district".into()),
        name: "生成区".into(),
        geometry: geo::MultiPolygon(vec![bounds.to_polygon()]),
        attributes: attrs.clone(),
    };
    let streets: Vec<Unit> = cells
        .into_iter()
        .enumerate()
        .map(|(i, mut u)| {
            u.id = UnitId(format!("GEN-S{i}"));
            u.parent = Some(district.id.clone());
            u.level = Level("street".into());
            u.name = format!("生成街道{i}");
            u.attributes = attrs.clone();
            u
        })
        .collect();
    let [community, grid, _] = synth::naming::demo_levels(2, 2, 0);
    let nested = synth::nest_levels(&streets, &[community, grid], 5);
    let grids: Vec<Unit> = nested.iter().filter(|u| u.level.0 == "grid").cloned().collect();
    let comms: Vec<Unit> = nested.iter().filter(|u| u.level.0 == "community").cloned().collect();
    let buildings = synth::generate_buildings(&grids, &synth::BuildingSpec { per_leaf: 4, straddle_share: 0.05, seed: 8 });
    let cameras = synth::generate_cameras(&buildings, 0.6, 9);
    let facilities = synth::generate_facilities(&comms, &grids, 10);
    let incidents = synth::generate_incidents(
        &buildings,
        &grids,
        &synth::IncidentSpec { count: 600, from: 1_767_196_800, to: 1_790_000_000, seed: 12 },
    );
    let mut units = vec![district];
    units.extend(streets);
    units.extend(nested);
    vec![
        Layer::Units(units),
        Layer::Buildings(buildings),
        Layer::Cameras(cameras),
        Layer::Facilities(facilities),
        Layer::Incidents(incidents),
    ]
}

async fn send(app: &axum::Router, method: &Method, uri: &str, body: Option<&Value>) -> (StatusCode, String, Vec<u8>) {
    let b = Request::builder().method(method.clone()).uri(uri).header(header::HOST, "127.0.0.1:8080");
    let req = match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let status = resp.status();
    let ctype = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut body = resp.into_body();
    let mut bytes = Vec::new();
    // the event stream never ends: read what comes within a moment
    let deadline = tokio::time::Instant::now() + Duration::from_millis(if ctype.starts_with("text/event-stream") { 700 } else { 60_000 });
    while let Ok(Some(Ok(f))) = tokio::time::timeout_at(deadline, body.frame()).await {
        if let Some(d) = f.data_ref() {
            bytes.extend_from_slice(d);
        }
    }
    (status, ctype, bytes)
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Every string value of an answer (JSON, the event stream's data lines, vector tile properties).
fn values(ctype: &str, bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    if ctype.starts_with("application/vnd.mapbox-vector-tile") {
        let reader = mvt_reader::Reader::new(bytes.to_vec()).expect("our tile decodes");
        for (i, _) in reader.get_layer_names().expect("layers").iter().enumerate() {
            for f in reader.get_features(i).expect("features") {
                for v in f.properties.iter().flat_map(|p| p.values()) {
                    if let mvt_reader::feature::Value::String(s) = v {
                        out.push(s.clone());
                    }
                }
            }
        }
    } else if ctype.starts_with("text/event-stream") {
        for line in String::from_utf8_lossy(bytes).lines() {
            if let Some(data) = line.strip_prefix("data:")
                && let Ok(v) = serde_json::from_str::<Value>(data.trim())
            {
                strings(&v, &mut out);
            }
        }
    } else if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        strings(&v, &mut out);
    }
    out
}

fn place(d: &Dataset, street: &str, tag: &str) -> Place {
    let j = Jurisdiction::of(d, Some(street));
    let h = &d.hierarchy;
    let leaf = (0..h.len()).find(|&i| j.unit(i) && h.children[i].is_empty()).expect("a leaf in the street");
    let p = h.units[leaf].geometry.interior_point().expect("interior point");
    let grids: Vec<String> = (0..h.len()).filter(|&i| j.unit(i) && h.units[i].level.0 == "grid").map(|i| h.units[i].id.0.clone()).collect();
    let camera = d.cameras.iter().find(|c| j.point(d, c.position)).expect("a camera in the street").id.clone();
    let (xs, ys) = wangge::tiles::grid::tiles_covering(geo::Rect::new(p.0, p.0), 14);
    Place {
        street: street.to_owned(),
        point: (p.x(), p.y()),
        leaf: h.units[leaf].id.0.clone(),
        grids,
        camera,
        tile: (14, *xs.start(), *ys.start()),
        live: format!("LIVE-{tag}"),
        sensor: format!("GAS-{tag}"),
    }
}

async fn layout(name: &'static str, layers: Vec<Layer>) -> Layout {
    let mut store = Store::memory().expect("store");
    let units = layers.iter().find(|l| matches!(l, Layer::Units(_))).expect("units").clone();
    store.write_layer(&units, "test", "wgs84", |_| Ok(None)).expect("units stored");
    let d = dataset(layers);
    let streets: Vec<usize> = (0..d.hierarchy.len()).filter(|&i| d.hierarchy.units[i].level.0 == "street").collect();
    let (a, b) = (d.hierarchy.units[streets[0]].id.0.clone(), d.hierarchy.units[streets[1]].id.0.clone());
    let inside = place(&d, &a, "IN");
    let outside = place(&d, &b, "OUT");
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    let admin = app(state.clone());
    // live incidents and sensors in both streets, posted in open local mode
    for p in [&inside, &outside] {
        let body = json!({"id": p.live, "lon": p.point.0, "lat": p.point.1, "category": "环境卫生", "reporter": "t"});
        let (s, _, b) = send(&admin, &Method::POST, "/api/incidents", Some(&body)).await;
        assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
        let body = json!({"id": p.sensor, "kind": "gas", "lon": p.point.0, "lat": p.point.1});
        let (s, _, b) = send(&admin, &Method::POST, "/api/sensors", Some(&body)).await;
        assert!(s.is_success(), "{}", String::from_utf8_lossy(&b));
    }
    let d = state.dataset();
    let j = Jurisdiction::of(&d, Some(&outside.street));
    let mut foreign: HashSet<String> = (0..d.hierarchy.len()).filter(|&i| j.unit(i)).map(|i| d.hierarchy.units[i].id.0.clone()).collect();
    foreign.extend((0..d.buildings.len()).filter(|&i| j.building(&d, i)).map(|i| d.buildings[i].id.clone()));
    foreign.extend(d.cameras.iter().filter(|c| j.point(&d, c.position)).map(|c| c.id.clone()));
    foreign.extend(d.facilities.iter().filter(|f| j.point(&d, f.position)).map(|f| f.id.clone()));
    foreign.extend((0..d.incidents.len()).filter(|&i| j.incident(&d, i)).map(|i| d.incidents[i].id.clone()));
    foreign.extend([outside.live.clone(), outside.sensor.clone(), "CAM-M-OUT".into()]);
    assert!(foreign.len() > 20, "{name}: the sibling street holds things");
    Layout { name, state, inside, outside, foreign }
}

/// The requests that exercise one route for one side: (uri, body).
fn samples(r: &RouteInfo, l: &Layout, side: Side, role: Role) -> Vec<(String, Option<Value>)> {
    let p = if side == Side::Inside { &l.inside } else { &l.outside };
    let (lon, lat) = p.point;
    let tag = format!("{}-{}", role.as_str(), if side == Side::Inside { "IN" } else { "OUT" });
    let one = |u: String| vec![(u, None)];
    let with = |u: &str, b: Value| vec![(u.to_owned(), Some(b))];
    let (z, x, y) = p.tile;
    match (r.method.as_str(), r.path) {
        ("GET", "/api/layers") => one("/api/layers".into()),
        ("GET", "/api/units") => one("/api/units".into()),
        ("GET", "/api/units/{id}") => one(format!("/api/units/{}", p.street)),
        ("GET", "/api/features/{layer}") => ["units", "buildings", "cameras", "facilities", "incidents", "roads"]
            .iter()
            .map(|k| (format!("/api/features/{k}"), None))
            .collect(),
        ("GET", "/api/check") => one("/api/check".into()),
        ("GET", "/tiles/{name}") => wangge::tiles::source::names().map(|n| (format!("/tiles/{n}.json"), None)).collect(),
        ("GET", "/tiles/{layers}/{z}/{x}/{file}") => {
            let mut v: Vec<(String, Option<Value>)> =
                wangge::tiles::source::names().map(|n| (format!("/tiles/{n}/{z}/{x}/{y}.mvt"), None)).collect();
            for n in ["catchments", "service_gaps"] {
                v.push((
                    format!("/tiles/{n}/{z}/{x}/{y}.mvt?kind=%E5%85%9A%E7%BE%A4%E6%9C%8D%E5%8A%A1%E4%B8%AD%E5%BF%83&threshold=300"),
                    None,
                ));
            }
            v.push((format!("/tiles/{}/{z}/{x}/{y}.mvt", wangge::tiles::source::names().collect::<Vec<_>>().join(",")), None));
            v
        }
        ("GET", "/style.json") => one("/style.json".into()),
        ("GET", "/fonts/{stack}/{range}") => one("/fonts/Noto%20Sans%20Regular/0-255.pbf".into()),
        ("GET", "/api/adjacency") => one("/api/adjacency?level=grid".into()),
        ("POST", "/api/alliances/propose") => {
            with("/api/alliances/propose", json!({"level": "grid", "min_size": 1, "max_size": 3, "seed": 1}))
        }
        ("POST", "/api/alliances/validate") => with("/api/alliances/validate", json!({"level": "grid", "groups": [p.grids.clone()]})),
        ("GET", "/api/ab-pairs") => one("/api/ab-pairs?level=grid".into()),
        ("GET", "/api/coverage/cameras") => one("/api/coverage/cameras".into()),
        ("GET", "/api/coverage/gaps") => one(format!("/api/coverage/gaps?unit={}", p.leaf)),
        ("POST", "/api/coverage/siting") => {
            with("/api/coverage/siting", json!({"unit": p.leaf, "k": 1, "camera": {"fov": 360, "range": 40, "height": 6}}))
        }
        ("GET", "/api/service/kinds") => one("/api/service/kinds".into()),
        ("GET", "/api/coverage/service") => {
            one(format!("/api/coverage/service?kind=%E5%85%9A%E7%BE%A4%E6%9C%8D%E5%8A%A1%E4%B8%AD%E5%BF%83&unit={}", p.street))
        }
        ("GET", "/api/catchments") => {
            one("/api/catchments?kind=%E5%85%9A%E7%BE%A4%E6%9C%8D%E5%8A%A1%E4%B8%AD%E5%BF%83&threshold=500".into())
        }
        ("GET", "/api/service/gaps") => {
            one("/api/service/gaps?kind=%E5%85%9A%E7%BE%A4%E6%9C%8D%E5%8A%A1%E4%B8%AD%E5%BF%83&threshold=300".into())
        }
        ("POST", "/api/coverage/service/siting") => with(
            "/api/coverage/service/siting",
            json!({"kind": "党群服务中心", "k": 1, "unit": p.street, "candidates": "buildings", "threshold": 300}),
        ),
        ("GET", "/api/coverage/high-points") => one("/api/coverage/high-points?n=3&range=200&height=5".into()),
        ("POST", "/api/cameras") => with(
            "/api/cameras",
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                   "properties": {"id": format!("CAM-M-{tag}"), "kind": "dome", "fov": 360, "range": 30, "height": 6, "heading": 0}}),
        ),
        ("GET", "/api/cameras/{id}") => one(format!("/api/cameras/{}", p.camera)),
        ("PUT", "/api/cameras/{id}") => with(
            &format!("/api/cameras/{}", p.camera),
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                   "properties": {"kind": "fixed", "fov": 90, "range": 40, "height": 5, "heading": 45}}),
        ),
        ("DELETE", "/api/cameras/{id}") => one(format!("/api/cameras/{}", p.camera)),
        ("GET", "/api/heatmap") => one("/api/heatmap?res=8".into()),
        ("GET", "/api/hotspots") => one("/api/hotspots?res=8&k=1".into()),
        ("POST", "/api/incidents") => {
            with("/api/incidents", json!({"id": format!("N-{tag}"), "lon": lon, "lat": lat, "category": "环境卫生", "reporter": "t"}))
        }
        ("GET", "/api/incidents") => one("/api/incidents".into()),
        ("GET", "/api/incidents/{id}") => one(format!("/api/incidents/{}", p.live)),
        ("POST", "/api/incidents/{id}/transitions") => {
            with(&format!("/api/incidents/{}/transitions", p.live), json!({"to": "called", "actor": "t"}))
        }
        ("GET", "/api/kpi") => one("/api/kpi".into()),
        ("GET", "/api/screen/summary") => {
            let unit = (format!("/api/screen/summary?unit={}", p.street), None);
            if side == Side::Inside { vec![("/api/screen/summary".into(), None), unit] } else { vec![unit] }
        }
        ("GET", "/api/units/{id}/incidents") => one(format!("/api/units/{}/incidents", p.street)),
        ("POST", "/api/sensors") => with("/api/sensors", json!({"id": format!("S-{tag}"), "kind": "gas", "lon": lon, "lat": lat})),
        ("GET", "/api/sensors") => one("/api/sensors".into()),
        ("POST", "/api/sensors/{id}/readings") => with(&format!("/api/sensors/{}/readings", p.sensor), json!({"value": 1.0})),
        ("GET", "/api/taxonomy") => one("/api/taxonomy".into()),
        ("POST", "/api/login") => with("/api/login", json!({"name": "nobody", "password": "whatever-it-is"})),
        ("POST", "/api/logout") => one("/api/logout".into()),
        ("GET", "/api/me") => one("/api/me".into()),
        ("GET", "/api/admin/users") => one("/api/admin/users".into()),
        ("POST", "/api/admin/users") => with("/api/admin/users", json!({"name": format!("u-{tag}"), "role": "analyst"})),
        ("POST", "/api/admin/users/{name}/disable") => one("/api/admin/users/nobody/disable".into()),
        ("POST", "/api/admin/users/{name}/enable") => one("/api/admin/users/nobody/enable".into()),
        ("GET", "/api/admin/tokens") => one("/api/admin/tokens".into()),
        ("POST", "/api/admin/tokens") => with("/api/admin/tokens", json!({"user": "nobody"})),
        ("POST", "/api/admin/tokens/{id}/revoke") => one("/api/admin/tokens/0000000000000000/revoke".into()),
        ("GET", "/api/admin/audit") => one("/api/admin/audit?limit=50".into()),
        ("GET", "/api/admin/access") => one("/api/admin/access".into()),
        ("GET", "/health") => one("/health".into()),
        ("GET", "/ogc") => vec![("/ogc".into(), None), ("/ogc?f=html".into(), None)],
        ("GET", "/ogc/conformance") => one("/ogc/conformance".into()),
        ("GET", "/ogc/collections") => one("/ogc/collections".into()),
        ("GET", "/ogc/collections/{id}") => ["units", "buildings", "cameras", "facilities", "incidents", "roads"]
            .iter()
            .map(|k| (format!("/ogc/collections/{k}"), None))
            .collect(),
        ("GET", "/ogc/collections/{id}/items") => ["units", "buildings", "cameras", "facilities", "incidents", "roads"]
            .iter()
            .map(|k| (format!("/ogc/collections/{k}/items?limit=10000"), None))
            .chain([("/ogc/collections/units/items?level=grid&limit=10000".into(), None)])
            .collect(),
        ("GET", "/ogc/collections/{id}/items/{fid}") => vec![
            (format!("/ogc/collections/cameras/items/{}", p.camera), None),
            (format!("/ogc/collections/units/items/{}", p.street), None),
        ],
        ("GET", "/api/{*rest}") => one("/api/no-such-route".into()),
        ("POST", "/api/incidents/bulk") => with(
            "/api/incidents/bulk",
            json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                   "properties": {"id": format!("BULK-{tag}"), "category": "环境卫生", "occurred_at": "2026-11-01T08:00:00+08:00"}}]}),
        ),
        ("GET", "/api/stream") => one("/api/stream".into()),
        ("GET", "/api/evaluation") => vec![
            ("/api/evaluation?by=unit".into(), None),
            ("/api/evaluation?by=department".into(), None),
            ("/api/evaluation?by=grid_worker".into(), None),
        ],
        ("POST", "/api/admin/backup") => one("/api/admin/backup".into()),
        ("POST", "/api/query/area") if side == Side::Outside => with("/api/query/area", json!({"unit": p.street})),
        ("POST", "/api/query/area") => {
            // a polygon over the whole district counts only the caller's street
            let b = l.state.dataset().bounds().expect("data");
            let (x0, y0, x1, y1) = (b.min().x, b.min().y, b.max().x, b.max().y);
            let district = json!({"geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}});
            vec![
                ("/api/query/area".into(), Some(json!({"unit": p.street}))),
                ("/api/query/area".into(), Some(district.clone())),
                ("/api/query/area?table=buildings&format=geojson".into(), Some(district.clone())),
                ("/api/query/area?table=incidents&format=geojson".into(), Some(district)),
            ]
        }
        ("POST", "/api/sql") => with(
            "/api/sql",
            json!({"sql": "SELECT id FROM units UNION ALL SELECT id FROM buildings UNION ALL SELECT id FROM cameras \
                           UNION ALL SELECT id FROM facilities UNION ALL SELECT id FROM incidents", "limit": 100000}),
        ),
        ("GET", "/api/sql/schema") => one("/api/sql/schema".into()),
        (m, path) => panic!("no sample request for {m} {path}: add one to access_matrix.rs (every route is in the matrix)"),
    }
}

/// Routes whose sample names one thing (or writes at one place) in the street of the side.
fn targeted(r: &RouteInfo) -> bool {
    r.path.contains('{')
        && !r.path.starts_with("/tiles/")
        && !r.path.starts_with("/fonts/")
        && !r.path.starts_with("/api/admin/")
        && r.path != "/api/features/{layer}"
        && r.path != "/ogc/collections/{id}"
        && r.path != "/ogc/collections/{id}/items"
        && r.path != "/api/{*rest}"
        || (r.method != Method::GET
            && matches!(
                r.path,
                "/api/cameras"
                    | "/api/incidents"
                    | "/api/sensors"
                    | "/api/incidents/bulk"
                    | "/api/coverage/siting"
                    | "/api/coverage/service/siting"
                    | "/api/alliances/validate"
                    | "/api/query/area"
            ))
        || r.path == "/api/coverage/gaps"
        || r.path == "/api/coverage/service"
        || r.path == "/api/screen/summary"
}

async fn run_matrix(l: &Layout) -> usize {
    let table = route_table();
    let mut checked = 0;
    let mut failures = Vec::new();
    // reads first, then writes, deletions last (they change what later requests see)
    let mut order: Vec<&RouteInfo> = table.iter().collect();
    order.sort_by_key(|r| match r.method.as_str() {
        "GET" => 0,
        "DELETE" => 2,
        _ => 1,
    });
    for r in order {
        for role in Role::ALL {
            let actor = Actor {
                name: format!("{}-of-{}", role.as_str(), l.inside.street),
                role,
                unit: Some(l.inside.street.clone()),
                department: (role == Role::Department).then(|| "城管".into()),
            };
            let a = app(l.state.clone()).layer(axum::Extension(actor));
            for side in [Side::Inside, Side::Outside] {
                if side == Side::Outside && !targeted(r) {
                    continue;
                }
                for (uri, body) in samples(r, l, side, role) {
                    checked += 1;
                    let (s, ctype, bytes) = send(&a, &r.method, &uri, body.as_ref()).await;
                    let text = String::from_utf8_lossy(&bytes);
                    let what = format!("[{}] {} {} as {} ({:?}) → {}", l.name, r.method, uri, role, side, s);
                    if s == StatusCode::UNAUTHORIZED || s.is_server_error() {
                        failures.push(format!("{what}: {text:.200}"));
                        continue;
                    }
                    if !allowed(role, r.action) {
                        if s != StatusCode::FORBIDDEN || !text.contains(&format!("role {role}")) {
                            failures.push(format!("{what}: the access table refuses this role, want 403 naming it: {text:.200}"));
                        }
                        continue;
                    }
                    if side == Side::Outside {
                        let refused = s == StatusCode::FORBIDDEN || (r.method == Method::GET && s == StatusCode::NOT_FOUND);
                        if !refused {
                            failures.push(format!("{what}: a target in the sibling street must be refused: {text:.200}"));
                        }
                        continue;
                    }
                    // inside: a case step may be refused by the lifecycle's role table, never for the place
                    // (a department reads only the cases dispatched to it)
                    let department_case = role == Role::Department && text.contains("not dispatched to department");
                    if s == StatusCode::FORBIDDEN
                        && !department_case
                        && (r.action != wangge::http::Action::Transition || text.contains("outside"))
                    {
                        failures.push(format!("{what}: refused inside the jurisdiction: {text:.200}"));
                        continue;
                    }
                    // administration (users, tokens, the audit log, backups) is district-wide by nature
                    if r.action == wangge::http::Action::Admin {
                        continue;
                    }
                    let leaked: Vec<String> = values(&ctype, &bytes).into_iter().filter(|v| l.foreign.contains(v)).collect();
                    if !leaked.is_empty() {
                        let mut leaked = leaked;
                        leaked.sort();
                        leaked.dedup();
                        failures.push(format!(
                            "{what}: leaks {} thing(s) of the sibling street: {:?}",
                            leaked.len(),
                            &leaked[..leaked.len().min(5)]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} requests failed (first 60):\n{}",
        failures.len(),
        failures[..failures.len().min(60)].join("\n")
    );
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_every_route_inside_and_outside_on_the_demo_district() {
    let l = layout("demo", common::demo_layers()).await;
    let n = run_matrix(&l).await;
    assert!(n > 500, "{n} requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_every_route_inside_and_outside_on_a_generated_layout() {
    let l = layout("generated", generated_layers()).await;
    let n = run_matrix(&l).await;
    assert!(n > 500, "{n} requests");
}
