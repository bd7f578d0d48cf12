//! The incident taxonomy: loaded at start-up (built in, or `--taxonomy FILE`), answered at `/api/taxonomy`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use wangge_engine::incidents::taxonomy::Taxonomy;

use super::AppState;
use super::access::{Action, Routes};

/// Why a taxonomy could not be loaded; start-up stops with it.
#[derive(Debug, thiserror::Error)]
pub enum TaxonomyError {
    #[error("taxonomy file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("taxonomy file {}: {reason}", path.display())]
    Parse { path: PathBuf, reason: String },
}

/// The built-in taxonomy (`data/taxonomy.json`, compiled in), or the file given.
pub fn load(path: Option<&Path>) -> Result<Taxonomy, TaxonomyError> {
    match path {
        None => Taxonomy::parse(crate::live::DEFAULT_TAXONOMY)
            .map_err(|e| TaxonomyError::Parse { path: PathBuf::from("(built in) data/taxonomy.json"), reason: e.to_string() }),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| TaxonomyError::Read { path: p.to_owned(), source })?;
            Taxonomy::parse(&text).map_err(|e| TaxonomyError::Parse { path: p.to_owned(), reason: e.to_string() })
        }
    }
}

pub(crate) fn routes() -> Routes {
    Routes::new().get("/api/taxonomy", Action::Read, taxonomy)
}

/// The taxonomy in use: `classes` (name, items), `departments`, `deadlines_h`, `sensor_kinds`.
async fn taxonomy(State(s): State<Arc<AppState>>) -> Json<Taxonomy> {
    Json(s.live.taxonomy.clone())
}
