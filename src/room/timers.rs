//! The server's timer table: every deadline it keeps (registration
//! expiries and notification resends), earliest first.
//!
//! Deadlines come and go at the rate of datagrams (every datagram moves its
//! sender's expiry, every notification sets a resend that its
//! acknowledgement takes away), so the table allocates nothing per
//! deadline once it has grown: a binary heap, whose removals are lazy, and
//! a hash map of the live deadlines. Each deadline in the map carries the
//! number it was set under; a heap entry under another number (or none)
//! was removed and is skipped. The heap's top is always live (removals
//! clear stale entries off the top), and the heap is compacted in place
//! when stale entries outnumber the live ones, so it holds at most about
//! twice the live deadlines. The order is that of `(when, whose, what)`,
//! the same for every run of the same calls.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::time::Instant;

use super::wire::Seq;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Due {
    /// The registration at the address expires.
    Expiry,
    /// Notification `seq` to the address is sent again.
    Resend(Seq),
}

/// A deadline: `(when, whose, what)`.
type Key = (Instant, SocketAddr, Due);

/// Deadlines, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    /// Every deadline set, with the number it was set under, earliest on
    /// top; some removed since.
    heap: BinaryHeap<Reverse<(Key, u64)>>,
    /// The live deadlines and their numbers.
    live: HashMap<Key, u64>,
    /// The number of the next deadline set.
    next_id: u64,
}

impl Timers {
    pub(crate) fn insert(&mut self, at: Instant, addr: SocketAddr, due: Due) {
        let key = (at, addr, due);
        if self.live.contains_key(&key) {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.live.insert(key, id);
        self.heap.push(Reverse((key, id)));
    }

    pub(crate) fn remove(&mut self, at: Instant, addr: SocketAddr, due: Due) {
        if self.live.remove(&(at, addr, due)).is_none() {
            return;
        }
        self.clear_top();
        if self.heap.len() > 2 * self.live.len() + 32 {
            let live = &self.live;
            self.heap
                .retain(|Reverse((key, id))| live.get(key) == Some(id));
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(((at, _, _), _))| *at)
    }

    /// Takes the earliest deadline if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, SocketAddr, Due)> {
        if self.next()? > now {
            return None;
        }
        let Reverse((key, _)) = self.heap.pop()?;
        self.live.remove(&key);
        self.clear_top();
        Some(key)
    }

    /// Drops removed deadlines off the top, so that the top is live.
    fn clear_top(&mut self) {
        while let Some(Reverse((key, id))) = self.heap.peek() {
            if self.live.get(key) == Some(id) {
                return;
            }
            self.heap.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::time::{Duration, Instant};

    use super::{Due, Timers};

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    }

    #[test]
    fn pops_live_deadlines_in_order_once_each() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut timers = Timers::default();
        timers.insert(at(30), addr(1), Due::Expiry);
        timers.insert(at(10), addr(2), Due::Resend(1));
        timers.insert(at(10), addr(1), Due::Resend(2));
        timers.insert(at(10), addr(1), Due::Resend(2));
        timers.insert(at(20), addr(3), Due::Expiry);
        timers.remove(at(10), addr(2), Due::Resend(1));
        // removed, then set again: live once
        timers.remove(at(20), addr(3), Due::Expiry);
        timers.insert(at(20), addr(3), Due::Expiry);
        timers.remove(at(99), addr(3), Due::Expiry);
        assert_eq!(timers.next(), Some(at(10)));
        assert_eq!(timers.pop_due(at(5)), None);
        let popped: Vec<_> = std::iter::from_fn(|| timers.pop_due(at(25))).collect();
        assert_eq!(
            popped,
            [
                (at(10), addr(1), Due::Resend(2)),
                (at(20), addr(3), Due::Expiry)
            ]
        );
        assert_eq!(timers.next(), Some(at(30)));
        timers.remove(at(30), addr(1), Due::Expiry);
        assert_eq!(timers.next(), None);
        assert_eq!(timers.pop_due(at(99)), None);
    }

    #[test]
    fn stays_compact_under_churn() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        for i in 0..10_000u64 {
            let at = t0 + Duration::from_millis(i + 1_000);
            let port = u16::try_from(i % 100).unwrap();
            timers.insert(at, addr(port), Due::Resend(7));
            if i >= 100 {
                let old = t0 + Duration::from_millis(i - 100 + 1_000);
                timers.remove(old, addr(port), Due::Resend(7));
            }
        }
        assert_eq!(timers.live.len(), 100);
        assert!(timers.heap.len() <= 2 * 100 + 33, "{}", timers.heap.len());
    }
}
