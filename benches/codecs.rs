//! Decode and encode throughput of every codec (§1–7), against tokio-util's
//! `LengthDelimitedCodec` and `LinesCodec` and a plain memcpy, on the same
//! bytes.
//!
//! ```sh
//! cargo bench --bench codecs            # all (a few minutes)
//! cargo bench --bench codecs -- line    # one codec
//! # steadier figures: 1 s warm-up, 3 s measurement per bench (~15 min)
//! BENCH_WARM_UP_MS=1000 BENCH_MEASURE_MS=3000 cargo bench --bench codecs
//! ```
//!
//! Each benchmark decodes one buffer of about 1 MiB of messages per
//! iteration (a fresh copy made outside the timed part, by
//! `iter_batched`), or encodes the same messages into a pre-sized buffer.
//! Payloads are 16 B, 1 KiB and 64 KiB. Two groups report the same runs:
//! `*_bytes` in bytes/s of wire, `*_msgs` in messages/s.
//!
//! Baselines:
//!
//! - `tokio_length_delimited`: `LengthDelimitedCodec` set up for the
//!   variable packet's 9-byte header: `length_field_offset(1)` (skip the
//!   version), `length_field_length(4)` (big-endian size),
//!   `length_adjustment(9)` (the 4 order bytes after the length field, plus
//!   the 5 header bytes before the data, since the header is kept),
//!   `num_skip(0)` (keep the header, so that version and order can still be
//!   read), `max_frame_length` = our 1 MiB limit. It yields each whole
//!   packet as `BytesMut` and does not parse version or order (we do).
//! - `tokio_lines`: `LinesCodec::new_with_max_length(64 KiB)`, our default
//!   limit. It yields `String` (one allocation and copy per line).
//! - `memcpy`: copying the same wire buffer once; the physical ceiling.
//!
//! `sockwire` is the owned path (`Decoder::decode`), `sockwire_borrowed`
//! the borrowed one (`BorrowDecoder::decode_with`, each message lent to a
//! closure as a view of the buffer).

mod shared;

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use shared::{drain, payload, tokio_length_delimited};
use sockwire::{
    BorrowDecoder, DatagramDecoder, DatagramEncoder, Decoder, FixedPacket, FixedPacketCodec,
    LineCodec, TextDatagramCodec, TextStreamCodec, VariablePacket, VariablePacketCodec,
};
use tokio_util::codec::{Decoder as _, Encoder as _, LinesCodec};

const SIZES: [usize; 3] = [16, 1024, 64 * 1024];
const TARGET_WIRE: usize = 1024 * 1024;

type Group<'a> = BenchmarkGroup<'a, criterion::measurement::WallTime>;

/// How many messages of `wire_len` wire bytes make about 1 MiB.
fn count(wire_len: usize) -> usize {
    (TARGET_WIRE / wire_len).max(16)
}

/// What one benchmark input is: the wire bytes and how many messages.
struct Wire {
    bytes: Vec<u8>,
    messages: usize,
}

/// Runs `f` twice, in a bytes/s group and a messages/s group.
/// A duration from the environment variable `name` in milliseconds, or
/// `default`: the group settings below override criterion's own
/// `--warm-up-time`/`--measurement-time`, so longer runs are asked for
/// this way.
fn millis(name: &str, default: u64) -> Duration {
    let ms = std::env::var(name).ok().and_then(|v| v.parse().ok());
    Duration::from_millis(ms.unwrap_or(default))
}

fn both(
    c: &mut Criterion,
    name: &str,
    wire: &Wire,
    mut f: impl FnMut(&mut Group<'_>, &Wire, &str),
) {
    for (suffix, throughput) in [
        ("bytes", Throughput::Bytes(wire.bytes.len() as u64)),
        ("msgs", Throughput::Elements(wire.messages as u64)),
    ] {
        let mut group = c.benchmark_group(format!("{name}_{suffix}"));
        group
            .sample_size(20)
            .warm_up_time(millis("BENCH_WARM_UP_MS", 300))
            .measurement_time(millis("BENCH_MEASURE_MS", 800))
            .throughput(throughput);
        f(&mut group, wire, suffix);
        group.finish();
    }
}

/// Decodes a fresh copy of `wire` with `decode_all`, timing only that.
fn bench_decode<F>(group: &mut Group<'_>, id: String, wire: &Wire, mut decode_all: F)
where
    F: FnMut(&mut BytesMut) -> usize,
{
    let messages = wire.messages;
    group.bench_function(id, |b| {
        b.iter_batched(
            || BytesMut::from(&wire.bytes[..]),
            |mut buf| {
                let n = decode_all(&mut buf);
                assert_eq!(n, messages);
                buf // dropped outside the timed part
            },
            BatchSize::LargeInput,
        );
    });
}

/// Encodes `items` in order into one buffer with room for `wire`, with a
/// fresh encoder from `new` per iteration.
fn bench_encode<T, C>(
    group: &mut Group<'_>,
    id: String,
    wire: &Wire,
    items: &[T],
    new: impl Fn() -> C,
    mut encode: impl FnMut(&mut C, &T, &mut BytesMut),
) {
    let mut out = BytesMut::with_capacity(wire.bytes.len());
    group.bench_function(id, |b| {
        b.iter(|| {
            out.clear();
            let mut codec = new();
            for item in items {
                encode(&mut codec, item, &mut out);
            }
            black_box(&out);
        });
    });
}

fn memcpy(group: &mut Group<'_>, size: usize, wire: &Wire) {
    let mut dst = vec![0u8; wire.bytes.len()];
    group.bench_function(format!("memcpy/{size}"), |b| {
        b.iter(|| {
            dst.copy_from_slice(black_box(&wire.bytes));
            black_box(&dst);
        });
    });
}

/// Decodes every message in `buf` with a `sockwire` decoder.
fn drain_sockwire<D: Decoder<Error = sockwire::DecodeError>>(
    decoder: &mut D,
    buf: &mut BytesMut,
) -> usize {
    drain(|| decoder.decode(buf).expect("valid input"))
}

/// Decodes every message in `buf` through a `sockwire` decoder's borrowed
/// path, each view passed through `black_box` inside the closure.
fn drain_borrowed<D: BorrowDecoder<Error = sockwire::DecodeError>>(
    decoder: &mut D,
    buf: &mut BytesMut,
) -> usize {
    drain(|| {
        decoder
            .decode_with(buf, |view| {
                black_box(view);
            })
            .expect("valid input")
    })
}

fn variable(c: &mut Criterion) {
    for size in SIZES {
        let packets: Vec<VariablePacket> = (0..count(9 + size))
            .map(|i| VariablePacket::from_payload(i as u32 + 1, payload(size, i)))
            .collect();
        let mut bytes = BytesMut::new();
        for p in &packets {
            sockwire::Encoder::encode(&mut VariablePacketCodec::new(), p, &mut bytes).unwrap();
        }
        let wire = Wire {
            bytes: bytes.to_vec(),
            messages: packets.len(),
        };
        both(c, "variable_decode", &wire, |g, wire, _| {
            bench_decode(g, format!("sockwire/{size}"), wire, |buf| {
                drain_sockwire(&mut VariablePacketCodec::new(), buf)
            });
            bench_decode(g, format!("sockwire_borrowed/{size}"), wire, |buf| {
                drain_borrowed(&mut VariablePacketCodec::new(), buf)
            });
            bench_decode(g, format!("tokio_length_delimited/{size}"), wire, |buf| {
                let mut codec = tokio_length_delimited();
                drain(|| codec.decode(buf).expect("valid input"))
            });
            memcpy(g, size, wire);
        });
        both(c, "variable_encode", &wire, |g, wire, _| {
            bench_encode(
                g,
                format!("sockwire/{size}"),
                wire,
                &packets,
                VariablePacketCodec::new,
                |codec, p, out| {
                    sockwire::Encoder::encode(codec, p, out).unwrap();
                },
            );
            memcpy(g, size, wire);
        });
    }
}

fn line(c: &mut Criterion) {
    for size in SIZES {
        let lines: Vec<String> = (0..count(size + 1)).map(|i| payload(size, i)).collect();
        let mut bytes = Vec::new();
        for l in &lines {
            bytes.extend_from_slice(l.as_bytes());
            bytes.push(b'\n');
        }
        let wire = Wire {
            bytes,
            messages: lines.len(),
        };
        both(c, "line_decode", &wire, |g, wire, _| {
            bench_decode(g, format!("sockwire/{size}"), wire, |buf| {
                drain_sockwire(&mut LineCodec::new(), buf)
            });
            bench_decode(g, format!("sockwire_borrowed/{size}"), wire, |buf| {
                drain_borrowed(&mut LineCodec::new(), buf)
            });
            bench_decode(g, format!("tokio_lines/{size}"), wire, |buf| {
                let mut codec =
                    LinesCodec::new_with_max_length(sockwire::LineCodec::DEFAULT_MAX_LEN);
                drain(|| codec.decode(buf).expect("valid input"))
            });
            memcpy(g, size, wire);
        });
        both(c, "line_encode", &wire, |g, wire, _| {
            bench_encode(
                g,
                format!("sockwire/{size}"),
                wire,
                &lines,
                LineCodec::new,
                |codec, l, out| {
                    sockwire::Encoder::encode(codec, l.as_str(), out).unwrap();
                },
            );
            bench_encode(
                g,
                format!("tokio_lines/{size}"),
                wire,
                &lines,
                LinesCodec::new,
                |codec, l, out| {
                    codec.encode(l.as_str(), out).unwrap();
                },
            );
            memcpy(g, size, wire);
        });
    }
}

fn fixed(c: &mut Criterion) {
    let packets: Vec<FixedPacket> = (0..count(29))
        .map(|i| FixedPacket::new(i as u32 + 1, &payload(16, i)))
        .collect();
    let wire = Wire {
        bytes: packets.iter().flat_map(FixedPacket::to_bytes).collect(),
        messages: packets.len(),
    };
    both(c, "fixed_decode", &wire, |g, wire, _| {
        bench_decode(g, "sockwire/29".into(), wire, |buf| {
            drain_sockwire(&mut FixedPacketCodec::new(), buf)
        });
        bench_decode(g, "sockwire_borrowed/29".into(), wire, |buf| {
            drain_borrowed(&mut FixedPacketCodec::new(), buf)
        });
        memcpy(g, 29, wire);
    });
    both(c, "fixed_encode", &wire, |g, wire, _| {
        bench_encode(
            g,
            "sockwire/29".into(),
            wire,
            &packets,
            FixedPacketCodec::new,
            |codec, p, out| {
                sockwire::Encoder::encode(codec, p, out).unwrap();
            },
        );
        memcpy(g, 29, wire);
    });
}

/// Non-ASCII text of about `len` bytes (2-byte characters), so that the
/// UTF-8 validation is not all on the ASCII fast path.
fn utf8_text(len: usize, seed: usize) -> String {
    let mut s = String::with_capacity(len);
    let mut i = seed;
    while s.len() + 2 <= len {
        s.push(if i % 3 == 0 {
            'ã'
        } else {
            char::from(b'a' + (i % 26) as u8)
        });
        i += 1;
    }
    while s.len() < len {
        s.push('.');
    }
    s
}

fn text(c: &mut Criterion) {
    for size in SIZES {
        // The largest datagram is 65,507 bytes.
        let size = size.min(sockwire::TextDatagramCodec::MAX_LEN);
        let texts: Vec<String> = (0..count(size)).map(|i| utf8_text(size, i)).collect();
        let bytes: Vec<u8> = texts.concat().into_bytes();
        let wire = Wire {
            bytes,
            messages: texts.len(),
        };
        // One datagram per message, as `Bytes` slices of one buffer.
        let all = Bytes::from(wire.bytes.clone());
        both(c, "text_datagram_decode", &wire, |g, wire, _| {
            g.bench_function(format!("sockwire/{size}"), |b| {
                b.iter(|| {
                    let mut codec = TextDatagramCodec::new();
                    for i in 0..wire.messages {
                        let d = all.slice(i * size..(i + 1) * size);
                        black_box(codec.decode_datagram(d).unwrap());
                    }
                });
            });
            memcpy(g, size, wire);
        });
        both(c, "text_datagram_encode", &wire, |g, wire, _| {
            let mut out = BytesMut::with_capacity(size);
            g.bench_function(format!("sockwire/{size}"), |b| {
                b.iter(|| {
                    let mut codec = TextDatagramCodec::new();
                    for t in &texts {
                        out.clear();
                        codec.encode_datagram(t.as_str(), &mut out).unwrap();
                        black_box(&out);
                    }
                });
            });
            memcpy(g, size, wire);
        });
        // The stream: one read of `size` bytes per message, cut anywhere
        // (so characters are split across reads).
        both(c, "text_stream_decode", &wire, |g, wire, _| {
            g.bench_function(format!("sockwire/{size}"), |b| {
                b.iter_batched(
                    || BytesMut::with_capacity(wire.bytes.len()),
                    |mut buf| {
                        let mut codec = TextStreamCodec::new();
                        for read in wire.bytes.chunks(size) {
                            buf.extend_from_slice(read);
                            while let Some(t) =
                                sockwire::Decoder::decode(&mut codec, &mut buf).unwrap()
                            {
                                black_box(t);
                            }
                        }
                        buf
                    },
                    BatchSize::LargeInput,
                );
            });
            g.bench_function(format!("sockwire_borrowed/{size}"), |b| {
                b.iter_batched(
                    || BytesMut::with_capacity(wire.bytes.len()),
                    |mut buf| {
                        let mut codec = TextStreamCodec::new();
                        for read in wire.bytes.chunks(size) {
                            buf.extend_from_slice(read);
                            while let Some(()) = codec
                                .decode_with(&mut buf, |t| {
                                    black_box(t);
                                })
                                .unwrap()
                            {}
                        }
                        buf
                    },
                    BatchSize::LargeInput,
                );
            });
            memcpy(g, size, wire);
        });
        both(c, "text_stream_encode", &wire, |g, wire, _| {
            bench_encode(
                g,
                format!("sockwire/{size}"),
                wire,
                &texts,
                TextStreamCodec::new,
                |codec, t, out| {
                    sockwire::Encoder::encode(codec, t.as_str(), out).unwrap();
                },
            );
            memcpy(g, size, wire);
        });
    }
}

/// §6 application messages: a JSON header (about 130 bytes, parsed and
/// checked per message) and binary content of each payload size; a §6
/// search request is the 16-byte case's typical cousin.
#[cfg(feature = "json")]
fn app(c: &mut Criterion) {
    use sockwire::app::{AppCodec, AppMessage, AppRequest};
    for size in SIZES {
        let messages: Vec<AppMessage> = (0..count(size + 128))
            .map(|i| {
                AppMessage::binary(
                    AppRequest::BINARY_CONTENT_TYPE,
                    payload(size, i).into_bytes(),
                )
            })
            .collect();
        let mut bytes = BytesMut::new();
        for m in &messages {
            sockwire::Encoder::encode(&mut AppCodec::new(), m, &mut bytes).unwrap();
        }
        let wire = Wire {
            bytes: bytes.to_vec(),
            messages: messages.len(),
        };
        both(c, "app_decode", &wire, |g, wire, _| {
            bench_decode(g, format!("sockwire/{size}"), wire, |buf| {
                drain_sockwire(&mut AppCodec::new(), buf)
            });
            bench_decode(g, format!("sockwire_borrowed/{size}"), wire, |buf| {
                drain_borrowed(&mut AppCodec::new(), buf)
            });
            memcpy(g, size, wire);
        });
        both(c, "app_encode", &wire, |g, wire, _| {
            bench_encode(
                g,
                format!("sockwire/{size}"),
                wire,
                &messages,
                AppCodec::new,
                |codec, m, out| {
                    sockwire::Encoder::encode(codec, m, out).unwrap();
                },
            );
            memcpy(g, size, wire);
        });
    }
}

#[cfg(not(feature = "json"))]
fn app(_: &mut Criterion) {}

/// §7 room-chat datagrams: what the server parses most (`ms`, a client
/// saying something) and what it formats most (the `ms` notification each
/// member receives), with texts of 16 B, 1 KiB and the most that fits in a
/// datagram.
fn room(c: &mut Criterion) {
    use sockwire::room::{ClientBound, Name, Notification, Request, ServerBound};
    let room = Name::new("lobby").unwrap();
    let user = Name::new("alice").unwrap();
    for size in [16, 1024, 4000] {
        let requests: Vec<ServerBound> = (0..count(size + 8))
            .map(|i| ServerBound::Request {
                tag: i as u32 + 1,
                request: Request::Say(payload(size, i)),
            })
            .collect();
        let datagrams: Vec<Bytes> = requests.iter().map(|r| r.to_bytes().unwrap()).collect();
        let wire = Wire {
            bytes: datagrams.concat(),
            messages: datagrams.len(),
        };
        both(c, "room_parse", &wire, |g, wire, _| {
            g.bench_function(format!("sockwire/{size}"), |b| {
                b.iter(|| {
                    for d in &datagrams {
                        black_box(ServerBound::parse(black_box(d)).unwrap());
                    }
                });
            });
            memcpy(g, size, wire);
        });
        let notes: Vec<ClientBound> = (0..wire.messages)
            .map(|i| ClientBound::Notice {
                seq: i as u32 + 1,
                notification: Notification::Said {
                    room: room.clone(),
                    user: user.clone(),
                    text: payload(size, i),
                },
            })
            .collect();
        let note_wire = Wire {
            bytes: notes
                .iter()
                .flat_map(|n| {
                    let mut b = BytesMut::new();
                    n.encode(&mut b).unwrap();
                    b
                })
                .collect(),
            messages: notes.len(),
        };
        both(c, "room_format", &note_wire, |g, wire, _| {
            let mut out = BytesMut::with_capacity(ClientBound::MAX_LEN);
            g.bench_function(format!("sockwire/{size}"), |b| {
                b.iter(|| {
                    for n in &notes {
                        out.clear();
                        n.encode(&mut out).unwrap();
                        black_box(&out);
                    }
                });
            });
            memcpy(g, size, wire);
        });
    }
}

criterion_group!(benches, variable, line, fixed, text, app, room);
criterion_main!(benches);
