//! [`Message`]: one decoded message of any built-in protocol, and its log
//! form.

use std::fmt;

use crate::{FixedPacket, Text, VariablePacket};

/// One decoded message of any built-in protocol, as the built-in services
/// report it.
///
/// The `Display` form is the servers' log line: `text "…"`, `line "…"`,
/// `fixed packet #1 v1 size=2 "hi"`, `variable packet #1 v1 size=5 "hello"`,
/// `app request search "ring"`, `app reply "…"`.
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
