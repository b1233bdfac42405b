//! A protocol that is not one of the crate's, served through
//! `sockwire::conn::Connection` from outside the crate, as a user would:
//! netstrings (`5:hello,`), with their own message type, their own decode
//! and encode error types (no variant of the crate's pressed into service)
//! and their own recoverability; checked at every split of the input, under
//! backpressure and against timeouts on a fake clock.

mod common {
    pub mod netstring;
}

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use common::netstring::{
    MAX_LEN, Netstring, NetstringCodec, NetstringError, PayloadTooLong, Reverser, netstring,
    reverser,
};
use sockwire::conn::{CodecService, Connection, ConnectionConfig, Event, Timeout};
use sockwire::testing::StreamHarness;
use sockwire::{Decoder, Encoder};

// ---------------------------------------------------------------- driving it

const fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

type Ev = Event<Reverser>;

/// Runs the service through the kit's [`StreamHarness`], one read per
/// chunk, the clock standing still: each turn feeds input, handles
/// timeouts, drains events and transmits everything; then EOF. Returns
/// the messages, the output and the other events.
fn run<'a>(
    config: ConnectionConfig,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<Netstring>, Vec<u8>, Vec<Ev>) {
    let chunks: Vec<&[u8]> = chunks.into_iter().collect();
    let peer = StreamHarness::default()
        .with_reads(chunks.iter().map(|c| c.len()).collect())
        .with_turn(Duration::ZERO);
    let run = peer.run(Instant::now(), reverser(), config, &chunks.concat());
    assert!(run.closed);
    let (mut messages, mut other) = (Vec::new(), Vec::new());
    for event in run.events {
        match event {
            Event::Received(m) => messages.push(m),
            e => other.push(e),
        }
    }
    (messages, run.output, other)
}

fn wire() -> Vec<u8> {
    [
        &b"hello"[..],
        b"",
        b"a,b:c",
        "ação 🐰".as_bytes(),
        b"0123456789",
    ]
    .iter()
    .flat_map(|p| netstring(p))
    .collect()
}

fn reversed_wire() -> Vec<u8> {
    [
        &b"olleh"[..],
        b"",
        b"c:b,a",
        &"ação 🐰".bytes().rev().collect::<Vec<_>>(),
        b"9876543210",
    ]
    .iter()
    .flat_map(|p| netstring(p))
    .collect()
}

// ---------------------------------------------------------------- tests

#[test]
fn the_codec_reads_netstrings() {
    let mut codec = NetstringCodec::with_max_len(MAX_LEN);
    let mut buf = BytesMut::from(&b"5:hello,0:,3:ab"[..]);
    assert_eq!(
        codec.decode(&mut buf),
        Ok(Some(Netstring(Bytes::from_static(b"hello"))))
    );
    assert_eq!(codec.decode(&mut buf), Ok(Some(Netstring(Bytes::new()))));
    assert_eq!(codec.decode(&mut buf), Ok(None));
    // the crate's default decode_eof reports the rest through From<Truncated>
    assert_eq!(
        codec.decode_eof(&mut buf),
        Err(NetstringError::Truncated { pending: 4 })
    );
    assert!(buf.is_empty());
}

#[test]
fn every_split_gives_the_same_messages_and_replies() {
    let wire = wire();
    let (whole, out, other) = run(ConnectionConfig::default(), [&wire[..]]);
    assert_eq!(whole.len(), 5);
    assert_eq!(whole[0].to_string(), r#"netstring "hello""#);
    assert_eq!(out, reversed_wire());
    assert_eq!(other, [Event::PeerClosed]);
    for cut in 0..=wire.len() {
        let (a, b) = wire.split_at(cut);
        let (messages, out, other) = run(ConnectionConfig::default(), [a, b]);
        assert_eq!(messages, whole, "cut at {cut}");
        assert_eq!(out, reversed_wire(), "cut at {cut}");
        assert_eq!(other, [Event::PeerClosed], "cut at {cut}");
        for cut2 in cut..=wire.len() {
            let (b1, b2) = b.split_at(cut2 - cut);
            let (messages, _, _) = run(ConnectionConfig::default(), [a, b1, b2]);
            assert_eq!(messages, whole, "cuts at {cut} and {cut2}");
        }
    }
    let (messages, out, _) = run(ConnectionConfig::default(), wire.chunks(1));
    assert_eq!((messages, out), (whole, reversed_wire()), "byte by byte");
}

#[test]
fn a_broken_frame_is_the_peers_error_in_the_protocols_own_type() {
    let mut wire = netstring(b"ok");
    wire.extend_from_slice(b"3:abcX");
    wire.extend_from_slice(&netstring(b"never"));
    let (messages, out, other) = run(ConnectionConfig::default(), [&wire[..]]);
    assert_eq!(messages, [Netstring(Bytes::from_static(b"ok"))]);
    assert_eq!(
        out,
        netstring(b"ko"),
        "the reply queued before the error is written"
    );
    assert_eq!(
        other,
        [Event::PeerError {
            error: NetstringError::MissingComma { found: b'X' },
            closes: true
        }]
    );
    assert_eq!(
        other[0].to_string(),
        "error: netstring ends with 0x58, not a comma (closing the connection)"
    );
    // not a number, even with the recovery on: the framing is lost
    let recover = ConnectionConfig::default().with_recover_from_errors(true);
    let (_, _, other) = run(recover, [&b"x5:hello,"[..]]);
    assert_eq!(
        other,
        [Event::PeerError {
            error: NetstringError::BadLength,
            closes: true
        }]
    );
}

#[test]
fn the_protocol_decides_what_it_recovers_from() {
    let mut wire = netstring(&[b'x'; 100]);
    wire.extend_from_slice(&netstring(b"next"));
    let too_long = NetstringError::TooLong { len: 100, max: 64 };
    // by default every error closes
    let (messages, _, other) = run(ConnectionConfig::default(), [&wire[..]]);
    assert!(messages.is_empty());
    assert_eq!(
        other,
        [Event::PeerError {
            error: too_long.clone(),
            closes: true
        }]
    );
    // asked to recover, the connection skips it, at every split
    let recover = ConnectionConfig::default().with_recover_from_errors(true);
    for cut in 0..=wire.len() {
        let (a, b) = wire.split_at(cut);
        let (messages, out, other) = run(recover.clone(), [a, b]);
        assert_eq!(
            messages,
            [Netstring(Bytes::from_static(b"next"))],
            "cut at {cut}"
        );
        assert_eq!(out, netstring(b"txen"));
        assert_eq!(
            other,
            [
                Event::PeerError {
                    error: too_long.clone(),
                    closes: false
                },
                Event::PeerClosed
            ],
            "cut at {cut}"
        );
    }
}

#[test]
fn a_reply_that_cannot_be_encoded_is_this_sides_error() {
    // a service from a codec and two functions: the map wraps nothing, the
    // reply doubles the payload, which can outgrow the limit
    let service = CodecService::new(
        NetstringCodec::with_max_len(MAX_LEN),
        std::convert::identity,
        |item: &Netstring, dst: &mut BytesMut| {
            let doubled = [&item.0[..], &item.0[..]].concat();
            NetstringCodec::with_max_len(MAX_LEN).encode(&doubled[..], dst)
        },
    );
    let now = Instant::now();
    let mut conn = Connection::new(now, service, ConnectionConfig::default());
    conn.handle_input(now, &netstring(b"ab"));
    conn.handle_input(now, &netstring(&[b'y'; 40]));
    let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(
        &events[2],
        Event::ReplyFailed(PayloadTooLong { len: 80, max: 64 })
    ));
    assert_eq!(
        events[2].to_string(),
        "error: cannot encode the reply: payload of 80 bytes over the limit of 64 (closing the connection)"
    );
    assert_eq!(
        conn.pending_output(),
        netstring(b"abab"),
        "nothing of the failed reply"
    );
    assert!(!conn.wants_read());
    conn.consume_output(now, 9);
    assert!(conn.is_closed());
}

#[test]
fn a_peer_that_never_reads_is_held_at_the_high_water_mark() {
    let now = Instant::now();
    let config = ConnectionConfig::default().with_high_water_mark(20);
    let mut conn = Connection::new(now, reverser(), config);
    let one = netstring(b"0123456789"); // 14 bytes, and so is its reply
    conn.handle_input(now, &one);
    assert!(conn.wants_read(), "14 <= 20");
    conn.handle_input(now, &one);
    assert!(!conn.wants_read(), "28 > 20: stop reading");
    assert!(conn.wants_write());
    conn.consume_output(now, 7);
    assert!(!conn.wants_read(), "21 > 20");
    conn.consume_output(now, 1);
    assert!(conn.wants_read(), "20 <= 20");
    // a loop that reads only while wants_read never holds more than one
    // read's replies over the mark
    let read: Vec<u8> = one.iter().copied().cycle().take(one.len() * 4).collect();
    let mut reads = 0;
    while conn.wants_read() {
        conn.handle_input(now, &read);
        reads += 1;
        assert!(reads < 100);
    }
    assert!(conn.pending_output().len() <= 20 + read.len());
}

#[test]
fn a_client_that_pauses_reading_is_not_blamed_for_the_servers_backpressure() {
    // the slow-reader check of a netstring server: pipelined requests, the
    // last one cut by the read, and a client that reads nothing for a
    // while; the message timeout (1 s) is far shorter than the pause
    let t0 = Instant::now();
    let config = ConnectionConfig::default()
        .with_message_timeout(Some(s(1)))
        .with_write_timeout(Some(s(10)))
        .with_high_water_mark(20);
    let mut conn = Connection::new(t0, reverser(), config);
    let one = netstring(b"0123456789");
    let mut read: Vec<u8> = one.repeat(2);
    read.extend_from_slice(&one[..5]);
    conn.handle_input(t0, &read);
    assert!(!conn.wants_read(), "28 bytes of replies > 20");
    assert_eq!(conn.buffered_input(), 5, "a request cut in the middle");
    // nine seconds of pause, the loop checking its deadlines all along
    for secs in 0..9 {
        conn.handle_timeout(t0 + s(secs));
    }
    assert!(
        !conn.is_closed(),
        "{:?}",
        std::iter::from_fn(|| conn.poll_event()).last()
    );
    // the client reads its replies; the server reads the rest of the request
    conn.consume_output(t0 + s(9), 28);
    assert!(conn.wants_read());
    conn.handle_input(t0 + s(9), &one[5..]);
    let received = std::iter::from_fn(|| conn.poll_event())
        .filter(|e| matches!(e, Event::Received(_)))
        .count();
    assert_eq!(received, 3);
    assert_eq!(conn.pending_output(), netstring(b"9876543210"));
    // and a client that never reads again is closed by the write timeout
    conn.handle_timeout(t0 + s(18));
    assert!(!conn.is_closed());
    conn.handle_timeout(t0 + s(19));
    assert!(matches!(
        conn.poll_event(),
        Some(Event::PeerStoppedReading(stall)) if stall.unsent == 14
    ));
    assert!(conn.is_closed());
}

#[test]
fn timeouts_run_on_the_callers_clock() {
    let t0 = Instant::now();
    let config = ConnectionConfig::default()
        .with_idle_timeout(Some(s(10)))
        .with_message_timeout(Some(s(4)));

    // idle: activity in either direction moves the deadline
    let mut conn = Connection::new(t0, reverser(), config.clone());
    assert_eq!(conn.poll_timeout(), Some(t0 + s(10)));
    assert_eq!(
        sockwire::timeout_from(t0 + s(7), conn.poll_timeout()),
        Some(s(3))
    );
    conn.handle_input(t0 + s(2), &netstring(b"hi"));
    assert_eq!(conn.poll_timeout(), Some(t0 + s(12)));
    conn.consume_output(t0 + s(5), 2);
    assert_eq!(conn.poll_timeout(), Some(t0 + s(15)));
    conn.handle_timeout(t0 + s(14));
    assert!(!conn.is_closed());
    conn.handle_timeout(t0 + s(15));
    let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
    assert_eq!(
        events.last(),
        Some(&Event::TimedOut(Timeout::Idle { idle: s(10) }))
    );
    assert!(conn.is_closed(), "unsent output is dropped");

    // message: a peer dribbling one byte a second is never idle, but its
    // netstring must be whole 4 s after it began
    let mut conn = Connection::new(t0, reverser(), config);
    let wire = netstring(b"slowly");
    for (i, byte) in wire.iter().take(4).enumerate() {
        let now = t0 + s(1 + i as u64);
        conn.handle_input(now, std::slice::from_ref(byte));
        conn.handle_timeout(now);
    }
    assert_eq!(conn.poll_timeout(), Some(t0 + s(5)));
    assert!(!conn.is_closed());
    conn.handle_timeout(t0 + s(5));
    assert_eq!(
        conn.poll_event(),
        Some(Event::TimedOut(Timeout::Message {
            limit: s(4),
            buffered: 4
        }))
    );
    assert!(conn.is_closed());
    assert_eq!(conn.buffered_capacity(), 0);
}

#[test]
fn eof_inside_a_netstring_reports_the_protocols_truncation() {
    let wire = netstring(b"cut short");
    for cut in 1..wire.len() {
        let (messages, _, other) = run(ConnectionConfig::default(), [&wire[..cut]]);
        assert!(messages.is_empty());
        assert_eq!(
            other,
            [Event::PeerError {
                error: NetstringError::Truncated {
                    pending: cut as u64
                },
                closes: true
            }],
            "cut at {cut}"
        );
    }
}

#[test]
fn max_messages_answers_that_many_at_every_split_and_reads_no_more() {
    let all = wire();
    let replies = reversed_wire();
    let reply_len = |n: usize| {
        // the first n replies of `reversed_wire`
        let mut len = 0;
        let mut codec = NetstringCodec::with_max_len(usize::MAX);
        let mut buf = BytesMut::from(&replies[..]);
        for _ in 0..n {
            let before = buf.len();
            codec.decode(&mut buf).unwrap().unwrap();
            len += before - buf.len();
        }
        len
    };
    for max in 1..=5 {
        let config = ConnectionConfig::default().with_max_messages(Some(max));
        for at in 0..=all.len() {
            let (first, second) = all.split_at(at);
            let (messages, output, other) = run(config.clone(), [first, second]);
            assert_eq!(messages.len(), max, "max {max}, split at {at}");
            assert_eq!(
                output,
                &replies[..reply_len(max)],
                "max {max}, split at {at}"
            );
            // Finished is not the peer closing: no PeerClosed, no error.
            assert!(other.is_empty(), "max {max}, split at {at}: {other:?}");
        }
    }
}

#[test]
fn a_finished_connection_closes_once_its_replies_are_written() {
    let now = Instant::now();
    let config = ConnectionConfig::default().with_max_messages(Some(1));
    let mut conn = Connection::new(now, reverser(), config);
    let mut two = netstring(b"abc");
    two.extend_from_slice(&netstring(b"def"));
    conn.handle_input(now, &two);
    assert!(conn.is_finished());
    assert_eq!(conn.messages_received(), 1);
    assert!(!conn.wants_read());
    assert_eq!(conn.pending_output(), netstring(b"cba"));
    assert_eq!(conn.buffered_input(), 0, "the unanswered rest is dropped");
    // more input and the peer's EOF change nothing
    conn.handle_input(now, &netstring(b"ghi"));
    conn.handle_eof(now);
    assert_eq!(conn.messages_received(), 1);
    assert!(matches!(conn.poll_event(), Some(Event::Received(_))));
    assert!(conn.poll_event().is_none());
    // the idle timeout still guards the unsent reply
    assert!(conn.poll_timeout().is_some());
    assert!(!conn.is_closed());
    conn.consume_output(now, 2);
    assert!(!conn.is_closed());
    let rest = conn.pending_output().len();
    conn.consume_output(now, rest);
    assert!(conn.is_closed());
    assert_eq!(conn.poll_timeout(), None);
}
