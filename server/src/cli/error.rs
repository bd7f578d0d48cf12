//! `CliError`: everything a `wangge` subcommand can fail with, each with what a person needs to fix it.

use std::path::PathBuf;

use wangge_engine::model::LayerKind;

use crate::graphs::GraphError;
use crate::import::{ImportFailure, PairError};
use crate::store::StoreError;

/// Why a subcommand failed; `run` prints it after `error: ` and exits with 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("--tz {0:?}: expected ±HH:MM")]
    Tz(String),
    #[error("--sliver-width must be ≥ 0, got {0}")]
    SliverWidth(f64),
    #[error("--norm {0:?}: expected LEVEL=MIN..MAX")]
    NormSyntax(String),
    #[error("--norm {0:?}: MIN and MAX must be whole numbers")]
    NormNumbers(String),
    #[error("--split {0:?}: expected three numbers like 5,6,3")]
    Split(String),
    #[error(transparent)]
    Pair(#[from] PairError),
    #[error("--out {}: use a .csv, .geojson or .json file", .0.display())]
    OutExtension(PathBuf),
    /// A file or directory could not be read or written.
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: no units stored (import a units layer first)", .0.display())]
    NoUnits(PathBuf),
    #[error("no unit with id {0}")]
    UnknownUnit(String),
    /// `wangge service`: an unknown facility kind or a bad threshold.
    #[error("{0}")]
    Service(String),
    #[error("admin file is not a units layer")]
    AdminNotUnits,
    #[error("admin units do not form a hierarchy: {0}")]
    AdminHierarchy(String),
    /// The file itself could not be read (IO, JSON syntax, …).
    #[error(transparent)]
    ImportFile(ImportFailure),
    /// Features of the file are invalid; all problems listed.
    #[error("import of {kind} failed: {source}")]
    ImportFeatures { kind: LayerKind, source: ImportFailure },
    #[error("import of {kind} failed, nothing was written: {source}")]
    Write { kind: LayerKind, source: StoreError },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    People(#[from] super::people::PeopleCliError),
    /// A backup or a restore was refused or failed; nothing was put in place.
    #[error(transparent)]
    Backup(#[from] super::backup::BackupError),
    /// `wangge export`: bad flags or a file that could not be written.
    #[error(transparent)]
    Export(#[from] crate::export::geoparquet::ExportError),
    /// `wangge serve` stopped with this message.
    #[error("{0}")]
    Serve(#[from] super::serve::ServeError),
}

impl CliError {
    /// An IO error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CliError {
        let path = path.into();
        move |source| CliError::Io { path, source }
    }
}
