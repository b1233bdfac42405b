//! The server's limits and timers.

use std::time::Duration;

#[cfg(doc)]
use crate::room::ClientBound;
use crate::room::directory::{DEFAULT_MAX_MEMBERS, DEFAULT_MAX_ROOMS, DEFAULT_MAX_USERS};

/// The server's limits and timers. Every table the server keeps is
/// bounded by one of them; a request that would go over answers an error
/// reply.
///
/// With the defaults a `ul` or `rl` list always fits in one datagram
/// (100 names of 32 characters); with larger limits a list is cut after the
/// last name that fits in 4,096 bytes ([`ClientBound::MAX_LEN`]).
///
/// ```
/// use sockwire::room::{RoomServer, ServerConfig};
/// let server = RoomServer::new(ServerConfig::default().with_max_users(10).with_max_rooms(5));
/// assert_eq!(server.config().max_users, 10);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Most registered users: see [`with_max_users`](Self::with_max_users).
    pub max_users: usize,
    /// Most rooms: see [`with_max_rooms`](Self::with_max_rooms).
    pub max_rooms: usize,
    /// Most members of one room: see
    /// [`with_max_members`](Self::with_max_members).
    pub max_members: usize,
    /// Most unregistered addresses whose replies are cached: see
    /// [`with_max_cached_replies`](Self::with_max_cached_replies).
    pub max_cached_replies: usize,
    /// Replies kept per address: see
    /// [`with_reply_history`](Self::with_reply_history).
    pub reply_history: usize,
    /// Most events kept until polled: see
    /// [`with_max_events`](Self::with_max_events).
    pub max_events: usize,
    /// Lifetime of a silent registration: see
    /// [`with_expiry`](Self::with_expiry).
    pub expiry: Duration,
    /// First wait for an acknowledgement: see
    /// [`with_resend_after`](Self::with_resend_after).
    pub resend_after: Duration,
    /// Longest wait between resends: see
    /// [`with_max_resend_interval`](Self::with_max_resend_interval).
    pub max_resend_interval: Duration,
    /// Notifications in flight per client: see
    /// [`with_max_in_flight`](Self::with_max_in_flight).
    pub max_in_flight: usize,
    /// Notifications waiting per client: see
    /// [`with_max_waiting`](Self::with_max_waiting).
    pub max_waiting: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_users: DEFAULT_MAX_USERS,
            max_rooms: DEFAULT_MAX_ROOMS,
            max_members: DEFAULT_MAX_MEMBERS,
            max_cached_replies: 256,
            reply_history: 4,
            max_events: 1024,
            expiry: Duration::from_secs(60),
            resend_after: Duration::from_millis(500),
            max_resend_interval: Duration::from_secs(4),
            max_in_flight: 64,
            max_waiting: 1024,
        }
    }
}

crate::config::config_setters!(ServerConfig {
    /// Most registered users; `hi` from a new address past that gets
    /// `er server-full`. Default: 100.
    with_max_users => max_users: usize,
    /// Most rooms; `rc` past that gets `er too-many-rooms`. Default: 100.
    with_max_rooms => max_rooms: usize,
    /// Most members of one room; `rj` past that gets `er room-full`.
    /// Default: 32.
    with_max_members => max_members: usize,
    /// Most unregistered addresses whose replies are cached (a registered
    /// user's replies are kept with the registration); past that, the
    /// address heard from longest ago is forgotten. Default: 256.
    with_max_cached_replies => max_cached_replies: usize,
    /// How many of an address's last replies are kept, with their tags: a
    /// request with one of those tags gets its reply again and is not
    /// executed twice. More than one also answers a stale duplicate that
    /// the network delivered after the next request. A client must not
    /// reuse a tag among its last `reply_history` requests. `0` counts as
    /// 1. Default: 4.
    with_reply_history => reply_history: usize,
    /// Most events kept until polled (the oldest is dropped). Default:
    /// 1,024.
    with_max_events => max_events: usize,
    /// How long a registration lives without a datagram from its address.
    /// Default: 60 s.
    with_expiry => expiry: Duration,
    /// How long to wait for a notification's `n<seq> ak` before sending it
    /// again the first time; each later wait is twice the one before, up
    /// to [`with_max_resend_interval`](Self::with_max_resend_interval).
    /// Default: 500 ms.
    with_resend_after => resend_after: Duration,
    /// The longest wait between two sends of an unacknowledged
    /// notification (the server never gives up on a registered client).
    /// Default: 4 s.
    with_max_resend_interval => max_resend_interval: Duration,
    /// Most unacknowledged notifications in flight per client (at least
    /// 1); more wait in order. Default: 64.
    with_max_in_flight => max_in_flight: usize,
    /// Most notifications waiting per client behind those in flight; past
    /// that the oldest waiting is dropped, and the client is told how many
    /// with one `ls <count>` in their place. Default: 1,024.
    with_max_waiting => max_waiting: usize,
});
