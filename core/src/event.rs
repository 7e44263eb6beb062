//! What a node tells its application (and the lab) through `poll_event`.

use core::fmt;
use core::net::SocketAddr;

use crate::{Incarnation, NodeId, ReplicaId, Tags};

/// Something the application may want to react to.
///
/// As JSON (the agent's event stream, its recordings, its event handlers' input) an
/// event is one flat object named by its `kind`, the name the agent's stream gives it:
/// `{"kind":"dead","id":"n3","incarnation":2}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// This node got its first answer from the cluster and is now a member.
    JoinedCluster,
    /// A member this node did not know is alive.
    #[serde(rename = "joined")]
    MemberJoined { id: NodeId, addr: SocketAddr },
    /// A member missed a probe (here or elsewhere) and is suspected.
    #[serde(rename = "suspected")]
    MemberSuspected {
        id: NodeId,
        incarnation: Incarnation,
    },
    /// A suspected or dead member proved it is alive with a higher incarnation.
    #[serde(rename = "alive")]
    MemberAlive {
        id: NodeId,
        incarnation: Incarnation,
    },
    /// A suspicion ran out without refutation: the member is considered failed.
    #[serde(rename = "dead")]
    MemberDead {
        id: NodeId,
        incarnation: Incarnation,
    },
    /// A member left the cluster on purpose.
    #[serde(rename = "left")]
    MemberLeft { id: NodeId },
    /// A dead or departed member was forgotten after `reap_after`.
    #[serde(rename = "removed")]
    MemberRemoved { id: NodeId },
    /// Somebody suspected this node; it raised its incarnation to refute it.
    Refuted { incarnation: Incarnation },
    /// Lifeguard's Local Health score changed: above 0 this node believes it is the slow
    /// one and stretches its probe interval and timeout by `1 + score`.
    #[serde(rename = "local_health")]
    LocalHealthChanged { score: u32 },
    /// A key has a new version on this node (`value: None`: deleted).
    KeyChanged {
        key: String,
        value: Option<String>,
        writer: ReplicaId,
    },
    /// Concurrent writes to a key now stand side by side as siblings.
    Conflict { key: String, siblings: usize },
    /// A member is claimed from two addresses: this node holds `id` at `held` (its own
    /// address, if `id` is this node), keeps it there, and heard it alive at `claimed`
    /// at the same incarnation or, about itself, a later one. Either a second process
    /// uses the name (names must be unique), or the member restarted at a new address
    /// before the others noticed. Each claim is reported once.
    NameConflict {
        id: NodeId,
        held: SocketAddr,
        claimed: SocketAddr,
    },
    /// The store this node had before it restarted `tombstone_grace` or more after it
    /// last heard from the cluster, held aside until it caught up with its peers, is taken
    /// back: `added` versions the cluster did not hold (they spread from here);
    /// `forgotten` ones of keys the cluster deleted and has since forgotten, which are
    /// dropped rather than brought back. The rest were held already.
    StoreTakenBack { added: usize, forgotten: usize },
    /// The tags this node holds for a member it knew already changed: set, changed or
    /// removed, with alive news at a newer incarnation; or, for a member first heard of
    /// through news that carries none (a suspicion), learned at the same one while it is
    /// held alive or suspect. `tags` are the new ones.
    /// After the kinds older than it, so that each of those keeps its hash in trace
    /// digests (as every kind added later does).
    #[serde(rename = "updated")]
    MemberUpdated {
        id: NodeId,
        incarnation: Incarnation,
        tags: Tags,
    },
    /// A user event, heard for the first time (sent from here, or by `origin`): see
    /// [`Node::send_user_event`](crate::Node::send_user_event).
    #[serde(rename = "user")]
    UserEvent {
        origin: NodeId,
        name: String,
        payload: String,
    },
}

impl Event {
    /// The member whose entry in the reporting node's member table this event is news
    /// of, if it is about one: a driver keeping its own picture of the tables reads
    /// just that entry again.
    pub fn member(&self) -> Option<&NodeId> {
        match self {
            Event::MemberJoined { id, .. }
            | Event::MemberSuspected { id, .. }
            | Event::MemberAlive { id, .. }
            | Event::MemberDead { id, .. }
            | Event::MemberUpdated { id, .. }
            | Event::MemberLeft { id }
            | Event::MemberRemoved { id } => Some(id),
            Event::JoinedCluster
            | Event::Refuted { .. }
            | Event::LocalHealthChanged { .. }
            | Event::KeyChanged { .. }
            | Event::Conflict { .. }
            | Event::NameConflict { .. }
            | Event::StoreTakenBack { .. }
            | Event::UserEvent { .. } => None,
        }
    }
}

/// One line, from the reporting node's point of view ("suspects n3 (inc 0)").
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::JoinedCluster => write!(f, "joined the cluster"),
            Event::MemberJoined { id, .. } => write!(f, "learned of {id}"),
            Event::MemberSuspected { id, incarnation } => {
                write!(f, "suspects {id} (inc {incarnation})")
            }
            Event::MemberAlive { id, incarnation } => {
                write!(f, "sees {id} alive again (inc {incarnation})")
            }
            Event::MemberDead { id, incarnation } => {
                write!(f, "declares {id} dead (inc {incarnation})")
            }
            Event::MemberUpdated { id, tags, .. } if tags.is_empty() => {
                write!(f, "sees {id} without tags")
            }
            Event::MemberUpdated { id, tags, .. } => write!(f, "sees {id} tagged {tags}"),
            Event::MemberLeft { id } => write!(f, "saw {id} leave"),
            Event::MemberRemoved { id } => write!(f, "forgot {id}"),
            Event::Refuted { incarnation } => {
                write!(
                    f,
                    "refuted being held suspect or dead (now inc {incarnation})"
                )
            }
            Event::LocalHealthChanged { score } => write!(f, "local health score now {score}"),
            Event::KeyChanged {
                key,
                value: Some(value),
                writer,
            } => {
                write!(f, "{key} = {value:?} (written by {writer})")
            }
            Event::KeyChanged {
                key,
                value: None,
                writer,
            } => {
                write!(f, "{key} deleted (by {writer})")
            }
            Event::Conflict { key, siblings } => {
                write!(f, "{key} has {siblings} concurrent versions")
            }
            Event::NameConflict { id, held, claimed } => {
                write!(f, "heard {id} claimed at {claimed}, held at {held}")
            }
            Event::UserEvent {
                origin,
                name,
                payload,
            } if payload.is_empty() => write!(f, "heard event {name:?} from {origin}"),
            Event::UserEvent {
                origin,
                name,
                payload,
            } => write!(f, "heard event {name:?} from {origin}: {payload:?}"),
            Event::StoreTakenBack { added, forgotten } => write!(
                f,
                "took back its store from before the restart: {added} versions added, {forgotten} of keys deleted meanwhile dropped"
            ),
        }
    }
}
