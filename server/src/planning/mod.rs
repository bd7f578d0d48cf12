//! Planning scenarios over the store, for the HTTP routes and the CLI: create a
//! scenario from the current units version, apply an op, undo, redo, publish
//! the draft as the next units version, roll the layer back to any version.
//!
//! The engine does the edits (`wangge_engine::planning`); this module loads a
//! scenario's draft and op log from the store, checks the revision the caller
//! based the write on (a stale one is [`PlanningError::Stale`] with the current
//! revision: HTTP 409), lets the caller's guard check the change (the HTTP
//! layer's jurisdiction check) and writes the result back. Undo replays the
//! log from the stored base version.

pub mod review;

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use wangge_engine::model::{Attributes, Level, Unit, UnitId};
use wangge_engine::model::{Layer, LayerKind};
use wangge_engine::planning::history::OpLog;
use wangge_engine::planning::{Change, Draft, Op, PlanError};
use wangge_engine::units::explicit;
use wangge_engine::units::integrity::IntegrityConfig;

use crate::store::scenarios::{Publication, ScenarioRow, Written};
use crate::store::{Store, StoreError};

/// Why a planning request failed.
#[derive(Debug, thiserror::Error)]
pub enum PlanningError {
    #[error("{0}")]
    NotFound(String),
    /// The write was based on an older revision.
    #[error("scenario {id} is at revision {current}, not {based_on}: reload it and apply the edit again")]
    Stale { id: String, based_on: i64, current: i64 },
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Bad(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, PlanningError>;

/// A check of an edit before it is kept: the draft before, the draft after and what changed.
pub type Guard<'a> = &'a dyn Fn(&Draft, &Draft, &Change) -> Result<()>;

/// No check (the CLI, local mode).
pub fn unguarded(_: &Draft, _: &Draft, _: &Change) -> Result<()> {
    Ok(())
}

/// A scenario with its draft and op log, after a write.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub row: ScenarioRow,
    pub draft: Draft,
    pub log: OpLog,
    pub change: Change,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> PlanningError {
    PlanningError::Store(StoreError::Corrupt(format!("{what}: {e}")))
}

/// A draft unit as stored: the geometry as WKB (hex), so coordinates come back bit for bit (JSON numbers may
/// not: serde_json reads some floats one ulp off).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredUnit {
    id: String,
    parent_id: Option<String>,
    level: String,
    name: String,
    attributes: Attributes,
    wkb: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredDraft {
    units: Vec<StoredUnit>,
    overrides: std::collections::BTreeMap<String, String>,
}

fn encode_draft(d: &Draft) -> Result<String> {
    let units = d
        .units
        .iter()
        .map(|u| StoredUnit {
            id: u.id.0.clone(),
            parent_id: u.parent.as_ref().map(|p| p.0.clone()),
            level: u.level.0.clone(),
            name: u.name.clone(),
            attributes: u.attributes.clone(),
            wkb: crate::wkb::encode(&geo::Geometry::MultiPolygon(u.geometry.clone())).iter().map(|b| format!("{b:02x}")).collect(),
        })
        .collect();
    let overrides = d.overrides.iter().map(|(b, u)| (b.clone(), u.0.clone())).collect();
    serde_json::to_string(&StoredDraft { units, overrides }).map_err(|e| corrupt("the draft", e))
}

fn decode_draft(id: &str, text: &str) -> Result<Draft> {
    let bad = |e: String| corrupt(&format!("the draft of scenario {id}"), e);
    let s: StoredDraft = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let mut units = Vec::with_capacity(s.units.len());
    for u in s.units {
        let bytes: Vec<u8> = (0..u.wkb.len() / 2).filter_map(|k| u8::from_str_radix(u.wkb.get(2 * k..2 * k + 2)?, 16).ok()).collect();
        let Some(geo::Geometry::MultiPolygon(geometry)) = crate::wkb::decode(&bytes) else {
            return Err(bad(format!("unit {}: the geometry is not a multipolygon", u.id)));
        };
        units.push(Unit {
            id: UnitId(u.id),
            parent: u.parent_id.map(UnitId),
            level: Level(u.level),
            name: u.name,
            geometry,
            attributes: u.attributes,
        });
    }
    Ok(Draft { units, overrides: s.overrides.into_iter().map(|(b, u)| (b, UnitId(u))).collect() })
}

/// A stored units layer as a draft: the `assigned_buildings` of each unit become the draft's reassignments
/// (a malformed one, or a building two units name, is left out: the validation and `wangge check` name it).
fn units_of(layer: Layer) -> Result<Draft> {
    let Layer::Units(mut units) = layer else {
        return Err(corrupt("the units layer", format!("read back as {}", layer.kind())));
    };
    let (named, _) = explicit::read(&units);
    let overrides = named.into_iter().map(|(b, i)| (b, units[i].id.clone())).collect();
    for u in units.iter_mut() {
        u.attributes.remove(explicit::FIELD);
    }
    Ok(Draft { units, overrides })
}

/// Units version `version` as a draft (the base of a scenario).
pub fn base_draft(store: &Store, version: i32) -> Result<Draft> {
    units_of(store.read_version(LayerKind::Units, version)?)
}

/// Create a scenario from the current units version, planning the subtree of `unit` (none: the whole district).
pub fn create(store: &Store, name: &str, author: &str, unit: Option<&str>, description: &str) -> Result<ScenarioRow> {
    let name = name.trim();
    if name.is_empty() {
        return Err(PlanningError::Bad("a scenario needs a name".into()));
    }
    let Some(&base) = store.current_versions()?.get(&LayerKind::Units) else {
        return Err(PlanningError::Bad("there is no units layer to plan on: import one first".into()));
    };
    let draft = units_of(store.read_version(LayerKind::Units, base)?)?;
    let now = now_ms();
    let id = format!("sc-{}", &crate::auth::secret::digest(&format!("{name}\0{author}\0{now}"))[..10]);
    let row = ScenarioRow {
        id,
        name: name.to_owned(),
        author: author.to_owned(),
        unit: unit.map(str::to_owned),
        description: description.to_owned(),
        base_version: base,
        revision: 0,
        ops: "[]".into(),
        cursor: 0,
        draft: encode_draft(&draft)?,
        created_at: now,
        updated_at: now,
        published_version: None,
    };
    if !store.scenario_create(&row)? {
        return Err(PlanningError::Conflict(format!("a scenario named {name} exists already")));
    }
    Ok(row)
}

/// A scenario, its draft and its op log.
pub fn load(store: &Store, id: &str) -> Result<(ScenarioRow, Draft, OpLog)> {
    let row = store.scenario(id)?.ok_or_else(|| PlanningError::NotFound(format!("no scenario {id}")))?;
    let draft = decode_draft(&row.id, &row.draft)?;
    let ops: Vec<Op> = serde_json::from_str(&row.ops).map_err(|e| corrupt(&format!("the ops of scenario {}", row.id), e))?;
    let cursor = usize::try_from(row.cursor).unwrap_or(0).min(ops.len());
    Ok((row, draft, OpLog { ops, cursor }))
}

fn check_revision(row: &ScenarioRow, based_on: i64) -> Result<()> {
    if row.revision == based_on { Ok(()) } else { Err(PlanningError::Stale { id: row.id.clone(), based_on, current: row.revision }) }
}

/// Write the draft and log back if the revision is still `based_on`.
fn save(store: &Store, row: ScenarioRow, based_on: i64, draft: Draft, log: OpLog, change: Change) -> Result<Outcome> {
    let ops = serde_json::to_string(&log.ops).map_err(|e| corrupt("the ops", e))?;
    let text = encode_draft(&draft)?;
    let now = now_ms();
    match store.scenario_update(&row.id, based_on, &ops, log.cursor as i64, &text, now)? {
        Written::Done(revision) => {
            let row = ScenarioRow { revision, ops, cursor: log.cursor as i64, draft: text, updated_at: now, ..row };
            Ok(Outcome { row, draft, log, change })
        }
        Written::Stale(current) => Err(PlanningError::Stale { id: row.id, based_on, current }),
        Written::Missing => Err(PlanningError::NotFound(format!("no scenario {}", row.id))),
    }
}

/// Apply `op` to scenario `id`, based on revision `based_on`.
pub fn apply_op(store: &Store, id: &str, based_on: i64, op: Op, guard: Guard<'_>) -> Result<Outcome> {
    let (row, draft, mut log) = load(store, id)?;
    check_revision(&row, based_on)?;
    let (next, change) = log.apply(&draft, op)?;
    guard(&draft, &next, &change)?;
    save(store, row, based_on, next, log, change)
}

/// Take back the last op of scenario `id`.
pub fn undo(store: &Store, id: &str, based_on: i64, guard: Guard<'_>) -> Result<Outcome> {
    let (row, draft, mut log) = load(store, id)?;
    check_revision(&row, based_on)?;
    let base = base_draft(store, row.base_version)?;
    let prev = log.undo(&base)?;
    let change = wangge_engine::planning::draft_change(&draft, &prev);
    guard(&draft, &prev, &change)?;
    save(store, row, based_on, prev, log, change)
}

/// Apply the undone op of scenario `id` again.
pub fn redo(store: &Store, id: &str, based_on: i64, guard: Guard<'_>) -> Result<Outcome> {
    let (row, draft, mut log) = load(store, id)?;
    check_revision(&row, based_on)?;
    let (next, change) = log.redo(&draft)?;
    guard(&draft, &next, &change)?;
    save(store, row, based_on, next, log, change)
}

/// The scenario's draft units as a layer: building reassignments are kept on the units they point to, as the
/// attribute `assigned_buildings` (a sorted list of building ids).
pub fn draft_layer(draft: &Draft) -> Layer {
    draft_units(draft, &|_| true)
}

/// [`draft_layer`]'s units for which `keep` holds.
fn draft_units(draft: &Draft, keep: &dyn Fn(&str) -> bool) -> Layer {
    let mut by_unit: HashMap<&str, Vec<Value>> = HashMap::new();
    for (b, to) in &draft.overrides {
        by_unit.entry(to.0.as_str()).or_default().push(Value::String(b.clone()));
    }
    let mut units: Vec<Unit> = draft.units.iter().filter(|u| keep(&u.id.0)).cloned().collect();
    for u in units.iter_mut() {
        match by_unit.remove(u.id.0.as_str()) {
            Some(mine) => u.attributes.insert(explicit::FIELD.into(), Value::Array(mine)),
            None => u.attributes.remove(explicit::FIELD),
        };
    }
    Layer::Units(units)
}

/// Publish scenario `id` as the next units version. Refused when the layer moved on since the scenario's base
/// (someone else published): the planner starts a new scenario from the current version.
pub fn publish(
    store: &mut Store,
    id: &str,
    based_on: Option<i64>,
    author: &str,
    message: &str,
    cfg: &IntegrityConfig,
) -> Result<(i32, Layer)> {
    let (row, draft, _) = load(store, id)?;
    if let Some(b) = based_on {
        check_revision(&row, b)?;
    }
    let current = store.current_versions()?.get(&LayerKind::Units).copied().unwrap_or(0);
    if current != row.base_version && Some(current) != row.published_version {
        return Err(PlanningError::Conflict(format!(
            "the units layer is at version {current}, but scenario {} started from version {}: start a new scenario from the current version",
            row.name, row.base_version
        )));
    }
    wangge_engine::units::hierarchy::Hierarchy::build(draft.units.clone()).map_err(|e| {
        PlanningError::Bad(format!("the draft is not a hierarchy: {}", e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")))
    })?;
    let problems = wangge_engine::planning::codes::check(&draft.units);
    if let Some(p) = problems.first() {
        return Err(PlanningError::Bad(format!("{} code problem(s), the first: {p}", problems.len())));
    }
    let layer = draft_layer(&draft);
    if let Layer::Units(units) = &layer {
        let problems = explicit::check_layer(units);
        if let Some((_, p)) = problems.first() {
            return Err(PlanningError::Bad(format!("{} building reassignment problem(s), the first: {p}", problems.len())));
        }
    }
    let p = Publication {
        author: author.to_owned(),
        message: message.to_owned(),
        scenario: Some(row.id.clone()),
        rollback_of: None,
        at_ms: now_ms(),
    };
    let v = store.publish_units(&layer, &format!("scenario {}", row.name), &p, |s| crate::state::report_for_store(s, cfg))?;
    Ok((v, layer))
}

/// Write units version `to` again as the next version.
pub fn rollback(store: &mut Store, to: i32, author: &str, message: &str, cfg: &IntegrityConfig) -> Result<(i32, Layer)> {
    let known = store.unit_versions()?;
    if !known.iter().any(|v| v.version == to) {
        let list: Vec<String> = known.iter().map(|v| v.version.to_string()).collect();
        return Err(PlanningError::NotFound(format!("no units version {to} (there are: {})", list.join(", "))));
    }
    let layer = store.read_version(LayerKind::Units, to)?;
    let p = Publication { author: author.to_owned(), message: message.to_owned(), scenario: None, rollback_of: Some(to), at_ms: now_ms() };
    let v = store.publish_units(&layer, &format!("rollback to version {to}"), &p, |s| crate::state::report_for_store(s, cfg))?;
    Ok((v, layer))
}

/// The scenario's figures without the draft.
pub fn meta(row: &ScenarioRow, log: &OpLog) -> Value {
    json!({
        "id": row.id, "name": row.name, "author": row.author, "unit": row.unit, "description": row.description,
        "base_version": row.base_version, "revision": row.revision, "cursor": log.cursor, "op_count": log.ops.len(),
        "can_undo": log.can_undo(), "can_redo": log.can_redo(), "published_version": row.published_version,
        "created_at_ms": row.created_at, "updated_at_ms": row.updated_at,
    })
}

/// The scenario: figures, the op log and the draft units as GeoJSON (those `keep` accepts and, when given, in
/// `only`: the page fetches what an op named); the reassignments of the units `keep` accepts.
pub fn view(row: &ScenarioRow, draft: &Draft, log: &OpLog, keep: &dyn Fn(&str) -> bool, only: Option<&HashSet<&str>>) -> Value {
    let Layer::Units(units) = draft_units(draft, &|u| keep(u) && only.is_none_or(|w| w.contains(u))) else { return Value::Null };
    let features: Vec<Value> = units.iter().map(|u| crate::geojson_out::unit_feature(u, vec![])).collect();
    let mut v = meta(row, log);
    v["ops"] = serde_json::to_value(&log.ops).unwrap_or(Value::Null);
    v["draft"] = json!({"type": "FeatureCollection", "features": features});
    v["overrides"] = json!(
        draft
            .overrides
            .iter()
            .filter(|(_, u)| keep(&u.0))
            .map(|(b, u)| (b.clone(), u.0.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    );
    v
}
