//! Decodes one ~1 MiB buffer of messages, a chosen number of times, for
//! counting instructions under callgrind (deterministic, unlike wall-clock
//! time on a shared machine). `benches/callgrind.sh` runs it and prints the
//! instructions per message; under plain `cargo bench` it does nothing.
//!
//! ```sh
//! cargo bench --bench instructions -- CODEC SIZE REPS
//! ```
//!
//! CODEC: `variable`, `variable_borrowed` (`BorrowDecoder::decode_with`,
//! each packet lent as a `VariablePacketRef`), `tokio_length_delimited`,
//! `line`, `line_str` (each line also viewed as `&str`), `line_borrowed`
//! (each line lent as `&str`), `tokio_lines`, `fixed`, `fixed_borrowed`
//! (29-byte packets, the size ignored), `app`, `app_borrowed` (§6 binary
//! messages, the header parsed per message; with the `json` feature), or
//! `none` (build and copy the buffer only, the baseline subtracted).
//! Encoding instead of decoding: `line_encode` (each line as `&str`),
//! `tokio_lines_encode` (`LinesCodec`, each line as `&str`) and
//! `variable_encode` (each packet by reference), each into one buffer with
//! room for the whole stream.

mod shared;

use std::hint::black_box;

use bytes::BytesMut;
use shared::{drain, payload, tokio_length_delimited};
use sockwire::{
    BorrowDecoder, FixedPacket, FixedPacketCodec, LineCodec, VariablePacket, VariablePacketCodec,
};
use tokio_util::codec::{Decoder as _, LinesCodec};

/// Messages in the buffer for `size`-byte payloads (as in `codecs.rs`).
fn count(size: usize) -> usize {
    (1024 * 1024 / (size + 9)).max(16)
}

/// `n` §6 binary messages with `size`-byte contents, as in `codecs.rs`.
#[cfg(feature = "json")]
fn app_wire(size: usize, n: usize, wire: &mut BytesMut) {
    use sockwire::app::{AppCodec, AppMessage, AppRequest};
    for i in 0..n {
        let m = AppMessage::binary(
            AppRequest::BINARY_CONTENT_TYPE,
            payload(size, i).into_bytes(),
        );
        sockwire::Encoder::encode(&mut AppCodec::new(), m, wire).unwrap();
    }
}

#[cfg(not(feature = "json"))]
fn app_wire(_: usize, _: usize, _: &mut BytesMut) {
    panic!("the app modes need the json feature");
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [codec, size, reps] = args.as_slice() else {
        println!("usage: instructions CODEC SIZE REPS (see benches/callgrind.sh)");
        return;
    };
    let size: usize = size.parse().expect("SIZE");
    let reps: usize = reps.parse().expect("REPS");
    let n = count(size);
    let mut wire = BytesMut::new();
    let texts: Vec<String> = (0..n).map(|i| payload(size, i)).collect();
    let packets: Vec<VariablePacket> = (0..n)
        .map(|i| VariablePacket::from_payload(i as u32, payload(size, i)))
        .collect();
    if codec.contains("line") {
        for i in 0..n {
            wire.extend_from_slice(payload(size, i).as_bytes());
            wire.extend_from_slice(b"\n");
        }
    } else if codec.starts_with("app") {
        app_wire(size, n, &mut wire);
    } else if codec.contains("fixed") {
        for i in 0..n {
            wire.extend_from_slice(&FixedPacket::new(i as u32, &payload(16, i)).to_bytes());
        }
    } else {
        for i in 0..n {
            let packet = VariablePacket::from_payload(i as u32, payload(size, i));
            sockwire::Encoder::encode(&mut VariablePacketCodec::new(), packet, &mut wire).unwrap();
        }
    }
    let mut decoded = 0;
    for _ in 0..reps {
        let mut buf = wire.clone();
        let mut lines = LineCodec::new();
        decoded += match codec.as_str() {
            "variable" => {
                let mut c = VariablePacketCodec::new();
                drain(|| sockwire::Decoder::decode(&mut c, &mut buf).unwrap())
            }
            "variable_borrowed" => {
                let mut c = VariablePacketCodec::new();
                drain(|| {
                    c.decode_with(&mut buf, |p| {
                        black_box(p);
                    })
                    .unwrap()
                })
            }
            "tokio_length_delimited" => {
                let mut c = tokio_length_delimited();
                drain(|| c.decode(&mut buf).unwrap())
            }
            "line" => drain(|| sockwire::Decoder::decode(&mut lines, &mut buf).unwrap()),
            // As `line`, and each line viewed as `&str` once (this crate
            // has no `unsafe`, so that view checks the UTF-8 again).
            "line_str" => drain(|| {
                let line = sockwire::Decoder::decode(&mut lines, &mut buf).unwrap()?;
                black_box(line.as_str());
                Some(())
            }),
            "line_borrowed" => drain(|| {
                lines
                    .decode_with(&mut buf, |l| {
                        black_box(l);
                    })
                    .unwrap()
            }),
            "fixed" => {
                let mut c = FixedPacketCodec::new();
                drain(|| sockwire::Decoder::decode(&mut c, &mut buf).unwrap())
            }
            "fixed_borrowed" => {
                let mut c = FixedPacketCodec::new();
                drain(|| {
                    c.decode_with(&mut buf, |p| {
                        black_box(p);
                    })
                    .unwrap()
                })
            }
            #[cfg(feature = "json")]
            "app" => {
                let mut c = sockwire::app::AppCodec::new();
                drain(|| sockwire::Decoder::decode(&mut c, &mut buf).unwrap())
            }
            #[cfg(feature = "json")]
            "app_borrowed" => {
                let mut c = sockwire::app::AppCodec::new();
                drain(|| {
                    c.decode_with(&mut buf, |m| {
                        black_box(m);
                    })
                    .unwrap()
                })
            }
            "tokio_lines" => {
                let mut c = LinesCodec::new_with_max_length(sockwire::LineCodec::DEFAULT_MAX_LEN);
                drain(|| c.decode(&mut buf).unwrap())
            }
            "line_encode" => {
                let mut c = LineCodec::new();
                let mut out = BytesMut::with_capacity(wire.len());
                for line in &texts {
                    sockwire::Encoder::encode(&mut c, line.as_str(), &mut out).unwrap();
                }
                black_box(&out);
                n
            }
            "tokio_lines_encode" => {
                let mut c = LinesCodec::new_with_max_length(LineCodec::DEFAULT_MAX_LEN);
                let mut out = BytesMut::with_capacity(wire.len());
                for line in &texts {
                    tokio_util::codec::Encoder::encode(&mut c, line.as_str(), &mut out).unwrap();
                }
                black_box(&out);
                n
            }
            "variable_encode" => {
                let mut c = VariablePacketCodec::new();
                let mut out = BytesMut::with_capacity(wire.len());
                for packet in &packets {
                    sockwire::Encoder::encode(&mut c, packet, &mut out).unwrap();
                }
                black_box(&out);
                n
            }
            "none" => {
                black_box(&buf);
                n
            }
            other => panic!("unknown codec {other}"),
        };
    }
    assert_eq!(decoded, n * reps);
    println!("{codec} {size}: {n} messages x {reps}");
}
