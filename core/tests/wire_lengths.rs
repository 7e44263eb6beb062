//! The lengths the codec counts without serialising match what postcard writes, for
//! any member update: full-state exchanges cut datagrams by them, so a wrong count
//! would make a datagram overflow the MTU or waste room.
#![cfg(not(target_arch = "wasm32"))]

use core::net::{IpAddr, SocketAddr};

use gossip_core::wire::{encoded_len, member_update_len};
use gossip_core::{MAX_NODE_ID_LEN, MemberState, MemberUpdate, NodeId, Tags};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn name() -> impl Strategy<Value = NodeId> {
    let max = MAX_NODE_ID_LEN / 4;
    prop_oneof![
        proptest::string::string_regex("[a-z0-9.-]{1,64}").expect("valid regex"),
        proptest::string::string_regex(&format!("[a-zäöü€\u{1F600}]{{1,{max}}}"))
            .expect("valid regex"),
    ]
    .prop_map(|text| NodeId::new(&text).expect("printable names of at most 64 bytes"))
}

fn update() -> impl Strategy<Value = MemberUpdate> {
    (
        name(),
        any::<IpAddr>(),
        any::<u16>(),
        any::<u32>(),
        proptest::sample::select(MemberState::ALL.to_vec()),
        proptest::option::of(name()),
        tags(),
    )
        .prop_map(
            |(id, ip, port, incarnation, state, accuser, tags)| MemberUpdate {
                id,
                addr: SocketAddr::new(ip, port),
                incarnation,
                state,
                accuser,
                tags,
            },
        )
}

/// Up to four tags, some with multi-byte text, some long enough for two-byte lengths.
fn tags() -> impl Strategy<Value = Tags> {
    proptest::collection::vec(("[a-z_]{1,8}", "[a-z0-9ä€]{0,150}"), 0..4)
        .prop_map(|pairs| Tags::new(pairs).unwrap_or_else(|_| Tags::none()))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        rng_seed: RngSeed::Fixed(20_261_122),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn member_update_lengths_are_counted_exactly(update in update()) {
        prop_assert_eq!(member_update_len(&update), encoded_len(&update), "{:?}", update);
    }
}
