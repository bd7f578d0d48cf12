//! The server's integration tests, one binary: the real router in-process and the real CLI on temp files.

mod adjacency;
mod api;
mod auth;
mod cli;
mod common;
mod coverage;
mod fuzz_corpus;
mod houston;
mod http;
mod import_errors;
mod import_fuzz;
mod incidents;
mod integrity;
mod malformed;
mod tiles;
mod tiles_prop;
