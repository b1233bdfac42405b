//! Why a datagram is not a valid room-chat message.

use thiserror::Error;

use super::{Seq, Tag};

/// Why a datagram is not a valid room-chat message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WireError {
    /// The datagram is longer than 4,096 bytes
    /// ([`ServerBound::MAX_LEN`](super::ServerBound::MAX_LEN)).
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
