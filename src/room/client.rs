//! The room-chat client state machine.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use thiserror::Error;

use crate::Transmit;

use super::wire::{
    ClientBound, ErrorCode, Name, NoticeTag, Notification, PrivateMessage, Reply, Request, Seq,
    ServerBound, Tag, WireError,
};

/// The client's timers and limits.
///
/// | field | default |
/// |---|---|
/// | `retransmit_after` | 500 ms |
/// | `max_retransmits` | 4 |
/// | `keepalive_every` | 20 s |
/// | `max_pending` | 2,048 requests awaiting a reply (a paste of 1,000 lines fits) |
/// | `max_peers` | 256 addresses learned through `pa` |
/// | `max_events` | 1024 unpolled events (the oldest is dropped) |
/// | `gap_timeout` | 3 s: a gap in the notifications still open that long is skipped and reported |
/// | `max_held` | 64 notifications held back behind a gap |
///
/// Each field has a setter of the same name that returns `&mut Self`:
///
/// ```
/// use std::time::Duration;
/// use sockwire::room::ClientConfig;
/// let config = ClientConfig::default().retransmit_after(Duration::from_millis(200)).clone();
/// assert_eq!(config.max_retransmits, 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Wait this long for a reply before sending the request again.
    pub retransmit_after: Duration,
    /// Send a request again at most this many times, then report a timeout.
    pub max_retransmits: u32,
    /// Send `ka` this often.
    pub keepalive_every: Duration,
    /// Most requests awaiting a reply at once (one in flight, the rest
    /// queued in order). A re-registration's `hi` may come on top of them:
    /// [`RoomClient::pending`] is at most `max_pending + 1`.
    pub max_pending: usize,
    /// Most peer addresses remembered (the oldest is forgotten).
    pub max_peers: usize,
    /// Most events kept until polled.
    pub max_events: usize,
    /// How long a notification held back behind a missing one waits before
    /// the gap is skipped and reported as [`ClientEvent::Lost`] (longer
    /// than the server keeps resending: 4 × 500 ms).
    pub gap_timeout: Duration,
    /// Most notifications held back behind a gap; one more skips the gap
    /// at once (reported as [`ClientEvent::Lost`]).
    pub max_held: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            retransmit_after: Duration::from_millis(500),
            max_retransmits: 4,
            keepalive_every: Duration::from_secs(20),
            max_pending: 2048,
            max_peers: 256,
            max_events: 1024,
            gap_timeout: Duration::from_secs(3),
            max_held: 64,
        }
    }
}

setters!(ClientConfig {
    retransmit_after: Duration,
    max_retransmits: u32,
    keepalive_every: Duration,
    max_pending: usize,
    max_peers: usize,
    max_events: usize,
    gap_timeout: Duration,
    max_held: usize,
});

/// A command for the client: what a person types, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Send a request to the server.
    Request(Request),
    /// `$msg USER TEXT`: a private message to a poked user.
    Private {
        /// The recipient.
        to: Name,
        /// The text.
        text: String,
    },
    /// `$quit`: unregister (`by`) and close.
    Quit,
}

impl Command {
    /// Reads a line a person typed:
    ///
    /// | line | command |
    /// |---|---|
    /// | `$userlist` | `ul` |
    /// | `$roomlist` | `rl` |
    /// | `$roomcreate NAME` | `rc NAME` |
    /// | `$roomjoin NAME` | `rj NAME` |
    /// | `$roomleave` | `rk` |
    /// | `$poke USER` | `ar USER` |
    /// | `$kick` | `kk` |
    /// | `$quit` | `by`, then close |
    /// | `$msg USER TEXT` | `pm` to USER |
    /// | anything else | `ms LINE` |
    ///
    /// A trailing CR or LF is ignored. Any line that is not one of the
    /// commands above, including an unknown `$word`, is said in the room.
    ///
    /// ```
    /// use sockwire::room::{Command, Request};
    /// assert_eq!(Command::parse_line("$roomlist")?, Command::Request(Request::RoomList));
    /// assert_eq!(Command::parse_line("hi all")?, Command::Request(Request::Say("hi all".into())));
    /// assert!(Command::parse_line("$roomjoin").is_err());
    /// # Ok::<(), sockwire::room::ClientError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClientError::BadCommand`] for a known command with a missing,
    /// extra or invalid argument.
    pub fn parse_line(line: &str) -> Result<Command, ClientError> {
        let line = line.trim_end_matches(['\r', '\n']);
        let (word, rest) = match line.split_once(' ') {
            Some((w, r)) => (w, Some(r)),
            None => (line, None),
        };
        let bad = |reason: &str| ClientError::BadCommand {
            command: word.to_owned(),
            reason: reason.to_owned(),
        };
        let no_arg = |request: Request| match rest {
            None => Ok(Command::Request(request)),
            Some(_) => Err(bad("takes no argument")),
        };
        let name = |what: &str| {
            let arg = rest.ok_or_else(|| bad(&format!("needs a {what} name")))?;
            Name::new(arg).map_err(|e| bad(&e.to_string()))
        };
        match word {
            "$userlist" => no_arg(Request::UserList),
            "$roomlist" => no_arg(Request::RoomList),
            "$roomleave" => no_arg(Request::LeaveRoom),
            "$kick" => no_arg(Request::Kick),
            "$quit" => match rest {
                None => Ok(Command::Quit),
                Some(_) => Err(bad("takes no argument")),
            },
            "$roomcreate" => Ok(Command::Request(Request::CreateRoom(name("room")?))),
            "$roomjoin" => Ok(Command::Request(Request::JoinRoom(name("room")?))),
            "$poke" => Ok(Command::Request(Request::Poke(name("user")?))),
            "$msg" => {
                let (user, text) = rest
                    .and_then(|r| r.split_once(' '))
                    .ok_or_else(|| bad("needs a user and a text"))?;
                let to = Name::new(user).map_err(|e| bad(&e.to_string()))?;
                Ok(Command::Private {
                    to,
                    text: text.to_owned(),
                })
            }
            _ => Ok(Command::Request(Request::Say(line.to_owned()))),
        }
    }
}

/// Why a command could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A `$` command with a missing, extra or invalid argument.
    #[error("{command}: {reason}")]
    BadCommand {
        /// The command word.
        command: String,
        /// What is wrong.
        reason: String,
    },
    /// `$msg` to a user whose address no `pa` has told.
    #[error("no address for {user}: $poke them first")]
    NotPoked {
        /// The user.
        user: Name,
    },
    /// The datagram would be longer than 4,096 bytes.
    #[error("message too long: {size} bytes, the limit is {max}")]
    TooLong {
        /// The datagram's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Too many requests await a reply.
    #[error("{max} requests already await a reply")]
    TooManyPending {
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
pub enum DropReason {
    /// It is not a valid room-chat message.
    Malformed(WireError),
    /// A reply whose tag matches no request awaiting one (a duplicate, or
    /// a reply after a timeout).
    UnknownTag(Tag),
    /// A `pm` from an address that no `pa` gave for its user.
    Spoofed {
        /// The user the `pm` claims to be from.
        user: Name,
    },
    /// A server message from an address that is not the server's.
    NotFromServer,
    /// A notification shown already (or held back already): a resend whose
    /// first copy arrived, or a copy the network duplicated. It was
    /// acknowledged again.
    Duplicate(Seq),
}

/// What the client saw, for the user interface.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The reply to one of our requests.
    Reply {
        /// Its tag.
        tag: Tag,
        /// The request it answers.
        request: Request,
        /// The reply.
        reply: Reply,
    },
    /// A request got no reply after all retransmissions.
    TimedOut {
        /// Its tag.
        tag: Tag,
        /// The request.
        request: Request,
    },
    /// A notification from the server, shown once each, in the server's
    /// order.
    Notice(Notification),
    /// Notifications the server sent never arrived: a gap in their
    /// sequence stayed open for [`ClientConfig::gap_timeout`] (the server
    /// gave up resending), or too many arrived behind it, or the
    /// registration they belonged to ended. A loss is never silent.
    Lost {
        /// The first skipped sequence number.
        first: Seq,
        /// How many notifications were skipped (`first` and the ones
        /// after it).
        count: u32,
    },
    /// A request got `er not-registered` (our `hi` was lost, the
    /// registration expired, or the server restarted): the client sends
    /// `hi` again under the same name, then repeats the request under a new
    /// tag. Its outcome comes as the [`Reply`](ClientEvent::Reply) or
    /// [`TimedOut`](ClientEvent::TimedOut) of that tag.
    Reregistering {
        /// The tag that got `er not-registered`.
        tag: Tag,
        /// The tag the repeated request goes out with.
        retry_tag: Tag,
        /// The request.
        request: Request,
        /// The name registered again.
        user: Name,
    },
    /// A private message from a poked user.
    Private {
        /// The sender.
        from: Name,
        /// Their address.
        addr: SocketAddr,
        /// The text.
        text: String,
    },
    /// A datagram was dropped.
    Dropped {
        /// Where it came from.
        from: SocketAddr,
        /// Why.
        reason: DropReason,
    },
    /// The client has quit: `by` was answered or timed out.
    Closed,
}

/// A request waiting its turn.
#[derive(Debug)]
struct Queued {
    tag: Tag,
    request: Request,
    /// Already repeated after a re-registration: another
    /// `er not-registered` is reported, not repeated again.
    repeated: bool,
}

/// The request in flight.
#[derive(Debug)]
struct Pending {
    tag: Tag,
    request: Request,
    repeated: bool,
    payload: Bytes,
    deadline: Instant,
    retransmits: u32,
}

/// The room-chat client: a sans-IO state machine (PROTOCOLS.md §7).
///
/// Created with the server's address and a user name, it sends `hi` at
/// once. Commands ([`command`](Self::command),
/// [`handle_line`](Self::handle_line)) become tagged requests, sent one at
/// a time (stop-and-wait, so that the server's reply cache always holds the
/// reply a retransmission needs; later ones queue); a reply is matched to
/// its request by tag; a request without reply is sent again
/// every 500 ms, up to 4 times, then reported as
/// [`ClientEvent::TimedOut`]; `ka` goes out every 20 s. A `pm` is accepted
/// only from the address a `pa` gave for its user.
///
/// # Nothing lost silently
///
/// - **Notifications** (`n<seq>`) are acknowledged with `n<seq> ak`, every
///   copy, and shown once each in `seq` order. One that arrives ahead of a
///   missing one is held back (at most [`ClientConfig::max_held`]); a gap
///   still open [`ClientConfig::gap_timeout`] after the first held-back
///   one arrived is skipped and reported ([`ClientEvent::Lost`]).
/// - **Re-registration**: a request answered `er not-registered` makes the
///   client send `hi` again under the same name and repeat the request
///   once, with new tags, telling the user
///   ([`ClientEvent::Reregistering`]). The client then expects the new
///   registration's notifications, from `n1`.
/// - **Pastes**: requests are sent one at a time, in order, from a queue
///   deep enough for a paste of 1,000 lines ([`ClientConfig::max_pending`],
///   2,048). Each ends in a [`Reply`](ClientEvent::Reply) or a
///   [`TimedOut`](ClientEvent::TimedOut): delivered or reported failed.
///   PROTOCOLS.md allows a window of requests in flight instead, with the
///   server executing each client's requests in tag order; this client
///   chooses the queue because stop-and-wait needs nothing more from the
///   server than its reply cache, keeps the order by construction (a
///   request is sent only after the one before it is answered or given
///   up), and cannot make the server execute a line twice or out of order.
///   It costs throughput, one round trip per line: over loopback a paste of
///   1,000 lines takes about 1,000 round trips, seconds, not minutes; on a
///   lossy network each lost datagram adds a 500 ms wait.
///
/// # Driving it
///
/// One turn of the loop, in this order:
///
/// 1. feed what arrived: [`handle_datagram`](Self::handle_datagram), and
///    what the person typed: [`handle_line`](Self::handle_line);
/// 2. run the timers when [`poll_timeout`](Self::poll_timeout) is due:
///    [`handle_timeout`](Self::handle_timeout);
/// 3. drain [`poll_event`](Self::poll_event): show it, or react to it with
///    new commands (a bot does);
/// 4. send every [`poll_transmit`](Self::poll_transmit), which includes
///    what step 3 queued;
///
/// then wait for a datagram until `poll_timeout()`. Sending before
/// draining the events would leave step 3's requests in the queue until the
/// next turn; that does no harm here, because while a datagram waits,
/// `poll_timeout()` is already due, so the wait ends at once (a loop that
/// slept until the retransmission timer would send each such request late,
/// twice).
///
/// ```
/// use std::net::SocketAddr;
/// use std::time::Instant;
/// use sockwire::Transmit;
/// use sockwire::room::{ClientConfig, ClientEvent, Name, Notification, RoomClient, RoomServer};
///
/// /// One turn of a bot that welcomes whoever joins its room.
/// fn turn(bot: &mut RoomClient, now: Instant, arrived: Option<(SocketAddr, &[u8])>) -> Vec<Transmit> {
///     if let Some((from, datagram)) = arrived {
///         bot.handle_datagram(now, from, datagram); // 1
///     }
///     if bot.poll_timeout().is_some_and(|t| t <= now) {
///         bot.handle_timeout(now); // 2
///     }
///     while let Some(event) = bot.poll_event() {
///         // 3: may queue requests
///         if let ClientEvent::Notice(Notification::Joined { user, .. }) = event {
///             bot.handle_line(now, &format!("welcome, {user}")).ok();
///         }
///     }
///     std::iter::from_fn(|| bot.poll_transmit()).collect() // 4
/// }
///
/// let (server_addr, bot_addr, carol_addr): (SocketAddr, SocketAddr, SocketAddr) =
///     ("127.0.0.1:5005".parse()?, "127.0.0.1:40001".parse()?, "127.0.0.1:40002".parse()?);
/// let now = Instant::now();
/// let mut server = RoomServer::default();
/// let mut bot = RoomClient::new(now, server_addr, Name::new("bot")?, ClientConfig::default());
/// bot.handle_line(now, "$roomcreate lobby")?;
/// // a network that delivers at once; carol joins by hand once the room exists
/// let (mut carol_heard, mut carol_joined) = (Vec::new(), false);
/// let mut out = turn(&mut bot, now, None);
/// for _ in 0..10 {
///     for t in out.drain(..) {
///         server.handle_datagram(now, bot_addr, &t.payload);
///     }
///     if bot.room().is_some() && !carol_joined {
///         server.handle_datagram(now, carol_addr, b"1 hi carol");
///         server.handle_datagram(now, carol_addr, b"2 rj lobby");
///         carol_joined = true;
///     }
///     let mut to_bot = Vec::new();
///     while let Some(t) = server.poll_transmit() {
///         if t.destination == bot_addr {
///             to_bot.push(t.payload);
///         } else {
///             carol_heard.push(String::from_utf8_lossy(&t.payload).into_owned());
///         }
///     }
///     for datagram in to_bot {
///         out.extend(turn(&mut bot, now, Some((server_addr, &datagram))));
///     }
/// }
/// // the welcome went out in the turn that saw carol join
/// assert!(carol_heard.iter().any(|d| d.ends_with("ms lobby bot welcome, carol")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RoomClient {
    config: ClientConfig,
    server: SocketAddr,
    user: Name,
    next_tag: Tag,
    in_flight: Option<Pending>,
    queue: VecDeque<Queued>,
    /// The next notification to show.
    next_seq: Seq,
    /// Notifications that came ahead of a gap: when each arrived, and what.
    held: BTreeMap<Seq, (Instant, Notification)>,
    peers: HashMap<Name, SocketAddr>,
    peer_order: VecDeque<Name>,
    room: Option<Name>,
    next_keepalive: Instant,
    quitting: bool,
    closed: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<ClientEvent>,
    /// The `now` of the latest call: `poll_timeout` while output waits.
    last_now: Instant,
}

impl RoomClient {
    /// A client of `server` registering as `user`, with the given timers
    /// and limits (`ClientConfig::default()`: PROTOCOLS.md's). Queues the
    /// `hi` request.
    #[must_use]
    pub fn new(now: Instant, server: SocketAddr, user: Name, config: ClientConfig) -> Self {
        let mut client = RoomClient {
            next_keepalive: now + config.keepalive_every,
            config,
            server,
            user: user.clone(),
            next_tag: 1,
            in_flight: None,
            queue: VecDeque::new(),
            next_seq: 1,
            held: BTreeMap::new(),
            peers: HashMap::new(),
            peer_order: VecDeque::new(),
            room: None,
            quitting: false,
            closed: false,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            last_now: now,
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
        self.peers.get(user).copied()
    }

    /// Whether the client has quit (after `$quit` was answered or timed
    /// out).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// How many requests await a reply (one in flight, the rest queued).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.in_flight.is_some())
    }

    /// Parses and runs a typed line (see [`Command::parse_line`]).
    ///
    /// # Errors
    ///
    /// As [`Command::parse_line`] and [`command`](Self::command).
    pub fn handle_line(&mut self, now: Instant, line: &str) -> Result<Option<Tag>, ClientError> {
        let command = Command::parse_line(line)?;
        self.command(now, command)
    }

    /// Runs a command: queues its datagram. Returns the request's tag
    /// (`None` for a private message, which gets no reply).
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
            Command::Private { to, text } => {
                let addr = self
                    .peers
                    .get(&to)
                    .copied()
                    .ok_or(ClientError::NotPoked { user: to })?;
                let message = ClientBound::Private(PrivateMessage {
                    from: self.user.clone(),
                    text,
                });
                let payload = message.to_bytes().map_err(too_long)?;
                self.transmits.push_back(Transmit {
                    destination: addr,
                    payload,
                });
                Ok(None)
            }
        }
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
        self.queue.push_back(Queued {
            tag,
            request,
            repeated: false,
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

    /// Sends the next queued request if none is in flight.
    fn send_next(&mut self, now: Instant) {
        if self.in_flight.is_some() {
            return;
        }
        let Some(Queued {
            tag,
            request,
            repeated,
        }) = self.queue.pop_front()
        else {
            return;
        };
        // Checked in `send_request`: a queued request fits.
        let Ok(payload) = (ServerBound::Request {
            tag,
            request: request.clone(),
        })
        .to_bytes() else {
            return self.push_event(ClientEvent::TimedOut { tag, request });
        };
        self.transmits.push_back(Transmit {
            destination: self.server,
            payload: payload.clone(),
        });
        self.in_flight = Some(Pending {
            tag,
            request,
            repeated,
            payload,
            deadline: now + self.config.retransmit_after,
            retransmits: 0,
        });
    }

    /// Handles one datagram from `from`, received at `now`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.handle_timeout(now);
        let message = match ClientBound::parse(datagram) {
            Ok(m) => m,
            Err(e) => return self.drop_datagram(from, DropReason::Malformed(e)),
        };
        match message {
            ClientBound::Private(pm) => {
                if self.peers.get(&pm.from) == Some(&from) {
                    self.push_event(ClientEvent::Private {
                        from: pm.from,
                        addr: from,
                        text: pm.text,
                    });
                } else {
                    self.drop_datagram(from, DropReason::Spoofed { user: pm.from });
                }
            }
            _ if from != self.server => self.drop_datagram(from, DropReason::NotFromServer),
            ClientBound::Notice { seq, notification } => {
                self.notice(now, from, seq, notification);
            }
            ClientBound::Reply { tag, reply } => {
                let Some(pending) = self.in_flight.take_if(|p| p.tag == tag) else {
                    return self.drop_datagram(from, DropReason::UnknownTag(tag));
                };
                let not_registered = matches!(
                    &reply,
                    Reply::Error {
                        code: ErrorCode::NotRegistered,
                        ..
                    }
                );
                if not_registered
                    && !pending.repeated
                    && !matches!(pending.request, Request::Hello(_) | Request::Bye)
                {
                    return self.reregister(now, pending);
                }
                if reply == Reply::Ok {
                    match &pending.request {
                        Request::CreateRoom(room) | Request::JoinRoom(room) => {
                            self.room = Some(room.clone());
                        }
                        Request::LeaveRoom | Request::Bye => self.room = None,
                        Request::Hello(name) => self.user = name.clone(),
                        _ => {}
                    }
                }
                if let Reply::Address { user, addr } = &reply {
                    self.learn_peer(user.clone(), *addr);
                }
                let bye = pending.request == Request::Bye;
                self.push_event(ClientEvent::Reply {
                    tag,
                    request: pending.request,
                    reply,
                });
                if bye {
                    self.close();
                } else {
                    self.send_next(now);
                }
            }
        }
    }

    /// `er not-registered` to `pending`: `hi` again, then the request
    /// again, both ahead of the queue, with new tags.
    fn reregister(&mut self, now: Instant, pending: Pending) {
        // The old registration's notifications will never fill their gaps:
        // show what was held back, report the rest; the new registration
        // counts from 1.
        while !self.held.is_empty() {
            self.skip_gap();
        }
        self.next_seq = 1;
        self.room = None;
        let hello = Queued {
            tag: self.take_tag(),
            request: Request::Hello(self.user.clone()),
            repeated: true,
        };
        let retry = Queued {
            tag: self.take_tag(),
            request: pending.request.clone(),
            repeated: true,
        };
        self.push_event(ClientEvent::Reregistering {
            tag: pending.tag,
            retry_tag: retry.tag,
            request: pending.request,
            user: self.user.clone(),
        });
        self.queue.push_front(retry);
        self.queue.push_front(hello);
        self.send_next(now);
    }

    /// A notification from the server: acknowledge it, then show it in
    /// order, hold it back, or drop it as a duplicate.
    fn notice(&mut self, now: Instant, from: SocketAddr, seq: Seq, notification: Notification) {
        self.transmits.push_back(Transmit {
            destination: self.server,
            payload: Bytes::from(format!("{} ak", NoticeTag(seq))),
        });
        if seq < self.next_seq || self.held.contains_key(&seq) {
            return self.drop_datagram(from, DropReason::Duplicate(seq));
        }
        if seq > self.next_seq && self.held.len() >= self.config.max_held.max(1) {
            // No room to hold it back: give up on what is missing before
            // it, or (if it comes after the first gap) on that gap.
            match self.held.keys().next() {
                Some(&first) if seq > first => {
                    while self.held.len() >= self.config.max_held.max(1) {
                        self.skip_gap();
                    }
                }
                _ => self.lose_up_to(seq),
            }
        }
        if seq > self.next_seq {
            self.held.insert(seq, (now, notification));
            return;
        }
        self.show(notification);
        self.next_seq = self.next_seq.saturating_add(1);
        self.show_held();
    }

    /// Shows the held-back notifications that are next in order.
    fn show_held(&mut self) {
        while let Some((_, notification)) = self.held.remove(&self.next_seq) {
            self.show(notification);
            self.next_seq = self.next_seq.saturating_add(1);
        }
    }

    /// Gives up on the first gap: reports it lost, shows what follows it.
    fn skip_gap(&mut self) {
        let Some(&first) = self.held.keys().next() else {
            return;
        };
        self.lose_up_to(first);
        self.show_held();
    }

    /// Reports the notifications from `next_seq` up to `seq` lost, and
    /// expects `seq` next.
    fn lose_up_to(&mut self, seq: Seq) {
        if let Some(count) = seq.checked_sub(self.next_seq).filter(|&n| n > 0) {
            self.push_event(ClientEvent::Lost {
                first: self.next_seq,
                count,
            });
            self.next_seq = seq;
        }
    }

    /// When the oldest open gap is skipped.
    fn gap_deadline(&self) -> Option<Instant> {
        let first_held = self.held.values().map(|(at, _)| *at).min()?;
        Some(first_held + self.config.gap_timeout)
    }

    fn show(&mut self, notification: Notification) {
        match &notification {
            Notification::Poked { user, addr } => self.learn_peer(user.clone(), *addr),
            Notification::Kicked { room } if self.room.as_ref() == Some(room) => {
                self.room = None;
            }
            _ => {}
        }
        self.push_event(ClientEvent::Notice(notification));
    }

    /// Retransmits the request whose reply is late, reports it when out of
    /// retries (and sends the next one), skips a notification gap that
    /// stayed open too long, and sends `ka` when due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        while self.gap_deadline().is_some_and(|t| t <= now) {
            self.skip_gap();
        }
        if self.closed {
            return;
        }
        if let Some(p) = self.in_flight.as_mut().filter(|p| p.deadline <= now) {
            if p.retransmits < self.config.max_retransmits {
                p.retransmits += 1;
                p.deadline = now + self.config.retransmit_after;
                self.transmits.push_back(Transmit {
                    destination: self.server,
                    payload: p.payload.clone(),
                });
            } else if let Some(p) = self.in_flight.take() {
                let bye = p.request == Request::Bye;
                self.push_event(ClientEvent::TimedOut {
                    tag: p.tag,
                    request: p.request,
                });
                if bye {
                    self.close();
                    return;
                }
                self.send_next(now);
            }
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
        if self.closed {
            return queued.into_iter().chain(self.gap_deadline()).min();
        }
        let retry = self.in_flight.as_ref().map(|p| p.deadline);
        let keepalive = (!self.quitting).then_some(self.next_keepalive);
        let gap = self.gap_deadline();
        queued
            .into_iter()
            .chain(retry)
            .chain(keepalive)
            .chain(gap)
            .min()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn close(&mut self) {
        self.closed = true;
        self.in_flight = None;
        self.queue.clear();
        self.push_event(ClientEvent::Closed);
    }

    fn learn_peer(&mut self, user: Name, addr: SocketAddr) {
        if self.config.max_peers == 0 {
            return;
        }
        if self.peers.insert(user.clone(), addr).is_none() {
            self.peer_order.push_back(user);
            while self.peers.len() > self.config.max_peers {
                if let Some(old) = self.peer_order.pop_front() {
                    self.peers.remove(&old);
                }
            }
        }
    }

    fn drop_datagram(&mut self, from: SocketAddr, reason: DropReason) {
        self.push_event(ClientEvent::Dropped { from, reason });
    }

    fn push_event(&mut self, event: ClientEvent) {
        if self.events.len() >= self.config.max_events {
            self.events.pop_front();
        }
        if self.config.max_events > 0 {
            self.events.push_back(event);
        }
    }
}

fn too_long(e: crate::EncodeError) -> ClientError {
    match e {
        crate::EncodeError::TooLarge { size, max } => ClientError::TooLong {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            max: usize::try_from(max).unwrap_or(usize::MAX),
        },
        other => ClientError::BadCommand {
            command: "send".into(),
            reason: other.to_string(),
        },
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Malformed(e) => write!(f, "malformed: {e}"),
            DropReason::UnknownTag(tag) => write!(f, "reply with unexpected tag {tag}"),
            DropReason::Spoofed { user } => {
                write!(
                    f,
                    "pm claiming to be from {user}, not from their poked address"
                )
            }
            DropReason::NotFromServer => write!(f, "server message not from the server"),
            DropReason::Duplicate(seq) => write!(f, "notification n{seq} again, shown already"),
        }
    }
}

impl fmt::Display for ClientEvent {
    /// A line for a person to read.
    ///
    /// ```
    /// use sockwire::room::{ClientEvent, Name, Notification};
    /// let said = ClientEvent::Notice(Notification::Said {
    ///     room: Name::new("lobby")?,
    ///     user: Name::new("bob")?,
    ///     text: "hi all".into(),
    /// });
    /// assert_eq!(said.to_string(), "[lobby] bob: hi all");
    /// # Ok::<(), sockwire::room::BadName>(())
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientEvent::Reply { request, reply, .. } => match reply {
                Reply::Ok => write!(f, "ok ({})", request.op()),
                Reply::Users(users) => {
                    write!(f, "users:")?;
                    users.iter().try_for_each(|u| write!(f, " {u}"))
                }
                Reply::Rooms(rooms) => {
                    write!(f, "rooms:")?;
                    rooms.iter().try_for_each(|r| write!(f, " {r}"))
                }
                Reply::Address { user, addr } => {
                    write!(f, "{user} is at {addr} ($msg {user} TEXT to talk)")
                }
                Reply::Error { code, text } => {
                    write!(f, "error: {code}")?;
                    if let Some(text) = text {
                        write!(f, " {text}")?;
                    }
                    write!(f, " ({})", request.op())
                }
            },
            ClientEvent::TimedOut { request, .. } => {
                write!(
                    f,
                    "no reply from the server to {} (timed out)",
                    request.op()
                )?;
                match request {
                    Request::Say(text) => write!(f, ", it may not have arrived: {text}"),
                    _ => Ok(()),
                }
            }
            ClientEvent::Lost { count: 1, .. } => write!(f, "lost 1 message from the server"),
            ClientEvent::Lost { count, .. } => write!(f, "lost {count} messages from the server"),
            ClientEvent::Reregistering { request, user, .. } => write!(
                f,
                "not registered with the server (it may have restarted): \
                 registering again as {user}, then repeating {}",
                request.op()
            ),
            ClientEvent::Notice(n) => match n {
                Notification::Said { room, user, text } => write!(f, "[{room}] {user}: {text}"),
                Notification::Poked { user, addr } => {
                    write!(f, "{user} poked you from {addr} ($msg {user} TEXT to talk)")
                }
                Notification::Joined { room, user } => write!(f, "* {user} joined {room}"),
                Notification::Left { room, user } => write!(f, "* {user} left {room}"),
                Notification::Kicked { room } => write!(f, "* you were kicked out of {room}"),
            },
            ClientEvent::Private { from, text, .. } => write!(f, "[pm] {from}: {text}"),
            ClientEvent::Dropped { from, reason } => write!(f, "(dropped from {from}: {reason})"),
            ClientEvent::Closed => write!(f, "bye"),
        }
    }
}
