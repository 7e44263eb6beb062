//! Stories told on the simulator: a small cluster forms, a member crashes, the others
//! notice.

use gossip_core::wire::MessageKind;
use gossip_core::{Duration, MemberState};
use gossip_sim::Simulation;
use gossip_tests::scenario_seed;

const NAMES: [&str; 5] = ["n1", "n2", "n3", "n4", "n5"];

fn five_node_cluster(seed: u64) -> Simulation {
    let mut sim = Simulation::builder().seed(seed).nodes(5).build().unwrap();
    sim.run_for(Duration::from_secs(5));
    for name in NAMES {
        assert!(
            sim.everyone_sees(name, MemberState::Alive),
            "{name} not alive everywhere"
        );
    }
    sim
}

/// Five nodes joining through n1 end up each knowing the other four, all alive.
#[test]
fn five_nodes_form_one_cluster() {
    let sim = five_node_cluster(scenario_seed(1));
    for observer in NAMES {
        let node = sim.node(observer).unwrap().node();
        assert_eq!(node.members().count(), 4, "{observer} knows everyone else");
    }
}

/// n3 crashes: its acks stop at once, everyone else first suspects it and then holds it
/// dead within the suspicion timeout plus a few protocol periods.
#[test]
fn a_crashed_node_stops_acking_and_is_declared_dead() {
    let mut sim = five_node_cluster(scenario_seed(2));
    let acks_before = sim.delivered_from("n3", MessageKind::Ack);
    assert!(acks_before > 0, "n3 answered probes while up");

    sim.crash("n3").unwrap();
    let config = sim.node("n1").unwrap().node().config().clone();
    // Datagrams already on the wire may still land; nothing after that.
    sim.run_for(Duration::from_millis(10));
    let acks_at_crash = sim.delivered_from("n3", MessageKind::Ack);

    let mut suspected = false;
    let bound = config.suspicion_timeout + config.probe_interval * 6;
    let mut waited = Duration::ZERO;
    while waited < bound && !sim.everyone_sees("n3", MemberState::Dead) {
        sim.run_for(config.probe_interval);
        waited = waited + config.probe_interval;
        suspected |= NAMES
            .iter()
            .any(|n| sim.view(n, "n3") == Some(MemberState::Suspect));
    }
    assert!(suspected, "n3 was suspected before being declared dead");
    assert!(
        sim.everyone_sees("n3", MemberState::Dead),
        "n3 dead everywhere within {bound}"
    );
    assert_eq!(
        sim.delivered_from("n3", MessageKind::Ack),
        acks_at_crash,
        "no ack after the crash"
    );
    for alive in ["n1", "n2", "n4", "n5"] {
        assert!(
            sim.delivered_from(alive, MessageKind::Ack) > acks_before / 2,
            "{alive} keeps acking"
        );
        assert!(
            sim.everyone_sees(alive, MemberState::Alive),
            "{alive} still alive everywhere"
        );
    }
}

/// A crashed node that restarts with fresh state refutes its death with a higher
/// incarnation and is alive everywhere again.
#[test]
fn a_restarted_node_comes_back_alive_with_a_higher_incarnation() {
    let mut sim = five_node_cluster(scenario_seed(3));
    sim.crash("n2").unwrap();
    sim.run_for(Duration::from_secs(15));
    assert!(sim.everyone_sees("n2", MemberState::Dead));

    sim.restart("n2").unwrap();
    sim.run_for(Duration::from_secs(5));
    assert!(sim.everyone_sees("n2", MemberState::Alive));
    let incarnation = sim.node("n2").unwrap().node().incarnation();
    assert!(incarnation > 0, "refuted the old death");
    for observer in ["n1", "n3", "n4", "n5"] {
        let seen = sim
            .node(observer)
            .unwrap()
            .node()
            .members()
            .find(|m| m.id.as_str() == "n2")
            .unwrap();
        assert_eq!(
            seen.incarnation, incarnation,
            "{observer} has n2's new incarnation"
        );
    }
}

/// A key written on one node reaches all the others.
#[test]
fn a_key_put_on_one_node_reaches_every_node() {
    let mut sim = five_node_cluster(scenario_seed(4));
    sim.put("n4", "colour", "blue").unwrap();
    sim.run_for(Duration::from_secs(3));
    for name in NAMES {
        let store = sim.node(name).unwrap().node().store();
        assert_eq!(store.get("colour"), Some("blue"), "{name}");
    }
}

/// Two runs from the same seed are the same run.
#[test]
fn the_same_seed_gives_the_same_run() {
    let trace = |seed: u64| {
        let mut sim = five_node_cluster(seed);
        sim.crash("n5").unwrap();
        sim.run_for(Duration::from_secs(10));
        sim.history()
            .map(|m| (m.id, m.kind, m.sent_at, m.arrives_at))
            .collect::<Vec<_>>()
    };
    let seed = scenario_seed(5);
    assert_eq!(trace(seed), trace(seed));
    assert_ne!(
        trace(seed),
        trace(seed + 1),
        "a different seed gives a different run"
    );
}
