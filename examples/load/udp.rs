//! `load --protocol udp`: UDP echo load, batched as the servers are.
//!
//! `--connections` client sockets, each keeping `--pipeline` datagrams in
//! flight until it has sent `--messages`. A datagram carries its number
//! (8 hex digits) then printable bytes made from the client and the number,
//! so a reply is matched to its request whatever the order and checked
//! byte for byte. A datagram whose echo has not come within `--loss-wait`
//! counts as lost: an error, or with `--allow-loss` only counted (UDP may
//! drop a datagram when a socket's buffer is full; a wrong echo is an error
//! always). The clients share one thread on a `mio` poll;
//! each one's datagrams of a round leave in one GSO send, and its replies
//! come in with `recvmmsg`/GRO (`--no-batch`: one system call a datagram).

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

use super::{Args, Stats, batch::BatchSocket, common, payload};

/// Bytes of the message number at the start of each datagram.
const NUMBER: usize = 8;

/// The datagram for message `k` of client `client`.
pub fn datagram(client: usize, k: u32, len: usize) -> Vec<u8> {
    let mut bytes = format!("{k:08x}").into_bytes();
    bytes.extend_from_slice(payload(client, k, len.saturating_sub(NUMBER)).as_bytes());
    bytes
}

/// One client socket and what it waits for.
struct Client {
    sock: BatchSocket,
    /// Messages sent so far (the last one's number).
    next: u32,
    /// Numbers in flight and when each was sent, oldest first.
    in_flight: VecDeque<(u32, Instant)>,
}

impl Client {
    /// Sends messages until `--pipeline` are in flight (one flush).
    fn top_up(&mut self, args: &Args, id: usize, stats: &mut Stats) {
        let now = Instant::now();
        while self.next < args.messages && self.in_flight.len() < args.pipeline.max(1) as usize {
            self.next += 1;
            let bytes = datagram(id, self.next, args.payload);
            stats.bytes_out += bytes.len() as u64;
            self.sock.queue(args.server, &bytes);
            self.in_flight.push_back((self.next, now));
        }
        let errors = &mut stats.errors;
        let sent = self
            .sock
            .flush(|to, e| errors.push(format!("client {id}: send to {to}: {e}")));
        stats.send_calls += sent.calls as u64;
    }

    /// Reads every datagram waiting, checking each against its request.
    fn drain(&mut self, args: &Args, id: usize, stats: &mut Stats) -> io::Result<()> {
        loop {
            let in_flight = &mut self.in_flight;
            let got = self.sock.recv(Duration::ZERO, |from, reply| {
                check(args, id, in_flight, from, reply, stats);
            })?;
            if got == 0 {
                return Ok(());
            }
            stats.recv_calls += 1;
        }
    }

    /// Gives up on datagrams older than `--loss-wait`: each one is an error.
    fn expire(&mut self, args: &Args, id: usize, now: Instant, stats: &mut Stats) {
        let wait = Duration::from_secs_f64(args.loss_wait);
        while let Some(&(k, sent)) = self.in_flight.front() {
            if now.duration_since(sent) < wait {
                break;
            }
            self.in_flight.pop_front();
            stats.lost += 1;
            if !args.allow_loss {
                stats.errors.push(format!(
                    "client {id}: no echo of message {k} within {wait:?}"
                ));
            }
        }
    }

    fn done(&self, messages: u32) -> bool {
        self.next == messages && self.in_flight.is_empty()
    }
}

/// Matches one reply to its request and checks its bytes.
fn check(
    args: &Args,
    id: usize,
    in_flight: &mut VecDeque<(u32, Instant)>,
    from: SocketAddr,
    reply: &[u8],
    stats: &mut Stats,
) {
    stats.bytes_in += reply.len() as u64;
    let number = reply
        .get(..NUMBER)
        .and_then(|n| std::str::from_utf8(n).ok())
        .and_then(|n| u32::from_str_radix(n, 16).ok());
    let found = number.and_then(|k| in_flight.iter().position(|&(q, _)| q == k));
    let (Some(k), Some(at), true) = (number, found, from == args.server) else {
        stats.errors.push(format!(
            "client {id}: unexpected datagram of {} bytes from {from}",
            reply.len()
        ));
        return;
    };
    if reply != datagram(id, k, args.payload) {
        stats
            .errors
            .push(format!("client {id}: echo of message {k} differs from it"));
    }
    if let Some((_, sent)) = in_flight.remove(at) {
        let us = sent.elapsed().as_micros();
        stats
            .latencies_us
            .push(u32::try_from(us).unwrap_or(u32::MAX));
        stats.completed += 1;
    }
}

/// Runs the UDP echo load.
pub fn run(args: &Args) -> io::Result<Stats> {
    if args.payload < NUMBER {
        return Err(io::Error::other(format!(
            "--payload must be at least {NUMBER} for udp (the message number)"
        )));
    }
    let mut poll = Poll::new()?;
    let mut clients = Vec::with_capacity(args.connections);
    for id in 0..args.connections {
        let socket = UdpSocket::bind(common::any_addr_for(args.server))?;
        let sock = BatchSocket::new(socket, !args.no_batch)?;
        let fd = sock.socket().as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&fd), Token(id), Interest::READABLE)?;
        clients.push(Client {
            sock,
            next: 0,
            in_flight: VecDeque::new(),
        });
    }
    let mut stats = Stats {
        connected: clients.len(),
        total: clients.len() as u64 * u64::from(args.messages),
        ..Stats::default()
    };
    if let Some(first) = clients.first() {
        common::say!("load: {}", first.sock.describe());
    }
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.timeout);
    let mut progress = start + Duration::from_secs(1);
    let mut next_expiry = start;
    let mut events = Events::with_capacity(1024);
    for (id, client) in clients.iter_mut().enumerate() {
        client.top_up(args, id, &mut stats);
    }
    let mut finished = clients.iter().filter(|c| c.done(args.messages)).count();
    while finished < clients.len() {
        let now = Instant::now();
        if now >= deadline {
            stats.errors.push(format!(
                "timed out after {} s with {finished} of {} clients finished",
                args.timeout,
                clients.len()
            ));
            break;
        }
        if now >= progress {
            super::progress(args, start, &stats);
            progress = now + Duration::from_secs(1);
        }
        poll.poll(&mut events, Some(Duration::from_millis(50)))?;
        for event in &events {
            let id = event.token().0;
            let Some(client) = clients.get_mut(id) else {
                continue;
            };
            let was_done = client.done(args.messages);
            client.drain(args, id, &mut stats)?;
            client.top_up(args, id, &mut stats);
            if !was_done && client.done(args.messages) {
                finished += 1;
            }
        }
        // losses: checked ten times a second
        let now = Instant::now();
        if now >= next_expiry {
            next_expiry = now + Duration::from_millis(100);
            for (id, client) in clients.iter_mut().enumerate() {
                let was_done = client.done(args.messages);
                client.expire(args, id, now, &mut stats);
                client.top_up(args, id, &mut stats);
                if !was_done && client.done(args.messages) {
                    finished += 1;
                }
            }
        }
    }
    Ok(stats)
}
