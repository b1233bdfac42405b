//! Room chat over UDP (§7): the wire types, a sans-IO server
//! ([`RoomServer`]) and a sans-IO client ([`RoomClient`]).
//!
//! One datagram is one message, `<tag> <op> [<arg> ...]`, UTF-8, at most
//! 4,096 bytes ([`ServerBound`], [`ClientBound`]). A client's request
//! carries a tag it chose, copied into the reply; a notification the
//! server sends on its own carries `n<seq>`, counted per client; a private
//! message goes straight from one client to another, with its sender's
//! tag, and is answered like a request.
//!
//! Both state machines have the shape of `quinn-proto` and implement
//! [`DatagramMachine`](crate::DatagramMachine): feed them what arrived with
//! `handle_datagram(now, from, bytes)`, call `handle_timeout(now)` when
//! `poll_timeout()` says so, drain `poll_event()`, and send what
//! `poll_transmit()` gives (a [`Transmit`](crate::Transmit)). They never
//! read a clock or touch a socket. Each takes its config
//! ([`ServerConfig`], [`ClientConfig`]) by value at construction.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use sockwire::room::{ClientConfig, ClientEvent, Name, Reply, RoomClient, RoomServer};
//!
//! let server_addr: SocketAddr = "127.0.0.1:5005".parse()?;
//! let alice_addr: SocketAddr = "127.0.0.1:40001".parse()?;
//! let now = Instant::now();
//! let mut server = RoomServer::default();
//! let mut alice = RoomClient::new(now, server_addr, Name::new("alice")?, ClientConfig::default());
//! alice.handle_line(now, "$roomcreate lobby")?;
//! // a network that delivers at once; requests go one at a time
//! while let Some(t) = alice.poll_transmit() {
//!     server.handle_datagram(now, alice_addr, &t.payload);
//!     while let Some(t) = server.poll_transmit() {
//!         alice.handle_datagram(now, server_addr, &t.payload);
//!     }
//! }
//! let mut replies = Vec::new();
//! while let Some(event) = alice.poll_event() {
//!     if let ClientEvent::Reply { reply, .. } = event {
//!         replies.push(reply);
//!     }
//! }
//! assert_eq!(replies, [Reply::Ok, Reply::Ok]); // hi, rc
//! assert_eq!(alice.room().map(|r| r.as_str()), Some("lobby"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Nothing lost while both ends live
//!
//! - **Notifications** are numbered per client from 1 at each `hi` the
//!   server runs (a rename or a second `hi` starts the count again, as the
//!   client does when it registers again), and the server sends each
//!   until it is acknowledged (`n<seq> ak`): first after 500 ms, then
//!   with the wait doubling up to 4 s, for as long as the client stays
//!   registered, so even the last one before a quiet spell arrives. At most 64 sequence numbers are in flight per client (from
//!   the oldest unacknowledged); up to 1,024 more wait in order. Only an
//!   overflow of that queue drops any, and then `n<seq> ls <count>` goes
//!   in their place ([`ServerEvent::Overflowed`]), shown by the client as
//!   "lost N messages from the server".
//! - The client acknowledges every copy, shows each notification once, in
//!   `seq` order, and holds back one that comes ahead of a gap. A gap open
//!   60 s means the registration is gone (the server restarted, or it
//!   expired): the client shows what it held back, says how many were
//!   missing ([`ClientEvent::Lost`]) and registers again.
//! - **Re-registration**: a request answered `er not-registered` makes the
//!   client send `hi` again under the same name, rejoin the room it was in
//!   (making it again if the server lost it) and repeat the request once,
//!   with new tags, telling the user ([`ClientEvent::Reregistering`]).
//! - **Private messages** are tagged and answered by the receiver
//!   (`<tag> ok`, or `<tag> er not-poked` from a client that does not know
//!   the sender); the sender retransmits like a request and reports one
//!   without answer ([`ClientEvent::PrivateTimedOut`]); the receiver shows
//!   a repeated tag from the same address once and answers it again.
//! - **Pastes**: requests are sent one at a time, in order, from a queue
//!   deep enough for a paste of 1,000 lines ([`ClientConfig::max_pending`],
//!   2,048). Each ends in a [`Reply`](ClientEvent::Reply) or a
//!   [`TimedOut`](ClientEvent::TimedOut): delivered or reported failed.
//!   The protocol allows a window of requests in flight instead, with the
//!   server executing each client's requests in tag order; this client
//!   chooses the queue because stop-and-wait needs nothing more from the
//!   server than its reply cache, keeps the order by construction (a
//!   request is sent only after the one before it is answered or given
//!   up), and cannot make the server execute a line twice or out of order.
//!   It costs one round trip per line: over loopback a paste of 1,000
//!   lines takes seconds; on a lossy network each lost datagram adds a
//!   500 ms wait. Private messages go one at a time too, in order.
//!
//! The crate's tests hold the two machines to this on a simulated network
//! that drops, duplicates and reorders (`tests/room_lossy.rs`; the figures
//! are the test's output): a 1,000-line paste reaches both receivers whole,
//! in order and once in 200 of 200 seeds at 10% loss and in 50 of 50 at
//! 30% and at 50% (with a sender that retries until answered; the default
//! sender's four retransmissions lost 1 line in 100 seeds at 10%, and said
//! so); the last notification arrives though its first 8 copies are lost;
//! of 4,000 `pm`s at 30% loss every one is shown once or reported to its
//! sender; a receiver that stops acknowledging during a 1,200-line flood
//! sees the first 64, `ls 112`, then the last 1,024, while the others lose
//! nothing. Two real `udp_chat` clients behind a 50% lossy proxy, 60 + 30
//! lines: nothing lost silently, nothing shown twice.
//!
//! # The server's answers
//!
//! | request | reply | notifications (tag `n<seq>`) |
//! |---|---|---|
//! | `hi user` | `ok`; `er name-taken`, `er bad-name`, `er server-full` | none; from a registered address it renames |
//! | `ul`, `rl` | the sorted list | none |
//! | `rc room` | `ok`; `er room-exists`, `er bad-name`, `er too-many-rooms` | `lv` to the old room's members |
//! | `rj room` | `ok`; `er no-such-room`, `er room-full` | `lv` to the old room, `jn` to the new one |
//! | `rk` | `ok`; `er not-in-room` | `lv` to those who stay |
//! | `ar user` | `pa user ip:port`; `er no-such-user` | `pa me ip:port` to `user` |
//! | `kk` | `ok`; `er not-in-room`, `er not-owner` | `kd room` to each kicked member, `lv room them` to the owner |
//! | `ms text` | `ok`; `er not-in-room`, `er too-long` if the relay would pass 4,096 bytes | `ms room me text` to every other member |
//! | `ka` | `ok` | none |
//! | `by` | `ok` | `lv` to the room's other members |
//!
//! Any request but `hi` from an unregistered address gets
//! `er not-registered`; a malformed one `er bad-request` (an invalid name:
//! `er bad-name` for `hi`/`rc`, `er no-such-room` for `rj`,
//! `er no-such-user` for `ar`, `er not-registered` but for `hi` from an
//! unregistered address); an over-long datagram `er too-long` with its
//! tag, or `0` when it cannot be read; a datagram whose tag cannot be read
//! is dropped. An owner who leaves hands the room to the member who joined
//! longest ago; an empty room is removed. Every datagram refreshes its
//! address's registration, which expires after 60 s of silence (leaving its
//! room as `by` does). A request whose address and tag match a recent one
//! (see [`ServerConfig::with_reply_history`]) gets the same reply again,
//! and is not executed twice. The notifications a request causes are
//! queued before its reply.
//!
//! # Driving the server
//!
//! One turn of the loop, in this order:
//!
//! 1. feed what arrived: [`handle_datagram`](RoomServer::handle_datagram);
//! 2. run the timers when [`poll_timeout`](RoomServer::poll_timeout) is due:
//!    [`handle_timeout`](RoomServer::handle_timeout);
//! 3. drain [`poll_event`](RoomServer::poll_event) (log it);
//! 4. send every [`poll_transmit`](RoomServer::poll_transmit);
//!
//! then wait for a datagram until `poll_timeout()`. A loop that sends
//! before it handles does no harm: while a datagram waits in the queue,
//! `poll_timeout()` is already due, so the wait ends at once.
//!
//! ```
//! use std::net::UdpSocket;
//! use std::time::{Duration, Instant};
//! use sockwire::room::RoomServer;
//!
//! /// One turn: input, timers, events, output.
//! fn turn(server: &mut RoomServer, socket: &UdpSocket, buf: &mut [u8]) -> std::io::Result<()> {
//!     let wait = server.poll_timeout().map(|t| t.saturating_duration_since(Instant::now()));
//!     socket.set_read_timeout(Some(wait.unwrap_or(Duration::from_secs(1)).max(Duration::from_millis(1))))?;
//!     if let Ok((n, from)) = socket.recv_from(buf) {
//!         server.handle_datagram(Instant::now(), from, &buf[..n]); // 1
//!     }
//!     if server.poll_timeout().is_some_and(|t| t <= Instant::now()) {
//!         server.handle_timeout(Instant::now()); // 2
//!     }
//!     while let Some(event) = server.poll_event() {
//!         println!("{event}"); // 3
//!     }
//!     while let Some(t) = server.poll_transmit() {
//!         socket.send_to(&t.payload, t.destination)?; // 4
//!     }
//!     Ok(())
//! }
//!
//! let socket = UdpSocket::bind("127.0.0.1:0")?;
//! let client = UdpSocket::bind("127.0.0.1:0")?;
//! client.send_to(b"1 hi alice", socket.local_addr()?)?;
//! let mut server = RoomServer::default();
//! turn(&mut server, &socket, &mut [0; 4096])?;
//! let mut reply = [0; 4096];
//! client.set_read_timeout(Some(Duration::from_secs(5)))?;
//! let (n, _) = client.recv_from(&mut reply)?;
//! assert_eq!(&reply[..n], b"1 ok");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//!
//! # Driving the client
//!
//! One turn of the loop, in this order:
//!
//! 1. feed what arrived: [`handle_datagram`](RoomClient::handle_datagram),
//!    and what the person typed: [`handle_line`](RoomClient::handle_line);
//! 2. run the timers when [`poll_timeout`](RoomClient::poll_timeout) is
//!    due: [`handle_timeout`](RoomClient::handle_timeout);
//! 3. drain [`poll_event`](RoomClient::poll_event): show it, or react to
//!    it with new commands (a bot does);
//! 4. send every [`poll_transmit`](RoomClient::poll_transmit), which
//!    includes what step 3 queued;
//!
//! then wait for a datagram until `poll_timeout()`. Sending before
//! draining the events would leave step 3's requests in the queue until
//! the next turn; that does no harm, because while a datagram waits,
//! `poll_timeout()` is already due, so the wait ends at once.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use sockwire::Transmit;
//! use sockwire::room::{ClientConfig, ClientEvent, Name, Notification, RoomClient, RoomServer};
//!
//! /// One turn of a bot that welcomes whoever joins its room.
//! fn turn(bot: &mut RoomClient, now: Instant, arrived: Option<(SocketAddr, &[u8])>) -> Vec<Transmit> {
//!     if let Some((from, datagram)) = arrived {
//!         bot.handle_datagram(now, from, datagram); // 1
//!     }
//!     if bot.poll_timeout().is_some_and(|t| t <= now) {
//!         bot.handle_timeout(now); // 2
//!     }
//!     while let Some(event) = bot.poll_event() {
//!         // 3: may queue requests
//!         if let ClientEvent::Notice(Notification::Joined { user, .. }) = event {
//!             bot.handle_line(now, &format!("welcome, {user}")).ok();
//!         }
//!     }
//!     std::iter::from_fn(|| bot.poll_transmit()).collect() // 4
//! }
//!
//! let (server_addr, bot_addr, carol_addr): (SocketAddr, SocketAddr, SocketAddr) =
//!     ("127.0.0.1:5005".parse()?, "127.0.0.1:40001".parse()?, "127.0.0.1:40002".parse()?);
//! let now = Instant::now();
//! let mut server = RoomServer::default();
//! let mut bot = RoomClient::new(now, server_addr, Name::new("bot")?, ClientConfig::default());
//! bot.handle_line(now, "$roomcreate lobby")?;
//! // a network that delivers at once; carol joins by hand once the room exists
//! let (mut carol_heard, mut carol_joined) = (Vec::new(), false);
//! let mut out = turn(&mut bot, now, None);
//! for _ in 0..10 {
//!     for t in out.drain(..) {
//!         server.handle_datagram(now, bot_addr, &t.payload);
//!     }
//!     if bot.room().is_some() && !carol_joined {
//!         server.handle_datagram(now, carol_addr, b"1 hi carol");
//!         server.handle_datagram(now, carol_addr, b"2 rj lobby");
//!         carol_joined = true;
//!     }
//!     let mut to_bot = Vec::new();
//!     while let Some(t) = server.poll_transmit() {
//!         if t.destination == bot_addr {
//!             to_bot.push(t.payload);
//!         } else {
//!             carol_heard.push(String::from_utf8_lossy(&t.payload).into_owned());
//!         }
//!     }
//!     for datagram in to_bot {
//!         out.extend(turn(&mut bot, now, Some((server_addr, &datagram))));
//!     }
//! }
//! // the welcome went out in the turn that saw carol join
//! assert!(carol_heard.iter().any(|d| d.ends_with("ms lobby bot welcome, carol")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod client_event;
mod command;
mod directory;
mod events;
pub mod lab;
mod outbox;
mod peers;
mod private;
mod registry;
mod reorder;
mod reply_cache;
mod requests;
mod server;
mod stop_and_wait;
mod timers;
mod wire;
mod words;

pub use client::{ClientConfig, RoomClient};
pub use client_event::{ClientEvent, DropReason, Repeat};
pub use command::{ClientError, Command};
pub use server::{RoomServer, ServerConfig, ServerEvent};
pub use wire::{
    BadName, ClientBound, ClientBoundCodec, ErrorCode, Name, Notification, PrivateMessage, Reply,
    Request, ServerBound, ServerBoundCodec, Tag, WireError, read_tag,
};
