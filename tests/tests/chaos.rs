//! A bounded chaos run: random fault schedules, healed and run to quiet, must satisfy
//! every checker. (`gossip sim chaos --schedules 1000 --nodes 20` is the long form.)

use gossip_sim::chaos::{ChaosParams, run_schedule};
use gossip_tests::scenario_seed;

#[test]
fn random_fault_schedules_break_no_invariant() {
    let first = scenario_seed(5_000);
    let params = ChaosParams::new(20);
    let mut failures = Vec::new();
    for seed in first..first + 30 {
        let outcome = run_schedule(&params, seed).unwrap();
        for violation in &outcome.violations {
            failures.push(format!("seed {seed}: {violation} (replay: gossip sim chaos --schedules 1 --nodes 20 --seed {seed})"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
