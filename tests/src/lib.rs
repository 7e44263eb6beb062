//! Cross-crate tests for the gossip lab; the tests themselves live in `tests/`.
//!
//! * `tests/scenario.rs`: stories told on the deterministic simulator;
//! * `tests/agents.rs`: real `gossip` agents on 127.0.0.1;
//! * `e2e/`: browser tests of the lab page (node --test + playwright-core).

/// Seed of a scenario: `GOSSIP_SEED` from the environment when set (to replay a
/// failure), else `default`. Printed so that every run can be reproduced.
pub fn scenario_seed(default: u64) -> u64 {
    let seed = std::env::var("GOSSIP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    println!("seed {seed} (replay with GOSSIP_SEED={seed})");
    seed
}

/// The simulator's default names for nodes `range`: `n1`, `n2`, ...
pub fn names(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|i| format!("n{i}")).collect()
}

/// Borrows a list of names the way the simulator's fault commands take them.
pub fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// A cluster of `nodes` that has already converged, with the lan preset for its size.
pub fn converged_lan(seed: u64, nodes: usize) -> gossip_sim::Simulation {
    gossip_sim::Simulation::builder()
        .seed(seed)
        .nodes(nodes)
        .config(gossip_core::Config::lan(nodes))
        .converged()
        .build()
        .expect("the lan preset is valid")
}
