//! The application message (PROTOCOLS.md §6): a JSON header and a content.
//!
//! | bytes | part |
//! |---:|---|
//! | 2 | `N`, the JSON header's length, `u16` big-endian (Python `struct '>H'`) |
//! | N | the JSON header, a UTF-8 object with `byteorder`, `content-type`, `content-encoding`, `content-length` |
//! | content-length | the content |
//!
//! Three layers, each usable alone:
//!
//! - [`AppCodec`] frames [`AppMessage`]s: a typed [`AppHeader`] (other keys
//!   kept in order) and the content as [`Bytes`] split off the input. It
//!   writes headers byte for byte as the Python peer's
//!   `json.dumps(obj, ensure_ascii=False)` does, and reads any valid JSON
//!   object. Its [`BorrowDecoder`] path lends an [`AppMessageRef`]
//!   instead: an [`AppHeaderRef`] whose strings are slices of the input
//!   (unless escaped) and the content as a slice, nothing allocated.
//!   Both paths, and the typed codecs below, read the JSON in place:
//!   keys and strings are borrowed while parsing, so the owned path
//!   allocates only what it keeps.
//! - [`AppRequest`] and [`AppResponse`] are what the content means;
//!   [`ServerCodec`] decodes requests and encodes replies, [`ClientCodec`]
//!   the other way.
//! - The server's answer policy, the search table, is built-in behaviour:
//!   [`builtin::SearchService`](crate::builtin::SearchService).
//!
//! Every decoding error of this protocol is unrecoverable
//! ([`DecodeError::is_recoverable`] is `false`): the server closes the
//! connection. After one, the codec drops all further input.
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::app::{AppRequest, AppResponse, ByteOrder, ClientCodec, ServerCodec};
//! use sockwire::builtin::SearchService;
//! use sockwire::{Decoder, Encoder};
//!
//! // The client side, writing what the Python client writes.
//! let mut client = ClientCodec::new().with_byteorder(ByteOrder::Little);
//! let mut wire = BytesMut::new();
//! client.encode(AppRequest::new("search", "morpheus"), &mut wire)?;
//! assert_eq!(
//!     &wire[..],
//!     &b"\x00g{\"byteorder\": \"little\", \"content-type\": \"text/json\", \
//!        \"content-encoding\": \"utf-8\", \"content-length\": 41}\
//!        {\"action\": \"search\", \"value\": \"morpheus\"}"[..]
//! );
//!
//! // The server side: decode, answer, encode.
//! let mut server = ServerCodec::new();
//! let mut service = SearchService::new();
//! let request = server.decode(&mut wire)?.unwrap();
//! let mut reply = BytesMut::new();
//! server.encode(service.respond(&request), &mut reply)?;
//!
//! assert_eq!(
//!     client.decode(&mut reply)?,
//!     Some(AppResponse::json("Follow the white rabbit. 🐰"))
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::{Borrow, Cow};
use std::convert::Infallible;
use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use serde::Serialize;
use serde_json::Value;

use crate::{BorrowDecoder, DecodeError, Decoder, EncodeError, Encoder, HeaderError};

mod pyjson;
mod typed;

pub use pyjson::{PythonFormatter, to_python_json};
pub use typed::{AppRequest, AppResponse, ClientCodec, ServerCodec};

const JSON_CONTENT_TYPE: &str = AppHeader::JSON_CONTENT_TYPE;
const JSON_ENCODING: &str = AppHeader::JSON_ENCODING;
const BINARY_ENCODING: &str = AppHeader::BINARY_ENCODING;
const REQUIRED_KEYS: [&str; 4] = AppHeader::REQUIRED_KEYS;
const PREFIX_LEN: usize = AppCodec::PREFIX_LEN;
const MAX_HEADER_LEN: usize = AppCodec::MAX_HEADER_LEN;

/// The sender's native byte order, the header's `byteorder` (Python's
/// `sys.byteorder`). Informational only: nothing in the message depends on
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `"little"`.
    Little,
    /// `"big"`.
    Big,
}

impl ByteOrder {
    /// The byte order of the machine this runs on, as Python's
    /// `sys.byteorder` would say.
    #[must_use]
    pub const fn native() -> Self {
        if cfg!(target_endian = "big") {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        }
    }

    /// `"little"` or `"big"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ByteOrder::Little => "little",
            ByteOrder::Big => "big",
        }
    }

    /// Reads `"little"` or `"big"`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "little" => Some(ByteOrder::Little),
            "big" => Some(ByteOrder::Big),
            _ => None,
        }
    }
}

impl fmt::Display for ByteOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON header of an application message, typed.
///
/// Keys other than the four required ones are kept in [`extra`](Self::extra)
/// in the order they came, and written back after the required ones. A key
/// given twice keeps its first position and its last value, as Python's
/// `json.loads` does. (Objects nested inside an extra value are
/// `serde_json::Value`s, whose keys are sorted.)
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AppHeader {
    /// `byteorder`.
    pub byteorder: ByteOrder,
    /// `content-type`: `"text/json"`, or any other string for binary content.
    pub content_type: String,
    /// `content-encoding`: `"utf-8"` for `text/json`, `"binary"` otherwise.
    pub content_encoding: String,
    /// `content-length`: bytes of content that follow the header.
    pub content_length: u64,
    /// Any other keys, in order.
    pub extra: Vec<(String, Value)>,
}

impl AppHeader {
    /// The `content-type` of JSON content: `"text/json"`.
    pub const JSON_CONTENT_TYPE: &str = "text/json";
    /// The only `content-encoding` allowed for `text/json` content:
    /// `"utf-8"`.
    pub const JSON_ENCODING: &str = "utf-8";
    /// The `content-encoding` the peers declare for binary content:
    /// `"binary"`.
    pub const BINARY_ENCODING: &str = "binary";
    /// The keys every header must have, in the order the Python peer
    /// writes them.
    pub const REQUIRED_KEYS: [&str; 4] = [
        "byteorder",
        "content-type",
        "content-encoding",
        "content-length",
    ];

    /// A header with the native byte order and no extra keys.
    #[must_use]
    pub fn new(
        content_type: impl Into<String>,
        content_encoding: impl Into<String>,
        content_length: u64,
    ) -> Self {
        AppHeader {
            byteorder: ByteOrder::native(),
            content_type: content_type.into(),
            content_encoding: content_encoding.into(),
            content_length,
            extra: Vec::new(),
        }
    }

    /// Whether the content is `text/json`.
    #[must_use]
    pub fn is_json(&self) -> bool {
        self.content_type == JSON_CONTENT_TYPE
    }

    /// The value of an extra key.
    #[must_use]
    pub fn get_extra(&self, key: &str) -> Option<&Value> {
        self.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Reads a header from its JSON bytes: any valid JSON object, keys in
    /// any order, any spacing.
    ///
    /// # Errors
    ///
    /// A [`HeaderError`] naming what is wrong: not UTF-8, not JSON, not an
    /// object, a missing key or a value of the wrong type (checked in the
    /// order of [`REQUIRED_KEYS`](Self::REQUIRED_KEYS)), or `text/json` with an encoding other
    /// than `utf-8`. The content limit is the codec's business.
    ///
    /// ```
    /// use sockwire::HeaderError;
    /// use sockwire::app::{AppHeader, ByteOrder};
    ///
    /// let header = AppHeader::from_json(
    ///     br#"{"content-length":5,"content-type":"text/json","x":[1],
    ///          "content-encoding":"utf-8","byteorder":"big"}"#,
    /// )?;
    /// assert_eq!(header.byteorder, ByteOrder::Big);
    /// assert_eq!(header.content_length, 5);
    /// assert_eq!(header.get_extra("x"), Some(&serde_json::json!([1])));
    ///
    /// assert_eq!(
    ///     AppHeader::from_json(br#"{"byteorder": "little"}"#),
    ///     Err(HeaderError::MissingKey { key: "content-type" })
    /// );
    /// # Ok::<(), HeaderError>(())
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Self, HeaderError> {
        AppHeaderRef::from_json(bytes).map(AppHeaderRef::into_owned)
    }

    /// The header's JSON bytes, exactly as the Python peer writes them:
    /// required keys first, in [`REQUIRED_KEYS`](Self::REQUIRED_KEYS)
    /// order, then the extra keys.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unrepresentable`] if an extra key repeats another key
    /// (the peer would read only one of them).
    ///
    /// ```
    /// use sockwire::app::{AppHeader, ByteOrder};
    /// let mut header = AppHeader::new("binary/x", "binary", 3);
    /// header.byteorder = ByteOrder::Little;
    /// header.extra.push(("note".into(), "ü".into()));
    /// assert_eq!(
    ///     header.to_json()?,
    ///     r#"{"byteorder": "little", "content-type": "binary/x", "content-encoding": "binary", "content-length": 3, "note": "ü"}"#
    ///         .as_bytes()
    /// );
    /// # Ok::<(), sockwire::EncodeError>(())
    /// ```
    pub fn to_json(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(96);
        self.write_json(&mut out)?;
        Ok(out)
    }

    fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        for (i, (key, _)) in self.extra.iter().enumerate() {
            let earlier = self.extra.iter().take(i).any(|(k, _)| k == key);
            if earlier || REQUIRED_KEYS.contains(&key.as_str()) {
                return Err(EncodeError::Unrepresentable {
                    reason: format!("header key {key:?} given twice"),
                });
            }
        }
        let [k_order, k_type, k_encoding, k_length] = REQUIRED_KEYS;
        out.push(b'{');
        pyjson::write_str(out, k_order);
        out.extend_from_slice(b": ");
        pyjson::write_str(out, self.byteorder.as_str());
        out.extend_from_slice(b", ");
        pyjson::write_str(out, k_type);
        out.extend_from_slice(b": ");
        pyjson::write_str(out, &self.content_type);
        out.extend_from_slice(b", ");
        pyjson::write_str(out, k_encoding);
        out.extend_from_slice(b": ");
        pyjson::write_str(out, &self.content_encoding);
        out.extend_from_slice(b", ");
        pyjson::write_str(out, k_length);
        out.extend_from_slice(b": ");
        out.extend_from_slice(self.content_length.to_string().as_bytes());
        for (key, value) in &self.extra {
            out.extend_from_slice(b", ");
            pyjson::write_str(out, key);
            out.extend_from_slice(b": ");
            pyjson::write_python_json(out, value)?;
        }
        out.push(b'}');
        Ok(())
    }
}

/// An [`AppHeader`] that borrows the JSON it was read from: each string
/// (`content-type`, `content-encoding`, extra keys) is a slice of the input
/// unless it holds an escape, so reading a header allocates nothing in the
/// common case. What [`AppCodec`]'s borrowed path lends
/// ([`AppMessageRef::header`]); the owned path reads the same way and then
/// copies the two strings into an [`AppHeader`].
///
/// Extra values are [`Value`]s (owned): the Python peers send none.
///
/// ```
/// use std::borrow::Cow;
/// use sockwire::app::{AppHeaderRef, ByteOrder};
///
/// let json = br#"{"byteorder": "big", "content-type": "text/json", "content-encoding": "utf-8", "content-length": 12}"#;
/// let header = AppHeaderRef::from_json(json)?;
/// assert!(matches!(header.content_type, Cow::Borrowed("text/json")));
/// assert_eq!(header.byteorder, ByteOrder::Big);
/// assert_eq!(header.content_length, 12);
///
/// // An escaped string cannot be lent: it is unescaped into a `String`.
/// let json = br#"{"byteorder": "big", "content-type": "text\/json", "content-encoding": "utf-8", "content-length": 12}"#;
/// assert!(matches!(AppHeaderRef::from_json(json)?.content_type, Cow::Owned(_)));
/// # Ok::<(), sockwire::HeaderError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AppHeaderRef<'a> {
    /// `byteorder`.
    pub byteorder: ByteOrder,
    /// `content-type`.
    pub content_type: Cow<'a, str>,
    /// `content-encoding`.
    pub content_encoding: Cow<'a, str>,
    /// `content-length`.
    pub content_length: u64,
    /// Any other keys, in order (the rule for repeated keys is
    /// [`AppHeader`]'s).
    pub extra: Vec<(Cow<'a, str>, Value)>,
}

impl<'a> AppHeaderRef<'a> {
    /// A header with the native byte order and no extra keys, as
    /// [`AppHeader::new`].
    ///
    /// ```
    /// use sockwire::app::{AppHeader, AppHeaderRef};
    /// let header = AppHeaderRef::new("text/json", "utf-8", 2);
    /// assert_eq!(header, AppHeader::new("text/json", "utf-8", 2));
    /// ```
    #[must_use]
    pub fn new(
        content_type: impl Into<Cow<'a, str>>,
        content_encoding: impl Into<Cow<'a, str>>,
        content_length: u64,
    ) -> Self {
        AppHeaderRef {
            byteorder: ByteOrder::native(),
            content_type: content_type.into(),
            content_encoding: content_encoding.into(),
            content_length,
            extra: Vec::new(),
        }
    }

    /// Reads a header from its JSON bytes, borrowing them, with exactly
    /// the checks and errors of [`AppHeader::from_json`].
    ///
    /// # Errors
    ///
    /// A [`HeaderError`] naming what is wrong (see
    /// [`AppHeader::from_json`]).
    pub fn from_json(bytes: &'a [u8]) -> Result<Self, HeaderError> {
        let object = pyjson::parse_object(bytes, &REQUIRED_KEYS, true).map_err(|e| match e {
            pyjson::ObjectError::InvalidUtf8 { offset } => HeaderError::InvalidUtf8 { offset },
            pyjson::ObjectError::InvalidJson(message) => HeaderError::InvalidJson { message },
            pyjson::ObjectError::NotAnObject => HeaderError::NotAnObject,
        })?;
        let [order, kind, encoding, length] = object.fields;
        let [k_order, k_type, k_encoding, k_length] = REQUIRED_KEYS;
        // Checked key by key in `REQUIRED_KEYS` order: missing, then type.
        let byteorder = match required(order, k_order)? {
            pyjson::Field::Str(s) => ByteOrder::from_name(&s),
            _ => None,
        }
        .ok_or(HeaderError::WrongType {
            key: k_order,
            expected: r#""little" or "big""#,
        })?;
        let content_type = required_str(kind, k_type)?;
        let content_encoding = required_str(encoding, k_encoding)?;
        let pyjson::Field::U64(content_length) = required(length, k_length)? else {
            return Err(HeaderError::WrongType {
                key: k_length,
                expected: "a non-negative integer",
            });
        };
        if content_type == JSON_CONTENT_TYPE && content_encoding != JSON_ENCODING {
            return Err(HeaderError::UnsupportedEncoding {
                encoding: content_encoding.into_owned(),
            });
        }
        Ok(AppHeaderRef {
            byteorder,
            content_type,
            content_encoding,
            content_length,
            extra: object.extra,
        })
    }

    /// Whether the content is `text/json`.
    #[must_use]
    pub fn is_json(&self) -> bool {
        self.content_type == JSON_CONTENT_TYPE
    }

    /// The value of an extra key.
    #[must_use]
    pub fn get_extra(&self, key: &str) -> Option<&Value> {
        self.extra.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The owned header, the borrowed strings copied.
    #[must_use]
    pub fn into_owned(self) -> AppHeader {
        AppHeader {
            byteorder: self.byteorder,
            content_type: self.content_type.into_owned(),
            content_encoding: self.content_encoding.into_owned(),
            content_length: self.content_length,
            extra: self
                .extra
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v))
                .collect(),
        }
    }

    /// An owned copy of the header.
    #[must_use]
    pub fn to_owned_header(&self) -> AppHeader {
        self.clone().into_owned()
    }
}

impl From<AppHeaderRef<'_>> for AppHeader {
    fn from(header: AppHeaderRef<'_>) -> Self {
        header.into_owned()
    }
}

impl PartialEq<AppHeader> for AppHeaderRef<'_> {
    fn eq(&self, other: &AppHeader) -> bool {
        self.byteorder == other.byteorder
            && self.content_type == other.content_type.as_str()
            && self.content_encoding == other.content_encoding.as_str()
            && self.content_length == other.content_length
            && self.extra.len() == other.extra.len()
            && self
                .extra
                .iter()
                .zip(&other.extra)
                .all(|((k, v), (ok, ov))| k == ok && v == ov)
    }
}

impl PartialEq<AppHeaderRef<'_>> for AppHeader {
    fn eq(&self, other: &AppHeaderRef<'_>) -> bool {
        other == self
    }
}

/// The value of a required key, or [`HeaderError::MissingKey`].
fn required<'a>(
    field: Option<pyjson::Field<'a>>,
    key: &'static str,
) -> Result<pyjson::Field<'a>, HeaderError> {
    field.ok_or(HeaderError::MissingKey { key })
}

/// The string value of a required key.
fn required_str<'a>(
    field: Option<pyjson::Field<'a>>,
    key: &'static str,
) -> Result<Cow<'a, str>, HeaderError> {
    match required(field, key)? {
        pyjson::Field::Str(s) => Ok(s),
        _ => Err(HeaderError::WrongType {
            key,
            expected: "a string",
        }),
    }
}

/// One application message: a header and its content.
///
/// The header's `content-length` always equals the content's length: the
/// constructors set it.
///
/// ```
/// use sockwire::app::{AppMessage, AppResponse};
/// let msg = AppMessage::binary(AppResponse::BINARY_CONTENT_TYPE, &b"\x00\x01"[..]);
/// assert_eq!(msg.header().content_encoding, "binary");
/// assert_eq!(msg.header().content_length, 2);
/// assert!(!msg.is_json());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AppMessage {
    header: AppHeader,
    content: Bytes,
}

impl AppMessage {
    /// A message with the native byte order.
    #[must_use]
    pub fn new(
        content_type: impl Into<String>,
        content_encoding: impl Into<String>,
        content: impl Into<Bytes>,
    ) -> Self {
        Self::from_parts(AppHeader::new(content_type, content_encoding, 0), content)
    }

    /// A binary message: encoding `"binary"`.
    #[must_use]
    pub fn binary(content_type: impl Into<String>, content: impl Into<Bytes>) -> Self {
        Self::new(content_type, BINARY_ENCODING, content)
    }

    /// A `text/json` message whose content is `value`, written as Python's
    /// `json.dumps(value, ensure_ascii=False)` does.
    ///
    /// # Errors
    ///
    /// [`EncodeError::Unrepresentable`] if `value` does not serialize.
    ///
    /// ```
    /// use sockwire::app::AppMessage;
    /// let msg = AppMessage::json(&serde_json::json!({"result": "ok"}))?;
    /// assert_eq!(&msg.content()[..], br#"{"result": "ok"}"#);
    /// # Ok::<(), sockwire::EncodeError>(())
    /// ```
    pub fn json<T: ?Sized + Serialize>(value: &T) -> Result<Self, EncodeError> {
        Ok(Self::new(
            JSON_CONTENT_TYPE,
            JSON_ENCODING,
            to_python_json(value)?,
        ))
    }

    /// A message from a header and a content; the header's
    /// `content-length` is set to the content's length.
    #[must_use]
    pub fn from_parts(mut header: AppHeader, content: impl Into<Bytes>) -> Self {
        let content = content.into();
        header.content_length = content.len() as u64;
        AppMessage { header, content }
    }

    /// The same message with another `byteorder`.
    #[must_use]
    pub fn with_byteorder(mut self, byteorder: ByteOrder) -> Self {
        self.header.byteorder = byteorder;
        self
    }

    /// The same message with one more header key, written after the others.
    /// A key already there gets the new value in its place.
    #[must_use]
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        let key = key.into();
        let value = value.into();
        match self.header.extra.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.header.extra.push((key, value)),
        }
        self
    }

    /// The header.
    #[must_use]
    pub const fn header(&self) -> &AppHeader {
        &self.header
    }

    /// The content.
    #[must_use]
    pub const fn content(&self) -> &Bytes {
        &self.content
    }

    /// Whether the content is `text/json`.
    #[must_use]
    pub fn is_json(&self) -> bool {
        self.header.is_json()
    }

    /// The header and the content.
    #[must_use]
    pub fn into_parts(self) -> (AppHeader, Bytes) {
        (self.header, self.content)
    }
}

/// Python's `repr` of a bytes object: `b'...'`, printable ASCII as is,
/// `\t \n \r \\` and the quote escaped, other bytes as `\xhh`. The Python
/// client prints binary replies this way.
///
/// ```
/// use sockwire::app::python_bytes_repr;
/// assert_eq!(python_bytes_repr(b"ab\x00\xff\n'"), r#"b"ab\x00\xff\n'""#);
/// assert_eq!(python_bytes_repr(b"it's \"x\""), r#"b'it\'s "x"'"#);
/// ```
#[must_use]
pub fn python_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(quote);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..0x7f => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a message: waiting for the prefix and the whole
    /// header.
    Head,
    /// The prefix and a header of `header_len` bytes, already checked, are
    /// at the front of the input; waiting for `len` bytes of content (the
    /// `content-length`, within the limit).
    Content { header_len: usize, len: usize },
    /// An error was reported; all further input is dropped.
    Failed,
}

/// A whole message at the front of the input, as [`AppCodec::step`] finds
/// it: the header read from the input, the content, and where the header
/// ends (prefix included).
struct Ready<'s> {
    header: AppHeaderRef<'s>,
    content: &'s [u8],
    header_end: usize,
}

/// Why [`AppCodec::step`] found no whole message. Holds no borrow of the
/// input, so the caller can act on the input at once.
enum Wait {
    /// `total` bytes are wanted at the front of the input.
    Need(usize),
    /// The message is bad: the codec has failed; the input is dropped.
    Bad(DecodeError),
    /// The codec failed earlier: the input is dropped.
    Dropping,
}

impl Wait {
    /// Does what `self` says to `src`: reserve room, or drop it all.
    fn apply<T>(self, src: &mut BytesMut) -> Result<Option<T>, DecodeError> {
        match self {
            Wait::Need(total) => {
                // Bounded steps: the length is the peer's claim, not data.
                crate::codec::reserve_towards(src, total);
                Ok(None)
            }
            Wait::Bad(err) => {
                src.clear();
                Err(err)
            }
            Wait::Dropping => {
                src.clear();
                Ok(None)
            }
        }
    }
}

/// Stream codec for [`AppMessage`]s, with a content limit.
///
/// Decoding checks the header as [`AppHeader::from_json`] does and the
/// declared `content-length` against the limit before reserving any memory
/// for it; the content is split off the input without copying. Every error
/// is unrecoverable: the codec then drops all further input.
///
/// Encoding writes the header as the Python peer does and refuses content
/// over the limit, or a header over 65,535 bytes.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::app::{AppCodec, AppMessage};
/// use sockwire::{DecodeError, Decoder, HeaderError};
///
/// let mut codec = AppCodec::with_max_len(4);
/// let header = br#"{"content-length": 5, "byteorder": "big", "content-type": "a", "content-encoding": "b"}"#;
/// let mut buf = BytesMut::new();
/// buf.extend_from_slice(&(header.len() as u16).to_be_bytes());
/// buf.extend_from_slice(header);
/// let err = codec.decode(&mut buf).unwrap_err();
/// assert_eq!(err, DecodeError::InvalidHeader(HeaderError::ContentTooLarge { size: 5, max: 4 }));
/// assert!(!err.is_recoverable());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AppCodec {
    max_len: usize,
    state: State,
}

impl AppCodec {
    /// The default limit: content of at most 1 MiB.
    pub const DEFAULT_MAX_LEN: usize = 1024 * 1024;
    /// Bytes of the header length prefix: 2.
    pub const PREFIX_LEN: usize = 2;
    /// The largest header the 2-byte prefix can announce: 65,535 bytes.
    pub const MAX_HEADER_LEN: usize = u16::MAX as usize;

    /// A codec with the default limit of
    /// [`DEFAULT_MAX_LEN`](Self::DEFAULT_MAX_LEN) bytes of content.
    #[must_use]
    pub const fn new() -> Self {
        Self::with_max_len(Self::DEFAULT_MAX_LEN)
    }

    /// A codec that accepts content of at most `max_len` bytes (the
    /// header's `content-length`).
    ///
    /// ```
    /// use sockwire::app::AppCodec;
    /// assert_eq!(AppCodec::with_max_len(4096).max_len(), 4096);
    /// assert_eq!(AppCodec::new().max_len(), AppCodec::DEFAULT_MAX_LEN);
    /// ```
    #[must_use]
    pub const fn with_max_len(max_len: usize) -> Self {
        AppCodec {
            max_len,
            state: State::Head,
        }
    }

    /// The largest content accepted, in bytes.
    #[must_use]
    pub const fn max_len(&self) -> usize {
        self.max_len
    }

    /// Whether the codec has reported an error and now drops its input.
    #[must_use]
    pub fn has_failed(&self) -> bool {
        self.state == State::Failed
    }

    /// Puts the codec in the failed state, dropping `src`, and returns
    /// `err`. Also used by the typed codecs when the content is bad.
    pub(crate) fn fail<E: Into<DecodeError>>(&mut self, src: &mut BytesMut, err: E) -> DecodeError {
        self.state = State::Failed;
        src.clear();
        err.into()
    }
}

impl Default for AppCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl AppCodec {
    /// Looks at the front of `src` for a whole message: prefix, header and
    /// content. The one state machine of both decode paths, which consume
    /// nothing until a whole message is there: the prefix and header stay
    /// in the input while the content arrives, so the header can be lent
    /// from it with the content.
    ///
    /// The header is read once it is whole (so a bad header or a
    /// `content-length` over the limit is reported before any content
    /// arrives), and read again, borrowing the input, when its content is
    /// whole. A message that arrives in one read is read once.
    fn step<'s>(&mut self, src: &'s [u8]) -> Result<Ready<'s>, Wait> {
        let (header, header_end, len) = match self.state {
            State::Failed => return Err(Wait::Dropping),
            State::Head => {
                let Some(prefix) = src.first_chunk::<PREFIX_LEN>() else {
                    return Err(Wait::Need(PREFIX_LEN));
                };
                let header_len = usize::from(u16::from_be_bytes(*prefix));
                if header_len == 0 {
                    return Err(self.bad(HeaderError::Empty));
                }
                let header_end = PREFIX_LEN + header_len;
                let Some(json) = src.get(PREFIX_LEN..header_end) else {
                    return Err(Wait::Need(header_end));
                };
                let header = AppHeaderRef::from_json(json).map_err(|e| self.bad(e))?;
                let Some(len) = usize::try_from(header.content_length)
                    .ok()
                    .filter(|&n| n <= self.max_len)
                else {
                    let err = HeaderError::ContentTooLarge {
                        size: header.content_length,
                        max: self.max_len as u64,
                    };
                    return Err(self.bad(err));
                };
                (header, header_end, len)
            }
            State::Content { header_len, len } => {
                let header_end = PREFIX_LEN + header_len;
                let total = header_end.saturating_add(len);
                if src.len() < total {
                    return Err(Wait::Need(total));
                }
                // The bytes read and checked when they arrived: the same
                // header again.
                let Some(json) = src.get(PREFIX_LEN..header_end) else {
                    return Err(Wait::Need(total));
                };
                let header = AppHeaderRef::from_json(json).map_err(|e| self.bad(e))?;
                (header, header_end, len)
            }
        };
        let total = header_end.saturating_add(len);
        match src.get(header_end..total) {
            Some(content) => {
                self.state = State::Head;
                Ok(Ready {
                    header,
                    content,
                    header_end,
                })
            }
            None => {
                self.state = State::Content {
                    header_len: header_end - PREFIX_LEN,
                    len,
                };
                Err(Wait::Need(total))
            }
        }
    }

    /// Fails the codec with `err`.
    fn bad(&mut self, err: impl Into<DecodeError>) -> Wait {
        self.state = State::Failed;
        Wait::Bad(err.into())
    }

    /// At the end of the stream, after [`step`](Self::step) found no whole
    /// message: drops what is left and reports it, once; the codec starts
    /// afresh.
    fn end_of_stream(&mut self, src: &mut BytesMut) -> Result<(), DecodeError> {
        if self.state == State::Failed {
            return Ok(());
        }
        let pending = src.len();
        self.state = State::Head;
        src.clear();
        if pending == 0 {
            Ok(())
        } else {
            Err(DecodeError::UnexpectedEof {
                pending: pending as u64,
            })
        }
    }

    /// The one driver of every decode path: lends the next whole message
    /// to `lend`, then consumes it. If `lend` answers `Err(t)` instead, the
    /// content is split off the input (no copy) and handed to `take` with
    /// `t`: the owned path takes every content this way, the typed codecs
    /// only binary ones.
    pub(crate) fn decode_lent<R, T>(
        &mut self,
        src: &mut BytesMut,
        lend: impl FnOnce(AppMessageRef<'_>) -> Result<R, T>,
        take: impl FnOnce(T, Bytes) -> R,
    ) -> Result<Option<R>, DecodeError> {
        match self.step(src) {
            Ok(Ready {
                header,
                content,
                header_end,
            }) => {
                let len = content.len();
                match lend(AppMessageRef::new(header, content)) {
                    Ok(answer) => {
                        src.advance(header_end + len);
                        Ok(Some(answer))
                    }
                    Err(t) => {
                        src.advance(header_end);
                        let content = src.split_to(len).freeze();
                        Ok(Some(take(t, content)))
                    }
                }
            }
            Err(wait) => wait.apply(src),
        }
    }
}

impl Decoder for AppCodec {
    type Item = AppMessage;
    type Error = DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<AppMessage>, DecodeError> {
        self.decode_lent(
            src,
            |message| Err(message.header.into_owned()),
            |header, content| AppMessage { header, content },
        )
    }

    /// Like [`decode`](Decoder::decode); a stream that ends inside a message
    /// gives [`DecodeError::UnexpectedEof`] once (counting the prefix and
    /// header bytes already read), and the codec starts afresh.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<AppMessage>, DecodeError> {
        if let Some(message) = self.decode(src)? {
            return Ok(Some(message));
        }
        self.end_of_stream(src).map(|()| None)
    }
}

/// A §6 message lent by [`AppCodec`]'s [`BorrowDecoder`] path: its parsed
/// header and its content, borrowing the input.
///
/// ```
/// use sockwire::app::{AppHeaderRef, AppMessageRef};
/// let header = AppHeaderRef::new("binary/custom-client-binary-type", "binary", 2);
/// let view = AppMessageRef::new(header, b"\x00\x01");
/// assert_eq!(view.content(), b"\x00\x01");
/// assert!(!view.is_json());
/// assert_eq!(view.to_message().content().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct AppMessageRef<'a> {
    header: AppHeaderRef<'a>,
    content: &'a [u8],
}

impl<'a> AppMessageRef<'a> {
    /// A view of a header and a content (as the codec lends them; the
    /// header's `content-length` is not checked against the content).
    #[must_use]
    pub const fn new(header: AppHeaderRef<'a>, content: &'a [u8]) -> Self {
        AppMessageRef { header, content }
    }

    /// The header, its strings borrowing the input.
    #[must_use]
    pub const fn header(&self) -> &AppHeaderRef<'a> {
        &self.header
    }

    /// The content, borrowing the input.
    #[must_use]
    pub const fn content(&self) -> &'a [u8] {
        self.content
    }

    /// Whether the content is `text/json`.
    #[must_use]
    pub fn is_json(&self) -> bool {
        self.header.is_json()
    }

    /// The header and the content.
    #[must_use]
    pub fn into_parts(self) -> (AppHeaderRef<'a>, &'a [u8]) {
        (self.header, self.content)
    }

    /// An owned message (the header's strings and the content copied).
    #[must_use]
    pub fn to_message(&self) -> AppMessage {
        AppMessage {
            header: self.header.to_owned_header(),
            content: Bytes::copy_from_slice(self.content),
        }
    }
}

/// Each message as an [`AppMessageRef`]: the header read borrowing the
/// input (its strings are slices of it unless escaped), the content a
/// slice of the input (no split, no refcount, no allocation for a header
/// without extra keys).
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::app::{AppCodec, AppMessage};
/// use sockwire::{BorrowDecoder, Encoder};
///
/// let mut buf = BytesMut::new();
/// AppCodec::new().encode(AppMessage::binary("binary/x", &b"hi"[..]), &mut buf)?;
/// let mut codec = AppCodec::new();
/// let got = codec.decode_with(&mut buf, |m| {
///     assert_eq!(m.header().content_type, "binary/x");
///     (m.header().content_length, m.content().to_vec())
/// })?;
/// assert_eq!(got, Some((2, b"hi".to_vec())));
/// assert!(buf.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl BorrowDecoder for AppCodec {
    type View<'a> = AppMessageRef<'a>;

    fn decode_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(AppMessageRef<'_>) -> R,
    ) -> Result<Option<R>, DecodeError> {
        self.decode_lent(
            src,
            |message| Ok(f(message)),
            |never: Infallible, _| match never {},
        )
    }

    fn decode_eof_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(AppMessageRef<'_>) -> R,
    ) -> Result<Option<R>, DecodeError> {
        if let Some(answer) = self.decode_with(src, f)? {
            return Ok(Some(answer));
        }
        self.end_of_stream(src).map(|()| None)
    }
}

/// Writes the prefix, the header (Python's formatting) and the content;
/// takes an [`AppMessage`] by value or by reference (anything that is
/// `Borrow<AppMessage>`).
///
/// # Errors
///
/// [`EncodeError::TooLarge`] for content over the codec's limit or a header
/// over 65,535 bytes; [`EncodeError::Unrepresentable`] for a repeated
/// header key, or `text/json` declared with an encoding other than `utf-8`
/// (nothing the decoder would refuse is written). `dst` is unchanged then.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::app::{AppCodec, AppMessage};
/// use sockwire::{EncodeError, Encoder};
/// let message = AppMessage::binary("binary/x", &b"abc"[..]);
/// let mut buf = BytesMut::new();
/// AppCodec::new().encode(&message, &mut buf)?;
/// AppCodec::new().encode(message.clone(), &mut buf)?;
/// assert_eq!(
///     AppCodec::with_max_len(2).encode(message, &mut buf),
///     Err(EncodeError::TooLarge { size: 3, max: 2 })
/// );
/// # Ok::<(), EncodeError>(())
/// ```
impl<M: Borrow<AppMessage>> Encoder<M> for AppCodec {
    type Error = EncodeError;

    fn encode(&mut self, item: M, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let item = item.borrow();
        let len = item.content.len();
        crate::codec::check_len(len, self.max_len)?;
        if item.header.is_json() && item.header.content_encoding != JSON_ENCODING {
            return Err(EncodeError::Unrepresentable {
                reason: format!(
                    "text/json content must be utf-8 encoded, not {:?}",
                    item.header.content_encoding
                ),
            });
        }
        // An `AppMessage`'s content-length is its content's (see `from_parts`).
        let mut header = Vec::with_capacity(96);
        item.header.write_json(&mut header)?;
        let Ok(header_len) = u16::try_from(header.len()) else {
            return Err(crate::codec::too_large(header.len(), MAX_HEADER_LEN));
        };
        dst.reserve(PREFIX_LEN + header.len() + len);
        dst.put_u16(header_len);
        dst.put_slice(&header);
        dst.put_slice(&item.content);
        Ok(())
    }
}
