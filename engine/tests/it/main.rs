//! The engine's integration tests, in one binary: oracles (ray casting,
//! networkx, enumeration, independent contiguity checks) and property tests.

mod alliances;
mod assign_props;
mod blossom_oracle;
mod coverage_edit;
mod galil_oracle;
mod matching;
mod matching_brute;
mod props;
mod service_oracle;
mod service_siting;
mod visibility;
