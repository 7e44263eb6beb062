//! memberlist's push-pull (full-state exchange with one random live member, to repair
//! whatever piggybacked dissemination missed), offered first by fingerprint.
//!
//! A full-state exchange costs O(n) entries each way, and in a cluster that has
//! converged every one of them is old news: at 1,000 members such shares were most of
//! the work a simulated period did. So the initiator sends only a fingerprint of its
//! full state ([`Message::SyncOffer`]); the peer compares it with its own and, only when
//! they differ, starts the exchange itself (its full state, asking for the initiator's).
//! When they agree, neither share could have told the other anything, and one small
//! datagram replaced two full tables. When they differ the exchange is the same as
//! memberlist's with the roles swapped, and both sides end holding the union.
//!
//! The fingerprint is a sum of one 64-bit hash per entry of the share, so it does not
//! depend on the order in which each node holds its members. Two shares that differ
//! only by chance in a way the sum misses (about one pair in 2^64) would skip a repair;
//! the next offer to any other member, or any later change, finds it. A false
//! difference (say, between builds that hash differently) only costs an exchange.
//!
//! What the offer costs:
//! - The initiator's state travels third, after the offer and the peer's first share
//!   datagram, and fifth when the peer first checks the initiator's address (a ping
//!   and its ack, `address_check`): under loss p it reaches the peer with probability
//!   (1-p)^3 or (1-p)^5 where memberlist's push reached it with (1-p), and over a link
//!   that works one way only (initiator to peer) it never does. Push-pull is the
//!   backstop of dissemination, and the next interval, with another peer, tries again.
//! - The wire version is unchanged: a build without `SyncOffer` refuses just that
//!   message (a decode error) and still pushes its own full state to newer members,
//!   which answer it, so a cluster in a rolling upgrade still repairs, one way.

use core::hash::Hasher;
use core::net::SocketAddr;

use siphasher::sip::SipHasher13;

use super::{Node, NodeStatus};
use crate::member::MemberState;
use crate::member_table::entry_fingerprint;
use crate::registry::identity_fingerprint;
use crate::wire::Message;
use crate::{Instant, NodeId, Tags};

/// The most members not held whose pings a node answers with a full-state exchange in
/// one push-pull round ([`Node::meet_unknown_pinger`]): a few joiners at a time need
/// this, and it bounds what a burst of joins (or of pings under made-up names) costs.
/// Each such exchange, like any full state sent in answer, first checks the address
/// (`address_check`).
const UNKNOWN_PINGERS_PER_ROUND: usize = 8;

impl Node {
    /// Offers a full-state exchange to one random live member, which is then invited
    /// to send its own full state, asking for this node's, for the rest of the round
    /// (`address_check`).
    pub(super) fn push_pull(&mut self) {
        let peer = self
            .membership
            .members
            .choose(1, &mut self.rng, |_, state| state == MemberState::Alive)
            .pop()
            .map(|m| m.addr);
        self.membership.unknown_pingers_met.clear();
        let period = self.push_pull_period();
        self.address_checks.new_round(period);
        if let Some(peer) = peer {
            self.address_checks.offer_to(peer);
            let fingerprint = self.full_state_fingerprint();
            self.send(peer, Message::SyncOffer { fingerprint });
        }
    }

    /// A ping from a member this node does not hold: its sender knows this node, so
    /// one of the two missed news the other has (SWIM's dissemination, section 4.1,
    /// spreads each item a bounded number of times, and all of them may have gone to
    /// others: a member that joined just after this one, through the same seed, can stay
    /// unknown here until the next push-pull, `push_pull_interval` later). A full-state
    /// exchange with the sender repairs both sides now.
    ///
    /// Only once joined (a joining node's first answer starts an exchange anyway), and
    /// once per sender per push-pull round (the round stretches beyond 32 members, see
    /// `push_pull_period`), for at most [`UNKNOWN_PINGERS_PER_ROUND`] senders a round:
    /// a sender that cannot hear back costs one address check a round, not one a ping.
    /// This is a repair, not a guarantee: past the cap, or with the exchange lost, the
    /// next round or push-pull does it. A member reaped here but still alive learns from
    /// the exchange, while this node remembers it as dead (`reap_after`), that it was
    /// declared dead, and refutes. A ping from a peer this node has just asked for its
    /// full state is that peer checking this node's address: the exchange is under way.
    pub(super) fn meet_unknown_pinger(&mut self, now: Instant, from: SocketAddr, sender: &NodeId) {
        let membership = &mut self.membership;
        if self.status != NodeStatus::Joined
            || membership.members.held_by_name(sender.as_bytes()).is_some()
            || self.address_checks.is_invited(from)
            || membership.unknown_pingers_met.len() >= UNKNOWN_PINGERS_PER_ROUND
            || !membership.unknown_pingers_met.insert(sender.clone())
        {
            return;
        }
        self.share_full_state(now, from, sender, true);
    }

    /// An offer of a full-state exchange from `sender` at `from`: taken up (this node's
    /// full state, asking for the sender's, once `from` passes an address check) only
    /// when the sender's full state differs from this node's. A member that left
    /// answers with its departure, as it does a request for its full state.
    pub(super) fn handle_sync_offer(
        &mut self,
        now: Instant,
        from: SocketAddr,
        sender: &NodeId,
        fingerprint: u64,
    ) {
        if self.status == NodeStatus::Left {
            self.answer_full_state(now, from, sender, true);
        } else if fingerprint != self.full_state_fingerprint() {
            self.share_full_state(now, from, sender, true);
        }
    }

    /// A fingerprint of the full state this node would share ([`Node::send_full_state`]:
    /// itself, its table with live members' tags, and the members forgotten lately, as
    /// dead): equal for two nodes whose shares hold the same entries, in whatever order.
    /// The table keeps its own part as a running sum, so that an offer costs O(1) plus
    /// the members with tags and those forgotten lately.
    pub(super) fn full_state_fingerprint(&self) -> u64 {
        let mut sum = entry_fingerprint(
            identity_fingerprint(&self.id, self.addr),
            self.incarnation,
            MemberState::Alive,
        )
        .wrapping_add(tags_fingerprint(&self.id, &self.tags))
        .wrapping_add(self.membership.members.fingerprint());
        let members = &self.membership.members;
        // A share carries a member's tags while it is held alive at the incarnation
        // they came with.
        for (id, (incarnation, tags)) in &self.membership.tags {
            let held = members.held_by_name(id.as_bytes());
            if held.is_some_and(|m| m.state == MemberState::Alive && m.incarnation == *incarnation)
            {
                sum = sum.wrapping_add(tags_fingerprint(id, tags));
            }
        }
        for (id, last) in &self.membership.forgotten {
            let identity = identity_fingerprint(id, last.addr);
            sum = sum.wrapping_add(entry_fingerprint(
                identity,
                last.incarnation,
                MemberState::Dead,
            ));
        }
        sum
    }
}

/// The tags' part of an entry's fingerprint: nothing for no tags (a share writes none
/// and empty tags alike), else a hash of the member's name and each key and value,
/// with their lengths.
fn tags_fingerprint(id: &NodeId, tags: &Tags) -> u64 {
    if tags.is_empty() {
        return 0;
    }
    let mut hasher = SipHasher13::new_with_keys(1, 0);
    for field in std::iter::once(id.as_bytes()).chain(
        tags.iter()
            .flat_map(|(key, value)| [key.as_bytes(), value.as_bytes()]),
    ) {
        hasher.write(field);
        hasher.write(&(field.len() as u64).to_le_bytes());
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names and tags are hashed with their lengths (moving bytes from one field to the
    /// next changes the fingerprint), addresses with their family and port, and every
    /// state and incarnation apart.
    #[test]
    fn fingerprint_parts_tell_fields_apart() {
        let a = NodeId::new("a").unwrap();
        let tagged =
            |tags: &[(&str, &str)]| tags_fingerprint(&a, &Tags::new(tags.iter().copied()).unwrap());
        assert_ne!(tagged(&[("bc", "d")]), tagged(&[("b", "cd")]));
        assert_ne!(
            tagged(&[("b", "c"), ("de", "f")]),
            tagged(&[("b", "cd"), ("e", "f")])
        );
        assert_ne!(
            tags_fingerprint(
                &NodeId::new("ab").unwrap(),
                &Tags::new([("c", "d")]).unwrap()
            ),
            tags_fingerprint(&a, &Tags::new([("bc", "d")]).unwrap())
        );
        assert_eq!(tagged(&[]), 0, "no tags and empty tags are written alike");

        let at =
            |name: &str, addr: SocketAddr| identity_fingerprint(&NodeId::new(name).unwrap(), addr);
        let v4 = SocketAddr::from(([10, 0, 0, 1], 7946));
        let v6 = SocketAddr::from(([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1], 7946));
        assert_ne!(at("a", v4), at("a", v6));
        assert_ne!(
            at("a", v4),
            at("a", SocketAddr::from(([10, 0, 0, 1], 7947)))
        );
        assert_ne!(
            at("a", v6),
            at(
                "a",
                SocketAddr::from(([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1], 7947))
            )
        );
        assert_ne!(at("a", v4), at("b", v4));

        let identity = at("a", v4);
        let states = MemberState::ALL.map(|state| entry_fingerprint(identity, 1, state));
        assert!(
            states
                .iter()
                .enumerate()
                .all(|(i, x)| !states[..i].contains(x))
        );
        assert_ne!(
            entry_fingerprint(identity, 1, MemberState::Alive),
            entry_fingerprint(identity, 2, MemberState::Alive)
        );
    }
}
