//! The client's requests to the server, sent one at a time
//! ([`StopAndWait`](super::stop_and_wait::StopAndWait)), and who asked
//! for each.

use std::net::SocketAddr;

use super::stop_and_wait::Outgoing;
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

impl Queued {
    /// The `hi` and rejoin of a re-registration (a newer one replaces
    /// them).
    pub(crate) fn is_registration(&self) -> bool {
        matches!(
            self.origin,
            Origin::Register | Origin::Rejoin | Origin::RejoinCreate
        )
    }
}

impl Outgoing for Queued {
    fn transmit(&self, server: SocketAddr) -> Option<Transmit> {
        let message = ServerBound::Request {
            tag: self.tag,
            request: self.request.clone(),
        };
        let payload = message.to_bytes().ok()?;
        Some(Transmit {
            destination: server,
            payload,
        })
    }
}
