//! `wangge scenario apply|publish` and `wangge rollback`: planning scenarios from the command line.
//!
//! `scenario apply` takes a whole units layer edited elsewhere (QGIS) as the
//! scenario's next revision (creating the scenario from the current units
//! version if it does not exist) and prints what changed; `scenario publish`
//! writes the draft as the next units version; `rollback` writes an older
//! version again as the next one.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use wangge_engine::model::{Layer, LayerKind};
use wangge_engine::planning::{Op, UnitRecord};
use wangge_engine::units::integrity::IntegrityConfig;

use super::{CliError, DbArg, LayerArg};
use crate::import::{ImportFailure, ImportOptions, read_path};
use crate::planning::{self as plan, unguarded};
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum ScenarioCommand {
    /// Take an edited units layer (GeoJSON) as the scenario's next revision; print what changed.
    Apply(ApplyArgs),
    /// Publish the scenario's draft as the next units version.
    Publish(PublishArgs),
}

/// Flags of `wangge scenario apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The scenario (created from the current units version when missing).
    #[arg(long, env = "WANGGE_SCENARIO")]
    pub name: String,
    /// Who edits (recorded as the scenario's author when it is created).
    #[arg(long, env = "WANGGE_AUTHOR", default_value = "cli")]
    pub author: String,
    /// Print JSON for machines.
    #[arg(long, env = "WANGGE_JSON")]
    pub json: bool,
    /// The whole edited units layer.
    pub units: PathBuf,
}

/// Flags of `wangge scenario publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[arg(long, env = "WANGGE_SCENARIO")]
    pub name: String,
    /// Why (kept with the version).
    #[arg(long, env = "WANGGE_MESSAGE", default_value = "")]
    pub message: String,
    #[arg(long, env = "WANGGE_AUTHOR", default_value = "cli")]
    pub author: String,
}

/// Flags of `wangge rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The layer (only units are versioned by planning).
    #[arg(long, env = "WANGGE_LAYER", value_enum)]
    pub layer: LayerArg,
    /// The version to go back to.
    #[arg(long, env = "WANGGE_TO")]
    pub to: i32,
    #[arg(long, env = "WANGGE_MESSAGE")]
    pub message: Option<String>,
    #[arg(long, env = "WANGGE_AUTHOR", default_value = "cli")]
    pub author: String,
}

/// Run `wangge scenario …`.
pub fn run(what: ScenarioCommand) -> Result<(), CliError> {
    match what {
        ScenarioCommand::Apply(a) => apply(a),
        ScenarioCommand::Publish(a) => publish(a),
    }
}

fn apply(a: ApplyArgs) -> Result<(), CliError> {
    let layer = read_path(&a.units, &ImportOptions::new(LayerKind::Units)).map_err(|e| match e {
        ImportFailure::File { .. } => CliError::ImportFile(e),
        ImportFailure::Features { .. } => CliError::ImportFeatures { kind: LayerKind::Units, source: e },
    })?;
    let Layer::Units(units) = layer else { return Err(CliError::AdminNotUnits) };
    let store = Store::open(&a.db.db)?;
    let row = match store.scenario(&a.name)? {
        Some(r) => r,
        None => plan::create(&store, &a.name, &a.author, None, "")?,
    };
    let op = Op::ReplaceLayer { units: units.iter().map(UnitRecord::of).collect() };
    let o = plan::apply_op(&store, &row.id, row.revision, op, &unguarded)?;
    // the validation of the draft and what moves against the base version (the store's other layers)
    let d = crate::state::load(&store, IntegrityConfig::default())?;
    let cache = plan::review::ReviewCache::default();
    let validation = cache.validate(&store, &d, &o.row, &o.draft);
    let moves = cache.diff(&store, &d, &o.row, &o.draft);
    if a.json {
        let out = json!({
            "scenario": plan::meta(&o.row, &o.log),
            "changed": o.change.changed, "created": o.change.created, "removed": o.change.removed,
            "validation": validation.as_ref().map_or(serde_json::Value::Null, plan::review::report_json),
            "diff": moves.as_ref().ok().and_then(|m| serde_json::to_value(m).ok()),
            "problems": [validation.as_ref().err().map(ToString::to_string), moves.as_ref().err().map(ToString::to_string)],
        });
        println!("{out}");
        return Ok(());
    }
    {
        println!(
            "scenario {} ({}) revision {} from units version {}: {} unit(s) changed, {} created, {} removed",
            o.row.name,
            o.row.id,
            o.row.revision,
            o.row.base_version,
            o.change.changed.len(),
            o.change.created.len(),
            o.change.removed.len()
        );
        for (what, ids) in [("changed", &o.change.changed), ("created", &o.change.created), ("removed", &o.change.removed)] {
            if !ids.is_empty() {
                println!("  {what}: {}", ids.join(", "));
            }
        }
    }
    match &validation {
        Ok(r) => {
            let s = &r.summary;
            println!("validation: {} error(s), {} warning(s), {} note(s) over {} units", s.errors, s.warnings, s.infos, s.units);
            for f in r.findings.iter().take(20) {
                println!("  {:?} {:?}: {}", f.severity, f.kind, f.message);
            }
            if r.findings.len() > 20 {
                println!("  … and {} more", r.findings.len() - 20);
            }
        }
        Err(e) => println!("validation: not possible: {e}"),
    }
    match &moves {
        Ok(m) => {
            println!(
                "what moves: {} unit(s) added, {} removed, {} reshaped; {} building(s), {} household(s), {} people move",
                m.units_added.len(),
                m.units_removed.len(),
                m.units_reshaped.len(),
                m.totals.buildings,
                m.totals.households,
                m.totals.population
            );
            for f in m.flows.iter().take(20) {
                let name = |u: &Option<wangge_engine::model::UnitId>| u.as_ref().map_or("(no unit)".to_owned(), |u| u.0.clone());
                println!(
                    "  {} → {}: {} building(s), {} household(s), {} people",
                    name(&f.from),
                    name(&f.to),
                    f.buildings,
                    f.households,
                    f.population
                );
            }
        }
        Err(e) => println!("what moves: not possible: {e}"),
    }
    Ok(())
}

fn publish(a: PublishArgs) -> Result<(), CliError> {
    let mut store = Store::open(&a.db.db)?;
    let row = store.scenario(&a.name)?.ok_or_else(|| plan::PlanningError::NotFound(format!("no scenario {}", a.name)))?;
    let (v, layer) = plan::publish(&mut store, &row.id, None, &a.author, &a.message, &IntegrityConfig::default())?;
    println!("published scenario {} as units version {v} ({} units)", row.name, layer.len());
    Ok(())
}

/// Run `wangge rollback`.
pub fn rollback(a: RollbackArgs) -> Result<(), CliError> {
    let kind = LayerKind::from(a.layer);
    if kind != LayerKind::Units {
        return Err(CliError::Planning(plan::PlanningError::Bad(format!(
            "--layer {kind}: only the units layer is published and rolled back"
        ))));
    }
    let mut store = Store::open(&a.db.db)?;
    let message = a.message.unwrap_or_else(|| format!("rollback to version {}", a.to));
    let (v, layer) = plan::rollback(&mut store, a.to, &a.author, &message, &IntegrityConfig::default())?;
    println!("units version {} written again as version {v} ({} units)", a.to, layer.len());
    Ok(())
}
