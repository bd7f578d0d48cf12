//! Cameras: what each sees, coverage cells, the coverage map of a dataset, siting, the high-points scenario and edits.

pub mod cells;
pub mod edit;
pub mod highpoints;
pub mod map;
pub mod maxcover;
pub mod siting;
pub mod visibility;
