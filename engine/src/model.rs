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

/// Where a camera looks and how far it sees: the one description of a view,
/// used by the model, the visibility sweep, siting and the scenarios.
///
/// Serialized with the names the files and the HTTP API use (`heading`,
/// `fov`, `range`, `height`); a missing heading is north (siting sweeps it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraView {
    /// Compass heading of the view's centre (0 = north, 90 = east).
    #[serde(rename = "heading", default)]
    pub heading_deg: f64,
    /// Field of view in degrees; 360 or more sees all round (dome).
    #[serde(rename = "fov")]
    pub fov_deg: f64,
    #[serde(rename = "range")]
    pub range_m: Metres,
    /// Mounting height above the ground (above the roof when on a roof).
    #[serde(rename = "height")]
    pub height_m: Metres,
}

impl CameraView {
    /// A dome: sees all round.
    pub fn dome(range_m: f64, height_m: f64) -> CameraView {
        CameraView { heading_deg: 0.0, fov_deg: 360.0, range_m: Metres(range_m), height_m: Metres(height_m) }
    }
}

/// A camera: where it is, where it looks and how far it sees.
#[derive(Debug, Clone)]
pub struct Camera {
    pub id: String,
    pub position: Point<f64>,
    pub view: CameraView,
    pub kind: CameraKind,
    pub attributes: Attributes,
}

impl Camera {
    /// The view as computed: a dome sees all round whatever field of view it was given.
    pub fn effective_view(&self) -> CameraView {
        CameraView { fov_deg: if self.kind == CameraKind::Dome { 360.0 } else { self.view.fov_deg }, ..self.view }
    }
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

/// A validated layer: the features of one kind, as read from a file or the store.
#[derive(Debug, Clone)]
pub enum Layer {
    Units(Vec<Unit>),
    Buildings(Vec<Building>),
    Cameras(Vec<Camera>),
    Facilities(Vec<Facility>),
    Incidents(Vec<Incident>),
    Roads(Vec<Road>),
}

impl Layer {
    pub fn kind(&self) -> LayerKind {
        match self {
            Layer::Units(_) => LayerKind::Units,
            Layer::Buildings(_) => LayerKind::Buildings,
            Layer::Cameras(_) => LayerKind::Cameras,
            Layer::Facilities(_) => LayerKind::Facilities,
            Layer::Incidents(_) => LayerKind::Incidents,
            Layer::Roads(_) => LayerKind::Roads,
        }
    }

    /// How many features.
    pub fn len(&self) -> usize {
        match self {
            Layer::Units(v) => v.len(),
            Layer::Buildings(v) => v.len(),
            Layer::Cameras(v) => v.len(),
            Layer::Facilities(v) => v.len(),
            Layer::Incidents(v) => v.len(),
            Layer::Roads(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
