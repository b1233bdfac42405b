//! Test harness for the room-chat state machines: a fake clock and an
//! in-memory network that can drop, duplicate and reorder datagrams.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sockwire::room::{ClientConfig, ClientEvent, Name, RoomClient, RoomServer, ServerEvent};

pub const SERVER: SocketAddr = addr(5005);

/// `127.0.0.1:PORT` (never used for real traffic: the network is in memory).
pub const fn addr(port: u16) -> SocketAddr {
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), port)
}

/// SplitMix64: a tiny seeded RNG.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True with probability `p` (0.0..=1.0).
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 1.0 < p
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Drives a bare server: send one datagram, get every datagram it sends.
pub struct ServerHarness {
    pub server: RoomServer,
    pub base: Instant,
    pub now: Instant,
    pub events: Vec<ServerEvent>,
}

impl ServerHarness {
    pub fn new(server: RoomServer) -> Self {
        let base = Instant::now();
        ServerHarness {
            server,
            base,
            now: base,
            events: Vec::new(),
        }
    }

    /// Moves the clock to `base + secs` and runs the server's timers.
    pub fn at(&mut self, secs: f64) {
        self.now = self.base + Duration::from_secs_f64(secs);
        self.server.handle_timeout(self.now);
        self.drain_events();
    }

    fn drain_events(&mut self) {
        while let Some(e) = self.server.poll_event() {
            self.events.push(e);
        }
    }

    /// Sends `wire` from `127.0.0.1:port`; returns `(port, datagram)` for
    /// everything the server sent, in order.
    pub fn send(&mut self, port: u16, wire: impl AsRef<[u8]>) -> Vec<(u16, String)> {
        self.server
            .handle_datagram(self.now, addr(port), wire.as_ref());
        self.drain_events();
        let mut out = Vec::new();
        while let Some(t) = self.server.poll_transmit() {
            out.push((
                t.destination.port(),
                String::from_utf8(t.payload.to_vec()).unwrap(),
            ));
        }
        out
    }

    /// Sends `wire` and returns the one datagram sent back to the sender
    /// (asserting there is exactly one and nothing else).
    pub fn ask(&mut self, port: u16, wire: &str) -> String {
        let out = self.send(port, wire);
        assert_eq!(out.len(), 1, "{wire:?} gave {out:?}");
        assert_eq!(out[0].0, port, "{wire:?} gave {out:?}");
        out[0].1.clone()
    }

    pub fn last_event(&self) -> &ServerEvent {
        self.events.last().unwrap()
    }
}

/// A datagram in flight.
#[derive(Debug, Clone)]
struct Flight {
    at: Instant,
    seq: u64,
    from: SocketAddr,
    to: SocketAddr,
    payload: bytes::Bytes,
}

/// How the in-memory network treats datagrams.
#[derive(Debug, Clone, Copy)]
pub struct Conditions {
    /// Probability that a datagram is lost.
    pub loss: f64,
    /// Probability that a datagram is delivered twice.
    pub duplicate: f64,
    /// Every datagram takes `latency` plus up to `jitter` (which reorders).
    pub latency: Duration,
    pub jitter: Duration,
}

impl Conditions {
    pub fn perfect() -> Self {
        Conditions {
            loss: 0.0,
            duplicate: 0.0,
            latency: Duration::from_millis(1),
            jitter: Duration::ZERO,
        }
    }

    pub fn lossy(loss: f64) -> Self {
        Conditions {
            loss,
            duplicate: loss / 2.0,
            latency: Duration::from_millis(20),
            jitter: Duration::from_millis(20),
        }
    }
}

/// A server and clients joined by an in-memory network with a fake clock.
pub struct Network {
    pub server: RoomServer,
    pub clients: Vec<RoomClient>,
    pub addrs: Vec<SocketAddr>,
    pub client_events: Vec<Vec<ClientEvent>>,
    pub server_events: Vec<ServerEvent>,
    /// Every datagram the server sent, in order: (to, payload).
    pub server_sent: Vec<(SocketAddr, String)>,
    pub base: Instant,
    pub now: Instant,
    pub conditions: Conditions,
    pub rng: Rng,
    in_flight: Vec<Flight>,
    seq: u64,
    /// Datagrams sent to addresses nobody has (spoofing tests).
    pub stray: HashMap<SocketAddr, Vec<bytes::Bytes>>,
    /// Whether the server is running: while it is not, datagrams to it are
    /// lost.
    pub server_up: bool,
    /// Every datagram the network lost, in order: (from, to, payload).
    pub dropped: Vec<(SocketAddr, SocketAddr, bytes::Bytes)>,
    /// Datagrams this returns `true` for are lost (before the random
    /// loss): (from, to, payload).
    pub drop_rule: Option<DropRule>,
}

/// A rule that picks datagrams to lose.
pub type DropRule = Box<dyn FnMut(SocketAddr, SocketAddr, &[u8]) -> bool>;

impl Network {
    pub fn new(server: RoomServer, conditions: Conditions, seed: u64) -> Self {
        let base = Instant::now();
        Network {
            server,
            clients: Vec::new(),
            addrs: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            server_sent: Vec::new(),
            base,
            now: base,
            conditions,
            rng: Rng::new(seed),
            in_flight: Vec::new(),
            seq: 0,
            stray: HashMap::new(),
            server_up: true,
            dropped: Vec::new(),
            drop_rule: None,
        }
    }

    /// Adds a client at `127.0.0.1:port` registering as `user`; returns its
    /// index.
    pub fn add_client(&mut self, port: u16, user: &str) -> usize {
        self.add_client_with(port, user, ClientConfig::default())
    }

    pub fn add_client_with(&mut self, port: u16, user: &str, config: ClientConfig) -> usize {
        let client = RoomClient::new(self.now, SERVER, Name::new(user).unwrap(), config);
        self.clients.push(client);
        self.addrs.push(addr(port));
        self.client_events.push(Vec::new());
        self.clients.len() - 1
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.base
    }

    /// Types a line into client `i`.
    pub fn line(&mut self, i: usize, line: &str) {
        self.clients[i].handle_line(self.now, line).unwrap();
    }

    /// Injects a raw datagram from `from` to `to`, delivered at once.
    pub fn inject(&mut self, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
        self.deliver(from, to, payload);
        self.collect();
    }

    fn send(&mut self, from: SocketAddr, to: SocketAddr, payload: bytes::Bytes) {
        let c = self.conditions;
        let ruled = self
            .drop_rule
            .as_mut()
            .is_some_and(|r| r(from, to, &payload));
        if ruled || self.rng.chance(c.loss) {
            self.dropped.push((from, to, payload));
            return;
        }
        let copies = if self.rng.chance(c.duplicate) { 2 } else { 1 };
        for _ in 0..copies {
            let jitter = if c.jitter.is_zero() {
                Duration::ZERO
            } else {
                Duration::from_micros(self.rng.below(c.jitter.as_micros() as u64))
            };
            self.seq += 1;
            self.in_flight.push(Flight {
                at: self.now + c.latency + jitter,
                seq: self.seq,
                from,
                to,
                payload: payload.clone(),
            });
        }
    }

    /// Moves everything the endpoints want to send into the network, and
    /// their events into the logs.
    fn collect(&mut self) {
        while let Some(t) = self.server.poll_transmit() {
            self.server_sent.push((
                t.destination,
                String::from_utf8(t.payload.to_vec()).unwrap(),
            ));
            self.send(SERVER, t.destination, t.payload);
        }
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
        for i in 0..self.clients.len() {
            while let Some(t) = self.clients[i].poll_transmit() {
                let from = self.addrs[i];
                self.send(from, t.destination, t.payload);
            }
            while let Some(e) = self.clients[i].poll_event() {
                self.client_events[i].push(e);
            }
        }
    }

    /// The server restarts: everything it knew is gone.
    pub fn restart_server(&mut self, server: RoomServer) {
        self.server = server;
    }

    fn deliver(&mut self, from: SocketAddr, to: SocketAddr, payload: &[u8]) {
        if to == SERVER {
            if self.server_up {
                self.server.handle_datagram(self.now, from, payload);
            }
        } else if let Some(i) = self.addrs.iter().position(|a| *a == to) {
            self.clients[i].handle_datagram(self.now, from, payload);
        } else {
            self.stray
                .entry(to)
                .or_default()
                .push(bytes::Bytes::copy_from_slice(payload));
        }
    }

    /// The next moment something happens, if before `limit`.
    fn next_event_time(&self) -> Option<Instant> {
        let flights = self.in_flight.iter().map(|f| f.at);
        let timers = self
            .clients
            .iter()
            .filter_map(RoomClient::poll_timeout)
            .chain(self.server.poll_timeout().filter(|_| self.server_up));
        flights.chain(timers).min()
    }

    /// Runs the world until `until` (absolute offset from base), stepping
    /// from event to event.
    pub fn run_until(&mut self, until: Duration) {
        let limit = self.base + until;
        self.collect();
        while let Some(t) = self.next_event_time() {
            if t > limit {
                break;
            }
            self.step_to(t);
        }
        self.now = self.now.max(limit);
        self.fire_timers();
    }

    /// Runs for `d` more.
    pub fn run_for(&mut self, d: Duration) {
        let until = self.elapsed() + d;
        self.run_until(until);
    }

    /// Runs until no client has a request under way (or `max` passes).
    pub fn settle(&mut self, max: Duration) {
        let limit = self.elapsed() + max;
        self.collect();
        while self
            .clients
            .iter()
            .any(|c| c.pending() > 0 || c.pending_private() > 0)
            || !self.in_flight.is_empty()
        {
            let Some(t) = self.next_event_time() else {
                break;
            };
            if t > self.base + limit {
                break;
            }
            self.step_to(t);
        }
    }

    fn step_to(&mut self, t: Instant) {
        self.now = self.now.max(t);
        // deliver in arrival order (ties by send order)
        self.in_flight.sort_by_key(|f| (f.at, f.seq));
        let due = self
            .in_flight
            .iter()
            .take_while(|f| f.at <= self.now)
            .count();
        let arrived: Vec<Flight> = self.in_flight.drain(..due).collect();
        for f in arrived {
            self.deliver(f.from, f.to, &f.payload);
            self.collect();
        }
        self.fire_timers();
    }

    fn fire_timers(&mut self) {
        if self.server_up && self.server.poll_timeout().is_some_and(|t| t <= self.now) {
            self.server.handle_timeout(self.now);
        }
        for c in &mut self.clients {
            if c.poll_timeout().is_some_and(|t| t <= self.now) {
                c.handle_timeout(self.now);
            }
        }
        self.collect();
    }

    /// Takes client `i`'s events so far.
    pub fn take_events(&mut self, i: usize) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_events[i])
    }
}
