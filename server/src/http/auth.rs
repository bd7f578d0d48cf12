//! Who is asking: every request gets an [`Actor`] (and its [`Credential`])
//! in its extensions, or a 401; every write and every refused request goes
//! to the audit log; each credential is held to a request rate.
//!
//! Open local mode (a store with no users): everyone is [`Actor::local`].
//! Otherwise `/api/*`, `/tiles/*`, `/ogc/*` and `/style.json` need `Authorization:
//! Bearer TOKEN` or the session cookie; the page's own files, `/health`,
//! the glyphs and `POST /api/login` do not. Credentials are read from
//! headers only — never from the URL, which is logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wangge_engine::people::Actor;

use super::AppState;
use super::error::{AppError, ErrorMessage};
use crate::auth::{AuthFailure, Credential, SESSION_COOKIE};
use crate::store::people::AuditEntry;

/// What a handler adds to the audit line of its write: the thing written and before/after.
#[derive(Debug, Clone, Default)]
pub struct AuditNote {
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// Paths that need no credential even when the store has users.
fn public(method: &Method, path: &str) -> bool {
    let data = path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/tiles/")
        || path == "/style.json"
        || path == "/ogc"
        || path.starts_with("/ogc/");
    !data || (method == Method::POST && path == "/api/login")
}

/// The session cookie's value, if sent.
pub(crate) fn session_cookie(h: &HeaderMap) -> Option<String> {
    h.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == SESSION_COOKIE).then(|| v.to_owned())
    })
}

/// The caller's actor and credential from the headers.
fn authenticate(s: &AppState, h: &HeaderMap) -> Result<(Actor, Credential), AuthFailure> {
    if let Some(v) = h.get(header::AUTHORIZATION) {
        let v = v.to_str().map_err(|_| AuthFailure::Unknown)?;
        let token = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).ok_or(AuthFailure::Unknown)?;
        return s.people.bearer(token);
    }
    match session_cookie(h) {
        Some(c) => s.people.session(&c, crate::auth::now()),
        None => Err(AuthFailure::Missing),
    }
}

/// Identify the caller, check the rate, run the request, audit it.
///
/// An actor already in the extensions (put there by an outer layer of the
/// server's own code, e.g. a test's `.layer(Extension(actor))`; clients
/// cannot set extensions) is kept.
pub(crate) async fn identify(State(s): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (actor, credential) = if let Some(a) = req.extensions().get::<Actor>() {
        let c = req.extensions().get::<Credential>().cloned().unwrap_or(Credential::Local);
        (Some(a.clone()), c)
    } else if s.people.is_open() {
        (Some(Actor::local()), Credential::Local)
    } else {
        match authenticate(&s, req.headers()) {
            Ok((a, c)) => (Some(a), c),
            Err(f) if public(&method, &path) => {
                let _ = f;
                (None, Credential::Local)
            }
            Err(f) => {
                let mut r = AppError::Unauthorized(f.to_string()).into_response();
                r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"wangge\""));
                s.audit.record(audit_line(None, "none", &method, &path, StatusCode::UNAUTHORIZED, None, Some(f.to_string())));
                return r;
            }
        }
    };
    if let Some(a) = &actor
        && credential != Credential::Local
        && !s.rate.take(&credential.label(), s.limits.rate_per_s)
    {
        let mut r = AppError::TooMany(format!("more than {} requests a second for this credential; slow down", s.limits.rate_per_s))
            .into_response();
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        s.audit.record(audit_line(Some(a), &credential.label(), &method, &path, StatusCode::TOO_MANY_REQUESTS, None, None));
        return r;
    }
    if let Some(a) = &actor {
        req.extensions_mut().insert(a.clone());
        req.extensions_mut().insert(credential.clone());
    }
    let r = next.run(req).await;
    let status = r.status();
    let writes = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
    if writes || status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
        let note = r.extensions().get::<AuditNote>().cloned();
        let detail = note
            .as_ref()
            .and_then(|n| n.detail.clone())
            .or_else(|| (!status.is_success()).then(|| r.extensions().get::<ErrorMessage>().map(|m| m.0.clone())).flatten());
        let mut line = audit_line(actor.as_ref(), &credential.label(), &method, &path, status, note.and_then(|n| n.target), detail);
        if actor.is_none() {
            line.credential = "none".into();
        }
        s.audit.record(line);
    }
    r
}

fn audit_line(
    actor: Option<&Actor>,
    credential: &str,
    method: &Method,
    path: &str,
    status: StatusCode,
    target: Option<String>,
    detail: Option<String>,
) -> AuditEntry {
    let outcome = match status.as_u16() {
        200..=399 => "ok",
        401 => "unauthorized",
        403 => "denied",
        429 => "limited",
        _ => "failed",
    };
    AuditEntry {
        at: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64),
        actor: actor.map_or_else(|| "anonymous".into(), |a| a.name.clone()),
        role: actor.map_or_else(|| "-".into(), |a| a.role.to_string()),
        credential: credential.to_owned(),
        method: method.to_string(),
        path: path.to_owned(),
        status: status.as_u16(),
        outcome: outcome.into(),
        unit: actor.and_then(|a| a.unit.clone()),
        target,
        detail,
    }
}

/// Requests a second per credential: a token bucket each (burst = 2 s of rate).
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// Take one request from `key`'s bucket; false when it is empty.
    pub fn take(&self, key: &str, per_s: f64) -> bool {
        self.take_burst(key, per_s, per_s * 2.0)
    }

    /// Forget `key`'s bucket (it starts full again).
    pub fn refill(&self, key: &str) {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }

    /// Take one from a bucket of `cap` refilled at `per_s`.
    pub fn take_burst(&self, key: &str, per_s: f64, cap: f64) -> bool {
        if per_s <= 0.0 {
            return true;
        }
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let e = b.entry(key.to_owned()).or_insert((cap, now));
        e.0 = (e.0 + now.duration_since(e.1).as_secs_f64() * per_s).min(cap);
        e.1 = now;
        if e.0 >= 1.0 {
            e.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The audit log's writer: lines are queued and written to the store in
/// batches by a background thread (every 200 ms or 256 lines), so auditing
/// costs a request a queue push.
impl Drop for AuditLog {
    fn drop(&mut self) {
        // the closed channel tells the writer to write what it holds and stop
        drop(self.tx.take());
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

#[derive(Debug)]
pub struct AuditLog {
    tx: Option<std::sync::mpsc::Sender<AuditEntry>>,
    /// The writer thread: joined on drop, so its last lines are written and the store let go of before the
    /// state holding the log is gone (a store reopened right after finds it closed).
    writer: Option<std::thread::JoinHandle<()>>,
    /// Lines kept in memory when there is no store (tests read them).
    memory: Arc<Mutex<Vec<AuditEntry>>>,
}

impl AuditLog {
    /// Write to `store` (or keep in memory when there is none).
    pub fn new(store: Option<Arc<Mutex<crate::store::Store>>>) -> AuditLog {
        let memory = Arc::new(Mutex::new(Vec::new()));
        let Some(store) = store else { return AuditLog { tx: None, writer: None, memory } };
        let (tx, rx) = std::sync::mpsc::channel::<AuditEntry>();
        let spawned = std::thread::Builder::new().name("audit".into()).spawn(move || {
            let mut batch = Vec::new();
            loop {
                match rx.recv_timeout(std::time::Duration::from_millis(200)) {
                    Ok(e) => {
                        batch.push(e);
                        if batch.len() < 256 {
                            continue;
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                        flush(&store, &mut batch);
                        return;
                    }
                }
                flush(&store, &mut batch);
            }
        });
        match spawned {
            Ok(writer) => AuditLog { tx: Some(tx), writer: Some(writer), memory },
            Err(e) => {
                tracing::error!(error = %e, "the audit writer cannot start; audit lines are kept in memory only");
                AuditLog { tx: None, writer: None, memory }
            }
        }
    }

    pub fn record(&self, e: AuditEntry) {
        tracing::info!(target: "audit", actor = %e.actor, role = %e.role, method = %e.method, path = %e.path, status = e.status, outcome = %e.outcome, "audit");
        match &self.tx {
            Some(tx) => {
                let _ = tx.send(e);
            }
            None => self.memory.lock().unwrap_or_else(|p| p.into_inner()).push(e),
        }
    }

    /// Lines kept in memory (when there is no store).
    pub fn in_memory(&self) -> Vec<AuditEntry> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn flush(store: &Mutex<crate::store::Store>, batch: &mut Vec<AuditEntry>) {
    if batch.is_empty() {
        return;
    }
    let r = store.lock().unwrap_or_else(|p| p.into_inner()).append_audit(batch);
    if let Err(e) = r {
        tracing::error!(error = %e, lines = batch.len(), "audit lines not written");
    }
    batch.clear();
}

/// Headers on every answer: no MIME sniffing, no framing, no referrer, and a
/// Content-Security-Policy allowing only our own origin (the page's inline
/// import map is allowed by its hash, set by the page file handler).
pub(crate) async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    }
    r
}

/// The page's policy: own origin only; MapLibre's workers come from blob URLs.
pub fn page_csp(inline_script_hashes: &[String]) -> String {
    let scripts: String = inline_script_hashes.iter().map(|h| format!(" 'sha256-{h}'")).collect();
    format!(
        "default-src 'self'; script-src 'self'{scripts}; worker-src 'self' blob:; child-src blob:; img-src 'self' data: blob:; \
         style-src 'self' 'unsafe-inline'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}
