//! The sans-IO gossip node: SWIM membership (Das, Gupta and Motivala, DSN 2002) plus the
//! key/value store riding on its dissemination.
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

use core::net::SocketAddr;
use std::collections::{BTreeMap, VecDeque};

use rand::SeedableRng;
use rand::seq::IteratorRandom;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::dissemination::{BroadcastQueue, retransmit_limit};
use crate::member::{Incarnation, Member, MemberState, MemberUpdate};
use crate::probe::ProbeOrder;
use crate::store::Store;
use crate::timer::{Timer, TimerTable};
use crate::wire::{self, Message, MessageKind, Packet, Update};
use crate::{Config, Error, Event, Instant, NodeId, Stats};

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

/// The probe of the current protocol period.
#[derive(Clone, Debug)]
struct Probe {
    target: NodeId,
    seq: u32,
    acked: bool,
}

/// A ping sent on another member's behalf (SWIM's ping-req): its ack is relayed back.
#[derive(Clone, Debug)]
struct Relay {
    seq: u32,
    requester: SocketAddr,
    requester_seq: u32,
    expires: Instant,
}

/// Room reserved for the length prefix of the piggybacked update list.
const UPDATE_COUNT_RESERVE: usize = 3;

/// One member of a gossip cluster, as a sans-IO state machine.
#[derive(Debug)]
pub struct Node {
    id: NodeId,
    addr: SocketAddr,
    incarnation: Incarnation,
    config: Config,
    rng: Xoshiro256PlusPlus,
    status: NodeStatus,
    seeds: Vec<SocketAddr>,
    /// Every other member this node knows, by name (ordered, so iteration is
    /// deterministic).
    members: BTreeMap<NodeId, Member>,
    probe_order: ProbeOrder,
    probe: Option<Probe>,
    relays: Vec<Relay>,
    /// Deadline of each unrefuted suspicion.
    suspicions: BTreeMap<NodeId, Instant>,
    next_seq: u32,
    timers: TimerTable,
    broadcasts: BroadcastQueue,
    store: Store,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    stats: Stats,
}

impl Node {
    /// A node named `id`, reachable at `addr`, drawing every random choice from `seed`.
    /// Fails if `config` does not validate.
    pub fn new(id: NodeId, addr: SocketAddr, config: Config, seed: u64) -> Result<Node, Error> {
        config.validate()?;
        Ok(Node {
            id,
            addr,
            incarnation: 0,
            config,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            status: NodeStatus::Idle,
            seeds: Vec::new(),
            members: BTreeMap::new(),
            probe_order: ProbeOrder::default(),
            probe: None,
            relays: Vec::new(),
            suspicions: BTreeMap::new(),
            next_seq: 0,
            timers: TimerTable::default(),
            broadcasts: BroadcastQueue::default(),
            store: Store::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
        })
    }

    /// Starts the protocol. With no seeds (other than itself) the node forms a cluster of
    /// one; otherwise it sends each seed its full state and asks for theirs, and stays
    /// [`NodeStatus::Joining`] until somebody answers.
    pub fn join(&mut self, now: Instant, seeds: &[SocketAddr]) {
        if self.status != NodeStatus::Idle {
            return;
        }
        self.seeds = seeds.iter().copied().filter(|s| *s != self.addr).collect();
        self.seeds.dedup();
        self.timers
            .set(Timer::Probe, now + self.config.probe_interval);
        self.timers
            .set(Timer::Gossip, now + self.config.gossip_interval);
        self.timers
            .set(Timer::Reap, now + self.config.probe_interval);
        if self.seeds.is_empty() {
            self.become_member();
        } else {
            self.status = NodeStatus::Joining;
            self.contact_seeds(now);
        }
    }

    /// Leaves the cluster gracefully: the departure is spread, and nobody will suspect
    /// this node for going quiet. The driver should keep the node running for a few
    /// gossip intervals so the news gets out.
    pub fn leave(&mut self, now: Instant) {
        if self.status == NodeStatus::Left {
            return;
        }
        self.status = NodeStatus::Left;
        for timer in [Timer::Probe, Timer::ProbeTimeout, Timer::JoinRetry] {
            self.timers.stop(timer);
        }
        self.probe = None;
        self.broadcasts
            .push(Update::Member(self.own_update(MemberState::Left)));
        self.gossip_round();
        self.timers
            .set(Timer::Gossip, now + self.config.gossip_interval);
    }

    /// Writes `key = value` on this node; the write spreads to every member.
    pub fn put(&mut self, _now: Instant, key: &str, value: &str) -> Result<(), Error> {
        if self.status == NodeStatus::Left {
            return Err(Error::Left);
        }
        check_size("key", key, self.config.max_key_len)?;
        check_size("value", value, self.config.max_value_len)?;
        let update = self.store.write(&self.id, key.to_owned(), value.to_owned());
        self.events.push_back(Event::KeyUpdated {
            key: update.key.clone(),
            value: update.value.clone(),
            writer: update.writer.clone(),
        });
        self.broadcasts.push(Update::Kv(update));
        Ok(())
    }

    /// Feeds one received datagram. A datagram that does not decode is counted in
    /// [`Stats::decode_errors`] and returned as an error; nothing else changes.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), Error> {
        let packet = match wire::decode(datagram) {
            Ok(packet) => packet,
            Err(error) => {
                self.stats.decode_errors += 1;
                return Err(error.into());
            }
        };
        self.stats
            .received
            .count(packet.message.kind(), datagram.len());
        if packet.from == self.id {
            return Ok(());
        }
        for update in packet.updates {
            self.apply_update(now, update);
        }
        match packet.message {
            Message::Ping { seq, target } => {
                if target == self.id {
                    self.send(from, Message::Ack { seq });
                }
            }
            Message::Ack { seq } => self.handle_ack(seq),
            Message::PingReq {
                seq,
                target,
                target_addr,
            } => self.handle_ping_req(now, from, seq, target, target_addr),
            Message::Sync { members, reply } => {
                for member in members {
                    self.apply_member_update(now, member);
                }
                if reply {
                    self.send_full_state(from, false);
                }
            }
            Message::Gossip => {}
        }
        if self.status == NodeStatus::Joining {
            self.timers.stop(Timer::JoinRetry);
            self.become_member();
        }
        Ok(())
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        for timer in self.timers.take_expired(now) {
            match timer {
                Timer::Probe => {
                    self.conclude_probe(now);
                    self.start_probe(now);
                    self.relays.retain(|relay| relay.expires > now);
                    self.timers
                        .set(Timer::Probe, now + self.config.probe_interval);
                }
                Timer::ProbeTimeout => self.probe_indirectly(),
                Timer::Gossip => {
                    self.gossip_round();
                    self.timers
                        .set(Timer::Gossip, now + self.config.gossip_interval);
                }
                Timer::JoinRetry => self.contact_seeds(now),
                Timer::Reap => {
                    self.reap(now);
                    self.timers
                        .set(Timer::Reap, now + self.config.probe_interval);
                }
            }
        }
        let expired: Vec<NodeId> = self
            .suspicions
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.suspicions.remove(&id);
            self.confirm_dead(now, &id);
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
        let suspicion = self.suspicions.values().min().copied();
        match (self.timers.next_deadline(), suspicion) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
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

    /// Every other member this node knows of, ordered by name.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    /// What this node believes about `id` (itself included, as alive).
    pub fn member_state(&self, id: &NodeId) -> Option<MemberState> {
        if *id == self.id {
            return Some(match self.status {
                NodeStatus::Left => MemberState::Left,
                _ => MemberState::Alive,
            });
        }
        self.members.get(id).map(|m| m.state)
    }

    /// When the suspicion of `id` runs out, if it is suspected.
    pub fn suspicion_deadline(&self, id: &NodeId) -> Option<Instant> {
        self.suspicions.get(id).copied()
    }

    /// This node's copy of the key/value store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// How many updates are still being spread by this node.
    pub fn pending_updates(&self) -> usize {
        self.broadcasts.len()
    }

    /// Counters since the node started.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    fn become_member(&mut self) {
        self.status = NodeStatus::Joined;
        self.events.push_back(Event::JoinedCluster);
    }

    fn contact_seeds(&mut self, now: Instant) {
        for seed in self.seeds.clone() {
            self.send_full_state(seed, true);
        }
        self.timers
            .set(Timer::JoinRetry, now + self.config.probe_interval * 2);
    }

    fn own_update(&self, state: MemberState) -> MemberUpdate {
        MemberUpdate {
            id: self.id.clone(),
            addr: self.addr,
            incarnation: self.incarnation,
            state,
        }
    }

    fn active_members(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.state.is_active())
            .count()
    }

    /// Sends this node's whole member table (itself included), split over as many
    /// datagrams as the MTU requires; only the first asks for a reply.
    fn send_full_state(&mut self, to: SocketAddr, reply: bool) {
        let mut all: Vec<MemberUpdate> = vec![self.own_update(MemberState::Alive)];
        all.extend(self.members.values().map(MemberUpdate::from));
        let empty = Packet {
            from: self.id.clone(),
            message: Message::Sync {
                members: Vec::new(),
                reply,
            },
            updates: Vec::new(),
        };
        let budget = self.config.mtu - 1 - wire::encoded_len(&empty) - UPDATE_COUNT_RESERVE;
        let mut chunk = Vec::new();
        let mut used = 0;
        let mut ask = reply;
        for update in all {
            let len = wire::encoded_len(&update);
            if used + len > budget && !chunk.is_empty() {
                self.send_unpiggybacked(
                    to,
                    Message::Sync {
                        members: std::mem::take(&mut chunk),
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

    /// Sends `message` with as many pending updates piggybacked as fit under the MTU.
    fn send(&mut self, to: SocketAddr, message: Message) {
        let mut packet = Packet {
            from: self.id.clone(),
            message,
            updates: Vec::new(),
        };
        let used = 1 + wire::encoded_len(&packet) + UPDATE_COUNT_RESERVE;
        let limit = retransmit_limit(self.config.retransmit_mult, self.active_members() + 1);
        packet.updates = self
            .broadcasts
            .select(self.config.mtu.saturating_sub(used), limit);
        self.push_transmit(to, &packet);
    }

    fn send_unpiggybacked(&mut self, to: SocketAddr, message: Message) {
        let packet = Packet {
            from: self.id.clone(),
            message,
            updates: Vec::new(),
        };
        self.push_transmit(to, &packet);
    }

    fn push_transmit(&mut self, to: SocketAddr, packet: &Packet) {
        let payload = wire::encode(packet);
        let kind = packet.message.kind();
        self.stats.sent.count(kind, payload.len());
        self.transmits.push_back(Transmit { to, kind, payload });
    }

    fn next_seq(&mut self) -> u32 {
        self.next_seq = self.next_seq.wrapping_add(1);
        self.next_seq
    }

    /// SWIM section 3.1: each period, ping the next member in the probe order.
    fn start_probe(&mut self, now: Instant) {
        let members = &self.members;
        let target = self.probe_order.next_target(
            members.keys(),
            |id| members.get(id).is_some_and(|m| m.state.is_active()),
            &mut self.rng,
        );
        let Some(target) = target else { return };
        let Some(addr) = self.members.get(&target).map(|m| m.addr) else {
            return;
        };
        let seq = self.next_seq();
        self.stats.probes += 1;
        self.probe = Some(Probe {
            target: target.clone(),
            seq,
            acked: false,
        });
        self.send(addr, Message::Ping { seq, target });
        self.timers
            .set(Timer::ProbeTimeout, now + self.config.probe_timeout);
    }

    /// SWIM section 3.1: no direct ack in time, so ask `k` random members to ping the
    /// target for us. Their relayed ack counts as much as a direct one.
    fn probe_indirectly(&mut self) {
        let Some(probe) = self.probe.as_ref().filter(|p| !p.acked) else {
            return;
        };
        let (target, seq) = (probe.target.clone(), probe.seq);
        let Some(target_addr) = self.members.get(&target).map(|m| m.addr) else {
            return;
        };
        let witnesses: Vec<SocketAddr> = self
            .members
            .values()
            .filter(|m| m.id != target && m.state == MemberState::Alive)
            .map(|m| m.addr)
            .choose_multiple(&mut self.rng, self.config.indirect_checks);
        if !witnesses.is_empty() {
            self.stats.indirect_probes += 1;
        }
        for witness in witnesses {
            self.send(
                witness,
                Message::PingReq {
                    seq,
                    target: target.clone(),
                    target_addr,
                },
            );
        }
    }

    /// SWIM section 4.2: a probe without any ack by the end of its period makes the
    /// target suspect (not dead: it gets `suspicion_timeout` to refute).
    fn conclude_probe(&mut self, now: Instant) {
        let Some(probe) = self.probe.take() else {
            return;
        };
        self.timers.stop(Timer::ProbeTimeout);
        if probe.acked {
            return;
        }
        self.stats.failed_probes += 1;
        let Some(member) = self.members.get(&probe.target) else {
            return;
        };
        if member.state == MemberState::Alive {
            let mut suspicion = MemberUpdate::from(member);
            suspicion.state = MemberState::Suspect;
            self.apply_member_update(now, suspicion);
        }
    }

    fn handle_ack(&mut self, seq: u32) {
        if let Some(probe) = self.probe.as_mut().filter(|p| p.seq == seq) {
            probe.acked = true;
            return;
        }
        if let Some(at) = self.relays.iter().position(|r| r.seq == seq) {
            let relay = self.relays.swap_remove(at);
            self.send(
                relay.requester,
                Message::Ack {
                    seq: relay.requester_seq,
                },
            );
        }
    }

    fn handle_ping_req(
        &mut self,
        now: Instant,
        requester: SocketAddr,
        requester_seq: u32,
        target: NodeId,
        target_addr: SocketAddr,
    ) {
        if target == self.id {
            self.send(requester, Message::Ack { seq: requester_seq });
            return;
        }
        let seq = self.next_seq();
        self.relays.push(Relay {
            seq,
            requester,
            requester_seq,
            expires: now + self.config.probe_interval,
        });
        self.send(target_addr, Message::Ping { seq, target });
    }

    /// SWIM section 4.2: a suspicion that ran out unrefuted becomes a confirmed death.
    fn confirm_dead(&mut self, now: Instant, id: &NodeId) {
        let Some(member) = self
            .members
            .get(id)
            .filter(|m| m.state == MemberState::Suspect)
        else {
            return;
        };
        let mut death = MemberUpdate::from(member);
        death.state = MemberState::Dead;
        self.apply_member_update(now, death);
    }

    /// SWIM section 4.1: push pending news to `fanout` random members.
    fn gossip_round(&mut self) {
        if self.broadcasts.is_empty() {
            return;
        }
        let targets: Vec<SocketAddr> = self
            .members
            .values()
            .filter(|m| m.state.is_active())
            .map(|m| m.addr)
            .choose_multiple(&mut self.rng, self.config.fanout);
        for to in targets {
            self.send(to, Message::Gossip);
        }
    }

    fn reap(&mut self, now: Instant) {
        let reap_after = self.config.reap_after;
        let gone: Vec<NodeId> = self
            .members
            .values()
            .filter(|m| !m.state.is_active() && m.state_since + reap_after <= now)
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            self.members.remove(&id);
            self.events.push_back(Event::MemberRemoved { id });
        }
    }

    fn apply_update(&mut self, now: Instant, update: Update) {
        match update {
            Update::Member(member) => self.apply_member_update(now, member),
            Update::Kv(kv) => {
                if self.store.apply(&kv) {
                    self.events.push_back(Event::KeyUpdated {
                        key: kv.key.clone(),
                        value: kv.value.clone(),
                        writer: kv.writer.clone(),
                    });
                    self.broadcasts.push(Update::Kv(kv));
                }
            }
        }
    }

    /// SWIM section 4.2: a member that hears itself suspected (or declared dead, or
    /// alive at an incarnation it never had, as after a restart) raises its incarnation
    /// above the rumour's and spreads that it is alive.
    fn refute(&mut self, rumour: &MemberUpdate) {
        if self.status == NodeStatus::Left {
            return;
        }
        let stale = rumour.incarnation < self.incarnation
            || (rumour.state == MemberState::Alive && rumour.incarnation == self.incarnation);
        if stale {
            return;
        }
        self.incarnation = rumour.incarnation + 1;
        self.stats.refutations += 1;
        self.events.push_back(Event::Refuted {
            incarnation: self.incarnation,
        });
        self.broadcasts
            .push(Update::Member(self.own_update(MemberState::Alive)));
    }

    /// Applies membership news if it supersedes what this node believes, and passes it
    /// on (infection-style: whoever learns something new spreads it).
    fn apply_member_update(&mut self, now: Instant, update: MemberUpdate) {
        if update.id == self.id {
            self.refute(&update);
            return;
        }
        let previous = match self.members.get(&update.id) {
            None if !update.state.is_active() => return,
            None => None,
            Some(current) if !update.overrides(current) => return,
            Some(current) => Some(current.state),
        };
        if previous.is_none() {
            self.probe_order.insert(update.id.clone(), &mut self.rng);
            self.events.push_back(Event::MemberJoined {
                id: update.id.clone(),
                addr: update.addr,
            });
        }
        let state_since = match previous {
            Some(state) if state == update.state => self.members[&update.id].state_since,
            _ => now,
        };
        self.members.insert(
            update.id.clone(),
            Member {
                id: update.id.clone(),
                addr: update.addr,
                incarnation: update.incarnation,
                state: update.state,
                state_since,
            },
        );
        let (id, incarnation) = (update.id.clone(), update.incarnation);
        let changed = previous != Some(update.state);
        match update.state {
            MemberState::Alive => {
                self.suspicions.remove(&id);
                if changed && previous.is_some() {
                    self.events
                        .push_back(Event::MemberAlive { id, incarnation });
                }
            }
            MemberState::Suspect => {
                self.suspicions
                    .entry(id.clone())
                    .or_insert(now + self.config.suspicion_timeout);
                if changed {
                    self.events
                        .push_back(Event::MemberSuspected { id, incarnation });
                }
            }
            MemberState::Dead => {
                self.suspicions.remove(&id);
                self.events.push_back(Event::MemberDead { id, incarnation });
            }
            MemberState::Left => {
                self.suspicions.remove(&id);
                self.events.push_back(Event::MemberLeft { id });
            }
        }
        self.broadcasts.push(Update::Member(update));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, port: u16) -> Node {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        Node::new(NodeId::new(name).unwrap(), addr, Config::demo(), 1).unwrap()
    }

    /// Delivers everything `from` wants to send to `to` (and only to `to`).
    fn deliver(now: Instant, from: &mut Node, to: &mut Node) -> usize {
        let mut count = 0;
        while let Some(transmit) = from.poll_transmit() {
            if transmit.to == to.addr() {
                to.handle_packet(now, from.addr(), &transmit.payload)
                    .unwrap();
                count += 1;
            }
        }
        count
    }

    #[test]
    fn joining_through_a_seed_exchanges_full_state_both_ways() {
        let now = Instant::ZERO;
        let mut seed = node("seed", 1);
        let mut joiner = node("joiner", 2);
        seed.join(now, &[]);
        assert_eq!(seed.status(), NodeStatus::Joined);
        joiner.join(now, &[seed.addr()]);
        assert_eq!(joiner.status(), NodeStatus::Joining);
        assert_eq!(deliver(now, &mut joiner, &mut seed), 1);
        assert_eq!(deliver(now, &mut seed, &mut joiner), 1);
        assert_eq!(joiner.status(), NodeStatus::Joined);
        assert_eq!(seed.member_state(joiner.id()), Some(MemberState::Alive));
        assert_eq!(joiner.member_state(seed.id()), Some(MemberState::Alive));
        let joined: Vec<Event> = std::iter::from_fn(|| joiner.poll_event()).collect();
        assert!(joined.contains(&Event::JoinedCluster), "{joined:?}");
    }

    #[test]
    fn a_probe_is_acked_and_an_unanswered_one_makes_the_target_suspect() {
        let mut a = node("a", 1);
        let mut b = node("b", 2);
        a.join(Instant::ZERO, &[]);
        b.join(Instant::ZERO, &[a.addr()]);
        deliver(Instant::ZERO, &mut b, &mut a);
        deliver(Instant::ZERO, &mut a, &mut b);

        let period = a.config().probe_interval;
        let t1 = Instant::ZERO + period;
        a.handle_timeout(t1);
        let ping = a.poll_transmit().expect("a pings b");
        assert_eq!(ping.kind, MessageKind::Ping);
        b.handle_packet(t1, a.addr(), &ping.payload).unwrap();
        let ack = b.poll_transmit().expect("b acks");
        assert_eq!(ack.kind, MessageKind::Ack);
        a.handle_packet(t1, b.addr(), &ack.payload).unwrap();
        a.handle_timeout(t1 + period);
        assert_eq!(a.stats().failed_probes, 0);
        assert_eq!(a.member_state(b.id()), Some(MemberState::Alive));

        // From now on b is silent: the next probe fails.
        while a.poll_transmit().is_some() {}
        a.handle_timeout(t1 + period * 2);
        assert_eq!(a.stats().failed_probes, 1);
        assert_eq!(a.member_state(b.id()), Some(MemberState::Suspect));
        let deadline = a.suspicion_deadline(b.id()).unwrap();
        a.handle_timeout(deadline);
        assert_eq!(a.member_state(b.id()), Some(MemberState::Dead));
    }

    #[test]
    fn a_ping_for_someone_else_is_not_acked() {
        let mut a = node("a", 1);
        let b = node("b", 2);
        a.join(Instant::ZERO, &[]);
        let ping = Packet {
            from: b.id().clone(),
            message: Message::Ping {
                seq: 1,
                target: NodeId::new("c").unwrap(),
            },
            updates: Vec::new(),
        };
        a.handle_packet(Instant::ZERO, b.addr(), &wire::encode(&ping))
            .unwrap();
        assert!(a.poll_transmit().is_none());
    }

    #[test]
    fn malformed_datagrams_are_counted_and_change_nothing() {
        let mut a = node("a", 1);
        a.join(Instant::ZERO, &[]);
        let before = a.poll_timeout();
        for garbage in [
            &[][..],
            &[0xff, 1, 2][..],
            &[wire::WIRE_VERSION, 0xff, 0xff][..],
        ] {
            assert!(a.handle_packet(Instant::ZERO, a.addr(), garbage).is_err());
        }
        assert_eq!(a.stats().decode_errors, 3);
        assert_eq!(a.members().count(), 0);
        assert!(a.poll_transmit().is_none());
        assert_eq!(a.poll_timeout(), before);
    }

    #[test]
    fn hearing_itself_suspected_raises_the_incarnation() {
        let mut a = node("a", 1);
        a.join(Instant::ZERO, &[]);
        let rumour = Packet {
            from: NodeId::new("b").unwrap(),
            message: Message::Gossip,
            updates: vec![Update::Member(MemberUpdate {
                id: a.id().clone(),
                addr: a.addr(),
                incarnation: 0,
                state: MemberState::Suspect,
            })],
        };
        a.handle_packet(
            Instant::ZERO,
            "127.0.0.1:2".parse().unwrap(),
            &wire::encode(&rumour),
        )
        .unwrap();
        assert_eq!(a.incarnation(), 1);
        assert_eq!(a.stats().refutations, 1);
    }

    #[test]
    fn oversized_writes_are_rejected_and_store_nothing() {
        let mut a = node("a", 1);
        a.join(Instant::ZERO, &[]);
        let big = "x".repeat(a.config().max_value_len + 1);
        assert!(matches!(
            a.put(Instant::ZERO, "k", &big),
            Err(Error::TooLarge { what: "value", .. })
        ));
        assert!(a.store().is_empty());
        a.put(Instant::ZERO, "k", "v").unwrap();
        assert_eq!(a.store().get("k").unwrap().value, "v");
    }
}
