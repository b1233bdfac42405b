//! Errors shared by every codec of the crate.
//!
//! Decoding and encoding have one error type each, [`DecodeError`] and
//! [`EncodeError`], so that a connection can host any protocol of the crate
//! and handle its errors in one place. Both are small, `Clone + Eq`, and
//! carry the facts a log line needs: which field, what value, what limit.
//!
//! # Recovery
//!
//! A stream decoder that returns an error has already dropped the offending
//! bytes. [`DecodeError::is_recoverable`] says whether the same decoder can go
//! on with the rest of the stream:
//!
//! | error | recoverable | what the decoder did |
//! |---|---|---|
//! | [`InvalidUtf8`](DecodeError::InvalidUtf8) | yes | dropped the bad bytes (text stream) or the bad line |
//! | [`LineTooLong`](DecodeError::LineTooLong) | yes | dropped the line, discards up to the next LF |
//! | [`FrameTooLarge`](DecodeError::FrameTooLarge) | yes | skips the frame's bytes without storing them (variable packet) |
//! | [`UnexpectedEof`](DecodeError::UnexpectedEof) | no | the stream ended inside a message |
//! | [`InvalidHeader`](DecodeError::InvalidHeader) | no | the application header could not be read, or declared content over the limit ([`HeaderError::ContentTooLarge`]) |
//! | [`InvalidContent`](DecodeError::InvalidContent) | no | the application content does not hold the request or reply it must |
//!
//! Every error of the application message (§6) is unrecoverable:
//! the server closes that connection. Its content limit is therefore
//! reported as [`HeaderError::ContentTooLarge`] inside
//! [`InvalidHeader`](DecodeError::InvalidHeader), not as the recoverable
//! [`FrameTooLarge`](DecodeError::FrameTooLarge) of the variable packet.
//!
//! After an unrecoverable error the connection should be closed; a server
//! closes that one connection and keeps serving the others.
//!
//! # Which codec reports what
//!
//! | error | reported by |
//! |---|---|
//! | [`DecodeError::InvalidUtf8`] | [`TextDatagramCodec`](crate::TextDatagramCodec), [`TextStreamCodec`](crate::TextStreamCodec), [`LineCodec`](crate::LineCodec), [`Text::from_utf8`](crate::Text::from_utf8), [`VariablePacket::text`](crate::VariablePacket::text) |
//! | [`DecodeError::LineTooLong`] | [`LineCodec`](crate::LineCodec) |
//! | [`DecodeError::FrameTooLarge`] | [`TextDatagramCodec`](crate::TextDatagramCodec) (datagram over its limit), [`VariablePacketCodec`](crate::VariablePacketCodec) (declared size over its limit) |
//! | [`DecodeError::UnexpectedEof`] | every stream decoder's `decode_eof` |
//! | [`DecodeError::InvalidHeader`] | the §6 codecs (`app::AppCodec`, `app::ServerCodec`, `app::ClientCodec`), including content over the limit |
//! | [`DecodeError::InvalidContent`] | `app::ServerCodec` and `app::ClientCodec`: the content is not a valid request or reply |
//! | [`EncodeError::TooLarge`] | [`TextDatagramCodec`](crate::TextDatagramCodec), [`LineCodec`](crate::LineCodec), [`VariablePacketCodec`](crate::VariablePacketCodec), the §6 codecs (content over the limit, header over 65,535 bytes): the message is over the codec's limit |
//! | [`EncodeError::NewlineInLine`] | [`LineCodec`](crate::LineCodec) |
//! | [`EncodeError::Unrepresentable`] | the §6 codecs |
//!
//! With the `tokio-util` feature, tokio's codec traits report all of these
//! wrapped in one error type together with I/O errors
//! (`sockwire::tokio_adapter::Error`).
//!
//! # Errors of other protocols
//!
//! A codec of a protocol outside the crate has its own error types
//! ([`Decoder::Error`](crate::Decoder::Error)). Two small pieces connect
//! them to the rest of the crate: [`Truncated`], which every decoder error
//! converts from (the stream ended inside a message), and the
//! [`Recoverable`] trait, which says whether decoding can go on after the
//! error (a [`Connection`](crate::conn::Connection) asks it).

use thiserror::Error;

/// What went wrong while decoding input from a peer.
///
/// Every variant is the peer's fault: the input broke the wire contract.
/// See the [module docs](self) for which errors a decoder recovers from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input is not valid UTF-8.
    ///
    /// `offset` is the position of the first bad byte: in the stream since
    /// the decoder was created (stream codecs), or in the datagram.
    #[error("invalid UTF-8 at byte offset {offset}")]
    InvalidUtf8 {
        /// Position of the first invalid byte.
        offset: u64,
    },

    /// A line grew past the configured maximum without a terminating LF.
    ///
    /// The line is dropped; the decoder discards input up to the next LF
    /// and goes on after it.
    #[error("line longer than the limit of {max} bytes")]
    LineTooLong {
        /// The configured maximum line length in bytes.
        max: usize,
    },

    /// A header declared a frame larger than the configured limit.
    ///
    /// Reported as soon as the header is complete, before any of the frame
    /// arrives, and without reserving memory for it.
    #[error("frame of {size} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge {
        /// The size the peer declared.
        size: u64,
        /// The configured limit.
        max: u64,
    },

    /// The stream ended in the middle of a message.
    #[error("stream ended inside a message ({pending} bytes of it were received)")]
    UnexpectedEof {
        /// How many bytes of the unfinished message had arrived.
        pending: u64,
    },

    /// An application-message header (§6) is malformed, or
    /// declares content over the limit.
    #[error("invalid application header: {0}")]
    InvalidHeader(#[from] HeaderError),

    /// The content of an application message (§6) is not the
    /// request or reply it must be.
    #[error("invalid application content: {0}")]
    InvalidContent(#[from] ContentError),
}

/// The stream ended inside a message: what the default
/// [`Decoder::decode_eof`](crate::Decoder::decode_eof) reports when bytes of
/// an unfinished message are left. Every decoder's error type converts from
/// it; [`DecodeError`] makes it [`DecodeError::UnexpectedEof`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("stream ended inside a message ({pending} bytes of it were received)")]
pub struct Truncated {
    /// How many bytes of the unfinished message had arrived.
    pub pending: u64,
}

impl From<Truncated> for DecodeError {
    fn from(t: Truncated) -> Self {
        DecodeError::UnexpectedEof { pending: t.pending }
    }
}

/// Whether a decoder can go on with the same stream after this error.
///
/// A [`Connection`](crate::conn::Connection) configured to recover from
/// errors keeps a connection open after a recoverable one; the error type
/// of any protocol implements it (the crate's own, [`DecodeError`], by the
/// table in the [module docs](self#recovery)).
///
/// ```
/// use sockwire::{DecodeError, Recoverable};
///
/// #[derive(Debug)]
/// enum NetstringError { BadLength, MissingComma }
///
/// impl Recoverable for NetstringError {
///     fn is_recoverable(&self) -> bool {
///         false // the framing is lost either way
///     }
/// }
/// assert!(!NetstringError::MissingComma.is_recoverable());
/// assert!(Recoverable::is_recoverable(&DecodeError::LineTooLong { max: 8 }));
/// ```
pub trait Recoverable {
    /// Whether the decoder that returned this error can go on decoding the
    /// same stream (it has dropped the bad bytes).
    fn is_recoverable(&self) -> bool;
}

impl Recoverable for DecodeError {
    fn is_recoverable(&self) -> bool {
        DecodeError::is_recoverable(self)
    }
}

impl DecodeError {
    /// Whether the decoder that returned this error can go on decoding the
    /// same stream. The same answer as its [`Recoverable`] implementation,
    /// callable without the trait in scope.
    ///
    /// ```
    /// use sockwire::DecodeError;
    /// assert!(DecodeError::LineTooLong { max: 8 }.is_recoverable());
    /// assert!(!DecodeError::UnexpectedEof { pending: 3 }.is_recoverable());
    /// ```
    #[must_use]
    pub fn is_recoverable(&self) -> bool {
        match self {
            DecodeError::InvalidUtf8 { .. }
            | DecodeError::LineTooLong { .. }
            | DecodeError::FrameTooLarge { .. } => true,
            DecodeError::UnexpectedEof { .. }
            | DecodeError::InvalidHeader(_)
            | DecodeError::InvalidContent(_) => false,
        }
    }
}

/// What is wrong with the JSON header of an application message (§6).
///
/// Kept free of any JSON library's types, so the error stays `Clone + Eq`
/// and exists whether or not the `json` feature is enabled.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The header bytes are not valid JSON (or not valid UTF-8).
    #[error("header is not valid JSON: {message}")]
    InvalidJson {
        /// The JSON parser's description of the problem.
        message: String,
    },
    /// The header is valid JSON but not an object.
    #[error("header is JSON but not an object")]
    NotAnObject,
    /// A required key is absent.
    #[error("header lacks the required key {key:?}")]
    MissingKey {
        /// The missing key.
        key: &'static str,
    },
    /// A required key has a value of the wrong type or range.
    #[error("header key {key:?} must be {expected}")]
    WrongType {
        /// The offending key.
        key: &'static str,
        /// What the value should have been.
        expected: &'static str,
    },
    /// `text/json` content declared with an encoding other than `utf-8`.
    #[error("text/json content must be utf-8 encoded, not {encoding:?}")]
    UnsupportedEncoding {
        /// The declared `content-encoding`.
        encoding: String,
    },
    /// The header length prefix is zero: there is no header at all.
    #[error("header length is zero")]
    Empty,
    /// The header bytes are not valid UTF-8.
    #[error("header is not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 {
        /// Position of the first invalid byte in the header.
        offset: usize,
    },
    /// `content-length` is over the decoder's limit.
    ///
    /// Reported as soon as the header is complete, before any content
    /// arrives, and without reserving memory for it.
    #[error("content-length {size} exceeds the limit of {max} bytes")]
    ContentTooLarge {
        /// The `content-length` the peer declared.
        size: u64,
        /// The configured limit.
        max: u64,
    },
}

/// What is wrong with the content of an application message
/// (§6): a `text/json` request must be an object with string
/// `action` and `value`, a `text/json` reply an object with a string
/// `result`.
///
/// Like [`HeaderError`], free of any JSON library's types.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ContentError {
    /// `text/json` content that is not valid UTF-8.
    #[error("content is not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 {
        /// Position of the first invalid byte in the content.
        offset: usize,
    },
    /// `text/json` content that is not valid JSON.
    #[error("content is not valid JSON: {message}")]
    InvalidJson {
        /// The JSON parser's description of the problem.
        message: String,
    },
    /// `text/json` content that is JSON but not an object.
    #[error("content is JSON but not an object")]
    NotAnObject,
    /// A required key is absent.
    #[error("content lacks the required key {key:?}")]
    MissingKey {
        /// The missing key.
        key: &'static str,
    },
    /// A required key has a value of the wrong type.
    #[error("content key {key:?} must be {expected}")]
    WrongType {
        /// The offending key.
        key: &'static str,
        /// What the value should have been.
        expected: &'static str,
    },
}

/// Why a message could not be encoded.
///
/// Every variant is the caller's fault: the message cannot be put on the
/// wire as the contract says. Nothing is written to the output buffer when
/// encoding fails.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The message is larger than the wire format or the configured limit
    /// allows.
    #[error("message of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The size of the message.
        size: u64,
        /// The limit it broke.
        max: u64,
    },
    /// A line to encode contains a line feed, which would end it early.
    #[error("line contains a line feed at byte offset {offset}")]
    NewlineInLine {
        /// Position of the LF inside the line.
        offset: usize,
    },
    /// The message is valid but cannot be represented by this codec
    /// (for example a JSON value that does not serialize).
    #[error("cannot encode message: {reason}")]
    Unrepresentable {
        /// Why not.
        reason: String,
    },
}
