//! Administration: `POST /api/admin/backup`, a consistent copy of the store
//! while the server keeps serving.
//!
//! The copy is taken under the store's mutex (every write of the server goes
//! through it, so none lands half-way through the copy) into a temporary file,
//! and sent back as the body (`application/octet-stream`, with its length).
//! The file comes back to the caller rather than being written to a path the
//! caller names on the server's machine: the caller may be elsewhere, and a
//! request that picks where the server writes would let it overwrite any file
//! the server's user can. Who may call it is the access table's business.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncReadExt;

use super::access::{Action, Routes};
use super::error::{AppError, AppResult};
use super::{AppState, blocking};

pub(crate) fn routes() -> Routes {
    Routes::new().post("/api/admin/backup", Action::Admin, backup)
}

/// A fresh path in the temporary directory for one backup.
fn temp_path() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    std::env::temp_dir().join(format!("wangge-backup-{}-{nanos}-{}.duckdb", std::process::id(), N.fetch_add(1, Ordering::Relaxed)))
}

pub(crate) async fn backup(State(s): State<Arc<AppState>>) -> AppResult {
    let store = s.store.clone().ok_or_else(|| AppError::Conflict("this server keeps no store file; there is nothing to back up".into()))?;
    let (file, len, version) = blocking(move || {
        let path = temp_path();
        let started = Instant::now();
        let version = {
            let st = crate::sync::lock(&store);
            st.backup_to(&path).map_err(|e| AppError::Store(format!("the backup was not written: {e}")))?;
            st.schema_version().map_err(|e| AppError::Store(format!("the backup was not written: {e}")))?
        };
        let opened = std::fs::File::open(&path).and_then(|f| Ok((f.metadata()?.len(), f)));
        // the open file keeps its data until it is sent; nothing is left behind
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(path.with_extension("duckdb.wal"));
        let (len, file) = opened.map_err(|e| AppError::Internal(format!("reading the backup {}: {e}", path.display())))?;
        tracing::info!(bytes = len, schema_version = version, seconds = started.elapsed().as_secs_f64(), "backup taken");
        Ok((file, len, version))
    })
    .await?;
    let file = tokio::fs::File::from_std(file);
    // chunks of the file until its end; a read error ends the body (the client sees it short)
    let chunks = futures_util::stream::unfold(Some(file), |f| async move {
        let mut f = f?;
        let mut buf = vec![0u8; 256 << 10];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), Some(f)))
            }
            Err(e) => Some((Err(e), None)),
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, len)
        .header(header::CONTENT_DISPOSITION, "attachment; filename=\"wangge-backup.duckdb\"")
        .header("x-wangge-schema-version", version)
        .body(Body::from_stream(chunks))
        .map(IntoResponse::into_response)
        .map_err(|e| AppError::Internal(format!("backup response: {e}")))
}
