//! Headless experiments on the simulator: one function per experiment, one call per run.
//! Each run is deterministic in its seed; drivers (the `gossip sim` command, tests) run
//! many seeds and aggregate. Times are reported in protocol periods, as the SWIM paper
//! does.

use rand::seq::IteratorRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{NetworkModel, Simulation};
use gossip_core::wire::MessageKind;
use gossip_core::{Config, Duration, MemberState, NodeId};

use crate::Error;

/// What every experiment run needs.
#[derive(Clone, Debug, PartialEq)]
pub struct RunParams {
    /// Cluster size.
    pub nodes: usize,
    /// Per-datagram loss probability.
    pub loss: f64,
    /// Protocol configuration of every node.
    pub config: Config,
    /// Seed of this run.
    pub seed: u64,
}

impl RunParams {
    fn converged_cluster(&self) -> Result<Simulation, Error> {
        Simulation::builder()
            .seed(self.seed)
            .nodes(self.nodes)
            .config(self.config.clone())
            .network(NetworkModel::lan().with_loss(self.loss))
            .history_limit(0)
            .converged()
            .build()
    }

    fn periods(&self, span: Duration) -> f64 {
        span.as_millis() as f64 / self.config.probe_interval.as_millis() as f64
    }

    /// How finely the experiments look at the cluster: a twentieth of a period.
    fn step(&self) -> Duration {
        Duration::from_millis((self.config.probe_interval.as_millis() / 20).max(1))
    }
}

/// One run of the detection experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectionRun {
    /// Periods from the crash until some member first suspected the crashed one.
    pub first_detection: Option<f64>,
    /// Periods from the crash until every live member held it dead.
    pub all_dead: Option<f64>,
    /// Protocol bytes sent per member per second over the run.
    pub bytes_per_member_per_sec: f64,
    /// Protocol bytes sent by all members from the crash on (behind the rate).
    pub bytes_sent: u64,
    /// Members times seconds simulated from the crash on (behind the rate).
    pub member_seconds: f64,
}

/// Crashes one random member of a converged cluster and times its detection.
/// Gives up (leaving the times `None`) after the longest suspicion plus 20 periods
/// times log2(n).
pub fn detection(params: &RunParams) -> Result<DetectionRun, Error> {
    let mut sim = params.converged_cluster()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed ^ 0x5eed);
    let config = &params.config;
    sim.run_for(config.probe_interval * 5);
    let victim = format!("n{}", rng.random_range(1..=params.nodes));
    let victim_id = NodeId::new(&victim)?;
    let start = sim.now();
    let bytes_before = sim.metrics().bytes_sent;
    sim.crash(&victim)?;
    let give_up = config.suspicion_timeout * config.suspicion_max_timeout_mult
        + config.probe_interval * (20 * (params.nodes.max(2) as f64).log2().ceil() as u32);
    let (mut first_detection, mut all_dead) = (None, None);
    while sim.now().saturating_since(start) < give_up {
        sim.run_for(params.step());
        let elapsed = params.periods(sim.now().saturating_since(start));
        if first_detection.is_none()
            && sim
                .nodes()
                .any(|n| n.is_up() && n.node().member_state(&victim_id) != Some(MemberState::Alive))
        {
            first_detection = Some(elapsed);
        }
        if sim.everyone_sees(&victim, MemberState::Dead) {
            all_dead = Some(elapsed);
            break;
        }
    }
    let seconds = sim.now().saturating_since(start).as_secs_f64();
    let bytes = (sim.metrics().bytes_sent - bytes_before) as f64;
    Ok(DetectionRun {
        first_detection,
        all_dead,
        bytes_per_member_per_sec: bytes / params.nodes as f64 / seconds.max(f64::EPSILON),
        bytes_sent: bytes as u64,
        member_seconds: params.nodes as f64 * seconds,
    })
}

/// Periods until every member of a converged cluster holds a newly joined member alive,
/// or `None` after 50 periods times log2(n).
pub fn dissemination(params: &RunParams) -> Result<Option<f64>, Error> {
    let mut sim = params.converged_cluster()?;
    sim.run_for(params.config.probe_interval * 3);
    let start = sim.now();
    sim.add_node("newcomer", &["n1"])?;
    let give_up =
        params.config.probe_interval * (50 * (params.nodes.max(2) as f64).log2().ceil() as u32);
    while sim.now().saturating_since(start) < give_up {
        sim.run_for(params.step());
        if sim.everyone_sees("newcomer", MemberState::Alive) {
            return Ok(Some(params.periods(sim.now().saturating_since(start))));
        }
    }
    Ok(None)
}

/// One run of the false-positive experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct FalsePositiveRun {
    /// Probes started by all members.
    pub probes: u64,
    /// Probes that got no ack in their period.
    pub failed_probes: u64,
    /// Suspicions raised about members that were running.
    pub false_suspicions: u64,
    /// Deaths declared of members that were running.
    pub false_dead: u64,
    /// Member-hours simulated.
    pub member_hours: f64,
}

/// Runs a converged cluster with no crash for `duration`, a `slow_fraction` of its
/// members handling every datagram `slow_lag` late on average, and counts wrong
/// suspicions and deaths.
pub fn false_positives(
    params: &RunParams,
    duration: Duration,
    slow_fraction: f64,
    slow_lag: Duration,
) -> Result<FalsePositiveRun, Error> {
    let mut sim = params.converged_cluster()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed ^ 0x51011);
    let slow_count = (params.nodes as f64 * slow_fraction.clamp(0.0, 1.0)).round() as usize;
    let slow: Vec<usize> = (1..=params.nodes).choose_multiple(&mut rng, slow_count);
    for i in slow {
        sim.slow(&format!("n{i}"), slow_lag)?;
    }
    sim.run_for(duration);
    let (probes, failed_probes) = sim
        .nodes()
        .map(|n| (n.node().stats().probes, n.node().stats().failed_probes))
        .fold((0, 0), |(p, f), (np, nf)| (p + np, f + nf));
    Ok(FalsePositiveRun {
        probes,
        failed_probes,
        false_suspicions: sim.metrics().false_suspicions,
        false_dead: sim.metrics().false_deaths,
        member_hours: params.nodes as f64 * duration.as_secs_f64() / 3600.0,
    })
}

/// One run of Demers' rumor-mongering model.
#[derive(Clone, Debug, PartialEq)]
pub struct RumorRun {
    /// Fraction of nodes that never received the update.
    pub residue: f64,
    /// Update messages sent per node.
    pub traffic: f64,
    /// Cycles from injection to arrival (1 for the origin's first contacts), averaged
    /// over the nodes that received it; the origin is not counted.
    pub t_ave: Option<f64>,
    /// Cycles from injection to the last arrival.
    pub t_last: Option<f64>,
    /// Nodes that never received the update (the count behind `residue`).
    pub missed: u64,
    /// Update messages sent, by every node together (the count behind `traffic`).
    pub messages: u64,
}

/// The configuration of Demers' model run through our rumor code: one contact per
/// cycle (`fanout` 1, a cycle being `gossip_interval`), anti-entropy and piggybacking
/// off, membership quiet (it is static here, so probing is slowed right down). What
/// [`rumor`] runs with, from `base`.
pub fn rumor_config(base: &Config) -> Config {
    Config {
        fanout: 1,
        rumor_mongering: true,
        rumor_piggyback: false,
        anti_entropy: false,
        probe_interval: Duration::from_secs(600),
        probe_timeout: Duration::from_secs(300),
        suspicion_timeout: Duration::from_secs(3600),
        reap_after: Duration::from_secs(7200),
        tombstone_grace: Duration::from_secs(7200),
        push_pull_interval: Duration::from_secs(3600),
        reconnect_interval: Duration::from_secs(3600),
        ..base.clone()
    }
}

/// Demers et al. 1987, section 1.4: one update injected at one node of a converged
/// cluster; each cycle every infective node contacts one uniformly random other node
/// (push), every node asks one (pull), or both; nothing is lost. Runs until no node
/// spreads the rumor any more.
///
/// The paper's Tables 1-3 need its synchronous model,
/// [`RumorAccounting::PerRound`](gossip_core::RumorAccounting::PerRound) (the default
/// of `gossip sim rumor`): every node's gossip timer then fires at the same instants.
/// With `PerMessage` a push node's rounds start when it first gets the rumor, a few
/// milliseconds after its infector's.
pub fn rumor(params: &RunParams) -> Result<RumorRun, Error> {
    let config = rumor_config(&params.config);
    let cycle = config.gossip_interval;
    let params = RunParams {
        config,
        loss: 0.0,
        ..params.clone()
    };
    let mut sim = params.converged_cluster()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed ^ 0xde3e5);
    // Inject half-way through a cycle: with timers that tick every cycle (pull, or
    // per-round accounting) the first contacts happen half a cycle later; with a
    // timer that the write starts, one cycle later.
    sim.run_for(cycle.mul_f64(2.5));
    let origin = format!("n{}", rng.random_range(1..=params.nodes));
    sim.put(&origin, "rumor", "hot")?;
    let injected = sim.now();
    let mut arrival: Vec<Option<u32>> = sim
        .nodes()
        .map(|n| (n.node().store().get("rumor").is_some()).then_some(0))
        .collect();
    let give_up = 50 * (params.nodes.max(2) as f64).log2().ceil() as u32;
    for cycle_number in 1..=give_up {
        // Every exchange of this cycle has been delivered, in either case, and the
        // next cycle's have not started.
        sim.run_until(injected + cycle.mul_f64(f64::from(cycle_number) + 0.4));
        for (slot, node) in arrival.iter_mut().zip(sim.nodes()) {
            if slot.is_none() && node.node().store().get("rumor").is_some() {
                *slot = Some(cycle_number);
            }
        }
        if sim.nodes().all(|n| n.node().hot_rumors() == 0) {
            break;
        }
    }
    let holders = arrival.iter().flatten().count();
    // The origin (cycle 0) is not a receiver.
    let received: Vec<f64> = arrival
        .iter()
        .flatten()
        .filter(|&&c| c > 0)
        .map(|&c| f64::from(c))
        .collect();
    let sent: u64 = sim
        .nodes()
        .map(|n| n.node().stats().rumor_versions_sent)
        .sum();
    let n = params.nodes as f64;
    let missed = params.nodes - holders;
    Ok(RumorRun {
        residue: missed as f64 / n,
        traffic: sent as f64 / n,
        missed: missed as u64,
        messages: sent,
        t_ave: (!received.is_empty()).then(|| received.iter().sum::<f64>() / received.len() as f64),
        t_last: received.iter().copied().reduce(f64::max),
    })
}

/// What [`anti_entropy`] runs with, from `base`: Demers' model with rumors off and
/// anti-entropy on, with a random member every round (no probes tell of differences).
pub fn anti_entropy_config(base: &Config) -> Config {
    Config {
        rumor_mongering: false,
        anti_entropy: true,
        quiet_sync_every: 1,
        ..rumor_config(base)
    }
}

/// Anti-entropy alone (rumor mongering off): one update at one node; `sync_interval`
/// cycles until every node holds it, or `None` after 50 times log2(n) cycles.
pub fn anti_entropy(params: &RunParams) -> Result<Option<f64>, Error> {
    let config = anti_entropy_config(&params.config);
    let cycle = config.sync_interval;
    let params = RunParams {
        config,
        ..params.clone()
    };
    let mut sim = params.converged_cluster()?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(params.seed ^ 0xae);
    sim.run_for(cycle * 2);
    let origin = format!("n{}", rng.random_range(1..=params.nodes));
    sim.put(&origin, "update", "v")?;
    let start = sim.now();
    let give_up = cycle * (50 * (params.nodes.max(2) as f64).log2().ceil() as u32);
    while sim.now().saturating_since(start) < give_up {
        sim.run_for(cycle.mul_f64(0.05));
        if sim
            .nodes()
            .all(|n| n.node().store().get("update").is_some())
        {
            let took = sim.now().saturating_since(start);
            return Ok(Some(took.as_millis() as f64 / cycle.as_millis() as f64));
        }
    }
    Ok(None)
}

/// The speed benchmark's workload, shared by the native and the wasm drivers so both
/// measure the same thing: a converged cluster of `nodes` (the lan preset, no faults,
/// no message history kept), to be run for some protocol periods with
/// [`Bench::run`]. The drivers time the two phases with their own clocks.
#[derive(Debug)]
pub struct Bench {
    sim: Simulation,
}

/// What a benchmark run did (the drivers add the times and memory they measured).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchCounts {
    pub messages_sent: u64,
    pub messages_delivered: u64,
    /// Datagrams handled, by kind (in [`MessageKind::ALL`] order).
    pub delivered_by_kind: Vec<(MessageKind, u64)>,
    /// Entries in all member tables together: n(n-1) in a converged cluster.
    pub member_table_entries: u64,
    /// The bytes of all member tables together ([`gossip_core::Node::member_table_bytes`]).
    pub member_table_bytes: u64,
    /// The bytes of all nodes' copies of their peers' store summaries together
    /// ([`gossip_core::Node::peer_summary_bytes`]).
    pub peer_summary_bytes: u64,
}

impl BenchCounts {
    /// Everything the nodes keep that grows with the number of members, n² across the
    /// cluster: the member tables and the peers' summaries.
    pub fn n2_bytes(&self) -> u64 {
        self.member_table_bytes + self.peer_summary_bytes
    }
}

impl Bench {
    /// Builds the converged cluster.
    pub fn build(nodes: usize, seed: u64) -> Result<Bench, Error> {
        let sim = Simulation::builder()
            .seed(seed)
            .nodes(nodes)
            .config(Config::lan(nodes))
            .history_limit(0)
            .converged()
            .build()?;
        Ok(Bench { sim })
    }

    /// Runs `periods` protocol periods.
    pub fn run(&mut self, periods: u32) {
        let period = self.sim.config().probe_interval;
        self.sim.run_for(period * periods);
    }

    pub fn counts(&self) -> BenchCounts {
        let metrics = self.sim.metrics();
        let delivered_by_kind = MessageKind::ALL
            .iter()
            .map(|&kind| {
                let received = self
                    .sim
                    .nodes()
                    .map(|n| n.node().stats().received.messages_of(kind));
                (kind, received.sum())
            })
            .collect();
        BenchCounts {
            messages_sent: metrics.datagrams_sent,
            messages_delivered: metrics.datagrams_delivered,
            delivered_by_kind,
            member_table_entries: self
                .sim
                .nodes()
                .map(|n| n.node().member_counts().iter().sum::<usize>() as u64)
                .sum(),
            member_table_bytes: self
                .sim
                .nodes()
                .map(|n| n.node().member_table_bytes() as u64)
                .sum(),
            peer_summary_bytes: self
                .sim
                .nodes()
                .map(|n| n.node().peer_summary_bytes() as u64)
                .sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member-table entry of a converged cluster takes 24 bytes: 16 in its slot, 4 in
    /// the index by name number and 4 in the probe order. Beyond that a node keeps a few
    /// dozen bytes (its own name's slot in the index, the list of free slots), and no
    /// room for growth the build does not need: a vector of n entries doubled would
    /// cost 4n or 16n bytes a node.
    #[test]
    fn a_converged_cluster_takes_24_bytes_a_member_table_entry() {
        let nodes = 200;
        let counts = Bench::build(nodes, 1).unwrap().counts();
        let entries = (nodes * (nodes - 1)) as u64;
        assert_eq!(counts.member_table_entries, entries);
        let beyond = counts.member_table_bytes.checked_sub(24 * entries);
        let per_node = beyond.map(|bytes| bytes / nodes as u64);
        assert!(
            per_node.is_some_and(|bytes| bytes <= 64),
            "{} bytes for {entries} entries",
            counts.member_table_bytes
        );
    }

    /// Anti-entropy keeps each peer's store summary for tombstone collection; in a
    /// cluster that never wrote, every summary is empty and none is kept, so after
    /// rounds of anti-entropy with every member everything that grows with n² is still
    /// the member tables' 24 bytes an entry.
    #[test]
    fn peer_summaries_of_an_empty_store_add_nothing_to_24_bytes_an_entry() {
        let nodes = 100;
        let mut bench = Bench::build(nodes, 1).unwrap();
        // Long enough for about ten unprompted anti-entropy rounds a member.
        bench.run(600);
        let counts = bench.counts();
        let digests = counts
            .delivered_by_kind
            .iter()
            .find(|(kind, _)| *kind == MessageKind::Digest)
            .map_or(0, |(_, count)| *count);
        assert!(digests >= 10 * nodes as u64, "{digests} digests");
        let entries = (nodes * (nodes - 1)) as u64;
        assert_eq!(counts.member_table_entries, entries);
        assert_eq!(counts.peer_summary_bytes, 0);
        let beyond = counts.n2_bytes().checked_sub(24 * entries);
        let per_node = beyond.map(|bytes| bytes / nodes as u64);
        assert!(
            per_node.is_some_and(|bytes| bytes <= 64),
            "{} bytes for {entries} entries",
            counts.n2_bytes()
        );
    }

    /// The experiments derive their configurations from a preset; each derived one must
    /// validate for every preset and size, or `gossip sim rumor` and `anti-entropy`
    /// refuse to start.
    #[test]
    fn configs_derived_for_demers_model_validate_from_every_preset() {
        for nodes in [2, 10, 1000, 10_000] {
            for base in [Config::demo(), Config::lan(nodes), Config::wan(nodes)] {
                rumor_config(&base).validate().unwrap();
                anti_entropy_config(&base).validate().unwrap();
            }
        }
    }
}
