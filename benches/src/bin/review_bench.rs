//! Live validation of a units layer after one edit (issue 15): full
//! validation (`Validator::new`) against the incremental one
//! (`Validator::revalidate`) after a moved shared vertex, a split leaf and a
//! reassigned building, on the demo district (`wangge gen demo` over the
//! real 市南区 streets) and on a generated city of GRIDS grids nested in
//! communities of 8 × 8 grids (engine/src/synth, labelled generated); plus
//! the diff (what moves) after the edits. Writes the layer in metres as
//! WKT for the shapely anchor (benches/anchors/review.py: overlaps and gaps
//! per parent with an STRtree).
//!
//! usage: review_bench OUT_DIR demo DEMO_DIR ADMIN.geojson | review_bench OUT_DIR city GRIDS BUILDINGS_PER_GRID
//! (one JSON object on stdout)

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use geo::{BooleanOps, BoundingRect, Coord, MultiPolygon, Rect};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use wangge_benches::Res;
use wangge_engine::dataset::Dataset;
use wangge_engine::geometry::index::rect_union;
use wangge_engine::geometry::projection::LocalProjection;
use wangge_engine::model::{Building, Level, Unit, UnitId};
use wangge_engine::review::{DiffInputs, Overrides, ReviewConfig, Validator, diff};
use wangge_engine::synth::{BuildingSpec, generate_buildings};
use wangge_engine::units::integrity::IntegrityConfig;

/// The demo: units (real streets + generated levels), buildings, cameras and incidents as a dataset.
fn demo(dir: &Path, admin: &Path) -> Res<Dataset> {
    let mut d = Dataset::empty(IntegrityConfig::default());
    for l in wangge_benches::demo_layers(dir, admin)? {
        d.set(l).map_err(|e| e.to_string())?;
    }
    d.rebuild();
    Ok(d)
}

/// GRIDS generated grids in communities of 8 × 8 grids, with buildings.
fn city(grids: usize, per_grid: usize) -> (Vec<Unit>, Vec<Building>) {
    let mut g = wangge_benches::city(grids, 0, 1);
    let buildings = generate_buildings(&g, &BuildingSpec { per_leaf: per_grid, straddle_share: 0.02, seed: 1 });
    let key = |u: &Unit| {
        let mut it = u.id.0.trim_start_matches("grid-").split('-').map(|x| x.parse::<usize>().unwrap_or(0));
        let (r, c) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
        format!("c-{}-{}", r / 8, c / 8)
    };
    let mut members: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, u) in g.iter_mut().enumerate() {
        let k = key(u);
        u.parent = Some(UnitId(k.clone()));
        members.entry(k).or_default().push(i);
    }
    let mut units: Vec<Unit> = members
        .iter()
        .map(|(k, m)| Unit {
            id: UnitId(k.clone()),
            parent: None,
            level: Level("community".into()),
            name: format!("{k} (generated)"),
            geometry: geo::unary_union(m.iter().flat_map(|&i| g[i].geometry.0.iter())),
            attributes: Default::default(),
        })
        .collect();
    units.extend(g);
    (units, buildings)
}

/// Move one vertex of a unit of `level` by `metres`, in every unit holding that vertex (so neighbours stay seamless).
fn move_shared_vertex(units: &mut [Unit], level: &str, rng: &mut ChaCha8Rng, metres: f64) -> Vec<UnitId> {
    let cands: Vec<usize> = (0..units.len()).filter(|&i| units[i].level.0 == level).collect();
    let u = cands[rng.random_range(0..cands.len())];
    let ring = &units[u].geometry.0[0].exterior().0;
    let v: Coord<f64> = ring[rng.random_range(0..ring.len() - 1)];
    let (kx, ky) = LocalProjection::new(v.x, v.y).scale();
    let to = Coord { x: v.x + metres / kx, y: v.y + metres / ky };
    let mut changed = Vec::new();
    for unit in units.iter_mut() {
        if !unit.geometry.bounding_rect().is_some_and(|r| r.min().x <= v.x && v.x <= r.max().x && r.min().y <= v.y && v.y <= r.max().y) {
            continue;
        }
        let mut hit = false;
        for p in &mut unit.geometry.0 {
            p.exterior_mut(|r| {
                for c in &mut r.0 {
                    if *c == v {
                        *c = to;
                        hit = true;
                    }
                }
            });
            p.interiors_mut(|rs| {
                for r in rs {
                    for c in &mut r.0 {
                        if *c == v {
                            *c = to;
                            hit = true;
                        }
                    }
                }
            });
        }
        if hit {
            changed.push(unit.id.clone());
        }
    }
    changed
}

/// Split a random leaf by a north–south line through its middle.
fn split_leaf(units: &mut Vec<Unit>, rng: &mut ChaCha8Rng) -> Vec<UnitId> {
    let parents: std::collections::HashSet<&UnitId> = units.iter().filter_map(|u| u.parent.as_ref()).collect();
    let leaves: Vec<usize> = (0..units.len()).filter(|&i| !parents.contains(&units[i].id)).collect();
    let i = leaves[rng.random_range(0..leaves.len())];
    let Some(r) = units[i].geometry.bounding_rect() else { return Vec::new() };
    let c = r.center().x;
    let half = |x0: f64, x1: f64| MultiPolygon(vec![Rect::new((x0, r.min().y - 1.0), (x1, r.max().y + 1.0)).to_polygon()]);
    let mut b = units[i].clone();
    b.id = UnitId(format!("{}-split", b.id));
    b.geometry = units[i].geometry.intersection(&half(c, r.max().x + 1.0));
    units[i].geometry = units[i].geometry.intersection(&half(r.min().x - 1.0, c));
    let out = vec![units[i].id.clone(), b.id.clone()];
    units.push(b);
    out
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// CPU time of this thread in ms (Linux `/proc/thread-self/schedstat`), so that the figures of a
/// single-threaded phase hold on a machine shared with other jobs; 0 where unavailable.
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e6)
}

fn stats(mut v: Vec<f64>) -> Value {
    v.sort_by(f64::total_cmp);
    json!({ "median_ms": v[v.len() / 2], "max_ms": v[v.len() - 1], "runs": v.len() })
}

/// The layer in metres (one projection) as `id<TAB>parent<TAB>wkt` for the anchor.
fn write_wkt(path: &Path, units: &[Unit]) -> Res<()> {
    let bb = units.iter().filter_map(|u| u.geometry.bounding_rect()).reduce(rect_union).ok_or("no units")?;
    let proj = LocalProjection::for_rect(bb);
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "id\tparent\twkt")?;
    for u in units {
        let m = Unit { geometry: proj.project_multi(&u.geometry), ..u.clone() };
        writeln!(w, "{}\t{}\t{}", u.id, u.parent.as_ref().map_or("", |p| p.0.as_str()), wangge_benches::wkt(&m))?;
    }
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let (out, set) = match &args[..] {
        [_, out, set, ..] => (Path::new(out), set.as_str()),
        _ => {
            return Err(
                "usage: review_bench OUT_DIR demo DEMO_DIR ADMIN.geojson | review_bench OUT_DIR city GRIDS BUILDINGS_PER_GRID".into()
            );
        }
    };
    std::fs::create_dir_all(out)?;
    let (units, buildings, dataset, vertex_level) = match (set, &args[3..]) {
        ("demo", [dir, admin]) => {
            let d = demo(Path::new(dir), Path::new(admin))?;
            (d.hierarchy.units.clone(), d.buildings.clone(), Some(d), "grid")
        }
        ("city", [grids, per]) => {
            let (u, b) = city(grids.parse()?, per.parse()?);
            (u, b, None, "grid")
        }
        _ => return Err("unknown set or arguments".into()),
    };
    write_wkt(&out.join(format!("{set}-units.tsv")), &units)?;
    let ov = Overrides::new();
    let mut full = Vec::new();
    let mut base = None;
    for _ in 0..2 {
        let t = Instant::now();
        let v = Validator::new(units.clone(), &buildings, &ov, ReviewConfig::default())?;
        full.push(ms(t));
        base = Some(v);
    }
    let base = base.ok_or("no run")?;
    let cfg = base.config().clone();
    let mut rng = ChaCha8Rng::seed_from_u64(15);
    let mut edits = serde_json::Map::new();
    let mut last_edited = None;
    for kind in ["shared_vertex", "split_leaf", "reassign_building"] {
        let (mut hinted, mut detected, mut full_after, mut cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut changed_units = 0;
        for run in 0..7 {
            let mut layer = units.clone();
            let mut o = ov.clone();
            let changed = match kind {
                "shared_vertex" => move_shared_vertex(&mut layer, vertex_level, &mut rng, 12.0),
                "split_leaf" => split_leaf(&mut layer, &mut rng),
                _ => {
                    let b = &buildings[rng.random_range(0..buildings.len())];
                    let leaf = base
                        .hierarchy()
                        .units
                        .iter()
                        .rev()
                        .find(|u| base.hierarchy().children[base.hierarchy().get(&u.id).unwrap_or(0)].is_empty());
                    if let Some(l) = leaf {
                        o.insert(b.id.clone(), l.id.clone());
                    }
                    Vec::new()
                }
            };
            changed_units = changed.len();
            // the layer is handed over (moved) as the scenario store would; its copy is not timed
            let (mut v, copy) = (base.clone(), layer.clone());
            let (t, c) = (Instant::now(), cpu_ms());
            v.revalidate(copy, Some(&changed), &buildings, &o)?;
            hinted.push(ms(t));
            cpu.push(cpu_ms() - c);
            eprintln!("{set} {kind}: {:?}", v.stats());
            let (mut v2, copy) = (base.clone(), layer.clone());
            let t = Instant::now();
            v2.revalidate(copy, None, &buildings, &o)?;
            detected.push(ms(t));
            if run < 2 {
                let t = Instant::now();
                let f = Validator::new(layer.clone(), &buildings, &o, cfg.clone())?;
                full_after.push(ms(t));
                if f.report() != v.report() {
                    return Err(format!("{kind}: incremental and full reports differ").into());
                }
            }
            last_edited = Some(v);
        }
        edits.insert(
            kind.into(),
            json!({ "changed_units": changed_units, "incremental_hinted": stats(hinted), "incremental_hinted_cpu": stats(cpu), "incremental_detected": stats(detected), "full": stats(full_after) }),
        );
    }
    let mut diff_ms = Value::Null;
    if let (Some(d), Some(edited)) = (&dataset, &last_edited) {
        let cov = d.coverage();
        let t = Instant::now();
        let r = diff(&base, edited, &DiffInputs { buildings: &buildings, incidents: &d.incidents, coverage: Some(cov) })?;
        diff_ms = json!({ "ms": ms(t), "units_listed": r.units.len(), "moves": r.moves.len() });
    }
    let s = &base.report().summary;
    let by = |k: &str| s.by_kind.get(k).copied().unwrap_or(0);
    println!(
        "{}",
        json!({
            "set": set, "units": units.len(), "buildings": buildings.len(),
            "group_level": cfg.group_level.as_ref().map(|l| l.0.clone()),
            "findings": base.report().findings.len(), "overlaps": by("overlap"), "gaps": by("gap") + by("sliver"),
            "ab_pairs": base.report().ab.as_ref().map_or(0, |a| a.pairs_total),
            "full": stats(full), "edits": edits, "diff": diff_ms,
            "wkt": out.join(format!("{set}-units.tsv")).display().to_string(),
        })
    );
    Ok(())
}
