//! The chaos runner: random fault schedules (crashes, restarts with and without their
//! persisted state, partitions, one-way cuts, loss up to 30% and duplication, links
//! with their own latency and loss, slow and paused nodes, leaves, joins, writes and
//! deletes), each healed and run
//! to quiet, then judged by every checker. A schedule is a pure function of its seed, so
//! any violation replays exactly.

use rand::seq::IteratorRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::checkers::Violation;
use super::{NetworkModel, Simulation};
use gossip_core::{Config, Duration};

use crate::Error;

/// What one schedule looks like.
#[derive(Clone, Debug, PartialEq)]
pub struct ChaosParams {
    pub nodes: usize,
    /// Faults per schedule.
    pub steps: usize,
    pub config: Config,
}

impl ChaosParams {
    /// `nodes` members on the lan preset, 30 faults per schedule.
    pub fn new(nodes: usize) -> Self {
        ChaosParams {
            nodes,
            steps: 30,
            config: Config::lan(nodes),
        }
    }
}

/// The verdict on one schedule.
#[derive(Clone, Debug)]
pub struct ChaosOutcome {
    pub seed: u64,
    pub violations: Vec<Violation>,
    /// The simulation at the end, for inspection (its command log replays the run).
    pub sim: Simulation,
}

/// Runs the schedule of `seed`: random faults, then every fault healed (links repaired,
/// loss and slowness gone; crashed members stay down), a quiet period long enough for
/// every checker's bound, and the checkers.
pub fn run_schedule(params: &ChaosParams, seed: u64) -> Result<ChaosOutcome, Error> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xc4a05);
    let mut sim = Simulation::builder()
        .seed(seed)
        .nodes(params.nodes)
        .config(params.config.clone())
        .history_limit(0)
        .converged()
        .build()?;
    let mut joined = 0;
    for step in 0..params.steps {
        let names: Vec<String> = sim.nodes().map(|n| n.id().to_string()).collect();
        let up: Vec<String> = sim
            .nodes()
            .filter(|n| n.is_up())
            .map(|n| n.id().to_string())
            .collect();
        let down: Vec<String> = sim
            .nodes()
            .filter(|n| !n.is_up())
            .map(|n| n.id().to_string())
            .collect();
        let pick = |list: &[String], rng: &mut Xoshiro256PlusPlus| list.iter().choose(rng).cloned();
        // Keep a majority running, so there is a cluster left to judge.
        let may_crash = up.len() * 2 > names.len() + 2;
        match rng.random_range(0..14) {
            0 if may_crash => {
                if let Some(name) = pick(&up, &mut rng) {
                    sim.crash(&name)?;
                }
            }
            1 => {
                if let Some(name) = pick(&down, &mut rng) {
                    if rng.random_bool(0.5) {
                        sim.restart_with_state(&name)?;
                    } else {
                        sim.restart(&name)?;
                    }
                }
            }
            2 => {
                let split = rng.random_range(1..names.len());
                let (a, b) = names.split_at(split);
                sim.partition(&refs(a), &refs(b))?;
            }
            3 => {
                let (Some(from), Some(to)) = (pick(&names, &mut rng), pick(&names, &mut rng))
                else {
                    continue;
                };
                if from != to {
                    sim.partition_oneway(&[&from], &[&to])?;
                }
            }
            4 => sim.repair_all(),
            5 => {
                let loss = rng.random_range(0.0..0.3);
                let duplicate = rng.random_range(0.0..0.2);
                sim.set_network(
                    NetworkModel::lan()
                        .with_loss(loss)
                        .with_duplicate(duplicate),
                );
            }
            6 => {
                if let Some(name) = pick(&up, &mut rng) {
                    let lag = Duration::from_millis(rng.random_range(100..1500));
                    sim.slow(&name, lag)?;
                }
            }
            7 if may_crash && step % 3 == 0 => {
                if let Some(name) = pick(&up, &mut rng) {
                    sim.leave(&name)?;
                }
            }
            8 if joined < 3 => {
                joined += 1;
                let seed_node = pick(&up, &mut rng).unwrap_or_else(|| "n1".into());
                sim.add_node(&format!("j{joined}"), &[&seed_node])?;
            }
            10 => {
                let paused: Vec<String> = sim
                    .nodes()
                    .filter(|n| n.is_paused())
                    .map(|n| n.id().to_string())
                    .collect();
                match pick(&paused, &mut rng) {
                    Some(name) => sim.resume(&name)?,
                    None => {
                        if let Some(name) = pick(&up, &mut rng) {
                            sim.pause(&name)?;
                        }
                    }
                }
            }
            11 => {
                let (Some(a), Some(b)) = (pick(&names, &mut rng), pick(&names, &mut rng)) else {
                    continue;
                };
                let latency = Duration::from_millis(rng.random_range(1..400));
                let link = NetworkModel::lan()
                    .with_latency(latency, Duration::from_millis(latency.as_millis() / 2))
                    .with_loss(rng.random_range(0.0..0.5));
                if a != b {
                    sim.set_link(&[&a], &[&b], Some(link))?;
                }
            }
            9 => {
                if let Some(name) = pick(&up, &mut rng) {
                    let key = format!("k{}", rng.random_range(0..8));
                    let _ = sim.delete(&name, &key);
                }
            }
            _ => {
                if let Some(name) = pick(&up, &mut rng) {
                    let key = format!("k{}", rng.random_range(0..8));
                    // A member that left refuses writes; that is not a violation.
                    let _ = sim.put(&name, &key, &format!("v{step}"));
                }
            }
        }
        sim.run_for(Duration::from_millis(rng.random_range(200..5_000)));
    }
    sim.repair_all();
    sim.set_network(NetworkModel::lan());
    let names: Vec<String> = sim.nodes().map(|n| n.id().to_string()).collect();
    for name in &names {
        sim.slow(name, Duration::ZERO)?;
        sim.resume(name)?;
    }
    sim.set_link(&refs(&names), &refs(&names), None)?;
    let quiet = sim.completeness_bound() + sim.config().reap_after + Duration::from_secs(60);
    sim.run_for(quiet);
    let violations = sim.check_all();
    Ok(ChaosOutcome {
        seed,
        violations,
        sim,
    })
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}
