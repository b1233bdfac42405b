//! Datagram machines in memory, no sockets: helpers to drain any
//! [`DatagramMachine`], a harness that drives one server a datagram at a
//! time, and an in-memory network for the §7 room that can drop,
//! duplicate and reorder datagrams (its clock is the kit's [`FakeClock`];
//! for any machines on a plain lossy network, use `sockwire::testing::Network`).

#![allow(dead_code)] // each test file uses part of this

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use sockwire::room::{ClientConfig, ClientEvent, Name, RoomClient, RoomServer, ServerEvent};
use sockwire::testing::FakeClock;
use sockwire::{DatagramMachine, Transmit};

/// The server's address in the §7 network.
pub const SERVER: SocketAddr = addr(5005);

/// `127.0.0.1:PORT` (never used for real traffic: the network is in memory).
pub const fn addr(port: u16) -> SocketAddr {
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), port)
}

/// A user or room name that the test knows is valid.
pub fn name(s: &str) -> Name {
    Name::new(s).unwrap()
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

/// Everything `machine` sends, as `(port, text)`, in order.
pub fn sent(machine: &mut impl DatagramMachine) -> Vec<(u16, String)> {
    sent_within(machine, usize::MAX)
}

/// As [`sent`], asserting that each datagram has at most `max` bytes.
pub fn sent_within(machine: &mut impl DatagramMachine, max: usize) -> Vec<(u16, String)> {
    std::iter::from_fn(|| machine.poll_transmit())
        .map(|t| {
            assert!(t.payload.len() <= max, "{} bytes sent", t.payload.len());
            (
                t.destination.port(),
                String::from_utf8(t.payload.to_vec()).unwrap(),
            )
        })
        .collect()
}

/// `list` as [`sent`] gives it: to compare with.
pub fn out(list: &[(u16, &str)]) -> Vec<(u16, String)> {
    list.iter().map(|(p, s)| (*p, (*s).to_owned())).collect()
}

/// Every event `machine` reports, in order.
pub fn events<M: DatagramMachine>(machine: &mut M) -> Vec<M::Event> {
    std::iter::from_fn(|| machine.poll_event()).collect()
}

/// Drives a bare server: send one datagram, get every datagram it sends.
pub struct ServerHarness<M: DatagramMachine = RoomServer> {
    pub server: M,
    pub clock: FakeClock,
    /// Every event so far, in order.
    pub events: Vec<M::Event>,
    /// The most bytes a datagram the server sends may have.
    pub max_datagram: usize,
    /// Whether every datagram must give exactly one event.
    pub one_event_each: bool,
}

impl<M: DatagramMachine> ServerHarness<M> {
    pub fn new(server: M) -> Self {
        ServerHarness {
            server,
            clock: FakeClock::new(Instant::now()),
            events: Vec::new(),
            max_datagram: usize::MAX,
            one_event_each: false,
        }
    }

    /// Checks, on every datagram sent to the server, that it gives exactly
    /// one event and that each datagram it sends has at most `max` bytes.
    pub fn strict(mut self, max: usize) -> Self {
        self.max_datagram = max;
        self.one_event_each = true;
        self
    }

    /// Moves the clock to `secs` after the start and runs the server's timers.
    pub fn at(&mut self, secs: f64) {
        let now = self
            .clock
            .advance_to(self.clock.at(Duration::from_secs_f64(secs)));
        self.server.handle_timeout(now);
        self.events.extend(events(&mut self.server));
    }

    /// Sends `wire` from `127.0.0.1:port`; returns `(port, datagram)` for
    /// everything the server sent, in order.
    pub fn send(&mut self, port: u16, wire: impl AsRef<[u8]>) -> Vec<(u16, String)> {
        self.server
            .handle_datagram(self.clock.now(), addr(port), wire.as_ref());
        let new = events(&mut self.server);
        if self.one_event_each {
            assert_eq!(new.len(), 1, "one event per datagram");
        }
        self.events.extend(new);
        sent_within(&mut self.server, self.max_datagram)
    }

    /// Sends `wire` and returns the one datagram sent back to the sender
    /// (asserting there is exactly one and nothing else).
    pub fn ask(&mut self, port: u16, wire: &str) -> String {
        let out = self.send(port, wire);
        assert_eq!(out.len(), 1, "{wire:?} gave {out:?}");
        assert_eq!(out[0].0, port, "{wire:?} gave {out:?}");
        out[0].1.clone()
    }

    /// Sends `wire` and returns what the server sent back, asserting that
    /// it sent nothing to anyone else.
    pub fn answers(&mut self, port: u16, wire: &str) -> Vec<String> {
        let out = self.send(port, wire);
        assert!(out.iter().all(|(p, _)| *p == port), "{out:?}");
        out.into_iter().map(|(_, s)| s).collect()
    }

    pub fn last_event(&self) -> &M::Event {
        self.events.last().unwrap()
    }
}

/// Every datagram the [`Tap`]s saw sent, in order: `(from port, to
/// port, text)`.
pub type Wire = Rc<RefCell<Vec<(u16, u16, String)>>>;

/// A machine that writes each datagram it sends to a [`Wire`] as well:
/// to see what went over a `sockwire::testing::Network`.
pub struct Tap<M> {
    pub machine: M,
    port: u16,
    wire: Wire,
}

impl<M> Tap<M> {
    /// `machine`, at `127.0.0.1:port`, writing to `wire`.
    pub fn new(machine: M, port: u16, wire: &Wire) -> Self {
        Tap {
            machine,
            port,
            wire: Rc::clone(wire),
        }
    }
}

impl<M: DatagramMachine> DatagramMachine for Tap<M> {
    type Event = M::Event;

    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.machine.handle_datagram(now, from, datagram);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.machine.handle_timeout(now);
    }

    fn poll_transmit(&mut self) -> Option<Transmit> {
        let t = self.machine.poll_transmit()?;
        let text = String::from_utf8(t.payload.to_vec()).unwrap();
        let to = t.destination.port();
        self.wire.borrow_mut().push((self.port, to, text));
        Some(t)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.machine.poll_timeout()
    }

    fn poll_event(&mut self) -> Option<Self::Event> {
        self.machine.poll_event()
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
    pub clock: FakeClock,
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
        Network {
            server,
            clients: Vec::new(),
            addrs: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            server_sent: Vec::new(),
            clock: FakeClock::new(Instant::now()),
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
        let client = RoomClient::new(self.clock.now(), SERVER, name(user), config);
        self.clients.push(client);
        self.addrs.push(addr(port));
        self.client_events.push(Vec::new());
        self.clients.len() - 1
    }

    pub fn elapsed(&self) -> Duration {
        self.clock.elapsed()
    }

    /// Types a line into client `i`.
    pub fn line(&mut self, i: usize, line: &str) {
        let now = self.clock.now();
        self.clients[i].handle_line(now, line).unwrap();
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
                at: self.clock.now() + c.latency + jitter,
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
                self.server.handle_datagram(self.clock.now(), from, payload);
            }
        } else if let Some(i) = self.addrs.iter().position(|a| *a == to) {
            self.clients[i].handle_datagram(self.clock.now(), from, payload);
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

    /// Runs the world until `until` (an offset from the start), stepping
    /// from event to event.
    pub fn run_until(&mut self, until: Duration) {
        let limit = self.clock.at(until);
        self.collect();
        while let Some(t) = self.next_event_time() {
            if t > limit {
                break;
            }
            self.step_to(t);
        }
        self.clock.advance_to(limit);
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
            if t > self.clock.at(limit) {
                break;
            }
            self.step_to(t);
        }
    }

    fn step_to(&mut self, t: Instant) {
        let now = self.clock.advance_to(t);
        // deliver in arrival order (ties by send order)
        self.in_flight.sort_by_key(|f| (f.at, f.seq));
        let due = self.in_flight.iter().take_while(|f| f.at <= now).count();
        let arrived: Vec<Flight> = self.in_flight.drain(..due).collect();
        for f in arrived {
            self.deliver(f.from, f.to, &f.payload);
            self.collect();
        }
        self.fire_timers();
    }

    fn fire_timers(&mut self) {
        let now = self.clock.now();
        if self.server_up && self.server.poll_timeout().is_some_and(|t| t <= now) {
            self.server.handle_timeout(now);
        }
        for c in &mut self.clients {
            if c.poll_timeout().is_some_and(|t| t <= now) {
                c.handle_timeout(now);
            }
        }
        self.collect();
    }

    /// Takes client `i`'s events so far.
    pub fn take_events(&mut self, i: usize) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_events[i])
    }
}
