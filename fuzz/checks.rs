//! Property checks shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`)
//! and the stable replay test (`tests/fuzz_regressions.rs`).
//!
//! Depends only on `sockwire` and `bytes`, so that every input the fuzzer
//! ever found can be replayed by a plain `cargo test` on stable Rust.
//!
//! # Input format
//!
//! Every check takes the raw fuzz input and reads it as
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | `config`: the codec's limit, chosen by each check |
//! | 1 | `n`: the low 3 bits are how many split bytes follow (stream checks only) |
//! | n | chunk lengths, used in turn over and over to cut the stream into reads (0 = an empty read) |
//! | rest | the payload: the bytes on the wire |
//!
//! Stream checks decode the payload three ways (all at once, one byte at a
//! time, and cut as the split bytes say) and require the same messages and
//! errors each time, equal to what a simple reference model of the
//! PROTOCOLS.md section predicts. Along the way they check that a decoder
//! that answers "need more" holds no more than its limit, that every message
//! or error consumed input, that end of stream leaves nothing behind, and
//! that every decoded message re-encodes to bytes that decode to the same
//! message.
//!
//! # Adding a target
//!
//! Write `pub fn NAME(data: &[u8])` here, add it to [`TARGETS`], add
//! `fuzz/fuzz_targets/NAME.rs` (three lines, copy one) with its `[[bin]]` in
//! `fuzz/Cargo.toml`, and commit a few seed inputs under `fuzz/seeds/NAME/`.

#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use sockwire::fixed::{FIELD_LEN, FIXED_PACKET_LEN};
use sockwire::text::MAX_DATAGRAM;
use sockwire::variable::HEADER_LEN;
use sockwire::{
    DatagramDecoder, DatagramEncoder, DecodeError, Decoder, EncodeError, Encoder, FixedPacket,
    FixedPacketCodec, LineCodec, Text, TextDatagramCodec, TextStreamCodec, VariablePacket,
    VariablePacketCodec,
};

/// A check: panics if the input breaks a property.
pub type Check = fn(&[u8]);

/// Every check, by fuzz target name.
pub const TARGETS: &[(&str, Check)] = &[
    ("text_datagram", text_datagram),
    ("text_stream", text_stream),
    ("line", line),
    ("fixed_packet", fixed_packet),
    ("variable_packet", variable_packet),
];

/// Runs the check of fuzz target `name` on `data`; panics if it fails or
/// if there is no such target.
pub fn run(name: &str, data: &[u8]) {
    let Some((_, check)) = TARGETS.iter().find(|(n, _)| *n == name) else {
        panic!("no fuzz check named {name:?}");
    };
    check(data);
}

// ---------------------------------------------------------------------------
// Input plumbing

/// A fuzz input cut into its parts (see the module docs).
struct Plan<'a> {
    config: u8,
    splits: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Plan<'a> {
    fn new(data: &'a [u8]) -> Self {
        let (config, rest) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
        let (n, rest) = rest
            .split_first()
            .map_or((0, rest), |(n, r)| (usize::from(*n & 7), r));
        let n = n.min(rest.len());
        let (splits, payload) = rest.split_at(n);
        Plan {
            config,
            splits,
            payload,
        }
    }

    /// The three ways the payload is fed to a stream decoder.
    fn feeds(&self) -> [Vec<&'a [u8]>; 3] {
        let whole = vec![self.payload];
        let bytes = self.payload.chunks(1).collect();
        let mut cut = Vec::new();
        let mut rest = self.payload;
        let lens: &[u8] = if self.splits.iter().all(|&b| b == 0) {
            &[1]
        } else {
            self.splits
        };
        for &len in lens.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (head, tail) = rest.split_at(usize::from(len).min(rest.len()));
            cut.push(head);
            rest = tail;
        }
        [whole, bytes, cut]
    }
}

/// What a stream decoder produced: its messages and errors, in order.
type Events<T> = Vec<Result<T, DecodeError>>;

/// Feeds `chunks` to `decoder` as successive reads, decoding everything
/// after each, then ends the stream. Checks, on the way, that every message
/// or error consumed input, that `after_none` holds whenever the decoder
/// answers "need more", and that nothing is left once the stream ended.
fn drive<D: Decoder>(
    mut decoder: D,
    chunks: &[&[u8]],
    mut after_none: impl FnMut(&BytesMut, u64),
) -> Events<D::Item> {
    let total: usize = chunks.iter().map(|c| c.len()).sum();
    // No decoder needs more calls than bytes, plus one per read and a few.
    let mut budget = total + chunks.len() + 8;
    let mut events = Vec::new();
    let mut buf = BytesMut::new();
    let mut fed = 0u64;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        fed += chunk.len() as u64;
        loop {
            budget = budget.checked_sub(1).expect("decoder makes no progress");
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(None) => {
                    after_none(&buf, fed);
                    break;
                }
                Ok(Some(item)) => {
                    assert!(buf.len() < before, "a message consumed no input");
                    events.push(Ok(item));
                }
                Err(e) => {
                    assert!(buf.len() < before, "an error consumed no input: {e}");
                    let go_on = e.is_recoverable();
                    events.push(Err(e));
                    if !go_on {
                        return events;
                    }
                }
            }
        }
    }
    loop {
        budget = budget
            .checked_sub(1)
            .expect("decoder makes no progress at eof");
        match decoder.decode_eof(&mut buf) {
            Ok(None) => break,
            Ok(Some(item)) => events.push(Ok(item)),
            Err(e) => {
                let go_on = e.is_recoverable();
                events.push(Err(e));
                if !go_on {
                    break;
                }
            }
        }
    }
    assert!(
        buf.is_empty(),
        "{} bytes left after end of stream",
        buf.len()
    );
    events
}

/// Runs `drive` over the three feeds of `plan`, checks they agree, and
/// returns the events.
fn drive_all<D: Decoder + Clone>(
    plan: &Plan<'_>,
    decoder: &D,
    mut after_none: impl FnMut(&BytesMut, u64),
) -> Events<D::Item>
where
    D::Item: PartialEq + std::fmt::Debug,
{
    let [whole, bytes, cut] = plan.feeds();
    let once = drive(decoder.clone(), &whole, &mut after_none);
    let by_byte = drive(decoder.clone(), &bytes, &mut after_none);
    assert_eq!(once, by_byte, "one byte at a time differs from all at once");
    let split = drive(decoder.clone(), &cut, &mut after_none);
    assert_eq!(
        once, split,
        "split at {:?} differs from all at once",
        plan.splits
    );
    once
}

/// Decodes `wire` all at once with `decoder` and returns the events.
fn decode_all<D: Decoder>(decoder: D, wire: &[u8]) -> Events<D::Item> {
    drive(decoder, &[wire], |_, _| ())
}

/// A string made of `bytes`, invalid sequences replaced.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------------------
// §1 text datagram

/// §1: one datagram is one UTF-8 message, at most the codec's limit.
pub fn text_datagram(data: &[u8]) {
    let (config, payload) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    let mut codec = match config % 4 {
        0 => TextDatagramCodec::new(),
        1 => TextDatagramCodec::with_max_len(usize::MAX),
        _ => TextDatagramCodec::with_max_len(usize::from(config / 4)),
    };
    let max = codec.max_len();
    assert!(max <= MAX_DATAGRAM);

    // Decode, against the reference.
    let got = codec.decode_datagram(Bytes::copy_from_slice(payload));
    let want = if payload.len() > max {
        Err(DecodeError::FrameTooLarge {
            size: payload.len() as u64,
            max: max as u64,
        })
    } else {
        match std::str::from_utf8(payload) {
            Ok(s) => Ok(s),
            Err(e) => Err(DecodeError::InvalidUtf8 {
                offset: e.valid_up_to() as u64,
            }),
        }
    };
    assert_eq!(
        got.as_ref().map(|t| t.as_bytes()).map_err(Clone::clone),
        want.map(str::as_bytes)
    );

    // A decoded message re-encodes to the same datagram.
    if let Ok(text) = got {
        let mut out = BytesMut::new();
        codec
            .encode_datagram(text.clone(), &mut out)
            .expect("a decoded text re-encodes");
        assert_eq!(&out[..], payload);
        let again = codec.decode_datagram(out.freeze());
        assert_eq!(again, Ok(text));
    }

    // Round trip from a message: encode, then decode.
    let message = lossy(payload);
    let mut out = BytesMut::from(&b"kept"[..]);
    match codec.encode_datagram(message.as_str(), &mut out) {
        Ok(()) => {
            assert!(message.len() <= max);
            assert_eq!(out.get(..4), Some(&b"kept"[..]));
            let datagram = out.split_off(4).freeze();
            assert_eq!(datagram, message.as_bytes());
            let back = codec.decode_datagram(datagram);
            assert_eq!(back.as_deref(), Ok(message.as_str()));
        }
        Err(e) => {
            assert_eq!(
                e,
                EncodeError::TooLarge {
                    size: message.len() as u64,
                    max: max as u64
                }
            );
            assert_eq!(&out[..], b"kept", "a failed encode wrote something");
        }
    }
}

// ---------------------------------------------------------------------------
// §2 text stream

/// What the text stream decoder yields, with adjacent texts joined (their
/// boundaries follow the reads, so only the concatenation is defined).
#[derive(Debug, PartialEq, Eq)]
enum StreamEvent {
    Text(String),
    Error(DecodeError),
}

fn join_texts(events: Events<Text>) -> Vec<StreamEvent> {
    let mut out: Vec<StreamEvent> = Vec::new();
    for event in events {
        match event {
            Ok(text) => {
                assert!(!text.is_empty(), "the text stream yielded an empty text");
                if let Some(StreamEvent::Text(last)) = out.last_mut() {
                    last.push_str(&text);
                } else {
                    out.push(StreamEvent::Text(text.to_string()));
                }
            }
            Err(e) => out.push(StreamEvent::Error(e)),
        }
    }
    out
}

/// The text stream as PROTOCOLS.md §2 describes it: the valid text, one
/// `InvalidUtf8` per maximal invalid sequence at its stream offset, and an
/// unfinished character at the end reported as `UnexpectedEof`.
fn text_stream_model(wire: &[u8]) -> Vec<StreamEvent> {
    let mut out: Vec<StreamEvent> = Vec::new();
    let mut pos = 0usize;
    for chunk in wire.utf8_chunks() {
        if !chunk.valid().is_empty() {
            if let Some(StreamEvent::Text(last)) = out.last_mut() {
                last.push_str(chunk.valid());
            } else {
                out.push(StreamEvent::Text(chunk.valid().to_owned()));
            }
        }
        pos += chunk.valid().len();
        let bad = chunk.invalid();
        if bad.is_empty() {
            continue;
        }
        let unfinished = std::str::from_utf8(bad).is_err_and(|e| e.error_len().is_none());
        if pos + bad.len() == wire.len() && unfinished {
            out.push(StreamEvent::Error(DecodeError::UnexpectedEof {
                pending: bad.len() as u64,
            }));
        } else {
            out.push(StreamEvent::Error(DecodeError::InvalidUtf8 {
                offset: pos as u64,
            }));
        }
        pos += bad.len();
    }
    out
}

/// §2: raw UTF-8 text stream; split characters are held, at most 3 bytes.
pub fn text_stream(data: &[u8]) {
    let plan = Plan::new(data);
    let once = join_texts(drive(TextStreamCodec::new(), &[plan.payload], |_, _| ()));
    let hold_at_most_3 = |buf: &BytesMut, _: u64| {
        assert!(buf.len() <= 3, "text stream holds {} bytes", buf.len());
    };
    for feed in plan.feeds() {
        let got = join_texts(drive(TextStreamCodec::new(), &feed, hold_at_most_3));
        assert_eq!(
            got, once,
            "text or errors depend on the split {:?}",
            plan.splits
        );
    }
    assert_eq!(once, text_stream_model(plan.payload));

    // Re-encoding what was decoded gives bytes that decode to the same text.
    let text: String = once
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Text(t) => Some(t.as_str()),
            StreamEvent::Error(_) => None,
        })
        .collect();
    let mut wire = BytesMut::new();
    TextStreamCodec::new()
        .encode(text.as_str(), &mut wire)
        .expect("text encodes");
    assert_eq!(&wire[..], text.as_bytes());
    let back = join_texts(decode_all(TextStreamCodec::new(), &wire));
    let want: Vec<StreamEvent> = if text.is_empty() {
        Vec::new()
    } else {
        vec![StreamEvent::Text(text.clone())]
    };
    assert_eq!(back, want);
}

// ---------------------------------------------------------------------------
// §3 line

fn line_codec(config: u8) -> LineCodec {
    if config & 1 == 0 {
        LineCodec::with_max_length(usize::from(config >> 1) % 64)
    } else {
        LineCodec::new()
    }
}

/// The lines of `wire` as PROTOCOLS.md §3 describes them.
fn line_model(wire: &[u8], max: usize) -> Events<String> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    for segment in wire.split_inclusive(|&b| b == b'\n') {
        let line = match segment.strip_suffix(b"\n") {
            Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
            // The unterminated last line, yielded at end of stream as is.
            None => segment,
        };
        out.push(if line.len() > max {
            Err(DecodeError::LineTooLong { max })
        } else {
            std::str::from_utf8(line)
                .map(str::to_owned)
                .map_err(|e| DecodeError::InvalidUtf8 {
                    offset: (pos + e.valid_up_to()) as u64,
                })
        });
        pos += segment.len();
    }
    out
}

fn texts_to_strings(events: Events<Text>) -> Events<String> {
    events
        .into_iter()
        .map(|e| e.map(|t| t.to_string()))
        .collect()
}

/// §3: LF-terminated lines, CR before LF stripped, max length with
/// discard-and-recover.
pub fn line(data: &[u8]) {
    let plan = Plan::new(data);
    let codec = line_codec(plan.config);
    let max = codec.max_length();
    let events = drive_all(&plan, &codec, |buf, _| {
        assert!(
            buf.len() <= max + 1,
            "line decoder holds {} bytes over a limit of {max}",
            buf.len()
        );
    });
    let events = texts_to_strings(events);
    assert_eq!(events, line_model(plan.payload, max));

    // Every decoded line re-encodes to bytes that decode to the same line.
    for line in events.iter().filter_map(|e| e.as_ref().ok()) {
        let mut wire = BytesMut::new();
        codec
            .clone()
            .encode(line.as_str(), &mut wire)
            .expect("a decoded line re-encodes");
        let back = texts_to_strings(decode_all(codec.clone(), &wire));
        assert_eq!(back, vec![Ok(line.clone())], "{line:?} does not round-trip");
    }

    // Round trip from messages: the payload's text, cut at LFs, as lines.
    let text = lossy(plan.payload);
    let mut wire = BytesMut::new();
    let mut sent = Vec::new();
    for line in text.split('\n') {
        let before = wire.clone();
        match codec.clone().encode(line, &mut wire) {
            Ok(()) => sent.push(Ok(line.to_owned())),
            Err(e) => {
                assert_eq!(
                    e,
                    EncodeError::TooLarge {
                        size: line.len() as u64,
                        max: max as u64
                    }
                );
                assert_eq!(wire, before, "a failed encode wrote something");
            }
        }
    }
    let back = texts_to_strings(decode_all(codec.clone(), &wire));
    assert_eq!(back, sent);

    // An LF inside a line is refused, and nothing is written.
    let mut out = BytesMut::new();
    let first = text.chars().next().filter(|&c| c != '\n');
    let with_lf = format!("{}\n", first.map(String::from).unwrap_or_default());
    let err = codec.clone().encode(with_lf.as_str(), &mut out);
    assert_eq!(
        err,
        Err(EncodeError::NewlineInLine {
            offset: with_lf.len() - 1
        })
    );
    assert!(out.is_empty());
}

// ---------------------------------------------------------------------------
// §4 fixed packet

/// The 20-byte field as the Python peer computes it:
/// `(text + '-' * (20 - len(text))).encode()[:20]`, NUL-padded by `struct`.
fn python_field(text: &str) -> [u8; FIELD_LEN] {
    let chars = text.chars().count();
    let padded = format!("{text}{}", "-".repeat(FIELD_LEN.saturating_sub(chars)));
    let mut field = [0u8; FIELD_LEN];
    for (slot, b) in field.iter_mut().zip(padded.bytes()) {
        *slot = b;
    }
    field
}

/// §4: 29-byte packets; any 29 bytes are a packet.
pub fn fixed_packet(data: &[u8]) {
    let plan = Plan::new(data);
    let events = drive_all(&plan, &FixedPacketCodec::new(), |buf, _| {
        assert!(buf.len() < FIXED_PACKET_LEN, "holds {} bytes", buf.len());
    });

    // Reference: one packet per 29 bytes, re-encoding to exactly them; an
    // unfinished packet at the end is UnexpectedEof.
    let mut chunks = plan.payload.chunks_exact(FIXED_PACKET_LEN);
    let mut want: Events<FixedPacket> = Vec::new();
    for chunk in chunks.by_ref() {
        let bytes: &[u8; FIXED_PACKET_LEN] = chunk.try_into().expect("29 bytes");
        want.push(Ok(FixedPacket::from_bytes(bytes)));
    }
    if !chunks.remainder().is_empty() {
        want.push(Err(DecodeError::UnexpectedEof {
            pending: chunks.remainder().len() as u64,
        }));
    }
    assert_eq!(events, want);
    let mut wire = BytesMut::new();
    for packet in events.iter().filter_map(|e| e.as_ref().ok()) {
        FixedPacketCodec::new()
            .encode(packet, &mut wire)
            .expect("a packet encodes");
        // Reading the text never panics and agrees with the flag.
        let text = packet.text();
        assert!(text.chars().count() <= packet.size() as usize);
        let _ = packet.to_string();
    }
    let whole = plan.payload.len() / FIXED_PACKET_LEN * FIXED_PACKET_LEN;
    assert_eq!(&wire[..], plan.payload.get(..whole).unwrap_or_default());

    // Round trip from a message: order and text from the payload.
    let (order, text) = match plan.payload.split_first_chunk::<4>() {
        Some((order, rest)) => (u32::from_be_bytes(*order), lossy(rest)),
        None => (u32::from(plan.config), lossy(plan.payload)),
    };
    let packet = FixedPacket::new(order, &text);
    assert_eq!(packet.version(), 1);
    assert_eq!(packet.order(), order);
    assert_eq!(packet.size() as usize, text.chars().count());
    assert_eq!(
        packet.field(),
        &python_field(&text),
        "field differs from Python's"
    );
    assert!(text.starts_with(packet.text()));
    assert_eq!(packet.is_truncated(), packet.text() != text);
    let mut wire = BytesMut::new();
    FixedPacketCodec::new()
        .encode(packet, &mut wire)
        .expect("a packet encodes");
    assert_eq!(wire.len(), FIXED_PACKET_LEN);
    assert_eq!(decode_all(FixedPacketCodec::new(), &wire), vec![Ok(packet)]);
}

// ---------------------------------------------------------------------------
// §5 variable packet

fn variable_codec(config: u8) -> VariablePacketCodec {
    const MAX: [u32; 8] = [0, 1, 2, 5, 9, 16, 300, sockwire::variable::DEFAULT_MAX_SIZE];
    VariablePacketCodec::with_max_size(MAX[usize::from(config % 8)])
}

/// The packets of `wire` as PROTOCOLS.md §5 describes them.
fn variable_model(wire: &[u8], max: u32) -> Events<VariablePacket> {
    let mut out = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        let Some((header, tail)) = rest.split_first_chunk::<HEADER_LEN>() else {
            out.push(Err(DecodeError::UnexpectedEof {
                pending: rest.len() as u64,
            }));
            break;
        };
        let version = header[0];
        let size = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        let order = u32::from_be_bytes([header[5], header[6], header[7], header[8]]);
        let Some((payload, tail)) = tail.split_at_checked(size as usize) else {
            if size > max {
                out.push(Err(DecodeError::FrameTooLarge {
                    size: u64::from(size),
                    max: u64::from(max),
                }));
            }
            out.push(Err(DecodeError::UnexpectedEof {
                pending: (HEADER_LEN + tail.len()) as u64,
            }));
            break;
        };
        if size > max {
            out.push(Err(DecodeError::FrameTooLarge {
                size: u64::from(size),
                max: u64::from(max),
            }));
        } else {
            let packet = VariablePacket::new(order, Bytes::copy_from_slice(payload));
            out.push(Ok(packet.with_version(version)));
        }
        rest = tail;
    }
    out
}

/// §5: 9-byte header (version, size, order) and payload; oversize frames
/// are reported at once and skipped.
pub fn variable_packet(data: &[u8]) {
    let plan = Plan::new(data);
    let codec = variable_codec(plan.config);
    let max = codec.max_size() as usize;
    let events = drive_all(&plan, &codec, |buf, fed| {
        assert!(
            buf.len() < HEADER_LEN.max(max),
            "holds {} bytes over a limit of {max}",
            buf.len()
        );
        // Never reserves for what a header declares over the limit.
        let bound = 2 * (fed as usize + max + HEADER_LEN) + 64;
        assert!(buf.capacity() <= bound, "capacity {}", buf.capacity());
    });
    assert_eq!(events, variable_model(plan.payload, codec.max_size()));

    // Every decoded packet re-encodes to the bytes it came from; together
    // they decode to the same packets.
    let mut wire = BytesMut::new();
    let packets: Vec<&VariablePacket> = events.iter().filter_map(|e| e.as_ref().ok()).collect();
    for packet in &packets {
        codec
            .clone()
            .encode(*packet, &mut wire)
            .expect("a decoded packet re-encodes");
    }
    let back = decode_all(codec.clone(), &wire);
    assert_eq!(back.iter().flatten().collect::<Vec<_>>(), packets);
    assert_eq!(back.len(), packets.len());

    // Round trip from a message: version, order and payload from the input.
    let (version, order, payload) = match plan.payload.split_first_chunk::<5>() {
        Some(([v, o @ ..], rest)) => (*v, u32::from_be_bytes(*o), rest),
        None => (1, 1, plan.payload),
    };
    let packet = VariablePacket::new(order, Bytes::copy_from_slice(payload)).with_version(version);
    let mut wire = BytesMut::from(&b"kept"[..]);
    match codec.clone().encode(&packet, &mut wire) {
        Ok(()) => {
            assert_eq!(wire.len(), 4 + HEADER_LEN + payload.len());
            let header = wire.get(4..4 + HEADER_LEN).expect("header");
            assert_eq!(header[0], version);
            assert_eq!(header[1..5], (payload.len() as u32).to_be_bytes());
            assert_eq!(header[5..9], order.to_be_bytes());
            let _ = wire.split_to(4);
            assert_eq!(decode_all(codec.clone(), &wire), vec![Ok(packet)]);
        }
        Err(e) => {
            assert_eq!(
                e,
                EncodeError::TooLarge {
                    size: payload.len() as u64,
                    max: max as u64
                }
            );
            assert_eq!(&wire[..], b"kept", "a failed encode wrote something");
        }
    }
}
