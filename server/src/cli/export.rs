//! `wangge export`: write the current version of a layer as GeoJSON, CSV or GeoParquet 1.1
//! (optionally hive-partitioned), or tile layers as a PMTiles archive.

use std::path::PathBuf;

use clap::Args;
use wangge_engine::model::LayerKind;
use wangge_engine::units::integrity::IntegrityConfig;

use super::output::write_json;
use super::{CliError, DbArg, ExportFormat, LayerArg};
use crate::export::geoparquet::{ExportError, Partition, write_layer};
use crate::geojson_out::layer_collection;
use crate::store::Store;

/// Flags of `wangge export`.
#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The layer to export (GeoJSON, CSV, Parquet).
    #[arg(long, env = "WANGGE_LAYER", value_enum)]
    pub layer: Option<LayerArg>,
    /// The file format.
    #[arg(long, env = "WANGGE_FORMAT", value_enum, default_value = "geojson")]
    pub format: ExportFormat,
    /// Output file (a folder with --partition).
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
    /// Parquet: split into a hive layout by H3 cell (point layers) and/or month (incidents), e.g. `h3:7,month`.
    #[arg(long, env = "WANGGE_PARTITION")]
    pub partition: Option<String>,
    /// PMTiles: the tile layers, comma-separated (as in /tiles/units,roads/…), e.g. `units,buildings,roads`.
    #[arg(long, env = "WANGGE_LAYERS", value_delimiter = ',')]
    pub layers: Vec<String>,
    /// PMTiles: the lowest zoom.
    #[arg(long, env = "WANGGE_MINZOOM", default_value_t = 10)]
    pub minzoom: u8,
    /// PMTiles: the highest zoom.
    #[arg(long, env = "WANGGE_MAXZOOM", default_value_t = 16)]
    pub maxzoom: u8,
}

fn bad(s: impl Into<String>) -> CliError {
    CliError::Export(ExportError::Bad(s.into()))
}

/// Run `wangge export`.
pub fn run(a: ExportArgs) -> Result<(), CliError> {
    let store = Store::open(&a.db.db)?;
    if a.format == ExportFormat::Pmtiles {
        if a.layer.is_some() {
            return Err(bad("--format pmtiles takes tile layers as --layers a,b,c, not --layer"));
        }
        let sources = crate::export::tiles::sources(&a.layers).map_err(bad)?;
        let d = crate::state::load(&store, IntegrityConfig::default())?;
        let (bytes, n) = crate::export::tiles::archive(&d, &sources, a.minzoom, a.maxzoom).map_err(bad)?;
        std::fs::write(&a.out, &bytes).map_err(CliError::io(&a.out))?;
        println!("exported {n} tiles of {} (z{}–{}) to {}", a.layers.join(","), a.minzoom, a.maxzoom, a.out.display());
        return Ok(());
    }
    let layer = a.layer.ok_or_else(|| bad(format!("--format {:?} exports one --layer", a.format)))?;
    if !a.layers.is_empty() {
        return Err(bad("--layers is for --format pmtiles; give one --layer"));
    }
    let kind = LayerKind::from(layer);
    let partition = match (&a.partition, a.format) {
        (None, _) => None,
        (Some(p), ExportFormat::Parquet) => Some(Partition::parse(p).map_err(bad)?),
        (Some(_), _) => return Err(bad("--partition is for --format parquet")),
    };
    match a.format {
        ExportFormat::Csv => store.copy_to(kind, &a.out, "csv")?,
        ExportFormat::Parquet => {
            let files = write_layer(&store.read_layer(kind)?, &a.out, partition)?;
            if partition.is_some() {
                println!("{} partition files", files.len());
            }
        }
        ExportFormat::Geojson => write_json(&a.out, &layer_collection(&store.read_layer(kind)?))?,
        ExportFormat::Pmtiles => {}
    }
    println!("exported {kind} to {}", a.out.display());
    Ok(())
}
