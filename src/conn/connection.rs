//! [`Connection`]: one stream connection's protocol state.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};

use super::{ConnectionConfig, Event, Service, Timeout};
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
    /// The peer closed its side.
    eof: bool,
    /// An error closed the connection.
    failed: bool,
    /// Messages decoded (and answered) so far.
    received: usize,
    /// The connection answered its `max_messages` and reads no more.
    finished: bool,
    /// When a byte was last read or written (or the connection opened).
    last_activity: Instant,
    /// When the unfinished message in `input` started arriving.
    message_started: Option<Instant>,
}

impl<S: Service> fmt::Debug for Connection<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("config", &self.config)
            .field("input", &self.input.len())
            .field("output", &self.output.len())
            .field("events", &self.events.len())
            .field("eof", &self.eof)
            .field("failed", &self.failed)
            .field("received", &self.received)
            .field("finished", &self.finished)
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
            eof: false,
            failed: false,
            received: 0,
            finished: false,
            last_activity: now,
            message_started: None,
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
    /// queued and its event queued. When part of a message stays buffered,
    /// that message's timeout runs from the read where it began. Ignored
    /// once the connection is closing.
    pub fn handle_input(&mut self, now: Instant, data: &[u8]) {
        if self.eof || self.failed || self.finished {
            return;
        }
        if !data.is_empty() {
            self.last_activity = now;
        }
        self.input.extend_from_slice(data);
        let decoded = self.process(false);
        if self.input.is_empty() {
            self.message_started = None;
        } else if decoded > 0 || self.message_started.is_none() {
            // the unfinished message began in this read
            self.message_started = Some(now);
        }
    }

    /// The peer closed its side at `now` (a read returned 0). Decodes what
    /// is left; a stream that ended inside a message is reported as one
    /// [`Event::PeerError`], a clean end as [`Event::PeerClosed`]. Queued
    /// output is still to be written, and the idle timeout (from `now`)
    /// still runs while it waits: a peer that shuts down its side and
    /// never reads cannot hold the connection.
    pub fn handle_eof(&mut self, now: Instant) {
        if self.eof || self.failed || self.finished {
            return;
        }
        self.eof = true;
        self.last_activity = now;
        self.process(true);
        self.message_started = None;
        if !self.failed {
            self.events.push_back(Event::PeerClosed);
        }
    }

    /// Decodes every whole message in `input`; returns how many.
    fn process(&mut self, eof: bool) -> usize {
        let mut decoded = 0;
        loop {
            match self.service.decode(&mut self.input, eof) {
                Ok(Some(item)) => {
                    decoded += 1;
                    self.received = self.received.saturating_add(1);
                    let replied = self.service.respond(&item, &mut self.output);
                    self.events.push_back(Event::Received(item));
                    if let Err(error) = replied {
                        self.events.push_back(Event::ReplyFailed(error));
                        self.failed = true;
                    } else if self
                        .config
                        .max_messages
                        .is_some_and(|max| self.received >= max)
                    {
                        // Answered all it may: the rest is not read.
                        self.finished = true;
                        self.input = BytesMut::new();
                        self.message_started = None;
                        return decoded;
                    }
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
                    self.failed |= closes;
                }
            }
            if self.failed {
                self.input = BytesMut::new();
                self.message_started = None;
                return decoded;
            }
        }
    }

    /// The bytes waiting to be written, oldest first.
    #[must_use]
    pub fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// Marks the first `n` bytes of [`pending_output`](Self::pending_output)
    /// as written at `now` (a socket write may take fewer bytes than
    /// offered); writing is activity. `n` larger than what is pending is
    /// capped.
    pub fn consume_output(&mut self, now: Instant, n: usize) {
        let n = n.min(self.output.len());
        if n > 0 {
            self.last_activity = now;
        }
        self.output.advance(n);
        if self.output.is_empty() {
            // an idle connection keeps no buffer
            self.output = BytesMut::new();
        }
    }

    /// The idle deadline, if an idle timeout is set.
    fn idle_deadline(&self) -> Option<(Instant, Duration)> {
        let idle = self.config.idle_timeout?;
        Some((self.last_activity.checked_add(idle)?, idle))
    }

    /// The deadline of the unfinished message, if one is buffered and a
    /// message timeout is set.
    fn message_deadline(&self) -> Option<(Instant, Duration)> {
        let limit = self.config.message_timeout?;
        Some((self.message_started?.checked_add(limit)?, limit))
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be
    /// called: the earliest deadline, or `None` when none runs (no timeout
    /// set, or the connection is closing). Turn it into a socket or poll
    /// timeout with [`timeout_from`](crate::timeout_from).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.failed || self.is_closed() {
            return None;
        }
        let idle = self.idle_deadline().map(|(at, _)| at);
        let message = self.message_deadline().map(|(at, _)| at);
        match (idle, message) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Checks the deadlines at `now`: when one has passed, reports
    /// [`Event::TimedOut`] and closes the connection at once (unsent output
    /// is dropped). Calling it early does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.failed || self.is_closed() {
            return;
        }
        let timeout = match (self.message_deadline(), self.idle_deadline()) {
            (Some((at, limit)), _) if now >= at => Timeout::Message {
                limit,
                buffered: self.input.len(),
            },
            (_, Some((at, idle))) if now >= at => Timeout::Idle { idle },
            _ => return,
        };
        self.events.push_back(Event::TimedOut(timeout));
        self.failed = true;
        self.input = BytesMut::new();
        self.output = BytesMut::new();
        self.message_started = None;
    }

    /// The next event to report, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<S>> {
        let event = self.events.pop_front();
        if event.is_none() && self.events.capacity() > 0 {
            // an idle connection keeps no event queue
            self.events = VecDeque::new();
        }
        event
    }

    /// Whether the loop should read from the socket: the connection is
    /// open for input and unsent output is at most the high-water mark.
    #[must_use]
    pub fn wants_read(&self) -> bool {
        !self.eof
            && !self.failed
            && !self.finished
            && self.output.len() <= self.config.high_water_mark
    }

    /// Whether there is output to write.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.output.is_empty()
    }

    /// Whether the connection is done: the peer closed, an error closed
    /// it, or it answered its
    /// [`max_messages`](ConnectionConfig#structfield.max_messages), and all
    /// output has been written. Close the socket.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        (self.eof || self.failed || self.finished) && self.output.is_empty()
    }

    /// Whether the connection answered its
    /// [`max_messages`](ConnectionConfig#structfield.max_messages) and
    /// reads no more (it closes once its replies are written).
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
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
