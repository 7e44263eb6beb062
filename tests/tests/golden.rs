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

/// `(seed, digest)` (seed 1's is also pinned for wasm32 in `sim/tests/wasm.rs`), digests
/// as written since pings carry a fingerprint of their sender's store and anti-entropy
/// runs where one differs (every seed; before that, a ping from a member not held
/// starting a full-state exchange changed seeds 1, 3, 7 and the 150-member run, and
/// members reaped while dead still trying when reconnecting and counted once, a leaving
/// member handing off its writes, push-pull offered first by a fingerprint of the full
/// state, and reconnecting to the dead with probability dead / alive, as Serf does,
/// changed them).
const PINNED: [(u64, u64); 5] = [
    (1, 1_558_539_618_197_260_706),
    (2, 7_761_075_125_888_338_058),
    (3, 8_423_835_796_633_501_741),
    (7, 1_394_017_703_919_587_693),
    (12, 2_225_729_951_842_056_012),
];

/// 150 members, 6 faults, seed 5: a member joins, and the full state it is sent takes
/// two datagrams.
const PINNED_150: u64 = 1_583_428_756_067_608_929;

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
