//! Durability: a store written by the build before schema versions opens and
//! migrates with every row; a newer one is refused; `wangge backup` through a
//! serving server taking POSTs, then `wangge restore`, gives back everything
//! acknowledged before the backup started. (The kill -9 rounds are
//! benches/src/bin/crash_rounds/, run by `make durability`.)

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tower::ServiceExt;
use wangge::http::{AppState, app as router};
use wangge::store::{Store, migrate};
use wangge_engine::units::integrity::IntegrityConfig;

use crate::common;

fn wangge(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wangge")).args(args).output().expect("run wangge")
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The version-1 fixture, unpacked into `dir`.
fn fixture_copy(dir: &Path) -> PathBuf {
    let mut gz = flate2::read::GzDecoder::new(std::fs::File::open(common::fixture("store-v1.duckdb.gz")).expect("fixture"));
    let mut bytes = Vec::new();
    gz.read_to_end(&mut bytes).expect("gunzip");
    let db = dir.join("v1.duckdb");
    std::fs::write(&db, bytes).expect("write");
    db
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let r = Request::builder().uri(uri).header(header::HOST, "127.0.0.1").body(Body::empty()).expect("req");
    let resp = app.clone().oneshot(r).await.expect("resp");
    let status = resp.status();
    let b = resp.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Rows of every table in the fixture, as `make-store-v1.sh` wrote them.
fn fixture_counts() -> BTreeMap<String, i64> {
    [
        ("layer_versions", 6),
        ("units", 441),
        ("buildings", 192),
        ("cameras", 201),
        ("facilities", 101),
        ("incidents", 300),
        ("roads", 0),
        ("integrity_reports", 2),
        ("live_incidents", 6),
        ("incident_transitions", 6),
        ("sensors", 1),
        ("sensor_readings", 2),
        // version 2's tables, empty in a store migrated from version 1
        ("users", 0),
        ("api_tokens", 0),
        ("sessions", 0),
        ("audit_log", 0),
        // version 3's tables (planning scenarios and publications), empty too
        ("scenarios", 0),
        ("layer_publications", 0),
    ]
    .into_iter()
    .map(|(t, n)| (t.to_owned(), n))
    .collect()
}

#[tokio::test]
async fn a_store_of_schema_version_one_migrates_with_every_row_and_serves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fixture_copy(dir.path());
    {
        // as the old build left it: no schema_meta, recognised as version 1
        let conn = duckdb::Connection::open(&db).expect("open raw");
        assert_eq!(migrate::version(&conn).expect("version"), 1);
        assert!(conn.query_row("SELECT count(*) FROM schema_meta", [], |r| r.get::<_, i64>(0)).is_err());
    }
    let store = Store::open(&db).expect("the new build opens the old store");
    assert_eq!(store.schema_version().expect("version"), migrate::newest());
    assert_eq!(store.row_counts().expect("counts"), fixture_counts());
    assert_eq!(store.version_problems().expect("versions"), Vec::<String>::new());
    let d = wangge::state::load(&store, IntegrityConfig::default()).expect("load");
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    let app = router(state);
    let (s, v) = get(&app, "/api/layers").await;
    assert_eq!(s, StatusCode::OK);
    let layer = |name: &str| v["layers"].as_array().and_then(|l| l.iter().find(|x| x["name"] == name)).cloned().unwrap_or(Value::Null);
    assert_eq!((layer("units")["version"].clone(), layer("units")["features"].clone()), (json!(1), json!(441)));
    assert_eq!((layer("cameras")["version"].clone(), layer("cameras")["features"].clone()), (json!(2), json!(101)));
    let (s, fx1) = get(&app, "/api/incidents/FX-1").await;
    assert_eq!(s, StatusCode::OK, "{fx1}");
    assert_eq!((fx1["status"].clone(), fx1["transitions"].as_array().map(Vec::len)), (json!("evaluated"), Some(5)));
    let (_, fx2) = get(&app, "/api/incidents/FX-2").await;
    assert_eq!(fx2["status"], "called");
    let (_, bulk) = get(&app, "/api/incidents/FXB-2").await;
    assert_eq!(bulk["category"], "市容秩序");
    let (_, sensors) = get(&app, "/api/sensors").await;
    assert_eq!(sensors["sensors"][0]["id"], "GAS-1");
    assert!(sensors["sensors"][0]["incident"]["id"].as_str().is_some_and(|i| i.starts_with("INC-")), "{sensors}");
    drop(app);
    // opened again: nothing to do, same rows; the CLI's check passes
    assert_eq!(Store::open(&db).expect("again").row_counts().expect("counts"), fixture_counts());
    let o = wangge(&["check", "--db", p(&db)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_store_of_a_newer_schema_is_refused_naming_both_versions_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fixture_copy(dir.path());
    Store::open(&db).expect("migrate");
    {
        let conn = duckdb::Connection::open(&db).expect("open raw");
        conn.execute_batch("UPDATE schema_meta SET version = 99").expect("pretend a newer build wrote it");
    }
    let e = Store::open(&db).expect_err("newer");
    let m = e.to_string();
    assert!(m.contains("version 99") && m.contains(&format!("up to version {}", migrate::newest())) && m.contains("v1.duckdb"), "{m}");
    let o = wangge(&["versions", "--db", p(&db)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("version 99"), "{}", String::from_utf8_lossy(&o.stderr));
    let conn = duckdb::Connection::open(&db).expect("open raw");
    assert_eq!(migrate::version(&conn).expect("version"), 99, "refused, not rewritten");
}

/// One HTTP/1.1 POST on a kept-alive connection; the status.
async fn post(conn: &mut BufReader<tokio::net::TcpStream>, path: &str, body: &str) -> std::io::Result<u16> {
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(req.as_bytes()).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut len = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut buf = vec![0u8; len];
    conn.read_exact(&mut buf).await?;
    Ok(status)
}

fn incident(id: &str, k: usize) -> String {
    json!({"id": id, "lon": 120.36 + (k % 50) as f64 * 4e-4, "lat": 36.06 + (k / 50 % 20) as f64 * 3e-4, "category": "环境卫生"})
        .to_string()
}

/// Every live incident and its steps, by id, as text to compare.
fn live_rows(store: &Store) -> BTreeMap<String, String> {
    let snap = store.live_snapshot().expect("snapshot");
    let mut out: BTreeMap<String, String> = snap.incidents.iter().map(|i| (i.id.clone(), format!("{i:?}"))).collect();
    for t in &snap.transitions {
        if let Some(s) = out.get_mut(&t.incident_id) {
            s.push_str(&format!(" | {} {:?}", t.seq, t.transition));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_serving_restores_everything_acknowledged_before_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("live.duckdb");
    let mut store = Store::open(&db).expect("open");
    for l in common::demo_layers() {
        store.write_layer(&l, "test", "wgs84", |_| Ok(None)).expect("write layer");
    }
    let d = wangge::state::load(&store, IntegrityConfig::default()).expect("load");
    let layer_counts = store.row_counts().expect("counts");
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(state.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // acknowledged before: incidents with steps, a sensor and a reading
    let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await.expect("connect"));
    for k in 0..20 {
        assert_eq!(post(&mut conn, "/api/incidents", &incident(&format!("PRE-{k}"), k)).await.expect("post"), 201);
    }
    for k in 0..5 {
        let body = json!({"to": "called", "actor": "社区"}).to_string();
        assert_eq!(post(&mut conn, &format!("/api/incidents/PRE-{k}/transitions"), &body).await.expect("step"), 200);
    }
    let sensor = json!({"id": "GAS-9", "kind": "gas", "lon": 120.38, "lat": 36.06}).to_string();
    assert_eq!(post(&mut conn, "/api/sensors", &sensor).await.expect("sensor"), 201);
    assert_eq!(post(&mut conn, "/api/sensors/GAS-9/readings", r#"{"value": 3.5}"#).await.expect("reading"), 200);

    // writers keep posting through the backup; each ack is timed and counted
    let stop = Arc::new(AtomicBool::new(false));
    let acks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..4 {
        let (stop, acks) = (stop.clone(), acks.clone());
        writers.push(tokio::spawn(async move {
            let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await.expect("connect"));
            let mut acked = Vec::new();
            let mut k = 0;
            while !stop.load(Ordering::Relaxed) {
                let id = format!("W{w}-{k}");
                if post(&mut conn, "/api/incidents", &incident(&id, k)).await.expect("post") == 201 {
                    acked.push((id, started.elapsed()));
                    acks.fetch_add(1, Ordering::SeqCst);
                }
                k += 1;
            }
            acked
        }));
    }
    // enough writes acknowledged first, however slow the machine (a count, not a time)
    let acked_by = |n: usize| {
        let acks = acks.clone();
        async move {
            let deadline = Instant::now() + std::time::Duration::from_secs(120);
            while acks.load(Ordering::SeqCst) < n && Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    };
    acked_by(12).await;
    let out = dir.path().join("backup.duckdb");
    let backup_started = started.elapsed();
    let url = format!("http://{addr}");
    let args = ["backup", "--server", url.as_str(), p(&out)].map(str::to_owned);
    let o = tokio::task::spawn_blocking(move || Command::new(env!("CARGO_BIN_EXE_wangge")).args(args).output().expect("backup"))
        .await
        .expect("join");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("backed up"), "{}", String::from_utf8_lossy(&o.stdout));
    acked_by(acks.load(Ordering::SeqCst) + 4).await;
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for w in writers {
        acked.extend(w.await.expect("writer"));
    }
    let before: BTreeSet<String> = acked.iter().filter(|(_, t)| *t < backup_started).map(|(id, _)| id.clone()).collect();
    let after = acked.len() - before.len();
    assert!(before.len() > 10 && after > 0, "writes before ({}) and after ({after}) the backup", before.len());

    // a store a server holds is not restored over
    let o = wangge(&["restore", "--db", p(&db), p(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("lock"), "{}", String::from_utf8_lossy(&o.stderr));
    // nor backed up from the file: the message says to go through the server
    let o = wangge(&["backup", "--db", p(&db), p(&dir.path().join("held.duckdb"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("wangge backup --server"), "{}", String::from_utf8_lossy(&o.stderr));

    // restore into a new file: the same layers, and every incident acknowledged before the backup, as kept
    let restored = dir.path().join("restored.duckdb");
    let o = wangge(&["restore", "--db", p(&restored), p(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let original = {
        let st = state.store.as_ref().expect("store").lock().expect("lock");
        (st.row_counts().expect("counts"), live_rows(&st))
    };
    server.abort();
    let r = Store::open(&restored).expect("open restored");
    assert_eq!(r.version_problems().expect("versions"), Vec::<String>::new());
    let counts = r.row_counts().expect("counts");
    for t in ["layer_versions", "units", "buildings", "cameras", "facilities", "incidents", "roads", "integrity_reports"] {
        assert_eq!(counts[t], layer_counts[t], "{t}");
    }
    assert_eq!((counts["sensors"], counts["sensor_readings"]), (1, 1));
    let got = live_rows(&r);
    for id in (0..20).map(|k| format!("PRE-{k}")).chain(before.iter().cloned()) {
        assert_eq!(got.get(&id), original.1.get(&id), "incident {id} as acknowledged");
    }
    // and nothing the original never kept
    assert!(got.keys().all(|id| original.1.contains_key(id)));
    assert!(got.len() < original.1.len(), "writes after the backup are not in it");
    assert!(counts["incident_transitions"] >= 5);

    // restoring over an existing (stopped) store keeps the old file beside it
    drop(r);
    let target = dir.path().join("other.duckdb");
    Store::open(&target).expect("create");
    let o = wangge(&["restore", "--db", p(&target), p(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("other.duckdb.before-restore").exists());
    assert_eq!(Store::open(&target).expect("open").row_counts().expect("counts")["live_incidents"], got.len() as i64);
    // a second restore does not overwrite that kept file
    let o = wangge(&["restore", "--db", p(&target), p(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("before-restore"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_backup_of_a_file_is_checked_and_never_overwrites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = fixture_copy(dir.path());
    let out = dir.path().join("b.duckdb");
    let o = wangge(&["backup", "--db", p(&db), p(&out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(Store::open(&out).expect("open").row_counts().expect("counts"), fixture_counts());
    let o = wangge(&["backup", "--db", p(&db), p(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("exists"));
    // a damaged backup (a version missing its rows) is not restored
    {
        let conn = duckdb::Connection::open(&out).expect("raw");
        conn.execute_batch("DELETE FROM buildings WHERE seq = 0").expect("damage");
    }
    let target = dir.path().join("t.duckdb");
    let o = wangge(&["restore", "--db", p(&target), p(&out)]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("buildings version 1") && e.contains("not a whole store"), "{e}");
    assert!(!target.exists() && !dir.path().join("t.duckdb.restore").exists(), "nothing put in place");
    // no server there: the client names the address
    let o = wangge(&["backup", "--server", "http://127.0.0.1:9", p(&dir.path().join("c.duckdb"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("127.0.0.1:9"));
}
