//! [`ConnectionConfig`]: the limits and policies of one connection.

use std::time::Duration;

/// How a [`Connection`](super::Connection) treats its peer: timeouts,
/// backpressure and what errors close it. Passed by value to
/// [`Connection::new`](super::Connection::new).
///
/// Built in one expression with the `with_` setters, each of which states
/// its field's default:
///
/// ```
/// use std::time::Duration;
/// use sockwire::conn::ConnectionConfig;
///
/// let config = ConnectionConfig::default()
///     .with_idle_timeout(Some(Duration::from_secs(60)))
///     .with_message_timeout(None)
///     .with_high_water_mark(64 * 1024);
/// assert_eq!(config.idle_timeout, Some(Duration::from_secs(60)));
/// assert!(!config.recover_from_errors);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// The idle timeout: see [`with_idle_timeout`](Self::with_idle_timeout).
    pub idle_timeout: Option<Duration>,
    /// The message timeout: see
    /// [`with_message_timeout`](Self::with_message_timeout).
    pub message_timeout: Option<Duration>,
    /// The write timeout: see [`with_write_timeout`](Self::with_write_timeout).
    pub write_timeout: Option<Duration>,
    /// The high-water mark of unsent output: see
    /// [`with_high_water_mark`](Self::with_high_water_mark).
    pub high_water_mark: usize,
    /// Whether recoverable errors keep the connection: see
    /// [`with_recover_from_errors`](Self::with_recover_from_errors).
    pub recover_from_errors: bool,
    /// How many messages the connection answers: see
    /// [`with_max_messages`](Self::with_max_messages).
    pub max_messages: Option<usize>,
    /// The bound of the event queue: see
    /// [`with_max_events`](Self::with_max_events).
    pub max_events: usize,
}

impl ConnectionConfig {
    /// The default of [`with_idle_timeout`](Self::with_idle_timeout).
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
    /// The default of [`with_message_timeout`](Self::with_message_timeout).
    pub const DEFAULT_MESSAGE_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default of [`with_write_timeout`](Self::with_write_timeout).
    pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default of [`with_high_water_mark`](Self::with_high_water_mark).
    pub const DEFAULT_HIGH_WATER_MARK: usize = 256 * 1024;
    /// The default of [`with_max_events`](Self::with_max_events).
    pub const DEFAULT_MAX_EVENTS: usize = 1024;
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

crate::config::config_setters!(ConnectionConfig {
    /// No byte read and none written for this long ends the connection
    /// (`None`: never). Default: 5 minutes.
    with_idle_timeout => idle_timeout: Option<Duration>,
    /// A message that started arriving must be whole within this long, so
    /// a peer dribbling one byte at a time cannot hold the connection's
    /// buffers for ever (`None`: no limit). Only time in which the
    /// connection wants to read counts: while its own backpressure pauses
    /// reading, the timer stops. Default: 30 s.
    with_message_timeout => message_timeout: Option<Duration>,
    /// Output pending and no byte of it accepted by the peer for this long
    /// ends the connection with
    /// [`Event::PeerStoppedReading`](super::Event::PeerStoppedReading): a
    /// peer that sends requests and never reads the replies (`None`: no
    /// limit). Default: 30 s.
    with_write_timeout => write_timeout: Option<Duration>,
    /// [`wants_read`](super::Connection::wants_read) turns false while more
    /// than this many bytes of output are unsent. Default: 256 KiB.
    with_high_water_mark => high_water_mark: usize,
    /// Whether a decode error that the decoder recovers from
    /// ([`Recoverable`](crate::Recoverable)) keeps the connection open.
    /// Default: `false`, every error closes it.
    with_recover_from_errors => recover_from_errors: bool,
    /// After answering this many messages the connection decodes nothing
    /// more: whatever else the peer sent (even in the same read) is
    /// dropped unanswered, and the connection closes once its replies are
    /// written ([`is_finished`](super::Connection::is_finished)). `Some(1)`
    /// is the lab's one-request-per-connection server (§6's
    /// `app-server.py`). Default: `None`, no limit.
    ///
    /// ```
    /// use std::time::Instant;
    /// use sockwire::builtin::{Protocol, ReplyPolicy};
    /// use sockwire::conn::{Connection, ConnectionConfig};
    ///
    /// let now = Instant::now();
    /// let config = ConnectionConfig::default().with_max_messages(Some(1));
    /// let mut conn = Connection::new(now, Protocol::Line.service(ReplyPolicy::Echo), config);
    /// conn.handle_input(now, b"one\ntwo\n"); // two requests in one read
    /// assert_eq!(conn.pending_output(), b"one\n"); // only the first is answered
    /// assert!(conn.is_finished() && !conn.wants_read());
    /// conn.consume_output(now, 4);
    /// assert!(conn.is_closed());
    /// ```
    with_max_messages => max_messages: Option<usize>,
    /// Most events waiting to be polled (0 counts as 1): when that many
    /// wait, the connection stops decoding until
    /// [`poll_event`](super::Connection::poll_event) has handed them out;
    /// nothing is dropped. Default: 1,024.
    with_max_events => max_events: usize,
});
