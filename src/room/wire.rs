//! The room-chat wire types (§7): one datagram is
//! `<tag> <op> [<arg> ...]`, UTF-8, fields separated by one space, at most
//! 4,096 bytes ([`ServerBound::MAX_LEN`], [`ClientBound::MAX_LEN`]).
//!
//! | direction | type | ops |
//! |---|---|---|
//! | client → server | [`Request`] | `hi ul rl rc rj rk ar kk ms ka by` |
//! | server → client, same tag | [`Reply`] | `ok ul rl pa er` |
//! | server → client, tag `n<seq>` | [`Notification`] | `ms pa jn lv kd ls` |
//! | client → server, tag `n<seq>` | acknowledgement ([`ServerBound::Ack`]) | `ak` |
//! | client → client, any tag | [`PrivateMessage`] | `pm` |
//! | client → client, same tag | [`Reply`] | `ok er` |
//!
//! [`ServerBound`] and [`ClientBound`] are whole datagrams (tag and message)
//! in each direction. Parsing is strict and formatting is canonical:
//! for every value `v`, `parse(format(v)) == v`, and every datagram the
//! parser accepts formats back to the same bytes, with one documented
//! leniency: a free text that is empty may come without the space before
//! it (`5 ms` reads as `5 ms ` does).
//!
//! ```
//! use sockwire::room::{ClientBound, Name, Reply, Request, ServerBound};
//!
//! let request = ServerBound::parse(b"7 rc lobby")?;
//! assert_eq!(request, ServerBound::Request { tag: 7, request: Request::CreateRoom(Name::new("lobby")?) });
//! assert_eq!(&request.to_bytes()?[..], b"7 rc lobby");
//! assert_eq!(ServerBound::parse(b"n3 ak")?, ServerBound::Ack { seq: 3 });
//!
//! let reply = ClientBound::parse(b"7 ul alice bob")?;
//! let users = vec![Name::new("alice")?, Name::new("bob")?];
//! assert_eq!(reply, ClientBound::Reply { tag: 7, reply: Reply::Users(users) });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::ops::Deref;
use std::str::FromStr;

use bytes::{Bytes, BytesMut};
use thiserror::Error;

use crate::EncodeError;

/// Largest room-chat datagram, in bytes, in either direction.
const MAX_DATAGRAM: usize = 4096;

/// The request tag: chosen by the requester (a client asking the server,
/// or sending a private message to another client), copied into the
/// reply.
pub type Tag = u32;

/// A notification's sequence number, the `<seq>` of its tag `n<seq>`:
/// counted per registered client, from 1 at its `hi`.
pub type Seq = u32;

/// Why a datagram is not a valid room-chat message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WireError {
    /// The datagram is longer than 4,096 bytes ([`ServerBound::MAX_LEN`]).
    #[error("datagram of {size} bytes exceeds the limit of {max} bytes")]
    TooLong {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The datagram is not valid UTF-8.
    #[error("invalid UTF-8 at byte offset {offset}")]
    InvalidUtf8 {
        /// Position of the first bad byte.
        offset: usize,
    },
    /// The first field is not a canonical decimal `u32` (no sign, no
    /// leading zero), nor `n` and one, followed by a space or the end.
    #[error("the tag {field:?} is not a decimal u32")]
    BadTag {
        /// The first field, lossily decoded and cut to 16 characters.
        field: String,
    },
    /// The tag is not followed by an op.
    #[error("no op after the tag")]
    MissingOp,
    /// The op is not one this direction knows.
    #[error("unknown op {op:?}")]
    UnknownOp {
        /// The op, cut to 16 characters.
        op: String,
    },
    /// A required field is absent.
    #[error("op {op} lacks its {field} argument")]
    MissingArgument {
        /// The op.
        op: &'static str,
        /// The missing field.
        field: &'static str,
    },
    /// More fields than the op takes (or a stray space).
    #[error("op {op} has unexpected trailing input")]
    UnexpectedArgument {
        /// The op.
        op: &'static str,
    },
    /// A field that must be a name is not 1 to 32 of `A-Z a-z 0-9 _ -`.
    #[error("op {op}: {name:?} is not a valid name")]
    BadName {
        /// The op.
        op: &'static str,
        /// The field, cut to 40 characters.
        name: String,
    },
    /// A field that must be `ip:port` is not.
    #[error("op {op}: {field:?} is not an ip:port address")]
    BadAddress {
        /// The op.
        op: &'static str,
        /// The field, cut to 60 characters.
        field: String,
    },
    /// A notification with a numeric tag (it needs `n<seq>`), or a `pa`
    /// reply with tag `0`.
    #[error("op {op} cannot have tag {tag}")]
    WrongTag {
        /// The op.
        op: &'static str,
        /// The tag it came with.
        tag: Tag,
    },
    /// The count of `ls` is not a canonical decimal `u32` above 0.
    #[error("op {op}: {field:?} is not a count (a decimal u32 above 0)")]
    BadCount {
        /// The op.
        op: &'static str,
        /// The field, cut to 16 characters.
        field: String,
    },
    /// An op that is neither a notification nor an acknowledgement with a
    /// notification's tag `n<seq>`.
    #[error("op {op:?} cannot have the notification tag n{seq}")]
    NotANotification {
        /// The op, cut to 16 characters.
        op: String,
        /// The sequence number of the tag.
        seq: Seq,
    },
}

fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A user or room name: 1 to [`Name::MAX_LEN`] characters of
/// `A-Z a-z 0-9 _ -`. Ordered as strings (byte-wise), which is the order of
/// the `ul` and `rl` lists.
///
/// ```
/// use sockwire::room::Name;
/// assert_eq!(Name::new("bob_2")?.as_str(), "bob_2");
/// assert!(Name::new("no spaces").is_err());
/// assert!(Name::new("").is_err());
/// # Ok::<(), sockwire::room::BadName>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(String);

/// The error for a string that is not a valid [`Name`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a valid name (1 to 32 of A-Z a-z 0-9 _ -)")]
pub struct BadName(pub String);

impl Name {
    /// Longest name, in characters (all ASCII, so also bytes).
    pub const MAX_LEN: usize = 32;

    /// Validates `name`.
    ///
    /// # Errors
    ///
    /// [`BadName`] if it is empty, longer than 32 characters, or holds a
    /// character outside `A-Z a-z 0-9 _ -`.
    pub fn new(name: &str) -> Result<Self, BadName> {
        if Self::is_valid(name) {
            Ok(Name(name.to_owned()))
        } else {
            Err(BadName(cut(name, 40)))
        }
    }

    /// Whether `name` is a valid name.
    #[must_use]
    pub fn is_valid(name: &str) -> bool {
        (1..=Self::MAX_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    /// The name as a string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Name {
    type Err = BadName;
    fn from_str(s: &str) -> Result<Self, BadName> {
        Name::new(s)
    }
}

impl TryFrom<&str> for Name {
    type Error = BadName;
    fn try_from(s: &str) -> Result<Self, BadName> {
        Name::new(s)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

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

    fn from_wire(code: &str) -> Self {
        const KNOWN: [ErrorCode; 14] = [
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
        KNOWN
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

    fn parse(body: &str) -> Result<Self, WireError> {
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

/// A whole datagram from a client to the server: a request, or the
/// acknowledgement of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerBound {
    /// `<tag> <op> [<arg> ...]`: a request.
    Request {
        /// The request's tag.
        tag: Tag,
        /// The request.
        request: Request,
    },
    /// `n<seq> ak`: the client got notification `seq` (sent for every copy,
    /// duplicates included; never answered).
    Ack {
        /// The notification's sequence number.
        seq: Seq,
    },
}

impl ServerBound {
    /// Largest datagram a client may send, in bytes.
    pub const MAX_LEN: usize = MAX_DATAGRAM;

    /// Parses a datagram.
    ///
    /// # Errors
    ///
    /// A [`WireError`]; [`read_tag`] tells whether a request's tag could be
    /// read.
    pub fn parse(datagram: &[u8]) -> Result<Self, WireError> {
        match split_datagram(datagram)? {
            (Head::Tag(tag), body) => Ok(ServerBound::Request {
                tag,
                request: Request::parse(body)?,
            }),
            (Head::Seq(seq), body) => {
                let f = Fields::new(body)?;
                if f.op != "ak" {
                    return Err(WireError::NotANotification {
                        op: cut(f.op, 16),
                        seq,
                    });
                }
                f.finish("ak")?;
                Ok(ServerBound::Ack { seq })
            }
        }
    }

    /// The request's tag (`None` for an acknowledgement).
    #[must_use]
    pub fn tag(&self) -> Option<Tag> {
        match self {
            ServerBound::Request { tag, .. } => Some(*tag),
            ServerBound::Ack { .. } => None,
        }
    }

    /// Appends the datagram to `dst`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::TooLarge`] over [`MAX_LEN`](Self::MAX_LEN) bytes;
    /// `dst` is unchanged then.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            ServerBound::Request { tag, request } => encode_tagged(tag, request, dst),
            ServerBound::Ack { seq } => encode_tagged(&NoticeTag(*seq), &"ak", dst),
        }
    }

    /// The datagram.
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode).
    pub fn to_bytes(&self) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }
}

/// Formats a notification's tag: `n<seq>`.
pub(crate) struct NoticeTag(pub(crate) Seq);

impl fmt::Display for NoticeTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// The first field of a datagram.
enum Head {
    /// A request's (or a reply's, or a `pm`'s) tag.
    Tag(Tag),
    /// A notification's `n<seq>`.
    Seq(Seq),
}

/// A whole datagram a client receives: from the server, or from another
/// client (`pm`).
///
/// With tag `n<seq>`, `ms pa jn lv kd ls` are notifications; with any
/// numeric tag, `pm` is a private message and `ok ul rl er` are replies;
/// with a non-zero tag, `pa` is a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientBound {
    /// A reply to the request with this tag (`er` may come with tag `0`,
    /// for a request whose tag could not be read).
    Reply {
        /// The request's tag.
        tag: Tag,
        /// The reply.
        reply: Reply,
    },
    /// A notification from the server (tag `n<seq>`).
    Notice {
        /// Its sequence number.
        seq: Seq,
        /// The notification.
        notification: Notification,
    },
    /// A private message from another client, with the sender's tag.
    Private {
        /// The sender's tag, copied into the answer.
        tag: Tag,
        /// The message.
        message: PrivateMessage,
    },
}

impl ClientBound {
    /// Largest datagram a client receives, in bytes.
    pub const MAX_LEN: usize = MAX_DATAGRAM;

    /// Parses a datagram.
    ///
    /// # Errors
    ///
    /// A [`WireError`] saying what is wrong.
    pub fn parse(datagram: &[u8]) -> Result<Self, WireError> {
        let (head, body) = split_datagram(datagram)?;
        let op = body.split_once(' ').map_or(body, |(op, _)| op);
        let tag = match head {
            Head::Seq(seq) => {
                return match op {
                    "ms" | "pa" | "jn" | "lv" | "kd" | "ls" => parse_notification(body)
                        .map(|notification| Self::Notice { seq, notification }),
                    _ => Err(WireError::NotANotification {
                        op: cut(op, 16),
                        seq,
                    }),
                };
            }
            Head::Tag(tag) => tag,
        };
        match (tag, op) {
            (_, "pm") => parse_private(body).map(|message| Self::Private { tag, message }),
            (0, "pa") | (_, "ms" | "jn" | "lv" | "kd" | "ls") => Err(WireError::WrongTag {
                op: static_op(op),
                tag,
            }),
            _ => Ok(ClientBound::Reply {
                tag,
                reply: Reply::parse(body)?,
            }),
        }
    }

    /// The numeric tag the datagram carries (`None` for a notification,
    /// whose tag is `n<seq>`).
    #[must_use]
    pub fn tag(&self) -> Option<Tag> {
        match self {
            ClientBound::Reply { tag, .. } => Some(*tag),
            ClientBound::Private { tag, .. } => Some(*tag),
            ClientBound::Notice { .. } => None,
        }
    }

    /// Appends the datagram to `dst`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::TooLarge`] over [`MAX_LEN`](Self::MAX_LEN) bytes;
    /// [`EncodeError::Unrepresentable`] for a `pa` reply with tag `0`
    /// (a `pa` with tag `0` is not valid) or an [`ErrorCode::Other`] that is
    /// empty or holds a space. `dst` is unchanged then.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), EncodeError> {
        match self {
            ClientBound::Reply { tag, reply } => {
                if *tag == 0 && matches!(reply, Reply::Address { .. }) {
                    return Err(EncodeError::Unrepresentable {
                        reason: "a pa reply needs a non-zero tag".into(),
                    });
                }
                if let Reply::Error {
                    code: ErrorCode::Other(code),
                    ..
                } = reply
                {
                    if code.is_empty() || code.contains(' ') {
                        return Err(EncodeError::Unrepresentable {
                            reason: format!("error code {code:?} is empty or holds a space"),
                        });
                    }
                }
                encode_tagged(tag, reply, dst)
            }
            ClientBound::Notice { seq, notification } => {
                encode_tagged(&NoticeTag(*seq), notification, dst)
            }
            ClientBound::Private { tag, message } => encode_tagged(tag, message, dst),
        }
    }

    /// The datagram.
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode).
    pub fn to_bytes(&self) -> Result<Bytes, EncodeError> {
        let mut buf = BytesMut::new();
        self.encode(&mut buf)?;
        Ok(buf.freeze())
    }
}

fn static_op(op: &str) -> &'static str {
    match op {
        "ms" => "ms",
        "jn" => "jn",
        "lv" => "lv",
        "kd" => "kd",
        "ls" => "ls",
        _ => "pa",
    }
}

fn parse_notification(body: &str) -> Result<Notification, WireError> {
    let mut f = Fields::new(body)?;
    let n = match f.op {
        "ms" => Notification::Said {
            room: f.name("ms", "room")?,
            user: f.name("ms", "user")?,
            text: f.text(),
        },
        "pa" => Notification::Poked {
            user: f.name("pa", "user")?,
            addr: f.addr("pa")?,
        },
        "jn" => Notification::Joined {
            room: f.name("jn", "room")?,
            user: f.name("jn", "user")?,
        },
        "lv" => Notification::Left {
            room: f.name("lv", "room")?,
            user: f.name("lv", "user")?,
        },
        "kd" => Notification::Kicked {
            room: f.name("kd", "room")?,
        },
        "ls" => Notification::Lost {
            count: f.count("ls")?,
        },
        other => return Err(unknown(other)),
    };
    f.finish(n.op())?;
    Ok(n)
}

fn parse_private(body: &str) -> Result<PrivateMessage, WireError> {
    let mut f = Fields::new(body)?;
    let from = f.name("pm", "user")?;
    let text = f.text();
    Ok(PrivateMessage { from, text })
}

fn encode_tagged(
    tag: &dyn fmt::Display,
    msg: &dyn fmt::Display,
    dst: &mut BytesMut,
) -> Result<(), EncodeError> {
    // Written straight into `dst` (no `String` in between), taken back if
    // it is too long.
    let start = dst.len();
    let written = fmt::Write::write_fmt(dst, format_args!("{tag} {msg}"));
    let size = dst.len() - start;
    let result = if written.is_err() {
        // `BytesMut` grows as needed: only a failing `Display` gets here.
        Err(EncodeError::Unrepresentable {
            reason: "the datagram could not be formatted".into(),
        })
    } else if size > MAX_DATAGRAM {
        Err(EncodeError::TooLarge {
            size: size as u64,
            max: MAX_DATAGRAM as u64,
        })
    } else {
        return Ok(());
    };
    dst.truncate(start);
    result
}

/// Reads the numeric tag of a datagram, if it can be read: the bytes up to
/// the first space (or the end) must be a canonical decimal `u32` (a
/// notification's `n<seq>` is not one). Works on over-long
/// datagrams and ones whose text is not valid UTF-8 after the tag.
///
/// ```
/// use sockwire::room::read_tag;
/// assert_eq!(read_tag(b"42 ul"), Some(42));
/// assert_eq!(read_tag(b"0"), Some(0));
/// assert_eq!(read_tag(b"x ul"), None);
/// assert_eq!(read_tag(b"042 ul"), None);
/// ```
#[must_use]
pub fn read_tag(datagram: &[u8]) -> Option<Tag> {
    parse_tag(first_field(datagram))
}

/// The bytes up to the first space, or all of them.
fn first_field(datagram: &[u8]) -> &[u8] {
    datagram.split(|&b| b == b' ').next().unwrap_or(datagram)
}

fn parse_tag(field: &[u8]) -> Option<Tag> {
    let canonical = match field {
        [] => false,
        [b'0'] => true,
        [b'0', ..] => false,
        _ => field.iter().all(u8::is_ascii_digit),
    };
    if !canonical {
        return None;
    }
    std::str::from_utf8(field).ok()?.parse().ok()
}

/// Checks size and UTF-8, reads the tag (a number or `n<seq>`), returns it
/// and the text after its space.
fn split_datagram(datagram: &[u8]) -> Result<(Head, &str), WireError> {
    if datagram.len() > MAX_DATAGRAM {
        return Err(WireError::TooLong {
            size: datagram.len(),
            max: MAX_DATAGRAM,
        });
    }
    let field = first_field(datagram);
    let head = match field.split_first() {
        Some((b'n', seq)) => parse_tag(seq).map(Head::Seq),
        _ => parse_tag(field).map(Head::Tag),
    };
    let head = head.ok_or_else(|| WireError::BadTag {
        field: cut(&String::from_utf8_lossy(field), 16),
    })?;
    let text = std::str::from_utf8(datagram).map_err(|e| WireError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    match text.split_once(' ') {
        Some((_, body)) => Ok((head, body)),
        None => Err(WireError::MissingOp),
    }
}

fn unknown(op: &str) -> WireError {
    WireError::UnknownOp { op: cut(op, 16) }
}

/// A cursor over the space-separated fields after the tag.
struct Fields<'a> {
    op: &'a str,
    /// What follows the op (and the space after it); `None` at the end.
    rest: Option<&'a str>,
}

impl<'a> Fields<'a> {
    fn new(body: &'a str) -> Result<Self, WireError> {
        let (op, rest) = match body.split_once(' ') {
            Some((op, rest)) => (op, Some(rest)),
            None => (body, None),
        };
        if op.is_empty() {
            return Err(WireError::MissingOp);
        }
        Ok(Fields { op, rest })
    }

    /// The next space-delimited field.
    fn field(&mut self, op: &'static str, field: &'static str) -> Result<&'a str, WireError> {
        let rest = self.rest.ok_or(WireError::MissingArgument { op, field })?;
        let (value, rest) = match rest.split_once(' ') {
            Some((value, rest)) => (value, Some(rest)),
            None => (rest, None),
        };
        if value.is_empty() {
            return Err(WireError::MissingArgument { op, field });
        }
        self.rest = rest;
        Ok(value)
    }

    fn name(&mut self, op: &'static str, field: &'static str) -> Result<Name, WireError> {
        let value = self.field(op, field)?;
        Name::new(value).map_err(|e| WireError::BadName { op, name: e.0 })
    }

    /// Every remaining field as a name.
    fn names(&mut self, op: &'static str) -> Result<Vec<Name>, WireError> {
        let mut names = Vec::new();
        while self.rest.is_some() {
            names.push(self.name(op, "name")?);
        }
        Ok(names)
    }

    /// A canonical decimal `u32` above 0.
    fn count(&mut self, op: &'static str) -> Result<u32, WireError> {
        let value = self.field(op, "count")?;
        parse_tag(value.as_bytes())
            .filter(|&n| n > 0)
            .ok_or_else(|| WireError::BadCount {
                op,
                field: cut(value, 16),
            })
    }

    fn addr(&mut self, op: &'static str) -> Result<SocketAddr, WireError> {
        let value = self.field(op, "address")?;
        let bad = || WireError::BadAddress {
            op,
            field: cut(value, 60),
        };
        let addr: SocketAddr = value.parse().map_err(|_| bad())?;
        // Only the canonical form (`[::]:5006`, not `[::0]:5006`), so that
        // every accepted datagram formats back to the same bytes.
        if addr.to_string() != value {
            return Err(bad());
        }
        Ok(addr)
    }

    /// The rest of the datagram, spaces kept (empty if none).
    fn text(&mut self) -> String {
        // no text at all reads as an empty one (the documented leniency)
        self.rest.take().map_or_else(String::new, str::to_owned)
    }

    fn optional_text(&mut self) -> Option<String> {
        self.rest.take().map(str::to_owned)
    }

    fn finish(&self, op: &'static str) -> Result<(), WireError> {
        match self.rest {
            None => Ok(()),
            Some(_) => Err(WireError::UnexpectedArgument { op }),
        }
    }
}

/// The request's name argument that failed validation, for the server's
/// choice of error code.
pub(crate) fn bad_name_op(err: &WireError) -> Option<&'static str> {
    match err {
        WireError::BadName { op, .. } => Some(op),
        _ => None,
    }
}
