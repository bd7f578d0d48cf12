//! Camera view polygons (issue 4): C generated cameras among B generated
//! buildings (generated district, labelled generated), 2D and 2.5D, timed
//! apart; writes buildings and cameras in metres for the shapely anchors
//! (benches/anchors/views.py) and our per-camera areas for the comparison.
//!
//! usage: view_bench OUT_DIR BUILDINGS CAMERAS

use std::io::Write;
use std::time::Instant;

use geo::Area;
use wangge_benches::city;
use wangge_engine::cameras::cells::{Cell, cover_cell};
use wangge_engine::cameras::visibility::{Scene, views};
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::model::CameraView;
use wangge_engine::synth::{BuildingSpec, generate_buildings, generate_cameras};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, out, nb, nc] = &args[..] else {
        eprintln!("usage: view_bench OUT_DIR BUILDINGS CAMERAS");
        std::process::exit(2);
    };
    let (Ok(nb), Ok(nc)) = (nb.parse::<usize>(), nc.parse::<usize>()) else {
        eprintln!("BUILDINGS and CAMERAS must be numbers");
        std::process::exit(2);
    };
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    // 10 buildings per 300 m grid cell
    let grids = city(nb.div_ceil(10), 0, 7);
    let mut buildings = generate_buildings(&grids, &BuildingSpec { per_leaf: 10, straddle_share: 0.0, seed: 7 });
    buildings.truncate(nb);
    let mut cameras = generate_cameras(&buildings, (nc as f64 / buildings.len() as f64 * 1.05).min(1.0), 8);
    cameras.truncate(nc);
    let proj = LocalProjection::new(120.2, 36.0);
    let t = Instant::now();
    let scene = Scene::new(&buildings, proj, 3.0);
    let scene_s = t.elapsed().as_secs_f64();
    let cams: Vec<([f64; 2], CameraView)> = cameras
        .iter()
        .map(|c| {
            let m = proj.project(c.position.0);
            ([m.x, m.y], c.effective_view())
        })
        .collect();
    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("buildings.csv"))?);
    writeln!(w, "height\twkt")?;
    for (fp, h) in scene.footprints.iter().zip(&scene.heights) {
        let ring = |r: &geo::LineString<f64>| r.coords().map(|c| format!("{} {}", c.x, c.y)).collect::<Vec<_>>().join(",");
        let polys: Vec<String> = fp.0.iter().map(|p| format!("(({}))", ring(p.exterior()))).collect();
        writeln!(w, "{}\tMULTIPOLYGON({})", h.unwrap_or(-1.0), polys.join(","))?;
    }
    drop(w);
    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("cameras.csv"))?);
    writeln!(w, "x,y,heading,fov,range,height")?;
    for (c, s) in &cams {
        writeln!(w, "{},{},{},{},{},{}", c[0], c[1], s.heading_deg, s.fov_deg, s.range_m.0, s.height_m.0)?;
    }
    drop(w);
    let mut report = Vec::new();
    let mut areas2 = Vec::new();
    for (name, with_heights) in [("2d", false), ("2.5d", true)] {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let v = views(&scene, &cams, with_heights);
            best = best.min(t.elapsed().as_secs_f64());
            if !with_heights {
                areas2 = v.iter().map(|v| v.polygon.unsigned_area()).collect();
            }
        }
        report.push(format!("\"{name}_s\": {best:.4}"));
    }
    // per-unit coverage: each grid's open ground and the union of the 2.5D views over it
    let views25 = views(&scene, &cams, true);
    let t = Instant::now();
    let grid_m: Vec<geo::MultiPolygon<f64>> = grids.iter().map(|g| proj.project_multi(&g.geometry)).collect();
    let view_refs: Vec<&geo::MultiPolygon<f64>> = views25.iter().map(|v| &v.polygon).collect();
    let vindex = wangge_engine::geometry::index::PolygonIndex::new(view_refs.iter().map(|v| geo::BoundingRect::bounding_rect(*v)));
    let covered: f64 = wangge_engine::geometry::par::map(&grid_m, 1, |g| {
        let cell = Cell::new(0, g, &scene);
        let near: Vec<&geo::MultiPolygon<f64>> = cell.bbox.map_or(Vec::new(), |b| vindex.query_rect(b).map(|i| view_refs[i]).collect());
        cover_cell(&cell, &near).covered_m2
    })
    .into_iter()
    .sum();
    let unit_s = t.elapsed().as_secs_f64();
    report.push(format!("\"units\": {}, \"unit_coverage_s\": {unit_s:.4}, \"covered_m2\": {covered:.1}", grid_m.len()));
    let mut w = std::io::BufWriter::new(std::fs::File::create(out.join("wangge_areas.csv"))?);
    writeln!(w, "area")?;
    for a in &areas2 {
        writeln!(w, "{a:.4}")?;
    }
    println!(
        "{{\"buildings\": {}, \"cameras\": {}, \"scene_s\": {scene_s:.4}, {}, \"area_m2\": {:.1}}}",
        buildings.len(),
        cams.len(),
        report.join(", "),
        areas2.iter().sum::<f64>()
    );
    Ok(())
}
