//! wangge server: the DuckDB store, import and export, vector tiles, the HTTP
//! API and the web page, used by the `wangge` binary.

pub mod auth;
pub mod cli;
pub mod events;
pub mod export;
pub mod fuzzing;
pub mod geojson_out;
pub mod graphs;
pub mod heat;
pub mod http;
pub mod import;
pub mod live;
pub mod planning;
pub mod service;
pub mod sql;
pub mod state;
pub mod store;
pub mod sync;
pub mod tiles;
pub mod wkb;
