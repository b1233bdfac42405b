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

use std::borrow::{Borrow, Cow};
use std::convert::Infallible;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::{
    BorrowDecoder, DatagramDecoder, DatagramEncoder, DecodeError, Decoder, EncodeError, Encoder,
};

/// Immutable UTF-8 text backed by [`Bytes`], or held inline when short.
///
/// Decoders hand out a `Text` without allocating: a text of at most
/// [`Text::INLINE_CAPACITY`] bytes is copied into the `Text` itself (copying
/// a few bytes is cheaper than the two atomic reference-count updates a
/// shared slice costs, and leaves the input buffer unshared); a longer one
/// is split off the input without copying, sharing its allocation. Either
/// way the value is immutable, cheap to clone, and dereferences to `str`.
///
/// Every way to make a `Text` checks that its bytes are UTF-8 (or takes
/// them from a `str`), and they never change afterwards. This crate has no
/// `unsafe` code, so the bytes are validated again when they are viewed as
/// `str` ([`as_str`](Text::as_str), `Deref`, `Display`): a linear scan that
/// runs at several GB/s, and cannot fail. Lengths and byte views
/// ([`len`](Text::len), [`as_bytes`](Text::as_bytes)) cost nothing.
///
/// Equality, ordering and hashing are those of the `str` (so a
/// `HashMap<Text, _>` can be queried with a `&str`), whichever way the
/// bytes are held.
///
/// ```
/// use sockwire::Text;
/// let t = Text::from("ação");
/// assert_eq!(t.len(), 6); // bytes
/// assert_eq!(t.chars().count(), 4);
/// assert_eq!(t, "ação");
/// ```
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    /// The first `len` bytes of `bytes` (the rest are not part of the text).
    Inline {
        len: u8,
        bytes: Aligned,
    },
    Shared(Bytes),
}

/// Inline bytes, word-aligned: the standard library's UTF-8 check (run on
/// every `as_str`) takes aligned ASCII two words at a time, and unaligned
/// bytes one at a time until it reaches a word boundary.
#[derive(Clone, Copy)]
#[repr(align(8))]
struct Aligned([u8; Text::INLINE_CAPACITY]);

impl Text {
    /// The longest text held inline, without a heap allocation or a shared
    /// buffer: 32 bytes, which keeps a `Text` at 40 bytes.
    pub const INLINE_CAPACITY: usize = 32;

    /// An empty text.
    #[must_use]
    pub const fn new() -> Self {
        Text(Repr::Inline {
            len: 0,
            bytes: Aligned([0; Text::INLINE_CAPACITY]),
        })
    }

    /// A text over a static string, without allocating.
    #[must_use]
    pub const fn from_static(s: &'static str) -> Self {
        Text(Repr::Shared(Bytes::from_static(s.as_bytes())))
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
        validate(&bytes)?;
        Ok(Text(Repr::Shared(bytes)))
    }

    /// Takes the first `n` bytes of `src` as a text, the first `len` of
    /// them (`len <= n`) being the text and the rest dropped, and checks
    /// that the text is UTF-8. The `n` bytes are consumed whether or not it
    /// is.
    ///
    /// On `Err`, the offset is that of the first bad byte within the text.
    pub(crate) fn take(src: &mut BytesMut, n: usize, len: usize) -> Result<Self, DecodeError> {
        Repr::split_off(src, n, len, validate).map(Text)
    }

    /// Takes the first `n` bytes of `src` as a text that the caller has
    /// already seen to be UTF-8 (with `simdutf8` or an ASCII check on
    /// `src`), so it is not checked again.
    ///
    /// This is the one constructor that trusts its caller; it is private to
    /// the crate, and a caller that broke the promise would make
    /// [`as_str`](Text::as_str) panic, never return wrong text.
    pub(crate) fn take_valid(src: &mut BytesMut, n: usize) -> Self {
        let Ok(repr) = Repr::split_off(src, n, n, |_| Ok::<(), Infallible>(()));
        Text(repr)
    }

    /// The text as `str`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // `simdutf8` checks 64 bytes and more with SIMD (several times the
        // standard library's speed) and hands shorter input to the standard
        // library.
        match simdutf8::basic::from_utf8(self.as_bytes()) {
            Ok(s) => s,
            // Unreachable from any input: every constructor checks the
            // bytes (or takes them from a `str`) and they are immutable.
            Err(_) => unreachable!("a Text holds UTF-8: checked when it was made"),
        }
    }

    /// The UTF-8 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.bytes()
    }

    /// The text as [`Bytes`]: without copying if it shares a buffer, a
    /// copy (one allocation) if it is held inline.
    ///
    /// ```
    /// use sockwire::Text;
    /// assert_eq!(&Text::from("hi").into_bytes()[..], b"hi");
    /// ```
    #[must_use]
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Inline { .. } => Bytes::copy_from_slice(self.as_bytes()),
            Repr::Shared(bytes) => bytes,
        }
    }

    /// Whether the bytes are held inline (at most
    /// [`INLINE_CAPACITY`](Text::INLINE_CAPACITY) of them) rather than in a
    /// shared buffer.
    ///
    /// ```
    /// use sockwire::Text;
    /// assert!(Text::from("short").is_inline());
    /// assert!(!Text::from("a".repeat(100)).is_inline());
    /// ```
    #[must_use]
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }

    /// Length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Shared(bytes) => bytes.len(),
        }
    }

    /// Whether the text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Repr {
    /// The bytes held.
    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Repr::Inline { len, bytes } => match bytes.0.get(..usize::from(*len)) {
                Some(text) => text,
                // Unreachable from any input: `inline` is the only place
                // that sets `len`, from a slice that fit the array.
                None => unreachable!("inline length over Text::INLINE_CAPACITY"),
            },
            Repr::Shared(bytes) => bytes,
        }
    }

    /// A copy of `bytes` held inline, if they fit.
    fn inline(bytes: &[u8]) -> Option<Self> {
        let mut inline = [0; Text::INLINE_CAPACITY];
        inline.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Repr::Inline {
            len: u8::try_from(bytes.len()).ok()?,
            bytes: Aligned(inline),
        })
    }

    /// Takes the first `n` bytes of `src`, keeping the first `len` of them
    /// (`len <= n`): copied inline if `len` is at most
    /// [`Text::INLINE_CAPACITY`], split off without copying if longer; then
    /// runs `check` on the kept bytes (the `n` bytes are consumed either
    /// way).
    #[inline]
    fn split_off<E>(
        src: &mut BytesMut,
        n: usize,
        len: usize,
        check: impl FnOnce(&[u8]) -> Result<(), E>,
    ) -> Result<Self, E> {
        let n = n.min(src.len());
        let len = len.min(n);
        if len <= Text::INLINE_CAPACITY {
            // With a whole window in `src`, a fixed-size copy is a few
            // vector moves, where a copy of `len` bytes is a call to
            // `memcpy`; the bytes past `len` are never read.
            let inline = match src.first_chunk::<{ Text::INLINE_CAPACITY }>() {
                Some(window) => u8::try_from(len).ok().map(|len| Repr::Inline {
                    len,
                    bytes: Aligned(*window),
                }),
                None => src.get(..len).and_then(Repr::inline),
            };
            if let Some(inline) = inline {
                src.advance(n);
                check(inline.bytes())?;
                return Ok(inline);
            }
        }
        let mut shared = src.split_to(n);
        shared.truncate(len);
        let shared = shared.freeze();
        check(&shared)?;
        Ok(Repr::Shared(shared))
    }
}

/// `bytes` as `str` if they are UTF-8, else the offset of the first bad
/// byte (the borrowed paths' one check, as [`validate`] is the owned ones').
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, DecodeError> {
    // `simdutf8` hands short input to the standard library, whose check
    // takes ASCII a word at a time; only an error is looked at twice.
    match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(_) => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text),
            Err(e) => Err(DecodeError::InvalidUtf8 {
                offset: e.valid_up_to() as u64,
            }),
        },
    }
}

/// The bytes `simdutf8` checks with SIMD at once; shorter input goes to
/// the standard library's check, byte by byte until the input is aligned.
const SIMD_WINDOW: usize = 64;

/// The first `len` bytes of `bytes` as `str`, as [`utf8`] would give them,
/// cheaper for a short prefix of a long buffer (a line of a batch).
///
/// Without `unsafe`, a `&str` comes only from a UTF-8 check of exactly its
/// bytes or of a `str` that holds them. A short prefix is checked by the
/// standard library byte by byte wherever the line does not start on a
/// word boundary; `simdutf8` checks a whole [`SIMD_WINDOW`] of the buffer
/// in a few vector instructions, and the line is then cut out of that
/// `str` (a boundary test of one byte). If the window is not UTF-8 (a bad
/// byte past the line), the line alone is checked.
#[inline]
pub(crate) fn utf8_prefix(bytes: &[u8], len: usize) -> Result<&str, DecodeError> {
    if len < SIMD_WINDOW {
        // The window, ended on a character boundary: a character cut at
        // its end would fail the check.
        let mut end = SIMD_WINDOW;
        while bytes.get(end).is_some_and(|&b| b & 0xC0 == 0x80) && end < SIMD_WINDOW + 3 {
            end += 1;
        }
        if let Some(window) = bytes.get(..end) {
            if let Some(prefix) = simdutf8::basic::from_utf8(window)
                .ok()
                .and_then(|text| text.get(..len))
            {
                return Ok(prefix);
            }
        }
    }
    utf8(bytes.split_at(len.min(bytes.len())).0)
}

/// `Ok` if `bytes` are UTF-8, else the offset of the first bad byte.
fn validate(bytes: &[u8]) -> Result<(), DecodeError> {
    // ASCII is UTF-8: the word-at-a-time ASCII check is several times
    // cheaper than full validation on the short lines of chat and console
    // protocols; `simdutf8` is the fast check for the rest, and the
    // standard library's finds the offset of an error.
    if bytes.is_ascii() || simdutf8::basic::from_utf8(bytes).is_ok() {
        return Ok(());
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) => Err(DecodeError::InvalidUtf8 {
            offset: e.valid_up_to() as u64,
        }),
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::new()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Byte order, which for UTF-8 is the order of `str` (code points).
impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Hashes as the `str` does, as [`Borrow<str>`] requires.
impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
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
        self.as_bytes()
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

/// Takes over the `String`'s allocation, without copying.
impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Repr::Shared(Bytes::from(s)))
    }
}

/// Copies the string: inline if short, else into one new allocation.
impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(
            Repr::inline(s.as_bytes())
                .unwrap_or_else(|| Repr::Shared(Bytes::copy_from_slice(s.as_bytes()))),
        )
    }
}

/// [`Text::into_bytes`].
impl From<Text> for Bytes {
    fn from(t: Text) -> Bytes {
        t.into_bytes()
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
/// assert_eq!(sockwire::dump::lossy(b"ok\xff"), "ok\u{fffd}");
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
/// assert_eq!(sockwire::builtin::upper_reply(" x y\r\n"), "X Y");
/// ```
#[must_use]
pub fn upper_reply(text: &str) -> String {
    text.trim_matches(|c: char| c.is_ascii_whitespace())
        .to_uppercase()
}

/// Codec for text datagrams (PROTOCOLS.md §1): one datagram, one UTF-8
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

    #[test]
    fn take_cuts_the_text_at_len_and_consumes_n_either_way() {
        for size in [3, Text::INLINE_CAPACITY + 5] {
            let mut buf = BytesMut::from("a".repeat(size).as_bytes());
            buf.extend_from_slice(b"\r\nrest");
            let text = Text::take(&mut buf, size + 2, size).unwrap();
            assert_eq!(text.len(), size);
            assert_eq!(&buf[..], b"rest");
            let mut bad = BytesMut::from("b".repeat(size).as_bytes());
            bad.extend_from_slice(b"\xff!");
            let err = Text::take(&mut bad, size + 1, size + 1);
            assert_eq!(
                err,
                Err(DecodeError::InvalidUtf8 {
                    offset: size as u64
                })
            );
            assert_eq!(&bad[..], b"!");
        }
    }

    #[test]
    fn inline_and_shared_texts_compare_and_hash_as_their_str() {
        use std::collections::HashMap;
        let inline = Text::from("key");
        let shared = Text::from(String::from("key"));
        assert!(inline.is_inline() && !shared.is_inline());
        assert_eq!(inline, shared);
        assert_eq!(inline.cmp(&shared), std::cmp::Ordering::Equal);
        let mut map = HashMap::new();
        map.insert(inline, 1);
        assert_eq!(map.get("key"), Some(&1), "Hash agrees with str's");
        assert_eq!(map.get(&shared), Some(&1));
        let (a, ab) = (Text::from("a"), Text::from(String::from("ab")));
        assert!(a < ab);
        assert_eq!(Text::new(), Text::default());
        assert!(Text::new().is_empty() && Text::new().is_inline());
        assert_eq!(std::mem::size_of::<Text>(), 40);
    }
}
