//! What the content of an application message means: requests, replies,
//! and the codecs that speak them.

use std::fmt;

use bytes::{Bytes, BytesMut};
use serde_json::Value;

use super::{
    AppCodec, AppMessage, BINARY_ENCODING, ByteOrder, CLIENT_BINARY_TYPE, JSON_CONTENT_TYPE,
    JSON_ENCODING, SERVER_BINARY_TYPE, pyjson, python_bytes_repr,
};
use crate::{ContentError, DecodeError, Decoder, EncodeError, Encoder};

/// A request, client to server.
///
/// ```
/// use sockwire::app::{CLIENT_BINARY_TYPE, Request};
/// // The client rule: `search` goes as JSON, anything else as binary.
/// assert_eq!(Request::new("search", "ring"), Request::json("search", "ring"));
/// assert_eq!(
///     Request::new("find", "ring"),
///     Request::Binary { content_type: CLIENT_BINARY_TYPE.into(), content: "findring".into() }
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Request {
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
        /// [`CLIENT_BINARY_TYPE`](super::CLIENT_BINARY_TYPE)).
        content_type: String,
        /// The content.
        content: Bytes,
    },
}

impl Request {
    /// The request the client sends for `action` and `value`: JSON for
    /// `search`, otherwise binary [`CLIENT_BINARY_TYPE`] content, the UTF-8
    /// bytes of `action` followed by `value`.
    #[must_use]
    pub fn new(action: &str, value: &str) -> Self {
        if action == "search" {
            Self::json(action, value)
        } else {
            let mut content = Vec::with_capacity(action.len() + value.len());
            content.extend_from_slice(action.as_bytes());
            content.extend_from_slice(value.as_bytes());
            Request::Binary {
                content_type: CLIENT_BINARY_TYPE.to_owned(),
                content: content.into(),
            }
        }
    }

    /// A `text/json` request, whatever the action.
    #[must_use]
    pub fn json(action: impl Into<String>, value: impl Into<String>) -> Self {
        Request::Json {
            action: action.into(),
            value: value.into(),
        }
    }

    /// The message carrying this request, with the native byte order.
    ///
    /// ```
    /// use sockwire::app::Request;
    /// let msg = Request::new("search", "🐶").to_message();
    /// assert_eq!(&msg.content()[..], r#"{"action": "search", "value": "🐶"}"#.as_bytes());
    /// ```
    #[must_use]
    pub fn to_message(&self) -> AppMessage {
        match self {
            Request::Json { action, value } => {
                let mut content = Vec::with_capacity(30 + action.len() + value.len());
                pyjson::write_str_object(&mut content, &[("action", action), ("value", value)]);
                AppMessage::new(JSON_CONTENT_TYPE, JSON_ENCODING, content)
            }
            Request::Binary {
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
        if !message.is_json() {
            return Ok(Request::Binary {
                content_type: message.header().content_type.clone(),
                content: message.content().clone(),
            });
        }
        let mut entries = json_object(message.content())?;
        Ok(Request::Json {
            action: string_key(&mut entries, "action")?,
            value: string_key(&mut entries, "value")?,
        })
    }
}

impl From<&Request> for AppMessage {
    fn from(request: &Request) -> Self {
        request.to_message()
    }
}

impl TryFrom<&AppMessage> for Request {
    type Error = ContentError;

    fn try_from(message: &AppMessage) -> Result<Self, ContentError> {
        Request::from_message(message)
    }
}

/// A reply, server to client.
///
/// Its `Display` is what the client prints: the result text, or the binary
/// content as Python's `repr` shows bytes.
///
/// ```
/// use sockwire::app::Response;
/// assert_eq!(Response::json("hi").to_string(), "hi");
/// assert_eq!(Response::binary(&b"ok\x00"[..]).to_string(), r"b'ok\x00'");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Response {
    /// `text/json` content `{"result": RESULT}`.
    Json {
        /// `result`.
        result: String,
    },
    /// Any other content type: the content as it is.
    Binary {
        /// `content-type`, anything but `text/json` (the server sends
        /// [`SERVER_BINARY_TYPE`](super::SERVER_BINARY_TYPE)).
        content_type: String,
        /// The content.
        content: Bytes,
    },
}

impl Response {
    /// A `text/json` reply.
    #[must_use]
    pub fn json(result: impl Into<String>) -> Self {
        Response::Json {
            result: result.into(),
        }
    }

    /// A binary reply of the server's type, [`SERVER_BINARY_TYPE`].
    #[must_use]
    pub fn binary(content: impl Into<Bytes>) -> Self {
        Response::Binary {
            content_type: SERVER_BINARY_TYPE.to_owned(),
            content: content.into(),
        }
    }

    /// The message carrying this reply, with the native byte order.
    #[must_use]
    pub fn to_message(&self) -> AppMessage {
        match self {
            Response::Json { result } => {
                let mut content = Vec::with_capacity(14 + result.len());
                pyjson::write_str_object(&mut content, &[("result", result)]);
                AppMessage::new(JSON_CONTENT_TYPE, JSON_ENCODING, content)
            }
            Response::Binary {
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
        if !message.is_json() {
            return Ok(Response::Binary {
                content_type: message.header().content_type.clone(),
                content: message.content().clone(),
            });
        }
        let mut entries = json_object(message.content())?;
        Ok(Response::Json {
            result: string_key(&mut entries, "result")?,
        })
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Response::Json { result } => f.write_str(result),
            Response::Binary { content, .. } => f.write_str(&python_bytes_repr(content)),
        }
    }
}

impl From<&Response> for AppMessage {
    fn from(response: &Response) -> Self {
        response.to_message()
    }
}

impl TryFrom<&AppMessage> for Response {
    type Error = ContentError;

    fn try_from(message: &AppMessage) -> Result<Self, ContentError> {
        Response::from_message(message)
    }
}

fn json_object(content: &[u8]) -> Result<pyjson::Entries, ContentError> {
    pyjson::parse_object(content).map_err(|e| match e {
        pyjson::ObjectError::InvalidUtf8 { offset } => ContentError::InvalidUtf8 { offset },
        pyjson::ObjectError::InvalidJson(message) => ContentError::InvalidJson { message },
        pyjson::ObjectError::NotAnObject => ContentError::NotAnObject,
    })
}

fn string_key(entries: &mut pyjson::Entries, key: &'static str) -> Result<String, ContentError> {
    match pyjson::take(entries, key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ContentError::WrongType {
            key,
            expected: "a string",
        }),
        None => Err(ContentError::MissingKey { key }),
    }
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
            /// A codec with the default content limit (1 MiB) that writes
            /// the native byte order.
            #[must_use]
            pub const fn new() -> Self {
                Self::with_max_content_length(super::DEFAULT_MAX_CONTENT_LENGTH)
            }

            /// A codec that accepts content of at most `max` bytes.
            #[must_use]
            pub const fn with_max_content_length(max: usize) -> Self {
                $name {
                    inner: AppCodec::with_max_content_length(max),
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
            pub const fn max_content_length(&self) -> usize {
                self.inner.max_content_length()
            }

            fn typed(
                &mut self,
                src: &mut BytesMut,
                message: Option<AppMessage>,
            ) -> Result<Option<$item>, DecodeError> {
                match message.map(|m| $item::from_message(&m)) {
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
                let message = self.inner.decode(src)?;
                self.typed(src, message)
            }

            fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<$item>, DecodeError> {
                let message = self.inner.decode_eof(src)?;
                self.typed(src, message)
            }
        }

        impl Encoder<&$out> for $name {
            type Error = EncodeError;

            fn encode(&mut self, item: &$out, dst: &mut BytesMut) -> Result<(), EncodeError> {
                let message = item.to_message().with_byteorder(self.byteorder);
                self.inner.encode(&message, dst)
            }
        }

        impl Encoder<$out> for $name {
            type Error = EncodeError;

            fn encode(&mut self, item: $out, dst: &mut BytesMut) -> Result<(), EncodeError> {
                self.encode(&item, dst)
            }
        }
    };
}

typed_codec! {
    /// The server's codec: decodes [`Request`]s, encodes [`Response`]s.
    ///
    /// Content that is not a valid request is a
    /// [`DecodeError::InvalidContent`], unrecoverable like every error of
    /// the protocol.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use sockwire::app::{Request, ServerCodec};
    /// use sockwire::Decoder;
    ///
    /// // Any spacing and key order is read.
    /// let header = br#"{"content-length":32,"content-encoding":"utf-8","content-type":"text/json","byteorder":"big"}"#;
    /// let mut buf = BytesMut::new();
    /// buf.extend_from_slice(&(header.len() as u16).to_be_bytes());
    /// buf.extend_from_slice(header);
    /// buf.extend_from_slice(br#"{"value":"ring","action":"find"}"#);
    /// assert_eq!(ServerCodec::new().decode(&mut buf)?, Some(Request::json("find", "ring")));
    /// # Ok::<(), sockwire::DecodeError>(())
    /// ```
    ServerCodec, decodes Request, encodes Response
}

typed_codec! {
    /// The client's codec: encodes [`Request`]s, decodes [`Response`]s.
    ///
    /// Content that is not a valid reply is a
    /// [`DecodeError::InvalidContent`].
    ClientCodec, decodes Response, encodes Request
}
