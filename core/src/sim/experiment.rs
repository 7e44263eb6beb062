//! Headless experiments on the simulator: one function per experiment, one call per run.
//! Each run is deterministic in its seed; drivers (the `gossip sim` command, tests) run
//! many seeds and aggregate. Times are reported in protocol periods, as the SWIM paper
//! does.

use rand::seq::IteratorRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{NetworkModel, Simulation};
use crate::{Config, Duration, Error, MemberState, NodeId};

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
