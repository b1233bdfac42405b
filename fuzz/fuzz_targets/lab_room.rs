#![no_main]
//! Fuzz target `lab_room`: the checks live in `fuzz/lab_checks.rs`.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::lab_room(data));
