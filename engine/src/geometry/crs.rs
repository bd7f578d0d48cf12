//! Chinese coordinate offsets: GCJ-02 ("Mars" coordinates, used by AutoNavi,
//! Tencent and Google China) and BD-09 (Baidu), to and from WGS84.
//!
//! Method: the published forward GCJ-02 obfuscation (Krasovsky 1940 ellipsoid,
//! a = 6378245 m, e² = 0.00669342162296594323) and the BD-09 rotation on top of
//! GCJ-02. The inverses have no closed form; they are solved by fixed-point
//! iteration on the forward map until the round trip is below 1e-10° (≈ 1 cm),
//! well under the required 0.5 m. O(1) per coordinate, ≤ 30 iterations.
//!
//! Reference pairs in the tests come from googollee/eviltransform's test suite
//! (python/test_transform.py) and wandergis/coordtransform's test/app.js.
//! Outside China the offsets are not applied (as every reference does).

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// The datum a source file's coordinates are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceCrs {
    #[default]
    Wgs84,
    Gcj02,
    Bd09,
}

impl SourceCrs {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "wgs84" | "wgs-84" | "epsg:4326" => Some(SourceCrs::Wgs84),
            "gcj02" | "gcj-02" => Some(SourceCrs::Gcj02),
            "bd09" | "bd-09" => Some(SourceCrs::Bd09),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceCrs::Wgs84 => "wgs84",
            SourceCrs::Gcj02 => "gcj02",
            SourceCrs::Bd09 => "bd09",
        }
    }

    /// Convert `(lon, lat)` in this datum to WGS84.
    pub fn to_wgs84(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            SourceCrs::Wgs84 => (lon, lat),
            SourceCrs::Gcj02 => gcj02_to_wgs84(lon, lat),
            SourceCrs::Bd09 => bd09_to_wgs84(lon, lat),
        }
    }
}

const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Whether the offsets apply here (the rough China box every reference uses).
pub fn in_china(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 → GCJ-02.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    let dlat = transform_lat(lon - 105.0, lat - 35.0);
    let dlon = transform_lon(lon - 105.0, lat - 35.0);
    let radlat = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * radlat.sin() * radlat.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * radlat.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → BD-09.
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02 (the closed-form approximation every reference uses; its
/// error is ≈ 1e-6°, then refined by iteration on [`gcj02_to_bd09`]).
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 0.0065;
    let y = lat - 0.006;
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    let guess = (z * theta.cos(), z * theta.sin());
    invert(gcj02_to_bd09, lon, lat, guess)
}

/// GCJ-02 → WGS84, exact to ≈ 1 cm by iteration.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    invert(wgs84_to_gcj02, lon, lat, (lon, lat))
}

/// BD-09 → WGS84.
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    let (glon, glat) = bd09_to_gcj02(lon, lat);
    gcj02_to_wgs84(glon, glat)
}

/// WGS84 → BD-09.
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (glon, glat) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(glon, glat)
}

/// Solve `forward(p) = target` by fixed-point iteration `p ← p + (target − forward(p))`.
/// Converges because the forward offsets vary slowly (|∂offset/∂p| ≪ 1).
fn invert(forward: fn(f64, f64) -> (f64, f64), tx: f64, ty: f64, guess: (f64, f64)) -> (f64, f64) {
    let (mut x, mut y) = guess;
    for _ in 0..30 {
        let (fx, fy) = forward(x, y);
        let (dx, dy) = (tx - fx, ty - fy);
        x += dx;
        y += dy;
        if dx.abs() < 1e-11 && dy.abs() < 1e-11 {
            break;
        }
    }
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Metres between two nearby lon/lat points (local approximation).
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        let kx = 111_320.0 * a.1.to_radians().cos();
        (((a.0 - b.0) * kx).powi(2) + ((a.1 - b.1) * 110_950.0).powi(2)).sqrt()
    }

    // googollee/eviltransform python/test_transform.py: (wgsLat, wgsLng, gcjLat, gcjLng)
    const EVIL: [(f64, f64, f64, f64); 3] = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    ];
    #[test]
    fn gcj02_matches_eviltransform_both_ways() {
        for (wlat, wlng, glat, glng) in EVIL {
            let fwd = wgs84_to_gcj02(wlng, wlat);
            assert!(metres(fwd, (glng, glat)) < 0.5, "forward {fwd:?}");
            let inv = gcj02_to_wgs84(glng, glat);
            assert!(metres(inv, (wlng, wlat)) < 0.5, "inverse {inv:?}");
        }
    }

    #[test]
    fn matches_coordtransform_app_js() {
        // wandergis/coordtransform test/app.js results for input (116.404, 39.915)
        let g = wgs84_to_gcj02(116.404, 39.915);
        assert!(metres(g, (116.41024449916938, 39.91640428150164)) < 0.01);
        let b = gcj02_to_bd09(116.404, 39.915);
        assert!(metres(b, (116.41036949371029, 39.92133699351021)) < 0.01);
        // their bd09togcj02 is the closed-form approximation; ours refines it
        let gb = bd09_to_gcj02(116.404, 39.915);
        assert!(metres(gb, (116.39762729119315, 39.90865673957631)) < 0.5);
    }

    #[test]
    fn inverse_round_trip_below_half_a_metre_over_qingdao() {
        for i in 0..50 {
            for j in 0..50 {
                let p = (119.5 + f64::from(i) * 0.03, 35.5 + f64::from(j) * 0.03);
                let g = wgs84_to_gcj02(p.0, p.1);
                assert!(metres(gcj02_to_wgs84(g.0, g.1), p) < 0.5);
                let b = wgs84_to_bd09(p.0, p.1);
                assert!(metres(bd09_to_wgs84(b.0, b.1), p) < 0.5);
            }
        }
    }

    #[test]
    fn outside_china_is_untouched() {
        assert_eq!(wgs84_to_gcj02(24.94, 60.17), (24.94, 60.17));
        assert_eq!(gcj02_to_wgs84(-95.36, 29.76), (-95.36, 29.76));
    }
}
