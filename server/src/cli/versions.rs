//! `wangge versions`: list the stored layer versions.

use super::{CliError, DbArg};
use crate::store::Store;

/// Run `wangge versions`.
pub fn run(db: DbArg) -> Result<(), CliError> {
    let store = Store::open(&db.db)?;
    for v in store.versions()? {
        println!("{:<11} v{:<3} {:>9} features  {}  {}", v.layer, v.version, v.features, v.created_at, v.source.unwrap_or_default());
    }
    Ok(())
}
