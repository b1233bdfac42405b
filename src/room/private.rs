//! Private messages between clients: `<tag> pm user text`, sent straight
//! to a poked peer one at a time, retransmitted until the peer answers
//! `<tag> ok` (or `<tag> er not-poked`) or the retries run out; and, on the
//! receiving side, the tags already seen from each address, so that a
//! retransmitted `pm` is answered again but shown once.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::wire::{Name, Tag};
use crate::Transmit;

/// How many tags are remembered per sending address.
const SEEN_PER_ADDR: usize = 64;

/// A private message to send.
#[derive(Debug)]
pub(crate) struct OutgoingPm {
    pub(crate) tag: Tag,
    pub(crate) to: Name,
    pub(crate) addr: SocketAddr,
    pub(crate) text: String,
    pub(crate) payload: Bytes,
}

#[derive(Debug)]
struct InFlight {
    pm: OutgoingPm,
    deadline: Instant,
    retransmits: u32,
}

/// Private messages on their way: one in flight, the rest queued in order.
#[derive(Debug, Default)]
pub(crate) struct PrivateOut {
    in_flight: Option<InFlight>,
    queue: VecDeque<OutgoingPm>,
}

impl PrivateOut {
    /// How many are under way (in flight or queued).
    pub(crate) fn len(&self) -> usize {
        self.queue.len() + usize::from(self.in_flight.is_some())
    }

    /// Queues `pm`; sends it if none is in flight.
    pub(crate) fn push(
        &mut self,
        now: Instant,
        pm: OutgoingPm,
        after: Duration,
        out: &mut VecDeque<Transmit>,
    ) {
        self.queue.push_back(pm);
        self.send_next(now, after, out);
    }

    /// The answer `tag` from `from`: the message it answers, if in flight
    /// to that address; the next one is sent.
    pub(crate) fn answered(
        &mut self,
        now: Instant,
        from: SocketAddr,
        tag: Tag,
        after: Duration,
        out: &mut VecDeque<Transmit>,
    ) -> Option<OutgoingPm> {
        let done = self
            .in_flight
            .take_if(|f| f.pm.tag == tag && f.pm.addr == from)?;
        self.send_next(now, after, out);
        Some(done.pm)
    }

    /// When the one in flight is due again.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.in_flight.as_ref().map(|f| f.deadline)
    }

    /// Retransmits the one in flight if due, or gives it up when out of
    /// retries (returned; the next one is sent).
    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        after: Duration,
        max_retransmits: u32,
        out: &mut VecDeque<Transmit>,
    ) -> Option<OutgoingPm> {
        let f = self.in_flight.as_mut().filter(|f| f.deadline <= now)?;
        if f.retransmits < max_retransmits {
            f.retransmits += 1;
            f.deadline = now + after;
            out.push_back(Transmit {
                destination: f.pm.addr,
                payload: f.pm.payload.clone(),
            });
            return None;
        }
        let gone = self.in_flight.take().map(|f| f.pm);
        self.send_next(now, after, out);
        gone
    }

    /// Takes every message under way, in order (the client quit).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = OutgoingPm> + use<> {
        let first = self.in_flight.take().map(|f| f.pm);
        let rest = std::mem::take(&mut self.queue);
        first.into_iter().chain(rest)
    }

    fn send_next(&mut self, now: Instant, after: Duration, out: &mut VecDeque<Transmit>) {
        if self.in_flight.is_some() {
            return;
        }
        let Some(pm) = self.queue.pop_front() else {
            return;
        };
        out.push_back(Transmit {
            destination: pm.addr,
            payload: pm.payload.clone(),
        });
        self.in_flight = Some(InFlight {
            pm,
            deadline: now + after,
            retransmits: 0,
        });
    }
}

/// The last tags of the private messages shown from each address (at most
/// `max_addrs` addresses, the oldest forgotten first).
#[derive(Debug)]
pub(crate) struct SeenTags {
    tags: HashMap<SocketAddr, VecDeque<Tag>>,
    order: VecDeque<SocketAddr>,
    max_addrs: usize,
}

impl SeenTags {
    pub(crate) fn new(max_addrs: usize) -> Self {
        SeenTags {
            tags: HashMap::new(),
            order: VecDeque::new(),
            max_addrs: max_addrs.max(1),
        }
    }

    /// Whether `tag` from `from` was seen already; records it if not.
    pub(crate) fn check(&mut self, from: SocketAddr, tag: Tag) -> bool {
        if let Some(tags) = self.tags.get_mut(&from) {
            if tags.contains(&tag) {
                return true;
            }
            if tags.len() >= SEEN_PER_ADDR {
                tags.pop_front();
            }
            tags.push_back(tag);
            return false;
        }
        self.tags.insert(from, VecDeque::from([tag]));
        self.order.push_back(from);
        while self.tags.len() > self.max_addrs {
            match self.order.pop_front() {
                Some(old) => self.tags.remove(&old),
                None => break,
            };
        }
        false
    }
}
