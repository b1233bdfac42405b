//! [`tokio_util::codec`] support (feature `tokio-util`): every codec of the
//! crate plugs into `Framed` and `UdpFramed` unchanged.
//!
//! With the feature on, each stream codec implements
//! [`tokio_util::codec::Decoder`] and [`tokio_util::codec::Encoder`] for
//! every item its sans-IO [`Encoder`](crate::Encoder) accepts, and
//! [`TextDatagramCodec`] does the same for `tokio_util::udp::UdpFramed`. The
//! implementations only delegate to the crate's own traits; the one error
//! type, [`Error`](enum@Error), adds the I/O errors that tokio's traits require.
//!
//! | codec | tokio wrapper | `Stream` yields | `Sink` accepts |
//! |---|---|---|---|
//! | [`TextDatagramCodec`] | `UdpFramed` | `(Text, SocketAddr)` | `(&str or Text, SocketAddr)` |
//! | [`TextStreamCodec`] | `Framed` | [`Text`](crate::Text) | `&str`, `Text` |
//! | [`LineCodec`] | `Framed` | `Text` (one line) | `&str`, `Text` |
//! | [`FixedPacketCodec`] | `Framed` | [`FixedPacket`](crate::FixedPacket) | `FixedPacket`, `&FixedPacket` |
//! | [`VariablePacketCodec`] | `Framed` | [`VariablePacket`](crate::VariablePacket) | `VariablePacket`, `&VariablePacket` |
//! | `app::AppCodec` (feature `json`) | `Framed` | `AppMessage` | `AppMessage`, `&AppMessage` |
//! | `app::ServerCodec` (feature `json`) | `Framed` | `Request` | `Response`, `&Response` |
//! | `app::ClientCodec` (feature `json`) | `Framed` | `Response` | `Request`, `&Request` |
//!
//! # Framing a TCP stream
//!
//! Three lines: connect, wrap the stream with a codec, send and receive
//! messages (`SinkExt`/`StreamExt` come from `futures-util` or `futures`).
//!
//! ```
//! use futures_util::{SinkExt, StreamExt};
//! use sockwire::LineCodec;
//! use tokio::net::TcpStream;
//! use tokio_util::codec::Framed;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sockwire::tokio::Error> {
//! # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! # let addr = listener.local_addr()?;
//! # tokio::spawn(async move {
//! #     let (peer, _) = listener.accept().await?;
//! #     let mut peer = Framed::new(peer, LineCodec::new());
//! #     while let Some(line) = peer.next().await {
//! #         peer.send(line?).await?;
//! #     }
//! #     Ok::<(), sockwire::tokio::Error>(())
//! # });
//! let stream = TcpStream::connect(addr).await?;
//! let mut lines = Framed::new(stream, LineCodec::new());
//! lines.send("hello").await?; // writes b"hello\n"
//! let echo = lines.next().await.transpose()?;
//! assert_eq!(echo.as_deref(), Some("hello"));
//! # Ok(())
//! # }
//! ```
//!
//! Any other stream codec goes in the same place:
//! `Framed::new(stream, VariablePacketCodec::new())` yields
//! [`VariablePacket`](crate::VariablePacket)s and sends them.
//!
//! Each codec accepts more than one item type (`&str` and `Text`, a packet
//! or a reference to one), so a bare `flush()` or `close()` after `feed`
//! cannot infer which `Sink` is meant: name it, as in
//! `SinkExt::<&str>::flush(&mut lines)`. `send(item)` needs no annotation.
//!
//! # Errors and recovery
//!
//! A decoder error reaches the stream as `Some(Err(Error::Decode(..)))`.
//! `Framed` then answers `None` once, as tokio-util does after any decoder
//! error. For a [recoverable](crate::DecodeError::is_recoverable) error
//! (an over-long line, invalid UTF-8, an oversize variable packet) the codec
//! has dropped only the bad bytes, so polling the stream again after that
//! `None` goes on with the rest of the stream, nothing lost; bytes that were
//! already buffered are decoded when the next read arrives (or at end of
//! stream). A server that drops the bad connection simply stops at the
//! error.
//!
//! # Datagrams
//!
//! `UdpFramed` gives the decoder each received datagram in its read buffer
//! and calls `decode_eof` until it answers `None`. [`TextDatagramCodec`]
//! takes the whole datagram on the first call, even when decoding it fails,
//! so an invalid datagram is reported once and never seen again, and the
//! next datagram is decoded as usual. An empty datagram is an empty
//! [`Text`](crate::Text). The text is copied out of `UdpFramed`'s 64 KiB
//! buffer, so keeping a short text does not keep the whole buffer alive.
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use sockwire::TextDatagramCodec;
//! use tokio_util::udp::UdpFramed;
//!
//! # async fn run() -> Result<(), sockwire::tokio::Error> {
//! let socket = tokio::net::UdpSocket::bind("0.0.0.0:5005").await?;
//! let mut datagrams = UdpFramed::new(socket, TextDatagramCodec::new());
//! while let Some(received) = datagrams.next().await {
//!     match received {
//!         Ok((text, peer)) => datagrams.send((text, peer)).await?, // echo
//!         Err(e) => eprintln!("dropped a datagram: {e}"),
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # A whole protocol: [`ServiceCodec`]
//!
//! [`ServiceCodec`] puts a [`conn::Service`](crate::conn::Service) — a
//! protocol's decoder and its reply rule, as the std-socket servers run
//! them — under `Framed`: the stream yields each decoded
//! [`Message`], and sending [`ReplyTo`] that message writes the reply the
//! service chooses (nothing for [`Reply::None`](crate::conn::Reply::None)).
//! One loop then serves every [`Protocol`](crate::conn::Protocol), §6
//! included:
//!
//! ```
//! use futures_util::{SinkExt, StreamExt};
//! use sockwire::conn::{Protocol, Reply};
//! use sockwire::tokio::{ReplyTo, ServiceCodec};
//! use tokio_util::codec::Framed;
//!
//! async fn serve(stream: tokio::net::TcpStream, protocol: Protocol) -> Result<(), sockwire::tokio::Error> {
//!     let mut framed = Framed::new(stream, ServiceCodec::new(protocol.service(Reply::Upper)));
//!     while let Some(message) = framed.next().await {
//!         let message = message?;
//!         println!("{message}"); // e.g. `variable packet #1 v1 size=5 "hello"`
//!         framed.send(ReplyTo(&message)).await?; // `#1 v1 size=5 "HELLO"`
//!     }
//!     Ok(())
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sockwire::tokio::Error> {
//! # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! # let addr = listener.local_addr()?;
//! # let server = tokio::spawn(async move { serve(listener.accept().await?.0, Protocol::Line).await });
//! # let mut client = Framed::new(tokio::net::TcpStream::connect(addr).await?, sockwire::LineCodec::new());
//! # client.send("hello").await?;
//! # assert_eq!(client.next().await.transpose()?.as_deref(), Some("HELLO"));
//! # drop(client);
//! # server.await.map_err(std::io::Error::other)??;
//! # Ok(())
//! # }
//! ```
//!
//! # Adding a codec
//!
//! A new stream codec of the crate gets its tokio implementations with one
//! line at the end of this module: `stream_codec!(NewCodec);`.

use std::{fmt, io};

use bytes::{Bytes, BytesMut};
use thiserror::Error;

use crate::conn::{Message, Service};
use crate::{
    DatagramDecoder, DatagramEncoder, DecodeError, EncodeError, FixedPacketCodec, LineCodec,
    TextDatagramCodec, TextStreamCodec, VariablePacketCodec,
};

/// The error of every codec's tokio implementation: tokio's traits need an
/// error type that an [`io::Error`] converts into.
///
/// | variant | cause | can the stream go on? |
/// |---|---|---|
/// | [`Io`](Error::Io) | reading or writing the socket failed | no |
/// | [`Decode`](Error::Decode) | the peer broke the wire contract | when [`DecodeError::is_recoverable`] says so |
/// | [`Encode`](Error::Encode) | a message cannot be put on the wire; nothing was written | yes |
///
/// Display and [`source`](std::error::Error::source) are those of the
/// wrapped error. It converts into an [`io::Error`] (kind `InvalidData` for
/// decoding, `InvalidInput` for encoding), for functions returning
/// `io::Result`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading from or writing to the socket failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The input from the peer could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A message could not be encoded; nothing was written for it.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

impl Error {
    /// Whether the framed stream can go on after this error: a recoverable
    /// [`DecodeError`], or an [`EncodeError`] (nothing was written).
    ///
    /// ```
    /// use sockwire::{DecodeError, tokio::Error};
    /// assert!(Error::from(DecodeError::LineTooLong { max: 8 }).is_recoverable());
    /// assert!(!Error::from(std::io::Error::other("reset")).is_recoverable());
    /// ```
    #[must_use]
    pub fn is_recoverable(&self) -> bool {
        match self {
            Error::Io(_) => false,
            Error::Decode(e) => e.is_recoverable(),
            Error::Encode(_) => true,
        }
    }

    /// The decoding error, if this is one.
    #[must_use]
    pub fn as_decode(&self) -> Option<&DecodeError> {
        match self {
            Error::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        match e {
            Error::Io(e) => e,
            Error::Decode(e) => io::Error::new(io::ErrorKind::InvalidData, e),
            Error::Encode(e) => io::Error::new(io::ErrorKind::InvalidInput, e),
        }
    }
}

/// A [`Service`] (a protocol's decoder and reply rule, see [`crate::conn`])
/// as a tokio-util codec.
///
/// Decoding yields each [`Message`] the service decodes; encoding
/// [`ReplyTo`] a message appends the service's reply to it (possibly
/// nothing). See the [module docs](self#a-whole-protocol-servicecodec).
pub struct ServiceCodec {
    service: Box<dyn Service>,
}

impl ServiceCodec {
    /// Wraps `service`, e.g. [`Protocol::service`](crate::conn::Protocol::service).
    #[must_use]
    pub fn new(service: Box<dyn Service>) -> Self {
        ServiceCodec { service }
    }

    /// The wrapped service.
    #[must_use]
    pub fn into_inner(self) -> Box<dyn Service> {
        self.service
    }
}

impl fmt::Debug for ServiceCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceCodec").finish_non_exhaustive()
    }
}

/// The item a [`ServiceCodec`] encodes: the reply to this message, as the
/// service chooses it.
#[derive(Debug, Clone, Copy)]
pub struct ReplyTo<'a>(pub &'a Message);

impl tokio_util::codec::Decoder for ServiceCodec {
    type Item = Message;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        Ok(self.service.decode(src, false)?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        Ok(self.service.decode(src, true)?)
    }
}

impl tokio_util::codec::Encoder<ReplyTo<'_>> for ServiceCodec {
    type Error = Error;

    fn encode(&mut self, item: ReplyTo<'_>, dst: &mut BytesMut) -> Result<(), Error> {
        Ok(self.service.respond(item.0, dst)?)
    }
}

/// Implements tokio-util's `Decoder` and `Encoder` for a stream codec by
/// delegating to the crate's [`Decoder`](crate::Decoder) and
/// [`Encoder`](crate::Encoder).
macro_rules! stream_codec {
    ($codec:ty) => {
        impl tokio_util::codec::Decoder for $codec {
            type Item = <$codec as crate::Decoder>::Item;
            type Error = Error;

            fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
                Ok(crate::Decoder::decode(self, src)?)
            }

            fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
                Ok(crate::Decoder::decode_eof(self, src)?)
            }
        }

        impl<I> tokio_util::codec::Encoder<I> for $codec
        where
            $codec: crate::Encoder<I>,
        {
            type Error = Error;

            fn encode(&mut self, item: I, dst: &mut BytesMut) -> Result<(), Error> {
                Ok(crate::Encoder::encode(self, item, dst)?)
            }
        }
    };
}

/// Implements tokio-util's `Decoder` and `Encoder` for a datagram codec, in
/// the way `UdpFramed` drives them: the read buffer holds one datagram, and
/// `decode_eof` is called until it answers `None`.
macro_rules! datagram_codec {
    ($codec:ty) => {
        impl tokio_util::codec::Decoder for $codec {
            type Item = <$codec as DatagramDecoder>::Item;
            type Error = Error;

            /// Decodes the whole of `src` as one datagram, once: the next
            /// call answers `None`, so that `UdpFramed` reads the next
            /// datagram. `src` is emptied even when decoding fails.
            fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Self::Item>, Error> {
                if self.datagram_taken {
                    self.datagram_taken = false;
                    src.clear();
                    return Ok(None);
                }
                self.datagram_taken = true;
                let datagram = Bytes::copy_from_slice(src);
                src.clear();
                Ok(Some(self.decode_datagram(datagram)?))
            }
        }

        impl<I> tokio_util::codec::Encoder<I> for $codec
        where
            $codec: DatagramEncoder<I>,
        {
            type Error = Error;

            fn encode(&mut self, item: I, dst: &mut BytesMut) -> Result<(), Error> {
                Ok(self.encode_datagram(item, dst)?)
            }
        }
    };
}

stream_codec!(TextStreamCodec);
stream_codec!(LineCodec);
stream_codec!(FixedPacketCodec);
stream_codec!(VariablePacketCodec);
datagram_codec!(TextDatagramCodec);
#[cfg(feature = "json")]
stream_codec!(crate::app::AppCodec);
#[cfg(feature = "json")]
stream_codec!(crate::app::ServerCodec);
#[cfg(feature = "json")]
stream_codec!(crate::app::ClientCodec);
