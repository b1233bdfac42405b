//! Helpers shared by the integration tests that decode by hand: feeding a
//! decoder a stream cut at chosen points and recording what it yields (the
//! driver itself is `feed.rs`, shared with the fuzz checks), and hex. The
//! split and round-trip property tests use `sockwire::testing` instead.

// Each test binary uses only some of these helpers.
#![allow(dead_code)]

mod feed;

use sockwire::{DecodeError, Decoder};

#[allow(unused_imports)] // each test binary uses some of them
pub use feed::{Events, Run, cut_at, feed, one_byte_reads};

/// Feeds `data` to `decoder` as reads cut at `cuts` (positions, taken modulo
/// `data.len() + 1`, in any order), calling `decode` after each read until
/// it answers `Ok(None)`; then, if `eof`, `decode_eof` until `Ok(None)`.
/// See [`feed`] for what it checks on the way.
pub fn run<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    cuts: &[usize],
    eof: bool,
) -> Run<D::Item> {
    feed(decoder, &cut_at(data, cuts), eof, |_, _| ())
}

/// The whole stream in one read.
pub fn all_at_once<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    eof: bool,
) -> Run<D::Item> {
    feed(decoder, &[data], eof, |_, _| ())
}

/// The stream one byte per read.
pub fn byte_by_byte<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    eof: bool,
) -> Run<D::Item> {
    feed(decoder, &one_byte_reads(data), eof, |_, _| ())
}

/// Decodes a whole stream in one read, then ends it, and returns the events.
pub fn decode_stream<D: Decoder<Error = DecodeError>>(
    mut decoder: D,
    data: &[u8],
) -> Events<D::Item> {
    all_at_once(&mut decoder, data, true).events
}

/// Bytes from a hex string; spaces are ignored.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits in {s:?}");
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).expect("hex digits are ASCII");
            u8::from_str_radix(text, 16).expect("valid hex digit")
        })
        .collect()
}

/// A hex string for `bytes`, lower case, no separators.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
