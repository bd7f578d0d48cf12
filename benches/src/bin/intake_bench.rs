//! Sustained incident intake over HTTP (issue 6): the real server (router,
//! DuckDB store on a temp file, every incident committed before its 201) on
//! 127.0.0.1, C keep-alive connections posting N incidents in all (each with
//! an Idempotency-Key), one event-stream subscriber timing POST → SSE.
//! Afterwards every acknowledged incident must be in the store.
//!
//! With `auth` as third argument the store has users: the posts carry a
//! grid worker's API token (jurisdiction: the generated district's root
//! unit, so every post is checked against it) and the subscriber an admin's.
//!
//! With `closed=N` the store keeps N closed (resolved) cases before the
//! server starts, so every post's id and key are told apart from theirs
//! (`stored` then counts them too).
//!
//! With `reader` one more connection asks, one after another while the
//! posts last, for a heatmap of the resolved cases (`/api/heatmap?res=9&status=resolved`),
//! which reads every closed case from the store: how long intake waits
//! beside an analyst's reads of the whole history.
//!
//! usage: intake_bench INCIDENTS CONNECTIONS [auth] [closed=N] [reader]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[((v.len() as f64 - 1.0) * p).round() as usize] }
}

/// One POST with its Idempotency-Key (and credential header, if any) on a kept-alive connection.
async fn post(conn: &mut BufReader<TcpStream>, path: &str, key: &str, auth: &str, body: &str) -> std::io::Result<(u16, String)> {
    wangge_benches::http::request(
        conn,
        "POST",
        path,
        &format!(
            "Content-Type: application/json
Idempotency-Key: {key}
{auth}"
        ),
        body,
    )
    .await
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = || -> ! {
        eprintln!("usage: intake_bench INCIDENTS CONNECTIONS [auth] [closed=N] [reader]");
        std::process::exit(2);
    };
    let (n, conns): (usize, usize) = match &args[..] {
        [_, n, c, ..] => (n.parse()?, c.parse()?),
        _ => usage(),
    };
    let (mut with_auth, mut closed, mut reader) = (false, 0usize, false);
    for a in &args[3..] {
        match (a.as_str(), a.strip_prefix("closed=")) {
            ("auth", _) => with_auth = true,
            ("reader", _) => reader = true,
            (_, Some(v)) => closed = v.parse()?,
            _ => usage(),
        }
    }
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("intake.duckdb");
    // a small generated district for unit assignment (labelled generated)
    let mut units = wangge_benches::city(400, 0, 3);
    // a district over the 400 grids, so assignment and jurisdictions have two levels
    let bounds =
        units.iter().filter_map(|u| geo::BoundingRect::bounding_rect(&u.geometry)).reduce(wangge_engine::geometry::index::rect_union);
    let bounds = bounds.ok_or("no units")?;
    for u in &mut units {
        u.parent = Some(wangge_engine::model::UnitId("D".into()));
    }
    units.push(wangge_engine::model::Unit {
        id: wangge_engine::model::UnitId("D".into()),
        parent: None,
        level: wangge_engine::model::Level("district".into()),
        name: "generated district".into(),
        geometry: geo::MultiPolygon(vec![bounds.to_polygon()]),
        attributes: Default::default(),
    });
    let mut d = wangge_engine::dataset::Dataset::empty(wangge_engine::units::integrity::IntegrityConfig::default());
    d.set(wangge_engine::model::Layer::Units(units.clone())).map_err(|e| e.to_string())?;
    d.rebuild();
    let pts = wangge_benches::points(&units, n, 5);
    let mut store = wangge::store::Store::open(&db)?;
    let (post_auth, sse_auth) = if with_auth {
        store.write_layer(&wangge_engine::model::Layer::Units(units.clone()), "bench", "wgs84", |_| Ok(None))?;
        let root = units.iter().find(|u| u.parent.is_none()).ok_or("no root unit")?.id.0.clone();
        let now = wangge::auth::now();
        for (name, role, unit) in [("worker", "grid_worker", Some(root)), ("admin", "admin", None)] {
            let u = wangge::auth::NewUser { name: name.into(), role: role.into(), unit, department: None, password: None };
            let u = wangge::auth::new_user(&store, u, now)?;
            store.insert_user(&u)?;
        }
        let (worker, _) = wangge::auth::create_token(&store, "worker", None, now)?;
        let (admin, _) = wangge::auth::create_token(&store, "admin", None, now)?;
        (format!("Authorization: Bearer {worker}\r\n"), format!("Authorization: Bearer {admin}\r\n"))
    } else {
        (String::new(), String::new())
    };
    // closed cases kept before: the server loads them into its sums and the filters of their ids and keys, and each
    // new post's id and key must be told apart from theirs
    let mut old = Vec::new();
    for i in 0..closed {
        let (lon, lat) = pts[i % pts.len().max(1)];
        old.push(wangge::live::LiveIncident {
            id: format!("OLD-{i}"),
            key: Some(format!("old-key-{i}")),
            lon,
            lat,
            occurred_at: 1_700_000_000 + i as i64,
            received_at: 1_700_000_000 + i as i64,
            category: "环境卫生".into(),
            item: Some("垃圾堆放".into()),
            status: wangge_engine::incidents::lifecycle::Status::Resolved,
            units: Vec::new(),
            reporter: None,
            note: None,
            transitions: Vec::new(),
            urges: Vec::new(),
        });
        if old.len() == 50_000 || i + 1 == closed {
            store.insert_live_incidents(&old)?;
            old.clear();
        }
    }
    let state = wangge::http::AppState::with_store(d, std::path::PathBuf::from("web"), store)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = wangge::http::app(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        // the subscriber: event arrival times by incident id
        let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
        let mut sse = TcpStream::connect(addr).await?;
        sse.write_all(format!("GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{sse_auth}\r\n").as_bytes()).await?;
        let seen = arrived.clone();
        tokio::spawn(async move {
            let mut r = BufReader::new(sse);
            let mut line = String::new();
            while r.read_line(&mut line).await.unwrap_or(0) > 0 {
                if let Some(data) = line.strip_prefix("data: ")
                    && let Some(i) = data.find("\"id\":\"")
                {
                    let rest = &data[i + 6..];
                    if let Some(e) = rest.find('"') {
                        seen.lock().map(|mut m| m.insert(rest[..e].to_owned(), Instant::now())).ok();
                    }
                }
                line.clear();
            }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::new(Mutex::new(HashMap::new()));
        let started = Instant::now();
        let per = n.div_ceil(conns);
        let mut tasks = Vec::new();
        for c in 0..conns {
            let pts: Vec<(f64, f64)> = pts.iter().skip(c * per).take(per).copied().collect();
            let sent = sent.clone();
            let auth = post_auth.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(pts.len());
                let mut ok = 0usize;
                let mut conn = BufReader::new(TcpStream::connect(addr).await?);
                for (k, (x, y)) in pts.iter().enumerate() {
                    let id = format!("B-{c}-{k}");
                    let body = format!("{{\"id\":\"{id}\",\"lon\":{x},\"lat\":{y},\"category\":\"环境卫生\",\"item\":\"垃圾堆放\"}}");
                    let t = Instant::now();
                    sent.lock().map(|mut m| m.insert(id.clone(), t)).ok();
                    let (status, _) = post(&mut conn, "/api/incidents", &id, &auth, &body).await?;
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    if status == 201 {
                        ok += 1;
                    }
                }
                Ok::<_, std::io::Error>((lat, ok))
            }));
        }
        let posting = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let reads = reader.then(|| {
            let (posting, auth) = (posting.clone(), sse_auth.clone());
            tokio::spawn(async move {
                let mut conn = BufReader::new(TcpStream::connect(addr).await?);
                let mut ms = Vec::new();
                while posting.load(std::sync::atomic::Ordering::SeqCst) {
                    let t = Instant::now();
                    let (status, body) = wangge_benches::http::request(&mut conn, "GET", "/api/heatmap?res=9&status=resolved", &auth, "").await?;
                    if status != 200 {
                        return Err(std::io::Error::other(format!("heatmap answered {status}: {body}")));
                    }
                    ms.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                Ok::<_, std::io::Error>(ms)
            })
        });
        let mut lat = Vec::new();
        let mut acked = 0;
        for t in tasks {
            let (l, ok) = t.await??;
            lat.extend(l);
            acked += ok;
        }
        let secs = started.elapsed().as_secs_f64();
        posting.store(false, std::sync::atomic::Ordering::SeqCst);
        let mut read_ms = match reads {
            Some(r) => r.await??,
            None => Vec::new(),
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (sent, arrived) = (sent.lock().map(|m| m.clone()).unwrap_or_default(), arrived.lock().map(|m| m.clone()).unwrap_or_default());
        let mut sse_ms: Vec<f64> = sent.iter().filter_map(|(id, t)| arrived.get(id).map(|a| a.duration_since(*t).as_secs_f64() * 1000.0)).collect();
        let delivered = sse_ms.len();
        // every acknowledged incident is in the store
        let stored: i64 = {
            let st = state.store.as_ref().ok_or("no store")?.lock().map_err(|_| "lock")?;
            st.row_counts()?["live_incidents"]
        };
        println!(
            "{{\"incidents\": {n}, \"connections\": {conns}, \"auth\": {with_auth}, \"closed_before\": {closed}, \"seconds\": {secs:.3}, \"per_s\": {:.0}, \"acked\": {acked}, \"stored\": {stored}, \"p50_ms\": {:.2}, \"p99_ms\": {:.2}, \"max_ms\": {:.2}, \"sse_delivered\": {delivered}, \"sse_p50_ms\": {:.2}, \"sse_p99_ms\": {:.2}, \"reads\": {}, \"read_p50_ms\": {:.1}, \"read_max_ms\": {:.1}}}",
            n as f64 / secs,
            pct(&mut lat, 0.5),
            pct(&mut lat, 0.99),
            pct(&mut lat, 1.0),
            pct(&mut sse_ms, 0.5),
            pct(&mut sse_ms, 0.99),
            read_ms.len(),
            pct(&mut read_ms, 0.5),
            pct(&mut read_ms, 1.0)
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    Ok(())
}
