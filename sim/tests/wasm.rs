//! The core compiled to wasm32: the same protocol and simulator the browser lab runs,
//! under Node and (with `WASM_BINDGEN_USE_BROWSER=1`) in headless Chromium.
#![cfg(target_arch = "wasm32")]

use gossip_core::wire::{self, Message, Packet};
use gossip_core::{Config, Duration, Instant, MemberState, Node, NodeId};
use gossip_sim::Simulation;
use gossip_sim::chaos::{ChaosParams, run_schedule};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn a_simulated_cluster_detects_a_crash() {
    let seed = 9;
    let mut sim = Simulation::builder().seed(seed).nodes(5).build().unwrap();
    sim.run_for(Duration::from_secs(5));
    assert!(sim.everyone_sees("n4", MemberState::Alive), "seed {seed}");
    sim.crash("n4").unwrap();
    sim.run_for(Duration::from_secs(20));
    assert!(sim.everyone_sees("n4", MemberState::Dead), "seed {seed}");
    assert!(sim.everyone_sees("n1", MemberState::Alive), "seed {seed}");
}

#[wasm_bindgen_test]
fn the_same_seed_gives_the_same_run() {
    let run = |seed| {
        let mut sim = Simulation::builder().seed(seed).nodes(5).build().unwrap();
        sim.run_for(Duration::from_secs(8));
        sim.history()
            .map(|m| (m.id, m.arrives_at))
            .collect::<Vec<_>>()
    };
    assert_eq!(run(3), run(3));
}

/// A ping's store fingerprint is compared with those of native members: the same
/// writes give the fingerprint they give natively (`a_store_fingerprint_is_the_one_wasm32_gives`
/// in `core/src/node/tests.rs`).
#[wasm_bindgen_test]
fn a_store_fingerprint_is_the_native_one() {
    let addr = "10.0.0.1:7946".parse().unwrap();
    let mut node = Node::new(NodeId::new("n1").unwrap(), addr, Config::demo(), 7).unwrap();
    node.put(Instant::ZERO, "k", "v").unwrap();
    node.put(Instant::ZERO, "k", "w").unwrap();
    assert_eq!(node.store().summary_fingerprint(), 338_081_350);
}

#[wasm_bindgen_test]
fn the_codec_round_trips_and_rejects_garbage() {
    let packet = Packet {
        from: NodeId::new("n1").unwrap(),
        message: Message::Ping {
            seq: 5,
            target: NodeId::new("n2").unwrap(),
            store_fingerprint: 0,
        },
        updates: vec![],
    };
    let bytes = wire::encode(&packet);
    assert_eq!(wire::decode(&bytes).unwrap(), packet);
    assert!(wire::decode(&bytes[..bytes.len() - 1]).is_err());
    assert!(wire::decode(&[0xde, 0xad]).is_err());
}

/// A chaos schedule gives the trace digest pinned natively in `tests/tests/golden.rs`
/// (seed 1): a wasm32 run times and sizes its datagrams as a native one does, so a
/// trace made on the command line replays in the lab. Push-pull offers carry a hash,
/// which must not depend on the platform: the digest covers a datagram's length, not
/// its bytes, but an offer's varint-encoded fingerprint is 9 or 10 bytes about as often,
/// so a platform-dependent hash changes the length of some of a run's offers.
#[wasm_bindgen_test]
fn a_chaos_schedule_gives_the_native_trace_digest() {
    let outcome = run_schedule(&ChaosParams::new(12), 1).unwrap();
    assert_eq!(outcome.sim.trace_digest(), 14_115_297_464_710_717_135);
}
