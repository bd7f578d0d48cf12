//! The in-memory state the server and the CLI work on: the current version of
//! every layer, the hierarchy, R-trees, assignments and the integrity report.

use std::collections::BTreeMap;

use geo::{Area, BoundingRect, Rect};
use wangge_engine::assign::{BuildingAssignment, PointLocator, assign_buildings};
use wangge_engine::hierarchy::Hierarchy;
use wangge_engine::index::PolygonIndex;
use wangge_engine::integrity::{IntegrityConfig, Report, check};
use wangge_engine::model::{Building, Camera, Facility, Incident, LayerKind, Road};
use wangge_engine::projection::LocalProjection;

use crate::import::Layer;
use crate::store::{Store, StoreError};

/// Everything loaded and indexed.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub versions: BTreeMap<LayerKind, i32>,
    pub hierarchy: Hierarchy,
    pub buildings: Vec<Building>,
    pub cameras: Vec<Camera>,
    pub facilities: Vec<Facility>,
    pub incidents: Vec<Incident>,
    pub roads: Vec<Road>,
    pub locator: PointLocator,
    pub building_assignment: Vec<BuildingAssignment>,
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
    /// Camera coverage, computed on first use.
    pub coverage: std::sync::OnceLock<crate::coverage::CameraCoverage>,
    /// The heat index of the loaded incidents, built on first use (`crate::heat`).
    pub heat: std::sync::OnceLock<Option<std::sync::Arc<crate::heat::LoadedHeat>>>,
}

fn point_rect(p: geo::Point<f64>) -> Option<Rect<f64>> {
    Some(Rect::new(p.0, p.0))
}

impl Dataset {
    /// Load the current version of every layer from the store.
    pub fn load(store: &Store, config: IntegrityConfig) -> Result<Dataset, StoreError> {
        Self::load_layers(store, &LayerKind::ALL, config)
    }

    /// Load only the given layers (the others stay empty; `versions` lists all).
    pub fn load_layers(store: &Store, kinds: &[LayerKind], config: IntegrityConfig) -> Result<Dataset, StoreError> {
        let versions = store.current_versions()?;
        let mut d = Dataset::empty(config);
        d.versions = versions;
        for &kind in kinds {
            if d.versions.contains_key(&kind) {
                let layer = store.read_layer(kind)?;
                d.set(layer).map_err(StoreError::Corrupt)?;
            }
        }
        d.rebuild();
        Ok(d)
    }

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
            coverage: std::sync::OnceLock::new(),
            heat: std::sync::OnceLock::new(),
        }
    }

    /// Replace one layer (call [`Dataset::rebuild`] after).
    pub fn set(&mut self, layer: Layer) -> Result<(), String> {
        match layer {
            Layer::Units(u) => {
                self.hierarchy = Hierarchy::build(u).map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))?;
            }
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
        self.coverage = std::sync::OnceLock::new();
        self.heat = std::sync::OnceLock::new();
    }

    /// Camera coverage (views, per-unit figures, gaps), computed on first use.
    pub fn coverage(&self) -> &crate::coverage::CameraCoverage {
        self.coverage.get_or_init(|| crate::coverage::CameraCoverage::compute(self))
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
    pub fn is_generated(attrs: &wangge_engine::model::Attributes) -> bool {
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
            .reduce(wangge_engine::index::rect_union)
    }
}

/// Compute the integrity report JSON for the store's current state (used
/// inside the import transaction).
pub fn report_for_store(store: &Store, config: &IntegrityConfig) -> Result<Option<(i32, i32, String)>, StoreError> {
    let d = Dataset::load_layers(store, &[LayerKind::Units, LayerKind::Buildings], config.clone())?;
    let uv = d.versions.get(&LayerKind::Units).copied().unwrap_or(0);
    let bv = d.versions.get(&LayerKind::Buildings).copied().unwrap_or(0);
    let json = serde_json::to_string(&d.report).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Some((uv, bv, json)))
}

#[cfg(test)]
mod tests {
    use super::Dataset;
    use serde_json::{Value, json};

    fn attrs(v: Value) -> wangge_engine::model::Attributes {
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
        assert!(!Dataset::is_generated(&wangge_engine::model::Attributes::default()));
    }
}
