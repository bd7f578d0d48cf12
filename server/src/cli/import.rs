//! `wangge import`: read files into a validated layer and store it as a new version, all or nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;
use wangge_engine::dataset::Dataset;
use wangge_engine::geometry::georef::Crs;
use wangge_engine::geometry::helmert::Helmert;
use wangge_engine::model::{Building, Layer, LayerKind};
use wangge_engine::units::assign::assign_buildings;
use wangge_engine::units::integrity::{IntegrityConfig, check};

use super::{CliError, DbArg, LayerArg};
use crate::import::text::encoding_for;
use crate::import::{ImportFailure, ImportOptions, import_paths, parse_pairs};
use crate::state::report_for_store;
use crate::store::{Store, StoreError};

/// Flags of `wangge import`.
#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The layer the files hold.
    #[arg(long, env = "WANGGE_LAYER", value_enum)]
    pub layer: LayerArg,
    /// Coordinate system of the file (converted to WGS84): wgs84, gcj02, bd09, cgcs2000 or EPSG:NNNN
    /// (CGCS2000 4490 and its Gauss-Krüger zones 4491–4554; Xi'an 1980 2327–2390; Beijing 1954
    /// 21413–21463, 2401–2442). Default: what the file declares (.prj, GeoJSON "crs", GeoPackage, GeoParquet), else wgs84.
    #[arg(long, env = "WANGGE_CRS", value_parser = parse_crs)]
    pub crs: Option<Box<Crs>>,
    /// Seven-parameter shift to WGS84 for Xi'an 1980 / Beijing 1954: dx,dy,dz,rx,ry,rz,ppm
    /// (metres, arc-seconds, ppm; position vector convention, as PROJ +towgs84).
    #[arg(long, env = "WANGGE_TOWGS84", value_parser = parse_towgs84, allow_hyphen_values = true)]
    pub towgs84: Option<Box<Helmert>>,
    /// Text encoding of the files: utf-8, gbk or gb18030. Default: the Shapefile's .cpg, else detected.
    #[arg(long, env = "WANGGE_ENCODING", value_parser = parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// The layer to read from a GeoPackage with several tables, or a folder / zip with several Shapefiles.
    #[arg(long, env = "WANGGE_SOURCE_LAYER")]
    pub source_layer: Option<String>,
    /// Map one of our fields to the file's name for it, e.g. floors=levels (repeatable).
    #[arg(long = "field", env = "WANGGE_FIELD")]
    pub fields: Vec<String>,
    /// A value for a field the file lacks, e.g. range=50 or kind=dome (repeatable).
    #[arg(long = "default", env = "WANGGE_DEFAULT")]
    pub defaults: Vec<String>,
    /// Zone of times written without one, e.g. +08:00.
    #[arg(long, env = "WANGGE_TZ", default_value = "+08:00")]
    pub tz: String,
    /// Files: GeoJSON, CSV, a Shapefile (.shp, a folder or a .zip), a GeoPackage or GeoParquet; several files of one layer form one import.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

fn parse_crs(s: &str) -> Result<Box<Crs>, String> {
    Crs::parse(s).map(Box::new)
}

fn parse_towgs84(s: &str) -> Result<Box<Helmert>, String> {
    Helmert::parse(s).map(Box::new)
}

fn parse_encoding(s: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_for(s).ok_or_else(|| format!("unknown encoding {s:?}: use utf-8, gbk or gb18030"))
}

/// Parse a zone offset `±HH:MM` into seconds east of UTC.
pub fn parse_tz(s: &str) -> Result<i64, CliError> {
    let bad = || CliError::Tz(s.to_owned());
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

/// The import options the flags describe; `--default` values that read as numbers are numbers.
fn options(a: &ImportArgs) -> Result<ImportOptions, CliError> {
    let mut opts = ImportOptions::new(a.layer.into());
    opts.crs = a.crs.as_deref().copied();
    opts.towgs84 = a.towgs84.as_deref().copied();
    opts.encoding = a.encoding;
    opts.source_layer = a.source_layer.clone();
    opts.fields = parse_pairs(&a.fields)?.into_iter().collect();
    opts.defaults = parse_pairs(&a.defaults)?
        .into_iter()
        .map(|(k, v)| {
            let val = v.parse::<f64>().ok().and_then(|n| serde_json::Number::from_f64(n).map(Value::Number)).unwrap_or(Value::String(v));
            (k, val)
        })
        .collect::<HashMap<_, _>>();
    opts.tz_offset_s = parse_tz(&a.tz)?;
    Ok(opts)
}

/// Run `wangge import`.
pub fn run(a: ImportArgs) -> Result<(), CliError> {
    let kind = LayerKind::from(a.layer);
    let opts = options(&a)?;
    let started = std::time::Instant::now();
    let refs: Vec<&Path> = a.paths.iter().map(PathBuf::as_path).collect();
    let imported = import_paths(&refs, &opts).map_err(|e| match e {
        ImportFailure::File { .. } => CliError::ImportFile(e),
        ImportFailure::Features { .. } => CliError::ImportFeatures { kind, source: e },
    })?;
    let mut store = Store::open(&a.db.db)?;
    let source = a.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
    let with_report = matches!(kind, LayerKind::Units | LayerKind::Buildings);
    let cfg = IntegrityConfig::default();
    for note in &imported.notes {
        eprintln!("note: {note}");
        tracing::info!(note = %note, "import");
    }
    let parsed = imported.layer;
    let n = parsed.len();
    let crs_code = imported.crs.code();
    let crs = crs_code.as_str();
    let bar = write_bar(kind, n);
    // the buildings' integrity report needs only the stored units and the buildings in hand:
    // it is computed on its own thread while the rows are written, and joined inside the transaction
    let units = match &parsed {
        Layer::Buildings(b) => Some((b, stored_units(&store, &cfg).map_err(|source| CliError::Write { kind, source })?)),
        _ => None,
    };
    let written = std::thread::scope(|scope| {
        let pending = units.as_ref().map(|(b, u)| scope.spawn(|| buildings_report(u, b, &cfg)));
        store.write_layer_with_progress(&parsed, &source, crs, &mut |p| bar.set_position(p.written), |s| match pending {
            Some(thread) => {
                let json = thread.join().map_err(|_| StoreError::Corrupt("the integrity report's thread failed".into()))??;
                let versions = s.current_versions()?;
                let version = |k| versions.get(&k).copied().unwrap_or(0);
                Ok(Some((version(LayerKind::Units), version(LayerKind::Buildings), json)))
            }
            None if with_report => report_for_store(s, &cfg),
            None => Ok(None),
        })
    });
    bar.finish_and_clear();
    let version = written.map_err(|source| CliError::Write { kind, source })?;
    println!("imported {n} {kind} as version {version} into {} in {:.2} s", a.db.db.display(), started.elapsed().as_secs_f64());
    Ok(())
}

/// The store's current units as a dataset (its hierarchy), for a buildings import's report.
fn stored_units(store: &Store, cfg: &IntegrityConfig) -> Result<Dataset, StoreError> {
    let mut d = Dataset::empty(cfg.clone());
    if store.current_versions()?.contains_key(&LayerKind::Units) {
        d.set(store.read_layer(LayerKind::Units)?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    }
    Ok(d)
}

/// The integrity report (JSON) of `units` once `buildings` are the current buildings: what
/// [`report_for_store`] computes, from the buildings in hand rather than read back.
fn buildings_report(units: &Dataset, buildings: &[Building], cfg: &IntegrityConfig) -> Result<String, StoreError> {
    let h = &units.hierarchy;
    let assignment = assign_buildings(h, buildings);
    let report = check(h, buildings, &assignment, cfg);
    serde_json::to_string(&report).map_err(|e| StoreError::Corrupt(e.to_string()))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_offsets() {
        assert_eq!(parse_tz("+08:00").ok(), Some(8 * 3600));
        assert_eq!(parse_tz("-03:30").ok(), Some(-(3 * 3600 + 30 * 60)));
        for bad in ["08:00", "+8", "+15:00", "+08:60", "", "+aa:bb"] {
            assert!(matches!(parse_tz(bad), Err(CliError::Tz(_))), "{bad}");
        }
    }
}
