//! `wangge adjacency`, `alliances` and `abpairs`: the neighbour graph of a level and what is built on it.

use std::path::PathBuf;

use clap::Args;
use wangge_engine::groups::abpost::AbOptions;
use wangge_engine::groups::alliance::AllianceSpec;
use wangge_engine::model::LayerKind;
use wangge_engine::units::integrity::IntegrityConfig;

use super::output::{OutFormat, json_to, write_out};
use super::{CliError, DbArg, GraphArgs, PairWeightArg};
use crate::graphs::{WeightBy, level_graph, read_groups};
use crate::store::Store;
use wangge_engine::dataset::Dataset;

/// Flags of `wangge adjacency`.
#[derive(Debug, Args, Clone)]
pub struct AdjacencyArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Output file: .csv, .geojson (links) or .json.
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
}

/// Flags of `wangge alliances`.
#[derive(Debug, Args, Clone)]
pub struct AlliancesArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Number of groups (else it follows from the size range).
    #[arg(long, env = "WANGGE_COUNT")]
    pub count: Option<usize>,
    /// Units per group, at least.
    #[arg(long, env = "WANGGE_MIN_SIZE", default_value_t = 2)]
    pub min_size: usize,
    /// Units per group, at most.
    #[arg(long, env = "WANGGE_MAX_SIZE", default_value_t = 4)]
    pub max_size: usize,
    /// What the groups balance.
    #[arg(long, env = "WANGGE_ALLIANCE_WEIGHT", value_enum, default_value = "population")]
    pub weight: WeightBy,
    /// Every group must hold units of at least two parents (cross-street alliances).
    #[arg(long, env = "WANGGE_STRADDLE")]
    pub straddle: bool,
    #[arg(long, env = "WANGGE_SEED", default_value_t = 0)]
    pub seed: u64,
    /// Validate these alliances instead (CSV with columns group,unit, or JSON [[ids]]).
    #[arg(long, env = "WANGGE_VALIDATE")]
    pub validate: Option<PathBuf>,
    /// Output file: .csv (group,unit), .geojson (units with their group) or .json (figures).
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
}

/// Flags of `wangge abpairs`.
#[derive(Debug, Args, Clone)]
pub struct AbpairsArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(flatten)]
    pub graph: GraphArgs,
    /// Allow pairs across parent borders.
    #[arg(long, env = "WANGGE_ACROSS_PARENTS")]
    pub across_parents: bool,
    /// What a pair is weighed by.
    #[arg(long, env = "WANGGE_PAIR_WEIGHT", value_enum, default_value = "shared")]
    pub weight: PairWeightArg,
    /// Output file: .csv, .geojson (pair links) or .json.
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
}

/// Units and buildings (for populations) from the store.
pub fn load_units(db: &DbArg) -> Result<Dataset, CliError> {
    let store = Store::open(&db.db)?;
    let d = crate::state::load_layers(&store, &[LayerKind::Units, LayerKind::Buildings], IntegrityConfig::default())?;
    if d.hierarchy.is_empty() {
        return Err(CliError::NoUnits(db.db.clone()));
    }
    Ok(d)
}

/// Run `wangge adjacency`.
pub fn adjacency(a: AdjacencyArgs) -> Result<(), CliError> {
    let d = load_units(&a.db)?;
    let g = level_graph(&d, &a.graph.level, a.graph.opts())?;
    let r = g.adjacency_json();
    write_out(&a.out, |f, w| match f {
        OutFormat::Csv => g.adjacency_csv(w),
        OutFormat::Geojson => json_to(w, &g.adjacency_geojson()),
        OutFormat::Json => json_to(w, &r),
    })?;
    let c = &r.counts;
    println!(
        "{} units of level {}: {} neighbour pairs ({} rook, {} queen; {} same parent, {} cross parent), {} isolated → {}",
        r.units,
        a.graph.level,
        c.pairs,
        c.rook,
        c.queen,
        c.same_parent,
        c.cross_parent,
        c.isolated,
        a.out.display()
    );
    Ok(())
}

/// Run `wangge alliances`.
pub fn alliances(a: AlliancesArgs) -> Result<(), CliError> {
    let d = load_units(&a.db)?;
    let g = level_graph(&d, &a.graph.level, a.graph.opts())?;
    let r = match &a.validate {
        Some(path) => g.validate(a.weight, &read_groups(path)?)?,
        None => {
            let (min_size, max_size) = if a.count.is_some() { (1, usize::MAX) } else { (a.min_size, a.max_size) };
            g.propose(a.weight, &AllianceSpec { groups: a.count, min_size, max_size, straddle: a.straddle, seed: a.seed })?
        }
    };
    write_out(&a.out, |f, w| match f {
        OutFormat::Csv => {
            let mut c = csv::Writer::from_writer(w);
            c.write_record(["group", "unit", "name"])?;
            for gr in &r.groups {
                for (m, n) in gr.members.iter().zip(&gr.names) {
                    c.write_record([gr.group.to_string().as_str(), m, n])?;
                }
            }
            c.flush()
        }
        OutFormat::Geojson => json_to(w, &g.alliances_geojson(&r)),
        OutFormat::Json => json_to(w, &r),
    })?;
    println!(
        "{} groups of level {} by {}: max deviation {:.1} %, Polsby-Popper mean {} (min {}) → {}",
        r.groups.len(),
        a.graph.level,
        a.weight.as_str(),
        r.max_deviation * 100.0,
        serde_json::Value::from(r.mean_polsby_popper),
        serde_json::Value::from(r.min_polsby_popper),
        a.out.display()
    );
    for p in &r.problems {
        println!("  problem: {p}");
    }
    Ok(())
}

/// Run `wangge abpairs`.
pub fn abpairs(a: AbpairsArgs) -> Result<(), CliError> {
    let d = load_units(&a.db)?;
    let g = level_graph(&d, &a.graph.level, a.graph.opts())?;
    let opts = AbOptions { within_parent: !a.across_parents, weight: a.weight.into() };
    let r = g.ab_pairs(&opts);
    write_out(&a.out, |f, w| match f {
        OutFormat::Csv => g.ab_csv(&r, w),
        OutFormat::Geojson => json_to(w, &g.ab_geojson(&r)),
        OutFormat::Json => json_to(w, &g.ab_json(&r, &opts)),
    })?;
    println!(
        "{} pairs of {} units of level {} ({:.0} m shared in all), {} without a partner → {}",
        r.pairs.len(),
        g.units.len(),
        a.graph.level,
        r.total_shared_m,
        r.unmatched.len(),
        a.out.display()
    );
    Ok(())
}
