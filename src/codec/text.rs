//! The two text protocols: text datagrams (§1) and the raw text stream
//! (§2). Both yield [`Text`].
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
//! | bytes | content |
//! |---|---|
//! | any | the UTF-8 bytes of the text, no header, no terminator |
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

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::utf8::Text;
use crate::{
    BorrowDecoder, DatagramDecoder, DatagramEncoder, DecodeError, Decoder, EncodeError, Encoder,
};

/// Codec for text datagrams (§1): one datagram, one UTF-8
/// message, at most [`MAX_LEN`](Self::MAX_LEN) bytes.
///
/// With the `tokio-util` feature, `tokio_adapter::TokioDatagramCodec` puts it
/// under `tokio_util::udp::UdpFramed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextDatagramCodec {
    max_len: usize,
}

impl TextDatagramCodec {
    /// The largest UDP payload over IPv4, the protocol's limit: 65,535 − 8
    /// (UDP header) − 20 (IP header) = 65,507 bytes.
    pub const MAX_LEN: usize = 65_507;

    /// A codec with the protocol's limit of [`MAX_LEN`](Self::MAX_LEN)
    /// bytes.
    #[must_use]
    pub const fn new() -> Self {
        TextDatagramCodec {
            max_len: Self::MAX_LEN,
        }
    }

    /// A codec with a lower limit (a higher one is capped at
    /// [`MAX_LEN`](Self::MAX_LEN)).
    ///
    /// ```
    /// use sockwire::TextDatagramCodec;
    /// assert_eq!(TextDatagramCodec::with_max_len(512).max_len(), 512);
    /// assert_eq!(TextDatagramCodec::with_max_len(usize::MAX).max_len(), TextDatagramCodec::MAX_LEN);
    /// ```
    #[must_use]
    pub fn with_max_len(max_len: usize) -> Self {
        TextDatagramCodec {
            max_len: max_len.min(Self::MAX_LEN),
        }
    }

    /// The largest message this codec accepts, in bytes.
    #[must_use]
    pub const fn max_len(&self) -> usize {
        self.max_len
    }
}

impl Default for TextDatagramCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl DatagramDecoder for TextDatagramCodec {
    type Item = Text;
    type Error = DecodeError;

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

/// Writes the text as the datagram, unchanged: a `&str`, a `String`, a
/// [`Text`] or anything else that is `AsRef<str>`.
///
/// # Errors
///
/// [`EncodeError::TooLarge`] over the codec's limit; `dst` is unchanged
/// then.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{DatagramEncoder, EncodeError, Text, TextDatagramCodec};
/// let mut codec = TextDatagramCodec::with_max_len(4);
/// let mut out = BytesMut::new();
/// codec.encode_datagram("abc", &mut out)?;
/// codec.encode_datagram(String::from("d"), &mut out)?;
/// codec.encode_datagram(&Text::from("e"), &mut out)?;
/// assert_eq!(&out[..], b"abcde");
/// assert_eq!(
///     codec.encode_datagram("vwxyz", &mut out),
///     Err(EncodeError::TooLarge { size: 5, max: 4 })
/// );
/// # Ok::<(), EncodeError>(())
/// ```
impl<T: AsRef<str>> DatagramEncoder<T> for TextDatagramCodec {
    type Error = EncodeError;

    fn encode_datagram(&mut self, item: T, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let text = item.as_ref();
        crate::codec::check_len(text.len(), self.max_len)?;
        dst.extend_from_slice(text.as_bytes());
        Ok(())
    }
}

/// Decoder (and encoder) for the raw UTF-8 text stream (§2): no header, no
/// terminator, no framing.
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

    /// Consumes the first `n` bytes of `src`, seen to be UTF-8, as a text.
    fn take(&mut self, src: &mut BytesMut, n: usize) -> Text {
        self.consumed += n as u64;
        Text::take_valid(src, n)
    }

    /// Drops the first `n` bytes of `src`.
    fn skip(&mut self, src: &mut BytesMut, n: usize) {
        self.consumed += n as u64;
        src.advance(n.min(src.len()));
    }
}

impl TextStreamCodec {
    /// The length of the UTF-8 prefix of `src` to take next (`Some(n)`,
    /// `n > 0`), or `None` if `src` is empty or holds only the start of a
    /// character; a bad sequence at the front is consumed and reported.
    /// The one state machine of both decode paths.
    #[inline]
    fn next_text(&mut self, src: &mut BytesMut) -> Result<Option<usize>, DecodeError> {
        if src.is_empty() {
            return Ok(None);
        }
        if src.is_ascii() {
            return Ok(Some(src.len()));
        }
        let (valid, bad) = match simdutf8::compat::from_utf8(src) {
            Ok(_) => (src.len(), None),
            Err(e) => (e.valid_up_to(), e.error_len()),
        };
        if valid > 0 {
            return Ok(Some(valid));
        }
        match bad {
            // An unfinished character at the end: wait for the rest.
            None => Ok(None),
            Some(len) => {
                let offset = self.consumed;
                self.skip(src, len);
                Err(DecodeError::InvalidUtf8 { offset })
            }
        }
    }

    /// At the end of the stream, after [`next_text`](Self::next_text)
    /// found nothing to take: drops an unfinished character and reports it.
    fn end_of_stream(&mut self, src: &mut BytesMut) -> Result<(), DecodeError> {
        if src.is_empty() {
            return Ok(());
        }
        let pending = src.len();
        self.skip(src, pending);
        Err(DecodeError::UnexpectedEof {
            pending: pending as u64,
        })
    }

    /// Lends the longest UTF-8 prefix of `src` to `f` and consumes it; as
    /// [`next_text`](Self::next_text) then `take`, checking the bytes once.
    fn lend_text<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(&str) -> R,
    ) -> Result<Option<R>, DecodeError> {
        // Leave out a character cut short at the end, then check the rest
        // once: when it is UTF-8, it is exactly the prefix that
        // `next_text` takes (the bytes left out cannot complete a
        // character).
        let end = src.len() - unfinished_tail(src);
        if end > 0 {
            if let Ok(text) = simdutf8::basic::from_utf8(src.split_at(end).0) {
                let answer = f(text);
                self.skip(src, end);
                return Ok(Some(answer));
            }
        }
        // A bad sequence, or nothing but a cut character: the owned path's
        // analysis, and a second check of the prefix (rare).
        let Some(n) = self.next_text(src)? else {
            return Ok(None);
        };
        let answer = match std::str::from_utf8(src.split_at(n.min(src.len())).0) {
            Ok(text) => f(text),
            // Unreachable from any input: `next_text` saw these `n` bytes
            // to be UTF-8.
            Err(_) => unreachable!("next_text returned a prefix that is not UTF-8"),
        };
        self.skip(src, n);
        Ok(Some(answer))
    }
}

/// How many bytes at the end of `bytes` begin a character that they do not
/// finish (0 to 3): a lead byte followed by fewer continuation bytes than
/// it announces. Whether they are otherwise valid is not checked.
#[inline]
fn unfinished_tail(bytes: &[u8]) -> usize {
    for back in 1..=3.min(bytes.len()) {
        let Some(&b) = bytes.get(bytes.len() - back) else {
            return 0;
        };
        if b & 0xC0 != 0x80 {
            // Not a continuation byte: the last character starts here.
            let width = match b {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if width > back { back } else { 0 };
        }
    }
    0
}

impl Decoder for TextStreamCodec {
    type Item = Text;
    type Error = DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Text>, DecodeError> {
        Ok(self.next_text(src)?.map(|n| self.take(src, n)))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Text>, DecodeError> {
        if let Some(text) = self.decode(src)? {
            return Ok(Some(text));
        }
        self.end_of_stream(src).map(|()| None)
    }
}

/// The text received so far, as a `&str` borrowing the input: the same
/// texts and errors as [`Decoder`], with one UTF-8 check and no copy.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{BorrowDecoder, DecodeError, TextStreamCodec};
///
/// let mut codec = TextStreamCodec::new();
/// let mut buf = BytesMut::from(&b"a\xc3"[..]); // "a", then half of "ã"
/// assert_eq!(codec.decode_with(&mut buf, str::to_owned)?.as_deref(), Some("a"));
/// assert_eq!(codec.decode_with(&mut buf, str::to_owned)?, None);
/// buf.extend_from_slice(b"\xa3");
/// assert_eq!(codec.decode_with(&mut buf, str::to_owned)?.as_deref(), Some("ã"));
/// assert_eq!(codec.position(), 3);
/// # Ok::<(), DecodeError>(())
/// ```
impl BorrowDecoder for TextStreamCodec {
    type View<'a> = &'a str;

    fn decode_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(&str) -> R,
    ) -> Result<Option<R>, DecodeError> {
        self.lend_text(src, f)
    }

    fn decode_eof_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(&str) -> R,
    ) -> Result<Option<R>, DecodeError> {
        if let Some(answer) = self.lend_text(src, f)? {
            return Ok(Some(answer));
        }
        self.end_of_stream(src).map(|()| None)
    }
}

/// Writes the text's bytes unchanged: a `&str`, a `String`, a [`Text`] or
/// anything else that is `AsRef<str>`. Never fails.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{Encoder, Text, TextStreamCodec};
/// let mut codec = TextStreamCodec::new();
/// let mut out = BytesMut::new();
/// codec.encode("ab", &mut out)?;
/// codec.encode(Text::from("c"), &mut out)?;
/// assert_eq!(&out[..], b"abc");
/// # Ok::<(), sockwire::EncodeError>(())
/// ```
impl<T: AsRef<str>> Encoder<T> for TextStreamCodec {
    type Error = EncodeError;

    fn encode(&mut self, item: T, dst: &mut BytesMut) -> Result<(), EncodeError> {
        dst.put_slice(item.as_ref().as_bytes());
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
    fn a_long_decoded_text_shares_the_input_allocation() {
        let mut codec = TextStreamCodec::new();
        let long = "x".repeat(Text::INLINE_CAPACITY + 1);
        let mut buf = BytesMut::from(long.as_bytes());
        let start = buf.as_ptr();
        let text = codec.decode(&mut buf).unwrap().unwrap();
        assert!(!text.is_inline());
        assert_eq!(text.as_bytes().as_ptr(), start);
        assert_eq!(text, long.as_str());
    }

    #[test]
    fn a_short_decoded_text_is_copied_inline_and_the_input_advances() {
        let mut codec = TextStreamCodec::new();
        let short = "y".repeat(Text::INLINE_CAPACITY);
        let mut buf = BytesMut::with_capacity(64);
        buf.extend_from_slice(short.as_bytes());
        let text = codec.decode(&mut buf).unwrap().unwrap();
        assert!(text.is_inline());
        assert_eq!(text, short.as_str());
        assert!(buf.is_empty());
        // The buffer was never shared, so it can take more input in place.
        buf.extend_from_slice(b"z");
        assert_eq!(codec.decode(&mut buf).unwrap().unwrap(), "z");
    }
}
