//! The client's requests to the server: one in flight (stop-and-wait), the
//! rest queued in order; the one in flight is retransmitted until its
//! reply comes or its retries run out.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::wire::{Request, ServerBound, Tag};
use crate::Transmit;

/// Who asked for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The user: an `er not-registered` makes the client register again
    /// and repeat it.
    User,
    /// The client, registering again: `hi`.
    Register,
    /// The client, repeating a request after registering again: another
    /// `er not-registered` is reported, not repeated.
    Repeat,
    /// The client, rejoining its room after registering again (`rj`): a
    /// room that is gone is created.
    Rejoin,
    /// The client, creating the room it rejoins (`rc`): if another client
    /// made it meanwhile, it is joined.
    RejoinCreate,
}

/// A request waiting its turn, or in flight.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) tag: Tag,
    pub(crate) request: Request,
    pub(crate) origin: Origin,
}

#[derive(Debug)]
struct InFlight {
    queued: Queued,
    payload: Bytes,
    deadline: Instant,
    retransmits: u32,
}

/// The requests under way.
#[derive(Debug, Default)]
pub(crate) struct Requests {
    in_flight: Option<InFlight>,
    queue: VecDeque<Queued>,
}

/// Where requests go and how often they are retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    pub(crate) server: SocketAddr,
    pub(crate) after: Duration,
    pub(crate) max: u32,
}

impl Requests {
    /// How many await a reply (in flight and queued).
    pub(crate) fn len(&self) -> usize {
        self.queue.len() + usize::from(self.in_flight.is_some())
    }

    pub(crate) fn push_back(&mut self, queued: Queued) {
        self.queue.push_back(queued);
    }

    pub(crate) fn push_front(&mut self, queued: Queued) {
        self.queue.push_front(queued);
    }

    /// Drops the queued `hi` and rejoin of an earlier re-registration (a
    /// new one replaces them).
    pub(crate) fn forget_registration(&mut self) {
        self.queue.retain(|q| {
            !matches!(
                q.origin,
                Origin::Register | Origin::Rejoin | Origin::RejoinCreate
            )
        });
    }

    /// The request in flight, if its tag is `tag`: taken out (the caller
    /// sends the next).
    pub(crate) fn answered(&mut self, tag: Tag) -> Option<Queued> {
        self.in_flight
            .take_if(|f| f.queued.tag == tag)
            .map(|f| f.queued)
    }

    /// When the one in flight is due again.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.in_flight.as_ref().map(|f| f.deadline)
    }

    /// Sends the next queued request if none is in flight. A request that
    /// does not encode (checked when queued, so never) is returned.
    pub(crate) fn send_next(
        &mut self,
        now: Instant,
        retry: Retry,
        out: &mut VecDeque<Transmit>,
    ) -> Option<Queued> {
        if self.in_flight.is_some() {
            return None;
        }
        let queued = self.queue.pop_front()?;
        let message = ServerBound::Request {
            tag: queued.tag,
            request: queued.request.clone(),
        };
        let Ok(payload) = message.to_bytes() else {
            return Some(queued);
        };
        out.push_back(Transmit {
            destination: retry.server,
            payload: payload.clone(),
        });
        self.in_flight = Some(InFlight {
            queued,
            payload,
            deadline: now + retry.after,
            retransmits: 0,
        });
        None
    }

    /// Retransmits the one in flight if due, or gives it up when out of
    /// retries (returned; the caller sends the next).
    pub(crate) fn handle_timeout(
        &mut self,
        now: Instant,
        retry: Retry,
        out: &mut VecDeque<Transmit>,
    ) -> Option<Queued> {
        let f = self.in_flight.as_mut().filter(|f| f.deadline <= now)?;
        if f.retransmits < retry.max {
            f.retransmits += 1;
            f.deadline = now + retry.after;
            out.push_back(Transmit {
                destination: retry.server,
                payload: f.payload.clone(),
            });
            return None;
        }
        self.in_flight.take().map(|f| f.queued)
    }

    /// Forgets everything (the client quit).
    pub(crate) fn clear(&mut self) {
        self.in_flight = None;
        self.queue.clear();
    }
}
