//! Whatever bytes arrive, decoding and `handle_packet` never panic: a bad datagram is an
//! error and a counter, and changes nothing else. Random bytes and mutations of valid
//! packets of every kind, via proptest (failures print a reproducible seed and a
//! minimal input).
#![cfg(not(target_arch = "wasm32"))]

use core::net::SocketAddr;

use gossip_core::wire::{self, Message, Packet, Update};
use gossip_core::{
    Config, CoveredRange, Instant, MemberState, MemberUpdate, Node, NodeId, ReplicaId, VectorClock,
    Version,
};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn id(name: &str) -> NodeId {
    NodeId::new(name).unwrap()
}

fn valid_packets() -> Vec<Vec<u8>> {
    let member = MemberUpdate {
        id: id("n2"),
        addr: "10.0.0.2:7946".parse().unwrap(),
        incarnation: 3,
        state: MemberState::Suspect,
        accuser: Some(id("n3")),
        tags: gossip_core::Tags::new([("role", "web"), ("port", "8080")]).unwrap(),
    };
    let writer = ReplicaId::new(id("n4"), 9);
    let mut clock = VectorClock::default();
    clock.observe(&writer, 2);
    let kv = Version {
        key: "k".into(),
        value: Some("v".into()),
        clock: clock.clone(),
        writer: writer.clone(),
    };
    let messages = [
        Message::Ping {
            seq: 7,
            target: id("me"),
            store_fingerprint: 0,
        },
        Message::Ack { seq: 7 },
        Message::PingReq {
            seq: 1,
            target: id("n2"),
            target_addr: member.addr,
            nack: true,
        },
        Message::Nack { seq: 1 },
        Message::Sync {
            members: vec![member.clone()],
            reply: true,
        },
        Message::Gossip,
        Message::Rumor {
            batch: 1,
            versions: vec![kv.clone()],
            feedback: true,
        },
        Message::RumorFeedback {
            batch: 1,
            known: vec![true],
        },
        Message::RumorPull,
        Message::Digest {
            summary: clock.clone(),
            send_deltas: true,
            send_digest: true,
        },
        Message::Deltas {
            versions: vec![kv.clone()],
            ranges: vec![CoveredRange {
                writer,
                from: 0,
                to: 2,
            }],
        },
    ];
    messages
        .into_iter()
        .map(|message| {
            wire::encode(&Packet {
                from: id("n1"),
                message,
                updates: vec![Update::Member(member.clone()), Update::Kv(kv.clone())],
            })
        })
        .collect()
}

fn fresh_node() -> Node {
    let addr: SocketAddr = "10.0.0.9:7946".parse().unwrap();
    let mut node = Node::new(id("me"), addr, Config::lan(10), 1).unwrap();
    node.join(Instant::ZERO, &[]);
    while node.poll_transmit().is_some() {}
    while node.poll_event().is_some() {}
    node
}

/// Feeds `datagram`. A rejected one moves the error counter and nothing else; an
/// accepted one moves no error counter and is a packet our own encoder writes byte for
/// byte (so nothing malformed slips through as something else).
fn feed(datagram: &[u8]) {
    let mut node = fresh_node();
    let before = node.poll_timeout();
    let from: SocketAddr = "10.0.0.1:7946".parse().unwrap();
    let result = node.handle_packet(Instant::from_millis(5), from, datagram);
    if result.is_ok() {
        assert_eq!(node.stats().decode_errors, 0);
        let packet = wire::decode(datagram).expect("accepted, so it decodes");
        assert_eq!(
            wire::encode(&packet),
            datagram,
            "accepted only in canonical form"
        );
    } else {
        assert_eq!(node.stats().decode_errors, 1);
        assert_eq!(node.members().count(), 0);
        assert!(node.store().is_empty());
        assert!(node.poll_transmit().is_none());
        assert_eq!(node.poll_timeout(), before);
        assert!(node.poll_event().is_none());
    }
    while node.poll_transmit().is_some() {}
    while node.poll_event().is_some() {}
    node.handle_timeout(Instant::from_millis(10_000));
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2_000,
        rng_seed: RngSeed::Fixed(1_400),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1_500)) {
        feed(&bytes);
    }

    #[test]
    fn random_bytes_after_the_version_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut datagram = vec![wire::WIRE_VERSION];
        datagram.extend(bytes);
        feed(&datagram);
    }

    #[test]
    fn mutated_valid_packets_never_panic(
        which in 0usize..11,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut datagram = valid_packets()[which].clone();
        for (at, byte) in edits {
            let i = at.index(datagram.len());
            datagram[i] = byte;
        }
        if truncate {
            datagram.truncate(cut.index(datagram.len() + 1));
        }
        feed(&datagram);
    }
}

#[test]
fn every_valid_packet_is_accepted() {
    for datagram in valid_packets() {
        let mut node = fresh_node();
        node.handle_packet(Instant::ZERO, "10.0.0.1:7946".parse().unwrap(), &datagram)
            .unwrap();
        assert_eq!(node.stats().decode_errors, 0);
    }
}
