//! The server's integration tests, one binary: the real router in-process and the real CLI on temp files.

mod access_matrix;
mod adjacency;
mod api;
mod area;
mod auth;
mod case_loop;
mod cli;
mod common;
mod coverage;
mod durability;
mod export;
mod fuzz_corpus;
mod houston;
mod http;
mod import_errors;
mod import_fuzz;
mod incidents;
mod integrity;
mod malformed;
mod ogc;
mod scope_cases;
mod scope_map;
mod service;
mod sql;
mod tiles;
mod tiles_prop;
