//! What the server reports, one event per datagram (plus one per expiry
//! and per overflow), and its log line.

use std::net::SocketAddr;

use crate::room::registry::Sender;
use crate::room::wire::{Name, Reply, Request, Seq, Tag, WireError};

/// What the server did, one event per datagram (plus one per expiry), for
/// logging.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A request was executed and answered.
    Handled {
        /// The sender.
        from: SocketAddr,
        /// The registered user that sent it: the name after the request
        /// (a `hi` sets it), or before it (a `by` ends it); `None` if the
        /// address is not registered.
        user: Option<Name>,
        /// The tag.
        tag: Tag,
        /// The request.
        request: Request,
        /// The reply sent.
        reply: Reply,
    },
    /// A request with the same tag as the address's last one: the cached
    /// reply was sent again and the request not executed.
    Retransmitted {
        /// The sender.
        from: SocketAddr,
        /// The tag.
        tag: Tag,
    },
    /// A malformed datagram whose tag could be read (or an over-long one),
    /// answered with an error reply.
    Rejected {
        /// The sender.
        from: SocketAddr,
        /// The tag of the reply (`0` if unreadable).
        tag: Tag,
        /// What was wrong.
        error: WireError,
        /// The reply sent.
        reply: Reply,
    },
    /// A datagram whose tag cannot be read: dropped without reply.
    Dropped {
        /// The sender.
        from: SocketAddr,
        /// What was wrong.
        error: WireError,
    },
    /// A registration expired: no datagram from its address for the
    /// expiry time. It left its room as `by` does.
    Expired {
        /// The user.
        user: Name,
        /// Its address.
        addr: SocketAddr,
    },
    /// `n<seq> ak`: a client acknowledged a notification (also logged for
    /// a duplicate, or from an address that is not registered).
    Acked {
        /// The sender.
        from: SocketAddr,
        /// The registered user at that address, if any.
        user: Option<Name>,
        /// The notification's sequence number.
        seq: Seq,
    },
    /// A client's queue of waiting notifications overflowed: `count` of
    /// them were dropped, and `n<seq> ls <count>` was sent in their place.
    Overflowed {
        /// The user they were for.
        user: Name,
        /// Their address.
        addr: SocketAddr,
        /// The sequence number of the `ls`.
        seq: Seq,
        /// How many were dropped.
        count: u32,
    },
}

impl std::fmt::Display for ServerEvent {
    /// One log line: who, what, and what the server answered.
    ///
    /// ```
    /// use sockwire::room::RoomServer;
    /// let mut server = RoomServer::default();
    /// server.handle_datagram(std::time::Instant::now(), "127.0.0.1:4000".parse()?, b"7 hi bob");
    /// let line = server.poll_event().unwrap().to_string();
    /// assert_eq!(line, "127.0.0.1:4000 bob: 7 hi bob -> ok");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerEvent::Handled {
                from,
                user,
                tag,
                request,
                reply,
            } => {
                let sender = Sender {
                    from,
                    user: user.as_ref(),
                };
                write!(
                    f,
                    "{sender}: {tag} {} -> {}",
                    Shorten(request),
                    Shorten(reply)
                )
            }
            ServerEvent::Retransmitted { from, tag } => {
                write!(f, "{from}: {tag} retransmitted, cached reply sent again")
            }
            ServerEvent::Rejected {
                from,
                tag,
                error,
                reply,
            } => write!(f, "{from}: {tag} rejected ({error}) -> {reply}"),
            ServerEvent::Dropped { from, error } => write!(f, "{from}: dropped ({error})"),
            ServerEvent::Expired { user, addr } => write!(f, "{addr} {user}: expired"),
            ServerEvent::Acked { from, user, seq } => match user {
                Some(user) => write!(f, "{from} {user}: n{seq} ak"),
                None => write!(f, "{from} (unregistered): n{seq} ak"),
            },
            ServerEvent::Overflowed {
                user,
                addr,
                seq,
                count,
            } => write!(
                f,
                "{addr} {user}: {count} waiting notifications dropped, n{seq} ls {count} sent"
            ),
        }
    }
}

/// Displays at most 200 bytes of a message, for log lines.
struct Shorten<'a, T>(&'a T);

impl<T: std::fmt::Display> std::fmt::Display for Shorten<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.to_string();
        if s.len() <= 200 {
            return f.write_str(&s);
        }
        // 0 is always a char boundary
        let end = (0..=200)
            .rev()
            .find(|&i| s.is_char_boundary(i))
            .unwrap_or(0);
        let (head, _) = s.split_at(end);
        write!(f, "{head}... ({} bytes)", s.len())
    }
}
