//! What goes into each datagram: infection-style dissemination (SWIM section 4.1)
//! piggybacked up to the MTU, gossip rounds, and full-state exchanges.

use core::net::SocketAddr;

use super::Node;
use crate::Tags;
use crate::dissemination::retransmit_limit;
use crate::member::{MemberState, MemberUpdate};
use crate::wire::{self, Message, PacketRef, Update};

/// Room reserved for the length prefix of the piggybacked update list.
const UPDATE_COUNT_RESERVE: usize = 3;

impl Node {
    /// Sends `message` with as many pending updates piggybacked as fit under the MTU.
    pub(super) fn send(&mut self, to: SocketAddr, message: Message) {
        self.send_with(to, message, None);
    }

    /// Like [`Node::send`], with `first` piggybacked ahead of the queue (Lifeguard's
    /// buddy system uses it to tell a suspect about its suspicion).
    pub(super) fn send_with(&mut self, to: SocketAddr, message: Message, first: Option<Update>) {
        if self.broadcasts.is_empty() && self.rumors.hot.is_empty() {
            // Nothing to piggyback: skip measuring the room for it (most probes and
            // acks in a quiet cluster).
            return self.push_transmit(to, &message, first.as_slice());
        }
        let mut updates: Vec<Update> = first.into_iter().collect();
        let packet = PacketRef {
            from: &self.id,
            message: &message,
            updates: &updates,
        };
        let used = 1 + wire::encoded_len(&packet) + UPDATE_COUNT_RESERVE;
        let limit = retransmit_limit(
            self.config.retransmit_mult,
            self.membership.members.active() + 1,
        );
        let budget = self.config.mtu.saturating_sub(used);
        let (news, used_by_news) = self.broadcasts.select(budget, limit);
        let room = budget.saturating_sub(used_by_news);
        updates.extend(news.into_iter().map(Update::Member));
        updates.extend(self.piggyback_rumors(room).into_iter().map(Update::Kv));
        self.push_transmit(to, &message, &updates);
    }

    /// SWIM section 4.1: push pending news to `fanout` random members.
    pub(super) fn gossip_round(&mut self) {
        if self.broadcasts.is_empty() {
            return;
        }
        for to in self.random_peers(self.config.fanout) {
            self.send(to, Message::Gossip);
        }
    }

    /// Sends this node's whole member table (itself included), split over as many
    /// datagrams as the MTU requires; only the first asks for a reply.
    pub(super) fn send_full_state(&mut self, to: SocketAddr, reply: bool) {
        let mut all: Vec<MemberUpdate> = vec![self.own_update(MemberState::Alive)];
        let tagged = !self.membership.tags.is_empty();
        all.extend(self.membership.members.iter().map(|member| {
            let mut update = MemberUpdate::from(member);
            if tagged
                && member.state == MemberState::Alive
                && let Some(tags) = self.tags_at(&member.id, member.incarnation)
            {
                update.tags = tags.clone();
            }
            update
        }));
        // Forgotten members go out as dead, so that one that restarted hears it and
        // refutes with a higher incarnation.
        all.extend(
            self.membership
                .forgotten
                .iter()
                .map(|(id, last)| MemberUpdate {
                    id: id.clone(),
                    addr: last.addr,
                    incarnation: last.incarnation,
                    state: MemberState::Dead,
                    accuser: None,
                    tags: Tags::none(),
                }),
        );
        let budget = self.config.mtu
            - self.bare_datagram_len(&Message::Sync {
                members: Vec::new(),
                reply,
            })
            - UPDATE_COUNT_RESERVE;
        let mut chunk = Vec::new();
        let mut used = 0;
        let mut ask = reply;
        for update in all {
            let len = wire::member_update_len(&update);
            if used + len > budget && !chunk.is_empty() {
                let members = std::mem::take(&mut chunk);
                self.send_unpiggybacked(
                    to,
                    Message::Sync {
                        members,
                        reply: ask,
                    },
                );
                ask = false;
                used = 0;
            }
            used += len;
            chunk.push(update);
        }
        self.send_unpiggybacked(
            to,
            Message::Sync {
                members: chunk,
                reply: ask,
            },
        );
    }

    /// The bytes of a datagram carrying `message` and nothing piggybacked, the version
    /// byte included: what is left of the MTU for a message's own list is measured
    /// from it.
    pub(super) fn bare_datagram_len(&self, message: &Message) -> usize {
        1 + wire::encoded_len(&PacketRef {
            from: &self.id,
            message,
            updates: &[],
        })
    }

    /// Sends `message` alone, with nothing piggybacked.
    pub(super) fn send_unpiggybacked(&mut self, to: SocketAddr, message: Message) {
        self.push_transmit(to, &message, &[]);
    }

    fn push_transmit(&mut self, to: SocketAddr, message: &Message, updates: &[Update]) {
        let payload = wire::encode_ref(PacketRef {
            from: &self.id,
            message,
            updates,
        });
        let kind = message.kind();
        self.stats.sent.count(kind, payload.len());
        self.transmits
            .push_back(super::Transmit { to, kind, payload });
    }
}
