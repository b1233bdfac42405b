//! The server's reply cache: the last replies sent to each address, by
//! tag, so that a retransmitted request gets the same reply again and is
//! not executed twice. A registered user's replies live with its
//! registration ([`History`]); those of unregistered addresses are kept
//! here for at most `max_addrs` addresses (the one heard from longest ago
//! is forgotten first).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;

use super::wire::Tag;

/// One address's last replies: (tag, datagram), oldest first.
#[derive(Debug, Default)]
pub(crate) struct History {
    replies: VecDeque<(Tag, Bytes)>,
}

impl History {
    /// The reply sent for `tag`, if it is among the last ones.
    pub(crate) fn find(&self, tag: Tag) -> Option<Bytes> {
        self.replies
            .iter()
            .rev()
            .find(|(t, _)| *t == tag)
            .map(|(_, b)| b.clone())
    }

    /// Records the reply to `tag`, keeping the last `keep` (at least 1).
    pub(crate) fn push(&mut self, tag: Tag, payload: Bytes, keep: usize) {
        self.replies.push_back((tag, payload));
        while self.replies.len() > keep.max(1) {
            self.replies.pop_front();
        }
    }

    fn is_empty(&self) -> bool {
        self.replies.is_empty()
    }
}

/// The replies to unregistered addresses.
#[derive(Debug)]
pub(crate) struct ReplyCache {
    /// Each address's replies, and the stamp of its latest entry in
    /// `order`.
    anon: HashMap<SocketAddr, (History, u64)>,
    /// (stamp, address), oldest first; stale stamps are skipped.
    order: VecDeque<(u64, SocketAddr)>,
    stamp: u64,
    max_addrs: usize,
}

impl ReplyCache {
    pub(crate) fn new(max_addrs: usize) -> Self {
        ReplyCache {
            anon: HashMap::new(),
            order: VecDeque::new(),
            stamp: 0,
            max_addrs,
        }
    }

    /// How many addresses have replies cached.
    pub(crate) fn len(&self) -> usize {
        self.anon.len()
    }

    /// The reply sent to `from` for `tag`.
    pub(crate) fn find(&self, from: SocketAddr, tag: Tag) -> Option<Bytes> {
        self.anon.get(&from)?.0.find(tag)
    }

    /// Records a reply to the unregistered `from`.
    pub(crate) fn push(&mut self, from: SocketAddr, tag: Tag, payload: Bytes, keep: usize) {
        if self.max_addrs == 0 {
            return;
        }
        let stamp = self.next_stamp();
        let entry = self.anon.entry(from).or_default();
        entry.0.push(tag, payload, keep);
        entry.1 = stamp;
        self.order.push_back((stamp, from));
        self.trim();
    }

    /// Takes `from`'s replies (it registers: they go with it).
    pub(crate) fn take(&mut self, from: SocketAddr) -> History {
        self.anon.remove(&from).map(|(h, _)| h).unwrap_or_default()
    }

    /// Keeps the replies of a registration that ended, so that a late
    /// duplicate of a request sent before `by` still finds its reply.
    pub(crate) fn keep(&mut self, from: SocketAddr, history: History) {
        if self.max_addrs == 0 || history.is_empty() {
            return;
        }
        let stamp = self.next_stamp();
        self.anon.insert(from, (history, stamp));
        self.order.push_back((stamp, from));
        self.trim();
    }

    fn next_stamp(&mut self) -> u64 {
        self.stamp += 1;
        self.stamp
    }

    fn trim(&mut self) {
        while self.anon.len() > self.max_addrs {
            let Some((stamp, addr)) = self.order.pop_front() else {
                break;
            };
            if self.anon.get(&addr).is_some_and(|(_, s)| *s == stamp) {
                self.anon.remove(&addr);
            }
        }
        if self.order.len() > 2 * self.max_addrs {
            let anon = &self.anon;
            self.order
                .retain(|(stamp, addr)| anon.get(addr).is_some_and(|(_, s)| s == stamp));
        }
    }
}
