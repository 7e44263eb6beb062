//! What each peer last said its store holds, kept for one question only: does every
//! member this node knows hold a tombstone yet (so that it may be collected)?
//!
//! A node hears a store summary in every anti-entropy digest, from every member in
//! turn, so the summaries grow like the member table, n² across a cluster. Held as a
//! map from names to vector clocks they cost about 100 bytes a member, more than the
//! 32 of the member table itself. Here they are laid out for that scale:
//!
//! * keyed by the member's number in the shared [`Registry`], in one sorted vector;
//! * each counter is a 16-byte [`Counter`] (the writer's name as its number, its epoch
//!   and its sequence number), the counters of one summary in one shared allocation;
//! * a summary equal to the one last stored shares its allocation (a cluster whose
//!   store is quiet reports the same summary from every member);
//! * a summary with no counters above zero is not kept at all: no tombstone held here
//!   has a sequence number of zero (the store refuses such versions), so an empty
//!   summary covers nothing, exactly as no summary does. A cluster that has never
//!   written keeps none;
//! * a member's summary goes when the member is reaped from the table. Collection asks
//!   only about members in the table, so until then nothing changes; a member that
//!   comes back after its reaping must report again before its summary counts, which
//!   only delays a collection.

use std::collections::HashMap;
use std::sync::Arc;

use crate::registry::{Interned, NameId, Registry};
use crate::{NodeId, ReplicaId, VectorClock};

/// One writer's counter in a peer's summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Counter {
    writer: NameId,
    epoch: u32,
    seq: u64,
}

/// A peer's summary: its counters above zero, ordered by writer and epoch.
type Counters = Arc<[Counter]>;

/// The last non-empty store summary of each member that reported one.
#[derive(Clone, Debug, Default)]
pub(crate) struct PeerSummaries {
    registry: Registry,
    /// By member number, ascending.
    by_member: Vec<(NameId, Counters)>,
    /// The summary stored last, to share with the next one if they are equal.
    latest: Option<Counters>,
}

impl PeerSummaries {
    /// No summaries yet; names are numbered in `registry`.
    pub(crate) fn new(registry: Registry) -> PeerSummaries {
        PeerSummaries {
            registry,
            ..PeerSummaries::default()
        }
    }

    /// Remembers `summary` as what `member` holds now, in place of what it said before.
    pub(crate) fn insert(&mut self, member: &NodeId, summary: &VectorClock) {
        let member = self.registry.intern_name(member);
        let mut counters: Vec<Counter> = summary
            .iter()
            .filter(|(_, seq)| *seq > 0)
            .map(|(replica, seq)| Counter {
                writer: self.registry.intern_name(&replica.node),
                epoch: replica.epoch,
                seq,
            })
            .collect();
        let at = self.by_member.binary_search_by_key(&member, |(id, _)| *id);
        if counters.is_empty() {
            if let Ok(at) = at {
                self.by_member.remove(at);
            }
            return;
        }
        counters.sort_unstable();
        let counters = self.shared(counters, at.ok());
        match at {
            Ok(at) => self.by_member[at].1 = counters,
            Err(at) => self.by_member.insert(at, (member, counters)),
        }
    }

    /// `counters` as an allocation already held if an equal one is (the member's own
    /// previous summary, or the one stored last), else as a new one.
    fn shared(&mut self, counters: Vec<Counter>, previous: Option<usize>) -> Counters {
        let held = previous
            .map(|at| &self.by_member[at].1)
            .into_iter()
            .chain(self.latest.as_ref())
            .find(|held| ***held == *counters);
        if let Some(held) = held {
            return Arc::clone(held);
        }
        let counters: Counters = counters.into();
        self.latest = Some(Arc::clone(&counters));
        counters
    }

    /// These summaries with their names numbered in `registry` instead; summaries that
    /// shared an allocation still do.
    pub(crate) fn reinterned(&self, registry: &Registry) -> PeerSummaries {
        let interned = self.registry.read();
        let mut renumbered: HashMap<*const Counter, Counters> = HashMap::new();
        let mut by_member: Vec<(NameId, Counters)> = (self.by_member.iter())
            .map(|(member, counters)| {
                let counters = renumbered.entry(counters.as_ptr()).or_insert_with(|| {
                    let mut fresh: Vec<Counter> = (counters.iter())
                        .map(|counter| Counter {
                            writer: registry.intern_name(interned.name(counter.writer)),
                            ..*counter
                        })
                        .collect();
                    fresh.sort_unstable();
                    fresh.into()
                });
                (
                    registry.intern_name(interned.name(*member)),
                    Arc::clone(counters),
                )
            })
            .collect();
        by_member.sort_unstable_by_key(|(member, _)| *member);
        PeerSummaries {
            registry: registry.clone(),
            by_member,
            latest: None,
        }
    }

    /// Forgets `member`'s summary (it left the member table).
    pub(crate) fn forget(&mut self, member: &NodeId) {
        let Some(member) = self.registry.read().name_id(member.as_bytes()) else {
            return;
        };
        if let Ok(at) = self.by_member.binary_search_by_key(&member, |(id, _)| *id) {
            self.by_member.remove(at);
        }
    }

    /// How many members' summaries are held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.by_member.len()
    }

    /// A reader that answers whether members' summaries cover a writer's counter,
    /// holding the registry for reading while it lives.
    pub(crate) fn reader(&self) -> Coverage<'_> {
        Coverage {
            summaries: self,
            interned: self.registry.read(),
        }
    }

    /// The bytes the summaries take, allocated capacity included; an allocation shared
    /// by several members counts once.
    pub(crate) fn footprint(&self) -> usize {
        let mut allocations: Vec<(*const Counter, usize)> = self
            .by_member
            .iter()
            .map(|(_, counters)| counters)
            .chain(self.latest.as_ref())
            .map(|counters| (counters.as_ptr(), counters.len()))
            .collect();
        allocations.sort_unstable();
        allocations.dedup();
        let counters: usize = allocations
            .iter()
            .map(|(_, len)| 2 * size_of::<usize>() + len * size_of::<Counter>())
            .sum();
        self.by_member.capacity() * size_of::<(NameId, Counters)>() + counters
    }
}

/// Reads [`PeerSummaries`] for tombstone collection.
pub(crate) struct Coverage<'a> {
    summaries: &'a PeerSummaries,
    interned: std::sync::RwLockReadGuard<'a, Interned>,
}

impl Coverage<'_> {
    /// The registry, as this reader holds it locked (the member table shares it).
    pub(crate) fn interned(&self) -> &Interned {
        &self.interned
    }

    /// Whether the last summary of every one of `members` (registry numbers) has
    /// `writer`'s counter at `seq` or beyond; a member that reported none covers
    /// nothing. True of no members at all.
    pub(crate) fn all_cover(
        &self,
        mut members: impl Iterator<Item = NameId>,
        writer: &ReplicaId,
        seq: u64,
    ) -> bool {
        let Some(writer_number) = self.interned.name_id(writer.node.as_bytes()) else {
            // No summary held names this writer.
            return members.next().is_none();
        };
        let by_member = &self.summaries.by_member;
        members.all(|member| {
            let Ok(at) = by_member.binary_search_by_key(&member, |(id, _)| *id) else {
                return false;
            };
            let counters = &by_member[at].1;
            counters
                .binary_search_by_key(&(writer_number, writer.epoch), |c| (c.writer, c.epoch))
                .is_ok_and(|i| counters[i].seq >= seq)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> NodeId {
        NodeId::new(text).unwrap()
    }

    fn clock(counters: &[(&str, u32, u64)]) -> VectorClock {
        let mut clock = VectorClock::default();
        for &(writer, epoch, seq) in counters {
            clock.observe(&ReplicaId::new(name(writer), epoch), seq);
        }
        clock
    }

    fn number(summaries: &PeerSummaries, member: &str) -> NameId {
        summaries.registry.intern_name(&name(member))
    }

    /// Whether each summary covers (writer, epoch, seq) exactly as the vector clock
    /// it was made from does.
    #[test]
    fn a_summary_covers_what_its_vector_clock_covers() {
        let mut summaries = PeerSummaries::new(Registry::new());
        let said = clock(&[("w1", 7, 3), ("w2", 1, 5), ("w1", 9, 1)]);
        summaries.insert(&name("a"), &said);
        let a = number(&summaries, "a");
        let reader = summaries.reader();
        for writer in ["w1", "w2", "w3"] {
            for epoch in [1, 7, 9] {
                let replica = ReplicaId::new(name(writer), epoch);
                for seq in 1..=6 {
                    assert_eq!(
                        reader.all_cover([a].into_iter(), &replica, seq),
                        said.get(&replica) >= seq,
                        "{replica} {seq}"
                    );
                }
            }
        }
    }

    /// Collection asks about all members at once: every one must cover the counter,
    /// a member that reported nothing covers nothing, and no members ask nothing.
    #[test]
    fn all_members_must_cover_a_counter() {
        let mut summaries = PeerSummaries::new(Registry::new());
        summaries.insert(&name("a"), &clock(&[("w", 1, 5)]));
        summaries.insert(&name("b"), &clock(&[("w", 1, 3)]));
        let (a, b, c) = (
            number(&summaries, "a"),
            number(&summaries, "b"),
            number(&summaries, "c"),
        );
        let w = ReplicaId::new(name("w"), 1);
        let unheard_of = ReplicaId::new(name("nobody"), 1);
        let reader = summaries.reader();
        assert!(reader.all_cover([a, b].into_iter(), &w, 3));
        assert!(!reader.all_cover([a, b].into_iter(), &w, 4));
        assert!(!reader.all_cover([a, b, c].into_iter(), &w, 1));
        assert!(!reader.all_cover([a].into_iter(), &unheard_of, 1));
        assert!(reader.all_cover([].into_iter(), &w, 9));
        assert!(reader.all_cover([].into_iter(), &unheard_of, 1));
    }

    /// A new summary replaces the old one; an empty one (or one of zeros) leaves
    /// nothing behind, and neither does forgetting the member.
    #[test]
    fn a_summary_is_replaced_and_an_empty_one_or_a_forgotten_member_keeps_nothing() {
        let mut summaries = PeerSummaries::new(Registry::new());
        let w = ReplicaId::new(name("w"), 1);
        summaries.insert(&name("a"), &clock(&[("w", 1, 4)]));
        summaries.insert(&name("a"), &clock(&[("w", 1, 2)]));
        let a = number(&summaries, "a");
        assert!(summaries.reader().all_cover([a].into_iter(), &w, 2));
        assert!(!summaries.reader().all_cover([a].into_iter(), &w, 3));
        summaries.insert(&name("a"), &clock(&[("w", 1, 0)]));
        assert!(!summaries.reader().all_cover([a].into_iter(), &w, 1));
        assert!(summaries.by_member.is_empty());
        summaries.insert(&name("b"), &clock(&[("w", 1, 4)]));
        summaries.forget(&name("b"));
        assert!(summaries.by_member.is_empty());
    }

    /// Members reporting the same summary share one allocation, counted once.
    #[test]
    fn equal_summaries_share_one_allocation() {
        let mut summaries = PeerSummaries::new(Registry::new());
        let said = clock(&[("w1", 1, 3), ("w2", 1, 5)]);
        for member in ["a", "b", "c", "d"] {
            summaries.insert(&name(member), &said);
        }
        let first = summaries.by_member[0].1.as_ptr();
        assert!(summaries.by_member.iter().all(|(_, c)| c.as_ptr() == first));
        let one = 2 * size_of::<usize>() + 2 * size_of::<Counter>();
        assert_eq!(
            summaries.footprint(),
            summaries.by_member.capacity() * 24 + one
        );
    }

    /// Renumbered into a fresh registry (an agent's, dropping what reaping left), the
    /// summaries answer every question as before, and shared ones stay shared.
    #[test]
    fn renumbered_summaries_cover_what_they_covered() {
        let old = Registry::new();
        for stale in ["gone1", "gone2", "gone3"] {
            old.intern_name(&name(stale));
        }
        let mut summaries = PeerSummaries::new(old);
        let shared = clock(&[("w2", 1, 3), ("w1", 2, 5)]);
        summaries.insert(&name("a"), &clock(&[("w1", 2, 7), ("w3", 1, 1)]));
        summaries.insert(&name("c"), &shared);
        summaries.insert(&name("b"), &shared);
        let fresh = Registry::new();
        fresh.intern_name(&name("w3")); // numbered in another order than before
        let renumbered = summaries.reinterned(&fresh);
        assert_eq!(
            fresh.read().len(),
            6,
            "a, b, c and three writers, not the stale names"
        );
        let ask = |summaries: &PeerSummaries, members: &[&str], writer: &str, epoch, seq| {
            let numbers: Vec<NameId> = members.iter().map(|m| number(summaries, m)).collect();
            let replica = ReplicaId::new(name(writer), epoch);
            summaries
                .reader()
                .all_cover(numbers.into_iter(), &replica, seq)
        };
        for members in [&["a"][..], &["b"], &["c"], &["a", "b"], &["a", "b", "c"]] {
            for (writer, epoch) in [("w1", 2), ("w2", 1), ("w3", 1), ("w1", 1)] {
                for seq in 1..=8 {
                    assert_eq!(
                        ask(&renumbered, members, writer, epoch, seq),
                        ask(&summaries, members, writer, epoch, seq),
                        "{members:?} {writer} {epoch} {seq}"
                    );
                }
            }
        }
        let at = |s: &PeerSummaries, m: &str| {
            let number = number(s, m);
            let at = s
                .by_member
                .binary_search_by_key(&number, |(id, _)| *id)
                .unwrap();
            s.by_member[at].1.as_ptr()
        };
        assert_eq!(at(&renumbered, "b"), at(&renumbered, "c"), "still shared");
        assert_ne!(at(&renumbered, "a"), at(&renumbered, "c"));
    }
}
