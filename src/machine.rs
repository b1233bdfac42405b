//! [`DatagramMachine`]: the one shape every datagram state machine has.

use std::net::SocketAddr;
use std::time::Instant;

use crate::Transmit;

/// A sans-IO state machine that speaks datagrams: the §7 and §8 servers and
/// clients, or one of your own.
///
/// One turn of the loop that drives it: feed what arrived
/// ([`handle_datagram`](Self::handle_datagram)), call
/// [`handle_timeout`](Self::handle_timeout) once the deadline of
/// [`poll_timeout`](Self::poll_timeout) has passed, drain
/// [`poll_event`](Self::poll_event), and send every
/// [`poll_transmit`](Self::poll_transmit). Code generic over this trait (an
/// I/O loop, a simulated network) drives any machine the same way.
///
/// ```
/// use std::net::SocketAddr;
/// use std::time::Instant;
/// use sockwire::DatagramMachine;
/// use sockwire::room::{ClientConfig, Name, RoomClient, RoomServer};
///
/// /// Delivers what `a` sends to `b` at once, and back, until both are quiet.
/// fn pump(a: &mut impl DatagramMachine, a_at: SocketAddr, b: &mut impl DatagramMachine, b_at: SocketAddr, now: Instant) {
///     let mut quiet = false;
///     while !quiet {
///         quiet = true;
///         while let Some(t) = a.poll_transmit() {
///             b.handle_datagram(now, a_at, &t.payload);
///             quiet = false;
///         }
///         while let Some(t) = b.poll_transmit() {
///             a.handle_datagram(now, b_at, &t.payload);
///             quiet = false;
///         }
///     }
/// }
/// let (server_addr, alice_addr) = ("127.0.0.1:5005".parse()?, "127.0.0.1:40001".parse()?);
/// let now = Instant::now();
/// let mut server = RoomServer::default();
/// let mut alice = RoomClient::new(now, server_addr, Name::new("alice")?, ClientConfig::default());
/// pump(&mut alice, alice_addr, &mut server, server_addr, now);
/// assert_eq!(server.users().map(|u| u.as_str()).collect::<Vec<_>>(), ["alice"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait DatagramMachine {
    /// What the machine reports (for a log, or to show a user).
    type Event;

    /// Takes one datagram from `from`, received at `now`.
    fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]);

    /// Does what is due at `now` (resends, expiries). A machine without a
    /// timer does nothing.
    fn handle_timeout(&mut self, now: Instant) {
        let _ = now;
    }

    /// The next datagram to send, whole.
    #[must_use]
    fn poll_transmit(&mut self) -> Option<Transmit>;

    /// When [`handle_timeout`](Self::handle_timeout) is next due, if ever.
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// The next event.
    #[must_use]
    fn poll_event(&mut self) -> Option<Self::Event>;
}

/// Implements [`DatagramMachine`] by calling the machine's own methods of
/// the same names: `timer` if it has `poll_timeout` and `handle_timeout`,
/// `no_now` if its `handle_datagram` takes no `now` (no datagram moves one
/// of its deadlines).
macro_rules! datagram_machine {
    ($machine:ty, $event:ty, timer) => {
        datagram_machine!(@impl $machine, $event, now, timer);
    };
    ($machine:ty, $event:ty) => {
        datagram_machine!(@impl $machine, $event, now,);
    };
    ($machine:ty, $event:ty, no_now $(, $timer:ident)?) => {
        datagram_machine!(@impl $machine, $event, no_now, $($timer)?);
    };
    (@impl $machine:ty, $event:ty, $input:ident, $($timer:ident)?) => {
        impl DatagramMachine for $machine {
            type Event = $event;
            datagram_machine!(@$input $machine);
            fn poll_transmit(&mut self) -> Option<Transmit> {
                <$machine>::poll_transmit(self)
            }
            fn poll_event(&mut self) -> Option<Self::Event> {
                <$machine>::poll_event(self)
            }
            $(datagram_machine!(@$timer $machine);)?
        }
    };
    (@now $machine:ty) => {
        fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
            <$machine>::handle_datagram(self, now, from, datagram)
        }
    };
    (@no_now $machine:ty) => {
        fn handle_datagram(&mut self, _now: Instant, from: SocketAddr, datagram: &[u8]) {
            <$machine>::handle_datagram(self, from, datagram)
        }
    };
    (@timer $machine:ty) => {
        fn handle_timeout(&mut self, now: Instant) {
            <$machine>::handle_timeout(self, now)
        }
        fn poll_timeout(&self) -> Option<Instant> {
            <$machine>::poll_timeout(self)
        }
    };
}

datagram_machine!(crate::room::RoomServer, crate::room::ServerEvent, timer);
datagram_machine!(crate::room::RoomClient, crate::room::ClientEvent, timer);
datagram_machine!(
    crate::room::lab::LabServer,
    crate::room::lab::LabServerEvent,
    no_now
);
datagram_machine!(
    crate::room::lab::LabClient,
    crate::room::lab::LabClientEvent,
    no_now,
    timer
);
