//! The sans-IO gossip node: SWIM membership (Das, Gupta and Motivala, DSN 2002) with the
//! Lifeguard refinements (Dadgar, Phillips and Currey, 2018), plus the key/value store
//! riding on its dissemination.
//!
//! # Driving a node
//!
//! Inputs take the current time: [`Node::join`], [`Node::handle_packet`],
//! [`Node::handle_timeout`], [`Node::put`], [`Node::leave`]. After *every* input the
//! driver drains the outputs in this order:
//!
//! 1. [`Node::poll_transmit`] until `None`: datagrams to send;
//! 2. [`Node::poll_event`] until `None`: what the application should hear;
//! 3. [`Node::poll_timeout`]: when to call [`Node::handle_timeout`] next (it may move
//!    earlier or later after any input, so read it last).
//!
//! The node never reads a clock, opens a socket or asks the OS for randomness: its RNG is
//! seeded by the driver, so the same inputs give the same outputs.
//!
//! # Who handles what
//!
//! Each protocol concept owns its state (a struct in its file, one field of [`Node`])
//! and the handlers of its messages and timers; this file dispatches.
//!
//! | file | state | messages | timers |
//! |---|---|---|---|
//! | `failure_detection` | `FailureDetection`: probe schedule, probe in flight, relays, local health | `Ping`, `Ack`, `Nack`, `PingReq` | `Probe`, `ProbeTimeout`; relays' nack deadlines |
//! | `membership` | `Membership`: member table, suspicions, forgotten members, seeds | `Sync` (full state); every piggybacked member update | `JoinRetry`, `Reap`, `Reconnect`; suspicion deadlines |
//! | `push_pull` | none of its own: a fingerprint of the full state `membership` holds | `SyncOffer` | `PushPull` |
//! | `address_check` | `AddressChecks`: full states owed to addresses being checked, the addresses proven, the peers asked for their full state this round | the `Ack` that passes a check | |
//! | `gossip` | the `BroadcastQueue` of membership news | `Gossip` (carries only piggybacked updates); packs every datagram | `Gossip` (with `rumor`) |
//! | `rumor` | `Rumors`: hot rumors, batches awaiting feedback | `Rumor`, `RumorFeedback`, `RumorPull`; piggybacked key/value versions | `Gossip` (with `gossip`) |
//! | `anti_entropy` | `AntiEntropy`: peers' summaries, tombstone ages | `Digest`, `Deltas` | `Sync` |
//! | `user_events` | `UserEvents`: the user events being spread, the ids heard lately | piggybacked user events | `Gossip` (with `gossip`) |
//! | `store_aside` | `StoreAside`: the store from before a restart `tombstone_grace` after the node last heard from the cluster, until it has caught up | taken back after `Digest` and `Deltas` | |

mod address_check;
mod anti_entropy;
mod failure_detection;
mod gossip;
mod membership;
mod push_pull;
mod rumor;
mod store_aside;
#[cfg(test)]
mod tests;
mod user_events;

use core::net::SocketAddr;
use std::collections::VecDeque;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dissemination::BroadcastQueue;
use crate::member::{Incarnation, Member, MemberState, MemberUpdate};
use crate::member_table::MemberTable;
use user_events::UserEvents;

use crate::store::{Store, Version};
use crate::suspicion::Suspicion;
use crate::timer::{Timer, TimerTable};
use crate::wire::full_state::SyncView;
use crate::wire::{self, Message, MessageKind, Packet};
use crate::{
    Config, Duration, Error, Event, Instant, NodeId, Registry, ReplicaId, RumorAccounting, Stats,
    Tags,
};

use address_check::AddressChecks;
use anti_entropy::AntiEntropy;
use failure_detection::FailureDetection;
use membership::Membership;
use rumor::Rumors;
use store_aside::StoreAside;

/// A datagram for the driver to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub to: SocketAddr,
    /// What it carries, for statistics and drawing; the payload says the same.
    pub kind: MessageKind,
    /// The encoded packet, at most `Config::mtu` bytes.
    pub payload: Vec<u8>,
}

/// What a node keeps across a restart when it has a disk: its identity as a writer,
/// its store and its incarnation. Membership is relearned on joining. It serialises
/// with serde, for the driver to write wherever it keeps things.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PersistedState {
    pub replica: ReplicaId,
    pub incarnation: Incarnation,
    pub store: Store,
    /// A store from an earlier life still held aside, not yet taken back (see
    /// [`Node::restore`]).
    pub aside: Option<Store>,
}

/// What [`Node::restore`] did with a persisted state's store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restored {
    /// Taken back at once: the node writes on as the same writer.
    Whole,
    /// Held aside (`keys` keys, tombstones included) until the node has caught up with
    /// its peers ([`Event::StoreTakenBack`]); the node writes as a new writer.
    Aside { keys: usize },
}

/// A node's view of the membership ([`Node::member_snapshot`]), to start another node
/// from ([`Node::restore_members`]).
#[derive(Clone, Debug)]
pub struct MemberSnapshot(SnapshotForm);

/// A snapshot keeps what it was made from: a copied table is restored by copying it
/// again, a list by inserting its entries in order.
#[derive(Clone, Debug)]
enum SnapshotForm {
    /// A node's table, and the node itself (which its table does not hold).
    Table {
        table: Box<MemberTable>,
        itself: MemberUpdate,
    },
    List(Vec<MemberUpdate>),
}

impl MemberSnapshot {
    /// A view holding these members (of two entries about the same member, the first
    /// counts).
    pub fn from_updates(updates: impl IntoIterator<Item = MemberUpdate>) -> MemberSnapshot {
        MemberSnapshot(SnapshotForm::List(updates.into_iter().collect()))
    }

    /// How many members it holds.
    pub fn len(&self) -> usize {
        match &self.0 {
            SnapshotForm::Table { table, .. } => table.len() + 1,
            SnapshotForm::List(list) => list.len(),
        }
    }

    /// Whether it holds no member.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a node stands with respect to the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeStatus {
    /// Created; [`Node::join`] not called yet.
    Idle,
    /// Asked its seeds to let it in; no answer yet.
    Joining,
    /// A member of the cluster.
    Joined,
    /// Left on purpose; spreads the news of its departure and nothing else.
    Left,
}

impl NodeStatus {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Idle => "idle",
            NodeStatus::Joining => "joining",
            NodeStatus::Joined => "joined",
            NodeStatus::Left => "left",
        }
    }
}

/// One member of a gossip cluster, as a sans-IO state machine.
///
/// Its state is grouped by protocol concept, each group owned by the file that handles
/// it (see the table in the module doc); what they all share (identity, config, RNG,
/// timers, store, outputs) sits here.
#[derive(Clone, Debug)]
pub struct Node {
    id: NodeId,
    addr: SocketAddr,
    incarnation: Incarnation,
    /// This node's own tags, announced with its alive news.
    tags: Tags,
    config: Config,
    rng: Xoshiro256PlusPlus,
    status: NodeStatus,
    /// Probing, witnessing and local health (`failure_detection`).
    detection: FailureDetection,
    /// The member table, suspicions, forgotten members and seeds (`membership`).
    membership: Membership,
    /// Membership news waiting to be piggybacked (`gossip`).
    broadcasts: BroadcastQueue<MemberUpdate>,
    /// Hot rumors and the batches awaiting feedback (`rumor`).
    rumors: Rumors,
    /// User events being spread, and the ids of those heard lately (`user_events`).
    user_events: UserEvents,
    /// Peers' store summaries and tombstone ages (`anti_entropy`).
    anti_entropy: AntiEntropy,
    /// Full states owed to addresses not yet shown to receive this node's datagrams
    /// (`address_check`).
    address_checks: AddressChecks,
    timers: TimerTable,
    /// This life of this node as a writer.
    replica: ReplicaId,
    store: Store,
    /// The store of an earlier life, after a long absence, until the node has caught up.
    store_aside: Option<StoreAside>,
    /// When a datagram from a peer last came: how long a restart after this one was
    /// away from the cluster ([`Node::restore`]).
    heard_at: Option<Instant>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: Stats,
    /// For a node with a registry of its own (an agent), how many names, addresses and
    /// pairs it held after it was last renumbered; `None` for one sharing a simulated
    /// cluster's. Numbers are never taken back, so an own registry would keep every
    /// name and address reaped and every one a peer ever sent; it is renumbered afresh
    /// once it doubles.
    own_registry_size: Option<usize>,
}

impl Node {
    /// A node named `id`, reachable at `addr`, drawing every random choice from `seed`.
    /// Fails if `config` does not validate.
    pub fn new(id: NodeId, addr: SocketAddr, config: Config, seed: u64) -> Result<Node, Error> {
        let mut node = Node::new_in(&Registry::new(), id, addr, config, seed)?;
        node.own_registry_size = Some(0);
        Ok(node)
    }

    /// [`Node::new`] for a node whose member table interns names and addresses in
    /// `registry`, shared with the other nodes of this process (a simulated cluster's
    /// nodes share one: each name is then stored once, not once per observer).
    pub fn new_in(
        registry: &Registry,
        id: NodeId,
        addr: SocketAddr,
        config: Config,
        seed: u64,
    ) -> Result<Node, Error> {
        config.validate()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let replica = ReplicaId::new(id.clone(), rand::Rng::random(&mut rng));
        Ok(Node {
            id,
            addr,
            incarnation: 0,
            tags: Tags::none(),
            config,
            rng,
            status: NodeStatus::Idle,
            detection: FailureDetection::default(),
            membership: Membership::new(registry.clone()),
            broadcasts: BroadcastQueue::default(),
            user_events: UserEvents::default(),
            rumors: Rumors::default(),
            anti_entropy: AntiEntropy::new(registry.clone()),
            address_checks: AddressChecks::default(),
            timers: TimerTable::default(),
            replica,
            store: Store::default(),
            store_aside: None,
            heard_at: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            own_registry_size: None,
        })
    }

    /// How many names, addresses and pairs of them this node's registry holds, and the
    /// bytes they take (shared with the other nodes of a simulated cluster).
    pub fn registry_footprint(&self) -> (usize, usize) {
        self.membership.members.registry().footprint()
    }

    /// Renumbers an own registry afresh, with only what the member table and the peer
    /// summaries still hold, once it has grown to twice what it held after the last
    /// time (and by some dozens): each renumbering costs a pass over both, paid for by
    /// as many entries added since.
    fn renumber_own_registry(&mut self) {
        const SLACK: usize = 64;
        let Some(kept) = self.own_registry_size else {
            return;
        };
        if self.membership.members.registry().count() <= 2 * kept + SLACK {
            return;
        }
        let fresh = Registry::new();
        self.membership.members = self.membership.members.reinterned(&fresh);
        self.anti_entropy.peer_summaries = self.anti_entropy.peer_summaries.reinterned(&fresh);
        self.own_registry_size = Some(fresh.count());
    }

    /// When a peer's datagram last came (one this node could read): the last time it is
    /// known to have been in touch with the cluster.
    pub fn last_heard(&self) -> Option<Instant> {
        self.heard_at
    }

    /// Whether a store from before a restart is still held aside ([`Node::restore`]).
    pub fn holds_store_aside(&self) -> bool {
        self.store_aside.is_some()
    }

    /// The store from before a restart while it is held aside ([`Node::restore`]): not
    /// read from until this node has caught up with its peers.
    pub fn store_aside(&self) -> Option<&Store> {
        self.store_aside.as_ref().map(|aside| &aside.store)
    }

    /// What this node would write to disk to survive a restart.
    pub fn persisted(&self) -> PersistedState {
        PersistedState {
            replica: self.replica.clone(),
            incarnation: self.incarnation,
            store: self.store.clone(),
            aside: self.store_aside.as_ref().map(|aside| aside.store.clone()),
        }
    }

    /// Writes from now on as a writer of this node's name with `epoch`, before
    /// [`Node::join`]. A node draws its epoch from its seed, which suits a simulation
    /// (each life is seeded afresh); a driver whose seed may repeat across lives (an
    /// agent started with a fixed seed and no disk) gives each life an epoch of its own,
    /// since two lives writing as one writer number different writes alike, and each
    /// member keeps whichever it heard first.
    pub fn renew_writer(&mut self, epoch: u32) {
        self.replica = ReplicaId::new(self.id.clone(), epoch);
    }

    /// Takes back a persisted state, before [`Node::join`], `away` after the node last
    /// heard from the cluster (`None`: not known). It starts from its old incarnation (so
    /// any death the cluster declared is refuted) and, if it was away for less than
    /// `tombstone_grace`, keeps writing as the same replica with its store (so its
    /// acknowledged writes stay ordered before its new ones).
    ///
    /// Away longer, its store may hold keys whose deletes the others have since
    /// forgotten: it is held aside until the node has caught up with its peers, then taken
    /// back without them (`store_aside`), and the node writes as the replica drawn for
    /// this life. Without anti-entropy no tombstone is ever collected, and the store is
    /// taken back whole.
    pub fn restore(&mut self, state: PersistedState, away: Option<Duration>) -> Restored {
        self.incarnation = state.incarnation;
        let long_away = self.config.anti_entropy
            && away.is_some_and(|away| away >= self.config.tombstone_grace);
        let mut aside = state.aside;
        if long_away {
            let aside = match &mut aside {
                // Still aside from an earlier life: what that life stored joins it.
                Some(aside) => {
                    aside.merge(&state.store);
                    aside
                }
                None => aside.insert(state.store),
            };
            // A new writer, never one whose numbers the old store has seen.
            while aside.summary().get(&self.replica) > 0 || self.replica == state.replica {
                self.replica.epoch = self.replica.epoch.wrapping_add(1);
            }
        } else {
            self.replica = state.replica;
            self.store = state.store;
        }
        match aside {
            Some(aside) if !self.config.anti_entropy => {
                self.store.merge(&aside);
                Restored::Whole
            }
            Some(aside) => {
                let keys = aside.len();
                self.store_aside = Some(StoreAside::new(aside));
                Restored::Aside { keys }
            }
            None => Restored::Whole,
        }
    }

    /// This node's view of the membership, itself included as alive (or left): what it
    /// would save to start again from, or hand to a new member started beside it.
    /// Copying the table is cheap next to relearning it.
    pub fn member_snapshot(&self) -> MemberSnapshot {
        let state = match self.status {
            NodeStatus::Left => MemberState::Left,
            _ => MemberState::Alive,
        };
        MemberSnapshot(SnapshotForm::Table {
            table: Box::new(self.membership.members.clone()),
            itself: self.own_update(state),
        })
    }

    /// Starts from a saved view of the membership, before [`Node::join`]: the node
    /// joins as a member of the cluster it describes at once, without a full-state
    /// exchange, and spreads nothing about it (every entry is old news). Entries about
    /// this node itself are ignored; the others are timed from `now`. A restart from
    /// disk does this, and so does a simulator building a converged cluster of n
    /// members, in n table copies instead of n² insertions.
    pub fn restore_members(&mut self, now: Instant, snapshot: MemberSnapshot) {
        if self.status != NodeStatus::Idle {
            return;
        }
        let members = &mut self.membership.members;
        match snapshot.0 {
            SnapshotForm::Table { mut table, itself } => {
                // Another node's table may number its members in another registry (two
                // agents'); the peer summaries ask about members by this one's numbers.
                if !table.registry().is_same(members.registry()) {
                    *table = table.reinterned(members.registry());
                }
                table.remove(&self.id);
                table.restamp(now);
                if itself.id != self.id {
                    table.upsert(itself.into_member(now));
                }
                *members = *table;
            }
            SnapshotForm::List(list) => {
                *members = members.emptied();
                members.reserve(list.len());
                for update in list {
                    if update.id != self.id && members.get(&update.id).is_none() {
                        members.upsert(update.into_member(now));
                    }
                }
            }
        }
        self.restart_probe_schedule();
        self.suspect_restored_suspects(now);
    }

    /// A member restored as suspect is suspected afresh from `now`. Without a running
    /// suspicion nothing would ever declare it dead or clear it: a failed probe of it,
    /// and the others' news at its incarnation, are old news about it.
    fn suspect_restored_suspects(&mut self, now: Instant) {
        if self.member_counts()[MemberState::Suspect as usize] == 0 {
            return;
        }
        let mut suspects = Vec::new();
        self.membership
            .members
            .visit(|id, addr, incarnation, state| {
                if state == MemberState::Suspect {
                    suspects.push(MemberUpdate {
                        id: id.clone(),
                        addr,
                        incarnation,
                        state,
                        accuser: None,
                        tags: Tags::none(),
                    });
                }
            });
        for suspect in suspects {
            let suspicion = self.new_suspicion(now, &suspect);
            self.membership.suspicions.insert(suspect.id, suspicion);
        }
    }

    /// A new round-robin pass over every active member, in a fresh random order.
    fn restart_probe_schedule(&mut self) {
        let active = self
            .membership
            .members
            .states()
            .filter(|(_, state)| state.is_active());
        self.detection
            .schedule
            .restart(active.map(|(slot, _)| slot), &mut self.rng);
    }

    /// Starts the protocol. With no seeds (other than itself) the node forms a cluster of
    /// one; with restored members ([`Node::restore_members`]) it is a member of theirs
    /// at once; otherwise it sends
    /// each seed its full state and asks for theirs, and stays [`NodeStatus::Joining`]
    /// until somebody answers.
    pub fn join(&mut self, now: Instant, seeds: &[SocketAddr]) {
        if self.status != NodeStatus::Idle {
            return;
        }
        let mut addrs: Vec<SocketAddr> =
            seeds.iter().copied().filter(|s| *s != self.addr).collect();
        addrs.dedup();
        self.membership.seeds = addrs.into_iter().map(membership::Seed::new).collect();
        self.user_events.joined_at = Some(now);
        if self.membership.seeds.is_empty() {
            // Started alone: nobody to catch up with, nor anyone who forgot a delete.
            self.take_back_store(now);
        }
        // Start the first period at a random offset so that nodes started together do
        // not probe in lockstep.
        let offset = self.random_fraction_of(self.config.probe_interval);
        self.timers.set(Timer::Probe, now + offset);
        self.timers
            .set(Timer::Gossip, now + self.config.gossip_interval);
        self.timers
            .set(Timer::Reap, now + self.config.probe_interval);
        // Staggered over the whole (size-scaled) interval, as memberlist does, so a
        // large restored cluster does not exchange every member table at once.
        let period = self.push_pull_period();
        self.address_checks.new_round(period);
        let first_push_pull = self.random_fraction_of(period);
        self.timers.set(Timer::PushPull, now + first_push_pull);
        let first_sync = self.random_fraction_of(self.config.sync_interval);
        self.timers.set(Timer::Sync, now + first_sync);
        self.timers
            .set(Timer::Reconnect, now + self.config.reconnect_interval);
        // With no one to ask, or a member table already filled (restored), this node is
        // a member at once; the seeds are still remembered for reconnecting.
        if self.membership.seeds.is_empty() || !self.membership.members.is_empty() {
            self.become_member();
        } else {
            self.status = NodeStatus::Joining;
            self.contact_seeds(now);
        }
    }

    /// Reaches out to `addrs` while running, as `serf join` does for a running agent: a
    /// full-state exchange with each (this node's member table, asking for theirs).
    /// Two clusters started apart merge this way, each side taking the other's members
    /// as news and spreading them; a member whose seeds are all gone finds its cluster
    /// again. An idle node joins through `addrs` ([`Node::join`]); one still joining
    /// adds them to its seeds and asks them at once. Returns the addresses contacted:
    /// `addrs` without repeats or this node's own address; with none left, nothing
    /// happens (an idle node stays idle). A node that has left refuses
    /// ([`Error::Left`]) and sends nothing.
    pub fn contact(
        &mut self,
        now: Instant,
        addrs: &[SocketAddr],
    ) -> Result<Vec<SocketAddr>, Error> {
        let mut fresh: Vec<SocketAddr> = Vec::with_capacity(addrs.len());
        for &addr in addrs {
            if addr != self.addr && !fresh.contains(&addr) {
                fresh.push(addr);
            }
        }
        if self.status == NodeStatus::Left {
            return Err(Error::Left);
        }
        if fresh.is_empty() {
            // An idle node given nobody must not start a cluster of its own.
            return Ok(fresh);
        }
        match self.status {
            NodeStatus::Left => {}
            NodeStatus::Idle => self.join(now, &fresh),
            NodeStatus::Joining => {
                for &addr in &fresh {
                    if !self.membership.seeds.iter().any(|seed| seed.addr == addr) {
                        self.membership.seeds.push(membership::Seed::new(addr));
                    }
                    self.send_full_state(addr, true);
                }
            }
            NodeStatus::Joined => {
                for &addr in &fresh {
                    self.send_full_state(addr, true);
                }
            }
        }
        Ok(fresh)
    }

    /// This node's own tags.
    pub fn tags(&self) -> &Tags {
        &self.tags
    }

    /// Changes this node's tags. Once it has started, it raises its incarnation and
    /// announces itself alive with the new tags, which then win everywhere as any newer
    /// alive news does (the same way a refutation spreads).
    pub fn set_tags(&mut self, tags: Tags) {
        if tags == self.tags {
            return;
        }
        self.tags = tags;
        if matches!(self.status, NodeStatus::Joining | NodeStatus::Joined) {
            self.incarnation = self.incarnation.saturating_add(1);
            self.broadcasts.push(self.own_update(MemberState::Alive));
        }
    }

    /// The tags `member` announced with its current incarnation, as far as this node
    /// has heard.
    pub fn member_tags(&self, member: &NodeId) -> Option<&Tags> {
        let incarnation = self.membership.members.get(member)?.incarnation;
        self.tags_at(member, incarnation)
    }

    /// Replaces the seeds' addresses, for a driver whose seeds are host names that may
    /// now resolve elsewhere. The next join retry or reconnect uses the new addresses;
    /// nothing else changes.
    pub fn set_seeds(&mut self, seeds: &[SocketAddr]) {
        let mut addrs: Vec<SocketAddr> =
            seeds.iter().copied().filter(|s| *s != self.addr).collect();
        addrs.sort_unstable();
        addrs.dedup();
        let mut current: Vec<SocketAddr> = self.seeds().collect();
        current.sort_unstable();
        if current != addrs {
            self.membership.seeds = addrs.into_iter().map(membership::Seed::new).collect();
        }
    }

    /// The addresses of the seeds this node joins and reconnects through.
    pub fn seeds(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.membership.seeds.iter().map(|seed| seed.addr)
    }

    /// Leaves the cluster gracefully: the departure is spread, and nobody will suspect
    /// this node for going quiet. The driver should keep the node running for a few
    /// gossip intervals so the news gets out.
    pub fn leave(&mut self, now: Instant) {
        if self.status == NodeStatus::Left {
            return;
        }
        self.status = NodeStatus::Left;
        for timer in [
            Timer::Probe,
            Timer::ProbeTimeout,
            Timer::JoinRetry,
            Timer::Sync,
            Timer::PushPull,
            Timer::Reconnect,
        ] {
            self.timers.stop(timer);
        }
        self.detection.probe = None;
        self.broadcasts.push(self.own_update(MemberState::Left));
        self.gossip_round();
        self.hand_off();
        self.timers
            .set(Timer::Gossip, now + self.config.gossip_interval);
    }

    /// Declares `member`, which this node holds dead, to have left the cluster, on its
    /// behalf, as `serf force-leave` does for a member that failed and will not come
    /// back: the departure spreads as the member's own would, and everywhere it lands
    /// the member is no longer tried by reconnects (which try the dead, now and then)
    /// and is reaped as any departed member is. A member that does still run
    /// hears it and refutes, as it would a wrong death (SWIM section 4.2). Refused, with
    /// nothing changed: a member held alive or suspect ([`Error::NotDead`]; let it be
    /// declared dead first), this node itself (it leaves with [`Node::leave`]), a member
    /// neither held nor still tried after it was reaped ([`Error::UnknownMember`]), and
    /// any request once this node has left. A member that was reaped while dead and is
    /// still tried is given up on, and so it is wherever the news lands. Returns whether
    /// this was news: false for a member held left already, which stays as it is.
    pub fn force_leave(&mut self, now: Instant, member: &NodeId) -> Result<bool, Error> {
        if self.status == NodeStatus::Left {
            return Err(Error::Left);
        }
        if *member == self.id {
            return Err(Error::NotDead(member.to_string()));
        }
        let Some(held) = self.membership.members.get(member) else {
            // Reaped while dead, and still tried by reconnects: given up on here, and
            // the news goes to the others, who may still try it too.
            let lost = self
                .membership
                .lost
                .remove(member)
                .ok_or_else(|| Error::UnknownMember(member.to_string()))?;
            self.broadcasts.push(MemberUpdate {
                id: member.clone(),
                addr: lost.addr,
                incarnation: lost.incarnation,
                state: MemberState::Left,
                accuser: None,
                tags: Tags::none(),
            });
            return Ok(true);
        };
        match held.state {
            MemberState::Left => Ok(false),
            MemberState::Dead => {
                self.apply_member_update(
                    now,
                    MemberUpdate {
                        id: held.id,
                        addr: held.addr,
                        incarnation: held.incarnation,
                        state: MemberState::Left,
                        accuser: None,
                        tags: Tags::none(),
                    },
                );
                Ok(true)
            }
            MemberState::Alive | MemberState::Suspect => Err(Error::NotDead(member.to_string())),
        }
    }

    /// Writes `key = value` on this node; the write spreads to every member. Returns
    /// the new version. Too large a key or value is an error and stores nothing.
    pub fn put(&mut self, now: Instant, key: &str, value: &str) -> Result<Version, Error> {
        self.check_writable(key)?;
        check_size("value", value, self.config.max_value_len)?;
        self.write(now, key, Some(value.to_owned()))
    }

    /// Deletes `key` (a tombstone that spreads like a write). Returns the tombstone, or
    /// `None` if the key held no value here: none of its versions, nor of those held
    /// aside, is a value. A value standing beside a concurrent delete counts, though the
    /// delete reads first: the tombstone settles the conflict.
    pub fn delete(&mut self, now: Instant, key: &str) -> Result<Option<Version>, Error> {
        self.check_writable(key)?;
        let holds_value = |store: &Store| {
            store
                .versions(key)
                .is_some_and(|versions| versions.iter().any(|v| !v.is_tombstone()))
        };
        let aside = self.store_aside.as_ref().map(|aside| &aside.store);
        if !holds_value(&self.store) && !aside.is_some_and(holds_value) {
            return Ok(None);
        }
        self.write(now, key, None).map(Some)
    }

    /// Notes when a tombstone arrived, for `tombstone_grace`; only while anti-entropy,
    /// which collects tombstones, runs (its sweep notes what it finds when it starts).
    fn note_tombstone(&mut self, now: Instant, version: &Version) {
        if version.is_tombstone() && self.config.anti_entropy {
            self.anti_entropy
                .tombstones_seen
                .entry((version.writer.clone(), version.seq()))
                .or_insert(now);
        }
    }

    fn check_writable(&self, key: &str) -> Result<(), Error> {
        if self.status == NodeStatus::Left {
            return Err(Error::Left);
        }
        if key.is_empty() {
            return Err(Error::EmptyKey);
        }
        check_size("key", key, self.config.max_key_len)
    }

    /// Makes and spreads a local version, unless it would not fit in a datagram: its
    /// vector clock grows with every writer the key has had, and a version no datagram
    /// can carry would stay here alone, and hold back anti-entropy's later versions of
    /// this writer behind it.
    fn write(&mut self, now: Instant, key: &str, value: Option<String>) -> Result<Version, Error> {
        let mut version = self
            .store
            .next_version(&self.replica, key.to_owned(), value);
        for clock in self.clocks_aside(key) {
            version.clock.merge(clock);
        }
        let room = self.version_room();
        let len = wire::encoded_len(&version);
        if len > room {
            return Err(Error::TooLarge {
                what: "the key's new version with its vector clock",
                len,
                max: room,
            });
        }
        self.store.commit(version.clone());
        self.note_tombstone(now, &version);
        self.events.push_back(Event::KeyChanged {
            key: version.key.clone(),
            value: version.value.clone(),
            writer: version.writer.clone(),
        });
        self.start_rumor(version.clone(), false);
        self.rearm_idle_timers(now);
        Ok(version)
    }

    /// Feeds one received datagram. A datagram that does not decode is counted in
    /// [`Stats::decode_errors`] and returned as an error; nothing else changes.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), Error> {
        // A share of a full state is merged straight from the datagram: most of its
        // entries are old news, and reading them in place spares building each one.
        if let Some(share) = SyncView::parse(datagram) {
            self.stats.received.count(MessageKind::Sync, datagram.len());
            if !share.is_from(&self.id) {
                self.handle_sync(now, share.entries());
                if share.reply()
                    && let Some(sender) = share.sender()
                {
                    self.answer_full_state(now, from, &sender, true);
                }
                self.after_packet(now, from);
            }
            return Ok(());
        }
        match wire::decode(datagram) {
            Ok(packet) => {
                self.handle_decoded(now, from, packet, datagram.len());
                Ok(())
            }
            Err(error) => {
                self.stats.decode_errors += 1;
                Err(error.into())
            }
        }
    }

    /// [`Node::handle_packet`] for a datagram of `len` bytes already decoded.
    fn handle_decoded(&mut self, now: Instant, from: SocketAddr, packet: Packet, len: usize) {
        self.stats.received.count(packet.message.kind(), len);
        if packet.from == self.id {
            return;
        }
        // Most packets carry no news: skip dropping an empty vector's iterator.
        if !packet.updates.is_empty() {
            for update in packet.updates {
                self.apply_update(now, update);
            }
        }
        match packet.message {
            Message::Ping {
                seq,
                target,
                store_fingerprint,
            } => self.handle_ping(now, from, &packet.from, seq, &target, store_fingerprint),
            Message::Ack { seq } => {
                self.pass_address_check(now, from, seq);
                self.handle_ack(now, seq);
            }
            Message::Nack { seq } => self.handle_nack(seq),
            Message::PingReq {
                seq,
                target,
                target_addr,
                nack,
            } => self.handle_ping_req(now, from, seq, target, target_addr, nack),
            Message::Sync { members, reply } => {
                self.handle_sync(now, members);
                self.answer_full_state(now, from, &packet.from, reply);
            }
            Message::Gossip => {}
            Message::Rumor {
                batch,
                versions,
                feedback,
            } => self.handle_rumor(now, from, batch, versions, feedback),
            Message::RumorFeedback { batch, known } => self.handle_rumor_feedback(batch, &known),
            Message::RumorPull => self.handle_rumor_pull(&packet.from),
            Message::Digest {
                summary,
                send_deltas,
                send_digest,
            } => {
                self.catch_up_with(now, Some((&packet.from, &summary)));
                self.handle_digest(packet.from, summary, send_deltas, send_digest);
            }
            Message::Deltas { versions, ranges } => {
                self.handle_deltas(now, versions, &ranges);
                self.catch_up_with(now, None);
            }
            Message::SyncOffer { fingerprint } => {
                self.handle_sync_offer(now, from, &packet.from, fingerprint);
            }
        }
        self.after_packet(now, from);
    }

    /// What follows any packet from another member: joining completes once someone
    /// answered, and idle timers rearm.
    fn after_packet(&mut self, now: Instant, from: SocketAddr) {
        self.heard_at = Some(now);
        // Joined once some live member answered: a seed that has left answers only with
        // its departure, and joining through it alone would leave this node a cluster of
        // one that believes itself a member.
        if self.status == NodeStatus::Joining {
            if self.membership.members.active() > 0 {
                self.timers.stop(Timer::JoinRetry);
                self.become_member();
            } else if !self.membership.seeds.iter().any(|seed| seed.addr == from) {
                // Someone who heard of this node (say, from a seed that then left) is
                // talking to it: ask them for the cluster instead.
                self.send_full_state(from, true);
            }
        }
        self.rearm_idle_timers(now);
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut witnesses_asked_now = false;
        for timer in self.timers.take_expired(now) {
            match timer {
                Timer::ProbeTimeout => witnesses_asked_now = self.probe_indirectly(),
                Timer::Probe if witnesses_asked_now => {
                    // A late wake-up (a paused or slow node) found the probe's timeout
                    // and its period's end both passed. SWIM section 3.1 asks witnesses
                    // before anyone is suspected: those just asked get what is left of
                    // a period after the direct probe's timeout to answer, and the
                    // probe is judged then.
                    let period = self.stretched(self.config.probe_interval).as_millis();
                    let timeout = self.stretched(self.config.probe_timeout).as_millis();
                    let rest = Duration::from_millis(period.saturating_sub(timeout).max(1));
                    self.timers.set(Timer::Probe, now + rest);
                }
                Timer::Probe => {
                    self.conclude_probe(now);
                    self.start_probe(now);
                    let period = self.stretched(self.config.probe_interval);
                    self.timers.set(Timer::Probe, now + period);
                }
                Timer::Gossip => {
                    let expired = self.user_events.expire(now) as u64;
                    // Alone, a node has nobody to pass events to: nothing was lost.
                    if self.membership.members.active() > 0 {
                        self.stats.user_events_expired += expired;
                    }
                    self.gossip_round();
                    self.rumor_round();
                }
                Timer::JoinRetry => self.contact_seeds(now),
                Timer::Reap => self.reap(now),
                Timer::Sync => {
                    self.sync_round(now);
                    self.timers
                        .set(Timer::Sync, now + self.config.sync_interval);
                }
                Timer::PushPull => {
                    self.push_pull();
                    self.timers
                        .set(Timer::PushPull, now + self.push_pull_period());
                }
                Timer::Reconnect => {
                    self.reconnect(now);
                    self.timers
                        .set(Timer::Reconnect, now + self.config.reconnect_interval);
                }
            }
        }
        self.expire_relays(now);
        self.expire_suspicions(now);
        self.rearm_idle_timers(now);
    }

    /// The gossip and reap timers run only while they have work: pending news or hot
    /// rumors (or pulling), and members to reap or forget. An idle node then wakes about
    /// once a period, for its probe, instead of at every gossip interval; this changes
    /// nothing it sends.
    fn rearm_idle_timers(&mut self, now: Instant) {
        if self.status == NodeStatus::Idle {
            return;
        }
        let rumors = self.config.rumor_mongering;
        let mode = self.config.rumor_mode;
        // Pulling asks every round; per-round rumor accounting needs rounds that keep
        // one phase (Demers' synchronous cycles), not ones restarted by the next rumor.
        let steady = mode.pulls() || self.config.rumor_accounting == RumorAccounting::PerRound;
        let every_round = rumors && steady && self.status != NodeStatus::Left;
        let gossip_work = self.has_news()
            || (rumors && mode.pushes() && !self.rumors.hot.is_empty())
            || every_round;
        if gossip_work && self.timers.get(Timer::Gossip).is_none() {
            self.timers
                .set(Timer::Gossip, now + self.config.gossip_interval);
        }
        let reap_work = self.membership.members.len() != self.membership.members.active()
            || !self.membership.forgotten.is_empty();
        if reap_work && self.timers.get(Timer::Reap).is_none() {
            self.timers
                .set(Timer::Reap, now + self.config.probe_interval);
        }
    }

    /// The next datagram to send.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Node::handle_timeout`] must be called next; `None` before `join`.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        let suspicions = self.membership.suspicions.values().map(Suspicion::deadline);
        let nacks = self.detection.relays.iter().filter_map(|r| r.nack_at);
        self.timers
            .next_deadline()
            .into_iter()
            .chain(suspicions)
            .chain(nacks)
            .min()
    }

    /// This node's name.
    pub fn id(&self) -> &NodeId {
        &self.id
    }

    /// This node's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// This node's current incarnation.
    pub fn incarnation(&self) -> Incarnation {
        self.incarnation
    }

    /// Where this node stands.
    pub fn status(&self) -> NodeStatus {
        self.status
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Takes on `config` while running, if it validates and differs from the one in
    /// force only in [`Config::LIVE_FIELDS`]: what happens next follows it, what is
    /// under way (a probe, a suspicion, a rumor) finishes as it began. A change to any
    /// other field is refused, naming it; it applies when the node starts again.
    pub fn reconfigure(&mut self, config: Config) -> Result<(), Error> {
        self.config.check_live_change(&config)?;
        self.config = config;
        Ok(())
    }

    /// Lifeguard's Local Health score: 0 when healthy.
    pub fn local_health(&self) -> u32 {
        self.detection.health.score()
    }

    /// Every other member this node knows of, in no particular order (the same for the
    /// same inputs).
    pub fn members(&self) -> impl Iterator<Item = Member> + '_ {
        self.membership.members.iter()
    }

    /// Calls `visit` with the name, address, incarnation and state of every member this
    /// node holds, in table order, reading the shared [`Registry`] once: a scan of every
    /// table of a cluster (the simulator's checkers, the lab's consensus view) without
    /// building a [`Member`] for each entry. The registry stays locked for reading
    /// meanwhile: `visit` must not feed packets, timers or snapshots to any node that
    /// shares it (one could learn a new name or address, and wait for the lock).
    pub fn visit_members(&self, visit: impl FnMut(&NodeId, SocketAddr, Incarnation, MemberState)) {
        self.membership.members.visit(visit);
    }

    /// How many other members this node holds in each state, indexed like
    /// [`MemberState::ALL`].
    pub fn member_counts(&self) -> [usize; MemberState::ALL.len()] {
        self.membership.members.counts()
    }

    /// The bytes this node's member table takes (its entries, the index from name
    /// numbers to entries and the probe order), allocated capacity included; the names
    /// and addresses themselves are in the shared [`Registry`].
    pub fn member_table_bytes(&self) -> usize {
        self.membership.members.footprint() + self.detection.schedule.footprint()
    }

    /// The bytes this node keeps of other members' store summaries (for collecting
    /// tombstones), allocated capacity included: like the member table, they grow with
    /// the number of members.
    pub fn peer_summary_bytes(&self) -> usize {
        self.anti_entropy.peer_summaries.footprint()
    }

    /// How many other members this node holds alive or suspect.
    pub fn active_members(&self) -> usize {
        self.membership.members.active()
    }

    /// The entry this node holds for another member `id`, if any: a driver reading
    /// one member after an event about it need not list them all.
    pub fn member(&self, id: &NodeId) -> Option<Member> {
        self.membership.members.get(id)
    }

    /// What this node believes about `id` (itself included, as alive).
    pub fn member_state(&self, id: &NodeId) -> Option<MemberState> {
        if *id == self.id {
            return Some(match self.status {
                NodeStatus::Left => MemberState::Left,
                _ => MemberState::Alive,
            });
        }
        self.membership.members.get(id).map(|m| m.state)
    }

    /// When the suspicion of `id` runs out, if it is suspected.
    pub fn suspicion_deadline(&self, id: &NodeId) -> Option<Instant> {
        self.membership.suspicions.get(id).map(Suspicion::deadline)
    }

    /// This node's identity as a writer in the store.
    pub fn replica(&self) -> &ReplicaId {
        &self.replica
    }

    /// How many rumors this node is still spreading.
    pub fn hot_rumors(&self) -> usize {
        self.rumors.hot.len()
    }

    /// This node's copy of the key/value store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Counters since the node started.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    fn become_member(&mut self) {
        // Whoever a joining node asked for the cluster (anyone who spoke to it) is not
        // a peer whose request for the full table goes unchecked once it is a member.
        self.address_checks.forget_invitations();
        self.status = NodeStatus::Joined;
        self.events.push_back(Event::JoinedCluster);
    }

    fn own_update(&self, state: MemberState) -> MemberUpdate {
        MemberUpdate {
            id: self.id.clone(),
            addr: self.addr,
            incarnation: self.incarnation,
            state,
            accuser: None,
            tags: if state == MemberState::Alive {
                self.tags.clone()
            } else {
                Tags::none()
            },
        }
    }

    /// memberlist's rule: a full-state exchange costs O(n), so beyond 32 members the
    /// push-pull interval grows with log2(n), keeping the cluster-wide cost near linear.
    fn push_pull_period(&self) -> Duration {
        const THRESHOLD: f64 = 32.0;
        let n = (self.membership.members.active() + 1) as f64;
        if n <= THRESHOLD {
            return self.config.push_pull_interval;
        }
        let multiplier = (n.log2() - THRESHOLD.log2()).ceil() as u32 + 1;
        self.config.push_pull_interval * multiplier
    }

    /// `base` stretched by Lifeguard's Local Health Multiplier, when it is on.
    fn stretched(&self, base: Duration) -> Duration {
        if self.config.lifeguard.local_health {
            self.detection.health.scale(base)
        } else {
            base
        }
    }

    fn random_fraction_of(&mut self, span: Duration) -> Duration {
        use rand::Rng;
        Duration::from_millis(self.rng.random_range(0..=span.as_millis()))
    }

    /// A ping's number, drawn at random: its ack then shows that whoever sent it
    /// received the ping (`address_check`).
    fn next_seq(&mut self) -> u32 {
        use rand::Rng;
        self.rng.random()
    }

    /// 64 random bits, from the seeded generator.
    fn next_random_u64(&mut self) -> u64 {
        use rand::Rng;
        self.rng.random()
    }

    /// Whether news waits to be piggybacked: membership news or user events.
    fn has_news(&self) -> bool {
        !self.broadcasts.is_empty() || !self.user_events.queue.is_empty()
    }
}

fn check_size(what: &'static str, text: &str, max: usize) -> Result<(), Error> {
    if text.len() > max {
        return Err(Error::TooLarge {
            what,
            len: text.len(),
            max,
        });
    }
    Ok(())
}
