//! What the client reports: [`ClientEvent`], one line each for a person
//! to read, and why a datagram was dropped ([`DropReason`]).

use std::fmt;
use std::net::SocketAddr;

use super::wire::{Name, Notification, Reply, Request, Seq, Tag, WireError};

/// Why the client dropped a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// It is not a valid room-chat message.
    Malformed(WireError),
    /// A reply whose tag matches no request awaiting one (a duplicate, or
    /// a reply after a timeout).
    UnknownTag(Tag),
    /// A `pm` from an address that no `pa` gave for its user (answered
    /// `er not-poked`, not shown).
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
    /// A `pm` whose tag came from the same address already: a
    /// retransmission whose first copy arrived. It was answered again.
    RepeatedPrivate(Tag),
}

/// A request repeated after a re-registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// The tag that got `er not-registered`.
    pub tag: Tag,
    /// The tag the repeated request goes out with.
    pub retry_tag: Tag,
    /// The request.
    pub request: Request,
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
    /// sequence stayed open for
    /// [`ClientConfig::gap_timeout`](super::ClientConfig::gap_timeout) (the
    /// registration they belonged to ended), or too many arrived behind it.
    /// A loss is never silent. (Notifications the server itself dropped
    /// come as [`Notification::Lost`], in order.)
    Lost {
        /// The first skipped sequence number.
        first: Seq,
        /// How many notifications were skipped (`first` and the ones
        /// after it).
        count: u32,
    },
    /// The registration is gone (a request got `er not-registered`, or a
    /// gap in the notifications stayed open too long: the server restarted
    /// or the registration expired): the client sends `hi` again under the
    /// same name, rejoins the room it was in (creating it if it is gone),
    /// then repeats the request that failed, each under a new tag. Their
    /// outcomes come as [`Reply`](ClientEvent::Reply) or
    /// [`TimedOut`](ClientEvent::TimedOut) events.
    Reregistering {
        /// The name registered again.
        user: Name,
        /// The room rejoined, if the client was in one.
        room: Option<Name>,
        /// The request repeated (`None` after a gap, which no request saw).
        repeat: Option<Repeat>,
    },
    /// The peer answered one of our private messages (`ok`, or an error
    /// such as `not-poked`).
    PrivateReply {
        /// The message's tag.
        tag: Tag,
        /// The recipient.
        to: Name,
        /// The text.
        text: String,
        /// The answer.
        reply: Reply,
    },
    /// A private message got no answer after all retransmissions: it may
    /// not have arrived.
    PrivateTimedOut {
        /// The message's tag.
        tag: Tag,
        /// The recipient.
        to: Name,
        /// The text.
        text: String,
    },
    /// A private message from a poked user (answered `ok`; shown once
    /// however often it is retransmitted).
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
            DropReason::RepeatedPrivate(tag) => write!(f, "pm {tag} again, shown already"),
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
            ClientEvent::Reply { request, reply, .. } => {
                write_reply(f, reply, format_args!("{}", request.op()))
            }
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
            ClientEvent::Lost { count, .. } => write_lost(f, *count),
            ClientEvent::Reregistering { user, room, repeat } => {
                match repeat {
                    Some(_) => write!(f, "not registered with the server")?,
                    None => write!(f, "a gap in the server's messages stayed open")?,
                }
                write!(f, " (it may have restarted): registering again as {user}")?;
                if let Some(room) = room {
                    write!(f, ", rejoining {room}")?;
                }
                match repeat {
                    Some(r) => write!(f, ", then repeating {}", r.request.op()),
                    None => Ok(()),
                }
            }
            ClientEvent::PrivateReply { to, reply, .. } => {
                write_reply(f, reply, format_args!("pm to {to}"))
            }
            ClientEvent::PrivateTimedOut { to, text, .. } => write!(
                f,
                "no reply from {to} to pm (timed out), it may not have arrived: {text}"
            ),
            ClientEvent::Notice(n) => write_notice(f, n),
            ClientEvent::Private { from, text, .. } => write!(f, "[pm] {from}: {text}"),
            ClientEvent::Dropped { from, reason } => write!(f, "(dropped from {from}: {reason})"),
            ClientEvent::Closed => write!(f, "bye"),
        }
    }
}

/// A reply to what `what` names (`rc`, `pm to bob`).
fn write_reply(f: &mut fmt::Formatter<'_>, reply: &Reply, what: fmt::Arguments<'_>) -> fmt::Result {
    match reply {
        Reply::Ok => write!(f, "ok ({what})"),
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
            write!(f, " ({what})")
        }
    }
}

fn write_lost(f: &mut fmt::Formatter<'_>, count: u32) -> fmt::Result {
    match count {
        1 => write!(f, "lost 1 message from the server"),
        _ => write!(f, "lost {count} messages from the server"),
    }
}

fn write_notice(f: &mut fmt::Formatter<'_>, n: &Notification) -> fmt::Result {
    match n {
        Notification::Said { room, user, text } => write!(f, "[{room}] {user}: {text}"),
        Notification::Poked { user, addr } => {
            write!(f, "{user} poked you from {addr} ($msg {user} TEXT to talk)")
        }
        Notification::Joined { room, user } => write!(f, "* {user} joined {room}"),
        Notification::Left { room, user } => write!(f, "* {user} left {room}"),
        Notification::Kicked { room } => write!(f, "* you were kicked out of {room}"),
        Notification::Lost { count } => write_lost(f, *count),
    }
}
