//! Loading the in-memory dataset (`wangge_engine::dataset::Dataset`) from the
//! store: the current version of every layer, or of a few.

use wangge_engine::dataset::Dataset;
use wangge_engine::model::LayerKind;
use wangge_engine::units::integrity::IntegrityConfig;

use crate::store::{Store, StoreError};

/// Load the current version of every layer from the store.
pub fn load(store: &Store, config: IntegrityConfig) -> Result<Dataset, StoreError> {
    load_layers(store, &LayerKind::ALL, config)
}

/// Load only the given layers (the others stay empty; `versions` lists all).
pub fn load_layers(store: &Store, kinds: &[LayerKind], config: IntegrityConfig) -> Result<Dataset, StoreError> {
    let versions = store.current_versions()?;
    let mut d = Dataset::empty(config);
    d.versions = versions;
    for &kind in kinds {
        if d.versions.contains_key(&kind) {
            let layer = store.read_layer(kind)?;
            d.set(layer).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        }
    }
    d.rebuild();
    Ok(d)
}

/// Compute the integrity report JSON for the store's current state (used
/// inside the import transaction).
pub fn report_for_store(store: &Store, config: &IntegrityConfig) -> Result<Option<(i32, i32, String)>, StoreError> {
    let d = load_layers(store, &[LayerKind::Units, LayerKind::Buildings], config.clone())?;
    let uv = d.versions.get(&LayerKind::Units).copied().unwrap_or(0);
    let bv = d.versions.get(&LayerKind::Buildings).copied().unwrap_or(0);
    let json = serde_json::to_string(&d.report).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some((uv, bv, json)))
}
