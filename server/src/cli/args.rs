//! Flags shared by several subcommands (store, level graph, integrity check) and the value enums of layer, CRS, format and weights.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use wangge_engine::geometry::crs::SourceCrs;
use wangge_engine::groups::abpost::PairWeight;
use wangge_engine::groups::adjacency::AdjacencyOptions;
use wangge_engine::model::LayerKind;
use wangge_engine::units::integrity::{IntegrityConfig, LoadNorm};

use super::CliError;
use crate::store::DEFAULT_DB;

/// The store.
#[derive(Debug, Args, Clone)]
pub struct DbArg {
    /// The store file (DuckDB), created if missing.
    #[arg(long, env = "WANGGE_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,
}

/// Which level's neighbour graph, and when two units touch.
#[derive(Debug, Args, Clone)]
pub struct GraphArgs {
    /// Level of the units, e.g. community or grid.
    #[arg(long, env = "WANGGE_LEVEL")]
    pub level: String,
    /// Boundaries closer than this (metres) touch.
    #[arg(long, env = "WANGGE_TOLERANCE", default_value_t = 2.0)]
    pub tolerance: f64,
    /// Shared length (metres) from which a contact is an edge, not a corner.
    #[arg(long, env = "WANGGE_MIN_SHARED", default_value_t = 1.0)]
    pub min_shared: f64,
}

impl GraphArgs {
    pub fn opts(&self) -> AdjacencyOptions {
        AdjacencyOptions { tolerance_m: self.tolerance, min_shared_m: self.min_shared }
    }
}

/// Settings of the integrity check (`check` and `serve`).
#[derive(Debug, Args, Clone)]
pub struct CheckArgs {
    /// Gap pieces narrower than this mean width (2·area/perimeter, metres) are slivers.
    #[arg(long, env = "WANGGE_SLIVER_WIDTH", default_value_t = 2.0)]
    pub sliver_width: f64,
    /// Households norm of a level, LEVEL=MIN..MAX (repeatable; default grid=300..500).
    #[arg(long = "norm", env = "WANGGE_NORM")]
    pub norms: Vec<String>,
}

impl CheckArgs {
    pub fn config(&self) -> Result<IntegrityConfig, CliError> {
        let mut c = IntegrityConfig { sliver_width_m: self.sliver_width, ..Default::default() };
        if self.sliver_width.is_nan() || self.sliver_width < 0.0 {
            return Err(CliError::SliverWidth(self.sliver_width));
        }
        if !self.norms.is_empty() {
            c.norms.clear();
        }
        for n in &self.norms {
            let syntax = || CliError::NormSyntax(n.clone());
            let (level, range) = n.split_once('=').ok_or_else(syntax)?;
            let (a, b) = range.split_once("..").ok_or_else(syntax)?;
            let (Ok(a), Ok(b)) = (a.trim().parse::<u64>(), b.trim().parse::<u64>()) else {
                return Err(CliError::NormNumbers(n.clone()));
            };
            c.norms.insert(level.trim().to_owned(), LoadNorm { min_households: a, max_households: b });
        }
        Ok(c)
    }
}

/// A stored layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayerArg {
    Units,
    Buildings,
    Cameras,
    Facilities,
    Incidents,
    Roads,
}

impl From<LayerArg> for LayerKind {
    fn from(l: LayerArg) -> LayerKind {
        match l {
            LayerArg::Units => LayerKind::Units,
            LayerArg::Buildings => LayerKind::Buildings,
            LayerArg::Cameras => LayerKind::Cameras,
            LayerArg::Facilities => LayerKind::Facilities,
            LayerArg::Incidents => LayerKind::Incidents,
            LayerArg::Roads => LayerKind::Roads,
        }
    }
}

/// The coordinate system of an imported file (converted to WGS84).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CrsArg {
    /// WGS84 lon/lat (GPS, OpenStreetMap).
    #[value(alias = "wgs-84", alias = "epsg:4326")]
    Wgs84,
    /// GCJ-02 (Amap, Tencent).
    #[value(alias = "gcj-02")]
    Gcj02,
    /// BD-09 (Baidu).
    #[value(alias = "bd-09")]
    Bd09,
}

impl From<CrsArg> for SourceCrs {
    fn from(c: CrsArg) -> SourceCrs {
        match c {
            CrsArg::Wgs84 => SourceCrs::Wgs84,
            CrsArg::Gcj02 => SourceCrs::Gcj02,
            CrsArg::Bd09 => SourceCrs::Bd09,
        }
    }
}

/// The format of an exported layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Geojson,
    Csv,
    /// GeoParquet 1.1 (a WKB `geometry` column with the `geo` metadata).
    Parquet,
    /// A PMTiles v3 archive of tile layers (`--layers`, `--minzoom`, `--maxzoom`).
    Pmtiles,
    /// A PMTiles v3 offline basemap: land from `--land`, water around it, the roads layer, unit labels.
    Basemap,
    /// A folder (`--out DIR`) a static server shows with no wangge: the offline page, its scripts,
    /// glyphs, the data archive of `--layers` (default: every static layer) and the basemap.
    Site,
}

/// How AB pairs are weighed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PairWeightArg {
    /// Length of the shared boundary.
    Shared,
    /// Closeness of the units' centres.
    Closeness,
}

impl From<PairWeightArg> for PairWeight {
    fn from(w: PairWeightArg) -> PairWeight {
        match w {
            PairWeightArg::Shared => PairWeight::Shared,
            PairWeightArg::Closeness => PairWeight::Closeness,
        }
    }
}
