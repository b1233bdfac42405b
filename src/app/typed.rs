//! What the content of an application message means: requests, replies,
//! and the codecs that speak them.

use std::borrow::Borrow;
use std::fmt;

use bytes::{Bytes, BytesMut};

use super::{
    AppCodec, AppMessage, BINARY_ENCODING, ByteOrder, JSON_CONTENT_TYPE, JSON_ENCODING, pyjson,
    python_bytes_repr,
};
use crate::{ContentError, DecodeError, Decoder, EncodeError, Encoder};

/// A request, client to server.
///
/// ```
/// use sockwire::app::AppRequest;
/// // The client rule: `search` goes as JSON, anything else as binary.
/// assert_eq!(AppRequest::new("search", "ring"), AppRequest::json("search", "ring"));
/// assert_eq!(
///     AppRequest::new("find", "ring"),
///     AppRequest::Binary {
///         content_type: AppRequest::BINARY_CONTENT_TYPE.into(),
///         content: "findring".into(),
///     }
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppRequest {
    /// `text/json` content `{"action": ACTION, "value": VALUE}`.
    Json {
        /// `action`.
        action: String,
        /// `value`.
        value: String,
    },
    /// Any other content type: the content as it is.
    Binary {
        /// `content-type`, anything but `text/json` (the client sends
        /// [`BINARY_CONTENT_TYPE`](AppRequest::BINARY_CONTENT_TYPE)).
        content_type: String,
        /// The content.
        content: Bytes,
    },
}

impl AppRequest {
    /// The `content-type` of the client's binary requests.
    pub const BINARY_CONTENT_TYPE: &str = "binary/custom-client-binary-type";

    /// The request the client sends for `action` and `value`: JSON for
    /// `search`, otherwise binary [`BINARY_CONTENT_TYPE`](Self::BINARY_CONTENT_TYPE)
    /// content, the UTF-8 bytes of `action` followed by `value`.
    #[must_use]
    pub fn new(action: &str, value: &str) -> Self {
        if action == "search" {
            Self::json(action, value)
        } else {
            let mut content = Vec::with_capacity(action.len() + value.len());
            content.extend_from_slice(action.as_bytes());
            content.extend_from_slice(value.as_bytes());
            AppRequest::Binary {
                content_type: Self::BINARY_CONTENT_TYPE.to_owned(),
                content: content.into(),
            }
        }
    }

    /// A `text/json` request, whatever the action.
    #[must_use]
    pub fn json(action: impl Into<String>, value: impl Into<String>) -> Self {
        AppRequest::Json {
            action: action.into(),
            value: value.into(),
        }
    }

    /// The message carrying this request, with the native byte order.
    ///
    /// ```
    /// use sockwire::app::AppRequest;
    /// let msg = AppRequest::new("search", "🐶").to_message();
    /// assert_eq!(&msg.content()[..], r#"{"action": "search", "value": "🐶"}"#.as_bytes());
    /// ```
    #[must_use]
    pub fn to_message(&self) -> AppMessage {
        match self {
            AppRequest::Json { action, value } => {
                let mut content = Vec::with_capacity(30 + action.len() + value.len());
                pyjson::write_str_object(&mut content, &[("action", action), ("value", value)]);
                AppMessage::new(JSON_CONTENT_TYPE, JSON_ENCODING, content)
            }
            AppRequest::Binary {
                content_type,
                content,
            } => AppMessage::binary(content_type.clone(), content.clone()),
        }
    }

    /// Reads the request a message carries.
    ///
    /// # Errors
    ///
    /// For `text/json`, a [`ContentError`] if the content is not a UTF-8
    /// JSON object with string `action` and `value` (other keys are
    /// ignored). Any other content type is a binary request.
    pub fn from_message(message: &AppMessage) -> Result<Self, ContentError> {
        Content::read(message)
    }
}

impl Content for AppRequest {
    fn binary(content_type: String, content: Bytes) -> Self {
        AppRequest::Binary {
            content_type,
            content,
        }
    }

    /// The request `text/json` content carries, read borrowing the content.
    fn from_json_content(content: &[u8]) -> Result<Self, ContentError> {
        let [action, value] = string_fields(content, ["action", "value"])?;
        Ok(AppRequest::Json { action, value })
    }
}

impl From<&AppRequest> for AppMessage {
    fn from(request: &AppRequest) -> Self {
        request.to_message()
    }
}

impl TryFrom<&AppMessage> for AppRequest {
    type Error = ContentError;

    fn try_from(message: &AppMessage) -> Result<Self, ContentError> {
        AppRequest::from_message(message)
    }
}

/// A reply, server to client.
///
/// Its `Display` is what the client prints: the result text, or the binary
/// content as Python's `repr` shows bytes.
///
/// ```
/// use sockwire::app::AppResponse;
/// assert_eq!(AppResponse::json("hi").to_string(), "hi");
/// assert_eq!(AppResponse::binary(&b"ok\x00"[..]).to_string(), r"b'ok\x00'");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppResponse {
    /// `text/json` content `{"result": RESULT}`.
    Json {
        /// `result`.
        result: String,
    },
    /// Any other content type: the content as it is.
    Binary {
        /// `content-type`, anything but `text/json` (the server sends
        /// [`BINARY_CONTENT_TYPE`](AppResponse::BINARY_CONTENT_TYPE)).
        content_type: String,
        /// The content.
        content: Bytes,
    },
}

impl AppResponse {
    /// The `content-type` of the server's binary replies.
    pub const BINARY_CONTENT_TYPE: &str = "binary/custom-server-binary-type";

    /// A `text/json` reply.
    #[must_use]
    pub fn json(result: impl Into<String>) -> Self {
        AppResponse::Json {
            result: result.into(),
        }
    }

    /// A binary reply of the server's type,
    /// [`BINARY_CONTENT_TYPE`](Self::BINARY_CONTENT_TYPE).
    #[must_use]
    pub fn binary(content: impl Into<Bytes>) -> Self {
        AppResponse::Binary {
            content_type: Self::BINARY_CONTENT_TYPE.to_owned(),
            content: content.into(),
        }
    }

    /// The message carrying this reply, with the native byte order.
    #[must_use]
    pub fn to_message(&self) -> AppMessage {
        match self {
            AppResponse::Json { result } => {
                let mut content = Vec::with_capacity(14 + result.len());
                pyjson::write_str_object(&mut content, &[("result", result)]);
                AppMessage::new(JSON_CONTENT_TYPE, JSON_ENCODING, content)
            }
            AppResponse::Binary {
                content_type,
                content,
            } => AppMessage::new(content_type.clone(), BINARY_ENCODING, content.clone()),
        }
    }

    /// Reads the reply a message carries.
    ///
    /// # Errors
    ///
    /// For `text/json`, a [`ContentError`] if the content is not a UTF-8
    /// JSON object with a string `result` (other keys are ignored). Any
    /// other content type is a binary reply.
    pub fn from_message(message: &AppMessage) -> Result<Self, ContentError> {
        Content::read(message)
    }
}

impl Content for AppResponse {
    fn binary(content_type: String, content: Bytes) -> Self {
        AppResponse::Binary {
            content_type,
            content,
        }
    }

    /// The reply `text/json` content carries, read borrowing the content.
    fn from_json_content(content: &[u8]) -> Result<Self, ContentError> {
        let [result] = string_fields(content, ["result"])?;
        Ok(AppResponse::Json { result })
    }
}

impl fmt::Display for AppResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppResponse::Json { result } => f.write_str(result),
            AppResponse::Binary { content, .. } => f.write_str(&python_bytes_repr(content)),
        }
    }
}

impl From<&AppResponse> for AppMessage {
    fn from(response: &AppResponse) -> Self {
        response.to_message()
    }
}

impl TryFrom<&AppMessage> for AppResponse {
    type Error = ContentError;

    fn try_from(message: &AppMessage) -> Result<Self, ContentError> {
        AppResponse::from_message(message)
    }
}

/// What a message's content means, the same rule both ways: content
/// that is not `text/json` is binary, kept as it is; `text/json` content
/// is parsed as the request or the reply.
trait Content: Sized {
    /// Binary content of this type.
    fn binary(content_type: String, content: Bytes) -> Self;

    /// What `text/json` content carries.
    fn from_json_content(content: &[u8]) -> Result<Self, ContentError>;

    /// What a whole message carries.
    fn read(message: &AppMessage) -> Result<Self, ContentError> {
        if !message.is_json() {
            let content_type = message.header().content_type.clone();
            return Ok(Self::binary(content_type, message.content().clone()));
        }
        Self::from_json_content(message.content())
    }
}

/// The string values of `keys` in JSON object content, checked key by key
/// in order (missing, then type); other keys are checked as JSON and
/// skipped. The strings are copied out once: nothing else is allocated.
fn string_fields<const N: usize>(
    content: &[u8],
    keys: [&'static str; N],
) -> Result<[String; N], ContentError> {
    let object = pyjson::parse_object(content, &keys, false).map_err(|e| match e {
        pyjson::ObjectError::InvalidUtf8 { offset } => ContentError::InvalidUtf8 { offset },
        pyjson::ObjectError::InvalidJson(message) => ContentError::InvalidJson { message },
        pyjson::ObjectError::NotAnObject => ContentError::NotAnObject,
    })?;
    let mut values: [String; N] = std::array::from_fn(|_| String::new());
    for ((field, key), value) in object.fields.into_iter().zip(keys).zip(&mut values) {
        match field {
            Some(pyjson::Field::Str(s)) => *value = s.into_owned(),
            Some(_) => {
                return Err(ContentError::WrongType {
                    key,
                    expected: "a string",
                });
            }
            None => return Err(ContentError::MissingKey { key }),
        }
    }
    Ok(values)
}

macro_rules! typed_codec {
    (
        $(#[$doc:meta])*
        $name:ident, decodes $item:ident, encodes $out:ident
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            inner: AppCodec,
            byteorder: ByteOrder,
        }

        impl $name {
            /// A codec with the default content limit,
            /// [`AppCodec::DEFAULT_MAX_LEN`] (1 MiB), that writes the native
            /// byte order.
            #[must_use]
            pub const fn new() -> Self {
                Self::with_max_len(AppCodec::DEFAULT_MAX_LEN)
            }

            /// A codec that accepts content of at most `max_len` bytes.
            #[must_use]
            pub const fn with_max_len(max_len: usize) -> Self {
                $name {
                    inner: AppCodec::with_max_len(max_len),
                    byteorder: ByteOrder::native(),
                }
            }

            /// The same codec writing `byteorder` in the headers it encodes.
            #[must_use]
            pub const fn with_byteorder(mut self, byteorder: ByteOrder) -> Self {
                self.byteorder = byteorder;
                self
            }

            /// The largest content accepted, in bytes.
            #[must_use]
            pub const fn max_len(&self) -> usize {
                self.inner.max_len()
            }

            /// Decodes the next message's header and JSON content
            /// borrowing the input; binary content is split off it.
            fn typed(&mut self, src: &mut BytesMut) -> Result<Option<$item>, DecodeError> {
                let decoded = self.inner.decode_lent(
                    src,
                    |message| {
                        let (header, content) = message.into_parts();
                        if header.is_json() {
                            Ok($item::from_json_content(content))
                        } else {
                            Err(header.content_type.into_owned())
                        }
                    },
                    |content_type, content| Ok(<$item as Content>::binary(content_type, content)),
                )?;
                match decoded {
                    None => Ok(None),
                    Some(Ok(item)) => Ok(Some(item)),
                    Some(Err(e)) => Err(self.inner.fail(src, e)),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl Decoder for $name {
            type Item = $item;
            type Error = DecodeError;

            fn decode(&mut self, src: &mut BytesMut) -> Result<Option<$item>, DecodeError> {
                self.typed(src)
            }

            fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<$item>, DecodeError> {
                if let Some(item) = self.typed(src)? {
                    return Ok(Some(item));
                }
                self.inner.end_of_stream(src).map(|()| None)
            }
        }

        /// Writes the message carrying the item, with the codec's byte
        /// order; takes it by value or by reference (anything that is
        #[doc = concat!("`Borrow<", stringify!($out), ">`).")]
        ///
        /// # Errors
        ///
        /// As [`AppCodec`]'s encoder: [`EncodeError::TooLarge`] for content
        /// over the limit.
        impl<T: Borrow<$out>> Encoder<T> for $name {
            type Error = EncodeError;

            fn encode(&mut self, item: T, dst: &mut BytesMut) -> Result<(), EncodeError> {
                let message = item.borrow().to_message().with_byteorder(self.byteorder);
                self.inner.encode(&message, dst)
            }
        }
    };
}

typed_codec! {
    /// The server's codec: decodes [`AppRequest`]s, encodes [`AppResponse`]s.
    ///
    /// Content that is not a valid request is a
    /// [`DecodeError::InvalidContent`], unrecoverable like every error of
    /// the protocol.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sockwire::app::{AppRequest, ServerCodec};
    /// use sockwire::Decoder;
    ///
    /// // Any spacing and key order is read.
    /// let header = br#"{"content-length":32,"content-encoding":"utf-8","content-type":"text/json","byteorder":"big"}"#;
    /// let mut buf = BytesMut::new();
    /// buf.extend_from_slice(&(header.len() as u16).to_be_bytes());
    /// buf.extend_from_slice(header);
    /// buf.extend_from_slice(br#"{"value":"ring","action":"find"}"#);
    /// assert_eq!(ServerCodec::new().decode(&mut buf)?, Some(AppRequest::json("find", "ring")));
    /// # Ok::<(), sockwire::DecodeError>(())
    /// ```
    ServerCodec, decodes AppRequest, encodes AppResponse
}

typed_codec! {
    /// The client's codec: encodes [`AppRequest`]s, decodes [`AppResponse`]s.
    ///
    /// Content that is not a valid reply is a
    /// [`DecodeError::InvalidContent`].
    ClientCodec, decodes AppResponse, encodes AppRequest
}
