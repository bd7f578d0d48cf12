//! libFuzzer target: [`wangge::fuzzing::transition_body`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wangge::fuzzing::transition_body(data));
