//! The room directory on the lab's original wire (§8): the same commands
//! as §7 on a simpler wire, with no tags, a server that is only an address
//! book, and chat lines sent peer to peer. It is the wire the lab's own
//! Python programs speak, so sockwire's machines and theirs interoperate.
//!
//! | | §7 ([`crate::room`]) | §8 (this module) |
//! |---|---|---|
//! | a request | `7 rc lobby` | `rc lobby` |
//! | its answer | `7 ok` (same tag) | `rc lobby` (or the bare `rc`) |
//! | a list | one datagram, `7 ul alice bob` | one datagram per entry, `ul alice`, `ul bob` |
//! | room messages | relayed by the server, `n3 ms lobby alice hi` | `msg alice> hi`, peer to peer |
//! | a lost datagram | retransmitted (tags) | lost |
//!
//! The tags are what §7 adds: with them a client can match a reply to its
//! request, retransmit a request whose reply was lost, and the server can
//! answer a retransmission from its cache without running it twice. On §8
//! a lost `hi` or `rj` is a client waiting for ever, and a list cannot be
//! told complete.
//!
//! Where §8 is silent, these machines decide as follows:
//!
//! - Names follow §7's rules (1 to 32 of `A-Z a-z 0-9 _ -`); `hi` with
//!   another name gets the bare `hi`, as a taken one does, so the lab's
//!   client asks again. An invalid room or user name gets the op's "no".
//! - Over a limit the answer is the op's "no": the bare `hi` (server
//!   full), `rc` (too many rooms), `rj` (room full).
//! - Every op but `hi` and `by` from an unregistered address is dropped
//!   and logged; `by` is always answered, so a client can close.
//! - `hi` from a registered address renames it; `rj` of the room one is in
//!   sends the peer lists again.
//! - A room left empty is removed (§7's rule); a room nobody joined goes
//!   when its creator says `by`. A registration lasts until `by`: §8 has
//!   no keep-alive, so nothing can expire.
//! - The client keeps poked users apart from the room's peers: a refresh
//!   replaces the room's peers only; `$kick` forgets both. A chat line
//!   from an address that is no peer is dropped unless the client knows no
//!   peer at all.
//!
//! The §8 machines share with §7's the names and their rules
//! ([`Name`](crate::room::Name)), the `$` commands
//! ([`Command`](crate::room::Command)), the registered users (one name per
//! address, a `hi` from a registered address renames it), and the rooms
//! with their limits and membership rules. Like §7's they do no I/O and
//! read no clock, and both implement
//! [`DatagramMachine`](crate::DatagramMachine):
//!
//! | | [`LabServer`] | [`LabClient`] |
//! |---|---|---|
//! | made by | `new(config)` | `new(server, name, config)`: sends `hi NAME` |
//! | input | `handle_datagram(from, bytes)` | `handle_datagram(from, bytes)`, `handle_line(now, line)`, `hello(name)` |
//! | output | `poll_transmit()`, `poll_event()` | `poll_transmit()`, `poll_event()` |
//! | timer | none | `poll_timeout()` + `handle_timeout(now)`: the wait for `by` after `$quit` |
//! | finished | never | `is_closed()`: `by` answered or waited for, all sent |
//!
//! A call takes `now` only where it can start or move a deadline: the
//! server has none, and the client's one deadline starts at `$quit` (so
//! its constructor, unlike §7's, takes no `now`). The wire alone is the
//! codecs [`LabServerCodec`] and [`LabClientCodec`], for a socket that
//! speaks §8 without the machines (a `tokio` `UdpFramed`, say).
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use sockwire::room::Name;
//! use sockwire::room::lab::{LabClient, LabClientEvent, LabServer};
//!
//! let server_addr: SocketAddr = "127.0.0.1:5005".parse()?;
//! let addrs: [SocketAddr; 2] = ["127.0.0.1:40001".parse()?, "127.0.0.1:40002".parse()?];
//! let now = Instant::now();
//! let mut server = LabServer::default();
//! let mut clients = [
//!     LabClient::new(server_addr, Name::new("alice")?, Default::default()),
//!     LabClient::new(server_addr, Name::new("bob")?, Default::default()),
//! ];
//! // a network that delivers at once
//! let mut run = |server: &mut LabServer, clients: &mut [LabClient; 2]| {
//!     for i in 0..2 {
//!         while let Some(t) = clients[i].poll_transmit() {
//!             if t.destination == server_addr {
//!                 server.handle_datagram(addrs[i], &t.payload);
//!             } else if let Some(j) = addrs.iter().position(|a| *a == t.destination) {
//!                 clients[j].handle_datagram(addrs[i], &t.payload);
//!             }
//!         }
//!         while let Some(t) = server.poll_transmit() {
//!             let j = addrs.iter().position(|a| *a == t.destination).unwrap();
//!             clients[j].handle_datagram(server_addr, &t.payload);
//!         }
//!     }
//! };
//! run(&mut server, &mut clients); // hi alice, hi bob
//! clients[0].handle_line(now, "$roomcreate lobby")?;
//! run(&mut server, &mut clients);
//! clients[0].handle_line(now, "$roomjoin lobby")?;
//! clients[1].handle_line(now, "$roomjoin lobby")?;
//! run(&mut server, &mut clients);
//! clients[0].handle_line(now, "hello bob")?; // msg alice> hello bob, to bob
//! run(&mut server, &mut clients);
//! let heard: Vec<String> = std::iter::from_fn(|| clients[1].poll_event())
//!     .filter(|e| matches!(e, LabClientEvent::Chat { .. }))
//!     .map(|e| e.to_string())
//!     .collect();
//! assert_eq!(heard, ["alice> hello bob"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod codec;
mod server;
mod wire;

pub use client::{LabClient, LabClientConfig, LabClientError, LabClientEvent, LabDropReason};
pub use codec::{LabClientBound, LabClientCodec, LabServerCodec};
pub use server::{LabServer, LabServerConfig, LabServerEvent};
pub use wire::{LabAnswer, LabChat, LabRequest, LabWireError};
