//! Member identities, interned: a name or an address is stored once and known by a
//! small number everywhere else.
//!
//! Every member of an n-member cluster holds an entry for every other, so a simulated
//! cluster holds n² entries, and what an entry stores decides whether 10,000 members fit
//! in memory. A name (16 bytes) and a socket address (32 bytes) in every entry were most
//! of it; each is now a 4-byte number into a [`Registry`] that all the nodes of one
//! process (one simulated cluster) share, so each name and address is stored once per
//! cluster instead of once per observer.
//!
//! The numbers mean nothing to the protocol: a member table still orders its entries by
//! when it learned of each member, so which member a random draw picks does not depend
//! on the order in which names were first registered.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use core::hash::BuildHasher;
use core::net::SocketAddr;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::NodeId;

/// The number of an interned name.
pub(crate) type NameId = u32;
/// The number of an interned address.
pub(crate) type AddrId = u32;

/// Names and addresses shared by the nodes of one process. Cloning shares it; entries
/// are only ever added, so a number once given keeps its meaning for good.
#[derive(Clone, Debug, Default)]
pub struct Registry(Arc<RwLock<Interned>>);

#[derive(Debug, Default)]
pub(crate) struct Interned {
    names: Vec<NodeId>,
    /// Name numbers, hashed by the name they stand for.
    name_index: HashTable<NameId>,
    addrs: Vec<SocketAddr>,
    addr_index: HashTable<AddrId>,
}

fn hash_name(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

fn hash_addr(addr: &SocketAddr) -> u64 {
    FxBuildHasher.hash_one(addr)
}

impl Registry {
    /// An empty registry, for nodes that share nothing with any other.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Reading access, held for as long as the returned guard lives.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Interned> {
        // Nothing panics while holding the lock, so it is never poisoned; if it were,
        // the entries are still whole (they are only appended).
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers `names` ahead of the member tables that will hold them, so that each
    /// table sizes its index by name once (a simulator building a converged cluster
    /// does this with every member's name).
    pub fn register<'a>(&self, names: impl IntoIterator<Item = &'a NodeId>) {
        for name in names {
            self.intern_name(name);
        }
    }

    /// The number of `name`, given it if it has none yet.
    pub(crate) fn intern_name(&self, name: &NodeId) -> NameId {
        if let Some(id) = self.read().name_id(name.as_bytes()) {
            return id;
        }
        let mut interned = self.0.write().unwrap_or_else(PoisonError::into_inner);
        interned.add_name(name)
    }

    /// The number of `addr`, given it if it has none yet.
    pub(crate) fn intern_addr(&self, addr: SocketAddr) -> AddrId {
        if let Some(id) = self.read().addr_id(&addr) {
            return id;
        }
        let mut interned = self.0.write().unwrap_or_else(PoisonError::into_inner);
        interned.add_addr(addr)
    }

    /// How many names and addresses are interned, and the bytes they take.
    pub fn footprint(&self) -> (usize, usize) {
        let interned = self.read();
        let count = interned.names.len() + interned.addrs.len();
        let bytes = interned.names.capacity() * size_of::<NodeId>()
            + interned.addrs.capacity() * size_of::<SocketAddr>()
            + (interned.name_index.capacity() + interned.addr_index.capacity())
                * (size_of::<u32>() + 1);
        (count, bytes)
    }
}

impl Interned {
    /// The number of the name whose bytes are `name`, if it has one.
    pub(crate) fn name_id(&self, name: &[u8]) -> Option<NameId> {
        let names = &self.names;
        self.name_index
            .find(hash_name(name), |&id| names[id as usize].as_bytes() == name)
            .copied()
    }

    fn addr_id(&self, addr: &SocketAddr) -> Option<AddrId> {
        let addrs = &self.addrs;
        self.addr_index
            .find(hash_addr(addr), |&id| addrs[id as usize] == *addr)
            .copied()
    }

    fn add_name(&mut self, name: &NodeId) -> NameId {
        // Another writer may have added it between our read and write.
        if let Some(id) = self.name_id(name.as_bytes()) {
            return id;
        }
        let id = NameId::try_from(self.names.len()).expect("fewer than 2^32 names");
        self.names.push(name.clone());
        let names = &self.names;
        self.name_index
            .insert_unique(hash_name(name.as_bytes()), id, |&i| {
                hash_name(names[i as usize].as_bytes())
            });
        id
    }

    fn add_addr(&mut self, addr: SocketAddr) -> AddrId {
        if let Some(id) = self.addr_id(&addr) {
            return id;
        }
        let id = AddrId::try_from(self.addrs.len()).expect("fewer than 2^32 addresses");
        self.addrs.push(addr);
        let addrs = &self.addrs;
        self.addr_index
            .insert_unique(hash_addr(&addr), id, |&i| hash_addr(&addrs[i as usize]));
        id
    }

    /// How many names are interned.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The name numbered `id`.
    pub(crate) fn name(&self, id: NameId) -> &NodeId {
        &self.names[id as usize]
    }

    /// The address numbered `id`.
    pub(crate) fn addr(&self, id: AddrId) -> SocketAddr {
        self.addrs[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_or_address_gets_one_number_shared_by_every_clone() {
        let registry = Registry::new();
        let shared = registry.clone();
        let a = NodeId::new("a").unwrap();
        let long = NodeId::new("a-name-longer-than-fourteen-bytes").unwrap();
        let first = registry.intern_name(&a);
        assert_eq!(
            shared.intern_name(&a),
            first,
            "the same number through a clone"
        );
        let second = shared.intern_name(&long);
        assert_ne!(second, first);
        assert_eq!(registry.read().name(second), &long);
        assert_eq!(registry.read().name_id(b"a"), Some(first));
        assert_eq!(registry.read().name_id(b"b"), None);

        let here: SocketAddr = "10.0.0.1:7946".parse().unwrap();
        let there: SocketAddr = "[::1]:7946".parse().unwrap();
        let h = registry.intern_addr(here);
        assert_eq!(shared.intern_addr(here), h);
        let t = registry.intern_addr(there);
        assert_ne!(h, t);
        assert_eq!(shared.read().addr(t), there);
        assert_eq!(registry.footprint().0, 4);

        let late = NodeId::new("late").unwrap();
        registry.register([&a, &late]);
        assert_eq!(
            registry.read().name_id(b"a"),
            Some(first),
            "registered once"
        );
        assert_eq!(registry.read().name_id(b"late"), Some(second + 1));
        assert_eq!(registry.footprint().0, 5);
    }
}
