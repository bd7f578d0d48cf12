//! Questions asked of an area — a unit, or a polygon someone drew: what lies
//! in it (`area`), its incidents (`area_incidents`), and the prepared outline
//! both use (`outline`).

pub mod area;
pub mod area_incidents;
pub mod outline;
