//! The room directory on the lab's original wire (PROTOCOLS.md §8): the
//! same commands as §7 on a simpler wire, with no tags, a server that is
//! only an address book, and chat lines sent peer to peer.
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
//! ([`Command`](crate::room::Command)), and the rooms with their limits and
//! membership rules (the server's directory). Like §7's they do no I/O and
//! read no clock.
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
//!     LabClient::new(server_addr, Default::default()),
//!     LabClient::new(server_addr, Default::default()),
//! ];
//! // a network that delivers at once
//! let mut run = |server: &mut LabServer, clients: &mut [LabClient; 2]| {
//!     for i in 0..2 {
//!         while let Some(t) = clients[i].poll_transmit() {
//!             if t.destination == server_addr {
//!                 server.handle_datagram(now, addrs[i], &t.payload);
//!             } else if let Some(j) = addrs.iter().position(|a| *a == t.destination) {
//!                 clients[j].handle_datagram(now, addrs[i], &t.payload);
//!             }
//!         }
//!         while let Some(t) = server.poll_transmit() {
//!             let j = addrs.iter().position(|a| *a == t.destination).unwrap();
//!             clients[j].handle_datagram(now, server_addr, &t.payload);
//!         }
//!     }
//! };
//! clients[0].hello(now, Name::new("alice")?)?;
//! clients[1].hello(now, Name::new("bob")?)?;
//! run(&mut server, &mut clients);
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
mod server;
mod wire;

pub use client::{LabClient, LabClientConfig, LabClientError, LabClientEvent, LabDropReason};
pub use server::{LabServer, LabServerConfig, LabServerEvent};
pub use wire::{LabAnswer, LabChat, LabRequest, LabWireError};
