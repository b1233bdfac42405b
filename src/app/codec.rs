//! [`AppCodec`]: the §6 framing, a 2-byte length, a JSON header, then the
//! content; one state machine for the owned and the borrowed decode paths.

use std::borrow::Borrow;
use std::convert::Infallible;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::{AppHeaderRef, AppMessage, AppMessageRef, JSON_ENCODING, MAX_HEADER_LEN, PREFIX_LEN};
use crate::{BorrowDecoder, DecodeError, Decoder, EncodeError, Encoder, HeaderError};

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
/// Decoding checks the header as [`AppHeader::from_json`](super::AppHeader::from_json) does and the
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
    pub(super) fn end_of_stream(&mut self, src: &mut BytesMut) -> Result<(), DecodeError> {
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
