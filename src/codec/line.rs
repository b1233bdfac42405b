//! Lines of UTF-8 text terminated by LF (§3), as the TCP chat
//! sends them.
//!
//! | bytes | content |
//! |---|---|
//! | n | the UTF-8 line, at most `max_len` bytes (64 KiB by default) |
//! | 0 or 1 | CR (0x0D), not part of the line |
//! | 1 | LF (0x0A) |
//!
//! `hello` is `68 65 6c 6c 6f 0a` on the wire.
//!
//! A line longer than the limit yields one [`DecodeError::LineTooLong`];
//! the decoder then discards input up to the next LF and goes on. At end of
//! stream an unterminated last line is yielded as a line.
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::{DecodeError, Decoder, Encoder, LineCodec};
//!
//! let mut codec = LineCodec::with_max_len(4);
//! let mut buf = BytesMut::new();
//! codec.encode("hi", &mut buf).unwrap();
//! assert_eq!(&buf[..], b"hi\n");
//! buf.extend_from_slice(b"far too long\nok\r\n");
//! assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("hi"));
//! assert_eq!(codec.decode(&mut buf), Err(DecodeError::LineTooLong { max: 4 }));
//! assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("ok"));
//! # Ok::<(), DecodeError>(())
//! ```

use bytes::{Buf, BytesMut};

use crate::{BorrowDecoder, DecodeError, Decoder, EncodeError, Encoder, Text};

const LF: u8 = b'\n';
const CR: u8 = b'\r';

/// Codec for LF-terminated UTF-8 lines.
///
/// The line's length is counted without its LF and without a CR just before
/// the LF. The decoder never keeps more than `max_len + 1` bytes of an
/// unfinished line, and finds the same lines and errors however the input is
/// split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineCodec {
    max_len: usize,
    /// How far `src` has been searched for an LF already.
    scanned: usize,
    /// Discarding the rest of an over-long line.
    discarding: bool,
    /// Bytes consumed from the stream so far, for error offsets.
    consumed: u64,
}

impl LineCodec {
    /// The default limit: lines of at most 64 KiB.
    pub const DEFAULT_MAX_LEN: usize = 64 * 1024;

    /// A codec with the default limit of
    /// [`DEFAULT_MAX_LEN`](Self::DEFAULT_MAX_LEN) bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self::with_max_len(Self::DEFAULT_MAX_LEN)
    }

    /// A codec that accepts lines of at most `max_len` bytes (not counting
    /// the CR and LF).
    ///
    /// ```
    /// use sockwire::LineCodec;
    /// assert_eq!(LineCodec::with_max_len(80).max_len(), 80);
    /// assert_eq!(LineCodec::new().max_len(), LineCodec::DEFAULT_MAX_LEN);
    /// ```
    #[must_use]
    pub const fn with_max_len(max_len: usize) -> Self {
        LineCodec {
            max_len,
            scanned: 0,
            discarding: false,
            consumed: 0,
        }
    }

    /// The longest line accepted, in bytes.
    #[must_use]
    pub const fn max_len(&self) -> usize {
        self.max_len
    }

    /// Drops the first `n` bytes of `src`.
    fn drop_front(&mut self, src: &mut BytesMut, n: usize) {
        src.advance(n.min(src.len()));
        self.consumed += n as u64;
        self.scanned = 0;
    }

    /// Takes the first `n` bytes of `src` as a line of `len` bytes (the
    /// rest being CR and LF), checking that it is UTF-8.
    fn take_line(&mut self, src: &mut BytesMut, n: usize, len: usize) -> Result<Text, DecodeError> {
        let start = self.consumed;
        self.consumed += n as u64;
        self.scanned = 0;
        Text::take(src, n, len).map_err(|e| match e {
            DecodeError::InvalidUtf8 { offset } => DecodeError::InvalidUtf8 {
                offset: start + offset,
            },
            other => other,
        })
    }
}

impl Default for LineCodec {
    fn default() -> Self {
        Self::new()
    }
}

impl LineCodec {
    /// Finds the next whole line in `src`: `(n, len)`, the line's `n` bytes
    /// with its CR and LF and its `len` bytes without them, left in `src`
    /// for the caller to take. Discarded and over-long input is consumed
    /// here. The one state machine of both decode paths.
    #[inline]
    fn next_line(&mut self, src: &mut BytesMut) -> Result<Option<(usize, usize)>, DecodeError> {
        loop {
            let from = self.scanned.min(src.len());
            let newline = src
                .get(from..)
                .and_then(|rest| memchr::memchr(LF, rest))
                .map(|i| from + i);
            match newline {
                Some(lf) => {
                    if self.discarding {
                        self.drop_front(src, lf + 1);
                        self.discarding = false;
                        continue;
                    }
                    let len = if lf > 0 && src.get(lf - 1) == Some(&CR) {
                        lf - 1
                    } else {
                        lf
                    };
                    if len > self.max_len {
                        self.drop_front(src, lf + 1);
                        return Err(DecodeError::LineTooLong { max: self.max_len });
                    }
                    return Ok(Some((lf + 1, len)));
                }
                None if self.discarding => {
                    let n = src.len();
                    self.drop_front(src, n);
                    return Ok(None);
                }
                // More than max + 1 bytes without an LF: even if the last
                // one is a CR, the line is too long.
                None if src.len() > self.max_len.saturating_add(1) => {
                    let n = src.len();
                    self.drop_front(src, n);
                    self.discarding = true;
                    return Err(DecodeError::LineTooLong { max: self.max_len });
                }
                None => {
                    self.scanned = src.len();
                    return Ok(None);
                }
            }
        }
    }

    /// At the end of the stream, after [`next_line`](Self::next_line)
    /// found no whole line: `(n, n)` for an unterminated last line (at
    /// most max + 1 bytes, by `next_line`), `None` if nothing is left.
    fn last_line(&mut self, src: &mut BytesMut) -> Result<Option<(usize, usize)>, DecodeError> {
        if src.is_empty() {
            self.discarding = false;
            return Ok(None);
        }
        let n = src.len();
        if n > self.max_len {
            self.drop_front(src, n);
            return Err(DecodeError::LineTooLong { max: self.max_len });
        }
        Ok(Some((n, n)))
    }

    /// Lends the first `len` of the first `n` bytes of `src` to `f` as a
    /// line, then consumes the `n` bytes (whether or not they are UTF-8).
    #[inline]
    fn lend_line<R>(
        &mut self,
        src: &mut BytesMut,
        n: usize,
        len: usize,
        f: impl FnOnce(&str) -> R,
    ) -> Result<R, DecodeError> {
        let start = self.consumed;
        let n = n.min(src.len());
        self.consumed += n as u64;
        self.scanned = 0;
        let answer = match crate::codec::utf8::utf8_prefix(src, len.min(n)) {
            Ok(line) => Ok(f(line)),
            Err(DecodeError::InvalidUtf8 { offset }) => Err(DecodeError::InvalidUtf8 {
                offset: start + offset,
            }),
            Err(other) => Err(other),
        };
        src.advance(n);
        answer
    }
}

impl Decoder for LineCodec {
    type Item = Text;
    type Error = DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Text>, DecodeError> {
        match self.next_line(src)? {
            Some((n, len)) => self.take_line(src, n, len).map(Some),
            None => Ok(None),
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Text>, DecodeError> {
        if let Some(line) = self.decode(src)? {
            return Ok(Some(line));
        }
        match self.last_line(src)? {
            Some((n, len)) => self.take_line(src, n, len).map(Some),
            None => Ok(None),
        }
    }
}

/// Each line as a `&str` borrowing the input, without its CR and LF: the
/// same lines and errors as [`Decoder`], with no copy, no shared buffer and
/// one UTF-8 check.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{BorrowDecoder, DecodeError, LineCodec};
///
/// let mut codec = LineCodec::with_max_len(4);
/// let mut buf = BytesMut::from(&b"hi\r\nfar too long\nok"[..]);
/// assert_eq!(codec.decode_with(&mut buf, str::len)?, Some(2));
/// assert_eq!(
///     codec.decode_with(&mut buf, str::len),
///     Err(DecodeError::LineTooLong { max: 4 })
/// );
/// assert_eq!(codec.decode_with(&mut buf, str::len)?, None);
/// assert_eq!(codec.decode_eof_with(&mut buf, |l| l == "ok")?, Some(true));
/// # Ok::<(), DecodeError>(())
/// ```
impl BorrowDecoder for LineCodec {
    type View<'a> = &'a str;

    #[inline]
    fn decode_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(&str) -> R,
    ) -> Result<Option<R>, DecodeError> {
        match self.next_line(src)? {
            Some((n, len)) => self.lend_line(src, n, len, f).map(Some),
            None => Ok(None),
        }
    }

    fn decode_eof_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(&str) -> R,
    ) -> Result<Option<R>, DecodeError> {
        if let Some((n, len)) = self.next_line(src)? {
            return self.lend_line(src, n, len, f).map(Some);
        }
        match self.last_line(src)? {
            Some((n, len)) => self.lend_line(src, n, len, f).map(Some),
            None => Ok(None),
        }
    }
}

/// Writes the line and its LF: a `&str`, a `String`, a [`Text`] or
/// anything else that is `AsRef<str>`. A line that itself ends with CR is
/// written with CR CR LF: the decoder strips the one CR before the LF, so
/// the line reads back whole.
///
/// # Errors
///
/// [`EncodeError::NewlineInLine`] (at the first LF) if the line holds an
/// LF, else [`EncodeError::TooLarge`] if it is longer than the limit. `dst`
/// holds the same bytes then (room for a long line may have been reserved).
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{Encoder, LineCodec, Text};
/// let mut codec = LineCodec::new();
/// let mut buf = BytesMut::new();
/// codec.encode("a\r", &mut buf)?;
/// codec.encode(String::from("b"), &mut buf)?;
/// codec.encode(Text::from("c"), &mut buf)?;
/// assert_eq!(&buf[..], b"a\r\r\nb\nc\n");
/// # Ok::<(), sockwire::EncodeError>(())
/// ```
impl<T: AsRef<str>> Encoder<T> for LineCodec {
    type Error = EncodeError;

    #[inline]
    fn encode(&mut self, item: T, dst: &mut BytesMut) -> Result<(), EncodeError> {
        // A `str` is UTF-8 already: the only checks left are the LF and
        // the length.
        let line = item.as_ref().as_bytes();
        if line.len() > CHUNK {
            put_long(line, self.max_len, dst)?;
        } else {
            if let Some(offset) = find_lf(line) {
                return Err(EncodeError::NewlineInLine { offset });
            }
            crate::codec::check_len(line.len(), self.max_len)?;
            dst.extend_from_slice(line);
        }
        // A line that itself ends with CR gets one more CR before the LF:
        // the decoder strips exactly one, so the line reads back whole.
        // (Two constant-length appends: each copy is a store, not a call.)
        if line.last() == Some(&CR) {
            dst.extend_from_slice(b"\r\n");
        } else {
            dst.extend_from_slice(b"\n");
        }
        Ok(())
    }
}

/// Lines up to this long are checked for an LF by a plain loop, longer
/// ones by `memchr`.
const SHORT_LINE: usize = 64;

/// Lines longer than this are searched and copied a chunk of this many
/// bytes at a time (see [`put_long`]).
const CHUNK: usize = 2 * 1024;

/// The offset of the first LF in `line`, if any. A short line, the common
/// case, is first checked by a loop with no early exit, which the compiler
/// turns into a few vector compares and no call, and searched only if it
/// has one; a long one goes to `memchr`'s SIMD search at once.
#[inline]
fn find_lf(line: &[u8]) -> Option<usize> {
    if line.len() <= SHORT_LINE && !line.iter().fold(false, |lf, &b| lf | (b == LF)) {
        return None;
    }
    memchr::memchr(LF, line)
}

/// Appends a line longer than [`CHUNK`] to `dst`, with room for its CR
/// and LF reserved once, if it holds no LF and is within `max_len`.
///
/// Searching the whole line and then copying it reads it twice: a 64 KiB
/// line does not stay in L1 between the two, and the encoder ran at 0.7x
/// `LinesCodec`'s (which only copies). Here each chunk is searched and then
/// copied while it is still in L1, so the line is read from memory once
/// (0.8x to 0.9x; what is left is the second pass over L1, which safe
/// code cannot fuse with the copy: no writing into spare capacity). The
/// chunk is small enough that glibc copies it with its vector loop rather
/// than `rep movsb` (used from 2112 bytes on the machine measured), whose
/// speed there swung 2x with the buffers' alignment; 1 and 2 KiB chunks
/// measured the same, 4 to 16 KiB slower, copying first and searching
/// after slower too. On an LF, `dst` is truncated back to the bytes it
/// held.
fn put_long(line: &[u8], max_len: usize, dst: &mut BytesMut) -> Result<(), EncodeError> {
    if line.len() > max_len {
        // An LF is reported before the length, as for a short line.
        return Err(match memchr::memchr(LF, line) {
            Some(offset) => EncodeError::NewlineInLine { offset },
            None => crate::codec::too_large(line.len(), max_len),
        });
    }
    let start = dst.len();
    // Exactly what is written, so that a buffer sized for the stream is
    // not grown (and moved) for a byte it will not need.
    dst.reserve(line.len() + 1 + usize::from(line.last() == Some(&CR)));
    let mut done = 0;
    for chunk in line.chunks(CHUNK) {
        if let Some(i) = memchr::memchr(LF, chunk) {
            dst.truncate(start);
            return Err(EncodeError::NewlineInLine { offset: done + i });
        }
        dst.extend_from_slice(chunk);
        done += chunk.len();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_resumes_where_the_last_call_stopped() {
        let mut codec = LineCodec::with_max_len(16);
        let mut buf = BytesMut::from(&b"abc"[..]);
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert_eq!(codec.scanned, 3);
        buf.extend_from_slice(b"de");
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert_eq!(codec.scanned, 5);
        buf.extend_from_slice(b"\nf");
        assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("abcde"));
        assert_eq!(codec.scanned, 0, "reset once the line is taken");
        assert_eq!(codec.consumed, 6);
    }

    #[test]
    fn discarding_ends_at_the_next_lf() {
        let mut codec = LineCodec::with_max_len(2);
        let mut buf = BytesMut::from(&b"abcd"[..]);
        assert_eq!(
            codec.decode(&mut buf),
            Err(DecodeError::LineTooLong { max: 2 })
        );
        assert!(codec.discarding);
        buf.extend_from_slice(b"ef");
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert!(codec.discarding);
        buf.extend_from_slice(b"g\nhi\n");
        assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("hi"));
        assert!(!codec.discarding);
        assert_eq!(codec.consumed, 11);
    }

    #[test]
    fn borrowed_short_line_is_right_whatever_follows_in_the_window() {
        // The borrowed path checks a 64-byte window at once; what follows
        // the line there (a bad byte, a character cut at the window's end)
        // must not change the line or its error.
        let mut tails: Vec<Vec<u8>> = vec![b"\xff".to_vec(), "ã".repeat(40).into_bytes()];
        for cut in 1..4 {
            let mut t = vec![b'a'; 64 - 3 - cut];
            t.extend_from_slice(&"🦀".as_bytes()[..cut]);
            tails.push(t);
        }
        for tail in tails {
            for line in [&b"ok"[..], b"a\xc3\xa3", b"b\xffad"] {
                let mut wire = line.to_vec();
                wire.push(b'\n');
                wire.extend_from_slice(&tail);
                let mut owned = BytesMut::from(&wire[..]);
                let mut lent = owned.clone();
                let want = LineCodec::new()
                    .decode(&mut owned)
                    .map(|t| t.map(|t| t.to_string()));
                let got = LineCodec::new().decode_with(&mut lent, str::to_owned);
                assert_eq!(got, want, "line {line:?}");
                assert_eq!(lent, owned);
            }
        }
    }

    /// Line lengths around each place the encoder changes strategy: the
    /// short-line loop, one chunk, and a chunk boundary inside a long line.
    fn encode_lengths() -> Vec<usize> {
        let mut lens = vec![0, 1, 2];
        for edge in [
            SHORT_LINE,
            CHUNK,
            2 * CHUNK,
            3 * CHUNK,
            LineCodec::DEFAULT_MAX_LEN,
        ] {
            lens.extend([edge - 1, edge, edge + 1]);
        }
        lens.push(2 * CHUNK + CHUNK / 2);
        lens
    }

    /// What `dst` held before the failed encode, to check it still does.
    const HELD: &[u8] = b"earlier\n";

    #[test]
    fn encode_finds_the_first_lf_at_and_around_chunk_boundaries() {
        let max = 4 * CHUNK;
        for len in encode_lengths().into_iter().filter(|&l| l > 0 && l <= max) {
            let mut at: Vec<usize> = vec![0, len / 2, len - 1];
            for edge in [SHORT_LINE, CHUNK, 2 * CHUNK, 3 * CHUNK] {
                at.extend([edge - 1, edge, edge + 1].into_iter().filter(|&a| a < len));
            }
            for lf in at {
                let mut line = vec![b'a'; len];
                line[lf] = LF;
                // a second LF later must not win over the first
                if lf + CHUNK < len {
                    line[lf + CHUNK] = LF;
                }
                let line = String::from_utf8(line).unwrap();
                let mut dst = BytesMut::from(HELD);
                let got = LineCodec::with_max_len(max).encode(line.as_str(), &mut dst);
                assert_eq!(
                    got,
                    Err(EncodeError::NewlineInLine { offset: lf }),
                    "len {len}, LF at {lf}"
                );
                assert_eq!(&dst[..], HELD, "len {len}, LF at {lf}");
            }
        }
    }

    #[test]
    fn encode_writes_every_length_whole_with_one_more_cr_after_a_cr() {
        for len in encode_lengths() {
            for last in [b'z', CR] {
                let mut line: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                if let Some(end) = line.last_mut() {
                    *end = last;
                }
                let line = String::from_utf8(line).unwrap();
                let mut dst = BytesMut::from(HELD);
                LineCodec::with_max_len(len)
                    .encode(line.as_str(), &mut dst)
                    .unwrap();
                let mut want = HELD.to_vec();
                want.extend_from_slice(line.as_bytes());
                if len > 0 && last == CR {
                    want.push(CR);
                }
                want.push(LF);
                assert!(dst[..] == want[..], "len {len}, last {last}");
                dst.advance(HELD.len());
                let back = LineCodec::with_max_len(len).decode(&mut dst).unwrap();
                assert_eq!(back.as_deref(), Some(line.as_str()), "len {len}");
                assert!(dst.is_empty());
            }
        }
    }

    #[test]
    fn encode_of_a_long_line_checks_the_lf_then_the_length() {
        for len in [CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 5] {
            for max in [0, CHUNK, len - 1] {
                let line = "a".repeat(len);
                let mut dst = BytesMut::from(HELD);
                assert_eq!(
                    LineCodec::with_max_len(max).encode(line.as_str(), &mut dst),
                    Err(EncodeError::TooLarge {
                        size: len as u64,
                        max: max as u64
                    })
                );
                assert_eq!(&dst[..], HELD);
                let mut line = line.into_bytes();
                line[len - 1] = LF;
                let line = String::from_utf8(line).unwrap();
                assert_eq!(
                    LineCodec::with_max_len(max).encode(line.as_str(), &mut dst),
                    Err(EncodeError::NewlineInLine { offset: len - 1 })
                );
                assert_eq!(&dst[..], HELD);
            }
            let line = "a".repeat(len);
            let mut dst = BytesMut::new();
            LineCodec::with_max_len(len)
                .encode(line.as_str(), &mut dst)
                .unwrap();
            assert_eq!(dst.len(), len + 1);
        }
    }

    #[test]
    fn decode_eof_leaves_the_codec_fresh_for_the_next_stream() {
        let mut codec = LineCodec::with_max_len(2);
        let mut buf = BytesMut::from(&b"abcd"[..]);
        assert!(codec.decode(&mut buf).is_err());
        assert_eq!(codec.decode_eof(&mut buf), Ok(None));
        assert!(!codec.discarding);
        assert_eq!(codec.scanned, 0);
    }
}
