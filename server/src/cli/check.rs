//! `wangge check`: the integrity report of the stored hierarchy, as text or JSON.

use std::io::Write;

use clap::Args;
use wangge_engine::units::integrity::GapKind;

use super::{CheckArgs, CliError, DbArg};
use crate::geojson_out;
use crate::store::Store;
use wangge_engine::dataset::Dataset;

/// Flags of `wangge check`.
#[derive(Debug, Args, Clone)]
pub struct CheckCmd {
    #[command(flatten)]
    pub db: DbArg,
    /// Print the full report as JSON.
    #[arg(long, env = "WANGGE_JSON")]
    pub json: bool,
    #[command(flatten)]
    pub check: CheckArgs,
}

/// Run `wangge check`.
pub fn run(a: CheckCmd) -> Result<(), CliError> {
    let store = Store::open(&a.db.db)?;
    let d = crate::state::load(&store, a.check.config()?)?;
    let mut out = std::io::stdout().lock();
    let stdout = |e| CliError::Io { path: "stdout".into(), source: e };
    if a.json {
        let mut v = serde_json::to_value(&d.report)?;
        v["problems"] = geojson_out::collection(geojson_out::problem_features(&d));
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?).map_err(stdout)?;
    } else {
        print_report(&mut out, &d).map_err(stdout)?;
    }
    Ok(())
}

fn print_report(out: &mut impl Write, d: &Dataset) -> std::io::Result<()> {
    let r = &d.report;
    let s = &r.summary;
    writeln!(
        out,
        "integrity of {} units ({} levels: {})",
        s.units,
        d.hierarchy.levels.len(),
        d.hierarchy.levels.iter().map(|l| l.0.as_str()).collect::<Vec<_>>().join(" > ")
    )?;
    writeln!(out, "  children outside their parent: {} ({:.1} m²)", s.outside_parent, s.outside_parent_m2)?;
    writeln!(out, "  overlapping siblings:          {} pairs ({:.1} m²)", s.overlaps, s.overlap_m2)?;
    writeln!(out, "  gaps inside parents:           {} ({:.1} m²)", s.gaps, s.gap_m2)?;
    writeln!(out, "  slivers (< {} m wide):         {} ({:.1} m²)", r.sliver_width_m, s.slivers, s.sliver_m2)?;
    writeln!(out, "  buildings: {} — in no leaf {}, cut by a boundary {}", s.buildings, s.buildings_unassigned, s.buildings_cut)?;
    writeln!(out, "  units over their norm {}, under {}", s.units_over_norm, s.units_under_norm)?;
    writeln!(
        out,
        "  buildings assigned explicitly (assigned_buildings): {}, stale assignments {}",
        s.buildings_assigned, s.assignments_stale
    )?;
    let mut gaps: Vec<_> = r.gaps.iter().filter(|g| g.kind == GapKind::Gap).collect();
    gaps.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    for g in gaps.iter().take(10) {
        writeln!(out, "  gap in {}: {:.1} m², mean width {:.1} m", g.parent, g.area_m2, g.width_m)?;
    }
    for o in r.overlaps.iter().take(10) {
        writeln!(out, "  overlap {} × {}: {:.1} m²", o.a, o.b, o.area_m2)?;
    }
    for o in r.outside_parent.iter().take(10) {
        writeln!(out, "  {} outside {}: {:.1} m²", o.unit, o.parent, o.area_m2)?;
    }
    for a in r.assignments_stale.iter().take(10) {
        writeln!(out, "  stale assignment: {} (the building stays in the unit its footprint gives)", a.message)?;
    }
    Ok(())
}
