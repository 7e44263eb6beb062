//! Choosing whom to probe: randomized round-robin (SWIM section 4.3) or plain random
//! choice (SWIM section 3).
//!
//! In round-robin, members are probed in a shuffled order; after a full pass the order is
//! shuffled again, and a new member is inserted at a random place. Every member is
//! therefore probed within `2n - 1` periods, where random choice gives no such bound.

use rand::Rng;
use rand::seq::{IteratorRandom, SliceRandom};

use crate::ProbeOrder;

/// The probe order of one node, over member handles `T` (the node uses member-table
/// slots: 4 bytes an entry).
#[derive(Clone, Debug)]
pub(crate) struct ProbeSchedule<T> {
    order: Vec<T>,
    next: usize,
}

impl<T> Default for ProbeSchedule<T> {
    fn default() -> Self {
        ProbeSchedule {
            order: Vec::new(),
            next: 0,
        }
    }
}

impl<T> ProbeSchedule<T> {
    /// The bytes the order takes, allocated capacity included.
    pub(crate) fn footprint(&self) -> usize {
        self.order.capacity() * size_of::<T>()
    }
}

impl<T: Clone> ProbeSchedule<T> {
    /// Places a newly learned member at a uniformly random position.
    pub(crate) fn insert(&mut self, member: T, rng: &mut impl Rng) {
        let at = rng.random_range(0..=self.order.len());
        if at < self.next {
            self.next += 1;
        }
        self.order.insert(at, member);
    }

    /// Starts a new pass over `members` in a random order (inserting a whole member
    /// table one by one would cost O(n²)).
    pub(crate) fn restart(&mut self, members: impl Iterator<Item = T>, rng: &mut impl Rng) {
        self.order.clear();
        self.order.extend(members);
        // A whole table at once (a join, a restore): no room kept for doubling.
        self.order.shrink_to_fit();
        self.order.shuffle(rng);
        self.next = 0;
    }

    /// The next member to probe among `candidates` for which `is_probeable` holds, or
    /// `None` when nobody can be probed.
    pub(crate) fn next_target(
        &mut self,
        kind: ProbeOrder,
        candidates: impl Iterator<Item = T>,
        is_probeable: impl Fn(&T) -> bool,
        rng: &mut impl Rng,
    ) -> Option<T> {
        if kind == ProbeOrder::Random {
            return candidates.filter(|m| is_probeable(m)).choose(rng);
        }
        if let Some(target) = self.advance(&is_probeable) {
            return Some(target);
        }
        self.restart(candidates.filter(|m| is_probeable(m)), rng);
        self.advance(&is_probeable)
    }

    fn advance(&mut self, is_probeable: &impl Fn(&T) -> bool) -> Option<T> {
        while let Some(member) = self.order.get(self.next) {
            self.next += 1;
            if is_probeable(member) {
                return Some(member.clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeId;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::collections::BTreeMap;

    fn ids(n: usize) -> Vec<NodeId> {
        (0..n)
            .map(|i| NodeId::new(&format!("m{i}")).unwrap())
            .collect()
    }

    #[test]
    fn every_member_is_probed_once_per_pass() {
        let seed = 7;
        println!("seed {seed}");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let ids = ids(10);
        let mut schedule = ProbeSchedule::default();
        for _pass in 0..3 {
            let mut seen: Vec<NodeId> = (0..10)
                .map(|_| {
                    schedule
                        .next_target(
                            ProbeOrder::RoundRobin,
                            ids.iter().cloned(),
                            |_| true,
                            &mut rng,
                        )
                        .unwrap()
                })
                .collect();
            seen.sort();
            assert_eq!(seen, ids);
        }
    }

    /// SWIM 4.3's bound holds even while members join at random places in the order.
    #[test]
    fn no_member_waits_more_than_2n_minus_1_periods() {
        let seed = 11;
        println!("seed {seed}");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut members = ids(20);
        let mut schedule = ProbeSchedule::default();
        let mut last_probe: BTreeMap<NodeId, usize> = BTreeMap::new();
        for period in 0..2_000 {
            if period % 97 == 0 && members.len() < 40 {
                let newcomer = NodeId::new(&format!("late{period}")).unwrap();
                schedule.insert(newcomer.clone(), &mut rng);
                members.push(newcomer);
            }
            let target = schedule
                .next_target(
                    ProbeOrder::RoundRobin,
                    members.iter().cloned(),
                    |_| true,
                    &mut rng,
                )
                .unwrap();
            if let Some(previous) = last_probe.insert(target.clone(), period) {
                let n = members.len();
                assert!(
                    period - previous < 2 * n,
                    "{target} waited {} periods with n = {n}",
                    period - previous
                );
            }
        }
    }

    #[test]
    fn skips_members_that_are_no_longer_probeable() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let ids = ids(4);
        let mut schedule = ProbeSchedule::default();
        let gone = ids[2].clone();
        for kind in [ProbeOrder::RoundRobin, ProbeOrder::Random] {
            for _ in 0..12 {
                let target = schedule
                    .next_target(kind, ids.iter().cloned(), |id| *id != gone, &mut rng)
                    .unwrap();
                assert_ne!(target, gone);
            }
            assert_eq!(
                schedule.next_target(kind, ids.iter().cloned(), |_| false, &mut rng),
                None
            );
        }
    }
}
