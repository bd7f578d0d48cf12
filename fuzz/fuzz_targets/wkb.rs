//! libFuzzer target: [`wangge::fuzzing::wkb`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wangge::fuzzing::wkb(data));
