//! Issue 16 benchmark: walking distances and catchments for 50,000 buildings and 500
//! facilities of 3 kinds on a generated 200,000-edge street network (deterministic,
//! labelled generated). Times wangge and writes the graph, the facility seeds and
//! wangge's node distances for the anchors (benches/anchors/service.py: scipy.sparse.csgraph
//! and networkx on the same graph, checked against these distances).
//!
//! usage: service_bench OUT_DIR [SIDE]   (SIDE × SIDE jittered grid; 317 → 200,344 edges)
//! prints one JSON line of figures.

use std::io::Write;
use std::time::Instant;

use geo::{Coord, LineString, Point};
use rand::{Rng, SeedableRng};
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::service::{DEFAULT_THRESHOLDS_M, DistanceOptions, NetworkOptions, WalkNetwork, catchments, distances_attached};

const BUILDINGS: usize = 50_000;
const FACILITIES: usize = 500;
const KINDS: [&str; 3] = ["station", "clinic", "canteen"];
const STEP_M: f64 = 40.0;
const REPEAT: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(f: impl FnMut() -> T) -> (T, f64) {
    let mut f = f;
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..REPEAT {
        let t = Instant::now();
        let r = f();
        times.push(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (last.expect("ran"), median(times))
}

/// CPU seconds used by this process so far, all threads (utime + stime of /proc/self/stat, 100 Hz ticks).
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // the fields after the command name (which is in parentheses and may hold spaces)
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // rest starts at field 3 (state, not a number): utime and stime are fields 14 and 15
    let (ut, st) = (f.get(10).copied().unwrap_or(0.0), f.get(11).copied().unwrap_or(0.0));
    (ut + st) / 100.0
}

fn write(path: &std::path::Path, bytes: &[u8]) {
    std::fs::File::create(path).and_then(|mut f| f.write_all(bytes)).expect("write");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(args.get(1).cloned().unwrap_or_else(|| "benches/out/service".into()));
    let side: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(317);
    std::fs::create_dir_all(&out).expect("out dir");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    let proj = LocalProjection::new(120.38, 36.07);
    // a jittered grid: every street a polyline through its crossings (shared vertices)
    let v: Vec<Coord<f64>> = (0..side * side)
        .map(|k| Coord {
            x: (k % side) as f64 * STEP_M + rng.random_range(-8.0..8.0),
            y: (k / side) as f64 * STEP_M + rng.random_range(-8.0..8.0),
        })
        .collect();
    let mut lines: Vec<LineString<f64>> = Vec::new();
    for j in 0..side {
        lines.push(LineString((0..side).map(|i| proj.unproject(v[j * side + i])).collect()));
    }
    for i in 0..side {
        lines.push(LineString((0..side).map(|j| proj.unproject(v[j * side + i])).collect()));
    }
    let extent = (side - 1) as f64 * STEP_M;
    let pt = |rng: &mut rand_chacha::ChaCha8Rng| {
        Point(proj.unproject(Coord { x: rng.random_range(0.0..extent), y: rng.random_range(0.0..extent) }))
    };
    let buildings: Vec<Point<f64>> = (0..BUILDINGS).map(|_| pt(&mut rng)).collect();
    let facilities: Vec<Point<f64>> = (0..FACILITIES).map(|_| pt(&mut rng)).collect();
    let kinds: Vec<Vec<Point<f64>>> = (0..KINDS.len()).map(|k| facilities.iter().skip(k).step_by(KINDS.len()).copied().collect()).collect();

    let (net, build_s) = time(|| WalkNetwork::build(&lines, &NetworkOptions::default()));
    let (batt, attach_s) = time(|| net.attach_all(&buildings));
    let opts = DistanceOptions::default();
    // distances per kind, one thread each (attach the kind's facilities + search + every building)
    let mut per_kind_s = Vec::new();
    let mut results = Vec::new();
    for f in &kinds {
        let (d, s) = time(|| distances_attached(&net, batt.clone(), net.attach_all(f), "k", &opts));
        per_kind_s.push(s);
        results.push(d);
    }
    // the whole job, kinds in parallel over the cores: buildings attached once, all distances, all catchments
    let job = || {
        let batt = net.attach_all(&buildings);
        std::thread::scope(|s| {
            let hs: Vec<_> = kinds
                .iter()
                .zip(KINDS)
                .map(|(f, name)| {
                    let (net, batt) = (&net, batt.clone());
                    s.spawn(move || {
                        let d = distances_attached(net, batt, net.attach_all(f), name, &opts);
                        let c = catchments(net, f, &DEFAULT_THRESHOLDS_M, 25.0, &d);
                        (d, c)
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("kind")).collect::<Vec<_>>()
        })
    };
    let cpu0 = cpu_s();
    let (all, job_s) = time(job);
    // CPU seconds of one job (mean of the runs): what the job costs whatever else the machine runs
    let job_cpu_s = (cpu_s() - cpu0) / REPEAT as f64;
    let distances_only = || {
        std::thread::scope(|s| {
            let hs: Vec<_> =
                kinds.iter().map(|f| s.spawn(|| distances_attached(&net, batt.clone(), net.attach_all(f), "k", &opts))).collect();
            hs.into_iter().map(|h| h.join().expect("kind").nearest.len()).sum::<usize>()
        })
    };
    let (_, distances_parallel_s) = time(distances_only);
    let (_, catchments_s) =
        time(|| results.iter().zip(&kinds).map(|(d, f)| catchments(&net, f, &DEFAULT_THRESHOLDS_M, 25.0, d).len()).sum::<usize>());

    // files for the anchors: edges (u32 u, u32 v, f64 w), per kind the seeds and wangge's node distances
    let mut e = Vec::with_capacity(net.edge_count() * 16);
    for edge in &net.edges {
        e.extend_from_slice(&edge.from.to_le_bytes());
        e.extend_from_slice(&edge.to.to_le_bytes());
        e.extend_from_slice(&edge.length_m.to_le_bytes());
    }
    write(&out.join("edges.bin"), &e);
    for (k, d) in results.iter().enumerate() {
        let field = d.field.as_ref().expect("network");
        let mut s = Vec::new();
        for a in field.facilities.iter().flatten() {
            let edge = &net.edges[a.edge as usize];
            s.extend_from_slice(&edge.from.to_le_bytes());
            s.extend_from_slice(&(a.access_m + a.along_m).to_le_bytes());
            s.extend_from_slice(&edge.to.to_le_bytes());
            s.extend_from_slice(&(a.access_m + edge.length_m - a.along_m).to_le_bytes());
        }
        write(&out.join(format!("seeds_{k}.bin")), &s);
        let nd: Vec<u8> = field.node_m.iter().flat_map(|m| m.to_le_bytes()).collect();
        write(&out.join(format!("node_m_{k}.bin")), &nd);
    }
    let reached: Vec<usize> = results.iter().map(|d| d.nearest.iter().filter(|n| n.is_some()).count()).collect();
    let within: Vec<Vec<usize>> = all.iter().map(|(_, c)| c.iter().map(|c| c.buildings.len()).collect()).collect();
    let polys: usize = all.iter().flat_map(|(_, c)| c.iter().map(|c| c.area.0.len())).sum();
    let vertices: usize = all
        .iter()
        .flat_map(|(_, c)| {
            c.iter().flat_map(|c| c.area.0.iter().map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>()))
        })
        .sum();
    println!(
        "{}",
        serde_json::json!({
            "generated": true,
            "nodes": net.node_count(), "edges": net.edge_count(), "buildings": BUILDINGS, "facilities": FACILITIES, "kinds": KINDS.len(),
            "build_s": build_s, "attach_buildings_s": attach_s, "distances_per_kind_s": per_kind_s,
            "distances_3_kinds_serial_s": per_kind_s.iter().sum::<f64>(), "distances_3_kinds_parallel_s": distances_parallel_s,
            "catchments_9_serial_s": catchments_s, "job_s": job_s, "job_cpu_s": job_cpu_s,
            "reached": reached, "within_300_500_1000": within, "catchment_polygons": polys, "catchment_vertices": vertices,
            "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
        })
    );
}
