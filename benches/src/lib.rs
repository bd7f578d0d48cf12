//! Benchmark helpers: the synthetic cities and points every runner shares,
//! the demo district's layers, and the small HTTP/1.1 client the load
//! runners drive the server with.

pub mod http;

use std::path::Path;

use geo::BoundingRect;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use wangge::import::{ImportOptions, Layer, read_path};
use wangge_engine::model::{LayerKind, Unit};
use wangge_engine::synth::{LatticeSpec, lattice_units};

/// What the runners' set-up answers.
pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// One layer file read as `kind`; the error names the file.
pub fn load(path: &Path, kind: LayerKind) -> Res<Layer> {
    read_path(path, &ImportOptions::new(kind)).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// The demo district's layers from `DEMO_DIR` (the output of `wangge gen demo`): units, buildings, cameras and
/// incidents. The real streets (`admin`) and the generated levels below them are one units layer (parents across
/// the two files): they are joined into `DEMO_DIR/units-all.geojson` first.
pub fn demo_layers(dir: &Path, admin: &Path) -> Res<Vec<Layer>> {
    let mut all: Value = serde_json::from_str(&std::fs::read_to_string(admin)?)?;
    let generated: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("units.geojson"))?)?;
    if let (Some(a), Some(g)) = (all["features"].as_array_mut(), generated["features"].as_array()) {
        a.extend(g.iter().cloned());
    }
    let joined = dir.join("units-all.geojson");
    std::fs::write(&joined, all.to_string())?;
    Ok(vec![
        load(&joined, LayerKind::Units)?,
        load(&dir.join("buildings.geojson"), LayerKind::Buildings)?,
        load(&dir.join("cameras.geojson"), LayerKind::Cameras)?,
        load(&dir.join("incidents.csv"), LayerKind::Incidents)?,
    ])
}

/// `n` grids on a lattice; `densify` 0 → 6-vertex grids, 14 → 90-vertex grids.
pub fn city(n: usize, densify: usize, seed: u64) -> Vec<Unit> {
    let cols = ((n as f64 * 1.25).sqrt().ceil() as usize).max(1);
    let rows = n.div_ceil(cols);
    let mut u = lattice_units(&LatticeSpec { cols, rows, cell_m: 300.0, densify, seed, origin: (120.2, 36.0) });
    u.truncate(n);
    u
}

/// Uniform random points over the grids' bounds (a few fall outside every grid).
pub fn points(units: &[Unit], n: usize, seed: u64) -> Vec<(f64, f64)> {
    let b = units.iter().filter_map(|u| u.geometry.bounding_rect()).reduce(wangge_engine::geometry::index::rect_union);
    let Some(b) = b else { return Vec::new() };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| (rng.random_range(b.min().x..b.max().x), rng.random_range(b.min().y..b.max().y))).collect()
}

/// WKT of a unit's geometry (for the Python anchors).
pub fn wkt(u: &Unit) -> String {
    let ring = |r: &geo::LineString<f64>| r.coords().map(|c| format!("{} {}", c.x, c.y)).collect::<Vec<_>>().join(",");
    let polys: Vec<String> = u
        .geometry
        .0
        .iter()
        .map(|p| {
            format!(
                "({})",
                std::iter::once(p.exterior()).chain(p.interiors()).map(|r| format!("({})", ring(r))).collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    format!("MULTIPOLYGON({})", polys.join(","))
}
