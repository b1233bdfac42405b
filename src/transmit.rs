//! The one output type of the datagram machines.

use std::net::SocketAddr;

use bytes::Bytes;

/// A datagram a datagram machine ([`RoomServer`](crate::RoomServer),
/// [`RoomClient`](crate::RoomClient)) wants sent: the whole payload to one
/// address, or nothing (a datagram is never sent in part).
///
/// Returned by each machine's `poll_transmit()`; stream machines
/// (`ChatSession`, `conn::Connection`) have `pending_output` and
/// `consume_output` instead, since a socket write may take part of a
/// stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// The datagram's bytes.
    pub payload: Bytes,
}
