#![no_main]
//! Fuzz target `room_server`: the checks live in `fuzz/checks.rs`.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::room_server(data));
