//! The CRS an import converts from: the one given (`--crs`), else the one the
//! file declares, else WGS 84 — but a file whose coordinates cannot be lon/lat
//! and that says no CRS is refused, with the Gauss–Krüger zones they would fit.
//! Xi'an 1980 / Beijing 1954 need the seven parameters (`--towgs84`, or
//! TOWGS84 in the `.prj`).

use serde_json::Value;
use wangge_engine::geometry::epsg::fitting_zones;
use wangge_engine::geometry::georef::Crs;
use wangge_engine::geometry::validate::lonlat_in_range;

use super::{ImportFailure, ImportOptions, Parsed, Raw};

/// The CRS of a GeoJSON `crs` member (GeoJSON 2008: `{"type": "name", "properties": {"name": "EPSG:4549"}}`).
pub(super) fn geojson_member(c: Option<&Value>) -> Result<Option<Crs>, String> {
    let Some(c) = c.filter(|c| !c.is_null()) else { return Ok(None) };
    let name = c.pointer("/properties/name").and_then(Value::as_str).ok_or("the \"crs\" member has no properties.name")?;
    Crs::parse(name).map(Some).map_err(|e| format!("the \"crs\" member: {e}"))
}

/// The first coordinate of each of the first 100 features (geometry, else the lon/lat fields).
fn first_coordinates(raws: &[Raw], opts: &ImportOptions) -> Vec<(f64, f64)> {
    let field = |r: &Raw, canon: &str| -> Option<f64> {
        let name = opts.fields.get(canon).map_or(canon, String::as_str);
        match r.props.get(name)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    };
    raws.iter()
        .take(100)
        .filter_map(|r| match &r.geometry {
            Some(g) => g.first_position(),
            None => Some((field(r, "lon")?, field(r, "lat")?)),
        })
        .collect()
}

/// Whether the file's coordinates look projected: none of the first ones is
/// lon/lat and the first fits a Gauss–Krüger zone (then: which zones, in words).
/// A file with one bad coordinate among good ones is left to the per-feature checks.
fn looks_projected(raws: &[Raw], opts: &ImportOptions) -> Option<(f64, f64, String)> {
    let firsts = first_coordinates(raws, opts);
    let &(x, y) = firsts.first()?;
    if firsts.iter().any(|&(a, b)| lonlat_in_range(a, b)) {
        return None;
    }
    fitting_zones(x, y).map(|z| (x, y, z))
}

/// The CRS to convert `parsed` from; `name` is the file for messages.
pub(super) fn crs(opts: &ImportOptions, parsed: &Parsed, name: &str) -> Result<Crs, ImportFailure> {
    let fail = |problem: String| ImportFailure::File { path: name.to_owned(), problem };
    let declared = parsed.crs.as_ref().map(|(c, _)| *c);
    let mut c = match (opts.crs, declared) {
        (Some(given), _) => given,
        (None, Some(d)) => d,
        (None, None) => {
            if let Some((x, y, zones)) = looks_projected(&parsed.raws, opts) {
                return Err(fail(format!(
                    "the coordinates look projected (the first is [{x}, {y}], not longitude/latitude) and the file says no \
                     coordinate system; {zones}. Give it with --crs EPSG:NNNN"
                )));
            }
            Crs::default()
        }
    };
    if let Some(h) = opts.towgs84 {
        c = c.with_towgs84(h);
    }
    if c.needs_towgs84() {
        return Err(fail(format!(
            "{} needs the seven-parameter transformation to WGS 84 that the office uses: give --towgs84 dx,dy,dz,rx,ry,rz,ppm \
             (metres, arc-seconds, ppm; position vector convention, as PROJ +towgs84)",
            c.describe()
        )));
    }
    Ok(c)
}
