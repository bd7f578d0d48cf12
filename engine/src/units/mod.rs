//! The unit hierarchy: building it, assigning buildings and points to units, and checking its integrity.

pub mod assign;
pub mod explicit;
pub mod hierarchy;
pub mod integrity;
pub mod jurisdiction;
