//! `wangge restore`: put a backup in place of a store, all or nothing.
//!
//! The backup is copied beside the store (FILE.restore), opened and checked
//! there (schema version known, migrated to this build's if older, every
//! layer version whole); only then is the old store renamed to
//! FILE.before-restore and the copy renamed to FILE. A store a process holds
//! (a server) is refused: stop it first.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use super::backup::{BackupError, beside, check_copy, remove_with_wal};
use crate::store::Store;

/// Flags of `wangge restore`.
#[derive(Debug, Args, Clone)]
pub struct RestoreArgs {
    /// The store file to restore into (kept as FILE.before-restore if it exists).
    #[arg(long, env = "WANGGE_DB")]
    pub db: PathBuf,
    /// The backup file (from `wangge backup`).
    pub backup: PathBuf,
}

/// Run `wangge restore`.
pub fn run(a: RestoreArgs) -> Result<(), CliError> {
    if !a.backup.exists() {
        return Err(BackupError::Missing(a.backup).into());
    }
    let before = beside(&a.db, ".before-restore");
    let exists = a.db.exists();
    if exists {
        if before.exists() {
            return Err(BackupError::BeforeExists(before).into());
        }
        // a store a server holds cannot be opened here: refuse before touching anything
        Store::check_free(&a.db)?;
    }
    let tmp = beside(&a.db, ".restore");
    remove_with_wal(&tmp)?;
    let checked = std::fs::copy(&a.backup, &tmp).map_err(CliError::io(&tmp)).and_then(|_| check_copy(&tmp));
    let checked = match checked {
        Ok(c) => c,
        Err(e) => {
            let _ = remove_with_wal(&tmp);
            return Err(e);
        }
    };
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(CliError::io(&tmp))?;
    if exists {
        std::fs::rename(&a.db, &before).map_err(CliError::io(&before))?;
        let wal = beside(&a.db, ".wal");
        if wal.exists() {
            std::fs::rename(&wal, beside(&before, ".wal")).map_err(CliError::io(&wal))?;
        }
    }
    std::fs::rename(&tmp, &a.db).map_err(CliError::io(&a.db))?;
    if let Some(dir) = a.db.parent().map(|p| if p.as_os_str().is_empty() { std::path::Path::new(".") } else { p }) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    println!(
        "restored {} into {}: {} rows in {} tables, schema version {}{}",
        a.backup.display(),
        a.db.display(),
        checked.rows,
        checked.tables,
        checked.schema_version,
        if exists { format!("; the old store is {}", before.display()) } else { String::new() }
    );
    Ok(())
}
