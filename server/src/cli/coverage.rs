//! `wangge coverage`: camera coverage per unit (open ground, facades, unseen buildings, density) and its gaps.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;
use wangge_engine::model::LayerKind;
use wangge_engine::units::integrity::IntegrityConfig;

use super::output::{OutFormat, json_to, write_out};
use super::{CliError, DbArg};
use crate::geojson_out;
use crate::store::Store;

/// Flags of `wangge coverage`.
#[derive(Debug, Args, Clone)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The unit to report (with everything under it); all units when absent.
    #[arg(long, env = "WANGGE_UNIT")]
    pub unit: Option<String>,
    /// Output file: .csv or .json (figures per unit), .geojson (uncovered open ground of the unit).
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
    /// Smallest gap piece written to .geojson (m²).
    #[arg(long, env = "WANGGE_MIN_AREA", default_value_t = 25.0)]
    pub min_area: f64,
}

/// Run `wangge coverage`.
pub fn run(a: CoverageArgs) -> Result<(), CliError> {
    let store = Store::open(&a.db.db)?;
    let kinds = [LayerKind::Units, LayerKind::Buildings, LayerKind::Cameras];
    let d = crate::state::load_layers(&store, &kinds, IntegrityConfig::default())?;
    if d.hierarchy.is_empty() {
        return Err(CliError::NoUnits(a.db.db.clone()));
    }
    let h = &d.hierarchy;
    let top = match &a.unit {
        Some(id) => Some(h.get(&wangge_engine::model::UnitId(id.clone())).ok_or_else(|| CliError::UnknownUnit(id.clone()))?),
        None => None,
    };
    let t = std::time::Instant::now();
    let cov = d.coverage();
    let secs = t.elapsed().as_secs_f64();
    let chosen: Vec<usize> = (0..h.len()).filter(|&i| top.is_none_or(|t| h.chain(i).contains(&t))).collect();
    write_out(&a.out, |f, w| match f {
        OutFormat::Csv => {
            let mut c = csv::Writer::from_writer(w);
            c.write_record([
                "id",
                "name",
                "level",
                "ground_m2",
                "covered_m2",
                "ground_share",
                "facade_m",
                "facade_seen_m",
                "facade_share",
                "buildings",
                "buildings_unseen",
                "households_unseen",
                "cameras",
                "cameras_per_km2",
            ])?;
            for &i in &chosen {
                let (u, x) = (&h.units[i], &cov.units[i]);
                c.write_record([
                    u.id.0.clone(),
                    u.name.clone(),
                    u.level.0.clone(),
                    format!("{:.1}", x.ground_m2),
                    format!("{:.1}", x.covered_m2),
                    format!("{:.4}", x.ground_share),
                    format!("{:.1}", x.facade_m),
                    format!("{:.1}", x.facade_seen_m),
                    format!("{:.4}", x.facade_share),
                    x.buildings.to_string(),
                    x.buildings_unseen.to_string(),
                    x.households_unseen.to_string(),
                    x.cameras.to_string(),
                    format!("{:.1}", x.cameras_per_km2),
                ])?;
            }
            c.flush()
        }
        OutFormat::Geojson => {
            let roots: Vec<usize> = match top {
                Some(t) => vec![t],
                None => (0..h.len()).filter(|&i| h.parent[i].is_none()).collect(),
            };
            let f = roots
                .iter()
                .flat_map(|&r| cov.gap_polygons(&d, r, a.min_area))
                .map(|(p, a)| {
                    geojson_out::feature(
                        &geo::Geometry::Polygon(p),
                        serde_json::Map::from_iter([("area_m2".into(), serde_json::json!((a * 10.0).round() / 10.0))]),
                    )
                })
                .collect();
            json_to(w, &geojson_out::collection(f))
        }
        OutFormat::Json => {
            let list: Vec<Value> = chosen
                .iter()
                .map(|&i| {
                    let mut v = serde_json::to_value(&cov.units[i]).unwrap_or(Value::Null);
                    v["id"] = serde_json::json!(h.units[i].id.0);
                    v["name"] = serde_json::json!(h.units[i].name);
                    v["level"] = serde_json::json!(h.units[i].level.0);
                    v
                })
                .collect();
            json_to(w, &serde_json::json!({"mode": "2.5d", "units": list}))
        }
    })?;
    let root = top.unwrap_or_else(|| (0..h.len()).find(|&i| h.parent[i].is_none()).unwrap_or(0));
    let x = &cov.units[root];
    println!(
        "{} cameras, {}: open ground covered {:.1} % of {:.0} m², facades seen {:.1} %, {} buildings ({} households) with no facade seen; computed in {secs:.2} s → {}",
        d.cameras.len(),
        h.units[root].name,
        x.ground_share * 100.0,
        x.ground_m2,
        x.facade_share * 100.0,
        x.buildings_unseen,
        x.households_unseen,
        a.out.display()
    );
    Ok(())
}
