//! Room chat over UDP (PROTOCOLS.md §7): the wire types, a sans-IO server
//! ([`RoomServer`]) and a sans-IO client ([`RoomClient`]).
//!
//! Both state machines have the shape of `quinn-proto`: feed them what
//! arrived with `handle_datagram(now, from, bytes)`, call
//! `handle_timeout(now)` when `poll_timeout()` says so, drain
//! `poll_event()`, and send what `poll_transmit()` gives (a
//! [`Transmit`](crate::Transmit)), in that order (see "Driving it" on
//! [`RoomServer`] and [`RoomClient`]). They never read a clock or touch a
//! socket. Each takes its config ([`ServerConfig`], [`ClientConfig`]) by
//! value at construction.
//!
//! Nothing is lost silently: the server's notifications are numbered,
//! acknowledged, resent and shown in order, a gap is reported in words; a
//! client whose registration is gone registers again and repeats its
//! request; a paste of 1,000 lines is queued in order and sent whole (see
//! [`RoomClient`]).
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use sockwire::room::{ClientConfig, ClientEvent, Name, Reply, RoomClient, RoomServer};
//!
//! let server_addr: SocketAddr = "127.0.0.1:5005".parse()?;
//! let alice_addr: SocketAddr = "127.0.0.1:40001".parse()?;
//! let now = Instant::now();
//! let mut server = RoomServer::default();
//! let mut alice = RoomClient::new(now, server_addr, Name::new("alice")?, ClientConfig::default());
//! alice.handle_line(now, "$roomcreate lobby")?;
//! // a network that delivers at once; requests go one at a time
//! while let Some(t) = alice.poll_transmit() {
//!     server.handle_datagram(now, alice_addr, &t.payload);
//!     while let Some(t) = server.poll_transmit() {
//!         alice.handle_datagram(now, server_addr, &t.payload);
//!     }
//! }
//! let mut replies = Vec::new();
//! while let Some(event) = alice.poll_event() {
//!     if let ClientEvent::Reply { reply, .. } = event {
//!         replies.push(reply);
//!     }
//! }
//! assert_eq!(replies, [Reply::Ok, Reply::Ok]); // hi, rc
//! assert_eq!(alice.room().map(|r| r.as_str()), Some("lobby"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod client_event;
mod command;
mod directory;
mod events;
pub mod lab;
mod outbox;
mod peers;
mod private;
mod reorder;
mod requests;
mod server;
mod timers;
mod wire;

pub use client::{ClientConfig, RoomClient};
pub use client_event::{ClientEvent, DropReason, Repeat};
pub use command::{ClientError, Command};
pub use server::{RoomServer, ServerConfig, ServerEvent};
pub use wire::{
    BadName, ClientBound, ErrorCode, Name, Notification, PrivateMessage, Reply, Request,
    ServerBound, Tag, WireError, read_tag,
};
