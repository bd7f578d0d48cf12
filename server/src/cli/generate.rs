//! `wangge gen demo` and `gen city`: deterministic generated data (labelled generated) for the demo and the benchmarks.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::Value;
use wangge_engine::model::{LayerKind, Unit};
use wangge_engine::synth;
use wangge_engine::units::hierarchy::Hierarchy;

use super::CliError;
use super::output::write_json;
use crate::geojson_out::layer_collection;
use crate::import::{ImportOptions, Layer, read_path};
use wangge_engine::time::{format_time, parse_time};

/// What `wangge gen` generates.
#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// Nested units, buildings, cameras, facilities, incidents and walking streets inside real streets.
    Demo(DemoArgs),
    /// A synthetic city on a lattice for benchmarks.
    City(CityArgs),
}

/// Flags of `wangge gen demo`.
#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Real district and street boundaries (GeoJSON units with id/parent_id/level/name).
    #[arg(long, env = "WANGGE_ADMIN")]
    pub admin: PathBuf,
    /// Output directory.
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
    #[arg(long, env = "WANGGE_SEED", default_value_t = 2026)]
    pub seed: u64,
    /// Communities per street, grids per community, building grids per grid.
    #[arg(long, env = "WANGGE_SPLIT", default_value = "4,4,2")]
    pub split: String,
    #[arg(long, env = "WANGGE_BUILDINGS_PER_LEAF", default_value_t = 2)]
    pub buildings_per_leaf: usize,
    #[arg(long, env = "WANGGE_INCIDENTS", default_value_t = 20_000)]
    pub incidents: usize,
}

/// Flags of `wangge gen city`.
#[derive(Debug, Args, Clone)]
pub struct CityArgs {
    /// Output directory.
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
    #[arg(long, env = "WANGGE_GRIDS", default_value_t = 50_000)]
    pub grids: usize,
    #[arg(long, env = "WANGGE_BUILDINGS", default_value_t = 1_000_000)]
    pub buildings: usize,
    /// Vertices per grid: 6 or about 90.
    #[arg(long, env = "WANGGE_VERTICES", default_value_t = 6)]
    pub vertices: usize,
    #[arg(long, env = "WANGGE_SEED", default_value_t = 1)]
    pub seed: u64,
}

/// Run `wangge gen …`.
pub fn run(what: GenCommand) -> Result<(), CliError> {
    match what {
        GenCommand::Demo(a) => demo(&a),
        GenCommand::City(a) => city(&a),
    }
}

/// `--split 4,4,2`: communities per street, grids per community, building grids per grid.
fn parse_split(split: &str) -> Result<[usize; 3], CliError> {
    let bad = || CliError::Split(split.to_owned());
    let parts: Vec<usize> = split.split(',').map(|s| s.trim().parse::<usize>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    <[usize; 3]>::try_from(parts).map_err(|_| bad())
}

fn demo(a: &DemoArgs) -> Result<(), CliError> {
    let Layer::Units(real) = read_path(&a.admin, &ImportOptions::new(LayerKind::Units)).map_err(CliError::ImportFile)? else {
        return Err(CliError::AdminNotUnits);
    };
    write_demo(a, real)
}

fn write_demo(a: &DemoArgs, real: Vec<Unit>) -> Result<(), CliError> {
    let (out, seed) = (a.out.as_path(), a.seed);
    let [c, g, b] = parse_split(&a.split)?;
    let h = Hierarchy::build(real).map_err(|e| CliError::AdminHierarchy(format!("{e:?}")))?;
    let leaves: Vec<Unit> = h.leaves().into_iter().map(|i| h.units[i].clone()).collect();
    let generated = synth::nest_levels(&leaves, &synth::naming::demo_levels(c, g, b), seed);
    let of_level = |l: &str| -> Vec<Unit> { generated.iter().filter(|u| u.level.0 == l).cloned().collect() };
    let (communities, grids, bgrids) = (of_level("community"), of_level("grid"), of_level("building_grid"));
    let buildings =
        synth::generate_buildings(&bgrids, &synth::BuildingSpec { per_leaf: a.buildings_per_leaf, straddle_share: 0.04, seed: seed ^ 0xB });
    let cameras = synth::generate_cameras(&buildings, 0.5, seed ^ 0xC);
    let facilities = synth::generate_facilities(&communities, &grids, seed ^ 0xF);
    let from = parse_time("2026-01-01", 8 * 3600).unwrap_or(0);
    let to = parse_time("2026-11-01", 8 * 3600).unwrap_or(0);
    let roads = synth::generate_roads(&[&leaves, &communities, &grids, &bgrids], &buildings);
    let incidents = synth::generate_incidents(&buildings, &bgrids, &synth::IncidentSpec { count: a.incidents, from, to, seed: seed ^ 0x1 });
    std::fs::create_dir_all(out).map_err(CliError::io(out))?;
    let counts = (buildings.len(), cameras.len(), facilities.len(), roads.len());
    write_json(&out.join("units.geojson"), &layer_collection(&Layer::Units(generated)))?;
    write_json(&out.join("buildings.geojson"), &layer_collection(&Layer::Buildings(buildings)))?;
    write_json(&out.join("cameras.geojson"), &layer_collection(&Layer::Cameras(cameras)))?;
    write_json(&out.join("facilities.geojson"), &layer_collection(&Layer::Facilities(facilities)))?;
    write_json(&out.join("roads.geojson"), &layer_collection(&Layer::Roads(roads)))?;
    write_incidents(&out.join("incidents.csv"), &incidents)?;
    println!(
        "generated (seed {seed}) into {}: {} communities, {} grids, {} building grids, {} buildings, {} cameras, {} facilities, {} incidents, {} roads (streets and lanes)",
        out.display(),
        communities.len(),
        grids.len(),
        bgrids.len(),
        counts.0,
        counts.1,
        counts.2,
        incidents.len(),
        counts.3
    );
    Ok(())
}

fn write_incidents(path: &Path, incidents: &[wangge_engine::model::Incident]) -> Result<(), CliError> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["id", "occurred_at", "category", "status", "resolved_level", "lon", "lat", "generated"])?;
    for i in incidents {
        let rl = i.attributes.get("resolved_level").and_then(Value::as_str).unwrap_or("");
        w.write_record([
            i.id.as_str(),
            &format_time(i.occurred_at),
            &i.category,
            &i.status,
            rl,
            &format!("{:.7}", i.position.x()),
            &format!("{:.7}", i.position.y()),
            "true",
        ])?;
    }
    w.flush().map_err(CliError::io(path))
}

fn city(a: &CityArgs) -> Result<(), CliError> {
    let (out, seed) = (a.out.as_path(), a.seed);
    let cols = ((a.grids as f64 * 1.25).sqrt().ceil() as usize).max(1);
    let rows = a.grids.div_ceil(cols).max(1);
    let densify = if a.vertices >= 12 { (a.vertices - 6) / 6 } else { 0 };
    let units = synth::lattice_units(&synth::LatticeSpec { cols, rows, cell_m: 300.0, densify, seed, origin: (120.2, 36.0) });
    let per_leaf = a.buildings.div_ceil(units.len().max(1));
    let b = synth::generate_buildings(&units, &synth::BuildingSpec { per_leaf, straddle_share: 0.02, seed });
    std::fs::create_dir_all(out).map_err(CliError::io(out))?;
    let (n_units, n_buildings) = (units.len(), b.len());
    write_json(&out.join("grids.geojson"), &layer_collection(&Layer::Units(units)))?;
    write_json(&out.join("buildings.geojson"), &layer_collection(&Layer::Buildings(b)))?;
    println!("generated {n_units} grids ({} vertices each), {n_buildings} buildings into {} (seed {seed})", 6 + 6 * densify, out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_three_numbers() {
        assert_eq!(parse_split("4, 4,2").ok(), Some([4, 4, 2]));
        for bad in ["4,4", "4,4,2,1", "a,b,c", ""] {
            assert!(matches!(parse_split(bad), Err(CliError::Split(_))), "{bad}");
        }
    }
}
