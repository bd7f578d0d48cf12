//! libFuzzer target: [`wangge::fuzzing::import_geojson`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wangge::fuzzing::import_geojson(data));
