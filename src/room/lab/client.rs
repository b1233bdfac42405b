//! The §8 client: handshake, peer lists, chat lines to peers, and the
//! wait for `by`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use thiserror::Error;

mod event;

pub use event::{LabClientEvent, LabDropReason};

use super::wire::{LabAnswer, LabChat, LabRequest, LabWireError};
use crate::Transmit;
use crate::room::events::EventQueue;
use crate::room::peers::PeerTable;
use crate::room::{Command, Name, Request};

/// The §8 client's limits and its one timer. Build it with the `with_`
/// setters, which state the defaults:
///
/// ```
/// use std::time::Duration;
/// use sockwire::room::lab::LabClientConfig;
/// let config = LabClientConfig::default().with_bye_wait(Duration::from_millis(200));
/// assert_eq!(config.max_peers, 256);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LabClientConfig {
    /// Most peer addresses remembered: see
    /// [`with_max_peers`](Self::with_max_peers).
    pub max_peers: usize,
    /// Most events kept until polled: see
    /// [`with_max_events`](Self::with_max_events).
    pub max_events: usize,
    /// How long `$quit` waits for the server's `by`: see
    /// [`with_bye_wait`](Self::with_bye_wait).
    pub bye_wait: Duration,
}

impl Default for LabClientConfig {
    fn default() -> Self {
        LabClientConfig {
            max_peers: 256,
            max_events: 1024,
            bye_wait: Duration::from_secs(1),
        }
    }
}

crate::config::config_setters!(LabClientConfig {
    /// Most peer addresses remembered (room peers and poked users): past
    /// it, a room's peer list is cut and the oldest poked user is
    /// forgotten. Default: 256.
    with_max_peers => max_peers: usize,
    /// Most events kept until polled (the oldest is dropped). Default:
    /// 1,024.
    with_max_events => max_events: usize,
    /// How long `$quit` waits for the server's `by` before the client
    /// closes anyway (§8 has no retransmission, so a lost `by` is never
    /// answered). Default: 1 s.
    with_bye_wait => bye_wait: Duration,
});

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

/// The §8 client: a sans-IO state machine.
///
/// [`new`](Self::new) sends `hi NAME`; on [`LabClientEvent::NameTaken`],
/// ask for another name and call [`hello`](Self::hello). Then it takes a
/// person's lines with [`handle_line`](Self::handle_line): the `$`
/// commands of §7 ([`Command::parse_line`]), and any other line is a chat
/// line, `msg NAME> TEXT`, sent to every peer: the members of its room
/// (from the server's peer lists) and every poked user. `$kick` only
/// forgets the peers; `$msg USER TEXT` sends a chat line to one poked user
/// only. `$quit` sends `by` and starts the one timer: the client closes
/// when the server answers, or at [`poll_timeout`](Self::poll_timeout).
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
/// let mut client = LabClient::new(server, Name::new("alice")?, Default::default());
/// assert_eq!(&client.poll_transmit().unwrap().payload[..], b"hi alice");
/// client.handle_datagram(server, b"hi");
/// assert_eq!(client.poll_event(), Some(LabClientEvent::NameTaken(Name::new("alice")?)));
/// client.hello(Name::new("alice2")?)?;
/// assert_eq!(&client.poll_transmit().unwrap().payload[..], b"hi alice2");
/// // $quit: `by`, and a deadline for its answer
/// let now = Instant::now();
/// client.handle_line(now, "$quit")?;
/// assert_eq!(&client.poll_transmit().unwrap().payload[..], b"by");
/// assert!(client.poll_timeout() > Some(now));
/// client.handle_timeout(client.poll_timeout().unwrap());
/// assert_eq!(client.poll_event(), Some(LabClientEvent::Closed { answered: false }));
/// assert!(client.is_closed());
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
    poked: PeerTable<String>,
    /// `by` was sent.
    quitting: bool,
    /// When the client closes if no answer to `by` came (`None` for a
    /// wait too long to count).
    bye_deadline: Option<Instant>,
    closed: bool,
    transmits: VecDeque<Transmit>,
    events: EventQueue<LabClientEvent>,
}

impl LabClient {
    /// A client of the server at `server`, registering as `name`: queues
    /// `hi NAME`. It takes no `now`: it starts no timer.
    #[must_use]
    pub fn new(server: SocketAddr, name: Name, config: LabClientConfig) -> Self {
        let mut client = LabClient {
            events: EventQueue::new(config.max_events),
            poked: PeerTable::new(config.max_peers),
            config,
            server,
            name: None,
            asked: VecDeque::new(),
            pokes: VecDeque::new(),
            joins: VecDeque::new(),
            room: None,
            room_peers: Vec::new(),
            quitting: false,
            bye_deadline: None,
            closed: false,
            transmits: VecDeque::new(),
        };
        client.ask_name(name);
        client
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
        for addr in self.poked.addrs() {
            if !peers.contains(&addr) {
                peers.push(addr);
            }
        }
        peers
    }

    /// Whether the client is finished (the server answered `by`, or the
    /// bye wait ran out) and has nothing left to send.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed && self.transmits.is_empty()
    }

    /// Sends `hi NAME` again, with another name, after
    /// [`LabClientEvent::NameTaken`].
    ///
    /// # Errors
    ///
    /// [`LabClientError::Closed`] after `$quit`.
    pub fn hello(&mut self, name: Name) -> Result<(), LabClientError> {
        if self.closed || self.quitting {
            return Err(LabClientError::Closed);
        }
        self.ask_name(name);
        Ok(())
    }

    fn ask_name(&mut self, name: Name) {
        self.request(&LabRequest::Hello(name.clone()));
        self.asked.push_back(name);
    }

    /// Handles a line a person typed (see [`Command::parse_line`]). It
    /// takes `now` for `$quit`, which starts the bye wait.
    ///
    /// §7's client returns the tag of the request sent; §8 has no tags, so
    /// this returns only whether the line was taken.
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

    /// Carries out a command; `now` as for [`handle_line`](Self::handle_line).
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
            Command::Quit => return self.bye(now),
            Command::Request(Request::Hello(name)) => return self.hello(name),
            _ if self.name.is_none() => return Err(LabClientError::NotRegistered),
            Command::Private { to, text } => {
                let addr = (self.poked.get(&to)).ok_or(LabClientError::NotPoked {
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
                self.events.push(LabClientEvent::PeersForgotten);
                return Ok(());
            }
            Request::LeaveRoom => {
                self.room = None;
                self.room_peers.clear();
                self.events.push(LabClientEvent::LeftRoom);
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
            Request::Bye => return self.bye(now),
            // a keep-alive has no place on this wire
            Request::KeepAlive => return Ok(()),
            Request::Hello(_) => return Ok(()),
        };
        self.request(&lab);
        Ok(())
    }

    /// Sends `by` and starts the wait for its answer.
    fn bye(&mut self, now: Instant) -> Result<(), LabClientError> {
        self.quitting = true;
        self.bye_deadline = now.checked_add(self.config.bye_wait);
        self.request(&LabRequest::Bye);
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

    /// Handles one datagram from `from`. It takes no `now`: an answer can
    /// only end the bye wait, never move it.
    pub fn handle_datagram(&mut self, from: SocketAddr, datagram: &[u8]) {
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
        let known = self.room_peers.contains(&addr) || self.poked.knows(addr);
        if !known {
            if !self.room_peers.is_empty() || !self.poked.is_empty() {
                return self.drop_datagram(addr, LabDropReason::UnknownPeer);
            }
            self.poked.learn_latest(chat.from.clone(), addr);
        }
        self.events.push(LabClientEvent::Chat { addr, chat });
    }

    fn take_answer(&mut self, answer: LabAnswer) {
        let event = match answer {
            LabAnswer::Welcome(_) => {
                let Some(asked) = self.asked.pop_front() else {
                    return;
                };
                self.name = Some(asked.clone());
                LabClientEvent::Registered(asked)
            }
            LabAnswer::NameRefused => match self.asked.pop_front() {
                Some(asked) => LabClientEvent::NameTaken(asked),
                None => return,
            },
            LabAnswer::Bye => return self.close(true),
            LabAnswer::Address(addr) => {
                let Some(user) = self.pokes.pop_front() else {
                    return;
                };
                self.poked.learn_latest(user.to_string(), addr);
                LabClientEvent::Poked { user, addr }
            }
            LabAnswer::NoSuchUser => match self.pokes.pop_front() {
                Some(user) => LabClientEvent::NoSuchUser(user),
                None => return,
            },
            LabAnswer::NoSuchRoom => {
                self.joins.pop_front();
                LabClientEvent::Answer(answer)
            }
            LabAnswer::ClearPeers => {
                if let Some(room) = self.joins.pop_front() {
                    self.room = Some(room);
                }
                self.room_peers.clear();
                LabClientEvent::Answer(answer)
            }
            LabAnswer::Peer(addr) => {
                if self.room_peers.len() >= self.config.max_peers || self.room_peers.contains(&addr)
                {
                    return;
                }
                self.room_peers.push(addr);
                LabClientEvent::Answer(answer)
            }
            LabAnswer::User(_)
            | LabAnswer::NoUsers
            | LabAnswer::Room(_)
            | LabAnswer::NoRooms
            | LabAnswer::Created(_)
            | LabAnswer::RoomExists => LabClientEvent::Answer(answer),
        };
        self.events.push(event);
    }

    /// Closes the client, once.
    fn close(&mut self, answered: bool) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.bye_deadline = None;
        self.events.push(LabClientEvent::Closed { answered });
    }

    /// Closes the client if the server has not answered `by` by now.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.bye_deadline.is_some_and(|t| t <= now) {
            self.close(false);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due: the end
    /// of the bye wait, once `by` is sent; else never.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.bye_deadline
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event to show.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<LabClientEvent> {
        self.events.pop()
    }

    fn drop_datagram(&mut self, from: SocketAddr, reason: LabDropReason) {
        self.events.push(LabClientEvent::Dropped { from, reason });
    }
}
