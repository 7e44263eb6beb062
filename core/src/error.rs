//! The one error type at the core's boundary.
//!
//! Every variant says whether the node's state changed. Malformed input is always an
//! error and never a panic: a bad packet is counted and dropped and nothing else happens.

use core::fmt;

/// What went wrong while decoding a datagram. The packet is dropped; no state changed
/// except the node's `decode_errors` counter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The datagram had no bytes at all.
    Empty,
    /// The first byte names a wire version this build does not speak.
    UnsupportedVersion(u8),
    /// The datagram is longer than any packet a peer may send.
    TooLarge { len: usize, max: usize },
    /// The body does not decode as a packet.
    Malformed(String),
    /// A packet decoded but bytes were left over, so it was not what the sender meant.
    TrailingBytes(usize),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => f.write_str("empty datagram"),
            DecodeError::UnsupportedVersion(v) => write!(f, "unsupported wire version {v}"),
            DecodeError::TooLarge { len, max } => {
                write!(f, "datagram of {len} bytes exceeds the {max}-byte limit")
            }
            DecodeError::Malformed(why) => write!(f, "malformed packet: {why}"),
            DecodeError::TrailingBytes(n) => write!(f, "{n} unexpected bytes after the packet"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Errors returned by [`Node`](crate::Node) and the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A received datagram could not be decoded. State unchanged (only counted).
    #[error("could not decode packet: {0}")]
    Decode(#[from] DecodeError),
    /// A node name was rejected. Nothing was created.
    #[error("invalid node name: {0}")]
    InvalidNodeId(String),
    /// The configuration is unsafe or inconsistent. Nothing was created.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A key or value is larger than the configured limit. Nothing was stored.
    #[error("{what} is {len} bytes, over the limit of {max}")]
    TooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// Tags out of bounds. Nothing changed.
    #[error("invalid tags: {0}")]
    BadTag(String),
    /// A key must have at least one byte. Nothing was stored.
    #[error("a key must not be empty")]
    EmptyKey,
    /// The node has left the cluster and takes no more writes. Nothing was stored.
    #[error("this node has left the cluster")]
    Left,
    /// A user event's name was refused. Nothing was sent.
    #[error("{0}")]
    BadUserEvent(String),
    /// Too much is waiting to leave this node to take more now; try again shortly.
    /// Nothing was sent.
    #[error("{0}")]
    Busy(String),
    /// A member this node does not hold was named. Nothing changed.
    #[error("no member {0} is known here")]
    UnknownMember(String),
    /// Only a member held dead can be made to leave on its behalf; this one is
    /// running, as far as this node knows. Nothing changed.
    #[error(
        "{0} is not dead here: only a member held dead can be made to leave (a running agent leaves with `gossip leave`)"
    )]
    NotDead(String),
}
