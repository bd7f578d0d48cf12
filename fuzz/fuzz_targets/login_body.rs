//! libFuzzer target: [`wangge::fuzzing::login_body`].

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wangge::fuzzing::login_body(data));
