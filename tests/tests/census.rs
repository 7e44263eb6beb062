//! A run that keeps a census (`Simulation::keep_census`) answers the consensus view and
//! the membership checkers exactly as a pass over every member table does, through
//! random faults: crashes, restarts with and without their state, partitions, loss,
//! slowness, pauses, leaves and joins.

use gossip_core::Duration;
use gossip_sim::chaos::{ChaosParams, run_schedule};
use gossip_sim::{Simulation, Trace};
use gossip_tests::scenario_seed;

/// `with` (keeping a census) and `without` (reading the tables) are the same run at the
/// same moment: every answer must agree.
fn assert_same_answers(with: &Simulation, without: &Simulation, seed: u64) {
    let at = with.now();
    assert_eq!(
        with.consensus_tallies(),
        without.consensus_tallies(),
        "seed {seed} at {at}: tallies"
    );
    let bound = without.completeness_bound();
    assert_eq!(
        with.check_completeness(bound),
        without.check_completeness(bound),
        "seed {seed} at {at}: completeness"
    );
    assert_eq!(
        with.check_accuracy(),
        without.check_accuracy(),
        "seed {seed} at {at}: accuracy"
    );
    assert_eq!(
        with.check_convergence(),
        without.check_convergence(),
        "seed {seed} at {at}: convergence"
    );
    assert_eq!(
        with.membership_is_accurate(),
        without.membership_is_accurate(),
        "seed {seed} at {at}: accuracy of membership"
    );
}

/// Replays `trace` twice side by side, one run keeping a census, comparing their
/// answers every `every` of simulated time, and after every command if `each_command`
/// (otherwise several commands, a crash and a restart among them, fall between two
/// looks).
fn replay_comparing(trace: &Trace, every: Duration, each_command: bool, seed: u64) -> usize {
    let build = || trace.setup.builder().unwrap().build().unwrap();
    let (mut with, mut without) = (build(), build());
    with.keep_census();
    let mut compared = 0;
    let mut advance = |with: &mut Simulation, without: &mut Simulation, to| {
        while with.now() < to {
            let step = (with.now() + every).min(to);
            with.run_until(step);
            without.run_until(step);
            assert_same_answers(with, without, seed);
            compared += 1;
        }
    };
    for (at, command) in &trace.commands {
        advance(&mut with, &mut without, *at);
        let (a, b) = (with.apply(command), without.apply(command));
        assert_eq!(a.is_ok(), b.is_ok(), "seed {seed}: {command:?}");
        if each_command {
            assert_same_answers(&with, &without, seed);
        }
    }
    advance(&mut with, &mut without, trace.until);
    assert_eq!(
        with.trace_digest(),
        without.trace_digest(),
        "seed {seed}: the census changed the run"
    );
    compared
}

#[test]
fn a_census_answers_as_the_member_tables_do_through_random_faults() {
    let first = scenario_seed(7_100);
    let params = ChaosParams {
        steps: 24,
        ..ChaosParams::new(9)
    };
    let mut compared = 0;
    for seed in first..first + 12 {
        let trace = run_schedule(&params, seed).unwrap().sim.trace();
        // Often (few changes between two looks) and seldom (many, restarts among them).
        compared += replay_comparing(&trace, Duration::from_millis(300), true, seed);
        compared += replay_comparing(&trace, Duration::from_secs(20), false, seed);
    }
    assert!(compared > 1_000, "only {compared} comparisons");
}

#[test]
fn a_census_sees_a_crash_judged_and_counts_every_wrong_belief() {
    let seed = scenario_seed(7_200);
    let mut sim = Simulation::builder()
        .seed(seed)
        .nodes(8)
        .converged()
        .build()
        .unwrap();
    sim.keep_census();
    let without = |sim: &Simulation| {
        let mut plain = sim.trace().replay(None).unwrap();
        plain.run_until(sim.now());
        plain
    };
    sim.run_for(Duration::from_secs(2));
    sim.crash("n3").unwrap();
    // Right after the crash, the seven others still hold n3 alive: seven wrong beliefs.
    let convergence = sim.check_convergence();
    let detail = &convergence[0].detail;
    assert!(
        detail.starts_with("7 wrong membership beliefs, e.g. ")
            && detail.ends_with(" holds n3 alive but it is down or gone"),
        "seed {seed}: {convergence:?}"
    );
    assert_same_answers(&sim, &without(&sim), seed);
    sim.run_for(Duration::from_secs(30));
    let dead = gossip_core::MemberState::Dead as usize;
    assert_eq!(sim.consensus_tallies()[2][dead], 7, "seed {seed}");
    assert!(sim.membership_is_accurate(), "seed {seed}");
    assert_same_answers(&sim, &without(&sim), seed);
}

/// The checkers' violations, found through the census, are the ones the tables show: a
/// member paused as another crashes goes on holding it alive (completeness), and a
/// member paused until the others declared it dead is held dead as it resumes
/// (accuracy).
#[test]
fn a_census_finds_the_violations_the_tables_show() {
    let seed = scenario_seed(7_400);
    let build = || {
        Simulation::builder()
            .seed(seed)
            .nodes(7)
            .converged()
            .build()
            .unwrap()
    };
    let (mut with, mut without) = (build(), build());
    with.keep_census();
    for sim in [&mut with, &mut without] {
        sim.run_for(Duration::from_secs(2));
        sim.pause("n2").unwrap();
        sim.crash("n3").unwrap();
        sim.pause("n1").unwrap();
        sim.run_for(Duration::from_secs(60));
        sim.resume("n2").unwrap();
        sim.run_for(Duration::from_millis(50));
    }
    let bound = without.completeness_bound();
    let completeness = without.check_completeness(bound);
    assert!(
        !completeness.is_empty(),
        "seed {seed}: paused, n1 still holds n3 alive"
    );
    assert_eq!(with.check_completeness(bound), completeness, "seed {seed}");
    let accuracy = without.check_accuracy();
    assert!(
        !accuracy.is_empty(),
        "seed {seed}: n2 is held dead as it resumes"
    );
    assert_eq!(with.check_accuracy(), accuracy, "seed {seed}");
    assert_same_answers(&with, &without, seed);
}
