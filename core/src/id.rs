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

/// A member's stable name. Cheap to clone (shared string).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(Arc<str>);

impl NodeId {
    /// Checks and wraps a name: 1 to [`MAX_NODE_ID_LEN`] bytes, no control characters.
    pub fn new(name: &str) -> Result<Self, Error> {
        if name.is_empty() || name.len() > MAX_NODE_ID_LEN {
            return Err(Error::InvalidNodeId(format!(
                "a node name must be 1 to {MAX_NODE_ID_LEN} bytes long, got {}",
                name.len()
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(Error::InvalidNodeId(format!(
                "a node name must not contain control characters: {name:?}"
            )));
        }
        Ok(NodeId(Arc::from(name)))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
        serializer.serialize_str(&self.0)
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
}
