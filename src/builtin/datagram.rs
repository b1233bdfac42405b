//! [`DatagramService`]: the §1 UDP server's per-datagram logic and log
//! line.

use std::net::SocketAddr;

use bytes::Bytes;

use super::ReplyPolicy;
use crate::{DatagramDecoder, DecodeError, Text, TextDatagramCodec};

/// The §1 UDP server's per-datagram logic: decode, reply policy, log line.
///
/// ```
/// use sockwire::builtin::{DatagramService, ReplyPolicy};
///
/// let mut server = DatagramService::new(ReplyPolicy::Upper);
/// let handled = server.handle_datagram(b" hello\n");
/// let peer = "127.0.0.1:40000".parse().unwrap();
/// assert_eq!(handled.log_line(peer), "Message from 127.0.0.1:40000 ->  hello\n");
/// assert_eq!(handled.reply.as_deref(), Some(&b"HELLO"[..]));
/// ```
#[derive(Debug, Clone, Default)]
pub struct DatagramService {
    codec: TextDatagramCodec,
    reply: ReplyPolicy,
}

/// What [`DatagramService::handle_datagram`] made of one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandledDatagram {
    /// The text, or why the datagram was dropped (only that datagram: the
    /// server goes on).
    pub received: Result<Text, DecodeError>,
    /// The datagram to send back to the sender, if any.
    pub reply: Option<Bytes>,
}

impl HandledDatagram {
    /// The server's log line: `Message from IP:PORT -> TEXT`, or
    /// `Dropped datagram from IP:PORT: REASON`.
    #[must_use]
    pub fn log_line(&self, peer: SocketAddr) -> String {
        match &self.received {
            Ok(text) => format!("Message from {peer} -> {text}"),
            Err(error) => format!("Dropped datagram from {peer}: {error}"),
        }
    }
}

impl DatagramService {
    /// A server answering with `reply`.
    #[must_use]
    pub fn new(reply: ReplyPolicy) -> Self {
        DatagramService {
            codec: TextDatagramCodec::new(),
            reply,
        }
    }

    /// Handles one received datagram.
    pub fn handle_datagram(&mut self, datagram: &[u8]) -> HandledDatagram {
        let received = self.codec.decode_datagram(Bytes::copy_from_slice(datagram));
        HandledDatagram {
            reply: received
                .as_ref()
                .ok()
                .and_then(|text| self.reply.datagram(text)),
            received,
        }
    }
}
