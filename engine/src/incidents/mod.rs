//! Incidents: the case loop (lifecycle, who may take which step, evaluation) and taxonomy, H3 heat indexes, counts and hot spots, KPI figures and trends.

pub mod authorize;
pub mod evaluation;
pub mod h3locate;
pub mod heat;
pub mod heatindex;
pub mod hotspot;
pub mod kpi;
pub mod lifecycle;
pub mod screen;
pub mod taxonomy;
pub mod trend;
