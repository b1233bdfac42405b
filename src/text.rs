//! UTF-8 text: the [`Text`] type, text datagrams (PROTOCOLS.md §1) and the
//! raw text stream (§2).
//!
//! # Text datagram (UDP, §1)
//!
//! | bytes | content |
//! |---|---|
//! | 0 ..= 65,507 | the UTF-8 text, no header, no terminator |
//!
//! One datagram is one message; an empty datagram is an empty message.
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use sockwire::{DatagramDecoder, DatagramEncoder, TextDatagramCodec};
//!
//! let mut codec = TextDatagramCodec::new();
//! let mut out = BytesMut::new();
//! codec.encode_datagram("hello", &mut out)?;
//! assert_eq!(&out[..], b"hello");
//! let text = codec.decode_datagram(out.freeze())?;
//! assert_eq!(text, "hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Text stream (TCP, §2)
//!
//! A raw byte stream with no framing. [`TextStreamCodec`] yields the longest
//! complete text it has; a multibyte character split across reads is held
//! (at most 3 bytes) until the rest arrives.
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::{Decoder, TextStreamCodec};
//!
//! let mut codec = TextStreamCodec::new();
//! let mut buf = BytesMut::from(&b"na\xc3"[..]); // 'ã' cut in two
//! assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("na"));
//! assert_eq!(codec.decode(&mut buf)?, None); // holds the half character
//! buf.extend_from_slice(b"\xa3o");
//! assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("ão"));
//! # Ok::<(), sockwire::DecodeError>(())
//! ```

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::ops::Deref;

use bytes::{BufMut, Bytes, BytesMut};

use crate::{DatagramDecoder, DatagramEncoder, DecodeError, Decoder, EncodeError, Encoder};

/// Largest UDP payload over IPv4: 65,535 − 8 (UDP header) − 20 (IP header).
pub const MAX_DATAGRAM: usize = 65_507;

/// Immutable UTF-8 text backed by [`Bytes`].
///
/// Decoders split a `Text` off their input without copying it. It
/// dereferences to `str`.
///
/// This crate has no `unsafe` code, so the bytes are validated again when
/// they are viewed as `str` ([`as_str`](Text::as_str), `Deref`, `Display`):
/// a linear scan that the standard library does at several GB/s. Lengths and
/// byte views ([`len`](Text::len), [`as_bytes`](Text::as_bytes)) cost
/// nothing.
///
/// ```
/// use sockwire::Text;
/// let t = Text::from("ação");
/// assert_eq!(t.len(), 6); // bytes
/// assert_eq!(t.chars().count(), 4);
/// assert_eq!(t, "ação");
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Bytes);

impl Text {
    /// An empty text.
    #[must_use]
    pub const fn new() -> Self {
        Text(Bytes::new())
    }

    /// A text over a static string, without allocating.
    #[must_use]
    pub const fn from_static(s: &'static str) -> Self {
        Text(Bytes::from_static(s.as_bytes()))
    }

    /// Checks that `bytes` are UTF-8 and wraps them without copying.
    ///
    /// # Errors
    ///
    /// [`DecodeError::InvalidUtf8`] with the offset of the first bad byte.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use sockwire::{DecodeError, Text};
    /// assert_eq!(Text::from_utf8(Bytes::from_static(b"ok")).unwrap(), "ok");
    /// assert_eq!(
    ///     Text::from_utf8(Bytes::from_static(b"o\xffk")),
    ///     Err(DecodeError::InvalidUtf8 { offset: 1 })
    /// );
    /// ```
    pub fn from_utf8(bytes: Bytes) -> Result<Self, DecodeError> {
        // ASCII is UTF-8: the word-at-a-time ASCII check is several times
        // cheaper than full validation on the short lines of chat and
        // console protocols.
        if bytes.is_ascii() {
            return Ok(Text(bytes));
        }
        match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(Text(bytes)),
            Err(e) => Err(DecodeError::InvalidUtf8 {
                offset: e.valid_up_to() as u64,
            }),
        }
    }

    /// Wraps bytes that a decoder has already seen to be ASCII (and so
    /// UTF-8), without checking them again.
    pub(crate) fn from_ascii(bytes: Bytes) -> Self {
        debug_assert!(bytes.is_ascii(), "Text::from_ascii on non-ASCII bytes");
        Text(bytes)
    }

    /// The text as `str`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // The bytes were validated when the `Text` was made and are
        // immutable, so this never falls back to "".
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying [`Bytes`], without copying.
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Text {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Bytes::from(s))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<Text> for Bytes {
    fn from(t: Text) -> Bytes {
        t.0
    }
}

impl TryFrom<Bytes> for Text {
    type Error = DecodeError;
    fn try_from(bytes: Bytes) -> Result<Self, DecodeError> {
        Text::from_utf8(bytes)
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// A printable view of bytes that may not be UTF-8: each invalid sequence
/// becomes U+FFFD. Borrows when the bytes are valid.
///
/// ```
/// assert_eq!(sockwire::text::lossy(b"ok\xff"), "ok\u{fffd}");
/// ```
#[must_use]
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// The `upper` reply of the text servers: leading and trailing ASCII
/// whitespace stripped, then upper-cased (Unicode, like Python's
/// `str.upper`).
///
/// ```
/// assert_eq!(sockwire::text::upper_reply(" x y\r\n"), "X Y");
/// ```
#[must_use]
pub fn upper_reply(text: &str) -> String {
    text.trim_matches(|c: char| c.is_ascii_whitespace())
        .to_uppercase()
}

/// Codec for text datagrams (PROTOCOLS.md §1): one datagram, one UTF-8
/// message, at most [`MAX_DATAGRAM`] bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextDatagramCodec {
    max_len: usize,
}

impl TextDatagramCodec {
    /// A codec with the protocol's limit of [`MAX_DATAGRAM`] bytes.
    #[must_use]
    pub const fn new() -> Self {
        TextDatagramCodec {
            max_len: MAX_DATAGRAM,
        }
    }

    /// A codec with a lower limit (a higher one is capped at
    /// [`MAX_DATAGRAM`]).
    #[must_use]
    pub fn with_max_len(max_len: usize) -> Self {
        TextDatagramCodec {
            max_len: max_len.min(MAX_DATAGRAM),
        }
    }

    /// The largest message this codec accepts, in bytes.
    #[must_use]
    pub const fn max_len(&self) -> usize {
        self.max_len
    }

    fn check_len(&self, len: usize) -> Result<(), EncodeError> {
        if len > self.max_len {
            return Err(EncodeError::TooLarge {
                size: len as u64,
                max: self.max_len as u64,
            });
        }
        Ok(())
    }
}

impl Default for TextDatagramCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl DatagramDecoder for TextDatagramCodec {
    type Item = Text;

    /// # Errors
    ///
    /// [`DecodeError::FrameTooLarge`] over the limit,
    /// [`DecodeError::InvalidUtf8`] with the offset in the datagram.
    fn decode_datagram(&mut self, datagram: Bytes) -> Result<Text, DecodeError> {
        if datagram.len() > self.max_len {
            return Err(DecodeError::FrameTooLarge {
                size: datagram.len() as u64,
                max: self.max_len as u64,
            });
        }
        Text::from_utf8(datagram)
    }
}

impl DatagramEncoder<&str> for TextDatagramCodec {
    fn encode_datagram(&mut self, item: &str, dst: &mut BytesMut) -> Result<(), EncodeError> {
        self.check_len(item.len())?;
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}

impl DatagramEncoder<Text> for TextDatagramCodec {
    fn encode_datagram(&mut self, item: Text, dst: &mut BytesMut) -> Result<(), EncodeError> {
        self.check_len(item.len())?;
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}

/// Decoder (and encoder) for the raw UTF-8 text stream of PROTOCOLS.md §2.
///
/// Each call to [`decode`](Decoder::decode) yields all the complete text
/// available, so message boundaries follow the reads; the concatenation of
/// what it yields is the same however the stream is split. A multibyte
/// character cut by a read stays in the buffer (at most 3 bytes) until it is
/// complete.
///
/// Invalid UTF-8 yields [`DecodeError::InvalidUtf8`] with its offset in the
/// stream; the bad bytes are dropped and decoding goes on after them. At end
/// of stream, held bytes of an unfinished character are
/// [`DecodeError::UnexpectedEof`].
///
/// The encoder writes the text's bytes unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextStreamCodec {
    /// Bytes consumed from the stream so far, for error offsets.
    consumed: u64,
}

impl TextStreamCodec {
    /// A new decoder at the start of a stream.
    #[must_use]
    pub const fn new() -> Self {
        TextStreamCodec { consumed: 0 }
    }

    /// How many bytes of the stream this decoder has consumed.
    #[must_use]
    pub const fn position(&self) -> u64 {
        self.consumed
    }

    fn take(&mut self, src: &mut BytesMut, n: usize) -> Bytes {
        self.consumed += n as u64;
        src.split_to(n).freeze()
    }
}

impl Decoder for TextStreamCodec {
    type Item = Text;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Text>, DecodeError> {
        if src.is_empty() {
            return Ok(None);
        }
        if src.is_ascii() {
            let n = src.len();
            return Ok(Some(Text::from_ascii(self.take(src, n))));
        }
        let (valid, bad) = match std::str::from_utf8(src) {
            Ok(_) => (src.len(), None),
            Err(e) => (e.valid_up_to(), e.error_len()),
        };
        if valid > 0 {
            return Ok(Some(Text(self.take(src, valid))));
        }
        match bad {
            // An unfinished character at the end: wait for the rest.
            None => Ok(None),
            Some(len) => {
                let offset = self.consumed;
                let _ = self.take(src, len);
                Err(DecodeError::InvalidUtf8 { offset })
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Text>, DecodeError> {
        match self.decode(src)? {
            Some(text) => Ok(Some(text)),
            None if src.is_empty() => Ok(None),
            None => {
                let pending = src.len();
                let _ = self.take(src, pending);
                Err(DecodeError::UnexpectedEof {
                    pending: pending as u64,
                })
            }
        }
    }
}

impl Encoder<&str> for TextStreamCodec {
    fn encode(&mut self, item: &str, dst: &mut BytesMut) -> Result<(), EncodeError> {
        dst.put_slice(item.as_bytes());
        Ok(())
    }
}

impl Encoder<Text> for TextStreamCodec {
    fn encode(&mut self, item: Text, dst: &mut BytesMut) -> Result<(), EncodeError> {
        dst.put_slice(item.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_counts_text_bad_bytes_and_eof_bytes() {
        let mut codec = TextStreamCodec::new();
        let mut buf = BytesMut::from(&b"ab\xff\xc3"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("ab"));
        assert_eq!(codec.position(), 2);
        assert!(codec.decode(&mut buf).is_err());
        assert_eq!(codec.position(), 3);
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert_eq!(codec.position(), 3, "held bytes are not consumed");
        assert!(codec.decode_eof(&mut buf).is_err());
        assert_eq!(codec.position(), 4);
    }

    #[test]
    fn decoded_text_shares_the_input_allocation() {
        let mut codec = TextStreamCodec::new();
        let mut buf = BytesMut::from(&b"hello"[..]);
        let start = buf.as_ptr();
        let text = codec.decode(&mut buf).unwrap().unwrap();
        assert_eq!(text.as_bytes().as_ptr(), start);
    }
}
