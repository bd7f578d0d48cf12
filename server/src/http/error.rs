//! The one error type of the HTTP layer.
//!
//! Every handler answers `Result<Response, AppError>`; the client sees
//! `{"error": code, "message": text}` with the matching status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What can go wrong answering a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The client's request is malformed or names something invalid (400).
    #[error("{0}")]
    BadRequest(String),
    /// A tile address that is not one (400).
    #[error("{0}")]
    BadTile(String),
    /// The named thing does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The store failed; the message says what was not saved (500).
    #[error("{0}")]
    Store(String),
    /// Our own failure (500).
    #[error("{0}")]
    Internal(String),
}

/// The answer of a handler.
pub type AppResult = Result<Response, AppError>;

impl AppError {
    pub fn bad(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        AppError::NotFound(message.into())
    }

    /// The HTTP status and the machine-readable code.
    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::BadTile(_) => (StatusCode::BAD_REQUEST, "bad_tile"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status();
        (status, Json(json!({"error": code, "message": self.to_string()}))).into_response()
    }
}

pub(crate) fn live_error(e: crate::live::LiveError) -> AppError {
    use crate::live::LiveError as L;
    match e {
        L::Bad(m) => AppError::bad(m),
        L::NotFound(m) => AppError::not_found(m),
        L::Conflict(m) => AppError::Conflict(m),
        e @ (L::Store { .. } | L::Load(_)) => AppError::Store(e.to_string()),
    }
}

pub(crate) fn body_error(e: axum::extract::rejection::JsonRejection) -> AppError {
    AppError::bad(format!("request body: {}", e.body_text()))
}
