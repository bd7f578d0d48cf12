//! The dataset: the current version of every layer, in memory and indexed —
//! the hierarchy, R-trees per layer, the assignment of buildings and
//! incidents to units, unit areas and the integrity report, plus the camera
//! coverage and the incident heat index, each computed on first use.
//!
//! Method: [`Dataset::set`] replaces one layer; [`Dataset::rebuild`]
//! recomputes everything derived from the layers: R-trees (STR bulk load,
//! O(n log n)), building assignment (`units::assign`: the footprint's leaf,
//! or the unit whose `assigned_buildings` names the building), incident location
//! (point in polygon through the unit R-tree), unit areas in a local
//! metric projection at each unit (`geometry::projection`) and the
//! integrity report (`units::integrity`). Loading from a store is the
//! server's business; the engine only ever sees [`Layer`]s.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use geo::{Area, BoundingRect, Rect};

use crate::cameras::map::CameraCoverage;
use crate::geometry::index::{PolygonIndex, rect_union};
use crate::geometry::projection::LocalProjection;
use crate::incidents::heat::LoadedHeat;
use crate::model::{Attributes, Building, Camera, Facility, Incident, Layer, LayerKind, Road};
use crate::units::assign::{BuildingAssignment, PointLocator, assign_buildings};
use crate::units::hierarchy::{Hierarchy, HierarchyError};
use crate::units::integrity::{IntegrityConfig, Report, check};

/// Why a layer could not be taken into the dataset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DatasetError {
    /// The units do not form a hierarchy (duplicate ids, missing parents, cycles).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Hierarchy(Vec<HierarchyError>),
}

/// Everything loaded and indexed.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The version of each layer (as the store numbers them; 0 or absent: none).
    pub versions: BTreeMap<LayerKind, i32>,
    pub hierarchy: Hierarchy,
    pub buildings: Vec<Building>,
    pub cameras: Vec<Camera>,
    pub facilities: Vec<Facility>,
    pub incidents: Vec<Incident>,
    pub roads: Vec<Road>,
    pub locator: PointLocator,
    pub building_assignment: Vec<BuildingAssignment>,
    /// The buildings assigned by a unit's `assigned_buildings` rather than their footprint, ascending.
    pub explicit_buildings: Vec<usize>,
    /// The deepest unit holding each incident.
    pub incident_unit: Vec<Option<usize>>,
    /// Incidents per unit, counted up the chain.
    pub unit_incidents: Vec<u64>,
    /// Area of each unit in m² (local projection).
    pub unit_area_m2: Vec<f64>,
    pub report: Report,
    pub config: IntegrityConfig,
    pub unit_index: PolygonIndex,
    pub building_index: PolygonIndex,
    pub camera_index: PolygonIndex,
    pub facility_index: PolygonIndex,
    pub incident_index: PolygonIndex,
    pub road_index: PolygonIndex,
    /// Camera coverage, computed on first use ([`Dataset::coverage`]).
    pub coverage: OnceLock<CameraCoverage>,
    /// The heat index of the loaded incidents, built on first use (`incidents::heat::index`).
    pub heat: OnceLock<Option<Arc<LoadedHeat>>>,
}

fn point_rect(p: geo::Point<f64>) -> Option<Rect<f64>> {
    Some(Rect::new(p.0, p.0))
}

impl Dataset {
    /// Nothing loaded.
    pub fn empty(config: IntegrityConfig) -> Dataset {
        let h = Hierarchy::empty();
        Dataset {
            versions: BTreeMap::new(),
            locator: PointLocator::new(&h),
            hierarchy: h,
            buildings: Vec::new(),
            cameras: Vec::new(),
            facilities: Vec::new(),
            incidents: Vec::new(),
            roads: Vec::new(),
            building_assignment: Vec::new(),
            explicit_buildings: Vec::new(),
            incident_unit: Vec::new(),
            unit_incidents: Vec::new(),
            unit_area_m2: Vec::new(),
            report: Report::default(),
            config,
            unit_index: PolygonIndex::new(std::iter::empty()),
            building_index: PolygonIndex::new(std::iter::empty()),
            camera_index: PolygonIndex::new(std::iter::empty()),
            facility_index: PolygonIndex::new(std::iter::empty()),
            incident_index: PolygonIndex::new(std::iter::empty()),
            road_index: PolygonIndex::new(std::iter::empty()),
            coverage: OnceLock::new(),
            heat: OnceLock::new(),
        }
    }

    /// Replace one layer (call [`Dataset::rebuild`] after).
    pub fn set(&mut self, layer: Layer) -> Result<(), DatasetError> {
        match layer {
            Layer::Units(u) => self.hierarchy = Hierarchy::build(u).map_err(DatasetError::Hierarchy)?,
            Layer::Buildings(b) => self.buildings = b,
            Layer::Cameras(c) => self.cameras = c,
            Layer::Facilities(f) => self.facilities = f,
            Layer::Incidents(i) => self.incidents = i,
            Layer::Roads(r) => self.roads = r,
        }
        Ok(())
    }

    /// Recompute indexes, assignments and the integrity report.
    pub fn rebuild(&mut self) {
        let h = &self.hierarchy;
        self.locator = PointLocator::new(h);
        self.unit_index = PolygonIndex::new(h.units.iter().map(|u| u.geometry.bounding_rect()));
        self.building_index = PolygonIndex::new(self.buildings.iter().map(|b| b.footprint.bounding_rect()));
        self.camera_index = PolygonIndex::new(self.cameras.iter().map(|c| point_rect(c.position)));
        self.facility_index = PolygonIndex::new(self.facilities.iter().map(|c| point_rect(c.position)));
        self.incident_index = PolygonIndex::new(self.incidents.iter().map(|c| point_rect(c.position)));
        self.road_index = PolygonIndex::new(self.roads.iter().map(|r| r.line.bounding_rect()));
        self.building_assignment = assign_buildings(h, &self.buildings);
        self.explicit_buildings = self.building_assignment.iter().enumerate().filter(|(_, a)| a.explicit).map(|(b, _)| b).collect();
        let pts: Vec<(f64, f64)> = self.incidents.iter().map(|i| (i.position.x(), i.position.y())).collect();
        self.incident_unit = self.locator.locate_all(&pts);
        self.unit_incidents = vec![0; h.len()];
        for u in self.incident_unit.iter().flatten() {
            for a in h.chain(*u) {
                self.unit_incidents[a] += 1;
            }
        }
        self.unit_area_m2 = h
            .units
            .iter()
            .map(|u| u.geometry.bounding_rect().map_or(0.0, |r| LocalProjection::for_rect(r).project_multi(&u.geometry).unsigned_area()))
            .collect();
        self.report = check(h, &self.buildings, &self.building_assignment, &self.config);
        self.coverage = OnceLock::new();
        self.heat = OnceLock::new();
    }

    /// Rebuild the camera R-tree (after the cameras changed in place).
    pub fn reindex_cameras(&mut self) {
        self.camera_index = PolygonIndex::new(self.cameras.iter().map(|c| point_rect(c.position)));
    }

    /// Camera coverage (views, per-unit figures, gaps), computed on first use.
    pub fn coverage(&self) -> &CameraCoverage {
        self.coverage.get_or_init(|| CameraCoverage::compute(self))
    }

    /// A key that changes whenever any layer changes (for ETags and caches).
    pub fn data_version(&self) -> String {
        LayerKind::ALL
            .iter()
            .map(|k| format!("{}{}", &k.as_str()[..1], self.versions.get(k).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Whether a unit (or anything) carries the generated label: JSON `true` or `1`, or, as a CSV
    /// column arrives, the text `true`, `1` or `yes` (any case).
    pub fn is_generated(attrs: &Attributes) -> bool {
        match attrs.get("generated") {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::Number(n)) => n.as_f64() == Some(1.0),
            Some(serde_json::Value::String(s)) => {
                let s = s.trim();
                s.eq_ignore_ascii_case("true") || s == "1" || s.eq_ignore_ascii_case("yes")
            }
            _ => false,
        }
    }

    /// Bounds of everything loaded.
    pub fn bounds(&self) -> Option<Rect<f64>> {
        self.hierarchy
            .units
            .iter()
            .filter_map(|u| u.geometry.bounding_rect())
            .chain(self.buildings.iter().filter_map(|b| b.footprint.bounding_rect()))
            .reduce(rect_union)
    }

    /// Whether unit `ancestor` holds the deepest unit `leaf` (or is it).
    pub fn under(&self, leaf: Option<usize>, ancestor: usize) -> bool {
        leaf.is_some_and(|l| self.hierarchy.chain(l).contains(&ancestor))
    }

    /// Whether unit `unit` holds loaded incident `n`.
    pub fn incident_in(&self, n: usize, unit: usize) -> bool {
        self.under(self.incident_unit.get(n).copied().flatten(), unit)
    }

    /// Whether unit `unit` holds building `b` (its leaf).
    pub fn building_in(&self, b: usize, unit: usize) -> bool {
        self.under(self.building_assignment.get(b).and_then(|a| a.leaf), unit)
    }

    /// Whether any loaded incident carries the generated label.
    pub fn incidents_generated(&self) -> bool {
        self.incidents.iter().any(|i| Dataset::is_generated(&i.attributes))
    }
}

#[cfg(test)]
mod tests {
    use super::Dataset;
    use crate::model::{Attributes, Layer, Unit, UnitId};
    use crate::units::integrity::IntegrityConfig;
    use serde_json::{Value, json};

    fn attrs(v: Value) -> Attributes {
        [("generated".to_owned(), v)].into_iter().collect()
    }

    #[test]
    fn generated_label_from_geojson_and_csv_values() {
        for v in [json!(true), json!(1), json!("true"), json!("TRUE"), json!(" 1 "), json!("yes")] {
            assert!(Dataset::is_generated(&attrs(v.clone())), "{v}");
        }
        for v in [json!(false), json!(0), json!("false"), json!(""), json!("0"), json!("no"), json!(null), json!(2)] {
            assert!(!Dataset::is_generated(&attrs(v.clone())), "{v}");
        }
        assert!(!Dataset::is_generated(&Attributes::default()));
    }

    #[test]
    fn an_empty_dataset_and_a_broken_hierarchy() {
        let mut d = Dataset::empty(IntegrityConfig::default());
        d.rebuild();
        assert!(d.bounds().is_none() && d.coverage().units.is_empty());
        assert_eq!(d.data_version(), "u0-b0-c0-f0-i0-r0");
        let unit = |id: &str, parent: Option<&str>| Unit {
            id: UnitId::from(id),
            parent: parent.map(UnitId::from),
            level: crate::model::Level("grid".into()),
            name: id.into(),
            geometry: geo::MultiPolygon(vec![]),
            attributes: Attributes::default(),
        };
        let e = d.set(Layer::Units(vec![unit("a", None), unit("a", None), unit("b", Some("z"))])).expect_err("broken");
        let msg = e.to_string();
        assert!(msg.contains("; ") && msg.contains('z'), "{msg}");
    }
}
