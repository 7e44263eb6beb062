//! The invariant checkers: quiet on healthy runs, loud on broken ones.

use gossip_core::{Config, Duration};
use gossip_sim::checkers::Checker;
use gossip_sim::{NetworkModel, Simulation};
use gossip_tests::{converged_lan, names, refs, scenario_seed};

fn checkers_of(violations: &[gossip_sim::checkers::Violation]) -> Vec<Checker> {
    let mut found: Vec<Checker> = violations.iter().map(|v| v.checker).collect();
    found.dedup();
    found
}

/// Crashes, a partition, writes and a leave; once healed and quiet, every checker is
/// satisfied.
#[test]
fn a_healed_run_satisfies_every_checker() {
    let seed = scenario_seed(41);
    let mut sim = converged_lan(seed, 12);
    sim.run_for(Duration::from_secs(2));
    sim.put("n1", "a", "1").unwrap();
    sim.partition(&refs(&names(1..=6)), &refs(&names(7..=12)))
        .unwrap();
    sim.put("n8", "b", "2").unwrap();
    sim.crash("n5").unwrap();
    sim.run_for(Duration::from_secs(10));
    sim.repair_all();
    sim.leave("n12").unwrap();
    sim.run_for(sim.completeness_bound() + Duration::from_secs(30));
    let violations = sim.check_all();
    assert!(violations.is_empty(), "seed {seed}: {violations:#?}");
}

/// Each checker reports what it exists to catch, while it is true.
#[test]
fn each_checker_catches_its_violation() {
    let seed = scenario_seed(42);
    let mut sim = converged_lan(seed, 8);
    sim.run_for(Duration::from_secs(2));

    sim.crash("n3").unwrap();
    sim.run_for(Duration::from_millis(500));
    let early = sim.check_completeness(Duration::from_millis(100));
    assert!(
        !early.is_empty() && early[0].to_string().contains("n3"),
        "{early:?}"
    );

    sim.partition(&["n8"], &refs(&names(1..=7))).unwrap();
    sim.put("n8", "isolated", "v").unwrap();
    sim.run_for(Duration::from_secs(1));
    let found = checkers_of(&sim.check_all());
    assert!(found.contains(&Checker::Durability), "{found:?}");
    assert!(found.contains(&Checker::Convergence), "{found:?}");

    sim.repair_all();
    sim.run_for(sim.completeness_bound() + Duration::from_secs(30));
    let violations = sim.check_all();
    assert!(
        violations.is_empty(),
        "healed (seed {seed}): {violations:#?}"
    );
}

/// A deliberately broken configuration: the protocol period is shorter than a round
/// trip, so no probe is ever answered in time. The accuracy checker catches healthy
/// members declared dead, and says nothing explains it.
#[test]
fn accuracy_catches_a_period_shorter_than_a_round_trip() {
    let seed = scenario_seed(43);
    let config = Config {
        probe_interval: Duration::from_millis(500),
        probe_timeout: Duration::from_millis(100),
        suspicion_timeout: Duration::from_millis(500),
        reap_after: Duration::from_secs(600),
        lifeguard: gossip_core::Lifeguard::OFF,
        ..Config::lan(6)
    };
    let slow_network = NetworkModel {
        latency: Duration::from_millis(400),
        jitter: Duration::ZERO,
        ..NetworkModel::lan()
    };
    let mut sim = Simulation::builder()
        .seed(seed)
        .nodes(6)
        .config(config)
        .network(slow_network)
        .converged()
        .build()
        .unwrap();
    sim.run_for(Duration::from_secs(20));
    let violations = sim.check_accuracy();
    assert!(
        !violations.is_empty(),
        "the broken configuration went unnoticed (seed {seed})"
    );
    assert!(
        violations[0]
            .to_string()
            .contains("no loss, slowness or pause"),
        "{}",
        violations[0]
    );
}

/// The membership checker's one-pass reading of the member tables gives exactly what
/// asking each running member about every node by name gives, through crashes,
/// restarts, leaves, joins, removals and partitions.
#[test]
fn membership_disagreements_are_what_each_member_believes_by_name() {
    use gossip_core::{MemberState, NodeStatus};
    let by_name = |sim: &Simulation| {
        let member = |n: &gossip_sim::SimNode| n.is_up() && n.node().status() == NodeStatus::Joined;
        let mut wrong = Vec::new();
        for observer in sim.nodes().filter(|o| member(o)) {
            for subject in sim.nodes().filter(|s| s.id() != observer.id()) {
                let belief = observer.node().member_state(subject.id());
                let right = if member(subject) {
                    belief == Some(MemberState::Alive)
                } else {
                    !matches!(belief, Some(MemberState::Alive | MemberState::Suspect))
                };
                if !right {
                    wrong.push((
                        observer.id().clone(),
                        subject.id().clone(),
                        belief,
                        member(subject),
                    ));
                }
            }
        }
        wrong
    };
    let seed = scenario_seed(17);
    let mut sim = converged_lan(seed, 10);
    let mut disagreeing = 0;
    let mut check = |sim: &mut Simulation, seconds: u64| {
        for _ in 0..seconds * 2 {
            sim.run_for(Duration::from_millis(500));
            let fast = sim.membership_disagreements();
            assert_eq!(fast, by_name(sim), "seed {seed} at {:?}", sim.now());
            assert_eq!(sim.membership_is_accurate(), fast.is_empty());
            disagreeing += usize::from(!fast.is_empty());
        }
    };
    check(&mut sim, 2);
    sim.crash("n2").unwrap();
    sim.leave("n3").unwrap();
    check(&mut sim, 10);
    sim.restart("n2").unwrap();
    sim.add_node("n11", &["n1"]).unwrap();
    sim.partition(&refs(&names(1..=4)), &refs(&names(5..=10)))
        .unwrap();
    check(&mut sim, 15);
    sim.remove_node("n7").unwrap();
    sim.repair_all();
    check(&mut sim, 20);
    assert!(
        disagreeing > 10,
        "the run disagrees often enough to compare: {disagreeing}"
    );
}
