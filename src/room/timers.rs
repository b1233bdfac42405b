//! The server's timer table: every deadline it keeps (registration
//! expiries and notification resends), in one ordered set.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Instant;

use super::wire::Seq;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Due {
    /// The registration at the address expires.
    Expiry,
    /// Notification `seq` to the address is sent again.
    Resend(Seq),
}

/// Deadlines, earliest first: `(when, whose, what)`.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    set: BTreeSet<(Instant, SocketAddr, Due)>,
}

impl Timers {
    pub(crate) fn insert(&mut self, at: Instant, addr: SocketAddr, due: Due) {
        self.set.insert((at, addr, due));
    }

    pub(crate) fn remove(&mut self, at: Instant, addr: SocketAddr, due: Due) {
        self.set.remove(&(at, addr, due));
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.set.first().map(|(at, _, _)| *at)
    }

    /// Takes the earliest deadline if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, SocketAddr, Due)> {
        if self.next()? > now {
            return None;
        }
        self.set.pop_first()
    }
}
