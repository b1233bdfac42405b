//! The client's timers and limits.

use std::time::Duration;

use crate::room::Tag;

#[cfg(doc)]
use super::RoomClient;
#[cfg(doc)]
use crate::room::ClientEvent;

/// The client's timers and limits.
///
/// ```
/// use std::time::Duration;
/// use sockwire::room::ClientConfig;
/// let config = ClientConfig::default().with_retransmit_after(Duration::from_millis(200));
/// assert_eq!(config.max_retransmits, 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Wait for a reply: see
    /// [`with_retransmit_after`](Self::with_retransmit_after).
    pub retransmit_after: Duration,
    /// Retransmissions: see
    /// [`with_max_retransmits`](Self::with_max_retransmits).
    pub max_retransmits: u32,
    /// Keep-alive period: see
    /// [`with_keepalive_every`](Self::with_keepalive_every).
    pub keepalive_every: Duration,
    /// Requests under way: see [`with_max_pending`](Self::with_max_pending).
    pub max_pending: usize,
    /// Peer addresses: see [`with_max_peers`](Self::with_max_peers).
    pub max_peers: usize,
    /// Unpolled events: see [`with_max_events`](Self::with_max_events).
    pub max_events: usize,
    /// Longest open gap: see [`with_gap_timeout`](Self::with_gap_timeout).
    pub gap_timeout: Duration,
    /// Held-back notifications: see [`with_max_held`](Self::with_max_held).
    pub max_held: usize,
    /// The first request's tag: see [`with_first_tag`](Self::with_first_tag).
    pub first_tag: Tag,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            retransmit_after: Duration::from_millis(500),
            max_retransmits: 4,
            keepalive_every: Duration::from_secs(20),
            max_pending: 2048,
            max_peers: 256,
            max_events: 1024,
            gap_timeout: Duration::from_secs(60),
            max_held: 64,
            first_tag: 1,
        }
    }
}

crate::config::config_setters!(ClientConfig {
    /// How long to wait for a reply (from the server, or from a peer to a
    /// `pm`) before sending again. Default: 500 ms.
    with_retransmit_after => retransmit_after: Duration,
    /// How many times a request or `pm` is sent again before it is
    /// reported as timed out. Default: 4.
    with_max_retransmits => max_retransmits: u32,
    /// How often `ka` goes out while no request is under way. Default: 20 s.
    with_keepalive_every => keepalive_every: Duration,
    /// Most requests to the server under way (one in flight, the rest
    /// queued in order), and likewise most private messages. A
    /// re-registration's `hi` and rejoin may come on top:
    /// [`RoomClient::pending`] is at most `max_pending + 3`. Default:
    /// 2,048 (a paste of 1,000 lines fits).
    with_max_pending => max_pending: usize,
    /// Most peer addresses remembered from `pa` (the oldest is forgotten).
    /// Default: 256.
    with_max_peers => max_peers: usize,
    /// Most events kept until polled (the oldest is dropped). Default:
    /// 1,024.
    with_max_events => max_events: usize,
    /// How long a gap in the notifications may stay open: then the
    /// registration is taken for gone (the server restarted, or it
    /// expired); what is held back is shown, the gap is reported
    /// ([`ClientEvent::Lost`]) and the client registers again. Default:
    /// 60 s.
    with_gap_timeout => gap_timeout: Duration,
    /// Most notifications held back behind a gap; one more gives up the
    /// first gap at once (reported as [`ClientEvent::Lost`]). The server
    /// keeps at most 64 in flight, so a gap holds back at most 63.
    /// Default: 64.
    with_max_held => max_held: usize,
    /// The tag of the first request (`hi`); later ones count up from it,
    /// skipping `0`. A program that may restart on the same address within
    /// a minute should start somewhere else each time (from the clock, say):
    /// the server answers a tag among an address's last 4 from its reply
    /// cache without running the request again, so a restarted client's
    /// `1 hi` would not start its notifications again at `n1`. `0` counts
    /// as 1. Default: 1.
    with_first_tag => first_tag: Tag,
});
