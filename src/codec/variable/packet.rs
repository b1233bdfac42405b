//! The variable packet's two forms: [`VariablePacket`], owning its payload,
//! and [`VariablePacketRef`], borrowing it from the decoder's input.

use std::fmt;

use bytes::Bytes;

use crate::DecodeError;

/// One variable packet: a version, a sequence number and a payload.
///
/// The payload is [`Bytes`] split off the decoder's input, not copied.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VariablePacket {
    pub(super) version: u8,
    pub(super) order: u32,
    pub(super) payload: Bytes,
}

impl VariablePacket {
    /// Bytes of the header: 9.
    pub const HEADER_LEN: usize = 9;
    /// The protocol version this crate writes: 1.
    pub const VERSION: u8 = 1;

    /// A version-1 packet carrying `text`, copied.
    ///
    /// ```
    /// use sockwire::VariablePacket;
    /// let p = VariablePacket::new(3, "hello");
    /// assert_eq!((p.version(), p.order(), p.size()), (1, 3, 5));
    /// let owned = String::from("borrowed");
    /// assert_eq!(VariablePacket::new(4, &owned).text(), Ok("borrowed"));
    /// ```
    #[must_use]
    pub fn new(order: u32, text: &str) -> Self {
        Self::from_payload(order, Bytes::copy_from_slice(text.as_bytes()))
    }

    /// A version-1 packet carrying `payload`, any bytes, without copying
    /// them (a `Vec<u8>`, a `String`, [`Bytes`], a `&'static [u8]`...).
    ///
    /// ```
    /// use sockwire::VariablePacket;
    /// let p = VariablePacket::from_payload(1, vec![0xff, 0x00]);
    /// assert_eq!(&p.payload()[..], b"\xff\x00");
    /// assert!(p.text().is_err());
    /// ```
    #[must_use]
    pub fn from_payload(order: u32, payload: impl Into<Bytes>) -> Self {
        VariablePacket {
            version: Self::VERSION,
            order,
            payload: payload.into(),
        }
    }

    /// The same packet with another version byte.
    #[must_use]
    pub fn with_version(mut self, version: u8) -> Self {
        self.version = version;
        self
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

    /// The payload length in bytes, as the header's `size` field. Payloads
    /// longer than `u32::MAX` cannot be encoded; this then says `u32::MAX`.
    #[must_use]
    pub fn size(&self) -> u32 {
        self.view().size()
    }

    /// The payload.
    #[must_use]
    pub const fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The payload, without copying.
    #[must_use]
    pub fn into_payload(self) -> Bytes {
        self.payload
    }

    /// The payload as text.
    ///
    /// # Errors
    ///
    /// [`DecodeError::InvalidUtf8`] with the offset in the payload.
    pub fn text(&self) -> Result<&str, DecodeError> {
        self.view().text()
    }

    /// The packet as the borrowed decoder lends it: one place for what the
    /// two forms compute alike.
    fn view(&self) -> VariablePacketRef<'_> {
        VariablePacketRef {
            version: self.version,
            order: self.order,
            payload: &self.payload,
        }
    }
}

impl fmt::Debug for VariablePacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VariablePacket")
            .field("version", &self.version)
            .field("order", &self.order)
            .field("payload", &crate::dump::lossy(&self.payload))
            .finish()
    }
}

/// `#ORDER vVERSION size=SIZE "TEXT"`, or the payload in hex when it is not
/// UTF-8.
///
/// ```
/// use sockwire::VariablePacket;
/// assert_eq!(VariablePacket::new(1, "hello").to_string(), r#"#1 v1 size=5 "hello""#);
/// assert_eq!(VariablePacket::from_payload(2, &b"\xff\x00"[..]).to_string(), "#2 v1 size=2 [ff 00]");
/// ```
impl fmt::Display for VariablePacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} v{} size={} ", self.order, self.version, self.size())?;
        match self.text() {
            Ok(text) => write!(f, "{text:?}"),
            Err(_) => {
                f.write_str("[")?;
                for (i, b) in self.payload.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// A variable packet whose payload borrows the decoder's input: what
/// [`BorrowDecoder::decode_with`](crate::BorrowDecoder::decode_with) lends for [`VariablePacketCodec`](super::VariablePacketCodec).
///
/// ```
/// use sockwire::{VariablePacket, VariablePacketRef};
/// let view = VariablePacketRef::new(3, b"hello");
/// assert_eq!((view.version(), view.order(), view.size()), (1, 3, 5));
/// assert_eq!(view.text(), Ok("hello"));
/// assert_eq!(view.to_packet(), VariablePacket::new(3, "hello"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VariablePacketRef<'a> {
    pub(super) version: u8,
    pub(super) order: u32,
    pub(super) payload: &'a [u8],
}

impl<'a> VariablePacketRef<'a> {
    /// A version-1 packet view over `payload`.
    #[must_use]
    pub const fn new(order: u32, payload: &'a [u8]) -> Self {
        VariablePacketRef {
            version: VariablePacket::VERSION,
            order,
            payload,
        }
    }

    /// The same view with another version byte.
    ///
    /// ```
    /// assert_eq!(sockwire::VariablePacketRef::new(1, b"").with_version(2).version(), 2);
    /// ```
    #[must_use]
    pub const fn with_version(mut self, version: u8) -> Self {
        self.version = version;
        self
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

    /// The payload length in bytes, as the header's `size` field (capped
    /// at `u32::MAX`, as [`VariablePacket::size`]).
    #[must_use]
    pub fn size(&self) -> u32 {
        u32::try_from(self.payload.len()).unwrap_or(u32::MAX)
    }

    /// The payload, borrowing the input.
    #[must_use]
    pub const fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The payload as text, borrowing the input.
    ///
    /// # Errors
    ///
    /// [`DecodeError::InvalidUtf8`] with the offset in the payload.
    pub fn text(&self) -> Result<&'a str, DecodeError> {
        crate::codec::utf8::utf8(self.payload)
    }

    /// An owned packet with the same fields (the payload copied).
    #[must_use]
    pub fn to_packet(&self) -> VariablePacket {
        VariablePacket::from_payload(self.order, Bytes::copy_from_slice(self.payload))
            .with_version(self.version)
    }
}
