//! Private messages between clients: `<tag> pm user text`, sent straight
//! to a poked peer one at a time
//! ([`StopAndWait`](super::stop_and_wait::StopAndWait)), retransmitted
//! until the peer answers `<tag> ok` (or `<tag> er not-poked`) or the
//! retries run out; and, on the receiving side, the tags already seen from
//! each address, so that a retransmitted `pm` is answered again but shown
//! once.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;

use super::stop_and_wait::Outgoing;
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

impl Outgoing for OutgoingPm {
    fn transmit(&self, _server: SocketAddr) -> Option<Transmit> {
        Some(Transmit {
            destination: self.addr,
            payload: self.payload.clone(),
        })
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
