//! What the §8 client reports: its events, and why it drops a datagram.

use std::fmt;
use std::net::SocketAddr;

use super::super::wire::{LabAnswer, LabChat, LabWireError};
use crate::room::Name;

/// Why the client dropped a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabDropReason {
    /// It is not a §8 message.
    Malformed(LabWireError),
    /// A chat line from an address that is no peer, while the client
    /// knows peers (only a client that knows none takes up a stranger).
    UnknownPeer,
    /// A server answer from an address that is not the server's.
    NotFromServer,
}

/// What the client saw, for the user interface.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabClientEvent {
    /// The server accepted the name.
    Registered(Name),
    /// The server refused the name (taken, or the server is full): ask
    /// for another and call [`LabClient::hello`](super::LabClient::hello).
    NameTaken(Name),
    /// A poked user's address: chat lines now go there too.
    Poked {
        /// The user.
        user: Name,
        /// Their address.
        addr: SocketAddr,
    },
    /// A poked user does not exist.
    NoSuchUser(Name),
    /// Any other answer of the server, as it came: an entry of a list or
    /// an empty list ([`LabAnswer::User`], [`LabAnswer::NoUsers`],
    /// [`LabAnswer::Room`], [`LabAnswer::NoRooms`]), a room created or
    /// refused ([`LabAnswer::Created`], [`LabAnswer::RoomExists`],
    /// [`LabAnswer::NoSuchRoom`]), or the room's peer list starting over
    /// ([`LabAnswer::ClearPeers`], then one [`LabAnswer::Peer`] a member).
    Answer(LabAnswer),
    /// `$roomleave`: the room's peers are forgotten.
    LeftRoom,
    /// `$kick`: every peer is forgotten (nothing goes on the wire).
    PeersForgotten,
    /// A chat line.
    Chat {
        /// The sender's address.
        addr: SocketAddr,
        /// The chat line.
        chat: LabChat,
    },
    /// A datagram was dropped.
    Dropped {
        /// Where it came from.
        from: SocketAddr,
        /// Why.
        reason: LabDropReason,
    },
    /// The client is closed: the server answered `by`, or did not within
    /// [`LabClientConfig::bye_wait`](super::LabClientConfig::bye_wait) of
    /// `$quit`. It comes once; a `by` after it is ignored.
    Closed {
        /// Whether the server answered `by`.
        answered: bool,
    },
}

impl fmt::Display for LabDropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabDropReason::Malformed(e) => write!(f, "malformed: {e}"),
            LabDropReason::UnknownPeer => f.write_str("a chat line from no peer"),
            LabDropReason::NotFromServer => f.write_str("an answer not from the server"),
        }
    }
}

impl fmt::Display for LabClientEvent {
    /// What the lab's client prints for it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabClientEvent::Registered(name) => write!(f, "registered as {name}"),
            LabClientEvent::NameTaken(name) => write!(f, "the name {name} is taken"),
            LabClientEvent::Poked { user, addr } => write!(f, "{user} is at {addr}"),
            LabClientEvent::NoSuchUser(user) => write!(f, "no user {user}"),
            LabClientEvent::Answer(answer) => shown(answer, f),
            LabClientEvent::LeftRoom => f.write_str("left the room"),
            LabClientEvent::PeersForgotten => f.write_str("peers forgotten"),
            LabClientEvent::Chat { chat, .. } => write!(f, "{}> {}", chat.from, chat.text),
            LabClientEvent::Dropped { from, reason } => write!(f, "dropped from {from}: {reason}"),
            LabClientEvent::Closed { answered: true } => f.write_str("bye"),
            LabClientEvent::Closed { answered: false } => {
                f.write_str("no answer to by from the server; leaving anyway")
            }
        }
    }
}

/// What the client prints for an answer of the server.
fn shown(answer: &LabAnswer, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match answer {
        LabAnswer::Welcome(n) => write!(f, "registered as {n}"),
        LabAnswer::NameRefused => f.write_str("the name is taken"),
        LabAnswer::Bye => f.write_str("bye"),
        LabAnswer::Address(addr) => write!(f, "the user is at {addr}"),
        LabAnswer::NoSuchUser => f.write_str("no such user"),
        LabAnswer::User(n) => write!(f, "user {n}"),
        LabAnswer::NoUsers => f.write_str("no users"),
        LabAnswer::Room(n) => write!(f, "room {n}"),
        LabAnswer::NoRooms => f.write_str("no rooms"),
        LabAnswer::Created(n) => write!(f, "room {n} created"),
        LabAnswer::RoomExists => f.write_str("the room exists"),
        LabAnswer::NoSuchRoom => f.write_str("no such room"),
        LabAnswer::ClearPeers => f.write_str("peers cleared"),
        LabAnswer::Peer(addr) => write!(f, "peer {addr}"),
    }
}
