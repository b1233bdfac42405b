//! [`Client`]: the client side of a built-in stream protocol, with its
//! reply counting.

use std::collections::VecDeque;
use std::fmt;

use bytes::{Bytes, BytesMut};

use super::{BuiltinService, Message, Protocol};
use crate::EncodeError;
use crate::conn::{Event, Service};

/// The client side of a built-in stream protocol: numbers and encodes what
/// the user types, decodes the replies, and knows whether one is still
/// expected.
///
/// For text, a reply is expected until as many bytes came back as were
/// sent; for packets and lines, until one message came back per message
/// sent. The first error in the replies closes the client.
///
/// ```
/// use sockwire::builtin::{Client, Message, Protocol};
/// use sockwire::conn::Event;
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
pub struct Client {
    protocol: Protocol,
    service: BuiltinService,
    input: BytesMut,
    events: VecDeque<Event<BuiltinService>>,
    next_order: u32,
    /// Text: bytes still expected back; others: messages.
    awaiting: usize,
    /// The server closed, or its replies broke the protocol.
    closed: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("protocol", &self.protocol)
            .field("input", &self.input.len())
            .field("next_order", &self.next_order)
            .field("awaiting", &self.awaiting)
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client speaking `protocol`; the first packet has order 1.
    #[must_use]
    pub fn new(protocol: Protocol) -> Self {
        Client {
            protocol,
            service: protocol.client_service(),
            input: BytesMut::new(),
            events: VecDeque::new(),
            next_order: 1,
            awaiting: 0,
            closed: false,
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
        if self.closed {
            return;
        }
        self.input.extend_from_slice(data);
        self.decode(false);
    }

    /// The server closed its side.
    pub fn handle_eof(&mut self) {
        if self.closed {
            return;
        }
        self.decode(true);
        if !self.closed {
            self.closed = true;
            self.events.push_back(Event::PeerClosed);
        }
    }

    fn decode(&mut self, eof: bool) {
        loop {
            match self.service.decode(&mut self.input, eof) {
                Ok(Some(message)) => {
                    let got = match &message {
                        Message::Text(t) => t.len(),
                        _ => 1,
                    };
                    self.awaiting = self.awaiting.saturating_sub(got);
                    self.events.push_back(Event::Received(message));
                }
                Ok(None) => return,
                Err(error) => {
                    self.events.push_back(Event::PeerError {
                        error,
                        closes: true,
                    });
                    self.closed = true;
                    self.input = BytesMut::new();
                    return;
                }
            }
        }
    }

    /// The next reply (or error, or close) to report.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<BuiltinService>> {
        self.events.pop_front()
    }

    /// Whether a reply to what was sent is still expected.
    #[must_use]
    pub fn awaiting_reply(&self) -> bool {
        self.awaiting > 0 && !self.closed
    }

    /// Whether the server closed or the replies broke the protocol.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}
