//! Shared test helpers: the real 市南区 boundaries plus small generated layers,
//! and requests to the router in-process.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use wangge::import::{ImportOptions, Layer, read_path};
use wangge_engine::dataset::Dataset;
use wangge_engine::model::{LayerKind, Unit};
use wangge_engine::synth;
use wangge_engine::units::hierarchy::Hierarchy;
use wangge_engine::units::integrity::IntegrityConfig;

pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

pub fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(p)
}

/// The real district and streets (data/shinan/admin.geojson).
pub fn shinan() -> Vec<Unit> {
    match read_path(&repo("data/shinan/admin.geojson"), &ImportOptions::new(LayerKind::Units)) {
        Ok(Layer::Units(u)) => u,
        other => panic!("admin.geojson: {other:?}"),
    }
}

/// 市南区 with generated communities and grids, buildings, cameras, facilities, incidents.
pub fn demo_layers() -> Vec<Layer> {
    let real = shinan();
    let h = Hierarchy::build(real.clone()).expect("real hierarchy");
    let streets: Vec<Unit> = h.leaves().into_iter().map(|i| h.units[i].clone()).collect();
    // the demo's naming rules; two levels (community, grid) are enough here
    let [community, grid, _] = synth::naming::demo_levels(2, 3, 0);
    let generated = synth::nest_levels(&streets, &[community, grid], 7);
    let grids: Vec<Unit> = generated.iter().filter(|u| u.level.0 == "grid").cloned().collect();
    let comms: Vec<Unit> = generated.iter().filter(|u| u.level.0 == "community").cloned().collect();
    let buildings = synth::generate_buildings(&grids, &synth::BuildingSpec { per_leaf: 4, straddle_share: 0.05, seed: 3 });
    let cameras = synth::generate_cameras(&buildings, 0.5, 4);
    let facilities = synth::generate_facilities(&comms, &grids, 5);
    let incidents = synth::generate_incidents(
        &buildings,
        &grids,
        &synth::IncidentSpec { count: 2_000, from: 1_767_196_800, to: 1_790_000_000, seed: 6 },
    );
    let mut units = real;
    units.extend(generated);
    vec![
        Layer::Units(units),
        Layer::Buildings(buildings),
        Layer::Cameras(cameras),
        Layer::Facilities(facilities),
        Layer::Incidents(incidents),
    ]
}

pub fn demo_dataset() -> Dataset {
    let mut d = Dataset::empty(IntegrityConfig::default());
    for (k, l) in demo_layers().into_iter().enumerate() {
        d.versions.insert(l.kind(), 1 + k as i32 % 2);
        d.set(l).expect("valid layer");
    }
    d.rebuild();
    d
}

/// `method uri` with a JSON body (none when `body` is null) to the router in-process: the status and the JSON answer
/// (null when the answer is not JSON).
pub async fn call(app: &axum::Router, method: &str, uri: &str, body: Value) -> (StatusCode, Value) {
    let r = Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1").header(header::CONTENT_TYPE, "application/json");
    let body = if body.is_null() { Body::empty() } else { Body::from(body.to_string()) };
    let resp = app.clone().oneshot(r.body(body).expect("req")).await.expect("resp");
    let status = resp.status();
    let b = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// `method uri` with a JSON `body` to the router in-process: the status, headers and bytes of the answer.
pub async fn send(app: &axum::Router, method: &str, uri: &str, body: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .expect("req");
    let resp = app.clone().oneshot(req).await.expect("resp");
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.into_body().collect().await.expect("body").to_bytes().to_vec())
}
