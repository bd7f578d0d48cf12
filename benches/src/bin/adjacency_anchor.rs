//! The neighbour graph of M generated grids with wangge, writing the grids
//! for the libpysal anchor and our pairs for the comparison.
//!
//! usage: adjacency_anchor OUT_DIR GRIDS DENSIFY

use std::io::Write;
use std::time::Instant;

use wangge_benches::{city, wkt};
use wangge_engine::groups::adjacency::{AdjacencyOptions, adjacency};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, grids, densify] = &args[..] else {
        eprintln!("usage: adjacency_anchor OUT_DIR GRIDS DENSIFY");
        std::process::exit(2);
    };
    let (Ok(grids), Ok(densify)) = (grids.parse::<usize>(), densify.parse::<usize>()) else {
        eprintln!("GRIDS and DENSIFY must be numbers");
        std::process::exit(2);
    };
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    let units = city(grids, densify, 1);
    let vertices = units[0].geometry.0[0].exterior().0.len() - 1;
    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("grids.csv"))?);
    writeln!(w, "gid\twkt")?;
    for (i, u) in units.iter().enumerate() {
        writeln!(w, "{i}\t{}", wkt(u))?;
    }
    drop(w);
    let geoms: Vec<_> = units.iter().map(|u| &u.geometry).collect();
    let mut best = f64::MAX;
    let mut result = Default::default();
    for _ in 0..3 {
        let t = Instant::now();
        result = adjacency(&geoms, &AdjacencyOptions::default());
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("wangge_pairs.csv"))?);
    writeln!(w, "a,b,shared_m")?;
    for n in &result.pairs {
        writeln!(w, "{},{},{:.3}", n.a, n.b, n.shared_m)?;
    }
    println!("{{\"grids\": {grids}, \"vertices\": {vertices}, \"pairs\": {}, \"seconds\": {best:.4}}}", result.pairs.len());
    Ok(())
}
