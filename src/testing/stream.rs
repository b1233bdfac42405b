//! [`StreamHarness`]: a [`Service`] run through a [`Connection`] whose
//! peer writes in small pieces and reads slowly, on a fake clock.

use std::fmt;
use std::time::{Duration, Instant};

use super::{Chunking, FakeClock, Mismatch, Splits};
use crate::conn::{Connection, ConnectionConfig, Event, Service};

/// How the peer of a [`Connection`] behaves in a test: it sends its input
/// in reads of the given sizes, takes at most
/// [`write_per_turn`](Self#structfield.write_per_turn) bytes of output per
/// turn of the loop, and each turn lasts [`turn`](Self#structfield.turn)
/// of fake time. A slow reader meets the connection's backpressure
/// (`wants_read` turns false) and its timeouts.
///
/// ```
/// use std::time::{Duration, Instant};
/// use sockwire::builtin::{Protocol, ReplyPolicy};
/// use sockwire::conn::{ConnectionConfig, Event};
/// use sockwire::testing::StreamHarness;
///
/// let peer = StreamHarness::default().with_reads(vec![3]).with_write_per_turn(2);
/// let run = peer.run(Instant::now(), Protocol::Line.service(ReplyPolicy::Upper),
///     ConnectionConfig::default(), b"hi\nthere\n");
/// assert_eq!(run.output, b"HI\nTHERE\n");
/// assert_eq!(run.received().len(), 2);
/// assert!(matches!(run.events.last(), Some(Event::PeerClosed)));
/// assert!(run.closed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamHarness {
    /// See [`with_reads`](Self::with_reads).
    pub reads: Vec<usize>,
    /// See [`with_write_per_turn`](Self::with_write_per_turn).
    pub write_per_turn: usize,
    /// See [`with_turn`](Self::with_turn).
    pub turn: Duration,
    /// See [`with_eof`](Self::with_eof).
    pub eof: bool,
    /// See [`with_max_turns`](Self::with_max_turns).
    pub max_turns: usize,
}

impl Default for StreamHarness {
    fn default() -> Self {
        StreamHarness {
            reads: Vec::new(),
            write_per_turn: usize::MAX,
            turn: Duration::from_millis(10),
            eof: true,
            max_turns: 100_000,
        }
    }
}

crate::config::config_setters!(StreamHarness {
    /// The sizes of the peer's reads, used in turn over and over (a 0 is
    /// an empty read). Default: empty, the whole input in one read.
    with_reads => reads: Vec<usize>,
    /// The most output bytes the peer reads per turn. Default:
    /// `usize::MAX`, all of it.
    with_write_per_turn => write_per_turn: usize,
    /// Fake time each turn of the loop takes. Default: 10 ms.
    with_turn => turn: Duration,
    /// Whether the peer closes its side once its input is sent. Default:
    /// `true`.
    with_eof => eof: bool,
    /// Turns after which the run stops even if the connection is still
    /// open. Default: 100,000.
    with_max_turns => max_turns: usize,
});

/// What one [`StreamHarness::run`] saw.
#[non_exhaustive]
pub struct StreamRun<S: Service> {
    /// Every event, in order.
    pub events: Vec<Event<S>>,
    /// Every byte the peer read.
    pub output: Vec<u8>,
    /// Whether the connection closed (else the run hit `max_turns`).
    pub closed: bool,
    /// The most output ever waiting to be written.
    pub max_pending: usize,
    /// Turns during which the connection would not read
    /// (`wants_read` false, with input left to send).
    pub backpressured_turns: usize,
    /// Fake time the run took.
    pub elapsed: Duration,
    /// The connection as the run left it.
    pub connection: Connection<S>,
}

impl<S: Service> StreamRun<S> {
    /// The messages received, in order.
    #[must_use]
    pub fn received(&self) -> Vec<&S::Item> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Received(item) => Some(item),
                _ => None,
            })
            .collect()
    }
}

impl<S: Service> fmt::Debug for StreamRun<S>
where
    S::Item: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRun")
            .field("events", &self.events)
            .field("output", &crate::dump::lossy(&self.output))
            .field("closed", &self.closed)
            .field("max_pending", &self.max_pending)
            .field("backpressured_turns", &self.backpressured_turns)
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}

impl StreamHarness {
    /// Runs `service` through a [`Connection`] with `config`, the clock
    /// starting at `start`: each turn feeds the next read (while the
    /// connection wants to read), handles timeouts, drains events, lets
    /// the peer read its share of output and moves the clock one turn;
    /// once the input is sent, the peer closes its side (if
    /// [`eof`](Self#structfield.eof)). Stops when the connection closes or
    /// after [`max_turns`](Self#structfield.max_turns).
    pub fn run<S: Service>(
        &self,
        start: Instant,
        service: S,
        config: ConnectionConfig,
        input: &[u8],
    ) -> StreamRun<S> {
        let mut clock = FakeClock::new(start);
        let mut run = StreamRun {
            events: Vec::new(),
            output: Vec::new(),
            closed: false,
            max_pending: 0,
            backpressured_turns: 0,
            elapsed: Duration::ZERO,
            connection: Connection::new(start, service, config),
        };
        let mut rest = input;
        let mut sizes = self.reads.iter().copied().cycle();
        let mut eof_sent = false;
        for _ in 0..self.max_turns {
            let now = clock.now();
            let conn = &mut run.connection;
            if conn.is_closed() {
                break;
            }
            if !rest.is_empty() && !conn.wants_read() {
                run.backpressured_turns += 1;
            }
            if conn.wants_read() {
                if !rest.is_empty() {
                    let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
                    let (read, tail) = rest.split_at(n);
                    conn.handle_input(now, read);
                    rest = tail;
                } else if self.eof && !eof_sent {
                    conn.handle_eof(now);
                    eof_sent = true;
                }
            }
            conn.handle_timeout(now);
            run.events.extend(std::iter::from_fn(|| conn.poll_event()));
            run.max_pending = run.max_pending.max(conn.pending_output().len());
            let n = conn.pending_output().len().min(self.write_per_turn);
            if let Some(taken) = conn.pending_output().get(..n) {
                run.output.extend_from_slice(taken);
            }
            conn.consume_output(now, n);
            run.events.extend(std::iter::from_fn(|| conn.poll_event()));
            clock.advance(self.turn);
        }
        run.closed = run.connection.is_closed();
        run.elapsed = clock.elapsed();
        run
    }

    /// Runs a fresh service from `make` once per chunking of `input` (whole,
    /// every single split, byte by byte and 8 random chunkings, as
    /// [`Splits`] cuts it), the peer reading at this harness's pace: every run must close and write exactly `expected`.
    ///
    /// ```
    /// use std::time::Instant;
    /// use sockwire::builtin::{Protocol, ReplyPolicy};
    /// use sockwire::conn::ConnectionConfig;
    /// use sockwire::testing::StreamHarness;
    ///
    /// StreamHarness::default().with_write_per_turn(1).check(
    ///     Instant::now(),
    ///     || Protocol::Line.service(ReplyPolicy::Echo),
    ///     ConnectionConfig::default(),
    ///     b"one\ntwo\n",
    ///     b"one\ntwo\n",
    /// )?;
    /// # Ok::<(), sockwire::testing::Mismatch>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Mismatch`] naming the chunking whose run wrote anything else, or
    /// did not close, with both outputs in hex.
    pub fn check<S: Service>(
        &self,
        start: Instant,
        mut make: impl FnMut() -> S,
        config: ConnectionConfig,
        input: &[u8],
        expected: &[u8],
    ) -> Result<(), Mismatch>
    where
        S::Item: fmt::Debug,
    {
        for way in Splits::default()
            .with_max_gap(0)
            .with_random(8)
            .chunkings(input.len())
        {
            if way == Chunking::EofOnly {
                continue;
            }
            let sizes = way.reads(input).iter().map(|r| r.len()).collect();
            let harness = self.clone().with_reads(sizes);
            let run = harness.run(start, make(), config.clone(), input);
            if run.output != expected || !run.closed {
                return Err(Mismatch::new(format!(
                    "the service, its input {way}, {}:\n  expected output: {}\n  got output:      {}\n  events: {:?}\ninput, {} bytes: {}",
                    if run.closed { "closed" } else { "never closed" },
                    crate::dump::hex(expected),
                    crate::dump::hex(&run.output),
                    run.events,
                    input.len(),
                    crate::dump::hex(input),
                )));
            }
        }
        Ok(())
    }
}
