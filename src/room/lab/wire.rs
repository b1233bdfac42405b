//! The §8 datagrams: no tags, tokens separated by single spaces, at most
//! [`LabRequest::MAX_LEN`] bytes of UTF-8.
//!
//! A receiver splits on whitespace exactly as the lab's programs do with
//! Python's `str.split()` (Unicode whitespace and the ASCII separators
//! `\x1c`–`\x1f`); a sender writes single spaces. So parsing is lenient
//! about spacing and formatting is canonical: `format(parse(b))` is `b`
//! with its whitespace runs made single spaces.
//!
//! Each type's `Display` is its datagram's text, and [`encode`] is the one
//! encoder: that text, checked against the size limit. `to_bytes` and the
//! codecs ([`LabServerCodec`](super::LabServerCodec),
//! [`LabClientCodec`](super::LabClientCodec)) all go through it.

use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};

use bytes::{Bytes, BytesMut};
use thiserror::Error;

use crate::room::Name;
use crate::room::words::{self as shared, cut};

/// The token that starts a peer-list refresh: `rj __clear_peers__`.
const CLEAR_PEERS: &str = "__clear_peers__";

/// Why a datagram is not a §8 message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LabWireError {
    /// The datagram is longer than [`LabRequest::MAX_LEN`].
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
    /// The datagram holds no word at all.
    #[error("empty datagram")]
    Empty,
    /// The first word is not an op this direction knows.
    #[error("unknown word {word:?}")]
    UnknownWord {
        /// The word, cut to 16 characters.
        word: String,
    },
    /// The op came with a number of arguments it never takes.
    #[error("{op} with {got} arguments")]
    WrongArgumentCount {
        /// The op.
        op: &'static str,
        /// How many arguments came.
        got: usize,
    },
    /// A user or room name that breaks the name rules
    /// ([`Name`]: 1 to 32 of `A-Z a-z 0-9 _ -`).
    #[error("{op}: {name:?} is not a valid name")]
    BadName {
        /// The op.
        op: &'static str,
        /// The field, cut to 40 characters.
        name: String,
    },
    /// An `IP PORT` pair that is not an address.
    #[error("{op}: {field:?} is not an IP PORT address")]
    BadAddress {
        /// The op.
        op: &'static str,
        /// The two fields, cut to 60 characters.
        field: String,
    },
    /// A chat line that is not `msg NAME> TEXT`.
    #[error("chat line without a NAME> field")]
    BadChat,
}

/// Appends `item`'s datagram to `dst`: its text, if that is at most
/// [`LabRequest::MAX_LEN`] bytes; else `dst` is left as it was. The one
/// encoder of the wire.
pub(super) fn encode(item: &impl fmt::Display, dst: &mut BytesMut) -> Result<(), LabWireError> {
    let start = dst.len();
    // writing into a `BytesMut` cannot fail
    let _ = write!(dst, "{item}");
    let fits = shared::check_size(dst.len() - start, LabRequest::MAX_LEN);
    if fits.is_err() {
        dst.truncate(start);
    }
    Ok(fits?)
}

/// `item`'s datagram, as [`encode`] writes it.
fn encoded(item: &impl fmt::Display) -> Result<Bytes, LabWireError> {
    let mut dst = BytesMut::new();
    encode(item, &mut dst)?;
    Ok(dst.freeze())
}

/// `item`'s text, whatever its size: for the types whose datagrams a
/// limit never cuts.
fn unchecked(item: &impl fmt::Display) -> Bytes {
    let mut dst = BytesMut::new();
    let _ = write!(dst, "{item}");
    dst.freeze()
}

/// Checks the size and the encoding of a datagram.
fn text(datagram: &[u8]) -> Result<&str, LabWireError> {
    Ok(shared::text(datagram, LabRequest::MAX_LEN)?)
}

/// Whether Python's `str.split()` splits at `c`: Unicode whitespace, and
/// the four ASCII separators `\x1c`–`\x1f`, which Rust's
/// `char::is_whitespace` does not count.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// The op and its arguments, split as Python's `str.split()` does: the
/// datagram's first word, as the one of `ops` it is (else
/// [`LabWireError::UnknownWord`]), and the words after it.
fn words<'d>(
    datagram: &'d [u8],
    ops: &[&'static str],
) -> Result<(&'static str, Vec<&'d str>), LabWireError> {
    let mut words = text(datagram)?.split(is_space).filter(|w| !w.is_empty());
    let word = words.next().ok_or(LabWireError::Empty)?;
    let op = ops
        .iter()
        .copied()
        .find(|op| *op == word)
        .ok_or_else(|| unknown(word))?;
    Ok((op, words.collect()))
}

fn name(op: &'static str, field: &str) -> Result<Name, LabWireError> {
    Name::new(field).map_err(|e| LabWireError::BadName { op, name: e.0 })
}

fn address(op: &'static str, ip: &str, port: &str) -> Result<SocketAddr, LabWireError> {
    let bad = || LabWireError::BadAddress {
        op,
        field: cut(&format!("{ip} {port}"), 60),
    };
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    Ok(SocketAddr::new(ip, port))
}

fn unknown(word: &str) -> LabWireError {
    LabWireError::UnknownWord {
        word: cut(word, 16),
    }
}

/// A datagram from a client to the §8 server (the directory).
///
/// ```
/// use sockwire::room::Name;
/// use sockwire::room::lab::LabRequest;
///
/// let request = LabRequest::parse(b"rj lobby")?;
/// assert_eq!(request, LabRequest::JoinRoom(Name::new("lobby")?));
/// assert_eq!(&request.to_bytes()[..], b"rj lobby");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabRequest {
    /// `hi NAME`: register the sender's address as `NAME`.
    Hello(Name),
    /// `by`: unregister.
    Bye,
    /// `ar NAME`: poke, asking for `NAME`'s address.
    Poke(Name),
    /// `ul`: list users.
    UserList,
    /// `rl`: list rooms.
    RoomList,
    /// `rc ROOM`: create a room (the creator does not join it).
    CreateRoom(Name),
    /// `rj ROOM`: join a room, leaving any other.
    JoinRoom(Name),
    /// `rk`: leave the current room.
    LeaveRoom,
}

impl LabRequest {
    /// Largest §8 datagram in either direction, in bytes: the lab's
    /// programs read 1,024.
    pub const MAX_LEN: usize = 1024;

    /// The op word.
    #[must_use]
    pub fn op(&self) -> &'static str {
        match self {
            LabRequest::Hello(_) => "hi",
            LabRequest::Bye => "by",
            LabRequest::Poke(_) => "ar",
            LabRequest::UserList => "ul",
            LabRequest::RoomList => "rl",
            LabRequest::CreateRoom(_) => "rc",
            LabRequest::JoinRoom(_) => "rj",
            LabRequest::LeaveRoom => "rk",
        }
    }

    /// Parses a datagram.
    ///
    /// # Errors
    ///
    /// A [`LabWireError`] saying what is wrong. A name that breaks the
    /// name rules is [`LabWireError::BadName`] (the server answers it with
    /// the op's "no", not by dropping it).
    pub fn parse(datagram: &[u8]) -> Result<Self, LabWireError> {
        let (op, args) = words(datagram, &["hi", "by", "ar", "ul", "rl", "rc", "rj", "rk"])?;
        Ok(match (op, args.as_slice()) {
            ("hi", [n]) => LabRequest::Hello(name(op, n)?),
            ("ar", [n]) => LabRequest::Poke(name(op, n)?),
            ("rc", [n]) => LabRequest::CreateRoom(name(op, n)?),
            ("rj", [n]) => LabRequest::JoinRoom(name(op, n)?),
            ("by", []) => LabRequest::Bye,
            ("ul", []) => LabRequest::UserList,
            ("rl", []) => LabRequest::RoomList,
            ("rk", []) => LabRequest::LeaveRoom,
            _ => {
                return Err(LabWireError::WrongArgumentCount {
                    op,
                    got: args.len(),
                });
            }
        })
    }

    /// The datagram. It always fits in [`MAX_LEN`](Self::MAX_LEN): a
    /// name is at most 32 bytes.
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        unchecked(self)
    }
}

impl fmt::Display for LabRequest {
    /// The datagram's text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabRequest::Hello(n)
            | LabRequest::Poke(n)
            | LabRequest::CreateRoom(n)
            | LabRequest::JoinRoom(n) => write!(f, "{} {n}", self.op()),
            _ => f.write_str(self.op()),
        }
    }
}

/// A datagram from the §8 server to a client. Each request has its
/// answer; `rj` and `rk` also refresh the peer lists of a room's members.
///
/// Names in answers are kept as the words that came, not checked against
/// the name rules: another server (the lab's own) may have accepted names
/// that sockwire's server refuses, and a client still shows them.
///
/// ```
/// use sockwire::room::lab::LabAnswer;
///
/// let peer = LabAnswer::parse(b"rj 127.0.0.1 40001")?;
/// assert_eq!(peer, LabAnswer::Peer("127.0.0.1:40001".parse()?));
/// assert_eq!(LabAnswer::parse(b"rj __clear_peers__")?, LabAnswer::ClearPeers);
/// assert_eq!(LabAnswer::parse(b"ul")?, LabAnswer::NoUsers);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabAnswer {
    /// `hi NAME`: registered as `NAME`.
    Welcome(String),
    /// The bare `hi`: the name is taken (or refused).
    NameRefused,
    /// `by`: unregistered.
    Bye,
    /// `ar IP PORT`: the poked user's address.
    Address(SocketAddr),
    /// The bare `ar`: no such user.
    NoSuchUser,
    /// `ul NAME`: one user of the list.
    User(String),
    /// The bare `ul`: no users.
    NoUsers,
    /// `rl ROOM`: one room of the list.
    Room(String),
    /// The bare `rl`: no rooms.
    NoRooms,
    /// `rc ROOM`: the room was created.
    Created(String),
    /// The bare `rc`: the room exists (or was refused).
    RoomExists,
    /// The bare `rj`: no such room (or it was refused).
    NoSuchRoom,
    /// `rj __clear_peers__`: forget the room's peers; the current ones
    /// follow.
    ClearPeers,
    /// `rj IP PORT`: one peer of the room.
    Peer(SocketAddr),
}

impl LabAnswer {
    /// Parses a datagram.
    ///
    /// # Errors
    ///
    /// A [`LabWireError`] saying what is wrong.
    pub fn parse(datagram: &[u8]) -> Result<Self, LabWireError> {
        let (op, args) = words(datagram, &["hi", "by", "ar", "ul", "rl", "rc", "rj"])?;
        let wrong = || LabWireError::WrongArgumentCount {
            op,
            got: args.len(),
        };
        Ok(match (op, args.as_slice()) {
            ("hi", []) => LabAnswer::NameRefused,
            ("hi", [n]) => LabAnswer::Welcome((*n).to_owned()),
            ("by", []) => LabAnswer::Bye,
            ("ar", []) => LabAnswer::NoSuchUser,
            ("ar", [ip, port]) => LabAnswer::Address(address(op, ip, port)?),
            ("ul", []) => LabAnswer::NoUsers,
            ("ul", [n]) => LabAnswer::User((*n).to_owned()),
            ("rl", []) => LabAnswer::NoRooms,
            ("rl", [n]) => LabAnswer::Room((*n).to_owned()),
            ("rc", []) => LabAnswer::RoomExists,
            ("rc", [n]) => LabAnswer::Created((*n).to_owned()),
            ("rj", []) => LabAnswer::NoSuchRoom,
            ("rj", [CLEAR_PEERS]) => LabAnswer::ClearPeers,
            ("rj", [ip, port]) => LabAnswer::Peer(address(op, ip, port)?),
            _ => return Err(wrong()),
        })
    }

    /// The datagram. Every answer sockwire's server builds fits in
    /// [`LabRequest::MAX_LEN`]; one built from a long word may not (the
    /// codecs refuse it).
    #[must_use]
    pub fn to_bytes(&self) -> Bytes {
        unchecked(self)
    }
}

impl fmt::Display for LabAnswer {
    /// The datagram's text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabAnswer::Welcome(n) => write!(f, "hi {n}"),
            LabAnswer::NameRefused => f.write_str("hi"),
            LabAnswer::Bye => f.write_str("by"),
            LabAnswer::Address(a) => write!(f, "ar {} {}", a.ip(), a.port()),
            LabAnswer::NoSuchUser => f.write_str("ar"),
            LabAnswer::User(n) => write!(f, "ul {n}"),
            LabAnswer::NoUsers => f.write_str("ul"),
            LabAnswer::Room(n) => write!(f, "rl {n}"),
            LabAnswer::NoRooms => f.write_str("rl"),
            LabAnswer::Created(n) => write!(f, "rc {n}"),
            LabAnswer::RoomExists => f.write_str("rc"),
            LabAnswer::NoSuchRoom => f.write_str("rj"),
            LabAnswer::ClearPeers => write!(f, "rj {CLEAR_PEERS}"),
            LabAnswer::Peer(a) => write!(f, "rj {} {}", a.ip(), a.port()),
        }
    }
}

/// A chat line between clients: `msg NAME> TEXT`.
///
/// `TEXT` is the rest of the datagram after `NAME>` and one space, kept
/// as it came (spaces included); it may be empty.
///
/// ```
/// use sockwire::room::lab::LabChat;
///
/// let chat = LabChat::parse(b"msg alice> hello  there")?;
/// assert_eq!((chat.from.as_str(), chat.text.as_str()), ("alice", "hello  there"));
/// assert_eq!(&chat.to_bytes()?[..], b"msg alice> hello  there");
/// # Ok::<(), sockwire::room::lab::LabWireError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabChat {
    /// The sender's name, as it wrote it (without the `>`).
    pub from: String,
    /// The text.
    pub text: String,
}

impl LabChat {
    /// Parses a datagram.
    ///
    /// # Errors
    ///
    /// A [`LabWireError`]: too long, not UTF-8, not starting with the word
    /// `msg`, or without a `NAME>` word.
    pub fn parse(datagram: &[u8]) -> Result<Self, LabWireError> {
        let line = text(datagram)?.trim_start_matches(is_space);
        let (word, rest) = line.split_once(is_space).unwrap_or((line, ""));
        if word.is_empty() {
            return Err(LabWireError::Empty);
        }
        if word != "msg" {
            return Err(unknown(word));
        }
        let rest = rest.trim_start_matches(is_space);
        let (from, text) = rest.split_once(is_space).unwrap_or((rest, ""));
        match from.strip_suffix('>') {
            Some(name) if !name.is_empty() => Ok(LabChat {
                from: name.to_owned(),
                text: text.to_owned(),
            }),
            _ => Err(LabWireError::BadChat),
        }
    }

    /// Whether `datagram` is meant as a chat line: its first word is
    /// `msg` (it may still be malformed).
    #[must_use]
    pub fn is_chat(datagram: &[u8]) -> bool {
        let Ok(line) = std::str::from_utf8(datagram) else {
            return false;
        };
        line.split(is_space).find(|w| !w.is_empty()) == Some("msg")
    }

    /// The datagram.
    ///
    /// # Errors
    ///
    /// [`LabWireError::TooLong`] past [`LabRequest::MAX_LEN`] bytes.
    pub fn to_bytes(&self) -> Result<Bytes, LabWireError> {
        encoded(self)
    }
}

impl fmt::Display for LabChat {
    /// The datagram's text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "msg {}> {}", self.from, self.text)
    }
}
