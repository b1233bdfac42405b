//! The variable packet (§5): Python's
//! `struct.pack('!BLL', version, size, order) + payload`.
//!
//! | offset | bytes | field | meaning |
//! |---:|---:|---|---|
//! | 0 | 1 | version | `1` |
//! | 1 | 4 | size | payload bytes that follow, big-endian |
//! | 5 | 4 | order | sequence number, big-endian |
//! | 9 | size | payload | the text (or any bytes), no padding, no terminator |
//!
//! Mind the field order: *size before order*, unlike the fixed packet.
//!
//! A header whose size is over the limit (1 MiB by default) yields
//! [`DecodeError::FrameTooLarge`] at once, before the payload arrives; the
//! decoder then skips exactly that many bytes without storing them and goes
//! on with the next header.
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::{Decoder, Encoder, VariablePacket, VariablePacketCodec};
//!
//! let mut codec = VariablePacketCodec::new();
//! let mut buf = BytesMut::new();
//! codec.encode(VariablePacket::new(1, "hello"), &mut buf)?;
//! assert_eq!(&buf[..], b"\x01\x00\x00\x00\x05\x00\x00\x00\x01hello");
//!
//! let packet = codec.decode(&mut buf)?.unwrap();
//! assert_eq!((packet.order(), packet.text()?), (1, "hello"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Borrow;

use bytes::{Buf, BytesMut};

use crate::{BorrowDecoder, DecodeError, Decoder, EncodeError, Encoder};

mod packet;

pub use packet::{VariablePacket, VariablePacketRef};

/// The largest payload the header's 32-bit `size` can announce, as a
/// `usize` (all of `usize` on a target whose `usize` is narrower).
const MAX_WIRE_LEN: usize = if usize::BITS > u32::BITS {
    u32::MAX as usize
} else {
    usize::MAX
};

const HEADER_LEN: usize = VariablePacket::HEADER_LEN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a 9-byte header.
    Header,
    /// Header read; waiting for `size` payload bytes.
    Payload {
        version: u8,
        order: u32,
        size: usize,
    },
    /// Skipping the payload of an oversize frame.
    Skip { size: u64, remaining: u64 },
}

/// Stream codec for variable packets, with a maximum payload size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariablePacketCodec {
    /// At most `MAX_WIRE_LEN`, so that every payload it admits has a size
    /// the header can carry.
    max_len: usize,
    state: State,
}

impl VariablePacketCodec {
    /// The default limit: payloads of at most 1 MiB.
    pub const DEFAULT_MAX_LEN: usize = 1024 * 1024;

    /// A codec with the default limit of
    /// [`DEFAULT_MAX_LEN`](Self::DEFAULT_MAX_LEN) bytes.
    #[must_use]
    pub const fn new() -> Self {
        Self::with_max_len(Self::DEFAULT_MAX_LEN)
    }

    /// A codec that accepts payloads of at most `max_len` bytes. The header
    /// cannot announce more than `u32::MAX`, so a higher limit is capped
    /// there.
    ///
    /// ```
    /// use sockwire::VariablePacketCodec;
    /// assert_eq!(VariablePacketCodec::with_max_len(64).max_len(), 64);
    /// assert_eq!(VariablePacketCodec::with_max_len(usize::MAX).max_len() as u64, u64::from(u32::MAX));
    /// ```
    #[must_use]
    pub const fn with_max_len(max_len: usize) -> Self {
        VariablePacketCodec {
            max_len: if max_len < MAX_WIRE_LEN {
                max_len
            } else {
                MAX_WIRE_LEN
            },
            state: State::Header,
        }
    }

    /// The largest payload accepted, in bytes.
    #[must_use]
    pub const fn max_len(&self) -> usize {
        self.max_len
    }
}

impl Default for VariablePacketCodec {
    fn default() -> Self {
        Self::new()
    }
}

/// Where the next whole packet lies in the input, found by
/// `VariablePacketCodec::next_packet` and not yet consumed.
#[derive(Debug, Clone, Copy)]
struct Frame {
    version: u8,
    order: u32,
    /// Where the payload starts in the input: after the header, or at 0
    /// when the header was consumed by an earlier call.
    at: usize,
    size: usize,
}

impl VariablePacketCodec {
    /// Finds the next whole packet in `src`, leaving its bytes there for
    /// the caller to take (the codec is back in the header state); headers
    /// of unfinished packets and skipped frames are consumed here. The one
    /// state machine of both decode paths.
    #[inline(always)]
    fn next_packet(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, DecodeError> {
        loop {
            match self.state {
                State::Header => {
                    let Some(header) = src.first_chunk::<{ VariablePacket::HEADER_LEN }>() else {
                        return Ok(None);
                    };
                    let mut header = &header[..];
                    let version = header.get_u8();
                    let size = header.get_u32();
                    let order = header.get_u32();
                    let Some(size) = usize::try_from(size).ok().filter(|&s| s <= self.max_len)
                    else {
                        src.advance(HEADER_LEN);
                        self.state = State::Skip {
                            size: u64::from(size),
                            remaining: u64::from(size),
                        };
                        return Err(DecodeError::FrameTooLarge {
                            size: u64::from(size),
                            max: self.max_len as u64,
                        });
                    };
                    if src.len().saturating_sub(HEADER_LEN) >= size {
                        return Ok(Some(Frame {
                            version,
                            order,
                            at: HEADER_LEN,
                            size,
                        }));
                    }
                    src.advance(HEADER_LEN);
                    self.state = State::Payload {
                        version,
                        order,
                        size,
                    };
                }
                State::Payload {
                    version,
                    order,
                    size,
                } => {
                    if src.len() < size {
                        // Grow in bounded steps: the size is the peer's
                        // claim (checked against max_len), not data.
                        crate::codec::reserve_towards(src, size);
                        return Ok(None);
                    }
                    self.state = State::Header;
                    return Ok(Some(Frame {
                        version,
                        order,
                        at: 0,
                        size,
                    }));
                }
                State::Skip { size, remaining } => {
                    let n = usize::try_from(remaining).map_or(src.len(), |r| r.min(src.len()));
                    src.advance(n);
                    let remaining = remaining - n as u64;
                    if remaining > 0 {
                        self.state = State::Skip { size, remaining };
                        return Ok(None);
                    }
                    self.state = State::Header;
                }
            }
        }
    }

    /// At the end of the stream, after [`next_packet`](Self::next_packet)
    /// found no whole packet: drops what is left and reports it, once; the
    /// codec starts afresh.
    fn end_of_stream(&mut self, src: &mut BytesMut) -> Result<(), DecodeError> {
        let pending = match self.state {
            State::Header => src.len() as u64,
            State::Payload { .. } => (HEADER_LEN + src.len()) as u64,
            State::Skip { size, remaining } => HEADER_LEN as u64 + (size - remaining),
        };
        self.state = State::Header;
        src.clear();
        if pending == 0 {
            Ok(())
        } else {
            Err(DecodeError::UnexpectedEof { pending })
        }
    }
}

impl Frame {
    /// Takes the packet out of `src` as an owned [`VariablePacket`].
    #[inline]
    fn take(self, src: &mut BytesMut) -> VariablePacket {
        // One split, and the header is dropped from the frozen frame,
        // which is cheaper than advancing the `BytesMut`. (`next_packet`
        // saw the whole packet in `src`: the split is in bounds.)
        let mut payload = src.split_to(self.at + self.size).freeze();
        payload.advance(self.at);
        VariablePacket {
            version: self.version,
            order: self.order,
            payload,
        }
    }

    /// Lends the packet to `f` as a [`VariablePacketRef`], then consumes
    /// its bytes.
    #[inline]
    fn lend<R>(self, src: &mut BytesMut, f: impl FnOnce(VariablePacketRef<'_>) -> R) -> R {
        // `next_packet` saw the whole packet in `src`; the clamps only
        // keep the slicing total.
        let end = (self.at + self.size).min(src.len());
        let (frame, _) = src.split_at(end);
        let (_, payload) = frame.split_at(self.at.min(end));
        let answer = f(VariablePacketRef {
            version: self.version,
            order: self.order,
            payload,
        });
        src.advance(end);
        answer
    }
}

impl Decoder for VariablePacketCodec {
    type Item = VariablePacket;
    type Error = DecodeError;

    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<VariablePacket>, DecodeError> {
        Ok(self.next_packet(src)?.map(|frame| frame.take(src)))
    }

    /// Like [`decode`](Decoder::decode); a stream that ends inside a packet
    /// (or inside a skipped oversize frame) gives
    /// [`DecodeError::UnexpectedEof`] once, and the codec starts afresh.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<VariablePacket>, DecodeError> {
        if let Some(packet) = self.decode(src)? {
            return Ok(Some(packet));
        }
        self.end_of_stream(src).map(|()| None)
    }
}

/// Each packet as a [`VariablePacketRef`] whose payload borrows the input:
/// the same packets and errors as [`Decoder`], with no split, no refcount
/// and no copy.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{BorrowDecoder, DecodeError, VariablePacketCodec};
///
/// let mut codec = VariablePacketCodec::with_max_len(8);
/// let mut buf = BytesMut::from(&b"\x01\x00\x00\x00\x02\x00\x00\x00\x07hi\x01\x00\x00"[..]);
/// let got = codec.decode_with(&mut buf, |p| (p.order(), p.payload().to_vec()))?;
/// assert_eq!(got, Some((7, b"hi".to_vec())));
/// assert_eq!(codec.decode_with(&mut buf, |p| p.order())?, None);
/// assert_eq!(
///     codec.decode_eof_with(&mut buf, |p| p.order()),
///     Err(DecodeError::UnexpectedEof { pending: 3 })
/// );
/// # Ok::<(), DecodeError>(())
/// ```
impl BorrowDecoder for VariablePacketCodec {
    type View<'a> = VariablePacketRef<'a>;

    #[inline]
    fn decode_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(VariablePacketRef<'_>) -> R,
    ) -> Result<Option<R>, DecodeError> {
        Ok(self.next_packet(src)?.map(|frame| frame.lend(src, f)))
    }

    fn decode_eof_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(VariablePacketRef<'_>) -> R,
    ) -> Result<Option<R>, DecodeError> {
        if let Some(frame) = self.next_packet(src)? {
            return Ok(Some(frame.lend(src, f)));
        }
        self.end_of_stream(src).map(|()| None)
    }
}

/// Writes the 9-byte header and the payload; takes a [`VariablePacket`] by
/// value or by reference (anything that is `Borrow<VariablePacket>`).
///
/// # Errors
///
/// [`EncodeError::TooLarge`] if the payload is over the codec's limit;
/// `dst` is unchanged then.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{EncodeError, Encoder, VariablePacket, VariablePacketCodec};
/// let mut codec = VariablePacketCodec::with_max_len(4);
/// let packet = VariablePacket::new(1, "abc");
/// let mut buf = BytesMut::new();
/// codec.encode(&packet, &mut buf)?;
/// codec.encode(packet, &mut buf)?;
/// assert_eq!(buf.len(), 2 * (VariablePacket::HEADER_LEN + 3));
/// assert_eq!(
///     codec.encode(VariablePacket::new(2, "abcde"), &mut buf),
///     Err(EncodeError::TooLarge { size: 5, max: 4 })
/// );
/// # Ok::<(), EncodeError>(())
/// ```
impl<P: Borrow<VariablePacket>> Encoder<P> for VariablePacketCodec {
    type Error = EncodeError;

    fn encode(&mut self, item: P, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let item = item.borrow();
        let len = item.payload.len();
        crate::codec::check_len(len, self.max_len)?;
        // Within the limit, so within `u32` (see `with_max_len`).
        let Ok(size) = u32::try_from(len) else {
            return Err(crate::codec::too_large(len, self.max_len));
        };
        // The header in one append rather than three (each append checks
        // the capacity and is a call).
        let [s0, s1, s2, s3] = size.to_be_bytes();
        let [o0, o1, o2, o3] = item.order.to_be_bytes();
        let header: [u8; HEADER_LEN] = [item.version, s0, s1, s2, s3, o0, o1, o2, o3];
        dst.reserve(HEADER_LEN + len);
        dst.extend_from_slice(&header);
        dst.extend_from_slice(&item.payload);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    fn header(size: u32, order: u32) -> BytesMut {
        let mut h = BytesMut::new();
        h.put_u8(1);
        h.put_u32(size);
        h.put_u32(order);
        h
    }

    #[test]
    fn header_moves_to_payload_state_and_consumes_9_bytes() {
        let mut codec = VariablePacketCodec::with_max_len(10);
        let mut buf = header(4, 7);
        buf.extend_from_slice(b"ab");
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert_eq!(
            codec.state,
            State::Payload {
                version: 1,
                order: 7,
                size: 4
            }
        );
        assert_eq!(&buf[..], b"ab");
    }

    #[test]
    fn skip_state_counts_down_without_storing() {
        let mut codec = VariablePacketCodec::with_max_len(2);
        let mut buf = header(10, 1);
        assert!(codec.decode(&mut buf).is_err());
        assert_eq!(
            codec.state,
            State::Skip {
                size: 10,
                remaining: 10
            }
        );
        buf.extend_from_slice(b"1234");
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert!(buf.is_empty());
        assert_eq!(
            codec.state,
            State::Skip {
                size: 10,
                remaining: 6
            }
        );
        buf.extend_from_slice(b"567890");
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert_eq!(codec.state, State::Header);
    }

    #[test]
    fn decode_eof_returns_to_the_header_state() {
        let mut codec = VariablePacketCodec::new();
        let mut buf = header(4, 1);
        assert_eq!(
            codec.decode_eof(&mut buf),
            Err(DecodeError::UnexpectedEof { pending: 9 })
        );
        assert_eq!(codec.state, State::Header);
    }
}
