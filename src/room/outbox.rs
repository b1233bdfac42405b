//! One client's notifications at the server: numbered, kept in flight
//! until acknowledged and resent with a growing interval, the rest waiting
//! in order; an overflow of the waiting queue is announced with `ls`.
//!
//! The notifications in flight form a window: from the oldest
//! unacknowledged one, at most `max_in_flight` sequence numbers. A later
//! one acknowledged does not let a new one out while an older one is
//! missing, so the client never has to hold back more than the window.
//!
//! A notification waits as its wire form without the tag (its body), made
//! once by whoever sends it and shared by every member it goes to (a line
//! said in a room of a thousand is encoded once); each member's datagram is
//! `n<seq> ` and that body, written into one buffer of the exact size.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use std::io::Write;

use bytes::{Bytes, BytesMut};

use super::wire::{ClientBound, Notification, Seq};

/// The limits an [`Outbox`] keeps (from the server's config).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OutboxLimits {
    pub(crate) max_in_flight: usize,
    pub(crate) max_waiting: usize,
    pub(crate) first_resend: Duration,
    pub(crate) max_resend: Duration,
}

/// A notification sent and not yet acknowledged.
#[derive(Debug)]
struct InFlight {
    /// Its body, shared with the other members': the datagram is made
    /// again for a resend, so that the first one needs no shared copy.
    body: Bytes,
    /// When it is sent again.
    deadline: Instant,
    /// The wait before that.
    interval: Duration,
}

/// A notification put in flight (sent for the first time).
#[derive(Debug)]
pub(crate) struct Sent {
    pub(crate) seq: Seq,
    pub(crate) payload: Bytes,
    pub(crate) deadline: Instant,
    /// `Some(count)` if it is the `ls count` standing for dropped ones.
    pub(crate) lost: Option<u32>,
}

/// One registered client's notifications.
#[derive(Debug)]
pub(crate) struct Outbox {
    /// The next notification's sequence number.
    next_seq: Seq,
    in_flight: BTreeMap<Seq, InFlight>,
    /// Bodies, as made by [`body`].
    waiting: VecDeque<Bytes>,
    /// Dropped from the front of `waiting`, to announce before the rest.
    dropped: u32,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            next_seq: 1,
            in_flight: BTreeMap::new(),
            waiting: VecDeque::new(),
            dropped: 0,
        }
    }
}

impl Outbox {
    /// How many are in flight.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// How many wait for room in flight.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Every resend deadline, to forget them with the registration.
    pub(crate) fn deadlines(&self) -> impl Iterator<Item = (Seq, Instant)> + '_ {
        self.in_flight.iter().map(|(seq, f)| (*seq, f.deadline))
    }

    /// Queues the notification whose [`body`] is `body` and sends what
    /// fits in flight (appended to `sent`). On overflow the oldest waiting
    /// one is dropped and counted.
    pub(crate) fn push(
        &mut self,
        now: Instant,
        body: Bytes,
        limits: OutboxLimits,
        sent: &mut Vec<Sent>,
    ) {
        self.waiting.push_back(body);
        if self.waiting.len() > limits.max_waiting && !self.has_room(limits) {
            self.waiting.pop_front();
            self.dropped = self.dropped.saturating_add(1);
        }
        self.promote(now, limits, sent);
    }

    /// `seq` was acknowledged: returns its resend deadline (if it was in
    /// flight) and sends what now fits.
    pub(crate) fn acknowledge(
        &mut self,
        now: Instant,
        seq: Seq,
        limits: OutboxLimits,
        sent: &mut Vec<Sent>,
    ) -> Option<Instant> {
        let deadline = self.in_flight.remove(&seq)?.deadline;
        self.promote(now, limits, sent);
        Some(deadline)
    }

    /// Notification `seq` is due again at `now`: returns its payload and
    /// its next deadline, the wait doubled up to the limit.
    pub(crate) fn resend(
        &mut self,
        now: Instant,
        seq: Seq,
        limits: OutboxLimits,
    ) -> Option<(Bytes, Instant)> {
        let entry = self.in_flight.get_mut(&seq)?;
        entry.interval = (entry.interval * 2).min(limits.max_resend.max(limits.first_resend));
        entry.deadline = now + entry.interval;
        Some((encode(seq, &entry.body), entry.deadline))
    }

    /// Whether the window has room: the sequence numbers from the oldest
    /// unacknowledged one to the next span fewer than `max_in_flight`. So
    /// at most that many are in flight, and a client never holds back more
    /// than that behind a gap.
    fn has_room(&self, limits: OutboxLimits) -> bool {
        let span = self.in_flight.keys().next().map_or(0, |&oldest| {
            usize::try_from(self.next_seq.wrapping_sub(oldest)).unwrap_or(usize::MAX)
        });
        span < limits.max_in_flight.max(1)
    }

    /// Moves waiting notifications in flight while there is room: first
    /// an `ls` for any dropped, then the rest in order.
    fn promote(&mut self, now: Instant, limits: OutboxLimits, sent: &mut Vec<Sent>) {
        while self.has_room(limits) {
            let (body, lost) = if self.dropped > 0 {
                let count = std::mem::take(&mut self.dropped);
                (body(&Notification::Lost { count }), Some(count))
            } else if let Some(n) = self.waiting.pop_front() {
                (n, None)
            } else {
                return;
            };
            let seq = self.next_seq;
            // 0 is not a sequence number: after u32::MAX comes 1
            self.next_seq = seq.checked_add(1).unwrap_or(1);
            let payload = encode(seq, &body);
            let deadline = now + limits.first_resend;
            self.in_flight.insert(
                seq,
                InFlight {
                    body,
                    deadline,
                    interval: limits.first_resend,
                },
            );
            sent.push(Sent {
                seq,
                payload,
                deadline,
                lost,
            });
        }
    }
}

/// The wire form of `notification` without its tag, to [`Outbox::push`]
/// to one member or many.
pub(crate) fn body(notification: &Notification) -> Bytes {
    let mut buf = BytesMut::with_capacity(64);
    // `BytesMut` grows as needed and a `Notification` always displays
    let _ = std::fmt::Write::write_fmt(&mut buf, format_args!("{notification}"));
    buf.freeze()
}

/// The datagram `n<seq> <body>`, in one allocation of its exact size,
/// byte for byte what [`ClientBound::Notice`] encodes. Every notification
/// the server builds fits (names are short, an `ms` relay is checked
/// before it is built); one that did not would go as `ls 1`, so that even
/// then the client is told.
fn encode(seq: Seq, body: &[u8]) -> Bytes {
    let digits = seq.checked_ilog10().map_or(1, |d| d as usize + 1);
    let len = 2 + digits + body.len();
    if len > ClientBound::MAX_LEN {
        let lost = ClientBound::Notice {
            seq,
            notification: Notification::Lost { count: 1 },
        };
        return lost.to_bytes().unwrap_or_default();
    }
    let mut buf = Vec::with_capacity(len);
    // writing into a `Vec` cannot fail
    let _ = write!(buf, "n{seq} ");
    buf.extend_from_slice(body);
    Bytes::from(buf)
}

#[cfg(test)]
mod tests {
    use super::{body, encode};
    use crate::room::wire::{ClientBound, Name, Notification, Seq};

    fn name(s: &str) -> Name {
        Name::new(s).unwrap()
    }

    /// Each datagram is byte for byte what `ClientBound::Notice` encodes,
    /// at every width of sequence number, and one too long goes as `ls 1`.
    #[test]
    fn encodes_as_the_wire_does() {
        let said = |text: String| Notification::Said {
            room: name("lobby"),
            user: name("ann"),
            text,
        };
        let notifications = [
            said("hello, room".into()),
            said(String::new()),
            Notification::Joined {
                room: name("lobby"),
                user: name("bo_b-2"),
            },
            Notification::Kicked { room: name("r") },
            Notification::Poked {
                user: name("ann"),
                addr: "127.0.0.1:4000".parse().unwrap(),
            },
            Notification::Lost { count: 7 },
        ];
        let seqs: [Seq; 7] = [1, 9, 10, 99, 100, 65_536, Seq::MAX];
        for notification in notifications {
            let b = body(&notification);
            for seq in seqs {
                let notice = ClientBound::Notice {
                    seq,
                    notification: notification.clone(),
                };
                assert_eq!(encode(seq, &b), notice.to_bytes().unwrap(), "{seq}");
            }
        }
        // the longest that fits at n4294967295, one byte more at n1 fits,
        // two bytes more does not
        let fits = ClientBound::MAX_LEN - "n4294967295 ms lobby ann ".len();
        for (extra, seq, ok) in [(0, Seq::MAX, true), (9, 1, true), (10, 1, false)] {
            let b = body(&said("x".repeat(fits + extra)));
            let datagram = encode(seq, &b);
            if ok {
                assert_eq!(datagram.len(), ClientBound::MAX_LEN);
            } else {
                assert_eq!(&datagram[..], b"n1 ls 1");
            }
        }
    }
}
