//! [`Protocol`]: the list of built-in stream protocols, their services,
//! client encoding and dissectors.

use std::fmt;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};

use super::{BuiltinService, Message, ReplyPolicy, UnknownName};
use crate::conn::CodecService;
use crate::dump::{self, Field};
use crate::{
    EncodeError, Encoder, FixedPacket, FixedPacketCodec, LineCodec, TextStreamCodec,
    VariablePacket, VariablePacketCodec,
};

/// The stream protocols (§2 to §6) that the example servers speak.
///
/// It parses from and prints as its command-line name (`text`, `line`,
/// `fixed`, `variable`, `app`), so a command-line parser can take it
/// straight (with clap: `value_parser = PossibleValuesParser::new(Protocol::NAMES)`
/// mapped through [`str::parse`]).
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
    /// [`SearchService`](super::SearchService), whatever the reply policy.
    #[cfg(feature = "json")]
    App,
}

impl Protocol {
    /// Every protocol, in section order.
    pub const ALL: &'static [Protocol] = &[
        Protocol::Text,
        Protocol::Line,
        Protocol::Fixed,
        Protocol::Variable,
        #[cfg(feature = "json")]
        Protocol::App,
    ];

    /// The names on the command line, in the order of [`ALL`](Self::ALL).
    pub const NAMES: &'static [&'static str] = &[
        "text",
        "line",
        "fixed",
        "variable",
        #[cfg(feature = "json")]
        "app",
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
    /// the protocol's decoder (default limits) and
    /// [`ReplyPolicy::write`]; for `App`, the §6 server codec and a
    /// `SearchService` (the reply policy does not apply).
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
    /// over a limit.
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
        }
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
    /// use sockwire::builtin::Protocol;
    /// assert_eq!("fixed".parse(), Ok(Protocol::Fixed));
    /// ```
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        Protocol::ALL
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownName::new("protocol", s, Protocol::NAMES))
    }
}
