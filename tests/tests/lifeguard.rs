//! Each Lifeguard part on its own (Dadgar, Phillips and Currey, 2018), and the member
//! lifecycle's last steps: reaping, and the push-pull stretch of large clusters. Every
//! test switches one thing and shows the difference it makes.

use gossip_core::wire::MessageKind;
use gossip_core::{Config, Duration, Event, Lifeguard, MemberState};
use gossip_sim::Simulation;
use gossip_tests::scenario_seed;

fn demo_with(seed: u64, nodes: usize, lifeguard: Lifeguard) -> Simulation {
    Simulation::builder()
        .seed(seed)
        .nodes(nodes)
        .config(Config {
            lifeguard,
            ..Config::demo()
        })
        .converged()
        .build()
        .unwrap()
}

/// Local Health Multiplier (section 4.1): a member that hears nothing back (every
/// link into it cut) blames itself and its score rises; with the part off it stays 0.
#[test]
fn local_health_alone_raises_the_score_of_a_member_that_hears_nothing() {
    let seed = scenario_seed(81);
    let score = |on: bool| {
        let lifeguard = Lifeguard {
            local_health: on,
            ..Lifeguard::OFF
        };
        let mut sim = demo_with(seed, 6, lifeguard);
        sim.run_for(Duration::from_secs(2));
        sim.partition_oneway(&["n2", "n3", "n4", "n5", "n6"], &["n1"])
            .unwrap();
        sim.run_for(Duration::from_secs(6));
        sim.node("n1").unwrap().node().local_health()
    };
    let (on, off) = (score(true), score(false));
    println!("n1's local health: part on {on}, off {off}");
    assert!(on > 0, "seed {seed}");
    assert_eq!(off, 0, "seed {seed}");
}

/// Nacks (section 4.1): witnesses of a ping-req to a crashed member say the target did
/// not answer; with the part off nobody sends a nack.
#[test]
fn nack_alone_makes_witnesses_report_a_silent_target() {
    let seed = scenario_seed(82);
    let nacks = |on: bool| {
        let lifeguard = Lifeguard {
            nack: on,
            ..Lifeguard::OFF
        };
        let mut sim = demo_with(seed, 6, lifeguard);
        sim.run_for(Duration::from_secs(2));
        sim.crash("n4").unwrap();
        sim.run_for(Duration::from_secs(4));
        sim.nodes()
            .map(|n| n.node().stats().sent.messages_of(MessageKind::Nack))
            .sum::<u64>()
    };
    let (on, off) = (nacks(true), nacks(false));
    println!("nacks sent: part on {on}, off {off}");
    assert!(on > 0, "seed {seed}");
    assert_eq!(off, 0, "seed {seed}");
}

/// Nacks arrive in time on the wan preset, whose probe timeout (3 s) is long next to
/// its period (5 s): the probers of a crashed member hear their witnesses' nacks before
/// their periods end, so none of them blames itself for the silence.
#[test]
fn nacks_reach_the_prober_within_its_period_on_the_wan_preset() {
    let seed = scenario_seed(86);
    let mut sim = Simulation::builder()
        .seed(seed)
        .nodes(6)
        .config(Config::wan(6))
        .converged()
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(10));
    sim.crash("n4").unwrap();
    let mut highest = 0;
    for _ in 0..60 {
        sim.run_for(Duration::from_secs(1));
        let scores = sim
            .nodes()
            .filter(|n| n.is_up())
            .map(|n| n.node().local_health());
        highest = highest.max(scores.max().unwrap_or(0));
    }
    let nacks: u64 = sim.nodes().map(|n| n.node().stats().nacks_received).sum();
    println!("nacks received {nacks}, highest local health {highest}");
    assert!(nacks > 0, "witnesses nacked (seed {seed})");
    assert_eq!(highest, 0, "no healthy prober blamed itself (seed {seed})");
}

/// Local Health Aware Suspicion (section 4.2): a fresh suspicion starts at
/// `suspicion_timeout * suspicion_max_timeout_mult` instead of `suspicion_timeout`.
#[test]
fn dynamic_suspicion_alone_starts_suspicions_long() {
    let seed = scenario_seed(83);
    let first_suspicion_length = |on: bool| {
        let lifeguard = Lifeguard {
            dynamic_suspicion: on,
            ..Lifeguard::OFF
        };
        let mut sim = demo_with(seed, 6, lifeguard);
        sim.run_for(Duration::from_secs(2));
        sim.crash("n4").unwrap();
        let n4 = gossip_core::NodeId::new("n4").unwrap();
        let crashed_at = sim.now();
        loop {
            assert!(
                sim.now().saturating_since(crashed_at) < Duration::from_secs(10),
                "n4 was suspected within 10 s (seed {seed})"
            );
            sim.run_for(Duration::from_millis(10));
            let suspicion = sim.nodes().filter(|n| n.is_up()).find_map(|n| {
                let deadline = n.node().suspicion_deadline(&n4)?;
                Some(deadline.saturating_since(sim.now()))
            });
            if let Some(left) = suspicion {
                return left;
            }
        }
    };
    let demo = Config::demo();
    let (on, off) = (first_suspicion_length(true), first_suspicion_length(false));
    println!("first suspicion of n4 runs: part on {on}, off {off}");
    assert!(off <= demo.suspicion_timeout, "seed {seed}");
    assert!(
        on > demo.suspicion_timeout * (demo.suspicion_max_timeout_mult - 1),
        "seed {seed}: {on}"
    );
}

/// Dead members are forgotten `reap_after` later (the event `MemberRemoved`), and not
/// before.
#[test]
fn a_dead_member_is_reaped_after_reap_after() {
    let seed = scenario_seed(84);
    let mut sim = demo_with(seed, 5, Lifeguard::OFF);
    sim.run_for(Duration::from_secs(2));
    sim.crash("n3").unwrap();
    let demo = Config::demo();
    let deadline = sim.now() + Duration::from_secs(30);
    while !sim.everyone_sees("n3", MemberState::Dead) {
        assert!(
            sim.now() < deadline,
            "n3 dead everywhere within 30 s (seed {seed})"
        );
        sim.run_for(Duration::from_millis(100));
    }
    let removed = |sim: &Simulation| {
        sim.log()
            .filter(|e| matches!(&e.event, Event::MemberRemoved { id } if id.as_str() == "n3"))
            .count()
    };
    // Reaping runs once a period: just short of reap_after nobody has forgotten n3.
    sim.run_for(demo.reap_after - demo.probe_interval * 2);
    assert_eq!(
        removed(&sim),
        0,
        "held dead, not forgotten yet (seed {seed})"
    );
    sim.run_for(demo.probe_interval * 4);
    assert_eq!(removed(&sim), 4, "each of the four forgot n3 (seed {seed})");
    for observer in ["n1", "n2", "n4", "n5"] {
        assert_eq!(sim.view(observer, "n3"), None, "{observer} (seed {seed})");
    }
}

/// Buddy system (section 4.3): n3 cannot send for three seconds, long enough to be
/// suspected and for the news of it to stop being gossiped. With the buddy system the
/// next ping to n3 tells it, and it refutes in time more often; without, nothing but
/// chance tells it. Ten seeds each (measured: 7 false deaths with the part alone, 14
/// without; with every part on, as `swim.rs` shows, none).
#[test]
fn buddy_system_alone_lets_more_suspects_refute_in_time() {
    let first = scenario_seed(400);
    let false_deaths = |on: bool| {
        (first..first + 10)
            .map(|seed| {
                let lifeguard = Lifeguard {
                    buddy_system: on,
                    ..Lifeguard::OFF
                };
                let mut sim = demo_with(seed, 8, lifeguard);
                sim.run_for(Duration::from_secs(3));
                let others: Vec<String> = (1..=8)
                    .map(|i| format!("n{i}"))
                    .filter(|n| n != "n3")
                    .collect();
                let others: Vec<&str> = others.iter().map(String::as_str).collect();
                sim.partition_oneway(&["n3"], &others).unwrap();
                sim.run_for(Duration::from_secs(3));
                sim.repair(&["n3"], &others).unwrap();
                sim.run_for(Duration::from_secs(15));
                sim.metrics().false_deaths
            })
            .sum::<u64>()
    };
    let (on, off) = (false_deaths(true), false_deaths(false));
    println!("false deaths of n3 over 10 seeds: buddy system on {on}, off {off}");
    assert!(on < off, "seeds {first}..{}", first + 10);
}
