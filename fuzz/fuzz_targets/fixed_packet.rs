#![no_main]
//! Fuzz target `fixed_packet`: the checks live in `fuzz/checks.rs`.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::fixed_packet(data));
