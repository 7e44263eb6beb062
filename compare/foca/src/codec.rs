//! foca's postcard codec (the only one foca 2 ships), wrapped to count the messages
//! each member decodes by kind: foca decodes every datagram's header anyway, so the
//! count costs no extra decoding.

use core::cell::Cell;
use std::rc::Rc;

use foca::{Codec, Header, Member, Message, PostcardCodec};

/// foca's message kinds, in the order of [`kind_index`].
pub const KINDS: [&str; 11] = [
    "ping",
    "ack",
    "ping-req",
    "indirect-ping",
    "indirect-ack",
    "forwarded-ack",
    "announce",
    "feed",
    "gossip",
    "broadcast",
    "turn-undead",
];

/// Messages decoded by kind, shared by every member of the cluster.
#[derive(Debug, Default)]
pub struct Tally {
    decoded: [Cell<u64>; KINDS.len()],
}

impl Tally {
    /// `(kind, count)` for every kind seen, in [`KINDS`] order.
    pub fn by_kind(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        KINDS
            .iter()
            .zip(&self.decoded)
            .map(|(name, count)| (*name, count.get()))
            .filter(|(_, count)| *count > 0)
    }
}

/// [`PostcardCodec`] plus a [`Tally`] of the headers it decodes.
#[derive(Clone, Debug)]
pub struct CountingCodec {
    tally: Rc<Tally>,
}

impl CountingCodec {
    pub fn new(tally: Rc<Tally>) -> Self {
        CountingCodec { tally }
    }
}

impl<T> Codec<T> for CountingCodec
where
    PostcardCodec: Codec<T>,
{
    type Error = <PostcardCodec as Codec<T>>::Error;

    fn encode_header(
        &mut self,
        header: &Header<T>,
        buf: impl bytes::BufMut,
    ) -> Result<(), Self::Error> {
        PostcardCodec.encode_header(header, buf)
    }

    fn decode_header(&mut self, buf: impl bytes::Buf) -> Result<Header<T>, Self::Error> {
        let header = PostcardCodec.decode_header(buf)?;
        let count = &self.tally.decoded[kind_index(&header.message)];
        count.set(count.get() + 1);
        Ok(header)
    }

    fn encode_member(
        &mut self,
        member: &Member<T>,
        buf: impl bytes::BufMut,
    ) -> Result<(), Self::Error> {
        PostcardCodec.encode_member(member, buf)
    }

    fn decode_member(&mut self, buf: impl bytes::Buf) -> Result<Member<T>, Self::Error> {
        PostcardCodec.decode_member(buf)
    }
}

fn kind_index<T>(message: &Message<T>) -> usize {
    match message {
        Message::Ping(_) => 0,
        Message::Ack(_) => 1,
        Message::PingReq { .. } => 2,
        Message::IndirectPing { .. } => 3,
        Message::IndirectAck { .. } => 4,
        Message::ForwardedAck { .. } => 5,
        Message::Announce => 6,
        Message::Feed => 7,
        Message::Gossip => 8,
        Message::Broadcast => 9,
        Message::TurnUndead => 10,
    }
}
