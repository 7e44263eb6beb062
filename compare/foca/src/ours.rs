//! Our simulator on the part of the workload foca also does: `gossip sim bench`'s
//! cluster and network with the features foca lacks switched off, so the two can be
//! compared message for message. In a converged cluster with no faults foca sends only
//! pings and acks (and an announce per member every push-pull interval); ours also
//! sends anti-entropy digests of its key/value store and push-pull offers (full states
//! only when a peer's differs).

use gossip_core::wire::MessageKind;
use gossip_core::{Config, Duration, Lifeguard};
use gossip_sim::{Error, Simulation};

/// `Config::lan(nodes)` without what foca has no counterpart for (anti-entropy of the
/// key/value store, Lifeguard) and with push-pull beyond any run's end (a day), so
/// that only the probe path (pings and acks) remains.
pub fn probe_path_config(nodes: usize) -> Config {
    Config {
        anti_entropy: false,
        lifeguard: Lifeguard::OFF,
        push_pull_interval: Duration::from_secs(86_400),
        ..Config::lan(nodes)
    }
}

/// What [`run`] counted.
#[derive(Debug)]
pub struct OursCounts {
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub bytes_sent: u64,
    pub delivered_by_kind: Vec<(&'static str, u64)>,
}

/// The simulation `gossip sim bench` builds (`Bench::build`), with `config`.
pub fn build(nodes: usize, seed: u64, config: Config) -> Result<Simulation, Error> {
    Simulation::builder()
        .seed(seed)
        .nodes(nodes)
        .config(config)
        .history_limit(0)
        .converged()
        .build()
}

/// Runs `periods` protocol periods, as `Bench::run` does.
pub fn run(sim: &mut Simulation, periods: u32) {
    let period = sim.config().probe_interval;
    sim.run_for(period * periods);
}

pub fn counts(sim: &Simulation) -> OursCounts {
    let metrics = sim.metrics();
    let delivered_by_kind = MessageKind::ALL
        .iter()
        .map(|&kind| {
            let received = sim
                .nodes()
                .map(|n| n.node().stats().received.messages_of(kind));
            (kind.as_str(), received.sum())
        })
        .filter(|(_, count)| *count > 0)
        .collect();
    OursCounts {
        messages_sent: metrics.datagrams_sent,
        messages_delivered: metrics.datagrams_delivered,
        bytes_sent: metrics.bytes_sent,
        delivered_by_kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_path_config_validates_and_sends_only_pings_and_acks() {
        probe_path_config(1000).validate().unwrap();
        let mut sim = build(20, 1, probe_path_config(20)).unwrap();
        run(&mut sim, 30);
        let kinds: Vec<&str> = counts(&sim)
            .delivered_by_kind
            .iter()
            .map(|(kind, _)| *kind)
            .collect();
        assert_eq!(kinds, ["ping", "ack"]);
    }
}
