//! The §8 client: handshake, peer lists, chat lines to peers.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use thiserror::Error;

use super::wire::{LabAnswer, LabChat, LabRequest, LabWireError};
use crate::Transmit;
use crate::room::{Command, Name, Request};

/// The §8 client's limits.
///
/// | field | default |
/// |---|---|
/// | `max_peers` | 256 addresses (room peers and poked users) |
/// | `max_events` | 1024 unpolled events (the oldest is dropped) |
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LabClientConfig {
    /// Most peer addresses remembered: past it, a room's peer list is cut
    /// and the oldest poked user is forgotten.
    pub max_peers: usize,
    /// Most events kept until polled.
    pub max_events: usize,
}

impl Default for LabClientConfig {
    fn default() -> Self {
        LabClientConfig {
            max_peers: 256,
            max_events: 1024,
        }
    }
}

impl LabClientConfig {
    /// Sets [`max_peers`](Self::max_peers).
    pub fn max_peers(&mut self, n: usize) -> &mut Self {
        self.max_peers = n;
        self
    }

    /// Sets [`max_events`](Self::max_events).
    pub fn max_events(&mut self, n: usize) -> &mut Self {
        self.max_events = n;
        self
    }
}

/// Why a command could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LabClientError {
    /// A `$` command with a missing, extra or invalid argument.
    #[error("{command}: {reason}")]
    BadCommand {
        /// The command word.
        command: String,
        /// What is wrong.
        reason: String,
    },
    /// A command before the server accepted a name.
    #[error("not registered yet: a name first")]
    NotRegistered,
    /// A chat line, but no room member and no poked user to send it to.
    #[error("nobody to talk to: $roomjoin a room or $poke a user")]
    NoPeers,
    /// `$msg` to a user whose address no poke has told.
    #[error("no address for {user}: $poke them first")]
    NotPoked {
        /// The user.
        user: String,
    },
    /// The chat line would be longer than 1,024 bytes.
    #[error("message too long: {size} bytes, the limit is {max}")]
    TooLong {
        /// The datagram's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The client has quit.
    #[error("the client has quit")]
    Closed,
}

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
    /// for another and call [`LabClient::hello`] again.
    NameTaken(Name),
    /// One entry of a `ul` list.
    User(String),
    /// The user list is empty.
    NoUsers,
    /// One entry of an `rl` list.
    Room(String),
    /// The room list is empty.
    NoRooms,
    /// A room was created.
    Created(String),
    /// `rc` was refused: the room exists.
    RoomExists,
    /// `rj` was refused: no such room.
    NoSuchRoom,
    /// The room's peer list starts over (what follows is the whole list).
    PeersCleared,
    /// A room member's address.
    Peer(SocketAddr),
    /// A poked user's address: chat lines now go there too.
    Poked {
        /// The user.
        user: Name,
        /// Their address.
        addr: SocketAddr,
    },
    /// A poked user does not exist.
    NoSuchUser(Name),
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
    /// The server answered `by`: the client is closed.
    Closed,
}

/// The §8 client: a sans-IO state machine (PROTOCOLS.md §8).
///
/// It registers with [`hello`](Self::hello) (on
/// [`LabClientEvent::NameTaken`], ask for another name and call it again),
/// then takes a person's lines with [`handle_line`](Self::handle_line):
/// the `$` commands of §7 ([`Command::parse_line`]), and any other line is
/// a chat line, `msg NAME> TEXT`, sent to every peer: the members of its
/// room (from the server's peer lists) and every poked user. `$kick` only
/// forgets the peers; `$msg USER TEXT` sends a chat line to one poked
/// user only.
///
/// A chat line is shown if it comes from a peer. One from another address
/// is taken up (its sender becomes a peer, so a poked user can answer)
/// only while the client knows no peer; otherwise it is dropped.
///
/// ```
/// use std::time::Instant;
/// use sockwire::room::Name;
/// use sockwire::room::lab::{LabClient, LabClientEvent};
///
/// let server = "127.0.0.1:5005".parse()?;
/// let now = Instant::now();
/// let mut client = LabClient::new(server, Default::default());
/// client.hello(now, Name::new("alice")?)?;
/// assert_eq!(&client.poll_transmit().unwrap().payload[..], b"hi alice");
/// client.handle_datagram(now, server, b"hi");
/// assert_eq!(client.poll_event(), Some(LabClientEvent::NameTaken(Name::new("alice")?)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LabClient {
    config: LabClientConfig,
    server: SocketAddr,
    /// The name the server accepted.
    name: Option<Name>,
    /// The names sent in `hi`, awaiting their answers.
    asked: VecDeque<Name>,
    /// The users poked, awaiting their answers.
    pokes: VecDeque<Name>,
    /// The rooms asked to join, awaiting their peer lists.
    joins: VecDeque<Name>,
    room: Option<Name>,
    room_peers: Vec<SocketAddr>,
    /// Poked users (and strangers taken up), oldest first.
    poked: VecDeque<(String, SocketAddr)>,
    quitting: bool,
    closed: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<LabClientEvent>,
}

impl LabClient {
    /// A client of the server at `server`; nothing is sent until
    /// [`hello`](Self::hello).
    #[must_use]
    pub fn new(server: SocketAddr, config: LabClientConfig) -> Self {
        LabClient {
            config,
            server,
            name: None,
            asked: VecDeque::new(),
            pokes: VecDeque::new(),
            joins: VecDeque::new(),
            room: None,
            room_peers: Vec::new(),
            poked: VecDeque::new(),
            quitting: false,
            closed: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The server's address.
    #[must_use]
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The name the server accepted, if any yet.
    #[must_use]
    pub fn name(&self) -> Option<&Name> {
        self.name.as_ref()
    }

    /// The room joined, as far as the client knows.
    #[must_use]
    pub fn room(&self) -> Option<&Name> {
        self.room.as_ref()
    }

    /// Every address a chat line goes to: the room's members, then the
    /// poked users, each once.
    #[must_use]
    pub fn peers(&self) -> Vec<SocketAddr> {
        let mut peers = self.room_peers.clone();
        for (_, addr) in &self.poked {
            if !peers.contains(addr) {
                peers.push(*addr);
            }
        }
        peers
    }

    /// Whether the server has answered `by`.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Sends `hi NAME`. Call it again with another name after
    /// [`LabClientEvent::NameTaken`]. §8 has no timers: `now` is taken for
    /// the shape all of sockwire's datagram machines share, and not read.
    ///
    /// # Errors
    ///
    /// [`LabClientError::Closed`] after `by`.
    pub fn hello(&mut self, now: Instant, name: Name) -> Result<(), LabClientError> {
        let _ = now;
        if self.closed || self.quitting {
            return Err(LabClientError::Closed);
        }
        self.request(&LabRequest::Hello(name.clone()));
        self.asked.push_back(name);
        Ok(())
    }

    /// Handles a line a person typed (see [`Command::parse_line`]).
    ///
    /// # Errors
    ///
    /// As [`command`](Self::command), and
    /// [`LabClientError::BadCommand`] for a `$` command with a bad
    /// argument.
    pub fn handle_line(&mut self, now: Instant, line: &str) -> Result<(), LabClientError> {
        let command = Command::parse_line(line).map_err(|e| match e {
            crate::room::ClientError::BadCommand { command, reason } => {
                LabClientError::BadCommand { command, reason }
            }
            other => LabClientError::BadCommand {
                command: line.to_owned(),
                reason: other.to_string(),
            },
        })?;
        self.command(now, command)
    }

    /// Carries out a command.
    ///
    /// # Errors
    ///
    /// [`LabClientError::NotRegistered`] before the server accepted a name
    /// (but for `$quit`), [`LabClientError::NoPeers`] for a chat line with
    /// nobody to send it to, [`LabClientError::NotPoked`],
    /// [`LabClientError::TooLong`], [`LabClientError::Closed`].
    pub fn command(&mut self, now: Instant, command: Command) -> Result<(), LabClientError> {
        if self.closed || self.quitting {
            return Err(LabClientError::Closed);
        }
        let request = match command {
            Command::Quit => {
                self.quitting = true;
                self.request(&LabRequest::Bye);
                return Ok(());
            }
            Command::Request(Request::Hello(name)) => return self.hello(now, name),
            _ if self.name.is_none() => return Err(LabClientError::NotRegistered),
            Command::Private { to, text } => {
                let addr = (self.poked.iter())
                    .find(|(user, _)| *user == to.as_str())
                    .map(|(_, addr)| *addr)
                    .ok_or(LabClientError::NotPoked {
                        user: to.to_string(),
                    })?;
                return self.chat(text, &[addr]);
            }
            Command::Request(request) => request,
        };
        let lab = match request {
            Request::Say(text) => return self.chat(text, &self.peers()),
            Request::Kick => {
                self.room_peers.clear();
                self.poked.clear();
                self.push_event(LabClientEvent::PeersForgotten);
                return Ok(());
            }
            Request::LeaveRoom => {
                self.room = None;
                self.room_peers.clear();
                self.push_event(LabClientEvent::LeftRoom);
                LabRequest::LeaveRoom
            }
            Request::UserList => LabRequest::UserList,
            Request::RoomList => LabRequest::RoomList,
            Request::CreateRoom(room) => LabRequest::CreateRoom(room),
            Request::JoinRoom(room) => {
                self.joins.push_back(room.clone());
                LabRequest::JoinRoom(room)
            }
            Request::Poke(user) => {
                self.pokes.push_back(user.clone());
                LabRequest::Poke(user)
            }
            Request::Bye => {
                self.quitting = true;
                LabRequest::Bye
            }
            // a keep-alive has no place on this wire
            Request::KeepAlive => return Ok(()),
            Request::Hello(_) => return Ok(()),
        };
        self.request(&lab);
        Ok(())
    }

    fn request(&mut self, request: &LabRequest) {
        self.transmits.push_back(Transmit {
            destination: self.server,
            payload: request.to_bytes(),
        });
    }

    /// Sends `msg NAME> TEXT` to each of `to`.
    fn chat(&mut self, text: String, to: &[SocketAddr]) -> Result<(), LabClientError> {
        let Some(name) = &self.name else {
            return Err(LabClientError::NotRegistered);
        };
        if to.is_empty() {
            return Err(LabClientError::NoPeers);
        }
        let chat = LabChat {
            from: name.to_string(),
            text,
        };
        let payload = chat.to_bytes().map_err(|e| match e {
            LabWireError::TooLong { size, max } => LabClientError::TooLong { size, max },
            other => LabClientError::BadCommand {
                command: String::new(),
                reason: other.to_string(),
            },
        })?;
        for &destination in to {
            self.transmits.push_back(Transmit {
                destination,
                payload: payload.clone(),
            });
        }
        Ok(())
    }

    /// Handles one datagram from `from`. `now` is not read (see
    /// [`hello`](Self::hello)).
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        let _ = now;
        if LabChat::is_chat(datagram) {
            return match LabChat::parse(datagram) {
                Ok(chat) => self.take_chat(from, chat),
                Err(e) => self.drop_datagram(from, LabDropReason::Malformed(e)),
            };
        }
        if from != self.server {
            return self.drop_datagram(from, LabDropReason::NotFromServer);
        }
        match LabAnswer::parse(datagram) {
            Ok(answer) => self.take_answer(answer),
            Err(e) => self.drop_datagram(from, LabDropReason::Malformed(e)),
        }
    }

    fn take_chat(&mut self, addr: SocketAddr, chat: LabChat) {
        let known = self.room_peers.contains(&addr) || self.poked.iter().any(|(_, a)| *a == addr);
        if !known {
            if !self.room_peers.is_empty() || !self.poked.is_empty() {
                return self.drop_datagram(addr, LabDropReason::UnknownPeer);
            }
            self.add_poked(chat.from.clone(), addr);
        }
        self.push_event(LabClientEvent::Chat { addr, chat });
    }

    fn take_answer(&mut self, answer: LabAnswer) {
        let event = match answer {
            LabAnswer::Welcome(_) | LabAnswer::NameRefused => {
                let Some(asked) = self.asked.pop_front() else {
                    return;
                };
                if answer == LabAnswer::NameRefused {
                    LabClientEvent::NameTaken(asked)
                } else {
                    self.name = Some(asked.clone());
                    LabClientEvent::Registered(asked)
                }
            }
            LabAnswer::Bye => {
                self.closed = true;
                LabClientEvent::Closed
            }
            LabAnswer::Address(addr) => {
                let Some(user) = self.pokes.pop_front() else {
                    return;
                };
                self.add_poked(user.to_string(), addr);
                LabClientEvent::Poked { user, addr }
            }
            LabAnswer::NoSuchUser => {
                let Some(user) = self.pokes.pop_front() else {
                    return;
                };
                LabClientEvent::NoSuchUser(user)
            }
            LabAnswer::User(n) => LabClientEvent::User(n),
            LabAnswer::NoUsers => LabClientEvent::NoUsers,
            LabAnswer::Room(n) => LabClientEvent::Room(n),
            LabAnswer::NoRooms => LabClientEvent::NoRooms,
            LabAnswer::Created(n) => LabClientEvent::Created(n),
            LabAnswer::RoomExists => LabClientEvent::RoomExists,
            LabAnswer::NoSuchRoom => {
                self.joins.pop_front();
                LabClientEvent::NoSuchRoom
            }
            LabAnswer::ClearPeers => {
                if let Some(room) = self.joins.pop_front() {
                    self.room = Some(room);
                }
                self.room_peers.clear();
                LabClientEvent::PeersCleared
            }
            LabAnswer::Peer(addr) => {
                if self.room_peers.len() >= self.config.max_peers || self.room_peers.contains(&addr)
                {
                    return;
                }
                self.room_peers.push(addr);
                LabClientEvent::Peer(addr)
            }
        };
        self.push_event(event);
    }

    fn add_poked(&mut self, user: String, addr: SocketAddr) {
        self.poked.retain(|(u, a)| *u != user && *a != addr);
        while !self.poked.is_empty() && self.poked.len() >= self.config.max_peers {
            self.poked.pop_front();
        }
        if self.config.max_peers > 0 {
            self.poked.push_back((user, addr));
        }
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event to show.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<LabClientEvent> {
        self.events.pop_front()
    }

    fn drop_datagram(&mut self, from: SocketAddr, reason: LabDropReason) {
        self.push_event(LabClientEvent::Dropped { from, reason });
    }

    fn push_event(&mut self, event: LabClientEvent) {
        if self.config.max_events == 0 {
            return;
        }
        while self.events.len() >= self.config.max_events {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }
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
            LabClientEvent::User(n) => write!(f, "user {n}"),
            LabClientEvent::NoUsers => f.write_str("no users"),
            LabClientEvent::Room(n) => write!(f, "room {n}"),
            LabClientEvent::NoRooms => f.write_str("no rooms"),
            LabClientEvent::Created(n) => write!(f, "room {n} created"),
            LabClientEvent::RoomExists => f.write_str("the room exists"),
            LabClientEvent::NoSuchRoom => f.write_str("no such room"),
            LabClientEvent::PeersCleared => f.write_str("peers cleared"),
            LabClientEvent::Peer(addr) => write!(f, "peer {addr}"),
            LabClientEvent::Poked { user, addr } => write!(f, "{user} is at {addr}"),
            LabClientEvent::NoSuchUser(user) => write!(f, "no user {user}"),
            LabClientEvent::LeftRoom => f.write_str("left the room"),
            LabClientEvent::PeersForgotten => f.write_str("peers forgotten"),
            LabClientEvent::Chat { chat, .. } => write!(f, "{}> {}", chat.from, chat.text),
            LabClientEvent::Dropped { from, reason } => write!(f, "dropped from {from}: {reason}"),
            LabClientEvent::Closed => f.write_str("bye"),
        }
    }
}
