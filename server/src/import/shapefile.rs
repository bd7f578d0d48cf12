//! A Shapefile given as its `.shp`, a folder or a `.zip`: its parts found
//! (`.shp`, `.dbf`, `.prj`, `.cpg`; `.shx` is not needed), the CRS read from
//! the `.prj`, the encoding from `--encoding`, the `.cpg` or the DBF language
//! driver (else detected), and the records turned into features.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::text::{Chosen, encoding_for};
use super::{ImportOptions, Parsed, Raw, dbf, shp};
use wangge_engine::geometry::wkt;

/// The bytes of one Shapefile's parts; `name` is how errors call it.
pub struct Parts {
    name: String,
    shp: Vec<u8>,
    dbf: Option<Vec<u8>>,
    prj: Option<Vec<u8>>,
    cpg: Option<Vec<u8>>,
}

fn read_file(p: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))
}

/// The `.shp` to use among several, by `--source-layer` (the file's stem).
fn choose<'a>(stems: &'a [String], where_: &str, layer: Option<&str>) -> Result<&'a String, String> {
    match (stems, layer) {
        ([], _) => Err(format!("{where_}: no .shp file in it")),
        (_, Some(l)) => stems
            .iter()
            .find(|s| s.eq_ignore_ascii_case(l) || s.rsplit('/').next().is_some_and(|b| b.eq_ignore_ascii_case(l)))
            .ok_or_else(|| format!("{where_}: no Shapefile named {l:?}; it has {}", stems.join(", "))),
        ([one], None) => Ok(one),
        (_, None) => Err(format!("{where_}: several Shapefiles ({}); choose one with --source-layer NAME", stems.join(", "))),
    }
}

/// The sibling of `shp` with extension `ext` (either case), if it exists.
fn sibling(shp: &Path, ext: &str) -> Result<Option<Vec<u8>>, String> {
    for e in [ext.to_owned(), ext.to_ascii_uppercase()] {
        let p = shp.with_extension(e);
        if p.is_file() {
            return read_file(&p).map(Some);
        }
    }
    Ok(None)
}

/// A `.shp` path and its siblings.
pub fn from_shp(path: &Path) -> Result<Parts, String> {
    Ok(Parts {
        name: path.display().to_string(),
        shp: read_file(path)?,
        dbf: sibling(path, "dbf")?,
        prj: sibling(path, "prj")?,
        cpg: sibling(path, "cpg")?,
    })
}

/// The one Shapefile in a folder (or the one `--source-layer` names).
pub fn from_dir(dir: &Path, layer: Option<&str>) -> Result<Parts, String> {
    let mut stems = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: cannot list: {e}", dir.display()))? {
        let p = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("shp")) {
            stems.push(p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default());
        }
    }
    stems.sort();
    let stem = choose(&stems, &dir.display().to_string(), layer)?;
    let shp = ["shp", "SHP"].iter().map(|x| dir.join(format!("{stem}.{x}"))).find(|p| p.is_file()).unwrap_or_else(|| dir.join(stem));
    from_shp(&shp)
}

/// The one Shapefile in a `.zip` (folders inside are fine).
pub fn from_zip(path: &Path, layer: Option<&str>) -> Result<Parts, String> {
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    let mut z = zip::ZipArchive::new(f).map_err(|e| format!("{name}: not a readable zip: {e}"))?;
    // lower-case path without extension → extension → bytes
    let mut files: BTreeMap<String, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for i in 0..z.len() {
        let mut e = z.by_index(i).map_err(|e| format!("{name}: entry {i}: {e}"))?;
        let entry = String::from_utf8_lossy(e.name_raw()).into_owned();
        let Some((stem, ext)) = entry.rsplit_once('.') else { continue };
        let ext = ext.to_ascii_lowercase();
        if !["shp", "dbf", "prj", "cpg"].contains(&ext.as_str()) || e.is_dir() {
            continue;
        }
        let mut b = Vec::new();
        e.read_to_end(&mut b).map_err(|err| format!("{name}: {entry}: {err}"))?;
        files.entry(stem.to_owned()).or_default().insert(ext, b);
    }
    let stems: Vec<String> = files.iter().filter(|(_, m)| m.contains_key("shp")).map(|(s, _)| s.clone()).collect();
    let stem = choose(&stems, &name, layer)?.clone();
    let mut m = files.remove(&stem).unwrap_or_default();
    Ok(Parts {
        name: format!("{name}!{stem}.shp"),
        shp: m.remove("shp").unwrap_or_default(),
        dbf: m.remove("dbf"),
        prj: m.remove("prj"),
        cpg: m.remove("cpg"),
    })
}

/// The features of a Shapefile, the CRS its `.prj` declares and notes.
pub fn parse(p: Parts, opts: &ImportOptions) -> Result<Parsed, String> {
    let base = p.name.strip_suffix(".shp").or_else(|| p.name.strip_suffix(".SHP")).unwrap_or(&p.name).to_owned();
    let dbf_name = format!("{base}.dbf");
    let dbf_bytes = p.dbf.ok_or_else(|| format!("{}: the .dbf with the attributes is missing ({dbf_name})", p.name))?;
    let mut given = opts.encoding.map(|encoding| Chosen { encoding, from: "given by --encoding" });
    if given.is_none()
        && let Some(c) = &p.cpg
    {
        let label = String::from_utf8_lossy(c).trim().to_owned();
        let encoding = encoding_for(&label).ok_or_else(|| {
            format!("{base}.cpg names the encoding {label:?}, which wangge does not read (UTF-8, GBK, GB18030); give --encoding")
        })?;
        given = Some(Chosen { encoding, from: "named by the .cpg" });
    }
    let crs = match &p.prj {
        Some(b) => {
            let w = String::from_utf8_lossy(b);
            Some((wkt::parse_crs(&w).map_err(|e| format!("{base}.prj: {e}"))?, format!("{base}.prj")))
        }
        None => None,
    };
    let geoms = shp::read(&p.shp, &p.name)?;
    let (records, note) = dbf::read(&dbf_bytes, &dbf_name, given)?;
    if geoms.len() != records.len() {
        return Err(format!("{}: {} shapes but {dbf_name} has {} records", p.name, geoms.len(), records.len()));
    }
    let raws = geoms
        .into_iter()
        .zip(records)
        .enumerate()
        .filter_map(|(index, (geometry, props))| props.map(|props| Raw { index, props, geometry }))
        .collect();
    Ok(Parsed { raws, crs, notes: note.into_iter().collect() })
}
