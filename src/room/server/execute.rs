//! What each request does to the server's tables, one function per
//! request; each returns the reply and queues the notifications it causes.

use std::net::SocketAddr;
use std::time::Instant;

use super::{RoomServer, Session};
use crate::room::outbox::{self, Outbox};
use crate::room::registry::{Refused, Registered};
use crate::room::timers::Due;
use crate::room::wire::{ClientBound, ErrorCode, Name, Notification, Reply, Request, Seq};

type E = ErrorCode;

impl RoomServer {
    /// Executes `request` from `from` (registered, or a `hi`).
    pub(super) fn execute(&mut self, now: Instant, from: SocketAddr, request: &Request) -> Reply {
        match request {
            Request::Hello(name) => self.hello(now, from, name),
            Request::UserList => Reply::Users(fit_list(self.users.names())),
            Request::RoomList => Reply::Rooms(fit_list(self.rooms.names())),
            Request::CreateRoom(room) => self.create_room(now, from, room),
            Request::JoinRoom(room) => self.join_room_request(now, from, room),
            Request::LeaveRoom => self.leave_room_request(now, from),
            Request::Poke(target) => self.poke(now, from, target),
            Request::Kick => self.kick(now, from),
            Request::Say(text) => self.say(now, from, text),
            Request::KeepAlive => Reply::Ok,
            Request::Bye => {
                self.remove_user(now, from);
                Reply::Ok
            }
        }
    }

    /// `hi`: registers `from` as `name`, or renames it.
    fn hello(&mut self, now: Instant, from: SocketAddr, name: &Name) -> Reply {
        let replies = &mut self.replies;
        let session = || Session {
            last_seen: now,
            history: replies.take(from),
            outbox: Outbox::default(),
        };
        match self
            .users
            .register(from, name, self.config.max_users, session)
        {
            Ok(Registered::Added) => {
                self.timers
                    .insert(now + self.config.expiry, from, Due::Expiry);
                Reply::Ok
            }
            Ok(Registered::Already | Registered::Renamed) => {
                self.restart_notifications(from);
                Reply::Ok
            }
            Err(Refused::Taken) => Reply::error(E::NameTaken),
            Err(Refused::Full) => Reply::error(E::ServerFull),
        }
    }

    /// Starts `addr`'s notification count again at 1, as its client does at
    /// each `hi` it sends (a client restarted on the same port, or one that
    /// registers again after a gap): the old count's notifications, in
    /// flight or waiting, would only be held back behind a gap the client
    /// can never fill, so they go, with their resend timers.
    fn restart_notifications(&mut self, addr: SocketAddr) {
        let Some(user) = self.users.get_mut(&addr) else {
            return;
        };
        let old = std::mem::take(&mut user.state.outbox);
        for (seq, at) in old.deadlines() {
            self.timers.remove(at, addr, Due::Resend(seq));
        }
    }

    /// `rc`: creates `room`, owned by `from`, who leaves its room and
    /// joins the new one.
    fn create_room(&mut self, now: Instant, from: SocketAddr, room: &Name) -> Reply {
        if self.rooms.contains(room) {
            return Reply::error(E::RoomExists);
        }
        // leaving a room we are alone in frees its slot
        let freed = self
            .room_of(from)
            .and_then(|r| self.rooms.get(&r))
            .is_some_and(|r| r.members.len() == 1);
        if self.rooms.len() - usize::from(freed) >= self.config.max_rooms {
            return Reply::error(E::TooManyRooms);
        }
        self.leave_room(now, from);
        self.rooms.create(room.clone(), from);
        self.join_room(now, from, room);
        Reply::Ok
    }

    /// `rj`: moves `from` into `room`.
    fn join_room_request(&mut self, now: Instant, from: SocketAddr, room: &Name) -> Reply {
        let Some(r) = self.rooms.get(room) else {
            return Reply::error(E::NoSuchRoom);
        };
        if self.room_of(from).as_ref() == Some(room) {
            return Reply::Ok;
        }
        if r.members.len() >= self.config.max_members {
            return Reply::error(E::RoomFull);
        }
        self.leave_room(now, from);
        self.join_room(now, from, room);
        Reply::Ok
    }

    /// `rk`: takes `from` out of its room.
    fn leave_room_request(&mut self, now: Instant, from: SocketAddr) -> Reply {
        if self.room_of(from).is_none() {
            return Reply::error(E::NotInRoom);
        }
        self.leave_room(now, from);
        Reply::Ok
    }

    /// `ar`: tells `target` who pokes it, and `from` where `target` is.
    fn poke(&mut self, now: Instant, from: SocketAddr, target: &Name) -> Reply {
        let Some(target_addr) = self.users.addr_of(target) else {
            return Reply::error(E::NoSuchUser);
        };
        if let Some(me) = self.users.name_of(&from) {
            let poke = Notification::Poked {
                user: me.clone(),
                addr: from,
            };
            self.notify(now, target_addr, poke);
        }
        Reply::Address {
            user: target.clone(),
            addr: target_addr,
        }
    }

    /// `kk`: the owner `from` sends every other member out of its room.
    fn kick(&mut self, now: Instant, from: SocketAddr) -> Reply {
        let Some(room_name) = self.room_of(from) else {
            return Reply::error(E::NotInRoom);
        };
        let Some(room) = self.rooms.get_mut(&room_name) else {
            return Reply::error(E::NotInRoom);
        };
        if room.owner != from {
            return Reply::error(E::NotOwner);
        }
        let kicked: Vec<SocketAddr> = room
            .members
            .iter()
            .copied()
            .filter(|m| *m != from)
            .collect();
        room.members.retain(|m| *m == from);
        for addr in kicked {
            let Some(user) = self.users.get_mut(&addr) else {
                continue;
            };
            user.room = None;
            let name = user.name.clone();
            let room = room_name.clone();
            self.notify(now, addr, Notification::Kicked { room });
            let room = room_name.clone();
            self.notify(now, from, Notification::Left { room, user: name });
        }
        Reply::Ok
    }

    /// `ms`: relays `text` to every other member of `from`'s room.
    fn say(&mut self, now: Instant, from: SocketAddr, text: &str) -> Reply {
        let Some(room_name) = self.room_of(from) else {
            return Reply::error(E::NotInRoom);
        };
        let Some(user_name) = self.users.name_of(&from).cloned() else {
            return Reply::error(E::NotRegistered);
        };
        let said = Notification::Said {
            room: room_name.clone(),
            user: user_name,
            text: text.to_owned(),
        };
        // checked with the longest tag, so the limit does not depend on
        // the members' sequence numbers
        let longest = ClientBound::Notice {
            seq: Seq::MAX,
            notification: said,
        };
        if longest.to_bytes().is_err() {
            return Reply::Error {
                code: E::TooLong,
                text: Some("relayed message would exceed 4096 bytes".into()),
            };
        }
        let ClientBound::Notice {
            notification: said, ..
        } = longest
        else {
            return Reply::error(E::TooLong);
        };
        // A member's room is always one of the rooms.
        let Some(members) = self.rooms.get(&room_name).map(|r| r.members.clone()) else {
            return Reply::error(E::NotInRoom);
        };
        let said = outbox::body(&said);
        for member in members.into_iter().filter(|m| *m != from) {
            self.notify_body(now, member, said.clone());
        }
        Reply::Ok
    }
}

/// The names that fit in one `ul`/`rl` reply with the longest tag.
fn fit_list<'a>(names: impl Iterator<Item = &'a Name>) -> Vec<Name> {
    // "4294967295 ul"
    let mut size = 13;
    let mut out = Vec::new();
    for name in names {
        size += 1 + name.len();
        if size > ClientBound::MAX_LEN {
            break;
        }
        out.push(name.clone());
    }
    out
}
