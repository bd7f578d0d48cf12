//! `wangge export`: write the current version of a layer as GeoJSON, CSV or Parquet.

use std::path::PathBuf;

use clap::Args;
use wangge_engine::model::LayerKind;

use super::output::write_json;
use super::{CliError, DbArg, ExportFormat, LayerArg};
use crate::geojson_out::layer_collection;
use crate::store::Store;

/// Flags of `wangge export`.
#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The layer to export.
    #[arg(long, env = "WANGGE_LAYER", value_enum)]
    pub layer: LayerArg,
    /// The file format.
    #[arg(long, env = "WANGGE_FORMAT", value_enum, default_value = "geojson")]
    pub format: ExportFormat,
    /// Output file.
    #[arg(long, env = "WANGGE_OUT")]
    pub out: PathBuf,
}

/// Run `wangge export`.
pub fn run(a: ExportArgs) -> Result<(), CliError> {
    let kind = LayerKind::from(a.layer);
    let store = Store::open(&a.db.db)?;
    match a.format {
        ExportFormat::Csv => store.copy_to(kind, &a.out, "csv")?,
        ExportFormat::Parquet => store.copy_to(kind, &a.out, "parquet")?,
        ExportFormat::Geojson => write_json(&a.out, &layer_collection(&store.read_layer(kind)?))?,
    }
    println!("exported {kind} to {}", a.out.display());
    Ok(())
}
