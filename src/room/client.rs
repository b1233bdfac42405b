//! The room-chat client state machine.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use crate::Transmit;

use super::client_event::{ClientEvent, DropReason};
use super::command::{ClientError, Command, too_long};
use super::events::EventQueue;
use super::peers::PeerTable;
use super::private::{OutgoingPm, SeenTags};
use super::reorder::{Reorder, Step, Taken};
use super::requests::{Origin, Queued};
use super::stop_and_wait::{Retry, StopAndWait};

mod config;
mod registration;

use super::wire::{
    ClientBound, ErrorCode, Name, Notification, PrivateMessage, Reply, Request, Seq, ServerBound,
    Tag,
};
pub use config::ClientConfig;

/// The room-chat client: a sans-IO state machine.
///
/// Created with the server's address and a user name, it sends `hi` at
/// once. Typed lines ([`handle_line`](Self::handle_line)) become tagged
/// requests, sent one at a time in order and retransmitted every 500 ms up
/// to 4 times, each ending in a [`ClientEvent::Reply`] or
/// [`ClientEvent::TimedOut`]; `$msg` sends a tagged `pm` straight to a
/// poked peer, which ends in [`ClientEvent::PrivateReply`] or
/// [`ClientEvent::PrivateTimedOut`]. Notifications are acknowledged and
/// shown once each, in order ([`ClientEvent::Notice`]); a registration
/// that is gone is made again, and the room rejoined
/// ([`ClientEvent::Reregistering`]). The module docs say why it works this
/// way and show a whole driving loop.
///
/// ```
/// use std::time::Instant;
/// use sockwire::room::{ClientConfig, Name, RoomClient};
///
/// let now = Instant::now();
/// let server = "127.0.0.1:5005".parse()?;
/// let mut alice = RoomClient::new(now, server, Name::new("alice")?, ClientConfig::default());
/// let hi = alice.poll_transmit().unwrap();
/// assert_eq!((hi.destination, &hi.payload[..]), (server, &b"1 hi alice"[..]));
/// assert_eq!(alice.handle_line(now, "$roomcreate lobby")?, Some(2)); // queued behind hi
/// alice.handle_datagram(now, server, b"1 ok");
/// assert_eq!(&alice.poll_transmit().unwrap().payload[..], b"2 rc lobby");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RoomClient {
    config: ClientConfig,
    server: SocketAddr,
    user: Name,
    next_tag: Tag,
    requests: StopAndWait<Queued>,
    reorder: Reorder,
    peers: PeerTable<Name>,
    private_out: StopAndWait<OutgoingPm>,
    private_seen: SeenTags,
    room: Option<Name>,
    next_keepalive: Instant,
    quitting: bool,
    closed: bool,
    transmits: VecDeque<Transmit>,
    events: EventQueue<ClientEvent>,
    /// The `now` of the latest call: `poll_timeout` while output waits.
    last_now: Instant,
}

impl RoomClient {
    /// A client of `server` registering as `user`, with the given timers
    /// and limits. Queues the `hi` request.
    #[must_use]
    pub fn new(now: Instant, server: SocketAddr, user: Name, config: ClientConfig) -> Self {
        let mut client = RoomClient {
            next_keepalive: now + config.keepalive_every,
            server,
            user: user.clone(),
            next_tag: config.first_tag.max(1),
            requests: StopAndWait::default(),
            reorder: Reorder::new(config.max_held),
            peers: PeerTable::new(config.max_peers),
            private_out: StopAndWait::default(),
            private_seen: SeenTags::new(config.max_peers),
            room: None,
            quitting: false,
            closed: false,
            transmits: VecDeque::new(),
            events: EventQueue::new(config.max_events),
            last_now: now,
            config,
        };
        // Cannot fail: nothing is pending and `hi NAME` is short.
        let _ = client.send_request(now, Request::Hello(user));
        client
    }

    /// Our user name (the last one a `hi` registered).
    #[must_use]
    pub fn user(&self) -> &Name {
        &self.user
    }

    /// The server's address.
    #[must_use]
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The room we are in, as far as the replies tell.
    #[must_use]
    pub fn room(&self) -> Option<&Name> {
        self.room.as_ref()
    }

    /// The address a `pa` gave for `user`.
    #[must_use]
    pub fn peer(&self, user: &str) -> Option<SocketAddr> {
        self.peers.get(user)
    }

    /// Whether the client is finished (`$quit` was answered or timed out)
    /// and has nothing left to send.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed && self.transmits.is_empty()
    }

    /// How many requests to the server await a reply (one in flight, the
    /// rest queued).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.requests.len()
    }

    /// How many private messages await their peer's answer (one in flight,
    /// the rest queued).
    #[must_use]
    pub fn pending_private(&self) -> usize {
        self.private_out.len()
    }

    /// Parses and runs a typed line (see [`Command::parse_line`]); returns
    /// the tag of the request or `pm` it sent, to match its reply.
    ///
    /// # Errors
    ///
    /// As [`Command::parse_line`] and [`command`](Self::command).
    pub fn handle_line(&mut self, now: Instant, line: &str) -> Result<Option<Tag>, ClientError> {
        let command = Command::parse_line(line)?;
        self.command(now, command)
    }

    /// Runs a command: queues its datagram. Returns the tag of the request
    /// or `pm` (always `Some`; an `Option` for commands that may send
    /// nothing).
    ///
    /// # Errors
    ///
    /// [`ClientError::NotPoked`], [`ClientError::TooLong`],
    /// [`ClientError::TooManyPending`], [`ClientError::Closed`]; nothing
    /// is sent then.
    pub fn command(&mut self, now: Instant, command: Command) -> Result<Option<Tag>, ClientError> {
        self.last_now = now;
        if self.closed || self.quitting {
            return Err(ClientError::Closed);
        }
        match command {
            Command::Request(request) => self.send_request(now, request).map(Some),
            Command::Quit => {
                let tag = self.send_request(now, Request::Bye)?;
                self.quitting = true;
                Ok(Some(tag))
            }
            Command::Private { to, text } => self.send_private(now, to, text).map(Some),
        }
    }

    fn send_private(&mut self, now: Instant, to: Name, text: String) -> Result<Tag, ClientError> {
        let addr = self
            .peers
            .get(&to)
            .ok_or(ClientError::NotPoked { user: to.clone() })?;
        if self.private_out.len() >= self.config.max_pending {
            return Err(ClientError::TooManyPending {
                max: self.config.max_pending,
            });
        }
        let message = PrivateMessage {
            from: self.user.clone(),
            text: text.clone(),
        };
        // Checked with the longest tag: the size does not depend on it.
        let longest = ClientBound::Private {
            tag: Tag::MAX,
            message: message.clone(),
        };
        longest.to_bytes().map_err(too_long)?;
        let tag = self.take_tag();
        let payload = ClientBound::Private { tag, message }
            .to_bytes()
            .map_err(too_long)?;
        let pm = OutgoingPm {
            tag,
            to,
            addr,
            text,
            payload,
        };
        self.private_out.push_back(pm);
        self.send_next_private(now);
        Ok(tag)
    }

    /// Queues a request; sends it at once if none is in flight.
    fn send_request(&mut self, now: Instant, request: Request) -> Result<Tag, ClientError> {
        if self.pending() >= self.config.max_pending {
            return Err(ClientError::TooManyPending {
                max: self.config.max_pending,
            });
        }
        // Check the size now, with the longest tag, so that a queued
        // request always encodes.
        ServerBound::Request {
            tag: Tag::MAX,
            request: request.clone(),
        }
        .to_bytes()
        .map_err(too_long)?;
        let tag = self.take_tag();
        self.requests.push_back(Queued {
            tag,
            request,
            origin: Origin::User,
        });
        self.send_next(now);
        Ok(tag)
    }

    /// A new tag: counted up from 1, skipping 0 (a tag is not reused until
    /// 2³² − 1 requests later).
    fn take_tag(&mut self) -> Tag {
        let tag = self.next_tag;
        self.next_tag = self.next_tag.checked_add(1).unwrap_or(1);
        tag
    }

    fn retry(&self) -> Retry {
        Retry {
            server: self.server,
            after: self.config.retransmit_after,
            max: self.config.max_retransmits,
        }
    }

    /// Sends the next queued request if none is in flight.
    fn send_next(&mut self, now: Instant) {
        let retry = self.retry();
        // A queued request was checked to fit: none is refused here.
        if let Some(q) = self.requests.send_next(now, retry, &mut self.transmits) {
            self.events.push(ClientEvent::TimedOut {
                tag: q.tag,
                request: q.request,
            });
        }
    }

    /// Sends the next queued private message if none is in flight.
    fn send_next_private(&mut self, now: Instant) {
        let retry = self.retry();
        // A private message is encoded when queued: none is refused here.
        if let Some(pm) = self.private_out.send_next(now, retry, &mut self.transmits) {
            self.private_failed(pm);
        }
    }

    /// Reports a private message that got no answer.
    fn private_failed(&mut self, pm: OutgoingPm) {
        self.events.push(ClientEvent::PrivateTimedOut {
            tag: pm.tag,
            to: pm.to,
            text: pm.text,
        });
    }

    /// Handles one datagram from `from`, received at `now`.
    ///
    /// It does not run the timers: [`handle_timeout`](Self::handle_timeout)
    /// does.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.last_now = now;
        let message = match ClientBound::parse(datagram) {
            Ok(m) => m,
            Err(e) => return self.drop_datagram(from, DropReason::Malformed(e)),
        };
        match message {
            ClientBound::Private { tag, message } => self.private_in(from, tag, message),
            ClientBound::Reply { tag, reply } => {
                let answered = self
                    .private_out
                    .answered(|pm, to| pm.tag == tag && to == from);
                if let Some(pm) = answered {
                    self.events.push(ClientEvent::PrivateReply {
                        tag,
                        to: pm.to,
                        text: pm.text,
                        reply,
                    });
                    self.send_next_private(now);
                } else if from != self.server {
                    self.drop_datagram(from, DropReason::NotFromServer);
                } else {
                    self.on_reply(now, tag, reply);
                }
            }
            ClientBound::Notice { .. } if from != self.server => {
                self.drop_datagram(from, DropReason::NotFromServer);
            }
            ClientBound::Notice { seq, notification } => {
                self.notice(now, from, seq, notification);
            }
        }
    }

    /// A `pm`: answered `ok` and shown once if it comes from the address a
    /// poke gave for its sender, else answered `er not-poked` (but not to
    /// the server's address) and dropped.
    fn private_in(&mut self, from: SocketAddr, tag: Tag, pm: PrivateMessage) {
        if self.closed {
            return;
        }
        let poked = self.peers.is(&pm.from, from);
        let answer = if poked {
            Reply::Ok
        } else {
            Reply::error(ErrorCode::NotPoked)
        };
        if poked || from != self.server {
            if let Ok(payload) = (ClientBound::Reply { tag, reply: answer }).to_bytes() {
                self.transmits.push_back(Transmit {
                    destination: from,
                    payload,
                });
            }
        }
        if !poked {
            self.drop_datagram(from, DropReason::Spoofed { user: pm.from });
        } else if self.private_seen.check(from, tag) {
            self.drop_datagram(from, DropReason::RepeatedPrivate(tag));
        } else {
            self.events.push(ClientEvent::Private {
                from: pm.from,
                addr: from,
                text: pm.text,
            });
        }
    }

    /// The server's reply `tag`.
    fn on_reply(&mut self, now: Instant, tag: Tag, reply: Reply) {
        let Some(q) = self.requests.answered(|q, _| q.tag == tag) else {
            return self.drop_datagram(self.server, DropReason::UnknownTag(tag));
        };
        let code = match &reply {
            Reply::Error { code, .. } => Some(code.clone()),
            _ => None,
        };
        if code == Some(ErrorCode::NotRegistered)
            && q.origin == Origin::User
            && !matches!(q.request, Request::Hello(_) | Request::Bye)
        {
            return self.reregister(now, Some(q));
        }
        self.rejoin_fallback(&q, code.as_ref());
        if reply == Reply::Ok {
            match &q.request {
                Request::CreateRoom(room) | Request::JoinRoom(room) => {
                    self.room = Some(room.clone());
                }
                Request::LeaveRoom | Request::Bye => self.room = None,
                Request::Hello(name) => self.user = name.clone(),
                _ => {}
            }
        }
        if let Reply::Address { user, addr } = &reply {
            self.peers.learn(user.clone(), *addr);
        }
        let bye = q.request == Request::Bye;
        self.events.push(ClientEvent::Reply {
            tag,
            request: q.request,
            reply,
        });
        if bye {
            self.close();
        } else {
            self.send_next(now);
        }
    }

    /// A notification from the server: acknowledge it, then show it in
    /// order, hold it back, or drop it as a duplicate.
    fn notice(&mut self, now: Instant, from: SocketAddr, seq: Seq, notification: Notification) {
        if let Ok(payload) = (ServerBound::Ack { seq }).to_bytes() {
            self.transmits.push_back(Transmit {
                destination: self.server,
                payload,
            });
        }
        let mut steps = Vec::new();
        if self.reorder.take(now, seq, notification, &mut steps) == Taken::Duplicate {
            return self.drop_datagram(from, DropReason::Duplicate(seq));
        }
        self.show_steps(steps);
    }

    fn show_steps(&mut self, steps: Vec<Step>) {
        for step in steps {
            match step {
                Step::Show(notification) => self.show(notification),
                Step::Missing { first, count } => {
                    self.events.push(ClientEvent::Lost { first, count });
                }
            }
        }
    }

    fn show(&mut self, notification: Notification) {
        match &notification {
            Notification::Poked { user, addr } => self.peers.learn(user.clone(), *addr),
            Notification::Kicked { room } if self.room.as_ref() == Some(room) => {
                self.room = None;
            }
            _ => {}
        }
        self.events.push(ClientEvent::Notice(notification));
    }

    /// Retransmits the request or `pm` whose reply is late, reports one out
    /// of retries (and sends the next), takes a gap open too long for a
    /// lost registration, and sends `ka` when due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        let gap = self.reorder.gap_deadline(self.config.gap_timeout);
        if gap.is_some_and(|t| t <= now) {
            if self.closed || self.quitting {
                let mut steps = Vec::new();
                self.reorder.flush_and_restart(&mut steps);
                self.show_steps(steps);
            } else {
                self.reregister(now, None);
            }
        }
        if self.closed {
            return;
        }
        let retry = self.retry();
        if let Some(q) = self
            .requests
            .handle_timeout(now, retry, &mut self.transmits)
        {
            let bye = q.request == Request::Bye;
            self.events.push(ClientEvent::TimedOut {
                tag: q.tag,
                request: q.request,
            });
            if bye {
                return self.close();
            }
            self.send_next(now);
        }
        if let Some(pm) = self
            .private_out
            .handle_timeout(now, retry, &mut self.transmits)
        {
            self.private_failed(pm);
            self.send_next_private(now);
        }
        if now >= self.next_keepalive && !self.quitting {
            while self.next_keepalive <= now {
                self.next_keepalive += self.config.keepalive_every;
            }
            // Requests under way keep the registration alive by themselves.
            if self.pending() == 0 {
                let _ = self.send_request(now, Request::KeepAlive);
            }
        }
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    /// While a datagram waits for [`poll_transmit`](Self::poll_transmit),
    /// the time of the latest call: already due, so that a loop waiting on
    /// it goes round to send at once.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let queued = (!self.transmits.is_empty()).then_some(self.last_now);
        let gap = self.reorder.gap_deadline(self.config.gap_timeout);
        if self.closed {
            return queued.into_iter().chain(gap).min();
        }
        let keepalive = (!self.quitting).then_some(self.next_keepalive);
        queued
            .into_iter()
            .chain(self.requests.deadline())
            .chain(self.private_out.deadline())
            .chain(keepalive)
            .chain(gap)
            .min()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop()
    }

    /// `by` was answered or timed out: nothing more is sent but what is
    /// queued; private messages still under way are reported.
    fn close(&mut self) {
        self.closed = true;
        let _ = self.requests.drain();
        let unanswered: Vec<OutgoingPm> = self.private_out.drain().collect();
        for pm in unanswered {
            self.private_failed(pm);
        }
        self.events.push(ClientEvent::Closed);
    }

    fn drop_datagram(&mut self, from: SocketAddr, reason: DropReason) {
        self.events.push(ClientEvent::Dropped { from, reason });
    }
}
