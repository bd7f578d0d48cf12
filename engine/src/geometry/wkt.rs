//! The coordinate system of a WKT text (a Shapefile's `.prj`, a GeoPackage's
//! `gpkg_spatial_ref_sys.definition`): WKT1 (OGC, GDAL and ESRI flavours) and
//! the common WKT2 keywords.
//!
//! Method: a recursive-descent parse into a keyword tree; then an EPSG
//! authority on the root is looked up (`epsg`), else the datum is recognised
//! by name or ellipsoid and a Transverse Mercator / Gauss–Krüger projection is
//! rebuilt from its parameters. Any other projection, or a linear unit other
//! than the metre, is refused by name. O(length of the text).

use super::crs::SourceCrs;
use super::ellipsoid::{self, Ellipsoid};
use super::georef::{Crs, Datum};
use super::helmert::Helmert;
use super::tmerc::TransverseMercator;

/// A WKT node: `KEYWORD[arg, …]`.
#[derive(Debug, Clone, PartialEq)]
struct Node {
    key: String,
    args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Text(String),
    Num(f64),
    Word(String),
    Node(Node),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn word(&mut self) -> String {
        let st = self.i;
        while self.i < self.s.len() && (self.s[self.i].is_ascii_alphanumeric() || b"_.+-".contains(&self.s[self.i])) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[st..self.i]).into_owned()
    }
    fn node(&mut self, depth: usize) -> Result<Node, String> {
        if depth > 32 {
            return Err("WKT nested too deeply".into());
        }
        self.ws();
        let key = self.word();
        if key.is_empty() {
            return Err(format!("WKT: expected a keyword at character {}", self.i));
        }
        self.ws();
        let mut args = Vec::new();
        if self.i < self.s.len() && (self.s[self.i] == b'[' || self.s[self.i] == b'(') {
            self.i += 1;
            loop {
                self.ws();
                match self.s.get(self.i) {
                    None => return Err("WKT: unclosed bracket".into()),
                    Some(b']' | b')') => {
                        self.i += 1;
                        break;
                    }
                    Some(b',') => self.i += 1,
                    Some(b'"') => {
                        self.i += 1;
                        let st = self.i;
                        // "" inside a quoted text is an escaped quote
                        while self.i < self.s.len() && !(self.s[self.i] == b'"' && self.s.get(self.i + 1) != Some(&b'"')) {
                            self.i += if self.s[self.i] == b'"' { 2 } else { 1 };
                        }
                        args.push(Arg::Text(String::from_utf8_lossy(&self.s[st..self.i.min(self.s.len())]).replace("\"\"", "\"")));
                        self.i += 1;
                    }
                    Some(c) if c.is_ascii_digit() || *c == b'-' || *c == b'+' || *c == b'.' => {
                        let w = self.word();
                        args.push(Arg::Num(w.parse().map_err(|_| format!("WKT: bad number {w:?}"))?));
                    }
                    Some(_) => {
                        let save = self.i;
                        let w = self.word();
                        self.ws();
                        if matches!(self.s.get(self.i), Some(b'[' | b'(')) {
                            self.i = save;
                            args.push(Arg::Node(self.node(depth + 1)?));
                        } else if w.is_empty() {
                            return Err(format!("WKT: unexpected character at {}", self.i));
                        } else {
                            args.push(Arg::Word(w));
                        }
                    }
                }
            }
        }
        Ok(Node { key: key.to_ascii_uppercase(), args })
    }
}

impl Node {
    fn children(&self) -> impl Iterator<Item = &Node> {
        self.args.iter().filter_map(|a| if let Arg::Node(n) = a { Some(n) } else { None })
    }
    fn child(&self, keys: &[&str]) -> Option<&Node> {
        self.children().find(|n| keys.contains(&n.key.as_str()))
    }
    fn name(&self) -> String {
        self.args.iter().find_map(|a| if let Arg::Text(t) = a { Some(t.clone()) } else { None }).unwrap_or_default()
    }
    fn nums(&self) -> Vec<f64> {
        self.args.iter().filter_map(|a| if let Arg::Num(x) = a { Some(*x) } else { None }).collect()
    }
    /// EPSG code of an `AUTHORITY["EPSG","4528"]` / `ID["EPSG",4528]` child.
    fn epsg(&self) -> Option<u32> {
        let a = self.child(&["AUTHORITY", "ID"])?;
        let org = a.name();
        if !org.eq_ignore_ascii_case("epsg") {
            return None;
        }
        a.args.iter().skip(1).find_map(|x| match x {
            Arg::Num(n) => Some(*n as u32),
            Arg::Text(t) => t.trim().parse().ok(),
            _ => None,
        })
    }
}

fn squash(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase()
}

fn datum_of(geog: &Node) -> Result<(Datum, Option<Helmert>), String> {
    let d = geog.child(&["DATUM", "GEODETICDATUM", "TRF"]).ok_or("WKT: the geographic CRS has no DATUM")?;
    let towgs84 = match d.child(&["TOWGS84"]) {
        Some(t) => {
            let v = t.nums().iter().map(f64::to_string).collect::<Vec<_>>().join(",");
            Some(Helmert::parse(&v)?).filter(|h| *h != Helmert { dx: 0.0, dy: 0.0, dz: 0.0, rx: 0.0, ry: 0.0, rz: 0.0, ds_ppm: 0.0 })
        }
        None => None,
    };
    let ell = d.child(&["SPHEROID", "ELLIPSOID"]).map(Node::nums).and_then(|v| (v.len() >= 2).then(|| Ellipsoid { a: v[0], rf: v[1] }));
    let n = squash(&d.name());
    let close = |e: Ellipsoid, k: Ellipsoid| (e.a - k.a).abs() < 1e-3 && (e.rf - k.rf).abs() < 1e-6;
    let datum = if n.contains("2000") && (n.contains("china") || n.contains("cgcs")) {
        Datum::Cgcs2000
    } else if n.contains("xian") || n.contains("1980") && n.contains("xi") {
        Datum::Xian1980
    } else if n.contains("beijing") {
        Datum::Beijing1954
    } else if n.contains("wgs84") || n.contains("wgs1984") || n.contains("worldgeodeticsystem1984") {
        Datum::Wgs84
    } else {
        match ell {
            Some(e) if close(e, ellipsoid::CGCS2000) => Datum::Cgcs2000,
            Some(e) if close(e, ellipsoid::WGS84) => Datum::Wgs84,
            Some(e) if close(e, ellipsoid::IAG1975) => Datum::Xian1980,
            Some(e) if close(e, ellipsoid::KRASSOWSKY) => Datum::Beijing1954,
            Some(e) => Datum::Other(e),
            None => return Err(format!("WKT: datum {:?} has no ellipsoid", d.name())),
        }
    };
    Ok((datum, towgs84))
}

/// The CRS a WKT text describes.
pub fn parse_crs(wkt: &str) -> Result<Crs, String> {
    let mut p = Parser { s: wkt.as_bytes(), i: 0 };
    let mut root = p.node(0)?;
    for _ in 0..2 {
        if matches!(root.key.as_str(), "COMPD_CS" | "COMPOUNDCRS" | "BOUNDCRS" | "SOURCECRS") {
            let first = root.children().next().cloned().ok_or("WKT: compound CRS without parts")?;
            root = first;
        }
    }
    let is_proj = matches!(root.key.as_str(), "PROJCS" | "PROJCRS" | "PROJECTEDCRS");
    let is_geog = matches!(root.key.as_str(), "GEOGCS" | "GEOGCRS" | "GEODCRS" | "GEOGRAPHICCRS" | "GEODETICCRS");
    if !is_proj && !is_geog {
        return Err(format!("WKT: {} is not a geographic or projected CRS", root.key));
    }
    let geog =
        if is_proj { root.child(&["GEOGCS", "BASEGEOGCRS", "BASEGEODCRS"]).ok_or("WKT: projected CRS without GEOGCS")? } else { &root };
    let (datum, towgs84) = datum_of(geog)?;
    if let Some(c) = root.epsg().and_then(super::epsg::lookup) {
        return Ok(match towgs84 {
            Some(h) => c.with_towgs84(h),
            None => c,
        });
    }
    if is_geog {
        return Ok(if datum == Datum::Wgs84 { Crs::Offset(SourceCrs::Wgs84) } else { Crs::Geodetic { datum, epsg: geog.epsg(), towgs84 } });
    }
    let method = root.child(&["PROJECTION"]).or_else(|| root.child(&["CONVERSION"]).and_then(|c| c.child(&["METHOD"])));
    let method_name = method.map(Node::name).unwrap_or_default();
    let m = squash(&method_name);
    if !(m.contains("transversemercator") || m.contains("gausskruger") || m.contains("gaussian")) {
        return Err(format!("WKT: projection {method_name:?} is not supported (wangge reads Transverse Mercator / Gauss-Krüger)"));
    }
    let params_of = |n: &Node| {
        n.children().filter(|c| c.key == "PARAMETER").map(|c| (squash(&c.name()), c.nums().first().copied())).collect::<Vec<_>>()
    };
    let mut params = params_of(&root);
    if let Some(conv) = root.child(&["CONVERSION"]) {
        params.extend(params_of(conv));
    }
    let get = |names: &[&str], default: f64| -> f64 {
        params.iter().find(|(k, _)| names.contains(&k.as_str())).and_then(|(_, v)| *v).unwrap_or(default)
    };
    if let Some(u) = root.child(&["UNIT", "LENGTHUNIT"]) {
        let f = u.nums().first().copied().unwrap_or(1.0);
        if (f - 1.0).abs() > 1e-9 {
            return Err(format!("WKT: linear unit {:?} ({f} m) is not supported: coordinates must be in metres", u.name()));
        }
    }
    let tm = TransverseMercator {
        ellipsoid: datum.ellipsoid(),
        lon0: get(&["centralmeridian", "longitudeofnaturalorigin", "longitudeoforigin", "longitudeofcenter"], 0.0),
        lat0: get(&["latitudeoforigin", "latitudeofnaturalorigin", "latitudeofcenter"], 0.0),
        k0: get(&["scalefactor", "scalefactoratnaturalorigin"], 1.0),
        false_easting: get(&["falseeasting"], 0.0),
        false_northing: get(&["falsenorthing"], 0.0),
    };
    Ok(Crs::Projected { datum, epsg: None, tm, towgs84 })
}

#[cfg(test)]
mod tests {
    use super::*;

    // pyproj 3.7: CRS.from_epsg(4549).to_wkt("WKT1_ESRI"), as pyshp/ArcGIS write .prj files
    const ESRI_4549: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    // pyproj 3.7: CRS.from_epsg(4528).to_wkt("WKT1_GDAL")
    const GDAL_4528: &str = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 40",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",120],PARAMETER["scale_factor",1],PARAMETER["false_easting",40500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4528"]]"#;

    #[test]
    fn esri_prj_rebuilds_the_zone() {
        let c = parse_crs(ESRI_4549).expect("parses");
        let Crs::Projected { datum, tm, epsg, .. } = c else { panic!("{c:?}") };
        assert_eq!((datum, epsg, tm.lon0, tm.false_easting, tm.k0), (Datum::Cgcs2000, None, 120.0, 500_000.0, 1.0));
        // the same transformation as EPSG:4549
        let (a, b) = (c.to_wgs84(523_456.7, 3_995_012.3), Crs::parse("EPSG:4549").and_then(|e| e.to_wgs84(523_456.7, 3_995_012.3)));
        assert_eq!(a, b);
    }

    #[test]
    fn gdal_authority_is_used() {
        assert_eq!(parse_crs(GDAL_4528).map(|c| c.code()), Ok("EPSG:4528".into()));
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        assert_eq!(parse_crs(wgs), Ok(Crs::Offset(SourceCrs::Wgs84)));
    }

    #[test]
    fn refuses_other_projections_and_units_by_name() {
        let merc = ESRI_4549.replace("Gauss_Kruger", "Mercator_Auxiliary_Sphere");
        assert!(parse_crs(&merc).is_err_and(|e| e.contains("Mercator_Auxiliary_Sphere")));
        let feet = ESRI_4549.replace(r#"UNIT["Meter",1.0]"#, r#"UNIT["Foot_US",0.3048006096012192]"#);
        assert!(parse_crs(&feet).is_err_and(|e| e.contains("Foot_US")));
        assert!(parse_crs("PROJCS[\"x\"").is_err());
        assert!(parse_crs("").is_err());
    }

    #[test]
    fn xian_with_towgs84_in_the_datum() {
        let w = r#"PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257],TOWGS84[24,-123,-94,0.02,-0.25,-0.13,1.1]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        let c = parse_crs(w).expect("parses");
        assert!(!c.needs_towgs84() && c.to_wgs84(523_456.0, 3_995_000.0).is_ok(), "{c:?}");
        let no = w.replace("TOWGS84[24,-123,-94,0.02,-0.25,-0.13,1.1]", "");
        assert!(parse_crs(&no).is_ok_and(|c| c.needs_towgs84()));
    }
}
