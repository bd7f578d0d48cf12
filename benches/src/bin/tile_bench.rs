//! Load (index) a store and render every units and buildings tile over its
//! bounds at z12–z16, without the cache. usage: tile_bench DB

use std::time::Instant;

use wangge::store::Store;
use wangge_engine::units::integrity::IntegrityConfig;

fn main() {
    let Some(db) = std::env::args().nth(1) else {
        eprintln!("usage: tile_bench DB");
        std::process::exit(2);
    };
    let t = Instant::now();
    let store = match Store::open(std::path::Path::new(&db)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let d = match wangge::state::load(&store, IntegrityConfig::default()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    println!(
        "load + index + assign + integrity of {} units, {} buildings, {} incidents: {:.2} s",
        d.hierarchy.len(),
        d.buildings.len(),
        d.incidents.len(),
        t.elapsed().as_secs_f64()
    );
    let Some(b) = d.bounds() else { return };
    println!("| layer | zoom | tiles | non-empty | seconds | tiles/s |");
    println!("|---|---|---|---|---|---|");
    for layer in ["units", "buildings"] {
        for z in 12u8..=16 {
            let (xs, ys) = wangge::tiles::grid::tiles_covering(b, z);
            let t = Instant::now();
            let (mut count, mut full) = (0u32, 0u32);
            for x in xs {
                for y in ys.clone() {
                    count += 1;
                    if wangge::tiles::render(&d, layer, None, z, x, y).is_some() {
                        full += 1;
                    }
                }
            }
            let s = t.elapsed().as_secs_f64();
            println!("| {layer} | {z} | {count} | {full} | {s:.3} | {:.0} |", f64::from(count) / s);
        }
    }
}
