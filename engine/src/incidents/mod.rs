//! Incidents: the lifecycle and taxonomy, H3 heat indexes, counts and hot spots, KPI figures and trends.

pub mod h3locate;
pub mod heat;
pub mod heatindex;
pub mod hotspot;
pub mod kpi;
pub mod lifecycle;
pub mod taxonomy;
pub mod trend;
