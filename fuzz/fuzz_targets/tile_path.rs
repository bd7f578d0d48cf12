//! libFuzzer target: [`wangge::fuzzing::tile_path`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wangge::fuzzing::tile_path(data));
