//! Fuzz entry points: one function per target, each taking arbitrary bytes
//! and driving the real code with them (the importer into a real in-memory
//! store, the WKB reader, the HTTP app through `tower::ServiceExt::oneshot`).
//!
//! None of them may panic on any input: a panic is a finding. Besides "no
//! panic" they check what must hold whatever the input:
//!
//! - import (into a store already holding a small district): all or nothing —
//!   a refused file leaves the layer versions as they were, a write that
//!   fails leaves every table's row count and every version as they were; on
//!   success the new version is the next number and reads back with as many
//!   features; every refusal names the file or the layer and feature;
//! - WKB: whatever decodes encodes to bytes that decode to the same geometry;
//! - HTTP (tile paths, incident and transition bodies in open local mode, the
//!   login body on an app with users): no answer is a 5xx (a client's bytes
//!   are never a server error).
//!
//! The `fuzz/` crate (cargo-fuzz, libFuzzer) calls these; the integration
//! test `fuzz_corpus` replays the kept corpus and regressions through them and
//! runs a short seeded mutation of each in CI.
//!
//! State (the store, the tokio runtime and the app) is built once per thread
//! and rebuilt every few hundred inputs so that a long run does not grow it
//! without bound.

use std::cell::RefCell;
use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use tower::ServiceExt;
use wangge_engine::dataset::Dataset;
use wangge_engine::geometry::crs::SourceCrs;
use wangge_engine::model::{Layer, LayerKind};
use wangge_engine::synth;
use wangge_engine::units::integrity::IntegrityConfig;

use crate::import::{ImportFailure, ImportOptions, read_str};
use crate::state::report_for_store;
use crate::store::Store;

/// The small district every target works on: a street of six grids and its buildings.
const UNITS: &str = include_str!("../tests/fixtures/integrity/units.geojson");
const BUILDINGS: &str = include_str!("../tests/fixtures/integrity/buildings.geojson");

/// Successful imports before the fuzz store is rebuilt.
const STORE_WRITES: usize = 300;
/// Requests before the app (and its live incidents) is rebuilt.
const APP_REQUESTS: usize = 500;
/// Incidents created in every fresh app for the transition target.
const TRANSITION_TARGETS: usize = 4;

fn fixture_layer(text: &str, kind: LayerKind) -> Layer {
    match read_str(text, false, kind.as_str(), &ImportOptions::new(kind)) {
        Ok(l) => l,
        Err(e) => panic!("the built-in fuzz fixture of {kind} does not import: {e}"),
    }
}

/// The fixture's units, buildings and generated cameras and incidents.
fn small_layers() -> Vec<Layer> {
    let units = fixture_layer(UNITS, LayerKind::Units);
    let buildings = fixture_layer(BUILDINGS, LayerKind::Buildings);
    let (Layer::Units(u), Layer::Buildings(b)) = (&units, &buildings) else { unreachable!("fixture_layer returns the kind asked for") };
    let grids: Vec<_> = u.iter().filter(|x| x.level.0 == "grid").cloned().collect();
    let cameras = synth::generate_cameras(b, 1.0, 4);
    let incidents =
        synth::generate_incidents(b, &grids, &synth::IncidentSpec { count: 200, from: 1_767_196_800, to: 1_790_000_000, seed: 6 });
    vec![units, buildings, Layer::Cameras(cameras), Layer::Incidents(incidents)]
}

fn small_dataset() -> Dataset {
    let mut d = Dataset::empty(IntegrityConfig::default());
    for l in small_layers() {
        d.versions.insert(l.kind(), 1);
        if let Err(e) = d.set(l) {
            panic!("the built-in fuzz dataset is invalid: {e}");
        }
    }
    d.rebuild();
    d
}

// ---------------------------------------------------------------- import

struct ImportStore {
    store: Store,
    writes: usize,
    /// Row counts and versions as of the last write; None when they are to be read again.
    known: Option<Snapshot>,
}

type Snapshot = (BTreeMap<String, i64>, BTreeMap<LayerKind, i32>);

impl ImportStore {
    /// A fresh in-memory store already holding the small district.
    fn fresh() -> ImportStore {
        let mut store = Store::memory().expect("an in-memory store opens");
        for l in small_layers() {
            let kind = l.kind();
            let with_report = matches!(kind, LayerKind::Units | LayerKind::Buildings);
            let cfg = IntegrityConfig::default();
            store
                .write_layer(&l, "fuzz seed", "wgs84", |s| if with_report { report_for_store(s, &cfg) } else { Ok(None) })
                .expect("the seed layers are written");
        }
        ImportStore { store, writes: 0, known: None }
    }

    /// Row counts and versions now (counting every table is the slow part, so kept between writes).
    fn snapshot(&mut self) -> Snapshot {
        match &self.known {
            Some(s) => s.clone(),
            None => {
                let s = (self.store.row_counts().expect("row counts"), self.store.current_versions().expect("versions"));
                self.known = Some(s.clone());
                s
            }
        }
    }
}

thread_local! {
    static IMPORT_STORE: RefCell<Option<ImportStore>> = const { RefCell::new(None) };
}

/// The import of one file: the first byte chooses the layer and the source
/// CRS, the rest is the file. Invalid UTF-8 is refused before the importer
/// (as `wangge import` refuses it when reading the file).
///
/// A file the importer refuses never reaches the store (the reader has no
/// handle on it): its versions are checked unchanged. A file it accepts is
/// written as `wangge import` writes it (one transaction with the integrity
/// report); if that write fails, every table's row count and every version
/// must be what they were.
fn import(data: &[u8], is_csv: bool) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let kind = LayerKind::ALL[usize::from(sel) % LayerKind::ALL.len()];
    let crs = [SourceCrs::Wgs84, SourceCrs::Gcj02, SourceCrs::Bd09][usize::from(sel / 6) % 3];
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut opts = ImportOptions::new(kind);
    opts.crs = Some(crs.into());
    IMPORT_STORE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let st = slot.get_or_insert_with(ImportStore::fresh);
        let name = if is_csv { "fuzz.csv" } else { "fuzz.geojson" };
        let parsed = match read_str(text, is_csv, name, &opts) {
            Ok(l) => l,
            Err(e) => {
                check_refusal(kind, name, &e);
                let versions = st.store.current_versions().expect("versions");
                assert_eq!(versions, st.snapshot().1, "a refused file changed the layer versions");
                return;
            }
        };
        assert_eq!(parsed.kind(), kind, "the importer returned another layer than asked for");
        let before = st.snapshot();
        let with_report = matches!(kind, LayerKind::Units | LayerKind::Buildings);
        let cfg = IntegrityConfig::default();
        let written = st.store.write_layer(&parsed, name, crs.as_str(), |s| if with_report { report_for_store(s, &cfg) } else { Ok(None) });
        st.known = None;
        match written {
            Err(_) => assert_eq!(st.snapshot(), before, "a failed write changed the store"),
            Ok(v) => {
                let previous = before.1.get(&kind).copied().unwrap_or(0);
                assert_eq!(v, previous + 1, "{kind}: version {v} written after {previous}");
                assert_eq!(st.store.current_versions().expect("versions").get(&kind), Some(&v));
                let back = st.store.read_layer(kind).expect("a written layer reads back");
                assert_eq!(back.len(), parsed.len(), "{kind}: {} features written, {} read back", parsed.len(), back.len());
                st.writes += 1;
                if st.writes >= STORE_WRITES {
                    *slot = None;
                }
            }
        }
    });
}

/// A refusal names the file or, per feature, the layer and the feature.
fn check_refusal(kind: LayerKind, name: &str, e: &ImportFailure) {
    let text = e.to_string();
    match e {
        ImportFailure::File { path, problem } => {
            assert_eq!(path, name);
            assert!(!problem.is_empty() && text.starts_with(name), "{text}");
        }
        ImportFailure::Features { errors, total } => {
            assert!(!errors.is_empty() && *total >= errors.len(), "a refusal without problems: {text}");
            for fe in errors {
                assert_eq!(fe.layer, kind.as_str(), "{fe}");
                assert!(text.contains(&format!("layer {kind}, feature {}", fe.index)), "{text}");
            }
        }
    }
}

/// GeoJSON import: byte 0 chooses layer and CRS, the rest is the file.
pub fn import_geojson(data: &[u8]) {
    import(data, false);
}

/// CSV import: byte 0 chooses layer and CRS, the rest is the file.
pub fn import_csv(data: &[u8]) {
    import(data, true);
}

// ---------------------------------------------------------------- WKB

/// WKB reading: anything that decodes re-encodes to bytes that decode to
/// the same geometry (compared as bytes, so NaN coordinates compare equal).
pub fn wkb(data: &[u8]) {
    if let Some(g) = crate::wkb::decode(data) {
        let once = crate::wkb::encode(&g);
        let again = crate::wkb::decode(&once);
        assert!(again.is_some(), "re-encoded WKB does not decode: {g:?}");
        let twice = again.as_ref().map(crate::wkb::encode);
        assert_eq!(twice.as_deref(), Some(once.as_slice()), "WKB round trip changed {g:?}");
    }
}

// ---------------------------------------------------------------- HTTP

/// A runtime and an app, rebuilt every [`APP_REQUESTS`] requests by `make`.
struct Harness {
    rt: tokio::runtime::Runtime,
    app: Option<Router>,
    requests: usize,
}

thread_local! {
    static OPEN_APP: RefCell<Option<Harness>> = const { RefCell::new(None) };
    static LOCKED_APP: RefCell<Option<Harness>> = const { RefCell::new(None) };
}

/// A fresh app over the small dataset and an in-memory store without users
/// (open local mode), with [`TRANSITION_TARGETS`] live incidents `F-0` … to
/// take steps on.
fn open_app(rt: &tokio::runtime::Runtime) -> Router {
    let store = Store::memory().expect("an in-memory store opens");
    let state = crate::http::AppState::with_store(small_dataset(), std::path::PathBuf::from("/nonexistent-web-dir"), store)
        .expect("the fuzz app state builds");
    let app = crate::http::app(state);
    for i in 0..TRANSITION_TARGETS {
        // inside grid c1 of the fixture
        let body = format!(r#"{{"id":"F-{i}","lon":120.4021,"lat":36.0612,"category":"环境卫生","item":"垃圾堆放","reporter":"fuzz"}}"#);
        let (status, text) = rt.block_on(send(&app, Method::POST, "/api/incidents", Some(body.into_bytes())));
        assert_eq!(status, StatusCode::CREATED, "the fuzz harness's incident F-{i} is not created: {text}");
    }
    app
}

/// The users of the locked app: (name, role, unit, password).
const USERS: &[(&str, &str, Option<&str>, &str)] =
    &[("admin", "admin", None, "admin-pass-1"), ("street", "dispatcher", Some("P"), "street-pass-1")];

/// A fresh app whose store has users (so logins are checked): an admin and
/// the dispatcher of street P, passwords `admin-pass-1` and `street-pass-1`.
fn locked_app(rt: &tokio::runtime::Runtime) -> Router {
    let mut store = Store::memory().expect("an in-memory store opens");
    store.write_layer(&fixture_layer(UNITS, LayerKind::Units), "fuzz seed", "wgs84", |_| Ok(None)).expect("the units are written");
    for (name, role, unit, password) in USERS {
        let u = crate::auth::NewUser {
            name: (*name).into(),
            role: (*role).into(),
            unit: unit.map(Into::into),
            department: None,
            password: Some((*password).into()),
        };
        let u = crate::auth::new_user(&store, u, crate::auth::now()).expect("a fuzz user is valid");
        store.insert_user(&u).expect("a fuzz user is stored");
    }
    let state = crate::http::AppState::with_store(small_dataset(), std::path::PathBuf::from("/nonexistent-web-dir"), store)
        .expect("the fuzz app state builds");
    let app = crate::http::app(state);
    // the harness is what it says: a right password logs in
    let body = br#"{"name":"street","password":"street-pass-1"}"#.to_vec();
    let (status, text) = rt.block_on(send(&app, Method::POST, "/api/login", Some(body)));
    assert_eq!(status, StatusCode::OK, "the fuzz harness's user cannot log in: {text}");
    app
}

async fn send(app: &Router, method: Method, uri: &str, body: Option<Vec<u8>>) -> (StatusCode, String) {
    let mut r = Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1");
    if body.is_some() {
        r = r.header(header::CONTENT_TYPE, "application/json");
    }
    let req = match r.body(body.map_or_else(Body::empty, Body::from)) {
        Ok(req) => req,
        // not a request a client could send (the URI does not parse)
        Err(_) => return (StatusCode::BAD_REQUEST, String::new()),
    };
    let resp = match app.clone().oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.expect("the answer's body is readable");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Send one request through the thread's app of that kind and assert it is not a server error.
fn request(
    which: &'static std::thread::LocalKey<RefCell<Option<Harness>>>,
    make: fn(&tokio::runtime::Runtime) -> Router,
    method: Method,
    uri: &str,
    body: Option<Vec<u8>>,
) {
    which.with(|cell| {
        let mut slot = cell.borrow_mut();
        let h = slot.get_or_insert_with(|| {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
            Harness { rt, app: None, requests: 0 }
        });
        if h.app.is_none() || h.requests >= APP_REQUESTS {
            h.app = Some(make(&h.rt));
            h.requests = 0;
        }
        h.requests += 1;
        let Some(app) = &h.app else { unreachable!("set just above") };
        let (status, text) = h.rt.block_on(send(app, method.clone(), uri, body));
        assert!(!status.is_server_error(), "{method} {uri}: {status} {text}");
    });
}

/// The tile routes: the input is what follows `/tiles/` (layers, z, x, file and query).
pub fn tile_path(data: &[u8]) {
    let rest = String::from_utf8_lossy(data);
    request(&OPEN_APP, open_app, Method::GET, &format!("/tiles/{rest}"), None);
}

/// `POST /api/incidents` with the input as its JSON body.
pub fn incident_body(data: &[u8]) {
    request(&OPEN_APP, open_app, Method::POST, "/api/incidents", Some(data.to_vec()));
}

/// `POST /api/incidents/F-n/transitions`: byte 0 chooses the incident, the rest is the JSON body.
pub fn transition_body(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else { return };
    let uri = format!("/api/incidents/F-{}/transitions", usize::from(sel) % TRANSITION_TARGETS);
    request(&OPEN_APP, open_app, Method::POST, &uri, Some(rest.to_vec()));
}

/// `POST /api/login` with the input as its JSON body, on an app with users
/// (wrong passwords, unknown names, the per-name limit of failed logins).
pub fn login_body(data: &[u8]) {
    request(&LOCKED_APP, locked_app, Method::POST, "/api/login", Some(data.to_vec()));
}
