//! The §7 server's fan-out, sans IO: how many notifications per second one
//! `RoomServer` makes and takes back, and what each costs in allocations.
//!
//! ```sh
//! cargo bench --bench room              # rooms of 10, 100 and 1,000
//! cargo bench --bench room -- 100       # one size
//! ```
//!
//! One iteration: a member of a room of `M` says a line (`ms`), the server
//! answers `ok` and queues `M - 1` notifications, every transmit is
//! polled, and each other member's `n<seq> ak` is handed back, as a client
//! answers. The throughput is in notifications (elements) per second, each
//! one a datagram out and its acknowledgement in: the work an echo server
//! does per datagram, minus the socket. The datagrams are made on the
//! stack (no allocation of the bench's own in the counted part).
//!
//! Before the timed runs, a counting global allocator
//! (`shared/counting.rs`, which `tests/alloc.rs` uses too) counts the heap
//! allocations of 200 such lines and prints them per notification. It
//! stays the allocator of this bench's binary for the timed runs: one
//! thread-local add per allocation.

#[path = "shared/counting.rs"]
mod counting;

use std::hint::black_box;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use counting::allocs;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sockwire::room::{RoomServer, ServerConfig};

/// Room sizes benched.
const SIZES: [usize; 3] = [10, 100, 1000];

/// A member's address: 127.0.0.1, port 10000 + i.
fn addr(i: usize) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 10_000 + i as u16))
}

/// A datagram written on the stack.
struct Datagram {
    buf: [u8; 64],
    len: usize,
}

impl Datagram {
    fn new(args: std::fmt::Arguments<'_>) -> Datagram {
        let mut buf = [0u8; 64];
        let mut w = &mut buf[..];
        w.write_fmt(args).expect("fits in 64 bytes");
        let len = 64 - w.len();
        Datagram { buf, len }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A room of `m` members: a server with `m` users, all in `lobby`, every
/// notification so far acknowledged.
struct Room {
    server: RoomServer,
    m: usize,
    /// The next request tag of member 0, who talks.
    tag: u32,
}

impl Room {
    fn new(m: usize) -> Room {
        let mut config = ServerConfig::default();
        config.max_users = m;
        config.max_members = m;
        let mut room = Room {
            server: RoomServer::new(config),
            m,
            tag: 10,
        };
        let now = Instant::now();
        for i in 0..m {
            let hi = Datagram::new(format_args!("1 hi u{i}"));
            room.server.handle_datagram(now, addr(i), hi.bytes());
            let join = if i == 0 { "rc" } else { "rj" };
            let join = Datagram::new(format_args!("2 {join} lobby"));
            room.server.handle_datagram(now, addr(i), join.bytes());
            room.answer(now);
        }
        room
    }

    /// Polls every transmit and acknowledges each notification; returns
    /// how many there were.
    fn answer(&mut self, now: Instant) -> usize {
        let mut notes = 0;
        while let Some(t) = self.server.poll_transmit() {
            // `n<seq> ...`: a notification, answered `n<seq> ak`
            let Some(rest) = t.payload.strip_prefix(b"n") else {
                continue;
            };
            let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
            let mut ack = Datagram::new(format_args!("n"));
            ack.buf[1..=end].copy_from_slice(&rest[..end]);
            ack.buf[end + 1..end + 4].copy_from_slice(b" ak");
            ack.len = end + 4;
            self.server.handle_datagram(now, t.destination, ack.bytes());
            notes += 1;
        }
        while self.server.poll_event().is_some() {}
        notes
    }

    /// Member 0 says a line; everyone else is notified and acknowledges.
    fn say(&mut self) -> usize {
        let now = Instant::now();
        self.tag = self.tag.wrapping_add(1).max(10);
        let line = Datagram::new(format_args!("{} ms hello, room", self.tag));
        self.server.handle_datagram(now, addr(0), line.bytes());
        let notes = self.answer(now);
        debug_assert_eq!(notes, self.m - 1);
        notes
    }
}

fn fan_out(c: &mut Criterion) {
    for m in SIZES {
        let mut room = Room::new(m);
        let lines = 200;
        let (count, notes) = allocs(|| (0..lines).map(|_| room.say()).sum::<usize>());
        assert_eq!(notes, lines * (m - 1), "every member notified");
        assert_eq!(
            room.server.unacknowledged("u1"),
            Some(0),
            "all acknowledged"
        );
        println!(
            "room of {m}: {:.2} allocations per notification ({count} for {notes})",
            count as f64 / notes as f64
        );
        let mut group = c.benchmark_group("room_fan_out");
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_millis(1500))
            .throughput(Throughput::Elements((m - 1) as u64));
        group.bench_function(format!("members/{m}"), |b| {
            b.iter(|| black_box(room.say()));
        });
        group.finish();
    }
}

criterion_group!(benches, fan_out);
criterion_main!(benches);
