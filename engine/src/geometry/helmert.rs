//! Seven-parameter (Bursa–Wolf) datum shift to WGS 84, for Xi'an 1980 and
//! Beijing 1954 coordinates whose office gives the parameters.
//!
//! Method: geodetic → geocentric on the source ellipsoid, the similarity
//! transformation X' = T + (1 + s)·R·X with small-angle rotations in the
//! *position vector* convention (EPSG method 1033/9606, WKT1 `TOWGS84`, PROJ
//! `+towgs84`), then geocentric → geodetic on WGS 84. Parameters given in the
//! coordinate frame convention (EPSG 1032/9607) are the same with the three
//! rotations negated. O(1) per point. Reference: EPSG Guidance Note 7-2 §4.4.3.

use super::ellipsoid::{Ellipsoid, WGS84};

/// TOWGS84 parameters: translations in metres, rotations in arc-seconds
/// (position vector convention), scale difference in parts per million.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Helmert {
    pub dx: f64,
    pub dy: f64,
    pub dz: f64,
    pub rx: f64,
    pub ry: f64,
    pub rz: f64,
    pub ds_ppm: f64,
}

impl Helmert {
    /// Parse `dx,dy,dz[,rx,ry,rz,ds]` (3 or 7 numbers, as in `+towgs84=`).
    pub fn parse(s: &str) -> Result<Helmert, String> {
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("TOWGS84 {s:?}: expected 3 or 7 comma-separated numbers"))?;
        match v[..] {
            [dx, dy, dz] => Ok(Helmert { dx, dy, dz, rx: 0.0, ry: 0.0, rz: 0.0, ds_ppm: 0.0 }),
            [dx, dy, dz, rx, ry, rz, ds_ppm] => Ok(Helmert { dx, dy, dz, rx, ry, rz, ds_ppm }),
            _ => Err(format!("TOWGS84 {s:?}: expected 3 or 7 numbers, got {}", v.len())),
        }
    }

    /// Apply to a geocentric point.
    pub fn apply(&self, p: [f64; 3]) -> [f64; 3] {
        let sec = std::f64::consts::PI / (180.0 * 3600.0);
        let (rx, ry, rz) = (self.rx * sec, self.ry * sec, self.rz * sec);
        let m = 1.0 + self.ds_ppm * 1e-6;
        let [x, y, z] = p;
        [self.dx + m * (x - rz * y + ry * z), self.dy + m * (rz * x + y - rx * z), self.dz + m * (-ry * x + rx * y + z)]
    }

    /// (lon, lat) in degrees on `source` → WGS 84 (lon, lat), height taken as 0.
    pub fn to_wgs84(&self, source: Ellipsoid, lon: f64, lat: f64) -> (f64, f64) {
        let (lo, la, _) = WGS84.to_geodetic(self.apply(source.to_geocentric(lon, lat, 0.0)));
        (lo, la)
    }
}

#[cfg(test)]
mod tests {
    use super::super::ellipsoid::{IAG1975, KRASSOWSKY};
    use super::super::tmerc::TransverseMercator;
    use super::*;

    #[derive(serde::Deserialize)]
    struct Oracle {
        ellipsoid: String,
        lon0: f64,
        towgs84: Vec<f64>,
        x: f64,
        y: f64,
        lon: f64,
        lat: f64,
    }

    /// Gauss–Krüger on Xi'an 1980 / Beijing 1954 + TOWGS84 → WGS 84, against
    /// PROJ (benches/oracles/crs_points.py): within 1 cm (1e-7° ≈ 1 cm).
    #[test]
    fn gauss_kruger_with_towgs84_matches_pyproj() {
        let pts: Vec<Oracle> = serde_json::from_str(include_str!("../../tests/fixtures/helmert_pyproj.json")).expect("oracle json");
        assert!(pts.len() >= 100);
        for p in &pts {
            let el = if p.ellipsoid == "iag1975" { IAG1975 } else { KRASSOWSKY };
            let tw = p.towgs84.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
            let h = Helmert::parse(&tw).expect("params");
            let (lon, lat) = TransverseMercator::gauss_kruger(el, p.lon0, 500_000.0).inverse(p.x, p.y);
            let (lon, lat) = h.to_wgs84(el, lon, lat);
            assert!((lon - p.lon).abs() < 1e-7 && (lat - p.lat).abs() < 1e-7, "{lon} {lat} vs {} {}", p.lon, p.lat);
        }
    }

    #[test]
    fn parses_three_or_seven() {
        assert!(Helmert::parse("1,2,3").is_ok());
        assert!(Helmert::parse("1,2,3,4,5,6,7").is_ok());
        assert!(Helmert::parse("1,2").is_err());
        assert!(Helmert::parse("1,2,x").is_err());
    }
}
