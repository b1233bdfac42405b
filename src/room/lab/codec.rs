//! The §8 wire as datagram codecs: [`LabServerCodec`] for a server's
//! socket, [`LabClientCodec`] for a client's. Both decode with the wire
//! types' own `parse` and encode with the wire's one encoder.

use bytes::{Bytes, BytesMut};

use super::wire::{self, LabAnswer, LabChat, LabRequest, LabWireError};
use crate::{DatagramDecoder, DatagramEncoder};

/// What a §8 client receives: an answer of the server, or a chat line
/// from another client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabClientBound {
    /// From the server.
    Answer(LabAnswer),
    /// From a peer: `msg NAME> TEXT`.
    Chat(LabChat),
}

impl LabClientBound {
    /// Parses a datagram: a chat line if its first word is `msg`
    /// ([`LabChat::is_chat`]), else an answer.
    ///
    /// # Errors
    ///
    /// A [`LabWireError`] saying what is wrong.
    pub fn parse(datagram: &[u8]) -> Result<Self, LabWireError> {
        if LabChat::is_chat(datagram) {
            LabChat::parse(datagram).map(LabClientBound::Chat)
        } else {
            LabAnswer::parse(datagram).map(LabClientBound::Answer)
        }
    }
}

/// The codec of a §8 server's socket: decodes [`LabRequest`]s, encodes
/// [`LabAnswer`]s.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use sockwire::{DatagramDecoder, DatagramEncoder};
/// use sockwire::room::lab::{LabAnswer, LabRequest, LabServerCodec};
///
/// let mut codec = LabServerCodec;
/// assert_eq!(codec.decode_datagram(Bytes::from_static(b"ul"))?, LabRequest::UserList);
/// let mut out = BytesMut::new();
/// codec.encode_datagram(&LabAnswer::User("alice".into()), &mut out)?;
/// assert_eq!(&out[..], b"ul alice");
/// # Ok::<(), sockwire::room::lab::LabWireError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabServerCodec;

/// The codec of a §8 client's socket: decodes what the server and the
/// peers send ([`LabClientBound`]), encodes [`LabRequest`]s and
/// [`LabChat`] lines.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use sockwire::{DatagramDecoder, DatagramEncoder};
/// use sockwire::room::lab::{LabAnswer, LabChat, LabClientBound, LabClientCodec};
///
/// let mut codec = LabClientCodec;
/// let peer = codec.decode_datagram(Bytes::from_static(b"rj 127.0.0.1 40001"))?;
/// assert_eq!(peer, LabClientBound::Answer(LabAnswer::Peer("127.0.0.1:40001".parse()?)));
/// let mut out = BytesMut::new();
/// let chat = LabChat { from: "alice".into(), text: "hi".into() };
/// codec.encode_datagram(&chat, &mut out)?;
/// assert_eq!(&out[..], b"msg alice> hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabClientCodec;

impl DatagramDecoder for LabServerCodec {
    type Item = LabRequest;
    type Error = LabWireError;

    /// # Errors
    ///
    /// As [`LabRequest::parse`].
    fn decode_datagram(&mut self, datagram: Bytes) -> Result<LabRequest, LabWireError> {
        LabRequest::parse(&datagram)
    }
}

impl DatagramDecoder for LabClientCodec {
    type Item = LabClientBound;
    type Error = LabWireError;

    /// # Errors
    ///
    /// As [`LabClientBound::parse`].
    fn decode_datagram(&mut self, datagram: Bytes) -> Result<LabClientBound, LabWireError> {
        LabClientBound::parse(&datagram)
    }
}

/// Encoders of the §8 types: each appends the item's text to `dst`, or
/// fails with [`LabWireError::TooLong`] past [`LabRequest::MAX_LEN`] bytes
/// and leaves `dst` as it was.
macro_rules! encoders {
    ($($codec:ty => $item:ty),* $(,)?) => {
        $(
            impl DatagramEncoder<&$item> for $codec {
                type Error = LabWireError;

                fn encode_datagram(&mut self, item: &$item, dst: &mut BytesMut) -> Result<(), LabWireError> {
                    wire::encode(item, dst)
                }
            }
        )*
    };
}

encoders!(
    LabServerCodec => LabAnswer,
    LabClientCodec => LabRequest,
    LabClientCodec => LabChat,
);
