//! The peer-to-peer line chat (§3: LF-terminated UTF-8 lines both ways, `:q` to leave), as a sans-IO session.
//!
//! A [`ChatSession`] sits on one TCP connection. It is a stream machine, so
//! its output model is the stream one (see the crate docs): lines the
//! person types go in through [`send_line`](ChatSession::send_line) and
//! wait, as bytes (each line and its LF), in
//! [`pending_output`](ChatSession::pending_output) until
//! [`consume_output`](ChatSession::consume_output) says how many a socket
//! write took (a write may be partial; the session keeps the rest). Typing
//! `:q` sends nothing and asks to close. Bytes read from the socket go in
//! through [`handle_input`](ChatSession::handle_input) and
//! [`handle_eof`](ChatSession::handle_eof) and come out of
//! [`poll_event`](ChatSession::poll_event) as lines, errors, and
//! [`ChatEvent::PeerClosed`].
//!
//! The chat has no timers, so no call takes `now`: the crate's rule is
//! that a call that can move a deadline takes `now`, and nothing here has a
//! deadline (there is no `poll_timeout`). A program that wants an idle
//! timeout keeps it itself.
//!
//! # Driving it
//!
//! One turn: feed what was read (`handle_input`, or `handle_eof` at end of
//! stream) and what the person typed (`send_line`), drain `poll_event`
//! (show it), then write `pending_output()` and `consume_output(n)` what
//! the write took. Close the connection once
//! [`is_closed`](ChatSession::is_closed): `:q` was typed
//! ([`has_quit`](ChatSession::has_quit)) or the peer closed, and the
//! output is written.
//!
//! ```
//! use std::io::{self, Read, Write};
//! use sockwire::ChatSession;
//!
//! /// One turn over any byte stream (a `TcpStream` in `tcp_chat`).
//! fn turn(chat: &mut ChatSession, stream: &mut (impl Read + Write), typed: &[&str]) -> io::Result<()> {
//!     let mut buf = [0; 4096];
//!     match stream.read(&mut buf)? {
//!         0 => chat.handle_eof(), // 1: input
//!         n => chat.handle_input(&buf[..n]),
//!     }
//!     for line in typed {
//!         chat.send_line(line).map_err(io::Error::other)?;
//!     }
//!     while let Some(event) = chat.poll_event() {
//!         println!("{event}"); // 2: events
//!     }
//!     while !chat.pending_output().is_empty() {
//!         let n = stream.write(chat.pending_output())?; // 3: output
//!         chat.consume_output(n);
//!     }
//!     Ok(())
//! }
//!
//! /// A peer that said one line and takes two bytes per write.
//! struct Peer { said: &'static [u8], heard: Vec<u8> }
//! impl Read for Peer {
//!     fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> { self.said.read(buf) }
//! }
//! impl Write for Peer {
//!     fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
//!         let n = buf.len().min(2);
//!         self.heard.extend_from_slice(&buf[..n]);
//!         Ok(n)
//!     }
//!     fn flush(&mut self) -> io::Result<()> { Ok(()) }
//! }
//!
//! let mut peer = Peer { said: b"hi there\n", heard: Vec::new() };
//! let mut chat = ChatSession::default();
//! turn(&mut chat, &mut peer, &["hello", ChatSession::QUIT])?;
//! assert_eq!(peer.heard, b"hello\n");
//! assert!(chat.is_closed()); // close the connection now
//! # Ok::<(), io::Error>(())
//! ```
//!
//! Step by step:
//!
//! ```
//! use sockwire::{ChatEvent, ChatSession};
//!
//! let mut chat = ChatSession::default();
//! chat.send_line("hello")?;
//! assert_eq!(chat.pending_output(), b"hello\n");
//! chat.consume_output(2); // the socket took 2 bytes
//! assert_eq!(chat.pending_output(), b"llo\n");
//! chat.consume_output(4);
//! chat.handle_input(b"hi the");
//! assert_eq!(chat.poll_event(), None);
//! chat.handle_input(b"re\r\n");
//! assert_eq!(chat.poll_event(), Some(ChatEvent::Line("hi there".into())));
//! chat.handle_eof();
//! assert_eq!(chat.poll_event(), Some(ChatEvent::PeerClosed));
//! chat.send_line(ChatSession::QUIT)?;
//! assert!(chat.is_closed());
//! assert!(chat.pending_output().is_empty()); // `:q` is not sent
//! # Ok::<(), sockwire::EncodeError>(())
//! ```

use std::collections::VecDeque;

use bytes::{Buf, BytesMut};

use crate::{DecodeError, Decoder, EncodeError, Encoder, LineCodec, Text};

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
    /// The line was encoded into [`ChatSession::pending_output`].
    Sent,
    /// The line was `:q`: nothing is sent; close the connection.
    Close,
}

/// The chat's settings.
///
/// ```
/// use sockwire::{ChatConfig, ChatSession};
/// let chat = ChatSession::new(ChatConfig::default().with_max_len(80));
/// # let _ = chat;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChatConfig {
    /// The longest line: see [`with_max_len`](Self::with_max_len).
    pub max_len: usize,
    /// The bound of the event queue: see
    /// [`with_max_events`](Self::with_max_events).
    pub max_events: usize,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            max_len: LineCodec::new().max_len(),
            max_events: 1024,
        }
    }
}

crate::config::config_setters!(ChatConfig {
    /// The longest line, in bytes without its LF, sent or received (a
    /// longer one received is reported as [`ChatEvent::Malformed`]).
    /// Default: [`LineCodec`]'s, 64 KiB.
    with_max_len => max_len: usize,
    /// Most events waiting to be polled (0 counts as 1): when that many
    /// wait, the session stops decoding until
    /// [`poll_event`](ChatSession::poll_event) has handed them out (the
    /// peer's bytes wait meanwhile; nothing is dropped). Default: 1,024.
    with_max_events => max_events: usize,
});

/// One side of a line chat: a [`LineCodec`] in each direction and the
/// `:q` rule.
#[derive(Debug, Clone)]
pub struct ChatSession {
    codec: LineCodec,
    input: BytesMut,
    output: BytesMut,
    events: VecDeque<ChatEvent>,
    max_events: usize,
    /// `:q` was typed.
    quit: bool,
    /// The peer closed its side (its end is reported once all it sent is).
    peer_closed: bool,
    /// `input` may hold lines left undecoded because the event queue was
    /// full.
    backlog: bool,
}

impl Default for ChatSession {
    /// A session with the default config (64 KiB lines).
    fn default() -> Self {
        Self::new(ChatConfig::default())
    }
}

impl ChatSession {
    /// The line that ends the chat; it is not sent.
    pub const QUIT: &str = ":q";

    /// A session with the given settings.
    #[must_use]
    pub fn new(config: ChatConfig) -> Self {
        ChatSession {
            codec: LineCodec::with_max_len(config.max_len),
            input: BytesMut::new(),
            output: BytesMut::new(),
            events: VecDeque::new(),
            max_events: config.max_events.max(1),
            quit: false,
            peer_closed: false,
            backlog: false,
        }
    }

    /// Takes a line the person typed (without its line ending). `:q`
    /// ends the session ([`has_quit`](Self::has_quit)) and is not sent;
    /// after that, lines are ignored.
    ///
    /// # Errors
    ///
    /// The codec's [`EncodeError`] (a line with an LF, or over the limit);
    /// nothing is sent then.
    pub fn send_line(&mut self, line: &str) -> Result<LineAction, EncodeError> {
        if self.quit || line == Self::QUIT {
            self.quit = true;
            return Ok(LineAction::Close);
        }
        self.codec.encode(line, &mut self.output)?;
        Ok(LineAction::Sent)
    }

    /// Takes bytes read from the peer.
    pub fn handle_input(&mut self, bytes: &[u8]) {
        if self.peer_closed {
            return;
        }
        self.input.extend_from_slice(bytes);
        self.decode();
    }

    /// The peer closed its side: yields an unterminated last line, then
    /// [`ChatEvent::PeerClosed`].
    pub fn handle_eof(&mut self) {
        if self.peer_closed {
            return;
        }
        self.peer_closed = true;
        self.decode();
    }

    /// The one decode loop: every line (and error) the input holds, as far
    /// as the event queue has room, and at the end of the stream the
    /// unterminated rest and the peer's end.
    fn decode(&mut self) {
        self.backlog = false;
        loop {
            if self.events.len() >= self.max_events {
                self.backlog = !self.input.is_empty() || self.peer_closed;
                return;
            }
            let next = if self.peer_closed {
                self.codec.decode_eof(&mut self.input)
            } else {
                self.codec.decode(&mut self.input)
            };
            match next {
                Ok(Some(line)) => self.events.push_back(ChatEvent::Line(line)),
                Ok(None) => break,
                Err(e) => self.events.push_back(ChatEvent::Malformed(e)),
            }
        }
        if self.peer_closed {
            self.events.push_back(ChatEvent::PeerClosed);
        }
    }

    /// The bytes waiting to be written to the peer (empty when there are
    /// none).
    #[must_use]
    pub fn pending_output(&self) -> &[u8] {
        &self.output
    }

    /// Marks the first `n` bytes of [`pending_output`](Self::pending_output)
    /// as written (`n` larger than what is pending counts as all of it).
    pub fn consume_output(&mut self, n: usize) {
        self.output.advance(n.min(self.output.len()));
    }

    /// The next thing that arrived. At most
    /// [`max_events`](ChatConfig::with_max_events) wait: past that the
    /// session decodes no more until they are polled, and this call
    /// decodes what waits once the queue is empty.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ChatEvent> {
        if self.events.is_empty() && self.backlog {
            self.decode();
        }
        self.events.pop_front()
    }

    /// Whether the session is done, and nothing is left to send: `:q` was
    /// typed or the peer closed, and the pending output is written (and
    /// all the peer sent is decoded). Close the connection.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        (self.quit || self.peer_closed) && self.output.is_empty() && !self.backlog
    }

    /// Whether `:q` was typed: the session sends nothing more, and closes
    /// once its pending output is written.
    #[must_use]
    pub fn has_quit(&self) -> bool {
        self.quit
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
