//! Counters a node keeps about its own traffic and protocol work.

use crate::Duration;
use crate::wire::MessageKind;

/// Messages and bytes, per message kind.
///
/// A kind's two counters sit side by side, so that counting a datagram touches one
/// cache line of its node rather than two: in a simulated cluster of a thousand nodes
/// a node's counters are cold whenever it sends or receives (docs/PERFORMANCE.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrafficCounts {
    by_kind: [KindTraffic; MessageKind::ALL.len()],
}

/// Messages of one kind and their bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct KindTraffic {
    messages: u64,
    bytes: u64,
}

impl TrafficCounts {
    pub(crate) fn count(&mut self, kind: MessageKind, bytes: usize) {
        let traffic = &mut self.by_kind[kind.index()];
        traffic.messages += 1;
        traffic.bytes += bytes as u64;
    }

    /// Messages of one kind.
    pub fn messages_of(&self, kind: MessageKind) -> u64 {
        self.by_kind[kind.index()].messages
    }

    /// Bytes of one kind.
    pub fn bytes_of(&self, kind: MessageKind) -> u64 {
        self.by_kind[kind.index()].bytes
    }

    /// All messages.
    pub fn total_messages(&self) -> u64 {
        self.by_kind.iter().map(|traffic| traffic.messages).sum()
    }

    /// All bytes.
    pub fn total_bytes(&self) -> u64 {
        self.by_kind.iter().map(|traffic| traffic.bytes).sum()
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
    /// Pings sent to check an address before sending it a full state.
    pub address_checks: u64,
    /// Address checks answered in time, each followed by the full state owed.
    pub address_checks_passed: u64,
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
    /// Writes that arrived concurrent with the version held, leaving siblings.
    pub conflicts: u64,
    /// User events sent from this node.
    pub user_events_sent: u64,
    /// User events heard here, each once, those sent from here included.
    pub user_events_heard: u64,
    /// User events this node dropped unsent, before it had passed them on as often as
    /// news is ([`crate::user_event::QUEUED_FOR`] after hearing them), while it had
    /// members to pass them to: gossip rounds too few for the events waiting, and a
    /// sign that some members may not hear them.
    pub user_events_expired: u64,
    /// Time from each probe's ping to its first ack, direct or relayed.
    pub probe_rtt: RttHistogram,
}

/// Round-trip times in fixed buckets, as a Prometheus histogram keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RttHistogram {
    /// How many fell at or below each of [`RttHistogram::BOUNDS_MS`] and not below
    /// the one before; the last slot counts those above every bound.
    pub buckets: [u64; RttHistogram::BOUNDS_MS.len() + 1],
    pub sum: Duration,
    pub count: u64,
}

impl RttHistogram {
    /// Upper bounds of the buckets, in milliseconds: loopback to a slow WAN.
    pub const BOUNDS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

    pub(crate) fn record(&mut self, rtt: Duration) {
        let ms = rtt.as_millis();
        let bucket = Self::BOUNDS_MS
            .iter()
            .position(|&bound| ms <= bound)
            .unwrap_or(Self::BOUNDS_MS.len());
        self.buckets[bucket] += 1;
        self.sum = self.sum + rtt;
        self.count += 1;
    }

    /// How many fell at or below each bound (Prometheus' `le` buckets), then the total.
    pub fn cumulative(&self) -> impl Iterator<Item = u64> + '_ {
        self.buckets.iter().scan(0, |total, count| {
            *total += count;
            Some(*total)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_is_counted_per_kind_in_messages_and_bytes() {
        let mut traffic = TrafficCounts::default();
        traffic.count(MessageKind::Ping, 40);
        traffic.count(MessageKind::Ping, 60);
        traffic.count(MessageKind::Ack, 30);
        assert_eq!(traffic.messages_of(MessageKind::Ping), 2);
        assert_eq!(traffic.bytes_of(MessageKind::Ping), 100);
        assert_eq!(traffic.messages_of(MessageKind::Ack), 1);
        assert_eq!(traffic.bytes_of(MessageKind::Ack), 30);
        assert_eq!(traffic.messages_of(MessageKind::Sync), 0);
        assert_eq!(traffic.total_messages(), 3);
        assert_eq!(traffic.total_bytes(), 130);
    }

    #[test]
    fn round_trips_fall_into_cumulative_buckets() {
        let mut rtt = RttHistogram::default();
        for ms in [0, 1, 3, 3, 700, 5000] {
            rtt.record(Duration::from_millis(ms));
        }
        assert_eq!(rtt.count, 6);
        assert_eq!(rtt.sum, Duration::from_millis(5707));
        let cumulative: Vec<u64> = rtt.cumulative().collect();
        assert_eq!(cumulative, vec![2, 2, 4, 4, 4, 4, 4, 4, 4, 5, 6]);
    }
}
