//! The wire codec's speed: encoding and decoding each common datagram, from a bare ping
//! to a full-state share filling the MTU.
//!
//! `cargo bench -p gossip-core --bench codec` (prints the encoded size of each sample
//! first, then the time per encode and per decode).

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    for (name, packet) in samples::all() {
        println!(
            "{name:<22} {:>5} bytes",
            gossip_core::wire::encode(&packet).len()
        );
    }
    divan::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod samples {
    use gossip_core::wire::{Message, Packet, Update};
    use gossip_core::{MemberState, MemberUpdate, NodeId, ReplicaId, VectorClock, Version};

    pub const NAMES: [&str; 6] = [
        "ping",
        "ack",
        "ping-req",
        "gossip, 8 updates",
        "sync, 48 members",
        "rumor, 4 versions",
    ];

    fn id(name: &str) -> NodeId {
        NodeId::new(name).expect("valid name")
    }

    fn member(i: usize) -> MemberUpdate {
        MemberUpdate {
            id: id(&format!("n{i}")),
            addr: format!("10.0.{}.{}:7946", i / 250, i % 250 + 1)
                .parse()
                .expect("addr"),
            incarnation: (i % 5) as u32,
            state: MemberState::Alive,
            accuser: None,
            tags: gossip_core::Tags::none(),
        }
    }

    fn version(i: usize) -> Version {
        let writer = ReplicaId::new(id("n7"), 0x5eed);
        let mut clock = VectorClock::default();
        clock.observe(&writer, i as u64 + 1);
        Version {
            key: format!("key-{i}"),
            value: Some(format!("value number {i}")),
            clock,
            writer,
        }
    }

    fn packet(message: Message, updates: Vec<Update>) -> Packet {
        Packet {
            from: id("n1"),
            message,
            updates,
        }
    }

    pub fn sample(name: &str) -> Packet {
        match name {
            "ping" => packet(
                Message::Ping {
                    seq: 4711,
                    target: id("n2"),
                    store_fingerprint: 0,
                },
                vec![],
            ),
            "ack" => packet(Message::Ack { seq: 4711 }, vec![]),
            "ping-req" => packet(
                Message::PingReq {
                    seq: 4712,
                    target: id("n3"),
                    target_addr: "10.0.0.3:7946".parse().expect("addr"),
                    nack: true,
                },
                vec![],
            ),
            "gossip, 8 updates" => packet(
                Message::Gossip,
                (0..8).map(|i| Update::Member(member(i))).collect(),
            ),
            "sync, 48 members" => packet(
                Message::Sync {
                    members: (0..48).map(member).collect(),
                    reply: true,
                },
                vec![],
            ),
            "rumor, 4 versions" => packet(
                Message::Rumor {
                    batch: 9,
                    versions: (0..4).map(version).collect(),
                    feedback: true,
                },
                vec![],
            ),
            other => unreachable!("no sample named {other}"),
        }
    }

    pub fn all() -> impl Iterator<Item = (&'static str, Packet)> {
        NAMES.into_iter().map(|name| (name, sample(name)))
    }
}

#[cfg(not(target_arch = "wasm32"))]
#[divan::bench(args = samples::NAMES)]
fn encode(bencher: divan::Bencher, name: &str) {
    let packet = samples::sample(name);
    bencher.bench(|| gossip_core::wire::encode(divan::black_box(&packet)));
}

#[cfg(not(target_arch = "wasm32"))]
#[divan::bench(args = samples::NAMES)]
fn decode(bencher: divan::Bencher, name: &str) {
    let datagram = gossip_core::wire::encode(&samples::sample(name));
    bencher.bench(|| gossip_core::wire::decode(divan::black_box(&datagram)));
}
