//! Which reader a path needs: a folder or `.zip` (a Shapefile in it), `.shp`,
//! `.gpkg`, `.parquet` (GeoParquet), `.csv`, else GeoJSON; text files decoded by `text`.

use std::path::Path;

use super::text::{Chosen, decode_file};
use super::{ImportFailure, ImportOptions, Parsed, geoparquet, gpkg, parse_text, shapefile};

fn ext_is(p: &Path, e: &str) -> bool {
    p.extension().is_some_and(|x| x.eq_ignore_ascii_case(e))
}

/// Read one path into raw features.
pub(super) fn read(p: &Path, opts: &ImportOptions) -> Result<Parsed, ImportFailure> {
    let name = p.display().to_string();
    let fail = |problem: String| ImportFailure::File { path: name.clone(), problem };
    // messages from the readers start with the file they concern
    let whole = |problem: String| {
        let rest = problem.strip_prefix(&format!("{name}: ")).map(str::to_owned);
        ImportFailure::File { path: name.clone(), problem: rest.unwrap_or(problem) }
    };
    let layer = opts.source_layer.as_deref();
    if p.is_dir() {
        return shapefile::from_dir(p, layer).and_then(|parts| shapefile::parse(parts, opts)).map_err(whole);
    }
    if ext_is(p, "zip") {
        return shapefile::from_zip(p, layer).and_then(|parts| shapefile::parse(parts, opts)).map_err(whole);
    }
    if ext_is(p, "shp") {
        return shapefile::from_shp(p).and_then(|parts| shapefile::parse(parts, opts)).map_err(whole);
    }
    if ext_is(p, "gpkg") {
        return gpkg::parse(p, layer).map_err(whole);
    }
    if ext_is(p, "parquet") || ext_is(p, "geoparquet") {
        return geoparquet::parse(p).map_err(whole);
    }
    if ext_is(p, "fgb") {
        return Err(fail("FlatGeobuf is not read: convert with `ogr2ogr -f GPKG out.gpkg FILE` (or to GeoParquet)".into()));
    }
    let bytes = std::fs::read(p).map_err(|e| fail(format!("cannot read: {e}")))?;
    let given = opts.encoding.map(|encoding| Chosen { encoding, from: "given by --encoding" });
    let (text, note) = decode_file(&bytes, &name, given).map_err(whole)?;
    let mut parsed = parse_text(&text, ext_is(p, "csv"), &name, opts)?;
    parsed.notes.extend(note);
    Ok(parsed)
}
