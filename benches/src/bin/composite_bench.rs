//! Requests, bytes and time for the tiles of one page view, per layer (one
//! request per layer and tile position, as the page did) against the composite
//! endpoint (one request per position), through the real router in-process.
//!
//! usage: composite_bench ADMIN.geojson GEN_DIR
//! where GEN_DIR is the output of `wangge gen demo --admin ADMIN.geojson --out GEN_DIR --seed 2026`;
//! the layers are read as `wangge import` reads them and indexed in memory (no store).
//! The view is 1920×1080 px of 512 px tiles (MapLibre's vector tile size) centred on the data, at z 13, 14, 15.

use std::path::Path;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use wangge::http::{AppState, app};
use wangge::import::{ImportOptions, read_paths};
use wangge_engine::dataset::Dataset;
use wangge_engine::model::LayerKind;
use wangge_engine::units::integrity::IntegrityConfig;

/// The layers the page draws from vector tiles.
const STATIC: [&str; 9] = ["units", "buildings", "roads", "cameras", "camera_views", "camera_gaps", "facilities", "incidents", "problems"];

fn load(admin: &Path, dir: &Path) -> Result<Dataset, String> {
    let mut d = Dataset::empty(IntegrityConfig::default());
    let files: [(LayerKind, Vec<std::path::PathBuf>); 5] = [
        (LayerKind::Units, vec![admin.to_path_buf(), dir.join("units.geojson")]),
        (LayerKind::Buildings, vec![dir.join("buildings.geojson")]),
        (LayerKind::Cameras, vec![dir.join("cameras.geojson")]),
        (LayerKind::Facilities, vec![dir.join("facilities.geojson")]),
        (LayerKind::Incidents, vec![dir.join("incidents.csv")]),
    ];
    for (kind, paths) in files {
        let paths: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
        let layer = read_paths(&paths, &ImportOptions::new(kind)).map_err(|e| format!("{kind:?}: {e}"))?;
        d.versions.insert(kind, 1);
        d.set(layer).map_err(|e| e.to_string())?;
    }
    d.rebuild();
    // computed once here so that every state below starts with it, as a served dataset does
    d.coverage();
    Ok(d)
}

/// The tile positions a 1920×1080 view at zoom `z` centred on lon/lat needs.
fn view(lon: f64, lat: f64, z: u8) -> Vec<(u32, u32)> {
    let n = f64::from(1u32 << z);
    let cx = (lon + 180.0) / 360.0 * n;
    let r = lat.to_radians();
    let cy = (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    let (hw, hh) = (1920.0 / 512.0 / 2.0, 1080.0 / 512.0 / 2.0);
    let xs = (cx - hw).floor() as u32..=(cx + hw).floor() as u32;
    let ys = (cy - hh).floor() as u32..=(cy + hh).floor() as u32;
    xs.flat_map(|x| ys.clone().map(move |y| (x, y))).collect()
}

#[derive(Default)]
struct Tally {
    requests: usize,
    non_empty: usize,
    bytes: usize,
    seconds: f64,
}

async fn fetch(router: &axum::Router, uri: &str, t: &mut Tally) -> Result<(), String> {
    let req = Request::get(uri).header(header::ACCEPT_ENCODING, "gzip").body(Body::empty()).map_err(|e| e.to_string())?;
    let s = Instant::now();
    let resp = router.clone().oneshot(req).await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.map_err(|e| e.to_string())?;
    t.seconds += s.elapsed().as_secs_f64();
    t.requests += 1;
    match status {
        StatusCode::OK => {
            t.non_empty += 1;
            t.bytes += body.len();
        }
        StatusCode::NO_CONTENT => {}
        other => return Err(format!("{uri}: {other}")),
    }
    Ok(())
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (Some(admin), Some(dir)) = (args.next(), args.next()) else {
        return Err("usage: composite_bench ADMIN.geojson GEN_DIR".into());
    };
    let t = Instant::now();
    let d = load(Path::new(&admin), Path::new(&dir))?;
    // centred where the buildings are (the district's bounds reach far into the sea)
    let n = d.buildings.len().max(1) as f64;
    let (sx, sy) =
        d.buildings.iter().filter_map(|b| geo::Centroid::centroid(&b.footprint)).fold((0.0, 0.0), |a, p| (a.0 + p.x(), a.1 + p.y()));
    let c = geo::Coord { x: sx / n, y: sy / n };
    println!(
        "{} units, {} buildings, {} cameras, {} incidents loaded and indexed in {:.1} s; view centre {:.4}, {:.4}",
        d.hierarchy.len(),
        d.buildings.len(),
        d.cameras.len(),
        d.incidents.len(),
        t.elapsed().as_secs_f64(),
        c.x,
        c.y
    );
    println!();
    println!("| zoom | positions | mode | requests (tiles + TileJSON) | non-empty | bytes (gzip) | cold s | warm s |");
    println!("|---|---|---|---|---|---|---|---|");
    for z in [13u8, 14, 15] {
        let tiles = view(c.x, c.y, z);
        for composite in [false, true] {
            // a fresh state per mode and zoom: the cold pass renders, the warm pass is served from the cache
            let router = app(AppState::new(d.clone(), std::path::PathBuf::from("web")));
            let list = STATIC.join(",");
            let mut uris: Vec<String> = Vec::new();
            let mut json: Vec<String> = Vec::new();
            if composite {
                json.push(format!("/tiles/{list}.json"));
                uris.extend(tiles.iter().map(|(x, y)| format!("/tiles/{list}/{z}/{x}/{y}.mvt")));
            } else {
                json.extend(STATIC.iter().map(|l| format!("/tiles/{l}.json")));
                for (x, y) in &tiles {
                    uris.extend(STATIC.iter().map(|l| format!("/tiles/{l}/{z}/{x}/{y}.mvt")));
                }
            }
            let mut meta = Tally::default();
            for u in &json {
                fetch(&router, u, &mut meta).await?;
            }
            let (mut cold, mut warm) = (Tally::default(), Tally::default());
            for u in &uris {
                fetch(&router, u, &mut cold).await?;
            }
            for u in &uris {
                fetch(&router, u, &mut warm).await?;
            }
            println!(
                "| {z} | {} | {} | {} + {} | {} | {} | {:.3} | {:.3} |",
                tiles.len(),
                if composite { "composite" } else { "per layer" },
                cold.requests,
                meta.requests,
                cold.non_empty,
                cold.bytes,
                cold.seconds,
                warm.seconds
            );
        }
    }
    Ok(())
}

fn main() {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = rt.block_on(run()) {
        eprintln!("{e}");
        std::process::exit(2);
    }
}
