//! The sans-IO connection layer: everything a server or client does with a
//! connection except the socket calls.
//!
//! A [`Connection`] owns a [`Service`] (a codec and a reply rule) and two
//! buffers. The caller moves bytes: what it reads from the socket goes in
//! with [`handle_input`](Connection::handle_input) (and the end of the
//! stream with [`handle_eof`](Connection::handle_eof)); what the connection
//! wants written comes out of [`pending_output`](Connection::pending_output),
//! and the caller says how much the socket took with
//! [`consume_output`](Connection::consume_output). What happened, one
//! [`Event`] per log line, comes out of
//! [`poll_event`](Connection::poll_event).
//!
//! One server loop therefore serves every [`Protocol`]:
//!
//! ```
//! use sockwire::conn::{Connection, Event, Protocol, Reply};
//!
//! let mut conn = Connection::new(Protocol::Fixed, Reply::Upper);
//! let packet = sockwire::FixedPacket::new(1, "hi").to_bytes();
//! conn.handle_input(&packet[..10]); // a partial read
//! assert!(conn.poll_event().is_none());
//! conn.handle_input(&packet[10..]);
//! let Some(Event::Received(message)) = conn.poll_event() else { panic!() };
//! assert_eq!(message.to_string(), r#"fixed packet #1 v1 size=2 "hi""#);
//! // the reply: same order, upper-cased text
//! assert_eq!(&conn.pending_output()[9..11], b"HI");
//! let n = conn.pending_output().len(); // what the socket accepted
//! conn.consume_output(n);
//! conn.handle_eof();
//! assert_eq!(conn.poll_event(), Some(Event::PeerClosed));
//! assert!(conn.is_closed()); // nothing left to do: close the socket
//! ```
//!
//! # Errors and closing
//!
//! A decode error is reported as [`Event::Error`] and, by default, closes
//! the connection: the bad input is dropped, output already queued for
//! earlier messages is still written, then [`is_closed`](Connection::is_closed)
//! turns true. [`Connection::recover_from_errors`] keeps the connection open
//! after errors the decoder recovers from
//! ([`DecodeError::is_recoverable`]).
//!
//! # Backpressure
//!
//! [`wants_read`](Connection::wants_read) turns false while more than the
//! high-water mark ([`DEFAULT_HIGH_WATER_MARK`] unless set with
//! [`with_high_water_mark`](Connection::with_high_water_mark)) of output is
//! unsent: a peer that writes without reading cannot make the server buffer
//! without bound.
//!
//! # Timeouts
//!
//! A connection can time out, by a clock the caller passes in (the library
//! never reads one): [`with_timeouts`](Connection::with_timeouts) starts
//! it, the `_at` variants of the input and output calls
//! ([`handle_input_at`](Connection::handle_input_at),
//! [`consume_output_at`](Connection::consume_output_at)) tell it about
//! activity, [`poll_timeout`](Connection::poll_timeout) says when to wake
//! it, and [`handle_timeout`](Connection::handle_timeout) checks:
//!
//! - **idle** ([`Timeouts::idle`]): no byte read and none written for that
//!   long ends the connection;
//! - **message** ([`Timeouts::message`]): a message that started arriving
//!   must be complete within that long, so a peer dribbling one byte at a
//!   time cannot hold the connection's buffers for ever.
//!
//! A timeout is reported as [`Event::Error`] with
//! [`ConnError::IdleTimeout`] or [`ConnError::MessageTimeout`]; the
//! connection is closed at once, unsent output dropped (the peer is not
//! reading it).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sockwire::conn::{ConnError, Connection, Event, Protocol, Reply, Timeouts};
//!
//! let t0 = Instant::now(); // a test's fake clock: a base and offsets
//! let timeouts = Timeouts::none().idle(Duration::from_secs(60));
//! let mut conn = Connection::new(Protocol::Line, Reply::Echo).with_timeouts(timeouts, t0);
//! assert_eq!(conn.poll_timeout(), Some(t0 + Duration::from_secs(60)));
//! conn.handle_input_at(b"hi\n", t0 + Duration::from_secs(30)); // activity
//! conn.consume_output_at(3, t0 + Duration::from_secs(30));
//! let _ = conn.poll_event();
//! conn.handle_timeout(t0 + Duration::from_secs(89)); // not yet
//! assert!(!conn.is_closed());
//! conn.handle_timeout(t0 + Duration::from_secs(90));
//! assert!(matches!(
//!     conn.poll_event(),
//!     Some(Event::Error { error: ConnError::IdleTimeout { .. }, closes: true })
//! ));
//! assert!(conn.is_closed());
//! ```
//!
//! # Memory
//!
//! An idle connection (no unfinished input, no unsent output, no events)
//! holds no buffer capacity: the buffers are allocated when bytes arrive
//! and released when they empty. What stays is the [`Service`] (a few
//! dozen bytes) and the `Connection` itself.
//!
//! # Adding a protocol
//!
//! A protocol is a [`Service`]: a decoder and a function from a decoded
//! [`Message`] to an optional reply. [`CodecService`] builds one from any
//! [`Decoder`] whose items convert into [`Message`] and a closure.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use thiserror::Error;

use crate::{DatagramDecoder, text};
use crate::{
    DecodeError, Decoder, EncodeError, Encoder, FixedPacket, FixedPacketCodec, LineCodec, Text,
    TextDatagramCodec, TextStreamCodec, VariablePacket, VariablePacketCodec,
};

/// Default high-water mark of unsent output: 256 KiB.
pub const DEFAULT_HIGH_WATER_MARK: usize = 256 * 1024;

/// How long a connection may idle or take over one message; see the
/// [module docs](self#timeouts). `None` is no limit.
///
/// [`Timeouts::default`] is [`DEFAULT_IDLE_TIMEOUT`] and
/// [`DEFAULT_MESSAGE_TIMEOUT`]; [`Timeouts::none`] has no limits (a
/// [`Connection`] without [`with_timeouts`](Connection::with_timeouts)
/// never times out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timeouts {
    /// No byte read and none written for this long ends the connection.
    pub idle: Option<Duration>,
    /// A message that started arriving must be whole within this long.
    pub message: Option<Duration>,
}

/// Default idle timeout: 5 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Default time to receive one whole message once it started: 30 s.
pub const DEFAULT_MESSAGE_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            idle: Some(DEFAULT_IDLE_TIMEOUT),
            message: Some(DEFAULT_MESSAGE_TIMEOUT),
        }
    }
}

impl Timeouts {
    /// No timeouts at all.
    #[must_use]
    pub const fn none() -> Self {
        Timeouts {
            idle: None,
            message: None,
        }
    }

    /// Sets the idle timeout.
    #[must_use]
    pub const fn idle(mut self, idle: Duration) -> Self {
        self.idle = Some(idle);
        self
    }

    /// Sets the per-message timeout.
    #[must_use]
    pub const fn message(mut self, message: Duration) -> Self {
        self.message = Some(message);
        self
    }
}

/// What a server sends back for each message.
///
/// | reply | text (§1 UDP) | text stream (§2) and line (§3) | fixed (§4) and variable (§5) packet |
/// |---|---|---|---|
/// | `None` | nothing | nothing | nothing |
/// | `Echo` | the same bytes | the same bytes | the same bytes |
/// | `Upper` | [`text::upper_reply`]: ASCII whitespace stripped, upper-cased | the text upper-cased, nothing stripped | same version and order, text upper-cased (see [`Reply::write`]) |
///
/// The §6 application protocol ([`Protocol`]`::App`) answers by its own
/// rules whatever the policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Reply {
    /// No reply: the server only logs.
    None,
    /// The same bytes back.
    #[default]
    Echo,
    /// The text upper-cased.
    Upper,
}

impl Reply {
    /// Every reply policy, in the order the command line lists them.
    pub const ALL: [Reply; 3] = [Reply::None, Reply::Echo, Reply::Upper];

    /// The name on the command line: `none`, `echo` or `upper`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Reply::None => "none",
            Reply::Echo => "echo",
            Reply::Upper => "upper",
        }
    }

    /// Appends the reply to a stream `message` to `dst` (nothing for
    /// [`Reply::None`]).
    ///
    /// Upper-casing is Unicode (like Python's `str.upper`), so the text may
    /// change length (`ß` becomes `SS`):
    ///
    /// - text stream: the decoded text upper-cased, nothing stripped;
    /// - line: the line upper-cased, with its LF;
    /// - fixed packet: same version and order, the text upper-cased and
    ///   encoded as the Python peer does ([`FixedPacket::new`]); a
    ///   truncated packet keeps its declared size, so the reply still says
    ///   it was truncated;
    /// - variable packet: same version and order, the payload upper-cased
    ///   as text, or ASCII-upper-cased byte by byte when it is not UTF-8.
    ///
    /// # Errors
    ///
    /// What the protocol's encoder reports (an upper-cased variable
    /// payload that grows past the limit). `dst` is then unchanged.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sockwire::conn::{Message, Reply};
    /// use sockwire::VariablePacket;
    ///
    /// let mut out = BytesMut::new();
    /// let msg = Message::Variable(VariablePacket::new(2, "straße"));
    /// Reply::Upper.write(&msg, &mut out)?;
    /// assert_eq!(&out[..], b"\x01\x00\x00\x00\x07\x00\x00\x00\x02STRASSE");
    /// # Ok::<(), sockwire::EncodeError>(())
    /// ```
    pub fn write(self, message: &Message, dst: &mut BytesMut) -> Result<(), EncodeError> {
        match (self, message) {
            (Reply::None, _) => Ok(()),
            (Reply::Echo, Message::Text(t)) => TextStreamCodec::new().encode(t.clone(), dst),
            (Reply::Upper, Message::Text(t)) => {
                TextStreamCodec::new().encode(&*t.to_uppercase(), dst)
            }
            (Reply::Echo, Message::Line(t)) => LineCodec::new().encode(t.clone(), dst),
            (Reply::Upper, Message::Line(t)) => LineCodec::new().encode(&*t.to_uppercase(), dst),
            (Reply::Echo, Message::Fixed(p)) => FixedPacketCodec::new().encode(p, dst),
            (Reply::Upper, Message::Fixed(p)) => {
                FixedPacketCodec::new().encode(upper_fixed(p), dst)
            }
            (Reply::Echo, Message::Variable(p)) => {
                VariablePacketCodec::with_max_len(usize::MAX).encode(p, dst)
            }
            (Reply::Upper, Message::Variable(p)) => {
                VariablePacketCodec::with_max_len(usize::MAX).encode(upper_variable(p), dst)
            }
            // §6 answers by its own rules (SearchService), not by a policy
            #[cfg(feature = "json")]
            (_, Message::App(_) | Message::AppReply(_)) => Ok(()),
        }
    }

    /// The reply to a §1 text datagram, if any: the same bytes (echo) or
    /// [`text::upper_reply`] (upper).
    ///
    /// ```
    /// use sockwire::conn::Reply;
    /// assert_eq!(Reply::Upper.datagram(" x y\r\n").as_deref(), Some(&b"X Y"[..]));
    /// assert_eq!(Reply::None.datagram("x"), None);
    /// ```
    #[must_use]
    pub fn datagram(self, text: &str) -> Option<Bytes> {
        match self {
            Reply::None => None,
            Reply::Echo => Some(Bytes::copy_from_slice(text.as_bytes())),
            Reply::Upper => Some(Bytes::from(text::upper_reply(text))),
        }
    }
}

/// The upper reply to a fixed packet: see [`Reply::write`].
fn upper_fixed(p: &FixedPacket) -> FixedPacket {
    let upper = FixedPacket::new(p.order(), &p.text().to_uppercase());
    let size = if p.is_truncated() {
        p.size()
    } else {
        upper.size()
    };
    FixedPacket::from_parts(p.version(), p.order(), size, *upper.field())
}

/// The upper reply to a variable packet: see [`Reply::write`].
fn upper_variable(p: &VariablePacket) -> VariablePacket {
    let payload = match p.text() {
        Ok(text) => Bytes::from(text.to_uppercase()),
        Err(_) => Bytes::from(p.payload().to_ascii_uppercase()),
    };
    VariablePacket::from_payload(p.order(), payload).with_version(p.version())
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a reply policy or protocol.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {what} {name:?} (expected one of: {expected})")]
pub struct UnknownName {
    what: &'static str,
    name: String,
    expected: &'static str,
}

impl FromStr for Reply {
    type Err = UnknownName;

    /// ```
    /// use sockwire::conn::Reply;
    /// assert_eq!("upper".parse(), Ok(Reply::Upper));
    /// assert!("shout".parse::<Reply>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Reply::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| UnknownName {
                what: "reply",
                name: s.to_owned(),
                expected: "none, echo, upper",
            })
    }
}

/// The stream protocols a [`Connection`] can speak out of the box.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// §2: raw UTF-8 text, no framing.
    #[default]
    Text,
    /// §3: LF-terminated lines.
    Line,
    /// §4: the 29-byte fixed packet.
    Fixed,
    /// §5: the variable packet.
    Variable,
    /// §6: the application message; the server answers with
    /// [`SearchService`](crate::app::SearchService), whatever the reply
    /// policy.
    #[cfg(feature = "json")]
    App,
}

impl Protocol {
    /// Every protocol, in the order of PROTOCOLS.md (a slice: more are
    /// coming).
    pub const ALL: &'static [Protocol] = &[
        Protocol::Text,
        Protocol::Line,
        Protocol::Fixed,
        Protocol::Variable,
        #[cfg(feature = "json")]
        Protocol::App,
    ];

    /// The name on the command line: `text`, `line`, `fixed`, `variable`,
    /// `app`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Text => "text",
            Protocol::Line => "line",
            Protocol::Fixed => "fixed",
            Protocol::Variable => "variable",
            #[cfg(feature = "json")]
            Protocol::App => "app",
        }
    }

    /// The service a server runs for this protocol with this reply policy:
    /// the protocol's decoder (default limits) and [`Reply::write`]; for
    /// `App`, the §6 server codec and a
    /// [`SearchService`](crate::app::SearchService) (the reply policy does
    /// not apply).
    #[must_use]
    pub fn service(self, reply: Reply) -> Box<dyn Service> {
        let respond = move |m: &Message, dst: &mut BytesMut| reply.write(m, dst);
        match self {
            Protocol::Text => Box::new(CodecService::new(TextStreamCodec::new(), respond)),
            Protocol::Line => Box::new(CodecService::lines(LineCodec::new(), respond)),
            Protocol::Fixed => Box::new(CodecService::new(FixedPacketCodec::new(), respond)),
            Protocol::Variable => Box::new(CodecService::new(VariablePacketCodec::new(), respond)),
            #[cfg(feature = "json")]
            Protocol::App => {
                let mut search = crate::app::SearchService::new();
                Box::new(CodecService::new(
                    crate::app::ServerCodec::new(),
                    move |m: &Message, dst: &mut BytesMut| match m {
                        Message::App(request) => {
                            crate::app::ServerCodec::new().encode(search.respond(request), dst)
                        }
                        _ => Ok(()),
                    },
                ))
            }
        }
    }

    /// The service a client runs for this protocol: it decodes the
    /// server's replies and answers nothing. (The same decoder as the
    /// server's for every protocol so far; a request/response protocol
    /// decodes another message type on each side.)
    #[must_use]
    pub fn client_service(self) -> Box<dyn Service> {
        match self {
            #[cfg(feature = "json")]
            Protocol::App => Box::new(CodecService::new(
                crate::app::ClientCodec::new(),
                |_: &Message, _: &mut BytesMut| Ok(()),
            )),
            _ => self.service(Reply::None),
        }
    }

    /// Encodes `text` as one message of this protocol, with sequence number
    /// `order` for the packets (ignored by the others); for `App`, a
    /// `search` request for `text`.
    ///
    /// # Errors
    ///
    /// What the protocol's encoder reports: a line holding an LF, a text
    /// over a limit.
    ///
    /// ```
    /// use sockwire::conn::Protocol;
    /// let wire = Protocol::Variable.encode(1, "hello")?;
    /// assert_eq!(&wire[..], b"\x01\x00\x00\x00\x05\x00\x00\x00\x01hello");
    /// assert_eq!(&Protocol::Line.encode(1, "hello")?[..], b"hello\n");
    /// # Ok::<(), sockwire::EncodeError>(())
    /// ```
    pub fn encode(self, order: u32, text: &str) -> Result<Bytes, EncodeError> {
        let mut dst = BytesMut::new();
        match self {
            Protocol::Text => TextStreamCodec::new().encode(text, &mut dst)?,
            Protocol::Line => LineCodec::new().encode(text, &mut dst)?,
            Protocol::Fixed => {
                FixedPacketCodec::new().encode(FixedPacket::new(order, text), &mut dst)?
            }
            Protocol::Variable => {
                VariablePacketCodec::new().encode(VariablePacket::new(order, text), &mut dst)?
            }
            // `text` is the search value
            #[cfg(feature = "json")]
            Protocol::App => crate::app::ClientCodec::new()
                .encode(crate::app::AppRequest::new("search", text), &mut dst)?,
        }
        Ok(dst.freeze())
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = UnknownName;

    /// ```
    /// use sockwire::conn::Protocol;
    /// assert_eq!("fixed".parse(), Ok(Protocol::Fixed));
    /// ```
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Protocol::ALL
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownName {
                what: "protocol",
                name: s.to_owned(),
                expected: if cfg!(feature = "json") {
                    "text, line, fixed, variable, app"
                } else {
                    "text, line, fixed, variable"
                },
            })
    }
}

/// One decoded message, of any protocol, as a connection reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// §1 or §2: text (a datagram, or what a stream read gave).
    Text(Text),
    /// §3: one line, without its CR and LF.
    Line(Text),
    /// §4: a fixed packet.
    Fixed(FixedPacket),
    /// §5: a variable packet.
    Variable(VariablePacket),
    /// §6: a request (as a server decodes it).
    #[cfg(feature = "json")]
    App(crate::app::AppRequest),
    /// §6: a reply (as a client decodes it).
    #[cfg(feature = "json")]
    AppReply(crate::app::AppResponse),
}

#[cfg(feature = "json")]
impl From<crate::app::AppRequest> for Message {
    fn from(r: crate::app::AppRequest) -> Self {
        Message::App(r)
    }
}

#[cfg(feature = "json")]
impl From<crate::app::AppResponse> for Message {
    fn from(r: crate::app::AppResponse) -> Self {
        Message::AppReply(r)
    }
}

impl From<FixedPacket> for Message {
    fn from(p: FixedPacket) -> Self {
        Message::Fixed(p)
    }
}

impl From<VariablePacket> for Message {
    fn from(p: VariablePacket) -> Self {
        Message::Variable(p)
    }
}

impl From<Text> for Message {
    /// A [`Message::Text`]. (A line decoder's items are wrapped by
    /// [`Protocol::service`] as [`Message::Line`].)
    fn from(t: Text) -> Self {
        Message::Text(t)
    }
}

/// The log form: `text "…"`, `line "…"`, `fixed packet #1 v1 size=2 "hi"`,
/// `variable packet #1 v1 size=5 "hello"`.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Text(t) => write!(f, "text {:?}", t.as_str()),
            Message::Line(t) => write!(f, "line {:?}", t.as_str()),
            Message::Fixed(p) => write!(f, "fixed packet {p}"),
            Message::Variable(p) => write!(f, "variable packet {p}"),
            #[cfg(feature = "json")]
            Message::App(crate::app::AppRequest::Json { action, value }) => {
                write!(f, "app request {action} {value:?}")
            }
            #[cfg(feature = "json")]
            Message::App(crate::app::AppRequest::Binary {
                content_type,
                content,
            }) => {
                write!(
                    f,
                    "app request {content_type} {}",
                    crate::app::python_bytes_repr(content)
                )
            }
            #[cfg(feature = "json")]
            Message::AppReply(r) => write!(f, "app reply {r:?}", r = r.to_string()),
        }
    }
}

/// Why a connection reported an error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConnError {
    /// The peer's input broke the protocol.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The reply could not be encoded.
    #[error("cannot encode the reply: {0}")]
    Encode(#[from] EncodeError),
    /// Nothing was read or written for the idle timeout.
    #[error("idle for {}s (idle timeout)", idle.as_secs_f64())]
    IdleTimeout {
        /// The idle timeout.
        idle: Duration,
    },
    /// A message started arriving and was not whole within the message
    /// timeout.
    #[error("message not complete after {}s ({buffered} bytes of it received; message timeout)", limit.as_secs_f64())]
    MessageTimeout {
        /// The message timeout.
        limit: Duration,
        /// Bytes of the unfinished message held when it timed out.
        buffered: usize,
    },
}

/// What happened on a connection: one log line each.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A message arrived (its reply, if any, is already queued).
    Received(Message),
    /// Something went wrong; `closes` says whether the connection closes
    /// because of it (after queued output is written).
    Error {
        /// What went wrong.
        error: ConnError,
        /// Whether the connection closes.
        closes: bool,
    },
    /// The peer closed its side cleanly, at a message boundary.
    PeerClosed,
}

/// The log form: the message, `error: … (closing the connection)`, or
/// `closed the connection`.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Received(m) => write!(f, "{m}"),
            Event::Error { error, closes } => {
                write!(f, "error: {error}")?;
                if *closes {
                    f.write_str(" (closing the connection)")?;
                }
                Ok(())
            }
            Event::PeerClosed => f.write_str("closed the connection"),
        }
    }
}

/// A protocol as a connection runs it: a decoder and a reply rule.
///
/// Implement it to put a new protocol behind [`Connection`]; or build one
/// from a codec and a closure with [`CodecService`].
pub trait Service: Send {
    /// Decodes the next message from `src`, as
    /// [`Decoder::decode_eof`] when `eof` (the peer has closed), else as
    /// [`Decoder::decode`]. `Ok(None)`: no whole message yet.
    ///
    /// # Errors
    ///
    /// The decoder's error, with the bad bytes dropped from `src`.
    fn decode(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Message>, DecodeError>;

    /// Appends the reply to `message`, if any, to `dst`.
    ///
    /// # Errors
    ///
    /// When the reply cannot be encoded; `dst` is then unchanged.
    fn respond(&mut self, message: &Message, dst: &mut BytesMut) -> Result<(), EncodeError>;
}

/// A [`Service`] from a stream [`Decoder`] and a reply function.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::conn::{CodecService, Connection, Message};
/// use sockwire::{Encoder, FixedPacket, FixedPacketCodec};
///
/// // a protocol that answers each fixed packet with the next order number
/// let service = CodecService::new(FixedPacketCodec::new(), |m: &Message, dst: &mut BytesMut| {
///     match m {
///         Message::Fixed(p) => FixedPacketCodec::new().encode(FixedPacket::new(p.order() + 1, "ack"), dst),
///         _ => Ok(()),
///     }
/// });
/// let mut conn = Connection::with_service(Box::new(service));
/// conn.handle_input(&FixedPacket::new(7, "hi").to_bytes());
/// assert_eq!(&conn.pending_output()[1..5], &[0, 0, 0, 8]);
/// ```
pub struct CodecService<C, F> {
    codec: C,
    respond: F,
    line: bool,
}

impl<C, F> CodecService<C, F> {
    /// A service that decodes with `codec` and answers with `respond`.
    pub fn new(codec: C, respond: F) -> Self {
        CodecService {
            codec,
            respond,
            line: false,
        }
    }
}

impl<C: fmt::Debug, F> fmt::Debug for CodecService<C, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodecService")
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl<F> CodecService<LineCodec, F> {
    /// A line service: its items are reported as [`Message::Line`].
    fn lines(codec: LineCodec, respond: F) -> Self {
        CodecService {
            codec,
            respond,
            line: true,
        }
    }
}

impl<C, F> Service for CodecService<C, F>
where
    C: Decoder + Send,
    C::Item: Into<Message>,
    F: FnMut(&Message, &mut BytesMut) -> Result<(), EncodeError> + Send,
{
    fn decode(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Message>, DecodeError> {
        let item = if eof {
            self.codec.decode_eof(src)?
        } else {
            self.codec.decode(src)?
        };
        Ok(item.map(|item| match item.into() {
            Message::Text(t) if self.line => Message::Line(t),
            m => m,
        }))
    }

    fn respond(&mut self, message: &Message, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let mark = dst.len();
        let result = (self.respond)(message, dst);
        if result.is_err() {
            dst.truncate(mark);
        }
        result
    }
}

/// One connection's protocol state: input buffer, service, output buffer,
/// events. See the [module docs](self).
pub struct Connection {
    service: Box<dyn Service>,
    input: BytesMut,
    output: BytesMut,
    events: VecDeque<Event>,
    high_water_mark: usize,
    recover: bool,
    /// The peer closed its side.
    eof: bool,
    /// An error closed the connection.
    failed: bool,
    timeouts: Timeouts,
    /// When a byte was last read or written (`None`: no clock yet).
    last_activity: Option<Instant>,
    /// When the unfinished message in `input` started arriving.
    message_started: Option<Instant>,
    /// Messages decoded so far.
    decoded: u64,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("input", &self.input.len())
            .field("output", &self.output.len())
            .field("events", &self.events.len())
            .field("high_water_mark", &self.high_water_mark)
            .field("eof", &self.eof)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A server connection speaking `protocol` and answering with `reply`.
    #[must_use]
    pub fn new(protocol: Protocol, reply: Reply) -> Self {
        Self::with_service(protocol.service(reply))
    }

    /// A connection running any [`Service`].
    #[must_use]
    pub fn with_service(service: Box<dyn Service>) -> Self {
        Connection {
            service,
            input: BytesMut::new(),
            output: BytesMut::new(),
            events: VecDeque::new(),
            high_water_mark: DEFAULT_HIGH_WATER_MARK,
            recover: false,
            eof: false,
            failed: false,
            timeouts: Timeouts::none(),
            last_activity: None,
            message_started: None,
            decoded: 0,
        }
    }

    /// Sets the timeouts and starts the clock at `now` (the connection was
    /// accepted then). Use the `_at` calls from then on
    /// ([`handle_input_at`](Self::handle_input_at),
    /// [`consume_output_at`](Self::consume_output_at)) so that activity is
    /// seen, and call [`handle_timeout`](Self::handle_timeout) by
    /// [`poll_timeout`](Self::poll_timeout). See the
    /// [module docs](self#timeouts).
    #[must_use]
    pub fn with_timeouts(mut self, timeouts: Timeouts, now: Instant) -> Self {
        self.timeouts = timeouts;
        self.last_activity = Some(now);
        self
    }

    /// The timeouts in force.
    #[must_use]
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Sets the high-water mark: [`wants_read`](Self::wants_read) is false
    /// while more than `bytes` of output are unsent.
    #[must_use]
    pub fn with_high_water_mark(mut self, bytes: usize) -> Self {
        self.high_water_mark = bytes;
        self
    }

    /// Whether errors the decoder recovers from ([`DecodeError::is_recoverable`])
    /// keep the connection open (`false` by default: every error closes it).
    #[must_use]
    pub fn recover_from_errors(mut self, recover: bool) -> Self {
        self.recover = recover;
        self
    }

    /// Feeds bytes read from the socket. Decodes every whole message,
    /// queues their replies and events. Ignored once the connection is
    /// closing.
    pub fn handle_input(&mut self, data: &[u8]) {
        if self.eof || self.failed {
            return;
        }
        self.input.extend_from_slice(data);
        self.process(false);
    }

    /// [`handle_input`](Self::handle_input) at time `now`: the input is
    /// activity (it resets the idle timeout), and when it leaves part of a
    /// message buffered, that message's timeout runs from when it started.
    pub fn handle_input_at(&mut self, data: &[u8], now: Instant) {
        if self.eof || self.failed {
            return;
        }
        if !data.is_empty() {
            self.last_activity = Some(now);
        }
        let decoded = self.decoded;
        self.handle_input(data);
        if self.input.is_empty() {
            self.message_started = None;
        } else if decoded != self.decoded || self.message_started.is_none() {
            // the unfinished message began in this read
            self.message_started = Some(now);
        }
    }

    /// The peer closed its side (a read returned 0). Decodes what is left;
    /// a stream that ended inside a message is reported as one
    /// [`Event::Error`], a clean end as [`Event::PeerClosed`]. Queued output
    /// is still to be written.
    pub fn handle_eof(&mut self) {
        if self.eof || self.failed {
            return;
        }
        self.eof = true;
        self.process(true);
        self.message_started = None;
        if !self.failed {
            self.events.push_back(Event::PeerClosed);
        }
    }

    fn process(&mut self, eof: bool) {
        loop {
            match self.service.decode(&mut self.input, eof) {
                Ok(Some(message)) => {
                    self.decoded += 1;
                    let replied = self.service.respond(&message, &mut self.output);
                    self.events.push_back(Event::Received(message));
                    if let Err(e) = replied {
                        self.fail(ConnError::Encode(e), false);
                    }
                }
                Ok(None) => {
                    self.release_input();
                    return;
                }
                Err(e) => {
                    let recoverable = e.is_recoverable() && !eof;
                    self.fail(ConnError::Decode(e), recoverable);
                }
            }
            if self.failed {
                self.input = BytesMut::new();
                self.message_started = None;
                return;
            }
        }
    }

    /// Releases the input buffer's capacity once it holds nothing.
    fn release_input(&mut self) {
        if self.input.is_empty() && self.input.capacity() > 0 {
            self.input = BytesMut::new();
        }
    }

    fn fail(&mut self, error: ConnError, recoverable: bool) {
        let closes = !(recoverable && self.recover);
        self.events.push_back(Event::Error { error, closes });
        self.failed |= closes;
    }

    /// The bytes waiting to be written, oldest first.
    #[must_use]
    pub fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// Marks the first `n` bytes of [`pending_output`](Self::pending_output)
    /// as written (a socket write may take fewer bytes than offered). `n`
    /// larger than what is pending is capped.
    pub fn consume_output(&mut self, n: usize) {
        let n = n.min(self.output.len());
        self.output.advance(n);
        if self.output.is_empty() {
            // an idle connection keeps no buffer
            self.output = BytesMut::new();
        }
    }

    /// [`consume_output`](Self::consume_output) at time `now`: writing is
    /// activity (it resets the idle timeout).
    pub fn consume_output_at(&mut self, n: usize, now: Instant) {
        if n > 0 {
            self.last_activity = Some(now);
        }
        self.consume_output(n);
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be
    /// called: the earliest deadline, or `None` when no timeout runs (none
    /// set, no clock started, or the connection is closing).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        // a half-closed peer still has to read what is queued for it
        if self.failed || self.is_closed() {
            return None;
        }
        let idle = self
            .timeouts
            .idle
            .zip(self.last_activity)
            .and_then(|(d, t)| t.checked_add(d));
        let message = self
            .timeouts
            .message
            .zip(self.message_started)
            .and_then(|(d, t)| t.checked_add(d));
        match (idle, message) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Checks the deadlines at time `now`: when one has passed, reports
    /// [`ConnError::MessageTimeout`] or [`ConnError::IdleTimeout`] and
    /// closes the connection at once (unsent output is dropped). The idle
    /// timeout also runs after the peer half-closed while output waits for
    /// it (a peer that shuts down its side and never reads).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.failed || self.is_closed() {
            return;
        }
        let expired = |start: Option<Instant>, limit: Option<Duration>| match (start, limit) {
            (Some(t), Some(d)) => t.checked_add(d).is_some_and(|deadline| now >= deadline),
            _ => false,
        };
        let error = if expired(self.message_started, self.timeouts.message) {
            ConnError::MessageTimeout {
                limit: self.timeouts.message.unwrap_or_default(),
                buffered: self.input.len(),
            }
        } else if expired(self.last_activity, self.timeouts.idle) {
            ConnError::IdleTimeout {
                idle: self.timeouts.idle.unwrap_or_default(),
            }
        } else {
            return;
        };
        self.events.push_back(Event::Error {
            error,
            closes: true,
        });
        self.failed = true;
        self.input = BytesMut::new();
        self.output = BytesMut::new();
        self.message_started = None;
    }

    /// Takes all pending output at once, for a loop that writes it whole
    /// (a blocking `write_all`). `None` when there is none.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        if self.output.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.output).freeze())
        }
    }

    /// The next event to log, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
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
        !self.eof && !self.failed && self.output.len() <= self.high_water_mark
    }

    /// Whether there is output to write.
    #[must_use]
    pub fn wants_write(&self) -> bool {
        !self.output.is_empty()
    }

    /// Whether the connection is done: the peer closed or an error closed
    /// it, and all output has been written. Close the socket.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        (self.eof || self.failed) && self.output.is_empty()
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

/// The §1 UDP server's per-datagram logic: decode, reply policy, log line.
///
/// ```
/// use sockwire::conn::{DatagramService, Reply};
///
/// let mut server = DatagramService::new(Reply::Upper);
/// let handled = server.handle_datagram(b" hello\n");
/// let peer = "127.0.0.1:40000".parse().unwrap();
/// assert_eq!(handled.log_line(peer), "Message from 127.0.0.1:40000 ->  hello\n");
/// assert_eq!(handled.reply.as_deref(), Some(&b"HELLO"[..]));
/// ```
#[derive(Debug, Clone, Default)]
pub struct DatagramService {
    codec: TextDatagramCodec,
    reply: Reply,
}

/// What [`DatagramService::handle_datagram`] made of one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Handled {
    /// [`Event::Received`] with a [`Message::Text`], or [`Event::Error`]
    /// (never closing: only that datagram is dropped).
    pub event: Event,
    /// The datagram to send back to the sender, if any.
    pub reply: Option<Bytes>,
}

impl Handled {
    /// The server's log line: `Message from IP:PORT -> TEXT`, or
    /// `Dropped datagram from IP:PORT: REASON`.
    #[must_use]
    pub fn log_line(&self, peer: std::net::SocketAddr) -> String {
        match &self.event {
            Event::Received(Message::Text(t)) => format!("Message from {peer} -> {t}"),
            Event::Error { error, .. } => format!("Dropped datagram from {peer}: {error}"),
            other => format!("{peer}: {other}"),
        }
    }
}

impl DatagramService {
    /// A server answering with `reply`.
    #[must_use]
    pub fn new(reply: Reply) -> Self {
        DatagramService {
            codec: TextDatagramCodec::new(),
            reply,
        }
    }

    /// Handles one received datagram.
    pub fn handle_datagram(&mut self, datagram: &[u8]) -> Handled {
        match self.codec.decode_datagram(Bytes::copy_from_slice(datagram)) {
            Ok(text) => Handled {
                reply: self.reply.datagram(&text),
                event: Event::Received(Message::Text(text)),
            },
            Err(e) => Handled {
                event: Event::Error {
                    error: e.into(),
                    closes: false,
                },
                reply: None,
            },
        }
    }
}

/// The client side of a stream protocol: numbers and encodes what the user
/// types, decodes the replies, and knows whether one is still expected.
///
/// For text, a reply is expected until as many bytes came back as were
/// sent; for packets and lines, until one message came back per message
/// sent.
///
/// ```
/// use sockwire::conn::{Client, Event, Message, Protocol};
///
/// let mut client = Client::new(Protocol::Fixed);
/// let wire = client.encode_message("hi")?; // order 1
/// assert_eq!(&wire[..5], b"\x01\x00\x00\x00\x01");
/// assert!(client.awaiting_reply());
/// client.handle_input(&wire); // the server echoed it
/// assert!(matches!(client.poll_event(), Some(Event::Received(Message::Fixed(_)))));
/// assert!(!client.awaiting_reply());
/// # Ok::<(), sockwire::EncodeError>(())
/// ```
#[derive(Debug)]
pub struct Client {
    protocol: Protocol,
    conn: Connection,
    events: VecDeque<Event>,
    next_order: u32,
    /// Text: bytes still expected back; others: messages.
    awaiting: usize,
}

impl Client {
    /// A client speaking `protocol`; the first packet has order 1.
    #[must_use]
    pub fn new(protocol: Protocol) -> Self {
        Client {
            protocol,
            conn: Connection::with_service(protocol.client_service()),
            events: VecDeque::new(),
            next_order: 1,
            awaiting: 0,
        }
    }

    /// Encodes `text` as the next message (order 1, 2, …) and expects its
    /// reply.
    ///
    /// # Errors
    ///
    /// What the protocol's encoder reports; the order is then not used up.
    pub fn encode_message(&mut self, text: &str) -> Result<Bytes, EncodeError> {
        let wire = self.protocol.encode(self.next_order, text)?;
        self.next_order = self.next_order.wrapping_add(1);
        self.awaiting += match self.protocol {
            Protocol::Text => text.len(),
            _ => 1,
        };
        Ok(wire)
    }

    /// Feeds bytes read from the server.
    pub fn handle_input(&mut self, data: &[u8]) {
        self.conn.handle_input(data);
        self.collect();
    }

    /// The server closed its side.
    pub fn handle_eof(&mut self) {
        self.conn.handle_eof();
        self.collect();
    }

    fn collect(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            if let Event::Received(m) = &event {
                let got = match m {
                    Message::Text(t) => t.len(),
                    _ => 1,
                };
                self.awaiting = self.awaiting.saturating_sub(got);
            }
            self.events.push_back(event);
        }
    }

    /// The next reply (or error, or close) to report.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether a reply to what was sent is still expected.
    #[must_use]
    pub fn awaiting_reply(&self) -> bool {
        self.awaiting > 0 && !self.conn.is_closed()
    }

    /// Whether the server closed or the replies broke the protocol.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }
}
