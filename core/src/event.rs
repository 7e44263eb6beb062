//! What a node tells its application (and the lab) through `poll_event`.

use core::net::SocketAddr;

use crate::{Incarnation, NodeId};

/// Something the application may want to react to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// This node got its first answer from the cluster and is now a member.
    JoinedCluster,
    /// A member this node did not know is alive.
    MemberJoined { id: NodeId, addr: SocketAddr },
    /// A member missed a probe (here or elsewhere) and is suspected.
    MemberSuspected {
        id: NodeId,
        incarnation: Incarnation,
    },
    /// A suspected or dead member proved it is alive with a higher incarnation.
    MemberAlive {
        id: NodeId,
        incarnation: Incarnation,
    },
    /// A suspicion ran out without refutation: the member is considered failed.
    MemberDead {
        id: NodeId,
        incarnation: Incarnation,
    },
    /// A member left the cluster on purpose.
    MemberLeft { id: NodeId },
    /// A dead or departed member was forgotten after `reap_after`.
    MemberRemoved { id: NodeId },
    /// Somebody suspected this node; it raised its incarnation to refute it.
    Refuted { incarnation: Incarnation },
    /// A key now has a new value on this node.
    KeyUpdated {
        key: String,
        value: String,
        writer: NodeId,
    },
}
