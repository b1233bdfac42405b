//! The registered users of a room-chat server, on either wire: one per
//! address, each name held by one address, with the room each is in and
//! whatever else the server keeps per user (`T`: nothing on §8; on §7 the
//! last time heard from, the reply history and the notifications).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;

use super::directory::Room;
use super::wire::Name;

/// One registered user.
#[derive(Debug)]
pub(crate) struct User<T> {
    pub(crate) name: Name,
    pub(crate) room: Option<Name>,
    /// What the server keeps beside the name and the room.
    pub(crate) state: T,
}

/// Why a name was not registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Another address holds the name.
    Taken,
    /// The server is full (`max` users), and the address is not one of them.
    Full,
}

/// How a name was registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Registered {
    /// The address already held the name: nothing changed.
    Already,
    /// The address held another name, now freed; its room and state are
    /// kept.
    Renamed,
    /// A new user.
    Added,
}

/// Users by address, and addresses by name (so names list sorted).
#[derive(Debug)]
pub(crate) struct Registry<T> {
    users: HashMap<SocketAddr, User<T>>,
    by_name: BTreeMap<Name, SocketAddr>,
}

impl<T> Default for Registry<T> {
    fn default() -> Self {
        Registry {
            users: HashMap::new(),
            by_name: BTreeMap::new(),
        }
    }
}

impl<T> Registry<T> {
    /// Registered names, sorted.
    pub(crate) fn names(&self) -> impl Iterator<Item = &Name> {
        self.by_name.keys()
    }

    pub(crate) fn get(&self, addr: &SocketAddr) -> Option<&User<T>> {
        self.users.get(addr)
    }

    pub(crate) fn get_mut(&mut self, addr: &SocketAddr) -> Option<&mut User<T>> {
        self.users.get_mut(addr)
    }

    pub(crate) fn contains(&self, addr: &SocketAddr) -> bool {
        self.users.contains_key(addr)
    }

    /// The name `addr` is registered as.
    pub(crate) fn name_of(&self, addr: &SocketAddr) -> Option<&Name> {
        self.users.get(addr).map(|u| &u.name)
    }

    /// The address registered as `name`.
    pub(crate) fn addr_of(&self, name: &str) -> Option<SocketAddr> {
        self.by_name.get(name).copied()
    }

    /// The user registered as `name`.
    pub(crate) fn by_name(&self, name: &str) -> Option<&User<T>> {
        self.users.get(self.by_name.get(name)?)
    }

    /// The room `addr` is in.
    pub(crate) fn room_of(&self, addr: &SocketAddr) -> Option<&Name> {
        self.users.get(addr).and_then(|u| u.room.as_ref())
    }

    /// `room`'s owner and its members in join order, by user name (the
    /// owner `None` if it is not registered).
    pub(crate) fn members(&self, room: &Room) -> (Option<Name>, Vec<Name>) {
        let name = |a: &SocketAddr| self.name_of(a).cloned();
        (
            name(&room.owner),
            room.members.iter().filter_map(name).collect(),
        )
    }

    /// Registers `addr` as `name`: a registered address is renamed (its
    /// room and state kept), a new one is added, with the state `new()`
    /// makes, if fewer than `max` users are registered. The name again
    /// from its holder is accepted.
    pub(crate) fn register(
        &mut self,
        addr: SocketAddr,
        name: &Name,
        max: usize,
        new: impl FnOnce() -> T,
    ) -> Result<Registered, Refused> {
        if let Some(&holder) = self.by_name.get(name) {
            return if holder == addr {
                Ok(Registered::Already)
            } else {
                Err(Refused::Taken)
            };
        }
        let registered = if let Some(user) = self.users.get_mut(&addr) {
            self.by_name.remove(&user.name);
            user.name = name.clone();
            Registered::Renamed
        } else {
            if self.users.len() >= max {
                return Err(Refused::Full);
            }
            let user = User {
                name: name.clone(),
                room: None,
                state: new(),
            };
            self.users.insert(addr, user);
            Registered::Added
        };
        self.by_name.insert(name.clone(), addr);
        Ok(registered)
    }

    /// Unregisters `addr`.
    pub(crate) fn remove(&mut self, addr: &SocketAddr) -> Option<User<T>> {
        let user = self.users.remove(addr)?;
        self.by_name.remove(&user.name);
        Some(user)
    }
}

/// A request's sender as both servers' log lines show it: its address and
/// user name, or `(unregistered)`.
pub(crate) struct Sender<'a> {
    pub(crate) from: &'a SocketAddr,
    pub(crate) user: Option<&'a Name>,
}

impl fmt::Display for Sender<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.user {
            Some(user) => write!(f, "{} {user}", self.from),
            None => write!(f, "{} (unregistered)", self.from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Refused, Registered, Registry};
    use crate::room::Name;
    use crate::room::directory::Room;

    #[test]
    fn one_name_per_address_and_one_address_per_name() {
        let name = |s: &str| Name::new(s).unwrap();
        let (a, b) = (
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        );
        let mut users = Registry::default();
        let added = users.register(a, &name("alice"), 1, || 7);
        assert_eq!(added, Ok(Registered::Added));
        let again = users.register(a, &name("alice"), 1, || unreachable!());
        assert_eq!(again, Ok(Registered::Already));
        let taken = users.register(b, &name("alice"), 9, || 0);
        assert_eq!(taken, Err(Refused::Taken));
        assert_eq!(users.register(b, &name("bob"), 1, || 0), Err(Refused::Full));
        // a rename keeps the room and the state, and frees the old name
        users.get_mut(&a).unwrap().room = Some(name("lobby"));
        let renamed = users.register(a, &name("ann"), 1, || unreachable!());
        assert_eq!(renamed, Ok(Registered::Renamed));
        assert_eq!(users.room_of(&a), Some(&name("lobby")));
        assert_eq!(users.by_name("ann").map(|u| u.state), Some(7));
        assert_eq!(users.addr_of("alice"), None);
        assert_eq!(users.addr_of("ann"), Some(a));
        assert_eq!(users.name_of(&a), Some(&name("ann")));
        let room = Room {
            owner: b,
            members: vec![b, a],
        };
        assert_eq!(users.members(&room), (None, vec![name("ann")]));
        assert_eq!(users.remove(&a).map(|u| u.name), Some(name("ann")));
        assert!(!users.contains(&a));
        assert_eq!(users.names().count(), 0);
        assert_eq!(
            users.register(b, &name("bob"), 1, || 0),
            Ok(Registered::Added)
        );
    }
}
