//! Request ids: every request gets one (or keeps a sane `x-request-id` it came with);
//! it is in the request's log span, in the `x-request-id` response header and in 5xx bodies.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The header carrying the id both ways.
pub const HEADER: &str = "x-request-id";

/// The id of the request being answered (a request extension).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

static NEXT: AtomicU64 = AtomicU64::new(1);

/// A new id: this run's start (seconds since 1970, base 36) and a counter, e.g. `t5k2q1-42`.
fn fresh() -> String {
    static RUN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let run = RUN.get_or_init(|| {
        let mut n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut s = Vec::new();
        while n > 0 {
            s.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
            n /= 36;
        }
        s.reverse();
        String::from_utf8(s).unwrap_or_default()
    });
    format!("{run}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A client's id is kept when it is 1 to 64 visible ASCII characters.
fn acceptable(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic())).then(|| s.to_owned())
}

/// Middleware (outermost): give the request its id and put it on the response.
pub(crate) async fn assign(mut req: Request, next: Next) -> Response {
    let id = req.headers().get(HEADER).and_then(acceptable).unwrap_or_else(fresh);
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(HEADER, v);
    }
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut res = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(HEADER, v);
    }
    res
}
