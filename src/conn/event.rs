//! [`Event`]: what a connection reports, split by whose fault an error is.

use std::fmt;
use std::time::Duration;

use thiserror::Error;

use super::Service;

/// What happened on a [`Connection`](super::Connection): one log line each,
/// from [`poll_event`](super::Connection::poll_event).
///
/// Errors come in four kinds, by whose fault they are (as h11 splits
/// remote and local protocol errors): the peer's input broke the protocol
/// ([`PeerError`](Event::PeerError)), the peer was too slow to send
/// ([`TimedOut`](Event::TimedOut)) or stopped reading what it asked for
/// ([`PeerStoppedReading`](Event::PeerStoppedReading)), or this side could
/// not encode a reply ([`ReplyFailed`](Event::ReplyFailed)).
///
/// The `Display` form is the servers' log line: the message,
/// `error: … (closing the connection)`, or `closed the connection`.
#[non_exhaustive]
pub enum Event<S: Service> {
    /// A message arrived (its reply, if any, is already queued).
    Received(S::Item),
    /// The peer's input broke the protocol; the bad bytes were dropped.
    /// `closes` says whether the connection closes because of it (after
    /// output queued for earlier messages is written): always for an
    /// unrecoverable error, and for every error unless
    /// [`ConnectionConfig::recover_from_errors`](super::ConnectionConfig#structfield.recover_from_errors)
    /// is set.
    PeerError {
        /// What was wrong with the input.
        error: S::Error,
        /// Whether the connection closes.
        closes: bool,
    },
    /// The peer was too slow; the connection closed at once, unsent output
    /// dropped (the peer is not reading it).
    TimedOut(Timeout),
    /// Output was pending and the peer accepted no byte of it within the
    /// [write timeout](super::ConnectionConfig#structfield.write_timeout);
    /// the connection closed at once, unsent output dropped.
    PeerStoppedReading(WriteStall),
    /// The reply to a message could not be encoded (this side's fault);
    /// the connection closes after the output queued before it is written.
    ReplyFailed(S::ReplyError),
    /// The peer closed its side cleanly, at a message boundary.
    PeerClosed,
}

/// Which deadline of a connection passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum Timeout {
    /// Nothing was read or written for the idle timeout.
    #[error("idle for {}s (idle timeout)", idle.as_secs_f64())]
    Idle {
        /// The idle timeout.
        idle: Duration,
    },
    /// A message started arriving and was not whole within the message
    /// timeout.
    #[error("message not complete after {}s ({buffered} bytes of it received; message timeout)", limit.as_secs_f64())]
    Message {
        /// The message timeout.
        limit: Duration,
        /// Bytes of the unfinished message held when it timed out.
        buffered: usize,
    },
}

/// The peer accepted no byte of pending output within the write timeout
/// ([`Event::PeerStoppedReading`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("peer stopped reading: none of {unsent} bytes of output accepted in {}s (write timeout)", limit.as_secs_f64())]
pub struct WriteStall {
    /// The write timeout.
    pub limit: Duration,
    /// Bytes of output unsent when the connection closed.
    pub unsent: usize,
}

impl<S: Service> Event<S> {
    /// Whether the connection closes because of this event (an error that
    /// closes it, a timeout, a failed reply; not [`Event::PeerClosed`],
    /// after which queued output is still written).
    #[must_use]
    pub fn closes(&self) -> bool {
        match self {
            Event::PeerError { closes, .. } => *closes,
            Event::TimedOut(_) | Event::PeerStoppedReading(_) | Event::ReplyFailed(_) => true,
            Event::Received(_) | Event::PeerClosed => false,
        }
    }
}

impl<S: Service> fmt::Display for Event<S>
where
    S::Item: fmt::Display,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Received(m) => return write!(f, "{m}"),
            Event::PeerClosed => return f.write_str("closed the connection"),
            Event::PeerError { error, .. } => write!(f, "error: {error}")?,
            Event::TimedOut(timeout) => write!(f, "error: {timeout}")?,
            Event::PeerStoppedReading(stall) => write!(f, "error: {stall}")?,
            Event::ReplyFailed(error) => write!(f, "error: cannot encode the reply: {error}")?,
        }
        if self.closes() {
            f.write_str(" (closing the connection)")?;
        }
        Ok(())
    }
}

impl<S: Service> fmt::Debug for Event<S>
where
    S::Item: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Received(m) => f.debug_tuple("Received").field(m).finish(),
            Event::PeerError { error, closes } => f
                .debug_struct("PeerError")
                .field("error", error)
                .field("closes", closes)
                .finish(),
            Event::TimedOut(t) => f.debug_tuple("TimedOut").field(t).finish(),
            Event::PeerStoppedReading(s) => f.debug_tuple("PeerStoppedReading").field(s).finish(),
            Event::ReplyFailed(e) => f.debug_tuple("ReplyFailed").field(e).finish(),
            Event::PeerClosed => f.write_str("PeerClosed"),
        }
    }
}

impl<S: Service> Clone for Event<S>
where
    S::Item: Clone,
    S::Error: Clone,
    S::ReplyError: Clone,
{
    fn clone(&self) -> Self {
        match self {
            Event::Received(m) => Event::Received(m.clone()),
            Event::PeerError { error, closes } => Event::PeerError {
                error: error.clone(),
                closes: *closes,
            },
            Event::TimedOut(t) => Event::TimedOut(*t),
            Event::PeerStoppedReading(s) => Event::PeerStoppedReading(*s),
            Event::ReplyFailed(e) => Event::ReplyFailed(e.clone()),
            Event::PeerClosed => Event::PeerClosed,
        }
    }
}

impl<S: Service> PartialEq for Event<S>
where
    S::Item: PartialEq,
    S::Error: PartialEq,
    S::ReplyError: PartialEq,
{
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Event::Received(a), Event::Received(b)) => a == b,
            (
                Event::PeerError { error, closes },
                Event::PeerError {
                    error: e2,
                    closes: c2,
                },
            ) => error == e2 && closes == c2,
            (Event::TimedOut(a), Event::TimedOut(b)) => a == b,
            (Event::PeerStoppedReading(a), Event::PeerStoppedReading(b)) => a == b,
            (Event::ReplyFailed(a), Event::ReplyFailed(b)) => a == b,
            (Event::PeerClosed, Event::PeerClosed) => true,
            _ => false,
        }
    }
}

impl<S: Service> Eq for Event<S>
where
    S::Item: Eq,
    S::Error: Eq,
    S::ReplyError: Eq,
{
}
