#![no_main]
//! Fuzz target `text_datagram`: the checks live in `fuzz/checks.rs`.

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::text_datagram(data));
