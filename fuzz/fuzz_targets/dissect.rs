#![no_main]
//! Fuzz target `dissect`: the checks live in `fuzz/dissect.rs`.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::dissect::check(data));
