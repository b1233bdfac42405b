//! # sockwire
//!
//! Sans-IO codecs and protocol state machines for the classic
//! socket-programming protocols, byte-exact with peers written in Python
//! (`struct`, `json`, `selectors`). The library does no I/O and never reads
//! a clock: you read bytes from a socket, hand them to a codec or a machine
//! with the time, and write what it gives back.
//!
//! | § | protocol | transport | message | codec or machine |
//! |---|---|---|---|---|
//! | 1 | text datagram | UDP | [`Text`] | [`TextDatagramCodec`] |
//! | 2 | text stream | TCP | [`Text`] | [`TextStreamCodec`] |
//! | 3 | line | TCP | [`Text`] | [`LineCodec`]; the peer-to-peer chat [`ChatSession`] |
//! | 4 | fixed packet, `!BLL20s` | TCP | [`FixedPacket`] | [`FixedPacketCodec`] |
//! | 5 | variable packet, `!BLL` + payload | TCP | [`VariablePacket`] | [`VariablePacketCodec`] |
//! | 6 | application message, JSON header | TCP | `app::AppMessage`, `app::AppRequest`, `app::AppResponse` | `app::AppCodec`, `app::ServerCodec`, `app::ClientCodec` |
//! | 7 | room chat, tagged and acknowledged | UDP | [`room::ServerBound`], [`room::ClientBound`] | [`RoomServer`], [`RoomClient`] |
//! | 8 | room directory, the lab's original untagged wire | UDP | [`room::lab::LabRequest`], [`room::lab::LabAnswer`] | [`room::lab::LabServer`], [`room::lab::LabClient`] |
//!
//! ## Layers
//!
//! - **Codecs** frame messages and keep no policy. Stream codecs implement
//!   [`Decoder`], [`Encoder`] (shaped like `tokio_util::codec`) and
//!   [`BorrowDecoder`] (a view of the input, nothing copied); datagram
//!   codecs implement [`DatagramDecoder`] and [`DatagramEncoder`]. See
//!   [`codec`] and [`error`].
//! - **Machines** do everything but the socket calls, all driven the same
//!   way (below). They name no protocol of their own choosing: a
//!   [`conn::Connection`] runs whatever [`conn::Service`] it is given.
//! - **Built-in behaviour**: [`builtin`] is what the lab's programs do (the
//!   protocol list, the reply policies, the §6 search table, the log
//!   lines); [`dump`] prints messages as hex with their fields named.
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
//! ## Driving a machine
//!
//! | machine | transport | output |
//! |---|---|---|
//! | [`conn::Connection`]: one connection of any protocol | TCP stream | `pending_output` |
//! | [`ChatSession`]: §3 peer-to-peer chat | TCP stream | `pending_output` |
//! | [`builtin::Client`]: the lab's §2–§5 client, reply counting | TCP stream | `pending_output` |
//! | [`RoomServer`], [`RoomClient`]: §7 | UDP | `poll_transmit` |
//! | [`room::lab::LabServer`], [`room::lab::LabClient`]: §8 | UDP | `poll_transmit` |
//!
//! Every machine keeps one contract:
//!
//! - **Create** it with `new(…, config)`: what it needs, then its config,
//!   with `now` first when it starts with a deadline
//!   (`RoomClient::new(now, server, user, config)`).
//! - **Input**: `handle_*(now, …)` (`handle_input`, `handle_eof`,
//!   `handle_datagram`, `handle_line`, …). A call takes `now` only if it
//!   can move a deadline.
//! - **Output**, by transport. A stream machine keeps one output buffer:
//!   write `pending_output()`, then say how much the socket took with
//!   `consume_output(now, n)` (`consume_output(n)` where writing moves no
//!   deadline); a partial write keeps the rest, and backpressure is the
//!   length of that buffer. A datagram machine gives whole datagrams from
//!   `poll_transmit()` ([`Transmit`]: payload and destination) and
//!   implements [`DatagramMachine`], so one loop drives any of them.
//! - **Events**: `poll_event()` until `None`.
//! - **Time**: a machine with a timer has `poll_timeout()`, when to call
//!   `handle_timeout(now)` next; [`timeout_from`] turns it into a socket
//!   or poll timeout.
//! - **End**: `is_closed()` means finished, and nothing left to send.
//!
//! One turn of the loop: feed input, handle timeouts, drain events,
//! transmit; then wait for the socket until `poll_timeout()`. Every `poll_*`
//! method is `#[must_use]`, and every event queue is bounded. Configs are
//! `#[non_exhaustive]` structs with `Default` and consuming `with_<field>`
//! setters, so one expression builds one:
//! `ChatConfig::default().with_max_len(80)`.
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `json` | yes | the §6 application protocol, `app` (with `serde` and `serde_json`) |
//! | `tokio-util` | no | `tokio_adapter`: any codec under `Framed` or `UdpFramed` (`TokioCodec`, `TokioDatagramCodec`), any [`conn::Service`] as a codec (`ServiceCodec`) |
//! | `testing` | no | `testing`: split, round-trip and machine checks for your own codecs and machines, proptest strategies for every message (with `proptest`) |
//! | `arbitrary` | no | `arbitrary::Arbitrary` for every message type, for fuzz targets (with `arbitrary`) |
//!
//! The feature-gated modules are documented when their feature is on, as
//! on docs.rs.
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
#[cfg(feature = "arbitrary")]
#[path = "testing/arbitrary.rs"]
mod arbitrary_impls;
pub mod builtin;
pub mod chat;
pub mod codec;
mod config;
pub mod conn;
pub mod dump;
pub mod error;
mod machine;
pub mod room;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
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
#[cfg(all(doctest, feature = "json", feature = "tokio-util", feature = "testing"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
