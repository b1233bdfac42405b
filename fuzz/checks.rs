//! Property checks shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`)
//! and the stable replay test (`tests/fuzz_regressions.rs`).
//!
//! Depends only on `sockwire` and `bytes` (the `dissect` check also on the
//! example's dev-dependencies), so that every input the fuzzer
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
//! wire contract's section predicts. Along the way they check that a decoder
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

// The split-feed driver, one source with the integration tests'.
/// The `dissect` example's capture and reassembly path (its own file; it
/// also needs the example's dev-dependencies: pcap-file, etherparse,
/// serde_json).
#[path = "dissect.rs"]
pub mod dissect;
#[path = "../tests/common/feed.rs"]
mod feed;

use bytes::{Bytes, BytesMut};
use feed::Events;
use sockwire::app::{
    AppCodec, AppHeader, AppMessage, AppRequest, AppResponse, ByteOrder, ClientCodec, ServerCodec,
};
use sockwire::room::{
    ClientBound, ClientConfig, ClientEvent, Name, Notification, Reply, ServerBound, ServerConfig,
    read_tag,
};
use sockwire::{
    BorrowDecoder, DatagramDecoder, DatagramEncoder, DecodeError, Decoder, EncodeError, Encoder,
    FixedPacket, FixedPacketCodec, LineCodec, RoomClient, RoomServer, Text, TextDatagramCodec,
    TextStreamCodec, VariablePacket, VariablePacketCodec,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The §8 checks, in a file of their own.
#[path = "lab_checks.rs"]
mod lab_checks;
pub use lab_checks::lab_room;

/// A check: panics if the input breaks a property.
pub type Check = fn(&[u8]);

/// Every check, by fuzz target name.
pub const TARGETS: &[(&str, Check)] = &[
    ("text_datagram", text_datagram),
    ("text_stream", text_stream),
    ("line", line),
    ("fixed_packet", fixed_packet),
    ("variable_packet", variable_packet),
    ("app_message", app_message),
    ("app_roundtrip", app_roundtrip),
    ("room_wire", room_wire),
    ("room_server", room_server),
    ("room_client", room_client),
    ("lab_room", lab_room),
    ("dissect", dissect::check),
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

    /// The three ways the payload is fed to a stream decoder: all at once,
    /// one byte at a time, and cut as the split bytes say.
    fn feeds(&self) -> [Vec<&'a [u8]>; 3] {
        [
            vec![self.payload],
            feed::one_byte_reads(self.payload),
            feed::reads_of_lens(self.payload, self.splits),
        ]
    }
}

/// Feeds `reads` to a fresh `decoder`, decoding everything after each, then
/// ends the stream (see [`feed::feed`] for what it checks on the way).
fn drive<D: Decoder<Error = DecodeError>>(
    mut decoder: D,
    reads: &[&[u8]],
    after_none: impl FnMut(&BytesMut, u64),
) -> Events<D::Item> {
    feed::feed(&mut decoder, reads, true, after_none).events
}

/// Runs the decoder over the three feeds of `plan`, checks they agree, and
/// returns the events.
fn drive_all<D: Decoder<Error = DecodeError> + Clone>(
    plan: &Plan<'_>,
    decoder: &D,
    after_none: impl FnMut(&BytesMut, u64),
) -> Events<D::Item>
where
    D::Item: PartialEq + std::fmt::Debug,
{
    feed::same_every_way(decoder, &plan.feeds(), true, after_none).events
}

/// Runs the owned path (`Decoder`, each item made a `T` by `owned`) and
/// the borrowed path (`BorrowDecoder`, each view made a `T` by `borrowed`)
/// over the three feeds of `plan`, with and without the end of the stream,
/// and checks that they yield the same events and hold the same bytes;
/// returns the events of the stream ended and fed all at once.
fn both_paths<D, T>(
    plan: &Plan<'_>,
    decoder: &D,
    owned: impl Fn(D::Item) -> T,
    borrowed: impl for<'a> Fn(D::View<'a>) -> T,
) -> Events<T>
where
    D: BorrowDecoder<Error = DecodeError> + Clone,
    T: PartialEq + std::fmt::Debug,
{
    let feeds = plan.feeds();
    feed::same_both_paths(decoder, &feeds, false, &owned, &borrowed);
    feed::same_both_paths(decoder, &feeds, true, &owned, &borrowed)
}

/// Decodes `wire` all at once with `decoder` and returns the events.
fn decode_all<D: Decoder<Error = DecodeError>>(decoder: D, wire: &[u8]) -> Events<D::Item> {
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
    assert!(max <= TextDatagramCodec::MAX_LEN);

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

/// The text stream as §2 describes it: the valid text, one
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
    // The borrowed path: the very same texts (cut at the same places) and
    // errors.
    both_paths(
        &plan,
        &TextStreamCodec::new(),
        |t: Text| t.to_string(),
        str::to_owned,
    );

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
        LineCodec::with_max_len(usize::from(config >> 1) % 64)
    } else {
        LineCodec::new()
    }
}

/// The lines of `wire` as §3 describes them.
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
    let max = codec.max_len();
    let events = drive_all(&plan, &codec, |buf, _| {
        assert!(
            buf.len() <= max + 1,
            "line decoder holds {} bytes over a limit of {max}",
            buf.len()
        );
    });
    let events = texts_to_strings(events);
    assert_eq!(events, line_model(plan.payload, max));
    let lent = both_paths(&plan, &codec, |t: Text| t.to_string(), str::to_owned);
    assert_eq!(lent, events);

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
fn python_field(text: &str) -> [u8; FixedPacket::TEXT_LEN] {
    let chars = text.chars().count();
    let padded = format!(
        "{text}{}",
        "-".repeat(FixedPacket::TEXT_LEN.saturating_sub(chars))
    );
    let mut field = [0u8; FixedPacket::TEXT_LEN];
    for (slot, b) in field.iter_mut().zip(padded.bytes()) {
        *slot = b;
    }
    field
}

/// §4: 29-byte packets; any 29 bytes are a packet.
pub fn fixed_packet(data: &[u8]) {
    let plan = Plan::new(data);
    let events = drive_all(&plan, &FixedPacketCodec::new(), |buf, _| {
        assert!(buf.len() < FixedPacket::LEN, "holds {} bytes", buf.len());
    });

    // Reference: one packet per 29 bytes, re-encoding to exactly them; an
    // unfinished packet at the end is UnexpectedEof.
    let mut chunks = plan.payload.chunks_exact(FixedPacket::LEN);
    let mut want: Events<FixedPacket> = Vec::new();
    for chunk in chunks.by_ref() {
        let bytes: &[u8; FixedPacket::LEN] = chunk.try_into().expect("29 bytes");
        want.push(Ok(FixedPacket::from_bytes(bytes)));
    }
    if !chunks.remainder().is_empty() {
        want.push(Err(DecodeError::UnexpectedEof {
            pending: chunks.remainder().len() as u64,
        }));
    }
    assert_eq!(events, want);
    let lent = both_paths(
        &plan,
        &FixedPacketCodec::new(),
        |p: FixedPacket| p,
        |v: sockwire::FixedPacketRef<'_>| {
            let p = v.to_packet();
            assert_eq!(
                (v.version(), v.order(), v.size()),
                (p.version(), p.order(), p.size())
            );
            assert_eq!((v.text(), v.is_truncated()), (p.text(), p.is_truncated()));
            assert_eq!(v.field(), &p.field()[..]);
            assert_eq!(&v.as_bytes()[..], &p.to_bytes()[..]);
            p
        },
    );
    assert_eq!(lent, events);
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
    let whole = plan.payload.len() / FixedPacket::LEN * FixedPacket::LEN;
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
    assert_eq!(wire.len(), FixedPacket::LEN);
    assert_eq!(decode_all(FixedPacketCodec::new(), &wire), vec![Ok(packet)]);
}

// ---------------------------------------------------------------------------
// §5 variable packet

fn variable_codec(config: u8) -> VariablePacketCodec {
    const MAX: [usize; 8] = [0, 1, 2, 5, 9, 16, 300, VariablePacketCodec::DEFAULT_MAX_LEN];
    VariablePacketCodec::with_max_len(MAX[usize::from(config % 8)])
}

/// The packets of `wire` as §5 describes them.
fn variable_model(wire: &[u8], max: u32) -> Events<VariablePacket> {
    let mut out = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        let Some((header, tail)) = rest.split_first_chunk::<{ VariablePacket::HEADER_LEN }>()
        else {
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
                pending: (VariablePacket::HEADER_LEN + tail.len()) as u64,
            }));
            break;
        };
        if size > max {
            out.push(Err(DecodeError::FrameTooLarge {
                size: u64::from(size),
                max: u64::from(max),
            }));
        } else {
            let packet = VariablePacket::from_payload(order, Bytes::copy_from_slice(payload));
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
    let max = codec.max_len();
    let events = drive_all(&plan, &codec, |buf, fed| {
        assert!(
            buf.len() < VariablePacket::HEADER_LEN.max(max),
            "holds {} bytes over a limit of {max}",
            buf.len()
        );
        // Never reserves for what a header declares over the limit.
        let bound = 2 * (fed as usize + max + VariablePacket::HEADER_LEN) + 64;
        assert!(buf.capacity() <= bound, "capacity {}", buf.capacity());
    });
    let max32 = u32::try_from(max).expect("the limits above are under 4 GiB");
    assert_eq!(events, variable_model(plan.payload, max32));
    let lent = both_paths(
        &plan,
        &codec,
        |p: VariablePacket| p,
        |v: sockwire::VariablePacketRef<'_>| {
            let p = v.to_packet();
            assert_eq!(
                (v.version(), v.order(), v.size()),
                (p.version(), p.order(), p.size())
            );
            assert_eq!(v.text(), p.text());
            p
        },
    );
    assert_eq!(lent, events);

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
    let packet =
        VariablePacket::from_payload(order, Bytes::copy_from_slice(payload)).with_version(version);
    let mut wire = BytesMut::from(&b"kept"[..]);
    match codec.clone().encode(&packet, &mut wire) {
        Ok(()) => {
            assert_eq!(wire.len(), 4 + VariablePacket::HEADER_LEN + payload.len());
            let header = wire.get(4..4 + VariablePacket::HEADER_LEN).expect("header");
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

// ---------------------------------------------------------------------------
// §6 application message

/// Largest capacity a §6 decoder's buffer may have after "need more", given
/// that `fed` bytes went in: what was fed (the reads themselves), plus at
/// most one header and one reservation step, each at most doubled by the
/// allocator's growth policy.
fn app_capacity_bound(fed: u64) -> usize {
    let fed = usize::try_from(fed).unwrap_or(usize::MAX);
    fed.saturating_mul(2)
        .saturating_add(2 * (AppCodec::MAX_HEADER_LEN + AppCodec::PREFIX_LEN))
        .saturating_add(2 * 64 * 1024)
}

/// `AppHeaderRef::from_json` (keys and strings borrowed, values typed as
/// they are read, other keys skipped or kept) gives what reading the same
/// bytes into a `serde_json::Value` and checking that gives: the same
/// verdict on UTF-8, JSON and objecthood, the same first missing or
/// mistyped key, the same values, the same extra keys with their last
/// values.
fn app_header_like_value(bytes: &[u8]) {
    use serde_json::Value;
    use sockwire::HeaderError;
    use sockwire::app::AppHeaderRef;

    type Fields = (ByteOrder, String, String, u64, BTreeMap<String, Value>);
    fn reference(bytes: &[u8]) -> Result<Fields, HeaderError> {
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(HeaderError::InvalidUtf8 { offset: 0 });
        };
        let value: Value = serde_json::from_str(text).map_err(|e| HeaderError::InvalidJson {
            message: e.to_string(),
        })?;
        let Value::Object(mut map) = value else {
            return Err(HeaderError::NotAnObject);
        };
        let mut take = |key: &'static str| map.remove(key).ok_or(HeaderError::MissingKey { key });
        let wrong = |key, expected| HeaderError::WrongType { key, expected };
        let order = match take("byteorder")? {
            Value::String(s) => ByteOrder::from_name(&s),
            _ => None,
        }
        .ok_or(wrong("byteorder", r#""little" or "big""#))?;
        let Value::String(kind) = take("content-type")? else {
            return Err(wrong("content-type", "a string"));
        };
        let Value::String(encoding) = take("content-encoding")? else {
            return Err(wrong("content-encoding", "a string"));
        };
        let length = take("content-length")?
            .as_u64()
            .ok_or(wrong("content-length", "a non-negative integer"))?;
        if kind == "text/json" && encoding != "utf-8" {
            return Err(HeaderError::UnsupportedEncoding { encoding });
        }
        Ok((order, kind, encoding, length, map.into_iter().collect()))
    }

    let ours = AppHeaderRef::from_json(bytes).map(|h| {
        let keys: BTreeSet<&str> = h.extra.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys.len(), h.extra.len(), "an extra key kept twice");
        let extra = h
            .extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        (
            h.byteorder,
            h.content_type.into_owned(),
            h.content_encoding.into_owned(),
            h.content_length,
            extra,
        )
    });
    match (ours, reference(bytes)) {
        // Offsets and messages are compared by the owned-path tests;
        // here, the verdict.
        (Err(HeaderError::InvalidUtf8 { .. }), Err(HeaderError::InvalidUtf8 { .. })) => {}
        (Err(HeaderError::InvalidJson { .. }), Err(HeaderError::InvalidJson { .. })) => {}
        (ours, reference) => assert_eq!(
            ours,
            reference,
            "header {:?}",
            String::from_utf8_lossy(bytes)
        ),
    }
}

/// §6: 2-byte length, JSON header, content. Every error is final: the codec
/// stays failed and swallows whatever follows.
pub fn app_message(data: &[u8]) {
    let plan = Plan::new(data);
    let limit = usize::from(plan.config) * 8;
    let codec = AppCodec::with_max_len(limit);
    let events = drive_all(&plan, &codec, |buf, fed| {
        // Holding: under 2 prefix bytes, under one header, or a prefix
        // and header with under the declared content (itself within the
        // limit): the header stays in the input until its content is whole.
        let hold = AppCodec::PREFIX_LEN + AppCodec::MAX_HEADER_LEN + limit;
        assert!(
            buf.len() < hold,
            "app decoder holds {} bytes (limit {limit})",
            buf.len()
        );
        assert!(
            buf.capacity() <= app_capacity_bound(fed),
            "app decoder buffer has capacity {} after {fed} bytes",
            buf.capacity()
        );
    });

    let lent = both_paths(
        &plan,
        &codec,
        |m: AppMessage| m,
        |v: sockwire::app::AppMessageRef<'_>| v.to_message(),
    );
    assert_eq!(lent, events);

    // The in-place JSON reader against serde_json's own `Value`, on the
    // input as a header and on the header of the first message.
    app_header_like_value(plan.payload);
    if let Some(header) = plan
        .payload
        .first_chunk::<2>()
        .and_then(|p| plan.payload.get(2..2 + usize::from(u16::from_be_bytes(*p))))
    {
        app_header_like_value(header);
    }

    // At most one error, and it ends the stream.
    let errors = events.iter().filter(|e| e.is_err()).count();
    assert!(errors <= 1, "{errors} errors from one §6 stream");
    if errors == 1 {
        assert!(
            events.last().is_some_and(Result::is_err),
            "messages after an error"
        );
    }

    // Every decoded message re-encodes to bytes that decode to it again.
    for message in events.iter().filter_map(|e| e.as_ref().ok()) {
        assert!(message.content().len() <= limit);
        assert_eq!(
            message.content().len() as u64,
            message.header().content_length
        );
        let mut wire = BytesMut::new();
        match codec.clone().encode(message, &mut wire) {
            Ok(()) => {
                let back = decode_all(codec.clone(), &wire);
                assert_eq!(
                    back,
                    vec![Ok(message.clone())],
                    "a message does not round-trip"
                );
            }
            // Re-encoding escapes non-ASCII as Python does, which may
            // push a header near the limit over it.
            Err(EncodeError::TooLarge { max, .. }) if max == AppCodec::MAX_HEADER_LEN as u64 => {}
            Err(e) => panic!("a decoded message does not re-encode: {e}"),
        }
    }

    // After an error the codec stays failed: more input, even a valid
    // message, yields nothing and is not kept.
    let mut codec = codec;
    let mut buf = BytesMut::from(plan.payload);
    let mut failed = false;
    for _ in 0..=plan.payload.len() {
        match codec.decode(&mut buf) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    assert_eq!(
        failed,
        errors == 1 && !matches!(events.last(), Some(Err(DecodeError::UnexpectedEof { .. })))
    );
    if failed {
        assert!(codec.has_failed());
        assert!(buf.is_empty(), "a failed codec kept {} bytes", buf.len());
        let mut valid = BytesMut::new();
        AppCodec::new()
            .encode(AppMessage::binary("x", &b"hi"[..]), &mut valid)
            .expect("a tiny message encodes");
        buf.extend_from_slice(&valid);
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert!(buf.is_empty(), "a failed codec kept {} bytes", buf.len());
        assert_eq!(codec.decode_eof(&mut buf), Ok(None));
        assert!(codec.has_failed());
    }
}

/// §6 typed: requests from the client to the server and responses back
/// decode to what was encoded, whatever the strings.
pub fn app_roundtrip(data: &[u8]) {
    let (config, rest) = data.split_first().map_or((0, data), |(c, r)| (*c, r));
    let (cut, rest) = rest.split_first().map_or((0, rest), |(c, r)| (*c, r));
    let (a, b) = rest.split_at(usize::from(cut).min(rest.len()));
    let (action, value) = (lossy(a), lossy(b));
    let order = if config & 1 == 0 {
        ByteOrder::Little
    } else {
        ByteOrder::Big
    };

    let requests = [
        AppRequest::new(&action, &value),
        AppRequest::new("search", &value),
        AppRequest::json(action.as_str(), value.as_str()),
    ];
    for request in requests {
        let mut wire = BytesMut::new();
        ClientCodec::new()
            .with_byteorder(order)
            .encode(&request, &mut wire)
            .expect("a request encodes");
        let back = decode_all(ServerCodec::new(), &wire);
        assert_eq!(
            back,
            vec![Ok(request.clone())],
            "a request does not round-trip"
        );
        // Cut anywhere, the same.
        let at = usize::from(config).min(wire.len());
        let (x, y) = wire.split_at(at);
        assert_eq!(drive(ServerCodec::new(), &[x, y], |_, _| ()), back);
    }

    let responses = [
        AppResponse::json(value.as_str()),
        AppResponse::binary(Bytes::copy_from_slice(b)),
        AppResponse::Binary {
            content_type: action.clone(),
            content: Bytes::copy_from_slice(b),
        },
    ];
    for response in responses {
        let mut wire = BytesMut::new();
        match ServerCodec::new()
            .with_byteorder(order)
            .encode(&response, &mut wire)
        {
            Ok(()) => {}
            // Binary content cannot be declared text/json.
            Err(EncodeError::Unrepresentable { .. }) if matches!(&response, AppResponse::Binary { content_type, .. } if content_type == AppHeader::JSON_CONTENT_TYPE) =>
            {
                assert!(wire.is_empty(), "a failed encode wrote something");
                continue;
            }
            Err(e) => panic!("{response:?} does not encode: {e}"),
        }
        let back = decode_all(ClientCodec::new(), &wire);
        assert_eq!(back, vec![Ok(response)], "a response does not round-trip");
    }
}

// ---------------------------------------------------------------------------
// §7 room chat

const ROOM_MAX_LEN: usize = ServerBound::MAX_LEN;

/// The one leniency of the §7 parsers (see `sockwire::room::wire`): an
/// empty free text may come without the space before it. Returns the
/// canonical form of an accepted datagram.
fn room_canonical(datagram: &[u8], formatted: &[u8]) -> bool {
    formatted == datagram || formatted.strip_suffix(b" ") == Some(datagram)
}

/// §7 wire: whatever parses formats back to a datagram that parses to the
/// same value, and (the format being canonical) to the same bytes, up to
/// the documented optional space before an empty text.
pub fn room_wire(data: &[u8]) {
    if let Ok(message) = ServerBound::parse(data) {
        let bytes = message.to_bytes().expect("a parsed request formats");
        assert!(bytes.len() <= ROOM_MAX_LEN);
        assert_eq!(ServerBound::parse(&bytes), Ok(message.clone()));
        assert!(
            room_canonical(data, &bytes),
            "{:?} formats as {:?}",
            lossy(data),
            lossy(&bytes)
        );
        assert_eq!(read_tag(data), message.tag());
    }
    if let Ok(message) = ClientBound::parse(data) {
        let bytes = message.to_bytes().expect("a parsed message formats");
        assert!(bytes.len() <= ROOM_MAX_LEN);
        assert_eq!(ClientBound::parse(&bytes), Ok(message.clone()));
        assert!(
            room_canonical(data, &bytes),
            "{:?} formats as {:?}",
            lossy(data),
            lossy(&bytes)
        );
        assert_eq!(read_tag(data), message.tag());
    }
    if data.len() > ROOM_MAX_LEN {
        assert!(ServerBound::parse(data).is_err());
        assert!(ClientBound::parse(data).is_err());
    }
}

/// A small cursor over the fuzz input; yields zeros once it runs out.
struct Script<'a>(&'a [u8]);

impl<'a> Script<'a> {
    fn byte(&mut self) -> u8 {
        let (b, rest) = self.0.split_first().map_or((0, self.0), |(b, r)| (*b, r));
        self.0 = rest;
        b
    }

    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        let i = usize::from(self.byte()) % from.len();
        from.get(i).copied().unwrap_or_else(|| from[0])
    }
}

const ROOM_NAMES: &[&str] = &[
    "alice", "bob", "carol", "lobby", "den", "a-b_9", "bad name", "",
];

/// A long text that fits a request but not the `ms` relay it causes.
fn long_text() -> String {
    "x".repeat(ROOM_MAX_LEN - 8)
}

fn room_addr(i: u8) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1 + (i & 7)], 5000 + u16::from(i & 7)))
}

/// A syntactically valid (mostly) request datagram from a small vocabulary.
fn room_request(s: &mut Script<'_>) -> Vec<u8> {
    let tag = s.byte() % 5;
    let op = s.pick(&[
        "hi", "ul", "rl", "rc", "rj", "rk", "ar", "kk", "ms", "ka", "by",
    ]);
    if s.byte() % 8 == 0 {
        // an acknowledgement, of a notification that may never have been sent
        return format!("n{tag} ak").into_bytes();
    }
    let arg = match op {
        "hi" | "rc" | "rj" | "ar" => format!(" {}", s.pick(ROOM_NAMES)),
        "ms" => match s.byte() % 3 {
            0 => " hello all".to_owned(),
            1 => format!(" {}", long_text()),
            _ => String::new(),
        },
        _ => String::new(),
    };
    format!("{tag} {op}{arg}").into_bytes()
}

/// §7 server: driven by a script of datagrams and time steps.
pub fn room_server(data: &[u8]) {
    let mut s = Script(data);
    let c = s.byte();
    let mut config = ServerConfig::default();
    config.max_users = 1 + usize::from(c & 3);
    config.max_rooms = 1 + usize::from((c >> 2) & 3);
    config.max_members = 1 + usize::from((c >> 4) & 3);
    config.reply_history = 1 + usize::from(c >> 6);
    let c2 = s.byte();
    config.max_cached_replies = 1 + usize::from(c2 & 7);
    config.max_in_flight = 1 + usize::from((c2 >> 3) & 7);
    config.max_waiting = usize::from(c2 >> 6) * 2;
    config.expiry = Duration::from_secs(30);
    let limits = config.clone();
    let mut server = RoomServer::new(config);
    let start = Instant::now();
    let mut now = start;
    let mut last: Option<(SocketAddr, Vec<u8>, Vec<Bytes>)> = None;

    let mut steps = 0;
    while !s.is_empty() && steps < 256 {
        steps += 1;
        let b = s.byte();
        let from = room_addr(b);
        let kind = (b >> 3) & 0xf;
        if b & 0x80 != 0 {
            let step = Duration::from_secs(u64::from(s.byte() % 71));
            // A repeat comes at once (a registration may expire meanwhile).
            if kind != 0 {
                now += step;
            }
        }
        let replies = match kind {
            // The same datagram again, at once, from the same address.
            0 if last.is_some() => {
                let Some((from, datagram, before)) = last.take() else {
                    continue;
                };
                server.handle_datagram(now, from, &datagram);
                let again = room_drain_server(&mut server, &limits, now, from, false);
                if read_tag(&datagram).is_some() {
                    assert_eq!(
                        again,
                        before,
                        "a retransmitted {:?} got another reply",
                        lossy(&datagram)
                    );
                }
                last = Some((from, datagram, before));
                continue;
            }
            1 => {
                // Time may have passed: a repeat after this is no longer
                // at once (an expiry may have evicted its cached reply).
                last = None;
                server.handle_timeout(now);
                let mut resent = Vec::new();
                while let Some(t) = server.poll_transmit() {
                    resent.push(t.payload);
                }
                // a timeout only sends notifications again
                for payload in resent {
                    assert!(
                        matches!(ClientBound::parse(&payload), Ok(ClientBound::Notice { .. })),
                        "a timeout sent {:?}",
                        lossy(&payload)
                    );
                }
                room_drain_server(&mut server, &limits, now, from, true);
                continue;
            }
            2..=8 => room_request(&mut s),
            _ => {
                let n = usize::from(s.byte() % 48);
                s.bytes(n).to_vec()
            }
        };
        server.handle_datagram(now, from, &replies);
        let sent = room_drain_server(&mut server, &limits, now, from, false);
        let answered = read_tag(&replies).is_some() || replies.len() > ROOM_MAX_LEN;
        assert_eq!(
            sent.len(),
            usize::from(answered),
            "{:?} answered {sent:?}",
            lossy(&replies)
        );
        last = Some((from, replies, sent));
    }
}

/// Drains the server after a step at `now`, checking what it sends and
/// holds (after `timers_run`, that nothing is overdue); returns the
/// replies sent to `from` (not the notifications).
fn room_drain_server(
    server: &mut RoomServer,
    limits: &ServerConfig,
    now: Instant,
    from: SocketAddr,
    timers_run: bool,
) -> Vec<Bytes> {
    let mut to_sender = Vec::new();
    while let Some(t) = server.poll_transmit() {
        assert!(t.payload.len() <= ROOM_MAX_LEN);
        let parsed = ClientBound::parse(&t.payload);
        assert!(
            parsed.is_ok(),
            "server sent {:?}: {parsed:?}",
            lossy(&t.payload)
        );
        if t.destination == from && matches!(parsed, Ok(ClientBound::Reply { .. })) {
            to_sender.push(t.payload);
        }
    }
    while server.poll_event().is_some() {}
    assert!(server.users().count() <= limits.max_users);
    assert!(server.rooms().count() <= limits.max_rooms);
    for room in server.rooms() {
        let (_, members) = server
            .room_members(room)
            .expect("a listed room has members");
        assert!(members.len() <= limits.max_members);
    }
    assert!(server.cached_replies() <= limits.max_cached_replies);
    for user in server.users() {
        let unacked = server.unacknowledged(user).expect("a listed user");
        assert!(unacked <= limits.max_in_flight, "{unacked} unacknowledged");
        let waiting = server.waiting(user).expect("a listed user");
        assert!(waiting <= limits.max_waiting, "{waiting} waiting");
    }
    if let Some(deadline) = server.poll_timeout().filter(|_| timers_run) {
        assert!(deadline > now, "the next deadline is already past");
    }
    to_sender
}

/// §7 client: fed datagrams from anyone, typed lines and time steps.
pub fn room_client(data: &[u8]) {
    let mut s = Script(data);
    let c = s.byte();
    let mut config = ClientConfig::default();
    config.max_pending = 1 + usize::from(c & 3);
    config.max_retransmits = u32::from((c >> 2) & 3);
    config.max_peers = 1 + usize::from((c >> 4) & 3);
    let max_pending = config.max_pending;
    let server_addr = room_addr(0);
    let start = Instant::now();
    let mut now = start;
    let user = Name::new("alice").expect("a valid name");
    let mut client = RoomClient::new(now, server_addr, user, config);
    let mut learned: Vec<SocketAddr> = Vec::new();
    let mut pm_senders: Vec<SocketAddr> = Vec::new();
    let mut expect_ack = None;

    let mut steps = 0;
    while !s.is_empty() && steps < 256 {
        steps += 1;
        let b = s.byte();
        if b & 0x80 != 0 {
            now += Duration::from_millis(u64::from(s.byte()) * 100);
        }
        match (b >> 4) & 7 {
            0 => client.handle_timeout(now),
            1 | 2 => {
                let line = match s.byte() % 9 {
                    0 => "$poke bob".to_owned(),
                    1 => "$msg bob hi there".to_owned(),
                    2 => "$roomcreate lobby".to_owned(),
                    3 => "$roomjoin den".to_owned(),
                    4 => "$userlist".to_owned(),
                    5 => "$quit".to_owned(),
                    6 => long_text(),
                    _ => {
                        let n = usize::from(s.byte() % 32);
                        lossy(s.bytes(n))
                    }
                };
                let _ = client.handle_line(now, &line);
            }
            kind => {
                let from = if kind < 5 { server_addr } else { room_addr(b) };
                // notifications with small sequence numbers: in order, ahead
                // of a gap, duplicated; `er not-registered` to re-register
                let datagram = match s.byte() % 12 {
                    0 => format!("{} ok", s.byte() % 6).into_bytes(),
                    1 => format!("{} pa bob {}", s.byte() % 6, room_addr(s.byte())).into_bytes(),
                    2 => format!("n{} pa bob {}", s.byte() % 8, room_addr(s.byte())).into_bytes(),
                    3 => format!("{} pm bob hi alice", b & 3).into_bytes(),
                    4 => format!("{} er bad-request oops", s.byte() % 6).into_bytes(),
                    5 => format!("n{} kd lobby", s.byte() % 8).into_bytes(),
                    6 => format!("{} er not-registered", s.byte() % 6).into_bytes(),
                    7 | 8 => format!("n{} ms lobby bob hi", s.byte() % 8).into_bytes(),
                    9 => format!("n{} jn lobby bob", s.byte() % 8).into_bytes(),
                    _ => {
                        let n = usize::from(s.byte() % 48);
                        s.bytes(n).to_vec()
                    }
                };
                if from == server_addr {
                    match ClientBound::parse(&datagram) {
                        Ok(ClientBound::Notice {
                            notification: Notification::Poked { addr, .. },
                            ..
                        })
                        | Ok(ClientBound::Reply {
                            reply: Reply::Address { addr, .. },
                            ..
                        }) => learned.push(addr),
                        _ => {}
                    }
                }
                if matches!(
                    ClientBound::parse(&datagram),
                    Ok(ClientBound::Private { .. })
                ) {
                    pm_senders.push(from);
                }
                client.handle_datagram(now, from, &datagram);
                if from == server_addr {
                    if let Ok(ClientBound::Notice { seq, .. }) = ClientBound::parse(&datagram) {
                        expect_ack = Some(seq);
                    }
                }
            }
        }
        let mut acked = None;
        while let Some(t) = client.poll_transmit() {
            assert!(t.payload.len() <= ROOM_MAX_LEN);
            // A peer may claim the server's own address: then a `pm`, or
            // the answer to one, goes there too.
            let peer_message = match ClientBound::parse(&t.payload) {
                Ok(ClientBound::Private { .. }) => learned.contains(&t.destination),
                Ok(ClientBound::Reply { .. }) => pm_senders.contains(&t.destination),
                _ => false,
            };
            if t.destination == server_addr && !peer_message {
                let parsed = ServerBound::parse(&t.payload);
                assert!(
                    parsed.is_ok(),
                    "client sent {:?}: {parsed:?}",
                    lossy(&t.payload)
                );
                if let Ok(ServerBound::Ack { seq }) = parsed {
                    acked = Some(seq);
                }
            } else {
                // a `pm` to a poked peer, or the answer to a `pm`
                assert!(
                    peer_message,
                    "client sent {} {:?}",
                    t.destination,
                    lossy(&t.payload)
                );
            }
        }
        // every notification from the server is acknowledged at once
        if let Some(seq) = expect_ack.take() {
            assert_eq!(acked, Some(seq), "notification n{seq} not acknowledged");
        }
        while let Some(event) = client.poll_event() {
            if let ClientEvent::Lost { count, .. } = event {
                assert!(count > 0, "a gap of no notification reported");
            }
        }
        // a re-registration puts its `hi` and rejoin on top of the
        // requests waiting
        assert!(client.pending() <= max_pending + 3);
        assert!(client.pending_private() <= max_pending);
        // Only `handle_timeout` runs the timers: then nothing is overdue.
        if (b >> 4) & 7 == 0 {
            if let Some(deadline) = client.poll_timeout() {
                assert!(deadline > now, "the client's next deadline is already past");
            }
        }
    }
}
