//! The EPSG codes of the coordinate systems Chinese offices deliver: WGS 84,
//! CGCS2000 (EPSG:4490) and the Gauss–Krüger zones on CGCS2000
//! (EPSG:4491–4554), Xi'an 1980 (EPSG:2327–2390) and Beijing 1954
//! (EPSG:21413–21463, 2401–2442), in 6° and 3° zones, with and without the
//! zone number prefixed to the easting; and which of them projected
//! coordinates of unknown origin would fit.
//!
//! Method: the zone arithmetic of the EPSG registry (checked against pyproj
//! for every code in benches/oracles/crs_points.py): 6° zone z has central
//! meridian 6z − 3, 3° zone z has 3z; a prefixed easting is z·10⁶ + 500 000.
//! O(1) per look-up.

use super::georef::{Crs, Datum};
use super::tmerc::TransverseMercator;

/// One family of zones: first code, datum, zone width, prefixed eastings.
struct Family {
    first: u32,
    last: u32,
    datum: Datum,
    width: u32,
    prefix: bool,
}

const FAMILIES: [Family; 12] = [
    Family { first: 4491, last: 4501, datum: Datum::Cgcs2000, width: 6, prefix: true },
    Family { first: 4502, last: 4512, datum: Datum::Cgcs2000, width: 6, prefix: false },
    Family { first: 4513, last: 4533, datum: Datum::Cgcs2000, width: 3, prefix: true },
    Family { first: 4534, last: 4554, datum: Datum::Cgcs2000, width: 3, prefix: false },
    Family { first: 2327, last: 2337, datum: Datum::Xian1980, width: 6, prefix: true },
    Family { first: 2338, last: 2348, datum: Datum::Xian1980, width: 6, prefix: false },
    Family { first: 2349, last: 2369, datum: Datum::Xian1980, width: 3, prefix: true },
    Family { first: 2370, last: 2390, datum: Datum::Xian1980, width: 3, prefix: false },
    Family { first: 21413, last: 21423, datum: Datum::Beijing1954, width: 6, prefix: true },
    Family { first: 21453, last: 21463, datum: Datum::Beijing1954, width: 6, prefix: false },
    Family { first: 2401, last: 2421, datum: Datum::Beijing1954, width: 3, prefix: true },
    Family { first: 2422, last: 2442, datum: Datum::Beijing1954, width: 3, prefix: false },
];

/// First zone number of a family: 6° zones start at 13 (75°E), 3° at 25 (75°E).
fn first_zone(width: u32) -> u32 {
    if width == 6 { 13 } else { 25 }
}

fn central_meridian(width: u32, zone: u32) -> f64 {
    if width == 6 { f64::from(6 * zone) - 3.0 } else { f64::from(3 * zone) }
}

/// The coordinate system of an EPSG code we know, or `None`.
pub fn lookup(code: u32) -> Option<Crs> {
    match code {
        4326 => return Some(Crs::Offset(super::crs::SourceCrs::Wgs84)),
        4490 => return Some(Crs::Geodetic { datum: Datum::Cgcs2000, epsg: Some(4490), towgs84: None }),
        4610 => return Some(Crs::Geodetic { datum: Datum::Xian1980, epsg: Some(4610), towgs84: None }),
        4214 => return Some(Crs::Geodetic { datum: Datum::Beijing1954, epsg: Some(4214), towgs84: None }),
        _ => {}
    }
    let f = FAMILIES.iter().find(|f| (f.first..=f.last).contains(&code))?;
    let zone = first_zone(f.width) + (code - f.first);
    let lon0 = central_meridian(f.width, zone);
    let fe = if f.prefix { f64::from(zone) * 1e6 + 500_000.0 } else { 500_000.0 };
    let tm = TransverseMercator::gauss_kruger(f.datum.ellipsoid(), lon0, fe);
    Some(Crs::Projected { datum: f.datum, epsg: Some(code), tm, towgs84: None })
}

/// The EPSG name of a code we know (as the registry spells it).
pub fn name(code: u32) -> Option<String> {
    match code {
        4326 => return Some("WGS 84".into()),
        4490 => return Some("China Geodetic Coordinate System 2000".into()),
        4610 => return Some("Xian 1980".into()),
        4214 => return Some("Beijing 1954".into()),
        _ => {}
    }
    let f = FAMILIES.iter().find(|f| (f.first..=f.last).contains(&code))?;
    let zone = first_zone(f.width) + (code - f.first);
    let deg = if f.width == 3 { "3-degree " } else { "" };
    let place = if f.prefix { format!("zone {zone}") } else { format!("CM {}E", central_meridian(f.width, zone)) };
    Some(format!("{} / {deg}Gauss-Kruger {place}", f.datum.name()))
}

/// The code of a zone of `datum` in a family, if it exists.
fn code_of(datum: Datum, width: u32, prefix: bool, zone: u32) -> Option<u32> {
    let f = FAMILIES.iter().find(|f| f.datum == datum && f.width == width && f.prefix == prefix)?;
    let c = f.first + zone.checked_sub(first_zone(width))?;
    (c <= f.last).then_some(c)
}

/// Which zones projected coordinates (x = easting, y = northing, metres)
/// would fit, in words, for the error that refuses a file without a CRS;
/// `None` when they fit no Chinese Gauss–Krüger zone (then they are not
/// taken for projected coordinates at all).
pub fn fitting_zones(x: f64, y: f64) -> Option<String> {
    let lat = y / 110_946.0; // metres per degree of latitude, roughly
    let prefix = (x / 1e6).floor();
    let rest = x - prefix * 1e6;
    if x >= 1e6 && (100_000.0..=900_000.0).contains(&rest) && (0.0..=6.5e6).contains(&y) {
        let z = prefix as u32;
        let width = if (13..=23).contains(&z) {
            6
        } else if (25..=45).contains(&z) {
            3
        } else {
            return None;
        };
        let codes = [Datum::Cgcs2000, Datum::Xian1980, Datum::Beijing1954]
            .iter()
            .filter_map(|d| code_of(*d, width, true, z).map(|c| format!("{} EPSG:{c}", d.name())))
            .collect::<Vec<_>>()
            .join(", ");
        return Some(format!(
            "they fit the {width}° Gauss-Krüger zone {z} (central meridian {}°E) with the zone number prefixed to the easting, near latitude {lat:.1}°N: {codes}",
            central_meridian(width, z)
        ));
    }
    if (100_000.0..=900_000.0).contains(&x) && (1.5e6..=6.5e6).contains(&y) {
        return Some(format!(
            "they fit a Gauss-Krüger zone without the zone prefix (easting around 500000), near latitude {lat:.1}°N; \
             the central meridian is not in the coordinates: CGCS2000 3° zones are EPSG:4534 (75°E) … EPSG:4554 (135°E), \
             EPSG:4534 + (meridian − 75)/3, e.g. 120°E = EPSG:4549; 6° zones EPSG:4502 (75°E) … EPSG:4512 (135°E)"
        ));
    }
    let swapped_prefixed = (13e6..46e6).contains(&y) && (100_000.0..=900_000.0).contains(&(y % 1e6));
    if (1.5e6..=6.5e6).contains(&x) && ((100_000.0..=900_000.0).contains(&y) || swapped_prefixed) {
        return Some("the first coordinate looks like a northing and the second like an easting: write x = easting, y = northing".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_and_names_as_pyproj_has_them() {
        // pyproj: CRS.from_epsg(c).name and to_dict()['lon_0'], ['x_0']
        let cases = [
            (4491, "CGCS2000 / Gauss-Kruger zone 13", 75.0, 13_500_000.0),
            (4512, "CGCS2000 / Gauss-Kruger CM 135E", 135.0, 500_000.0),
            (4528, "CGCS2000 / 3-degree Gauss-Kruger zone 40", 120.0, 40_500_000.0),
            (4549, "CGCS2000 / 3-degree Gauss-Kruger CM 120E", 120.0, 500_000.0),
            (2369, "Xian 1980 / 3-degree Gauss-Kruger zone 45", 135.0, 45_500_000.0),
            (21463, "Beijing 1954 / Gauss-Kruger CM 135E", 135.0, 500_000.0),
            (2422, "Beijing 1954 / 3-degree Gauss-Kruger CM 75E", 75.0, 500_000.0),
        ];
        for (code, n, lon0, fe) in cases {
            assert_eq!(name(code).as_deref(), Some(n));
            let Some(Crs::Projected { tm, .. }) = lookup(code) else { panic!("{code}") };
            assert_eq!((tm.lon0, tm.false_easting), (lon0, fe), "{code}");
        }
        assert!(lookup(4555).is_none() && lookup(2326).is_none());
    }

    #[test]
    fn suggests_the_prefixed_zone() {
        let s = fitting_zones(40_523_456.0, 3_995_000.0).unwrap_or_default();
        assert!(s.contains("EPSG:4528") && s.contains("zone 40"), "{s}");
        let s = fitting_zones(523_456.0, 3_995_000.0).unwrap_or_default();
        assert!(s.contains("EPSG:4549") && s.contains("without the zone prefix"), "{s}");
        assert!(fitting_zones(3_995_000.0, 523_456.0).is_some_and(|s| s.contains("northing")));
        assert!(fitting_zones(3_995_000.0, 40_523_456.0).is_some_and(|s| s.contains("northing")));
        // out of lon/lat range but no zone: not taken for projected
        for (x, y) in [(500.0, 36.0), (120.4, 90.5), (120.4, 1e300), (-208.9, 1e22), (99_000_000.0, 3e6), (3e6, 1e22)] {
            assert_eq!(fitting_zones(x, y), None, "{x} {y}");
        }
    }
}
