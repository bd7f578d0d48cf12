//! Validation and "what moves" of scenarios, with the engine's `review`
//! module, kept warm per scenario.
//!
//! The base layer of a units version is validated once per (version, data
//! version) and kept; a scenario's validator starts as a copy of its base's
//! and is brought to each new revision with `Validator::revalidate`, which
//! rechecks only the units that changed (equal to a full run: the engine's
//! test). The diff compares the base validator with the scenario's. The
//! cache holds the validators of the scenarios seen last (a few).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use wangge_engine::dataset::Dataset;
use wangge_engine::planning::Draft;
use wangge_engine::review::{DiffInputs, LayerDiff, ReviewConfig, ReviewError, ValidationReport, Validator, diff};

use super::{PlanningError, base_draft};
use crate::store::Store;
use crate::store::scenarios::ScenarioRow;

/// Scenarios whose validators are kept.
const KEEP: usize = 8;

/// Validators of base versions and of scenarios.
#[derive(Debug, Default)]
pub struct ReviewCache {
    /// (units version, data version) → the base layer's validator.
    bases: Mutex<HashMap<(i32, String), Arc<Validator>>>,
    /// scenario id → (revision, data version, its validator).
    scenarios: Mutex<HashMap<String, (i64, String, Validator)>>,
}

fn review_err(e: ReviewError) -> PlanningError {
    PlanningError::Bad(e.to_string())
}

fn config(d: &Dataset) -> ReviewConfig {
    ReviewConfig { integrity: d.config.clone(), ..ReviewConfig::default() }
}

impl ReviewCache {
    /// The validator of units version `version` over `d`'s buildings.
    pub fn base(&self, store: &Store, d: &Dataset, version: i32) -> Result<Arc<Validator>, PlanningError> {
        let key = (version, d.data_version());
        if let Some(v) = crate::sync::lock(&self.bases).get(&key) {
            return Ok(v.clone());
        }
        let draft = base_draft(store, version)?;
        let v = Arc::new(Validator::new(draft.units, &d.buildings, &draft.overrides, config(d)).map_err(review_err)?);
        let mut bases = crate::sync::lock(&self.bases);
        bases.retain(|(_, dv), _| *dv == key.1);
        bases.insert(key, v.clone());
        Ok(v)
    }

    /// The validation of a scenario at its revision (incremental from the last one seen, or from its base).
    pub fn validate(&self, store: &Store, d: &Dataset, row: &ScenarioRow, draft: &Draft) -> Result<ValidationReport, PlanningError> {
        self.with_validator(store, d, row, draft, |v| Ok(v.report().clone()))
    }

    /// What moves between the scenario's base and its draft.
    pub fn diff(&self, store: &Store, d: &Dataset, row: &ScenarioRow, draft: &Draft) -> Result<LayerDiff, PlanningError> {
        let base = self.base(store, d, row.base_version)?;
        let inputs = DiffInputs { buildings: &d.buildings, incidents: &d.incidents, coverage: Some(d.coverage()) };
        self.with_validator(store, d, row, draft, |v| diff(&base, v, &inputs).map_err(review_err))
    }

    fn with_validator<T>(
        &self,
        store: &Store,
        d: &Dataset,
        row: &ScenarioRow,
        draft: &Draft,
        f: impl FnOnce(&Validator) -> Result<T, PlanningError>,
    ) -> Result<T, PlanningError> {
        let dv = d.data_version();
        let kept = crate::sync::lock(&self.scenarios).remove(&row.id);
        let mut v = match kept {
            Some((rev, kv, v)) if kv == dv => {
                if rev == row.revision {
                    let out = f(&v);
                    self.keep(row, dv, v);
                    return out;
                }
                v
            }
            _ => (*self.base(store, d, row.base_version)?).clone(),
        };
        v.revalidate(draft.units.clone(), None, &d.buildings, &draft.overrides).map_err(review_err)?;
        let out = f(&v);
        self.keep(row, dv, v);
        out
    }

    fn keep(&self, row: &ScenarioRow, dv: String, v: Validator) {
        let mut s = crate::sync::lock(&self.scenarios);
        if s.len() >= KEEP
            && let Some(k) = s.keys().next().cloned()
        {
            s.remove(&k);
        }
        s.insert(row.id.clone(), (row.revision, dv, v));
    }
}

/// The validation as JSON (the engine's report).
pub fn report_json(r: &ValidationReport) -> Value {
    serde_json::to_value(r).unwrap_or(Value::Null)
}
