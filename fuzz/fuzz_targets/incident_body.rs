//! libFuzzer target: [`wangge::fuzzing::incident_body`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wangge::fuzzing::incident_body(data));
