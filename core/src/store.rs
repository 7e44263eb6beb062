//! The replicated key/value store, last-writer-wins by Lamport timestamp.
//!
//! Every write carries `(version, writer)`; the larger pair wins on every node, so all
//! nodes that saw the same writes agree. Writes spread as piggybacked updates.

use std::collections::BTreeMap;

use crate::NodeId;
use crate::wire::KvUpdate;

/// One key's current value and the version that put it there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub value: String,
    pub version: u64,
    pub writer: NodeId,
}

/// A node's copy of the store.
#[derive(Clone, Debug, Default)]
pub struct Store {
    entries: BTreeMap<String, Entry>,
    /// The largest version seen, so a local write is ordered after everything known.
    clock: u64,
}

impl Store {
    /// The value of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// All keys in order, with their entries.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Records a local write and returns the update to spread.
    pub(crate) fn write(&mut self, writer: &NodeId, key: String, value: String) -> KvUpdate {
        self.clock += 1;
        let update = KvUpdate {
            key,
            value,
            version: self.clock,
            writer: writer.clone(),
        };
        self.apply(&update);
        update
    }

    /// Applies a write heard from elsewhere; true when it changed the store.
    pub(crate) fn apply(&mut self, update: &KvUpdate) -> bool {
        self.clock = self.clock.max(update.version);
        let newer = match self.entries.get(&update.key) {
            Some(current) => (update.version, &update.writer) > (current.version, &current.writer),
            None => true,
        };
        if newer {
            self.entries.insert(
                update.key.clone(),
                Entry {
                    value: update.value.clone(),
                    version: update.version,
                    writer: update.writer.clone(),
                },
            );
        }
        newer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> NodeId {
        NodeId::new(name).unwrap()
    }

    #[test]
    fn later_writes_win_and_ties_break_by_writer() {
        let mut a = Store::default();
        let first = a.write(&id("a"), "k".into(), "1".into());
        let mut b = Store::default();
        assert!(b.apply(&first));
        let second = b.write(&id("b"), "k".into(), "2".into());
        assert!(
            second.version > first.version,
            "b's clock moved past a's write"
        );
        assert!(a.apply(&second));
        assert!(!a.apply(&first), "an older write changes nothing");
        assert_eq!(a.get("k").unwrap().value, "2");

        let mut c = Store::default();
        let tie_low = KvUpdate {
            key: "t".into(),
            value: "x".into(),
            version: 5,
            writer: id("a"),
        };
        let tie_high = KvUpdate {
            writer: id("z"),
            value: "y".into(),
            ..tie_low.clone()
        };
        c.apply(&tie_high);
        c.apply(&tie_low);
        assert_eq!(c.get("t").unwrap().value, "y");
    }
}
