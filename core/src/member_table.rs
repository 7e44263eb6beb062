//! A node's member table, laid out for clusters of thousands.
//!
//! Every member of an n-member cluster holds an entry for every other, so a simulated
//! cluster holds n² entries: 10,000 members are 10⁸ entries, and the bytes per entry
//! decide whether that fits in memory. An entry here is 24 bytes, all the table's own
//! structures counted:
//!
//! * a 16-byte [`Entry`] in a slot vector: the number of the member's (name, address)
//!   pair in the shared [`Registry`], its incarnation, and its state with the time it
//!   has held since, packed in one word ([`Stamp`]);
//! * 4 bytes in `slot_by_name`, which finds the slot of a name's number directly
//!   (the registry finds the number): no hash index per node;
//! * 4 bytes in the probe schedule, which orders slots.
//!
//! Slots are numbered in the order this node learned of its members, and freed slots
//! are reused, exactly as when every entry held its own name: random choices draw
//! slots, so they pick the same members as ever.
//!
//! Random choices (gossip targets, ping-req witnesses) sample slots and reject the ones
//! that do not qualify, so picking k members costs O(k) while most of the table is
//! eligible, instead of a scan of the whole table every protocol period.

use core::net::SocketAddr;
use core::num::NonZeroU64;

use rand::seq::IteratorRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_xoshiro::SplitMix64;

use crate::registry::{IdentityId, Interned, NameId, Registry};
use crate::{Duration, Incarnation, Instant, Member, MemberState, NodeId};

/// The number of a slot in a [`MemberTable`]: stable while its member stays.
pub(crate) type Slot = u32;

/// No slot: the name is not in the table.
const NO_SLOT: Slot = Slot::MAX;

/// One member as this node sees it, its name and address interned as one pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    identity: IdentityId,
    incarnation: Incarnation,
    stamp: Stamp,
}

/// A member's state and the time it has held since, in one word: the milliseconds above
/// three low bits, which hold a bit that is always set (so a stamp is never zero, and an
/// empty slot, `None`, takes no byte of its own) and the state's number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp(NonZeroU64);

const _: () = assert!(MemberState::ALL.len() <= Stamp::STATE_MASK as usize + 1);

impl Stamp {
    const TAKEN: NonZeroU64 = NonZeroU64::new(0b100).unwrap();
    const STATE_MASK: u64 = 0b11;
    const TIME_SHIFT: u32 = 3;
    /// Later times are kept as this one, 2^61 milliseconds (some 73 million years) after
    /// the driver's epoch.
    const LATEST_MILLIS: u64 = u64::MAX >> Stamp::TIME_SHIFT;

    fn new(state: MemberState, since: Instant) -> Stamp {
        let millis = since.as_millis().min(Stamp::LATEST_MILLIS);
        Stamp(Stamp::TAKEN | millis << Stamp::TIME_SHIFT | state as u64)
    }

    fn state(self) -> MemberState {
        MemberState::ALL[(self.0.get() & Stamp::STATE_MASK) as usize]
    }

    fn since(self) -> Instant {
        Instant::from_millis(self.0.get() >> Stamp::TIME_SHIFT)
    }
}

/// What a node holds about a member, without its name and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Held {
    pub(crate) incarnation: Incarnation,
    pub(crate) state: MemberState,
}

/// Members by name, with O(1) lookup and O(k) random choice.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemberTable {
    registry: Registry,
    slots: Vec<Option<Entry>>,
    /// The slot of each name number, or [`NO_SLOT`]; as long as the highest name
    /// number this node has held.
    slot_by_name: Vec<Slot>,
    /// Empty slots, reused before the vector grows.
    free: Vec<Slot>,
    /// How many members are in each state, indexed like [`MemberState::ALL`].
    by_state: [usize; MemberState::ALL.len()],
    /// No member has been dead or gone since before this (a bound, not always the
    /// earliest): reaping reads the table only once someone may be due, rather than
    /// every period while anyone is dead (every member of a large cluster would read
    /// its whole table every period after one crash).
    departed_by: Option<Instant>,
    /// The sum of every entry's [`entry_fingerprint`], kept as entries come, change and
    /// go (as `by_state` is): a push-pull offer fingerprints the table in O(1) instead
    /// of hashing every entry (at 1,000 members that hashing was 8% of a quiet run's
    /// instructions).
    fingerprint: u64,
}

/// One entry's part of a full-state fingerprint, but for its tags: the member's
/// (name, address) hash ([`Interned::identity_fingerprint`]) mixed with its incarnation
/// and state. Two rounds of SplitMix64 (Steele, Lea and Flood 2014; `rand_xoshiro`'s
/// generator, whose state is its seed's bytes, checked there against the reference
/// implementation): its output is a bijection of 64-bit words, so different
/// incarnations or states of one member always mix to different words, and 64-bit
/// arithmetic gives the same words on every platform (the fingerprint goes on the wire;
/// a unit test pins a value computed apart from the crate).
const _: () = assert!(
    size_of::<Incarnation>() <= 7,
    "an incarnation and a state in one word"
);

pub(crate) fn entry_fingerprint(
    identity: u64,
    incarnation: Incarnation,
    state: MemberState,
) -> u64 {
    let splitmix = |word: u64| SplitMix64::from_seed(word.to_le_bytes()).next_u64();
    splitmix(identity ^ splitmix(u64::from(incarnation) << 8 | state as u64))
}

impl Entry {
    fn state(self) -> MemberState {
        self.stamp.state()
    }

    fn fingerprint(self, interned: &Interned) -> u64 {
        entry_fingerprint(
            interned.identity_fingerprint(self.identity),
            self.incarnation,
            self.state(),
        )
    }

    /// The number of this member's name.
    fn name(self, interned: &Interned) -> NameId {
        interned.identity(self.identity).0
    }

    fn to_member(self, interned: &Interned) -> Member {
        let (name, addr) = interned.identity(self.identity);
        Member {
            id: interned.name(name).clone(),
            addr: interned.addr(addr),
            incarnation: self.incarnation,
            state: self.state(),
            state_since: self.stamp.since(),
        }
    }
}

impl MemberTable {
    /// An empty table whose names and addresses go into `registry`.
    pub(crate) fn new(registry: Registry) -> MemberTable {
        MemberTable {
            registry,
            ..MemberTable::default()
        }
    }

    /// The registry this table numbers its names and addresses in.
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// This table with its names and addresses numbered in `registry` instead: the same
    /// members in the same slots, so that random choices and the probe order are as
    /// they were.
    pub(crate) fn reinterned(&self, registry: &Registry) -> MemberTable {
        let interned = self.registry.read();
        let mut slot_by_name = Vec::new();
        let slots = (self.slots.iter().enumerate())
            .map(|(slot, entry)| {
                let entry = (*entry)?;
                let (name, addr) = interned.identity(entry.identity);
                let (identity, number) =
                    registry.intern_identity(interned.name(name), interned.addr(addr));
                let number = number as usize;
                if slot_by_name.len() <= number {
                    slot_by_name.resize(number + 1, NO_SLOT);
                }
                slot_by_name[number] = slot as Slot;
                Some(Entry { identity, ..entry })
            })
            .collect();
        MemberTable {
            registry: registry.clone(),
            slots,
            slot_by_name,
            free: self.free.clone(),
            by_state: self.by_state,
            departed_by: self.departed_by,
            // Pair hashes come from the bytes, whatever the numbers.
            fingerprint: self.fingerprint,
        }
    }

    /// An empty table interning into the same registry as this one.
    pub(crate) fn emptied(&self) -> MemberTable {
        MemberTable::new(self.registry.clone())
    }

    /// Room for `additional` more members without reallocating.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let grow = additional.saturating_sub(self.free.len());
        self.slots.reserve_exact(grow);
    }

    /// How many members the table holds, in any state.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many members are alive or suspect.
    pub(crate) fn active(&self) -> usize {
        self.by_state[MemberState::Alive as usize] + self.by_state[MemberState::Suspect as usize]
    }

    /// How many members are in each state, indexed like [`MemberState::ALL`].
    pub(crate) fn counts(&self) -> [usize; MemberState::ALL.len()] {
        self.by_state
    }

    /// The bytes this table takes, allocated capacity included.
    pub(crate) fn footprint(&self) -> usize {
        self.slots.capacity() * size_of::<Option<Entry>>()
            + (self.slot_by_name.capacity() + self.free.capacity()) * size_of::<Slot>()
    }

    pub(crate) fn get(&self, id: &NodeId) -> Option<Member> {
        let interned = self.registry.read();
        let slot = self.slot_in(&interned, id.as_bytes())?;
        Some(self.entry(slot)?.to_member(&interned))
    }

    /// What is held about the member whose name's bytes are `name` (as a full-state
    /// share carries them).
    pub(crate) fn held_by_name(&self, name: &[u8]) -> Option<Held> {
        let slot = self.slot_in(&self.registry.read(), name)?;
        self.entry(slot).map(|e| Held {
            incarnation: e.incarnation,
            state: e.state(),
        })
    }

    /// The address the member named `name` is held at, if it is held.
    pub(crate) fn addr_by_name(&self, name: &[u8]) -> Option<SocketAddr> {
        let interned = self.registry.read();
        let entry = self.entry(self.slot_in(&interned, name)?)?;
        let (_, addr) = interned.identity(entry.identity);
        Some(interned.addr(addr))
    }

    /// The slot holding `id`.
    pub(crate) fn slot_of(&self, id: &NodeId) -> Option<Slot> {
        self.slot_in(&self.registry.read(), id.as_bytes())
    }

    fn slot_in(&self, interned: &Interned, name: &[u8]) -> Option<Slot> {
        let number = interned.name_id(name)?;
        let slot = *self.slot_by_name.get(number as usize)?;
        (slot != NO_SLOT).then_some(slot)
    }

    fn entry(&self, slot: Slot) -> Option<Entry> {
        *self.slots.get(slot as usize)?
    }

    /// The member in `slot`, if the slot is taken.
    pub(crate) fn at(&self, slot: Slot) -> Option<Member> {
        let entry = self.entry(slot)?;
        Some(entry.to_member(&self.registry.read()))
    }

    /// The state of the member in `slot`, if the slot is taken.
    pub(crate) fn state_at(&self, slot: Slot) -> Option<MemberState> {
        self.entry(slot).map(Entry::state)
    }

    /// Stores `member`, replacing any entry with its name. Returns its slot and whether
    /// the member is new to the table.
    pub(crate) fn upsert(&mut self, member: Member) -> (Slot, bool) {
        let (identity, number) = self.registry.intern_identity(&member.id, member.addr);
        let number = number as usize;
        let entry = Entry {
            identity,
            incarnation: member.incarnation,
            stamp: Stamp::new(member.state, member.state_since),
        };
        let interned = self.registry.read();
        let added = entry.fingerprint(&interned);
        if let Some(&slot) = self.slot_by_name.get(number).filter(|&&s| s != NO_SLOT)
            && let Some(held) = self.slots[slot as usize].as_mut()
        {
            self.fingerprint =
                (self.fingerprint.wrapping_sub(held.fingerprint(&interned))).wrapping_add(added);
            drop(interned);
            self.by_state[held.state() as usize] -= 1;
            self.by_state[entry.state() as usize] += 1;
            *held = entry;
            self.note_departure(entry);
            return (slot, false);
        }
        drop(interned);
        self.fingerprint = self.fingerprint.wrapping_add(added);
        self.by_state[entry.state() as usize] += 1;
        self.note_departure(entry);
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(entry);
                slot
            }
            None => {
                self.slots.push(Some(entry));
                Slot::try_from(self.slots.len() - 1).expect("fewer than 2^32 members")
            }
        };
        if self.slot_by_name.len() <= number {
            // Room for every name registered so far: in a converged simulated cluster,
            // every member's, so the index is sized once.
            let names = self.registry.read().len().max(number + 1);
            // `reserve`, not `reserve_exact`: a cluster that grows by joins registers
            // names one at a time, and the index must not be copied for each.
            self.slot_by_name.reserve(names - self.slot_by_name.len());
            self.slot_by_name.resize(number + 1, NO_SLOT);
        }
        self.slot_by_name[number] = slot;
        (slot, true)
    }

    /// Lowers the departure bound to `entry`'s time if it is dead or gone (the time as
    /// stored, which a stamp may have clamped).
    fn note_departure(&mut self, entry: Entry) {
        if !entry.state().is_active() {
            let since = entry.stamp.since();
            self.departed_by = Some(self.departed_by.map_or(since, |by| by.min(since)));
        }
    }

    /// Takes `id` out of the table.
    pub(crate) fn remove(&mut self, id: &NodeId) -> Option<Member> {
        let registry = self.registry.clone();
        let interned = registry.read();
        let slot = self.slot_in(&interned, id.as_bytes())?;
        self.take_slot(slot, &interned)
    }

    fn take_slot(&mut self, slot: Slot, interned: &Interned) -> Option<Member> {
        let entry = self.slots.get_mut(slot as usize)?.take()?;
        self.slot_by_name[entry.name(interned) as usize] = NO_SLOT;
        self.by_state[entry.state() as usize] -= 1;
        self.fingerprint = self.fingerprint.wrapping_sub(entry.fingerprint(interned));
        self.free.push(slot);
        Some(entry.to_member(interned))
    }

    /// Marks every member's state as holding since `now` (a table carried over from
    /// another clock, as a restored snapshot is).
    pub(crate) fn restamp(&mut self, now: Instant) {
        for entry in self.slots.iter_mut().flatten() {
            entry.stamp = Stamp::new(entry.state(), now);
        }
        self.departed_by = self
            .departed_by
            .map(|_| Stamp::new(MemberState::Dead, now).since());
    }

    /// Every member, in slot order (deterministic, but not by name).
    pub(crate) fn iter(&self) -> impl Iterator<Item = Member> + '_ {
        self.slots().map(|(_, member)| member)
    }

    /// Every taken slot with its member.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (Slot, Member)> + '_ {
        self.slots.iter().enumerate().filter_map(|(slot, entry)| {
            let entry = (*entry)?;
            Some((slot as Slot, entry.to_member(&self.registry.read())))
        })
    }

    /// The registry number of every member's name, in slot order, read from this
    /// table's registry through a lock already held (a second read lock of the same
    /// `RwLock` from one thread may deadlock behind a waiting writer).
    pub(crate) fn name_numbers<'a>(
        &'a self,
        interned: &'a Interned,
    ) -> impl Iterator<Item = NameId> + 'a {
        self.slots
            .iter()
            .flatten()
            .map(move |entry| entry.name(interned))
    }

    /// Every taken slot with its member's state, without building the members.
    pub(crate) fn states(&self) -> impl Iterator<Item = (Slot, MemberState)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, entry)| Some((slot as Slot, entry.as_ref()?.state())))
    }

    /// Calls `visit` with every member, in slot order, reading the registry once
    /// (sending a full state visits the whole table).
    pub(crate) fn visit(
        &self,
        mut visit: impl FnMut(&NodeId, SocketAddr, Incarnation, MemberState),
    ) {
        let interned = self.registry.read();
        for entry in self.slots.iter().flatten() {
            let (name, addr) = interned.identity(entry.identity);
            visit(
                interned.name(name),
                interned.addr(addr),
                entry.incarnation,
                entry.state(),
            );
        }
    }

    /// The sum of every entry's [`entry_fingerprint`].
    pub(crate) fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The first slot, in slot order, whose member is active and at `addr`, found
    /// through the registry's pairs at that address rather than a scan.
    pub(crate) fn active_slot_at(&self, addr: SocketAddr) -> Option<Slot> {
        self.slot_at(addr, MemberState::is_active)
    }

    /// Whether a member in any state, dead and left included, is held at `addr`.
    pub(crate) fn holds_addr(&self, addr: SocketAddr) -> bool {
        self.slot_at(addr, |_| true).is_some()
    }

    /// The first slot, in slot order, of a member at `addr` whose state is `kept`.
    fn slot_at(&self, addr: SocketAddr, kept: impl Fn(MemberState) -> bool) -> Option<Slot> {
        let interned = self.registry.read();
        interned
            .identities_at(addr)
            .iter()
            .filter_map(|&identity| {
                let name = interned.identity(identity).0;
                let slot = *self.slot_by_name.get(name as usize)?;
                let entry = self.entry(slot)?;
                (entry.identity == identity && kept(entry.state())).then_some(slot)
            })
            .min()
    }

    /// Takes out the members dead or gone for `at_least` by `now`, and gives them in
    /// slot order (as removing each by name would, so slots are reused as they were).
    pub(crate) fn take_departed(&mut self, at_least: Duration, now: Instant) -> Vec<Member> {
        match self.departed_by {
            Some(by) if by + at_least <= now => {}
            _ => return Vec::new(), // nobody due: no need to read the table
        }
        let mut due = Vec::new();
        let mut staying: Option<Instant> = None;
        for (slot, entry) in self.slots.iter().enumerate() {
            let Some(entry) = entry.filter(|e| !e.state().is_active()) else {
                continue;
            };
            let since = entry.stamp.since();
            if since + at_least <= now {
                due.push(slot as Slot);
            } else {
                staying = Some(staying.map_or(since, |by| by.min(since)));
            }
        }
        self.departed_by = staying;
        let registry = self.registry.clone();
        let interned = registry.read();
        (due.into_iter())
            .filter_map(|slot| self.take_slot(slot, &interned))
            .collect()
    }

    /// Up to `count` distinct members for which `eligible` holds of their slot and
    /// state, chosen uniformly at random, in random order.
    ///
    /// Draws random slots and rejects the ineligible ones; if that keeps failing (few
    /// members eligible) it falls back to choosing among a scan of the rest. Either way
    /// every set of `count` eligible members is equally likely.
    pub(crate) fn choose(
        &self,
        count: usize,
        rng: &mut impl Rng,
        eligible: impl Fn(Slot, MemberState) -> bool,
    ) -> Vec<Member> {
        // Asking for far more members than the table holds picks them all; the cap keeps
        // the sampling budget below finite (it leaves every realistic count as it is).
        let count = count.min(self.slots.len().saturating_add(16));
        let mut chosen: Vec<Slot> = Vec::with_capacity(count.min(self.len()));
        if count == 0 || self.slots.is_empty() {
            return Vec::new();
        }
        let mut tries = 4 * count + 16;
        while chosen.len() < count && tries > 0 {
            tries -= 1;
            let slot = rng.random_range(0..self.slots.len()) as Slot;
            let Some(state) = self.state_at(slot) else {
                continue;
            };
            if eligible(slot, state) && !chosen.contains(&slot) {
                chosen.push(slot);
            }
        }
        if chosen.len() < count {
            let rest = self
                .states()
                .filter(|&(slot, state)| eligible(slot, state) && !chosen.contains(&slot))
                .map(|(slot, _)| slot)
                .choose_multiple(rng, count - chosen.len());
            chosen.extend(rest);
        }
        let interned = self.registry.read();
        chosen
            .into_iter()
            .filter_map(|slot| Some(self.entry(slot)?.to_member(&interned)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::identity_fingerprint;
    use crate::{Duration, Instant, MemberState};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::collections::BTreeMap;

    fn member(name: &str, state: MemberState) -> Member {
        Member {
            id: NodeId::new(name).unwrap(),
            addr: SocketAddr::from(([127, 0, 0, 1], 7946)),
            incarnation: 0,
            state,
            state_since: Instant::ZERO,
        }
    }

    /// 16 bytes a slot, 4 in `slot_by_name` and 4 in the probe schedule: 24 in all.
    #[test]
    fn an_entry_is_16_bytes() {
        assert_eq!(core::mem::size_of::<Option<Entry>>(), 16);
    }

    #[test]
    fn a_stamp_gives_back_its_state_and_time() {
        let times = [0, 1, 1_000, u64::from(u32::MAX) + 7, Stamp::LATEST_MILLIS];
        for state in MemberState::ALL {
            for millis in times {
                let stamp = Stamp::new(state, Instant::from_millis(millis));
                assert_eq!((stamp.state(), stamp.since().as_millis()), (state, millis));
            }
            let last = Stamp::new(state, Instant::from_millis(u64::MAX));
            assert_eq!(last.state(), state);
            assert_eq!(
                last.since().as_millis(),
                Stamp::LATEST_MILLIS,
                "kept as the latest"
            );
        }
    }

    #[test]
    fn tables_sharing_a_registry_store_each_name_once() {
        let registry = Registry::new();
        let mut tables = vec![MemberTable::new(registry.clone()); 3];
        for table in &mut tables {
            for i in 0..50 {
                table.upsert(member(&format!("m{i}"), MemberState::Alive));
            }
        }
        assert_eq!(
            registry.footprint().0,
            50 + 1 + 50,
            "50 names, one address and 50 pairs"
        );
        assert_eq!(
            tables[2]
                .get(&NodeId::new("m7").unwrap())
                .unwrap()
                .id
                .as_str(),
            "m7"
        );
    }

    #[test]
    fn finds_replaces_and_removes_by_name_reusing_slots() {
        let mut table = MemberTable::default();
        let (a, new_a) = table.upsert(member("a", MemberState::Alive));
        let (b, _) = table.upsert(member("b", MemberState::Suspect));
        assert!(new_a);
        assert_eq!((table.len(), table.active()), (2, 2));
        let (again, new) = table.upsert(member("a", MemberState::Dead));
        assert_eq!((again, new), (a, false));
        assert_eq!(table.active(), 1);
        assert_eq!(
            table.get(&NodeId::new("a").unwrap()).unwrap().state,
            MemberState::Dead
        );
        assert!(table.remove(&NodeId::new("b").unwrap()).is_some());
        assert!(table.remove(&NodeId::new("b").unwrap()).is_none());
        assert_eq!((table.len(), table.active()), (1, 0));
        let (c, _) = table.upsert(member("c", MemberState::Alive));
        assert_eq!(c, b, "the freed slot is reused");
        assert!(table.get(&NodeId::new("c").unwrap()).is_some());
        assert!(table.get(&NodeId::new("b").unwrap()).is_none());
        assert_eq!(table.iter().count(), 2);
        assert_eq!(table.counts(), [1, 0, 1, 0], "one alive, one dead");
    }

    #[test]
    fn keeps_finding_members_through_many_inserts_and_removals() {
        let mut table = MemberTable::default();
        for i in 0..2000 {
            table.upsert(member(&format!("m{i}"), MemberState::Alive));
            if i % 3 == 0 {
                table.remove(&NodeId::new(&format!("m{}", i / 2)).unwrap());
            }
        }
        for m in table.iter() {
            assert_eq!(table.get(&m.id).as_ref(), Some(&m));
            let held = table.held_by_name(m.id.as_bytes()).unwrap();
            assert_eq!((held.incarnation, held.state), (m.incarnation, m.state));
        }
        assert_eq!(table.held_by_name(b"m1"), None, "removed");
        assert_eq!(table.len(), table.iter().count());
        assert_eq!(table.active(), table.len());
    }

    /// Finding a seed by its address gives what a scan of the table in slot order
    /// would: the first active member there, also when several names share an address,
    /// a name moved, or the member there is dead or gone.
    #[test]
    fn the_active_member_at_an_address_is_the_first_a_scan_finds() {
        let seed = 11;
        println!("seed {seed}");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let registry = Registry::new();
        let mut table = MemberTable::new(registry.clone());
        let addr = |port: u16| SocketAddr::from(([10, 0, 0, 1], port));
        for round in 0..600 {
            let name = format!("m{}", rng.random_range(0..40));
            let state = MemberState::ALL[rng.random_range(0..4)];
            if rng.random_bool(0.1) {
                table.remove(&NodeId::new(&name).unwrap());
            } else {
                table.upsert(Member {
                    addr: addr(rng.random_range(0..8)),
                    ..member(&name, state)
                });
            }
            for port in 0..9 {
                let scanned = table
                    .slots()
                    .find(|(_, m)| m.addr == addr(port) && m.state.is_active())
                    .map(|(slot, _)| slot);
                assert_eq!(table.active_slot_at(addr(port)), scanned, "round {round}");
            }
        }
    }

    /// Reaping asks for the members dead or gone long enough; the table answers from a
    /// bound when nobody can be due, and must answer as reading it through would.
    #[test]
    fn the_departed_are_found_as_a_scan_finds_them() {
        let seed = 12;
        println!("seed {seed}");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut table = MemberTable::default();
        let at_least = Duration::from_millis(45);
        let mut now = Instant::ZERO;
        for round in 0..3_000 {
            now += Duration::from_millis(rng.random_range(0..4));
            let name = format!("m{}", rng.random_range(0..10));
            // Mostly alive, so that the dead and gone come and go.
            let state = match rng.random_bool(0.8) {
                true => MemberState::Alive,
                false => MemberState::ALL[rng.random_range(0..4)],
            };
            match rng.random_range(0..20) {
                0 => {
                    table.remove(&NodeId::new(&name).unwrap());
                }
                // A table carried over from another clock may be stamped earlier.
                1 => table.restamp(Instant::from_millis(
                    now.as_millis().saturating_sub(rng.random_range(0..100)),
                )),
                // A state kept from before: its time may be older than the bound.
                2 => {
                    let long_ago = now.as_millis().saturating_sub(rng.random_range(0..200));
                    table.upsert(Member {
                        state_since: Instant::from_millis(long_ago),
                        ..member(&name, state)
                    });
                }
                _ => {
                    table.upsert(Member {
                        state_since: now,
                        ..member(&name, state)
                    });
                }
            }
            if rng.random_bool(0.3) {
                let scanned: Vec<NodeId> = table
                    .iter()
                    .filter(|m| !m.state.is_active() && m.state_since + at_least <= now)
                    .map(|m| m.id)
                    .collect();
                let due: Vec<NodeId> = (table.take_departed(at_least, now).into_iter())
                    .map(|m| m.id)
                    .collect();
                assert_eq!(due, scanned, "round {round}");
                assert!(due.iter().all(|id| table.get(id).is_none()), "taken out");
            }
        }
    }

    /// The running fingerprint is always the sum over the entries held, through
    /// inserts, changes of state and incarnation, moves to another address, removals,
    /// reaping, restamping and renumbering into another registry.
    #[test]
    fn the_running_fingerprint_sums_the_entries_held() {
        let seed = 13;
        println!("seed {seed}");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut table = MemberTable::default();
        let summed = |table: &MemberTable| {
            table.iter().fold(0u64, |sum, m| {
                let identity = identity_fingerprint(&m.id, m.addr);
                sum.wrapping_add(entry_fingerprint(identity, m.incarnation, m.state))
            })
        };
        let mut now = Instant::ZERO;
        for round in 0..2_000 {
            now += Duration::from_millis(rng.random_range(0..4));
            let name = format!("m{}", rng.random_range(0..12));
            match rng.random_range(0..40) {
                0..4 => {
                    table.remove(&NodeId::new(&name).unwrap());
                }
                4 => table.restamp(now),
                5 => {
                    table.take_departed(Duration::from_millis(20), now);
                }
                6 => table = table.reinterned(&Registry::new()),
                _ => {
                    table.upsert(Member {
                        addr: SocketAddr::from(([10, 0, 0, 1], rng.random_range(1..3))),
                        incarnation: rng.random_range(0..3),
                        state_since: now,
                        ..member(&name, MemberState::ALL[rng.random_range(0..4)])
                    });
                }
            }
            assert_eq!(table.fingerprint(), summed(&table), "round {round}");
        }
        assert_ne!(table.fingerprint(), 0, "something held");
    }

    /// The mix is SplitMix64's: a value computed by the reference algorithm (in Python,
    /// apart from the crate), so a change in the crate cannot change what goes on the
    /// wire unnoticed.
    #[test]
    fn an_entry_fingerprint_is_splitmix64_of_the_pair_hash_and_the_mixed_state() {
        let suspect_at_7 = entry_fingerprint(0x0123_4567_89ab_cdef, 7, MemberState::Suspect);
        assert_eq!(suspect_at_7, 14_465_487_839_155_909_318);
        assert_eq!(
            entry_fingerprint(0, 0, MemberState::Alive),
            12_035_550_249_420_947_055
        );
    }

    /// Rejection sampling plus the scan fallback still picks every eligible member
    /// about equally often, and never an ineligible one or the same one twice.
    #[test]
    fn choice_is_uniform_distinct_and_eligible() {
        let seed = 5;
        println!("seed {seed}");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut table = MemberTable::default();
        for i in 0..20 {
            let state = if i % 4 == 0 {
                MemberState::Dead
            } else {
                MemberState::Alive
            };
            table.upsert(member(&format!("m{i}"), state));
        }
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        let rounds = 20_000;
        for _ in 0..rounds {
            let chosen = table.choose(3, &mut rng, |_, state| state.is_active());
            assert_eq!(chosen.len(), 3);
            for m in &chosen {
                assert!(m.state.is_active());
                *counts.entry(m.id.to_string()).or_default() += 1;
            }
            assert!(chosen[0].id != chosen[1].id && chosen[1].id != chosen[2].id);
            assert!(chosen[0].id != chosen[2].id);
        }
        assert_eq!(counts.len(), 15);
        let expected = f64::from(rounds * 3) / 15.0;
        for (name, count) in counts {
            let off = (f64::from(count) - expected).abs() / expected;
            assert!(
                off < 0.05,
                "{name} chosen {count} times, expected {expected}"
            );
        }
        // Fewer eligible than asked for: all of them.
        let few = table.choose(5, &mut rng, |slot, state| {
            table.at(slot).unwrap().id.as_str() <= "m11" && state.is_active()
        });
        assert_eq!(few.len(), 3, "m1, m10 and m11");
    }

    /// Renumbered into a fresh registry, a table holds the same members in the same
    /// slots and finds them by name and by address as before.
    #[test]
    fn a_renumbered_table_holds_the_same_members_in_the_same_slots() {
        let old = Registry::new();
        let mut table = MemberTable::new(old.clone());
        for i in 0..40 {
            let state = MemberState::ALL[i % 4];
            table.upsert(Member {
                addr: SocketAddr::from(([10, 0, 0, 1], (i % 7) as u16)),
                ..member(&format!("m{i}"), state)
            });
        }
        for i in (0..40).step_by(3) {
            table.remove(&NodeId::new(&format!("m{i}")).unwrap());
        }
        let fresh = Registry::new();
        fresh.intern_name(&NodeId::new("m38").unwrap()); // numbered in another order
        let renumbered = table.reinterned(&fresh);
        assert_eq!(fresh.read().len(), table.len(), "only the names held");
        assert!(fresh.read().len() < old.read().len());
        assert_eq!(
            renumbered.slots().collect::<Vec<_>>(),
            table.slots().collect::<Vec<_>>()
        );
        assert_eq!(renumbered.counts(), table.counts());
        for (_, m) in table.slots() {
            assert_eq!(renumbered.get(&m.id), Some(m.clone()));
            assert_eq!(renumbered.slot_of(&m.id), table.slot_of(&m.id));
        }
        assert_eq!(renumbered.get(&NodeId::new("m0").unwrap()), None);
        for port in 0..8 {
            let addr = SocketAddr::from(([10, 0, 0, 1], port));
            assert_eq!(renumbered.active_slot_at(addr), table.active_slot_at(addr));
        }
        let mut grown = renumbered;
        let (slot, new) = grown.upsert(member("m0", MemberState::Alive));
        assert!(new);
        assert_eq!(Some(slot), grown.slot_of(&NodeId::new("m0").unwrap()));
        assert_eq!(slot, 39, "the last slot freed is reused first, as before");
    }
}
