//! The wire format: one versioned, compact binary packet per datagram.
//!
//! ```text
//! +---------+-----------------------------------------------+
//! | version | postcard(Packet { from, message, updates })   |
//! |  1 byte |  varint-framed fields, names as length+bytes  |
//! +---------+-----------------------------------------------+
//! ```
//!
//! Every packet names its sender, carries one [`Message`] and piggybacks as many
//! [`Update`]s as fit under the MTU (SWIM section 4.1). Decoding never panics: a bad
//! datagram is a [`DecodeError`] and nothing else.
//!
//! serde's derives over the types below define the format. The packets sent most are
//! written and read by hand (`by_hand`), and full-state shares in place (`full_state`),
//! to the same bytes: property tests compare both with the serde codec.
//!
//! The exchanges, with the SWIM section each comes from:
//!
//! ```text
//! probe (SWIM 3.1)       indirect probe (SWIM 3.1)          join (full state)
//! A          B           A          W          B            J              S
//! |--Ping--->|           |--PingReq->|          |            |--Sync{reply}->|
//! |<--Ack----|           |           |--Ping--->|            |<--Ping--------|  S checks
//!                        |           |<--Ack----|            |--Ack--------->|  J's address
//!                        |<--Ack-----|          |            |<--Sync--------|
//!
//! gossip round (SWIM 4.1): A --Gossip--> random B
//! nack (Lifeguard 4.1)
//! A          W          B
//! |--PingReq->|          |      the witness got no ack in time: it says so, and A,
//! |           |--Ping--->x      hearing the nack, knows its own links work
//! |<--Nack----|          |
//!
//! push-pull, offered first (memberlist's push-pull; the offer is ours)
//! A                            B
//! |--SyncOffer{fingerprint}--->|   B's full state has the same fingerprint: done
//! |<--Ping---------------------|   it differs: B checks A's address (unless A
//! |--Ack---------------------->|   answered one lately), then
//! |<--Sync{reply}--------------|   shares its own and asks for A's
//! |--Sync--------------------->|
//! |<--Sync{[B left]}-----------|   or B has left: it says only that
//!
//! rumor mongering (Demers et al. 1987)      anti-entropy, push-pull (Scuttlebutt)
//! push:  A --Rumor--> B                     A --Digest{summary, deltas?, digest?}--> B
//!        A <--RumorFeedback-- B (feedback)  A <--Deltas (what A lacks)------------- B
//! pull:  A --RumorPull--> B                 A <--Digest{B's summary, deltas?}------ B
//!        A <--Rumor-- B --> RumorFeedback   A --Deltas (what B lacks)-------------> B
//! ```

use core::net::SocketAddr;

mod by_hand;
mod bytes;
pub(crate) mod full_state;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod strategies;

use serde::{Deserialize, Serialize};

use crate::member::MemberUpdate;
use crate::store::{CoveredRange, Version};
use crate::user_event::UserEvent;
use crate::vclock::VectorClock;
use crate::{DecodeError, NodeId};

/// The wire version this build speaks; the first byte of every datagram.
/// Version 2: member news carries tags. Version 3: pings carry the sender's store
/// fingerprint.
pub const WIRE_VERSION: u8 = 3;

/// No peer ever sends a datagram larger than this (the largest UDP payload).
pub const MAX_DATAGRAM: usize = 65_507;

/// One datagram's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    /// The sender's name; its address is the datagram's source.
    pub from: NodeId,
    /// What the sender asks or answers.
    pub message: Message,
    /// Piggybacked news, fewest-sent first.
    pub updates: Vec<Update>,
}

/// The protocol messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// "Are you there?" Only the member named `target` answers, so a different member
    /// that took over the address does not vouch for the old one. `store_fingerprint` is
    /// the sender's [`Store::summary_fingerprint`](crate::Store::summary_fingerprint): a
    /// target whose own differs has something to repair with the sender, and its next
    /// anti-entropy round goes there.
    Ping {
        seq: u32,
        target: NodeId,
        store_fingerprint: u32,
    },
    /// The answer to the ping numbered `seq` (or, relayed by a witness, to a ping-req).
    Ack { seq: u32 },
    /// "Please probe `target` for me and relay its ack" (SWIM's ping-req); with
    /// `nack`, "and tell me if it does not answer" (Lifeguard).
    PingReq {
        seq: u32,
        target: NodeId,
        target_addr: SocketAddr,
        nack: bool,
    },
    /// A witness's report that the target of ping-req `seq` did not answer in time.
    Nack { seq: u32 },
    /// A share of the sender's full member table; `reply` asks for the receiver's in
    /// return (joining, reconnecting, and push-pull when an offer's fingerprint differs).
    Sync {
        members: Vec<MemberUpdate>,
        reply: bool,
    },
    /// Nothing but the piggybacked updates.
    Gossip,
    /// Hot rumors (rumor mongering); with `feedback`, "tell me which you already had".
    Rumor {
        batch: u32,
        versions: Vec<Version>,
        feedback: bool,
    },
    /// For each version of rumor batch `batch`, whether it was already known.
    RumorFeedback { batch: u32, known: Vec<bool> },
    /// "Send me your hot rumors" (pull rumor mongering).
    RumorPull,
    /// Anti-entropy: the sender's store summary; `send_deltas` asks for what the sender
    /// lacks, `send_digest` for the receiver's own summary in return.
    Digest {
        summary: VectorClock,
        send_deltas: bool,
        send_digest: bool,
    },
    /// Anti-entropy deltas: versions in per-writer version order, and the ranges they
    /// cover completely.
    Deltas {
        versions: Vec<Version>,
        ranges: Vec<CoveredRange>,
    },
    /// "Here is a fingerprint of my full state; if yours differs, let us exchange":
    /// push-pull, offered first. The receiver answers only when the fingerprints differ,
    /// with its full state and a request for the sender's. Last in the list, so that
    /// every other message keeps its tag on the wire.
    SyncOffer { fingerprint: u64 },
}

/// The kind of a message, for statistics and for drawing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum MessageKind {
    Ping,
    Ack,
    PingReq,
    Nack,
    Sync,
    Gossip,
    Rumor,
    RumorFeedback,
    RumorPull,
    Digest,
    Deltas,
    SyncOffer,
}

impl MessageKind {
    /// All kinds, in a fixed order (index with [`MessageKind::index`]).
    pub const ALL: [MessageKind; 12] = [
        MessageKind::Ping,
        MessageKind::Ack,
        MessageKind::PingReq,
        MessageKind::Nack,
        MessageKind::Sync,
        MessageKind::Gossip,
        MessageKind::Rumor,
        MessageKind::RumorFeedback,
        MessageKind::RumorPull,
        MessageKind::Digest,
        MessageKind::Deltas,
        MessageKind::SyncOffer,
    ];

    /// Position in [`MessageKind::ALL`], for per-kind counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Ping => "ping",
            MessageKind::Ack => "ack",
            MessageKind::PingReq => "ping-req",
            MessageKind::Nack => "nack",
            MessageKind::Sync => "sync",
            MessageKind::Gossip => "gossip",
            MessageKind::Rumor => "rumor",
            MessageKind::RumorFeedback => "rumor-feedback",
            MessageKind::RumorPull => "rumor-pull",
            MessageKind::Digest => "digest",
            MessageKind::Deltas => "deltas",
            MessageKind::SyncOffer => "sync-offer",
        }
    }
}

impl Message {
    /// This message's kind.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Ping { .. } => MessageKind::Ping,
            Message::Ack { .. } => MessageKind::Ack,
            Message::PingReq { .. } => MessageKind::PingReq,
            Message::Nack { .. } => MessageKind::Nack,
            Message::Sync { .. } => MessageKind::Sync,
            Message::Gossip => MessageKind::Gossip,
            Message::Rumor { .. } => MessageKind::Rumor,
            Message::RumorFeedback { .. } => MessageKind::RumorFeedback,
            Message::RumorPull => MessageKind::RumorPull,
            Message::Digest { .. } => MessageKind::Digest,
            Message::Deltas { .. } => MessageKind::Deltas,
            Message::SyncOffer { .. } => MessageKind::SyncOffer,
        }
    }
}

/// News piggybacked on any packet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Update {
    /// Membership news.
    Member(MemberUpdate),
    /// A key/value version, piggybacked as a hot rumor.
    Kv(Version),
    /// A user event, spread as membership news is. A build from before user events
    /// reads no datagram that carries one (it drops it whole); the rest of the wire is
    /// unchanged, so such builds still run in one cluster while no events are sent.
    User(UserEvent),
}

/// A packet about to be sent, borrowing its parts: it encodes to exactly the bytes of
/// the [`Packet`] with the same fields, without cloning the sender's name or building a
/// vector of updates for every probe and ack.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PacketRef<'a> {
    pub from: &'a NodeId,
    pub message: &'a Message,
    pub updates: &'a [Update],
}

impl Packet {
    /// This packet, borrowed for encoding.
    pub fn borrowed(&self) -> PacketRef<'_> {
        PacketRef {
            from: &self.from,
            message: &self.message,
            updates: &self.updates,
        }
    }
}

/// Encodes a packet into a datagram: the version byte, then the postcard body.
pub fn encode(packet: &Packet) -> Vec<u8> {
    encode_ref(packet.borrowed())
}

/// [`encode`] for a borrowed packet, written field by field ([`by_hand::encode`]).
pub fn encode_ref(packet: PacketRef<'_>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(capacity_hint(packet));
    bytes.push(WIRE_VERSION);
    by_hand::encode(packet, &mut bytes);
    bytes
}

/// Where postcard writes the parts of a datagram not written by hand: a `Vec` that
/// takes short runs of bytes (names, varints: nearly all postcard writes) one at a
/// time, since a call to `memcpy` for two or three bytes costs more than the bytes.
struct Datagram<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Datagram<'_> {
    type Output = ();

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        const SHORT: usize = 16;
        if data.len() <= SHORT {
            for &byte in data {
                self.0.push(byte);
            }
        } else {
            self.0.extend_from_slice(data);
        }
        Ok(())
    }

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Room for a typical probe or ack with some news, and about 32 bytes for each update
/// or member it carries, so that most datagrams never regrow while being encoded.
fn capacity_hint(packet: PacketRef<'_>) -> usize {
    let members = match packet.message {
        Message::Sync { members, .. } => members.len(),
        _ => 0,
    };
    (128 + 32 * (members + packet.updates.len())).min(MAX_DATAGRAM)
}

/// The number of bytes `value` takes inside a packet body.
pub fn encoded_len<T: Serialize>(value: &T) -> usize {
    postcard::experimental::serialized_size(value).unwrap_or(usize::MAX)
}

/// The number of bytes a member update takes inside a packet body: what
/// [`encoded_len`] gives, counted instead of serialised, since full-state exchanges
/// measure every member of the table to cut it into datagrams.
pub fn member_update_len(update: &MemberUpdate) -> usize {
    let name_len = |id: &NodeId| varint_len(id.as_bytes().len() as u64) + id.as_bytes().len();
    // postcard writes a socket address as its variant, the address's octets and the port.
    let addr_len = match update.addr {
        SocketAddr::V4(_) => 1 + 4,
        SocketAddr::V6(_) => 1 + 16,
    } + varint_len(u64::from(update.addr.port()));
    let accuser_len = 1 + update.accuser.as_ref().map_or(0, name_len);
    let tags_len = update.tags.encoded_len();
    // The state is one variant byte.
    name_len(&update.id)
        + addr_len
        + varint_len(u64::from(update.incarnation))
        + 1
        + accuser_len
        + tags_len
}

/// The length of postcard's variable-length (LEB128) encoding of `value`.
fn varint_len(value: u64) -> usize {
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Decodes a datagram, rejecting anything that is not exactly one packet of our version.
/// The frequent packets are read by hand ([`by_hand::decode`]); everything else,
/// malformed datagrams included, by serde.
pub fn decode(datagram: &[u8]) -> Result<Packet, DecodeError> {
    match by_hand::decode(datagram) {
        Some(packet) => Ok(packet),
        None => decode_by_serde(datagram),
    }
}

/// [`decode`] through serde: the definition of what the wire accepts.
fn decode_by_serde(datagram: &[u8]) -> Result<Packet, DecodeError> {
    let (&version, body) = datagram.split_first().ok_or(DecodeError::Empty)?;
    if datagram.len() > MAX_DATAGRAM {
        return Err(DecodeError::TooLarge {
            len: datagram.len(),
            max: MAX_DATAGRAM,
        });
    }
    if version != WIRE_VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let mut body = postcard::Deserializer::from_bytes(body);
    match Packet::deserialize(&mut body) {
        Ok(packet) => match body.finalize() {
            Ok([]) => Ok(packet),
            Ok(rest) => Err(DecodeError::TrailingBytes(rest.len())),
            Err(error) => Err(DecodeError::Malformed(error.to_string())),
        },
        Err(error) => Err(DecodeError::Malformed(error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemberState;

    fn id(name: &str) -> NodeId {
        NodeId::new(name).unwrap()
    }

    fn sample_version() -> Version {
        let writer = crate::ReplicaId::new(id("n4"), 0xbeef);
        let mut clock = VectorClock::default();
        clock.observe(&writer, 3);
        Version {
            key: "colour".into(),
            value: Some("blue".into()),
            clock,
            writer,
        }
    }

    fn sample_packets() -> Vec<Packet> {
        let update = Update::Member(MemberUpdate {
            id: id("n2"),
            addr: "10.0.0.2:7946".parse().unwrap(),
            incarnation: 7,
            state: MemberState::Suspect,
            accuser: Some(id("n3")),
            tags: crate::Tags::new([("role", "db")]).unwrap(),
        });
        let messages = vec![
            Message::Ping {
                seq: 1,
                target: id("n2"),
                store_fingerprint: 0x5eed_f00d,
            },
            Message::Ack { seq: u32::MAX },
            Message::PingReq {
                seq: 9,
                target: id("n3"),
                target_addr: "[::1]:7946".parse().unwrap(),
                nack: true,
            },
            Message::Nack { seq: 9 },
            Message::Sync {
                members: vec![],
                reply: true,
            },
            Message::Gossip,
            Message::Rumor {
                batch: 4,
                versions: vec![sample_version()],
                feedback: true,
            },
            Message::RumorFeedback {
                batch: 4,
                known: vec![true, false],
            },
            Message::RumorPull,
            Message::Digest {
                summary: sample_version().clock,
                send_deltas: true,
                send_digest: false,
            },
            Message::Deltas {
                versions: vec![sample_version()],
                ranges: vec![CoveredRange {
                    writer: sample_version().writer,
                    from: 0,
                    to: 3,
                }],
            },
            Message::SyncOffer {
                fingerprint: u64::MAX,
            },
        ];
        messages
            .into_iter()
            .map(|message| Packet {
                from: id("n1"),
                message,
                updates: vec![update.clone(), Update::Kv(sample_version())],
            })
            .collect()
    }

    #[test]
    fn every_message_round_trips() {
        for packet in sample_packets() {
            assert_eq!(decode(&encode(&packet)).unwrap(), packet);
        }
    }

    #[test]
    fn an_empty_ping_is_tiny() {
        let ping = Packet {
            from: id("n1"),
            message: Message::Ping {
                seq: 123_456,
                target: id("n2"),
                store_fingerprint: 0,
            },
            updates: vec![],
        };
        let len = encode(&ping).len();
        assert!(len <= 32, "ping is {len} bytes");
        assert_eq!(len, 1 + encoded_len(&ping));
    }

    #[test]
    fn bad_datagrams_are_errors() {
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
        assert_eq!(decode(&[9, 0, 0]), Err(DecodeError::UnsupportedVersion(9)));
        assert!(matches!(
            decode(&[WIRE_VERSION]),
            Err(DecodeError::Malformed(_))
        ));
        let mut bytes = encode(&sample_packets()[0]);
        bytes.push(0);
        assert_eq!(decode(&bytes), Err(DecodeError::TrailingBytes(1)));
        let huge = vec![WIRE_VERSION; MAX_DATAGRAM + 1];
        assert!(matches!(decode(&huge), Err(DecodeError::TooLarge { .. })));
    }

    #[test]
    fn every_truncation_and_bit_flip_decodes_or_errs_without_panicking() {
        for packet in sample_packets() {
            let bytes = encode(&packet);
            for cut in 0..bytes.len() {
                assert!(decode(&bytes[..cut]).is_err(), "a cut packet is refused");
            }
            for i in 1..bytes.len() {
                for bit in 0..8 {
                    let mut flipped = bytes.clone();
                    flipped[i] ^= 1 << bit;
                    if let Ok(read) = decode(&flipped) {
                        assert_ne!(read, packet, "a flipped bit never goes unnoticed");
                    }
                }
            }
        }
    }
}
