//! The peer-to-peer line chat of PROTOCOLS.md §3, as a sans-IO session.
//!
//! A [`ChatSession`] sits on one TCP connection. Lines the person types go
//! in through [`send_line`](ChatSession::send_line) and come out of
//! [`poll_transmit`](ChatSession::poll_transmit) as bytes to write (the
//! line and its LF); typing `:q` sends nothing and asks to close. Bytes read
//! from the socket go in through [`handle_input`](ChatSession::handle_input)
//! and [`handle_eof`](ChatSession::handle_eof) and come out of
//! [`poll_event`](ChatSession::poll_event) as lines, errors, and
//! [`ChatEvent::PeerClosed`].
//!
//! ```
//! use sockwire::{ChatEvent, ChatSession};
//!
//! let mut chat = ChatSession::new();
//! chat.send_line("hello")?;
//! assert_eq!(&chat.poll_transmit().unwrap()[..], b"hello\n");
//! chat.handle_input(b"hi the");
//! assert_eq!(chat.poll_event(), None);
//! chat.handle_input(b"re\r\n");
//! assert_eq!(chat.poll_event(), Some(ChatEvent::Line("hi there".into())));
//! chat.handle_eof();
//! assert_eq!(chat.poll_event(), Some(ChatEvent::PeerClosed));
//! chat.send_line(":q")?;
//! assert!(chat.is_closed());
//! assert_eq!(chat.poll_transmit(), None); // `:q` is not sent
//! # Ok::<(), sockwire::EncodeError>(())
//! ```

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use crate::{DecodeError, Decoder, EncodeError, Encoder, LineCodec, Text};

/// The line that ends the chat; it is not sent.
pub const QUIT: &str = ":q";

/// What arrived from the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// A line (without its LF or CR).
    Line(Text),
    /// A line the codec refused (too long, invalid UTF-8); the chat goes on.
    Malformed(DecodeError),
    /// The peer closed the connection.
    PeerClosed,
}

/// What [`ChatSession::send_line`] did with a typed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineAction {
    /// The line was encoded; write [`ChatSession::poll_transmit`].
    Sent,
    /// The line was `:q`: nothing is sent; close the connection.
    Close,
}

/// One side of a line chat: a [`LineCodec`] in each direction and the
/// `:q` rule.
#[derive(Debug, Clone, Default)]
pub struct ChatSession {
    codec: LineCodec,
    input: BytesMut,
    output: VecDeque<Bytes>,
    events: VecDeque<ChatEvent>,
    closed: bool,
    peer_closed: bool,
}

impl ChatSession {
    /// A session with the default line limit (64 KiB).
    #[must_use]
    pub fn new() -> Self {
        Self::with_codec(LineCodec::new())
    }

    /// A session using `codec` (for its line limit).
    #[must_use]
    pub fn with_codec(codec: LineCodec) -> Self {
        ChatSession {
            codec,
            input: BytesMut::new(),
            output: VecDeque::new(),
            events: VecDeque::new(),
            closed: false,
            peer_closed: false,
        }
    }

    /// Takes a line the person typed (without its line ending). `:q`
    /// closes the session and is not sent; after that, lines are ignored.
    ///
    /// # Errors
    ///
    /// The codec's [`EncodeError`] (a line with an LF, or over the limit);
    /// nothing is sent then.
    pub fn send_line(&mut self, line: &str) -> Result<LineAction, EncodeError> {
        if self.closed || line == QUIT {
            self.closed = true;
            return Ok(LineAction::Close);
        }
        let mut buf = BytesMut::new();
        self.codec.encode(line, &mut buf)?;
        self.output.push_back(buf.freeze());
        Ok(LineAction::Sent)
    }

    /// Takes bytes read from the peer.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if self.peer_closed {
            return;
        }
        self.input.extend_from_slice(bytes);
        loop {
            match self.codec.decode(&mut self.input) {
                Ok(Some(line)) => self.events.push_back(ChatEvent::Line(line)),
                Ok(None) => break,
                Err(e) => self.events.push_back(ChatEvent::Malformed(e)),
            }
        }
    }

    /// The peer closed its side: yields an unterminated last line, then
    /// [`ChatEvent::PeerClosed`].
    pub fn handle_eof(&mut self) {
        if self.peer_closed {
            return;
        }
        loop {
            match self.codec.decode_eof(&mut self.input) {
                Ok(Some(line)) => self.events.push_back(ChatEvent::Line(line)),
                Ok(None) => break,
                Err(e) => self.events.push_back(ChatEvent::Malformed(e)),
            }
        }
        self.peer_closed = true;
        self.events.push_back(ChatEvent::PeerClosed);
    }

    /// The next bytes to write to the peer.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.output.pop_front()
    }

    /// The next thing that arrived.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ChatEvent> {
        self.events.pop_front()
    }

    /// Whether `:q` was typed: the connection should be closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether the peer closed the connection.
    #[must_use]
    pub fn is_peer_closed(&self) -> bool {
        self.peer_closed
    }
}

impl std::fmt::Display for ChatEvent {
    /// A line for a person to read.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChatEvent::Line(line) => write!(f, "peer> {line}"),
            ChatEvent::Malformed(e) => write!(f, "(bad line from peer: {e})"),
            ChatEvent::PeerClosed => write!(f, "peer closed the connection"),
        }
    }
}
