//! The room-chat server state machine.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::directory::{DEFAULT_MAX_MEMBERS, DEFAULT_MAX_ROOMS, DEFAULT_MAX_USERS, Rooms};
use super::wire::{
    self, ClientBound, ErrorCode, Name, NoticeTag, Notification, Reply, Request, Seq, ServerBound,
    Tag, WireError,
};
use crate::Transmit;

const MAX_DATAGRAM: usize = ServerBound::MAX_LEN;

/// The server's limits. Every table the server keeps is bounded by one of
/// them; a request that would go over answers an error reply.
///
/// | field | default | when full |
/// |---|---|---|
/// | `max_users` | 100 | `hi` from a new address gets `er server-full` |
/// | `max_rooms` | 100 | `rc` gets `er too-many-rooms` |
/// | `max_members` | 32 | `rj` gets `er room-full` |
/// | `max_cached_replies` | 256 | the replies to the unregistered address heard from longest ago are forgotten |
/// | `reply_history` | 4 | replies kept per address (at least 1) |
/// | `max_events` | 1024 | the oldest unpolled [`ServerEvent`] is dropped |
/// | `expiry` | 60 s | a registration with no datagram for that long expires |
/// | `resend_after` | 500 ms | a notification not acknowledged for that long is sent again |
/// | `max_resends` | 4 | then the server gives up on it ([`ServerEvent::GaveUp`]) |
/// | `max_unacked` | 64 | unacknowledged notifications kept per client; past that the oldest is given up |
///
/// With the defaults a `ul` or `rl` list always fits in one datagram
/// (100 names of 32 characters); with larger limits a list is cut after the
/// last name that fits in 4,096 bytes ([`ClientBound::MAX_LEN`]).
///
/// Each field has a setter of the same name that returns `&mut Self`, so a
/// config is built in one expression:
///
/// ```
/// use sockwire::room::{RoomServer, ServerConfig};
/// let server = RoomServer::new(ServerConfig::default().max_users(10).max_rooms(5).clone());
/// assert_eq!(server.config().max_users, 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Most registered users.
    pub max_users: usize,
    /// Most rooms.
    pub max_rooms: usize,
    /// Most members of one room.
    pub max_members: usize,
    /// Most unregistered addresses whose replies are cached (a registered
    /// user's replies are kept with the registration).
    pub max_cached_replies: usize,
    /// How many of an address's last replies are kept, with their tags.
    ///
    /// PROTOCOLS.md asks for the last one: a request with the same tag as
    /// the last one gets its reply again. Keeping a few more also answers
    /// from the cache a stale duplicate that the network delivered after
    /// the next request, instead of executing it again. A client must not
    /// reuse a tag among its last `reply_history` requests (the crate's
    /// client counts tags up from 1). `0` counts as 1.
    pub reply_history: usize,
    /// Most events kept until polled.
    pub max_events: usize,
    /// How long a registration lives without a datagram from its address.
    pub expiry: Duration,
    /// How long to wait for a notification's `n<seq> ak` before sending it
    /// again.
    pub resend_after: Duration,
    /// How many times a notification is sent again before the server gives
    /// up on it (the client then reports a gap).
    pub max_resends: u32,
    /// Most unacknowledged notifications kept per client (at least 1); a
    /// new one past that gives up on the oldest.
    pub max_unacked: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_users: DEFAULT_MAX_USERS,
            max_rooms: DEFAULT_MAX_ROOMS,
            max_members: DEFAULT_MAX_MEMBERS,
            max_cached_replies: 256,
            reply_history: 4,
            max_events: 1024,
            expiry: Duration::from_secs(60),
            resend_after: Duration::from_millis(500),
            max_resends: 4,
            max_unacked: 64,
        }
    }
}

setters!(ServerConfig {
    max_users: usize,
    max_rooms: usize,
    max_members: usize,
    max_cached_replies: usize,
    reply_history: usize,
    max_events: usize,
    expiry: Duration,
    resend_after: Duration,
    max_resends: u32,
    max_unacked: usize,
});

/// What the server did, one event per datagram (plus one per expiry), for
/// logging.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A request was executed and answered.
    Handled {
        /// The sender.
        from: SocketAddr,
        /// The registered user that sent it: the name after the request
        /// (a `hi` sets it), or before it (a `by` ends it); `None` if the
        /// address is not registered.
        user: Option<Name>,
        /// The tag.
        tag: Tag,
        /// The request.
        request: Request,
        /// The reply sent.
        reply: Reply,
    },
    /// A request with the same tag as the address's last one: the cached
    /// reply was sent again and the request not executed.
    Retransmitted {
        /// The sender.
        from: SocketAddr,
        /// The tag.
        tag: Tag,
    },
    /// A malformed datagram whose tag could be read (or an over-long one),
    /// answered with an error reply.
    Rejected {
        /// The sender.
        from: SocketAddr,
        /// The tag of the reply (`0` if unreadable).
        tag: Tag,
        /// What was wrong.
        error: WireError,
        /// The reply sent.
        reply: Reply,
    },
    /// A datagram whose tag cannot be read: dropped without reply.
    Dropped {
        /// The sender.
        from: SocketAddr,
        /// What was wrong.
        error: WireError,
    },
    /// A registration expired: no datagram from its address for the
    /// expiry time. It left its room as `by` does.
    Expired {
        /// The user.
        user: Name,
        /// Its address.
        addr: SocketAddr,
    },
    /// `n<seq> ak`: a client acknowledged a notification (also logged for
    /// a duplicate, or from an address that is not registered).
    Acked {
        /// The sender.
        from: SocketAddr,
        /// The registered user at that address, if any.
        user: Option<Name>,
        /// The notification's sequence number.
        seq: Seq,
    },
    /// A notification was not acknowledged after all its resends, or was
    /// pushed out by newer ones ([`ServerConfig::max_unacked`]): the server
    /// stops sending it, and the client will report the gap.
    GaveUp {
        /// The user it was for.
        user: Name,
        /// Their address.
        addr: SocketAddr,
        /// The notification's sequence number.
        seq: Seq,
    },
}

type History = VecDeque<(Tag, Bytes)>;

#[derive(Debug)]
struct User {
    name: Name,
    last_seen: Instant,
    room: Option<Name>,
    /// The last requests' tags and the reply datagrams sent for them.
    history: History,
    /// The next notification's sequence number.
    next_seq: Seq,
    /// Notifications sent and not yet acknowledged, by sequence number.
    unacked: BTreeMap<Seq, Unacked>,
}

/// A notification awaiting its `ak`.
#[derive(Debug)]
struct Unacked {
    payload: Bytes,
    /// When it is sent again (its key in `RoomServer::resends`).
    deadline: Instant,
    resends: u32,
}

/// The room-chat server: a sans-IO state machine (PROTOCOLS.md §7).
///
/// | request | reply | notifications (tag `n<seq>`) |
/// |---|---|---|
/// | `hi user` | `ok`; `er name-taken`, `er bad-name`, `er server-full` | none; from a registered address it renames |
/// | `ul`, `rl` | the sorted list | none |
/// | `rc room` | `ok`; `er room-exists`, `er bad-name`, `er too-many-rooms` | `lv` to the old room's members |
/// | `rj room` | `ok`; `er no-such-room`, `er room-full` | `lv` to the old room, `jn` to the new one |
/// | `rk` | `ok`; `er not-in-room` | `lv` to those who stay |
/// | `ar user` | `pa user ip:port`; `er no-such-user` | `pa me ip:port` to `user` |
/// | `kk` | `ok`; `er not-in-room`, `er not-owner` | `kd room` to each kicked member, `lv room them` to the owner |
/// | `ms text` | `ok`; `er not-in-room`, `er too-long` if the relay would pass 4,096 bytes | `ms room me text` to every other member |
/// | `ka` | `ok` | none |
/// | `by` | `ok` | `lv` to the room's other members |
///
/// Any request but `hi` from an unregistered address gets
/// `er not-registered`; a malformed one `er bad-request` (an invalid name:
/// `er bad-name` for `hi`/`rc`, `er no-such-room` for `rj`,
/// `er no-such-user` for `ar`, `er not-registered` but for `hi` from an
/// unregistered address); an over-long datagram `er too-long` with its
/// tag, or `0` when it cannot be read; a datagram whose tag cannot be read
/// is dropped. An owner who leaves hands the room to the member who joined
/// longest ago; an empty room is removed. Every datagram refreshes its
/// address's registration, which expires after 60 s of silence (leaving its
/// room as `by` does). A request whose address and tag match a recent one
/// (see [`ServerConfig::reply_history`]) gets the same reply again, and is
/// not executed twice.
///
/// Notifications are reliable: each client's are numbered `n1`, `n2`, …
/// from its `hi` (a rename keeps counting), kept until the client answers
/// `n<seq> ak`, and sent again every 500 ms up to 4 times; at most 64 are
/// kept per client (see [`ServerConfig`]). The server then gives up
/// ([`ServerEvent::GaveUp`]) and the client reports the gap.
///
/// The notifications a request causes are queued before its reply. Every
/// table is bounded by a [`ServerConfig`] limit; the transmit queue holds
/// only the output of the calls since it was last drained.
///
/// # Driving it
///
/// One turn of the loop, in this order:
///
/// 1. feed what arrived: [`handle_datagram`](Self::handle_datagram);
/// 2. run the timers when [`poll_timeout`](Self::poll_timeout) is due:
///    [`handle_timeout`](Self::handle_timeout);
/// 3. drain [`poll_event`](Self::poll_event) (log it);
/// 4. send every [`poll_transmit`](Self::poll_transmit);
///
/// then wait for a datagram until `poll_timeout()`. A loop that sends
/// before it handles does no harm: while a datagram waits in the queue,
/// `poll_timeout()` is already due, so the wait ends at once.
///
/// ```
/// use std::net::UdpSocket;
/// use std::time::{Duration, Instant};
/// use sockwire::room::RoomServer;
///
/// /// One turn: input, timers, events, output.
/// fn turn(server: &mut RoomServer, socket: &UdpSocket, buf: &mut [u8]) -> std::io::Result<()> {
///     let wait = server.poll_timeout().map(|t| t.saturating_duration_since(Instant::now()));
///     socket.set_read_timeout(Some(wait.unwrap_or(Duration::from_secs(1)).max(Duration::from_millis(1))))?;
///     if let Ok((n, from)) = socket.recv_from(buf) {
///         server.handle_datagram(Instant::now(), from, &buf[..n]); // 1
///     }
///     if server.poll_timeout().is_some_and(|t| t <= Instant::now()) {
///         server.handle_timeout(Instant::now()); // 2
///     }
///     while let Some(event) = server.poll_event() {
///         println!("{event}"); // 3
///     }
///     while let Some(t) = server.poll_transmit() {
///         socket.send_to(&t.payload, t.destination)?; // 4
///     }
///     Ok(())
/// }
///
/// let socket = UdpSocket::bind("127.0.0.1:0")?;
/// let client = UdpSocket::bind("127.0.0.1:0")?;
/// client.send_to(b"1 hi alice", socket.local_addr()?)?;
/// let mut server = RoomServer::default();
/// turn(&mut server, &socket, &mut [0; 4096])?;
/// let mut reply = [0; 4096];
/// client.set_read_timeout(Some(Duration::from_secs(5)))?;
/// let (n, _) = client.recv_from(&mut reply)?;
/// assert_eq!(&reply[..n], b"1 ok");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Driven by hand, without a socket:
///
/// ```
/// use std::time::Instant;
/// use sockwire::room::RoomServer;
///
/// let mut server = RoomServer::default();
/// let alice = "127.0.0.1:40001".parse()?;
/// server.handle_datagram(Instant::now(), alice, b"1 hi alice");
/// let reply = server.poll_transmit().unwrap();
/// assert_eq!((reply.destination, &reply.payload[..]), (alice, &b"1 ok"[..]));
/// server.handle_datagram(Instant::now(), alice, b"2 ul");
/// assert_eq!(&server.poll_transmit().unwrap().payload[..], b"2 ul alice");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RoomServer {
    config: ServerConfig,
    users: HashMap<SocketAddr, User>,
    by_name: BTreeMap<Name, SocketAddr>,
    rooms: Rooms,
    /// (deadline, address) of every registration.
    deadlines: BTreeSet<(Instant, SocketAddr)>,
    /// (deadline, address, seq) of every unacknowledged notification.
    resends: BTreeSet<(Instant, SocketAddr, Seq)>,
    /// Last replies to each unregistered address, and its insertion seq.
    anon: HashMap<SocketAddr, (History, u64)>,
    anon_order: VecDeque<(u64, SocketAddr)>,
    anon_seq: u64,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ServerEvent>,
    /// The `now` of the latest call: `poll_timeout` while output waits.
    last_now: Option<Instant>,
}

impl Default for RoomServer {
    /// A server with the default limits.
    fn default() -> Self {
        Self::new(ServerConfig::default())
    }
}

impl RoomServer {
    /// A server with the given limits.
    #[must_use]
    pub fn new(config: ServerConfig) -> Self {
        RoomServer {
            config,
            users: HashMap::new(),
            by_name: BTreeMap::new(),
            rooms: Rooms::default(),
            deadlines: BTreeSet::new(),
            resends: BTreeSet::new(),
            anon: HashMap::new(),
            anon_order: VecDeque::new(),
            anon_seq: 0,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            last_now: None,
        }
    }

    /// The limits.
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Registered user names, sorted.
    pub fn users(&self) -> impl Iterator<Item = &Name> {
        self.by_name.keys()
    }

    /// Room names, sorted.
    pub fn rooms(&self) -> impl Iterator<Item = &Name> {
        self.rooms.names()
    }

    /// A room's owner and its members in join order, by user name.
    #[must_use]
    pub fn room_members(&self, room: &str) -> Option<(Name, Vec<Name>)> {
        let r = self.rooms.get(room)?;
        let name = |a: &SocketAddr| self.users.get(a).map(|u| u.name.clone());
        let members = r.members.iter().filter_map(name).collect();
        Some((name(&r.owner)?, members))
    }

    /// How many notifications to `user` await an acknowledgement (`None`
    /// if no such user).
    #[must_use]
    pub fn unacknowledged(&self, user: &str) -> Option<usize> {
        let addr = self.by_name.get(user)?;
        self.users.get(addr).map(|u| u.unacked.len())
    }

    /// How many replies to unregistered addresses are cached.
    #[must_use]
    pub fn cached_replies(&self) -> usize {
        self.anon.len()
    }

    /// Handles one datagram from `from`, received at `now`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.handle_timeout(now);
        self.touch(now, from);
        if datagram.len() > MAX_DATAGRAM {
            let tag = wire::read_tag(datagram);
            let error = WireError::TooLong {
                size: datagram.len(),
                max: MAX_DATAGRAM,
            };
            // cache the reply only under a tag the sender chose
            self.reject(
                from,
                tag.unwrap_or(0),
                error,
                ErrorCode::TooLong,
                tag.is_some(),
            );
            return;
        }
        let Some(tag) = wire::read_tag(datagram) else {
            match ServerBound::parse(datagram) {
                Ok(ServerBound::Ack { seq }) => self.acknowledge(from, seq),
                Err(error) => self.push_event(ServerEvent::Dropped { from, error }),
                // a request always has a readable tag
                Ok(ServerBound::Request { .. }) => {}
            }
            return;
        };
        if let Some(cached) = self.cached(from, tag) {
            self.send(from, cached);
            self.push_event(ServerEvent::Retransmitted { from, tag });
            return;
        }
        let request = match ServerBound::parse(datagram) {
            Ok(ServerBound::Request { request, .. }) => request,
            // an acknowledgement has no readable tag
            Ok(ServerBound::Ack { .. }) => return,
            Err(error) => {
                let registered = self.users.contains_key(&from);
                let code = match wire::bad_name_op(&error) {
                    Some("hi") => ErrorCode::BadName,
                    Some(_) if !registered => ErrorCode::NotRegistered,
                    Some("rc") => ErrorCode::BadName,
                    Some("rj") => ErrorCode::NoSuchRoom,
                    Some("ar") => ErrorCode::NoSuchUser,
                    _ => ErrorCode::BadRequest,
                };
                self.reject(from, tag, error, code, true);
                return;
            }
        };
        if tag == 0 && matches!(request, Request::Poke(_)) {
            // Its `pa` reply would carry tag 0, which `pa` may not have
            // notification: refuse it before poking anyone.
            let error = WireError::WrongTag { op: "ar", tag };
            self.reject(from, tag, error, ErrorCode::BadRequest, true);
            return;
        }
        let before = self.users.get(&from).map(|u| u.name.clone());
        let reply = if before.is_some() || matches!(request, Request::Hello(_)) {
            self.execute(now, from, &request)
        } else {
            Reply::error(ErrorCode::NotRegistered)
        };
        let payload = self.reply(from, tag, &reply);
        self.remember(from, tag, payload);
        let user = self.users.get(&from).map(|u| u.name.clone()).or(before);
        self.push_event(ServerEvent::Handled {
            from,
            user,
            tag,
            request,
            reply,
        });
    }

    /// Expires the registrations whose time is up at `now`, sends again
    /// the notifications whose acknowledgement is late, and gives up on
    /// those out of resends.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = Some(now);
        self.expire(now);
        self.resend(now);
    }

    fn resend(&mut self, now: Instant) {
        while let Some(&(deadline, addr, seq)) = self.resends.first() {
            if deadline > now {
                break;
            }
            self.resends.pop_first();
            let Some(user) = self.users.get_mut(&addr) else {
                continue;
            };
            let Some(entry) = user.unacked.get_mut(&seq) else {
                continue;
            };
            if entry.resends >= self.config.max_resends {
                user.unacked.remove(&seq);
                let user = user.name.clone();
                self.push_event(ServerEvent::GaveUp { user, addr, seq });
                continue;
            }
            entry.resends += 1;
            entry.deadline = now + self.config.resend_after;
            let payload = entry.payload.clone();
            self.resends.insert((entry.deadline, addr, seq));
            self.send(addr, payload);
        }
    }

    /// `n<seq> ak` from `from`.
    fn acknowledge(&mut self, from: SocketAddr, seq: Seq) {
        let user = self.users.get_mut(&from).map(|user| {
            if let Some(entry) = user.unacked.remove(&seq) {
                self.resends.remove(&(entry.deadline, from, seq));
            }
            user.name.clone()
        });
        self.push_event(ServerEvent::Acked { from, user, seq });
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called
    /// (the earliest expiry), if ever. While a datagram waits for
    /// [`poll_transmit`](Self::poll_transmit), the time of the latest call:
    /// already due, so that a loop waiting on it goes round to send.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let queued = self.last_now.filter(|_| !self.transmits.is_empty());
        let expiry = self.deadlines.first().map(|(t, _)| *t);
        let resend = self.resends.first().map(|(t, _, _)| *t);
        queued.into_iter().chain(expiry).chain(resend).min()
    }

    /// The next event to log.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn push_event(&mut self, event: ServerEvent) {
        if self.events.len() >= self.config.max_events {
            self.events.pop_front();
        }
        if self.config.max_events > 0 {
            self.events.push_back(event);
        }
    }

    fn reject(
        &mut self,
        from: SocketAddr,
        tag: Tag,
        error: WireError,
        code: ErrorCode,
        cache: bool,
    ) {
        let reply = Reply::error(code);
        let payload = self.reply(from, tag, &reply);
        if cache {
            self.remember(from, tag, payload);
        }
        self.push_event(ServerEvent::Rejected {
            from,
            tag,
            error,
            reply,
        });
    }

    /// Queues `reply` to `to` and returns its bytes.
    fn reply(&mut self, to: SocketAddr, tag: Tag, reply: &Reply) -> Bytes {
        let payload = datagram(tag, reply);
        self.send(to, payload.clone());
        payload
    }

    /// Sends `notification` to the registered user at `to` with its next
    /// sequence number, and keeps it until acknowledged.
    fn notify(&mut self, now: Instant, to: SocketAddr, notification: Notification) {
        let Some(user) = self.users.get_mut(&to) else {
            return;
        };
        let seq = user.next_seq;
        // 0 is not a sequence number: after u32::MAX comes 1
        user.next_seq = seq.checked_add(1).unwrap_or(1);
        let payload = datagram(NoticeTag(seq), &notification);
        let mut gave_up = Vec::new();
        while user.unacked.len() >= self.config.max_unacked.max(1) {
            let Some((old, entry)) = user.unacked.pop_first() else {
                break;
            };
            self.resends.remove(&(entry.deadline, to, old));
            gave_up.push(old);
        }
        let deadline = now + self.config.resend_after;
        user.unacked.insert(
            seq,
            Unacked {
                payload: payload.clone(),
                deadline,
                resends: 0,
            },
        );
        self.resends.insert((deadline, to, seq));
        let name = user.name.clone();
        for seq in gave_up {
            let user = name.clone();
            self.push_event(ServerEvent::GaveUp {
                user,
                addr: to,
                seq,
            });
        }
        self.send(to, payload);
    }

    fn send(&mut self, destination: SocketAddr, payload: Bytes) {
        self.transmits.push_back(Transmit {
            destination,
            payload,
        });
    }

    fn cached(&self, from: SocketAddr, tag: Tag) -> Option<Bytes> {
        let history = match self.users.get(&from) {
            Some(user) => &user.history,
            None => &self.anon.get(&from)?.0,
        };
        history
            .iter()
            .rev()
            .find(|(t, _)| *t == tag)
            .map(|(_, b)| b.clone())
    }

    fn remember(&mut self, from: SocketAddr, tag: Tag, payload: Bytes) {
        let keep = self.config.reply_history.max(1);
        let push = |history: &mut History| {
            history.push_back((tag, payload));
            while history.len() > keep {
                history.pop_front();
            }
        };
        if let Some(user) = self.users.get_mut(&from) {
            push(&mut user.history);
            return;
        }
        if self.config.max_cached_replies == 0 {
            return;
        }
        self.anon_seq += 1;
        let seq = self.anon_seq;
        let entry = self.anon.entry(from).or_default();
        push(&mut entry.0);
        entry.1 = seq;
        self.anon_order.push_back((seq, from));
        self.trim_anon();
    }

    fn trim_anon(&mut self) {
        while self.anon.len() > self.config.max_cached_replies {
            let Some((seq, addr)) = self.anon_order.pop_front() else {
                break;
            };
            if self.anon.get(&addr).is_some_and(|(_, s)| *s == seq) {
                self.anon.remove(&addr);
            }
        }
        if self.anon_order.len() > 2 * self.config.max_cached_replies {
            let anon = &self.anon;
            self.anon_order
                .retain(|(seq, addr)| anon.get(addr).is_some_and(|(_, s)| s == seq));
        }
    }

    /// Refreshes the registration of `from`, if any.
    fn touch(&mut self, now: Instant, from: SocketAddr) {
        let expiry = self.config.expiry;
        if let Some(user) = self.users.get_mut(&from) {
            self.deadlines.remove(&(user.last_seen + expiry, from));
            user.last_seen = now;
            self.deadlines.insert((now + expiry, from));
        }
    }

    fn expire(&mut self, now: Instant) {
        while let Some(&(deadline, addr)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            self.deadlines.pop_first();
            if let Some(user) = self.remove_user(now, addr) {
                self.push_event(ServerEvent::Expired { user, addr });
            }
        }
    }

    /// Unregisters `addr`, leaving its room.
    fn remove_user(&mut self, now: Instant, addr: SocketAddr) -> Option<Name> {
        self.leave_room(now, addr);
        let user = self.users.remove(&addr)?;
        self.deadlines
            .remove(&(user.last_seen + self.config.expiry, addr));
        for (seq, entry) in &user.unacked {
            self.resends.remove(&(entry.deadline, addr, *seq));
        }
        self.by_name.remove(&user.name);
        // A late duplicate of a request sent before `by` still finds its
        // reply.
        if self.config.max_cached_replies > 0 && !user.history.is_empty() {
            self.anon_seq += 1;
            self.anon.insert(addr, (user.history, self.anon_seq));
            self.anon_order.push_back((self.anon_seq, addr));
            self.trim_anon();
        }
        Some(user.name)
    }

    /// Takes `addr` out of its room: hands ownership over, removes an empty
    /// room, tells those who stay.
    fn leave_room(&mut self, now: Instant, addr: SocketAddr) {
        let Some(user) = self.users.get_mut(&addr) else {
            return;
        };
        let Some(room_name) = user.room.take() else {
            return;
        };
        let user_name = user.name.clone();
        let stay = self.rooms.leave(&room_name, addr);
        for member in stay {
            self.notify(
                now,
                member,
                Notification::Left {
                    room: room_name.clone(),
                    user: user_name.clone(),
                },
            );
        }
    }

    /// Puts `addr` into the existing room `room_name`, telling the members.
    fn join_room(&mut self, now: Instant, addr: SocketAddr, room_name: &Name) {
        let Some(user) = self.users.get_mut(&addr) else {
            return;
        };
        user.room = Some(room_name.clone());
        let user_name = user.name.clone();
        let Some(others) = self.rooms.join(room_name, addr) else {
            return;
        };
        for member in others {
            self.notify(
                now,
                member,
                Notification::Joined {
                    room: room_name.clone(),
                    user: user_name.clone(),
                },
            );
        }
    }

    fn room_of(&self, addr: SocketAddr) -> Option<Name> {
        self.users.get(&addr).and_then(|u| u.room.clone())
    }

    fn execute(&mut self, now: Instant, from: SocketAddr, request: &Request) -> Reply {
        use ErrorCode as E;
        let err = Reply::error;
        match request {
            Request::Hello(name) => {
                if let Some(&owner) = self.by_name.get(name) {
                    return if owner == from {
                        Reply::Ok
                    } else {
                        err(E::NameTaken)
                    };
                }
                if let Some(user) = self.users.get_mut(&from) {
                    self.by_name.remove(&user.name);
                    user.name = name.clone();
                } else {
                    if self.users.len() >= self.config.max_users {
                        return err(E::ServerFull);
                    }
                    self.users.insert(
                        from,
                        User {
                            name: name.clone(),
                            last_seen: now,
                            room: None,
                            history: self
                                .anon
                                .remove(&from)
                                .map_or_else(History::new, |(h, _)| h),
                            next_seq: 1,
                            unacked: BTreeMap::new(),
                        },
                    );
                    self.deadlines.insert((now + self.config.expiry, from));
                }
                self.by_name.insert(name.clone(), from);
                Reply::Ok
            }
            Request::UserList => Reply::Users(fit_list(self.by_name.keys())),
            Request::RoomList => Reply::Rooms(fit_list(self.rooms.names())),
            Request::CreateRoom(room) => {
                if self.rooms.contains(room) {
                    return err(E::RoomExists);
                }
                // leaving a room we are alone in frees its slot
                let freed = self
                    .room_of(from)
                    .and_then(|r| self.rooms.get(&r))
                    .is_some_and(|r| r.members.len() == 1);
                if self.rooms.len() - usize::from(freed) >= self.config.max_rooms {
                    return err(E::TooManyRooms);
                }
                self.leave_room(now, from);
                self.rooms.create(room.clone(), from);
                self.join_room(now, from, room);
                Reply::Ok
            }
            Request::JoinRoom(room) => {
                let Some(r) = self.rooms.get(room) else {
                    return err(E::NoSuchRoom);
                };
                if self.room_of(from).as_ref() == Some(room) {
                    return Reply::Ok;
                }
                if r.members.len() >= self.config.max_members {
                    return err(E::RoomFull);
                }
                self.leave_room(now, from);
                self.join_room(now, from, room);
                Reply::Ok
            }
            Request::LeaveRoom => {
                if self.room_of(from).is_none() {
                    return err(E::NotInRoom);
                }
                self.leave_room(now, from);
                Reply::Ok
            }
            Request::Poke(target) => {
                let Some(&target_addr) = self.by_name.get(target) else {
                    return err(E::NoSuchUser);
                };
                if let Some(me) = self.users.get(&from) {
                    let poke = Notification::Poked {
                        user: me.name.clone(),
                        addr: from,
                    };
                    self.notify(now, target_addr, poke);
                }
                Reply::Address {
                    user: target.clone(),
                    addr: target_addr,
                }
            }
            Request::Kick => {
                let Some(room_name) = self.room_of(from) else {
                    return err(E::NotInRoom);
                };
                let Some(room) = self.rooms.get_mut(&room_name) else {
                    return err(E::NotInRoom);
                };
                if room.owner != from {
                    return err(E::NotOwner);
                }
                let kicked: Vec<SocketAddr> = room
                    .members
                    .iter()
                    .copied()
                    .filter(|m| *m != from)
                    .collect();
                room.members.retain(|m| *m == from);
                for addr in kicked {
                    let Some(user) = self.users.get_mut(&addr) else {
                        continue;
                    };
                    user.room = None;
                    let name = user.name.clone();
                    self.notify(
                        now,
                        addr,
                        Notification::Kicked {
                            room: room_name.clone(),
                        },
                    );
                    self.notify(
                        now,
                        from,
                        Notification::Left {
                            room: room_name.clone(),
                            user: name,
                        },
                    );
                }
                Reply::Ok
            }
            Request::Say(text) => {
                let Some(room_name) = self.room_of(from) else {
                    return err(E::NotInRoom);
                };
                let Some(user_name) = self.users.get(&from).map(|u| u.name.clone()) else {
                    return err(E::NotRegistered);
                };
                let said = Notification::Said {
                    room: room_name.clone(),
                    user: user_name,
                    text: text.clone(),
                };
                // checked with the longest tag, so the limit does not
                // depend on the members' sequence numbers
                let longest = format!("{} {said}", NoticeTag(Seq::MAX)).len();
                if longest > ClientBound::MAX_LEN {
                    return Reply::Error {
                        code: E::TooLong,
                        text: Some("relayed message would exceed 4096 bytes".into()),
                    };
                }
                // A member's room is always one of the rooms.
                let Some(members) = self.rooms.get(&room_name).map(|r| r.members.clone()) else {
                    return err(E::NotInRoom);
                };
                for member in members.into_iter().filter(|m| *m != from) {
                    self.notify(now, member, said.clone());
                }
                Reply::Ok
            }
            Request::KeepAlive => Reply::Ok,
            Request::Bye => {
                self.remove_user(now, from);
                Reply::Ok
            }
        }
    }
}

/// The names that fit in one `ul`/`rl` reply with the longest tag.
fn fit_list<'a>(names: impl Iterator<Item = &'a Name>) -> Vec<Name> {
    // "4294967295 ul"
    let mut size = 13;
    let mut out = Vec::new();
    for name in names {
        size += 1 + name.len();
        if size > MAX_DATAGRAM {
            break;
        }
        out.push(name.clone());
    }
    out
}

/// A datagram the server sends: `tag`, a space, the message. Formatting
/// cannot fail, and every message the server builds fits in
/// [`ClientBound::MAX_LEN`] by construction: names are at most 32
/// characters, lists are cut by `fit_list`, an `ms` relay is checked
/// before it is built, a `pa` reply with tag `0` is refused before the
/// poke runs, and the server sends no `ErrorCode::Other`.
fn datagram(tag: impl std::fmt::Display, message: &dyn std::fmt::Display) -> Bytes {
    let payload = Bytes::from(format!("{tag} {message}"));
    debug_assert!(
        payload.len() <= MAX_DATAGRAM,
        "room server datagram over the limit"
    );
    payload
}

impl std::fmt::Display for ServerEvent {
    /// One log line: who, what, and what the server answered.
    ///
    /// ```
    /// use sockwire::room::RoomServer;
    /// let mut server = RoomServer::default();
    /// server.handle_datagram(std::time::Instant::now(), "127.0.0.1:4000".parse()?, b"7 hi bob");
    /// let line = server.poll_event().unwrap().to_string();
    /// assert_eq!(line, "127.0.0.1:4000 bob: 7 hi bob -> ok");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerEvent::Handled {
                from,
                user,
                tag,
                request,
                reply,
            } => {
                write!(f, "{from} ")?;
                match user {
                    Some(user) => write!(f, "{user}")?,
                    None => write!(f, "(unregistered)")?,
                }
                write!(f, ": {tag} {} -> {}", Shorten(request), Shorten(reply))
            }
            ServerEvent::Retransmitted { from, tag } => {
                write!(f, "{from}: {tag} retransmitted, cached reply sent again")
            }
            ServerEvent::Rejected {
                from,
                tag,
                error,
                reply,
            } => write!(f, "{from}: {tag} rejected ({error}) -> {reply}"),
            ServerEvent::Dropped { from, error } => write!(f, "{from}: dropped ({error})"),
            ServerEvent::Expired { user, addr } => write!(f, "{addr} {user}: expired"),
            ServerEvent::Acked { from, user, seq } => match user {
                Some(user) => write!(f, "{from} {user}: n{seq} ak"),
                None => write!(f, "{from} (unregistered): n{seq} ak"),
            },
            ServerEvent::GaveUp { user, addr, seq } => {
                write!(f, "{addr} {user}: n{seq} not acknowledged, given up")
            }
        }
    }
}

/// Displays at most 200 bytes of a message, for log lines.
struct Shorten<'a, T>(&'a T);

impl<T: std::fmt::Display> std::fmt::Display for Shorten<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.to_string();
        if s.len() <= 200 {
            return f.write_str(&s);
        }
        // 0 is always a char boundary
        let end = (0..=200)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        let (head, _) = s.split_at(end);
        write!(f, "{head}... ({} bytes)", s.len())
    }
}
