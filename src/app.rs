//! The application message (§6): a JSON header and a content.
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
//!   kept in order) and the content as [`Bytes`](bytes::Bytes) split off the input. It
//!   writes headers byte for byte as the Python peer's
//!   `json.dumps(obj, ensure_ascii=False)` does, and reads any valid JSON
//!   object. Its [`BorrowDecoder`](crate::BorrowDecoder) path lends an [`AppMessageRef`]
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
//! ([`DecodeError::is_recoverable`](crate::DecodeError::is_recoverable) is `false`): the server closes the
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

mod codec;
mod header;
mod message;
mod pyjson;
mod typed;

pub use codec::AppCodec;
pub use header::{AppHeader, AppHeaderRef, ByteOrder};
pub use message::{AppMessage, AppMessageRef, python_bytes_repr};
pub use pyjson::{PythonFormatter, to_python_json};
pub use typed::{AppRequest, AppResponse, ClientCodec, ServerCodec};

const JSON_CONTENT_TYPE: &str = AppHeader::JSON_CONTENT_TYPE;
const JSON_ENCODING: &str = AppHeader::JSON_ENCODING;
const BINARY_ENCODING: &str = AppHeader::BINARY_ENCODING;
const REQUIRED_KEYS: [&str; 4] = AppHeader::REQUIRED_KEYS;
const PREFIX_LEN: usize = AppCodec::PREFIX_LEN;
const MAX_HEADER_LEN: usize = AppCodec::MAX_HEADER_LEN;
