//! Rumor mongering with excitement cooling (Demers et al. 1987, section 1.4 "Complex
//! Epidemics"): a new version is hot; every `gossip_interval` a node pushes its hot
//! rumors to `fanout` random members (push), asks them for theirs (pull), or both, and
//! each rumor loses excitement (on "already had it" feedback, or blindly on every send)
//! until it stops being spread, after `max_excitement` losses (counter) or at a 1-in-k
//! coin flip (coin).
//!
//! [`RumorAccounting`] says when a loss is reckoned: message by message as feedback
//! comes back (what an asynchronous network gives), or once per round against the
//! recipients' state at the start of the round, as in the paper's synchronous model.

use core::net::SocketAddr;
use std::collections::{BTreeMap, VecDeque};

use rand::Rng;

use super::Node;
use crate::config::RumorAccounting;
use crate::store::{Applied, Version};
use crate::wire::{self, Message};
use crate::{Event, Instant, ReplicaId};

/// A version still being spread, and how much excitement it has left.
#[derive(Clone, Debug)]
pub(super) struct HotRumor {
    pub(super) version: Version,
    excitement: u32,
    /// Per-round accounting: learned from a peer during this node's current round. It
    /// is passed on from the next round, and until then a contact bringing it again
    /// still counts as necessary (the node did not have it when the round began).
    fresh: bool,
    /// Per-round accounting: what this round's contacts said (an answer counts in the
    /// round it arrives in), reckoned at the round's end.
    round: RoundOutcome,
}

/// Per-round accounting: the outcome of one rumor's contacts in the current round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum RoundOutcome {
    /// No contact, or none answered yet: no change.
    #[default]
    Quiet,
    /// Every contact was unnecessary (blind: the rumor was sent): one loss.
    Useless,
    /// Some contact was necessary: full excitement again.
    Useful,
}

impl HotRumor {
    /// Records one contact of this round; a necessary one outweighs any number of
    /// unnecessary ones.
    fn note(&mut self, necessary: bool) {
        if necessary {
            self.round = RoundOutcome::Useful;
        } else if self.round == RoundOutcome::Quiet {
            self.round = RoundOutcome::Useless;
        }
    }
}

/// Which rumors went out in a batch, so the recipient's feedback can be matched.
#[derive(Clone, Debug)]
pub(super) struct SentBatch {
    batch: u32,
    rumors: Vec<RumorId>,
}

/// A version by its writer and sequence number.
pub(super) type RumorId = (ReplicaId, u64);

/// Batches awaiting feedback are forgotten after this many newer ones.
const BATCHES_REMEMBERED: usize = 64;

/// How many more of a node's own writes than it made a version heard may count: honest
/// ones are a few ahead at most (a restart from an older copy of the data dir), and a
/// forged count must stay this far from the end of the counter's 64 bits.
const MAX_OWN_WRITES_AHEAD: u64 = 1 << 32;

impl Node {
    /// Makes `version` a hot rumor, replacing hot rumors of the same key it supersedes.
    /// `fresh`: it came from a peer during this round (see `HotRumor::fresh`); a local
    /// write is this node's to spread from its next round on.
    pub(super) fn start_rumor(&mut self, version: Version, fresh: bool) {
        if !self.config.rumor_mongering {
            return;
        }
        self.rumors.hot.retain(|_, hot| {
            hot.version.key != version.key || !version.clock.covers(&hot.version.clock)
        });
        self.stats.rumors_started += 1;
        let id = (version.writer.clone(), version.seq());
        self.rumors.hot.insert(
            id,
            HotRumor {
                version,
                excitement: self.config.max_excitement,
                fresh: fresh && self.per_round(),
                round: RoundOutcome::Quiet,
            },
        );
    }

    /// One rumor round: push hot rumors to `fanout` random members and/or ask `fanout`
    /// random members for theirs. With per-round accounting the round just ended is
    /// reckoned first.
    pub(super) fn rumor_round(&mut self) {
        if !self.config.rumor_mongering {
            return;
        }
        if self.per_round() {
            self.end_rumor_round();
        }
        let mode = self.config.rumor_mode;
        if mode.pushes() && !self.rumors.hot.is_empty() {
            for peer in self.random_peers(self.config.fanout) {
                self.send_rumors(peer);
            }
        }
        if mode.pulls() {
            for peer in self.random_peers(self.config.fanout) {
                self.send(peer, Message::RumorPull);
            }
        }
    }

    /// Per-round accounting (the synchronous model of Demers et al. 1987, section 1.4):
    /// each hot rumor's round is reckoned once. A necessary contact restores full
    /// excitement, so the counter counts consecutive rounds whose contacts were all
    /// unnecessary; such a round costs one excitement (counter) or a 1-in-k chance of
    /// stopping (coin). Rumors learned during the round become this node's to spread.
    fn end_rumor_round(&mut self) {
        let k = self.config.max_excitement;
        let coin = self.config.rumor_cooling.uses_coin();
        let rng = &mut self.rng;
        self.rumors.hot.retain(|_, hot| {
            hot.fresh = false;
            match core::mem::take(&mut hot.round) {
                RoundOutcome::Quiet => true,
                RoundOutcome::Useful => {
                    hot.excitement = k;
                    true
                }
                RoundOutcome::Useless if coin => !rng.random_ratio(1, k),
                RoundOutcome::Useless => {
                    hot.excitement = hot.excitement.saturating_sub(1);
                    hot.excitement > 0
                }
            }
        });
    }

    fn per_round(&self) -> bool {
        self.config.rumor_accounting == RumorAccounting::PerRound
    }

    /// Sends as many hot rumors as fit in one datagram (with per-round accounting, not
    /// those learned this round). Blind cooling loses excitement right away (per
    /// round: at the round's end); feedback cooling waits for the answer.
    pub(super) fn send_rumors(&mut self, to: SocketAddr) {
        let bare = self.bare_datagram_len(&Message::Rumor {
            batch: 0,
            versions: Vec::new(),
            feedback: true,
        });
        let mut room = self.config.mtu.saturating_sub(bare + 3);
        let mut ids = Vec::new();
        let mut versions = Vec::new();
        for (id, hot) in &self.rumors.hot {
            if hot.fresh {
                continue;
            }
            let len = wire::encoded_len(&hot.version);
            if len <= room {
                room -= len;
                ids.push(id.clone());
                versions.push(hot.version.clone());
            }
        }
        if versions.is_empty() {
            return;
        }
        self.rumors.next_batch = self.rumors.next_batch.wrapping_add(1);
        let batch = self.rumors.next_batch;
        let feedback = self.config.rumor_cooling.uses_feedback();
        self.stats.rumor_versions_sent += versions.len() as u64;
        self.send_unpiggybacked(
            to,
            Message::Rumor {
                batch,
                versions,
                feedback,
            },
        );
        if feedback {
            self.rumors
                .sent_batches
                .push_back(SentBatch { batch, rumors: ids });
            if self.rumors.sent_batches.len() > BATCHES_REMEMBERED {
                self.rumors.sent_batches.pop_front();
            }
        } else if self.per_round() {
            for id in &ids {
                if let Some(hot) = self.rumors.hot.get_mut(id) {
                    hot.note(false);
                }
            }
        } else {
            for id in ids {
                self.lose_excitement(&id);
            }
        }
    }

    /// Applies the rumors received and, if asked, says which were already known: held
    /// here before this message (per message), or before this node's current round
    /// began (per round: one learned during the round was news to the round).
    pub(super) fn handle_rumor(
        &mut self,
        now: Instant,
        from: SocketAddr,
        batch: u32,
        versions: Vec<Version>,
        feedback: bool,
    ) {
        let mut known = Vec::with_capacity(versions.len());
        for version in versions {
            let id = (version.writer.clone(), version.seq());
            let is_known = self.apply_version(now, version, true) == Applied::Known;
            if is_known {
                self.stats.rumor_redundant += 1;
            } else {
                self.stats.rumor_useful += 1;
            }
            let fresh = self.rumors.hot.get(&id).is_some_and(|hot| hot.fresh);
            known.push(is_known && !fresh);
        }
        if feedback {
            self.send_unpiggybacked(from, Message::RumorFeedback { batch, known });
        }
    }

    /// Feedback cooling: each rumor the recipient already had loses excitement (per
    /// round: the answers are noted and reckoned at the round's end).
    pub(super) fn handle_rumor_feedback(&mut self, batch: u32, known: &[bool]) {
        let Some(at) = self
            .rumors
            .sent_batches
            .iter()
            .position(|b| b.batch == batch)
        else {
            return;
        };
        let Some(sent) = self.rumors.sent_batches.remove(at) else {
            return;
        };
        let per_round = self.per_round();
        for (id, &was_known) in sent.rumors.iter().zip(known) {
            if per_round {
                if let Some(hot) = self.rumors.hot.get_mut(id) {
                    hot.note(!was_known);
                }
            } else if was_known {
                self.lose_excitement(id);
            }
        }
    }

    /// Pull: answer with our hot rumors, if any, at the address held for the sender
    /// ([`Node::answer_addr`]): a datagram of rumors, for a pull of a few bytes.
    pub(super) fn handle_rumor_pull(&mut self, sender: &crate::NodeId) {
        if self.config.rumor_mongering
            && !self.rumors.hot.is_empty()
            && let Some(to) = self.answer_addr(sender)
        {
            self.send_rumors(to);
        }
    }

    /// Per message: counter one step closer to cold; coin cold with probability 1/k.
    fn lose_excitement(&mut self, id: &RumorId) {
        let k = self.config.max_excitement;
        let coin = self.config.rumor_cooling.uses_coin();
        let cold = match self.rumors.hot.get_mut(id) {
            None => return,
            Some(_) if coin => self.rng.random_ratio(1, k),
            Some(hot) => {
                hot.excitement = hot.excitement.saturating_sub(1);
                hot.excitement == 0
            }
        };
        if cold {
            self.rumors.hot.remove(id);
        }
    }

    /// Hot rumors that fit in `budget` bytes, for piggybacking on other traffic (they
    /// do not cool down there).
    pub(super) fn piggyback_rumors(&self, budget: usize) -> Vec<Version> {
        if !self.config.rumor_mongering || !self.config.rumor_piggyback {
            return Vec::new();
        }
        let mut room = budget;
        let mut chosen = Vec::new();
        for hot in self.rumors.hot.values() {
            let len = wire::encoded_len(&wire::Update::Kv(hot.version.clone()));
            if len <= room {
                room -= len;
                chosen.push(hot.version.clone());
            }
        }
        chosen
    }

    /// Stores a version heard from elsewhere, reports what changed, and (if it came as a
    /// rumor) starts spreading it.
    pub(super) fn apply_version(
        &mut self,
        now: Instant,
        version: Version,
        as_rumor: bool,
    ) -> Applied {
        // A version whose clock counts far more of this node's own writes than it
        // made is forged or corrupt. Adopted, that count would pass into its next write
        // of the key, and a count near the counter's end would leave every later write
        // of this node a number its peers take for one they hold. Dropped, as if
        // unheard. A few more than it made are honest: writes it spread before a
        // restart from an older copy of its data dir, which it takes back, and numbers
        // its next writes after.
        let own = self.store.summary().get(&self.replica);
        if version.clock.get(&self.replica) > own.saturating_add(MAX_OWN_WRITES_AHEAD) {
            return Applied::Known;
        }
        let applied = self.store.apply(version.clone());
        if let Applied::New { siblings } = applied {
            self.note_tombstone(now, &version);
            self.events.push_back(Event::KeyChanged {
                key: version.key.clone(),
                value: version.value.clone(),
                writer: version.writer.clone(),
            });
            if siblings > 1 {
                self.stats.conflicts += 1;
                self.events.push_back(Event::Conflict {
                    key: version.key.clone(),
                    siblings,
                });
            }
            if as_rumor {
                self.start_rumor(version, true);
            }
        }
        applied
    }

    /// The rumors this node is still spreading, each as its key and the excitement it
    /// has left (Demers' counter, or the coin's k): what a viewer shows to watch a rumor
    /// cool.
    pub fn rumor_excitement(&self) -> impl Iterator<Item = (&str, u32)> {
        self.rumors
            .hot
            .values()
            .map(|rumor| (rumor.version.key.as_str(), rumor.excitement))
    }

    /// `count` distinct random members that are alive or suspect.
    pub(super) fn random_peers(&mut self, count: usize) -> Vec<SocketAddr> {
        self.membership
            .members
            .choose(count, &mut self.rng, |_, state| state.is_active())
            .into_iter()
            .map(|m| m.addr)
            .collect()
    }
}

/// What rumor mongering keeps: the rumors still hot, and the batches sent whose
/// feedback has not come back yet.
#[derive(Clone, Debug, Default)]
pub(super) struct Rumors {
    pub(super) hot: BTreeMap<RumorId, HotRumor>,
    /// Batches awaiting feedback, oldest first.
    pub(super) sent_batches: VecDeque<SentBatch>,
    pub(super) next_batch: u32,
}
