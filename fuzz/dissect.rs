//! The fuzz check of the `dissect` example (issue 15): its capture
//! reading, packet parsing, TCP reassembly and decoding, with the
//! example's own modules included as they are (they name each other as
//! `super::`).
//!
//! Two kinds of input:
//!
//! - `R` then a plan: a model check of TCP reassembly alone. A known
//!   512-byte stream is sent as segments the plan describes (any order,
//!   repeats, overlaps, bytes cut by a snap length, FIN, RST, ACKs, from a
//!   sequence number anywhere, wrap-around included); every byte the
//!   reassembler delivers must be the stream's byte at that offset, each
//!   offset is delivered or reported as a gap at most once and in order,
//!   and the out-of-order bytes held stay under the limit.
//! - anything else: a capture file, read to its end (or its first error)
//!   through the whole engine with every protocol on some port, hex dumps
//!   on and a small out-of-order limit; nothing may panic, and the
//!   summary's counts must match the records emitted.

#[path = "../examples/dissect/capture.rs"]
mod capture;
#[path = "../examples/dissect/decode.rs"]
mod decode;
#[path = "../examples/dissect/engine.rs"]
mod engine;
#[path = "../examples/dissect/events.rs"]
mod events;
#[path = "../examples/dissect/packet.rs"]
mod packet;
#[path = "../examples/dissect/reassembly.rs"]
mod reassembly;

use std::collections::HashMap;

use reassembly::{Event, SegmentInfo, Stream};

/// Runs the check on one input.
pub fn check(data: &[u8]) {
    match data.split_first() {
        Some((b'R', plan)) => reassembly_model(plan),
        _ => whole_capture(data),
    }
}

fn whole_capture(data: &[u8]) {
    let mut ports = HashMap::new();
    for (i, &p) in decode::Protocol::EVERY.iter().enumerate() {
        ports.insert(5005 + i as u16, p);
    }
    // The ports of the committed real capture.
    for (port, p) in [
        (5105, decode::Protocol::Variable),
        (5106, decode::Protocol::App),
        (5107, decode::Protocol::Room),
        (5108, decode::Protocol::Fixed),
        (5109, decode::Protocol::Text),
        (5110, decode::Protocol::Line),
        (5111, decode::Protocol::Text),
    ] {
        ports.insert(port, p);
    }
    let config = engine::Config {
        ports,
        max_buffered: 4096,
        hex: true,
        flow: None,
    };
    let mut reader = capture::CaptureReader::new(data);
    let mut engine = engine::Engine::new(config);
    let (mut ok, mut errors) = (0u64, 0u64);
    let mut emit = |r: engine::Record| {
        if let engine::Record::Message(_, m) = r {
            if m.result.is_ok() {
                ok += 1;
            } else {
                errors += 1;
            }
        }
    };
    // Every frame takes at least 16 bytes of input.
    for _ in 0..=data.len() / 16 + 1 {
        match reader.next_frame() {
            Ok(Some(frame)) => engine.frame(&frame, &mut emit),
            Ok(None) | Err(_) => break,
        }
    }
    let summary = engine.finish(&mut emit);
    assert_eq!(summary.messages.values().sum::<u64>(), ok);
    assert_eq!(summary.errors, errors);
}

const STREAM_LEN: usize = 512;

fn stream_byte(i: usize) -> u8 {
    (i.wrapping_mul(31).wrapping_add(i >> 8).wrapping_add(7) & 0xff) as u8
}

fn reassembly_model(plan: &[u8]) {
    let Some((head, ops)) = plan.split_first_chunk::<6>() else {
        return;
    };
    let base = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let limit = 64 + usize::from(head[4]) * 16;
    let syn = head[5] & 1 == 1;
    let stream: Vec<u8> = (0..STREAM_LEN).map(stream_byte).collect();
    let mut s = Stream::new(limit);
    let mut out = Vec::new();
    // Where offset 0 of the reassembled stream is in `stream`, once known.
    let mut origin: Option<usize> = None;
    let mut ended = false;
    let mut max_end = 0usize;
    if syn {
        s.segment(
            SegmentInfo {
                seq: base.wrapping_sub(1),
                syn: true,
                fin: false,
                rst: false,
                payload: &[],
                missing: 0,
            },
            &mut out,
        );
        origin = Some(0);
    }
    for op in ops.chunks_exact(4) {
        let start = usize::from(op[0]) * 2;
        let len = usize::from(op[1] % 64);
        let flags = op[3];
        let end = (start + len).min(STREAM_LEN);
        let missing = if flags & 1 == 1 {
            u32::from(op[2] % 8)
        } else {
            0
        };
        let fin = flags & 2 == 2;
        let rst = flags & 0x70 == 0x70;
        let payload = stream.get(start..end).unwrap_or_default();
        if flags & 8 == 8 {
            let acked = base.wrapping_add(u32::from(op[2]) * 2);
            s.acked(acked, &mut out);
        }
        if !ended && !rst && origin.is_none() && (!payload.is_empty() || missing > 0 || fin) {
            origin = Some(start);
        }
        ended |= rst;
        max_end = max_end.max(end + missing as usize);
        s.segment(
            SegmentInfo {
                seq: base.wrapping_add(start as u32),
                syn: false,
                fin,
                rst,
                payload,
                missing,
            },
            &mut out,
        );
    }
    s.finish(&mut out);
    let mut pos = origin.unwrap_or(0);
    for event in &out {
        match event {
            Event::Data { bytes, .. } => {
                assert!(!bytes.is_empty(), "empty data event");
                let want = stream.get(pos..pos + bytes.len());
                assert_eq!(Some(&bytes[..]), want, "bytes at stream offset {pos}");
                pos += bytes.len();
            }
            Event::Gap { len, .. } => {
                assert!(*len > 0, "empty gap");
                pos += *len as usize;
            }
            Event::MidStream | Event::Fin | Event::Reset => {}
        }
        assert!(
            pos <= max_end.max(origin.unwrap_or(0)),
            "past every segment: {pos}"
        );
    }
    assert!(
        s.stats.peak_buffered <= limit + 64 + 64 + 64 * 2,
        "held {} over {limit}",
        s.stats.peak_buffered
    );
}
