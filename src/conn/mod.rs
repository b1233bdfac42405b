//! The sans-IO connection machine: everything a server or client does with
//! one stream connection except the socket calls.
//!
//! A [`Connection`] owns a [`Service`] (a protocol's decoder and reply
//! rule), two buffers and a clock it is told about. It names no protocol:
//! the built-in ones are services from [`crate::builtin`], and any other
//! protocol is a [`Service`] of its own, with its own message and error
//! types (build one from a codec with [`CodecService`]).
//!
//! # One turn of the loop
//!
//! Every call that can move a deadline takes `now` first, as in quinn: the
//! library never reads a clock. One turn of the loop that drives a
//! connection is, in this order:
//!
//! 1. **feed input**: what a read gave, [`handle_input(now, data)`](Connection::handle_input),
//!    or [`handle_eof(now)`](Connection::handle_eof) when it gave 0 bytes
//!    (read only while [`wants_read`](Connection::wants_read), and then
//!    without waiting for the output to drain: the message timer runs
//!    while it is true);
//! 2. **handle timeouts**: [`handle_timeout(now)`](Connection::handle_timeout)
//!    once [`poll_timeout`](Connection::poll_timeout) has passed;
//! 3. **drain events**: [`poll_event`](Connection::poll_event) until `None`
//!    (log them; this is where a client decides what to send next).
//!    Draining also decodes input that a full event queue held back, and
//!    queues its replies: drain before you transmit;
//! 4. **transmit**: write [`pending_output`](Connection::pending_output),
//!    then [`consume_output(now, n)`](Connection::consume_output) with what
//!    the socket took;
//!
//! then close the socket once [`is_closed`](Connection::is_closed), or wait
//! for the socket until [`poll_timeout`](Connection::poll_timeout)
//! ([`timeout_from`](crate::timeout_from) turns it into a socket timeout).
//! Every byte read or written counts as activity for the idle timeout.
//!
//! ```no_run
//! use std::io::{self, Read, Write};
//! use std::net::TcpStream;
//! use std::time::Instant;
//! use sockwire::conn::{Connection, ConnectionConfig};
//! use sockwire::builtin::{Protocol, ReplyPolicy};
//!
//! fn serve(mut socket: TcpStream) -> io::Result<()> {
//!     let service = Protocol::Line.service(ReplyPolicy::Upper);
//!     let mut conn = Connection::new(Instant::now(), service, ConnectionConfig::default());
//!     let mut buf = [0; 4096];
//!     while !conn.is_closed() {
//!         // socket calls wait at most until the next deadline
//!         let wait = sockwire::timeout_from(Instant::now(), conn.poll_timeout());
//!         socket.set_read_timeout(wait)?;
//!         socket.set_write_timeout(wait)?;
//!         // 1. feed input (without waiting while replies are pending)
//!         if conn.wants_read() {
//!             socket.set_nonblocking(conn.wants_write())?;
//!             let read = socket.read(&mut buf);
//!             socket.set_nonblocking(false)?;
//!             match read {
//!                 Ok(0) => conn.handle_eof(Instant::now()),
//!                 Ok(n) => conn.handle_input(Instant::now(), &buf[..n]),
//!                 Err(e) if waited(&e) => {}
//!                 Err(e) => return Err(e),
//!             }
//!         }
//!         // 2. handle timeouts
//!         conn.handle_timeout(Instant::now());
//!         // 3. drain events
//!         while let Some(event) = conn.poll_event() {
//!             println!("{event}");
//!         }
//!         // 4. transmit
//!         if conn.wants_write() {
//!             match socket.write(conn.pending_output()) {
//!                 Ok(n) => conn.consume_output(Instant::now(), n),
//!                 Err(e) if waited(&e) => {}
//!                 Err(e) => return Err(e),
//!             }
//!         }
//!     }
//!     Ok(())
//! }
//!
//! /// The socket had nothing, or took nothing, in time.
//! fn waited(e: &io::Error) -> bool {
//!     matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
//! }
//! ```
//!
//! The same turn, without a socket:
//!
//! ```
//! use std::time::Instant;
//! use sockwire::conn::{Connection, ConnectionConfig, Event};
//! use sockwire::builtin::{Protocol, ReplyPolicy};
//!
//! let now = Instant::now();
//! let service = Protocol::Fixed.service(ReplyPolicy::Upper);
//! let mut conn = Connection::new(now, service, ConnectionConfig::default());
//! let packet = sockwire::FixedPacket::new(1, "hi").to_bytes();
//! conn.handle_input(now, &packet[..10]); // a partial read
//! conn.handle_timeout(now);
//! assert!(conn.poll_event().is_none());
//! conn.handle_input(now, &packet[10..]);
//! let Some(Event::Received(message)) = conn.poll_event() else { panic!() };
//! assert_eq!(message.to_string(), r#"fixed packet #1 v1 size=2 "hi""#);
//! // the reply: same order, upper-cased text
//! assert_eq!(&conn.pending_output()[9..11], b"HI");
//! let n = conn.pending_output().len(); // what the socket accepted
//! conn.consume_output(now, n);
//! conn.handle_eof(now);
//! assert_eq!(conn.poll_event(), Some(Event::PeerClosed));
//! assert!(conn.is_closed()); // nothing left to do: close the socket
//! ```
//!
//! # Errors and closing
//!
//! Events say whose fault an error is ([`Event`]): the peer's input
//! ([`Event::PeerError`]), the peer's slowness ([`Event::TimedOut`]), the
//! peer not reading its replies ([`Event::PeerStoppedReading`]), or a
//! reply this side could not encode ([`Event::ReplyFailed`]). A decode error
//! by default closes the connection: the bad input is dropped, output
//! already queued for earlier messages is still written, then
//! [`is_closed`](Connection::is_closed) turns true.
//! [`ConnectionConfig::recover_from_errors`](ConnectionConfig#structfield.recover_from_errors)
//! keeps the connection open after errors the decoder recovers from
//! ([`Recoverable`](crate::Recoverable)).
//! [`ConnectionConfig::max_messages`](ConnectionConfig#structfield.max_messages)
//! closes it after that many answered messages, whatever else the peer
//! sent ([`is_finished`](Connection::is_finished)).
//!
//! # Backpressure
//!
//! [`wants_read`](Connection::wants_read) turns false while more than the
//! high-water mark ([`ConnectionConfig::high_water_mark`](ConnectionConfig#structfield.high_water_mark))
//! of output is unsent: a peer that writes without reading cannot make the
//! server buffer without bound, and if it accepts nothing for the write
//! timeout it is closed.
//!
//! The event queue is bounded the same way
//! ([`ConnectionConfig::max_events`](ConnectionConfig#structfield.max_events)):
//! while that many events wait unpolled, the connection decodes nothing
//! more and does not want to read; [`poll_event`](Connection::poll_event)
//! decodes the rest once it has handed them out. Nothing is dropped, and
//! a loop that drains the events every turn never sees the difference.
//!
//! # Timeouts
//!
//! Each timer measures the peer, never the connection's own choices:
//!
//! - **idle** ([`ConnectionConfig::idle_timeout`](ConnectionConfig#structfield.idle_timeout)):
//!   no byte read and none written for that long ends the connection;
//! - **message** ([`ConnectionConfig::message_timeout`](ConnectionConfig#structfield.message_timeout)):
//!   a message that started arriving must be complete within that long, so
//!   a peer dribbling one byte at a time cannot hold the connection's
//!   buffers for ever. Only time in which the connection
//!   [wants to read](Connection::wants_read) counts: while its own
//!   backpressure pauses reading, the peer cannot send the rest, so the
//!   timer stops; when the output drains to the high-water mark it goes
//!   on with the time already used. It is paused, not restarted, so that
//!   pauses never give a message more than the timeout of time in which
//!   it could have been sent;
//! - **write** ([`ConnectionConfig::write_timeout`](ConnectionConfig#structfield.write_timeout)):
//!   output pending and no byte of it accepted (a
//!   [`consume_output`](Connection::consume_output) with `n > 0`) for that
//!   long ends the connection: a peer that stopped reading is the one to
//!   time out while reading is paused. Any byte written restarts it.
//!
//! The message timer moves only in calls that take `now` and can change
//! [`wants_read`](Connection::wants_read) (`handle_input`,
//! `consume_output`), so a loop that reads whenever `wants_read` is true
//! and reports every write needs nothing more: [`poll_timeout`](Connection::poll_timeout)
//! is the earliest running deadline, and [`handle_timeout`](Connection::handle_timeout)
//! checks all three. A loop that does not read while `wants_read` is true
//! (say, a blocking one that only reads once its output is written)
//! charges that time to the peer's message: read without blocking then.
//!
//! A timeout is reported as [`Event::TimedOut`], or
//! [`Event::PeerStoppedReading`] for the write timeout; the connection is
//! closed at once, unsent output dropped (the peer is not reading it).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sockwire::conn::{Connection, ConnectionConfig, Event, Timeout};
//! use sockwire::builtin::{Protocol, ReplyPolicy};
//!
//! let t0 = Instant::now(); // a test's fake clock: a base and offsets
//! let secs = |s| t0 + Duration::from_secs(s);
//! let config = ConnectionConfig::default().with_idle_timeout(Some(Duration::from_secs(60)));
//! let mut conn = Connection::new(t0, Protocol::Line.service(ReplyPolicy::Echo), config);
//! assert_eq!(conn.poll_timeout(), Some(secs(60)));
//! conn.handle_input(secs(30), b"hi\n"); // activity
//! conn.consume_output(secs(30), 3);
//! let _ = conn.poll_event();
//! conn.handle_timeout(secs(89)); // not yet
//! assert!(!conn.is_closed());
//! conn.handle_timeout(secs(90));
//! assert!(matches!(conn.poll_event(), Some(Event::TimedOut(Timeout::Idle { .. }))));
//! assert!(conn.is_closed());
//! ```
//!
//! A peer that pipelines requests and stops reading: its replies pass the
//! high-water mark, reading pauses and the message timer with it, and the
//! write timer decides.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sockwire::conn::{Connection, ConnectionConfig, Event};
//! use sockwire::builtin::{Protocol, ReplyPolicy};
//!
//! let t0 = Instant::now();
//! let secs = |s| t0 + Duration::from_secs(s);
//! let config = ConnectionConfig::default()
//!     .with_message_timeout(Some(Duration::from_secs(1)))
//!     .with_write_timeout(Some(Duration::from_secs(10)))
//!     .with_high_water_mark(8)
//!     .clone();
//! let mut conn = Connection::new(t0, Protocol::Line.service(ReplyPolicy::Echo), config);
//! conn.handle_input(t0, b"0123456789\nhalf a li"); // a reply and half a request
//! assert!(!conn.wants_read()); // 11 bytes unsent: over the mark
//! assert_eq!(conn.poll_timeout(), Some(secs(10))); // the write timer alone
//! conn.consume_output(secs(5), 4); // the peer reads again
//! assert!(conn.wants_read());
//! assert_eq!(conn.poll_timeout(), Some(secs(6))); // the message timer runs on
//! conn.handle_input(secs(5), b"ne\n");
//! conn.handle_timeout(secs(15)); // and now it stops reading for good
//! let events: Vec<_> = std::iter::from_fn(|| conn.poll_event()).collect();
//! assert!(matches!(events.last(), Some(Event::PeerStoppedReading(_))));
//! assert!(conn.is_closed());
//! ```
//!
//! # Memory
//!
//! An idle connection (no unfinished input, no unsent output, no events)
//! holds no buffer capacity: the buffers are allocated when bytes arrive
//! and released when they empty. What stays is the [`Service`] and the
//! `Connection` itself.

mod config;
mod connection;
mod event;
mod service;
mod timer;

pub use config::ConnectionConfig;
pub use connection::Connection;
pub use event::{Event, Timeout, WriteStall};
pub use service::{CodecService, Service};
