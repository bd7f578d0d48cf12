//! Locking shared state: one helper every module uses, so a panic in one
//! request never poisons the state for the others.

use std::sync::{Mutex, MutexGuard};

/// Lock a mutex, recovering the data if a holder panicked (the state it guards stays usable).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
