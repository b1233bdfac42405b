//! The §6 header: [`ByteOrder`], [`AppHeader`] and its borrowing twin
//! [`AppHeaderRef`], read from any JSON object and written as the Python
//! peer writes it.

use std::borrow::Cow;
use std::fmt;

use serde_json::Value;

use super::{JSON_CONTENT_TYPE, JSON_ENCODING, REQUIRED_KEYS, pyjson};
use crate::{EncodeError, HeaderError};

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
        is_json(&self.content_type)
    }

    /// The value of an extra key.
    #[must_use]
    pub fn get_extra(&self, key: &str) -> Option<&Value> {
        extra_value(&self.extra, key)
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

    pub(super) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
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
/// common case. What [`AppCodec`](super::AppCodec)'s borrowed path lends
/// ([`AppMessageRef::header`](super::AppMessageRef::header)); the owned path reads the same way and then
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
        is_json(&self.content_type)
    }

    /// The value of an extra key.
    #[must_use]
    pub fn get_extra(&self, key: &str) -> Option<&Value> {
        extra_value(&self.extra, key)
    }

    /// The owned header, the borrowed strings copied.
    #[must_use]
    #[inline]
    pub fn into_owned(self) -> AppHeader {
        AppHeader {
            byteorder: self.byteorder,
            content_type: self.content_type.into_owned(),
            content_encoding: self.content_encoding.into_owned(),
            content_length: self.content_length,
            // The peers send no extra keys: no iterator to build and drop.
            extra: if self.extra.is_empty() {
                Vec::new()
            } else {
                self.extra
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v))
                    .collect()
            },
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

/// Whether a `content-type` is JSON's: the one test of both header forms.
fn is_json(content_type: &str) -> bool {
    content_type == JSON_CONTENT_TYPE
}

/// The value of `key` among the extra keys, for both header forms.
fn extra_value<'v, K: AsRef<str>>(extra: &'v [(K, Value)], key: &str) -> Option<&'v Value> {
    extra
        .iter()
        .find(|(k, _)| k.as_ref() == key)
        .map(|(_, v)| v)
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
