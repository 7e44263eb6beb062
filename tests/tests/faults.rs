//! The rest of the fault vocabulary: held links and restarts that keep their state.

use gossip_core::sim::Simulation;
use gossip_core::{Duration, MemberState};
use gossip_tests::{converged_lan, names, refs, scenario_seed};

fn everyone_has(sim: &Simulation, key: &str, value: &str) -> bool {
    sim.nodes()
        .filter(|n| n.is_up())
        .all(|n| n.node().store().get(key) == Some(value))
}

/// A held link delivers nothing until released, then everything it held.
#[test]
fn held_links_deliver_only_when_released() {
    let seed = scenario_seed(61);
    let mut sim = converged_lan(seed, 6);
    sim.run_for(Duration::from_secs(2));
    let others = names(2..=6);
    sim.hold(&["n1"], &refs(&others)).unwrap();
    sim.put("n1", "k", "v").unwrap();
    sim.run_for(Duration::from_secs(2));
    assert!(
        sim.in_flight().any(|m| m.from.as_str() == "n1"),
        "datagrams wait on the held links"
    );
    assert!(
        sim.nodes().filter(|n| n.id().as_str() != "n1").all(|n| n
            .node()
            .store()
            .get("k")
            .is_none())
    );
    sim.release(&["n1"], &refs(&others)).unwrap();
    sim.run_for(Duration::from_secs(3));
    assert!(everyone_has(&sim, "k", "v"), "released (seed {seed})");
}

/// A node restarted with its persisted state keeps its writes, even one nobody else
/// had seen, and comes back alive with a higher incarnation.
#[test]
fn a_restart_with_state_keeps_acknowledged_writes() {
    let seed = scenario_seed(62);
    let mut sim = converged_lan(seed, 6);
    sim.run_for(Duration::from_secs(2));
    let others = names(1..=6)
        .into_iter()
        .filter(|n| n != "n2")
        .collect::<Vec<_>>();
    sim.hold(&["n2"], &refs(&others)).unwrap();
    sim.put("n2", "durable", "yes").unwrap();
    sim.crash("n2").unwrap();
    sim.release(&["n2"], &refs(&others)).unwrap();
    sim.run_for(Duration::from_secs(40));
    assert!(
        sim.everyone_sees("n2", MemberState::Dead),
        "declared dead meanwhile"
    );
    let replica = sim.node("n2").unwrap().node().replica().clone();

    sim.restart_with_state("n2").unwrap();
    sim.run_for(Duration::from_secs(15));
    let n2 = sim.node("n2").unwrap().node();
    assert_eq!(n2.replica(), &replica, "the same writer");
    assert!(n2.incarnation() > 0);
    assert!(sim.everyone_sees("n2", MemberState::Alive), "seed {seed}");
    assert!(
        everyone_has(&sim, "durable", "yes"),
        "the write survived (seed {seed})"
    );
    assert!(sim.check_durability().is_empty());
}
