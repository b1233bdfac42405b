//! The room-chat server state machine.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;

use super::directory::Rooms;
use super::events::EventQueue;
use super::outbox::{self, Outbox, OutboxLimits, Sent};
use super::registry::Registry;
use super::reply_cache::{History, ReplyCache};
use super::timers::{Due, Timers};
use super::wire::{
    self, ClientBound, ErrorCode, Name, Notification, Reply, Request, Seq, ServerBound, Tag,
    WireError,
};
use super::words;
use crate::Transmit;

mod config;
mod event;
mod execute;

pub use config::ServerConfig;
pub use event::ServerEvent;

const MAX_DATAGRAM: usize = ServerBound::MAX_LEN;

/// What the server keeps per registered user beside its name and room.
#[derive(Debug)]
struct Session {
    last_seen: Instant,
    /// The last requests' tags and the reply datagrams sent for them.
    history: History,
    /// Its notifications: in flight, waiting.
    outbox: Outbox,
}

/// The room-chat server: a sans-IO state machine.
///
/// It keeps the address book, the rooms and, per client, the reply cache
/// and the notifications in flight; it answers each request with the
/// request's tag, and sends the notifications a request causes (tag
/// `n<seq>`) until each is acknowledged. What each request does, and the
/// loop that drives the server, are in the [module docs](crate::room).
/// Every table is bounded by a [`ServerConfig`] limit.
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
    users: Registry<Session>,
    rooms: Rooms,
    /// Every registration's expiry and every notification's resend.
    timers: Timers,
    /// Last replies to unregistered addresses.
    replies: ReplyCache,
    transmits: VecDeque<Transmit>,
    events: EventQueue<ServerEvent>,
    /// The `now` of the latest call: `poll_timeout` while output waits.
    last_now: Option<Instant>,
    /// Notifications just put in flight, kept empty between calls (its
    /// room is reused).
    sent: Vec<Sent>,
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
            users: Registry::default(),
            rooms: Rooms::default(),
            timers: Timers::default(),
            replies: ReplyCache::new(config.max_cached_replies),
            transmits: VecDeque::new(),
            events: EventQueue::new(config.max_events),
            last_now: None,
            sent: Vec::new(),
            config,
        }
    }

    /// The limits.
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
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

    /// A room's owner and its members in join order, by user name.
    #[must_use]
    pub fn room_members(&self, room: &str) -> Option<(Name, Vec<Name>)> {
        let (owner, members) = self.users.members(self.rooms.get(room)?);
        Some((owner?, members))
    }

    /// How many notifications to `user` are in flight, awaiting an
    /// acknowledgement (`None` if no such user).
    #[must_use]
    pub fn unacknowledged(&self, user: &str) -> Option<usize> {
        let user = self.users.by_name(user)?;
        Some(user.state.outbox.in_flight())
    }

    /// How many notifications to `user` wait behind those in flight
    /// (`None` if no such user).
    #[must_use]
    pub fn waiting(&self, user: &str) -> Option<usize> {
        let user = self.users.by_name(user)?;
        Some(user.state.outbox.waiting())
    }

    /// How many replies to unregistered addresses are cached.
    #[must_use]
    pub fn cached_replies(&self) -> usize {
        self.replies.len()
    }

    /// Handles one datagram from `from`, received at `now`.
    ///
    /// It does not run the timers ([`handle_timeout`](Self::handle_timeout)
    /// does), but a registration past its expiry is not refreshed: the
    /// sender is taken for unregistered.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.last_now = Some(now);
        self.touch(now, from);
        if let Err(too_long) = words::check_size(datagram.len(), MAX_DATAGRAM) {
            let tag = wire::read_tag(datagram);
            let error = WireError::from(too_long);
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
                Err(error) => self.events.push(ServerEvent::Dropped { from, error }),
                // a request always has a readable tag
                Ok(ServerBound::Request { .. }) => {}
            }
            return;
        };
        if let Some(cached) = self.cached(from, tag) {
            self.send(from, cached);
            self.events.push(ServerEvent::Retransmitted { from, tag });
            return;
        }
        let request = match ServerBound::parse(datagram) {
            Ok(ServerBound::Request { request, .. }) => request,
            // an acknowledgement has no readable tag
            Ok(ServerBound::Ack { .. }) => return,
            Err(error) => {
                let registered = self.users.contains(&from);
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
        let before = self.users.name_of(&from).cloned();
        let reply = if before.is_some() || matches!(request, Request::Hello(_)) {
            self.execute(now, from, &request)
        } else {
            Reply::error(ErrorCode::NotRegistered)
        };
        let payload = self.reply(from, tag, &reply);
        self.remember(from, tag, payload);
        let user = self.users.name_of(&from).cloned().or(before);
        self.events.push(ServerEvent::Handled {
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
                        self.events.push(ServerEvent::Expired { user, addr });
                    }
                }
                Due::Resend(seq) => {
                    let limits = self.outbox_limits();
                    let Some(user) = self.users.get_mut(&addr) else {
                        continue;
                    };
                    if let Some((payload, at)) = user.state.outbox.resend(now, seq, limits) {
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
        let mut sent = std::mem::take(&mut self.sent);
        let user = self.users.get_mut(&from).map(|user| {
            if let Some(at) = user.state.outbox.acknowledge(now, seq, limits, &mut sent) {
                self.timers.remove(at, from, Due::Resend(seq));
            }
            user.name.clone()
        });
        self.events.push(ServerEvent::Acked { from, user, seq });
        self.put_in_flight(from, sent);
    }

    /// Sends notifications just put in flight to the registered user at
    /// `to` and sets their resend timers; keeps `sent`'s room for the next.
    fn put_in_flight(&mut self, to: SocketAddr, mut sent: Vec<Sent>) {
        for s in sent.drain(..) {
            self.timers.insert(s.deadline, to, Due::Resend(s.seq));
            if let Some(count) = s.lost {
                if let Some(user) = self.users.name_of(&to).cloned() {
                    self.events.push(ServerEvent::Overflowed {
                        user,
                        addr: to,
                        seq: s.seq,
                        count,
                    });
                }
            }
            self.send(to, s.payload);
        }
        self.sent = sent;
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
        self.events.pop()
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
        self.events.push(ServerEvent::Rejected {
            from,
            tag,
            error,
            reply,
        });
    }

    /// Queues `reply` to `to` and returns its bytes.
    fn reply(&mut self, to: SocketAddr, tag: Tag, reply: &Reply) -> Bytes {
        let payload = encode_reply(tag, reply);
        self.send(to, payload.clone());
        payload
    }

    /// Sends `notification` to the registered user at `to` with its next
    /// sequence number (or queues it behind those in flight), and keeps it
    /// until acknowledged.
    fn notify(&mut self, now: Instant, to: SocketAddr, notification: Notification) {
        self.notify_body(now, to, outbox::body(&notification));
    }

    /// [`notify`](Self::notify) with the notification's body, made once
    /// for all the members it goes to.
    fn notify_body(&mut self, now: Instant, to: SocketAddr, body: Bytes) {
        let limits = self.outbox_limits();
        let Some(user) = self.users.get_mut(&to) else {
            return;
        };
        let mut sent = std::mem::take(&mut self.sent);
        user.state.outbox.push(now, body, limits, &mut sent);
        self.put_in_flight(to, sent);
    }

    fn send(&mut self, destination: SocketAddr, payload: Bytes) {
        self.transmits.push_back(Transmit {
            destination,
            payload,
        });
    }

    fn cached(&self, from: SocketAddr, tag: Tag) -> Option<Bytes> {
        match self.users.get(&from) {
            Some(user) => user.state.history.find(tag),
            None => self.replies.find(from, tag),
        }
    }

    fn remember(&mut self, from: SocketAddr, tag: Tag, payload: Bytes) {
        let keep = self.config.reply_history;
        match self.users.get_mut(&from) {
            Some(user) => user.state.history.push(tag, payload, keep),
            None => self.replies.push(from, tag, payload, keep),
        }
    }

    /// Refreshes the registration of `from`, if any; one past its expiry
    /// expires first.
    fn touch(&mut self, now: Instant, from: SocketAddr) {
        let expiry = self.config.expiry;
        let Some(user) = self.users.get_mut(&from) else {
            return;
        };
        let session = &mut user.state;
        if session.last_seen + expiry <= now {
            if let Some(user) = self.remove_user(now, from) {
                self.events.push(ServerEvent::Expired { user, addr: from });
            }
            return;
        }
        self.timers
            .remove(session.last_seen + expiry, from, Due::Expiry);
        session.last_seen = now;
        self.timers.insert(now + expiry, from, Due::Expiry);
    }

    /// Unregisters `addr`, leaving its room.
    fn remove_user(&mut self, now: Instant, addr: SocketAddr) -> Option<Name> {
        self.leave_room(now, addr);
        let user = self.users.remove(&addr)?;
        let session = user.state;
        self.timers
            .remove(session.last_seen + self.config.expiry, addr, Due::Expiry);
        for (seq, at) in session.outbox.deadlines() {
            self.timers.remove(at, addr, Due::Resend(seq));
        }
        self.replies.keep(addr, session.history);
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
        let left = outbox::body(&Notification::Left {
            room: room_name,
            user: user_name,
        });
        for member in stay {
            self.notify_body(now, member, left.clone());
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
        let joined = outbox::body(&Notification::Joined {
            room: room_name.clone(),
            user: user_name,
        });
        for member in others {
            self.notify_body(now, member, joined.clone());
        }
    }

    fn room_of(&self, addr: SocketAddr) -> Option<Name> {
        self.users.room_of(&addr).cloned()
    }
}

/// The datagram of the reply `tag`. Every reply the server builds fits in
/// [`ClientBound::MAX_LEN`] by construction (names are at most 32
/// characters, lists are cut to fit, a `pa` reply with tag `0` is refused
/// before the poke runs, the server sends no `ErrorCode::Other`); were one
/// refused, `er too-long` would go instead.
fn encode_reply(tag: Tag, reply: &Reply) -> Bytes {
    let message = ClientBound::Reply {
        tag,
        reply: reply.clone(),
    };
    message.to_bytes().unwrap_or_else(|_| {
        let refused = ClientBound::Reply {
            tag,
            reply: Reply::error(ErrorCode::TooLong),
        };
        refused.to_bytes().unwrap_or_default()
    })
}
