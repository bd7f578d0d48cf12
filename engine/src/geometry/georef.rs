//! The coordinate system of an imported file and the conversion of its
//! coordinates to WGS 84 lon/lat: the Chinese offsets (GCJ-02, BD-09, see
//! `crs`), geodetic datums (CGCS2000 taken as WGS 84; Xi'an 1980 and Beijing
//! 1954 through a seven-parameter shift) and Gauss–Krüger projections on them.
//!
//! Method: projected → inverse transverse Mercator (`tmerc`) → geodetic on the
//! datum's ellipsoid → Bursa–Wolf shift (`helmert`) unless the datum is
//! CGCS2000 or WGS 84. CGCS2000 and WGS 84 (G1762+) agree within a few
//! centimetres (both ITRF-aligned; CGCS2000 is ITRF97 at epoch 2000.0), far
//! below the accuracy of the data we import, so no shift is applied and the
//! import says so. O(1) per coordinate. Projected x is the easting.

use super::crs::SourceCrs;
use super::ellipsoid::{self, Ellipsoid};
use super::helmert::Helmert;
use super::tmerc::TransverseMercator;
use super::validate::lonlat_in_range;

/// A geodetic datum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Datum {
    Wgs84,
    Cgcs2000,
    Xian1980,
    Beijing1954,
    /// Another ellipsoid (from a `.prj`), usable only with TOWGS84 parameters.
    Other(Ellipsoid),
}

impl Datum {
    pub fn ellipsoid(self) -> Ellipsoid {
        match self {
            Datum::Wgs84 => ellipsoid::WGS84,
            Datum::Cgcs2000 => ellipsoid::CGCS2000,
            Datum::Xian1980 => ellipsoid::IAG1975,
            Datum::Beijing1954 => ellipsoid::KRASSOWSKY,
            Datum::Other(e) => e,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Datum::Wgs84 => "WGS 84",
            Datum::Cgcs2000 => "CGCS2000",
            Datum::Xian1980 => "Xian 1980",
            Datum::Beijing1954 => "Beijing 1954",
            Datum::Other(_) => "an unnamed datum",
        }
    }

    /// Whether coordinates on this datum are WGS 84 lon/lat without a shift.
    fn is_wgs84_like(self) -> bool {
        matches!(self, Datum::Wgs84 | Datum::Cgcs2000)
    }
}

/// The coordinate system of a file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Crs {
    /// WGS 84 lon/lat, or the GCJ-02 / BD-09 offsets of it.
    Offset(SourceCrs),
    /// Lon/lat on a datum (CGCS2000 EPSG:4490, Xi'an 1980 EPSG:4610, Beijing 1954 EPSG:4214).
    Geodetic { datum: Datum, epsg: Option<u32>, towgs84: Option<Helmert> },
    /// Transverse Mercator (Gauss–Krüger) easting/northing on a datum.
    Projected { datum: Datum, epsg: Option<u32>, tm: TransverseMercator, towgs84: Option<Helmert> },
}

impl Default for Crs {
    fn default() -> Self {
        Crs::Offset(SourceCrs::Wgs84)
    }
}

impl From<SourceCrs> for Crs {
    fn from(s: SourceCrs) -> Crs {
        Crs::Offset(s)
    }
}

impl Crs {
    /// `wgs84`, `gcj02`, `bd09`, `cgcs2000`, `EPSG:NNNN` (or a bare code, or
    /// `urn:ogc:def:crs:EPSG::NNNN`, or `urn:ogc:def:crs:OGC:1.3:CRS84`).
    pub fn parse(s: &str) -> Result<Crs, String> {
        let t = s.trim();
        if let Some(c) = SourceCrs::parse(t) {
            return Ok(Crs::Offset(c));
        }
        let lower = t.to_ascii_lowercase();
        if lower == "cgcs2000" || lower.ends_with("crs84") || lower.ends_with(":crs:84") {
            let code = if lower == "cgcs2000" { 4490 } else { 4326 };
            return super::epsg::lookup(code).ok_or_else(|| format!("crs {s:?}"));
        }
        let digits = lower.rsplit([':', '/']).next().unwrap_or("");
        let code: u32 = digits.parse().map_err(|_| format!("unknown CRS {s:?}: use wgs84, gcj02, bd09, cgcs2000 or EPSG:NNNN"))?;
        if !(lower.contains("epsg") || lower == digits) {
            return Err(format!("unknown CRS {s:?}: use EPSG:NNNN"));
        }
        super::epsg::lookup(code).ok_or_else(|| {
            format!(
                "EPSG:{code} is not a coordinate system wangge converts: it reads WGS 84 (4326), CGCS2000 (4490) and its \
                 Gauss-Krüger zones (4491–4554), Xi'an 1980 (4610, 2327–2390) and Beijing 1954 (4214, 21413–21463, 2401–2442)"
            )
        })
    }

    /// A short code for the store's record: `wgs84`, `gcj02`, `EPSG:4549`, `tmerc:120E+500000`.
    pub fn code(&self) -> String {
        match self {
            Crs::Offset(s) => s.as_str().to_owned(),
            Crs::Geodetic { epsg: Some(c), .. } | Crs::Projected { epsg: Some(c), .. } => format!("EPSG:{c}"),
            Crs::Geodetic { datum, .. } => datum.name().to_owned(),
            Crs::Projected { datum, tm, .. } => format!("{} tmerc {}E+{}", datum.name(), tm.lon0, tm.false_easting),
        }
    }

    /// Words for logs and errors, e.g. `EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)`.
    pub fn describe(&self) -> String {
        let named = |c: &Option<u32>| c.and_then(|c| super::epsg::name(c).map(|n| format!("EPSG:{c} ({n})")));
        match self {
            Crs::Offset(s) => s.as_str().to_uppercase(),
            Crs::Geodetic { datum, epsg, .. } => named(epsg).unwrap_or_else(|| format!("{} lon/lat", datum.name())),
            Crs::Projected { datum, epsg, tm, .. } => named(epsg).unwrap_or_else(|| {
                format!("{} transverse Mercator, central meridian {}°, false easting {} m", datum.name(), tm.lon0, tm.false_easting)
            }),
        }
    }

    pub fn is_projected(&self) -> bool {
        matches!(self, Crs::Projected { .. })
    }

    fn datum(&self) -> Datum {
        match self {
            Crs::Offset(_) => Datum::Wgs84,
            Crs::Geodetic { datum, .. } | Crs::Projected { datum, .. } => *datum,
        }
    }

    /// Whether this CRS needs seven parameters it does not have.
    pub fn needs_towgs84(&self) -> bool {
        let tw = match self {
            Crs::Offset(_) => return false,
            Crs::Geodetic { towgs84, .. } | Crs::Projected { towgs84, .. } => towgs84,
        };
        !self.datum().is_wgs84_like() && tw.is_none()
    }

    /// The same CRS with TOWGS84 parameters (ignored for WGS 84 lon/lat and the offsets).
    pub fn with_towgs84(self, h: Helmert) -> Crs {
        match self {
            Crs::Geodetic { datum, epsg, .. } => Crs::Geodetic { datum, epsg, towgs84: Some(h) },
            Crs::Projected { datum, epsg, tm, .. } => Crs::Projected { datum, epsg, tm, towgs84: Some(h) },
            other => other,
        }
    }

    /// What the import should say about this CRS, if anything.
    pub fn note(&self) -> Option<String> {
        match self.datum() {
            Datum::Cgcs2000 => Some(format!(
                "{} is read as WGS 84: CGCS2000 and WGS 84 agree within a few centimetres, below the accuracy of the data, so no datum shift is applied",
                self.describe()
            )),
            d if !d.is_wgs84_like() => Some(format!("{} shifted to WGS 84 with the seven TOWGS84 parameters given", self.describe())),
            _ => None,
        }
    }

    /// Convert one coordinate (x, y as stored in the file) to WGS 84 (lon, lat).
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), String> {
        if !(x.is_finite() && y.is_finite()) {
            return Err(format!("coordinate is not a finite number: [{x}, {y}]"));
        }
        let shift = |datum: Datum, towgs84: &Option<Helmert>, lon: f64, lat: f64| -> Result<(f64, f64), String> {
            if datum.is_wgs84_like() {
                return Ok((lon, lat));
            }
            let h = towgs84.ok_or_else(|| format!("{} needs seven TOWGS84 parameters (--towgs84) to reach WGS 84", datum.name()))?;
            Ok(h.to_wgs84(datum.ellipsoid(), lon, lat))
        };
        match self {
            Crs::Offset(s) => {
                if !lonlat_in_range(x, y) {
                    return Err(format!("coordinate out of range: [{x}, {y}] (longitude must be in [-180, 180], latitude in [-90, 90])"));
                }
                Ok(s.to_wgs84(x, y))
            }
            Crs::Geodetic { datum, towgs84, .. } => {
                if !lonlat_in_range(x, y) {
                    return Err(format!("coordinate out of range for {}: [{x}, {y}]", self.describe()));
                }
                shift(*datum, towgs84, x, y)
            }
            Crs::Projected { datum, tm, towgs84, .. } => {
                let (lon, lat) = tm.inverse(x, y);
                // a zone is valid a few degrees either side of its meridian
                if !((lon - tm.lon0).abs() <= 6.0 && (-85.0..=85.0).contains(&lat)) {
                    return Err(format!(
                        "coordinate [{x}, {y}] lies outside {} (it would be lon {lon:.3}, lat {lat:.3}; x must be the easting)",
                        self.describe()
                    ));
                }
                shift(*datum, towgs84, lon, lat)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_codes() {
        assert_eq!(Crs::parse("wgs84"), Ok(Crs::Offset(SourceCrs::Wgs84)));
        assert_eq!(Crs::parse("GCJ-02"), Ok(Crs::Offset(SourceCrs::Gcj02)));
        assert_eq!(Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84"), Ok(Crs::Offset(SourceCrs::Wgs84)));
        assert_eq!(Crs::parse("EPSG:4549").map(|c| c.code()), Ok("EPSG:4549".to_owned()));
        assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG::4528").map(|c| c.code()), Ok("EPSG:4528".to_owned()));
        assert!(Crs::parse("cgcs2000").is_ok_and(|c| c.note().is_some()));
        assert!(Crs::parse("EPSG:3857").is_err_and(|e| e.contains("4491–4554")));
        assert!(Crs::parse("mars").is_err());
    }

    #[test]
    fn projected_checks_its_zone_and_datum() {
        let c = Crs::parse("EPSG:4549").expect("known");
        let (lon, lat) = c.to_wgs84(523_456.0, 3_995_000.0).expect("inside");
        assert!((lon - 120.26).abs() < 0.01 && (lat - 36.09).abs() < 0.01, "{lon} {lat}");
        assert!(c.to_wgs84(3_995_000.0, 523_456.0).is_err_and(|e| e.contains("easting")));
        let x80 = Crs::parse("EPSG:2385").expect("Xi'an 1980 CM 120E");
        assert!(x80.needs_towgs84());
        assert!(x80.to_wgs84(523_456.0, 3_995_000.0).is_err_and(|e| e.contains("--towgs84")));
        let h = Helmert::parse("24,-123,-94,0.02,-0.25,-0.13,1.1").expect("params");
        assert!(x80.with_towgs84(h).to_wgs84(523_456.0, 3_995_000.0).is_ok());
    }
}
