//! `wangge service`: walking distance from every building to the nearest facility of a kind
//! (issue 16) as CSV (`building_id, facility_id, distance_m`; empty facility and distance when
//! unreachable), GeoJSON (the buildings with those properties) or JSON (coverage per unit).

use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};
use wangge_engine::model::LayerKind;
use wangge_engine::service as svc;
use wangge_engine::units::integrity::IntegrityConfig;

use super::output::{OutFormat, json_to, write_out};
use super::{CliError, DbArg};
use crate::geojson_out;
use crate::service::{self as service, method_json};
use crate::store::Store;

/// Flags of `wangge service`.
#[derive(Debug, Args, Clone)]
pub struct ServiceArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Facility kind (the facilities layer's `kind`, e.g. 先锋驿站).
    #[arg(long, env = "WANGGE_KIND")]
    pub kind: String,
    /// Thresholds in metres, comma-separated (default 300,500,1000: the 5/10/15-minute life circles).
    #[arg(long, env = "WANGGE_THRESHOLD")]
    pub threshold: Option<String>,
    /// Thresholds in minutes of walking at --speed instead of metres.
    #[arg(long, env = "WANGGE_MINUTES")]
    pub minutes: Option<String>,
    /// Walking speed for --minutes, metres a minute.
    #[arg(long, env = "WANGGE_SPEED", default_value_t = service::DEFAULT_SPEED_M_PER_MIN)]
    pub speed: f64,
    /// Only the buildings of this unit and the units under it.
    #[arg(long, env = "WANGGE_UNIT")]
    pub unit: Option<String>,
    /// Output file: .csv (one row per building), .geojson (the buildings), .json (coverage per unit).
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
}

/// Run `wangge service`.
pub fn run(a: ServiceArgs) -> Result<(), CliError> {
    let store = Store::open(&a.db.db)?;
    let layers = [LayerKind::Units, LayerKind::Buildings, LayerKind::Facilities, LayerKind::Roads];
    let d = crate::state::load_layers(&store, &layers, IntegrityConfig::default())?;
    let t =
        service::thresholds(a.threshold.as_deref(), a.minutes.as_deref(), Some(a.speed)).map_err(|e| CliError::Service(e.to_string()))?;
    let h = &d.hierarchy;
    let top = match &a.unit {
        Some(id) => Some(h.get(&wangge_engine::model::UnitId(id.clone())).ok_or_else(|| CliError::UnknownUnit(id.clone()))?),
        None => None,
    };
    let clock = std::time::Instant::now();
    let n = service::network(&d);
    let k = service::kind_service(&d, &n, &a.kind).map_err(|e| CliError::Service(e.to_string()))?;
    let secs = clock.elapsed().as_secs_f64();
    let j = wangge_engine::units::jurisdiction::Jurisdiction::of(&d, a.unit.as_deref());
    let chosen: Vec<usize> = (0..d.buildings.len()).filter(|&b| top.is_none() || j.building(&d, b)).collect();
    let nearest =
        |b: usize| k.distances.nearest[b].map(|(f, m)| (d.facilities[k.facilities[f as usize]].id.as_str(), (m * 10.0).round() / 10.0));
    let largest = t.metres.iter().copied().fold(0.0, f64::max);
    write_out(&a.out, |f, w| match f {
        OutFormat::Csv => {
            let mut c = csv::Writer::from_writer(w);
            c.write_record(["building_id", "facility_id", "distance_m"])?;
            for &b in &chosen {
                let (fac, dist) = nearest(b).map_or((String::new(), String::new()), |(f, m)| (f.to_owned(), format!("{m:.1}")));
                c.write_record([d.buildings[b].id.as_str(), &fac, &dist])?;
            }
            c.flush()
        }
        OutFormat::Geojson => {
            let features = chosen
                .iter()
                .map(|&b| {
                    let n = nearest(b);
                    let mut p = serde_json::Map::from_iter([
                        ("building_id".into(), json!(d.buildings[b].id)),
                        ("facility_id".into(), json!(n.map(|x| x.0))),
                        ("distance_m".into(), json!(n.map(|x| x.1))),
                        ("households".into(), json!(d.buildings[b].households)),
                        ("within".into(), json!(n.is_some_and(|x| x.1 <= largest))),
                        ("island".into(), json!(k.distances.island.get(b).copied().unwrap_or(false))),
                    ]);
                    if wangge_engine::dataset::Dataset::is_generated(&d.buildings[b].attributes) {
                        p.insert("generated".into(), json!(true));
                    }
                    geojson_out::feature(&geo::Geometry::MultiPolygon(d.buildings[b].footprint.clone()), p)
                })
                .collect();
            let mut v = geojson_out::collection(features);
            if let (Value::Object(o), Value::Object(m)) = (&mut v, method_json(k.distances.method)) {
                o.extend(m);
            }
            json_to(w, &v)
        }
        OutFormat::Json => {
            let cov = svc::coverage_per_unit(&d, &k.distances, &t.metres);
            let units: Vec<Value> = (0..h.len())
                .filter(|&i| top.is_none_or(|t| h.chain(i).contains(&t)))
                .map(|i| {
                    let c = &cov[i];
                    let within: Vec<Value> = c
                        .within
                        .iter()
                        .map(|&(m, b, hh, pop)| json!({"threshold_m": m, "buildings": b, "households": hh, "population": pop}))
                        .collect();
                    json!({"id": h.units[i].id.0, "name": h.units[i].name, "level": h.units[i].level.0,
                           "buildings": c.buildings, "households": c.households, "population": c.population, "within": within,
                           "outside": c.outside.iter().map(|&b| d.buildings[b as usize].id.clone()).collect::<Vec<_>>()})
                })
                .collect();
            let mut v = json!({"kind": a.kind, "thresholds_m": t.metres, "units": units});
            if let (Value::Object(o), Value::Object(m)) = (&mut v, method_json(k.distances.method)) {
                o.extend(m);
            }
            json_to(w, &v)
        }
    })?;
    let reached = chosen.iter().filter(|&&b| k.distances.nearest[b].is_some()).count();
    let within = chosen.iter().filter(|&&b| k.distances.nearest[b].is_some_and(|(_, m)| m <= largest)).count();
    let how = match k.distances.method {
        svc::Method::Network => {
            let net = n.net.as_ref().map_or((0, 0), |x| (x.node_count(), x.edge_count()));
            format!("along the walking network ({} nodes, {} edges)", net.0, net.1)
        }
        svc::Method::StraightLine { detour } => format!("as straight lines × {detour} (no roads layer)"),
    };
    println!(
        "{} facilities of kind {}: {reached} of {} buildings reached, {within} within {largest} m, {how}; computed in {secs:.2} s → {}",
        k.facilities.len(),
        a.kind,
        chosen.len(),
        a.out.display()
    );
    Ok(())
}
