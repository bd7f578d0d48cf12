//! Findings of the live validation: what is wrong, how badly, which units,
//! a message for a person and a place on the map (a point and a box in
//! lon/lat) so the planner page can fly to it; and GeoJSON for a map layer.
//!
//! Method: plain records; the order of a report is fixed (severity, kind,
//! units, building, message) so a full and an incremental validation of the
//! same layer give the same list. GeoJSON is written by hand (RFC 7946
//! Polygon/MultiPolygon/LineString/Point objects), O(vertices).

use geo::{BoundingRect, Coord, InteriorPoint, LineString, MultiPolygon, Rect};
use serde::Serialize;
use serde_json::{Value, json};

use crate::model::UnitId;

/// How badly a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Overlap,
    Gap,
    Sliver,
    OutsideParent,
    BuildingUnassigned,
    BuildingCut,
    OverrideInvalid,
    LoadOver,
    LoadUnder,
    Multipart,
    NotCompact,
    Alliance,
    AbUnmatched,
    Isolated,
}

impl FindingKind {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Overlap => "overlap",
            FindingKind::Gap => "gap",
            FindingKind::Sliver => "sliver",
            FindingKind::OutsideParent => "outside_parent",
            FindingKind::BuildingUnassigned => "building_unassigned",
            FindingKind::BuildingCut => "building_cut",
            FindingKind::OverrideInvalid => "override_invalid",
            FindingKind::LoadOver => "load_over",
            FindingKind::LoadUnder => "load_under",
            FindingKind::Multipart => "multipart",
            FindingKind::NotCompact => "not_compact",
            FindingKind::Alliance => "alliance",
            FindingKind::AbUnmatched => "ab_unmatched",
            FindingKind::Isolated => "isolated",
        }
    }
}

/// Where a finding is: a point on it and its box, lon/lat.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Location {
    /// `[lon, lat]`.
    pub point: [f64; 2],
    /// `[min lon, min lat, max lon, max lat]`.
    pub bbox: [f64; 4],
}

impl Location {
    /// A point inside the geometry (its interior point) and its box; None for an empty geometry.
    pub fn of(g: &MultiPolygon<f64>) -> Option<Location> {
        let r = g.bounding_rect()?;
        let p = g.interior_point().map_or(r.center(), |p| p.0);
        Some(Location { point: [p.x, p.y], bbox: bbox(r) })
    }

    /// The centre of a box.
    pub fn of_rect(r: Rect<f64>) -> Location {
        Location { point: [r.center().x, r.center().y], bbox: bbox(r) }
    }

    /// A point (a zero-size box).
    pub fn at(c: Coord<f64>) -> Location {
        Location { point: [c.x, c.y], bbox: [c.x, c.y, c.x, c.y] }
    }
}

fn bbox(r: Rect<f64>) -> [f64; 4] {
    [r.min().x, r.min().y, r.max().x, r.max().y]
}

/// One thing the validation found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    pub units: Vec<UnitId>,
    pub message: String,
    /// The figure of the finding (m², share, households, parts or Polsby–Popper; see the kind).
    pub value: Option<f64>,
    /// The building a building finding is about.
    pub building: Option<String>,
    pub location: Option<Location>,
    /// The piece in question (lon/lat): overlap, gap, outside part, footprint or unit.
    #[serde(skip)]
    pub geometry: Option<MultiPolygon<f64>>,
}

impl Finding {
    /// The order of a report: severity, kind, units, building, message.
    pub fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
        (a.severity, a.kind, &a.units, &a.building, &a.message).cmp(&(b.severity, b.kind, &b.units, &b.building, &b.message))
    }

    /// A GeoJSON Feature: the geometry (or the location's point), the finding's fields as properties.
    pub fn geojson(&self) -> Value {
        let geometry = match (&self.geometry, &self.location) {
            (Some(g), _) if !g.0.is_empty() => multipolygon_json(g),
            (_, Some(l)) => json!({ "type": "Point", "coordinates": l.point }),
            _ => Value::Null,
        };
        json!({
            "type": "Feature",
            "geometry": geometry,
            "properties": {
                "kind": self.kind,
                "severity": self.severity,
                "units": self.units,
                "message": self.message,
                "value": self.value,
                "building": self.building,
            }
        })
    }
}

/// Findings as a GeoJSON FeatureCollection.
pub fn findings_geojson(findings: &[Finding]) -> Value {
    json!({ "type": "FeatureCollection", "features": findings.iter().map(Finding::geojson).collect::<Vec<_>>() })
}

fn ring(l: &LineString<f64>) -> Value {
    Value::Array(l.coords().map(|c| json!([c.x, c.y])).collect())
}

/// A GeoJSON MultiPolygon geometry object.
pub fn multipolygon_json(g: &MultiPolygon<f64>) -> Value {
    let polys: Vec<Value> =
        g.0.iter().map(|p| Value::Array(std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect())).collect();
    json!({ "type": "MultiPolygon", "coordinates": polys })
}

/// A GeoJSON LineString geometry object.
pub fn linestring_json(l: &LineString<f64>) -> Value {
    json!({ "type": "LineString", "coordinates": ring(l) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Rect;

    #[test]
    fn location_and_geojson_of_a_square() {
        let g = MultiPolygon(vec![Rect::new((120.0, 36.0), (120.01, 36.01)).to_polygon()]);
        let l = Location::of(&g).expect("non-empty");
        assert_eq!(l.bbox, [120.0, 36.0, 120.01, 36.01]);
        assert!(l.point[0] > 120.0 && l.point[0] < 120.01 && l.point[1] > 36.0 && l.point[1] < 36.01);
        let f = Finding {
            kind: FindingKind::Gap,
            severity: Severity::Error,
            units: vec!["p".into()],
            message: "gap".into(),
            value: Some(1.0),
            building: None,
            location: Some(l),
            geometry: Some(g),
        };
        let j = f.geojson();
        assert_eq!(j["geometry"]["type"], "MultiPolygon");
        assert_eq!(j["geometry"]["coordinates"][0][0].as_array().map(Vec::len), Some(5));
        assert_eq!(j["properties"]["kind"], "gap");
        assert_eq!(serde_json::to_value(&f).expect("json")["location"]["bbox"][2], 120.01);
        assert!(Location::of(&MultiPolygon(vec![])).is_none());
    }
}
