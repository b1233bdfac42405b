//! [`Service`]: a protocol as a connection runs it, and [`CodecService`],
//! one built from a codec and two functions.

use std::error::Error;
use std::fmt;

use bytes::BytesMut;

use crate::{Decoder, Recoverable};

/// A protocol as a [`Connection`](super::Connection) runs it: a decoder of
/// the peer's messages and a reply rule.
///
/// The service names its message type ([`Item`](Service::Item)) and its two
/// error types, one per side of the fault line:
/// [`Error`](Service::Error) is the peer's (its input broke the protocol),
/// [`ReplyError`](Service::ReplyError) is ours (a reply could not be
/// encoded). Implement it for a protocol of your own, or build one from a
/// [`Decoder`] and two functions with [`CodecService`]. `tests/custom_protocol.rs`
/// does it for netstrings from outside the crate.
pub trait Service {
    /// One decoded message.
    type Item;
    /// Why the peer's input could not be decoded.
    type Error: Error + Recoverable;
    /// Why a reply could not be encoded.
    type ReplyError: Error;

    /// Decodes the next message from `src`, as [`Decoder::decode_eof`]
    /// when `eof` (the peer has closed its side), else as
    /// [`Decoder::decode`]. `Ok(None)`: no whole message yet.
    ///
    /// # Errors
    ///
    /// When the input breaks the protocol; the bad bytes are gone from
    /// `src`.
    fn decode(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<Self::Item>, Self::Error>;

    /// Appends the reply to `item`, if any, to `dst`.
    ///
    /// # Errors
    ///
    /// When the reply cannot be encoded; `dst` must then be unchanged.
    fn respond(&mut self, item: &Self::Item, dst: &mut BytesMut) -> Result<(), Self::ReplyError>;
}

impl<S: Service + ?Sized> Service for Box<S> {
    type Item = S::Item;
    type Error = S::Error;
    type ReplyError = S::ReplyError;

    fn decode(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<S::Item>, S::Error> {
        (**self).decode(src, eof)
    }

    fn respond(&mut self, item: &S::Item, dst: &mut BytesMut) -> Result<(), S::ReplyError> {
        (**self).respond(item, dst)
    }
}

/// A [`Service`] from a stream [`Decoder`], a function that maps each
/// decoded item to the service's message type, and a reply function.
///
/// The map is where a protocol gives its items their meaning (the crate's
/// line protocol maps each [`Text`](crate::Text) to a `Message::Line`);
/// pass [`std::convert::identity`] to keep them as they are. When the reply
/// function fails, what it appended is removed again.
///
/// ```
/// use std::time::Instant;
/// use bytes::BytesMut;
/// use sockwire::conn::{CodecService, Connection, ConnectionConfig};
/// use sockwire::{Encoder, FixedPacket, FixedPacketCodec};
///
/// // a protocol that answers each fixed packet with the next order number
/// let service = CodecService::new(
///     FixedPacketCodec::new(),
///     |p: FixedPacket| p.order(),
///     |order: &u32, dst: &mut BytesMut| {
///         FixedPacketCodec::new().encode(FixedPacket::new(order + 1, "ack"), dst)
///     },
/// );
/// let now = Instant::now();
/// let mut conn = Connection::new(now, service, ConnectionConfig::default());
/// conn.handle_input(now, &FixedPacket::new(7, "hi").to_bytes());
/// assert_eq!(&conn.pending_output()[1..5], &[0, 0, 0, 8]);
/// ```
pub struct CodecService<C, M, R> {
    codec: C,
    map: M,
    respond: R,
}

impl<C, M, R> CodecService<C, M, R> {
    /// A service that decodes with `codec`, turns each item into a message
    /// with `map`, and answers each message with `respond`.
    pub fn new(codec: C, map: M, respond: R) -> Self {
        CodecService {
            codec,
            map,
            respond,
        }
    }

    /// The codec.
    pub fn codec(&self) -> &C {
        &self.codec
    }
}

impl<C: fmt::Debug, M, R> fmt::Debug for CodecService<C, M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodecService")
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

impl<C, M, R, I, E> Service for CodecService<C, M, R>
where
    C: Decoder,
    C::Error: Error + Recoverable,
    M: FnMut(C::Item) -> I,
    R: FnMut(&I, &mut BytesMut) -> Result<(), E>,
    E: Error,
{
    type Item = I;
    type Error = C::Error;
    type ReplyError = E;

    fn decode(&mut self, src: &mut BytesMut, eof: bool) -> Result<Option<I>, C::Error> {
        let item = if eof {
            self.codec.decode_eof(src)?
        } else {
            self.codec.decode(src)?
        };
        Ok(item.map(&mut self.map))
    }

    fn respond(&mut self, item: &I, dst: &mut BytesMut) -> Result<(), E> {
        let mark = dst.len();
        let result = (self.respond)(item, dst);
        if result.is_err() {
            dst.truncate(mark);
        }
        result
    }
}
