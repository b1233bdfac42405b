#![no_main]
//! Fuzz target `variable_packet`: the checks live in `fuzz/checks.rs`.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::variable_packet(data));
