//! The messages: requests, replies, notifications, private messages, each
//! with its op and its wire form without the tag.

use std::fmt;
use std::net::SocketAddr;

use super::fields::{Fields, unknown};
use super::{Name, WireError};

/// A request, client to server (the reply carries the same tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `hi user`: register (or rename) the sender's address.
    Hello(Name),
    /// `ul`: list users.
    UserList,
    /// `rl`: list rooms.
    RoomList,
    /// `rc room`: create a room, own it and join it.
    CreateRoom(Name),
    /// `rj room`: join a room, leaving the current one.
    JoinRoom(Name),
    /// `rk`: leave the current room.
    LeaveRoom,
    /// `ar user`: poke `user`, asking for their address.
    Poke(Name),
    /// `kk`: kick every other member out of the sender's room (owner only).
    Kick,
    /// `ms text`: say `text` to everyone else in the sender's room.
    Say(String),
    /// `ka`: keep alive.
    KeepAlive,
    /// `by`: unregister, leaving any room.
    Bye,
}

impl Request {
    /// The two-letter op.
    #[must_use]
    pub fn op(&self) -> &'static str {
        match self {
            Request::Hello(_) => "hi",
            Request::UserList => "ul",
            Request::RoomList => "rl",
            Request::CreateRoom(_) => "rc",
            Request::JoinRoom(_) => "rj",
            Request::LeaveRoom => "rk",
            Request::Poke(_) => "ar",
            Request::Kick => "kk",
            Request::Say(_) => "ms",
            Request::KeepAlive => "ka",
            Request::Bye => "by",
        }
    }

    /// Parses the part of a datagram after the tag and its space.
    ///
    /// # Errors
    ///
    /// A [`WireError`] saying what is wrong.
    pub fn parse(body: &str) -> Result<Self, WireError> {
        let mut f = Fields::new(body)?;
        let request = match f.op {
            "hi" => Request::Hello(f.name("hi", "user")?),
            "ul" => Request::UserList,
            "rl" => Request::RoomList,
            "rc" => Request::CreateRoom(f.name("rc", "room")?),
            "rj" => Request::JoinRoom(f.name("rj", "room")?),
            "rk" => Request::LeaveRoom,
            "ar" => Request::Poke(f.name("ar", "user")?),
            "kk" => Request::Kick,
            "ms" => Request::Say(f.text()),
            "ka" => Request::KeepAlive,
            "by" => Request::Bye,
            other => return Err(unknown(other)),
        };
        f.finish(request.op())?;
        Ok(request)
    }
}

impl fmt::Display for Request {
    /// The wire form without the tag: `rc lobby`, `ms hello all`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.op())?;
        match self {
            Request::Hello(n)
            | Request::CreateRoom(n)
            | Request::JoinRoom(n)
            | Request::Poke(n) => write!(f, " {n}"),
            Request::Say(text) => write!(f, " {text}"),
            _ => Ok(()),
        }
    }
}

/// An error reply's code. The server of this crate sends the named ones;
/// [`ErrorCode::Other`] keeps any other code a server may send.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `not-registered`: a request other than `hi` from an unknown address.
    NotRegistered,
    /// `bad-request`: unknown op, missing or extra argument, bad UTF-8.
    BadRequest,
    /// `too-long`: the datagram (or the `ms` it would relay) is over 4,096 bytes.
    TooLong,
    /// `name-taken`: `hi` with a name another address has.
    NameTaken,
    /// `bad-name`: `hi` or `rc` with an invalid name.
    BadName,
    /// `room-exists`: `rc` of an existing room.
    RoomExists,
    /// `no-such-room`: `rj` of a room that does not exist.
    NoSuchRoom,
    /// `not-in-room`: `rk`, `kk` or `ms` outside any room.
    NotInRoom,
    /// `no-such-user`: `ar` of an unknown user.
    NoSuchUser,
    /// `not-owner`: `kk` by a member who does not own the room.
    NotOwner,
    /// `server-full`: `hi` when the server has its maximum of users.
    ServerFull,
    /// `too-many-rooms`: `rc` when the server has its maximum of rooms.
    TooManyRooms,
    /// `room-full`: `rj` of a room that has its maximum of members.
    RoomFull,
    /// `not-poked`: a client's answer to a `pm` from an address that no
    /// `pa` gave it for the sender.
    NotPoked,
    /// Any other code: non-empty, without spaces.
    Other(String),
}

impl ErrorCode {
    /// The code as it goes on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::NotRegistered => "not-registered",
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::TooLong => "too-long",
            ErrorCode::NameTaken => "name-taken",
            ErrorCode::BadName => "bad-name",
            ErrorCode::RoomExists => "room-exists",
            ErrorCode::NoSuchRoom => "no-such-room",
            ErrorCode::NotInRoom => "not-in-room",
            ErrorCode::NoSuchUser => "no-such-user",
            ErrorCode::NotOwner => "not-owner",
            ErrorCode::ServerFull => "server-full",
            ErrorCode::TooManyRooms => "too-many-rooms",
            ErrorCode::RoomFull => "room-full",
            ErrorCode::NotPoked => "not-poked",
            ErrorCode::Other(code) => code,
        }
    }

    /// Every named code (all but [`Other`](Self::Other)).
    pub(crate) const NAMED: [ErrorCode; 14] = [
        ErrorCode::NotRegistered,
        ErrorCode::BadRequest,
        ErrorCode::TooLong,
        ErrorCode::NameTaken,
        ErrorCode::BadName,
        ErrorCode::RoomExists,
        ErrorCode::NoSuchRoom,
        ErrorCode::NotInRoom,
        ErrorCode::NoSuchUser,
        ErrorCode::NotOwner,
        ErrorCode::ServerFull,
        ErrorCode::TooManyRooms,
        ErrorCode::RoomFull,
        ErrorCode::NotPoked,
    ];

    fn from_wire(code: &str) -> Self {
        Self::NAMED
            .into_iter()
            .find(|k| k.as_str() == code)
            .unwrap_or_else(|| ErrorCode::Other(code.to_owned()))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reply to a request, carrying the request's tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `ok`.
    Ok,
    /// `ul <user> ...`: the users, sorted by name (empty: bare `ul`).
    Users(Vec<Name>),
    /// `rl <room> ...`: the rooms, sorted by name (empty: bare `rl`).
    Rooms(Vec<Name>),
    /// `pa <user> <ip:port>`: the address of the poked user.
    Address {
        /// The poked user.
        user: Name,
        /// Their address.
        addr: SocketAddr,
    },
    /// `er <code> [text]`.
    Error {
        /// The code.
        code: ErrorCode,
        /// The free text after the code, if any (`Some("")` is a bare
        /// trailing space).
        text: Option<String>,
    },
}

impl Reply {
    /// An error reply without text.
    #[must_use]
    pub fn error(code: ErrorCode) -> Self {
        Reply::Error { code, text: None }
    }

    /// The two-letter op.
    #[must_use]
    pub fn op(&self) -> &'static str {
        match self {
            Reply::Ok => "ok",
            Reply::Users(_) => "ul",
            Reply::Rooms(_) => "rl",
            Reply::Address { .. } => "pa",
            Reply::Error { .. } => "er",
        }
    }

    pub(crate) fn parse(body: &str) -> Result<Self, WireError> {
        let mut f = Fields::new(body)?;
        let reply = match f.op {
            "ok" => Reply::Ok,
            "ul" => Reply::Users(f.names("ul")?),
            "rl" => Reply::Rooms(f.names("rl")?),
            "pa" => Reply::Address {
                user: f.name("pa", "user")?,
                addr: f.addr("pa")?,
            },
            "er" => {
                let code = f.field("er", "code")?;
                Reply::Error {
                    code: ErrorCode::from_wire(code),
                    text: f.optional_text(),
                }
            }
            other => return Err(unknown(other)),
        };
        f.finish(reply.op())?;
        Ok(reply)
    }
}

impl fmt::Display for Reply {
    /// The wire form without the tag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.op())?;
        match self {
            Reply::Ok => Ok(()),
            Reply::Users(names) | Reply::Rooms(names) => {
                names.iter().try_for_each(|n| write!(f, " {n}"))
            }
            Reply::Address { user, addr } => write!(f, " {user} {addr}"),
            Reply::Error { code, text } => {
                write!(f, " {code}")?;
                match text {
                    Some(text) => write!(f, " {text}"),
                    None => Ok(()),
                }
            }
        }
    }
}

/// A message the server sends on its own, with tag `n<seq>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// `ms room user text`: `user` said `text` in `room`.
    Said {
        /// The room.
        room: Name,
        /// Who said it.
        user: Name,
        /// What they said.
        text: String,
    },
    /// `pa user ip:port`: `user` poked you; this is their address.
    Poked {
        /// Who poked.
        user: Name,
        /// Their address.
        addr: SocketAddr,
    },
    /// `jn room user`: `user` joined your room.
    Joined {
        /// The room.
        room: Name,
        /// Who joined.
        user: Name,
    },
    /// `lv room user`: `user` left your room (or was kicked, or expired).
    Left {
        /// The room.
        room: Name,
        /// Who left.
        user: Name,
    },
    /// `kd room`: you were kicked out of `room`.
    Kicked {
        /// The room.
        room: Name,
    },
    /// `ls count`: `count` notifications to you were dropped, in this
    /// one's place (your queue at the server overflowed).
    Lost {
        /// How many (at least 1).
        count: u32,
    },
}

impl Notification {
    /// The two-letter op.
    #[must_use]
    pub fn op(&self) -> &'static str {
        match self {
            Notification::Said { .. } => "ms",
            Notification::Poked { .. } => "pa",
            Notification::Joined { .. } => "jn",
            Notification::Left { .. } => "lv",
            Notification::Kicked { .. } => "kd",
            Notification::Lost { .. } => "ls",
        }
    }
}

impl fmt::Display for Notification {
    /// The wire form without the tag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notification::Said { room, user, text } => write!(f, "ms {room} {user} {text}"),
            Notification::Poked { user, addr } => write!(f, "pa {user} {addr}"),
            Notification::Joined { room, user } => write!(f, "jn {room} {user}"),
            Notification::Left { room, user } => write!(f, "lv {room} {user}"),
            Notification::Kicked { room } => write!(f, "kd {room}"),
            Notification::Lost { count } => write!(f, "ls {count}"),
        }
    }
}

/// `<tag> pm user text`: a private message, sent straight from one client
/// to another after a poke, and answered by the receiver with `<tag> ok`
/// (or `<tag> er not-poked`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateMessage {
    /// The sender's user name.
    pub from: Name,
    /// The message.
    pub text: String,
}

impl fmt::Display for PrivateMessage {
    /// The wire form without the tag.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pm {} {}", self.from, self.text)
    }
}
