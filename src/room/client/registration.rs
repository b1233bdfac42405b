//! Registering again: when the registration is gone, `hi` under the same
//! name, the room rejoined (made again if it is gone), then the request
//! that failed, repeated.

use std::time::Instant;

use super::RoomClient;
use crate::room::client_event::{ClientEvent, Repeat};
use crate::room::requests::{Origin, Queued};
use crate::room::wire::{ErrorCode, Request};

impl RoomClient {
    /// A rejoin that failed: a room gone with the server is made again; a
    /// room another client made meanwhile is joined.
    pub(super) fn rejoin_fallback(&mut self, q: &Queued, code: Option<&ErrorCode>) {
        let next = match (q.origin, &q.request, code) {
            (Origin::Rejoin, Request::JoinRoom(room), Some(ErrorCode::NoSuchRoom)) => {
                (Request::CreateRoom(room.clone()), Origin::RejoinCreate)
            }
            (Origin::RejoinCreate, Request::CreateRoom(room), Some(ErrorCode::RoomExists)) => {
                (Request::JoinRoom(room.clone()), Origin::Repeat)
            }
            _ => return,
        };
        let queued = Queued {
            tag: self.take_tag(),
            request: next.0,
            origin: next.1,
        };
        self.requests.push_front(queued);
    }

    /// The registration is gone (`failed` got `er not-registered`, or a
    /// gap stayed open): `hi` again, rejoin the room, then `failed` again,
    /// all ahead of the queue, with new tags.
    pub(super) fn reregister(&mut self, now: Instant, failed: Option<Queued>) {
        // The old registration's notifications will never fill their gaps:
        // show what was held back, report the rest; the new registration
        // counts from 1.
        let mut steps = Vec::new();
        self.reorder.flush_and_restart(&mut steps);
        self.show_steps(steps);
        let moves = failed.as_ref().is_some_and(|q| {
            matches!(
                q.request,
                Request::CreateRoom(_) | Request::JoinRoom(_) | Request::LeaveRoom | Request::Bye
            )
        });
        let room = self.room.take().filter(|_| !moves);
        self.requests.retain_queued(|q| !q.is_registration());
        let hello = Queued {
            tag: self.take_tag(),
            request: Request::Hello(self.user.clone()),
            origin: Origin::Register,
        };
        let rejoin = room.clone().map(|room| Queued {
            tag: self.take_tag(),
            request: Request::JoinRoom(room),
            origin: Origin::Rejoin,
        });
        let retry = failed.map(|q| {
            let retry = Queued {
                tag: self.take_tag(),
                request: q.request,
                origin: Origin::Repeat,
            };
            let repeat = Repeat {
                tag: q.tag,
                retry_tag: retry.tag,
                request: retry.request.clone(),
            };
            (retry, repeat)
        });
        let (retry, repeat) = retry.unzip();
        self.events.push(ClientEvent::Reregistering {
            user: self.user.clone(),
            room,
            repeat,
        });
        for q in [retry, rejoin, Some(hello)].into_iter().flatten() {
            self.requests.push_front(q);
        }
        self.send_next(now);
    }
}
