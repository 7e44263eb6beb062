//! Exact replay: the same seed and commands give the same run event for event, a
//! recorded command log replays it, and a snapshot (a clone) run forward equals the
//! original.

use gossip_core::{Config, Duration, Instant};
use gossip_sim::{NetworkModel, SimBuilder, Simulation, Timeline};
use gossip_tests::{names, refs, scenario_seed};

fn builder(seed: u64) -> SimBuilder {
    Simulation::builder()
        .seed(seed)
        .nodes(12)
        .config(Config::lan(12))
        .network(NetworkModel::lan().with_loss(0.05))
}

/// A story with every kind of command, told at fixed simulated times.
fn story(sim: &mut Simulation) {
    sim.run_for(Duration::from_secs(3));
    sim.put("n2", "colour", "blue").unwrap();
    sim.slow("n5", Duration::from_millis(400)).unwrap();
    sim.run_for(Duration::from_secs(2));
    sim.partition(&refs(&names(1..=6)), &refs(&names(7..=12)))
        .unwrap();
    sim.put("n9", "colour", "red").unwrap();
    sim.run_for(Duration::from_secs(8));
    sim.crash("n3").unwrap();
    sim.partition_oneway(&["n4"], &["n1"]).unwrap();
    sim.run_for(Duration::from_secs(4));
    sim.repair_all();
    sim.leave("n11").unwrap();
    sim.delete("n1", "colour").unwrap();
    sim.run_for(Duration::from_secs(5));
    sim.restart("n3").unwrap();
    sim.add_node("n13", &["n1"]).unwrap();
    sim.set_network(NetworkModel::lan());
    sim.run_for(Duration::from_secs(10));
}

#[test]
fn the_same_seed_and_commands_give_the_same_run_event_for_event() {
    let seed = scenario_seed(31);
    let run = |seed| {
        let mut sim = builder(seed).build().unwrap();
        story(&mut sim);
        (sim.trace_digest(), sim.metrics().clone())
    };
    let (first, metrics) = run(seed);
    assert!(metrics.datagrams_sent > 1_000, "the story did something");
    assert_eq!(first, run(seed).0, "seed {seed}");
    assert_ne!(first, run(seed + 1).0, "another seed is another run");
}

#[test]
fn a_recorded_command_log_replays_the_run() {
    let seed = scenario_seed(32);
    let mut original = builder(seed).build().unwrap();
    story(&mut original);
    let log = original.commands().to_vec();
    assert_eq!(log.len(), 12, "every command was recorded");
    let replayed = Simulation::replay(builder(seed), &log, original.now()).unwrap();
    assert_eq!(
        replayed.trace_digest(),
        original.trace_digest(),
        "seed {seed}"
    );
    assert_eq!(replayed.commands(), original.commands());
}

#[test]
fn a_snapshot_run_forward_equals_the_original_and_can_fork() {
    let seed = scenario_seed(33);
    let mut original = builder(seed).build().unwrap();
    original.run_for(Duration::from_secs(4));
    original.put("n1", "k", "v").unwrap();
    let snapshot = original.clone();
    original.run_for(Duration::from_secs(20));

    let mut rewound = snapshot.clone();
    rewound.run_until(original.now());
    assert_eq!(
        rewound.trace_digest(),
        original.trace_digest(),
        "seed {seed}"
    );

    let mut fork = snapshot;
    fork.crash("n2").unwrap();
    fork.run_until(original.now());
    assert_ne!(
        fork.trace_digest(),
        original.trace_digest(),
        "a different future"
    );
    assert!(fork.now() == original.now() && original.now() > Instant::ZERO);
}

/// A trace exports to JSON, loads back unchanged, and its commands replay the run.
#[test]
fn a_trace_round_trips_through_json_and_replays() {
    let seed = scenario_seed(34);
    let mut original = builder(seed).history_limit(100_000).build().unwrap();
    story(&mut original);
    let trace = original.trace();
    assert!(!trace.events.is_empty() && !trace.messages.is_empty());
    let json = serde_json::to_string(&trace).unwrap();
    let loaded: gossip_sim::Trace = serde_json::from_str(&json).unwrap();
    assert_eq!(loaded, trace);
    let replayed = loaded.replay(None).unwrap();
    assert_eq!(replayed.trace_digest(), loaded.digest, "seed {seed}");
    assert_eq!(replayed.trace(), trace, "the very same trace");
    let shorter = loaded.replay(Some(10)).unwrap();
    assert_eq!(
        shorter.trace_digest(),
        loaded.digest,
        "history kept changes nothing"
    );
    assert_eq!(shorter.trace().messages.len(), 10);

    // A trace written before events were objects with a `kind` ({"MemberDead": {...}})
    // opens, its events skipped, and replays the same run.
    let mut older: serde_json::Value = serde_json::from_str(&json).unwrap();
    for entry in older["events"].as_array_mut().unwrap() {
        let mut event = entry["event"].take();
        let kind = event["kind"].take();
        event.as_object_mut().unwrap().remove("kind");
        entry["event"] = serde_json::json!({ format!("Old{kind}"): event });
    }
    let loaded: gossip_sim::Trace = serde_json::from_value(older).unwrap();
    assert!(loaded.events.is_empty());
    let replayed = loaded.replay(None).unwrap();
    assert_eq!(replayed.trace_digest(), trace.digest, "seed {seed}");
    assert_eq!(replayed.trace().events, trace.events);
}

/// Rewinding with a timeline gives exactly the run as it was at that time, commands
/// given since the snapshot included, and a new future forks from there.
#[test]
fn a_timeline_rewinds_to_any_earlier_time_and_forks() {
    let seed = scenario_seed(34);
    let mut sim = builder(seed).build().unwrap();
    let mut timeline = Timeline::new(Duration::from_secs(2), 100);
    timeline.observe(&sim);
    // The story in steps of 100 ms, observing as a driver would.
    let mut original = builder(seed).build().unwrap();
    story(&mut original);
    let log = original.commands().to_vec();
    let end = original.now();
    let mut next = 0;
    while sim.now() < end {
        let until = sim.now() + Duration::from_millis(100);
        while next < log.len() && log[next].0 <= until {
            if log[next].0 > sim.now() {
                sim.run_until(log[next].0);
            }
            sim.apply(&log[next].1).ok();
            next += 1;
        }
        sim.run_until(until);
        timeline.observe(&sim);
    }
    assert_eq!(sim.trace_digest(), original.trace_digest(), "seed {seed}");
    assert!(timeline.len() >= 10);

    // Back to 13.55 s: after the partition and two puts, between snapshots.
    let at = Instant::from_millis(13_550);
    let earlier: Vec<_> = log.iter().filter(|(t, _)| *t <= at).cloned().collect();
    let expected = Simulation::replay(builder(seed), &earlier, at).unwrap();
    let past = timeline.rewind(&sim, at).unwrap();
    assert_eq!(past.now(), at);
    assert_eq!(past.trace_digest(), expected.trace_digest(), "seed {seed}");
    assert_eq!(past.commands(), expected.commands());
    assert!(timeline.earliest().unwrap() <= at);

    // A fork: the same past with another command is another run.
    let mut fork = past.clone();
    fork.crash("n7").unwrap();
    fork.run_for(Duration::from_secs(5));
    let mut unforked = past;
    unforked.run_for(Duration::from_secs(5));
    assert_ne!(fork.trace_digest(), unforked.trace_digest());
    // Nothing to rewind to in the future, or in another run.
    assert!(
        timeline
            .rewind(&unforked, unforked.now() + Duration::from_secs(1))
            .is_none()
    );
    assert!(
        timeline
            .rewind(&builder(seed + 1).build().unwrap(), Instant::ZERO)
            .is_none()
    );
}

/// A converged cluster of no nodes is empty, not a crash (traces are untrusted input).
#[test]
fn an_empty_converged_cluster_builds() {
    let sim = Simulation::builder().nodes(0).converged().build().unwrap();
    assert_eq!(sim.nodes().count(), 0);
}

#[test]
fn live_settings_change_every_node_now_and_replay() {
    let seed = scenario_seed(41);
    let mut sim = builder(seed).build().unwrap();
    sim.run_for(Duration::from_secs(10));
    let pings_in = |sim: &mut Simulation, secs| {
        let before = sim.metrics().sent_by_kind[gossip_core::wire::MessageKind::Ping.index()];
        sim.run_for(Duration::from_secs(secs));
        sim.metrics().sent_by_kind[gossip_core::wire::MessageKind::Ping.index()] - before
    };
    let fast = pings_in(&mut sim, 20);
    let period = sim.config().probe_interval;
    let slower = (period * 4).to_string();
    sim.reconfigure(&[("probe_interval".into(), slower.clone())])
        .unwrap();
    assert_eq!(sim.config().probe_interval, period * 4);
    assert!(
        sim.nodes()
            .all(|n| n.node().config().probe_interval == period * 4)
    );
    let slow = pings_in(&mut sim, 20);
    assert!(
        slow * 3 < fast,
        "a quarter of the probes: {fast} then {slow}"
    );

    let commands = sim.commands().len();
    let refused = sim.reconfigure(&[("fanout".into(), "5".into()), ("mtu".into(), "900".into())]);
    assert!(refused.unwrap_err().to_string().contains("mtu"));
    assert!(
        sim.reconfigure(&[("fanout".into(), "many".into())])
            .is_err()
    );
    assert_eq!(
        sim.commands().len(),
        commands,
        "a refused change is not a command"
    );
    assert!(
        sim.nodes()
            .all(|n| n.node().config().fanout == sim.config().fanout)
    );

    sim.add_node("late", &["n1"]).unwrap();
    sim.run_for(Duration::from_secs(5));
    assert_eq!(
        sim.node("late").unwrap().node().config().probe_interval,
        period * 4
    );
    let replayed = sim.trace().replay(None).unwrap();
    assert_eq!(replayed.trace_digest(), sim.trace_digest(), "seed {seed}");
}
