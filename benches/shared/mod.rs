//! What both benches do the same way: the payloads, the tokio-util
//! baseline for the variable packet (`codecs.rs` times it, and
//! `instructions.rs` counts its instructions, on the same settings), and
//! the decode loop.

use std::hint::black_box;

use tokio_util::codec::LengthDelimitedCodec;

/// `len` bytes of printable ASCII text, different per message.
pub fn payload(len: usize, seed: usize) -> String {
    (0..len)
        .map(|i| char::from(b'a' + ((i + seed) % 26) as u8))
        .collect()
}

/// `LengthDelimitedCodec` set up for the variable packet's 9-byte header:
/// skip the version (`length_field_offset(1)`), a big-endian 4-byte size,
/// `length_adjustment(9)` (the 4 order bytes after the length field, plus
/// the 5 header bytes before the data, since the header is kept), keep the
/// header (`num_skip(0)`, so version and order can still be read), and our
/// 1 MiB limit.
pub fn tokio_length_delimited() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_offset(1)
        .length_field_length(4)
        .length_adjustment(9)
        .num_skip(0)
        .max_frame_length(sockwire::VariablePacketCodec::DEFAULT_MAX_LEN)
        .new_codec()
}
/// Takes messages from `next` until it has none, each through `black_box`;
/// how many there were.
pub fn drain<T>(mut next: impl FnMut() -> Option<T>) -> usize {
    let mut n = 0;
    while let Some(message) = next() {
        black_box(message);
        n += 1;
    }
    n
}
