//! The simulator's one error type: the core's errors, plus what only a simulation can
//! get wrong.

/// Errors returned by [`Simulation`](crate::Simulation) and its drivers. Every variant
/// leaves the simulation as it was.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The core refused: a bad node name, a bad configuration, a key too large, a node
    /// that has left.
    #[error(transparent)]
    Core(#[from] gossip_core::Error),
    /// No node of that name, or it is not running.
    #[error("no running node named {0}")]
    UnknownNode(String),
    /// A node of that name already exists.
    #[error("a node named {0} already exists")]
    DuplicateNode(String),
    /// A trace asks for more than a replay will do. Nothing was run.
    #[error("invalid trace: {0}")]
    InvalidTrace(String),
}
