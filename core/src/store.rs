//! The replicated key/value store: every version carries a vector clock, concurrent
//! versions of a key are kept side by side as siblings, deletes are tombstones, and a
//! per-writer summary says how much of each writer's history this copy holds
//! (Scuttlebutt's version vector, van Renesse et al. 2008), which is what anti-entropy
//! exchanges.
//!
//! # Rules
//! * A local write (or delete) gets a clock that merges every sibling's clock and then
//!   increments the writer's own entry, so it supersedes everything this node has seen
//!   of the key. Its sequence number is that entry.
//! * A version from elsewhere is *known* when its sequence number is within the
//!   summary for its writer, or when a sibling's clock already covers its clock;
//!   otherwise it replaces the siblings it covers and joins the rest.
//! * Readers see the siblings in one deterministic order, the winner first: the clock
//!   that has seen the most writes, then the larger replica id, then the value.
//! * Summary: for each writer, the highest sequence number up to which this copy holds
//!   every version (or something newer). It only grows contiguously: by own writes, by
//!   the next version of a writer arriving, and by anti-entropy deltas that say which
//!   range they cover completely.
//! * Tombstones are collected only once every known member has reported (in its
//!   anti-entropy digest) a summary covering the delete. Anything older that arrives
//!   later is then below the summary and ignored, so a deleted key does not come back.

use core::cmp::Ordering;
use core::hash::{Hash, Hasher};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use siphasher::sip::SipHasher13;

use crate::ReplicaId;
use crate::vclock::VectorClock;

/// One version of one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Version {
    pub key: String,
    /// `None`: the key was deleted (a tombstone).
    pub value: Option<String>,
    pub clock: VectorClock,
    pub writer: ReplicaId,
}

impl Version {
    /// The writer's sequence number of this version: its own entry in the clock.
    pub fn seq(&self) -> u64 {
        self.clock.get(&self.writer)
    }

    /// Whether this version is a delete.
    pub fn is_tombstone(&self) -> bool {
        self.value.is_none()
    }

    /// The order in which every reader sees siblings, winner first.
    pub fn reading_order(a: &Version, b: &Version) -> Ordering {
        winner_first(a, b)
    }
}

/// What applying a version did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Already held, or superseded by what is held: nothing changed.
    Known,
    /// Stored; `siblings` versions of the key now stand side by side (more than one is a
    /// conflict).
    New { siblings: usize },
}

/// Writer `writer`'s current versions with sequence numbers in `(from, to]`, complete:
/// any version of that writer in the range that is missing was superseded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoveredRange {
    pub writer: ReplicaId,
    pub from: u64,
    pub to: u64,
}

/// A node's copy of the store.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "StoreData")]
pub struct Store {
    keys: BTreeMap<String, Vec<Version>>,
    summary: VectorClock,
    /// The sum of [`summary_entry_hash`] over the summary's entries, kept as the summary
    /// grows (see [`Store::summary_fingerprint`]); not stored, made again on loading.
    #[serde(skip)]
    summary_sum: u64,
}

/// What a store is stored as: its keys and summary, the fingerprint made again from them.
#[derive(Deserialize)]
struct StoreData {
    keys: BTreeMap<String, Vec<Version>>,
    summary: VectorClock,
}

impl From<StoreData> for Store {
    fn from(data: StoreData) -> Store {
        let summary_sum = data.summary.iter().fold(0u64, |sum, (writer, seq)| {
            sum.wrapping_add(summary_entry_hash(writer, seq))
        });
        Store {
            keys: data.keys,
            summary: data.summary,
            summary_sum,
        }
    }
}

/// One summary entry's share of the summary's fingerprint: a keyed hash of the writer
/// and its count, fixed across builds and platforms so that members compare theirs.
/// A count of 0 is no entry at all.
fn summary_entry_hash(writer: &ReplicaId, seq: u64) -> u64 {
    if seq == 0 {
        return 0;
    }
    let mut hasher = SipHasher13::new();
    hasher.write(writer.node.as_bytes());
    hasher.write_u8(0xff);
    hasher.write(&writer.epoch.to_le_bytes());
    hasher.write(&seq.to_le_bytes());
    hasher.finish()
}

impl Store {
    /// The siblings of `key`, winner first; `None` if the key was never written here
    /// (or its tombstone was collected).
    pub fn versions(&self, key: &str) -> Option<&[Version]> {
        self.keys.get(key).map(Vec::as_slice)
    }

    /// The winning value of `key`, `None` if absent or deleted.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.versions(key)?.first()?.value.as_deref()
    }

    /// Every key with its siblings (tombstones included), in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Version])> {
        self.keys.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Keys whose winner is a value (not a tombstone).
    pub fn live_keys(&self) -> impl Iterator<Item = &str> {
        self.iter()
            .filter(|(_, versions)| versions.first().is_some_and(|v| !v.is_tombstone()))
            .map(|(key, _)| key)
    }

    /// Number of keys held, tombstones included.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How much of each writer's history this copy holds.
    pub fn summary(&self) -> &VectorClock {
        &self.summary
    }

    /// A 32-bit fingerprint of [`Store::summary`], equal for equal summaries and 0 for
    /// an empty one: carried on pings, so that anti-entropy runs where two copies
    /// differ (Demers et al. 1987, section 1.3: compare checksums first). A sum of one
    /// hash per writer, kept as the summary grows, so it costs nothing to read. Two
    /// different summaries share one by chance about once in 2^32 comparisons; the
    /// next change of either, or anti-entropy's occasional unprompted round, repairs
    /// what that hides.
    pub fn summary_fingerprint(&self) -> u32 {
        (self.summary_sum ^ (self.summary_sum >> 32)) as u32
    }

    /// Raises `writer`'s summary entry to `seq`, keeping the fingerprint's sum.
    fn raise_summary(&mut self, writer: &ReplicaId, seq: u64) {
        let held = self.summary.get(writer);
        if seq > held {
            self.summary.observe(writer, seq);
            self.summary_sum = self
                .summary_sum
                .wrapping_sub(summary_entry_hash(writer, held))
                .wrapping_add(summary_entry_hash(writer, seq));
        }
    }

    /// A fingerprint of what readers can see (every key that is not wholly deleted,
    /// with its siblings) and of how much history this copy holds. Copies that differ
    /// only in tombstones one has already collected give the same digest.
    pub fn digest(&self) -> u64 {
        let mut hasher = std::hash::DefaultHasher::new();
        for (key, versions) in &self.keys {
            if versions.iter().any(|v| !v.is_tombstone()) {
                (key, versions).hash(&mut hasher);
            }
        }
        self.summary.hash(&mut hasher);
        hasher.finish()
    }

    /// The version a local write (`None`: delete) by `writer` would make, without
    /// making it: one whose clock has seen every sibling of the key.
    pub(crate) fn next_version(
        &self,
        writer: &ReplicaId,
        key: String,
        value: Option<String>,
    ) -> Version {
        let mut clock = VectorClock::default();
        for sibling in self.keys.get(&key).into_iter().flatten() {
            clock.merge(&sibling.clock);
        }
        clock.observe(writer, self.summary.get(writer));
        clock.increment(writer);
        Version {
            key,
            value,
            clock,
            writer: writer.clone(),
        }
    }

    /// Records a local write (`None`: delete) by `writer` and returns the new version
    /// (the node checks the version's size between the two steps).
    #[cfg(test)]
    pub(crate) fn write(
        &mut self,
        writer: &ReplicaId,
        key: String,
        value: Option<String>,
    ) -> Version {
        let version = self.next_version(writer, key, value);
        self.commit(version.clone());
        version
    }

    /// Records `version`, made by [`Store::next_version`] on this store as it is.
    pub(crate) fn commit(&mut self, version: Version) {
        self.raise_summary(&version.writer, version.seq());
        self.keys.insert(version.key.clone(), vec![version]);
    }

    /// Applies a version heard from elsewhere.
    pub(crate) fn apply(&mut self, version: Version) -> Applied {
        let (seq, held) = (version.seq(), self.summary.get(&version.writer));
        if seq == 0 || seq <= held {
            return Applied::Known;
        }
        // A counter at its maximum is forged or corrupt: adopted, it would leave its
        // writer nothing to count its next write with. Dropped, as if unheard.
        if version.clock.iter().any(|(_, count)| count == u64::MAX) {
            return Applied::Known;
        }
        let siblings = self.keys.entry(version.key.clone()).or_default();
        if siblings.iter().any(|s| s.clock.covers(&version.clock)) {
            return Applied::Known;
        }
        siblings.retain(|s| !version.clock.covers(&s.clock));
        let writer = (seq == held + 1).then(|| version.writer.clone());
        siblings.push(version);
        siblings.sort_by(winner_first);
        let siblings = siblings.len();
        if let Some(writer) = writer {
            self.raise_summary(&writer, seq);
        }
        Applied::New { siblings }
    }

    /// Applies every version `other` holds, then marks what it held as held: the union
    /// is complete wherever either copy was.
    pub(crate) fn merge(&mut self, other: &Store) {
        for (_, versions) in other.iter() {
            for version in versions {
                self.apply(version.clone());
            }
        }
        self.cover_summary(&other.summary);
    }

    /// Marks everything `summary` counts as held, once every version a copy with that
    /// summary held has been applied here (or was already superseded here).
    pub(crate) fn cover_summary(&mut self, summary: &VectorClock) {
        for (writer, to) in summary.iter() {
            self.cover(&CoveredRange {
                writer: writer.clone(),
                from: 0,
                to,
            });
        }
    }

    /// Marks `range` as held completely, once its versions have been applied. A range
    /// ending at the counter's maximum is forged or corrupt, as in [`Store::apply`], and
    /// is ignored.
    pub(crate) fn cover(&mut self, range: &CoveredRange) {
        if range.to != u64::MAX && self.summary.get(&range.writer) >= range.from {
            self.raise_summary(&range.writer, range.to);
        }
    }

    /// What a peer whose summary is `theirs` lacks, as whole per-writer ranges in
    /// version order, writers furthest behind first, within `budget` bytes as the caller
    /// measures a range and a version (their encoded length: the wire format is the
    /// caller's business, not the store's).
    pub(crate) fn deltas_for(
        &self,
        theirs: &VectorClock,
        budget: usize,
        range_len: impl Fn(&CoveredRange) -> usize,
        version_len: impl Fn(&Version) -> usize,
    ) -> (Vec<Version>, Vec<CoveredRange>) {
        let mut behind: Vec<(&ReplicaId, u64, u64)> = self
            .summary
            .iter()
            .filter(|&(writer, mine)| mine > theirs.get(writer))
            .map(|(writer, mine)| (writer, theirs.get(writer), mine))
            .collect();
        behind.sort_by(|a, b| (b.2 - b.1).cmp(&(a.2 - a.1)).then_with(|| a.0.cmp(b.0)));
        let mut room = budget;
        let (mut versions, mut ranges) = (Vec::new(), Vec::new());
        for (writer, from, to) in behind {
            let range_bytes = range_len(&CoveredRange {
                writer: writer.clone(),
                from,
                to,
            });
            if range_bytes > room {
                break;
            }
            room -= range_bytes;
            let mut pending: Vec<&Version> = self
                .keys
                .values()
                .flatten()
                .filter(|v| v.writer == *writer && (from + 1..=to).contains(&v.seq()))
                .collect();
            pending.sort_by_key(|v| v.seq());
            let mut covered = to;
            for version in pending {
                let len = version_len(version);
                if len > room {
                    covered = version.seq() - 1;
                    break;
                }
                room -= len;
                versions.push(version.clone());
            }
            if covered > from {
                ranges.push(CoveredRange {
                    writer: writer.clone(),
                    from,
                    to: covered,
                });
            }
        }
        (versions, ranges)
    }

    /// Drops keys whose versions are all tombstones that `collectable` allows (every
    /// member holds them, and they are old enough). Returns the tombstones dropped.
    pub(crate) fn collect_tombstones(
        &mut self,
        collectable: impl Fn(&Version) -> bool,
    ) -> Vec<Version> {
        let summary = &self.summary;
        let keys: Vec<String> = self
            .keys
            .iter()
            .filter(|(_, versions)| {
                versions.iter().all(|v| {
                    v.is_tombstone() && v.seq() <= summary.get(&v.writer) && collectable(v)
                })
            })
            .map(|(key, _)| key.clone())
            .collect();
        keys.iter()
            .filter_map(|key| self.keys.remove(key))
            .flatten()
            .collect()
    }
}

/// The deterministic reading order of siblings: the most-informed clock first, then the
/// larger replica id, then the larger value.
fn winner_first(a: &Version, b: &Version) -> Ordering {
    b.clock
        .total()
        .cmp(&a.clock.total())
        .then_with(|| b.writer.cmp(&a.writer))
        .then_with(|| b.value.cmp(&a.value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NodeId;

    fn replica(name: &str) -> ReplicaId {
        ReplicaId::new(NodeId::new(name).unwrap(), 7)
    }

    fn put(store: &mut Store, writer: &str, key: &str, value: &str) -> Version {
        store.write(&replica(writer), key.into(), Some(value.into()))
    }

    #[test]
    fn a_newer_version_replaces_what_it_dominates() {
        let (mut a, mut b) = (Store::default(), Store::default());
        let first = put(&mut a, "a", "k", "1");
        assert_eq!(b.apply(first.clone()), Applied::New { siblings: 1 });
        assert_eq!(b.apply(first.clone()), Applied::Known);
        let second = put(&mut b, "b", "k", "2");
        assert!(second.clock.covers(&first.clock));
        assert_eq!(a.apply(second), Applied::New { siblings: 1 });
        assert_eq!(a.get("k"), Some("2"));
        assert_eq!(a.apply(first), Applied::Known, "older news changes nothing");
    }

    #[test]
    fn concurrent_writes_become_siblings_with_the_same_winner_everywhere() {
        let (mut a, mut b) = (Store::default(), Store::default());
        let from_a = put(&mut a, "a", "k", "left");
        let from_b = put(&mut b, "b", "k", "right");
        assert_eq!(a.apply(from_b.clone()), Applied::New { siblings: 2 });
        assert_eq!(b.apply(from_a.clone()), Applied::New { siblings: 2 });
        assert_eq!(
            a.versions("k"),
            b.versions("k"),
            "same siblings in the same order"
        );
        assert_eq!(a.get("k"), b.get("k"));
        assert_eq!(a.digest(), b.digest());

        let resolved = put(&mut a, "a", "k", "merged");
        assert_eq!(
            b.apply(resolved),
            Applied::New { siblings: 1 },
            "a write that saw both supersedes both"
        );
        assert_eq!(b.get("k"), Some("merged"));
    }

    #[test]
    fn a_delete_is_a_tombstone_that_older_versions_cannot_undo() {
        let (mut a, mut b) = (Store::default(), Store::default());
        let value = put(&mut a, "a", "k", "v");
        b.apply(value.clone());
        let delete = b.write(&replica("b"), "k".into(), None);
        a.apply(delete);
        assert_eq!(a.get("k"), None);
        assert_eq!(a.apply(value), Applied::Known);
        assert_eq!(a.get("k"), None);
        assert_eq!(a.live_keys().count(), 0);
    }

    #[test]
    fn deltas_are_whole_ranges_in_version_order_within_the_budget() {
        let mut source = Store::default();
        for i in 0..20 {
            put(&mut source, "a", &format!("k{i}"), "some value");
        }
        put(&mut source, "a", "k0", "overwritten");
        let mut sink = Store::default();
        let mut rounds = 0;
        while sink.summary() != source.summary() {
            let (versions, ranges) = source.deltas_for(
                sink.summary(),
                200,
                crate::wire::encoded_len,
                crate::wire::encoded_len,
            );
            assert!(!ranges.is_empty(), "progress every round");
            let mut last = 0;
            for version in versions {
                assert!(version.seq() > last, "version order");
                last = version.seq();
                sink.apply(version);
            }
            for range in &ranges {
                sink.cover(range);
            }
            rounds += 1;
        }
        assert!(rounds > 1, "the budget split the work");
        assert_eq!(sink.digest(), source.digest());
        assert_eq!(sink.get("k0"), Some("overwritten"));
    }

    #[test]
    fn tombstones_are_collected_only_when_everyone_has_them() {
        let mut store = Store::default();
        put(&mut store, "a", "gone", "v");
        store.write(&replica("a"), "gone".into(), None);
        put(&mut store, "a", "kept", "v");
        assert!(store.collect_tombstones(|_| false).is_empty());
        let collected = store.collect_tombstones(|_| true);
        assert_eq!(collected.len(), 1);
        assert_eq!(collected[0].key, "gone");
        assert_eq!(store.len(), 1);
        let stale = Version {
            key: "gone".into(),
            value: Some("v".into()),
            clock: {
                let mut c = VectorClock::default();
                c.observe(&replica("a"), 1);
                c
            },
            writer: replica("a"),
        };
        assert_eq!(
            store.apply(stale),
            Applied::Known,
            "below the summary: the key stays gone"
        );
    }

    /// Property tests of the summary's fingerprint (proptest runs natively only).
    #[cfg(not(target_arch = "wasm32"))]
    mod summary_fingerprint {
        use super::*;

        /// The fingerprint as the definition gives it, from the whole summary.
        fn fingerprint_of(summary: &VectorClock) -> u32 {
            let sum = summary.iter().fold(0u64, |sum, (writer, seq)| {
                sum.wrapping_add(summary_entry_hash(writer, seq))
            });
            (sum ^ (sum >> 32)) as u32
        }

        /// What a test does to one of three stores.
        #[derive(Clone, Debug)]
        enum Step {
            Write {
                store: usize,
                writer: usize,
                key: u8,
                delete: bool,
            },
            Apply {
                from: usize,
                to: usize,
                nth: usize,
            },
            Cover {
                store: usize,
                writer: usize,
                from: u64,
                to: u64,
            },
            Merge {
                from: usize,
                to: usize,
            },
        }

        fn step() -> impl proptest::strategy::Strategy<Value = Step> {
            use proptest::prelude::*;
            prop_oneof![
                (0..3usize, 0..3usize, 0..4u8, any::<bool>()).prop_map(
                    |(store, writer, key, delete)| Step::Write {
                        store,
                        writer,
                        key,
                        delete
                    }
                ),
                (0..3usize, 0..3usize, any::<usize>()).prop_map(|(from, to, nth)| Step::Apply {
                    from,
                    to,
                    nth
                }),
                (0..3usize, 0..3usize, 0..6u64, 0..6u64).prop_map(|(store, writer, from, to)| {
                    Step::Cover {
                        store,
                        writer,
                        from,
                        to,
                    }
                }),
                (0..3usize, 0..3usize).prop_map(|(from, to)| Step::Merge { from, to }),
            ]
        }

        proptest::proptest! {
            /// The fingerprint kept as the summary grows is the one the whole summary gives,
            /// also after a store is saved and loaded; equal summaries have equal ones, and
            /// (in these small cases, where 2^-32 does not come up) different ones differ.
            #[test]
            fn the_summary_fingerprint_follows_the_summary(
                steps in proptest::collection::vec(step(), 1..40),
            ) {
                let writers = ["a", "b", "c"].map(replica);
                let mut stores = [Store::default(), Store::default(), Store::default()];
                for step in steps {
                    match step {
                        Step::Write { store, writer, key, delete } => {
                            let value = (!delete).then(|| "v".to_string());
                            stores[store].write(&writers[writer], format!("k{key}"), value);
                        }
                        Step::Apply { from, to, nth } => {
                            let versions: Vec<Version> =
                                stores[from].iter().flat_map(|(_, v)| v.iter().cloned()).collect();
                            if !versions.is_empty() {
                                stores[to].apply(versions[nth % versions.len()].clone());
                            }
                        }
                        Step::Cover { store, writer, from, to } => {
                            let writer = writers[writer].clone();
                            stores[store].cover(&CoveredRange { writer, from, to });
                        }
                        Step::Merge { from, to } => {
                            let other = stores[from].clone();
                            stores[to].merge(&other);
                        }
                    }
                    for store in &stores {
                        proptest::prop_assert_eq!(
                            store.summary_fingerprint(),
                            fingerprint_of(store.summary())
                        );
                        let loaded: Store =
                            postcard::from_bytes(&postcard::to_allocvec(store).unwrap()).unwrap();
                        proptest::prop_assert_eq!(loaded.summary_fingerprint(), store.summary_fingerprint());
                    }
                    for (a, b) in [(0, 1), (1, 2), (0, 2)] {
                        let same_summary = stores[a].summary() == stores[b].summary();
                        let same_fingerprint =
                            stores[a].summary_fingerprint() == stores[b].summary_fingerprint();
                        proptest::prop_assert_eq!(same_summary, same_fingerprint);
                    }
                }
            }
        }
    }

    /// Members compare fingerprints made by other builds and on other platforms (the
    /// lab's wasm32 beside native agents): the hash is pinned here, and in wasm32 by
    /// `sim/tests/wasm.rs`.
    #[test]
    fn the_summary_fingerprint_is_pinned() {
        let mut store = Store::default();
        put(&mut store, "a", "k", "v");
        put(&mut store, "b", "k", "w");
        assert_eq!(store.summary_fingerprint(), 2_845_716_436);
    }

    #[test]
    fn an_empty_summary_has_the_fingerprint_zero() {
        assert_eq!(Store::default().summary_fingerprint(), 0);
        let mut store = Store::default();
        put(&mut store, "a", "k", "v");
        assert_ne!(store.summary_fingerprint(), 0);
    }

    /// Counters come from the network: two near the end, in one clock, order siblings
    /// without overflowing their sum.
    #[test]
    fn siblings_with_counters_near_the_end_are_ordered_without_overflow() {
        let replica = |name: &str| ReplicaId::new(NodeId::new(name).unwrap(), 1);
        let mut store = Store::default();
        let mut big = VectorClock::default();
        big.observe(&replica("x"), u64::MAX - 1);
        big.observe(&replica("y"), u64::MAX - 1);
        store.apply(Version {
            key: "k".into(),
            value: Some("big".into()),
            clock: big,
            writer: replica("x"),
        });
        let mut small = VectorClock::default();
        small.observe(&replica("z"), 1);
        store.apply(Version {
            key: "k".into(),
            value: Some("small".into()),
            clock: small,
            writer: replica("z"),
        });
        let values: Vec<_> = store
            .versions("k")
            .unwrap()
            .iter()
            .map(|v| v.value.as_deref())
            .collect();
        assert_eq!(
            values,
            [Some("big"), Some("small")],
            "the most-informed first"
        );
    }
}
