//! The domain model: units of the grid hierarchy and the things placed on the map.
//!
//! Coordinates are WGS84 lon/lat (`x` = longitude, `y` = latitude) at this edge.
//! Ids are the user's ids, kept exactly as given. The hierarchy is data: a unit
//! has a parent id and a level name, any depth and any names.

use geo::{MultiLineString, MultiPolygon, Point};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A length or distance in metres.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
pub struct Metres(pub f64);

/// An area in square metres.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize, Deserialize)]
pub struct SquareMetres(pub f64);

/// A unit's id, exactly as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitId(pub String);

impl fmt::Display for UnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for UnitId {
    fn from(s: &str) -> Self {
        UnitId(s.to_owned())
    }
}

/// A level name of the hierarchy (e.g. `district`, `street`, `社区`, `grid`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Level(pub String);

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free-form attributes carried through from the source file.
pub type Attributes = BTreeMap<String, serde_json::Value>;

/// One unit of the grid hierarchy: district, street, community, grid, building grid…
#[derive(Debug, Clone)]
pub struct Unit {
    pub id: UnitId,
    pub parent: Option<UnitId>,
    pub level: Level,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
    pub attributes: Attributes,
}

/// A building footprint (楼栋).
#[derive(Debug, Clone)]
pub struct Building {
    pub id: String,
    pub footprint: MultiPolygon<f64>,
    pub households: Option<u32>,
    pub population: Option<u32>,
    pub floors: Option<u32>,
    pub height: Option<Metres>,
    pub attributes: Attributes,
}

impl Building {
    /// Height in metres: the given height, or floors × `storey_m`.
    pub fn height_or(&self, storey_m: f64) -> Option<Metres> {
        self.height.or_else(|| self.floors.map(|f| Metres(f64::from(f) * storey_m)))
    }
}

/// Whether a camera turns (dome, sees 360°) or looks one way (fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CameraKind {
    Dome,
    Fixed,
}

impl CameraKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CameraKind::Dome => "dome",
            CameraKind::Fixed => "fixed",
        }
    }
}

/// A camera: where it is, where it looks and how far it sees.
#[derive(Debug, Clone)]
pub struct Camera {
    pub id: String,
    pub position: Point<f64>,
    pub heading_deg: f64,
    pub fov_deg: f64,
    pub range_m: Metres,
    pub height_m: Metres,
    pub kind: CameraKind,
    pub attributes: Attributes,
}

/// A service facility (党群服务中心, 先锋驿站, clinic…).
#[derive(Debug, Clone)]
pub struct Facility {
    pub id: String,
    pub position: Point<f64>,
    pub kind: String,
    pub name: String,
    pub attributes: Attributes,
}

/// An incident reported by a grid worker or the hotline.
#[derive(Debug, Clone)]
pub struct Incident {
    pub id: String,
    pub position: Point<f64>,
    pub category: String,
    /// Seconds since the Unix epoch, UTC.
    pub occurred_at: i64,
    pub status: String,
    pub attributes: Attributes,
}

/// A road or path centre line.
#[derive(Debug, Clone)]
pub struct Road {
    pub id: String,
    pub line: MultiLineString<f64>,
    pub attributes: Attributes,
}

/// The layers wangge knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    Units,
    Buildings,
    Cameras,
    Facilities,
    Incidents,
    Roads,
}

impl LayerKind {
    pub const ALL: [LayerKind; 6] =
        [LayerKind::Units, LayerKind::Buildings, LayerKind::Cameras, LayerKind::Facilities, LayerKind::Incidents, LayerKind::Roads];

    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::Units => "units",
            LayerKind::Buildings => "buildings",
            LayerKind::Cameras => "cameras",
            LayerKind::Facilities => "facilities",
            LayerKind::Incidents => "incidents",
            LayerKind::Roads => "roads",
        }
    }

    pub fn parse(s: &str) -> Option<LayerKind> {
        LayerKind::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Whether features of this layer are points.
    pub fn is_point(self) -> bool {
        matches!(self, LayerKind::Cameras | LayerKind::Facilities | LayerKind::Incidents)
    }
}

impl fmt::Display for LayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
