//! The framing traits every codec of the crate implements.
//!
//! They have the shape Rust users know from `tokio_util::codec`, without
//! depending on tokio: a stream [`Decoder`] turns a growing [`BytesMut`] into
//! messages, answering `Ok(None)` when it needs more input; an [`Encoder`]
//! appends one message to a [`BytesMut`]. Datagram protocols use
//! [`DatagramDecoder`] and [`DatagramEncoder`]: one datagram is one message.
//!
//! None of them does I/O. The caller reads from a socket into the buffer,
//! calls `decode` until it answers `Ok(None)`, and reads again.
//!
//! The codecs that implement them, one per protocol (each re-exported at
//! the crate root):
//!
//! | § | codec | message |
//! |---|---|---|
//! | 1 | [`TextDatagramCodec`](crate::TextDatagramCodec) | [`Text`](crate::Text) |
//! | 2 | [`TextStreamCodec`](crate::TextStreamCodec) | [`Text`](crate::Text) |
//! | 3 | [`LineCodec`](crate::LineCodec) | [`Text`](crate::Text) |
//! | 4 | [`FixedPacketCodec`](crate::FixedPacketCodec) | [`FixedPacket`](crate::FixedPacket) |
//! | 5 | [`VariablePacketCodec`](crate::VariablePacketCodec) | [`VariablePacket`](crate::VariablePacket) |
//! | 6 | `app::AppCodec` (feature `json`) | `app::AppMessage` |
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::{Decoder, LineCodec};
//!
//! let mut codec = LineCodec::new();
//! let mut buf = BytesMut::new();
//! buf.extend_from_slice(b"hel");
//! assert_eq!(codec.decode(&mut buf)?, None); // need more input
//! buf.extend_from_slice(b"lo\r\nwor");
//! assert_eq!(codec.decode(&mut buf)?.as_deref(), Some("hello"));
//! assert_eq!(codec.decode(&mut buf)?, None);
//! buf.extend_from_slice(b"ld");
//! // the peer closed: an unterminated last line is still a line
//! assert_eq!(codec.decode_eof(&mut buf)?.as_deref(), Some("world"));
//! # Ok::<(), sockwire::DecodeError>(())
//! ```
//!
//! # Borrowed decoding
//!
//! Every stream codec also implements [`BorrowDecoder`]: `decode_with`
//! finds the next whole message as `decode` would, lends it to a closure as
//! a view of the buffer (`&str`, [`VariablePacketRef`](crate::VariablePacketRef),
//! [`FixedPacketRef`](crate::FixedPacketRef), `app::AppMessageRef`), and
//! consumes its bytes when the closure returns. No refcounted split, no
//! copy, no allocation (the §6 header's strings are slices of the buffer
//! too, unless they hold a JSON escape), and no `unsafe`.
//!
//! The shape is a closure rather than an httparse-style parse function
//! that returns the view and a length to consume: the codecs are state
//! machines (a scan position, a header already taken, a skip in progress,
//! the stream offset for errors), and with a closure the codec itself
//! advances the buffer in step with that state, so a caller can neither
//! forget to consume nor consume a different count. It keeps [`Decoder`]'s
//! contract (`&mut BytesMut` in, `Ok(None)` for more input, an `_eof`
//! twin) and shares each codec's state machine, so the two paths give the
//! same messages and errors and can be mixed call by call. The view type is
//! a generic associated type, `BorrowDecoder::View<'a>`, so a generic
//! caller (a connection loop) can hand `D::View<'_>` to a handler that
//! writes its reply before the next message is decoded.
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::{BorrowDecoder, VariablePacketCodec};
//!
//! let mut codec = VariablePacketCodec::new();
//! let mut buf = BytesMut::from(&b"\x01\x00\x00\x00\x02\x00\x00\x00\x05hi"[..]);
//! let mut replies = Vec::new();
//! while let Some(()) = codec.decode_with(&mut buf, |p| replies.push((p.order(), p.payload().len())))? {}
//! assert_eq!(replies, [(5, 2)]);
//! # Ok::<(), sockwire::DecodeError>(())
//! ```
//!
//! # Error types
//!
//! Each trait names its error type, as tokio-util's do: every codec of the
//! crate uses [`DecodeError`](crate::DecodeError) and
//! [`EncodeError`], and a codec of another protocol
//! uses its own types. A decoder's error must convert from [`Truncated`]
//! (the stream ended inside a message), so that the default
//! [`Decoder::decode_eof`] can report leftover bytes; a server that goes on
//! after an error asks [`Recoverable`](crate::Recoverable).

use bytes::{Bytes, BytesMut};

use crate::{EncodeError, Truncated};

pub(crate) mod fixed;
pub(crate) mod line;
pub(crate) mod text;
pub(crate) mod utf8;
pub(crate) mod variable;

/// Decodes messages from a byte stream.
///
/// `decode` is called with everything received and not yet consumed. It
/// either splits one message off the front of `src` and returns it, or
/// returns `Ok(None)` and leaves in `src` what it must see again. On an
/// error it has consumed the offending bytes; the error's
/// [`Recoverable::is_recoverable`](crate::Recoverable::is_recoverable)
/// says whether decoding can go on.
///
/// Every decoder of this crate yields the same messages and errors however
/// the stream is split into reads, and never holds more than its configured
/// limit of an unfinished message.
pub trait Decoder {
    /// The message type.
    type Item;

    /// What the decoder reports when the input breaks the protocol
    /// ([`DecodeError`](crate::DecodeError) for every codec of the crate).
    type Error: From<Truncated>;

    /// Decodes the next message from `src`, if a whole one is there.
    ///
    /// # Errors
    ///
    /// When the input breaks the protocol; the offending bytes are gone
    /// from `src`.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error>;

    /// Decodes the next message once the peer has closed its side.
    ///
    /// Call it repeatedly until it returns `Ok(None)`. The default decodes
    /// normally, and reports [`Truncated`] (converted into
    /// [`Self::Error`](Decoder::Error)) if bytes of an unfinished message
    /// remain, and drops them.
    ///
    /// # Errors
    ///
    /// Those of [`decode`](Decoder::decode), and [`Truncated`] for an
    /// unfinished message.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        let decoded = self.decode(src)?;
        end_of_input(decoded, src)
    }
}

/// Decodes messages from a byte stream as views that borrow the input.
///
/// The borrowed twin of [`Decoder::decode`]: `decode_with` finds the next
/// whole message in `src` exactly as `decode` would, hands `f` a view of it
/// that borrows `src` (a `&str` line, a
/// [`VariablePacketRef`](crate::VariablePacketRef), ...), and consumes the
/// message's bytes once `f` returns. Nothing is split off, refcounted,
/// copied or allocated; what the caller keeps is what `f` returns.
///
/// Both paths share one state machine: they yield the same messages, in
/// the same order, with the same limits, errors (consuming the same
/// offending bytes), recovery and end-of-stream behaviour, however the
/// stream is split into reads, and a caller may mix them call by call.
///
/// Why a closure rather than a returned view and a length to consume, and
/// how a generic caller names the view (`D::View<'_>`): see the
/// [module docs](self#borrowed-decoding).
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{BorrowDecoder, LineCodec};
///
/// let mut codec = LineCodec::new();
/// let mut buf = BytesMut::from(&b"hello\r\nwor"[..]);
/// let len = codec.decode_with(&mut buf, |line: &str| line.len())?;
/// assert_eq!(len, Some(5));
/// assert_eq!(&buf[..], b"wor"); // the line and its CR LF are consumed
/// assert_eq!(codec.decode_with(&mut buf, |line| line.len())?, None);
/// // the peer closed: the unterminated last line is still a line
/// let last = codec.decode_eof_with(&mut buf, |line| line.to_uppercase())?;
/// assert_eq!(last.as_deref(), Some("WOR"));
/// # Ok::<(), sockwire::DecodeError>(())
/// ```
pub trait BorrowDecoder: Decoder {
    /// The view of one message, borrowing the input buffer for `'a`.
    type View<'a>;

    /// Decodes the next message from `src`, if a whole one is there, and
    /// returns what `f` makes of its view; the message's bytes are consumed
    /// after `f` returns.
    ///
    /// # Errors
    ///
    /// Those of [`Decoder::decode`], for the same input; `f` is not called
    /// and the offending bytes are gone from `src`.
    fn decode_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(Self::View<'_>) -> R,
    ) -> Result<Option<R>, Self::Error>;

    /// Like [`decode_with`](BorrowDecoder::decode_with) once the peer has
    /// closed its side, as [`Decoder::decode_eof`] is to `decode`: call it
    /// until it returns `Ok(None)`. The default reports [`Truncated`] for
    /// the bytes of an unfinished message, and drops them.
    ///
    /// # Errors
    ///
    /// Those of [`Decoder::decode_eof`], for the same input.
    fn decode_eof_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(Self::View<'_>) -> R,
    ) -> Result<Option<R>, Self::Error> {
        let decoded = self.decode_with(src, f)?;
        end_of_input(decoded, src)
    }
}

/// The default end of a stream, once the last decode is done: what it
/// decoded, else nothing if no bytes are left, else [`Truncated`] for
/// the bytes of an unfinished message (dropped).
fn end_of_input<T, E: From<Truncated>>(
    decoded: Option<T>,
    src: &mut BytesMut,
) -> Result<Option<T>, E> {
    match decoded {
        Some(item) => Ok(Some(item)),
        None if src.is_empty() => Ok(None),
        None => {
            let pending = src.len() as u64;
            src.clear();
            Err(Truncated { pending }.into())
        }
    }
}

/// Encodes messages onto a byte stream.
///
/// `encode` appends the wire form of `item` to `dst`. When it fails, `dst`
/// is left as it was.
pub trait Encoder<Item> {
    /// Why an item cannot be encoded ([`EncodeError`]
    /// for every codec of the crate).
    type Error;

    /// Appends the encoding of `item` to `dst`.
    ///
    /// # Errors
    ///
    /// When `item` cannot be put on the wire; `dst` is unchanged.
    fn encode(&mut self, item: Item, dst: &mut BytesMut) -> Result<(), Self::Error>;
}

/// Decodes one message from one datagram.
pub trait DatagramDecoder {
    /// The message type.
    type Item;

    /// What the decoder reports when a datagram breaks the protocol
    /// ([`DecodeError`](crate::DecodeError) for §1; the room wires'
    /// own `WireError` and `LabWireError`, which name the field at fault).
    type Error;

    /// Decodes the message carried by `datagram`.
    ///
    /// Takes the datagram as [`Bytes`] so that a payload can be kept
    /// without copying it.
    ///
    /// # Errors
    ///
    /// When the datagram breaks the protocol (only that datagram is lost).
    fn decode_datagram(&mut self, datagram: Bytes) -> Result<Self::Item, Self::Error>;
}

/// Encodes one message as one datagram.
pub trait DatagramEncoder<Item> {
    /// Why an item cannot be encoded ([`EncodeError`], or §8's
    /// `LabWireError::TooLong`).
    type Error;

    /// Appends the datagram for `item` to `dst` (normally empty: one
    /// datagram is sent per call).
    ///
    /// # Errors
    ///
    /// When `item` cannot be put in a datagram; `dst` is then unchanged.
    fn encode_datagram(&mut self, item: Item, dst: &mut BytesMut) -> Result<(), Self::Error>;
}

/// The most a decoder reserves in one step for a message it is waiting for.
///
/// Decoders grow their buffer towards a declared length in steps of at most
/// this size, so memory follows the bytes that actually arrive, not the size
/// a peer claims in a header: an idle connection that sent only a header
/// claiming 1 MiB holds at most 64 KiB more.
pub const RESERVE_STEP: usize = 64 * 1024;

/// Reserves room in `src` towards `needed` bytes in total, at most
/// [`RESERVE_STEP`] more than it holds.
pub(crate) fn reserve_towards(src: &mut BytesMut, needed: usize) {
    let missing = needed.saturating_sub(src.len());
    src.reserve(missing.min(RESERVE_STEP));
}

/// The one "message too large" check of every encoder: `Ok` if a message
/// of `size` bytes fits the limit `max`, else [`EncodeError::TooLarge`]
/// naming both.
pub(crate) fn check_len(size: usize, max: usize) -> Result<(), EncodeError> {
    if size > max {
        return Err(too_large(size, max));
    }
    Ok(())
}

/// The error for a message of `size` bytes over the limit `max`.
pub(crate) fn too_large(size: usize, max: usize) -> EncodeError {
    EncodeError::TooLarge {
        size: size as u64,
        max: max as u64,
    }
}
