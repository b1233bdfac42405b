//! [`ReplyPolicy`]: what the built-in servers send back.

use std::fmt;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};

use super::{Message, UnknownName};
use crate::{
    EncodeError, Encoder, FixedPacket, FixedPacketCodec, LineCodec, TextStreamCodec,
    VariablePacket, VariablePacketCodec, text,
};

/// What a server sends back for each message.
///
/// | policy | text (§1 UDP) | text stream (§2) and line (§3) | fixed (§4) and variable (§5) packet |
/// |---|---|---|---|
/// | `None` | nothing | nothing | nothing |
/// | `Echo` | the same bytes | the same bytes | the same bytes |
/// | `Upper` | [`text::upper_reply`]: ASCII whitespace stripped, upper-cased | the text upper-cased, nothing stripped | same version and order, text upper-cased (see [`ReplyPolicy::write`]) |
///
/// The §6 application protocol ([`Protocol::App`](super::Protocol)) answers
/// by its own rules whatever the policy.
///
/// Not `Copy`, and `#[non_exhaustive]`: a policy that carries data (a
/// prefix) can join without breaking users.
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
}

impl ReplyPolicy {
    /// The names on the command line, in the order it lists them.
    pub const NAMES: &'static [&'static str] = &["none", "echo", "upper"];

    /// The name on the command line: `none`, `echo` or `upper`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            ReplyPolicy::None => "none",
            ReplyPolicy::Echo => "echo",
            ReplyPolicy::Upper => "upper",
        }
    }

    /// Appends the reply to a stream `message` to `dst` (nothing for
    /// [`ReplyPolicy::None`]).
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
    /// use sockwire::builtin::{Message, ReplyPolicy};
    /// use sockwire::VariablePacket;
    ///
    /// let mut out = BytesMut::new();
    /// let msg = Message::Variable(VariablePacket::new(2, "straße"));
    /// ReplyPolicy::Upper.write(&msg, &mut out)?;
    /// assert_eq!(&out[..], b"\x01\x00\x00\x00\x07\x00\x00\x00\x02STRASSE");
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
            // §6 answers by its own rules (SearchService), not by a policy
            #[cfg(feature = "json")]
            (_, Message::App(_) | Message::AppReply(_)) => Ok(()),
        }
    }

    /// The reply to a §1 text datagram, if any: the same bytes (echo) or
    /// [`text::upper_reply`] (upper).
    ///
    /// ```
    /// use sockwire::builtin::ReplyPolicy;
    /// assert_eq!(ReplyPolicy::Upper.datagram(" x y\r\n").as_deref(), Some(&b"X Y"[..]));
    /// assert_eq!(ReplyPolicy::None.datagram("x"), None);
    /// ```
    #[must_use]
    pub fn datagram(&self, text: &str) -> Option<Bytes> {
        match self {
            ReplyPolicy::None => None,
            ReplyPolicy::Echo => Some(Bytes::copy_from_slice(text.as_bytes())),
            ReplyPolicy::Upper => Some(Bytes::from(text::upper_reply(text))),
        }
    }
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
        [ReplyPolicy::None, ReplyPolicy::Echo, ReplyPolicy::Upper]
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| UnknownName::new("reply", s, ReplyPolicy::NAMES))
    }
}
