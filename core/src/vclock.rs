//! Vector clocks (Mattern 1988; Fidge 1988): one counter per writer, so that two
//! versions can be ordered when one has seen the other, and recognised as concurrent
//! when neither has.
//!
//! Rules: a writer increments its own entry on a local write; merging takes the
//! element-wise maximum; `a` happened before `b` when every entry of `a` is at most the
//! matching entry of `b` and they differ. Only entries that exist are stored and sent.

use core::cmp::Ordering;
use core::fmt;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ReplicaId;

/// How two clocks relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Causality {
    /// The first happened before the second (the second has seen it).
    Before,
    /// The first happened after the second.
    After,
    /// The same clock.
    Equal,
    /// Neither has seen the other: concurrent writes.
    Concurrent,
}

/// A vector clock.
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VectorClock {
    entries: BTreeMap<ReplicaId, u64>,
}

impl VectorClock {
    /// The counter of `replica` (0 when absent).
    pub fn get(&self, replica: &ReplicaId) -> u64 {
        self.entries.get(replica).copied().unwrap_or(0)
    }

    /// Raises `replica`'s counter to `value` if it is lower.
    pub fn observe(&mut self, replica: &ReplicaId, value: u64) {
        let entry = self.entries.entry(replica.clone()).or_insert(0);
        *entry = (*entry).max(value);
    }

    /// Increments `replica`'s counter and returns its new value.
    pub fn increment(&mut self, replica: &ReplicaId) -> u64 {
        let entry = self.entries.entry(replica.clone()).or_insert(0);
        // 2^64 writes are out of reach, and a counter at the maximum from elsewhere is
        // refused where versions arrive (`Store::apply`): saturating is never reached.
        *entry = entry.saturating_add(1);
        *entry
    }

    /// Element-wise maximum with `other`.
    pub fn merge(&mut self, other: &VectorClock) {
        for (replica, &value) in &other.entries {
            self.observe(replica, value);
        }
    }

    /// How `self` relates to `other`.
    pub fn compare(&self, other: &VectorClock) -> Causality {
        let mut less = false;
        let mut greater = false;
        let replicas = self.entries.keys().chain(other.entries.keys());
        for replica in replicas {
            match self.get(replica).cmp(&other.get(replica)) {
                Ordering::Less => less = true,
                Ordering::Greater => greater = true,
                Ordering::Equal => {}
            }
            if less && greater {
                return Causality::Concurrent;
            }
        }
        match (less, greater) {
            (false, false) => Causality::Equal,
            (true, false) => Causality::Before,
            (false, true) => Causality::After,
            (true, true) => Causality::Concurrent,
        }
    }

    /// Whether `self` has seen everything `other` has (after or equal).
    pub fn covers(&self, other: &VectorClock) -> bool {
        matches!(self.compare(other), Causality::After | Causality::Equal)
    }

    /// The sum of all counters: how many writes this clock has seen. It stops at the
    /// largest number rather than overflow: counters come from the network, and two
    /// forged ones near the end would otherwise overflow the sum.
    pub fn total(&self) -> u64 {
        self.entries
            .values()
            .fold(0, |sum: u64, &count| sum.saturating_add(count))
    }

    /// The entries, ordered by replica.
    pub fn iter(&self) -> impl Iterator<Item = (&ReplicaId, u64)> {
        self.entries.iter().map(|(r, &v)| (r, v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry exists.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for VectorClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// `{n1.3f2a:2, n2.09bc:1}`
impl fmt::Display for VectorClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (replica, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{replica}:{value}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeId;

    fn replica(name: &str) -> ReplicaId {
        ReplicaId::new(NodeId::new(name).unwrap(), 1)
    }

    fn clock(entries: &[(&str, u64)]) -> VectorClock {
        let mut clock = VectorClock::default();
        for &(name, value) in entries {
            clock.observe(&replica(name), value);
        }
        clock
    }

    #[test]
    fn compare_gives_before_after_equal_concurrent() {
        let a = clock(&[("a", 1)]);
        let ab = clock(&[("a", 1), ("b", 1)]);
        let b = clock(&[("b", 1)]);
        assert_eq!(a.compare(&ab), Causality::Before);
        assert_eq!(ab.compare(&a), Causality::After);
        assert_eq!(ab.compare(&ab.clone()), Causality::Equal);
        assert_eq!(a.compare(&b), Causality::Concurrent);
        assert_eq!(VectorClock::default().compare(&a), Causality::Before);
        assert!(ab.covers(&a) && ab.covers(&ab) && !a.covers(&b));
    }

    #[test]
    fn merge_is_element_wise_max_and_increment_counts_own_writes() {
        let mut left = clock(&[("a", 3), ("b", 1)]);
        left.merge(&clock(&[("b", 5), ("c", 2)]));
        assert_eq!(left, clock(&[("a", 3), ("b", 5), ("c", 2)]));
        assert_eq!(left.increment(&replica("a")), 4);
        assert_eq!(left.total(), 11);
        assert_eq!(left.len(), 3, "only existing entries");
        assert_eq!(left.to_string(), "{a.1:4, b.1:5, c.1:2}");
    }
}
