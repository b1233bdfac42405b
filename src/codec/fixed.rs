//! The fixed 29-byte packet (§4), Python's
//! `struct.pack('!BLL20s', version, order, size, field)`.
//!
//! | offset | bytes | field | meaning |
//! |---:|---:|---|---|
//! | 0 | 1 | version | protocol version, `1` |
//! | 1 | 4 | order | sequence number, big-endian: 1, 2, … on a connection |
//! | 5 | 4 | size | length of the text in *characters*, big-endian, not capped at 20 |
//! | 9 | 20 | field | the text padded with `-` to 20 characters, UTF-8, cut (or NUL-padded) to 20 bytes |
//!
//! The text read back is the first `size` characters of the field's valid
//! UTF-8 prefix; when the field holds fewer, the text was cut and the packet
//! says so ([`FixedPacket::is_truncated`]). Any 29 bytes are a packet: the
//! decoder never fails except on a stream that ends inside one.
//!
//! ```
//! use bytes::BytesMut;
//! use sockwire::{Decoder, Encoder, FixedPacket, FixedPacketCodec};
//!
//! let packet = FixedPacket::new(1, "hi");
//! let mut buf = BytesMut::new();
//! FixedPacketCodec::new().encode(&packet, &mut buf)?;
//! assert_eq!(&buf[..9], b"\x01\x00\x00\x00\x01\x00\x00\x00\x02");
//! assert_eq!(&buf[9..], b"hi------------------");
//!
//! let back = FixedPacketCodec::new().decode(&mut buf)?.unwrap();
//! assert_eq!(back.text(), "hi");
//! assert_eq!(back, packet);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::borrow::Borrow;
use std::fmt;

use bytes::{Buf, BufMut, BytesMut};

use crate::{BorrowDecoder, DecodeError, Decoder, EncodeError, Encoder};

/// One fixed 29-byte packet.
///
/// The packet keeps the 20 field bytes as they were, so re-encoding a
/// decoded packet gives back the same 29 bytes, and the text is read from
/// them without allocating.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedPacket {
    version: u8,
    order: u32,
    size: u32,
    field: [u8; FixedPacket::TEXT_LEN],
}

impl FixedPacket {
    /// Bytes of a packet on the wire: 29.
    pub const LEN: usize = 29;
    /// Bytes of the text field: 20.
    pub const TEXT_LEN: usize = 20;
    /// The character the Python peer pads the text with: `-`.
    pub const PAD: char = '-';
    /// The protocol version this crate writes: 1.
    pub const VERSION: u8 = 1;

    /// A version-1 packet carrying `text`, encoded as the Python peer does:
    /// `size` is the text's length in characters, the field is the text
    /// padded with `-` to 20 characters, UTF-8 encoded, cut to 20 bytes.
    ///
    /// ```
    /// use sockwire::FixedPacket;
    /// let p = FixedPacket::new(7, "a long text of 25 chars..");
    /// assert_eq!(p.size(), 25);
    /// assert_eq!(p.text(), "a long text of 25 ch");
    /// assert!(p.is_truncated());
    /// ```
    #[must_use]
    pub fn new(order: u32, text: &str) -> Self {
        let chars = text.chars().count();
        let mut field = [0u8; Self::TEXT_LEN];
        let mut at = 0;
        let padding = std::iter::repeat_n(Self::PAD, Self::TEXT_LEN.saturating_sub(chars));
        'fill: for c in text.chars().chain(padding) {
            let mut utf8 = [0u8; 4];
            for &b in c.encode_utf8(&mut utf8).as_bytes() {
                match field.get_mut(at) {
                    Some(slot) => *slot = b,
                    None => break 'fill,
                }
                at += 1;
            }
        }
        FixedPacket {
            version: Self::VERSION,
            order,
            // Python's struct would refuse more than u32::MAX characters;
            // such a text (over 4 GiB) is capped instead.
            size: u32::try_from(chars).unwrap_or(u32::MAX),
            field,
        }
    }

    /// A packet from its four fields as they are on the wire.
    #[must_use]
    pub const fn from_parts(
        version: u8,
        order: u32,
        size: u32,
        field: [u8; Self::TEXT_LEN],
    ) -> Self {
        FixedPacket {
            version,
            order,
            size,
            field,
        }
    }

    /// The same packet with another version byte.
    #[must_use]
    pub const fn with_version(mut self, version: u8) -> Self {
        self.version = version;
        self
    }

    /// Reads a packet from its 29 wire bytes. Any 29 bytes are a packet.
    #[must_use]
    pub fn from_bytes(bytes: &[u8; Self::LEN]) -> Self {
        let mut buf = &bytes[..];
        let version = buf.get_u8();
        let order = buf.get_u32();
        let size = buf.get_u32();
        let mut field = [0u8; Self::TEXT_LEN];
        buf.copy_to_slice(&mut field);
        Self::from_parts(version, order, size, field)
    }

    /// The 29 wire bytes of the packet.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        let mut buf = &mut out[..];
        buf.put_u8(self.version);
        buf.put_u32(self.order);
        buf.put_u32(self.size);
        buf.put_slice(&self.field);
        out
    }

    /// The version byte.
    #[must_use]
    pub const fn version(&self) -> u8 {
        self.version
    }

    /// The sequence number.
    #[must_use]
    pub const fn order(&self) -> u32 {
        self.order
    }

    /// The declared length of the original text, in characters.
    #[must_use]
    pub const fn size(&self) -> u32 {
        self.size
    }

    /// The 20 field bytes as they are on the wire.
    #[must_use]
    pub const fn field(&self) -> &[u8; Self::TEXT_LEN] {
        &self.field
    }

    /// The text: the first [`size`](Self::size) characters of the field's
    /// valid UTF-8 prefix (fewer if the field holds fewer, see
    /// [`is_truncated`](Self::is_truncated)).
    #[must_use]
    pub fn text(&self) -> &str {
        field_text(&self.field, self.size)
    }

    /// Whether the original text was longer than what the field holds: the
    /// declared size is more than the characters present.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        field_truncated(&self.field, self.size)
    }
}

/// The field's valid UTF-8 prefix: the valid part of its first UTF-8
/// chunk (a field that starts with a bad byte has an empty one).
fn valid_prefix(field: &[u8]) -> &str {
    // `utf8_chunks` yields at least one chunk for the 20 bytes; `""` is
    // what an empty input's (absent) first chunk would hold.
    field.utf8_chunks().next().map_or("", |chunk| chunk.valid())
}

/// The first `size` characters of the field's valid UTF-8 prefix.
fn field_text(field: &[u8], size: u32) -> &str {
    let prefix = valid_prefix(field);
    // Cut before character `size`, if there is one: `char_indices`
    // gives a character boundary, so `split_at` cannot panic.
    match prefix.char_indices().nth(size as usize) {
        Some((end, _)) => prefix.split_at(end).0,
        None => prefix,
    }
}

/// Whether the field holds fewer than `size` characters.
fn field_truncated(field: &[u8], size: u32) -> bool {
    (valid_prefix(field).chars().count() as u64) < u64::from(size)
}

/// A fixed packet's 29 bytes, borrowed from the decoder's input: what
/// [`BorrowDecoder::decode_with`] lends for [`FixedPacketCodec`]. Its
/// fields and text are read from the bytes in place.
///
/// ```
/// use sockwire::{FixedPacket, FixedPacketRef};
/// let bytes = FixedPacket::new(7, "hi").to_bytes();
/// let view = FixedPacketRef::new(&bytes);
/// assert_eq!((view.version(), view.order(), view.size()), (1, 7, 2));
/// assert_eq!(view.text(), "hi");
/// assert!(!view.is_truncated());
/// assert_eq!(view.to_packet(), FixedPacket::new(7, "hi"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FixedPacketRef<'a> {
    bytes: &'a [u8; FixedPacket::LEN],
}

impl<'a> FixedPacketRef<'a> {
    /// A view of a packet's 29 wire bytes. Any 29 bytes are a packet.
    #[must_use]
    pub const fn new(bytes: &'a [u8; FixedPacket::LEN]) -> Self {
        FixedPacketRef { bytes }
    }

    /// The 29 wire bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8; FixedPacket::LEN] {
        self.bytes
    }

    /// The version byte.
    #[must_use]
    pub const fn version(&self) -> u8 {
        self.bytes[0]
    }

    /// The sequence number.
    #[must_use]
    pub const fn order(&self) -> u32 {
        let b = self.bytes;
        u32::from_be_bytes([b[1], b[2], b[3], b[4]])
    }

    /// The declared length of the original text, in characters.
    #[must_use]
    pub const fn size(&self) -> u32 {
        let b = self.bytes;
        u32::from_be_bytes([b[5], b[6], b[7], b[8]])
    }

    /// The 20 field bytes as they are on the wire.
    #[must_use]
    pub fn field(&self) -> &'a [u8] {
        self.bytes
            .split_at(FixedPacket::LEN - FixedPacket::TEXT_LEN)
            .1
    }

    /// The text, borrowing the input: as [`FixedPacket::text`].
    #[must_use]
    pub fn text(&self) -> &'a str {
        field_text(self.field(), self.size())
    }

    /// Whether the original text was cut: as [`FixedPacket::is_truncated`].
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        field_truncated(self.field(), self.size())
    }

    /// The owned packet (29 bytes copied, nothing allocated).
    #[must_use]
    pub fn to_packet(&self) -> FixedPacket {
        FixedPacket::from_bytes(self.bytes)
    }
}

impl fmt::Debug for FixedPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedPacket")
            .field("version", &self.version)
            .field("order", &self.order)
            .field("size", &self.size)
            .field("text", &self.text())
            .field("truncated", &self.is_truncated())
            .finish()
    }
}

/// `#ORDER v VERSION size=SIZE "TEXT"`, then `(truncated)` when it was.
///
/// ```
/// let p = sockwire::FixedPacket::new(1, "hi");
/// assert_eq!(p.to_string(), r#"#1 v1 size=2 "hi""#);
/// ```
impl fmt::Display for FixedPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{} v{} size={} {:?}",
            self.order,
            self.version,
            self.size,
            self.text()
        )?;
        if self.is_truncated() {
            f.write_str(" (truncated)")?;
        }
        Ok(())
    }
}

impl From<[u8; FixedPacket::LEN]> for FixedPacket {
    fn from(bytes: [u8; FixedPacket::LEN]) -> Self {
        FixedPacket::from_bytes(&bytes)
    }
}

impl From<FixedPacket> for [u8; FixedPacket::LEN] {
    fn from(packet: FixedPacket) -> Self {
        packet.to_bytes()
    }
}

/// Stream codec for fixed packets: buffers to 29 bytes, however they
/// arrive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixedPacketCodec;

impl FixedPacketCodec {
    /// A new codec.
    #[must_use]
    pub const fn new() -> Self {
        FixedPacketCodec
    }
}

impl Decoder for FixedPacketCodec {
    type Item = FixedPacket;
    type Error = DecodeError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<FixedPacket>, DecodeError> {
        let Some(bytes) = src.first_chunk::<{ FixedPacket::LEN }>() else {
            src.reserve(FixedPacket::LEN.saturating_sub(src.len()));
            return Ok(None);
        };
        let packet = FixedPacket::from_bytes(bytes);
        src.advance(FixedPacket::LEN);
        Ok(Some(packet))
    }
}

/// Each packet as a [`FixedPacketRef`] borrowing its 29 bytes in the
/// input: the same packets as [`Decoder`], read in place.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{BorrowDecoder, DecodeError, FixedPacket, FixedPacketCodec};
///
/// let mut buf = BytesMut::from(&FixedPacket::new(3, "hi").to_bytes()[..]);
/// buf.extend_from_slice(b"\x01\x00");
/// let mut codec = FixedPacketCodec::new();
/// assert_eq!(codec.decode_with(&mut buf, |p| (p.order(), p.text().len()))?, Some((3, 2)));
/// assert_eq!(
///     codec.decode_eof_with(&mut buf, |p| p.order()),
///     Err(DecodeError::UnexpectedEof { pending: 2 })
/// );
/// # Ok::<(), DecodeError>(())
/// ```
impl BorrowDecoder for FixedPacketCodec {
    type View<'a> = FixedPacketRef<'a>;

    #[inline]
    fn decode_with<R>(
        &mut self,
        src: &mut BytesMut,
        f: impl FnOnce(FixedPacketRef<'_>) -> R,
    ) -> Result<Option<R>, DecodeError> {
        let Some(bytes) = src.first_chunk::<{ FixedPacket::LEN }>() else {
            src.reserve(FixedPacket::LEN.saturating_sub(src.len()));
            return Ok(None);
        };
        let answer = f(FixedPacketRef::new(bytes));
        src.advance(FixedPacket::LEN);
        Ok(Some(answer))
    }
}

/// Writes the packet's 29 bytes; takes a [`FixedPacket`] by value or by
/// reference (anything that is `Borrow<FixedPacket>`). Never fails.
///
/// ```
/// use bytes::BytesMut;
/// use sockwire::{Encoder, FixedPacket, FixedPacketCodec};
/// let packet = FixedPacket::new(1, "hi");
/// let mut buf = BytesMut::new();
/// FixedPacketCodec::new().encode(&packet, &mut buf)?;
/// FixedPacketCodec::new().encode(packet, &mut buf)?;
/// assert_eq!(buf.len(), 2 * FixedPacket::LEN);
/// # Ok::<(), sockwire::EncodeError>(())
/// ```
impl<P: Borrow<FixedPacket>> Encoder<P> for FixedPacketCodec {
    type Error = EncodeError;

    fn encode(&mut self, item: P, dst: &mut BytesMut) -> Result<(), EncodeError> {
        dst.put_slice(&item.borrow().to_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_reserves_room_for_the_rest_of_one_packet_only() {
        let mut codec = FixedPacketCodec::new();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&[1; 10]);
        assert_eq!(codec.decode(&mut buf), Ok(None));
        assert!(buf.capacity() >= FixedPacket::LEN);
        assert!(buf.capacity() <= 2 * FixedPacket::LEN, "{}", buf.capacity());
    }

    #[test]
    fn new_pads_with_dashes_counted_in_characters() {
        // 4 characters: 16 dashes, 22 bytes, cut to 20
        let p = FixedPacket::new(1, "ação");
        assert_eq!(&p.field, b"a\xc3\xa7\xc3\xa3o--------------");
        assert_eq!(p.size, 4);
    }
}
