//! # sockwire
//!
//! Sans-IO codecs and protocol state machines for the classic
//! socket-programming protocols, byte-exact with peers written in Python
//! (`struct`, `json`, `selectors`).
//!
//! | § | protocol | transport | message | codec |
//! |---|---|---|---|---|
//! | 1 | text datagram | UDP | [`Text`] | [`TextDatagramCodec`] |
//! | 2 | text stream | TCP | [`Text`] | [`TextStreamCodec`] |
//! | 3 | line | TCP | [`Text`] | [`LineCodec`] |
//! | 4 | fixed packet, `!BLL20s` | TCP | [`FixedPacket`] | [`FixedPacketCodec`] |
//! | 5 | variable packet, `!BLL` + payload | TCP | [`VariablePacket`] | [`VariablePacketCodec`] |
//! | 6 | application message, JSON header | TCP | `app::AppMessage`, `app::AppRequest`, `app::AppResponse` | `app::AppCodec`, `app::ServerCodec`, `app::ClientCodec` |
//! | 7 | room chat | UDP | [`room::ServerBound`], [`room::ClientBound`] | [`RoomServer`], [`RoomClient`] |
//!
//! The P2P line chat of §3 has a session type, [`ChatSession`].
//!
//! The library does no I/O and never reads a clock: you read bytes from a
//! socket, hand them to a codec, and write what it gives back. Stream codecs
//! implement [`Decoder`] and [`Encoder`], shaped like `tokio_util::codec`;
//! datagram codecs implement [`DatagramDecoder`] and [`DatagramEncoder`].
//!
//! ## Quick start
//!
//! Decoding variable packets from a TCP stream that arrives in pieces:
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::{Decoder, VariablePacketCodec};
//!
//! let wire = b"\x01\x00\x00\x00\x05\x00\x00\x00\x01hello\x01\x00\x00\x00\x02\x00\x00\x00\x02hi";
//! let mut codec = VariablePacketCodec::new();
//! let mut buf = BytesMut::new();
//! let mut texts = Vec::new();
//! for read in wire.chunks(4) {
//!     // what a socket read would give
//!     buf.extend_from_slice(read);
//!     while let Some(packet) = codec.decode(&mut buf)? {
//!         texts.push(format!("{}: {}", packet.order(), packet.text()?));
//!     }
//! }
//! assert_eq!(texts, ["1: hello", "2: hi"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Layers
//!
//! - **Wire**: the codecs above and their [`codec`] traits and [`error`]s.
//!   A codec frames messages; it keeps no policy.
//! - **Machines**: [`conn::Connection`] (one stream connection, any
//!   [`conn::Service`]), [`RoomServer`] and [`RoomClient`] (§7),
//!   [`ChatSession`] (§3 P2P). They do everything but the socket calls and
//!   name no protocol of their own choosing: a connection runs whatever
//!   service it is given.
//! - **Built-in behaviour**: [`builtin`] is what the contract's example
//!   programs do: the protocol list, the reply policies, the §6 search
//!   table, the log lines, the client's reply counting. [`dump`] prints
//!   messages as hex with their fields named.
//!
//! The §6 application protocol lives in the `app` module, behind the
//! default-on `json` feature (it uses `serde_json`).
//!
//! ## Driving a machine: time and output
//!
//! Every machine is driven the same way, and never reads a clock: each call
//! that can move a deadline takes `now: Instant` as its first argument
//! (`handle_input(now, data)`, `handle_timeout(now)`, …), `poll_timeout()`
//! says when to call `handle_timeout` next, and [`timeout_from`] turns that
//! deadline into a socket or poll timeout. One turn of the loop feeds
//! input, handles timeouts, drains events (`poll_event`), then transmits;
//! each machine's docs show its turn.
//!
//! Output comes in one of two shapes, by transport:
//!
//! - **streams** ([`conn::Connection`], [`ChatSession`]): the machine keeps
//!   one output buffer. `pending_output()` is the bytes to write;
//!   `consume_output(now, n)` says how many the socket took. A stream write
//!   may be partial, so the machine keeps the rest, and backpressure is just
//!   the length of that buffer.
//! - **datagrams** ([`RoomServer`], [`RoomClient`]): `poll_transmit()`
//!   gives one whole datagram and its destination at a time. A datagram is
//!   sent whole or not at all, so there is nothing to keep.
//!
//! Events come out of `poll_event()` on every machine. Every `poll_*`
//! method is `#[must_use]`.
//!
//! ## With tokio
//!
//! With the `tokio-util` feature, `tokio_adapter` wraps any codec for
//! `tokio_util::codec`: `Framed::new(stream, TokioCodec::new(LineCodec::new()))`,
//! `UdpFramed::new(socket, TokioDatagramCodec::new(TextDatagramCodec::new()))`,
//! and `ServiceCodec` for any [`conn::Service`] (documented when the feature
//! is on, as on docs.rs).
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `json` | yes | the §6 application protocol, `app` (with `serde` and `serde_json`) |
//! | `tokio-util` | no | `tokio_adapter`: `tokio_util::codec` for any codec and any [`conn::Service`] |
//!
//! ## Errors
//!
//! Bad input gives a [`DecodeError`] naming what was wrong; the decoder has
//! dropped the bad bytes, and [`Recoverable::is_recoverable`] says whether
//! the stream can go on. See [`error`] for the recovery table, and for how a
//! protocol of your own reports its errors.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "json")]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
pub mod app;
pub mod builtin;
pub mod chat;
pub mod codec;
mod config;
pub mod conn;
pub mod dump;
pub mod error;
mod machine;
pub mod room;
mod time;
#[cfg(feature = "tokio-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-util")))]
pub mod tokio_adapter;
mod transmit;

pub use chat::{ChatConfig, ChatEvent, ChatSession, LineAction};
pub use codec::fixed::{FixedPacket, FixedPacketCodec, FixedPacketRef};
pub use codec::line::LineCodec;
pub use codec::text::{TextDatagramCodec, TextStreamCodec};
pub use codec::utf8::Text;
pub use codec::variable::{VariablePacket, VariablePacketCodec, VariablePacketRef};
pub use codec::{BorrowDecoder, DatagramDecoder, DatagramEncoder, Decoder, Encoder};
pub use error::{ContentError, DecodeError, EncodeError, HeaderError, Recoverable, Truncated};
pub use machine::DatagramMachine;
pub use room::{RoomClient, RoomServer};
pub use time::timeout_from;
pub use transmit::Transmit;

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "json", feature = "tokio-util"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
