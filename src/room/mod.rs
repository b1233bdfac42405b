//! Room chat over UDP (PROTOCOLS.md §7): the wire types, a sans-IO server
//! ([`RoomServer`]) and a sans-IO client ([`RoomClient`]).
//!
//! Both state machines have the shape of `quinn-proto`: feed them what
//! arrived with `handle_datagram(now, from, bytes)`, call
//! `handle_timeout(now)` when `poll_timeout()` says so, and send what
//! `poll_transmit()` gives. They never read a clock or touch a socket.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use sockwire::room::{ClientEvent, Name, Reply, RoomClient, RoomServer};
//!
//! let server_addr: SocketAddr = "127.0.0.1:5005".parse()?;
//! let alice_addr: SocketAddr = "127.0.0.1:40001".parse()?;
//! let now = Instant::now();
//! let mut server = RoomServer::new();
//! let mut alice = RoomClient::new(now, server_addr, Name::new("alice")?);
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

use std::net::SocketAddr;

use bytes::Bytes;

mod client;
mod directory;
pub mod lab;
mod server;
mod wire;

pub use client::{ClientConfig, ClientError, ClientEvent, Command, DropReason, RoomClient};
pub use server::{RoomServer, ServerConfig, ServerEvent};
pub use wire::{
    BadName, ClientBound, ErrorCode, MAX_DATAGRAM, MAX_NAME, Name, Notification, PrivateMessage,
    Reply, Request, ServerBound, Tag, WireError, read_tag,
};

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The datagram's bytes.
    pub payload: Bytes,
}
