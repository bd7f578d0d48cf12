//! Assignment of one arriving incident to its unit at every level (issue 6,
//! goal < 1 ms), as intake does it: the R-tree point location of the leaf
//! unit, then its chain of parents as ids. Each of N points timed alone,
//! either on unit layers read from GeoJSON files (the demo district: real
//! streets, generated levels below) or on a generated city of G grids with
//! the given vertex density (both labelled generated in RESULTS).
//!
//! usage: assign_one N FILE.geojson...   |   assign_one N --city GRIDS DENSIFY

use std::time::Instant;

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[((v.len() as f64 - 1.0) * p).round() as usize] }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = || -> ! {
        eprintln!("usage: assign_one N FILE.geojson...   |   assign_one N --city GRIDS DENSIFY");
        std::process::exit(2)
    };
    let n: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| usage());
    let (what, units) = match &args[2..] {
        [flag, g, densify] if flag == "--city" => {
            let (g, densify): (usize, usize) = (g.parse()?, densify.parse()?);
            (format!("generated city, {g} grids, densify {densify}"), wangge_benches::city(g, densify, 3))
        }
        [] => usage(),
        files => {
            // one collection of all the files' features (parents may be in another file)
            let mut features = Vec::new();
            for f in files {
                let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f)?)?;
                features.extend(v["features"].as_array().cloned().unwrap_or_default());
            }
            let text = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
            let o = wangge::import::ImportOptions::new(wangge_engine::model::LayerKind::Units);
            let units = match wangge::import::read_str(&text, false, "units", &o).map_err(|e| e.to_string())? {
                wangge_engine::model::Layer::Units(u) => u,
                _ => return Err("not a unit layer".into()),
            };
            (files.join(" + "), units)
        }
    };
    let mut d = wangge_engine::dataset::Dataset::empty(wangge_engine::units::integrity::IntegrityConfig::default());
    d.set(wangge_engine::model::Layer::Units(units.clone())).map_err(|e| e.to_string())?;
    let t = Instant::now();
    d.rebuild();
    let build_s = t.elapsed().as_secs_f64();
    let pts = wangge_benches::points(&units, n, 11);
    let h = &d.hierarchy;
    let mut us = Vec::with_capacity(n);
    let mut placed = 0usize;
    let mut levels = 0usize;
    for &(x, y) in &pts {
        let t = Instant::now();
        let ids: Vec<String> =
            d.locator.locate(x, y).map_or(Vec::new(), |leaf| h.chain(leaf).into_iter().rev().map(|u| h.units[u].id.0.clone()).collect());
        // points outside every unit (sea, other districts) are rejected fast: time the placed ones
        if !ids.is_empty() {
            us.push(t.elapsed().as_secs_f64() * 1e6);
            placed += 1;
        }
        levels = levels.max(ids.len());
    }
    let mean = us.iter().sum::<f64>() / us.len().max(1) as f64;
    println!(
        "{{\"units_of\": {what:?}, \"units\": {}, \"levels\": {levels}, \"index_build_s\": {build_s:.2}, \"points\": {n}, \"placed\": {placed}, \"mean_us\": {mean:.2}, \"p50_us\": {:.2}, \"p99_us\": {:.2}, \"max_us\": {:.1}}}",
        h.units.len(),
        pct(&mut us, 0.5),
        pct(&mut us, 0.99),
        pct(&mut us, 1.0)
    );
    Ok(())
}
