//! The `wangge` command line: one module per subcommand (import, export, check, versions, serve,
//! adjacency/alliances/abpairs, coverage, service, gen, backup, restore, scenario, rollback); this file only parses and dispatches.

mod args;
mod backup;
mod check;
mod coverage;
mod error;
mod export;
mod generate;
mod graphs;
mod import;
mod output;
mod people;
mod restore;
mod scenario;
mod serve;
mod service;
mod versions;

use clap::{Parser, Subcommand};

pub use args::{CheckArgs, CrsArg, DbArg, ExportFormat, GraphArgs, LayerArg, PairWeightArg};
pub use backup::BackupError;
pub use error::CliError;
pub use generate::GenCommand;
pub use people::PeopleCliError;

pub use crate::geojson_out::layer_collection;

#[derive(Debug, Parser)]
#[command(name = "wangge", version, about = "网格 — spatial analytics for grid-based community governance")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a layer from GeoJSON, a Shapefile, a GeoPackage, GeoParquet (or CSV for point layers) as a new version, all or nothing.
    Import(import::ImportArgs),
    /// Export the current version of a layer.
    Export(export::ExportArgs),
    /// Check the hierarchy: children outside parents, overlaps, gaps and slivers, buildings, loads.
    Check(check::CheckCmd),
    /// List stored layer versions.
    Versions(DbArg),
    /// Serve the API, the tiles and the map.
    Serve(serve::ServeArgs),
    /// The neighbour graph of a level: shared lengths, rook/queen, same or cross parent.
    Adjacency(graphs::AdjacencyArgs),
    /// Propose alliances (contiguous balanced groups), or validate given ones with --validate.
    Alliances(graphs::AlliancesArgs),
    /// AB-post pairs: a maximum-weight matching of neighbouring units.
    Abpairs(graphs::AbpairsArgs),
    /// Camera coverage per unit: open ground and facades seen, unseen buildings, camera density; gaps.
    Coverage(coverage::CoverageArgs),
    /// Walking distance from every building to the nearest facility of a kind; coverage per unit (life circles).
    Service(service::ServiceArgs),
    /// A consistent copy of a store: from the file (--db) or through a serving wangge (--server).
    Backup(backup::BackupArgs),
    /// Put a backup in place of a store (server stopped), all or nothing; the old file is kept.
    Restore(restore::RestoreArgs),
    /// Planning scenarios: take an edited units layer as a scenario's next revision, publish a scenario.
    Scenario {
        #[command(subcommand)]
        what: scenario::ScenarioCommand,
    },
    /// Write an older version of a layer again as its next version.
    Rollback(scenario::RollbackArgs),
    /// Generate deterministic data (labelled generated) for the demo or benchmarks.
    Gen {
        #[command(subcommand)]
        what: GenCommand,
    },
    /// People: add, list, disable users (role and jurisdiction).
    Users {
        #[command(subcommand)]
        what: people::UsersCommand,
    },
    /// API tokens for machines and scripts: create (shown once), revoke, list.
    Token {
        #[command(subcommand)]
        what: people::TokenCommand,
    },
}

/// Run the CLI; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match execute(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn execute(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Import(a) => import::run(a),
        Command::Export(a) => export::run(a),
        Command::Check(a) => check::run(a),
        Command::Versions(db) => versions::run(db),
        Command::Serve(a) => Ok(serve::run(a)?),
        Command::Adjacency(a) => graphs::adjacency(a),
        Command::Alliances(a) => graphs::alliances(a),
        Command::Abpairs(a) => graphs::abpairs(a),
        Command::Coverage(a) => coverage::run(a),
        Command::Service(a) => service::run(a),
        Command::Gen { what } => generate::run(what),
        Command::Scenario { what } => scenario::run(what),
        Command::Rollback(a) => scenario::rollback(a),
        Command::Users { what } => people::users(what),
        Command::Token { what } => people::token(what),
        Command::Backup(a) => backup::run(a),
        Command::Restore(a) => restore::run(a),
    }
}
