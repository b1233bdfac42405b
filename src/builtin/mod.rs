//! The built-in behaviour: what the example programs do with the wire
//! and the machines.
//!
//! The wire layer (codecs) and the machines ([`crate::conn`],
//! [`crate::room`], [`crate::chat`]) know no list of protocols and no
//! server policy. What the example programs do with them lives
//! here:
//!
//! - [`Protocol`]: the stream protocols a server can speak, by their
//!   command-line names, each as a [`BuiltinService`] for
//!   [`Connection`](crate::conn::Connection) ([`Protocol::service`]), a
//!   client encoding ([`Protocol::encode`]) and a dissector
//!   ([`Protocol::dump_fields`]);
//! - [`Message`]: one decoded message of any of them, whose `Display` is
//!   the servers' log line;
//! - [`ReplyPolicy`]: what a server sends back (`none`, `echo`, `upper`);
//! - `SearchService` (feature `json`): the §6 server's search table;
//! - [`DatagramService`]: the §1 UDP server, with its
//!   `Message from {peer} -> …` log line;
//! - [`Client`]: the client side, counting the replies it still expects.
//!
//! ```
//! use std::time::Instant;
//! use sockwire::builtin::{Protocol, ReplyPolicy};
//! use sockwire::conn::{Connection, ConnectionConfig, Event};
//!
//! let protocol: Protocol = "line".parse()?;
//! let reply: ReplyPolicy = "upper".parse()?;
//! let now = Instant::now();
//! let mut conn = Connection::new(now, protocol.service(reply), ConnectionConfig::default());
//! conn.handle_input(now, b"hello\n");
//! assert_eq!(conn.poll_event().map(|e| e.to_string()).as_deref(), Some(r#"line "hello""#));
//! assert_eq!(conn.pending_output(), b"HELLO\n");
//! # Ok::<(), sockwire::builtin::UnknownName>(())
//! ```

use thiserror::Error;

use crate::conn::Service;
use crate::{DecodeError, EncodeError};

mod client;
mod datagram;
mod message;
mod protocol;
mod reply;
#[cfg(feature = "json")]
mod search;

pub use client::Client;
pub use datagram::{DatagramService, HandledDatagram};
pub use message::Message;
pub use protocol::Protocol;
pub use reply::{ReplyPolicy, upper_reply};
#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub use search::SearchService;

/// The one service type of every built-in protocol: what
/// [`Protocol::service`] and [`Protocol::client_service`] give, ready for
/// [`Connection`](crate::conn::Connection).
pub type BuiltinService =
    Box<dyn Service<Item = Message, Error = DecodeError, ReplyError = EncodeError> + Send>;

/// A name that is not a reply policy or protocol.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown {what} {name:?} (expected one of: {})", expected.join(", "))]
pub struct UnknownName {
    what: &'static str,
    name: String,
    expected: &'static [&'static str],
}

impl UnknownName {
    fn new(what: &'static str, name: &str, expected: &'static [&'static str]) -> Self {
        UnknownName {
            what,
            name: name.to_owned(),
            expected,
        }
    }
}
