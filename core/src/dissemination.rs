//! Infection-style dissemination of membership news (SWIM section 4.1): news rides on
//! the packets the protocol sends anyway, fewest-sent first, until each item has gone
//! out about `retransmit_mult * ceil(log10(n + 1))` times. User events spread the same
//! way, in a queue of their own. (Key/value versions spread by rumor mongering
//! instead, with its own cooling.)

use serde::Serialize;

use crate::member::MemberUpdate;
use crate::user_event::UserEvent;
use crate::wire::encoded_len;

/// An item a [`BroadcastQueue`] spreads.
pub(crate) trait News: Clone + Serialize {
    /// Whether this item makes `older`, queued before it, not worth sending any more.
    fn supersedes(&self, older: &Self) -> bool;

    /// The bytes it takes in a packet, but for the tag that wraps it as an `Update`.
    fn wire_len(&self) -> usize {
        encoded_len(self)
    }
}

/// Newer news about a member replaces older: spreading stale news wastes room.
impl News for MemberUpdate {
    fn supersedes(&self, older: &MemberUpdate) -> bool {
        self.id == older.id
    }
}

/// Every user event is heard once, whatever else was sent.
impl News for UserEvent {
    fn supersedes(&self, _older: &UserEvent) -> bool {
        false
    }

    /// At any age: the age it goes with is written when it is sent.
    fn wire_len(&self) -> usize {
        self.room_needed()
    }
}

#[derive(Clone, Debug)]
struct Pending<T> {
    item: T,
    encoded_len: usize,
    transmits: u32,
    /// Insertion order, so that equally-sent items go out oldest first, deterministically.
    order: u64,
}

/// The queue of news still being spread.
#[derive(Clone, Debug)]
pub(crate) struct BroadcastQueue<T> {
    pending: Vec<Pending<T>>,
    next_order: u64,
}

impl<T> Default for BroadcastQueue<T> {
    fn default() -> Self {
        BroadcastQueue {
            pending: Vec::new(),
            next_order: 0,
        }
    }
}

impl<T: News> BroadcastQueue<T> {
    /// Queues `item`, dropping any pending news it supersedes.
    pub(crate) fn push(&mut self, item: T) {
        self.pending.retain(|p| !item.supersedes(&p.item));
        self.pending.push(Pending {
            // One more byte: the tag that wraps it as an `Update` in the packet.
            encoded_len: item.wire_len() + 1,
            item,
            transmits: 0,
            order: self.next_order,
        });
        self.next_order += 1;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// The bytes the pending items take in packets.
    pub(crate) fn bytes(&self) -> usize {
        self.pending.iter().map(|p| p.encoded_len).sum()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pending.len()
    }

    /// Takes the fewest-sent items that fit in `budget` bytes, counts one transmission
    /// for each, and drops those that reached `limit` transmissions. Returns them with
    /// the room they take in a packet.
    pub(crate) fn select(&mut self, budget: usize, limit: u32) -> (Vec<T>, usize) {
        self.pending.sort_by_key(|p| (p.transmits, p.order));
        let mut room = budget;
        let mut chosen = Vec::new();
        for pending in &mut self.pending {
            if pending.encoded_len <= room {
                room -= pending.encoded_len;
                pending.transmits += 1;
                chosen.push(pending.item.clone());
            }
        }
        self.pending.retain(|p| p.transmits < limit);
        (chosen, budget - room)
    }

    /// Drops the pending items `stale` picks, unsent; returns how many.
    pub(crate) fn drop_where(&mut self, mut stale: impl FnMut(&T) -> bool) -> usize {
        let before = self.pending.len();
        self.pending.retain(|p| !stale(&p.item));
        before - self.pending.len()
    }
}

/// How many times each update is sent in a cluster of `cluster_size` members.
pub(crate) fn retransmit_limit(retransmit_mult: u32, cluster_size: usize) -> u32 {
    let scale = ((cluster_size + 1) as f64).log10().ceil().max(1.0) as u32;
    retransmit_mult * scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemberState, NodeId};

    fn member_news(name: &str, incarnation: u32) -> MemberUpdate {
        MemberUpdate {
            id: NodeId::new(name).unwrap(),
            addr: "10.0.0.9:7946".parse().unwrap(),
            incarnation,
            state: MemberState::Alive,
            accuser: None,
            tags: crate::Tags::none(),
        }
    }

    #[test]
    fn retransmit_limit_grows_logarithmically() {
        assert_eq!(retransmit_limit(4, 1), 4);
        assert_eq!(retransmit_limit(4, 9), 4);
        assert_eq!(retransmit_limit(4, 10), 8);
        assert_eq!(retransmit_limit(4, 1000), 16);
    }

    #[test]
    fn newer_news_replaces_older_about_the_same_subject() {
        let mut queue = BroadcastQueue::default();
        queue.push(member_news("a", 1));
        queue.push(member_news("a", 2));
        assert_eq!(queue.len(), 1);
        assert_eq!(queue.select(1000, 4).0, vec![member_news("a", 2)]);
    }

    #[test]
    fn fewest_sent_first_within_budget_until_the_limit() {
        let mut queue = BroadcastQueue::default();
        queue.push(member_news("a", 1));
        queue.push(member_news("b", 1));
        let one = encoded_len(&member_news("a", 1)) + 1;
        assert_eq!(queue.select(one, 2), (vec![member_news("a", 1)], one));
        assert_eq!(queue.select(one, 2).0, vec![member_news("b", 1)]);
        assert_eq!(queue.select(10 * one, 2).0.len(), 2);
        assert!(queue.is_empty(), "each was sent twice");
    }

    #[test]
    fn oversized_items_are_skipped_not_blocking() {
        let mut queue = BroadcastQueue::default();
        let mut big = MemberUpdate {
            id: NodeId::new(&"x".repeat(60)).unwrap(),
            addr: "10.0.0.9:7946".parse().unwrap(),
            incarnation: 1,
            state: MemberState::Alive,
            accuser: None,
            tags: crate::Tags::none(),
        };
        big.accuser = Some(big.id.clone());
        queue.push(big);
        queue.push(member_news("b", 1));
        assert_eq!(queue.select(100, 4).0, vec![member_news("b", 1)]);
    }
}
