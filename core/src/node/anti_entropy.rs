//! Anti-entropy (Demers et al. 1987, section 2; digests and ordered deltas after
//! Scuttlebutt, van Renesse et al. 2008): every `sync_interval` a node may exchange its
//! store summary with one member, and each side sends what the other lacks, writer by
//! writer in version order, as much as fits in one datagram. Repeated rounds finish the
//! job even when rumors died out or were lost.
//!
//! A round runs only when there is something to repair (Demers et al. 1987, section
//! 1.3: compare checksums before contents). Every ping carries a fingerprint of its
//! sender's summary ([`Store::summary_fingerprint`](crate::Store::summary_fingerprint));
//! a node whose own differs sends its next digest to that sender. Without a difference
//! heard, a round still runs while this node holds tombstones not yet collected (their
//! collection waits on every member's summary), while its store is held aside (catching
//! up waits on peers' summaries), and every `quiet_sync_every`th round (for what a
//! fingerprint shared by chance hides, and for a cluster that does not probe). In a quiet
//! converged cluster each member starts one exchange every `quiet_sync_every` rounds (12
//! by default), not every round; after a delete, every round until the tombstone is
//! collected. `quiet_sync_every` 1 is Demers et al.'s anti-entropy, a random member
//! every round.

use core::net::SocketAddr;
use std::collections::BTreeMap;

use super::Node;

use super::rumor::RumorId;
use crate::peer_summaries::PeerSummaries;
use crate::registry::Registry;
use crate::store::{CoveredRange, Version};
use crate::vclock::VectorClock;
use crate::wire::{self, Message};
use crate::{Instant, NodeId};

/// The most datagrams of deltas a member that has left hands off to one peer: about
/// 90 KB at the default MTU, bounded so that leaving never floods a peer.
const HAND_OFF_DATAGRAMS: usize = 64;

/// What anti-entropy keeps: what each peer last said it holds (so a tombstone is
/// collected only once every known member holds it) and when each tombstone arrived.
#[derive(Clone, Debug)]
pub(super) struct AntiEntropy {
    /// The last store summary each member reported.
    pub(super) peer_summaries: PeerSummaries,
    /// When each tombstone held here was first stored (for `tombstone_grace`).
    pub(super) tombstones_seen: BTreeMap<RumorId, Instant>,
    /// The last member whose ping showed a store summary other than this node's, since
    /// the last round: where the next round's digest goes.
    pub(super) differing_peer: Option<SocketAddr>,
    /// Rounds since the last that ran.
    pub(super) idle_rounds: u32,
}

impl AntiEntropy {
    /// Nothing heard yet; peers' names are numbered in `registry`.
    pub(super) fn new(registry: Registry) -> AntiEntropy {
        AntiEntropy {
            peer_summaries: PeerSummaries::new(registry),
            tombstones_seen: BTreeMap::new(),
            differing_peer: None,
            idle_rounds: 0,
        }
    }
}

impl Node {
    /// One anti-entropy round, in the configured mode, if there is something to repair
    /// (see the module's documentation), then a sweep for tombstones everyone now holds.
    pub(super) fn sync_round(&mut self, now: Instant) {
        if !self.config.anti_entropy {
            return;
        }
        if let Some(peer) = self.digest_peer() {
            let mode = self.config.anti_entropy_mode;
            // A round kept up for a tombstone's collection or a store held aside is kept
            // up for the peer's summary: it is asked for whatever the mode (pull alone
            // would not send it back). The peer's summary comes with a request for what
            // it lacks, so meanwhile a pull round works as push-pull.
            let wants_summary = self.awaits_summaries();
            self.offer_digest(peer, mode.pulls(), mode.pushes() || wants_summary);
        }
        self.collect_tombstones(now);
    }

    /// Whether this node waits on its peers' summaries: to collect a tombstone, or to
    /// take back a store held aside.
    fn awaits_summaries(&self) -> bool {
        !self.anti_entropy.tombstones_seen.is_empty() || self.store_aside.is_some()
    }

    /// Where this round's digest goes: the member whose ping last showed a different
    /// store, or a random member when the round runs unprompted; `None` to skip it.
    fn digest_peer(&mut self) -> Option<SocketAddr> {
        let state = &mut self.anti_entropy;
        if let Some(peer) = state.differing_peer.take() {
            state.idle_rounds = 0;
            return Some(peer);
        }
        state.idle_rounds += 1;
        if state.idle_rounds < self.config.quiet_sync_every && !self.awaits_summaries() {
            return None;
        }
        self.anti_entropy.idle_rounds = 0;
        self.random_peers(1).pop()
    }

    /// A ping's fingerprint of its sender's store summary: a difference from this
    /// node's sends the next round's digest to the sender, at the address held for it
    /// ([`Node::answer_addr`]).
    pub(super) fn compare_store_fingerprint(&mut self, sender: &NodeId, fingerprint: u32) {
        if fingerprint != self.store.summary_fingerprint()
            && let Some(addr) = self.answer_addr(sender)
        {
            self.anti_entropy.differing_peer = Some(addr);
        }
    }

    /// Sends this node's summary to `peer`, asking for what it lacks (`send_deltas`) and
    /// for the member's own summary (`send_digest`, so that this node can send what the
    /// member lacks).
    fn offer_digest(&mut self, peer: SocketAddr, send_deltas: bool, send_digest: bool) {
        let summary = self.store.summary().clone();
        self.send_unpiggybacked(
            peer,
            Message::Digest {
                summary,
                send_deltas,
                send_digest,
            },
        );
    }

    /// On leaving: one anti-entropy exchange that gives, whatever the mode, so that
    /// writes only this node holds (a rumor lost on the way, an isolation just ended)
    /// do not leave with it. Best effort: one peer, up to [`HAND_OFF_DATAGRAMS`] of
    /// deltas; a node that leaves while cut off takes them along.
    pub(super) fn hand_off(&mut self) {
        if self.config.anti_entropy
            && let Some(peer) = self.random_peers(1).pop()
        {
            self.offer_digest(peer, false, true);
        }
    }

    /// A peer's digest: remember its summary, send it what it lacks if asked, and our
    /// own summary if asked (so it can send us what we lack).
    ///
    /// The answers go to the address held for the sender ([`Node::answer_addr`]), not
    /// to the digest's source: forged, a digest would otherwise draw a datagram of
    /// deltas, or this node's digest, at a bystander. A sender not held here (a member
    /// whose join news has not arrived yet, a leaver's hand-off to a peer that never
    /// held it) is answered by nobody; the exchange runs again once it is held.
    pub(super) fn handle_digest(
        &mut self,
        from_id: NodeId,
        summary: VectorClock,
        send_deltas: bool,
        send_digest: bool,
    ) {
        let Some(from) = self.answer_addr(&from_id) else {
            return;
        };
        if send_deltas {
            self.send_deltas(from, &summary);
        }
        if send_digest {
            let mine = self.store.summary().clone();
            self.send_unpiggybacked(
                from,
                Message::Digest {
                    summary: mine,
                    send_deltas: true,
                    send_digest: false,
                },
            );
        }
        self.anti_entropy.peer_summaries.insert(&from_id, &summary);
    }

    /// Sends what a peer whose summary is `theirs` lacks: one datagram's worth, the rest
    /// in later rounds; a member that has left has no later rounds, and sends up to
    /// [`HAND_OFF_DATAGRAMS`] at once.
    fn send_deltas(&mut self, to: SocketAddr, theirs: &VectorClock) {
        let bare = self.bare_datagram_len(&Message::Deltas {
            versions: Vec::new(),
            ranges: Vec::new(),
        });
        let budget = self.config.mtu.saturating_sub(bare + 6);
        let datagrams = if self.status == super::NodeStatus::Left {
            HAND_OFF_DATAGRAMS
        } else {
            1
        };
        let mut theirs = theirs.clone();
        for _ in 0..datagrams {
            let (versions, ranges) =
                self.store
                    .deltas_for(&theirs, budget, wire::encoded_len, wire::encoded_len);
            if ranges.is_empty() {
                break;
            }
            // The next datagram takes up where this one ends.
            for range in &ranges {
                theirs.observe(&range.writer, range.to);
            }
            self.send_unpiggybacked(to, Message::Deltas { versions, ranges });
        }
    }

    /// Applies deltas in the order sent, then records the ranges they complete.
    pub(super) fn handle_deltas(
        &mut self,
        now: Instant,
        versions: Vec<Version>,
        ranges: &[CoveredRange],
    ) {
        for version in versions {
            if self.apply_version(now, version, false) != crate::Applied::Known {
                self.stats.anti_entropy_versions += 1;
            }
        }
        // Nobody knows this node's own writes better than it does: a range of them from
        // elsewhere is forged or stale, and would make it number new writes past it.
        for range in ranges.iter().filter(|range| range.writer != self.replica) {
            self.store.cover(range);
        }
    }

    /// A tombstone goes once every member this node knows (in any state) has reported a
    /// summary that covers its whole clock (the delete and every version it replaced),
    /// and it has been held for `tombstone_grace`: nobody can send an older version of
    /// the key any more without it falling below the summary, and members beyond a
    /// partition shorter than the grace have had time to return. Covering the replaced
    /// versions too is what lets a store held aside ([`super::store_aside`]) tell a key
    /// deleted and forgotten from one nobody knew of.
    pub(super) fn collect_tombstones(&mut self, now: Instant) {
        let members = &self.membership.members;
        let summaries = self.anti_entropy.peer_summaries.reader();
        let seen = &self.anti_entropy.tombstones_seen;
        let grace = self.config.tombstone_grace;
        let collected = self.store.collect_tombstones(|tombstone| {
            let old_enough = seen
                .get(&(tombstone.writer.clone(), tombstone.seq()))
                .is_some_and(|since| *since + grace <= now);
            old_enough
                && tombstone.clock.iter().all(|(writer, seq)| {
                    summaries.all_cover(members.name_numbers(summaries.interned()), writer, seq)
                })
        });
        drop(summaries);
        for tombstone in &collected {
            self.anti_entropy
                .tombstones_seen
                .remove(&(tombstone.writer.clone(), tombstone.seq()));
        }
        self.stats.tombstones_collected += collected.len() as u64;
        self.reconcile_tombstones_seen(now);
    }

    /// Keeps `tombstones_seen` to the tombstones the store could collect: those of keys
    /// wholly deleted. A tombstone a later write replaced will never be collected, nor
    /// one beside a concurrent value while that value stands; kept, their entries would
    /// keep anti-entropy running every round ([`Node::awaits_summaries`]). A collectable
    /// tombstone without an entry (restored from disk, left beside a value that a later
    /// delete replaced, or stored while anti-entropy was off) gets one from now, so its
    /// grace starts late rather than never.
    fn reconcile_tombstones_seen(&mut self, now: Instant) {
        let seen = &self.anti_entropy.tombstones_seen;
        let collectable: BTreeMap<RumorId, Instant> = self
            .store
            .iter()
            .filter(|(_, versions)| versions.iter().all(Version::is_tombstone))
            .flat_map(|(_, versions)| versions)
            .map(|tombstone| {
                let id = (tombstone.writer.clone(), tombstone.seq());
                let since = seen.get(&id).copied().unwrap_or(now);
                (id, since)
            })
            .collect();
        self.anti_entropy.tombstones_seen = collectable;
    }
}
