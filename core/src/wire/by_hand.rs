//! The packets a cluster sends most, written and read by hand.
//!
//! Nearly every datagram of a running cluster is a probe, its ack or an anti-entropy
//! digest, most with nothing or a few member updates piggybacked (SWIM section 4.1):
//! a name, a number or two and a few flags. Through serde such a packet costs several
//! times what its bytes cost, in visitor calls per field and names passed through a
//! generic deserializer; writing and reading them by hand took 6% off the simulator's
//! instructions per delivery at 10 members and 4% at 1,000 (docs/PERFORMANCE.md).
//!
//! [`encode`] writes every packet field by field in postcard's layout. A message or
//! update it does not spell out (full-state shares, rumors, deltas, key/value news) is
//! handed to postcard for its own bytes: postcard writes a packet as its fields one
//! after the other, with nothing between them, so the result is the same bytes.
//!
//! [`decode`] reads the frequent packets only: pings, acks, ping-reqs, nacks, gossip
//! and digests, with member updates piggybacked, every varint in its shortest form. For
//! anything else it returns `None`, and [`super::decode`] hands the datagram to serde:
//! whatever this reader refuses, serde reads or refuses in its own words, so the codec
//! as a whole accepts and refuses exactly what serde does. The tests below compare both
//! directions with the serde codec.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use serde::{Deserialize, Serialize};

use super::bytes::{Reader, write_name, write_varint};
use super::{Datagram, MAX_DATAGRAM, Message, Packet, PacketRef, Update, WIRE_VERSION};
use crate::member::{MemberState, MemberUpdate};
use crate::vclock::VectorClock;
use crate::{NodeId, Tags};

/// The variant numbers postcard writes: each variant's index among its enum's
/// variants, in the order they are declared.
mod variant {
    pub(super) const PING: u8 = 0;
    pub(super) const ACK: u8 = 1;
    pub(super) const PING_REQ: u8 = 2;
    pub(super) const NACK: u8 = 3;
    pub(super) const GOSSIP: u8 = 5;
    pub(super) const DIGEST: u8 = 9;
    /// `Update::Member`.
    pub(super) const MEMBER: u8 = 0;
    /// `SocketAddr::V4` and `SocketAddr::V6`.
    pub(super) const V4: u8 = 0;
    pub(super) const V6: u8 = 1;
}

/// Appends the body of `packet` (everything after the version byte) to `out`, the
/// bytes postcard writes for it.
pub(super) fn encode(packet: PacketRef<'_>, out: &mut Vec<u8>) {
    write_name(out, packet.from.as_bytes());
    write_message(out, packet.message);
    write_varint(out, packet.updates.len() as u64);
    for update in packet.updates {
        match update {
            Update::Member(news) => {
                out.push(variant::MEMBER);
                write_member_update(out, news);
            }
            Update::Kv(_) | Update::User(_) => by_serde(out, update),
        }
    }
}

fn write_message(out: &mut Vec<u8>, message: &Message) {
    match message {
        Message::Ping {
            seq,
            target,
            store_fingerprint,
        } => {
            out.push(variant::PING);
            write_varint(out, u64::from(*seq));
            write_name(out, target.as_bytes());
            write_varint(out, u64::from(*store_fingerprint));
        }
        Message::Ack { seq } => {
            out.push(variant::ACK);
            write_varint(out, u64::from(*seq));
        }
        Message::PingReq {
            seq,
            target,
            target_addr,
            nack,
        } => {
            out.push(variant::PING_REQ);
            write_varint(out, u64::from(*seq));
            write_name(out, target.as_bytes());
            write_addr(out, *target_addr);
            out.push(u8::from(*nack));
        }
        Message::Nack { seq } => {
            out.push(variant::NACK);
            write_varint(out, u64::from(*seq));
        }
        Message::Gossip => out.push(variant::GOSSIP),
        Message::Digest {
            summary,
            send_deltas,
            send_digest,
        } => {
            out.push(variant::DIGEST);
            write_clock(out, summary);
            out.push(u8::from(*send_deltas));
            out.push(u8::from(*send_digest));
        }
        Message::Sync { .. }
        | Message::Rumor { .. }
        | Message::RumorFeedback { .. }
        | Message::RumorPull
        | Message::Deltas { .. }
        | Message::SyncOffer { .. } => by_serde(out, message),
    }
}

fn write_member_update(out: &mut Vec<u8>, news: &MemberUpdate) {
    write_name(out, news.id.as_bytes());
    write_addr(out, news.addr);
    write_varint(out, u64::from(news.incarnation));
    out.push(news.state as u8);
    match &news.accuser {
        None => out.push(0),
        Some(accuser) => {
            out.push(1);
            write_name(out, accuser.as_bytes());
        }
    }
    if news.tags.is_empty() {
        out.push(0);
    } else {
        by_serde(out, &news.tags);
    }
}

/// An address as serde gives it to postcard: the variant, the octets, the port (an
/// IPv6 address's flow label and scope are not sent).
fn write_addr(out: &mut Vec<u8>, addr: SocketAddr) {
    match addr {
        SocketAddr::V4(v4) => {
            out.push(variant::V4);
            out.extend_from_slice(&v4.ip().octets());
        }
        SocketAddr::V6(v6) => {
            out.push(variant::V6);
            out.extend_from_slice(&v6.ip().octets());
        }
    }
    write_varint(out, u64::from(addr.port()));
}

/// A digest's summary: a clock is empty until the store is written to.
fn write_clock(out: &mut Vec<u8>, clock: &VectorClock) {
    if clock.is_empty() {
        out.push(0);
    } else {
        by_serde(out, clock);
    }
}

/// Appends postcard's bytes for `value`: the parts of a packet not spelled out here.
fn by_serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serialising plain data into a Vec cannot fail.
    let _ = postcard::serialize_with_flavor(value, Datagram(out));
}

/// Reads `datagram` if it is one of the frequent packets, all of it in shortest form;
/// `None` leaves it to the serde decoder, whether it is valid or not.
pub(super) fn decode(datagram: &[u8]) -> Option<Packet> {
    if datagram.len() > MAX_DATAGRAM {
        return None;
    }
    let mut reader = Reader::new(datagram);
    if reader.byte()? != WIRE_VERSION {
        return None;
    }
    let from = read_name(&mut reader)?;
    let message = read_message(&mut reader)?;
    let count = reader.varint_u32()? as usize;
    // Every update takes several bytes: a count beyond the bytes left fails below
    // without reserving room for it.
    let mut updates = Vec::with_capacity(count.min(reader.rest().len()));
    for _ in 0..count {
        if reader.byte()? != variant::MEMBER {
            return None;
        }
        updates.push(Update::Member(read_member_update(&mut reader)?));
    }
    reader.at_end().then_some(Packet {
        from,
        message,
        updates,
    })
}

fn read_message(reader: &mut Reader<'_>) -> Option<Message> {
    let message = match reader.byte()? {
        variant::PING => {
            let seq = reader.varint_u32()?;
            let target = read_name(reader)?;
            let store_fingerprint = reader.varint_u32()?;
            Message::Ping {
                seq,
                target,
                store_fingerprint,
            }
        }
        variant::ACK => Message::Ack {
            seq: reader.varint_u32()?,
        },
        variant::PING_REQ => {
            let seq = reader.varint_u32()?;
            let target = read_name(reader)?;
            let target_addr = read_addr(reader)?;
            let nack = read_bool(reader)?;
            Message::PingReq {
                seq,
                target,
                target_addr,
                nack,
            }
        }
        variant::NACK => Message::Nack {
            seq: reader.varint_u32()?,
        },
        variant::GOSSIP => Message::Gossip,
        variant::DIGEST => {
            let summary = read_clock(reader)?;
            let send_deltas = read_bool(reader)?;
            let send_digest = read_bool(reader)?;
            Message::Digest {
                summary,
                send_deltas,
                send_digest,
            }
        }
        _ => return None,
    };
    Some(message)
}

fn read_member_update(reader: &mut Reader<'_>) -> Option<MemberUpdate> {
    let id = read_name(reader)?;
    let addr = read_addr(reader)?;
    let incarnation = reader.varint_u32()?;
    let state = *MemberState::ALL.get(usize::from(reader.byte()?))?;
    let accuser = match reader.byte()? {
        0 => None,
        1 => Some(read_name(reader)?),
        _ => return None,
    };
    let tags = if reader.rest().first() == Some(&0) {
        reader.pos += 1;
        Tags::none()
    } else {
        by_serde_read(reader)?
    };
    Some(MemberUpdate {
        id,
        addr,
        incarnation,
        state,
        accuser,
        tags,
    })
}

/// A name, checked as [`NodeId::new`] checks one.
#[inline]
fn read_name(reader: &mut Reader<'_>) -> Option<NodeId> {
    NodeId::from_utf8(reader.name_bytes()?).ok()
}

/// An address as serde reads it from postcard (an IPv6 address without flow label or
/// scope).
fn read_addr(reader: &mut Reader<'_>) -> Option<SocketAddr> {
    let addr = match reader.byte()? {
        variant::V4 => {
            let octets: [u8; 4] = reader.take(4)?.try_into().ok()?;
            let port = read_port(reader)?;
            SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(octets), port))
        }
        variant::V6 => {
            let octets: [u8; 16] = reader.take(16)?.try_into().ok()?;
            let port = read_port(reader)?;
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(octets), port, 0, 0))
        }
        _ => return None,
    };
    Some(addr)
}

fn read_port(reader: &mut Reader<'_>) -> Option<u16> {
    u16::try_from(reader.varint_u32()?).ok()
}

fn read_bool(reader: &mut Reader<'_>) -> Option<bool> {
    match reader.byte()? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

fn read_clock(reader: &mut Reader<'_>) -> Option<VectorClock> {
    if reader.rest().first() == Some(&0) {
        reader.pos += 1;
        return Some(VectorClock::default());
    }
    by_serde_read(reader)
}

/// Reads a value the way the serde decoder would read it at this point of the
/// datagram: for the parts of a packet not spelled out here.
fn by_serde_read<'a, T: Deserialize<'a>>(reader: &mut Reader<'a>) -> Option<T> {
    let (value, rest) = postcard::take_from_bytes(reader.rest()).ok()?;
    reader.pos = reader.bytes.len() - rest.len();
    Some(value)
}

// The property tests need proptest, which is not built for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::wire::strategies::{frequent_message, name, packet, piggybacked};
    use crate::wire::{DecodeError, decode_by_serde};
    use proptest::prelude::*;

    /// The datagram the serde encoder writes.
    fn serde_encode(packet: &Packet) -> Vec<u8> {
        let mut bytes = vec![WIRE_VERSION];
        bytes.extend(postcard::to_allocvec(packet).unwrap());
        bytes
    }

    fn hand_encode(packet: &Packet) -> Vec<u8> {
        let mut bytes = vec![WIRE_VERSION];
        encode(packet.borrowed(), &mut bytes);
        bytes
    }

    /// Whether the hand-written reader reads `packet` itself.
    fn is_frequent(packet: &Packet) -> bool {
        matches!(
            packet.message,
            Message::Ping { .. }
                | Message::Ack { .. }
                | Message::PingReq { .. }
                | Message::Nack { .. }
                | Message::Gossip
                | Message::Digest { .. }
        ) && packet
            .updates
            .iter()
            .all(|update| matches!(update, Update::Member(_)))
    }

    /// Frequent packets, the ones read by hand, with their piggybacked news.
    fn frequent_packet() -> impl Strategy<Value = Packet> {
        (name(), frequent_message(), piggybacked()).prop_map(|(from, message, updates)| Packet {
            from,
            message,
            updates,
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Every packet is written as the serde encoder writes it, byte for byte.
        #[test]
        fn writes_what_serde_writes(packet in packet()) {
            prop_assert_eq!(hand_encode(&packet), serde_encode(&packet));
        }

        /// Every frequent packet is read by hand, to what serde reads; any other is left
        /// to serde.
        #[test]
        fn reads_what_serde_reads(packet in packet()) {
            let bytes = serde_encode(&packet);
            let read = decode(&bytes);
            if is_frequent(&packet) {
                prop_assert_eq!(read, Some(packet.clone()));
            } else {
                prop_assert_eq!(read, None);
            }
            prop_assert_eq!(crate::wire::decode(&bytes), Ok(packet));
        }

        /// Damaged bytes are never read into anything but what serde reads from them.
        #[test]
        fn never_reads_what_serde_reads_otherwise_or_refuses(
            packet in frequent_packet(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut bytes = serde_encode(&packet);
            for (at, mask) in flips {
                let at = at.index(bytes.len());
                bytes[at] ^= mask;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            if let Some(read) = decode(&bytes) {
                prop_assert_eq!(Ok(read), decode_by_serde(&bytes));
            }
        }
    }

    /// Fields postcard reads in a longer form than it writes (here a ping's number, zero
    /// in two bytes) are left to serde, which reads them.
    #[test]
    fn longer_forms_are_left_to_serde() {
        let name = |n: &str| NodeId::new(n).unwrap();
        let ping = Packet {
            from: name("a"),
            message: Message::Ping {
                seq: 0,
                target: name("b"),
                store_fingerprint: 0,
            },
            updates: vec![],
        };
        let shortest = [WIRE_VERSION, 1, b'a', variant::PING, 0, 1, b'b', 0, 0];
        assert_eq!(serde_encode(&ping), shortest);
        let longer = [WIRE_VERSION, 1, b'a', variant::PING, 0x80, 0, 1, b'b', 0, 0];
        assert_eq!(decode(&longer), None);
        assert_eq!(crate::wire::decode(&longer), Ok(ping));
    }

    /// What serde refuses is refused in serde's words.
    #[test]
    fn refusals_are_serde_s() {
        let bad_name = [WIRE_VERSION, 1, 0, variant::ACK, 0, 0];
        assert_eq!(decode(&bad_name), None);
        assert!(matches!(
            crate::wire::decode(&bad_name),
            Err(DecodeError::Malformed(_))
        ));
        let trailing = [WIRE_VERSION, 1, b'a', variant::ACK, 0, 0, 0];
        assert_eq!(decode(&trailing), None);
        assert_eq!(
            crate::wire::decode(&trailing),
            Err(DecodeError::TrailingBytes(1))
        );
    }
}
