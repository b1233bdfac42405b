//! Property tests for the five core codecs: round trips, split invariance
//! (the same messages and errors however a stream is cut into reads,
//! checked against a simple model of each protocol), and arbitrary input
//! (no panic, never more held than the limit). The splits and the borrowed
//! path are checked by `sockwire::testing`.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use sockwire::testing::{Decoded, Splits, prop_datagram_round_trip, prop_round_trip, strategy};
use sockwire::{
    BorrowDecoder, DatagramDecoder, DatagramEncoder, DecodeError, Decoder, Encoder, FixedPacket,
    FixedPacketCodec, LineCodec, Text, TextDatagramCodec, TextStreamCodec, VariablePacket,
    VariablePacketCodec,
};

/// Everything a decoder gave for a stream.
type Events<T> = Vec<Result<T, DecodeError>>;

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Characters that make text awkward: the kit's, and often a line end.
fn awkward_char() -> impl Strategy<Value = char> {
    prop_oneof![
        5 => strategy::awkward_char(),
        1 => prop::sample::select(vec!['\r', '\n']),
    ]
}

fn text(max_chars: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(awkward_char(), 0..=max_chars).prop_map(String::from_iter)
}

/// A byte stream made of pieces that stress text decoders: valid text,
/// random bytes, line ends, and characters cut short.
fn messy_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        3 => text(6).prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..6),
        2 => prop::sample::select(vec![&b"\n"[..], b"\r\n", b"\r", b"\r\r\n"]).prop_map(<[u8]>::to_vec),
        2 => (any::<char>(), 0usize..4).prop_map(|(c, keep)| {
            let mut utf8 = [0u8; 4];
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            bytes[..keep.min(bytes.len())].to_vec()
        }),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A fresh decoder from `make` fed `data` whole, through `decode_eof`
/// alone, byte by byte and in random chunkings from `seed`: every way must
/// give the same events, returned with the most held and reserved.
fn split<D>(
    make: impl Fn() -> D,
    data: &[u8],
    seed: u64,
    eof: bool,
) -> Result<Decoded<D::Item, DecodeError>, TestCaseError>
where
    D: Decoder<Error = DecodeError> + 'static,
    D::Item: PartialEq + std::fmt::Debug,
{
    Ok(Splits::quick()
        .with_seed(seed)
        .with_eof(eof)
        .events(make, data)?)
}

/// Like [`split`] for the text stream, whose message boundaries follow
/// the reads: compares the merged events.
fn text_split(data: &[u8], seed: u64) -> Result<Decoded<String, DecodeError>, TestCaseError> {
    Ok(Splits::quick()
        .with_seed(seed)
        .events_by(TextStreamCodec::new, data, |e| merged(&e))?)
}

/// Text events with consecutive texts joined (the text stream's message
/// boundaries follow the reads; its text and errors must not).
fn merged(events: &Events<Text>) -> Vec<Result<String, DecodeError>> {
    let mut out: Vec<Result<String, DecodeError>> = Vec::new();
    for event in events {
        match event {
            Ok(text) if text.is_empty() => {}
            Ok(text) => match out.last_mut() {
                Some(Ok(last)) => last.push_str(text),
                _ => out.push(Ok(text.to_string())),
            },
            Err(e) => out.push(Err(e.clone())),
        }
    }
    out
}

fn texts(events: &Events<Text>) -> Vec<Result<String, DecodeError>> {
    events
        .iter()
        .map(|e| e.as_ref().map(Text::to_string).map_err(Clone::clone))
        .collect()
}

// ---------------------------------------------------------------------------
// Models: what each protocol says a whole stream decodes to, written as
// plainly as possible, independently of the codecs.
// ---------------------------------------------------------------------------

/// §2 with the stream ended: the valid text, an error at each bad
/// sequence, and an unfinished character at the very end is an EOF error.
fn text_stream_model(data: &[u8]) -> Vec<Result<String, DecodeError>> {
    let mut out: Vec<Result<String, DecodeError>> = Vec::new();
    let mut pos = 0;
    for chunk in data.utf8_chunks() {
        let valid = chunk.valid();
        if !valid.is_empty() {
            match out.last_mut() {
                Some(Ok(last)) => last.push_str(valid),
                _ => out.push(Ok(valid.to_owned())),
            }
        }
        pos += valid.len();
        let bad = chunk.invalid();
        if bad.is_empty() {
            continue;
        }
        let unfinished = std::str::from_utf8(bad)
            .err()
            .is_some_and(|e| e.error_len().is_none());
        if pos + bad.len() == data.len() && unfinished {
            out.push(Err(DecodeError::UnexpectedEof {
                pending: bad.len() as u64,
            }));
        } else {
            out.push(Err(DecodeError::InvalidUtf8 { offset: pos as u64 }));
        }
        pos += bad.len();
    }
    out
}

/// §3 with the stream ended: split at each LF, strip one CR before it,
/// check the length then the UTF-8; an unterminated last line is a line.
fn line_model(data: &[u8], max: usize) -> Vec<Result<String, DecodeError>> {
    let check = |line: &[u8], start: usize| {
        if line.len() > max {
            return Err(DecodeError::LineTooLong { max });
        }
        std::str::from_utf8(line)
            .map(str::to_owned)
            .map_err(|e| DecodeError::InvalidUtf8 {
                offset: (start + e.valid_up_to()) as u64,
            })
    };
    let mut out = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let rest = &data[start..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(lf) => {
                let line = &rest[..lf];
                out.push(check(line.strip_suffix(b"\r").unwrap_or(line), start));
                start += lf + 1;
            }
            None => {
                out.push(check(rest, start));
                break;
            }
        }
    }
    out
}

/// §4 with the stream ended: every 29 bytes are a packet; a rest is an EOF
/// error.
fn fixed_model(data: &[u8]) -> Events<FixedPacket> {
    let mut chunks = data.chunks_exact(FixedPacket::LEN);
    let mut out: Events<FixedPacket> = chunks
        .by_ref()
        .map(|c| Ok(FixedPacket::from_bytes(c.try_into().unwrap())))
        .collect();
    if !chunks.remainder().is_empty() {
        out.push(Err(DecodeError::UnexpectedEof {
            pending: chunks.remainder().len() as u64,
        }));
    }
    out
}

/// §5 with the stream ended: header, then payload, or an error and a skip
/// when the size is over `max`; a stream that ends inside a packet (or a
/// skipped frame) is an EOF error counting its bytes.
fn variable_model(data: &[u8], max: u32) -> Events<VariablePacket> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if rest.len() < VariablePacket::HEADER_LEN {
            out.push(Err(DecodeError::UnexpectedEof {
                pending: rest.len() as u64,
            }));
            break;
        }
        let version = rest[0];
        let size = u32::from_be_bytes(rest[1..5].try_into().unwrap());
        let order = u32::from_be_bytes(rest[5..9].try_into().unwrap());
        let body = &rest[VariablePacket::HEADER_LEN..];
        if size > max {
            out.push(Err(DecodeError::FrameTooLarge {
                size: u64::from(size),
                max: u64::from(max),
            }));
        }
        if body.len() < size as usize {
            out.push(Err(DecodeError::UnexpectedEof {
                pending: (VariablePacket::HEADER_LEN + body.len()) as u64,
            }));
            break;
        }
        if size <= max {
            let payload = Bytes::copy_from_slice(&body[..size as usize]);
            out.push(Ok(
                VariablePacket::from_payload(order, payload).with_version(version)
            ));
        }
        rest = &body[size as usize..];
    }
    out
}

// ---------------------------------------------------------------------------
// §1 TextDatagramCodec
// ---------------------------------------------------------------------------

proptest! {
    #[test]
    fn datagram_round_trip_gives_the_text_back(text in text(40)) {
        let mut codec = TextDatagramCodec::new();
        let mut out = BytesMut::new();
        codec.encode_datagram(text.as_str(), &mut out).unwrap();
        prop_assert_eq!(&out[..], text.as_bytes());
        let back = codec.decode_datagram(out.freeze()).unwrap();
        prop_assert_eq!(back.as_str(), text.as_str());
    }

    #[test]
    fn datagram_of_arbitrary_bytes_is_text_or_the_right_error(
        data in prop_oneof![messy_bytes(), prop::collection::vec(any::<u8>(), 0..80)],
        max in 0usize..100,
    ) {
        let mut codec = TextDatagramCodec::with_max_len(max);
        let expected = if data.len() > max {
            Err(DecodeError::FrameTooLarge { size: data.len() as u64, max: max as u64 })
        } else {
            std::str::from_utf8(&data)
                .map(Text::from)
                .map_err(|e| DecodeError::InvalidUtf8 { offset: e.valid_up_to() as u64 })
        };
        prop_assert_eq!(codec.decode_datagram(Bytes::from(data)), expected);
    }

    #[test]
    fn datagram_encode_respects_with_max_len(text in text(30), max in 0usize..60) {
        let mut out = BytesMut::new();
        let result = TextDatagramCodec::with_max_len(max).encode_datagram(text.as_str(), &mut out);
        if text.len() <= max {
            prop_assert_eq!(result, Ok(()));
            prop_assert_eq!(&out[..], text.as_bytes());
        } else {
            prop_assert_eq!(
                result,
                Err(sockwire::EncodeError::TooLarge { size: text.len() as u64, max: max as u64 })
            );
            prop_assert!(out.is_empty());
        }
    }
}

#[test]
fn datagram_round_trips_on_the_kit() {
    prop_datagram_round_trip(TextDatagramCodec::new, strategy::text(2000)).unwrap();
    let small = || TextDatagramCodec::with_max_len(5);
    prop_datagram_round_trip(small, strategy::text(5)).unwrap();
}

// ---------------------------------------------------------------------------
// §2 TextStreamCodec
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn text_stream_round_trip_gives_the_same_text_however_split(
        messages in prop::collection::vec(text(12), 0..10),
        seed in any::<u64>(),
    ) {
        let mut codec = TextStreamCodec::new();
        let mut wire = BytesMut::new();
        for m in &messages {
            codec.encode(m.as_str(), &mut wire).unwrap();
        }
        let Decoded { events, max_held: held, .. } = text_split(&wire, seed)?;
        let all = messages.concat();
        let expected = if all.is_empty() { vec![] } else { vec![Ok(all)] };
        prop_assert_eq!(events, expected);
        prop_assert!(held <= 3, "held {} bytes", held);
    }

    #[test]
    fn text_stream_gives_the_same_text_and_errors_however_split(
        data in messy_bytes(),
        seed in any::<u64>(),
    ) {
        let Decoded { events, max_held: held, .. } = text_split(&data, seed)?;
        prop_assert_eq!(events, text_stream_model(&data));
        prop_assert!(held <= 3, "held {} bytes", held);
    }
}

// ---------------------------------------------------------------------------
// §3 LineCodec
// ---------------------------------------------------------------------------

/// A line the encoder accepts: no LF (a CR anywhere, the end included).
fn line() -> impl Strategy<Value = String> {
    text(10).prop_map(|s| s.replace('\n', ""))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn line_round_trip_gives_the_same_lines_however_split(
        lines in prop::collection::vec(line(), 0..10),
        slack in 0usize..3,
        seed in any::<u64>(),
    ) {
        let max = lines.iter().map(String::len).max().unwrap_or(0) + slack;
        let mut codec = LineCodec::with_max_len(max);
        let mut wire = BytesMut::new();
        for l in &lines {
            codec.encode(l.as_str(), &mut wire).unwrap();
        }
        // one LF each, and one more CR for a line that ends with CR
        prop_assert_eq!(
            wire.len(),
            lines.iter().map(|l| l.len() + 1 + usize::from(l.ends_with('\r'))).sum::<usize>()
        );
        let run = split(|| LineCodec::with_max_len(max), &wire, seed, true)?;
        let expected: Vec<Result<String, DecodeError>> = lines.into_iter().map(Ok).collect();
        prop_assert_eq!(texts(&run.events), expected);
        prop_assert!(run.max_held <= max + 1);
    }

    #[test]
    fn line_gives_the_same_lines_and_errors_however_split(
        data in messy_bytes(),
        max in 0usize..12,
        seed in any::<u64>(),
    ) {
        let codec = LineCodec::with_max_len(max);
        let ended = split(|| codec.clone(), &data, seed, true)?;
        prop_assert_eq!(texts(&ended.events), line_model(&data, max));
        prop_assert!(ended.max_held <= max + 1, "held {} > {max} + 1", ended.max_held);
        // without the end of stream, the same events up to the last LF
        let open = split(|| codec.clone(), &data, seed, false)?;
        prop_assert!(ended.events.starts_with(&open.events));
    }

    #[test]
    fn line_encode_then_decode_is_identity_or_an_error(
        line in text(12),
        max in 0usize..16,
    ) {
        let mut out = BytesMut::new();
        match LineCodec::with_max_len(max).encode(line.as_str(), &mut out) {
            Ok(()) => {
                let events = split(|| LineCodec::with_max_len(max), &out, 0, true)?.events;
                prop_assert_eq!(texts(&events), vec![Ok(line)]);
            }
            Err(e) => {
                prop_assert!(out.is_empty());
                let has_lf = line.contains('\n');
                prop_assert!(has_lf || line.ends_with('\r') || line.len() > max, "{:?}", e);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// §4 FixedPacketCodec
// ---------------------------------------------------------------------------

/// The Python peer's encoding, written out: `text.ljust(20, '-').encode()`
/// cut (or NUL-padded) to 20 bytes.
fn python_field(text: &str) -> [u8; FixedPacket::TEXT_LEN] {
    let chars = text.chars().count();
    let padded = format!(
        "{text}{}",
        "-".repeat(FixedPacket::TEXT_LEN.saturating_sub(chars))
    );
    let mut field = [0u8; FixedPacket::TEXT_LEN];
    let n = padded.len().min(FixedPacket::TEXT_LEN);
    field[..n].copy_from_slice(&padded.as_bytes()[..n]);
    field
}

#[test]
fn fixed_round_trip_gives_the_same_packets_however_split() {
    // texts that fit, fill the 20 bytes, or are cut (`size` says more)
    prop_round_trip(FixedPacketCodec::new, strategy::fixed_packet()).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn fixed_new_follows_the_python_rule(order in any::<u32>(), text in text(30)) {
        let p = FixedPacket::new(order, &text);
        prop_assert_eq!(p.version(), 1);
        prop_assert_eq!(p.order(), order);
        prop_assert_eq!(p.size() as usize, text.chars().count());
        prop_assert_eq!(p.field(), &python_field(&text));
    }

    #[test]
    fn fixed_text_comes_back_whole_iff_it_fits_in_20_bytes(order in any::<u32>(), text in text(30)) {
        let p = FixedPacket::new(order, &text);
        if text.len() <= FixedPacket::TEXT_LEN {
            prop_assert_eq!(p.text(), text.as_str());
            prop_assert!(!p.is_truncated());
        } else {
            // the longest whole-character prefix of at most 20 bytes
            let mut end = FixedPacket::TEXT_LEN;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            prop_assert_eq!(p.text(), &text[..end]);
            prop_assert!(p.is_truncated());
        }
    }

    #[test]
    fn fixed_any_29_bytes_read_back_to_the_same_bytes(bytes in any::<[u8; FixedPacket::LEN]>()) {
        let p = FixedPacket::from_bytes(&bytes);
        prop_assert_eq!(p.to_bytes(), bytes);
        let field = &bytes[9..];
        let valid = match std::str::from_utf8(field) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&field[..e.valid_up_to()]).unwrap(),
        };
        let size = p.size() as usize;
        let expected: String = valid.chars().take(size).collect();
        prop_assert_eq!(p.text(), expected.as_str());
        prop_assert_eq!(p.is_truncated(), valid.chars().count() < size);
        let shown = p.to_string();
        let head = format!("#{} v{} size={} ", p.order(), p.version(), p.size());
        prop_assert!(shown.starts_with(&head), "{shown:?}");
    }

    #[test]
    fn fixed_stream_of_any_bytes_is_packets_then_eof_however_split(
        data in prop::collection::vec(any::<u8>(), 0..200),
        seed in any::<u64>(),
    ) {
        let run = split(FixedPacketCodec::new, &data, seed, true)?;
        prop_assert_eq!(run.events, fixed_model(&data));
        prop_assert!(run.max_held < FixedPacket::LEN);
    }
}

// ---------------------------------------------------------------------------
// §5 VariablePacketCodec
// ---------------------------------------------------------------------------

/// One piece of a variable-packet stream with a small limit `max`.
#[derive(Debug, Clone)]
enum Frame {
    Good {
        version: u8,
        order: u32,
        payload: Vec<u8>,
    },
    /// A frame `extra` bytes over the limit, its payload present.
    Oversize { order: u32, extra: u32, fill: u8 },
}

fn frame(max: u32) -> impl Strategy<Value = Frame> {
    prop_oneof![
        3 => (any::<u8>(), any::<u32>(), prop::collection::vec(any::<u8>(), 0..=max as usize))
            .prop_map(|(version, order, payload)| Frame::Good { version, order, payload }),
        1 => (any::<u32>(), 1u32..40, any::<u8>())
            .prop_map(|(order, extra, fill)| Frame::Oversize { order, extra, fill }),
    ]
}

fn frame_bytes(frame: &Frame, max: u32, out: &mut Vec<u8>) {
    match frame {
        Frame::Good {
            version,
            order,
            payload,
        } => {
            out.push(*version);
            out.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
            out.extend_from_slice(&order.to_be_bytes());
            out.extend_from_slice(payload);
        }
        Frame::Oversize { order, extra, fill } => {
            let size = max + extra;
            out.push(1);
            out.extend_from_slice(&size.to_be_bytes());
            out.extend_from_slice(&order.to_be_bytes());
            out.extend(std::iter::repeat_n(*fill, size as usize));
        }
    }
}

#[test]
fn variable_round_trip_gives_the_same_packets_however_split() {
    prop_round_trip(VariablePacketCodec::new, strategy::variable_packet(40)).unwrap();
    let small = || VariablePacketCodec::with_max_len(3);
    prop_round_trip(small, strategy::variable_packet(3)).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn variable_text_round_trip_gives_the_text_back(order in any::<u32>(), text in text(30)) {
        let mut wire = BytesMut::new();
        VariablePacketCodec::new()
            .encode(VariablePacket::from_payload(order, text.clone()), &mut wire)
            .unwrap();
        prop_assert_eq!(wire.len(), VariablePacket::HEADER_LEN + text.len());
        let p = VariablePacketCodec::new().decode(&mut wire).unwrap().unwrap();
        prop_assert_eq!(p.order(), order);
        prop_assert_eq!(p.text(), Ok(text.as_str()));
    }

    #[test]
    fn variable_stream_with_oversize_frames_is_the_same_however_split(
        (max, frames, tail, seed) in (0u32..32).prop_flat_map(|max| (
            Just(max),
            prop::collection::vec(frame(max), 0..8),
            prop::collection::vec(any::<u8>(), 0..12),
            any::<u64>(),
        )),
        end in prop::option::of(any::<usize>()),
    ) {
        let mut data = Vec::new();
        for f in &frames {
            frame_bytes(f, max, &mut data);
        }
        data.extend_from_slice(&tail);
        // sometimes the stream ends anywhere, inside a header or a payload
        if let Some(end) = end {
            data.truncate(end % (data.len() + 1));
        }
        let codec = VariablePacketCodec::with_max_len(max as usize);
        let run = split(|| codec.clone(), &data, seed, true)?;
        prop_assert_eq!(&run.events, &variable_model(&data, max));
        // never holds a whole frame's worth beyond the limit
        prop_assert!(
            run.max_held < VariablePacket::HEADER_LEN.max(max as usize),
            "held {} bytes with max {}", run.max_held, max
        );
        let oversize = frames.iter().filter(|f| matches!(f, Frame::Oversize { .. })).count();
        let too_large = run
            .events
            .iter()
            .filter(|e| matches!(e, Err(DecodeError::FrameTooLarge { .. })))
            .count();
        if end.is_none() {
            prop_assert!(too_large >= oversize);
        }
    }
}

// ---------------------------------------------------------------------------
// The owned and the borrowed paths (`Decoder` and `BorrowDecoder`)
// ---------------------------------------------------------------------------

/// The quick splits of the kit, from `seed`, the stream ended if `eof`.
fn quick(seed: u64, eof: bool) -> Splits {
    Splits::quick().with_seed(seed).with_eof(eof)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn text_stream_borrowed_path_is_the_owned_path_however_split(
        data in messy_bytes(),
        seed in any::<u64>(),
        eof in any::<bool>(),
    ) {
        let text = |s: &str| Text::from(s);
        let decoded = quick(seed, eof).events_borrowed_by(TextStreamCodec::new, &data, text, |e| merged(&e))?;
        if eof {
            prop_assert_eq!(decoded.events, text_stream_model(&data));
        }
    }

    #[test]
    fn line_borrowed_path_is_the_owned_path_however_split(
        data in messy_bytes(),
        max in 0usize..12,
        seed in any::<u64>(),
        eof in any::<bool>(),
    ) {
        let line = || LineCodec::with_max_len(max);
        let decoded = quick(seed, eof).events_borrowed(line, &data, |s: &str| Text::from(s))?;
        if eof {
            prop_assert_eq!(texts(&decoded.events), line_model(&data, max));
        }
    }

    #[test]
    fn fixed_borrowed_path_is_the_owned_path_however_split(
        data in prop::collection::vec(any::<u8>(), 0..100),
        seed in any::<u64>(),
        eof in any::<bool>(),
    ) {
        let decoded = quick(seed, eof).events_borrowed(
            FixedPacketCodec::new,
            &data,
            |v: sockwire::FixedPacketRef<'_>| {
                let p = v.to_packet();
                assert_eq!((v.version(), v.order(), v.size()), (p.version(), p.order(), p.size()));
                assert_eq!((v.text(), v.is_truncated()), (p.text(), p.is_truncated()));
                assert_eq!(v.field(), &p.field()[..]);
                p
            },
        )?;
        if eof {
            prop_assert_eq!(decoded.events, fixed_model(&data));
        }
    }

    #[test]
    fn variable_borrowed_path_is_the_owned_path_however_split(
        (max, frames, tail, seed) in (0u32..32).prop_flat_map(|max| (
            Just(max),
            prop::collection::vec(frame(max), 0..8),
            prop::collection::vec(any::<u8>(), 0..12),
            any::<u64>(),
        )),
        end in prop::option::of(any::<usize>()),
        eof in any::<bool>(),
    ) {
        let mut data = Vec::new();
        for f in &frames {
            frame_bytes(f, max, &mut data);
        }
        data.extend_from_slice(&tail);
        if let Some(end) = end {
            data.truncate(end % (data.len() + 1));
        }
        let decoded = quick(seed, eof).events_borrowed(
            || VariablePacketCodec::with_max_len(max as usize),
            &data,
            |v: sockwire::VariablePacketRef<'_>| {
                let p = v.to_packet();
                assert_eq!(v.text(), p.text());
                p
            },
        )?;
        if eof {
            prop_assert_eq!(decoded.events, variable_model(&data, max));
        }
    }

    #[test]
    fn the_paths_mix_call_by_call(
        data in messy_bytes(),
        max in 0usize..12,
        seed in any::<u64>(),
        pattern in prop::collection::vec(any::<bool>(), 1..8),
    ) {
        // Alternating `decode` and `decode_with` on one codec and one
        // buffer gives what either path alone gives.
        let way = Splits::quick().with_seed(seed).chunkings(data.len()).pop().unwrap();
        let alone = line_model(&data, max);
        let mut codec = LineCodec::with_max_len(max);
        let mut buf = BytesMut::new();
        let mut events = Vec::new();
        let mut turn = pattern.iter().cycle();
        let mut next = |codec: &mut LineCodec, buf: &mut BytesMut, eof: bool| {
            let borrowed = *turn.next().unwrap();
            match (borrowed, eof) {
                (true, false) => codec.decode_with(buf, str::to_owned),
                (true, true) => codec.decode_eof_with(buf, str::to_owned),
                (false, false) => codec.decode(buf).map(|t| t.map(|t| t.to_string())),
                (false, true) => codec.decode_eof(buf).map(|t| t.map(|t| t.to_string())),
            }
        };
        for read in way.reads(&data) {
            buf.extend_from_slice(read);
            loop {
                match next(&mut codec, &mut buf, false) {
                    Ok(None) => break,
                    Ok(Some(line)) => events.push(Ok(line)),
                    Err(e) => events.push(Err(e)),
                }
            }
        }
        loop {
            match next(&mut codec, &mut buf, true) {
                Ok(None) => break,
                Ok(Some(line)) => events.push(Ok(line)),
                Err(e) => events.push(Err(e)),
            }
        }
        prop_assert_eq!(events, alone);
    }
}

// ---------------------------------------------------------------------------
// Arbitrary bytes into every decoder
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_bytes_never_panic_and_never_exceed_a_limit(
        data in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            messy_bytes(),
        ],
        max in 0usize..40,
        seed in any::<u64>(),
    ) {
        let _ = TextDatagramCodec::with_max_len(max).decode_datagram(Bytes::from(data.clone()));
        let _ = TextDatagramCodec::new().decode_datagram(Bytes::from(data.clone()));

        let Decoded { events, max_held: held, .. } = text_split(&data, seed)?;
        prop_assert!(held <= 3);
        prop_assert_eq!(events, text_stream_model(&data));

        let r = split(|| LineCodec::with_max_len(max), &data, seed, true)?;
        prop_assert!(r.max_held <= max + 1);
        prop_assert_eq!(texts(&r.events), line_model(&data, max));

        let r = split(FixedPacketCodec::new, &data, seed, true)?;
        prop_assert!(r.max_held < FixedPacket::LEN);

        let max32 = u32::try_from(max).unwrap();
        let r = split(|| VariablePacketCodec::with_max_len(max), &data, seed, true)?;
        prop_assert!(r.max_held < VariablePacket::HEADER_LEN.max(max));
        prop_assert_eq!(&r.events, &variable_model(&data, max32));
        // headers of arbitrary bytes declare sizes up to 4 GiB: none of it
        // may be reserved
        let bound = 4 * (data.len() + VariablePacket::HEADER_LEN + max) + 1024;
        prop_assert!(r.max_capacity <= bound, "capacity {} > {}", r.max_capacity, bound);

        // with the default 1 MiB limit, a random header may reserve up to
        // 1 MiB, never more
        let r = split(VariablePacketCodec::new, &data, seed, false)?;
        prop_assert!(r.max_capacity <= 2 * (VariablePacket::HEADER_LEN + 1_048_576) + 4 * data.len());
    }
}

// ---------------------------------------------------------------------------
// Text: inline or shared, it behaves as its str
// ---------------------------------------------------------------------------

fn str_hash<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
    use std::hash::{BuildHasher, RandomState};
    // One fixed `RandomState` per process: the same keys for every call.
    static STATE: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
    STATE.get_or_init(RandomState::new).hash_one(value)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn text_compares_orders_and_hashes_as_its_str(a in text(40), b in text(40)) {
        // `From<&str>` holds short texts inline, `From<String>` shares.
        let texts = [Text::from(a.as_str()), Text::from(a.clone())];
        let other = [Text::from(b.as_str()), Text::from(b.clone())];
        prop_assert_eq!(texts[0].is_inline(), a.len() <= Text::INLINE_CAPACITY);
        prop_assert!(!texts[1].is_inline());
        for t in &texts {
            prop_assert_eq!(t.as_str(), a.as_str());
            prop_assert_eq!(t.len(), a.len());
            prop_assert_eq!(str_hash(t), str_hash(a.as_str()));
            prop_assert_eq!(&t.clone().into_bytes()[..], a.as_bytes());
            for o in &other {
                prop_assert_eq!(t == o, a == b);
                prop_assert_eq!(t.cmp(o), a.cmp(&b));
            }
        }
    }
}
