//! The §7 wire as datagram codecs: one per direction, each decoding and
//! encoding whole datagrams of that direction.

use bytes::{Bytes, BytesMut};

use super::{ClientBound, ServerBound, WireError};
use crate::EncodeError;
use crate::codec::{DatagramDecoder, DatagramEncoder};

/// Datagrams a client sends the server ([`ServerBound`]): the server
/// decodes with it, a client encodes.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use sockwire::{DatagramDecoder, DatagramEncoder};
/// use sockwire::room::{ServerBound, ServerBoundCodec};
///
/// let mut codec = ServerBoundCodec;
/// let ack = codec.decode_datagram(Bytes::from_static(b"n3 ak"))?;
/// assert_eq!(ack, ServerBound::Ack { seq: 3 });
/// let mut out = BytesMut::new();
/// codec.encode_datagram(ack, &mut out)?;
/// assert_eq!(&out[..], b"n3 ak");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerBoundCodec;

/// Datagrams a client receives ([`ClientBound`]): replies and
/// notifications from the server, private messages and their answers from
/// other clients.
///
/// ```
/// use bytes::Bytes;
/// use sockwire::DatagramDecoder;
/// use sockwire::room::{ClientBound, ClientBoundCodec, Notification};
///
/// let lost = ClientBoundCodec.decode_datagram(Bytes::from_static(b"n9 ls 12"))?;
/// assert_eq!(lost, ClientBound::Notice { seq: 9, notification: Notification::Lost { count: 12 } });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientBoundCodec;

/// Each codec decodes with its type's `parse` and encodes with its
/// `encode`.
macro_rules! codecs {
    ($($codec:ty => $item:ident),* $(,)?) => {$(
        impl DatagramDecoder for $codec {
            type Item = $item;
            type Error = WireError;

            /// # Errors
            ///
            /// A [`WireError`] saying what is wrong.
            fn decode_datagram(&mut self, datagram: Bytes) -> Result<$item, WireError> {
                $item::parse(&datagram)
            }
        }

        impl DatagramEncoder<$item> for $codec {
            type Error = EncodeError;

            fn encode_datagram(&mut self, item: $item, dst: &mut BytesMut) -> Result<(), EncodeError> {
                item.encode(dst)
            }
        }
    )*};
}

codecs!(
    ServerBoundCodec => ServerBound,
    ClientBoundCodec => ClientBound,
);
