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
//! | 6 | application message, JSON header | TCP | `app::AppMessage`, `app::Request`, `app::Response` | `app::AppCodec`, `app::ServerCodec`, `app::ClientCodec` |
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
//! ## Connections
//!
//! [`conn::Connection`] is everything a server does with one connection
//! except the socket calls: bytes in, replies and log events out, for any
//! protocol ([`conn::Protocol`]) and reply policy ([`conn::Reply`]), with a
//! high-water mark for backpressure. [`conn::DatagramService`] does the same
//! for one UDP datagram and [`conn::Client`] for the client side.
//! [`dump`] prints messages as hex with their fields named. The example
//! programs are thin loops around these.
//!
//! The §6 application protocol lives in the `app` module, behind the
//! default-on `json` feature (it uses `serde_json`).
//!
//! ## With tokio
//!
//! With the `tokio-util` feature every codec also implements
//! `tokio_util::codec::{Decoder, Encoder}`: frame a `TcpStream` with
//! `Framed::new(stream, LineCodec::new())`, a `UdpSocket` with
//! `UdpFramed::new(socket, TextDatagramCodec::new())`. See the `tokio`
//! module (documented when the feature is on, as on docs.rs).
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `json` | yes | the §6 application protocol, `app` (with `serde` and `serde_json`) |
//! | `tokio-util` | no | `tokio_util::codec` implementations for every codec and for any `conn::Service` (`tokio::ServiceCodec`), and the `tokio::Error` type |
//!
//! ## Errors
//!
//! Bad input gives a [`DecodeError`] naming what was wrong; the decoder has
//! dropped the bad bytes, and [`DecodeError::is_recoverable`] says whether
//! the stream can go on. See [`error`] for the recovery table.

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
pub mod chat;
pub mod codec;
pub mod conn;
pub mod dump;
pub mod error;
pub mod fixed;
pub mod line;
pub mod room;
pub mod text;
#[cfg(feature = "tokio-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio-util")))]
pub mod tokio;
mod transmit;
pub mod variable;

pub use chat::{ChatConfig, ChatEvent, ChatSession, LineAction};
pub use codec::{DatagramDecoder, DatagramEncoder, Decoder, Encoder};
pub use error::{ContentError, DecodeError, EncodeError, HeaderError};
pub use fixed::{FixedPacket, FixedPacketCodec};
pub use line::LineCodec;
pub use room::{RoomClient, RoomServer};
pub use text::{Text, TextDatagramCodec, TextStreamCodec};
pub use transmit::Transmit;
pub use variable::{VariablePacket, VariablePacketCodec};

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "json", feature = "tokio-util"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
