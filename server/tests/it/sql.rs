//! Read-only SQL (issue 14, part 3): a corpus of hostile statements is
//! refused (400 naming the thing) or cut off (row limit, 408 at the time
//! limit); afterwards the store's tables are unchanged (but for the audit
//! lines every POST leaves), no file was written, and a canary file outside the store never shows in any answer.
//! Ordinary analytical queries (joins, GROUP BY, window functions, CTEs)
//! answer what a brute-force recount over the dataset gives; a street's
//! analyst sees only that street; a query past the time limit leaves the
//! sandbox usable.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::http::{AppState, Limits, Options, WebSource, app as router};
use wangge::store::Store;
use wangge_engine::people::{Actor, Role};
use wangge_engine::units::integrity::IntegrityConfig;
use wangge_engine::units::jurisdiction::Jurisdiction;

use crate::common;

const CANARY: &str = "CANARY-5d1e-never-read";

struct Rig {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    secret: String,
    state: Arc<AppState>,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("store.duckdb");
    let mut store = Store::open(&db).expect("store");
    for l in common::demo_layers() {
        store.write_layer(&l, "test", "wgs84", |_| Ok(None)).expect("write layer");
    }
    let d = wangge::state::load(&store, IntegrityConfig::default()).expect("load");
    // the canary: a file outside the store, beside it
    let secret = dir.path().join("secret.csv");
    std::fs::write(&secret, format!("name,value\n{CANARY},42\n")).expect("canary");
    let limits = Limits { sql_timeout: Duration::from_millis(1500), ..Limits::default() };
    let opts =
        Options { web: WebSource::Dir(common::repo("web")), taxonomy: wangge::http::taxonomy::load(None).expect("taxonomy"), limits };
    let state = AppState::open(d, store, opts).expect("state");
    Rig { dir: dir.path().to_owned(), secret: secret.display().to_string(), _dir: dir, state }
}

fn as_actor(state: &Arc<AppState>, role: Role, unit: Option<&str>) -> axum::Router {
    let actor = Actor { name: format!("{role}-tester"), role, unit: unit.map(str::to_owned), department: None };
    router(state.clone()).layer(axum::Extension(actor))
}

async fn raw(app: &axum::Router, uri: &str, body: Value, accept: &str) -> (StatusCode, String) {
    let r = Request::post(uri)
        .header(header::HOST, "127.0.0.1")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, accept)
        .body(Body::from(body.to_string()))
        .expect("request");
    let resp = app.clone().oneshot(r).await.expect("response");
    let status = resp.status();
    let b = resp.into_body().collect().await.expect("body").to_bytes();
    (status, String::from_utf8_lossy(&b).into_owned())
}

async fn sql(app: &axum::Router, q: &str, limit: Option<usize>) -> (StatusCode, Value, String) {
    let body = match limit {
        Some(n) => json!({"sql": q, "limit": n}),
        None => json!({"sql": q}),
    };
    let (s, text) = raw(app, "/api/sql", body, "application/json").await;
    (s, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

/// One answer's rows, asserting it is a 200.
async fn rows(app: &axum::Router, q: &str) -> Vec<Vec<Value>> {
    let (s, v, text) = sql(app, q, Some(100_000)).await;
    assert_eq!(s, StatusCode::OK, "{q}: {text}");
    assert_eq!(v["truncated"], json!(false), "{q}");
    serde_json::from_value(v["rows"].clone()).expect("rows")
}

/// What the corpus expects of a statement.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// 400, the message starts with "refused" and names this.
    Refused(&'static str),
    /// 408, cancelled at the time limit.
    Cancelled,
    /// 200 with exactly the limit's rows and `truncated`.
    Cut,
}

fn corpus(secret: &str, dir: &str) -> Vec<(String, Want)> {
    use Want::*;
    let s = secret;
    let v: Vec<(String, Want)> = vec![
        (format!("SELECT * FROM read_csv('{s}')"), Refused("read_csv")),
        (format!("select * from READ_CSV_AUTO('{s}')"), Refused("read_csv_auto")),
        (format!("SELECT * FROM read_text('{s}')"), Refused("read_text")),
        (format!("SELECT content FROM read_blob('{s}')"), Refused("read_blob")),
        (format!("SELECT * FROM read_parquet('{dir}/x.parquet')"), Refused("read_parquet")),
        (format!("SELECT * FROM read_json('{s}')"), Refused("read_json")),
        (format!("SELECT * FROM parquet_metadata('{dir}/x.parquet')"), Refused("parquet_metadata")),
        (format!("SELECT * FROM glob('{dir}/*')"), Refused("glob")),
        (format!("SELECT * FROM sqlite_scan('{dir}/x.db', 't')"), Refused("sqlite_scan")),
        (format!("SELECT * FROM '{s}'"), Refused("external access is off")),
        (format!("FROM '{s}'"), Refused("external access is off")),
        (format!("DESCRIBE SELECT * FROM '{s}'"), Refused("external access is off")),
        ("SELECT * FROM 'https://example.invalid/x.parquet'".into(), Refused("external access is off")),
        (format!("COPY buildings TO '{dir}/out.csv'"), Refused("COPY")),
        (format!("copy (select 1) to '{dir}/out2.csv' (format csv)"), Refused("COPY")),
        (format!("-- a comment first\nCoPy units TO '{dir}/out3.csv'"), Refused("COPY")),
        (format!("ATTACH '{dir}/other.duckdb' AS o"), Refused("ATTACH")),
        ("DETACH memory".into(), Refused("DETACH")),
        ("INSTALL spatial".into(), Refused("INSTALL")),
        ("load spatial".into(), Refused("LOAD")),
        ("SET enable_external_access = true".into(), Refused("SET changes the configuration")),
        ("set lock_configuration = false".into(), Refused("SET changes the configuration")),
        ("RESET threads".into(), Refused("RESET")),
        ("PRAGMA enable_profiling".into(), Refused("PRAGMA")),
        (format!("EXPORT DATABASE '{dir}/exported'"), Refused("EXPORT")),
        ("CALL pragma_version()".into(), Refused("CALL")),
        ("CREATE TABLE x AS SELECT 1".into(), Refused("CREATE")),
        ("create temp table x as select 1".into(), Refused("CREATE")),
        ("INSERT INTO units (id) VALUES ('X')".into(), Refused("INSERT")),
        ("UPDATE buildings SET households = 0".into(), Refused("UPDATE")),
        ("DELETE FROM buildings".into(), Refused("DELETE")),
        ("DROP TABLE buildings".into(), Refused("DROP")),
        ("ALTER TABLE buildings ADD COLUMN x INTEGER".into(), Refused("ALTER")),
        ("WITH x AS (SELECT 1) DELETE FROM buildings".into(), Refused("DELETE")),
        ("WITH x AS (SELECT 1) INSERT INTO units SELECT * FROM units".into(), Refused("INSERT")),
        ("BEGIN TRANSACTION".into(), Refused("BEGIN")),
        ("CHECKPOINT".into(), Refused("CHECKPOINT")),
        ("SELECT * FROM checkpoint()".into(), Refused("checkpoint")),
        ("USE memory".into(), Refused("USE")),
        ("PREPARE p AS SELECT 1".into(), Refused("PREPARE")),
        ("EXPLAIN SELECT 1".into(), Refused("EXPLAIN")),
        ("SELECT 1; DROP TABLE buildings".into(), Refused("2 statements")),
        ("select 1; select 2;".into(), Refused("2 statements")),
        (format!("VALUES (1); COPY units TO '{dir}/out4.csv'"), Refused("2 statements")),
        ("SELECT $$x;DROP TABLE buildings$$".into(), Refused("';' inside")),
        ("SELECT 1 /* ; DROP TABLE buildings */".into(), Refused("';' inside")),
        ("SELECT 1) AS a, (SELECT 2".into(), Refused("')' without")),
        (format!("/* hi */ SeLeCt * FrOm ReAd_CsV('{s}') -- bye"), Refused("read_csv")),
        (format!("SELECT * FROM \"read_csv\"('{s}')"), Refused("read_csv")),
        (format!("SELECT * FROM main.\"READ_TEXT\"('{s}')"), Refused("read_text")),
        (format!("SELECT * FROM read_csv /* x */ ('{s}')"), Refused("read_csv")),
        (format!("SELECT '{s}'.read_text()"), Refused("read_text")),
        (format!("SELECT * FROM query('SELECT * FROM read_c' || 'sv(''{s}'')')"), Refused("runs SQL from a string")),
        ("SELECT * FROM query_table('buildings')".into(), Refused("runs SQL from a string")),
        (format!("SELECT * FROM U&\"\\0072ead_csv\"('{s}')"), Refused("U&")),
        ("SELECT U&'\\0041'".into(), Refused("U&")),
        ("SELECT getenv('HOME')".into(), Refused("getenv")),
        ("SELECT current_setting('enable_external_access')".into(), Refused("current_setting")),
        ("SELECT * FROM duckdb_settings()".into(), Refused("duckdb_settings")),
        ("SELECT * FROM pragma_database_list()".into(), Refused("pragma_database_list")),
        (format!("SUMMARIZE SELECT * FROM read_csv('{s}')"), Refused("read_csv")),
        ("SELECT count(*) FROM range(100000000) a, range(100000000) b".into(), Cancelled),
        ("SELECT * FROM generate_series(1, 1000000000000)".into(), Cut),
        ("SELECT b.* FROM buildings b, range(1000000000)".into(), Cut),
    ];
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_statements_are_refused_or_cut_and_nothing_changes() {
    let r = rig();
    let app = as_actor(&r.state, Role::Analyst, None);
    // the sandbox is built before the files are looked at
    let before_rows = rows(&app, "SELECT count(*), sum(households) FROM buildings").await;
    let counts_before = r.state.store.as_ref().map(|s| wangge::live::lock(s).row_counts().expect("counts"));
    let corpus = corpus(&r.secret, &r.dir.display().to_string());
    assert!(corpus.len() >= 30, "{} statements", corpus.len());
    let mut answers = String::new();
    for (q, want) in &corpus {
        let (s, v, text) = sql(&app, q, Some(1000)).await;
        answers.push_str(&text);
        let msg = v["message"].as_str().unwrap_or("").to_owned();
        match want {
            Want::Refused(what) => {
                assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {text}");
                assert!(msg.starts_with("refused") && msg.contains(what), "{q}: {msg:?} should name {what:?}");
            }
            Want::Cancelled => {
                assert_eq!(s, StatusCode::REQUEST_TIMEOUT, "{q}: {text}");
                assert!(msg.contains("cancelled after 1500 ms"), "{msg}");
            }
            Want::Cut => {
                assert_eq!(s, StatusCode::OK, "{q}: {text}");
                assert_eq!((v["rows"].as_array().map(Vec::len), v["truncated"].clone()), (Some(1000), json!(true)), "{q}");
            }
        }
    }
    // the timed-out query left the sandbox usable, with the same tables
    assert_eq!(rows(&app, "SELECT count(*), sum(households) FROM buildings").await, before_rows);
    assert!(!answers.contains(CANARY), "the canary file was read");
    for f in ["out.csv", "out2.csv", "out3.csv", "out4.csv", "exported", "other.duckdb", "x.parquet", "x.db"] {
        assert!(!r.dir.join(f).exists(), "{f} was written");
    }
    // the store: every POST is audited (who ran which query, a refusal with its reason), nothing else moved
    let counts = |c: Option<std::collections::BTreeMap<String, i64>>| {
        c.map(|mut m| {
            m.remove("audit_log");
            m
        })
    };
    let counts_after = r.state.store.as_ref().map(|s| wangge::live::lock(s).row_counts().expect("counts"));
    assert_eq!(counts(counts_before), counts(counts_after), "the store's tables changed");
    let reloaded = r.state.store.as_ref().map(|s| {
        let d = wangge::state::load(&wangge::live::lock(s), IntegrityConfig::default()).expect("reload");
        (d.data_version(), d.buildings.iter().filter_map(|b| b.households).map(u64::from).sum::<u64>(), d.hierarchy.len())
    });
    let d = r.state.dataset();
    let held = (d.data_version(), d.buildings.iter().filter_map(|b| b.households).map(u64::from).sum::<u64>(), d.hierarchy.len());
    assert_eq!(reloaded, Some(held), "the store's layers changed");
    // the settings stayed locked: external access is still off
    let (s, v, _) = sql(&app, &format!("SELECT * FROM '{}'", r.secret), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analytical_queries_answer_the_recount() {
    let r = rig();
    let app = as_actor(&r.state, Role::Analyst, None);
    let d = r.state.dataset();
    let h = &d.hierarchy;
    // totals
    let hh: u64 = d.buildings.iter().filter_map(|b| b.households).map(u64::from).sum();
    let got = rows(&app, "SELECT count(*), sum(households) FROM buildings").await;
    assert_eq!(got, vec![vec![json!(d.buildings.len()), json!(hh)]]);
    // a join with GROUP BY: loaded incidents per leaf unit
    let mut want: BTreeSet<(String, u64)> = BTreeSet::new();
    let mut per: std::collections::BTreeMap<String, u64> = Default::default();
    for u in d.incident_unit.iter().flatten() {
        *per.entry(h.units[*u].id.0.clone()).or_default() += 1;
    }
    want.extend(per);
    let got: BTreeSet<(String, u64)> =
        rows(&app, "SELECT u.id, count(*) FROM units u JOIN incidents i ON i.unit_id = u.id WHERE i.source = 'loaded' GROUP BY u.id")
            .await
            .into_iter()
            .map(|r| (r[0].as_str().unwrap_or("").to_owned(), r[1].as_u64().unwrap_or(0)))
            .collect();
    assert_eq!(got, want);
    // a window function: the largest building of each leaf
    let leaves: BTreeSet<usize> = d.building_assignment.iter().filter_map(|a| a.leaf).collect();
    let got = rows(
        &app,
        "SELECT unit_id, id FROM (SELECT unit_id, id, row_number() OVER (PARTITION BY unit_id ORDER BY area_m2 DESC, id) AS r \
         FROM buildings WHERE unit_id IS NOT NULL) WHERE r = 1",
    )
    .await;
    assert_eq!(got.len(), leaves.len());
    // a CTE over the unit tree: every unit's subtree size
    let got = rows(
        &app,
        "WITH s AS (SELECT ancestor_id, count(*) AS n FROM unit_tree GROUP BY ancestor_id) \
         SELECT u.id, s.n FROM units u JOIN s ON s.ancestor_id = u.id ORDER BY u.id",
    )
    .await;
    assert_eq!(got.len(), h.len());
    for row in &got {
        let i = h.get(&wangge_engine::model::UnitId(row[0].as_str().unwrap_or("").to_owned())).expect("unit");
        let brute = (0..h.len()).filter(|&k| h.chain(k).contains(&i)).count();
        assert_eq!(row[1], json!(brute), "{}", row[0]);
    }
    // coverage figures are the engine's
    let cov = d.coverage();
    let got = rows(&app, "SELECT unit_id, ground_share, buildings_unseen FROM coverage").await;
    assert_eq!(got.len(), h.len());
    for row in got {
        let i = h.get(&wangge_engine::model::UnitId(row[0].as_str().unwrap_or("").to_owned())).expect("unit");
        // serde_json's float parsing may land one ulp off the double DuckDB held
        assert!((row[1].as_f64().unwrap_or(-1.0) - cov.units[i].ground_share).abs() < 1e-12, "{row:?}");
        assert_eq!(row[2].as_u64(), Some(cov.units[i].buildings_unseen));
    }
    // geometry is WKB as hex
    let got = rows(&app, &format!("SELECT geometry FROM units WHERE id = '{}'", h.units[0].id.0)).await;
    let hex = got[0][0].as_str().expect("hex");
    let bytes: Vec<u8> = (0..hex.len() / 2).filter_map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).ok()).collect();
    assert_eq!(wangge::wkb::decode(&bytes), Some(geo::Geometry::MultiPolygon(h.units[0].geometry.clone())));
    // spatial functions are not there (the bundled DuckDB has no spatial extension)
    let (s, v, _) = sql(&app, "SELECT ST_Point(1, 2)", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["message"].as_str().unwrap_or("").contains("spatial"), "{v}");
    // a live incident reported now is in the next answer
    let p = geo::InteriorPoint::interior_point(&d.buildings[0].footprint).expect("a point");
    let admin = as_actor(&r.state, Role::Admin, None);
    let inc = json!({"id": "SQL-LIVE-2", "lon": p.x(), "lat": p.y(), "category": "环境卫生"});
    let (s, text) = raw(&admin, "/api/incidents", inc, "application/json").await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    let got = rows(&app, "SELECT id, status FROM incidents WHERE source = 'live' AND id = 'SQL-LIVE-2'").await;
    assert_eq!(got, vec![vec![json!("SQL-LIVE-2"), json!("reported")]]);
    // sensors: registered, then a reading past the gas threshold (20 %LEL) opens an incident; both in the next answer
    let (s, text) =
        raw(&admin, "/api/sensors", json!({"id": "GAS-SQL", "kind": "gas", "lon": p.x(), "lat": p.y(), "name": "探头"}), "*/*").await;
    assert_eq!(s, StatusCode::CREATED, "{text}");
    let got = rows(&app, "SELECT id, kind, measure, max, last_value, alarm FROM sensors").await;
    assert_eq!(got, vec![vec![json!("GAS-SQL"), json!("gas"), json!("%LEL"), json!(20.0), Value::Null, json!(false)]]);
    let (s, text) = raw(&admin, "/api/sensors/GAS-SQL/readings", json!({"value": 35.0}), "*/*").await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let opened: Value = serde_json::from_str(&text).expect("json");
    let got = rows(
        &app,
        "SELECT s.last_value, s.alarm, s.unit_id IS NOT NULL, i.category FROM sensors s JOIN incidents i ON i.id = s.incident_id",
    )
    .await;
    assert_eq!(got, vec![vec![json!(35.0), json!(true), json!(true), json!("安全生产")]], "{opened}");
    // CSV on request
    let (s, text) =
        raw(&app, "/api/sql?format=csv", json!({"sql": "SELECT id, households FROM buildings ORDER BY id", "limit": 3}), "*/*").await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!((lines.len(), lines[0]), (4, "id,households"), "{text}");
    let (s, text) = raw(&app, "/api/sql", json!({"sql": "SELECT 1 AS one"}), "text/csv").await;
    assert_eq!((s, text.as_str()), (StatusCode::OK, "one\n1\n"));
    // the limit's bounds, and the schema for the console
    let (s, _, _) = sql(&app, "SELECT 1", Some(100_001)).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let req = Request::get("/api/sql/schema").header(header::HOST, "127.0.0.1").body(Body::empty()).expect("req");
    let resp = app.clone().oneshot(req).await.expect("schema");
    assert_eq!(resp.status(), StatusCode::OK);
    let b = resp.into_body().collect().await.expect("body").to_bytes();
    let v: Value = serde_json::from_slice(&b).expect("json");
    let names: Vec<&str> = v["tables"].as_array().expect("tables").iter().filter_map(|t| t["name"].as_str()).collect();
    for t in ["units", "buildings", "cameras", "facilities", "incidents", "coverage", "unit_tree", "sensors"] {
        assert!(names.contains(&t), "{t} in {names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_street_analyst_sees_only_the_street_and_readers_without_the_action_are_refused() {
    let r = rig();
    let d = r.state.dataset();
    let h = &d.hierarchy;
    let street = (0..h.len()).find(|&i| h.parent[i].is_some() && !h.children[i].is_empty()).expect("a street");
    let sid = h.units[street].id.0.clone();
    let j = Jurisdiction::of(&d, Some(&sid));
    let app = as_actor(&r.state, Role::Analyst, Some(&sid));
    let want: BTreeSet<String> = (0..d.buildings.len()).filter(|&b| j.building(&d, b)).map(|b| d.buildings[b].id.clone()).collect();
    assert!(!want.is_empty() && want.len() < d.buildings.len());
    let got: BTreeSet<String> =
        rows(&app, "SELECT id FROM buildings").await.into_iter().filter_map(|r| r[0].as_str().map(str::to_owned)).collect();
    assert_eq!(got, want);
    let units: BTreeSet<String> = (0..h.len()).filter(|&i| j.unit(i)).map(|i| h.units[i].id.0.clone()).collect();
    let got: BTreeSet<String> =
        rows(&app, "SELECT id FROM units").await.into_iter().filter_map(|r| r[0].as_str().map(str::to_owned)).collect();
    assert_eq!(got, units);
    let inc = (0..d.incidents.len()).filter(|&k| j.incident(&d, k)).count();
    assert_eq!(rows(&app, "SELECT count(*) FROM incidents").await, vec![vec![json!(inc)]]);
    let cams = (0..d.cameras.len()).filter(|&k| j.camera(&d, k)).count();
    assert_eq!(rows(&app, "SELECT count(*) FROM cameras").await, vec![vec![json!(cams)]]);
    // the whole district's analyst sees more, from another sandbox
    let all = as_actor(&r.state, Role::Analyst, None);
    assert_eq!(rows(&all, "SELECT count(*) FROM buildings").await, vec![vec![json!(d.buildings.len())]]);
    for role in [Role::Screen, Role::GridWorker, Role::Sensor, Role::Department, Role::Dispatcher] {
        let (s, v, _) = sql(&as_actor(&r.state, role, None), "SELECT 1", None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {v}");
    }
    for role in [Role::Admin, Role::Planner] {
        let (s, v, _) = sql(&as_actor(&r.state, role, None), "SELECT 1", None).await;
        assert_eq!(s, StatusCode::OK, "{role}: {v}");
    }
}
