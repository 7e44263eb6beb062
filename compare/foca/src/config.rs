//! foca's settings chosen to match one of our presets field by field (in practice
//! `gossip_core::Config::lan(n)`, which is what `gossip sim bench` runs).
//!
//! | ours (`gossip_core::Config`)                 | foca (`foca::Config`)               | lan, n = 1000 |
//! |----------------------------------------------|-------------------------------------|---------------|
//! | `probe_interval`                             | `probe_period`                      | 1 s           |
//! | `probe_timeout`                              | `probe_rtt`                         | 500 ms        |
//! | `indirect_checks`                            | `num_indirect_probes`               | 3             |
//! | `suspicion_timeout` (Lifeguard's floor)      | `suspect_to_down_after` (fixed)     | 12 s          |
//! | `retransmit_mult * ceil(log10(n + 1))`       | `max_transmissions`                 | 16            |
//! | `reap_after`                                 | `remove_down_after`                 | 60 s          |
//! | `mtu`                                        | `max_packet_size`                   | 1400 bytes    |
//! | `gossip_interval`, `fanout`                  | `periodic_gossip`                   | 200 ms, 3     |
//! | push-pull: `push_pull_interval`, stretched   | `periodic_announce` (Announce asks  | 180 s, 1      |
//! |   by `ceil(log2(n / 32)) + 1` beyond 32      |   one member for a Feed of members) |               |
//! | `reconnect_interval` (to a dead member)      | `periodic_announce_to_down_members` | 15 s, 1       |
//!
//! Both probe in randomized round-robin order. foca has no Lifeguard (local health,
//! nacks, dynamic suspicion, buddy system), no key/value store (so nothing like our
//! anti-entropy `sync_interval` digests or rumors) and never gossips when it has no
//! news; `notify_down_members` stays on, as in foca's own `new_lan`. In a cluster with
//! no faults only the probe settings and the push-pull interval produce traffic.

use core::num::{NonZeroU8, NonZeroUsize};
use core::time::Duration;

/// foca's configuration nearest to `ours` in a cluster of `cluster_size` members.
pub fn foca_config(ours: &gossip_core::Config, cluster_size: usize) -> foca::Config {
    let periodic = |every: gossip_core::Duration, members: usize| {
        Some(foca::PeriodicParams {
            frequency: std_duration(every),
            num_members: NonZeroUsize::new(members.max(1)).unwrap_or(NonZeroUsize::MIN),
        })
    };
    foca::Config {
        probe_period: std_duration(ours.probe_interval),
        probe_rtt: std_duration(ours.probe_timeout),
        num_indirect_probes: NonZeroUsize::new(ours.indirect_checks.max(1))
            .unwrap_or(NonZeroUsize::MIN),
        max_transmissions: max_transmissions(ours.retransmit_mult, cluster_size),
        suspect_to_down_after: std_duration(ours.suspicion_timeout),
        remove_down_after: Some(std_duration(ours.reap_after)),
        max_packet_size: NonZeroUsize::new(ours.mtu).unwrap_or(NonZeroUsize::MIN),
        notify_down_members: true,
        periodic_announce: periodic(push_pull_period(ours, cluster_size), 1),
        periodic_announce_to_down_members: periodic(ours.reconnect_interval, 1),
        periodic_gossip: periodic(ours.gossip_interval, ours.fanout),
    }
}

/// Our retransmission limit (`core/src/dissemination.rs`), capped at foca's `u8`.
fn max_transmissions(retransmit_mult: u32, cluster_size: usize) -> NonZeroU8 {
    let scale = ((cluster_size + 1) as f64).log10().ceil().max(1.0) as u32;
    let limit = retransmit_mult.saturating_mul(scale).clamp(1, 255);
    NonZeroU8::new(limit as u8).unwrap_or(NonZeroU8::MIN)
}

/// Our push-pull period in a converged cluster (`Node::push_pull_period`, after
/// memberlist): the interval, times `ceil(log2(n / 32)) + 1` beyond 32 members.
fn push_pull_period(ours: &gossip_core::Config, cluster_size: usize) -> gossip_core::Duration {
    const THRESHOLD: f64 = 32.0;
    let n = cluster_size as f64;
    if n <= THRESHOLD {
        return ours.push_pull_interval;
    }
    ours.push_pull_interval * ((n.log2() - THRESHOLD.log2()).ceil() as u32 + 1)
}

fn std_duration(duration: gossip_core::Duration) -> Duration {
    Duration::from_millis(duration.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures in the table above.
    #[test]
    fn lan_at_a_thousand_members_maps_as_documented() {
        let foca = foca_config(&gossip_core::Config::lan(1000), 1000);
        assert_eq!(foca.probe_period, Duration::from_secs(1));
        assert_eq!(foca.probe_rtt, Duration::from_millis(500));
        assert_eq!(foca.num_indirect_probes.get(), 3);
        assert_eq!(foca.suspect_to_down_after, Duration::from_secs(12));
        assert_eq!(foca.max_transmissions.get(), 16);
        assert_eq!(foca.remove_down_after, Some(Duration::from_secs(60)));
        assert_eq!(foca.max_packet_size.get(), 1400);
        let gossip = foca.periodic_gossip.unwrap();
        assert_eq!(
            (gossip.frequency, gossip.num_members.get()),
            (Duration::from_millis(200), 3)
        );
        let announce = foca.periodic_announce.unwrap();
        assert_eq!(announce.frequency, Duration::from_secs(180));
        let to_down = foca.periodic_announce_to_down_members.unwrap();
        assert_eq!(to_down.frequency, Duration::from_secs(15));
    }
}
