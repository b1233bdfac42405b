//! The connection's timers on a fake clock (one `Instant` and offsets
//! stepped by hand): the message timer stops while the connection's own
//! backpressure pauses reading and runs whenever it wants to read, and the
//! write timer closes a peer that accepts no byte of its pending output.

mod common {
    pub mod conn;
}

use std::time::{Duration, Instant};

use common::conn::{events, t0};
use sockwire::builtin::{BuiltinService, Message, Protocol, ReplyPolicy as Reply};
use sockwire::conn::{Connection, ConnectionConfig, Event, Timeout, WriteStall};

type Ev = Event<BuiltinService>;

/// The fake clock at `ms` milliseconds.
fn at(ms: u64) -> Instant {
    t0() + Duration::from_millis(ms)
}

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// An echoing line connection opened at `at(0)`: no idle timeout, the
/// message and write timeouts given, and a high-water mark of 16 bytes.
fn line_conn(message: Option<Duration>, write: Option<Duration>) -> Connection<BuiltinService> {
    let config = ConnectionConfig::default()
        .with_idle_timeout(None)
        .with_message_timeout(message)
        .with_write_timeout(write)
        .with_high_water_mark(16);
    Connection::new(at(0), Protocol::Line.service(Reply::Echo), config)
}

/// The lines received, in order.
fn lines(events: &[Ev]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Received(Message::Line(text)) => Some(text.to_string()),
            _ => None,
        })
        .collect()
}

/// The event that closed the connection, if any.
fn closing(events: &[Ev]) -> Option<&Ev> {
    events.iter().find(|e| e.closes())
}

/// Calls `handle_timeout` at every 100 ms step from `from_ms` up to (not
/// including) `to_ms`, as a loop woken by other sockets would, and checks
/// that nothing closes.
fn survives(conn: &mut Connection<BuiltinService>, from_ms: u64, to_ms: u64) {
    for ms in (from_ms..to_ms).step_by(100) {
        conn.handle_timeout(at(ms));
        assert!(!conn.is_closed(), "closed at {ms} ms: {:?}", events(conn));
    }
}

/// Checks that the write timer is the next deadline, at `ms`, and closes
/// the connection then.
fn stops_reading_at(conn: &mut Connection<BuiltinService>, ms: u64) {
    assert_eq!(conn.poll_timeout(), Some(at(ms)));
    conn.handle_timeout(at(ms));
    let evs = events(conn);
    assert!(
        matches!(closing(&evs), Some(Event::PeerStoppedReading(_))),
        "{evs:?}"
    );
    assert!(conn.is_closed());
}

#[test]
fn a_message_paused_by_backpressure_then_resumed_does_not_time_out() {
    let mut conn = line_conn(Some(secs(1)), Some(secs(10)));
    // a 21-byte line (its echo passes the 16-byte mark) and half of the next
    conn.handle_input(at(0), b"01234567890123456789\nhalf a");
    assert!(!conn.wants_read(), "over the high-water mark");
    assert_eq!(conn.buffered_input(), 6);
    // the message timer is paused: only the write timer runs
    assert_eq!(conn.poll_timeout(), Some(at(10_000)));
    // the peer reads a little now and then, never below the mark
    survives(&mut conn, 0, 9_000);
    conn.consume_output(at(9_000), 2);
    assert!(!conn.wants_read());
    assert_eq!(
        conn.poll_timeout(),
        Some(at(19_000)),
        "progress restarts the write timer"
    );
    survives(&mut conn, 9_000, 15_000);
    // now below the mark: reading resumes, and the message timer with it,
    // from zero used (it was paused as soon as the message began)
    conn.consume_output(at(15_000), 3);
    assert!(conn.wants_read());
    assert_eq!(conn.poll_timeout(), Some(at(16_000)));
    survives(&mut conn, 15_000, 16_000);
    conn.handle_input(at(15_900), b" line\n");
    let evs = events(&mut conn);
    assert_eq!(lines(&evs), ["01234567890123456789", "half a line"]);
    assert_eq!(closing(&evs), None);
    // everything is echoed once the peer reads it
    let mut echo = conn.pending_output().to_vec();
    conn.consume_output(at(16_000), echo.len());
    echo.splice(0..0, *b"01234");
    assert_eq!(echo, b"01234567890123456789\nhalf a line\n");
    assert_eq!(
        conn.poll_timeout(),
        None,
        "nothing pending, nothing unfinished"
    );
    assert!(!conn.is_closed());
}

#[test]
fn the_message_timer_runs_while_reading_is_wanted_even_with_output_pending() {
    let mut conn = line_conn(Some(secs(1)), Some(secs(10)));
    // a short echo (under the mark) that the peer does not read, and a
    // message dribbled one byte per 300 ms
    conn.handle_input(at(0), b"hi\nd");
    assert!(conn.wants_read() && conn.wants_write());
    assert_eq!(conn.poll_timeout(), Some(at(1_000)));
    for (i, byte) in b"ribble".iter().take(3).enumerate() {
        let now = at(300 * (i as u64 + 1));
        conn.handle_input(now, std::slice::from_ref(byte));
        conn.handle_timeout(now);
    }
    assert!(!conn.is_closed());
    assert_eq!(
        conn.poll_timeout(),
        Some(at(1_000)),
        "bytes of it do not restart it"
    );
    conn.handle_timeout(at(999));
    assert!(!conn.is_closed());
    conn.handle_timeout(at(1_000));
    let evs = events(&mut conn);
    assert_eq!(
        closing(&evs),
        Some(&Event::TimedOut(Timeout::Message {
            limit: secs(1),
            buffered: 4
        }))
    );
    assert!(conn.is_closed());
    assert!(conn.pending_output().is_empty(), "unsent output dropped");
    assert_eq!(conn.poll_timeout(), None);
}

#[test]
fn a_dribbling_peer_that_reads_everything_still_hits_the_message_timeout() {
    let mut conn = line_conn(Some(secs(1)), Some(secs(10)));
    conn.handle_input(at(0), b"x");
    for ms in (100..1_000).step_by(100) {
        conn.handle_input(at(ms), b"y");
        conn.handle_timeout(at(ms));
    }
    conn.handle_timeout(at(1_000));
    assert!(matches!(
        closing(&events(&mut conn)),
        Some(Event::TimedOut(Timeout::Message { buffered: 10, .. }))
    ));
}

#[test]
fn a_stalled_writer_is_closed_after_the_write_timeout() {
    let mut conn = line_conn(Some(secs(1)), Some(secs(10)));
    // requests pipelined, never read: reading pauses at the mark
    conn.handle_input(at(0), b"aaaaaaaa\nbbbbbbbb\ncccccccc\n");
    assert!(!conn.wants_read());
    assert_eq!(conn.pending_output().len(), 27);
    assert_eq!(conn.poll_timeout(), Some(at(10_000)));
    survives(&mut conn, 0, 10_000);
    conn.handle_timeout(at(10_000));
    let evs = events(&mut conn);
    let stall = WriteStall {
        limit: secs(10),
        unsent: 27,
    };
    assert_eq!(closing(&evs), Some(&Event::PeerStoppedReading(stall)));
    assert_eq!(
        closing(&evs).map(ToString::to_string).as_deref(),
        Some(
            "error: peer stopped reading: none of 27 bytes of output accepted in 10s \
             (write timeout) (closing the connection)"
        )
    );
    assert!(conn.is_closed());
    assert!(!conn.wants_write() && !conn.wants_read());
    assert_eq!(conn.poll_timeout(), None);
    // nothing more happens
    conn.handle_input(at(11_000), b"late\n");
    conn.handle_timeout(at(100_000));
    assert!(events(&mut conn).is_empty());
}

#[test]
fn the_write_timer_restarts_on_partial_progress_only() {
    let mut conn = line_conn(None, Some(secs(10)));
    assert_eq!(conn.poll_timeout(), None, "nothing pending");
    conn.handle_input(at(0), b"0123456789\n");
    assert_eq!(conn.poll_timeout(), Some(at(10_000)));
    // more output queued later does not restart it
    conn.handle_input(at(5_000), b"abc\n");
    assert_eq!(conn.poll_timeout(), Some(at(10_000)));
    // a write that took nothing does not either
    conn.consume_output(at(6_000), 0);
    assert_eq!(conn.poll_timeout(), Some(at(10_000)));
    // one byte taken at 9.9 s does
    conn.consume_output(at(9_900), 1);
    assert_eq!(conn.poll_timeout(), Some(at(19_900)));
    survives(&mut conn, 9_900, 19_900);
    // all of it taken: no write timer until output is pending again
    conn.consume_output(at(19_850), 14);
    assert_eq!(conn.poll_timeout(), None);
    conn.handle_timeout(at(60_000));
    assert!(!conn.is_closed());
    conn.handle_input(at(60_000), b"again\n");
    assert_eq!(conn.poll_timeout(), Some(at(70_000)));
    conn.consume_output(at(65_000), 2);
    conn.handle_timeout(at(75_000));
    assert_eq!(
        closing(&events(&mut conn)),
        Some(&Event::PeerStoppedReading(WriteStall {
            limit: secs(10),
            unsent: 4
        }))
    );
}

#[test]
fn paused_mid_message_and_stalled_writer_the_write_timeout_decides() {
    let mut conn = line_conn(Some(secs(1)), Some(secs(3)));
    conn.handle_input(at(0), b"01234567890123456789\nunfinish");
    assert!(!conn.wants_read());
    // the message timer would have fired at 1 s; it is paused
    survives(&mut conn, 0, 3_000);
    conn.handle_timeout(at(3_000));
    let evs = events(&mut conn);
    assert!(
        matches!(closing(&evs), Some(Event::PeerStoppedReading(stall)) if stall.unsent == 21),
        "{evs:?}"
    );
}

#[test]
fn both_timers_running_the_earlier_fires() {
    // under the mark: the message timer and the write timer both run
    for (message, write, message_first) in [(1, 2, true), (2, 1, false)] {
        let mut conn = line_conn(Some(secs(message)), Some(secs(write)));
        conn.handle_input(at(0), b"hi\nunfinish");
        assert!(conn.wants_read() && conn.wants_write());
        assert_eq!(conn.poll_timeout(), Some(at(1_000)));
        conn.handle_timeout(at(1_000));
        let evs = events(&mut conn);
        match closing(&evs) {
            Some(Event::TimedOut(Timeout::Message { buffered: 8, .. })) => assert!(message_first),
            Some(Event::PeerStoppedReading(WriteStall { unsent: 3, .. })) => {
                assert!(!message_first);
            }
            other => panic!("{other:?}"),
        }
        // checked late, after both deadlines: the one that passed first
        let mut conn = line_conn(Some(secs(message)), Some(secs(write)));
        conn.handle_input(at(0), b"hi\nunfinish");
        conn.handle_timeout(at(50_000));
        let evs = events(&mut conn);
        assert_eq!(evs.iter().filter(|e| e.closes()).count(), 1);
        assert_eq!(
            matches!(closing(&evs), Some(Event::TimedOut(_))),
            message_first,
            "{evs:?}"
        );
    }
}

#[test]
fn the_write_timer_holds_after_the_peer_half_closes_or_an_error() {
    // the peer sent its last request and shut down its side, never reading
    let mut conn = line_conn(Some(secs(1)), Some(secs(2)));
    conn.handle_input(at(0), b"bye\n");
    conn.handle_eof(at(500));
    assert_eq!(events(&mut conn).last(), Some(&Event::PeerClosed));
    stops_reading_at(&mut conn, 2_000);
    // a decode error closes after the queued echo is written: a peer that
    // never reads it is closed by the write timer too
    let mut conn = Connection::new(
        at(0),
        Protocol::Text.service(Reply::Echo),
        ConnectionConfig::default()
            .with_idle_timeout(None)
            .with_write_timeout(Some(secs(2))),
    );
    conn.handle_input(at(0), b"ok\xff");
    assert!(matches!(
        closing(&events(&mut conn)),
        Some(Event::PeerError { closes: true, .. })
    ));
    assert_eq!(conn.pending_output(), b"ok");
    stops_reading_at(&mut conn, 2_000);
}

#[test]
fn without_a_write_timeout_a_stalled_writer_waits_for_the_idle_timeout() {
    let config = ConnectionConfig::default()
        .with_idle_timeout(Some(secs(100)))
        .with_write_timeout(None)
        .with_high_water_mark(16);
    let mut conn = Connection::new(at(0), Protocol::Line.service(Reply::Echo), config);
    conn.handle_input(at(0), b"01234567890123456789\n");
    assert_eq!(conn.poll_timeout(), Some(at(100_000)));
    conn.handle_timeout(at(100_000));
    assert!(matches!(
        closing(&events(&mut conn)),
        Some(Event::TimedOut(Timeout::Idle { .. }))
    ));
}

#[test]
fn the_default_write_timeout_is_30_s() {
    assert_eq!(ConnectionConfig::DEFAULT_WRITE_TIMEOUT, secs(30));
    assert_eq!(ConnectionConfig::default().write_timeout, Some(secs(30)));
    let mut conn = Connection::new(
        at(0),
        Protocol::Line.service(Reply::Echo),
        ConnectionConfig::default(),
    );
    conn.handle_input(at(0), b"unread\n");
    assert_eq!(conn.poll_timeout(), Some(at(30_000)));
}
