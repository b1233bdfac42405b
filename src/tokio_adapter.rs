//! [`tokio_util::codec`] support (feature `tokio-util`): any sockwire codec,
//! and any [`Service`], under `Framed` and `UdpFramed`.
//!
//! The codecs of the crate implement only sockwire's own traits, so that a
//! direct `codec.decode(..)` is never ambiguous. A wrapper from this module
//! implements tokio-util's traits on top of them, and holds whatever state
//! only tokio needs:
//!
//! | wrapper | wraps | tokio type | `Stream` yields | `Sink` accepts |
//! |---|---|---|---|---|
//! | [`TokioCodec`] | any [`Decoder`] (+ [`Encoder`]) | `Framed` | its `Item` | what its `Encoder` takes |
//! | [`TokioDatagramCodec`] | any [`DatagramDecoder`] (+ [`DatagramEncoder`]) | `UdpFramed` | `(Item, SocketAddr)` | `(what it takes, SocketAddr)` |
//! | [`ServiceCodec`] | any [`Service`] | `Framed` | its `Item` | [`ReplyTo`] an item |
//!
//! Errors are one enum, [`Error`](enum@Error): I/O, the codec's decode error,
//! or its encode error ([`DecodeError`] and [`EncodeError`] for the crate's
//! codecs).
//!
//! # Framing a TCP stream
//!
//! Connect, wrap the stream, feed messages and flush once, then read the
//! replies (`SinkExt`/`StreamExt` come from `futures-util` or `futures`).
//! See [the fast pattern](#the-fast-pattern-feed-then-one-flush) for why.
//!
//! ```
//! use futures_util::{SinkExt, StreamExt};
//! use sockwire::LineCodec;
//! use sockwire::tokio_adapter::TokioCodec;
//! use tokio::net::TcpStream;
//! use tokio_util::codec::Framed;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sockwire::tokio_adapter::Error> {
//! # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! # let addr = listener.local_addr()?;
//! # tokio::spawn(async move {
//! #     let (peer, _) = listener.accept().await?;
//! #     let mut peer = Framed::new(peer, TokioCodec::new(LineCodec::new()));
//! #     while let Some(line) = peer.next().await {
//! #         peer.send(line?).await?;
//! #     }
//! #     Ok::<(), sockwire::tokio_adapter::Error>(())
//! # });
//! let stream = TcpStream::connect(addr).await?;
//! stream.set_nodelay(true)?;
//! let mut lines = Framed::new(stream, TokioCodec::new(LineCodec::new()));
//! lines.feed("hello").await?; // queued: b"hello\n"
//! lines.feed("world").await?;
//! SinkExt::<&str>::flush(&mut lines).await?; // one write for both
//! assert_eq!(lines.next().await.transpose()?.as_deref(), Some("hello"));
//! assert_eq!(lines.next().await.transpose()?.as_deref(), Some("world"));
//! # Ok(())
//! # }
//! ```
//!
//! A codec accepts more than one item type (`&str` and `Text`, a packet or
//! a reference to one), so `flush` and `close` name the item type, as
//! above; `feed(item)` and `send(item)` need no annotation.
//!
//! # The fast pattern: `feed`, then one `flush`
//!
//! `feed` only queues a message in `Framed`'s write buffer; `flush` writes
//! the buffer. `send` is `feed` followed by `flush`, so **one `send` per
//! message is one write system call per message**, and the task waits for
//! each write before it decodes the next message. Queue every message you
//! have with `feed` and `flush` once, when there is nothing more to queue
//! right now: many replies then leave in one write. On the serving side
//! that means answering every message that already arrived before
//! flushing (the loop [below](#a-whole-protocol-servicecodec) does it with
//! `now_or_never`); `SinkExt::send_all` and `StreamExt::forward` do the
//! same for a stream of replies.
//!
//! **`TCP_NODELAY`** (`set_nodelay(true)`) matters whenever small messages
//! are written and the writer then waits for an answer, which is every
//! request/reply protocol here: without it, Nagle's algorithm holds a small
//! write back while an earlier one is unacknowledged, and the peer's
//! delayed ACK holds that acknowledgement back for up to 40 ms. With one
//! write per message the two meet on every message: we measured an
//! echo server doing `send` per message without `TCP_NODELAY` at 36 k
//! messages/s with a 44 ms median latency, where the same server feeding
//! and flushing once, with `TCP_NODELAY`, did over 2 M. It does not matter
//! for bulk transfers that fill whole segments. Set it on both ends: on the
//! client after `connect`, on the server on every accepted stream.
//!
//! # Errors and recovery
//!
//! A decoder error reaches the stream as `Some(Err(Error::Decode(..)))`.
//! `Framed` then answers `None` once, as tokio-util does after any decoder
//! error. For a [recoverable](crate::Recoverable) error (an over-long line,
//! invalid UTF-8, an oversize variable packet) the codec has dropped only
//! the bad bytes, so polling the stream again after that `None` goes on
//! with the rest of the stream, nothing lost; bytes that were already
//! buffered are decoded when the next read arrives (or at end of stream).
//! A server that drops the bad connection simply stops at the error.
//!
//! # Datagrams
//!
//! `UdpFramed` gives the decoder each received datagram in its read buffer
//! and calls `decode_eof` until it answers `None`. [`TokioDatagramCodec`]
//! takes the whole datagram on the first call, even when decoding it fails,
//! so an invalid datagram is reported once and never seen again, and the
//! next datagram is decoded as usual. An empty datagram is an empty
//! message. The datagram is copied out of `UdpFramed`'s 64 KiB buffer, so
//! keeping a short message does not keep the whole buffer alive.
//!
//! ```no_run
//! use futures_util::{SinkExt, StreamExt};
//! use sockwire::TextDatagramCodec;
//! use sockwire::tokio_adapter::TokioDatagramCodec;
//! use tokio_util::udp::UdpFramed;
//!
//! # async fn run() -> Result<(), sockwire::tokio_adapter::Error> {
//! let socket = tokio::net::UdpSocket::bind("0.0.0.0:5005").await?;
//! let mut datagrams = UdpFramed::new(socket, TokioDatagramCodec::new(TextDatagramCodec::new()));
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
//! [`ServiceCodec`] puts a [`Service`] (a protocol's decoder and its reply
//! rule, as [`Connection`](crate::conn::Connection) runs them) under
//! `Framed`: the stream yields each decoded item, and feeding [`ReplyTo`]
//! that item queues the reply the service chooses (possibly nothing). One
//! loop then serves every built-in protocol, §6 included, answering every
//! message that already arrived before one flush writes all the replies:
//!
//! ```
//! use futures_util::{FutureExt, SinkExt, StreamExt};
//! use sockwire::builtin::{Protocol, ReplyPolicy};
//! use sockwire::tokio_adapter::{Error, ReplyTo, ServiceCodec, TokioCodec};
//! use tokio_util::codec::Framed;
//!
//! async fn serve(stream: tokio::net::TcpStream, protocol: Protocol) -> Result<(), Error> {
//!     stream.set_nodelay(true)?; // small replies: no Nagle delay
//!     let mut framed = Framed::new(stream, ServiceCodec::new(protocol.service(ReplyPolicy::Upper)));
//!     loop {
//!         let next = match framed.next().now_or_never() {
//!             Some(next) => next, // already decoded: answer it first
//!             None => {
//!                 framed.flush().await?; // nothing more ready: one write for all
//!                 framed.next().await
//!             }
//!         };
//!         let Some(message) = next else { break };
//!         let message = message?;
//!         println!("{message}"); // e.g. `variable packet #1 v1 size=5 "hello"`
//!         framed.feed(ReplyTo(&message)).await?; // queued: `#1 v1 size=5 "HELLO"`
//!     }
//!     framed.flush().await?;
//!     Ok(())
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Error> {
//! # let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! # let addr = listener.local_addr()?;
//! # let server = tokio::spawn(async move { serve(listener.accept().await?.0, Protocol::Line).await });
//! # let stream = tokio::net::TcpStream::connect(addr).await?;
//! # let mut client = Framed::new(stream, TokioCodec::new(sockwire::LineCodec::new()));
//! # client.send("hello").await?;
//! # assert_eq!(client.next().await.transpose()?.as_deref(), Some("HELLO"));
//! # drop(client);
//! # server.await.map_err(std::io::Error::other)??;
//! # Ok(())
//! # }
//! ```
//!
//! `Framed` holds the codec's limits (a message over the limit is a decode
//! error), but not the connection's timeouts or its backpressure. A server
//! that wants those drives a [`Connection`](crate::conn::Connection) over
//! the socket itself, as the `tokio_echo_server` example does: wait for
//! `readable()` (or `writable()` while output is pending, or
//! `tokio::time::sleep_until` the connection's
//! [`poll_timeout`](crate::conn::Connection::poll_timeout)), read into a
//! buffer and call [`handle_input`](crate::conn::Connection::handle_input),
//! write [`pending_output`](crate::conn::Connection::pending_output) once
//! and [`consume_output`](crate::conn::Connection::consume_output) what
//! the socket took, and read only while
//! [`wants_read`](crate::conn::Connection::wants_read).

use std::{error, fmt, io};

use bytes::{Bytes, BytesMut};

use crate::conn::Service;
use crate::{
    DatagramDecoder, DatagramEncoder, DecodeError, Decoder, EncodeError, Encoder, Recoverable,
};

/// The error of every tokio implementation here: tokio's traits need an
/// error type that an [`io::Error`] converts into.
///
/// | variant | cause | can the stream go on? |
/// |---|---|---|
/// | [`Io`](Error::Io) | reading or writing the socket failed | no |
/// | [`Decode`](Error::Decode) | the peer broke the wire contract | when the error is [`Recoverable`] |
/// | [`Encode`](Error::Encode) | a message cannot be put on the wire; nothing was written | yes |
///
/// `D` and `E` are the codec's decode and encode errors, [`DecodeError`]
/// and [`EncodeError`] for the crate's codecs. Display and
/// [`source`](std::error::Error::source) are those of the wrapped error. It
/// converts into an [`io::Error`] (kind `InvalidData` for decoding,
/// `InvalidInput` for encoding), for functions returning `io::Result`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error<D = DecodeError, E = EncodeError> {
    /// Reading from or writing to the socket failed.
    Io(io::Error),
    /// The input from the peer could not be decoded.
    Decode(D),
    /// A message could not be encoded; nothing was written for it.
    Encode(E),
}

impl<D, E> Error<D, E> {
    /// The decoding error, if this is one.
    #[must_use]
    pub fn as_decode(&self) -> Option<&D> {
        match self {
            Error::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl<D: Recoverable, E> Recoverable for Error<D, E> {
    /// A recoverable decode error, or an encode error (nothing was
    /// written); never an I/O error.
    ///
    /// ```
    /// use sockwire::{DecodeError, Recoverable, tokio_adapter::Error};
    /// assert!(Error::<DecodeError>::Decode(DecodeError::LineTooLong { max: 8 }).is_recoverable());
    /// assert!(!Error::<DecodeError>::from(std::io::Error::other("reset")).is_recoverable());
    /// ```
    fn is_recoverable(&self) -> bool {
        match self {
            Error::Io(_) => false,
            Error::Decode(e) => e.is_recoverable(),
            Error::Encode(_) => true,
        }
    }
}

impl<D: fmt::Display, E: fmt::Display> fmt::Display for Error<D, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => e.fmt(f),
            Error::Decode(e) => e.fmt(f),
            Error::Encode(e) => e.fmt(f),
        }
    }
}

impl<D, E> error::Error for Error<D, E>
where
    D: error::Error + 'static,
    E: error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn error::Error + 'static)> {
        match self {
            Error::Io(e) => e.source(),
            Error::Decode(e) => e.source(),
            Error::Encode(e) => e.source(),
        }
    }
}

impl<D, E> From<io::Error> for Error<D, E> {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl<D, E> From<Error<D, E>> for io::Error
where
    D: error::Error + Send + Sync + 'static,
    E: error::Error + Send + Sync + 'static,
{
    fn from(e: Error<D, E>) -> io::Error {
        match e {
            Error::Io(e) => e,
            Error::Decode(e) => io::Error::new(io::ErrorKind::InvalidData, e),
            Error::Encode(e) => io::Error::new(io::ErrorKind::InvalidInput, e),
        }
    }
}

/// A stream codec (a sockwire [`Decoder`], and [`Encoder`] for each item it
/// encodes) as a tokio-util codec, for `Framed`, `FramedRead` and
/// `FramedWrite`.
///
/// Its stream errors are `Error<C::Error>`; its sink errors add the
/// encoder's error type (the same type for every codec of the crate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokioCodec<C> {
    inner: C,
}

impl<C> TokioCodec<C> {
    /// Wraps `codec`.
    #[must_use]
    pub const fn new(codec: C) -> Self {
        TokioCodec { inner: codec }
    }

    /// The wrapped codec.
    #[must_use]
    pub const fn get_ref(&self) -> &C {
        &self.inner
    }

    /// The wrapped codec, mutably.
    pub fn get_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// Unwraps the codec.
    #[must_use]
    pub fn into_inner(self) -> C {
        self.inner
    }
}

impl<C: Decoder> tokio_util::codec::Decoder for TokioCodec<C> {
    type Item = C::Item;
    type Error = Error<C::Error>;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<C::Item>, Self::Error> {
        self.inner.decode(src).map_err(Error::Decode)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<C::Item>, Self::Error> {
        self.inner.decode_eof(src).map_err(Error::Decode)
    }
}

impl<C, I> tokio_util::codec::Encoder<I> for TokioCodec<C>
where
    C: Decoder + Encoder<I>,
{
    type Error = Error<<C as Decoder>::Error, <C as Encoder<I>>::Error>;

    fn encode(&mut self, item: I, dst: &mut BytesMut) -> Result<(), Self::Error> {
        self.inner.encode(item, dst).map_err(Error::Encode)
    }
}

/// A datagram codec (a sockwire [`DatagramDecoder`], and
/// [`DatagramEncoder`] for each item it encodes) as a tokio-util codec, for
/// `UdpFramed`. See the [module docs](self#datagrams).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokioDatagramCodec<C> {
    inner: C,
    /// Whether the datagram in `UdpFramed`'s read buffer has been decoded
    /// already: `UdpFramed` calls `decode_eof` until it answers `None`, and
    /// an empty datagram is still a message.
    taken: bool,
}

impl<C> TokioDatagramCodec<C> {
    /// Wraps `codec`.
    #[must_use]
    pub const fn new(codec: C) -> Self {
        TokioDatagramCodec {
            inner: codec,
            taken: false,
        }
    }

    /// The wrapped codec.
    #[must_use]
    pub const fn get_ref(&self) -> &C {
        &self.inner
    }

    /// The wrapped codec, mutably.
    pub fn get_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// Unwraps the codec.
    #[must_use]
    pub fn into_inner(self) -> C {
        self.inner
    }
}

impl<C: DatagramDecoder> tokio_util::codec::Decoder for TokioDatagramCodec<C> {
    type Item = C::Item;
    type Error = Error<C::Error>;

    /// Decodes the whole of `src` as one datagram, once: the next call
    /// answers `None`, so that `UdpFramed` reads the next datagram. `src`
    /// is emptied even when decoding fails.
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<C::Item>, Self::Error> {
        if self.taken {
            self.taken = false;
            src.clear();
            return Ok(None);
        }
        self.taken = true;
        let datagram = Bytes::copy_from_slice(src);
        src.clear();
        self.inner
            .decode_datagram(datagram)
            .map(Some)
            .map_err(Error::Decode)
    }
}

impl<C, I> tokio_util::codec::Encoder<I> for TokioDatagramCodec<C>
where
    C: DatagramDecoder + DatagramEncoder<I>,
{
    type Error = Error<<C as DatagramDecoder>::Error, <C as DatagramEncoder<I>>::Error>;

    fn encode(&mut self, item: I, dst: &mut BytesMut) -> Result<(), Self::Error> {
        self.inner.encode_datagram(item, dst).map_err(Error::Encode)
    }
}

/// A [`Service`] (a protocol's decoder and reply rule, see
/// [`crate::conn`]) as a tokio-util codec.
///
/// Decoding yields each item the service decodes; encoding [`ReplyTo`] an
/// item appends the service's reply to it (possibly nothing). See the
/// [module docs](self#a-whole-protocol-servicecodec).
pub struct ServiceCodec<S> {
    service: S,
}

impl<S> ServiceCodec<S> {
    /// Wraps `service`, e.g. a built-in protocol's
    /// [`Protocol::service`](crate::builtin::Protocol::service).
    #[must_use]
    pub const fn new(service: S) -> Self {
        ServiceCodec { service }
    }

    /// Unwraps the service.
    #[must_use]
    pub fn into_inner(self) -> S {
        self.service
    }
}

impl<S> fmt::Debug for ServiceCodec<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceCodec").finish_non_exhaustive()
    }
}

/// The item a [`ServiceCodec`] encodes: the reply to this item, as the
/// service chooses it.
#[derive(Debug, Clone, Copy)]
pub struct ReplyTo<'a, T>(pub &'a T);

impl<S: Service> tokio_util::codec::Decoder for ServiceCodec<S> {
    type Item = S::Item;
    type Error = Error<S::Error, S::ReplyError>;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<S::Item>, Self::Error> {
        self.service.decode(src, false).map_err(Error::Decode)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<S::Item>, Self::Error> {
        self.service.decode(src, true).map_err(Error::Decode)
    }
}

impl<S: Service> tokio_util::codec::Encoder<ReplyTo<'_, S::Item>> for ServiceCodec<S> {
    type Error = Error<S::Error, S::ReplyError>;

    fn encode(
        &mut self,
        item: ReplyTo<'_, S::Item>,
        dst: &mut BytesMut,
    ) -> Result<(), Self::Error> {
        self.service.respond(item.0, dst).map_err(Error::Encode)
    }
}
