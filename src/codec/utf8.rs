//! UTF-8 text: the [`Text`] type every text codec yields, and the
//! crate's UTF-8 checks (owned and borrowed).

use std::borrow::Borrow;
use std::convert::Infallible;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::{Buf, Bytes, BytesMut};

use crate::DecodeError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
