//! Geometry validity checks used on import (OGC simple-features rules via
//! geo's `Validation`, plus coordinate ranges).

use geo::{MultiPolygon, Validation};

/// Problems with a (multi)polygon, as sentences; empty when valid.
pub fn polygon_problems(mp: &MultiPolygon<f64>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, p) in mp.0.iter().enumerate() {
        for e in p.validation_errors() {
            if mp.0.len() > 1 {
                out.push(format!("polygon {i}: {e}"));
            } else {
                out.push(e.to_string());
            }
        }
    }
    // several valid polygons may still overlap one another; one valid polygon has no other problem
    if out.is_empty() && mp.0.len() > 1 {
        out.extend(mp.validation_errors().into_iter().map(|e| e.to_string()));
    }
    out
}

/// Whether a lon/lat pair is a WGS84 coordinate.
pub fn lonlat_in_range(x: f64, y: f64) -> bool {
    x.is_finite() && y.is_finite() && (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn bow_tie_is_reported() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)];
        let e = polygon_problems(&MultiPolygon(vec![p]));
        assert!(e.iter().any(|m| m.contains("self-intersection")), "{e:?}");
        let ok = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)];
        assert!(polygon_problems(&MultiPolygon(vec![ok])).is_empty());
        assert!(!lonlat_in_range(181.0, 0.0));
        assert!(lonlat_in_range(120.4, 36.1));
    }
}
