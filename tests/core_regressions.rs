//! Core bugs found by fuzzing (`fuzz/`), each pinned by a test that failed
//! before its fix.

use bytes::BytesMut;
use sockwire::{Decoder, Encoder, LineCodec};

/// Found by the `line` check: a line ending with CR was written as
/// `line + LF`, which the decoder reads back without that CR.
#[test]
fn a_line_ending_with_cr_round_trips() {
    for line in ["a\r", "\r", "a\r\r", "x\ry\r"] {
        let mut codec = LineCodec::new();
        let mut buf = BytesMut::new();
        codec.encode(line, &mut buf).unwrap();
        assert_eq!(buf.last(), Some(&b'\n'));
        assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some(line));
        assert!(buf.is_empty());
    }
    // Lines without a trailing CR are unchanged on the wire.
    let mut buf = BytesMut::new();
    LineCodec::new().encode("a\rb", &mut buf).unwrap();
    assert_eq!(&buf[..], b"a\rb\n");
}

/// The length limit counts the line, not the extra CR.
#[test]
fn a_line_ending_with_cr_at_the_limit_encodes_and_decodes() {
    let mut codec = LineCodec::with_max_len(2);
    let mut buf = BytesMut::new();
    codec.encode("a\r", &mut buf).unwrap();
    assert_eq!(&buf[..], b"a\r\r\n");
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("a\r"));
}
