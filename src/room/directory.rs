//! What the two room-chat wires share (§7 and §8): the
//! limits on users, rooms and members, and the rooms themselves, each with
//! an owner and its members in join order.
//!
//! Names and their rules are [`Name`](super::Name), the same type on both
//! wires.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use super::wire::Name;

/// Default most registered users, on either wire.
pub(crate) const DEFAULT_MAX_USERS: usize = 100;
/// Default most rooms, on either wire.
pub(crate) const DEFAULT_MAX_ROOMS: usize = 100;
/// Default most members of one room, on either wire.
pub(crate) const DEFAULT_MAX_MEMBERS: usize = 32;

/// One room: its owner and its members.
#[derive(Debug)]
pub(crate) struct Room {
    pub(crate) owner: SocketAddr,
    /// In join order: the first is the longest-joined.
    pub(crate) members: Vec<SocketAddr>,
}

/// Every room, by name (so listed in name order).
#[derive(Debug, Default)]
pub(crate) struct Rooms {
    rooms: BTreeMap<Name, Room>,
}

impl Rooms {
    /// Room names, sorted.
    pub(crate) fn names(&self) -> impl Iterator<Item = &Name> {
        self.rooms.keys()
    }

    pub(crate) fn len(&self) -> usize {
        self.rooms.len()
    }

    pub(crate) fn contains(&self, room: &str) -> bool {
        self.rooms.contains_key(room)
    }

    pub(crate) fn get(&self, room: &str) -> Option<&Room> {
        self.rooms.get(room)
    }

    pub(crate) fn get_mut(&mut self, room: &str) -> Option<&mut Room> {
        self.rooms.get_mut(room)
    }

    /// Adds an empty room owned by `owner` (who is not yet a member).
    pub(crate) fn create(&mut self, room: Name, owner: SocketAddr) {
        self.rooms.insert(
            room,
            Room {
                owner,
                members: Vec::new(),
            },
        );
    }

    /// Appends `addr` to the members of `room`; returns the members it
    /// joins (those before it, in join order), or `None` if there is no
    /// such room.
    pub(crate) fn join(&mut self, room: &str, addr: SocketAddr) -> Option<Vec<SocketAddr>> {
        let room = self.rooms.get_mut(room)?;
        let others = room.members.clone();
        room.members.push(addr);
        Some(others)
    }

    /// Takes `addr` out of `room`: an owner who leaves hands the room to
    /// the member who joined longest ago, and a room left empty is
    /// removed. Returns the members who stay, in join order.
    pub(crate) fn leave(&mut self, room_name: &str, addr: SocketAddr) -> Vec<SocketAddr> {
        let Some(room) = self.rooms.get_mut(room_name) else {
            return Vec::new();
        };
        room.members.retain(|m| *m != addr);
        let Some(&first) = room.members.first() else {
            self.rooms.remove(room_name);
            return Vec::new();
        };
        if room.owner == addr {
            room.owner = first;
        }
        room.members.clone()
    }
}

impl Rooms {
    /// Removes the rooms `owner` created that nobody has joined (on the
    /// §8 wire `rc` does not join, so such a room would outlive its
    /// creator).
    pub(crate) fn remove_unjoined_of(&mut self, owner: SocketAddr) {
        self.rooms
            .retain(|_, room| room.owner != owner || !room.members.is_empty());
    }
}
