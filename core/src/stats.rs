//! Counters a node keeps about its own traffic and protocol work.

use crate::wire::MessageKind;

/// Messages and bytes, per message kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrafficCounts {
    pub messages: [u64; MessageKind::ALL.len()],
    pub bytes: [u64; MessageKind::ALL.len()],
}

impl TrafficCounts {
    pub(crate) fn count(&mut self, kind: MessageKind, bytes: usize) {
        self.messages[kind.index()] += 1;
        self.bytes[kind.index()] += bytes as u64;
    }

    /// Messages of one kind.
    pub fn messages_of(&self, kind: MessageKind) -> u64 {
        self.messages[kind.index()]
    }

    /// All messages.
    pub fn total_messages(&self) -> u64 {
        self.messages.iter().sum()
    }

    /// All bytes.
    pub fn total_bytes(&self) -> u64 {
        self.bytes.iter().sum()
    }
}

/// A node's statistics since it started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub sent: TrafficCounts,
    pub received: TrafficCounts,
    /// Probes started (one per protocol period with someone to probe).
    pub probes: u64,
    /// Probes that got no ack, direct or relayed, within the period.
    pub failed_probes: u64,
    /// Probes that needed witnesses.
    pub indirect_probes: u64,
    /// Nacks received from witnesses (Lifeguard).
    pub nacks_received: u64,
    /// Suspicions about this node that it refuted.
    pub refutations: u64,
    /// Datagrams that failed to decode.
    pub decode_errors: u64,
    /// Rumors this node started (its own writes and versions it learned as rumors).
    pub rumors_started: u64,
    /// Versions sent in rumor messages (Demers' update traffic).
    pub rumor_versions_sent: u64,
    /// Rumor versions received that were new here.
    pub rumor_useful: u64,
    /// Rumor versions received that were already known here.
    pub rumor_redundant: u64,
    /// Versions learned through anti-entropy deltas.
    pub anti_entropy_versions: u64,
    /// Tombstones collected once every member held them.
    pub tombstones_collected: u64,
}
