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
//! A member table entry holds one number for both: the [`IdentityId`] of a (name,
//! address) pair, interned like the name and address themselves. A name is nearly always
//! known at one address, so the pairs are about as many as the names, and each entry
//! saves the 4 bytes of a second number (16 bytes an entry instead of 20, or 24 with
//! padding).
//!
//! The numbers mean nothing to the protocol: a member table still orders its entries by
//! when it learned of each member, so which member a random draw picks does not depend
//! on the order in which names were first registered.

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

use core::hash::{BuildHasher, Hasher};
use core::net::SocketAddr;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use siphasher::sip::SipHasher13;

use crate::NodeId;

/// The number of an interned name.
pub(crate) type NameId = u32;
/// The number of an interned address.
pub(crate) type AddrId = u32;
/// The number of an interned (name, address) pair: who a member is and where it is.
pub(crate) type IdentityId = u32;

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
    identities: Vec<(NameId, AddrId)>,
    identity_index: HashTable<IdentityId>,
    /// The pairs at each address, by address number: a seed is known by its address
    /// alone.
    identities_at: Vec<Vec<IdentityId>>,
    /// Each pair's [`identity_fingerprint`], by pair number: full-state fingerprints
    /// sum one per entry.
    identity_fingerprints: Vec<u64>,
}

fn hash_name(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

fn hash_addr(addr: &SocketAddr) -> u64 {
    FxBuildHasher.hash_one(addr)
}

fn hash_identity(identity: (NameId, AddrId)) -> u64 {
    FxBuildHasher.hash_one(identity)
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

    /// The number of the pair (`name`, `addr`), given it (and the name and address
    /// theirs) if it has none yet, with the name's number.
    pub(crate) fn intern_identity(&self, name: &NodeId, addr: SocketAddr) -> (IdentityId, NameId) {
        {
            let interned = self.read();
            if let Some(name) = interned.name_id(name.as_bytes())
                && let Some(addr) = interned.addr_id(&addr)
                && let Some(id) = interned.identity_id((name, addr))
            {
                return (id, name);
            }
        }
        let mut interned = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let name = interned.add_name(name);
        let addr = interned.add_addr(addr);
        (interned.add_identity((name, addr)), name)
    }

    /// Whether `other` is this registry (a clone of it), not merely an equal one.
    pub(crate) fn is_same(&self, other: &Registry) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// How many names, addresses and pairs of them are interned, without counting
    /// their bytes.
    pub(crate) fn count(&self) -> usize {
        let interned = self.read();
        interned.names.len() + interned.addrs.len() + interned.identities.len()
    }

    /// How many names, addresses and pairs of them are interned, and the bytes they
    /// take.
    pub fn footprint(&self) -> (usize, usize) {
        let count = self.count();
        let interned = self.read();
        let indexes = interned.name_index.capacity()
            + interned.addr_index.capacity()
            + interned.identity_index.capacity();
        let bytes = interned.names.capacity() * size_of::<NodeId>()
            + interned.addrs.capacity() * size_of::<SocketAddr>()
            + interned.identities.capacity() * size_of::<(NameId, AddrId)>()
            + interned.identity_fingerprints.capacity() * size_of::<u64>()
            + indexes * (size_of::<u32>() + 1)
            + interned.identities_at.capacity() * size_of::<Vec<IdentityId>>()
            + interned
                .identities_at
                .iter()
                .map(|at| at.capacity() * size_of::<IdentityId>())
                .sum::<usize>();
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

    fn identity_id(&self, identity: (NameId, AddrId)) -> Option<IdentityId> {
        let identities = &self.identities;
        self.identity_index
            .find(hash_identity(identity), |&id| {
                identities[id as usize] == identity
            })
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
        self.identities_at.push(Vec::new());
        let addrs = &self.addrs;
        self.addr_index
            .insert_unique(hash_addr(&addr), id, |&i| hash_addr(&addrs[i as usize]));
        id
    }

    fn add_identity(&mut self, identity: (NameId, AddrId)) -> IdentityId {
        if let Some(id) = self.identity_id(identity) {
            return id;
        }
        let id = IdentityId::try_from(self.identities.len()).expect("fewer than 2^32 pairs");
        self.identities.push(identity);
        self.identities_at[identity.1 as usize].push(id);
        let (name, addr) = (
            &self.names[identity.0 as usize],
            self.addrs[identity.1 as usize],
        );
        self.identity_fingerprints
            .push(identity_fingerprint(name, addr));
        let identities = &self.identities;
        self.identity_index
            .insert_unique(hash_identity(identity), id, |&i| {
                hash_identity(identities[i as usize])
            });
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

    /// The numbers of the pairs whose address is `addr`.
    pub(crate) fn identities_at(&self, addr: SocketAddr) -> &[IdentityId] {
        self.addr_id(&addr)
            .map_or(&[], |id| self.identities_at[id as usize].as_slice())
    }

    /// The name and address numbers of the pair numbered `id`.
    pub(crate) fn identity(&self, id: IdentityId) -> (NameId, AddrId) {
        self.identities[id as usize]
    }

    /// The [`identity_fingerprint`] of the pair numbered `id`, computed once.
    pub(crate) fn identity_fingerprint(&self, id: IdentityId) -> u64 {
        self.identity_fingerprints[id as usize]
    }
}

/// A hash of a (name, address) pair from their bytes alone, so that every process
/// computes the same one whatever numbers its registry gave them, and every platform
/// too: SipHash (Aumasson and Bernstein 2012) is defined on bytes, and the fields are
/// hashed at fixed widths, the name with its length. (A hash whose result depends on
/// the platform, as foldhash's does on 32-bit targets, would make a wasm32 run send
/// other bytes than a native one.)
pub(crate) fn identity_fingerprint(name: &NodeId, addr: SocketAddr) -> u64 {
    let mut hasher = SipHasher13::new();
    let name = name.as_bytes();
    hasher.write(name);
    hasher.write(&(name.len() as u64).to_le_bytes());
    match addr {
        SocketAddr::V4(v4) => {
            hasher
                .write(&(u64::from(v4.ip().to_bits()) << 16 | u64::from(v4.port())).to_le_bytes());
        }
        SocketAddr::V6(v6) => {
            hasher.write(&v6.ip().to_bits().to_le_bytes());
            hasher.write(&(1 << 32 | u64::from(v6.port())).to_le_bytes());
        }
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_address_or_pair_gets_one_number_shared_by_every_clone() {
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
        let (a_here, a_name) = registry.intern_identity(&a, here);
        assert_eq!(a_name, first);
        assert_eq!(shared.intern_identity(&a, here), (a_here, first));
        let (a_there, _) = registry.intern_identity(&a, there);
        let (long_here, long_name) = shared.intern_identity(&long, here);
        assert_eq!(long_name, second);
        assert!(a_here != a_there && a_there != long_here && a_here != long_here);
        let interned = registry.read();
        let (name, addr) = interned.identity(a_there);
        assert_eq!((interned.name(name), interned.addr(addr)), (&a, there));
        assert_eq!(interned.identity(long_here).0, second);
        assert_eq!(interned.identity(a_here).1, interned.identity(long_here).1);
        assert_eq!(interned.identities_at(here), [a_here, long_here]);
        assert_eq!(interned.identities_at(there), [a_there]);
        let nowhere: SocketAddr = "10.0.0.2:7946".parse().unwrap();
        assert!(interned.identities_at(nowhere).is_empty());
        drop(interned);
        assert_eq!(registry.footprint().0, 2 + 2 + 3, "names, addresses, pairs");

        let late = NodeId::new("late").unwrap();
        registry.register([&a, &late]);
        assert_eq!(
            registry.read().name_id(b"a"),
            Some(first),
            "registered once"
        );
        assert_eq!(registry.read().name_id(b"late"), Some(second + 1));
        assert_eq!(registry.footprint().0, 8);
    }
}
