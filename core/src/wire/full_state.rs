//! Full-state exchanges read and written in place.
//!
//! A `Sync` datagram carries a share of its sender's member table, and in a converged
//! cluster nearly every entry in it is already known to the receiver: at 1,000 members a
//! push-pull exchange merges about a thousand entries of which none is news. Decoding
//! such a datagram through serde built a [`MemberUpdate`] per entry (names, addresses,
//! tags, a vector of them) only to compare and drop it, and sending one copied the whole
//! table into updates before serialising them.
//!
//! Here the same bytes are read entry by entry straight from the datagram
//! ([`SyncView`]): the receiver looks each member up by name and builds an update only
//! for news. Sending writes each entry from the table into the datagram
//! ([`SyncWriter`]). The bytes are postcard's, exactly: the tests below compare both
//! directions with the serde codec.
//!
//! The reader is allowed to be stricter than postcard (it accepts only the canonical
//! varints postcard writes) but never laxer: anything it does not accept goes through
//! [`super::decode`], which either reads it or says precisely what is wrong with it.

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::bytes::{Reader, write_name, write_varint};
use super::{MAX_DATAGRAM, WIRE_VERSION};
use crate::member::{Incarnation, MemberState, MemberUpdate};
use crate::{NodeId, Tags};

/// The index of `Message::Sync` among the message variants, as postcard writes it.
const SYNC_VARIANT: u8 = 4;

/// A datagram holding one `Sync` message and nothing piggybacked, checked entry by entry
/// and read without copying.
#[derive(Debug)]
pub(crate) struct SyncView<'a> {
    /// The sender's name, checked.
    from: &'a [u8],
    reply: bool,
    count: usize,
    /// The encoded entries, every one of them already checked.
    entries: &'a [u8],
}

impl<'a> SyncView<'a> {
    /// Reads `datagram` as a full-state share, or `None` if it is anything else (another
    /// message, piggybacked updates, or bytes this reader does not accept). Every entry
    /// is checked here, so that a share is merged whole or not at all.
    pub(crate) fn parse(datagram: &'a [u8]) -> Option<SyncView<'a>> {
        if datagram.len() > MAX_DATAGRAM {
            return None;
        }
        let mut reader = Reader::new(datagram);
        if reader.byte()? != WIRE_VERSION {
            return None;
        }
        // The message first: nearly every datagram is something else, and is left at
        // once without checking the sender's name.
        let from = reader.name(Check::Framing)?;
        if reader.byte()? != SYNC_VARIANT || !NodeId::is_valid(from) {
            return None;
        }
        let count = reader.varint_u32()? as usize;
        let start = reader.pos;
        for _ in 0..count {
            reader.entry(Check::Content)?;
        }
        let entries = &datagram[start..reader.pos];
        let reply = match reader.byte()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        // No piggybacked updates, and nothing after them.
        if reader.byte()? != 0 || reader.pos != datagram.len() {
            return None;
        }
        Some(SyncView {
            from,
            reply,
            count,
            entries,
        })
    }

    /// Whether `id` sent this share.
    pub(crate) fn is_from(&self, id: &NodeId) -> bool {
        self.from == id.as_bytes()
    }

    /// The sender's name (`parse` checked it, so this is `Some`).
    pub(crate) fn sender(&self) -> Option<NodeId> {
        NodeId::from_utf8(self.from).ok()
    }

    /// Whether the sender asks for the receiver's full state in return.
    pub(crate) fn reply(&self) -> bool {
        self.reply
    }

    /// The entries, in the order they were sent.
    pub(crate) fn entries(&self) -> impl Iterator<Item = EntryRef<'a>> + use<'a> {
        let mut reader = Reader::new(self.entries);
        // Every entry was checked by `parse`: reading one again skips the checks of
        // names and tags, and cannot fail.
        (0..self.count).map_while(move |_| reader.entry(Check::Framing))
    }
}

/// One member entry of a full-state share, read in place: names, address and tags stay
/// bytes (checked ones) until the entry turns out to be news.
#[derive(Debug)]
pub(crate) struct EntryRef<'a> {
    name: &'a [u8],
    /// The address's variant byte and octets.
    ip: &'a [u8],
    port: u16,
    pub(crate) incarnation: Incarnation,
    pub(crate) state: MemberState,
    accuser: Option<&'a [u8]>,
    /// A zero count, or tags that decode.
    tags: &'a [u8],
}

impl<'a> EntryRef<'a> {
    /// The member's name, as bytes.
    pub(crate) fn name(&self) -> &'a [u8] {
        self.name
    }

    /// Whether the entry names an accuser (full states never do; a peer may).
    pub(crate) fn has_accuser(&self) -> bool {
        self.accuser.is_some()
    }

    /// Whether the entry carries no tags.
    pub(crate) fn has_no_tags(&self) -> bool {
        self.tags == [0]
    }

    /// The member's address. `None` never happens: `parse` checked every part.
    pub(crate) fn addr(&self) -> Option<SocketAddr> {
        Some(match *self.ip {
            [0, a, b, c, d] => {
                SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), self.port))
            }
            [1, ref v6 @ ..] => {
                let octets: [u8; 16] = v6.try_into().ok()?;
                SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(octets), self.port, 0, 0))
            }
            _ => return None,
        })
    }

    /// The entry as owned news. `None` never happens: `parse` checked every part.
    pub(crate) fn to_update(&self) -> Option<MemberUpdate> {
        let tags = if self.has_no_tags() {
            Tags::none()
        } else {
            postcard::from_bytes(self.tags).ok()?
        };
        Some(MemberUpdate {
            id: NodeId::from_utf8(self.name).ok()?,
            addr: self.addr()?,
            incarnation: self.incarnation,
            state: self.state,
            accuser: match self.accuser {
                Some(name) => Some(NodeId::from_utf8(name).ok()?),
                None => None,
            },
            tags,
        })
    }
}

/// Reading full-state entries, on the cursor shared with the other hand-written readers.
impl<'a> Reader<'a> {
    /// A node name's bytes; with `check`, checked as [`NodeId::new`] checks a name.
    #[inline(always)]
    fn name(&mut self, check: Check) -> Option<&'a [u8]> {
        let name = self.name_bytes()?;
        let valid = check == Check::Framing || NodeId::is_valid(name);
        valid.then_some(name)
    }

    /// A member's tags: a count, then each key and value as a length and bytes; with
    /// `check`, also what postcard's [`Tags`] accepts (keys in order, the bounds). The
    /// framing is read with this reader's shortest-form varints, so tags postcard would
    /// read in a longer form are refused here and left to the serde decoder.
    #[inline(always)]
    fn tags(&mut self, check: Check) -> Option<&'a [u8]> {
        let start = self.pos;
        for _ in 0..self.varint_u32()? {
            for _key_then_value in 0..2 {
                let len = self.varint_u32()? as usize;
                self.take(len)?;
            }
        }
        let tags = &self.bytes[start..self.pos];
        if check == Check::Content && tags != [0] {
            let (_, rest): (Tags, _) = postcard::take_from_bytes(tags).ok()?;
            if !rest.is_empty() {
                return None;
            }
        }
        Some(tags)
    }

    /// One member entry. `parse` reads each with [`Check::Content`]; reading it again
    /// in [`SyncView::entries`] only follows the framing. Always inlined, with these
    /// readers of its parts, so that each caller's `check` is a constant and the
    /// framing-only reading carries none of the content checks: called out of line,
    /// the two readings shared one body and the merge of a share cost 15% more
    /// instructions per delivery at 1,000 members (docs/PERFORMANCE.md).
    #[inline(always)]
    fn entry(&mut self, check: Check) -> Option<EntryRef<'a>> {
        let name = self.name(check)?;
        let ip = match self.bytes.get(self.pos)? {
            0 => self.take(5)?,
            1 => self.take(17)?,
            _ => return None,
        };
        let port = u16::try_from(self.varint_u32()?).ok()?;
        let incarnation = self.varint_u32()?;
        let state = *MemberState::ALL.get(usize::from(self.byte()?))?;
        let accuser = match self.byte()? {
            0 => None,
            1 => Some(self.name(check)?),
            _ => return None,
        };
        let tags = self.tags(check)?;
        Some(EntryRef {
            name,
            ip,
            port,
            incarnation,
            state,
            accuser,
            tags,
        })
    }
}

/// How much of an entry [`Reader::entry`] checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Names and tags are what a [`NodeId`] and [`Tags`] accept.
    Content,
    /// Only the framing: for an entry already checked.
    Framing,
}

/// Writes a full state into as many `Sync` datagrams as its size requires, each entry
/// encoded as postcard would encode a [`MemberUpdate`] with no accuser, straight from
/// the member table: no update is built per member.
#[derive(Debug)]
pub(crate) struct SyncWriter {
    /// The bytes every datagram starts with: version, sender, message variant.
    header: Vec<u8>,
    /// Bytes of entries a datagram may hold.
    budget: usize,
    /// Whether the next datagram asks for a reply (only the first does).
    ask: bool,
    /// The entries of the datagram being filled.
    entries: Vec<u8>,
    count: usize,
    datagrams: Vec<Vec<u8>>,
}

impl SyncWriter {
    /// A writer for `from`'s full state, cut so that each datagram holds at most
    /// `budget` bytes of entries (or one entry, if a single entry is larger); the
    /// first asks for the receiver's full state in return if `reply`.
    pub(crate) fn new(from: &NodeId, budget: usize, reply: bool) -> SyncWriter {
        let mut header = vec![WIRE_VERSION];
        write_name(&mut header, from.as_bytes());
        header.push(SYNC_VARIANT);
        SyncWriter {
            header,
            budget,
            ask: reply,
            entries: Vec::new(),
            count: 0,
            datagrams: Vec::new(),
        }
    }

    /// Adds one member's entry.
    pub(crate) fn entry(
        &mut self,
        id: &NodeId,
        addr: SocketAddr,
        incarnation: Incarnation,
        state: MemberState,
        tags: Option<&Tags>,
    ) {
        let start = self.entries.len();
        write_entry(&mut self.entries, id, addr, incarnation, state, tags);
        if self.entries.len() > self.budget && self.count > 0 {
            self.seal(start);
        }
        self.count += 1;
    }

    /// Closes the datagram holding the entries before `end`, keeping the rest for the
    /// next.
    fn seal(&mut self, end: usize) {
        let mut datagram = Vec::with_capacity(self.header.len() + 5 + end + 2);
        datagram.extend_from_slice(&self.header);
        write_varint(&mut datagram, self.count as u64);
        datagram.extend_from_slice(&self.entries[..end]);
        datagram.push(u8::from(self.ask));
        datagram.push(0); // nothing piggybacked
        self.datagrams.push(datagram);
        self.entries.drain(..end);
        self.count = 0;
        self.ask = false;
    }

    /// The datagrams, in order; always at least one.
    pub(crate) fn finish(mut self) -> Vec<Vec<u8>> {
        self.seal(self.entries.len());
        self.datagrams
    }
}

fn write_entry(
    out: &mut Vec<u8>,
    id: &NodeId,
    addr: SocketAddr,
    incarnation: Incarnation,
    state: MemberState,
    tags: Option<&Tags>,
) {
    write_name(out, id.as_bytes());
    match addr {
        SocketAddr::V4(v4) => {
            out.push(0);
            out.extend_from_slice(&v4.ip().octets());
        }
        SocketAddr::V6(v6) => {
            out.push(1);
            out.extend_from_slice(&v6.ip().octets());
        }
    }
    write_varint(out, u64::from(addr.port()));
    write_varint(out, u64::from(incarnation));
    out.push(state as u8);
    out.push(0); // no accuser in a full state
    match tags {
        Some(tags) if !tags.is_empty() => {
            // Serialising plain data into a Vec cannot fail.
            if let Ok(extended) = postcard::to_extend(tags, core::mem::take(out)) {
                *out = extended;
            }
        }
        _ => out.push(0),
    }
}

// The property tests need proptest, which is not built for wasm32.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::wire::strategies::{name, update};
    use crate::wire::{self, Message, Packet, Update};
    use proptest::prelude::*;

    fn sync_packet() -> impl Strategy<Value = Packet> {
        (
            name(),
            proptest::collection::vec(update(true), 0..200),
            any::<bool>(),
            proptest::collection::vec(update(true).prop_map(Update::Member), 0..2),
        )
            .prop_map(|(from, members, reply, updates)| Packet {
                from,
                message: Message::Sync { members, reply },
                updates,
            })
    }

    fn entries_of(view: &SyncView<'_>) -> Vec<MemberUpdate> {
        view.entries().map(|e| e.to_update().unwrap()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Every full-state share without piggybacked news is read in place, to the
        /// same entries as the serde decoder reads; anything else is left to it.
        #[test]
        fn reads_what_the_decoder_reads(packet in sync_packet()) {
            let bytes = wire::encode(&packet);
            let view = SyncView::parse(&bytes);
            prop_assert_eq!(view.is_some(), packet.updates.is_empty());
            if let (Some(view), Message::Sync { members, reply }) = (view, &packet.message) {
                prop_assert!(view.is_from(&packet.from));
                prop_assert_eq!(view.reply(), *reply);
                prop_assert_eq!(&entries_of(&view), members);
                for (entry, member) in view.entries().zip(members) {
                    prop_assert_eq!(entry.has_no_tags(), member.tags.is_empty());
                }
            }
        }

        /// Damaged bytes are never read into anything the decoder would not read.
        #[test]
        fn never_accepts_what_the_decoder_refuses(
            packet in sync_packet(),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut bytes = wire::encode(&packet);
            for (at, mask) in flips {
                let at = at.index(bytes.len());
                bytes[at] ^= mask;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            if let Some(view) = SyncView::parse(&bytes) {
                let decoded = wire::decode(&bytes);
                prop_assert!(decoded.is_ok(), "read in place but refused: {:?}", decoded);
                let decoded = decoded.unwrap();
                prop_assert!(decoded.updates.is_empty());
                prop_assert!(view.is_from(&decoded.from));
                let Message::Sync { members, reply } = decoded.message else {
                    return Err(TestCaseError::fail("read in place, decoded as another message"));
                };
                prop_assert_eq!(view.reply(), reply);
                prop_assert_eq!(entries_of(&view), members);
            }
        }

        /// The writer's datagrams are the serde encoder's, cut where the old sender cut
        /// them: at the first entry that would take the datagram over its budget.
        #[test]
        fn writes_what_the_encoder_writes(
            from in name(),
            members in proptest::collection::vec(update(false), 1..200),
            reply in any::<bool>(),
            budget in prop_oneof![Just(usize::MAX), 0usize..2000],
        ) {
            let mut writer = SyncWriter::new(&from, budget, reply);
            for m in &members {
                writer.entry(&m.id, m.addr, m.incarnation, m.state, Some(&m.tags));
            }
            let written = writer.finish();
            // The cut by measured lengths, then each share encoded by serde.
            let mut shares: Vec<Vec<MemberUpdate>> = vec![vec![]];
            let mut used = 0;
            for m in members {
                let len = wire::member_update_len(&m);
                if used + len > budget && !shares.last().unwrap().is_empty() {
                    shares.push(vec![]);
                    used = 0;
                }
                used += len;
                shares.last_mut().unwrap().push(m);
            }
            let expected: Vec<Vec<u8>> = shares
                .into_iter()
                .enumerate()
                .map(|(i, members)| wire::encode(&Packet {
                    from: from.clone(),
                    message: Message::Sync { members, reply: reply && i == 0 },
                    updates: vec![],
                }))
                .collect();
            prop_assert_eq!(written, expected);
        }
    }

    /// Tags whose count postcard reads but not in its shortest form: the share is left
    /// to the serde decoder (which reads it whole), not read in place in part.
    #[test]
    fn tags_framed_longer_than_needed_are_left_to_the_decoder() {
        let entry = |tags: &[u8]| {
            let mut bytes = vec![1, b'b', 0, 10, 0, 0, 2, 0x9a, 0x3d, 0, 0, 0];
            bytes.extend_from_slice(tags);
            bytes
        };
        let mut datagram = vec![WIRE_VERSION, 1, b'z', SYNC_VARIANT, 2];
        // One tag, k = "", its count written in two bytes where one does.
        datagram.extend(entry(&[0x81, 0x00, 1, b'k', 0]));
        datagram.extend(entry(&[0]));
        datagram.extend([0, 0]);
        let decoded = wire::decode(&datagram).expect("postcard reads it");
        let Message::Sync { members, .. } = decoded.message else {
            panic!("a full-state share");
        };
        assert_eq!(members.len(), 2);
        assert!(SyncView::parse(&datagram).is_none());
        // The same share in shortest form is read in place, both entries.
        let mut canonical = vec![WIRE_VERSION, 1, b'z', SYNC_VARIANT, 2];
        canonical.extend(entry(&[1, 1, b'k', 0]));
        canonical.extend(entry(&[0]));
        canonical.extend([0, 0]);
        let view = SyncView::parse(&canonical).expect("read in place");
        assert_eq!(entries_of(&view), {
            let Message::Sync { members, .. } = wire::decode(&canonical).unwrap().message else {
                panic!("a full-state share");
            };
            members
        });
    }
}
