//! [`Protocol`]: the list of built-in stream protocols, their services,
//! client encoding and dissectors.

use std::fmt;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};

use super::{BuiltinService, Message, ReplyPolicy, UnknownName};
use crate::conn::{CodecService, Service};
use crate::dump::{self, Field};
use crate::{
    DecodeError, EncodeError, Encoder, FixedPacket, FixedPacketCodec, LineCodec, TextStreamCodec,
    VariablePacket, VariablePacketCodec,
};

/// The crate's protocols by name: the stream protocols (§2 to §6) that
/// the example servers speak, and the §7 room chat, which runs over UDP
/// only.
///
/// It parses from and prints as its command-line name (`text`, `line`,
/// `fixed`, `variable`, `app`, `room`), so a command-line parser can take
/// it straight (with clap: `value_parser = PossibleValuesParser::new(Protocol::NAMES)`
/// mapped through [`str::parse`]).
///
/// [`ALL`](Self::ALL) and [`NAMES`](Self::NAMES) list the stream
/// protocols, what [`service`](Self::service) and [`encode`](Self::encode)
/// are for; [`EVERY`](Self::EVERY) adds `Room`, for tools that read
/// captures ([`dump_fields`](Self::dump_fields)). `Room` has no stream
/// form: its service refuses every byte, and it encodes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Protocol {
    /// §2 (and §1 over UDP): raw UTF-8 text, no framing.
    #[default]
    Text,
    /// §3: LF-terminated lines.
    Line,
    /// §4: the 29-byte fixed packet.
    Fixed,
    /// §5: the variable packet.
    Variable,
    /// §6: the application message; the server answers with
    /// [`SearchService`](super::SearchService), whatever the reply policy.
    #[cfg(feature = "json")]
    App,
    /// §7: the room chat, datagrams over UDP only (`room::RoomServer`
    /// and `room::RoomClient` speak it).
    Room,
}

impl Protocol {
    /// Every stream protocol, in section order: what a TCP server's
    /// command line offers.
    pub const ALL: &'static [Protocol] = streams(Self::EVERY);

    /// The names on the command line, in the order of [`ALL`](Self::ALL).
    pub const NAMES: &'static [&'static str] = streams(Self::EVERY_NAME);

    /// Every protocol, in section order: [`ALL`](Self::ALL) and the
    /// datagram-only `Room` (last).
    pub const EVERY: &'static [Protocol] = &[
        Protocol::Text,
        Protocol::Line,
        Protocol::Fixed,
        Protocol::Variable,
        #[cfg(feature = "json")]
        Protocol::App,
        Protocol::Room,
    ];

    /// The names of [`EVERY`](Self::EVERY), in its order.
    const EVERY_NAME: &'static [&'static str] = &[
        "text",
        "line",
        "fixed",
        "variable",
        #[cfg(feature = "json")]
        "app",
        "room",
    ];

    /// The name on the command line: `text`, `line`, `fixed`, `variable`,
    /// `app`, `room`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Protocol::Text => "text",
            Protocol::Line => "line",
            Protocol::Fixed => "fixed",
            Protocol::Variable => "variable",
            #[cfg(feature = "json")]
            Protocol::App => "app",
            Protocol::Room => "room",
        }
    }

    /// Whether it runs over a stream (TCP): all but `Room`.
    #[must_use]
    pub const fn on_stream(self) -> bool {
        !matches!(self, Protocol::Room)
    }

    /// Whether it runs over datagrams (UDP): `Text` (§1) and `Room` (§7).
    #[must_use]
    pub const fn on_datagram(self) -> bool {
        matches!(self, Protocol::Text | Protocol::Room)
    }

    /// The service a server runs for this protocol with this reply policy:
    /// the protocol's decoder (default limits) and
    /// [`ReplyPolicy::write`]; for `App`, the §6 server codec and a
    /// `SearchService` (the reply policy does not apply); for `Room`, which
    /// has no stream form, a service that drops every byte it is given as
    /// a [`DecodeError::FrameTooLarge`] over a limit of 0.
    #[must_use]
    pub fn service(self, reply: ReplyPolicy) -> BuiltinService {
        let respond = move |m: &Message, dst: &mut BytesMut| reply.write(m, dst);
        match self {
            Protocol::Text => Box::new(CodecService::new(
                TextStreamCodec::new(),
                Message::Text,
                respond,
            )),
            Protocol::Line => Box::new(CodecService::new(LineCodec::new(), Message::Line, respond)),
            Protocol::Fixed => Box::new(CodecService::new(
                FixedPacketCodec::new(),
                Message::Fixed,
                respond,
            )),
            Protocol::Variable => Box::new(CodecService::new(
                VariablePacketCodec::new(),
                Message::Variable,
                respond,
            )),
            #[cfg(feature = "json")]
            Protocol::App => {
                let mut search = super::SearchService::new();
                Box::new(CodecService::new(
                    crate::app::ServerCodec::new(),
                    Message::App,
                    move |m: &Message, dst: &mut BytesMut| match m {
                        Message::App(request) => {
                            crate::app::ServerCodec::new().encode(search.respond(request), dst)
                        }
                        _ => Ok(()),
                    },
                ))
            }
            Protocol::Room => Box::new(NoStream),
        }
    }

    /// The service a client runs for this protocol: it decodes the
    /// server's replies and answers nothing (for `App`, the §6 client
    /// codec: it decodes replies, not requests).
    #[must_use]
    pub fn client_service(self) -> BuiltinService {
        match self {
            #[cfg(feature = "json")]
            Protocol::App => Box::new(CodecService::new(
                crate::app::ClientCodec::new(),
                Message::AppReply,
                |_: &Message, _: &mut BytesMut| Ok::<(), EncodeError>(()),
            )),
            _ => self.service(ReplyPolicy::None),
        }
    }

    /// Encodes `text` as one message of this protocol, with sequence number
    /// `order` for the packets (ignored by the others); for `App`, a
    /// `search` request for `text`.
    ///
    /// # Errors
    ///
    /// What the protocol's encoder reports: a line holding an LF, a text
    /// over a limit; [`EncodeError::Unrepresentable`] for `Room`, which
    /// has no stream form.
    ///
    /// ```
    /// use sockwire::builtin::Protocol;
    /// let wire = Protocol::Variable.encode(1, "hello")?;
    /// assert_eq!(&wire[..], b"\x01\x00\x00\x00\x05\x00\x00\x00\x01hello");
    /// assert_eq!(&Protocol::Line.encode(1, "hello")?[..], b"hello\n");
    /// # Ok::<(), sockwire::EncodeError>(())
    /// ```
    pub fn encode(self, order: u32, text: &str) -> Result<Bytes, EncodeError> {
        let mut dst = BytesMut::new();
        self.encode_into(order, text, &mut dst)?;
        Ok(dst.freeze())
    }

    /// [`encode`](Self::encode), appending to `dst` (unchanged on error).
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode).
    pub fn encode_into(
        self,
        order: u32,
        text: &str,
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        match self {
            Protocol::Text => TextStreamCodec::new().encode(text, dst),
            Protocol::Line => LineCodec::new().encode(text, dst),
            Protocol::Fixed => FixedPacketCodec::new().encode(FixedPacket::new(order, text), dst),
            Protocol::Variable => {
                VariablePacketCodec::new().encode(VariablePacket::new(order, text), dst)
            }
            // `text` is the search value
            #[cfg(feature = "json")]
            Protocol::App => crate::app::ClientCodec::new()
                .encode(crate::app::AppRequest::new("search", text), dst),
            Protocol::Room => Err(EncodeError::Unrepresentable {
                reason: "the room chat runs over UDP only (room::RoomClient)".to_owned(),
            }),
        }
    }

    /// The dissector for one message of this protocol: its fields named,
    /// for [`dump::render`].
    ///
    /// ```
    /// use sockwire::builtin::Protocol;
    /// let f = Protocol::Variable.dump_fields(b"\x01\x00\x00\x00\x02\x00\x00\x00\x07hi");
    /// assert_eq!(f[3].value, "\"hi\"");
    /// ```
    #[must_use]
    pub fn dump_fields(self, bytes: &[u8]) -> Vec<Field> {
        match self {
            Protocol::Text => dump::text_fields(bytes),
            Protocol::Line => dump::line_fields(bytes),
            Protocol::Fixed => dump::fixed_fields(bytes),
            Protocol::Variable => dump::variable_fields(bytes),
            #[cfg(feature = "json")]
            Protocol::App => dump::app_fields(bytes),
            Protocol::Room => dump::room_fields(bytes),
        }
    }
}

/// A list in the order of [`Protocol::EVERY`] without its last entry, the
/// datagram-only `Room`: the stream protocols.
const fn streams<T>(every: &[T]) -> &[T] {
    match every.split_last() {
        Some((_room, streams)) => streams,
        None => every,
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protocol {
    type Err = UnknownName;

    /// Any name of [`EVERY`](Protocol::EVERY).
    ///
    /// ```
    /// use sockwire::builtin::Protocol;
    /// assert_eq!("fixed".parse(), Ok(Protocol::Fixed));
    /// assert_eq!("room".parse(), Ok(Protocol::Room));
    /// ```
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Protocol::EVERY
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownName::new("protocol", s, Protocol::EVERY_NAME))
    }
}

/// The stream service of a protocol that has none (§7): every byte is
/// dropped as a frame over a limit of 0, and nothing is answered.
struct NoStream;

impl Service for NoStream {
    type Item = Message;
    type Error = DecodeError;
    type ReplyError = EncodeError;

    fn decode(&mut self, src: &mut BytesMut, _eof: bool) -> Result<Option<Message>, DecodeError> {
        if src.is_empty() {
            return Ok(None);
        }
        let size = src.len() as u64;
        src.clear();
        Err(DecodeError::FrameTooLarge { size, max: 0 })
    }

    fn respond(&mut self, _: &Message, _: &mut BytesMut) -> Result<(), EncodeError> {
        Ok(())
    }
}
