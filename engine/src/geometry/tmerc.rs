//! Transverse Mercator on an ellipsoid (Gauss–Krüger), forward and inverse.
//!
//! Method: Krüger's series in the third flattening n to order n⁶, as given
//! by Karney, "Transverse Mercator with an accuracy of a few nanometers",
//! J. Geodesy 85 (2011), eqs. (7), (11), (35), (36). Within 4° of the central
//! meridian (every Chinese 3° and 6° zone) the truncation error is below
//! 5 nm; the conformal latitude is inverted by fixed-point iteration to 1e-14
//! rad. O(1) per point (six harmonics).
//!
//! Tested against pyproj (PROJ's `tmerc`, itself Poder/Engsager's extended
//! Krüger series) at points over China in every zone family: within 1 mm.

use super::ellipsoid::Ellipsoid;

/// A transverse Mercator projection: x = easting, y = northing, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransverseMercator {
    pub ellipsoid: Ellipsoid,
    /// Central meridian, degrees.
    pub lon0: f64,
    /// Latitude of origin, degrees (0 for every Gauss–Krüger zone).
    pub lat0: f64,
    /// Scale on the central meridian (1 for Gauss–Krüger, 0.9996 for UTM).
    pub k0: f64,
    pub false_easting: f64,
    pub false_northing: f64,
}

/// The series coefficients of one ellipsoid.
struct Series {
    e: f64,
    /// Rectifying radius A = a/(1+n)·(1 + n²/4 + n⁴/64 + n⁶/256).
    big_a: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
}

fn series(el: Ellipsoid) -> Series {
    let f = el.f();
    let n = f / (2.0 - f);
    let (n2, n3) = (n * n, n * n * n);
    let (n4, n5, n6) = (n2 * n2, n2 * n3, n3 * n3);
    let big_a = el.a / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
    let alpha = [
        n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0 + 7891.0 * n6 / 37800.0,
        13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0 - 1_983_433.0 * n6 / 1_935_360.0,
        61.0 * n3 / 240.0 - 103.0 * n4 / 140.0 + 15061.0 * n5 / 26880.0 + 167_603.0 * n6 / 181_440.0,
        49561.0 * n4 / 161_280.0 - 179.0 * n5 / 168.0 + 6_601_661.0 * n6 / 7_257_600.0,
        34729.0 * n5 / 80640.0 - 3_418_889.0 * n6 / 1_995_840.0,
        212_378_941.0 * n6 / 319_334_400.0,
    ];
    let beta = [
        n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0 + 96199.0 * n6 / 604_800.0,
        n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0 - 1_118_711.0 * n6 / 3_870_720.0,
        17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
        4397.0 * n4 / 161_280.0 - 11.0 * n5 / 504.0 - 830_251.0 * n6 / 7_257_600.0,
        4583.0 * n5 / 161_280.0 - 108_847.0 * n6 / 3_991_680.0,
        20_648_693.0 * n6 / 638_668_800.0,
    ];
    Series { e: el.e2().sqrt(), big_a, alpha, beta }
}

impl TransverseMercator {
    /// A Gauss–Krüger zone: scale 1, origin on the equator.
    pub fn gauss_kruger(ellipsoid: Ellipsoid, lon0: f64, false_easting: f64) -> Self {
        TransverseMercator { ellipsoid, lon0, lat0: 0.0, k0: 1.0, false_easting, false_northing: 0.0 }
    }

    /// (ξ, η) on the unit-A sphere of a geodetic point, radians in.
    fn xi_eta(s: &Series, phi: f64, lam: f64) -> (f64, f64) {
        // conformal latitude through τ' = sinh(asinh τ − e·atanh(e·sin φ))
        let t = (phi.sin().atanh() - s.e * (s.e * phi.sin()).atanh()).sinh();
        let xi1 = t.atan2(lam.cos());
        let eta1 = (lam.sin() / (1.0 + t * t).sqrt()).atanh();
        let (mut xi, mut eta) = (xi1, eta1);
        for (j, a) in s.alpha.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi += a * (k * xi1).sin() * (k * eta1).cosh();
            eta += a * (k * xi1).cos() * (k * eta1).sinh();
        }
        (xi, eta)
    }

    /// Geodetic (lon, lat) in degrees → (easting, northing) in metres.
    pub fn forward(&self, lon: f64, lat: f64) -> (f64, f64) {
        let s = series(self.ellipsoid);
        let (xi, eta) = Self::xi_eta(&s, lat.to_radians(), (lon - self.lon0).to_radians());
        let (xi0, _) = Self::xi_eta(&s, self.lat0.to_radians(), 0.0);
        let k = self.k0 * s.big_a;
        (self.false_easting + k * eta, self.false_northing + k * (xi - xi0))
    }

    /// (easting, northing) in metres → geodetic (lon, lat) in degrees.
    pub fn inverse(&self, x: f64, y: f64) -> (f64, f64) {
        let s = series(self.ellipsoid);
        let (xi0, _) = Self::xi_eta(&s, self.lat0.to_radians(), 0.0);
        let k = self.k0 * s.big_a;
        let xi = (y - self.false_northing) / k + xi0;
        let eta = (x - self.false_easting) / k;
        let (mut xi1, mut eta1) = (xi, eta);
        for (j, b) in s.beta.iter().enumerate() {
            let m = 2.0 * (j as f64 + 1.0);
            xi1 -= b * (m * xi).sin() * (m * eta).cosh();
            eta1 -= b * (m * xi).cos() * (m * eta).sinh();
        }
        let chi = (xi1.sin() / eta1.cosh()).asin();
        let lam = eta1.sinh().atan2(xi1.cos());
        // geodetic latitude from the conformal one
        let e = s.e;
        let mut phi = chi;
        for _ in 0..20 {
            let es = e * phi.sin();
            let next = 2.0 * (((1.0 + es) / (1.0 - es)).powf(e / 2.0) * (std::f64::consts::FRAC_PI_4 + chi / 2.0).tan()).atan()
                - std::f64::consts::FRAC_PI_2;
            let done = (next - phi).abs() < 1e-14;
            phi = next;
            if done {
                break;
            }
        }
        (self.lon0 + lam.to_degrees(), phi.to_degrees())
    }
}

#[cfg(test)]
mod tests {
    use super::super::ellipsoid::{CGCS2000, IAG1975, KRASSOWSKY};
    use super::*;

    /// pyproj oracle points: benches/oracles/crs_points.py → engine/tests/fixtures/tmerc_pyproj.json.
    #[derive(serde::Deserialize)]
    struct Oracle {
        epsg: u32,
        ellipsoid: String,
        lon0: f64,
        false_easting: f64,
        lon: f64,
        lat: f64,
        x: f64,
        y: f64,
    }

    #[test]
    fn matches_pyproj_within_a_millimetre() {
        let pts: Vec<Oracle> = serde_json::from_str(include_str!("../../tests/fixtures/tmerc_pyproj.json")).expect("oracle json");
        assert!(pts.len() >= 200, "{} oracle points", pts.len());
        for p in &pts {
            let el = match p.ellipsoid.as_str() {
                "cgcs2000" => CGCS2000,
                "iag1975" => IAG1975,
                "krassowsky" => KRASSOWSKY,
                other => panic!("ellipsoid {other}"),
            };
            let tm = TransverseMercator::gauss_kruger(el, p.lon0, p.false_easting);
            let (x, y) = tm.forward(p.lon, p.lat);
            assert!(
                (x - p.x).abs() < 1e-3 && (y - p.y).abs() < 1e-3,
                "EPSG:{} forward ({}, {}): {x} {y} vs {} {}",
                p.epsg,
                p.lon,
                p.lat,
                p.x,
                p.y
            );
            let (lon, lat) = tm.inverse(p.x, p.y);
            // 1e-8° ≈ 1 mm
            assert!(
                (lon - p.lon).abs() < 1e-8 && (lat - p.lat).abs() < 1e-8,
                "EPSG:{} inverse: {lon} {lat} vs {} {}",
                p.epsg,
                p.lon,
                p.lat
            );
        }
    }

    #[test]
    fn central_meridian_maps_to_false_easting() {
        let tm = TransverseMercator::gauss_kruger(CGCS2000, 120.0, 500_000.0);
        let (x, y) = tm.forward(120.0, 0.0);
        assert!((x - 500_000.0).abs() < 1e-9 && y.abs() < 1e-9);
    }
}
