//! The peer table of both room clients: the address a poke told for each
//! user, at most `max` of them, the one learned longest ago forgotten
//! first (with `max` 0, none is kept).
//!
//! The two wires learn again differently, and each client's behaviour
//! shows its rule, so the table has one method for each:
//!
//! - §7 ([`learn`](PeerTable::learn)): a user poked again keeps its place
//!   (and takes the new address), and two users may share an address (one
//!   re-registered from the other's address keeps both). A `pm` is
//!   accepted from the address learned for its sender, so a user learned
//!   earlier at that address is still answered `ok`.
//! - §8 ([`learn_latest`](PeerTable::learn_latest)): the latest word
//!   wins: a user poked again (or a stranger taken up) moves to the
//!   newest place, and replaces any user learned at the same address, so
//!   `$msg` to a user whose address another now holds is refused.

use std::borrow::Borrow;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// Users' addresses, oldest first; `K` is the user's name (a
/// [`Name`](super::Name) on §7; on §8 a chat line's unchecked sender
/// too).
#[derive(Debug)]
pub(crate) struct PeerTable<K> {
    peers: VecDeque<(K, SocketAddr)>,
    max: usize,
}

impl<K: Borrow<str>> PeerTable<K> {
    pub(crate) fn new(max: usize) -> Self {
        PeerTable {
            peers: VecDeque::new(),
            max,
        }
    }

    /// The address learned for `user`.
    pub(crate) fn get(&self, user: &str) -> Option<SocketAddr> {
        let mut peers = self.peers.iter();
        peers.find(|(u, _)| u.borrow() == user).map(|&(_, a)| a)
    }

    /// Whether `addr` is the address learned for `user`.
    pub(crate) fn is(&self, user: &str, addr: SocketAddr) -> bool {
        self.get(user) == Some(addr)
    }

    /// Whether some user was learned at `addr`.
    pub(crate) fn knows(&self, addr: SocketAddr) -> bool {
        self.peers.iter().any(|&(_, a)| a == addr)
    }

    /// The addresses, oldest first (one for each user: an address may
    /// repeat on §7).
    pub(crate) fn addrs(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.peers.iter().map(|&(_, a)| a)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.peers.clear();
    }

    /// §7's rule: learns `user`'s address, or updates it in place.
    pub(crate) fn learn(&mut self, user: K, addr: SocketAddr) {
        match self
            .peers
            .iter_mut()
            .find(|(u, _)| u.borrow() == user.borrow())
        {
            Some((_, known)) => *known = addr,
            None => self.push(user, addr),
        }
    }

    /// §8's rule: forgets any user learned as `user` or at `addr`, then
    /// learns `user` at `addr` as the newest.
    pub(crate) fn learn_latest(&mut self, user: K, addr: SocketAddr) {
        self.peers
            .retain(|(u, a)| u.borrow() != user.borrow() && *a != addr);
        self.push(user, addr);
    }

    /// Adds the newest, forgetting the oldest past `max`.
    fn push(&mut self, user: K, addr: SocketAddr) {
        if self.max == 0 {
            return;
        }
        self.peers.push_back((user, addr));
        while self.peers.len() > self.max {
            self.peers.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::PeerTable;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn learn_keeps_the_place_and_shared_addresses() {
        let mut peers = PeerTable::new(2);
        peers.learn("bob", addr(1));
        peers.learn("carol", addr(2));
        peers.learn("bob", addr(3)); // bob stays the oldest
        peers.learn("dave", addr(2)); // carol keeps addr(2) too
        assert_eq!(peers.get("bob"), None);
        assert!(peers.is("carol", addr(2)) && peers.is("dave", addr(2)));
        assert_eq!(peers.addrs().collect::<Vec<_>>(), [addr(2), addr(2)]);
    }

    #[test]
    fn learn_latest_moves_to_the_newest_and_replaces_an_address() {
        let mut peers = PeerTable::new(2);
        peers.learn_latest("bob", addr(1));
        peers.learn_latest("carol", addr(2));
        peers.learn_latest("bob", addr(3)); // bob becomes the newest
        peers.learn_latest("dave", addr(4)); // carol, the oldest, goes
        assert_eq!(peers.get("carol"), None);
        peers.learn_latest("erin", addr(3)); // bob's address: bob goes
        assert_eq!(peers.get("bob"), None);
        assert!(peers.knows(addr(3)) && !peers.knows(addr(1)));
        assert_eq!(peers.addrs().collect::<Vec<_>>(), [addr(4), addr(3)]);
    }

    #[test]
    fn none_kept_with_max_0() {
        let mut peers = PeerTable::new(0);
        peers.learn("bob", addr(1));
        peers.learn_latest("carol", addr(2));
        assert!(peers.is_empty());
        let mut peers = PeerTable::new(1);
        peers.learn("bob", addr(1));
        peers.clear();
        assert!(peers.is_empty());
    }
}
