//! The rest of the fault vocabulary: held links, restarts that keep their state,
//! per-link latency and loss, duplication, pauses, removal, and advancing by wall time.

use gossip_core::{Duration, MemberState};
use gossip_sim::checkers::Checker;
use gossip_sim::{NetworkModel, Simulation};
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

/// A link with its own model delays (and loses) only its own datagrams.
#[test]
fn a_link_can_have_its_own_latency_and_loss() {
    let seed = scenario_seed(63);
    let mut sim = converged_lan(seed, 5);
    sim.run_for(Duration::from_secs(1));
    let slow_link = NetworkModel::lan().with_latency(Duration::from_millis(300), Duration::ZERO);
    sim.set_link(&["n1"], &["n2"], Some(slow_link)).unwrap();
    let start = sim.now();
    sim.run_for(Duration::from_secs(10));
    let sent_since = |m: &&gossip_sim::MessageRecord| m.sent_at > start;
    let pair = |m: &gossip_sim::MessageRecord, a: &str, b: &str| {
        m.from.as_str() == a && m.to.as_str() == b
    };
    let delays: Vec<(bool, u64)> = sim
        .history()
        .filter(sent_since)
        .map(|m| {
            let on_link = pair(m, "n1", "n2") || pair(m, "n2", "n1");
            (
                on_link,
                m.arrives_at.saturating_since(m.sent_at).as_millis(),
            )
        })
        .collect();
    assert!(
        delays.iter().any(|(on_link, _)| *on_link),
        "n1 and n2 talked"
    );
    for (on_link, delay) in &delays {
        if *on_link {
            assert_eq!(*delay, 300, "seed {seed}");
        } else {
            assert!(*delay <= 2, "other links keep the lan model (seed {seed})");
        }
    }
    // Links that lose everything, both ways, are a partition by another name: n1,
    // cut off from every other member, is declared dead while it runs, and the
    // accuracy checker names the loss as the cause.
    let others = ["n2", "n3", "n4", "n5"];
    sim.set_link(&["n1"], &others, Some(NetworkModel::lan().with_loss(1.0)))
        .unwrap();
    let lost_before = sim.metrics().lost;
    sim.run_for(Duration::from_secs(60));
    assert!(sim.metrics().lost > lost_before, "seed {seed}");
    let violations = sim.check_accuracy();
    assert!(!violations.is_empty(), "n1 was declared dead (seed {seed})");
    for violation in &violations {
        assert!(violation.detail.contains("100% loss"), "{violation}");
    }
    sim.set_link(&["n1"], &others, None).unwrap();
    sim.run_for(Duration::from_secs(30));
    assert!(sim.membership_is_accurate(), "seed {seed}");
}

/// Duplicated datagrams are harmless: the cluster stays accurate and writes spread
/// once, with no false suspicion.
#[test]
fn duplicated_datagrams_do_no_harm() {
    let seed = scenario_seed(64);
    let mut sim = converged_lan(seed, 8);
    sim.set_network(NetworkModel::lan().with_duplicate(0.5));
    sim.put("n3", "k", "v").unwrap();
    sim.run_for(Duration::from_secs(30));
    let metrics = sim.metrics().clone();
    let share = metrics.duplicated as f64 / metrics.datagrams_sent as f64;
    println!(
        "{} of {} datagrams duplicated",
        metrics.duplicated, metrics.datagrams_sent
    );
    assert!((0.45..0.55).contains(&share), "{share} (seed {seed})");
    assert!(sim.history().any(|m| m.duplicate));
    assert_eq!(metrics.false_suspicions, 0, "seed {seed}");
    assert!(sim.membership_is_accurate(), "seed {seed}");
    assert!(everyone_has(&sim, "k", "v"), "seed {seed}");
    assert!(sim.stores_agree(), "seed {seed}");
}

/// Six converged nodes; n4 is paused, then n1 writes `k = v` and 1.5 s pass.
fn n4_paused_through_a_write(seed: u64) -> Simulation {
    let mut sim = converged_lan(seed, 6);
    sim.run_for(Duration::from_secs(2));
    sim.pause("n4").unwrap();
    sim.put("n1", "k", "v").unwrap();
    sim.run_for(Duration::from_millis(1500));
    sim
}

/// A paused node loses nothing: what arrives waits for it. Paused briefly, it is at
/// most suspected; paused long, it is declared dead (the accuracy checker names the
/// pause), and on resuming it refutes and is alive everywhere again.
#[test]
fn a_paused_node_catches_up_on_resume() {
    let seed = scenario_seed(65);
    let mut sim = n4_paused_through_a_write(seed);
    assert!(sim.node("n4").unwrap().node().store().get("k").is_none());
    sim.resume("n4").unwrap();
    assert_eq!(
        sim.node("n4").unwrap().node().store().get("k"),
        Some("v"),
        "what arrived while paused is handled on resume (seed {seed})"
    );
    sim.run_for(Duration::from_secs(10));
    assert!(sim.everyone_sees("n4", MemberState::Alive), "seed {seed}");

    sim.pause("n4").unwrap();
    sim.run_for(sim.completeness_bound());
    assert!(sim.everyone_sees("n4", MemberState::Dead), "seed {seed}");
    let violations = sim.check_accuracy();
    assert!(
        !violations.is_empty(),
        "held dead while running (seed {seed})"
    );
    assert!(
        violations
            .iter()
            .all(|v| v.checker == Checker::Accuracy && v.detail.contains("a paused member")),
        "{violations:?}"
    );
    sim.resume("n4").unwrap();
    sim.run_for(Duration::from_secs(20));
    assert!(
        sim.everyone_sees("n4", MemberState::Alive),
        "refuted (seed {seed})"
    );
    assert!(sim.node("n4").unwrap().node().incarnation() > 0);
}

/// A crash takes the socket buffer with the process: what waited for a paused node is
/// lost, and the node restarts running, not paused.
#[test]
fn a_paused_node_that_crashes_loses_what_waited_and_restarts_running() {
    let seed = scenario_seed(69);
    let mut sim = n4_paused_through_a_write(seed);
    let arrived_for_n4 = |sim: &Simulation| {
        sim.in_flight()
            .filter(|m| m.to.as_str() == "n4" && m.arrives_at <= sim.now())
            .count() as u64
    };
    let waiting = arrived_for_n4(&sim);
    assert!(
        waiting > 0,
        "datagrams wait for the paused node (seed {seed})"
    );
    let lost_before = sim.metrics().receiver_down;
    sim.crash("n4").unwrap();
    assert_eq!(arrived_for_n4(&sim), 0, "seed {seed}");
    assert_eq!(sim.metrics().receiver_down, lost_before + waiting);
    assert!(!sim.node("n4").unwrap().is_paused());

    sim.restart("n4").unwrap();
    sim.run_for(Duration::from_secs(10));
    assert!(
        sim.everyone_sees("n4", MemberState::Alive),
        "the restarted node runs its timers (seed {seed})"
    );
    assert_eq!(
        sim.node("n4").unwrap().node().store().get("k"),
        Some("v"),
        "and catches up by anti-entropy (seed {seed})"
    );
}

/// A removed node is held dead everywhere within the completeness bound, and cannot
/// come back.
#[test]
fn a_removed_node_is_declared_dead_and_stays_gone() {
    let seed = scenario_seed(66);
    let mut sim = converged_lan(seed, 6);
    sim.run_for(Duration::from_secs(2));
    sim.remove_node("n6").unwrap();
    let bound = sim.completeness_bound();
    sim.run_for(bound + Duration::from_secs(1));
    assert!(sim.node("n6").unwrap().is_removed());
    assert!(sim.check_completeness(bound).is_empty(), "seed {seed}");
    assert!(sim.everyone_sees("n6", MemberState::Dead), "seed {seed}");
    assert!(sim.restart("n6").is_err(), "removed for good");
}

/// Animation frames of a fractional number of milliseconds add up exactly.
#[test]
fn advancing_by_wall_time_carries_fractions() {
    let mut sim = converged_lan(scenario_seed(67), 3);
    let mut total = Duration::ZERO;
    for _ in 0..60 {
        total = total + sim.advance(16.25, 1.0);
    }
    assert_eq!(total, Duration::from_millis(975));
    assert_eq!(sim.now().as_millis(), 975);
    sim.advance(10.0, 2.5);
    assert_eq!(sim.now().as_millis(), 1000);
    sim.advance(f64::NAN, 1.0);
    sim.advance(-5.0, 1.0);
    assert_eq!(sim.now().as_millis(), 1000, "nonsense frames run nothing");
}

/// A path MTU below the configured one drops exactly the datagrams larger than it: here
/// the full states the others send a crashed member that restarts and joins again.
/// Small probes keep the rest right: nobody is suspected wrongly, and everyone holds
/// the member alive again, having heard it through its small join and its pings (it,
/// though, learns of the others only as they ping it: a path MTU below the configured
/// one starves joins, which is what the `mtu` setting is for).
#[test]
fn a_small_path_mtu_drops_only_the_large_datagrams() {
    let seed = scenario_seed(68);
    let mut sim = Simulation::builder()
        .seed(seed)
        .nodes(10)
        .config(gossip_core::Config::demo())
        .network(NetworkModel {
            mtu: 120,
            ..NetworkModel::lan()
        })
        .history_limit(100_000)
        .converged()
        .build()
        .unwrap();
    sim.crash("n3").unwrap();
    sim.run_for(Duration::from_secs(70));
    sim.restart("n3").unwrap();
    sim.run_for(Duration::from_secs(30));
    assert!(
        sim.metrics().too_large > 0,
        "full states are too large (seed {seed})"
    );
    for message in sim.history() {
        let too_large = message.dropped == Some(gossip_sim::Dropped::TooLarge);
        assert_eq!(too_large, message.size > 120, "{message:?}");
    }
    assert_eq!(sim.metrics().false_suspicions, 0, "seed {seed}");
    let n3 = gossip_core::NodeId::new("n3").unwrap();
    for node in sim.nodes().filter(|n| n.node().id() != &n3) {
        let held = node.node().member_state(&n3);
        assert_eq!(
            held,
            Some(MemberState::Alive),
            "{} (seed {seed})",
            node.node().id()
        );
    }
}

/// A node cut off, then crashed, and restarted with its state `tombstone_grace` after it
/// last heard from the cluster (though less after its crash) may hold keys deleted
/// meanwhile whose tombstones the others have since collected. It holds its old store
/// aside until it has caught up, then takes it back: the deleted key does not come back,
/// the write only it held does (and spreads), and the stores agree.
#[test]
fn a_restart_long_after_last_hearing_from_the_cluster_does_not_bring_back_deletes() {
    let seed = scenario_seed(66);
    let mut sim = converged_lan(seed, 5);
    sim.put("n1", "deleted", "v").unwrap();
    sim.put("n1", "kept", "v").unwrap();
    sim.run_for(Duration::from_secs(5));
    assert!(everyone_has(&sim, "deleted", "v"), "seed {seed}");
    let old_writer = sim.node("n5").unwrap().node().replica().clone();
    let rest = names(1..=4);
    sim.partition(&["n5"], &refs(&rest)).unwrap();
    sim.delete("n1", "deleted").unwrap();
    sim.put("n5", "only_n5", "mine").unwrap();
    sim.run_for(Duration::from_secs(100));
    sim.crash("n5").unwrap();
    sim.repair_all();
    let grace = sim.config().tombstone_grace;
    sim.run_for(grace - Duration::from_secs(60));
    assert!(
        sim.nodes()
            .filter(|n| n.is_up())
            .all(|n| n.node().store().versions("deleted").is_none()),
        "the tombstone was collected (seed {seed})"
    );

    sim.restart_with_state("n5").unwrap();
    let n5 = sim.node("n5").unwrap().node();
    assert!(n5.holds_store_aside(), "seed {seed}");
    assert_ne!(n5.replica(), &old_writer, "a new writer");
    sim.run_for(Duration::from_secs(30));
    let n5 = sim.node("n5").unwrap().node();
    assert!(!n5.holds_store_aside(), "caught up (seed {seed})");
    assert_eq!(n5.store().get("deleted"), None, "seed {seed}");
    assert!(everyone_has(&sim, "kept", "v"), "seed {seed}");
    assert!(everyone_has(&sim, "only_n5", "mine"), "seed {seed}");
    assert!(sim.everyone_sees("n5", MemberState::Alive), "seed {seed}");
    assert!(sim.stores_agree(), "seed {seed}");
}

/// A whole cluster down for longer than `tombstone_grace`: nobody could have collected
/// a tombstone, and every store comes back whole once the nodes have caught up with
/// each other.
#[test]
fn a_whole_cluster_restarted_after_the_tombstone_grace_keeps_every_key() {
    let seed = scenario_seed(67);
    let mut sim = converged_lan(seed, 5);
    sim.put("n1", "a", "1").unwrap();
    sim.put("n3", "b", "2").unwrap();
    sim.delete("n1", "a").unwrap();
    sim.put("n2", "c", "3").unwrap();
    sim.run_for(Duration::from_secs(5));
    let all = names(1..=5);
    for name in &all {
        sim.crash(name).unwrap();
    }
    let grace = sim.config().tombstone_grace;
    sim.run_for(grace + Duration::from_secs(60));
    for name in &all {
        sim.restart_with_state(name).unwrap();
    }
    assert!(
        sim.nodes().all(|n| n.node().holds_store_aside()),
        "seed {seed}"
    );
    sim.run_for(Duration::from_secs(30));
    assert!(
        sim.nodes().all(|n| !n.node().holds_store_aside()),
        "seed {seed}"
    );
    assert!(everyone_has(&sim, "b", "2"), "seed {seed}");
    assert!(everyone_has(&sim, "c", "3"), "seed {seed}");
    assert!(
        sim.nodes().all(|n| n.node().store().get("a").is_none()),
        "seed {seed}"
    );
    assert!(sim.stores_agree(), "seed {seed}");
}
