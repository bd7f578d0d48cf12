//! Times: the engine's parsing and formatting (`wangge_engine::time`), under
//! the name the server's modules use.

pub use wangge_engine::time::{format_time, format_time_at, parse_time};
