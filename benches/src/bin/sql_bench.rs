//! Read-only SQL (`POST /api/sql`) on a store: how long a sandbox takes to
//! build (the whole district, and one street's jurisdiction) and the latency
//! of typical queries on it, with an anchor in the same run: the first
//! query's figure (households and buildings per street) recounted by a
//! plain Rust loop over the in-memory dataset.
//!
//! Usage: `sql_bench STORE.duckdb [RUNS]` (a copy of the demo store:
//! `bash benches/sql.sh` makes one). Prints a Markdown table.

use std::time::{Duration, Instant};

use wangge::sql::SqlService;
use wangge_engine::units::integrity::IntegrityConfig;
use wangge_engine::units::jurisdiction::Jurisdiction;

const QUERIES: &[(&str, &str)] = &[
    (
        "households and buildings per street (join, GROUP BY)",
        "SELECT u.id, u.name, count(b.id) AS buildings, sum(b.households) AS households \
         FROM units u JOIN unit_tree t ON t.ancestor_id = u.id JOIN buildings b ON b.unit_id = t.unit_id \
         WHERE u.level = 'street' GROUP BY ALL ORDER BY households DESC",
    ),
    (
        "incidents per week and category (CTE)",
        "WITH w AS (SELECT date_trunc('week', occurred_at) AS week, category FROM incidents) \
         SELECT week, category, count(*) AS n FROM w GROUP BY ALL ORDER BY week, n DESC",
    ),
    (
        "3 least covered grids per street (window)",
        "SELECT * FROM (SELECT t.ancestor_id AS street, c.unit_id, c.ground_share, \
         row_number() OVER (PARTITION BY t.ancestor_id ORDER BY c.ground_share) AS r \
         FROM coverage c JOIN unit_tree t ON t.unit_id = c.unit_id WHERE c.level = 'grid' AND t.ancestor_level = 'street') \
         WHERE r <= 3",
    ),
    ("1000 buildings with WKB geometry (hex)", "SELECT * FROM buildings"),
];

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(db) = args.get(1) else {
        eprintln!("usage: sql_bench STORE.duckdb [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(30);
    let store = wangge::store::Store::open(std::path::Path::new(db)).expect("open the store");
    let d = wangge::state::load(&store, IntegrityConfig::default()).expect("load the dataset");
    // coverage is computed once at `wangge serve` start, not per sandbox
    let _ = d.coverage();
    let live = wangge::live::Live::new(wangge::http::taxonomy::load(None).expect("taxonomy"));
    let h = &d.hierarchy;
    let street = (0..h.len()).find(|&i| h.units[i].level.0 == "street").map(|i| h.units[i].id.0.clone());
    println!(
        "store: {} units, {} buildings, {} cameras, {} incidents; {runs} runs per query",
        h.len(),
        d.buildings.len(),
        d.cameras.len(),
        d.incidents.len()
    );
    let svc = SqlService::new(Duration::from_secs(60));
    let all = Jurisdiction::everything();
    let t = Instant::now();
    let sb = svc.sandbox(&d, &all, &live).expect("sandbox");
    println!("sandbox build, whole district: {:.1} ms ({:?})", t.elapsed().as_secs_f64() * 1e3, sb.rows);
    if let Some(s) = &street {
        let j = Jurisdiction::of(&d, Some(s));
        let t = Instant::now();
        let sb = svc.sandbox(&d, &j, &live).expect("sandbox");
        println!("sandbox build, street {s}: {:.1} ms ({:?})", t.elapsed().as_secs_f64() * 1e3, sb.rows);
    }
    println!();
    println!("| query | rows | p50 ms | p95 ms | p50 ms with the answer's JSON |");
    println!("|---|---|---|---|---|");
    for (name, q) in QUERIES {
        let (mut inner, mut outer) = (Vec::new(), Vec::new());
        let mut n = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let a = svc.run(&d, &all, &live, q, 1000).expect("query");
            let body = serde_json::to_vec(&a).expect("json");
            outer.push(t.elapsed().as_secs_f64() * 1e3);
            inner.push(a.elapsed_ms);
            n = a.rows.len();
            std::hint::black_box(body);
        }
        println!("| {name} | {n} | {:.2} | {:.2} | {:.2} |", pct(&mut inner, 0.5), pct(&mut inner, 0.95), pct(&mut outer, 0.5));
    }
    // the anchor: the first query's figure by a loop over the dataset
    let mut times = Vec::new();
    let mut streets = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let mut per: std::collections::HashMap<usize, (u64, u64)> = Default::default();
        for (b, a) in d.building_assignment.iter().enumerate() {
            let Some(leaf) = a.leaf else { continue };
            for u in h.chain(leaf) {
                if h.units[u].level.0 == "street" {
                    let e = per.entry(u).or_default();
                    e.0 += 1;
                    e.1 += u64::from(d.buildings[b].households.unwrap_or(0));
                }
            }
        }
        streets = per.len();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "| anchor: households and buildings per street, a Rust loop over the dataset | {streets} | {:.2} | {:.2} | — |",
        pct(&mut times.clone(), 0.5),
        pct(&mut times, 0.95)
    );
}
