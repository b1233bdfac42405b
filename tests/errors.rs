//! Every error the five core codecs can produce, with its exact fields;
//! every limit at limit − 1, limit and limit + 1; recovery after each
//! recoverable error; end-of-stream behaviour; `is_recoverable`; and the
//! Display output of packets and errors.

mod common {
    pub mod feed;
}

use bytes::{BufMut, Bytes, BytesMut};
use common::feed::{all_at_once, byte_by_byte, decode_stream, run};
use sockwire::{
    DatagramDecoder, DatagramEncoder, DecodeError, Decoder, EncodeError, Encoder, FixedPacket,
    FixedPacketCodec, HeaderError, LineCodec, Text, TextDatagramCodec, TextStreamCodec,
    VariablePacket, VariablePacketCodec,
};

fn ok(s: &str) -> Result<Text, DecodeError> {
    Ok(Text::from(s))
}

fn ascii(n: usize) -> String {
    "x".repeat(n)
}

/// A variable-packet header: version 1, `size`, `order`.
fn var_header(size: u32, order: u32) -> Vec<u8> {
    let mut h = vec![1];
    h.extend_from_slice(&size.to_be_bytes());
    h.extend_from_slice(&order.to_be_bytes());
    h
}

fn var_frame(order: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = var_header(u32::try_from(payload.len()).unwrap(), order);
    f.extend_from_slice(payload);
    f
}

// ---------------------------------------------------------------------------
// §1 TextDatagramCodec
// ---------------------------------------------------------------------------

fn datagram(n: usize) -> Bytes {
    Bytes::from(ascii(n))
}

#[test]
fn datagram_one_below_65507_is_accepted() {
    let text = TextDatagramCodec::new()
        .decode_datagram(datagram(TextDatagramCodec::MAX_LEN - 1))
        .unwrap();
    assert_eq!(text.len(), 65_506);
}

#[test]
fn datagram_of_exactly_65507_bytes_is_accepted() {
    assert_eq!(TextDatagramCodec::MAX_LEN, 65_507);
    let text = TextDatagramCodec::new()
        .decode_datagram(datagram(TextDatagramCodec::MAX_LEN))
        .unwrap();
    assert_eq!(text.len(), 65_507);
}

#[test]
fn datagram_of_65508_bytes_is_frame_too_large() {
    assert_eq!(
        TextDatagramCodec::new().decode_datagram(datagram(TextDatagramCodec::MAX_LEN + 1)),
        Err(DecodeError::FrameTooLarge {
            size: 65_508,
            max: 65_507
        })
    );
}

#[test]
fn encoding_text_of_65506_and_65507_bytes_succeeds() {
    for n in [TextDatagramCodec::MAX_LEN - 1, TextDatagramCodec::MAX_LEN] {
        let mut out = BytesMut::new();
        TextDatagramCodec::new()
            .encode_datagram(ascii(n).as_str(), &mut out)
            .unwrap();
        assert_eq!(out.len(), n);
    }
}

#[test]
fn encoding_text_of_65508_bytes_is_too_large_and_writes_nothing() {
    let mut out = BytesMut::from(&b"kept"[..]);
    let text = ascii(TextDatagramCodec::MAX_LEN + 1);
    assert_eq!(
        TextDatagramCodec::new().encode_datagram(text.as_str(), &mut out),
        Err(EncodeError::TooLarge {
            size: 65_508,
            max: 65_507
        })
    );
    assert_eq!(
        TextDatagramCodec::new().encode_datagram(Text::from(text), &mut out),
        Err(EncodeError::TooLarge {
            size: 65_508,
            max: 65_507
        })
    );
    assert_eq!(&out[..], b"kept");
}

#[test]
fn datagram_with_max_len_10_accepts_9_and_10_and_rejects_11() {
    let mut codec = TextDatagramCodec::with_max_len(10);
    assert_eq!(codec.max_len(), 10);
    assert_eq!(codec.decode_datagram(datagram(9)).unwrap().len(), 9);
    assert_eq!(codec.decode_datagram(datagram(10)).unwrap().len(), 10);
    assert_eq!(
        codec.decode_datagram(datagram(11)),
        Err(DecodeError::FrameTooLarge { size: 11, max: 10 })
    );
    let mut out = BytesMut::new();
    codec.encode_datagram(ascii(9).as_str(), &mut out).unwrap();
    codec.encode_datagram(ascii(10).as_str(), &mut out).unwrap();
    assert_eq!(
        codec.encode_datagram(ascii(11).as_str(), &mut out),
        Err(EncodeError::TooLarge { size: 11, max: 10 })
    );
    assert_eq!(out.len(), 19);
}

#[test]
fn datagram_with_max_len_above_65507_is_capped() {
    let mut codec = TextDatagramCodec::with_max_len(100_000);
    assert_eq!(codec.max_len(), TextDatagramCodec::MAX_LEN);
    assert_eq!(
        codec.decode_datagram(datagram(TextDatagramCodec::MAX_LEN + 1)),
        Err(DecodeError::FrameTooLarge {
            size: 65_508,
            max: 65_507
        })
    );
}

#[test]
fn datagram_with_max_len_0_accepts_only_the_empty_message() {
    let mut codec = TextDatagramCodec::with_max_len(0);
    assert_eq!(codec.decode_datagram(Bytes::new()).unwrap(), "");
    assert_eq!(
        codec.decode_datagram(datagram(1)),
        Err(DecodeError::FrameTooLarge { size: 1, max: 0 })
    );
}

#[test]
fn empty_datagram_is_an_empty_message() {
    let text = TextDatagramCodec::new()
        .decode_datagram(Bytes::new())
        .unwrap();
    assert!(text.is_empty());
    let mut out = BytesMut::new();
    TextDatagramCodec::new()
        .encode_datagram("", &mut out)
        .unwrap();
    assert!(out.is_empty());
}

#[test]
fn datagram_invalid_utf8_gives_the_offset_in_the_datagram() {
    let mut codec = TextDatagramCodec::new();
    assert_eq!(
        codec.decode_datagram(Bytes::from_static(b"ab\xffcd")),
        Err(DecodeError::InvalidUtf8 { offset: 2 })
    );
    assert_eq!(
        codec.decode_datagram(Bytes::from_static(b"\x80")),
        Err(DecodeError::InvalidUtf8 { offset: 0 })
    );
}

#[test]
fn datagram_ending_in_half_a_character_is_invalid_at_that_character() {
    // a datagram is complete: a cut character is not held, it is invalid
    assert_eq!(
        TextDatagramCodec::new().decode_datagram(Bytes::from_static(b"na\xc3")),
        Err(DecodeError::InvalidUtf8 { offset: 2 })
    );
}

#[test]
fn datagram_codec_decodes_the_next_datagram_after_an_error() {
    let mut codec = TextDatagramCodec::with_max_len(4);
    assert!(codec.decode_datagram(Bytes::from_static(b"\xff")).is_err());
    assert!(
        codec
            .decode_datagram(Bytes::from_static(b"toolong"))
            .is_err()
    );
    assert_eq!(
        codec
            .decode_datagram(Bytes::from_static(b"\xc3\xa7a"))
            .unwrap(),
        "ça"
    );
}

#[test]
fn datagram_over_the_limit_is_reported_before_its_utf8_is_checked() {
    assert_eq!(
        TextDatagramCodec::with_max_len(2).decode_datagram(Bytes::from_static(b"\xff\xff\xff")),
        Err(DecodeError::FrameTooLarge { size: 3, max: 2 })
    );
}

// ---------------------------------------------------------------------------
// §2 TextStreamCodec
// ---------------------------------------------------------------------------

#[test]
fn text_stream_invalid_utf8_offset_is_the_stream_position() {
    let mut codec = TextStreamCodec::new();
    let mut buf = BytesMut::from(&b"hello"[..]);
    assert_eq!(codec.decode(&mut buf), ok("hello").map(Some));
    buf.extend_from_slice(b"ab\xffcd");
    assert_eq!(codec.decode(&mut buf), ok("ab").map(Some));
    assert_eq!(
        codec.decode(&mut buf),
        Err(DecodeError::InvalidUtf8 { offset: 7 }).map(Some)
    );
    // recovery: the rest of the stream decodes
    assert_eq!(codec.decode(&mut buf), ok("cd").map(Some));
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert_eq!(codec.position(), 10);
}

#[test]
fn text_stream_drops_only_the_bad_sequence_not_the_rest() {
    // e2 82 starts a 3-byte character; 41 ('A') cannot continue it, so the
    // two bytes are one bad sequence and 'A' is kept
    let events = decode_stream(TextStreamCodec::new(), b"\xe2\x82A");
    assert_eq!(
        events,
        [Err(DecodeError::InvalidUtf8 { offset: 0 }), ok("A")]
    );
}

#[test]
fn text_stream_surrogate_encoding_gives_one_error_per_byte() {
    // ed a0 80 would be U+D800: not UTF-8; each byte is a bad sequence
    let events = decode_stream(TextStreamCodec::new(), b"a\xed\xa0\x80b");
    assert_eq!(
        events,
        [
            ok("a"),
            Err(DecodeError::InvalidUtf8 { offset: 1 }),
            Err(DecodeError::InvalidUtf8 { offset: 2 }),
            Err(DecodeError::InvalidUtf8 { offset: 3 }),
            ok("b"),
        ]
    );
}

#[test]
fn text_stream_held_bytes_that_turn_out_invalid_are_one_error() {
    let mut codec = TextStreamCodec::new();
    let mut buf = BytesMut::from(&b"\xf0\x9f"[..]);
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert_eq!(buf.len(), 2);
    buf.extend_from_slice(b"!");
    assert_eq!(
        codec.decode(&mut buf),
        Err(DecodeError::InvalidUtf8 { offset: 0 })
    );
    assert_eq!(codec.decode(&mut buf), ok("!").map(Some));
}

#[test]
fn text_stream_holds_a_split_two_byte_char_until_it_is_whole() {
    let mut codec = TextStreamCodec::new();
    let mut buf = BytesMut::from(&b"na\xc3"[..]);
    assert_eq!(codec.decode(&mut buf), ok("na").map(Some));
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert_eq!(&buf[..], b"\xc3");
    buf.extend_from_slice(b"\xa3o");
    assert_eq!(codec.decode(&mut buf), ok("ão").map(Some));
}

#[test]
fn text_stream_holds_at_most_3_bytes_of_a_4_byte_char() {
    let crab = "🦀".as_bytes();
    let mut codec = TextStreamCodec::new();
    let mut buf = BytesMut::new();
    for &b in &crab[..3] {
        buf.put_u8(b);
        assert_eq!(codec.decode(&mut buf), Ok(None));
    }
    assert_eq!(buf.len(), 3);
    buf.put_u8(crab[3]);
    assert_eq!(codec.decode(&mut buf), ok("🦀").map(Some));
    assert!(buf.is_empty());
}

#[test]
fn text_stream_eof_with_a_held_half_char_is_unexpected_eof() {
    let mut codec = TextStreamCodec::new();
    let mut buf = BytesMut::from(&b"ok\xe6\x97"[..]);
    assert_eq!(codec.decode_eof(&mut buf), ok("ok").map(Some));
    assert_eq!(
        codec.decode_eof(&mut buf),
        Err(DecodeError::UnexpectedEof { pending: 2 })
    );
    assert!(buf.is_empty());
    assert_eq!(codec.decode_eof(&mut buf), Ok(None));
    assert_eq!(codec.position(), 4);
}

#[test]
fn text_stream_eof_after_whole_text_is_clean() {
    let mut codec = TextStreamCodec::new();
    let mut buf = BytesMut::from("ação".as_bytes());
    assert_eq!(codec.decode_eof(&mut buf), ok("ação").map(Some));
    assert_eq!(codec.decode_eof(&mut buf), Ok(None));
    assert_eq!(codec.decode_eof(&mut BytesMut::new()), Ok(None));
}

#[test]
fn text_stream_eof_with_an_invalid_trailing_byte_is_invalid_utf8_not_eof() {
    let events = decode_stream(TextStreamCodec::new(), b"ab\xff");
    assert_eq!(
        events,
        [ok("ab"), Err(DecodeError::InvalidUtf8 { offset: 2 })]
    );
}

#[test]
fn text_stream_encoder_writes_the_bytes_unchanged() {
    let mut out = BytesMut::new();
    let mut codec = TextStreamCodec::new();
    codec.encode("Message 1 from client.", &mut out).unwrap();
    codec
        .encode(Text::from("Message 2 from client."), &mut out)
        .unwrap();
    assert_eq!(out.len(), 44);
    assert_eq!(
        &out[..],
        b"Message 1 from client.Message 2 from client.".as_slice()
    );
}

// ---------------------------------------------------------------------------
// §3 LineCodec
// ---------------------------------------------------------------------------

#[test]
fn line_one_below_the_limit_is_accepted() {
    let events = decode_stream(LineCodec::with_max_len(4), b"abc\n");
    assert_eq!(events, [ok("abc")]);
}

#[test]
fn line_exactly_at_the_limit_is_accepted() {
    let events = decode_stream(LineCodec::with_max_len(4), b"abcd\n");
    assert_eq!(events, [ok("abcd")]);
}

#[test]
fn line_one_over_the_limit_is_line_too_long() {
    let events = decode_stream(LineCodec::with_max_len(4), b"abcde\nok\n");
    assert_eq!(events, [Err(DecodeError::LineTooLong { max: 4 }), ok("ok")]);
}

#[test]
fn line_with_cr_exactly_at_limit_is_accepted() {
    // the CR before the LF is not part of the line: 4 bytes at a limit of 4
    for feed in [all_at_once, byte_by_byte] {
        let mut codec = LineCodec::with_max_len(4);
        let run = feed(&mut codec, b"abcd\r\n", true);
        assert_eq!(run.events, [ok("abcd")]);
        assert!(run.max_held <= 5);
    }
}

#[test]
fn line_with_cr_one_over_the_limit_is_line_too_long() {
    for feed in [all_at_once, byte_by_byte] {
        let mut codec = LineCodec::with_max_len(4);
        let run = feed(&mut codec, b"abcde\r\nok\r\n", true);
        assert_eq!(
            run.events,
            [Err(DecodeError::LineTooLong { max: 4 }), ok("ok")]
        );
    }
}

#[test]
fn line_with_cr_not_before_lf_counts_the_cr() {
    // "abc\rd" is 5 bytes: the CR is part of the line
    let events = decode_stream(LineCodec::with_max_len(4), b"abc\rd\nab\rc\n");
    assert_eq!(
        events,
        [Err(DecodeError::LineTooLong { max: 4 }), ok("ab\rc")]
    );
}

#[test]
fn line_of_max_plus_1_bytes_without_lf_is_held_in_case_the_last_is_cr() {
    let mut codec = LineCodec::with_max_len(4);
    let mut buf = BytesMut::from(&b"abcd\r"[..]);
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert_eq!(buf.len(), 5);
    buf.put_u8(b'\n');
    assert_eq!(codec.decode(&mut buf), ok("abcd").map(Some));
}

#[test]
fn line_of_max_plus_2_bytes_without_lf_is_reported_at_once_and_dropped() {
    let mut codec = LineCodec::with_max_len(4);
    let mut buf = BytesMut::from(&b"abcdef"[..]);
    assert_eq!(
        codec.decode(&mut buf),
        Err(DecodeError::LineTooLong { max: 4 })
    );
    assert!(buf.is_empty(), "the over-long line is not kept");
    // the rest of the line is discarded up to its LF, with no second error
    buf.extend_from_slice(b"ghijklmnop");
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert!(buf.is_empty());
    buf.extend_from_slice(b"qr\nok\n");
    assert_eq!(codec.decode(&mut buf), ok("ok").map(Some));
    assert_eq!(codec.decode(&mut buf), Ok(None));
}

#[test]
fn line_default_limit_is_64_kib() {
    let mut data = ascii(65_535).into_bytes();
    data.push(b'\n');
    data.extend_from_slice(ascii(65_536).as_bytes());
    data.push(b'\n');
    data.extend_from_slice(ascii(65_537).as_bytes());
    data.push(b'\n');
    let events = decode_stream(LineCodec::new(), &data);
    assert_eq!(LineCodec::new().max_len(), 65_536);
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].as_ref().map(Text::len), Ok(65_535));
    assert_eq!(events[1].as_ref().map(Text::len), Ok(65_536));
    assert_eq!(events[2], Err(DecodeError::LineTooLong { max: 65_536 }));
}

#[test]
fn line_limit_of_zero_accepts_only_empty_lines() {
    let events = decode_stream(LineCodec::with_max_len(0), b"\n\r\na\n\n");
    assert_eq!(
        events,
        [
            ok(""),
            ok(""),
            Err(DecodeError::LineTooLong { max: 0 }),
            ok("")
        ]
    );
}

#[test]
fn line_invalid_utf8_offset_is_the_stream_position() {
    let events = decode_stream(LineCodec::new(), b"ok\na\xffb\nnext\n");
    assert_eq!(
        events,
        [
            ok("ok"),
            Err(DecodeError::InvalidUtf8 { offset: 4 }),
            ok("next")
        ]
    );
}

#[test]
fn line_invalid_utf8_offset_counts_discarded_bytes() {
    // 7 bytes of over-long line (+ LF) are dropped; the bad byte is at 10
    let events = decode_stream(LineCodec::with_max_len(4), b"abcdefg\nok\xc3(\n");
    assert_eq!(
        events,
        [
            Err(DecodeError::LineTooLong { max: 4 }),
            Err(DecodeError::InvalidUtf8 { offset: 10 }),
        ]
    );
    // the same over byte-by-byte reads, where the long line is caught early
    let mut codec = LineCodec::with_max_len(4);
    let run = byte_by_byte(&mut codec, b"abcdefg\nok\xc3(\n", true);
    assert_eq!(run.events, events);
}

#[test]
fn line_cut_before_its_cr_lf_is_invalid_at_the_cut() {
    // a character cut by the LF is invalid; the CR is already stripped
    let events = decode_stream(LineCodec::new(), b"\xe6\x97\r\nok\n");
    assert_eq!(
        events,
        [Err(DecodeError::InvalidUtf8 { offset: 0 }), ok("ok")]
    );
}

#[test]
fn line_eof_yields_the_unterminated_last_line() {
    let mut codec = LineCodec::new();
    let mut buf = BytesMut::from(&b"one\ntwo"[..]);
    assert_eq!(codec.decode_eof(&mut buf), ok("one").map(Some));
    assert_eq!(codec.decode_eof(&mut buf), ok("two").map(Some));
    assert_eq!(codec.decode_eof(&mut buf), Ok(None));
    assert!(buf.is_empty());
}

#[test]
fn line_eof_with_nothing_left_is_clean() {
    assert_eq!(decode_stream(LineCodec::new(), b""), []);
    assert_eq!(decode_stream(LineCodec::new(), b"a\n"), [ok("a")]);
}

#[test]
fn line_eof_unterminated_line_at_the_limit_is_yielded() {
    let events = decode_stream(LineCodec::with_max_len(4), b"abcd");
    assert_eq!(events, [ok("abcd")]);
}

#[test]
fn line_eof_unterminated_line_one_over_the_limit_is_line_too_long() {
    for feed in [all_at_once, byte_by_byte] {
        let mut codec = LineCodec::with_max_len(4);
        let run = feed(&mut codec, b"abcde", true);
        assert_eq!(run.events, [Err(DecodeError::LineTooLong { max: 4 })]);
    }
}

#[test]
fn line_eof_unterminated_line_keeps_its_trailing_cr() {
    // with no LF, the CR is not "just before the LF": it stays, and counts
    assert_eq!(decode_stream(LineCodec::new(), b"abc\r"), [ok("abc\r")]);
    assert_eq!(
        decode_stream(LineCodec::with_max_len(3), b"abc\r"),
        [Err(DecodeError::LineTooLong { max: 3 })]
    );
}

#[test]
fn line_eof_while_discarding_an_over_long_line_reports_it_once() {
    let mut codec = LineCodec::with_max_len(2);
    let run = byte_by_byte(&mut codec, b"abcdefgh", true);
    assert_eq!(run.events, [Err(DecodeError::LineTooLong { max: 2 })]);
    // the codec is usable again afterwards
    assert_eq!(decode_stream(codec, b"ok\n"), [ok("ok")]);
}

#[test]
fn line_eof_unterminated_invalid_line_is_invalid_utf8() {
    let events = decode_stream(LineCodec::new(), b"ok\nab\xc3");
    assert_eq!(
        events,
        [ok("ok"), Err(DecodeError::InvalidUtf8 { offset: 5 })]
    );
}

#[test]
fn line_encode_at_the_limit_and_one_below_succeeds() {
    let mut codec = LineCodec::with_max_len(4);
    let mut out = BytesMut::new();
    codec.encode("abc", &mut out).unwrap();
    codec.encode(Text::from("abcd"), &mut out).unwrap();
    codec.encode("", &mut out).unwrap();
    assert_eq!(&out[..], b"abc\nabcd\n\n");
}

#[test]
fn line_encode_one_over_the_limit_is_too_large_and_writes_nothing() {
    let mut codec = LineCodec::with_max_len(4);
    let mut out = BytesMut::new();
    assert_eq!(
        codec.encode("abcde", &mut out),
        Err(EncodeError::TooLarge { size: 5, max: 4 })
    );
    assert_eq!(
        codec.encode(Text::from("ação!"), &mut out),
        Err(EncodeError::TooLarge { size: 7, max: 4 })
    );
    assert!(out.is_empty());
}

#[test]
fn line_encode_with_lf_inside_is_newline_in_line_at_its_offset() {
    let mut codec = LineCodec::new();
    let mut out = BytesMut::new();
    assert_eq!(
        codec.encode("ab\ncd", &mut out),
        Err(EncodeError::NewlineInLine { offset: 2 })
    );
    assert_eq!(
        codec.encode(Text::from("ação\n"), &mut out),
        Err(EncodeError::NewlineInLine { offset: 6 })
    );
    assert!(out.is_empty());
}

#[test]
fn line_encode_ending_in_cr_comes_back_whole() {
    // "abc\r" goes out as "abc\r\r\n": the decoder strips the one CR
    // before the LF and reads "abc\r" back.
    let mut codec = LineCodec::with_max_len(7);
    let mut out = BytesMut::new();
    for line in ["abc\r", "\r", "ação\r", "a\rb", "\ra"] {
        codec.encode(line, &mut out).unwrap();
    }
    assert_eq!(&out[..9], b"abc\r\r\n\r\r\n");
    assert_eq!(
        decode_stream(LineCodec::with_max_len(7), &out),
        [ok("abc\r"), ok("\r"), ok("ação\r"), ok("a\rb"), ok("\ra")]
    );
}

#[test]
fn line_encode_checks_lf_before_length() {
    let mut codec = LineCodec::with_max_len(2);
    assert_eq!(
        codec.encode("abc\n", &mut BytesMut::new()),
        Err(EncodeError::NewlineInLine { offset: 3 })
    );
}

// ---------------------------------------------------------------------------
// §4 FixedPacketCodec
// ---------------------------------------------------------------------------

#[test]
fn fixed_packet_in_pieces_is_buffered_to_29_bytes() {
    let wire = FixedPacket::new(1, "hi").to_bytes();
    let mut codec = FixedPacketCodec::new();
    let mut buf = BytesMut::new();
    for &b in &wire[..28] {
        buf.put_u8(b);
        assert_eq!(codec.decode(&mut buf), Ok(None));
    }
    buf.put_u8(wire[28]);
    assert_eq!(codec.decode(&mut buf), Ok(Some(FixedPacket::new(1, "hi"))));
    assert!(buf.is_empty());
}

#[test]
fn fixed_eof_after_1_byte_is_unexpected_eof_pending_1() {
    assert_eq!(
        decode_stream(FixedPacketCodec::new(), &[1]),
        [Err(DecodeError::UnexpectedEof { pending: 1 })]
    );
}

#[test]
fn fixed_eof_after_28_bytes_is_unexpected_eof_pending_28() {
    let wire = FixedPacket::new(1, "hi").to_bytes();
    assert_eq!(
        decode_stream(FixedPacketCodec::new(), &wire[..28]),
        [Err(DecodeError::UnexpectedEof { pending: 28 })]
    );
}

#[test]
fn fixed_eof_after_a_whole_packet_and_part_of_the_next() {
    let mut data = FixedPacket::new(1, "one").to_bytes().to_vec();
    data.extend_from_slice(&FixedPacket::new(2, "two").to_bytes()[..10]);
    let mut codec = FixedPacketCodec::new();
    let mut buf = BytesMut::from(&data[..]);
    assert_eq!(
        codec.decode_eof(&mut buf),
        Ok(Some(FixedPacket::new(1, "one")))
    );
    assert_eq!(
        codec.decode_eof(&mut buf),
        Err(DecodeError::UnexpectedEof { pending: 10 })
    );
    assert!(buf.is_empty());
    assert_eq!(codec.decode_eof(&mut buf), Ok(None));
}

#[test]
fn fixed_eof_on_a_packet_boundary_is_clean() {
    let mut data = FixedPacket::new(1, "one").to_bytes().to_vec();
    data.extend_from_slice(&FixedPacket::new(2, "two").to_bytes());
    assert_eq!(
        decode_stream(FixedPacketCodec::new(), &data),
        [
            Ok(FixedPacket::new(1, "one")),
            Ok(FixedPacket::new(2, "two"))
        ]
    );
    assert_eq!(decode_stream(FixedPacketCodec::new(), &[]), []);
}

#[test]
fn fixed_any_29_bytes_are_a_packet() {
    let wire = [0xffu8; 29];
    let p = FixedPacket::from_bytes(&wire);
    assert_eq!(
        (p.version(), p.order(), p.size()),
        (255, u32::MAX, u32::MAX)
    );
    assert_eq!(p.text(), "");
    assert!(p.is_truncated());
    assert_eq!(p.to_bytes(), wire);
    assert_eq!(decode_stream(FixedPacketCodec::new(), &wire), [Ok(p)]);
}

#[test]
fn fixed_size_zero_with_text_in_the_field_is_the_empty_text() {
    let mut field = [b'-'; 20];
    field[..2].copy_from_slice(b"hi");
    let p = FixedPacket::from_parts(1, 1, 0, field);
    assert_eq!(p.text(), "");
    assert!(!p.is_truncated());
}

#[test]
fn fixed_version_byte_is_kept() {
    let p = FixedPacket::new(1, "hi").with_version(7);
    let events = decode_stream(FixedPacketCodec::new(), &p.to_bytes());
    assert_eq!(events, [Ok(p)]);
    assert_eq!(p.version(), 7);
}

#[test]
fn fixed_packet_display_names_the_fields() {
    assert_eq!(
        FixedPacket::new(1, "hi").to_string(),
        r#"#1 v1 size=2 "hi""#
    );
    assert_eq!(
        FixedPacket::new(42, "say \"ação\"").to_string(),
        r#"#42 v1 size=10 "say \"ação\"""#
    );
}

#[test]
fn fixed_packet_display_says_truncated() {
    assert_eq!(
        FixedPacket::new(3, "abcdefghijklmnopqrsç").to_string(),
        r#"#3 v1 size=20 "abcdefghijklmnopqrs" (truncated)"#
    );
    assert_eq!(
        FixedPacket::from_bytes(&[0xff; 29]).to_string(),
        r#"#4294967295 v255 size=4294967295 "" (truncated)"#
    );
}

#[test]
fn fixed_packet_debug_shows_text_and_truncation() {
    let debug = format!("{:?}", FixedPacket::new(1, "hi"));
    assert_eq!(
        debug,
        r#"FixedPacket { version: 1, order: 1, size: 2, text: "hi", truncated: false }"#
    );
}

// ---------------------------------------------------------------------------
// §5 VariablePacketCodec
// ---------------------------------------------------------------------------

#[test]
fn variable_payload_one_below_the_limit_is_accepted() {
    let events = decode_stream(
        VariablePacketCodec::with_max_len(8),
        &var_frame(1, b"1234567"),
    );
    assert_eq!(
        events,
        [Ok(VariablePacket::from_payload(1, &b"1234567"[..]))]
    );
}

#[test]
fn variable_payload_exactly_at_the_limit_is_accepted() {
    let events = decode_stream(
        VariablePacketCodec::with_max_len(8),
        &var_frame(1, b"12345678"),
    );
    assert_eq!(
        events,
        [Ok(VariablePacket::from_payload(1, &b"12345678"[..]))]
    );
}

#[test]
fn variable_header_one_over_the_limit_is_frame_too_large_before_the_payload() {
    let mut codec = VariablePacketCodec::with_max_len(8);
    let mut buf = BytesMut::from(&var_header(9, 1)[..]);
    assert_eq!(
        codec.decode(&mut buf),
        Err(DecodeError::FrameTooLarge { size: 9, max: 8 })
    );
    assert!(buf.is_empty());
}

#[test]
fn variable_oversize_frame_is_skipped_exactly_and_the_next_packet_decodes() {
    let mut data = var_header(9, 1);
    data.extend_from_slice(b"123456789");
    data.extend_from_slice(&var_frame(2, b"next"));
    let expected = [
        Err(DecodeError::FrameTooLarge { size: 9, max: 8 }),
        Ok(VariablePacket::from_payload(2, &b"next"[..])),
    ];
    for feed in [all_at_once, byte_by_byte] {
        let mut codec = VariablePacketCodec::with_max_len(8);
        let run = feed(&mut codec, &data, true);
        assert_eq!(run.events, expected);
        assert!(run.max_held < 9, "held {} bytes", run.max_held);
    }
}

#[test]
fn variable_oversize_header_reserves_nothing() {
    let mut codec = VariablePacketCodec::new();
    let mut buf = BytesMut::with_capacity(9);
    buf.extend_from_slice(&var_header(u32::MAX, 1));
    let before = buf.capacity();
    assert_eq!(
        codec.decode(&mut buf),
        Err(DecodeError::FrameTooLarge {
            size: u64::from(u32::MAX),
            max: 1_048_576
        })
    );
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert!(buf.capacity() <= before);
    // and skips its 4 GiB as they come, storing none of them
    buf.extend_from_slice(&[0; 4096]);
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert!(buf.is_empty());
}

#[test]
fn variable_header_within_the_limit_reserves_at_most_the_payload() {
    let mut codec = VariablePacketCodec::with_max_len(1000);
    let mut buf = BytesMut::with_capacity(9);
    buf.extend_from_slice(&var_header(1000, 1));
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert!(buf.capacity() >= 1000);
    // allocators may round up; what matters is that it is the payload's
    // size, not something the peer could inflate past the limit
    assert!(buf.capacity() <= 2 * (9 + 1000), "{}", buf.capacity());
}

#[test]
fn variable_default_limit_is_1_mib_at_decode() {
    let mut codec = VariablePacketCodec::new();
    assert_eq!(codec.max_len(), 1_048_576);
    let mut buf = BytesMut::from(&var_header(1_048_576, 1)[..]);
    assert_eq!(codec.decode(&mut buf), Ok(None), "1 MiB is accepted");
    let mut codec = VariablePacketCodec::new();
    let mut buf = BytesMut::from(&var_header(1_048_577, 1)[..]);
    assert_eq!(
        codec.decode(&mut buf),
        Err(DecodeError::FrameTooLarge {
            size: 1_048_577,
            max: 1_048_576
        })
    );
}

#[test]
fn variable_default_limit_is_1_mib_at_encode() {
    let mut codec = VariablePacketCodec::new();
    let mut out = BytesMut::new();
    codec
        .encode(
            VariablePacket::from_payload(1, vec![b'x'; 1_048_575]),
            &mut out,
        )
        .unwrap();
    codec
        .encode(
            VariablePacket::from_payload(2, vec![b'x'; 1_048_576]),
            &mut out,
        )
        .unwrap();
    let len = out.len();
    assert_eq!(len, 2 * 9 + 1_048_575 + 1_048_576);
    assert_eq!(
        codec.encode(
            VariablePacket::from_payload(3, vec![b'x'; 1_048_577]),
            &mut out
        ),
        Err(EncodeError::TooLarge {
            size: 1_048_577,
            max: 1_048_576
        })
    );
    assert_eq!(out.len(), len, "nothing written");
}

#[test]
fn variable_encode_at_max_minus_1_max_and_max_plus_1() {
    let mut codec = VariablePacketCodec::with_max_len(8);
    let mut out = BytesMut::new();
    codec
        .encode(&VariablePacket::from_payload(1, &b"1234567"[..]), &mut out)
        .unwrap();
    codec
        .encode(VariablePacket::from_payload(2, &b"12345678"[..]), &mut out)
        .unwrap();
    assert_eq!(
        codec.encode(VariablePacket::from_payload(3, &b"123456789"[..]), &mut out),
        Err(EncodeError::TooLarge { size: 9, max: 8 })
    );
    assert_eq!(out.len(), 9 + 7 + 9 + 8);
}

#[test]
fn variable_limit_of_zero_accepts_only_empty_payloads() {
    let mut data = var_frame(1, b"");
    data.extend_from_slice(&var_frame(2, b"x"));
    data.extend_from_slice(&var_frame(3, b""));
    assert_eq!(
        decode_stream(VariablePacketCodec::with_max_len(0), &data),
        [
            Ok(VariablePacket::from_payload(1, Bytes::new())),
            Err(DecodeError::FrameTooLarge { size: 1, max: 0 }),
            Ok(VariablePacket::from_payload(3, Bytes::new())),
        ]
    );
}

#[test]
fn variable_eof_inside_the_header_is_unexpected_eof_with_its_bytes() {
    for n in 1..9 {
        assert_eq!(
            decode_stream(VariablePacketCodec::new(), &var_header(5, 1)[..n]),
            [Err(DecodeError::UnexpectedEof {
                pending: u64::try_from(n).unwrap()
            })]
        );
    }
}

#[test]
fn variable_eof_after_the_header_counts_the_header() {
    assert_eq!(
        decode_stream(VariablePacketCodec::new(), &var_header(5, 1)),
        [Err(DecodeError::UnexpectedEof { pending: 9 })]
    );
}

#[test]
fn variable_eof_inside_the_payload_counts_header_and_payload_bytes() {
    let frame = var_frame(1, b"hello");
    for feed in [all_at_once, byte_by_byte] {
        let mut codec = VariablePacketCodec::new();
        let run = feed(&mut codec, &frame[..12], true);
        assert_eq!(
            run.events,
            [Err(DecodeError::UnexpectedEof { pending: 12 })]
        );
    }
}

#[test]
fn variable_eof_inside_a_skipped_frame_is_reported_after_frame_too_large() {
    let mut data = var_header(100, 1);
    data.extend_from_slice(&[0; 30]);
    for feed in [all_at_once, byte_by_byte] {
        let mut codec = VariablePacketCodec::with_max_len(10);
        let run = feed(&mut codec, &data, true);
        assert_eq!(
            run.events,
            [
                Err(DecodeError::FrameTooLarge { size: 100, max: 10 }),
                Err(DecodeError::UnexpectedEof { pending: 39 }),
            ]
        );
    }
}

#[test]
fn variable_codec_starts_afresh_after_unexpected_eof() {
    let mut codec = VariablePacketCodec::new();
    let mut buf = BytesMut::from(&var_frame(1, b"hello")[..7]);
    assert_eq!(
        codec.decode_eof(&mut buf),
        Err(DecodeError::UnexpectedEof { pending: 7 })
    );
    assert!(buf.is_empty());
    assert_eq!(codec.decode_eof(&mut buf), Ok(None));
    buf.extend_from_slice(&var_frame(2, b"again"));
    assert_eq!(
        codec.decode(&mut buf),
        Ok(Some(VariablePacket::from_payload(2, &b"again"[..])))
    );
}

#[test]
fn variable_payload_text_invalid_utf8_gives_the_offset_in_the_payload() {
    let events = decode_stream(VariablePacketCodec::new(), &var_frame(1, b"ok\xc3("));
    let packet = events[0].clone().unwrap();
    assert_eq!(packet.text(), Err(DecodeError::InvalidUtf8 { offset: 2 }));
    assert_eq!(packet.payload().as_ref(), b"ok\xc3(");
}

#[test]
fn variable_version_byte_and_empty_payload_are_kept() {
    let p = VariablePacket::from_payload(9, Bytes::new()).with_version(2);
    let mut out = BytesMut::new();
    VariablePacketCodec::new().encode(&p, &mut out).unwrap();
    assert_eq!(&out[..], b"\x02\x00\x00\x00\x00\x00\x00\x00\x09");
    assert_eq!(decode_stream(VariablePacketCodec::new(), &out), [Ok(p)]);
}

#[test]
fn variable_packet_display_shows_text_or_hex() {
    assert_eq!(
        VariablePacket::new(1, "hello").to_string(),
        r#"#1 v1 size=5 "hello""#
    );
    assert_eq!(
        VariablePacket::new(7, "ação\n").to_string(),
        r#"#7 v1 size=7 "ação\n""#
    );
    assert_eq!(
        VariablePacket::from_payload(2, &b"\xff\x00"[..]).to_string(),
        "#2 v1 size=2 [ff 00]"
    );
    assert_eq!(
        VariablePacket::from_payload(3, Bytes::new())
            .with_version(4)
            .to_string(),
        r#"#3 v4 size=0 """#
    );
}

// ---------------------------------------------------------------------------
// The error types
// ---------------------------------------------------------------------------

#[test]
fn recoverable_errors_are_utf8_line_and_frame_size() {
    assert!(DecodeError::InvalidUtf8 { offset: 0 }.is_recoverable());
    assert!(DecodeError::LineTooLong { max: 1 }.is_recoverable());
    assert!(DecodeError::FrameTooLarge { size: 2, max: 1 }.is_recoverable());
}

#[test]
fn unexpected_eof_and_invalid_header_are_not_recoverable() {
    assert!(!DecodeError::UnexpectedEof { pending: 1 }.is_recoverable());
    assert!(!DecodeError::InvalidHeader(HeaderError::Empty).is_recoverable());
    assert!(
        !DecodeError::from(HeaderError::MissingKey {
            key: "content-length"
        })
        .is_recoverable()
    );
}

#[test]
fn every_error_a_stream_codec_returns_mid_stream_is_recoverable() {
    // the errors `decode` gives before the end of the stream all let the
    // decoder go on; only `decode_eof` gives the unrecoverable one
    let mut codec = LineCodec::with_max_len(2);
    let run = all_at_once(&mut codec, b"\xff\nabc\nok", false);
    assert_eq!(run.events.len(), 2);
    assert!(
        run.events
            .iter()
            .all(|e| e.as_ref().unwrap_err().is_recoverable())
    );
    let mut codec = VariablePacketCodec::with_max_len(2);
    let run = all_at_once(&mut codec, &var_frame(1, b"abc"), false);
    assert!(run.events[0].as_ref().unwrap_err().is_recoverable());
    let mut codec = TextStreamCodec::new();
    let run = all_at_once(&mut codec, b"\xff", false);
    assert!(run.events[0].as_ref().unwrap_err().is_recoverable());
}

#[test]
fn decode_error_display_says_what_and_where() {
    assert_eq!(
        DecodeError::InvalidUtf8 { offset: 7 }.to_string(),
        "invalid UTF-8 at byte offset 7"
    );
    assert_eq!(
        DecodeError::LineTooLong { max: 4 }.to_string(),
        "line longer than the limit of 4 bytes"
    );
    assert_eq!(
        DecodeError::FrameTooLarge { size: 9, max: 8 }.to_string(),
        "frame of 9 bytes exceeds the limit of 8 bytes"
    );
    assert_eq!(
        DecodeError::UnexpectedEof { pending: 12 }.to_string(),
        "stream ended inside a message (12 bytes of it were received)"
    );
    assert_eq!(
        DecodeError::InvalidHeader(HeaderError::Empty).to_string(),
        "invalid application header: header length is zero"
    );
}

#[test]
fn encode_error_display_says_what_and_where() {
    assert_eq!(
        EncodeError::TooLarge {
            size: 65_508,
            max: 65_507
        }
        .to_string(),
        "message of 65508 bytes exceeds the limit of 65507 bytes"
    );
    assert_eq!(
        EncodeError::NewlineInLine { offset: 2 }.to_string(),
        "line contains a line feed at byte offset 2"
    );
    assert_eq!(
        EncodeError::Unrepresentable {
            reason: "why".into()
        }
        .to_string(),
        "cannot encode message: why"
    );
}

#[test]
fn errors_from_codecs_display_their_values() {
    let err = TextDatagramCodec::with_max_len(3)
        .decode_datagram(Bytes::from_static(b"abcd"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "frame of 4 bytes exceeds the limit of 3 bytes"
    );
    let events = decode_stream(FixedPacketCodec::new(), &[1; 5]);
    assert_eq!(
        events[0].as_ref().unwrap_err().to_string(),
        "stream ended inside a message (5 bytes of it were received)"
    );
}

#[test]
fn decoders_keep_going_with_split_reads_after_errors() {
    // a last sanity check that mixes every recoverable error of the line
    // codec and compares every split of the stream
    let data = b"ok\n\xff\ntoo long line\r\nabcd\r\nend";
    let expected = [
        ok("ok"),
        Err(DecodeError::InvalidUtf8 { offset: 3 }),
        Err(DecodeError::LineTooLong { max: 4 }),
        ok("abcd"),
        ok("end"),
    ];
    for cut in 0..=data.len() {
        let mut codec = LineCodec::with_max_len(4);
        assert_eq!(
            run(&mut codec, data, &[cut], true).events,
            expected,
            "cut {cut}"
        );
    }
}

#[test]
fn variable_header_claiming_the_limit_reserves_one_step_not_the_claim() {
    // A peer that sends only a header claiming 1 MiB must not make the
    // decoder hold 1 MiB: memory follows the bytes that arrive.
    let mut codec = VariablePacketCodec::new();
    let mut buf = BytesMut::from(&b"\x01\x00\x10\x00\x00\x00\x00\x00\x01"[..]);
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert!(
        buf.capacity() <= 2 * sockwire::codec::RESERVE_STEP,
        "capacity {} after a bare header",
        buf.capacity()
    );
    // and the packet still arrives whole, however slowly
    let payload = vec![b'x'; 1024 * 1024];
    for chunk in payload.chunks(100_000) {
        buf.extend_from_slice(chunk);
        if let Some(packet) = codec.decode(&mut buf).unwrap() {
            assert_eq!(packet.payload().len(), payload.len());
            return;
        }
    }
    panic!("the 1 MiB packet never decoded");
}

#[cfg(feature = "json")]
#[test]
fn app_header_claiming_the_limit_reserves_one_step_not_the_claim() {
    use sockwire::app::AppCodec;
    let header = br#"{"byteorder": "little", "content-type": "binary/x", "content-encoding": "binary", "content-length": 1048576}"#;
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&(header.len() as u16).to_be_bytes());
    buf.extend_from_slice(header);
    let mut codec = AppCodec::new();
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert!(
        buf.capacity() <= 2 * sockwire::codec::RESERVE_STEP,
        "capacity {} after a bare header",
        buf.capacity()
    );
}
