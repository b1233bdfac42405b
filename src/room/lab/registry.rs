//! The registered users of a room-chat server: one per address, each name
//! held by one address, with the room each is in.
//!
//! Written for the §8 server, in the shape §7's has too (whose user keeps
//! more beside the name and the room).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use crate::room::Name;

/// One registered user.
#[derive(Debug)]
pub(crate) struct User {
    pub(crate) name: Name,
    pub(crate) room: Option<Name>,
}

/// Why a name was not registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Another address holds the name.
    Taken,
    /// The server is full (`max` users), and the address is not one of them.
    Full,
}

/// Users by address, and addresses by name (so names list sorted).
#[derive(Debug, Default)]
pub(crate) struct Registry {
    users: HashMap<SocketAddr, User>,
    by_name: BTreeMap<Name, SocketAddr>,
}

impl Registry {
    /// Registered names, sorted.
    pub(crate) fn names(&self) -> impl Iterator<Item = &Name> {
        self.by_name.keys()
    }

    pub(crate) fn get(&self, addr: &SocketAddr) -> Option<&User> {
        self.users.get(addr)
    }

    pub(crate) fn get_mut(&mut self, addr: &SocketAddr) -> Option<&mut User> {
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

    /// Registers `addr` as `name`: a registered address is renamed (its
    /// room kept), a new one is added if fewer than `max` users are
    /// registered. The name again from its holder is accepted.
    pub(crate) fn register(
        &mut self,
        addr: SocketAddr,
        name: &Name,
        max: usize,
    ) -> Result<(), Refused> {
        if let Some(&holder) = self.by_name.get(name) {
            return if holder == addr {
                Ok(())
            } else {
                Err(Refused::Taken)
            };
        }
        if let Some(user) = self.users.get_mut(&addr) {
            self.by_name.remove(&user.name);
            user.name = name.clone();
        } else {
            if self.users.len() >= max {
                return Err(Refused::Full);
            }
            let user = User {
                name: name.clone(),
                room: None,
            };
            self.users.insert(addr, user);
        }
        self.by_name.insert(name.clone(), addr);
        Ok(())
    }

    /// Unregisters `addr`.
    pub(crate) fn remove(&mut self, addr: &SocketAddr) -> Option<User> {
        let user = self.users.remove(addr)?;
        self.by_name.remove(&user.name);
        Some(user)
    }
}

#[cfg(test)]
mod tests {
    use super::{Refused, Registry};
    use crate::room::Name;

    #[test]
    fn one_name_per_address_and_one_address_per_name() {
        let name = |s: &str| Name::new(s).unwrap();
        let (a, b) = (
            "127.0.0.1:1".parse().unwrap(),
            "127.0.0.1:2".parse().unwrap(),
        );
        let mut users = Registry::default();
        assert_eq!(users.register(a, &name("alice"), 1), Ok(()));
        assert_eq!(users.register(a, &name("alice"), 1), Ok(()));
        assert_eq!(users.register(b, &name("alice"), 9), Err(Refused::Taken));
        assert_eq!(users.register(b, &name("bob"), 1), Err(Refused::Full));
        // a rename keeps the room and frees the old name
        users.get_mut(&a).unwrap().room = Some(name("lobby"));
        assert_eq!(users.register(a, &name("ann"), 1), Ok(()));
        assert_eq!(users.get(&a).unwrap().room, Some(name("lobby")));
        assert_eq!(users.addr_of("alice"), None);
        assert_eq!(users.addr_of("ann"), Some(a));
        assert_eq!(users.name_of(&a), Some(&name("ann")));
        assert_eq!(users.remove(&a).map(|u| u.name), Some(name("ann")));
        assert!(!users.contains(&a));
        assert_eq!(users.names().count(), 0);
        assert_eq!(users.register(b, &name("bob"), 1), Ok(()));
    }
}
