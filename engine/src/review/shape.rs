//! The shape of one unit: area, perimeter, parts and compactness, and the
//! findings they give (a unit in several pieces, a unit that is not compact).
//!
//! Method: the unit is projected to a local metric projection centred on its
//! own box (so a unit's figures depend on nothing else); area and perimeter
//! (all rings) in metres; parts are polygons above the noise area;
//! compactness is Polsby–Popper 4πA/P² (1 for a disc, about 0.785 for a
//! square), flagged below a threshold. Reference: Polsby & Popper (1991),
//! "The third criterion: compactness as a procedural safeguard against
//! partisan gerrymandering". O(v) per unit of v vertices.

use geo::{Area, BoundingRect, Euclidean, Length};

use crate::geometry::projection::LocalProjection;
use crate::model::Unit;
use crate::review::finding::{Finding, FindingKind, Location, Severity};

/// Figures of one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub area_m2: f64,
    pub perimeter_m: f64,
    /// Polygons of at least the noise area.
    pub parts: usize,
    /// 4πA/P² (0 without a perimeter).
    pub polsby_popper: f64,
    pub location: Option<Location>,
}

/// Measure a unit.
pub fn measure(u: &Unit, noise_m2: f64) -> Shape {
    let Some(r) = u.geometry.bounding_rect() else {
        return Shape { area_m2: 0.0, perimeter_m: 0.0, parts: 0, polsby_popper: 0.0, location: None };
    };
    let m = LocalProjection::for_rect(r).project_multi(&u.geometry);
    let area_m2 = m.unsigned_area();
    let perimeter_m: f64 = m.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).map(|l| Euclidean.length(l)).sum();
    let parts = m.0.iter().filter(|p| p.unsigned_area() >= noise_m2).count();
    let polsby_popper = if perimeter_m > 0.0 { (4.0 * std::f64::consts::PI * area_m2 / (perimeter_m * perimeter_m)).min(1.0) } else { 0.0 };
    Shape { area_m2, perimeter_m, parts, polsby_popper, location: Location::of(&u.geometry) }
}

/// The shape findings of a unit.
pub fn findings(u: &Unit, s: &Shape, min_polsby_popper: f64) -> Vec<Finding> {
    let mut out = Vec::new();
    let base = |kind, severity, message: String, value: f64| Finding {
        kind,
        severity,
        units: vec![u.id.clone()],
        message,
        value: Some(value),
        building: None,
        location: s.location,
        geometry: Some(u.geometry.clone()),
    };
    if s.parts > 1 {
        out.push(base(FindingKind::Multipart, Severity::Warning, format!("{} is in {} separate parts", u.id, s.parts), s.parts as f64));
    }
    if s.parts > 0 && s.polsby_popper < min_polsby_popper {
        out.push(base(
            FindingKind::NotCompact,
            Severity::Info,
            format!("{} is not compact: Polsby–Popper {:.3} is below {:.3}", u.id, s.polsby_popper, min_polsby_popper),
            s.polsby_popper,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Level;
    use geo::{MultiPolygon, Rect};

    fn unit(rects: &[(f64, f64, f64, f64)]) -> Unit {
        Unit {
            id: "u".into(),
            parent: None,
            level: Level("grid".into()),
            name: "u".into(),
            geometry: MultiPolygon(rects.iter().map(|r| Rect::new((r.0, r.1), (r.2, r.3)).to_polygon()).collect()),
            attributes: Default::default(),
        }
    }

    #[test]
    fn square_strip_and_two_parts() {
        // a square of about 100 m at 36° N: 0.001° lat ≈ 110.96 m, lon scaled by cos 36°
        let d = 0.001;
        let dx = d * 110.96 / (111.32 * 36f64.to_radians().cos()) * 1.0;
        let sq = measure(&unit(&[(120.0, 36.0, 120.0 + dx, 36.0 + d)]), 0.01);
        assert!((sq.polsby_popper - std::f64::consts::PI / 4.0).abs() < 0.01, "{}", sq.polsby_popper);
        assert_eq!(sq.parts, 1);
        assert!(findings(&unit(&[(120.0, 36.0, 120.0 + dx, 36.0 + d)]), &sq, 0.2).is_empty());
        // a strip 20 times longer than wide: PP = 4π·20/42² ≈ 0.142
        let strip = unit(&[(120.0, 36.0, 120.0 + 20.0 * dx, 36.0 + d)]);
        let s = measure(&strip, 0.01);
        assert!((s.polsby_popper - 4.0 * std::f64::consts::PI * 20.0 / 1764.0).abs() < 0.005, "{}", s.polsby_popper);
        let f = findings(&strip, &s, 0.2);
        assert_eq!(f.iter().map(|x| x.kind).collect::<Vec<_>>(), vec![FindingKind::NotCompact]);
        let two = unit(&[(120.0, 36.0, 120.001, 36.001), (120.01, 36.0, 120.011, 36.001)]);
        let s = measure(&two, 0.01);
        assert_eq!(s.parts, 2);
        assert!(findings(&two, &s, 0.2).iter().any(|x| x.kind == FindingKind::Multipart && x.value == Some(2.0)));
    }
}
