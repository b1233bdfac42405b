//! Helpers shared by the integration tests: feeding a decoder a stream cut
//! at chosen points, and recording what it yields.

// Each test binary uses only some of these helpers.
#![allow(dead_code)]

use bytes::BytesMut;
use sockwire::{DecodeError, Decoder};

/// Everything a decoder produced for one stream, in order.
pub type Events<T> = Vec<Result<T, DecodeError>>;

/// The outcome of feeding one stream to a decoder.
#[derive(Debug)]
pub struct Run<T> {
    /// Messages and errors, in the order the decoder gave them.
    pub events: Events<T>,
    /// The most bytes left in the buffer after `decode` answered `Ok(None)`.
    pub max_held: usize,
    /// The largest buffer capacity seen after any `decode` call.
    pub max_capacity: usize,
}

/// Feeds `data` to `decoder` as reads cut at `cuts` (positions, taken modulo
/// `data.len() + 1`, in any order), calling `decode` after each read until
/// it answers `Ok(None)`; then, if `eof`, `decode_eof` until `Ok(None)`.
///
/// Panics if the decoder keeps answering without consuming its input (a
/// decoder that loops forever would hang the test otherwise).
pub fn run<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    cuts: &[usize],
    eof: bool,
) -> Run<D::Item> {
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    bounds.push(0);
    bounds.push(data.len());
    bounds.sort_unstable();
    bounds.dedup();

    let mut buf = BytesMut::new();
    let mut out = Run {
        events: Vec::new(),
        max_held: 0,
        max_capacity: 0,
    };
    // Every answer but `Ok(None)` must consume at least one byte, except
    // an empty message (a zero-size packet) which costs a header; this is a
    // generous bound on the number of calls.
    let mut budget = 4 * data.len() + 64;
    let mut spend = || {
        budget = budget
            .checked_sub(1)
            .expect("decoder keeps answering without consuming its input");
    };
    for pair in bounds.windows(2) {
        buf.extend_from_slice(&data[pair[0]..pair[1]]);
        loop {
            spend();
            let answer = decoder.decode(&mut buf);
            out.max_capacity = out.max_capacity.max(buf.capacity());
            match answer {
                Ok(None) => {
                    out.max_held = out.max_held.max(buf.len());
                    break;
                }
                Ok(Some(item)) => out.events.push(Ok(item)),
                Err(e) => out.events.push(Err(e)),
            }
        }
    }
    if eof {
        loop {
            spend();
            match decoder.decode_eof(&mut buf) {
                Ok(None) => break,
                Ok(Some(item)) => out.events.push(Ok(item)),
                Err(e) => out.events.push(Err(e)),
            }
        }
        assert!(
            buf.is_empty(),
            "decode_eof answered Ok(None) with {} bytes left",
            buf.len()
        );
    }
    out
}

/// The whole stream in one read.
pub fn all_at_once<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    eof: bool,
) -> Run<D::Item> {
    run(decoder, data, &[], eof)
}

/// The stream one byte per read.
pub fn byte_by_byte<D: Decoder<Error = DecodeError>>(
    decoder: &mut D,
    data: &[u8],
    eof: bool,
) -> Run<D::Item> {
    let cuts: Vec<usize> = (0..=data.len()).collect();
    run(decoder, data, &cuts, eof)
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
