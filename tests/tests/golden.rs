//! Known answers: the trace digests of fixed chaos schedules, pinned. A change to the
//! code's structure (the codec, the member table, the simulator's bookkeeping) must
//! leave every one of them as it is; a change to the protocol changes them, and this
//! test is where that is noticed and the new values written down, with the reason in
//! the commit.
//!
//! The schedules are those of `gossip sim chaos --schedules 1 --nodes 12 --seed S`:
//! crashes, restarts, partitions, one-way cuts, loss, slow and paused members, joins
//! (full-state exchanges), leaves and writes, then healing and a quiet period.

use gossip_sim::chaos::{ChaosParams, run_schedule};

/// `(seed, digest)`, digests as written since a member reconnects to the dead with
/// probability dead / alive, as Serf does (the in-place full-state shares and the
/// interned member tables before it left them as they were).
const PINNED: [(u64, u64); 5] = [
    (1, 13_490_390_763_067_498_288),
    (2, 6_341_957_214_593_102_075),
    (3, 1_123_184_012_608_282_070),
    (7, 648_107_521_279_688_367),
    (12, 893_499_146_703_522_085),
];

/// 150 members, 6 faults, seed 5: a member joins, and the full state it is sent takes
/// two datagrams.
const PINNED_150: u64 = 10_178_469_822_810_430_506;

#[test]
fn fixed_chaos_schedules_keep_their_trace_digests() {
    let params = ChaosParams::new(12);
    for (seed, digest) in PINNED {
        println!("seed {seed}");
        let outcome = run_schedule(&params, seed).unwrap();
        assert_eq!(
            outcome.sim.trace_digest(),
            digest,
            "seed {seed}: the run differs (replay it with `gossip sim chaos --schedules 1 --nodes 12 --seed {seed}`)"
        );
    }
}

#[test]
fn a_larger_cluster_with_a_join_keeps_its_trace_digest() {
    let params = ChaosParams {
        steps: 6,
        ..ChaosParams::new(150)
    };
    println!("seed 5");
    let outcome = run_schedule(&params, 5).unwrap();
    assert_eq!(
        outcome.sim.trace_digest(),
        PINNED_150,
        "replay it with `gossip sim chaos --schedules 1 --nodes 150 --steps 6 --seed 5`"
    );
}
