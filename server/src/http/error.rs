//! The one error type of the HTTP layer.
//!
//! Every handler answers `Result<Response, AppError>`; the client sees
//! `{"error": code, "message": text}` with the matching status. Our own
//! failures (5xx) answer a generic message with the request id; the details go
//! to the log only (the `internal_errors` middleware joins the two).

use axum::Json;
use axum::extract::Request;
use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::request_id::RequestId;

/// What can go wrong answering a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client's request is malformed or names something invalid (400).
    #[error("{0}")]
    BadRequest(String),
    /// A tile address that is not one (400).
    #[error("{0}")]
    BadTile(String),
    /// No credential, or one that is unknown, revoked or expired (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's role or jurisdiction does not allow this; the message says why (403).
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests for this credential (429).
    #[error("{0}")]
    TooMany(String),
    /// The named thing does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The request body is over the limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// The work asked for ran past its time limit and was cancelled (408); the message names the limit.
    #[error("{0}")]
    Cancelled(String),
    /// The store failed; the message says what was not saved (500, logged, not shown).
    #[error("{0}")]
    Store(String),
    /// Our own failure (500, logged, not shown).
    #[error("{0}")]
    Internal(String),
}

/// The answer of a handler.
pub type AppResult = Result<Response, AppError>;

impl AppError {
    pub fn bad(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        AppError::NotFound(message.into())
    }

    /// The HTTP status and the machine-readable code.
    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::BadTile(_) => (StatusCode::BAD_REQUEST, "bad_tile"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::TooMany(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::Cancelled(_) => (StatusCode::REQUEST_TIMEOUT, "cancelled"),
            AppError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The details of a 5xx, kept out of the body: [`internal_errors`] logs them with the request id.
#[derive(Debug, Clone)]
struct InternalDetail {
    code: &'static str,
    detail: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status();
        if status.is_server_error() {
            let mut r = (status, Json(json!({"error": "internal", "message": "internal error"}))).into_response();
            r.extensions_mut().insert(InternalDetail { code, detail: self.to_string() });
            return r;
        }
        let message = self.to_string();
        let mut r = (status, Json(json!({"error": code, "message": message}))).into_response();
        r.extensions_mut().insert(ErrorMessage(message));
        r
    }
}

/// The message of a 4xx answer, for the audit log (the reason of a denial).
#[derive(Debug, Clone)]
pub struct ErrorMessage(pub String);

impl From<crate::live::LiveError> for AppError {
    fn from(e: crate::live::LiveError) -> Self {
        use crate::live::LiveError as L;
        match e {
            L::Bad(m) => AppError::bad(m),
            L::NotFound(m) => AppError::not_found(m),
            L::Conflict(m) => AppError::Conflict(m),
            L::Forbidden(m) => AppError::Forbidden(m),
            e @ (L::Store { .. } | L::Load(_)) => AppError::Store(e.to_string()),
        }
    }
}

impl From<crate::sql::SqlError> for AppError {
    fn from(e: crate::sql::SqlError) -> Self {
        use crate::sql::SqlError as S;
        match e {
            S::Refused(m) | S::Query(m) => AppError::BadRequest(m),
            e @ S::Timeout(_) => AppError::Cancelled(e.to_string()),
            e @ S::Sandbox(_) => AppError::Internal(e.to_string()),
        }
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        AppError::Store(e.to_string())
    }
}

/// An import of a request body that failed is the client's data: 400 with every problem found.
impl From<crate::import::ImportFailure> for AppError {
    fn from(e: crate::import::ImportFailure) -> Self {
        AppError::bad(e.to_string())
    }
}

impl From<JsonRejection> for AppError {
    fn from(e: JsonRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::TooLarge(format!("request body: {}", e.body_text()));
        }
        AppError::bad(format!("request body: {}", e.body_text()))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("background job: {e}"))
    }
}

/// Middleware: a 5xx built from an [`AppError`] gets the request id in its body and
/// its details in the log; a 413, 408 or 503 answered by a tower layer (body limit,
/// timeout) without a JSON body gets one.
pub(crate) async fn internal_errors(req: Request, next: Next) -> Response {
    let id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let mut res = next.run(req).await;
    if let Some(d) = res.extensions_mut().remove::<InternalDetail>() {
        tracing::error!(request_id = %id, code = d.code, detail = %d.detail, "internal error");
        let status = res.status();
        let body = json!({"error": "internal", "message": format!("internal error, request id {id}"), "request_id": id});
        return (status, Json(body)).into_response();
    }
    let is_json = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let message = match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => "request body: over the size limit",
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => "the request took too long and was stopped",
        _ => return res,
    };
    if is_json {
        return res;
    }
    let (status, code) = match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => (res.status(), "too_large"),
        s => (s, "timeout"),
    };
    if status != StatusCode::PAYLOAD_TOO_LARGE {
        tracing::warn!(request_id = %id, "request timed out");
    }
    (status, Json(json!({"error": code, "message": message}))).into_response()
}
