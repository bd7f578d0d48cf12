//! `wangge export`: write the current version of a layer as GeoJSON, CSV or GeoParquet 1.1
//! (optionally hive-partitioned), tile layers as a PMTiles archive, the offline basemap as one,
//! or an offline folder holding both and the page that shows them.

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
    /// Basemap and site: the land polygons (GeoJSON, OSM boundaries with `name`s) the basemap draws.
    #[arg(long, env = "WANGGE_LAND", default_value = "data/qingdao/land.geojson")]
    pub land: PathBuf,
}

fn bad(s: impl Into<String>) -> CliError {
    CliError::Export(ExportError::Bad(s.into()))
}

/// Run `wangge export`.
pub fn run(a: ExportArgs) -> Result<(), CliError> {
    let store = Store::open(&a.db.db)?;
    if matches!(a.format, ExportFormat::Pmtiles | ExportFormat::Basemap | ExportFormat::Site) {
        return tile_export(&store, a);
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
        ExportFormat::Pmtiles | ExportFormat::Basemap | ExportFormat::Site => {}
    }
    println!("exported {kind} to {}", a.out.display());
    Ok(())
}

/// The tile exports: a PMTiles archive of `--layers`, the basemap archive, or the offline folder.
fn tile_export(store: &Store, a: ExportArgs) -> Result<(), CliError> {
    use crate::export::{basemap, site, tiles};
    let name = format!("{:?}", a.format).to_lowercase();
    if a.layer.is_some() {
        return Err(bad(format!("--format {name} takes tile layers as --layers a,b,c, not --layer")));
    }
    let d = crate::state::load(store, IntegrityConfig::default())?;
    let zooms = format!("z{}–{}", a.minzoom, a.maxzoom);
    let base = |d: &wangge_engine::dataset::Dataset| -> Result<(Vec<u8>, usize), CliError> {
        let land = basemap::read_land(&a.land).map_err(bad)?;
        let b = basemap::build(d, land).map_err(bad)?;
        basemap::archive(&b, d, a.minzoom, a.maxzoom).map_err(bad)
    };
    match a.format {
        ExportFormat::Basemap => {
            if !a.layers.is_empty() {
                return Err(bad("--format basemap draws its own layers (land, water, roads, places): leave out --layers"));
            }
            let (bytes, n) = base(&d)?;
            std::fs::write(&a.out, &bytes).map_err(CliError::io(&a.out))?;
            println!("exported the basemap: {n} tiles ({zooms}) to {}", a.out.display());
        }
        ExportFormat::Site => {
            let layers: Vec<String> = if a.layers.is_empty() {
                crate::tiles::source::static_layers().map(|s| s.name().to_owned()).collect()
            } else {
                a.layers.clone()
            };
            let sources = tiles::sources(&layers).map_err(bad)?;
            let (data, n) = tiles::archive(&d, &sources, a.minzoom, a.maxzoom).map_err(bad)?;
            let (basemap, nb) = base(&d)?;
            let w = site::write(&a.out, &data, &basemap, &layers).map_err(bad)?;
            println!(
                "exported the offline site to {}: {} files, {} bytes ({n} data tiles of {}, {nb} basemap tiles, {zooms}); \
                 serve the folder with any static server, e.g. `python3 -m http.server -d {}`",
                a.out.display(),
                w.files,
                w.bytes,
                layers.join(","),
                a.out.display()
            );
        }
        _ => {
            let sources = tiles::sources(&a.layers).map_err(bad)?;
            let (bytes, n) = tiles::archive(&d, &sources, a.minzoom, a.maxzoom).map_err(bad)?;
            std::fs::write(&a.out, &bytes).map_err(CliError::io(&a.out))?;
            println!("exported {n} tiles of {} ({zooms}) to {}", a.layers.join(","), a.out.display());
        }
    }
    Ok(())
}
