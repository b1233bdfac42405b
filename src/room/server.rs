//! The room-chat server state machine.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::directory::{DEFAULT_MAX_MEMBERS, DEFAULT_MAX_ROOMS, DEFAULT_MAX_USERS, Rooms};
use super::outbox::{Outbox, OutboxLimits, Sent};
use super::timers::{Due, Timers};
use super::wire::{
    self, ClientBound, ErrorCode, Name, NoticeTag, Notification, Reply, Request, Seq, ServerBound,
    Tag, WireError,
};
use crate::Transmit;

const MAX_DATAGRAM: usize = ServerBound::MAX_LEN;

/// The server's limits and timers. Every table the server keeps is
/// bounded by one of them; a request that would go over answers an error
/// reply.
///
/// With the defaults a `ul` or `rl` list always fits in one datagram
/// (100 names of 32 characters); with larger limits a list is cut after the
/// last name that fits in 4,096 bytes ([`ClientBound::MAX_LEN`]).
///
/// ```
/// use sockwire::room::{RoomServer, ServerConfig};
/// let server = RoomServer::new(ServerConfig::default().with_max_users(10).with_max_rooms(5));
/// assert_eq!(server.config().max_users, 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Most registered users: see [`with_max_users`](Self::with_max_users).
    pub max_users: usize,
    /// Most rooms: see [`with_max_rooms`](Self::with_max_rooms).
    pub max_rooms: usize,
    /// Most members of one room: see
    /// [`with_max_members`](Self::with_max_members).
    pub max_members: usize,
    /// Most unregistered addresses whose replies are cached: see
    /// [`with_max_cached_replies`](Self::with_max_cached_replies).
    pub max_cached_replies: usize,
    /// Replies kept per address: see
    /// [`with_reply_history`](Self::with_reply_history).
    pub reply_history: usize,
    /// Most events kept until polled: see
    /// [`with_max_events`](Self::with_max_events).
    pub max_events: usize,
    /// Lifetime of a silent registration: see
    /// [`with_expiry`](Self::with_expiry).
    pub expiry: Duration,
    /// First wait for an acknowledgement: see
    /// [`with_resend_after`](Self::with_resend_after).
    pub resend_after: Duration,
    /// Longest wait between resends: see
    /// [`with_max_resend_interval`](Self::with_max_resend_interval).
    pub max_resend_interval: Duration,
    /// Notifications in flight per client: see
    /// [`with_max_in_flight`](Self::with_max_in_flight).
    pub max_in_flight: usize,
    /// Notifications waiting per client: see
    /// [`with_max_waiting`](Self::with_max_waiting).
    pub max_waiting: usize,
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
            max_resend_interval: Duration::from_secs(4),
            max_in_flight: 64,
            max_waiting: 1024,
        }
    }
}

crate::config::config_setters!(ServerConfig {
    /// Most registered users; `hi` from a new address past that gets
    /// `er server-full`. Default: 100.
    with_max_users => max_users: usize,
    /// Most rooms; `rc` past that gets `er too-many-rooms`. Default: 100.
    with_max_rooms => max_rooms: usize,
    /// Most members of one room; `rj` past that gets `er room-full`.
    /// Default: 32.
    with_max_members => max_members: usize,
    /// Most unregistered addresses whose replies are cached (a registered
    /// user's replies are kept with the registration); past that, the
    /// address heard from longest ago is forgotten. Default: 256.
    with_max_cached_replies => max_cached_replies: usize,
    /// How many of an address's last replies are kept, with their tags: a
    /// request with one of those tags gets its reply again and is not
    /// executed twice. More than one also answers a stale duplicate that
    /// the network delivered after the next request. A client must not
    /// reuse a tag among its last `reply_history` requests. `0` counts as
    /// 1. Default: 4.
    with_reply_history => reply_history: usize,
    /// Most events kept until polled (the oldest is dropped). Default:
    /// 1,024.
    with_max_events => max_events: usize,
    /// How long a registration lives without a datagram from its address.
    /// Default: 60 s.
    with_expiry => expiry: Duration,
    /// How long to wait for a notification's `n<seq> ak` before sending it
    /// again the first time; each later wait is twice the one before, up
    /// to [`with_max_resend_interval`](Self::with_max_resend_interval).
    /// Default: 500 ms.
    with_resend_after => resend_after: Duration,
    /// The longest wait between two sends of an unacknowledged
    /// notification (the server never gives up on a registered client).
    /// Default: 4 s.
    with_max_resend_interval => max_resend_interval: Duration,
    /// Most unacknowledged notifications in flight per client (at least
    /// 1); more wait in order. Default: 64.
    with_max_in_flight => max_in_flight: usize,
    /// Most notifications waiting per client behind those in flight; past
    /// that the oldest waiting is dropped, and the client is told how many
    /// with one `ls <count>` in their place. Default: 1,024.
    with_max_waiting => max_waiting: usize,
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
    /// A client's queue of waiting notifications overflowed: `count` of
    /// them were dropped, and `n<seq> ls <count>` was sent in their place.
    Overflowed {
        /// The user they were for.
        user: Name,
        /// Their address.
        addr: SocketAddr,
        /// The sequence number of the `ls`.
        seq: Seq,
        /// How many were dropped.
        count: u32,
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
    /// Its notifications: in flight, waiting.
    outbox: Outbox,
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
/// `n<seq> ak`, and sent again after 500 ms, then with the wait doubling up
/// to 4 s, for as long as the client stays registered. At most 64 are in
/// flight per client, and up to 1,024 more wait in order; an overflow drops
/// the oldest waiting and sends `n<seq> ls <count>` in their place
/// ([`ServerEvent::Overflowed`]). See [`ServerConfig`].
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
    /// Every registration's expiry and every notification's resend.
    timers: Timers,
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
            timers: Timers::default(),
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

    /// How many notifications to `user` are in flight, awaiting an
    /// acknowledgement (`None` if no such user).
    #[must_use]
    pub fn unacknowledged(&self, user: &str) -> Option<usize> {
        let addr = self.by_name.get(user)?;
        self.users.get(addr).map(|u| u.outbox.in_flight())
    }

    /// How many notifications to `user` wait behind those in flight
    /// (`None` if no such user).
    #[must_use]
    pub fn waiting(&self, user: &str) -> Option<usize> {
        let addr = self.by_name.get(user)?;
        self.users.get(addr).map(|u| u.outbox.waiting())
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
                Ok(ServerBound::Ack { seq }) => self.acknowledge(now, from, seq),
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

    /// Expires the registrations whose time is up at `now` and sends
    /// again the notifications whose acknowledgement is late.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = Some(now);
        while let Some((_, addr, due)) = self.timers.pop_due(now) {
            match due {
                Due::Expiry => {
                    if let Some(user) = self.remove_user(now, addr) {
                        self.push_event(ServerEvent::Expired { user, addr });
                    }
                }
                Due::Resend(seq) => {
                    let limits = self.outbox_limits();
                    let Some(user) = self.users.get_mut(&addr) else {
                        continue;
                    };
                    if let Some((payload, at)) = user.outbox.resend(now, seq, limits) {
                        self.timers.insert(at, addr, Due::Resend(seq));
                        self.send(addr, payload);
                    }
                }
            }
        }
    }

    fn outbox_limits(&self) -> OutboxLimits {
        OutboxLimits {
            max_in_flight: self.config.max_in_flight,
            max_waiting: self.config.max_waiting,
            first_resend: self.config.resend_after,
            max_resend: self.config.max_resend_interval,
        }
    }

    /// `n<seq> ak` from `from`: forgets it, and sends what now fits in
    /// flight.
    fn acknowledge(&mut self, now: Instant, from: SocketAddr, seq: Seq) {
        let limits = self.outbox_limits();
        let mut sent = Vec::new();
        let user = self.users.get_mut(&from).map(|user| {
            if let Some(at) = user.outbox.acknowledge(now, seq, limits, &mut sent) {
                self.timers.remove(at, from, Due::Resend(seq));
            }
            user.name.clone()
        });
        self.push_event(ServerEvent::Acked {
            from,
            user: user.clone(),
            seq,
        });
        if let Some(user) = user {
            self.put_in_flight(from, &user, sent);
        }
    }

    /// Sends notifications just put in flight and sets their resend timers.
    fn put_in_flight(&mut self, to: SocketAddr, user: &Name, sent: Vec<Sent>) {
        for s in sent {
            self.timers.insert(s.deadline, to, Due::Resend(s.seq));
            if let Some(count) = s.lost {
                self.push_event(ServerEvent::Overflowed {
                    user: user.clone(),
                    addr: to,
                    seq: s.seq,
                    count,
                });
            }
            self.send(to, s.payload);
        }
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
        queued.into_iter().chain(self.timers.next()).min()
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
    /// sequence number (or queues it behind those in flight), and keeps it
    /// until acknowledged.
    fn notify(&mut self, now: Instant, to: SocketAddr, notification: Notification) {
        let limits = self.outbox_limits();
        let Some(user) = self.users.get_mut(&to) else {
            return;
        };
        let mut sent = Vec::new();
        user.outbox.push(now, notification, limits, &mut sent);
        let name = user.name.clone();
        self.put_in_flight(to, &name, sent);
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
            self.timers
                .remove(user.last_seen + expiry, from, Due::Expiry);
            user.last_seen = now;
            self.timers.insert(now + expiry, from, Due::Expiry);
        }
    }

    /// Unregisters `addr`, leaving its room.
    fn remove_user(&mut self, now: Instant, addr: SocketAddr) -> Option<Name> {
        self.leave_room(now, addr);
        let user = self.users.remove(&addr)?;
        self.timers
            .remove(user.last_seen + self.config.expiry, addr, Due::Expiry);
        for (seq, at) in user.outbox.deadlines() {
            self.timers.remove(at, addr, Due::Resend(seq));
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
                            outbox: Outbox::default(),
                        },
                    );
                    self.timers
                        .insert(now + self.config.expiry, from, Due::Expiry);
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
            ServerEvent::Overflowed {
                user,
                addr,
                seq,
                count,
            } => write!(
                f,
                "{addr} {user}: {count} waiting notifications dropped, n{seq} ls {count} sent"
            ),
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
