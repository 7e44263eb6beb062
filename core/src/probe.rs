//! Choosing whom to probe: randomized round-robin (SWIM section 4.3).
//!
//! Members are probed in a shuffled order; after a full pass the order is shuffled
//! again, and a new member is inserted at a random place. Every member is therefore
//! probed within `2n - 1` periods, where plain random choice gives no such bound.

use rand::Rng;
use rand::seq::SliceRandom;

use crate::NodeId;

/// The probe order of one node.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProbeOrder {
    order: Vec<NodeId>,
    next: usize,
}

impl ProbeOrder {
    /// Places a newly learned member at a uniformly random position.
    pub(crate) fn insert(&mut self, id: NodeId, rng: &mut impl Rng) {
        let at = rng.random_range(0..=self.order.len());
        if at < self.next {
            self.next += 1;
        }
        self.order.insert(at, id);
    }

    /// The next member to probe for which `is_probeable` holds, reshuffling all
    /// `candidates` when a pass is complete. `None` when nobody can be probed.
    pub(crate) fn next_target<'a>(
        &mut self,
        candidates: impl Iterator<Item = &'a NodeId>,
        is_probeable: impl Fn(&NodeId) -> bool,
        rng: &mut impl Rng,
    ) -> Option<NodeId> {
        if let Some(target) = self.advance(&is_probeable) {
            return Some(target);
        }
        self.order = candidates.filter(|id| is_probeable(id)).cloned().collect();
        self.order.shuffle(rng);
        self.next = 0;
        self.advance(&is_probeable)
    }

    fn advance(&mut self, is_probeable: &impl Fn(&NodeId) -> bool) -> Option<NodeId> {
        while let Some(id) = self.order.get(self.next) {
            self.next += 1;
            if is_probeable(id) {
                return Some(id.clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn every_member_is_probed_once_per_pass() {
        let seed = 7;
        println!("seed {seed}");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let ids: Vec<NodeId> = (0..10)
            .map(|i| NodeId::new(&format!("m{i}")).unwrap())
            .collect();
        let mut order = ProbeOrder::default();
        for _pass in 0..3 {
            let mut seen: Vec<NodeId> = (0..10)
                .map(|_| order.next_target(ids.iter(), |_| true, &mut rng).unwrap())
                .collect();
            seen.sort();
            assert_eq!(seen, ids);
        }
    }

    #[test]
    fn skips_members_that_are_no_longer_probeable() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let ids: Vec<NodeId> = (0..4)
            .map(|i| NodeId::new(&format!("m{i}")).unwrap())
            .collect();
        let mut order = ProbeOrder::default();
        let gone = ids[2].clone();
        for _ in 0..12 {
            let target = order
                .next_target(ids.iter(), |id| *id != gone, &mut rng)
                .unwrap();
            assert_ne!(target, gone);
        }
        assert_eq!(order.next_target(ids.iter(), |_| false, &mut rng), None);
    }
}
