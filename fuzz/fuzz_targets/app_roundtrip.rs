#![no_main]
//! Fuzz target `app_roundtrip`: the checks live in `fuzz/checks.rs`.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::app_roundtrip(data));
