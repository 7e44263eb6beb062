//! The member table: applying news by SWIM's precedence rules (section 4.2), suspicion
//! and its Lifeguard timeout (section 4.2 of Lifeguard), refutation, reaping, and
//! reconnecting with dead members and seeds so that healed partitions merge.

use core::net::SocketAddr;
use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;
use rand::seq::IndexedRandom;

use super::{Node, NodeStatus};
use crate::member::{MemberState, MemberUpdate, supersedes};
use crate::member_table::{Held, MemberTable, Slot};
use crate::suspicion::Suspicion;
use crate::timer::Timer;
use crate::wire::full_state::EntryRef;
use crate::wire::{Message, Update};
use crate::{Event, Incarnation, Instant, NodeId, Registry, Tags};

/// What membership keeps: every other member this node knows, the suspicions running,
/// members forgotten lately, and the seeds it joined through.
#[derive(Clone, Debug, Default)]
pub(super) struct Membership {
    /// Every other member this node knows.
    pub(super) members: MemberTable,
    /// Members reaped recently, by name.
    pub(super) forgotten: BTreeMap<NodeId, Forgotten>,
    /// Members reaped while dead, by name: still tried now and then by [`Node::reconnect`]
    /// until `tombstone_grace` has passed, since "dead" may be the far side of a
    /// partition that outlasted `reap_after`.
    pub(super) lost: BTreeMap<NodeId, Lost>,
    /// Running suspicions, by suspect.
    pub(super) suspicions: BTreeMap<NodeId, Suspicion>,
    /// Where to join, and to reconnect to after a partition.
    pub(super) seeds: Vec<Seed>,
    /// The tags of members that have any, with the incarnation they came with. Kept
    /// beside the table so that members without tags cost nothing.
    pub(super) tags: BTreeMap<NodeId, (Incarnation, Tags)>,
    /// Names heard claimed from an address other than the one held, reported once
    /// each ([`Event::NameConflict`]).
    pub(super) name_claims: BTreeSet<(NodeId, SocketAddr)>,
    /// Members this node does not hold that pinged it, answered with a full-state
    /// exchange since the last push-pull round ([`Node::meet_unknown_pinger`]).
    pub(super) unknown_pingers_met: BTreeSet<NodeId>,
}

impl Membership {
    pub(super) fn new(registry: Registry) -> Membership {
        Membership {
            members: MemberTable::new(registry),
            ..Membership::default()
        }
    }
}

/// A member removed from the table, remembered for another `reap_after` so that late
/// news about it cannot bring it back.
#[derive(Clone, Debug)]
pub(super) struct Forgotten {
    pub(super) addr: SocketAddr,
    pub(super) incarnation: Incarnation,
    until: Instant,
}

/// Where a member reaped while dead was last found, at which incarnation, and until
/// when to look there.
#[derive(Clone, Debug)]
pub(super) struct Lost {
    pub(super) addr: SocketAddr,
    pub(super) incarnation: Incarnation,
    until: Instant,
}

impl Node {
    /// A full-state exchange (memberlist's push-pull; joining; reconnecting): every
    /// entry is applied as news. A request for this node's own full state in return is
    /// answered by [`Node::answer_full_state`].
    pub(super) fn handle_sync<E: FullStateEntry>(
        &mut self,
        now: Instant,
        entries: impl IntoIterator<Item = E>,
    ) {
        for entry in entries {
            let current = self.membership.members.held_by_name(entry.name());
            // A full state's "dead" is the sender's conclusion, perhaps reached on the
            // far side of a partition that has just healed; for a member this node
            // still holds active it only raises a suspicion, which the member refutes
            // if it is there (memberlist's mergeState does the same).
            let mut state = entry.state();
            if state == MemberState::Dead && current.is_some_and(|m| m.state.is_active()) {
                state = MemberState::Suspect;
            }
            if self.is_old_news(&entry, state, current) {
                continue;
            }
            if let Some(mut update) = entry.into_update() {
                update.state = state;
                self.apply_member_update(now, update);
            }
        }
    }

    /// Answers a full-state share from `sender` at `from` that asked for a `reply`
    /// with this node's own: at once to the peer this node offered an exchange this push-pull
    /// round, otherwise once `from` passes an address check (`address_check`). A
    /// member that left speaks only of its own departure (one small datagram, sent at
    /// once): its member table is going stale and would bring forgotten members back.
    pub(super) fn answer_full_state(
        &mut self,
        now: Instant,
        from: SocketAddr,
        sender: &NodeId,
        reply: bool,
    ) {
        if reply && self.status == NodeStatus::Left {
            self.send_departure(from);
        } else if reply && self.address_checks.take_offer(from) {
            self.send_full_state(from, false);
        } else if reply {
            self.share_full_state(now, from, sender, false);
        }
    }

    /// What a member that left answers a request for its full state with: its
    /// departure alone.
    pub(super) fn send_departure(&mut self, to: SocketAddr) {
        let members = vec![self.own_update(MemberState::Left)];
        self.send_unpiggybacked(
            to,
            Message::Sync {
                members,
                reply: false,
            },
        );
    }

    /// Whether `apply_member_update` would do nothing with this entry, claiming
    /// `state`: it is about another member, held in the table, and neither supersedes
    /// what is held nor brings tags, nor claims the member alive at another address
    /// (a name conflict, to report). Nearly every entry of a full state is such old
    /// news, and this answers without building an update for it; any entry it is not
    /// sure about takes the full path.
    fn is_old_news(
        &self,
        entry: &impl FullStateEntry,
        state: MemberState,
        current: Option<Held>,
    ) -> bool {
        let name = entry.name();
        if name == self.id.as_bytes()
            || entry.has_accuser()
            || self.has_forgotten(name)
            || self.still_tries(name)
        {
            return false;
        }
        let incarnation = entry.incarnation();
        match current {
            None => !state.is_active(),
            Some(current) => {
                !supersedes((state, incarnation), (current.state, current.incarnation))
                    && (incarnation != current.incarnation
                        || state != MemberState::Alive
                        || (entry.has_no_tags()
                            && !self.holds_tags_of(name)
                            && entry.addr() == self.membership.members.addr_by_name(name)))
            }
        }
    }

    /// Whether the member named `name` was forgotten lately.
    fn has_forgotten(&self, name: &[u8]) -> bool {
        let forgotten = &self.membership.forgotten;
        !forgotten.is_empty() && NodeId::from_utf8(name).is_ok_and(|id| forgotten.contains_key(&id))
    }

    /// Whether the member named `name` was reaped while dead and is still tried by
    /// reconnects ([`Lost`]): its departure is news ([`Node::gives_up_on_lost`]).
    fn still_tries(&self, name: &[u8]) -> bool {
        let lost = &self.membership.lost;
        !lost.is_empty() && NodeId::from_utf8(name).is_ok_and(|id| lost.contains_key(&id))
    }

    /// Whether tags are held for the member named `name`.
    fn holds_tags_of(&self, name: &[u8]) -> bool {
        let tags = &self.membership.tags;
        !tags.is_empty() && NodeId::from_utf8(name).is_ok_and(|id| tags.contains_key(&id))
    }

    /// Asks every seed for the cluster (a full-state exchange), again every two
    /// periods until one answers.
    pub(super) fn contact_seeds(&mut self, now: Instant) {
        let addrs: Vec<SocketAddr> = self.membership.seeds.iter().map(|seed| seed.addr).collect();
        for seed in addrs {
            self.send_full_state(seed, true);
        }
        self.timers
            .set(Timer::JoinRetry, now + self.config.probe_interval * 2);
    }

    pub(super) fn apply_update(&mut self, now: Instant, update: Update) {
        match update {
            Update::Member(member) => self.apply_member_update(now, member),
            Update::Kv(version) => {
                self.apply_version(now, version, true);
            }
            Update::User(event) => self.hear_user_event(now, event),
        }
    }

    /// Applies membership news if it supersedes what this node believes, and passes it
    /// on (infection-style, SWIM section 4.1: whoever learns something new spreads it).
    pub(super) fn apply_member_update(&mut self, now: Instant, update: MemberUpdate) {
        // Nobody reaches the last incarnation by restarting and refuting: news at it is
        // forged or corrupt, and an accusation there could never be refuted (SWIM
        // section 4.2: the member answers with a higher incarnation). Dropped, as if
        // unheard; so is news that jumps there ([`jumps_too_far`]).
        if update.incarnation == Incarnation::MAX {
            return;
        }
        if update.id == self.id {
            if jumps_too_far(self.incarnation, &update) {
                return;
            }
            self.note_claim((self.addr, self.incarnation), &update);
            // Alive news of this node from another address is another process's word
            // (one using the same name, or this node's own earlier life elsewhere,
            // which the others will find dead): refuted, it would raise this node's
            // incarnation for nothing, as the others keep this node at its address
            // ([`Node::holds_elsewhere`]).
            if update.state != MemberState::Alive || update.addr == self.addr {
                self.refute(&update);
            }
            return;
        }
        if self.confirms_suspicion(&update) {
            self.broadcasts.push(update);
            return;
        }
        if self.gives_up_on_lost(&update) {
            return;
        }
        if let Some(last) = self.membership.forgotten.get(&update.id) {
            // Old news about a member already forgotten would bring it back as a
            // zombie; only its own word at a higher incarnation (a restart, or a
            // refutation after a partition) counts. Whoever still believes the old
            // news hears the death again: it either agrees or, being that member,
            // refutes it.
            if update.incarnation <= last.incarnation {
                if update.state.is_active() {
                    self.broadcasts.push(MemberUpdate {
                        id: update.id.clone(),
                        addr: last.addr,
                        incarnation: last.incarnation,
                        state: MemberState::Dead,
                        accuser: None,
                        tags: Tags::none(),
                    });
                }
                return;
            }
            self.membership.forgotten.remove(&update.id);
        }
        let previous = match self.membership.members.get(&update.id) {
            None if !update.state.is_active() => return,
            None => None,
            Some(current) if jumps_too_far(current.incarnation, &update) => return,
            Some(current) if holds_elsewhere(&current, &update) => {
                self.note_claim((current.addr, current.incarnation), &update);
                return;
            }
            Some(current) if !update.overrides(&current) => {
                if current.state.is_active() {
                    self.note_claim((current.addr, current.incarnation), &update);
                }
                // Tags are the same at the same incarnation: a member first heard of
                // through news without them (a suspicion) takes them from later news,
                // and reports them learned while it is still held active.
                if update.incarnation == current.incarnation {
                    self.note_tags(&update, current.state.is_active());
                }
                return;
            }
            Some(current) => Some(current.state),
        };
        let state_since = match (previous, self.membership.members.get(&update.id)) {
            (Some(state), Some(current)) if state == update.state => current.state_since,
            _ => now,
        };
        let (slot, new) = self
            .membership
            .members
            .upsert(update.clone().into_member(state_since));
        if new {
            self.detection.schedule.insert(slot, &mut self.rng);
            self.events.push_back(Event::MemberJoined {
                id: update.id.clone(),
                addr: update.addr,
            });
        }
        let (id, incarnation) = (update.id.clone(), update.incarnation);
        let changed = previous != Some(update.state);
        match update.state {
            MemberState::Alive => {
                self.membership.suspicions.remove(&id);
                if changed && previous.is_some() {
                    self.events
                        .push_back(Event::MemberAlive { id, incarnation });
                }
            }
            MemberState::Suspect => {
                let suspicion = self.new_suspicion(now, &update);
                self.membership.suspicions.insert(id.clone(), suspicion);
                if changed {
                    self.events
                        .push_back(Event::MemberSuspected { id, incarnation });
                }
            }
            MemberState::Dead => {
                self.membership.suspicions.remove(&id);
                self.address_checks.forget_proofs(update.addr);
                self.events.push_back(Event::MemberDead { id, incarnation });
            }
            MemberState::Left => {
                self.membership.suspicions.remove(&id);
                self.events.push_back(Event::MemberLeft { id });
            }
        }
        // After the news of its state: "n3 is alive again", then "with these tags".
        self.note_tags(&update, !new);
        self.broadcasts.push(update);
    }

    /// A departure ([`Node::force_leave`]) of a member reaped here while dead, and still
    /// tried by reconnects ([`Lost`]), at its incarnation or a later one: it is no
    /// longer tried, and the news goes on to whoever else still tries it.
    fn gives_up_on_lost(&mut self, update: &MemberUpdate) -> bool {
        let lost = &mut self.membership.lost;
        let given_up = update.state == MemberState::Left
            && lost
                .get(&update.id)
                .is_some_and(|lost| lost.incarnation <= update.incarnation)
            && self.membership.members.get(&update.id).is_none();
        if given_up {
            lost.remove(&update.id);
            self.broadcasts.push(update.clone());
        }
        given_up
    }

    /// Reports `update` if it claims its member alive at an address other than `held`,
    /// where this node holds it active at `incarnation` (or is it), and is not older
    /// news than that, but is not news either: the claim is ignored, and either two
    /// processes share a name or the member restarted at a new address before the
    /// others noticed (it moves once its old address is found dead: [`holds_elsewhere`]). Only an
    /// alive claim is the member's own word; a suspicion carries whatever address its
    /// accuser holds. memberlist likewise keeps the address it holds against a
    /// conflicting claim and logs it. Each claim is reported once, not on every message
    /// that repeats it, until its member is forgotten, or until [`MAX_NAME_CLAIMS`] are
    /// held: then all are forgotten, and a claim still made is reported again.
    fn note_claim(
        &mut self,
        (held, incarnation): (SocketAddr, Incarnation),
        update: &MemberUpdate,
    ) {
        if update.addr == held
            || update.state != MemberState::Alive
            || update.incarnation < incarnation
        {
            return;
        }
        let claims = &mut self.membership.name_claims;
        if claims.len() >= MAX_NAME_CLAIMS {
            claims.clear();
        }
        if claims.insert((update.id.clone(), update.addr)) {
            self.events.push_back(Event::NameConflict {
                id: update.id.clone(),
                held,
                claimed: update.addr,
            });
        }
    }

    /// Lifeguard section 4.2: another member suspecting the same incarnation is an
    /// independent confirmation that shortens the suspicion. True if `update` was one
    /// (and so is worth passing on for others to count).
    fn confirms_suspicion(&mut self, update: &MemberUpdate) -> bool {
        if update.state != MemberState::Suspect || !self.config.lifeguard.dynamic_suspicion {
            return false;
        }
        let (Some(accuser), Some(suspicion)) = (
            &update.accuser,
            self.membership.suspicions.get_mut(&update.id),
        ) else {
            return false;
        };
        suspicion.incarnation == update.incarnation && suspicion.confirm(accuser)
    }

    pub(super) fn new_suspicion(&self, now: Instant, update: &MemberUpdate) -> Suspicion {
        let min = self.config.suspicion_timeout;
        if !self.config.lifeguard.dynamic_suspicion {
            return Suspicion::new(now, update.incarnation, update.accuser.clone(), 0, min, min);
        }
        // memberlist's rule: expect K confirmations, or none if the cluster (this node
        // and the suspect aside) is too small to give them.
        let cluster = self.membership.members.active() + 1;
        let wanted = self.config.suspicion_confirmations;
        let expected = if cluster.saturating_sub(2) < wanted as usize {
            0
        } else {
            wanted
        };
        let max = min * self.config.suspicion_max_timeout_mult;
        Suspicion::new(
            now,
            update.incarnation,
            update.accuser.clone(),
            expected,
            min,
            max,
        )
    }

    /// Keeps the tags alive news brings, if they are newer than those held. A change
    /// of the tags held for a member `reported` is an event; a member new here is
    /// reported joined instead (its tags are read with it), and one held dead is not
    /// reported on until it is alive again.
    fn note_tags(&mut self, update: &MemberUpdate, reported: bool) {
        if update.state != MemberState::Alive {
            return;
        }
        let held = self.membership.tags.get(&update.id);
        if held.is_some_and(|(inc, _)| *inc >= update.incarnation) {
            return;
        }
        let changed = match held {
            Some((_, tags)) => *tags != update.tags,
            None => !update.tags.is_empty(),
        };
        if reported && changed {
            self.events.push_back(Event::MemberUpdated {
                id: update.id.clone(),
                incarnation: update.incarnation,
                tags: update.tags.clone(),
            });
        }
        if update.tags.is_empty() {
            // Alive news without tags at a newer incarnation: they were removed, or
            // this is a relay that never had them; either way the old ones are stale.
            self.membership.tags.remove(&update.id);
        } else {
            self.membership
                .tags
                .insert(update.id.clone(), (update.incarnation, update.tags.clone()));
        }
    }

    /// The tags held for `member` at `incarnation`, if any.
    pub(super) fn tags_at(&self, member: &NodeId, incarnation: Incarnation) -> Option<&Tags> {
        self.membership
            .tags
            .get(member)
            .filter(|(inc, _)| *inc == incarnation)
            .map(|(_, tags)| tags)
    }

    /// SWIM section 4.2: a member that hears itself suspected (or declared dead, or
    /// alive at an incarnation it never had, as after a restart) raises its incarnation
    /// above the rumour's and spreads that it is alive. Lifeguard 4.1: being suspected
    /// also hints that this node is the slow one.
    fn refute(&mut self, rumour: &MemberUpdate) {
        if self.status == NodeStatus::Left {
            // Whoever still thinks this node is here missed its departure: repeat it.
            if rumour.state != MemberState::Left {
                self.incarnation = self.incarnation.max(rumour.incarnation);
                self.broadcasts.push(self.own_update(MemberState::Left));
            }
            return;
        }
        if rumour.state == MemberState::Alive && rumour.incarnation <= self.incarnation {
            return;
        }
        if rumour.incarnation < self.incarnation {
            // An old accusation still going round: the refutation may have been lost
            // (a one-way cut drops everything this node sends), so assert it again.
            // The newer incarnation wins wherever it arrives, so this is harmless.
            self.broadcasts.push(self.own_update(MemberState::Alive));
            return;
        }
        // Below the maximum: news at it was dropped above. An accusation at the last
        // but one is refuted at the last, where it stays (reached only through many
        // forgeries: `jumps_too_far`).
        self.incarnation = rumour.incarnation.saturating_add(1);
        self.stats.refutations += 1;
        self.events.push_back(Event::Refuted {
            incarnation: self.incarnation,
        });
        self.broadcasts.push(self.own_update(MemberState::Alive));
        if rumour.state == MemberState::Suspect {
            self.adjust_health(1);
        }
    }

    /// SWIM section 4.2: a suspicion that ran out unrefuted becomes a confirmed death.
    pub(super) fn expire_suspicions(&mut self, now: Instant) {
        let expired: Vec<NodeId> = self
            .membership
            .suspicions
            .iter()
            .filter(|(_, suspicion)| suspicion.deadline() <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.membership.suspicions.remove(&id);
            let Some(member) = self
                .membership
                .members
                .get(&id)
                .filter(|m| m.state == MemberState::Suspect)
            else {
                continue;
            };
            let death = MemberUpdate {
                state: MemberState::Dead,
                ..MemberUpdate::from(&member)
            };
            self.apply_member_update(now, death);
        }
    }

    /// Forgets members that have been dead or gone for `reap_after`.
    pub(super) fn reap(&mut self, now: Instant) {
        self.membership.forgotten.retain(|_, last| last.until > now);
        if self.membership.members.len() == self.membership.members.active() {
            return; // nobody dead or gone: skip the scan
        }
        let reap_after = self.config.reap_after;
        let gone = self.membership.members.take_departed(reap_after, now);
        let reaped = !gone.is_empty();
        for member in gone {
            let id = member.id;
            self.membership.tags.remove(&id);
            self.membership
                .name_claims
                .retain(|(claimed, _)| *claimed != id);
            self.anti_entropy.peer_summaries.forget(&id);
            if member.state == MemberState::Dead {
                self.membership.lost.insert(
                    id.clone(),
                    Lost {
                        addr: member.addr,
                        incarnation: member.incarnation,
                        until: now + self.config.tombstone_grace,
                    },
                );
            }
            self.membership.forgotten.insert(
                id.clone(),
                Forgotten {
                    addr: member.addr,
                    incarnation: member.incarnation,
                    until: now + reap_after,
                },
            );
            self.events.push_back(Event::MemberRemoved { id });
        }
        if reaped {
            self.renumber_own_registry();
        }
    }

    /// Sends the full member table to one random dead member or unreached seed and asks
    /// for theirs: unreached seeds are candidates every time, the dead with probability
    /// dead / alive. After a partition heals, each side holds the other dead and would never
    /// probe it again; this exchange lets each hear that it is held dead, refute, and the
    /// two halves merge (memberlist's push-pull and gossip to the dead, in one). The dead
    /// include those reaped while dead within `tombstone_grace` ([`Lost`]): once a
    /// partition outlasts `reap_after`, each side has forgotten the other, and without
    /// them (and with the seeds down) the halves would never meet again (Serf keeps
    /// failed members for `reconnect_timeout` for the same reason).
    ///
    /// A seed's address is the operator's word and gets the table at once. A dead
    /// member's address came from others, and in a cluster without a keyring anyone can
    /// forge it (news of a member at a victim's address, which then dies there), so it
    /// gets the table only once it has answered a ping naming the member, as any full
    /// state given on request does ([`Node::share_full_state`]): a member that is back
    /// answers, an address where nobody runs gets one small ping.
    pub(super) fn reconnect(&mut self, now: Instant) {
        // Those back in the table are tried (or not) as what they are now, and counted
        // once.
        let members = &self.membership.members;
        self.membership
            .lost
            .retain(|id, lost| lost.until > now && members.held_by_name(id.as_bytes()).is_none());
        let reached = |seed: &Seed| {
            seed.slot
                .and_then(|slot| members.at(slot))
                .is_some_and(|m| m.addr == seed.addr && m.state.is_active())
        };
        // A seed not reached where it was last found is looked for by its address (the
        // first active member there, in slot order), without a scan of the table: every
        // member of a restored cluster reconnects for the first time at once.
        let mut unreached = Vec::new();
        for i in 0..self.membership.seeds.len() {
            if reached(&self.membership.seeds[i]) {
                continue;
            }
            match members.active_slot_at(self.membership.seeds[i].addr) {
                Some(slot) => self.membership.seeds[i].slot = Some(slot),
                None => unreached.push(self.membership.seeds[i].addr),
            }
        }
        // The dead are tried with probability dead / alive (this node counted), as Serf
        // does (serf.go, `reconnect`): the cluster as a whole then reaches each dead
        // member about once an interval, where every member trying every time sends one
        // crashed member n full-state shares an interval (at 10,000 members, 10^8
        // entries), and reads its whole table to find the dead.
        let mut candidates = Vec::new();
        let lost = &self.membership.lost;
        let dead = members.counts()[MemberState::Dead as usize] + lost.len();
        let share = dead as f64 / (members.active() + 1) as f64;
        if dead > 0 && self.rng.random_bool(share.min(1.0)) {
            candidates.extend(
                members
                    .states()
                    .filter(|&(_, state)| state == MemberState::Dead)
                    .map(|(slot, _)| Reconnect::Dead(slot)),
            );
            candidates.extend(lost.iter().map(|(id, lost)| Reconnect::Lost(id, lost.addr)));
        }
        candidates.extend(unreached.into_iter().map(Reconnect::Seed));
        // The member the address is held for, if any: a seed is only an address.
        let (member, addr) = match candidates.choose(&mut self.rng) {
            None => return,
            Some(&Reconnect::Seed(addr)) => (None, addr),
            Some(&Reconnect::Dead(slot)) => match members.at(slot) {
                Some(dead) => (Some(dead.id), dead.addr),
                None => return,
            },
            Some(&Reconnect::Lost(id, addr)) => (Some(id.clone()), addr),
        };
        match member {
            None => self.send_full_state(addr, true),
            Some(member) => self.share_full_state(now, addr, &member, true),
        }
    }
}

/// Someone [`Node::reconnect`] may try.
#[derive(Clone, Copy)]
enum Reconnect<'a> {
    /// A member held dead, in its slot.
    Dead(Slot),
    /// A member reaped while dead, still tried.
    Lost(&'a NodeId, SocketAddr),
    /// A seed not reached where it was last found.
    Seed(SocketAddr),
}

/// A seed's address, with the member-table slot of the member last found there, so
/// that checking whether the seed is still reached costs O(1) instead of a scan.
#[derive(Clone, Debug)]
pub(super) struct Seed {
    pub(super) addr: SocketAddr,
    slot: Option<Slot>,
}

impl Seed {
    pub(super) fn new(addr: SocketAddr) -> Seed {
        Seed { addr, slot: None }
    }
}

/// One entry of a full-state share: decoded into an update, or read in place from the
/// datagram ([`EntryRef`]), which builds an update only for news.
pub(super) trait FullStateEntry {
    fn name(&self) -> &[u8];
    fn incarnation(&self) -> Incarnation;
    fn state(&self) -> MemberState;
    fn has_accuser(&self) -> bool;
    fn has_no_tags(&self) -> bool;
    fn addr(&self) -> Option<SocketAddr>;
    /// The entry as news (`None` only for an entry that could not be read, which a
    /// checked share never holds).
    fn into_update(self) -> Option<MemberUpdate>;
}

impl FullStateEntry for MemberUpdate {
    fn name(&self) -> &[u8] {
        self.id.as_bytes()
    }
    fn incarnation(&self) -> Incarnation {
        self.incarnation
    }
    fn state(&self) -> MemberState {
        self.state
    }
    fn has_accuser(&self) -> bool {
        self.accuser.is_some()
    }
    fn has_no_tags(&self) -> bool {
        self.tags.is_empty()
    }
    fn addr(&self) -> Option<SocketAddr> {
        Some(self.addr)
    }
    fn into_update(self) -> Option<MemberUpdate> {
        Some(self)
    }
}

impl FullStateEntry for EntryRef<'_> {
    fn name(&self) -> &[u8] {
        EntryRef::name(self)
    }
    fn incarnation(&self) -> Incarnation {
        self.incarnation
    }
    fn state(&self) -> MemberState {
        self.state
    }
    fn has_accuser(&self) -> bool {
        EntryRef::has_accuser(self)
    }
    fn has_no_tags(&self) -> bool {
        EntryRef::has_no_tags(self)
    }
    fn addr(&self) -> Option<SocketAddr> {
        EntryRef::addr(self)
    }
    fn into_update(self) -> Option<MemberUpdate> {
        self.to_update()
    }
}

/// Whether `update` is news of a member held active at another address than the one
/// it gives. It is dropped, whatever its incarnation, as memberlist does ("conflicting
/// address"): a name held by a running member stays at its address until that member
/// is found dead or gone. The news is then either another process's that uses the
/// same name, which must not take the member's place (nor, leaving, make it seem to
/// have left), or a member restarted elsewhere before the others noticed, which takes
/// its new address once its old one is found dead: it hears of that death on the acks
/// to its pings, and refutes it from where it now runs.
fn holds_elsewhere(current: &crate::Member, update: &MemberUpdate) -> bool {
    current.state.is_active() && current.addr != update.addr
}

/// The most name claims a node remembers having reported. Claims are forgotten with
/// their member, but a member that stays, or this node itself, can be claimed from any
/// number of addresses by forged news: past this many, the node starts over.
const MAX_NAME_CLAIMS: usize = 64;

/// How far above the incarnation held for a member news of it may be. A member's
/// incarnation rises by one for each refutation (SWIM section 4.2) or restart, so
/// honest news is a few above the one held, a few hundred after a long partition of a
/// flapping member. Forged news far above would bring the member near the last
/// incarnation in one datagram, where an accusation can no longer be refuted; with
/// this bound that takes tens of thousands of forgeries, each one refuted in the open
/// (`refutations` counts them).
pub(super) const MAX_INCARNATION_JUMP: Incarnation = 1 << 16;

/// Whether `update` claims an incarnation more than [`MAX_INCARNATION_JUMP`] above
/// `held`, the one held for its member (this node's own, for news of itself): forged
/// or corrupt, and dropped as if unheard. A member not held (new here, or forgotten)
/// may come at any incarnation.
fn jumps_too_far(held: Incarnation, update: &MemberUpdate) -> bool {
    update.incarnation > held.saturating_add(MAX_INCARNATION_JUMP)
}
