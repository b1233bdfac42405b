//! [`ConnectionConfig`]: the limits and policies of one connection.

use std::time::Duration;

/// How a [`Connection`](super::Connection) treats its peer: timeouts,
/// backpressure and what errors close it. Passed by value to
/// [`Connection::new`](super::Connection::new).
///
/// Built in one expression with the setters, which return `&mut Self`:
///
/// ```
/// use std::time::Duration;
/// use sockwire::conn::ConnectionConfig;
///
/// let config = ConnectionConfig::default()
///     .idle_timeout(Some(Duration::from_secs(60)))
///     .message_timeout(None)
///     .high_water_mark(64 * 1024)
///     .clone();
/// assert_eq!(config.idle_timeout, Some(Duration::from_secs(60)));
/// assert!(!config.recover_from_errors);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// No byte read and none written for this long ends the connection
    /// (`None`: never). Default [`DEFAULT_IDLE_TIMEOUT`](Self::DEFAULT_IDLE_TIMEOUT).
    pub idle_timeout: Option<Duration>,
    /// A message that started arriving must be whole within this long, so
    /// a peer dribbling one byte at a time cannot hold the connection's
    /// buffers for ever (`None`: no limit). Only time in which the
    /// connection wants to read counts: while its own backpressure pauses
    /// reading, the timer stops. Default
    /// [`DEFAULT_MESSAGE_TIMEOUT`](Self::DEFAULT_MESSAGE_TIMEOUT).
    pub message_timeout: Option<Duration>,
    /// Output pending and no byte of it accepted by the peer for this long
    /// ends the connection with
    /// [`Event::PeerStoppedReading`](super::Event::PeerStoppedReading): a
    /// peer that sends requests and never reads the replies (`None`: no
    /// limit). Default [`DEFAULT_WRITE_TIMEOUT`](Self::DEFAULT_WRITE_TIMEOUT).
    pub write_timeout: Option<Duration>,
    /// [`wants_read`](super::Connection::wants_read) turns false while more
    /// than this many bytes of output are unsent. Default
    /// [`DEFAULT_HIGH_WATER_MARK`](Self::DEFAULT_HIGH_WATER_MARK).
    pub high_water_mark: usize,
    /// Whether a decode error that the decoder recovers from
    /// ([`Recoverable`](crate::Recoverable)) keeps the connection open.
    /// Default `false`: every error closes it.
    pub recover_from_errors: bool,
    /// After answering this many messages the connection decodes nothing
    /// more: whatever else the peer sent (even in the same read) is
    /// dropped unanswered, and the connection closes once its replies are
    /// written ([`is_finished`](super::Connection::is_finished)). `Some(1)`
    /// is the lab's one-request-per-connection server (PROTOCOLS.md §6's
    /// `app-server.py`). Default `None`: no limit.
    pub max_messages: Option<usize>,
    /// Most events waiting to be polled (at least 1): when that many wait,
    /// the connection stops decoding until
    /// [`poll_event`](super::Connection::poll_event) has handed them out;
    /// nothing is dropped. Default
    /// [`DEFAULT_MAX_EVENTS`](Self::DEFAULT_MAX_EVENTS).
    pub max_events: usize,
}

impl ConnectionConfig {
    /// Default idle timeout: 5 minutes.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
    /// Default time to receive one whole message once it started: 30 s.
    pub const DEFAULT_MESSAGE_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default time a peer may take to accept any byte of pending output: 30 s.
    pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
    /// Default bound of the event queue: 1,024 events.
    pub const DEFAULT_MAX_EVENTS: usize = 1024;
    /// Default high-water mark of unsent output: 256 KiB.
    pub const DEFAULT_HIGH_WATER_MARK: usize = 256 * 1024;

    /// Sets [`idle_timeout`](Self#structfield.idle_timeout).
    pub fn idle_timeout(&mut self, timeout: Option<Duration>) -> &mut Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`message_timeout`](Self#structfield.message_timeout).
    pub fn message_timeout(&mut self, timeout: Option<Duration>) -> &mut Self {
        self.message_timeout = timeout;
        self
    }

    /// Sets [`write_timeout`](Self#structfield.write_timeout).
    pub fn write_timeout(&mut self, timeout: Option<Duration>) -> &mut Self {
        self.write_timeout = timeout;
        self
    }

    /// Sets [`high_water_mark`](Self#structfield.high_water_mark).
    pub fn high_water_mark(&mut self, bytes: usize) -> &mut Self {
        self.high_water_mark = bytes;
        self
    }

    /// Sets [`recover_from_errors`](Self#structfield.recover_from_errors).
    pub fn recover_from_errors(&mut self, recover: bool) -> &mut Self {
        self.recover_from_errors = recover;
        self
    }

    /// Sets [`max_events`](Self#structfield.max_events).
    pub fn max_events(&mut self, max: usize) -> &mut Self {
        self.max_events = max;
        self
    }

    /// Sets [`max_messages`](Self#structfield.max_messages).
    ///
    /// ```
    /// use std::time::Instant;
    /// use sockwire::builtin::{Protocol, ReplyPolicy};
    /// use sockwire::conn::{Connection, ConnectionConfig};
    ///
    /// let now = Instant::now();
    /// let config = ConnectionConfig::default().max_messages(Some(1)).clone();
    /// let mut conn = Connection::new(now, Protocol::Line.service(ReplyPolicy::Echo), config);
    /// conn.handle_input(now, b"one\ntwo\n"); // two requests in one read
    /// assert_eq!(conn.pending_output(), b"one\n"); // only the first is answered
    /// assert!(conn.is_finished() && !conn.wants_read());
    /// conn.consume_output(now, 4);
    /// assert!(conn.is_closed());
    /// ```
    pub fn max_messages(&mut self, max: Option<usize>) -> &mut Self {
        self.max_messages = max;
        self
    }
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            idle_timeout: Some(Self::DEFAULT_IDLE_TIMEOUT),
            message_timeout: Some(Self::DEFAULT_MESSAGE_TIMEOUT),
            write_timeout: Some(Self::DEFAULT_WRITE_TIMEOUT),
            high_water_mark: Self::DEFAULT_HIGH_WATER_MARK,
            recover_from_errors: false,
            max_messages: None,
            max_events: Self::DEFAULT_MAX_EVENTS,
        }
    }
}
