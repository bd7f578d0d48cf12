//! Assign N points to M generated grids with wangge (R-tree + exact
//! point-in-polygon), writing the inputs for the Python anchors and our
//! answers so that they can be compared. Run by benches/run.sh.
//!
//! usage: assign_anchor OUT_DIR GRIDS POINTS DENSIFY

use std::io::Write;
use std::time::Instant;

use wangge_benches::{city, points, wkt};
use wangge_engine::units::assign::PointLocator;
use wangge_engine::units::hierarchy::Hierarchy;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, grids, npts, densify] = &args[..] else {
        eprintln!("usage: assign_anchor OUT_DIR GRIDS POINTS DENSIFY");
        std::process::exit(2);
    };
    let (Ok(grids), Ok(npts), Ok(densify)) = (grids.parse::<usize>(), npts.parse::<usize>(), densify.parse::<usize>()) else {
        eprintln!("GRIDS, POINTS and DENSIFY must be numbers");
        std::process::exit(2);
    };
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    let units = city(grids, densify, 1);
    let pts = points(&units, npts, 2);
    let vertices = units[0].geometry.0[0].exterior().0.len() - 1;
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("grids.csv"))?);
        writeln!(w, "gid\twkt")?;
        for (i, u) in units.iter().enumerate() {
            writeln!(w, "{i}\t{}", wkt(u))?;
        }
        let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("points.csv"))?);
        writeln!(w, "pid,x,y")?;
        for (i, (x, y)) in pts.iter().enumerate() {
            writeln!(w, "{i},{x:.10},{y:.10}")?;
        }
    }
    let h = Hierarchy::build(units).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let mut best_index = f64::MAX;
    let mut best_assign = f64::MAX;
    let mut result = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let loc = PointLocator::new(&h);
        best_index = best_index.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        result = loc.locate_all(&pts);
        best_assign = best_assign.min(t.elapsed().as_secs_f64());
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("wangge.csv"))?);
    writeln!(w, "pid,gid")?;
    for (i, r) in result.iter().enumerate() {
        if let Some(g) = r {
            writeln!(w, "{i},{g}")?;
        }
    }
    let assigned = result.iter().filter(|r| r.is_some()).count();
    println!(
        "{{\"grids\": {grids}, \"vertices\": {vertices}, \"points\": {npts}, \"assigned\": {assigned}, \"index_s\": {best_index:.4}, \"assign_s\": {best_assign:.4}}}"
    );
    Ok(())
}
