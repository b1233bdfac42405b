//! The §8 server: the directory of users and rooms.

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;

use super::wire::{LabAnswer, LabRequest, LabWireError};
use crate::Transmit;
use crate::room::Name;
use crate::room::directory::{DEFAULT_MAX_MEMBERS, DEFAULT_MAX_ROOMS, DEFAULT_MAX_USERS, Rooms};
use crate::room::events::EventQueue;
use crate::room::registry::{Registry, Sender};

/// The §8 server's limits; the users, rooms and members limits are §7's
/// and have its defaults. Build it with the `with_` setters, which state
/// the defaults and what happens when a limit is reached:
///
/// ```
/// use sockwire::room::lab::{LabServer, LabServerConfig};
/// let server = LabServer::new(LabServerConfig::default().with_max_users(10));
/// assert_eq!(server.config().max_users, 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LabServerConfig {
    /// Most registered users: see [`with_max_users`](Self::with_max_users).
    pub max_users: usize,
    /// Most rooms: see [`with_max_rooms`](Self::with_max_rooms).
    pub max_rooms: usize,
    /// Most members of one room: see
    /// [`with_max_members`](Self::with_max_members).
    pub max_members: usize,
    /// Most events kept until polled: see
    /// [`with_max_events`](Self::with_max_events).
    pub max_events: usize,
}

impl Default for LabServerConfig {
    fn default() -> Self {
        LabServerConfig {
            max_users: DEFAULT_MAX_USERS,
            max_rooms: DEFAULT_MAX_ROOMS,
            max_members: DEFAULT_MAX_MEMBERS,
            max_events: 1024,
        }
    }
}

crate::config::config_setters!(LabServerConfig {
    /// Most registered users: past it, `hi` from a new address gets the
    /// bare `hi`. Default: 100, as §7's.
    with_max_users => max_users: usize,
    /// Most rooms: past it, `rc` gets the bare `rc`. Default: 100, as
    /// §7's.
    with_max_rooms => max_rooms: usize,
    /// Most members of one room: past it, `rj` gets the bare `rj`.
    /// Default: 32, as §7's.
    with_max_members => max_members: usize,
    /// Most events kept until polled: past it, the oldest unpolled
    /// [`LabServerEvent`] is dropped. Default: 1,024.
    with_max_events => max_events: usize,
});

/// What the server did with one datagram, for logging: one event per
/// datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabServerEvent {
    /// A request was carried out.
    Handled {
        /// The sender.
        from: SocketAddr,
        /// The sender's user name after the request (a `hi` sets it), or
        /// before it (a `by` ends it); `None` if it is not registered.
        user: Option<Name>,
        /// The request.
        request: LabRequest,
        /// The first datagram sent back to the sender, if any (`rk` sends
        /// it nothing).
        answer: Option<LabAnswer>,
        /// How many datagrams went to the sender in all (a list is one
        /// per entry, a peer list one per peer and the clear).
        answers: usize,
        /// How many members of a room got a peer-list refresh (the sender
        /// included when it joined).
        refreshed: usize,
    },
    /// A request with a name that breaks the name rules, answered with the
    /// op's "no" (the bare `hi`, `rc`, `rj` or `ar`) so that the client
    /// does not wait for an answer that never comes.
    Refused {
        /// The sender.
        from: SocketAddr,
        /// What was wrong.
        error: LabWireError,
        /// The answer sent.
        answer: LabAnswer,
    },
    /// A request but `hi` or `by` from an address that is not registered:
    /// dropped.
    NotRegistered {
        /// The sender.
        from: SocketAddr,
        /// The request.
        request: LabRequest,
    },
    /// A malformed datagram: dropped.
    Dropped {
        /// The sender.
        from: SocketAddr,
        /// What was wrong.
        error: LabWireError,
    },
}

/// The §8 server, the directory of users and rooms: a sans-IO state
/// machine.
///
/// | datagram | answer to the sender | to the room's members |
/// |---|---|---|
/// | `hi NAME` | `hi NAME`; the bare `hi` if taken, invalid or the server is full | |
/// | `by` | `by` | a peer-list refresh to those who stay |
/// | `ar NAME` | `ar IP PORT`; the bare `ar` | |
/// | `ul`, `rl` | one `ul NAME` / `rl ROOM` per entry in name order; the bare op when empty | |
/// | `rc ROOM` | `rc ROOM`; the bare `rc` if it exists, is invalid or too many rooms exist | |
/// | `rj ROOM` | the bare `rj` if no such room (or it is full) | a refresh to every member, the newcomer included, and to those who stay in the room it left |
/// | `rk` | nothing | a refresh to those who stay |
///
/// A refresh is `rj __clear_peers__` and then one `rj IP PORT` for each
/// *other* member, in join order. Every op but `hi` and `by` needs a
/// registered address; from any other it is dropped, as is a malformed
/// datagram. Rooms follow §7's rules, shared with
/// [`RoomServer`](crate::room::RoomServer): an owner who leaves hands the
/// room to the member who joined longest ago, a room left empty is
/// removed; and as `rc` does not join, a room nobody joined is removed
/// when its creator says `by`. It has no timer (a registration lasts until
/// `by`), so no call takes `now`.
///
/// Feed it every datagram with [`handle_datagram`](Self::handle_datagram),
/// then send every [`poll_transmit`](Self::poll_transmit) and log every
/// [`poll_event`](Self::poll_event).
///
/// ```
/// use sockwire::room::lab::LabServer;
///
/// let mut server = LabServer::default();
/// let alice = "127.0.0.1:40001".parse()?;
/// server.handle_datagram(alice, b"hi alice");
/// let answer = server.poll_transmit().unwrap();
/// assert_eq!((answer.destination, &answer.payload[..]), (alice, &b"hi alice"[..]));
/// server.handle_datagram(alice, b"rl");
/// assert_eq!(&server.poll_transmit().unwrap().payload[..], b"rl");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct LabServer {
    config: LabServerConfig,
    users: Registry<()>,
    rooms: Rooms,
    transmits: VecDeque<Transmit>,
    events: EventQueue<LabServerEvent>,
    /// Datagrams queued to the current sender, and the first of them.
    answers: usize,
    answer: Option<LabAnswer>,
    refreshed: usize,
}

impl Default for LabServer {
    /// A server with the default limits.
    fn default() -> Self {
        Self::new(LabServerConfig::default())
    }
}

impl LabServer {
    /// A server with the given limits.
    #[must_use]
    pub fn new(config: LabServerConfig) -> Self {
        LabServer {
            events: EventQueue::new(config.max_events),
            config,
            users: Registry::default(),
            rooms: Rooms::default(),
            transmits: VecDeque::new(),
            answers: 0,
            answer: None,
            refreshed: 0,
        }
    }

    /// The limits.
    #[must_use]
    pub fn config(&self) -> &LabServerConfig {
        &self.config
    }

    /// Registered user names, sorted.
    pub fn users(&self) -> impl Iterator<Item = &Name> {
        self.users.names()
    }

    /// Room names, sorted.
    pub fn rooms(&self) -> impl Iterator<Item = &Name> {
        self.rooms.names()
    }

    /// A room's members in join order, by user name.
    #[must_use]
    pub fn room_members(&self, room: &str) -> Option<Vec<Name>> {
        let (_owner, members) = self.users.members(self.rooms.get(room)?);
        Some(members)
    }

    /// Handles one datagram from `from`.
    pub fn handle_datagram(&mut self, from: SocketAddr, datagram: &[u8]) {
        self.answers = 0;
        self.answer = None;
        self.refreshed = 0;
        let request = match LabRequest::parse(datagram) {
            Ok(request) => request,
            Err(error) => return self.reject(from, error),
        };
        let registered = self.users.contains(&from);
        if !registered && !matches!(request, LabRequest::Hello(_) | LabRequest::Bye) {
            return self
                .events
                .push(LabServerEvent::NotRegistered { from, request });
        }
        let before = self.users.name_of(&from).cloned();
        self.execute(from, &request);
        let user = self.users.name_of(&from).cloned().or(before);
        let answer = self.answer.take();
        self.events.push(LabServerEvent::Handled {
            from,
            user,
            request,
            answer,
            answers: self.answers,
            refreshed: self.refreshed,
        });
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event to log.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<LabServerEvent> {
        self.events.pop()
    }

    /// A malformed datagram: an invalid name in a request that has a "no"
    /// gets that "no"; anything else is dropped.
    fn reject(&mut self, from: SocketAddr, error: LabWireError) {
        let no = match &error {
            LabWireError::BadName { op: "hi", .. } => Some(LabAnswer::NameRefused),
            _ if !self.users.contains(&from) => None,
            LabWireError::BadName { op: "rc", .. } => Some(LabAnswer::RoomExists),
            LabWireError::BadName { op: "rj", .. } => Some(LabAnswer::NoSuchRoom),
            LabWireError::BadName { op: "ar", .. } => Some(LabAnswer::NoSuchUser),
            _ => None,
        };
        match no {
            Some(answer) => {
                self.send(from, &answer);
                self.events.push(LabServerEvent::Refused {
                    from,
                    error,
                    answer,
                });
            }
            None => self.events.push(LabServerEvent::Dropped { from, error }),
        }
    }

    fn send(&mut self, to: SocketAddr, answer: &LabAnswer) {
        self.transmits.push_back(Transmit {
            destination: to,
            payload: answer.to_bytes(),
        });
    }

    /// Sends `answer` to the current sender.
    fn answer(&mut self, to: SocketAddr, answer: LabAnswer) {
        self.send(to, &answer);
        self.answers += 1;
        if self.answer.is_none() {
            self.answer = Some(answer);
        }
    }

    /// Sends each member of `room` its peer list: the clear, then every
    /// other member.
    fn refresh(&mut self, room: &str, sender: SocketAddr) {
        let Some(members) = self.rooms.get(room).map(|r| r.members.clone()) else {
            return;
        };
        for &member in &members {
            let others = members.iter().filter(|&&m| m != member);
            let list =
                std::iter::once(LabAnswer::ClearPeers).chain(others.map(|&m| LabAnswer::Peer(m)));
            for answer in list {
                if member == sender {
                    self.answer(member, answer);
                } else {
                    self.send(member, &answer);
                }
            }
            self.refreshed += 1;
        }
    }

    /// Takes `addr` out of its room and refreshes those who stay.
    fn leave_room(&mut self, addr: SocketAddr) {
        let Some(room) = self.users.get_mut(&addr).and_then(|u| u.room.take()) else {
            return;
        };
        if !self.rooms.leave(&room, addr).is_empty() {
            self.refresh(&room, addr);
        }
    }

    fn execute(&mut self, from: SocketAddr, request: &LabRequest) {
        match request {
            LabRequest::Hello(name) => {
                let max = self.config.max_users;
                let answer = match self.users.register(from, name, max, || ()) {
                    Ok(_) => LabAnswer::Welcome(name.to_string()),
                    Err(_) => LabAnswer::NameRefused,
                };
                self.answer(from, answer);
            }
            LabRequest::Bye => {
                self.leave_room(from);
                if self.users.remove(&from).is_some() {
                    self.rooms.remove_unjoined_of(from);
                }
                self.answer(from, LabAnswer::Bye);
            }
            LabRequest::Poke(name) => {
                let answer = match self.users.addr_of(name) {
                    Some(addr) => LabAnswer::Address(addr),
                    None => LabAnswer::NoSuchUser,
                };
                self.answer(from, answer);
            }
            LabRequest::UserList => {
                let names: Vec<String> = self.users.names().map(Name::to_string).collect();
                self.answer_list(from, names, LabAnswer::User, LabAnswer::NoUsers);
            }
            LabRequest::RoomList => {
                let names: Vec<String> = self.rooms.names().map(Name::to_string).collect();
                self.answer_list(from, names, LabAnswer::Room, LabAnswer::NoRooms);
            }
            LabRequest::CreateRoom(room) => {
                let answer =
                    if self.rooms.contains(room) || self.rooms.len() >= self.config.max_rooms {
                        LabAnswer::RoomExists
                    } else {
                        self.rooms.create(room.clone(), from);
                        LabAnswer::Created(room.to_string())
                    };
                self.answer(from, answer);
            }
            LabRequest::JoinRoom(room) => self.join_room(from, room),
            LabRequest::LeaveRoom => self.leave_room(from),
        }
    }

    /// `rj`: moves `from` into `room` (out of any other) and refreshes the
    /// peer lists; the bare `rj` if there is no such room or it is full.
    fn join_room(&mut self, from: SocketAddr, room: &Name) {
        let current = self.users.room_of(&from).cloned();
        let Some(members) = self.rooms.get(room).map(|r| r.members.len()) else {
            return self.answer(from, LabAnswer::NoSuchRoom);
        };
        if current.as_ref() != Some(room) {
            if members >= self.config.max_members {
                return self.answer(from, LabAnswer::NoSuchRoom);
            }
            self.leave_room(from);
            if self.rooms.join(room, from).is_none() {
                return self.answer(from, LabAnswer::NoSuchRoom);
            }
            if let Some(user) = self.users.get_mut(&from) {
                user.room = Some(room.clone());
            }
        }
        // joining the room one is in sends the peer lists again
        self.refresh(room, from);
    }

    /// Sends one `entry` answer per name, or `empty` if there is none.
    fn answer_list(
        &mut self,
        to: SocketAddr,
        names: Vec<String>,
        entry: fn(String) -> LabAnswer,
        empty: LabAnswer,
    ) {
        if names.is_empty() {
            return self.answer(to, empty);
        }
        for name in names {
            self.answer(to, entry(name));
        }
    }
}

impl fmt::Display for LabServerEvent {
    /// One log line: who, what, and what the server sent.
    ///
    /// ```
    /// use sockwire::room::lab::LabServer;
    /// let mut server = LabServer::default();
    /// server.handle_datagram("127.0.0.1:4000".parse()?, b"hi bob");
    /// let line = server.poll_event().unwrap().to_string();
    /// assert_eq!(line, "127.0.0.1:4000 bob: hi bob -> hi bob");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabServerEvent::Handled {
                from,
                user,
                request,
                answer,
                answers,
                refreshed,
            } => {
                let sender = Sender {
                    from,
                    user: user.as_ref(),
                };
                write!(f, "{sender}: {request} -> ")?;
                match answer {
                    Some(answer) => write!(f, "{answer}")?,
                    None => f.write_str("nothing")?,
                }
                if *answers > 1 {
                    write!(f, " (+{} more)", answers - 1)?;
                }
                match refreshed {
                    0 => {}
                    1 => f.write_str("; peer list to 1 member")?,
                    n => write!(f, "; peer lists to {n} members")?,
                }
                Ok(())
            }
            LabServerEvent::Refused {
                from,
                error,
                answer,
            } => write!(f, "{from}: refused ({error}) -> {answer}"),
            LabServerEvent::NotRegistered { from, request } => {
                write!(f, "{from}: dropped {request} (not registered)")
            }
            LabServerEvent::Dropped { from, error } => write!(f, "{from}: dropped ({error})"),
        }
    }
}
