//! What goes into each datagram: infection-style dissemination (SWIM section 4.1)
//! piggybacked up to the MTU, gossip rounds, and full-state exchanges.

use core::net::SocketAddr;

use super::Node;
use crate::NodeId;
use crate::dissemination::retransmit_limit;
use crate::member::MemberState;
use crate::wire::full_state::SyncWriter;
use crate::wire::{self, Message, MessageKind, PacketRef, Update};

/// Room reserved for the length prefix of the piggybacked update list.
pub(super) const UPDATE_COUNT_RESERVE: usize = 3;

impl Node {
    /// Sends `message` with as many pending updates piggybacked as fit under the MTU.
    pub(super) fn send(&mut self, to: SocketAddr, message: Message) {
        self.send_with(to, message, None);
    }

    /// Like [`Node::send`], with `first` piggybacked ahead of the queue (Lifeguard's
    /// buddy system uses it to tell a suspect about its suspicion).
    ///
    /// News rides only to the address of a member held here, in any state: one held
    /// dead that still runs hears of it on the acks to its probes, and refutes. An
    /// answer to any other address (the source of a ping, which UDP does not check; the
    /// target a ping-req names, which anyone can forge) goes with `first` alone, about
    /// the size of what asked for it: a 60-byte forgery would otherwise send a bystander
    /// a datagram of up to the MTU, some 20 times more, from every member it reaches.
    /// QUIC likewise caps what it sends an address it has not validated (RFC 9000
    /// section 8.1). A member not held yet learns the table from the full-state
    /// exchange its ping starts; one held at another address (restarted elsewhere)
    /// hears what concerns it most, its suspicion or death, on every ack
    /// ([`Node::handle_ping`]).
    pub(super) fn send_with(&mut self, to: SocketAddr, message: Message, first: Option<Update>) {
        if self.broadcasts.is_empty()
            && self.rumors.hot.is_empty()
            && (!matches!(message, Message::Gossip) || self.user_events.queue.is_empty())
        {
            // Nothing to piggyback: skip measuring the room for it (most probes and
            // acks in a quiet cluster).
            return self.push_transmit(to, &message, first.as_slice());
        }
        if !self.membership.members.holds_addr(to) {
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
        let mut room = budget.saturating_sub(used_by_news);
        updates.extend(news.into_iter().map(Update::Member));
        // User events ride on gossip rounds' datagrams alone: a build from before them
        // reads no datagram carrying one, and would otherwise lose the pings and acks
        // it needs while an event spreads.
        if matches!(message, Message::Gossip) && !self.user_events.queue.is_empty() {
            let sends = limit.saturating_mul(crate::user_event::TRANSMITS_PER_NEWS);
            let (events, used_by_events) = self.user_events.queue.select(room, sends);
            room = room.saturating_sub(used_by_events);
            let events = self.user_events.aged(events);
            updates.extend(events.into_iter().map(Update::User));
        }
        updates.extend(self.piggyback_rumors(room).into_iter().map(Update::Kv));
        self.push_transmit(to, &message, &updates);
    }

    /// Where an answer larger than its request goes (anti-entropy's deltas and digest,
    /// pulled rumors): the address held here for the member the request names as its
    /// sender, in any state. Not the request's source, which UDP does not check: a
    /// forgery naming a member then draws the answer at that member, not at a
    /// bystander; and a member whose datagrams leave from another address than the one
    /// it advertises (NAT, a multi-homed host) is answered where it listens.
    pub(super) fn answer_addr(&self, sender: &NodeId) -> Option<SocketAddr> {
        self.membership
            .members
            .addr_by_name(sender.as_str().as_bytes())
    }

    /// SWIM section 4.1: push pending news to `fanout` random members.
    pub(super) fn gossip_round(&mut self) {
        if !self.has_news() {
            return;
        }
        for to in self.random_peers(self.config.fanout) {
            // Membership news and user events start a round (key/value rumors have
            // rounds of their own, but ride along while any are hot); the peers before
            // may have taken the last transmissions of all of it, and a datagram with
            // nothing to piggyback ([`Node::send_with`]'s quiet case) would carry
            // nothing.
            if !self.has_news() && self.rumors.hot.is_empty() {
                break;
            }
            self.send(to, Message::Gossip);
        }
    }

    /// Sends this node's whole member table (itself included), split over as many
    /// datagrams as the MTU requires; only the first asks for a reply. Entries are
    /// written straight from the table ([`SyncWriter`]). Asking for a reply invites
    /// `to` to send its own full state (`address_check`).
    pub(super) fn send_full_state(&mut self, to: SocketAddr, reply: bool) {
        if reply {
            self.address_checks.invite(to);
        }
        let budget = self.config.mtu
            - self.bare_datagram_len(&Message::Sync {
                members: Vec::new(),
                reply,
            })
            - UPDATE_COUNT_RESERVE;
        let mut writer = SyncWriter::new(&self.id, budget, reply);
        let own = self.own_update(MemberState::Alive);
        writer.entry(
            &own.id,
            own.addr,
            own.incarnation,
            own.state,
            Some(&own.tags),
        );
        let tagged = !self.membership.tags.is_empty();
        self.membership
            .members
            .visit(|id, addr, incarnation, state| {
                let tags = if tagged && state == MemberState::Alive {
                    self.tags_at(id, incarnation)
                } else {
                    None
                };
                writer.entry(id, addr, incarnation, state, tags);
            });
        // Forgotten members go out as dead, so that one that restarted hears it and
        // refutes with a higher incarnation.
        for (id, last) in &self.membership.forgotten {
            writer.entry(id, last.addr, last.incarnation, MemberState::Dead, None);
        }
        for payload in writer.finish() {
            self.stats.sent.count(MessageKind::Sync, payload.len());
            self.transmits.push_back(super::Transmit {
                to,
                kind: MessageKind::Sync,
                payload,
            });
        }
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

    /// The most bytes one version may take and still travel from any member: pushed
    /// alone as a rumor, and sent as anti-entropy's deltas beside the range it
    /// completes, whichever leaves less room, by a sender with the longest name a
    /// member may have (a member relays a version under its own name, and its writer's
    /// in the range). The budgets are those of `send_rumors` and `send_deltas`.
    pub(super) fn version_room(&self) -> usize {
        let longest = NodeId::new(&"n".repeat(crate::MAX_NODE_ID_LEN))
            .expect("a name of the longest length is a name");
        let bare = |message: &Message| {
            1 + wire::encoded_len(&PacketRef {
                from: &longest,
                message,
                updates: &[],
            })
        };
        let rumor = bare(&Message::Rumor {
            batch: 0,
            versions: Vec::new(),
            feedback: true,
        }) + 3;
        let range = wire::encoded_len(&crate::store::CoveredRange {
            writer: crate::ReplicaId::new(longest.clone(), u32::MAX),
            from: u64::MAX,
            to: u64::MAX,
        });
        let deltas = bare(&Message::Deltas {
            versions: Vec::new(),
            ranges: Vec::new(),
        }) + 6
            + range;
        self.config.mtu.saturating_sub(rumor.max(deltas))
    }

    /// Sends `message` alone, with nothing piggybacked.
    pub(super) fn send_unpiggybacked(&mut self, to: SocketAddr, message: Message) {
        self.push_transmit(to, &message, &[]);
    }

    pub(super) fn push_transmit(&mut self, to: SocketAddr, message: &Message, updates: &[Update]) {
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
