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

    /// The same pokes under each rule, at most 3 kept: bob at 1, carol at
    /// 2, bob again at 3, dave at carol's 2, erin at 4.
    #[test]
    fn the_rules_differ_in_learning_again() {
        let pokes = [
            ("bob", 1),
            ("carol", 2),
            ("bob", 3),
            ("dave", 2),
            ("erin", 4),
        ];
        // §7: bob keeps his place (so he is the oldest, forgotten for
        // erin), carol keeps address 2 beside dave
        let in_place = [
            ("bob", None),
            ("carol", Some(2)),
            ("dave", Some(2)),
            ("erin", Some(4)),
        ];
        // §8: bob moves to the newest place, dave replaces carol at 2
        let latest = [
            ("bob", Some(3)),
            ("carol", None),
            ("dave", Some(2)),
            ("erin", Some(4)),
        ];
        for (rule, kept, order) in [(false, in_place, [2, 2, 4]), (true, latest, [3, 2, 4])] {
            let mut peers = PeerTable::new(3);
            for (user, port) in pokes {
                match rule {
                    false => peers.learn(user, addr(port)),
                    true => peers.learn_latest(user, addr(port)),
                }
            }
            for (user, port) in kept {
                assert_eq!(peers.get(user), port.map(addr), "{user}, latest: {rule}");
            }
            assert_eq!(peers.addrs().collect::<Vec<_>>(), order.map(addr));
            assert!(peers.is("dave", addr(2)) && peers.knows(addr(2)));
            assert!(!peers.knows(addr(1)));
        }
    }

    #[test]
    fn none_kept_with_max_0() {
        let mut peers = PeerTable::new(0);
        peers.learn("bob", addr(1));
        peers.learn_latest("carol", addr(2));
        assert!(peers.is_empty());
        let mut peers = PeerTable::new(1);
        peers.learn("bob", addr(1));
        assert!(!peers.is_empty());
        peers.clear();
        assert!(peers.is_empty());
    }
}
