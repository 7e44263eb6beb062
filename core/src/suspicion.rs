//! How long a suspicion lasts: fixed (SWIM section 4.2) or shrinking with independent
//! confirmations (Lifeguard's Local Health Aware Suspicion, Dadgar et al. 2018, 4.2).
//!
//! With Lifeguard a suspicion starts at `max`; each *distinct* member that also suspects
//! the same incarnation confirms it and brings the deadline closer:
//!
//! ```text
//! timeout(c) = max(min, max - (max - min) * log(c + 1) / log(k + 1))
//! ```
//!
//! for `c` confirmations out of `k` expected. A member that is merely slow gets the long
//! timeout to refute; a member that really failed is confirmed by the others' probes and
//! declared dead nearly as fast as with a fixed timeout.

use std::collections::BTreeSet;

use crate::{Duration, Incarnation, Instant, NodeId};

/// One running suspicion.
#[derive(Clone, Debug)]
pub(crate) struct Suspicion {
    pub(crate) incarnation: Incarnation,
    started: Instant,
    /// Everyone who suspected this incarnation, the first accuser included.
    accusers: BTreeSet<NodeId>,
    expected_confirmations: u32,
    min: Duration,
    max: Duration,
}

impl Suspicion {
    pub(crate) fn new(
        now: Instant,
        incarnation: Incarnation,
        accuser: Option<NodeId>,
        expected_confirmations: u32,
        min: Duration,
        max: Duration,
    ) -> Self {
        Suspicion {
            incarnation,
            started: now,
            accusers: accuser.into_iter().collect(),
            expected_confirmations,
            min,
            max: max.max(min),
        }
    }

    /// Records `accuser` as suspecting too; true if it is a new, independent one that
    /// counts. Beyond the `k` expected, confirmations no longer bring the deadline
    /// closer, so they are neither kept nor worth passing on (memberlist's `Confirm`
    /// stops there too): a flood of forged accusers makes a node hold and spread at
    /// most `k` of them.
    pub(crate) fn confirm(&mut self, accuser: &NodeId) -> bool {
        if self.confirmations() >= self.expected_confirmations {
            return false;
        }
        self.accusers.insert(accuser.clone())
    }

    /// Independent confirmations beyond the first accusation.
    pub(crate) fn confirmations(&self) -> u32 {
        (self.accusers.len() as u32).saturating_sub(1)
    }

    pub(crate) fn deadline(&self) -> Instant {
        self.started
            + timeout(
                self.min,
                self.max,
                self.confirmations(),
                self.expected_confirmations,
            )
    }
}

/// Lifeguard's suspicion timeout after `confirmations` of `expected` confirmations.
pub(crate) fn timeout(min: Duration, max: Duration, confirmations: u32, expected: u32) -> Duration {
    if expected == 0 || max <= min {
        return min;
    }
    let progress = f64::from(confirmations + 1).ln() / f64::from(expected + 1).ln();
    let shrink = (max - min).mul_f64(progress.min(1.0));
    (max - shrink).max(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_shrinks_from_max_to_min_with_confirmations() {
        let (min, max) = (Duration::from_secs(5), Duration::from_secs(30));
        assert_eq!(timeout(min, max, 0, 3), max);
        assert_eq!(timeout(min, max, 1, 3), Duration::from_millis(17_500));
        assert!(timeout(min, max, 2, 3) < timeout(min, max, 1, 3));
        assert_eq!(timeout(min, max, 3, 3), min);
        assert_eq!(timeout(min, max, 9, 3), min);
        assert_eq!(
            timeout(min, max, 0, 0),
            min,
            "no one can confirm: plain SWIM"
        );
    }

    #[test]
    fn only_distinct_accusers_confirm() {
        let id = |n: &str| NodeId::new(n).unwrap();
        let (min, max) = (Duration::from_secs(1), Duration::from_secs(6));
        let mut suspicion = Suspicion::new(Instant::ZERO, 0, Some(id("a")), 2, min, max);
        assert_eq!(suspicion.deadline(), Instant::ZERO + max);
        assert!(!suspicion.confirm(&id("a")), "the first accuser again");
        assert!(suspicion.confirm(&id("b")));
        assert!(!suspicion.confirm(&id("b")));
        assert!(suspicion.confirm(&id("c")));
        assert_eq!(suspicion.confirmations(), 2);
        assert_eq!(suspicion.deadline(), Instant::ZERO + min);
        assert!(
            !suspicion.confirm(&id("d")),
            "beyond the k expected: neither kept nor passed on"
        );
        assert_eq!(suspicion.accusers.len(), 3);
    }
}
