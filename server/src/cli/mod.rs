//! The `wangge` command line: import, export, check, versions, serve, gen.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use serde_json::Value;
use wangge_engine::dataset::Dataset;
use wangge_engine::geometry::crs::SourceCrs;
use wangge_engine::model::{LayerKind, Level, Unit};
use wangge_engine::synth;
use wangge_engine::units::integrity::{GapKind, IntegrityConfig, LoadNorm};

use crate::geojson_out;
use crate::graphs;
use crate::import::{ImportFailure, ImportOptions, Layer, parse_pairs, read_paths};
use crate::state::report_for_store;
use crate::store::{DEFAULT_DB, Store};
use crate::timefmt::format_time;

mod serve;

#[derive(Debug, Parser)]
#[command(name = "wangge", version, about = "网格 — spatial analytics for grid-based community governance")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct DbArg {
    /// The store file (DuckDB), created if missing.
    #[arg(long, env = "WANGGE_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct GraphArgs {
    /// Level of the units, e.g. community or grid.
    #[arg(long)]
    pub level: String,
    /// Boundaries closer than this (metres) touch.
    #[arg(long, default_value_t = 2.0)]
    pub tolerance: f64,
    /// Shared length (metres) from which a contact is an edge, not a corner.
    #[arg(long, default_value_t = 1.0)]
    pub min_shared: f64,
}

impl GraphArgs {
    fn opts(&self) -> wangge_engine::groups::adjacency::AdjacencyOptions {
        wangge_engine::groups::adjacency::AdjacencyOptions { tolerance_m: self.tolerance, min_shared_m: self.min_shared }
    }
}

#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Gap pieces narrower than this mean width (2·area/perimeter, metres) are slivers.
    #[arg(long, default_value_t = 2.0)]
    pub sliver_width: f64,
    /// Households norm of a level, LEVEL=MIN..MAX (repeatable; default grid=300..500).
    #[arg(long = "norm")]
    pub norms: Vec<String>,
}

impl CheckArgs {
    pub fn config(&self) -> Result<IntegrityConfig, String> {
        let mut c = IntegrityConfig { sliver_width_m: self.sliver_width, ..Default::default() };
        if self.sliver_width.is_nan() || self.sliver_width < 0.0 {
            return Err(format!("--sliver-width must be ≥ 0, got {}", self.sliver_width));
        }
        if !self.norms.is_empty() {
            c.norms.clear();
        }
        for n in &self.norms {
            let (level, range) = n.split_once('=').ok_or(format!("--norm {n:?}: expected LEVEL=MIN..MAX"))?;
            let (a, b) = range.split_once("..").ok_or(format!("--norm {n:?}: expected LEVEL=MIN..MAX"))?;
            let (Ok(a), Ok(b)) = (a.trim().parse::<u64>(), b.trim().parse::<u64>()) else {
                return Err(format!("--norm {n:?}: MIN and MAX must be whole numbers"));
            };
            c.norms.insert(level.trim().to_owned(), LoadNorm { min_households: a, max_households: b });
        }
        Ok(c)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import a layer from GeoJSON (or CSV for point layers) as a new version, all or nothing.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// units, buildings, cameras, facilities, incidents or roads.
        #[arg(long)]
        layer: String,
        /// Coordinate system of the file: wgs84, gcj02 or bd09 (converted to WGS84).
        #[arg(long, default_value = "wgs84")]
        crs: String,
        /// Map one of our fields to the file's name for it, e.g. floors=levels (repeatable).
        #[arg(long = "field")]
        fields: Vec<String>,
        /// A value for a field the file lacks, e.g. range=50 or kind=dome (repeatable).
        #[arg(long = "default")]
        defaults: Vec<String>,
        /// Zone of times written without one, e.g. +08:00.
        #[arg(long, default_value = "+08:00")]
        tz: String,
        /// Files; several files of one layer form one import.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Export the current version of a layer.
    Export {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        layer: String,
        /// geojson, csv or parquet.
        #[arg(long, default_value = "geojson")]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the hierarchy: children outside parents, overlaps, gaps and slivers, buildings, loads.
    Check {
        #[command(flatten)]
        db: DbArg,
        /// Print the full report as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        check: CheckArgs,
    },
    /// List stored layer versions.
    Versions {
        #[command(flatten)]
        db: DbArg,
    },
    /// Serve the API, the tiles and the map.
    Serve(serve::ServeArgs),
    /// The neighbour graph of a level: shared lengths, rook/queen, same or cross parent.
    Adjacency {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        graph: GraphArgs,
        /// Output file: .csv, .geojson (links) or .json.
        #[arg(long)]
        out: PathBuf,
    },
    /// Propose alliances (contiguous balanced groups), or validate given ones with --validate.
    Alliances {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        graph: GraphArgs,
        /// Number of groups (else it follows from the size range).
        #[arg(long)]
        count: Option<usize>,
        /// Units per group, at least.
        #[arg(long, default_value_t = 2)]
        min_size: usize,
        /// Units per group, at most.
        #[arg(long, default_value_t = 4)]
        max_size: usize,
        /// Balance by population, households or units.
        #[arg(long, default_value = "population")]
        weight: String,
        /// Every group must hold units of at least two parents (cross-street alliances).
        #[arg(long)]
        straddle: bool,
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Validate these alliances instead (CSV with columns group,unit, or JSON [[ids]]).
        #[arg(long)]
        validate: Option<PathBuf>,
        /// Output file: .csv (group,unit), .geojson (units with their group) or .json (figures).
        #[arg(long)]
        out: PathBuf,
    },
    /// AB-post pairs: a maximum-weight matching of neighbouring units.
    Abpairs {
        #[command(flatten)]
        db: DbArg,
        #[command(flatten)]
        graph: GraphArgs,
        /// Allow pairs across parent borders.
        #[arg(long)]
        across_parents: bool,
        /// Weigh pairs by shared boundary (shared) or closeness of centres (closeness).
        #[arg(long, default_value = "shared")]
        weight: String,
        /// Output file: .csv, .geojson (pair links) or .json.
        #[arg(long)]
        out: PathBuf,
    },
    /// Camera coverage per unit: open ground and facades seen, unseen buildings, camera density; gaps.
    Coverage {
        #[command(flatten)]
        db: DbArg,
        /// The unit to report (with everything under it); all units when absent.
        #[arg(long)]
        unit: Option<String>,
        /// Output file: .csv or .json (figures per unit), .geojson (uncovered open ground of the unit).
        #[arg(long)]
        out: PathBuf,
        /// Smallest gap piece written to .geojson (m²).
        #[arg(long, default_value_t = 25.0)]
        min_area: f64,
    },
    /// Generate deterministic data (labelled generated) for the demo or benchmarks.
    Gen {
        #[command(subcommand)]
        what: GenCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// Nested units, buildings, cameras, facilities and incidents inside real streets.
    Demo {
        /// Real district and street boundaries (GeoJSON units with id/parent_id/level/name).
        #[arg(long)]
        admin: PathBuf,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Communities per street, grids per community, building grids per grid.
        #[arg(long, default_value = "4,4,2")]
        split: String,
        #[arg(long, default_value_t = 2)]
        buildings_per_leaf: usize,
        #[arg(long, default_value_t = 20_000)]
        incidents: usize,
    },
    /// A synthetic city on a lattice for benchmarks.
    City {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 50_000)]
        grids: usize,
        #[arg(long, default_value_t = 1_000_000)]
        buildings: usize,
        /// Vertices per grid: 6 or about 90.
        #[arg(long, default_value_t = 6)]
        vertices: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Run the CLI; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match execute(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn layer_kind(s: &str) -> Result<LayerKind, String> {
    LayerKind::parse(s).ok_or_else(|| format!("unknown layer {s:?}: use units, buildings, cameras, facilities, incidents or roads"))
}

fn parse_tz(s: &str) -> Result<i64, String> {
    let bad = || format!("--tz {s:?}: expected ±HH:MM");
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 14 || m > 59 {
        return Err(bad());
    }
    Ok(sign * (h * 3600 + m * 60))
}

/// The bar shown while a layer of `len` features is written (hidden below 5,000).
fn write_bar(kind: LayerKind, len: usize) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressStyle};
    let pb = if len >= 5_000 { ProgressBar::new(len as u64) } else { ProgressBar::hidden() };
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(format!("writing {kind}"));
    pb
}

fn execute(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Import { db, layer, crs, fields, defaults, tz, paths } => {
            let kind = layer_kind(&layer)?;
            let mut opts = ImportOptions::new(kind);
            opts.crs = SourceCrs::parse(&crs).ok_or(format!("unknown --crs {crs:?}: use wgs84, gcj02 or bd09"))?;
            opts.fields = parse_pairs(&fields)?.into_iter().collect();
            opts.defaults = parse_pairs(&defaults)?
                .into_iter()
                .map(|(k, v)| {
                    let val =
                        v.parse::<f64>().ok().and_then(|n| serde_json::Number::from_f64(n).map(Value::Number)).unwrap_or(Value::String(v));
                    (k, val)
                })
                .collect::<HashMap<_, _>>();
            opts.tz_offset_s = parse_tz(&tz)?;
            let started = std::time::Instant::now();
            let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
            let parsed = read_paths(&refs, &opts).map_err(|e| match e {
                ImportFailure::File { .. } => e.to_string(),
                ImportFailure::Features { .. } => format!("import of {} failed: {e}", kind),
            })?;
            let mut store = Store::open(&db.db).map_err(|e| e.to_string())?;
            let source = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
            let with_report = matches!(kind, LayerKind::Units | LayerKind::Buildings);
            let cfg = IntegrityConfig::default();
            let n = parsed.len();
            let bar = write_bar(kind, n);
            let written = store.write_layer_with_progress(&parsed, &source, &crs, &mut |p| bar.set_position(p.written), |s| {
                if with_report { report_for_store(s, &cfg) } else { Ok(None) }
            });
            bar.finish_and_clear();
            let version = written.map_err(|e| format!("import of {kind} failed, nothing was written: {e}"))?;
            println!("imported {n} {kind} as version {version} into {} in {:.2} s", db.db.display(), started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Export { db, layer, format, out } => {
            let kind = layer_kind(&layer)?;
            let store = Store::open(&db.db).map_err(|e| e.to_string())?;
            match format.as_str() {
                "csv" | "parquet" => store.copy_to(kind, &out, &format).map_err(|e| e.to_string())?,
                "geojson" => {
                    let layer = store.read_layer(kind).map_err(|e| e.to_string())?;
                    write_json(&out, &layer_collection(&layer))?;
                }
                f => return Err(format!("unknown --format {f:?}: use geojson, csv or parquet")),
            }
            println!("exported {kind} to {}", out.display());
            Ok(())
        }
        Command::Check { db, json, check } => {
            let store = Store::open(&db.db).map_err(|e| e.to_string())?;
            let d = crate::state::load(&store, check.config()?).map_err(|e| e.to_string())?;
            let mut out = std::io::stdout().lock();
            if json {
                let mut v = serde_json::to_value(&d.report).map_err(|e| e.to_string())?;
                v["problems"] = geojson_out::collection(geojson_out::problem_features(&d));
                writeln!(out, "{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            } else {
                print_report(&mut out, &d).map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Command::Adjacency { db, graph, out } => {
            let d = load_units(&db)?;
            let g = graphs::level_graph(&d, &graph.level, graph.opts())?;
            let v = g.adjacency_json();
            write_out(&out, |ext, w| match ext {
                "csv" => g.adjacency_csv(w),
                "geojson" => json_to(w, &g.adjacency_geojson()),
                _ => json_to(w, &v),
            })?;
            let c = &v["counts"];
            println!(
                "{} units of level {}: {} neighbour pairs ({} rook, {} queen; {} same parent, {} cross parent), {} isolated → {}",
                v["units"],
                graph.level,
                c["pairs"],
                c["rook"],
                c["queen"],
                c["same_parent"],
                c["cross_parent"],
                c["isolated"],
                out.display()
            );
            Ok(())
        }
        Command::Alliances { db, graph, count, min_size, max_size, weight, straddle, seed, validate, out } => {
            let d = load_units(&db)?;
            let g = graphs::level_graph(&d, &graph.level, graph.opts())?;
            let by = graphs::WeightBy::parse(&weight)?;
            let v = match validate {
                Some(path) => g.validate(by, &graphs::read_groups(&path)?)?,
                None => {
                    let (min_size, max_size) = if count.is_some() { (1, usize::MAX) } else { (min_size, max_size) };
                    g.propose(by, &wangge_engine::groups::alliance::AllianceSpec { groups: count, min_size, max_size, straddle, seed })?
                }
            };
            write_out(&out, |ext, w| match ext {
                "csv" => {
                    let mut c = csv::Writer::from_writer(w);
                    c.write_record(["group", "unit", "name"])?;
                    for gr in v["groups"].as_array().into_iter().flatten() {
                        let names = gr["names"].as_array().cloned().unwrap_or_default();
                        for (m, n) in gr["members"].as_array().into_iter().flatten().zip(names) {
                            c.write_record([
                                gr["group"].to_string(),
                                m.as_str().unwrap_or("").to_owned(),
                                n.as_str().unwrap_or("").to_owned(),
                            ])?;
                        }
                    }
                    c.flush()
                }
                "geojson" => json_to(w, &g.alliances_geojson(&v)),
                _ => json_to(w, &v),
            })?;
            println!(
                "{} groups of level {} by {}: max deviation {:.1} %, Polsby-Popper mean {} (min {}) → {}",
                v["groups"].as_array().map_or(0, Vec::len),
                graph.level,
                weight,
                v["max_deviation"].as_f64().unwrap_or(0.0) * 100.0,
                v["mean_polsby_popper"],
                v["min_polsby_popper"],
                out.display()
            );
            for p in v["problems"].as_array().into_iter().flatten() {
                println!("  problem: {}", p.as_str().unwrap_or(""));
            }
            Ok(())
        }
        Command::Abpairs { db, graph, across_parents, weight, out } => {
            let d = load_units(&db)?;
            let g = graphs::level_graph(&d, &graph.level, graph.opts())?;
            let opts = wangge_engine::groups::abpost::AbOptions { within_parent: !across_parents, weight: graphs::pair_weight(&weight)? };
            let r = g.ab_pairs(&opts);
            write_out(&out, |ext, w| match ext {
                "csv" => g.ab_csv(&r, w),
                "geojson" => json_to(w, &g.ab_geojson(&r)),
                _ => json_to(w, &g.ab_json(&r, &opts)),
            })?;
            println!(
                "{} pairs of {} units of level {} ({:.0} m shared in all), {} without a partner → {}",
                r.pairs.len(),
                g.units.len(),
                graph.level,
                r.total_shared_m,
                r.unmatched.len(),
                out.display()
            );
            Ok(())
        }
        Command::Coverage { db, unit, out, min_area } => {
            let store = Store::open(&db.db).map_err(|e| e.to_string())?;
            let kinds = [LayerKind::Units, LayerKind::Buildings, LayerKind::Cameras];
            let d = crate::state::load_layers(&store, &kinds, IntegrityConfig::default()).map_err(|e| e.to_string())?;
            if d.hierarchy.is_empty() {
                return Err(format!("{}: no units stored (import a units layer first)", db.db.display()));
            }
            let h = &d.hierarchy;
            let top = match &unit {
                Some(id) => Some(h.get(&wangge_engine::model::UnitId(id.clone())).ok_or_else(|| format!("no unit with id {id}"))?),
                None => None,
            };
            let t = std::time::Instant::now();
            let cov = d.coverage();
            let secs = t.elapsed().as_secs_f64();
            let chosen: Vec<usize> = (0..h.len()).filter(|&i| top.is_none_or(|t| h.chain(i).contains(&t))).collect();
            write_out(&out, |ext, w| match ext {
                "csv" => {
                    let mut c = csv::Writer::from_writer(w);
                    c.write_record([
                        "id",
                        "name",
                        "level",
                        "ground_m2",
                        "covered_m2",
                        "ground_share",
                        "facade_m",
                        "facade_seen_m",
                        "facade_share",
                        "buildings",
                        "buildings_unseen",
                        "households_unseen",
                        "cameras",
                        "cameras_per_km2",
                    ])?;
                    for &i in &chosen {
                        let (u, x) = (&h.units[i], &cov.units[i]);
                        c.write_record([
                            u.id.0.clone(),
                            u.name.clone(),
                            u.level.0.clone(),
                            format!("{:.1}", x.ground_m2),
                            format!("{:.1}", x.covered_m2),
                            format!("{:.4}", x.ground_share),
                            format!("{:.1}", x.facade_m),
                            format!("{:.1}", x.facade_seen_m),
                            format!("{:.4}", x.facade_share),
                            x.buildings.to_string(),
                            x.buildings_unseen.to_string(),
                            x.households_unseen.to_string(),
                            x.cameras.to_string(),
                            format!("{:.1}", x.cameras_per_km2),
                        ])?;
                    }
                    c.flush()
                }
                "geojson" => {
                    let roots: Vec<usize> = match top {
                        Some(t) => vec![t],
                        None => (0..h.len()).filter(|&i| h.parent[i].is_none()).collect(),
                    };
                    let f = roots
                        .iter()
                        .flat_map(|&r| cov.gap_polygons(&d, r, min_area))
                        .map(|(p, a)| {
                            geojson_out::feature(
                                &geo::Geometry::Polygon(p),
                                serde_json::Map::from_iter([("area_m2".into(), serde_json::json!((a * 10.0).round() / 10.0))]),
                            )
                        })
                        .collect();
                    json_to(w, &geojson_out::collection(f))
                }
                _ => {
                    let list: Vec<Value> = chosen
                        .iter()
                        .map(|&i| {
                            let mut v = serde_json::to_value(&cov.units[i]).unwrap_or(Value::Null);
                            v["id"] = serde_json::json!(h.units[i].id.0);
                            v["name"] = serde_json::json!(h.units[i].name);
                            v["level"] = serde_json::json!(h.units[i].level.0);
                            v
                        })
                        .collect();
                    json_to(w, &serde_json::json!({"mode": "2.5d", "units": list}))
                }
            })?;
            let root = top.unwrap_or_else(|| (0..h.len()).find(|&i| h.parent[i].is_none()).unwrap_or(0));
            let x = &cov.units[root];
            println!(
                "{} cameras, {}: open ground covered {:.1} % of {:.0} m², facades seen {:.1} %, {} buildings ({} households) with no facade seen; computed in {secs:.2} s → {}",
                d.cameras.len(),
                h.units[root].name,
                x.ground_share * 100.0,
                x.ground_m2,
                x.facade_share * 100.0,
                x.buildings_unseen,
                x.households_unseen,
                out.display()
            );
            Ok(())
        }
        Command::Versions { db } => {
            let store = Store::open(&db.db).map_err(|e| e.to_string())?;
            for v in store.versions().map_err(|e| e.to_string())? {
                println!(
                    "{:<11} v{:<3} {:>9} features  {}  {}",
                    v.layer,
                    v.version,
                    v.features,
                    v.created_at,
                    v.source.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Serve(args) => serve::run(args).map_err(|e| e.to_string()),
        Command::Gen { what } => match what {
            GenCommand::Demo { admin, out, seed, split, buildings_per_leaf, incidents } => {
                gen_demo(&admin, &out, seed, &split, buildings_per_leaf, incidents)
            }
            GenCommand::City { out, grids, buildings, vertices, seed } => gen_city(&out, grids, buildings, vertices, seed),
        },
    }
}

fn print_report(out: &mut impl Write, d: &Dataset) -> std::io::Result<()> {
    let r = &d.report;
    let s = &r.summary;
    writeln!(
        out,
        "integrity of {} units ({} levels: {})",
        s.units,
        d.hierarchy.levels.len(),
        d.hierarchy.levels.iter().map(|l| l.0.as_str()).collect::<Vec<_>>().join(" > ")
    )?;
    writeln!(out, "  children outside their parent: {} ({:.1} m²)", s.outside_parent, s.outside_parent_m2)?;
    writeln!(out, "  overlapping siblings:          {} pairs ({:.1} m²)", s.overlaps, s.overlap_m2)?;
    writeln!(out, "  gaps inside parents:           {} ({:.1} m²)", s.gaps, s.gap_m2)?;
    writeln!(out, "  slivers (< {} m wide):         {} ({:.1} m²)", r.sliver_width_m, s.slivers, s.sliver_m2)?;
    writeln!(out, "  buildings: {} — in no leaf {}, cut by a boundary {}", s.buildings, s.buildings_unassigned, s.buildings_cut)?;
    writeln!(out, "  units over their norm {}, under {}", s.units_over_norm, s.units_under_norm)?;
    let mut gaps: Vec<_> = r.gaps.iter().filter(|g| g.kind == GapKind::Gap).collect();
    gaps.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    for g in gaps.iter().take(10) {
        writeln!(out, "  gap in {}: {:.1} m², mean width {:.1} m", g.parent, g.area_m2, g.width_m)?;
    }
    for o in r.overlaps.iter().take(10) {
        writeln!(out, "  overlap {} × {}: {:.1} m²", o.a, o.b, o.area_m2)?;
    }
    for o in r.outside_parent.iter().take(10) {
        writeln!(out, "  {} outside {}: {:.1} m²", o.unit, o.parent, o.area_m2)?;
    }
    Ok(())
}

fn write_json(path: &Path, v: &Value) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    serde_json::to_writer(&mut w, v).map_err(|e| format!("{}: {e}", path.display()))?;
    w.flush().map_err(|e| format!("{}: {e}", path.display()))
}

pub use crate::geojson_out::layer_collection;

fn community_name(parent: &str, k: usize) -> String {
    format!("{}第{}社区", parent.trim_end_matches("街道"), k)
}
fn grid_name(parent: &str, k: usize) -> String {
    format!("{}{}号网格", parent.trim_end_matches("社区"), k)
}
fn building_grid_name(parent: &str, k: usize) -> String {
    format!("{}-{}楼栋网格", parent.trim_end_matches("网格"), k)
}

fn gen_demo(admin: &Path, out: &Path, seed: u64, split: &str, per_leaf: usize, n_incidents: usize) -> Result<(), String> {
    let opts = ImportOptions::new(LayerKind::Units);
    let Layer::Units(real) = crate::import::read_path(admin, &opts).map_err(|e| e.to_string())? else {
        return Err("admin file is not a units layer".into());
    };
    let parts: Vec<usize> = split
        .split(',')
        .map(|s| s.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("--split {split:?}: expected three numbers like 5,6,3"))?;
    let [c, g, b] = parts[..] else {
        return Err(format!("--split {split:?}: expected three numbers like 5,6,3"));
    };
    let h = wangge_engine::units::hierarchy::Hierarchy::build(real.clone()).map_err(|e| format!("{e:?}"))?;
    let leaves: Vec<Unit> = h.leaves().into_iter().map(|i| h.units[i].clone()).collect();
    let specs = [
        synth::LevelSpec { level: Level("community".into()), per_parent: c, name: community_name },
        synth::LevelSpec { level: Level("grid".into()), per_parent: g, name: grid_name },
        synth::LevelSpec { level: Level("building_grid".into()), per_parent: b, name: building_grid_name },
    ];
    let generated = synth::nest_levels(&leaves, &specs, seed);
    let communities: Vec<Unit> = generated.iter().filter(|u| u.level.0 == "community").cloned().collect();
    let grids: Vec<Unit> = generated.iter().filter(|u| u.level.0 == "grid").cloned().collect();
    let bgrids: Vec<Unit> = generated.iter().filter(|u| u.level.0 == "building_grid").cloned().collect();
    let buildings = synth::generate_buildings(&bgrids, &synth::BuildingSpec { per_leaf, straddle_share: 0.04, seed: seed ^ 0xB });
    let cameras = synth::generate_cameras(&buildings, 0.5, seed ^ 0xC);
    let facilities = synth::generate_facilities(&communities, &grids, seed ^ 0xF);
    let from = crate::timefmt::parse_time("2026-01-01", 8 * 3600).unwrap_or(0);
    let to = crate::timefmt::parse_time("2026-11-01", 8 * 3600).unwrap_or(0);
    let incidents = synth::generate_incidents(&buildings, &bgrids, &synth::IncidentSpec { count: n_incidents, from, to, seed: seed ^ 0x1 });
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    write_json(&out.join("units.geojson"), &layer_collection(&Layer::Units(generated.clone())))?;
    write_json(&out.join("buildings.geojson"), &layer_collection(&Layer::Buildings(buildings.clone())))?;
    write_json(&out.join("cameras.geojson"), &layer_collection(&Layer::Cameras(cameras.clone())))?;
    write_json(&out.join("facilities.geojson"), &layer_collection(&Layer::Facilities(facilities.clone())))?;
    let mut w = csv::Writer::from_path(out.join("incidents.csv")).map_err(|e| e.to_string())?;
    w.write_record(["id", "occurred_at", "category", "status", "resolved_level", "lon", "lat", "generated"]).map_err(|e| e.to_string())?;
    for i in &incidents {
        let rl = i.attributes.get("resolved_level").and_then(Value::as_str).unwrap_or("");
        w.write_record([
            i.id.as_str(),
            &format_time(i.occurred_at),
            &i.category,
            &i.status,
            rl,
            &format!("{:.7}", i.position.x()),
            &format!("{:.7}", i.position.y()),
            "true",
        ])
        .map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())?;
    println!(
        "generated (seed {seed}) into {}: {} communities, {} grids, {} building grids, {} buildings, {} cameras, {} facilities, {} incidents",
        out.display(),
        communities.len(),
        grids.len(),
        bgrids.len(),
        buildings.len(),
        cameras.len(),
        facilities.len(),
        incidents.len()
    );
    Ok(())
}

fn gen_city(out: &Path, grids: usize, buildings: usize, vertices: usize, seed: u64) -> Result<(), String> {
    let cols = ((grids as f64 * 1.25).sqrt().ceil() as usize).max(1);
    let rows = grids.div_ceil(cols).max(1);
    let densify = if vertices >= 12 { (vertices - 6) / 6 } else { 0 };
    let units = synth::lattice_units(&synth::LatticeSpec { cols, rows, cell_m: 300.0, densify, seed, origin: (120.2, 36.0) });
    let per_leaf = buildings.div_ceil(units.len().max(1));
    let b = synth::generate_buildings(&units, &synth::BuildingSpec { per_leaf, straddle_share: 0.02, seed });
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    write_json(&out.join("grids.geojson"), &layer_collection(&Layer::Units(units.clone())))?;
    write_json(&out.join("buildings.geojson"), &layer_collection(&Layer::Buildings(b.clone())))?;
    println!(
        "generated {} grids ({} vertices each), {} buildings into {} (seed {seed})",
        units.len(),
        6 + 6 * densify,
        b.len(),
        out.display()
    );
    Ok(())
}

/// Units and buildings (for populations) from the store.
fn load_units(db: &DbArg) -> Result<Dataset, String> {
    let store = Store::open(&db.db).map_err(|e| e.to_string())?;
    let d = crate::state::load_layers(&store, &[LayerKind::Units, LayerKind::Buildings], IntegrityConfig::default())
        .map_err(|e| e.to_string())?;
    if d.hierarchy.is_empty() {
        return Err(format!("{}: no units stored (import a units layer first)", db.db.display()));
    }
    Ok(d)
}

fn json_to(w: &mut dyn Write, v: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, v).map_err(std::io::Error::other)?;
    writeln!(w)
}

/// Write an output file, choosing the format by its extension (csv, geojson, json).
fn write_out(path: &Path, f: impl FnOnce(&str, &mut dyn Write) -> std::io::Result<()>) -> Result<(), String> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !["csv", "geojson", "json"].contains(&ext.as_str()) {
        return Err(format!("--out {}: use a .csv, .geojson or .json file", path.display()));
    }
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    f(&ext, &mut w).map_err(|e| format!("{}: {e}", path.display()))?;
    w.flush().map_err(|e| format!("{}: {e}", path.display()))
}
