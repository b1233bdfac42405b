//! The connection layer's defences, driven by a fake clock (an `Instant`
//! base plus offsets): idle and per-message timeouts, backpressure against
//! a peer that never reads, buffers that do not grow with what a peer
//! claims, and idle connections that hold no buffer.

mod common {
    pub mod conn;
}

use std::time::{Duration, Instant};

use common::conn::{events, t0};
use sockwire::builtin::{BuiltinService, Message, Protocol, ReplyPolicy as Reply};
use sockwire::codec::RESERVE_STEP;
use sockwire::conn::{Connection, ConnectionConfig, Event, Timeout};
use sockwire::{DecodeError, FixedPacket};

type Ev = Event<BuiltinService>;

const DEFAULT_HIGH_WATER_MARK: usize = ConnectionConfig::DEFAULT_HIGH_WATER_MARK;

/// A config with these timeouts, no write timeout (`conn_timers.rs`
/// tests that one) and the default high-water mark.
fn timeouts(idle: Option<Duration>, message: Option<Duration>) -> ConnectionConfig {
    ConnectionConfig::default()
        .with_idle_timeout(idle)
        .with_message_timeout(message)
        .with_write_timeout(None)
}

/// A connection opened at `t0` under `config`.
fn open(
    protocol: Protocol,
    reply: Reply,
    config: ConnectionConfig,
    t0: Instant,
) -> Connection<BuiltinService> {
    Connection::new(t0, protocol.service(reply), config)
}

/// A connection without timeouts, opened at `t0()`.
fn untimed(protocol: Protocol, reply: Reply) -> Connection<BuiltinService> {
    open(protocol, reply, timeouts(None, None), t0())
}

const fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

fn timeout_error(events: &[Ev]) -> Option<&Timeout> {
    events.iter().find_map(|e| match e {
        Event::TimedOut(timeout) => Some(timeout),
        _ => None,
    })
}

#[test]
fn defaults_are_documented_values() {
    assert_eq!(ConnectionConfig::DEFAULT_IDLE_TIMEOUT, s(300));
    assert_eq!(ConnectionConfig::DEFAULT_MESSAGE_TIMEOUT, s(30));
    assert_eq!(ConnectionConfig::DEFAULT_HIGH_WATER_MARK, 256 * 1024);
    let c = ConnectionConfig::default();
    assert_eq!(
        (c.idle_timeout, c.message_timeout, c.recover_from_errors),
        (Some(s(300)), Some(s(30)), false)
    );
    assert_eq!(timeouts(Some(s(1)), Some(s(2))).message_timeout, Some(s(2)));
}

#[test]
fn without_timeouts_nothing_times_out() {
    let t0 = t0();
    let mut conn = untimed(Protocol::Fixed, Reply::Echo);
    conn.handle_input(t0, &FixedPacket::new(1, "hi").to_bytes()[..5]);
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_timeout(t0 + s(1_000_000));
    assert!(events(&mut conn).is_empty());
    assert!(conn.wants_read());
}

#[test]
fn idle_timeout_fires_at_its_deadline_and_activity_resets_it() {
    let t0 = t0();
    let mut conn = open(Protocol::Line, Reply::Echo, timeouts(Some(s(10)), None), t0);
    assert_eq!(conn.poll_timeout(), Some(t0 + s(10)));
    // input at 8 s moves the deadline to 18 s
    conn.handle_input(t0 + s(8), b"hello\n");
    assert_eq!(conn.poll_timeout(), Some(t0 + s(18)));
    // writing the echo at 12 s moves it to 22 s
    assert_eq!(conn.pending_output(), b"hello\n");
    conn.consume_output(t0 + s(12), 6);
    assert_eq!(conn.poll_timeout(), Some(t0 + s(22)));
    conn.handle_timeout(t0 + s(21));
    assert!(timeout_error(&events(&mut conn)).is_none());
    assert!(!conn.is_closed());
    conn.handle_timeout(t0 + s(22));
    let evs = events(&mut conn);
    assert_eq!(timeout_error(&evs), Some(&Timeout::Idle { idle: s(10) }));
    assert!(conn.is_closed());
    assert_eq!(conn.poll_timeout(), None);
    assert_eq!(
        evs.last().map(ToString::to_string).as_deref(),
        Some("error: idle for 10s (idle timeout) (closing the connection)")
    );
    // input after the close is ignored
    conn.handle_input(t0 + s(23), b"late\n");
    assert!(conn.pending_output().is_empty());
}

#[test]
fn a_dribbling_peer_hits_the_message_timeout_though_never_idle() {
    let t0 = t0();
    let config = timeouts(Some(s(10)), Some(s(5)));
    let mut conn = open(Protocol::Fixed, Reply::Echo, config, t0);
    let packet = FixedPacket::new(1, "slow").to_bytes();
    // one byte a second: never idle for 10 s, but the message started at 1 s
    for (i, byte) in packet.iter().take(5).enumerate() {
        let now = t0 + s(1 + i as u64);
        conn.handle_input(now, std::slice::from_ref(byte));
        conn.handle_timeout(now);
    }
    assert_eq!(conn.poll_timeout(), Some(t0 + s(6)));
    assert!(!conn.is_closed());
    conn.handle_timeout(t0 + s(6));
    let evs = events(&mut conn);
    assert_eq!(
        timeout_error(&evs),
        Some(&Timeout::Message {
            limit: s(5),
            buffered: 5
        })
    );
    assert!(conn.is_closed());
    assert_eq!(conn.buffered_input(), 0);
    assert_eq!(conn.buffered_capacity(), 0);
}

#[test]
fn the_message_timer_restarts_with_each_message() {
    let t0 = t0();
    let mut conn = open(Protocol::Fixed, Reply::Echo, timeouts(None, Some(s(5))), t0);
    let a = FixedPacket::new(1, "a").to_bytes();
    let b = FixedPacket::new(2, "b").to_bytes();
    assert_eq!(conn.poll_timeout(), None, "no message started yet");
    conn.handle_input(t0 + s(1), &a[..10]);
    assert_eq!(conn.poll_timeout(), Some(t0 + s(6)));
    // the rest of `a` and the start of `b` in one read at 4 s
    let mut read = a[10..].to_vec();
    read.extend_from_slice(&b[..3]);
    conn.handle_input(t0 + s(4), &read);
    assert_eq!(conn.poll_timeout(), Some(t0 + s(9)), "b started at 4 s");
    conn.handle_timeout(t0 + s(8));
    assert!(!conn.is_closed());
    conn.handle_input(t0 + s(8), &b[3..]);
    assert_eq!(conn.poll_timeout(), None, "nothing unfinished");
    let received = events(&mut conn)
        .into_iter()
        .filter(|e| matches!(e, Event::Received(Message::Fixed(_))))
        .count();
    assert_eq!(received, 2);
    let mut echo = a.to_vec();
    echo.extend_from_slice(&b);
    assert_eq!(conn.pending_output(), &echo[..]);
}

#[test]
fn a_timeout_drops_unsent_output_so_the_connection_closes() {
    let t0 = t0();
    let mut conn = open(Protocol::Text, Reply::Echo, timeouts(Some(s(1)), None), t0);
    conn.handle_input(t0, b"never read back");
    assert!(conn.wants_write());
    conn.handle_timeout(t0 + s(1));
    assert!(!conn.wants_write());
    assert!(conn.is_closed());
}

#[test]
fn a_peer_that_never_reads_cannot_grow_the_output_past_the_mark() {
    let mut conn = untimed(Protocol::Variable, Reply::Echo);
    let packet = Protocol::Variable.encode(1, &"x".repeat(4000)).unwrap();
    let read: Vec<u8> = packet
        .iter()
        .copied()
        .cycle()
        .take(packet.len() * 16)
        .collect();
    let mut fed = 0;
    while conn.wants_read() {
        conn.handle_input(t0(), &read);
        fed += 1;
        assert!(fed < 10_000, "never stopped reading");
    }
    // stopped once over the mark, by at most one read's replies
    assert!(conn.pending_output().len() > DEFAULT_HIGH_WATER_MARK);
    assert!(conn.pending_output().len() <= DEFAULT_HIGH_WATER_MARK + read.len());
    // draining below the mark resumes reading
    let n = conn.pending_output().len() - DEFAULT_HIGH_WATER_MARK;
    conn.consume_output(t0(), n);
    assert!(conn.wants_read());
}

#[test]
fn memory_does_not_follow_what_a_peer_claims() {
    // a variable packet claiming 1,000,000 bytes (within the 1 MiB limit)
    let mut conn = untimed(Protocol::Variable, Reply::Echo);
    let mut wire = vec![1u8];
    wire.extend_from_slice(&1_000_000u32.to_be_bytes());
    wire.extend_from_slice(&1u32.to_be_bytes());
    wire.extend_from_slice(b"0123456789");
    conn.handle_input(t0(), &wire);
    assert!(conn.buffered_input() <= 19);
    assert!(conn.wants_read());
    assert!(
        conn.buffered_capacity() <= 2 * RESERVE_STEP,
        "{} bytes reserved for a 1 MB claim",
        conn.buffered_capacity()
    );
    // over the limit: an error at once, nothing kept
    let mut conn = untimed(Protocol::Variable, Reply::Echo);
    let mut wire = vec![1u8];
    wire.extend_from_slice(&u32::MAX.to_be_bytes());
    wire.extend_from_slice(&1u32.to_be_bytes());
    conn.handle_input(t0(), &wire);
    let evs = events(&mut conn);
    assert!(
        evs.iter().any(|e| matches!(
            e,
            Event::PeerError {
                error: DecodeError::FrameTooLarge { .. },
                closes: true
            }
        )),
        "{evs:?}"
    );
    assert_eq!(conn.buffered_capacity(), 0);
    // a §6 header claiming 1 MiB of content
    #[cfg(feature = "json")]
    app_claim();
}

#[cfg(feature = "json")]
fn app_claim() {
    let mut conn = untimed(Protocol::App, Reply::Echo);
    let header = br#"{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 1048576}"#;
    let mut wire = (header.len() as u16).to_be_bytes().to_vec();
    wire.extend_from_slice(header);
    wire.extend_from_slice(b"{\"action\"");
    conn.handle_input(t0(), &wire);
    assert!(conn.buffered_capacity() <= 2 * RESERVE_STEP);
}

#[test]
fn an_idle_connection_holds_no_buffer() {
    for &protocol in Protocol::ALL {
        let mut conn = untimed(protocol, Reply::Echo);
        let wire = protocol.encode(1, &"m".repeat(3000)).unwrap();
        // in two reads, the first one partial
        conn.handle_input(t0(), &wire[..wire.len() / 2]);
        assert!(conn.buffered_capacity() > 0 || protocol == Protocol::Text);
        conn.handle_input(t0(), &wire[wire.len() / 2..]);
        let n = conn.pending_output().len();
        assert!(n > 0, "{protocol}");
        conn.consume_output(t0(), n / 3);
        conn.consume_output(t0(), n);
        assert!(!events(&mut conn).is_empty(), "{protocol}");
        assert_eq!(conn.buffered_capacity(), 0, "{protocol}");
        // and the connection still works
        conn.handle_input(t0(), &wire);
        assert_eq!(conn.pending_output().len(), n, "{protocol}");
    }
}

#[test]
fn the_readme_timeout_example_holds() {
    let t0 = t0();
    let config = ConnectionConfig::default().with_idle_timeout(Some(s(60)));
    let mut conn = open(Protocol::Fixed, Reply::Echo, config, t0);
    conn.handle_input(t0, b"\x01\x00\x00");
    let wake = conn.poll_timeout().expect("a message is under way");
    assert_eq!(wake, t0 + s(30));
    conn.handle_timeout(wake);
    assert!(conn.is_closed());
}

#[test]
fn a_half_closed_peer_that_never_reads_still_times_out() {
    let t0 = t0();
    let config = || timeouts(Some(s(10)), Some(s(1)));
    let mut conn = open(Protocol::Line, Reply::Echo, config(), t0);
    conn.handle_input(t0, b"read me\n");
    conn.handle_eof(t0);
    let evs = events(&mut conn);
    assert_eq!(evs.last(), Some(&Event::PeerClosed));
    assert!(!conn.is_closed(), "the echo is still to be written");
    // the message timeout no longer applies; the idle one does
    assert_eq!(conn.poll_timeout(), Some(t0 + s(10)));
    conn.handle_timeout(t0 + s(10));
    assert_eq!(
        timeout_error(&events(&mut conn)),
        Some(&Timeout::Idle { idle: s(10) })
    );
    assert!(conn.is_closed());
    // a half-closed peer that reads its echo closes normally
    let mut conn = open(Protocol::Line, Reply::Echo, config(), t0);
    conn.handle_input(t0, b"bye\n");
    conn.handle_eof(t0);
    conn.consume_output(t0 + s(1), 4);
    assert!(conn.is_closed());
    assert_eq!(conn.poll_timeout(), None);
}
