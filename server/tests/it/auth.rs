//! People, credentials and the role check (issue 13): a store with users
//! needs a credential on every data route; tokens, sessions, revocation,
//! expiry, login limits, 403 reasons, the audit log, security headers, and
//! the `wangge users` / `wangge token` commands.

use std::process::Command;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::auth::{self, NewUser, Session, secret};
use wangge::http::{AppState, app};
use wangge::store::Store;
use wangge_engine::model::Layer;

use crate::common;

pub struct Locked {
    pub app: axum::Router,
    pub state: Arc<AppState>,
    pub admin: String,
    pub street_token: String,
    pub street_token_id: String,
    pub street: String,
}

fn user(store: &Store, name: &str, role: &str, unit: Option<&str>, password: Option<&str>) {
    let u = NewUser {
        name: name.into(),
        role: role.into(),
        unit: unit.map(Into::into),
        department: (role == "department").then(|| "城管".into()),
        password: password.map(Into::into),
    };
    let u = auth::new_user(store, u, auth::now()).expect("new user");
    store.insert_user(&u).expect("insert user");
}

/// The demo district in a store with an admin and a street's dispatcher (password "street-pass-1").
pub fn locked(extra: impl FnOnce(&Store)) -> Locked {
    let mut store = Store::memory().expect("store");
    let units = common::demo_layers().into_iter().find(|l| matches!(l, Layer::Units(_))).expect("units");
    store.write_layer(&units, "test", "wgs84", |_| Ok(None)).expect("units written");
    let d = common::demo_dataset();
    let street = d.hierarchy.units.iter().find(|u| u.level.0 == "street").expect("a street").id.0.clone();
    user(&store, "admin", "admin", None, Some("admin-pass-1"));
    user(&store, "street", "dispatcher", Some(&street), Some("street-pass-1"));
    user(&store, "reader", "analyst", None, None);
    let (admin, _) = auth::create_token(&store, "admin", Some("test".into()), auth::now()).expect("token");
    let (street_token, t) = auth::create_token(&store, "street", None, auth::now()).expect("token");
    extra(&store);
    let state = AppState::with_store(d, common::repo("web"), store).expect("state");
    Locked { app: app(state.clone()), state, admin, street_token, street_token_id: t.id, street }
}

pub async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut b = Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1:8080");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request");
    let resp = app.clone().oneshot(req).await.expect("response");
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

#[tokio::test]
async fn a_store_with_users_needs_a_credential_on_data_routes_only() {
    let l = locked(|_| {});
    for uri in ["/api/layers", "/api/units", "/tiles/units.json", "/style.json", "/api/me", "/api/nothing-here", "/api/stream"] {
        let (s, h, v) = call(&l.app, "GET", uri, &[], None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{uri}: {v}");
        assert_eq!(v["error"], "unauthorized", "{uri}");
        assert!(h.get(header::WWW_AUTHENTICATE).is_some(), "{uri}");
    }
    // a credential in the URL is not one
    let (s, _, _) = call(&l.app, "GET", &format!("/api/layers?access_token={}", l.admin), &[], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    for uri in ["/health", "/", "/style.css"] {
        let (s, _, _) = call(&l.app, "GET", uri, &[], None).await;
        assert_eq!(s, StatusCode::OK, "{uri} is public");
    }
    let auth = bearer(&l.admin);
    let (s, _, v) = call(&l.app, "GET", "/api/me", &[("authorization", &auth)], None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((v["name"].as_str(), v["role"].as_str(), v["open"].as_bool()), (Some("admin"), Some("admin"), Some(false)));
    let (s, _, _) = call(&l.app, "GET", "/api/layers", &[("authorization", &auth)], None).await;
    assert_eq!(s, StatusCode::OK);
    // a token with one character changed, another scheme, garbage
    let mut wrong = l.admin.clone();
    let last = wrong.pop().expect("char");
    wrong.push(if last == '0' { '1' } else { '0' });
    for h in [bearer(&wrong), format!("Basic {}", l.admin), "Bearer".into(), bearer("wgt_zz")] {
        let (s, _, _) = call(&l.app, "GET", "/api/layers", &[("authorization", &h)], None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{h}");
    }
    let (s, _, v) = call(&l.app, "GET", "/api/me", &[("authorization", &bearer(&l.street_token))], None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["unit"].as_str(), Some(l.street.as_str()));
    assert!(v["unit_name"].as_str().is_some_and(|n| !n.is_empty()), "{v}");
    assert_eq!(v["bounds"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn the_page_has_security_headers_and_allows_only_its_own_origin() {
    let l = locked(|_| {});
    let (s, h, _) = call(&l.app, "GET", "/", &[], None).await;
    assert_eq!(s, StatusCode::OK);
    let csp = h.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).expect("csp").to_owned();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    // the inline import map is allowed by its hash, nothing else inline
    let html = std::fs::read_to_string(common::repo("web/index.html")).expect("index.html");
    let hashes = wangge::http::assets::inline_script_hashes(html.as_bytes());
    assert_eq!(hashes.len(), 1, "one inline script (the import map)");
    assert!(csp.contains(&format!("'sha256-{}'", hashes[0])), "{csp}");
    assert!(!csp.contains("unsafe-eval") && !csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
    let (_, h, _) = call(&l.app, "GET", "/api/layers", &[("authorization", &bearer(&l.admin))], None).await;
    assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
}

#[tokio::test]
async fn revoked_tokens_disabled_users_and_expired_or_ended_sessions_get_401() {
    let expired = secret::mint(auth::SESSION_PREFIX);
    let exp = expired.clone();
    let l = locked(move |store| {
        let now = auth::now();
        let s = Session {
            id: exp.id.clone(),
            user: "street".into(),
            hash: exp.hash.clone(),
            created_at: now - 50_000,
            expires_at: now - 10,
            ended_at: None,
        };
        store.insert_session(&s).expect("session");
    });
    let cookie = format!("{}={}", auth::SESSION_COOKIE, expired.shown);
    let (s, _, v) = call(&l.app, "GET", "/api/me", &[("cookie", &cookie)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["message"].as_str().is_some_and(|m| m.contains("expired")), "{v}");

    let street = bearer(&l.street_token);
    assert_eq!(call(&l.app, "GET", "/api/layers", &[("authorization", &street)], None).await.0, StatusCode::OK);
    let admin = bearer(&l.admin);
    let (s, _, v) =
        call(&l.app, "POST", &format!("/api/admin/tokens/{}/revoke", l.street_token_id), &[("authorization", &admin)], None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _, v) = call(&l.app, "GET", "/api/layers", &[("authorization", &street)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["message"].as_str().is_some_and(|m| m.contains("revoked")), "{v}");
    // the revocation is in the store, not only in memory
    let store = l.state.store.clone().expect("store");
    assert!(store.lock().expect("lock").token(&l.street_token_id).expect("read").expect("token").revoked_at.is_some());

    // a session: login, use, logout, the same cookie no longer works
    let (s, h, v) = call(&l.app, "POST", "/api/login", &[], Some(json!({"name": "street", "password": "street-pass-1"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let set = h.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).expect("cookie").to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(attr), "{set} has {attr}");
    }
    let cookie = set.split(';').next().expect("pair").to_owned();
    let (s, _, v) = call(&l.app, "GET", "/api/me", &[("cookie", &cookie)], None).await;
    assert_eq!((s, v["name"].as_str()), (StatusCode::OK, Some("street")));
    assert_eq!(call(&l.app, "POST", "/api/logout", &[("cookie", &cookie)], None).await.0, StatusCode::NO_CONTENT);
    let (s, _, v) = call(&l.app, "GET", "/api/me", &[("cookie", &cookie)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["message"].as_str().is_some_and(|m| m.contains("ended")), "{v}");

    // a disabled user's credentials stop at once, and work again when enabled
    let (s, _, _) = call(&l.app, "POST", "/api/admin/users/admin/disable", &[("authorization", &admin)], None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, v) = call(&l.app, "GET", "/api/layers", &[("authorization", &admin)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(v["message"].as_str().is_some_and(|m| m.contains("disabled")), "{v}");
}

#[tokio::test]
async fn login_failures_are_limited_per_name_and_say_nothing_about_which_part_was_wrong() {
    let l = locked(|_| {});
    let (s1, _, v1) = call(&l.app, "POST", "/api/login", &[], Some(json!({"name": "street", "password": "wrong-password"}))).await;
    let (s2, _, v2) = call(&l.app, "POST", "/api/login", &[], Some(json!({"name": "nobody", "password": "wrong-password"}))).await;
    assert_eq!((s1, s2), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    assert_eq!(v1["message"], v2["message"], "same answer for an unknown name and a wrong password");
    // a user without a password (tokens only) cannot log in
    let (s, _, _) = call(&l.app, "POST", "/api/login", &[], Some(json!({"name": "reader", "password": "anything-at-all"}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let mut limited = false;
    for _ in 0..12 {
        let (s, _, _) = call(&l.app, "POST", "/api/login", &[], Some(json!({"name": "street", "password": "wrong-password"}))).await;
        limited |= s == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "failed logins are limited");
    // even the right password waits now; another name is not affected
    let (s, _, _) = call(&l.app, "POST", "/api/login", &[], Some(json!({"name": "street", "password": "street-pass-1"}))).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, _) = call(&l.app, "POST", "/api/login", &[], Some(json!({"name": "admin", "password": "admin-pass-1"}))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(&l.app, "POST", "/api/login", &[], Some(json!({"name": "admin", "password": "admin-pass-1", "extra": 1}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are refused");
}

#[tokio::test]
async fn roles_are_refused_with_the_reason_and_every_write_and_denial_is_audited() {
    let l = locked(|_| {});
    let admin = bearer(&l.admin);
    let (s, _, v) =
        call(&l.app, "POST", "/api/admin/users", &[("authorization", &admin)], Some(json!({"name": "screen1", "role": "screen"}))).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, _, v) = call(&l.app, "POST", "/api/admin/tokens", &[("authorization", &admin)], Some(json!({"user": "screen1"}))).await;
    assert_eq!(s, StatusCode::CREATED);
    let screen_token = v["token"].as_str().expect("token shown once").to_owned();
    let screen = bearer(&screen_token);
    let (s, _, v) = call(
        &l.app,
        "POST",
        "/api/incidents",
        &[("authorization", &screen)],
        Some(json!({"lon": 120.38, "lat": 36.06, "category": "市容环境"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(v["message"].as_str().is_some_and(|m| m.contains("role screen") && m.contains("report incidents")), "{v}");
    let (s, _, _) = call(&l.app, "GET", "/api/admin/users", &[("authorization", &screen)], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = call(&l.app, "GET", "/api/layers", &[("authorization", &screen)], None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(&l.app, "GET", "/api/layers", &[], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, v) = call(&l.app, "GET", "/api/admin/audit", &[("authorization", &admin)], None).await;
    assert_eq!(s, StatusCode::OK);
    let entries = v["entries"].as_array().expect("entries");
    let find = |outcome: &str, path: &str| entries.iter().find(|e| e["outcome"] == outcome && e["path"] == path).cloned();
    let denied = find("denied", "/api/incidents").expect("the denial is audited");
    assert_eq!((denied["actor"].as_str(), denied["status"].as_u64()), (Some("screen1"), Some(403)));
    assert!(denied["detail"].as_str().is_some_and(|d| d.contains("report incidents")), "{denied}");
    assert!(find("denied", "/api/admin/users").is_some());
    assert!(find("unauthorized", "/api/layers").is_some());
    let added = find("ok", "/api/admin/users").expect("the write is audited");
    assert_eq!(added["target"].as_str(), Some("user:screen1"));
    // reads that succeed are not audited; no secret is ever in the log
    assert!(find("ok", "/api/layers").is_none());
    let text = v.to_string();
    for secret in [&l.admin, &l.street_token, &screen_token] {
        let s = secret.rsplit('_').next().expect("secret part");
        assert!(!text.contains(s), "a token's secret is in the audit log");
    }
}

#[tokio::test]
async fn open_local_mode_has_no_login_and_acts_as_the_local_admin() {
    let state = AppState::new(common::demo_dataset(), common::repo("web"));
    let a = app(state);
    let (s, _, v) = call(&a, "GET", "/api/me", &[], None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((v["name"].as_str(), v["role"].as_str(), v["open"].as_bool()), (Some("local"), Some("admin"), Some(true)));
    let (s, _, _) = call(&a, "POST", "/api/login", &[], Some(json!({"name": "x", "password": "yyyyyyyy"}))).await;
    assert_eq!(s, StatusCode::CONFLICT);
}

fn wangge(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    use std::io::Write;
    let mut c = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("wangge");
    if let Some(s) = stdin {
        c.stdin.take().expect("stdin").write_all(s.as_bytes()).expect("write");
    }
    drop(c.stdin.take());
    let o = c.wait_with_output().expect("output");
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn users_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("w.duckdb");
    let db = db.to_str().expect("path");
    let admin = common::repo("data/shinan/admin.geojson");
    let (ok, _, err) = wangge(&["import", "--db", db, "--layer", "units", admin.to_str().expect("path")], None);
    assert!(ok, "{err}");
    let street = common::shinan().into_iter().find(|u| u.level.0 == "street").expect("street").id.0;
    let (ok, out, err) = wangge(
        &["users", "add", "--db", db, "--name", "张三", "--role", "dispatcher", "--unit", &street, "--password-stdin"],
        Some("a long password\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("张三") && out.contains("with a password") && out.contains("needs a credential"), "{out}");
    for (args, why) in [
        (vec!["--name", "x", "--role", "root"], "unknown role"),
        (vec!["--name", "y", "--role", "dispatcher", "--unit", "NO-SUCH-UNIT"], "no unit"),
        (vec!["--name", "张三", "--role", "admin"], "exists already"),
        (vec!["--name", "z", "--role", "department"], "department"),
        (vec!["--name", "bad name!", "--role", "admin"], "name"),
    ] {
        let mut a = vec!["users", "add", "--db", db];
        a.extend(args);
        let (ok, _, err) = wangge(&a, None);
        assert!(!ok && err.contains(why), "{why}: {err}");
    }
    let (ok, _, err) = wangge(&["users", "add", "--db", db, "--name", "w", "--role", "admin", "--password-stdin"], Some("short\n"));
    assert!(!ok && err.contains("8 characters"), "{err}");
    let (ok, out, err) = wangge(&["token", "create", "--db", db, "--user", "张三", "--label", "screen"], None);
    assert!(ok, "{err}");
    let token = out.lines().last().expect("token line").trim().to_owned();
    let (id, _) = secret::split(auth::TOKEN_PREFIX, &token).expect("the last line is the token");
    let id = id.to_owned();
    let (ok, out, _) = wangge(&["token", "list", "--db", db], None);
    assert!(ok && out.contains(&id) && out.contains("active") && !out.contains(&token), "{out}");
    let (ok, _, err) = wangge(&["token", "create", "--db", db, "--user", "nobody"], None);
    assert!(!ok && err.contains("no user"), "{err}");
    // the stored hash only: the token's text is nowhere in the file
    let (ok, _, err) = wangge(&["token", "revoke", "--db", db, &id], None);
    assert!(ok, "{err}");
    let (_, out, _) = wangge(&["token", "list", "--db", db], None);
    assert!(out.contains("revoked"), "{out}");
    let store = Store::open(std::path::Path::new(db)).expect("open");
    let people = auth::People::load(&store).expect("load");
    assert_eq!(people.bearer(&token).map(|_| ()), Err(auth::AuthFailure::Revoked));
    let u = store.user("张三").expect("read").expect("user");
    assert!(u.password_hash.as_deref().is_some_and(|h| h.starts_with("$argon2id$")));
}
