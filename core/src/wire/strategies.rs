//! Random packets of every kind, for the property tests that compare the hand-written
//! readers and writers with the serde codec.

use core::net::SocketAddr;

use proptest::prelude::*;

use super::{Message, Packet, Update};
use crate::member::{MemberState, MemberUpdate};
use crate::store::{CoveredRange, Version};
use crate::vclock::VectorClock;
use crate::{NodeId, ReplicaId, Tags, UserEvent};

/// Short names (inline), long ones (shared) and names that are not ASCII.
pub(crate) fn name() -> impl Strategy<Value = NodeId> {
    prop_oneof!["[a-z][a-z0-9-]{0,6}", "[a-z]{15,30}", "[a-zé]{1,4}",]
        .prop_map(|n| NodeId::new(&n).unwrap())
}

pub(crate) fn addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::from((ip, port))),
        (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::from((ip, port))),
    ]
}

pub(crate) fn tags() -> impl Strategy<Value = Tags> {
    prop_oneof![
        3 => Just(Tags::none()),
        1 => proptest::collection::vec(("[a-z]{1,5}", "[ -~]{0,8}"), 1..4)
            .prop_map(|pairs| Tags::new(pairs).unwrap()),
    ]
}

/// Small numbers (one byte on the wire) as often as any.
fn number() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..4, any::<u32>()]
}

pub(crate) fn update(with_accuser: bool) -> impl Strategy<Value = MemberUpdate> {
    (
        name(),
        addr(),
        number(),
        0usize..4,
        if with_accuser {
            proptest::option::weighted(0.3, name()).boxed()
        } else {
            Just(None).boxed()
        },
        tags(),
    )
        .prop_map(
            |(id, addr, incarnation, state, accuser, tags)| MemberUpdate {
                id,
                addr,
                incarnation,
                state: MemberState::ALL[state],
                accuser,
                tags,
            },
        )
}

fn replica() -> impl Strategy<Value = ReplicaId> {
    (name(), number()).prop_map(|(node, epoch)| ReplicaId::new(node, epoch))
}

fn clock() -> impl Strategy<Value = VectorClock> {
    prop_oneof![
        2 => Just(VectorClock::default()),
        1 => proptest::collection::vec((replica(), any::<u64>()), 1..4).prop_map(|entries| {
            let mut clock = VectorClock::default();
            for (replica, value) in entries {
                clock.observe(&replica, value);
            }
            clock
        }),
    ]
}

fn version() -> impl Strategy<Value = Version> {
    (
        "[a-z]{1,5}",
        proptest::option::of("[ -~]{0,8}"),
        clock(),
        replica(),
    )
        .prop_map(|(key, value, clock, writer)| Version {
            key,
            value,
            clock,
            writer,
        })
}

/// The messages of the probe path and anti-entropy digests: what the cluster sends most.
pub(crate) fn frequent_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (number(), name(), number()).prop_map(|(seq, target, store_fingerprint)| {
            Message::Ping {
                seq,
                target,
                store_fingerprint,
            }
        }),
        number().prop_map(|seq| Message::Ack { seq }),
        (number(), name(), addr(), any::<bool>()).prop_map(|(seq, target, target_addr, nack)| {
            Message::PingReq {
                seq,
                target,
                target_addr,
                nack,
            }
        }),
        number().prop_map(|seq| Message::Nack { seq }),
        Just(Message::Gossip),
        (clock(), any::<bool>(), any::<bool>()).prop_map(|(summary, send_deltas, send_digest)| {
            Message::Digest {
                summary,
                send_deltas,
                send_digest,
            }
        }),
    ]
}

/// The other messages.
pub(crate) fn rare_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (proptest::collection::vec(update(true), 0..4), any::<bool>())
            .prop_map(|(members, reply)| Message::Sync { members, reply }),
        (
            number(),
            proptest::collection::vec(version(), 0..3),
            any::<bool>()
        )
            .prop_map(|(batch, versions, feedback)| Message::Rumor {
                batch,
                versions,
                feedback,
            }),
        (number(), proptest::collection::vec(any::<bool>(), 0..4))
            .prop_map(|(batch, known)| Message::RumorFeedback { batch, known }),
        Just(Message::RumorPull),
        any::<u64>().prop_map(|fingerprint| Message::SyncOffer { fingerprint }),
        (
            proptest::collection::vec(version(), 0..3),
            proptest::collection::vec(
                (replica(), any::<u64>(), any::<u64>())
                    .prop_map(|(writer, from, to)| CoveredRange { writer, from, to }),
                0..3
            )
        )
            .prop_map(|(versions, ranges)| Message::Deltas { versions, ranges }),
    ]
}

/// A user event, within the sender's rules or not (the reader must not care).
fn user_event() -> impl Strategy<Value = UserEvent> {
    (any::<u64>(), name(), ".{0,8}", ".{0,16}", any::<u32>()).prop_map(
        |(id, origin, name, payload, age_ms)| UserEvent {
            id,
            origin,
            name,
            payload,
            age_ms,
        },
    )
}

/// Piggybacked news: member updates, now and then a key/value version or a user event.
pub(crate) fn piggybacked() -> impl Strategy<Value = Vec<Update>> {
    proptest::collection::vec(
        prop_oneof![
            6 => update(true).prop_map(Update::Member),
            1 => version().prop_map(Update::Kv),
            1 => user_event().prop_map(Update::User),
        ],
        0..5,
    )
}

/// A packet of any kind, most often of a frequent one.
pub(crate) fn packet() -> impl Strategy<Value = Packet> {
    (
        name(),
        prop_oneof![3 => frequent_message(), 1 => rare_message()],
        piggybacked(),
    )
        .prop_map(|(from, message, updates)| Packet {
            from,
            message,
            updates,
        })
}
