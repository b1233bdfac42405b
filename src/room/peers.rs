//! The peer table: the address a poke told for each user, at most `max`
//! of them (the one learned longest ago is forgotten first).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use super::wire::Name;

/// Users' addresses, learned from `pa`.
#[derive(Debug)]
pub(crate) struct PeerTable {
    addrs: HashMap<Name, SocketAddr>,
    /// Insertion order, for forgetting the oldest.
    order: VecDeque<Name>,
    max: usize,
}

impl PeerTable {
    pub(crate) fn new(max: usize) -> Self {
        PeerTable {
            addrs: HashMap::new(),
            order: VecDeque::new(),
            max,
        }
    }

    /// The address learned for `user`.
    pub(crate) fn get(&self, user: &str) -> Option<SocketAddr> {
        self.addrs.get(user).copied()
    }

    /// Whether `addr` is the address learned for `user`.
    pub(crate) fn is(&self, user: &str, addr: SocketAddr) -> bool {
        self.get(user) == Some(addr)
    }

    /// Learns (or updates) `user`'s address.
    pub(crate) fn learn(&mut self, user: Name, addr: SocketAddr) {
        if self.max == 0 {
            return;
        }
        if self.addrs.insert(user.clone(), addr).is_none() {
            self.order.push_back(user);
            while self.addrs.len() > self.max {
                match self.order.pop_front() {
                    Some(old) => self.addrs.remove(&old),
                    None => break,
                };
            }
        }
    }
}
