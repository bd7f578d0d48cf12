//! Read-only SQL over the caller's jurisdiction (`crate::sql`): `POST
//! /api/sql` answers one read query as JSON (or CSV with `?format=csv` or
//! `Accept: text/csv`), and `GET /api/sql/schema` lists the tables and
//! their columns for the console. Refusals are 400 with the reason; a query
//! past the time limit is 408.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::access::{Action, Routes, Scope};
use super::error::{AppError, AppResult};
use super::extract::{Format, OutputFormat};
use super::{AppState, blocking};
use crate::sql::{self, convert, tables};

pub(crate) fn routes() -> Routes {
    Routes::new().post("/api/sql", Action::Sql, sql_query).get("/api/sql/schema", Action::Sql, sql_schema)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SqlBody {
    pub(crate) sql: String,
    pub(crate) limit: Option<usize>,
}

pub(crate) async fn sql_query(
    State(s): State<Arc<AppState>>,
    scope: Scope,
    format: Format,
    headers: HeaderMap,
    body: Result<Json<SqlBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult {
    let Json(b) = body?;
    let limit = b.limit.unwrap_or(sql::DEFAULT_LIMIT);
    if limit == 0 || limit > sql::MAX_LIMIT {
        return Err(AppError::bad(format!("limit {limit}: use 1 to {}", sql::MAX_LIMIT)));
    }
    let accept_csv = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/csv"));
    let csv = match format.given(&[OutputFormat::Json, OutputFormat::Csv])? {
        Some(f) => f == OutputFormat::Csv,
        None => accept_csv,
    };
    let d = s.dataset();
    blocking(move || {
        let a = s.sql.run(&d, &scope.jurisdiction, &s.live, &b.sql, limit)?;
        tracing::info!(rows = a.rows.len(), truncated = a.truncated, elapsed_ms = a.elapsed_ms, "sql answered");
        if !csv {
            return Ok(Json(a).into_response());
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| AppError::Internal(format!("writing CSV: {e}"));
        w.write_record(a.columns.iter().map(|c| c.name.as_str())).map_err(io)?;
        for r in &a.rows {
            w.write_record(r.iter().map(convert::csv_cell)).map_err(io)?;
        }
        let body = w.into_inner().map_err(|e| AppError::Internal(format!("writing CSV: {e}")))?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (header::CONTENT_DISPOSITION, "attachment; filename=\"query.csv\""),
                (header::HeaderName::from_static("x-truncated"), if a.truncated { "true" } else { "false" }),
            ],
            body,
        )
            .into_response())
    })
    .await
}

pub(crate) async fn sql_schema(State(s): State<Arc<AppState>>) -> AppResult {
    Ok(Json(json!({
        "tables": tables::TABLES,
        "limits": {"default_rows": sql::DEFAULT_LIMIT, "max_rows": sql::MAX_LIMIT, "timeout_ms": s.sql.timeout.as_millis() as u64},
        "spatial": false,
        "geometry": "WKB in BLOB columns (hex strings in JSON answers), WGS84; lon/lat columns beside it",
    }))
    .into_response())
}
