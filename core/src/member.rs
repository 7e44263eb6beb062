//! A member as one node sees it, and the SWIM rules for which news about it wins.

use core::fmt;
use core::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::{Instant, NodeId, Tags};

/// A member's incarnation number: only the member itself raises it, to refute a
/// suspicion (SWIM section 4.2) or to come back after a restart.
pub type Incarnation = u32;

/// What a node believes about another member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberState {
    /// Answering probes, as far as this node knows.
    Alive,
    /// Missed a probe; will be declared dead unless it refutes in time.
    Suspect,
    /// Confirmed failed: the suspicion timed out without refutation.
    Dead,
    /// Left the cluster on purpose; never suspected afterwards.
    Left,
}

impl MemberState {
    /// Every state, in declaration order.
    pub const ALL: [MemberState; 4] = [
        MemberState::Alive,
        MemberState::Suspect,
        MemberState::Dead,
        MemberState::Left,
    ];

    /// Lower-case name, as the lab and the CLI show it.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberState::Alive => "alive",
            MemberState::Suspect => "suspect",
            MemberState::Dead => "dead",
            MemberState::Left => "left",
        }
    }

    /// Whether a member in this state is still taking part (probed, gossiped to).
    pub fn is_active(self) -> bool {
        matches!(self, MemberState::Alive | MemberState::Suspect)
    }
}

impl fmt::Display for MemberState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of a node's member table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's name.
    pub id: NodeId,
    /// Where it was last reachable.
    pub addr: SocketAddr,
    /// The highest incarnation heard of.
    pub incarnation: Incarnation,
    /// What this node believes.
    pub state: MemberState,
    /// When `state` last changed, on this node's clock.
    pub state_since: Instant,
}

/// A piece of membership news, as spread by gossip and full-state exchanges.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberUpdate {
    /// Whom the news is about.
    pub id: NodeId,
    /// Where that member can be reached.
    pub addr: SocketAddr,
    /// The incarnation the news refers to.
    pub incarnation: Incarnation,
    /// The claimed state.
    pub state: MemberState,
    /// Who raised this suspicion, so that Lifeguard can count independent
    /// confirmations; `None` for other news and in full-state exchanges.
    pub accuser: Option<NodeId>,
    /// The member's tags at this incarnation, carried with alive news; empty in other
    /// news (and for members without tags).
    pub tags: Tags,
}

impl MemberUpdate {
    /// Whether this news supersedes what is currently believed, by SWIM's precedence
    /// rules (section 4.2, as refined by memberlist for departed members):
    ///
    /// * `Alive(i)` overrides `Alive(j)`, `Suspect(j)`, `Dead(j)` and `Left(j)` when `i > j`
    ///   (a higher incarnation is the member's own word, even after a restart);
    /// * `Suspect(i)` overrides `Alive(j)` when `i >= j` and `Suspect(j)` when `i > j`;
    /// * `Dead(i)` and `Left(i)` override `Alive(j)` and `Suspect(j)` when `i >= j`;
    ///   a departure is never overridden by a death at the same incarnation.
    pub fn overrides(&self, current: &Member) -> bool {
        supersedes(
            (self.state, self.incarnation),
            (current.state, current.incarnation),
        )
    }
}

/// Whether news that a member is in a state at an incarnation supersedes the state and
/// incarnation held: the rule of [`MemberUpdate::overrides`], for news not (yet) built
/// into an update.
pub(crate) fn supersedes(
    (state, i): (MemberState, Incarnation),
    (held, j): (MemberState, Incarnation),
) -> bool {
    use MemberState::*;
    match (state, held) {
        (Alive, _) => i > j,
        (Suspect, Alive) => i >= j,
        (Suspect, Suspect) => i > j,
        (Suspect, Dead | Left) => false,
        (Dead, Alive | Suspect) | (Left, Alive | Suspect) => i >= j,
        (Left, Dead) => i >= j,
        (Dead, Dead | Left) | (Left, Left) => false,
    }
}

impl MemberUpdate {
    /// The member-table entry this news makes, in its state since `since`.
    pub fn into_member(self, since: Instant) -> Member {
        Member {
            id: self.id,
            addr: self.addr,
            incarnation: self.incarnation,
            state: self.state,
            state_since: since,
        }
    }
}

impl From<&Member> for MemberUpdate {
    fn from(member: &Member) -> Self {
        MemberUpdate {
            id: member.id.clone(),
            addr: member.addr,
            incarnation: member.incarnation,
            state: member.state,
            accuser: None,
            tags: Tags::none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemberState::*;

    fn member(state: MemberState, incarnation: Incarnation) -> Member {
        Member {
            id: NodeId::new("m").unwrap(),
            addr: "10.0.0.1:7946".parse().unwrap(),
            incarnation,
            state,
            state_since: Instant::ZERO,
        }
    }

    fn news(state: MemberState, incarnation: Incarnation) -> MemberUpdate {
        MemberUpdate::from(&member(state, incarnation))
    }

    #[test]
    fn alive_needs_a_higher_incarnation() {
        assert!(!news(Alive, 3).overrides(&member(Alive, 3)));
        assert!(news(Alive, 4).overrides(&member(Suspect, 3)));
        assert!(!news(Alive, 3).overrides(&member(Suspect, 3)));
        assert!(
            news(Alive, 4).overrides(&member(Dead, 3)),
            "restart comes back"
        );
    }

    #[test]
    fn suspicion_beats_alive_at_the_same_incarnation() {
        assert!(news(Suspect, 3).overrides(&member(Alive, 3)));
        assert!(!news(Suspect, 2).overrides(&member(Alive, 3)));
        assert!(!news(Suspect, 3).overrides(&member(Suspect, 3)));
        assert!(news(Suspect, 4).overrides(&member(Suspect, 3)));
        assert!(!news(Suspect, 9).overrides(&member(Dead, 3)));
    }

    #[test]
    fn death_and_departure_are_final_for_their_incarnation() {
        assert!(news(Dead, 3).overrides(&member(Alive, 3)));
        assert!(news(Dead, 3).overrides(&member(Suspect, 3)));
        assert!(!news(Dead, 2).overrides(&member(Suspect, 3)));
        assert!(!news(Dead, 5).overrides(&member(Left, 3)));
        assert!(news(Left, 3).overrides(&member(Dead, 3)));
        assert!(news(Left, 3).overrides(&member(Alive, 3)));
    }
}
