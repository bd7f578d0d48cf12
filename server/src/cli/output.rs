//! Writing a subcommand's output file: JSON, or CSV/GeoJSON/JSON chosen by the file's extension.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::CliError;

/// Write a value as JSON to a file, creating its directory.
pub fn write_json(path: &Path, v: &impl Serialize) -> Result<(), CliError> {
    create_parent(path)?;
    let f = std::fs::File::create(path).map_err(CliError::io(path))?;
    let mut w = std::io::BufWriter::new(f);
    serde_json::to_writer(&mut w, v).map_err(|e| CliError::io(path)(e.into()))?;
    w.flush().map_err(CliError::io(path))
}

/// One JSON document and a newline.
pub fn json_to(w: &mut dyn Write, v: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *w, v).map_err(std::io::Error::other)?;
    writeln!(w)
}

/// The output formats of `--out`, by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    Csv,
    Geojson,
    Json,
}

/// Write an output file, choosing the format by its extension (csv, geojson, json).
pub fn write_out(path: &Path, f: impl FnOnce(OutFormat, &mut dyn Write) -> std::io::Result<()>) -> Result<(), CliError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let format = match ext.as_str() {
        "csv" => OutFormat::Csv,
        "geojson" => OutFormat::Geojson,
        "json" => OutFormat::Json,
        _ => return Err(CliError::OutExtension(path.to_owned())),
    };
    create_parent(path)?;
    let file = std::fs::File::create(path).map_err(CliError::io(path))?;
    let mut w = std::io::BufWriter::new(file);
    f(format, &mut w).map_err(CliError::io(path))?;
    w.flush().map_err(CliError::io(path))
}

fn create_parent(path: &Path) -> Result<(), CliError> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
    }
    Ok(())
}
