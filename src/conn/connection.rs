//! [`Connection`]: one stream connection's protocol state.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};

use super::timer::Stopwatch;
use super::{ConnectionConfig, Event, Service, Timeout, WriteStall};
use crate::Recoverable;

/// One connection's protocol state: input buffer, [`Service`], output
/// buffer, events, clock. See the [module docs](super) for one turn of the
/// loop that drives it.
pub struct Connection<S: Service> {
    service: S,
    config: ConnectionConfig,
    input: BytesMut,
    output: BytesMut,
    events: VecDeque<Event<S>>,
    state: State,
    /// `input` may hold whole messages left undecoded because the event
    /// queue was full: [`poll_event`](Self::poll_event) decodes them once
    /// it has handed out what the queue held.
    backlog: bool,
    /// Messages decoded (and answered) so far.
    received: usize,
    /// The latest `now` a call gave: when decoding resumed by `poll_event`
    /// (which takes no `now`) happens.
    now: Instant,
    /// When a byte was last read or written (or the connection opened).
    last_activity: Instant,
    /// The time the unfinished message in `input` has taken, counted
    /// while the connection wants to read.
    message: Option<Stopwatch>,
    /// Since when output is pending with no byte of it accepted (since it
    /// was queued, or since the last write that took some).
    write_stalled_since: Option<Instant>,
}

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading: every whole message is decoded and answered.
    Open,
    /// The peer closed its side: what it sent is decoded and answered, and
    /// the connection closes once its output is written.
    PeerClosed,
    /// It answered its `max_messages`: nothing more is decoded, and it
    /// closes once its replies are written.
    Finished,
    /// An error or a timeout ended it: nothing more is decoded, and it
    /// closes once the output queued before the error is written (a
    /// timeout drops that output).
    Failed,
}

/// A deadline of a connection, with its limit.
#[derive(Debug, Clone, Copy)]
enum Deadline {
    Message(Duration),
    Write(Duration),
    Idle(Duration),
}

impl<S: Service> fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("config", &self.config)
            .field("input", &self.input.len())
            .field("output", &self.output.len())
            .field("events", &self.events.len())
            .field("state", &self.state)
            .field("backlog", &self.backlog)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl<S: Service> Connection<S> {
    /// A connection opened at `now` (the idle clock starts then), running
    /// `service` under `config`.
    #[must_use]
    pub fn new(now: Instant, service: S, config: ConnectionConfig) -> Self {
        Connection {
            service,
            config,
            input: BytesMut::new(),
            output: BytesMut::new(),
            events: VecDeque::new(),
            state: State::Open,
            backlog: false,
            received: 0,
            now,
            last_activity: now,
            message: None,
            write_stalled_since: None,
        }
    }

    /// The configuration in force.
    #[must_use]
    pub fn config(&self) -> &ConnectionConfig {
        &self.config
    }

    /// The service.
    #[must_use]
    pub fn service(&self) -> &S {
        &self.service
    }

    /// The service, mutably (to read or change its state between turns).
    pub fn service_mut(&mut self) -> &mut S {
        &mut self.service
    }

    /// Feeds bytes read from the socket at `now`: they are activity (the
    /// idle timeout restarts), every whole message is decoded, its reply
    /// queued and its event queued (as many as the event queue has room
    /// for: see [`poll_event`](Self::poll_event)). When part of a message
    /// stays buffered, that message's timeout runs from the read where it
    /// began (while the connection [wants to read](Self::wants_read)).
    /// Ignored once the connection is closing.
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        if self.state != State::Open {
            return;
        }
        self.now = now;
        if !data.is_empty() {
            self.last_activity = now;
        }
        self.input.extend_from_slice(data);
        self.decode(now);
    }

    /// The peer closed its side at `now` (a read returned 0). Decodes what
    /// is left; a stream that ended inside a message is reported as one
    /// [`Event::PeerError`], a clean end as [`Event::PeerClosed`]. Queued
    /// output is still to be written, and the idle and write timeouts
    /// still run while it waits: a peer that shuts down its side and
    /// never reads cannot hold the connection.
    pub fn handle_eof(&mut self, now: Instant) {
        if self.state != State::Open {
            return;
        }
        self.state = State::PeerClosed;
        self.now = now;
        self.last_activity = now;
        self.decode(now);
    }

    /// Decodes what `input` holds, as far as the event queue has room, at
    /// `now`; after the peer's end, reports it once all is decoded.
    fn decode(&mut self, now: Instant) {
        let eof = self.state == State::PeerClosed;
        let decoded = self.process(eof);
        if self.state != State::Open || self.input.is_empty() {
            self.message = None;
        } else if decoded > 0 || self.message.is_none() {
            // the unfinished message began in this read
            self.message = Some(Stopwatch::new(now, true));
        }
        if eof && !self.backlog && self.state != State::Failed {
            self.events.push_back(Event::PeerClosed);
        }
        self.update_timers(now);
    }

    /// After a call at `now` that may have changed the output or whether
    /// the connection wants to read: the write timer starts when output
    /// becomes pending and stops when none is, and the message timer runs
    /// exactly while the connection wants to read.
    fn update_timers(&mut self, now: Instant) {
        if self.output.is_empty() {
            self.write_stalled_since = None;
        } else if self.write_stalled_since.is_none() {
            self.write_stalled_since = Some(now);
        }
        let reading = self.wants_read();
        if let Some(message) = &mut self.message {
            message.set_running(now, reading);
        }
    }

    /// Decodes and answers whole messages in `input` until none is left,
    /// the event queue is full (`backlog`), or the connection stops
    /// decoding (an error, `max_messages`); returns how many.
    fn process(&mut self, eof: bool) -> usize {
        let mut decoded = 0;
        self.backlog = false;
        while matches!(self.state, State::Open | State::PeerClosed) {
            if self.events.len() >= self.config.max_events.max(1) {
                self.backlog = !self.input.is_empty();
                return decoded;
            }
            match self.service.decode(&mut self.input, eof) {
                Ok(Some(item)) => {
                    decoded += 1;
                    self.answer(item);
                }
                Ok(None) => {
                    if self.input.is_empty() && self.input.capacity() > 0 {
                        // an idle connection keeps no buffer
                        self.input = BytesMut::new();
                    }
                    return decoded;
                }
                Err(error) => {
                    let recoverable = error.is_recoverable() && !eof;
                    let closes = !(recoverable && self.config.recover_from_errors);
                    self.events.push_back(Event::PeerError { error, closes });
                    if closes {
                        self.state = State::Failed;
                    }
                }
            }
        }
        // decoding is over: what is left is not read
        self.input = BytesMut::new();
        decoded
    }

    /// Queues the reply to `item` and its event; a reply that cannot be
    /// encoded ends the connection, and so does the last of `max_messages`.
    fn answer(&mut self, item: S::Item) {
        self.received = self.received.saturating_add(1);
        let replied = self.service.respond(&item, &mut self.output);
        self.events.push_back(Event::Received(item));
        if let Err(error) = replied {
            self.events.push_back(Event::ReplyFailed(error));
            self.state = State::Failed;
        } else if self
            .config
            .max_messages
            .is_some_and(|max| self.received >= max)
        {
            // answered all it may: the rest is not read
            self.state = State::Finished;
        }
    }

    /// The bytes waiting to be written, oldest first.
    #[must_use]
    pub fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// Marks the first `n` bytes of [`pending_output`](Self::pending_output)
    /// as written at `now` (a socket write may take fewer bytes than
    /// offered); writing is activity, and any byte written restarts the
    /// write timeout. Draining below the high-water mark resumes reading
    /// (and the message timer). `n` larger than what is pending is capped.
    pub fn consume_output(&mut self, now: Instant, n: usize) {
        let n = n.min(self.output.len());
        if n == 0 {
            return;
        }
        self.now = now;
        self.last_activity = now;
        self.write_stalled_since = None;
        self.output.advance(n);
        if self.output.is_empty() {
            // an idle connection keeps no buffer
            self.output = BytesMut::new();
        }
        self.update_timers(now);
    }

    /// Every deadline that runs, with its limit: the idle one (if an idle
    /// timeout is set), the unfinished message's (while the connection
    /// wants to read), and the write one (while output is pending). None
    /// once closed.
    fn deadlines(&self) -> [Option<(Instant, Deadline)>; 3] {
        if self.is_closed() {
            return [None; 3];
        }
        let message = self.config.message_timeout.and_then(|limit| {
            let at = self.message.as_ref()?.deadline(limit)?;
            Some((at, Deadline::Message(limit)))
        });
        let write = self.config.write_timeout.and_then(|limit| {
            let at = self.write_stalled_since?.checked_add(limit)?;
            Some((at, Deadline::Write(limit)))
        });
        let idle = self.config.idle_timeout.and_then(|limit| {
            let at = self.last_activity.checked_add(limit)?;
            Some((at, Deadline::Idle(limit)))
        });
        [message, write, idle]
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be
    /// called: the earliest deadline, or `None` when none runs (no timeout
    /// set, or the connection is closed). Turn it into a socket or poll
    /// timeout with [`timeout_from`](crate::timeout_from).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines()
            .into_iter()
            .flatten()
            .map(|(at, _)| at)
            .min()
    }

    /// Checks the deadlines at `now`: when one has passed, reports it
    /// ([`Event::TimedOut`], or [`Event::PeerStoppedReading`] for the write
    /// timeout; the earliest if several have) and closes the connection at
    /// once (unsent output is dropped). Calling it early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = self
            .deadlines()
            .into_iter()
            .flatten()
            .filter(|(at, _)| now >= *at)
            .min_by_key(|(at, _)| *at);
        let Some((_, deadline)) = due else {
            return;
        };
        self.now = now;
        let event = match deadline {
            Deadline::Message(limit) => Event::TimedOut(Timeout::Message {
                limit,
                buffered: self.input.len(),
            }),
            Deadline::Write(limit) => Event::PeerStoppedReading(WriteStall {
                limit,
                unsent: self.output.len(),
            }),
            Deadline::Idle(idle) => Event::TimedOut(Timeout::Idle { idle }),
        };
        self.events.push_back(event);
        self.state = State::Failed;
        self.backlog = false;
        self.input = BytesMut::new();
        self.output = BytesMut::new();
        self.message = None;
        self.write_stalled_since = None;
    }

    /// The next event to report, oldest first.
    ///
    /// The queue holds at most
    /// [`max_events`](ConnectionConfig#structfield.max_events) messages and
    /// errors (and the one or two events that end the connection): when it
    /// is full, decoding stops, the rest of the input waits, and
    /// [`wants_read`](Self::wants_read) is false. Nothing is dropped: once
    /// the queue is empty, this call decodes and answers what waits (as of
    /// the last `now` given), so a loop that drains the events every turn
    /// sees every message.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<S>> {
        if self.events.is_empty() && self.backlog {
            self.decode(self.now);
        }
        let event = self.events.pop_front();
        if event.is_none() && self.events.capacity() > 0 {
            // an idle connection keeps no event queue
            self.events = VecDeque::new();
        }
        event
    }

    /// Whether the loop should read from the socket: the connection is
    /// open for input, unsent output is at most the high-water mark, and
    /// no input waits for room in the event queue.
    #[must_use]
    pub fn wants_read(&self) -> bool {
        self.state == State::Open
            && !self.backlog
            && self.output.len() <= self.config.high_water_mark
    }

    /// Whether there is output to write.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.output.is_empty()
    }

    /// Whether the connection is done: the peer closed, an error or a
    /// timeout closed it, or it answered its
    /// [`max_messages`](ConnectionConfig#structfield.max_messages); all
    /// that arrived is decoded and all output has been written. Close the
    /// socket.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.state != State::Open && !self.backlog && self.output.is_empty()
    }

    /// Whether the connection answered its
    /// [`max_messages`](ConnectionConfig#structfield.max_messages) and
    /// reads no more (it closes once its replies are written).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.state == State::Finished
    }

    /// Messages decoded so far.
    #[must_use]
    pub fn messages_received(&self) -> usize {
        self.received
    }

    /// Bytes received and not yet decoded (part of an unfinished message).
    #[must_use]
    pub fn buffered_input(&self) -> usize {
        self.input.len()
    }

    /// Bytes of buffer capacity the connection holds (input and output),
    /// whatever a peer claimed: what an idle connection costs besides the
    /// `Connection` and its [`Service`] (0 when idle).
    #[must_use]
    pub fn buffered_capacity(&self) -> usize {
        self.input.capacity() + self.output.capacity()
    }
}
