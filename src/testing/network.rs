//! [`Network`]: datagram machines wired together through a deterministic
//! lossy network on a fake clock.

use std::any::Any;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::feed::SplitMix;
use super::{FakeClock, Mismatch};
use crate::DatagramMachine;

/// What the network does to datagrams, each drawn from the network's seed.
///
/// ```
/// use std::time::Duration;
/// use sockwire::testing::Faults;
///
/// let lossy = Faults::default()
///     .with_drop(0.2)
///     .with_duplicate(0.05)
///     .with_reorder(0.1)
///     .with_delay(Duration::from_millis(5), Duration::from_millis(40));
/// assert_eq!(lossy.drop, 0.2);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Faults {
    /// See [`with_drop`](Self::with_drop).
    pub drop: f64,
    /// See [`with_duplicate`](Self::with_duplicate).
    pub duplicate: f64,
    /// See [`with_reorder`](Self::with_reorder).
    pub reorder: f64,
    /// See [`with_delay`](Self::with_delay).
    pub min_delay: Duration,
    /// See [`with_delay`](Self::with_delay).
    pub max_delay: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            drop: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        }
    }
}

crate::config::config_setters!(Faults {
    /// The chance that a datagram is lost, from 0 to 1. Default: 0.
    with_drop => drop: f64,
    /// The chance that a datagram arrives twice (the copy after its own
    /// delay). Default: 0.
    with_duplicate => duplicate: f64,
    /// The chance that a datagram is held back by a further
    /// [`max_delay`](Self#structfield.max_delay), so that later ones
    /// overtake it. Default: 0.
    with_reorder => reorder: f64,
});

impl Faults {
    /// Each datagram takes from `min` to `max` to arrive, drawn evenly;
    /// different delays reorder datagrams too. Default: 1 ms each.
    #[must_use]
    pub fn with_delay(mut self, min: Duration, max: Duration) -> Self {
        self.min_delay = min;
        self.max_delay = max.max(min);
        self
    }
}

/// What happened to the datagrams of a [`Network`] so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Traffic {
    /// Datagrams the machines sent.
    pub sent: u64,
    /// Of those, lost on the way.
    pub dropped: u64,
    /// Copies the network added.
    pub duplicated: u64,
    /// Datagrams handed to a machine.
    pub delivered: u64,
    /// Datagrams to an address no machine has (lost).
    pub unaddressed: u64,
}

/// A machine plugged into the network, its event type erased.
trait Plugged {
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]);
    fn handle_timeout(&mut self, now: Instant);
    fn poll_transmit(&mut self) -> Option<crate::Transmit>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// A machine and the events it gave that nobody has taken yet.
struct Slot<M: DatagramMachine> {
    machine: M,
    events: Vec<M::Event>,
}

impl<M: DatagramMachine> Slot<M> {
    fn collect(&mut self) {
        while let Some(event) = self.machine.poll_event() {
            self.events.push(event);
        }
    }
}

impl<M> Plugged for Slot<M>
where
    M: DatagramMachine + 'static,
    M::Event: 'static,
{
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.machine.handle_datagram(now, from, datagram);
        self.collect();
    }
    fn handle_timeout(&mut self, now: Instant) {
        self.machine.handle_timeout(now);
        self.collect();
    }
    fn poll_transmit(&mut self) -> Option<crate::Transmit> {
        let t = self.machine.poll_transmit();
        self.collect();
        t
    }
    fn poll_timeout(&self) -> Option<Instant> {
        self.machine.poll_timeout()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

struct InFlight {
    at: Instant,
    /// Order of sending: ties in `at` arrive in it.
    seq: u64,
    from: SocketAddr,
    to: SocketAddr,
    payload: Bytes,
}

/// Any number of [`DatagramMachine`]s, each at its own address, exchanging
/// datagrams through a network that drops, duplicates, reorders and delays
/// them as its [`Faults`] say, every choice drawn from one seed: the same
/// seed gives the same run. Time is a [`FakeClock`]; the network fires
/// each machine's timer when its deadline comes.
///
/// ```
/// use std::time::{Duration, Instant};
/// use sockwire::room::{ClientConfig, Name, RoomClient, RoomServer};
/// use sockwire::testing::{Faults, Network};
///
/// let faults = Faults::default().with_drop(0.3).with_duplicate(0.1).with_reorder(0.2);
/// let mut net = Network::new(Instant::now(), faults, 7);
/// let server_addr = "10.0.0.1:5005".parse()?;
/// net.add(server_addr, RoomServer::default());
/// for (i, name) in ["alice", "bob"].into_iter().enumerate() {
///     let now = net.now();
///     let client = RoomClient::new(now, server_addr, Name::new(name)?, ClientConfig::default());
///     net.add(format!("10.0.0.{}:4000", i + 2).parse()?, client);
/// }
/// // resends get every hello through the losses
/// net.run_for(Duration::from_secs(20))?;
/// let server: &RoomServer = net.machine(server_addr).unwrap();
/// assert_eq!(server.users().count(), 2);
/// assert!(net.traffic().dropped > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Network {
    clock: FakeClock,
    faults: Faults,
    rng: SplitMix,
    nodes: Vec<(SocketAddr, Box<dyn Plugged>)>,
    in_flight: Vec<InFlight>,
    next_seq: u64,
    traffic: Traffic,
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addrs: Vec<SocketAddr> = self.nodes.iter().map(|(a, _)| *a).collect();
        f.debug_struct("Network")
            .field("now", &self.clock.elapsed())
            .field("machines", &addrs)
            .field("in_flight", &self.in_flight.len())
            .field("traffic", &self.traffic)
            .finish_non_exhaustive()
    }
}

impl Network {
    /// Steps a run may take before it is reported as never settling.
    pub const MAX_STEPS: usize = 1_000_000;

    /// An empty network whose clock stands at `start`, with `faults`
    /// drawn from `seed`.
    #[must_use]
    pub fn new(start: Instant, faults: Faults, seed: u64) -> Self {
        Network {
            clock: FakeClock::new(start),
            faults,
            rng: SplitMix(seed),
            nodes: Vec::new(),
            in_flight: Vec::new(),
            next_seq: 0,
            traffic: Traffic::default(),
        }
    }

    /// Plugs `machine` in at `addr` (replacing a machine already there).
    /// What it has to send goes out on the next step.
    pub fn add<M>(&mut self, addr: SocketAddr, machine: M)
    where
        M: DatagramMachine + 'static,
        M::Event: 'static,
    {
        self.nodes.retain(|(a, _)| *a != addr);
        let slot = Slot {
            machine,
            events: Vec::new(),
        };
        self.nodes.push((addr, Box::new(slot)));
    }

    /// The time now.
    #[must_use]
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The datagrams so far.
    #[must_use]
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Datagrams on their way.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The machine at `addr`, if it is an `M`.
    #[must_use]
    pub fn machine<M: DatagramMachine + 'static>(&self, addr: SocketAddr) -> Option<&M>
    where
        M::Event: 'static,
    {
        self.slot::<M>(addr).map(|s| &s.machine)
    }

    /// The machine at `addr`, if it is an `M`, to act on it (a client's
    /// command); what it then sends goes out on the next step.
    pub fn machine_mut<M: DatagramMachine + 'static>(&mut self, addr: SocketAddr) -> Option<&mut M>
    where
        M::Event: 'static,
    {
        self.slot_mut::<M>(addr).map(|s| &mut s.machine)
    }

    /// Takes the events the machine at `addr` gave so far (none if it is
    /// not an `M`).
    pub fn take_events<M: DatagramMachine + 'static>(&mut self, addr: SocketAddr) -> Vec<M::Event>
    where
        M::Event: 'static,
    {
        self.slot_mut::<M>(addr)
            .map(|s| std::mem::take(&mut s.events))
            .unwrap_or_default()
    }

    fn slot<M: DatagramMachine + 'static>(&self, addr: SocketAddr) -> Option<&Slot<M>>
    where
        M::Event: 'static,
    {
        let (_, node) = self.nodes.iter().find(|(a, _)| *a == addr)?;
        node.as_any().downcast_ref()
    }

    fn slot_mut<M: DatagramMachine + 'static>(&mut self, addr: SocketAddr) -> Option<&mut Slot<M>>
    where
        M::Event: 'static,
    {
        let (_, node) = self.nodes.iter_mut().find(|(a, _)| *a == addr)?;
        node.as_any_mut().downcast_mut()
    }

    /// Sends what every machine has to send, through the faults.
    fn collect_transmits(&mut self) {
        let now = self.clock.now();
        for i in 0..self.nodes.len() {
            let Some((from, node)) = self.nodes.get_mut(i) else {
                continue;
            };
            let from = *from;
            let mut out = Vec::new();
            while let Some(t) = node.poll_transmit() {
                out.push(t);
            }
            for t in out {
                self.traffic.sent += 1;
                if self.rng_chance(self.faults.drop) {
                    self.traffic.dropped += 1;
                    continue;
                }
                let copies = if self.rng_chance(self.faults.duplicate) {
                    2
                } else {
                    1
                };
                self.traffic.duplicated += copies - 1;
                for _ in 0..copies {
                    let at = now + self.delay();
                    self.in_flight.push(InFlight {
                        at,
                        seq: self.next_seq,
                        from,
                        to: t.destination,
                        payload: t.payload.clone(),
                    });
                    self.next_seq += 1;
                }
            }
        }
    }

    fn rng_chance(&mut self, p: f64) -> bool {
        // 53 random bits as a number in [0, 1)
        p > 0.0 && ((self.rng.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    fn delay(&mut self) -> Duration {
        let (min, max) = (self.faults.min_delay, self.faults.max_delay);
        let span = u64::try_from(max.saturating_sub(min).as_nanos()).unwrap_or(u64::MAX);
        let mut d = min + Duration::from_nanos(self.rng.next_u64() % span.saturating_add(1));
        if self.rng_chance(self.faults.reorder) {
            d += max;
        }
        d
    }

    /// The next moment something happens: a delivery, or a machine's
    /// timer (not after `until`).
    fn next_event(&self, until: Option<Instant>) -> Option<Instant> {
        let delivery = self.in_flight.iter().map(|d| d.at).min();
        let timer = self
            .nodes
            .iter()
            .filter_map(|(_, n)| n.poll_timeout())
            .min();
        let timer = timer.filter(|t| until.is_some_and(|u| *t <= u));
        delivery.into_iter().chain(timer).min()
    }

    /// One step: sends what the machines have to send, then moves the
    /// clock to the next delivery or due timer (timers only up to
    /// `until`) and handles it. False when there is nothing left to do.
    fn step(&mut self, until: Option<Instant>) -> bool {
        self.collect_transmits();
        let Some(at) = self.next_event(until) else {
            return false;
        };
        if until.is_some_and(|u| at > u) {
            return false;
        }
        let now = self.clock.advance_to(at);
        for (_, node) in &mut self.nodes {
            if node.poll_timeout().is_some_and(|t| t <= now) {
                node.handle_timeout(now);
            }
        }
        let (due, later): (Vec<InFlight>, Vec<InFlight>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|d| d.at <= now);
        self.in_flight = later;
        let mut due = due;
        due.sort_by_key(|d| (d.at, d.seq));
        for d in due {
            match self.nodes.iter_mut().find(|(a, _)| *a == d.to) {
                Some((_, node)) => {
                    self.traffic.delivered += 1;
                    node.handle_datagram(now, d.from, &d.payload);
                }
                None => self.traffic.unaddressed += 1,
            }
        }
        true
    }

    /// Runs until no datagram is on its way and no machine has one to
    /// send; timers fire only while datagrams are on their way. Returns the
    /// steps taken.
    ///
    /// # Errors
    ///
    /// [`Mismatch`] if it has not settled after [`MAX_STEPS`](Self::MAX_STEPS).
    pub fn run_until_idle(&mut self) -> Result<usize, Mismatch> {
        for steps in 0..Self::MAX_STEPS {
            let until = self.in_flight.iter().map(|d| d.at).max();
            if !self.step(until) {
                return Ok(steps);
            }
        }
        Err(self.never_settles())
    }

    /// Runs for `duration` of fake time: deliveries and timers alike, then
    /// leaves the clock at the end. Returns the steps taken.
    ///
    /// # Errors
    ///
    /// [`Mismatch`] if it takes more than [`MAX_STEPS`](Self::MAX_STEPS).
    pub fn run_for(&mut self, duration: Duration) -> Result<usize, Mismatch> {
        let end = self.clock.now() + duration;
        for steps in 0..Self::MAX_STEPS {
            if !self.step(Some(end)) {
                self.clock.advance_to(end);
                return Ok(steps);
            }
        }
        Err(self.never_settles())
    }

    fn never_settles(&self) -> Mismatch {
        Mismatch::new(format!(
            "the network never settles: {} steps, {self:?}",
            Self::MAX_STEPS
        ))
    }
}
