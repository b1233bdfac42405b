//! [`ReplyPolicy`]: what the built-in servers send back.

use std::fmt;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};

use super::{Message, UnknownName};
use crate::{
    EncodeError, Encoder, FixedPacket, FixedPacketCodec, LineCodec, TextStreamCodec,
    VariablePacket, VariablePacketCodec,
};

/// What a server sends back for each message.
///
/// | policy | text (§1 UDP) | text stream (§2) and line (§3) | fixed (§4) and variable (§5) packet |
/// |---|---|---|---|
/// | `None` | nothing | nothing | nothing |
/// | `Echo` | the same bytes | the same bytes | the same bytes |
/// | `Upper` | [`upper_reply`]: ASCII whitespace stripped, upper-cased | the text upper-cased, nothing stripped | same version and order, text upper-cased (see below) |
/// | `Prefix(p)` | `p` then the same bytes | `p` then the text (a line keeps its LF) | same version and order, `p` before the text (§4: cut to 20 bytes at a character boundary) |
///
/// # On streams and packets
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
/// A prefix goes before the message:
///
/// - text stream: the prefix, then the text;
/// - line: the prefix, the line, LF;
/// - fixed packet: same version and order, the text is the prefix and
///   the received text, encoded as any §4 text ([`FixedPacket::new`]:
///   padded, cut to 20 bytes, so what decodes ends at a character
///   boundary); the size is the prefix's characters plus the received
///   size, so a reply that did not fit says it was truncated;
/// - variable packet: same version and order, the prefix bytes then
///   the payload bytes.
///
/// The §6 application protocol ([`Protocol::App`](super::Protocol)) answers
/// by its own rules whatever the policy.
///
/// Not `Copy`, and `#[non_exhaustive]`: a policy carries data (the
/// prefix), and more can join without breaking users.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyPolicy {
    /// No reply: the server only logs.
    None,
    /// The same bytes back.
    #[default]
    Echo,
    /// The text upper-cased.
    Upper,
    /// This text, then the message: the lab's `serverTCP.py` answers
    /// `"ECHO: " + msg` ([`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX)).
    Prefix(String),
}

impl ReplyPolicy {
    /// The names on the command line, in the order it lists them.
    pub const NAMES: &'static [&'static str] = &["none", "echo", "upper", "prefix"];

    /// The prefix of [`ReplyPolicy::Prefix`] when none is given (the name
    /// `prefix` parses to it): `"ECHO: "`, as the lab's servers answer.
    pub const DEFAULT_PREFIX: &'static str = "ECHO: ";

    /// The name on the command line: `none`, `echo`, `upper` or `prefix`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            ReplyPolicy::None => "none",
            ReplyPolicy::Echo => "echo",
            ReplyPolicy::Upper => "upper",
            ReplyPolicy::Prefix(_) => "prefix",
        }
    }

    /// `self`, with the prefix of a [`ReplyPolicy::Prefix`] replaced by
    /// `prefix` (other policies are returned as they are): how a command
    /// line's `--prefix TEXT` applies to `--reply prefix`.
    ///
    /// ```
    /// use sockwire::builtin::ReplyPolicy;
    /// let reply: ReplyPolicy = "prefix".parse()?;
    /// assert_eq!(reply, ReplyPolicy::Prefix("ECHO: ".into()));
    /// assert_eq!(reply.with_prefix("re: "), ReplyPolicy::Prefix("re: ".into()));
    /// assert_eq!(ReplyPolicy::Echo.with_prefix("re: "), ReplyPolicy::Echo);
    /// # Ok::<(), sockwire::builtin::UnknownName>(())
    /// ```
    #[must_use]
    pub fn with_prefix(self, prefix: &str) -> Self {
        match self {
            ReplyPolicy::Prefix(_) => ReplyPolicy::Prefix(prefix.to_owned()),
            other => other,
        }
    }

    /// Appends the reply to a stream `message` to `dst` (nothing for
    /// [`ReplyPolicy::None`]).
    ///
    /// The rules for each protocol are in [`ReplyPolicy`]'s docs.
    ///
    /// # Errors
    ///
    /// What the protocol's encoder reports (an upper-cased variable
    /// payload that grows past the limit). `dst` is then unchanged.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sockwire::builtin::{Message, ReplyPolicy};
    /// use sockwire::VariablePacket;
    ///
    /// let mut out = BytesMut::new();
    /// let msg = Message::Variable(VariablePacket::new(2, "straße"));
    /// ReplyPolicy::Upper.write(&msg, &mut out)?;
    /// assert_eq!(&out[..], b"\x01\x00\x00\x00\x07\x00\x00\x00\x02STRASSE");
    ///
    /// let mut out = BytesMut::new();
    /// let msg = Message::Variable(VariablePacket::new(3, "hi"));
    /// ReplyPolicy::Prefix("ECHO: ".into()).write(&msg, &mut out)?;
    /// assert_eq!(&out[..], b"\x01\x00\x00\x00\x08\x00\x00\x00\x03ECHO: hi");
    /// # Ok::<(), sockwire::EncodeError>(())
    /// ```
    pub fn write(&self, message: &Message, dst: &mut BytesMut) -> Result<(), EncodeError> {
        match (self, message) {
            (ReplyPolicy::None, _) => Ok(()),
            (ReplyPolicy::Echo, Message::Text(t)) => TextStreamCodec::new().encode(t.clone(), dst),
            (ReplyPolicy::Upper, Message::Text(t)) => {
                TextStreamCodec::new().encode(&*t.to_uppercase(), dst)
            }
            (ReplyPolicy::Echo, Message::Line(t)) => LineCodec::new().encode(t.clone(), dst),
            (ReplyPolicy::Upper, Message::Line(t)) => {
                LineCodec::new().encode(&*t.to_uppercase(), dst)
            }
            (ReplyPolicy::Echo, Message::Fixed(p)) => FixedPacketCodec::new().encode(p, dst),
            (ReplyPolicy::Upper, Message::Fixed(p)) => {
                FixedPacketCodec::new().encode(upper_fixed(p), dst)
            }
            (ReplyPolicy::Echo, Message::Variable(p)) => {
                VariablePacketCodec::with_max_len(usize::MAX).encode(p, dst)
            }
            (ReplyPolicy::Upper, Message::Variable(p)) => {
                VariablePacketCodec::with_max_len(usize::MAX).encode(upper_variable(p), dst)
            }
            (ReplyPolicy::Prefix(prefix), Message::Text(t)) => {
                TextStreamCodec::new().encode(&*format!("{prefix}{t}"), dst)
            }
            (ReplyPolicy::Prefix(prefix), Message::Line(t)) => {
                LineCodec::new().encode(&*format!("{prefix}{t}"), dst)
            }
            (ReplyPolicy::Prefix(prefix), Message::Fixed(p)) => {
                FixedPacketCodec::new().encode(prefixed_fixed(prefix, p), dst)
            }
            (ReplyPolicy::Prefix(prefix), Message::Variable(p)) => {
                let mut payload = BytesMut::with_capacity(prefix.len() + p.payload().len());
                payload.extend_from_slice(prefix.as_bytes());
                payload.extend_from_slice(p.payload());
                let reply = VariablePacket::from_payload(p.order(), payload.freeze())
                    .with_version(p.version());
                VariablePacketCodec::with_max_len(usize::MAX).encode(reply, dst)
            }
            // §6 answers by its own rules (SearchService), not by a policy
            #[cfg(feature = "json")]
            (_, Message::App(_) | Message::AppReply(_)) => Ok(()),
        }
    }

    /// The reply to a §1 text datagram, if any: the same bytes (echo),
    /// [`upper_reply`] (upper), or the prefix then the same bytes.
    ///
    /// ```
    /// use sockwire::builtin::ReplyPolicy;
    /// assert_eq!(ReplyPolicy::Upper.datagram(" x y\r\n").as_deref(), Some(&b"X Y"[..]));
    /// assert_eq!(ReplyPolicy::None.datagram("x"), None);
    /// let echo = ReplyPolicy::Prefix(ReplyPolicy::DEFAULT_PREFIX.into());
    /// assert_eq!(echo.datagram("hi").as_deref(), Some(&b"ECHO: hi"[..]));
    /// ```
    #[must_use]
    pub fn datagram(&self, text: &str) -> Option<Bytes> {
        match self {
            ReplyPolicy::None => None,
            ReplyPolicy::Echo => Some(Bytes::copy_from_slice(text.as_bytes())),
            ReplyPolicy::Upper => Some(Bytes::from(upper_reply(text))),
            ReplyPolicy::Prefix(prefix) => Some(Bytes::from(format!("{prefix}{text}"))),
        }
    }
}

/// The `upper` reply of the text servers: leading and trailing ASCII
/// whitespace stripped, then upper-cased (Unicode, like Python's
/// `str.upper`).
///
/// ```
/// assert_eq!(sockwire::builtin::upper_reply(" x y\r\n"), "X Y");
/// ```
#[must_use]
pub fn upper_reply(text: &str) -> String {
    text.trim_matches(|c: char| c.is_ascii_whitespace())
        .to_uppercase()
}

/// The prefix reply to a fixed packet: see [`ReplyPolicy::write`].
fn prefixed_fixed(prefix: &str, p: &FixedPacket) -> FixedPacket {
    // encoded as any §4 text: padded, cut to 20 bytes; a cut inside a
    // character leaves it out of the decoded text (which ends at a
    // character boundary)
    let packet = FixedPacket::new(p.order(), &format!("{prefix}{}", p.text()));
    let declared = u32::try_from(prefix.chars().count())
        .unwrap_or(u32::MAX)
        .saturating_add(p.size());
    FixedPacket::from_parts(p.version(), p.order(), declared, *packet.field())
}

/// The upper reply to a fixed packet: see [`ReplyPolicy::write`].
fn upper_fixed(p: &FixedPacket) -> FixedPacket {
    let upper = FixedPacket::new(p.order(), &p.text().to_uppercase());
    let size = if p.is_truncated() {
        p.size()
    } else {
        upper.size()
    };
    FixedPacket::from_parts(p.version(), p.order(), size, *upper.field())
}

/// The upper reply to a variable packet: see [`ReplyPolicy::write`].
fn upper_variable(p: &VariablePacket) -> VariablePacket {
    let payload = match p.text() {
        Ok(text) => Bytes::from(text.to_uppercase()),
        Err(_) => Bytes::from(p.payload().to_ascii_uppercase()),
    };
    VariablePacket::from_payload(p.order(), payload).with_version(p.version())
}

impl fmt::Display for ReplyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReplyPolicy {
    type Err = UnknownName;

    /// ```
    /// use sockwire::builtin::ReplyPolicy;
    /// assert_eq!("upper".parse(), Ok(ReplyPolicy::Upper));
    /// assert!("shout".parse::<ReplyPolicy>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        [
            ReplyPolicy::None,
            ReplyPolicy::Echo,
            ReplyPolicy::Upper,
            ReplyPolicy::Prefix(ReplyPolicy::DEFAULT_PREFIX.to_owned()),
        ]
        .into_iter()
        .find(|r| r.name() == s)
        .ok_or_else(|| UnknownName::new("reply", s, ReplyPolicy::NAMES))
    }
}
