//! A node's member table, laid out for clusters of thousands.
//!
//! Every member of an n-member cluster holds an entry for every other, so a simulated
//! cluster holds n² entries: 10,000 members are 10⁸ entries, and the bytes per entry
//! decide whether that fits in memory. Each entry is one [`Member`] (64 bytes) in a slot
//! vector, found by name through a hash table that stores only the 4-byte slot number
//! (the name itself is read from the slot). Slots freed by reaping are reused.
//!
//! Random choices (gossip targets, ping-req witnesses) sample slots and reject the ones
//! that do not qualify, so picking k members costs O(k) while most of the table is
//! eligible, instead of a scan of the whole table every protocol period.

use core::hash::BuildHasher;

use hashbrown::HashTable;
use rand::Rng;
use rand::seq::IteratorRandom;
use rustc_hash::FxBuildHasher;

use crate::{Instant, Member, MemberState, NodeId};

/// The number of a slot in a [`MemberTable`]: stable while its member stays.
pub(crate) type Slot = u32;

/// Members by name, with O(1) lookup and O(k) random choice.
#[derive(Clone, Debug, Default)]
pub(crate) struct MemberTable {
    slots: Vec<Option<Member>>,
    /// Slot numbers, hashed by the name in the slot.
    index: HashTable<Slot>,
    /// Empty slots, reused before the vector grows.
    free: Vec<Slot>,
    /// How many members are in each state, indexed like [`MemberState::ALL`].
    by_state: [usize; MemberState::ALL.len()],
}

fn hash_name(id: &NodeId) -> u64 {
    hash_bytes(id.as_bytes())
}

fn hash_bytes(name: &[u8]) -> u64 {
    FxBuildHasher.hash_one(name)
}

impl MemberTable {
    /// Room for `additional` more members without reallocating.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let grow = additional.saturating_sub(self.free.len());
        self.slots.reserve_exact(grow);
        let slots = &self.slots;
        self.index.reserve(additional, |&slot| rehash(slots, slot));
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

    pub(crate) fn get(&self, id: &NodeId) -> Option<&Member> {
        self.slot_of(id).and_then(|slot| self.at(slot))
    }

    /// The member named `name`, by the bytes of its name (as a full-state share holds
    /// them).
    pub(crate) fn get_by_name(&self, name: &[u8]) -> Option<&Member> {
        let slots = &self.slots;
        let slot = self.index.find(hash_bytes(name), |&slot| {
            slots[slot as usize]
                .as_ref()
                .is_some_and(|m| m.id.as_bytes() == name)
        })?;
        self.at(*slot)
    }

    /// The slot holding `id`.
    pub(crate) fn slot_of(&self, id: &NodeId) -> Option<Slot> {
        let slots = &self.slots;
        self.index
            .find(hash_name(id), |&slot| {
                slots[slot as usize].as_ref().is_some_and(|m| m.id == *id)
            })
            .copied()
    }

    /// The member in `slot`, if the slot is taken.
    pub(crate) fn at(&self, slot: Slot) -> Option<&Member> {
        self.slots.get(slot as usize)?.as_ref()
    }

    /// Stores `member`, replacing any entry with its name. Returns its slot and whether
    /// the member is new to the table.
    pub(crate) fn upsert(&mut self, member: Member) -> (Slot, bool) {
        if let Some(slot) = self.slot_of(&member.id) {
            let entry = self.slots[slot as usize]
                .as_mut()
                .expect("indexed slots are taken");
            self.by_state[entry.state as usize] -= 1;
            self.by_state[member.state as usize] += 1;
            *entry = member;
            return (slot, false);
        }
        let hash = hash_name(&member.id);
        self.by_state[member.state as usize] += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(member);
                slot
            }
            None => {
                self.slots.push(Some(member));
                Slot::try_from(self.slots.len() - 1).expect("fewer than 2^32 members")
            }
        };
        let slots = &self.slots;
        self.index.insert_unique(hash, slot, |&s| rehash(slots, s));
        (slot, true)
    }

    /// Takes `id` out of the table.
    pub(crate) fn remove(&mut self, id: &NodeId) -> Option<Member> {
        let slots = &self.slots;
        let entry = self
            .index
            .find_entry(hash_name(id), |&slot| {
                slots[slot as usize].as_ref().is_some_and(|m| m.id == *id)
            })
            .ok()?;
        let (slot, _) = entry.remove();
        let member = self.slots[slot as usize].take()?;
        self.by_state[member.state as usize] -= 1;
        self.free.push(slot);
        Some(member)
    }

    /// Marks every member's state as holding since `now` (a table carried over from
    /// another clock, as a restored snapshot is).
    pub(crate) fn restamp(&mut self, now: Instant) {
        for member in self.slots.iter_mut().flatten() {
            member.state_since = now;
        }
    }

    /// Every member, in slot order (deterministic, but not by name).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Member> {
        self.slots.iter().flatten()
    }

    /// Every taken slot with its member.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (Slot, &Member)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, m)| Some((slot as Slot, m.as_ref()?)))
    }

    /// Up to `count` distinct members for which `eligible` holds, chosen uniformly at
    /// random, in random order.
    ///
    /// Draws random slots and rejects the ineligible ones; if that keeps failing (few
    /// members eligible) it falls back to choosing among a scan of the rest. Either way
    /// every set of `count` eligible members is equally likely.
    pub(crate) fn choose(
        &self,
        count: usize,
        rng: &mut impl Rng,
        eligible: impl Fn(&Member) -> bool,
    ) -> Vec<&Member> {
        // Asking for far more members than the table holds picks them all; the cap keeps
        // the sampling budget below finite (it leaves every realistic count as it is).
        let count = count.min(self.slots.len().saturating_add(16));
        let mut chosen: Vec<&Member> = Vec::with_capacity(count.min(self.len()));
        if count == 0 || self.slots.is_empty() {
            return chosen;
        }
        let mut tries = 4 * count + 16;
        while chosen.len() < count && tries > 0 {
            tries -= 1;
            let slot = rng.random_range(0..self.slots.len());
            let Some(member) = self.slots[slot].as_ref() else {
                continue;
            };
            if eligible(member) && !chosen.iter().any(|c| c.id == member.id) {
                chosen.push(member);
            }
        }
        if chosen.len() < count {
            let rest = self
                .iter()
                .filter(|m| eligible(m) && !chosen.iter().any(|c| c.id == m.id))
                .choose_multiple(rng, count - chosen.len());
            chosen.extend(rest);
        }
        chosen
    }
}

fn rehash(slots: &[Option<Member>], slot: Slot) -> u64 {
    slots[slot as usize]
        .as_ref()
        .map_or(0, |member| hash_name(&member.id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Instant, MemberState};
    use core::net::SocketAddr;
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

    #[test]
    fn an_entry_is_at_most_64_bytes() {
        assert!(core::mem::size_of::<Option<Member>>() <= 64);
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
            assert_eq!(table.get(&m.id), Some(m));
            assert_eq!(table.get_by_name(m.id.as_bytes()), Some(m));
        }
        assert_eq!(table.get_by_name(b"m1"), None, "removed");
        assert_eq!(table.len(), table.iter().count());
        assert_eq!(table.active(), table.len());
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
            let chosen = table.choose(3, &mut rng, |m| m.state.is_active());
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
        let few = table.choose(5, &mut rng, |m| {
            m.id.as_str() <= "m11" && m.state.is_active()
        });
        assert_eq!(few.len(), 3, "m1, m10 and m11");
    }
}
