//! The §6 message: [`AppMessage`] (owned) and [`AppMessageRef`] (lent by
//! the borrowed decoder), and how the Python client prints binary content.

use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::{
    AppHeader, AppHeaderRef, BINARY_ENCODING, ByteOrder, JSON_CONTENT_TYPE, JSON_ENCODING,
    to_python_json,
};
use crate::EncodeError;

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
    pub(super) header: AppHeader,
    pub(super) content: Bytes,
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

/// A §6 message lent by [`AppCodec`](super::AppCodec)'s
/// [`BorrowDecoder`](crate::BorrowDecoder) path: its parsed
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
    pub(super) header: AppHeaderRef<'a>,
    pub(super) content: &'a [u8],
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
