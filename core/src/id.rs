//! Who a member is, as opposed to where it is.
//!
//! A [`NodeId`] is the stable name a member keeps across restarts ("n1", "db-7"); its
//! [`SocketAddr`](core::net::SocketAddr) is where it can be reached right now. Keeping
//! the two apart lets a member restart on a new port and still be recognised, and lets
//! the simulator give virtual addresses to named nodes.

use core::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

/// The longest name a member may have, in bytes. Names travel in every packet, so they
/// are kept short.
pub const MAX_NODE_ID_LEN: usize = 64;

/// A member's stable name. Cheap to clone: names of up to [`INLINE_NAME_LEN`] bytes
/// (most names: "n17", "db-7.dc2") are stored inline and copied, longer ones are
/// shared. Every packet names its sender and most name a member, so decoding one
/// allocates nothing for names that short.
#[derive(Clone)]
pub struct NodeId(Repr);

/// The longest name kept inline in a [`NodeId`].
pub const INLINE_NAME_LEN: usize = 14;

/// A name's storage. A name is inline exactly when it fits, so two equal names always
/// have the same representation. 16 bytes either way.
#[derive(Clone)]
enum Repr {
    Inline {
        len: u8,
        bytes: [u8; INLINE_NAME_LEN],
    },
    Shared(Arc<Box<str>>),
}

impl NodeId {
    /// Checks and wraps a name: 1 to [`MAX_NODE_ID_LEN`] bytes, no control characters.
    pub fn new(name: &str) -> Result<Self, Error> {
        if name.is_empty() || name.len() > MAX_NODE_ID_LEN {
            return Err(Error::InvalidNodeId(format!(
                "a node name must be 1 to {MAX_NODE_ID_LEN} bytes long, got {}",
                name.len()
            )));
        }
        let has_control = if name.is_ascii() {
            name.bytes().any(|b| b.is_ascii_control())
        } else {
            name.chars().any(char::is_control)
        };
        if has_control {
            return Err(Error::InvalidNodeId(format!(
                "a node name must not contain control characters: {name:?}"
            )));
        }
        if name.len() > INLINE_NAME_LEN {
            return Ok(NodeId(Repr::Shared(Arc::new(Box::from(name)))));
        }
        let mut bytes = [0; INLINE_NAME_LEN];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Ok(NodeId(Repr::Inline {
            len: name.len() as u8,
            bytes,
        }))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        // Only `new` builds a name, from a `&str` cut at its length: this never fails.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The name's bytes, for comparing and hashing without checking them again.
    fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Shared(name) => name.as_bytes(),
        }
    }
}

impl PartialEq for NodeId {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for NodeId {}

impl PartialOrd for NodeId {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NodeId {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl core::hash::Hash for NodeId {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for NodeId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        NodeId::new(s)
    }
}

impl Serialize for NodeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NodeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <&str>::deserialize(deserializer)?;
        NodeId::new(name).map_err(serde::de::Error::custom)
    }
}

/// One life of a writer: the node's name plus an epoch drawn at random when the node
/// starts. A node that restarts with fresh state writes as a new replica, so its new
/// writes can never be mistaken for the ones it made before.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReplicaId {
    pub node: NodeId,
    pub epoch: u32,
}

impl ReplicaId {
    pub fn new(node: NodeId, epoch: u32) -> Self {
        ReplicaId { node, epoch }
    }
}

/// `n3.1f2e`: the name and the epoch in hex.
impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:x}", self.node, self.epoch)
    }
}

impl fmt::Debug for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_long_and_control_names() {
        assert!(NodeId::new("").is_err());
        assert!(NodeId::new(&"x".repeat(MAX_NODE_ID_LEN + 1)).is_err());
        assert!(NodeId::new("bad\nname").is_err());
        assert_eq!(NodeId::new("n1").unwrap().as_str(), "n1");
    }

    #[test]
    fn short_and_long_names_behave_alike() {
        assert_eq!(core::mem::size_of::<NodeId>(), 16);
        let names = [
            "a",
            "n10000",
            "exactly-14-byt",
            "fifteen-bytes-x",
            "ünïcode-name",
            "z",
        ];
        let ids: Vec<NodeId> = names.iter().map(|n| NodeId::new(n).unwrap()).collect();
        for (name, id) in names.iter().zip(&ids) {
            assert_eq!(id.as_str(), *name);
            assert_eq!(id.to_string(), *name);
            assert_eq!(*id, NodeId::new(name).unwrap());
            assert_eq!(id.clone(), *id);
        }
        let mut sorted = ids.clone();
        sorted.sort();
        let mut by_text = names.to_vec();
        by_text.sort();
        let sorted_names: Vec<&str> = sorted.iter().map(NodeId::as_str).collect();
        assert_eq!(sorted_names, by_text);
        assert_ne!(ids[2], ids[3]);
    }
}
