//! Service life circles (issue 16): walking distance from every home to the nearest
//! facility of a kind along the street network, the catchments that reach, who is
//! left outside per unit, and where new stations would serve most.
//!
//! GB 50180-2018 (城市居住区规划设计标准) sets the 5/10/15-minute life circles at about
//! 300 m / 500 m / 800–1000 m of walking; [`DEFAULT_THRESHOLDS_M`] follows it.
//!
//! The pieces, one algorithm per file:
//! - [`network`]: road lines → a walking graph (vertices within `snap_m` merged, lines
//!   split only where they share a vertex, one-way ignored), its CSR adjacency and components.
//! - [`attach`]: a point joins the network at the nearest point of the nearest edge
//!   ([`segment_grid`]).
//! - [`dijkstra`]: multi-source Dijkstra from every facility of a kind; per building the
//!   nearest facility and the distance `access(building) + along network + access(facility)`.
//! - [`catchment`]: the reached network (whole and partial edges) buffered into polygons,
//!   through [`raster`] (capsules rasterised, outline traced).
//! - [`coverage`]: buildings, households and population within each threshold per unit;
//!   [`gaps`]: polygons of the homes beyond reach.
//! - [`siting`]: k new stations by greedy max-cover, or p-median (greedy + vertex interchange).
//!
//! Coordinates in and out are WGS84 lon/lat; every length is measured in the local
//! metric projection of the network (`geometry::projection`). Checked against networkx's
//! `multi_source_dijkstra` on the same graph (benches/oracles/service_networkx.py).

pub mod attach;
pub mod catchment;
pub mod coverage;
pub mod dijkstra;
pub mod gaps;
pub mod network;
pub mod raster;
pub mod segment_grid;
pub mod siting;

pub use attach::{Attachment, Origin, building_point};
pub use catchment::{Catchment, catchments};
pub use coverage::{UnitServiceCoverage, coverage_per_unit};
pub use dijkstra::{DistanceOptions, Distances, Method, distances, distances_attached};
pub use gaps::gaps;
pub use network::{NetworkOptions, WalkNetwork};
pub use siting::{Candidates, SitingError, SitingFigures, SitingGoal, SitingPick, SitingResult, siting};

/// The life-circle thresholds of GB 50180-2018 in metres (5, 10 and 15 minutes on foot).
pub const DEFAULT_THRESHOLDS_M: [f64; 3] = [300.0, 500.0, 1000.0];
/// Straight line × this when there is no network.
pub const DEFAULT_DETOUR: f64 = 1.3;
/// Half-width of the band drawn around reached streets, metres.
pub const DEFAULT_WIDTH_M: f64 = 25.0;
