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

use bytes::{Bytes, BytesMut};

use crate::EncodeError;
use crate::room::words::{self, cut};

mod codec;
mod error;
mod fields;
mod message;
mod name;

pub use codec::{ClientBoundCodec, ServerBoundCodec};
pub use error::WireError;
pub(crate) use fields::bad_name_op;
use fields::{Fields, unknown};
pub use message::{ErrorCode, Notification, PrivateMessage, Reply, Request};
pub use name::{BadName, Name};

/// Largest room-chat datagram, in bytes, in either direction.
const MAX_DATAGRAM: usize = 4096;

/// The request tag: chosen by the requester (a client asking the server,
/// or sending a private message to another client), copied into the
/// reply.
pub type Tag = u32;

/// A notification's sequence number, the `<seq>` of its tag `n<seq>`:
/// counted per registered client, from 1 at its `hi`.
pub type Seq = u32;

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
    words::check_size(datagram.len(), MAX_DATAGRAM)?;
    let field = first_field(datagram);
    let head = match field.split_first() {
        Some((b'n', seq)) => parse_tag(seq).map(Head::Seq),
        _ => parse_tag(field).map(Head::Tag),
    };
    let head = head.ok_or_else(|| WireError::BadTag {
        field: cut(&String::from_utf8_lossy(field), 16),
    })?;
    let text = words::utf8(datagram)?;
    match text.split_once(' ') {
        Some((_, body)) => Ok((head, body)),
        None => Err(WireError::MissingOp),
    }
}
