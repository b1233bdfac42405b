//! [`Client`]: the client side of a built-in stream protocol, with its
//! reply counting.

use std::collections::VecDeque;
use std::fmt;

use bytes::{Buf, BytesMut};

use super::{BuiltinService, Message, Protocol};
use crate::EncodeError;
use crate::conn::{Event, Service};

/// The client side of a built-in stream protocol: numbers and encodes what
/// the user types, decodes the replies, and knows whether one is still
/// expected.
///
/// A stream machine like the others: [`send_message`](Self::send_message)
/// appends to an output buffer, [`pending_output`](Self::pending_output) is
/// what to write, [`consume_output`](Self::consume_output) says how much
/// the socket took. It has no timer, so no call takes `now`.
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
/// client.send_message("hi")?; // order 1
/// let wire = client.pending_output().to_vec();
/// assert_eq!(&wire[..5], b"\x01\x00\x00\x00\x01");
/// client.consume_output(wire.len()); // the socket took it all
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
    output: BytesMut,
    events: VecDeque<Event<BuiltinService>>,
    next_order: u32,
    /// Text: bytes still expected back; others: messages.
    awaiting: usize,
    /// The server closed its side (its last replies may still be in
    /// `input`).
    eof: bool,
    /// The server closed and every reply is out, or its replies broke the
    /// protocol.
    closed: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("protocol", &self.protocol)
            .field("input", &self.input.len())
            .field("output", &self.output.len())
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
            output: BytesMut::new(),
            events: VecDeque::new(),
            next_order: 1,
            awaiting: 0,
            eof: false,
            closed: false,
        }
    }

    /// Encodes `text` as the next message (order 1, 2, …) at the end of
    /// the output, and expects its reply.
    ///
    /// # Errors
    ///
    /// What the protocol's encoder reports; the output is then unchanged
    /// and the order not used up.
    pub fn send_message(&mut self, text: &str) -> Result<(), EncodeError> {
        self.protocol
            .encode_into(self.next_order, text, &mut self.output)?;
        self.next_order = self.next_order.wrapping_add(1);
        self.awaiting += match self.protocol {
            Protocol::Text => text.len(),
            _ => 1,
        };
        Ok(())
    }

    /// The bytes to write to the server.
    #[must_use]
    pub fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// The socket took the first `n` bytes of
    /// [`pending_output`](Self::pending_output) (all of it if `n` is more).
    pub fn consume_output(&mut self, n: usize) {
        self.output.advance(n.min(self.output.len()));
    }

    /// The most events the client holds: input past them waits, undecoded,
    /// until [`poll_event`](Self::poll_event) makes room.
    pub const MAX_EVENTS: usize = 1024;

    /// Feeds bytes read from the server.
    pub fn handle_input(&mut self, data: &[u8]) {
        if self.closed {
            return;
        }
        self.input.extend_from_slice(data);
        self.decode();
    }

    /// The server closed its side.
    pub fn handle_eof(&mut self) {
        if self.closed {
            return;
        }
        self.eof = true;
        self.decode();
    }

    /// Decodes replies while there is room for their events; at the end of
    /// the stream, once all are out, reports the close.
    fn decode(&mut self) {
        while !self.closed && self.events.len() < Self::MAX_EVENTS {
            match self.service.decode(&mut self.input, self.eof) {
                Ok(Some(message)) => {
                    let got = match &message {
                        Message::Text(t) => t.len(),
                        _ => 1,
                    };
                    self.awaiting = self.awaiting.saturating_sub(got);
                    self.events.push_back(Event::Received(message));
                }
                Ok(None) => {
                    if self.eof {
                        self.closed = true;
                        self.events.push_back(Event::PeerClosed);
                    }
                    return;
                }
                Err(error) => {
                    self.events.push_back(Event::PeerError {
                        error,
                        closes: true,
                    });
                    self.closed = true;
                    self.input = BytesMut::new();
                }
            }
        }
    }

    /// The next reply (or error, or close) to report.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<BuiltinService>> {
        let event = self.events.pop_front();
        self.decode();
        event
    }

    /// Whether a reply to what was sent is still expected.
    #[must_use]
    pub fn awaiting_reply(&self) -> bool {
        self.awaiting > 0 && !self.closed
    }

    /// Whether the client is finished (the server closed, or its replies
    /// broke the protocol) and has nothing left to send.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed && self.output.is_empty()
    }
}
