//! A stop-and-wait sender: one datagram in flight, the rest queued in
//! order; the one in flight is sent again until it is answered or its
//! retries run out. The client sends its requests to the server this way,
//! and its private messages to peers.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::Transmit;

/// Something the sender sends: its datagram.
pub(crate) trait Outgoing {
    /// The datagram, to `server` unless it has a destination of its own;
    /// `None` if it does not encode (then it is given up unsent).
    fn transmit(&self, server: SocketAddr) -> Option<Transmit>;
}

/// Where datagrams go by default and how often they are retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    pub(crate) server: SocketAddr,
    pub(crate) after: Duration,
    pub(crate) max: u32,
}

#[derive(Debug)]
struct InFlight<T> {
    item: T,
    transmit: Transmit,
    deadline: Instant,
    retransmits: u32,
}

/// One in flight, the rest queued in order.
#[derive(Debug)]
pub(crate) struct StopAndWait<T> {
    in_flight: Option<InFlight<T>>,
    queue: VecDeque<T>,
}

impl<T> Default for StopAndWait<T> {
    fn default() -> Self {
        StopAndWait {
            in_flight: None,
            queue: VecDeque::new(),
        }
    }
}

impl<T: Outgoing> StopAndWait<T> {
    /// How many are under way (in flight and queued).
    pub(crate) fn len(&self) -> usize {
        self.queue.len() + usize::from(self.in_flight.is_some())
    }

    pub(crate) fn push_back(&mut self, item: T) {
        self.queue.push_back(item);
    }

    pub(crate) fn push_front(&mut self, item: T) {
        self.queue.push_front(item);
    }

    /// Keeps only the queued items `keep` holds for (not the one in
    /// flight).
    pub(crate) fn retain_queued(&mut self, keep: impl FnMut(&T) -> bool) {
        self.queue.retain(keep);
    }

    /// The one in flight, if `answers(item, its destination)` holds:
    /// taken out (the caller sends the next).
    pub(crate) fn answered(&mut self, answers: impl FnOnce(&T, SocketAddr) -> bool) -> Option<T> {
        self.in_flight
            .take_if(|f| answers(&f.item, f.transmit.destination))
            .map(|f| f.item)
    }

    /// When the one in flight is due again.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.in_flight.as_ref().map(|f| f.deadline)
    }

    /// Sends the next queued one if none is in flight. One that does not
    /// encode is returned instead (the caller reports it).
    pub(crate) fn send_next(
        &mut self,
        now: Instant,
        retry: Retry,
        out: &mut VecDeque<Transmit>,
    ) -> Option<T> {
        if self.in_flight.is_some() {
            return None;
        }
        let item = self.queue.pop_front()?;
        let Some(transmit) = item.transmit(retry.server) else {
            return Some(item);
        };
        out.push_back(transmit.clone());
        self.in_flight = Some(InFlight {
            item,
            transmit,
            deadline: now + retry.after,
            retransmits: 0,
        });
        None
    }

    /// Sends the one in flight again if it is due, or gives it up when out
    /// of retries (returned; the caller reports it and sends the next).
    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        retry: Retry,
        out: &mut VecDeque<Transmit>,
    ) -> Option<T> {
        let f = self.in_flight.as_mut().filter(|f| f.deadline <= now)?;
        if f.retransmits < retry.max {
            f.retransmits += 1;
            f.deadline = now + retry.after;
            out.push_back(f.transmit.clone());
            return None;
        }
        self.in_flight.take().map(|f| f.item)
    }

    /// Takes everything under way, in order.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = T> + use<T> {
        let first = self.in_flight.take().map(|f| f.item);
        let rest = std::mem::take(&mut self.queue);
        first.into_iter().chain(rest)
    }
}
