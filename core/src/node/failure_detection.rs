//! Failure detection: one probe per protocol period (SWIM section 3.1), indirect probes
//! through witnesses, and Lifeguard's nacks and Local Health Multiplier (section 4.1).

use core::net::SocketAddr;

use super::{Node, NodeStatus};
use crate::local_health::LocalHealth;
use crate::member::{Member, MemberState, MemberUpdate};
use crate::member_table::Slot;
use crate::probe_schedule::ProbeSchedule;
use crate::timer::Timer;
use crate::wire::{Message, Update};
use crate::{Event, Instant, NodeId};

/// What failure detection keeps: whom to probe next, the probe in flight, the pings
/// this node sends for others, and its own health.
#[derive(Clone, Debug, Default)]
pub(super) struct FailureDetection {
    /// The round-robin probe order, by member-table slot. A slot freed by reaping and
    /// reused by a newcomer within one pass gets the newcomer probed at the old place
    /// too: one extra probe, never a missed one.
    pub(super) schedule: ProbeSchedule<Slot>,
    /// The probe of the current period.
    pub(super) probe: Option<Probe>,
    /// Pings sent on other members' behalf (ping-req).
    pub(super) relays: Vec<Relay>,
    /// Lifeguard's Local Health score.
    pub(super) health: LocalHealth,
}

/// The probe of the current protocol period.
#[derive(Clone, Debug)]
pub(super) struct Probe {
    target: NodeId,
    seq: u32,
    /// When the ping went out, for the round-trip time.
    sent_at: Instant,
    acked: bool,
    /// Witnesses asked to nack: each should answer, ack or nack, if our links work.
    expected_nacks: u32,
    nacks: u32,
}

/// A ping sent on another member's behalf (SWIM's ping-req): its ack is relayed back.
#[derive(Clone, Debug)]
pub(super) struct Relay {
    seq: u32,
    requester: SocketAddr,
    requester_seq: u32,
    /// When to tell the requester that the target did not answer (Lifeguard), if asked.
    pub(super) nack_at: Option<Instant>,
    expires: Instant,
}

/// The most pings a node relays at once (each lasts a probe interval). An honest
/// cluster asks a member for a few a period; past this many, the requests are forged
/// or the cluster is failing wholesale. A request left unrelayed costs its prober one
/// witness; one that asked for a nack gets it at once, so that a flood of forged
/// requests does not cost honest probers local health as well (Lifeguard counts a
/// missing nack against the prober's own links, which are fine). Bounded, where
/// relaying every forged request was not: a nack is smaller than the request.
const MAX_RELAYS: usize = 64;

impl Node {
    /// SWIM section 3.1: a ping for this node is acked. A member that left still
    /// answers while it runs, with the news of its departure attached: a prober that
    /// missed the news learns it from the answer instead of suspecting a member that
    /// left on purpose. A ping from a member not held here also starts a full-state
    /// exchange with it ([`Node::meet_unknown_pinger`]), and its fingerprint of the
    /// sender's store may prompt anti-entropy ([`Node::compare_store_fingerprint`]).
    pub(super) fn handle_ping(
        &mut self,
        now: Instant,
        from: SocketAddr,
        sender: &NodeId,
        seq: u32,
        target: &NodeId,
        store_fingerprint: u32,
    ) {
        if *target != self.id {
            return;
        }
        if self.status == NodeStatus::Left {
            let departure = Update::Member(self.own_update(MemberState::Left));
            self.send_with(from, Message::Ack { seq }, Some(departure));
        } else {
            let charge = self.charge_against(sender);
            self.send_with(from, Message::Ack { seq }, charge);
            self.meet_unknown_pinger(now, from, sender);
            self.compare_store_fingerprint(sender, store_fingerprint);
        }
    }

    /// The suspicion or death this node holds against a pinger, which the pinger
    /// refutes on hearing it. It rides on the ack wherever the ack goes, where other
    /// news rides only to held addresses ([`Node::send_with`]): a member restarted at a
    /// new address, held at its old one, would otherwise hear of it only at its next
    /// push-pull, after being declared dead. One update, about the ping's size.
    fn charge_against(&self, pinger: &NodeId) -> Option<Update> {
        let member = self.membership.members.get(pinger)?;
        matches!(member.state, MemberState::Suspect | MemberState::Dead)
            .then(|| Update::Member(MemberUpdate::from(&member)))
    }

    /// SWIM section 3.1: each period, ping the next member of the probe schedule. With
    /// Lifeguard's buddy system (section 4.3), a suspect target hears of its suspicion
    /// in the ping itself and can refute at once.
    pub(super) fn start_probe(&mut self, now: Instant) {
        let members = &self.membership.members;
        let target = self.detection.schedule.next_target(
            self.config.probe_order,
            members.states().map(|(slot, _)| slot),
            |&slot| members.state_at(slot).is_some_and(MemberState::is_active),
            &mut self.rng,
        );
        let Some(member) = target.and_then(|slot| self.membership.members.at(slot)) else {
            return;
        };
        let (target, addr) = (member.id.clone(), member.addr);
        let buddy_news = self.buddy_news(&member);
        let seq = self.next_seq();
        self.stats.probes += 1;
        self.detection.probe = Some(Probe {
            target: target.clone(),
            seq,
            sent_at: now,
            acked: false,
            expected_nacks: 0,
            nacks: 0,
        });
        let store_fingerprint = self.store.summary_fingerprint();
        let ping = Message::Ping {
            seq,
            target,
            store_fingerprint,
        };
        self.send_with(addr, ping, buddy_news);
        self.note_ping(addr, seq);
        let timeout = self.stretched(self.config.probe_timeout);
        self.timers.set(Timer::ProbeTimeout, now + timeout);
    }

    /// Lifeguard's buddy system (section 4.3): a ping to a member held suspect carries
    /// the suspicion, so that the member hears of it first-hand and can refute at once.
    pub(super) fn buddy_news(&self, member: &Member) -> Option<Update> {
        (self.config.lifeguard.buddy_system && member.state == MemberState::Suspect).then(|| {
            Update::Member(MemberUpdate {
                state: MemberState::Suspect,
                accuser: Some(self.id.clone()),
                ..MemberUpdate::from(member)
            })
        })
    }

    /// SWIM section 3.1: no direct ack in time, so ask `k` random members to ping the
    /// target for us. Their relayed ack counts as much as a direct one, and so does a
    /// late direct ack. Whether any witness was asked.
    pub(super) fn probe_indirectly(&mut self) -> bool {
        let Some(probe) = self.detection.probe.as_ref().filter(|p| !p.acked) else {
            return false;
        };
        let (target, seq) = (probe.target.clone(), probe.seq);
        let Some(target_addr) = self.membership.members.get(&target).map(|m| m.addr) else {
            return false;
        };
        let target_slot = self.membership.members.slot_of(&target);
        let witnesses: Vec<SocketAddr> = self
            .membership
            .members
            .choose(self.config.indirect_checks, &mut self.rng, |slot, state| {
                Some(slot) != target_slot && state == MemberState::Alive
            })
            .into_iter()
            .map(|m| m.addr)
            .collect();
        if witnesses.is_empty() {
            return false;
        }
        self.stats.indirect_probes += 1;
        let nack = self.config.lifeguard.nack;
        if let Some(probe) = self.detection.probe.as_mut() {
            probe.expected_nacks = if nack { witnesses.len() as u32 } else { 0 };
        }
        for witness in witnesses {
            let message = Message::PingReq {
                seq,
                target: target.clone(),
                target_addr,
                nack,
            };
            self.send(witness, message);
        }
        true
    }

    /// SWIM section 4.2: a probe without any ack by the end of its period makes the
    /// target suspect (not dead: it gets the suspicion timeout to refute). Lifeguard
    /// section 4.1: the outcome also tells this node about its own health.
    pub(super) fn conclude_probe(&mut self, now: Instant) {
        let Some(probe) = self.detection.probe.take() else {
            return;
        };
        self.timers.stop(Timer::ProbeTimeout);
        if probe.acked {
            self.adjust_health(-1);
            return;
        }
        self.stats.failed_probes += 1;
        // Missing nacks mean our own links or CPU are failing, not (only) the target;
        // with no witness to nack, any failed probe counts against us.
        let blame_self = if probe.expected_nacks > 0 {
            probe.expected_nacks.saturating_sub(probe.nacks)
        } else {
            1
        };
        self.adjust_health(blame_self as i32);
        let Some(member) = self.membership.members.get(&probe.target) else {
            return;
        };
        // Suspecting a member already suspect confirms the suspicion (Lifeguard 4.2):
        // this node's own failed probe is independent evidence.
        if member.state.is_active() {
            let suspicion = MemberUpdate {
                state: MemberState::Suspect,
                accuser: Some(self.id.clone()),
                ..MemberUpdate::from(&member)
            };
            self.apply_member_update(now, suspicion);
        }
    }

    pub(super) fn handle_ack(&mut self, now: Instant, seq: u32) {
        if let Some(probe) = self.detection.probe.as_mut().filter(|p| p.seq == seq) {
            if !probe.acked {
                self.stats
                    .probe_rtt
                    .record(now.saturating_since(probe.sent_at));
            }
            probe.acked = true;
            // Answered: no ping-req will be needed this period.
            self.timers.stop(Timer::ProbeTimeout);
            return;
        }
        if let Some(at) = self.detection.relays.iter().position(|r| r.seq == seq) {
            let relay = self.detection.relays.swap_remove(at);
            self.send(
                relay.requester,
                Message::Ack {
                    seq: relay.requester_seq,
                },
            );
        }
    }

    pub(super) fn handle_nack(&mut self, seq: u32) {
        if let Some(probe) = self.detection.probe.as_mut().filter(|p| p.seq == seq) {
            probe.nacks += 1;
            self.stats.nacks_received += 1;
        }
    }

    pub(super) fn handle_ping_req(
        &mut self,
        now: Instant,
        requester: SocketAddr,
        requester_seq: u32,
        target: NodeId,
        target_addr: SocketAddr,
        nack: bool,
    ) {
        if target == self.id {
            self.send(requester, Message::Ack { seq: requester_seq });
            return;
        }
        if self.detection.relays.len() >= MAX_RELAYS {
            if nack {
                self.send(requester, Message::Nack { seq: requester_seq });
            }
            return;
        }
        let seq = self.next_seq();
        // The nack must reach the requester before its period ends, or the requester
        // counts it missing against its own health (Lifeguard section 4.1) when its
        // links are fine. The ping-req left it `probe_timeout` into a period of
        // `probe_interval`, so what is left is their difference; the nack goes at 80%
        // of that, or of the probe timeout (memberlist's choice) when that is sooner.
        // Where the timeout is short next to the period (the demo and lan presets) the
        // two agree; where it is long (wan: 3 s of 5 s) only the first is in time.
        let remaining = self.config.probe_interval - self.config.probe_timeout;
        let wait = self.config.probe_timeout.min(remaining).mul_f64(0.8);
        let nack_at = nack.then(|| now + wait);
        self.detection.relays.push(Relay {
            seq,
            requester,
            requester_seq,
            nack_at,
            expires: now + self.config.probe_interval,
        });
        let store_fingerprint = self.store.summary_fingerprint();
        let ping = Message::Ping {
            seq,
            target,
            store_fingerprint,
        };
        self.send(target_addr, ping);
    }

    /// Sends the nacks that are due and forgets relays whose period is over.
    pub(super) fn expire_relays(&mut self, now: Instant) {
        let mut nacks = Vec::new();
        for relay in &mut self.detection.relays {
            if relay.nack_at.is_some_and(|at| at <= now) {
                relay.nack_at = None;
                nacks.push((relay.requester, relay.requester_seq));
            }
        }
        for (requester, seq) in nacks {
            self.send(requester, Message::Nack { seq });
        }
        self.detection.relays.retain(|relay| relay.expires > now);
    }

    /// Lifeguard section 4.1: move the Local Health score, when that part is on.
    pub(super) fn adjust_health(&mut self, delta: i32) {
        if !self.config.lifeguard.local_health {
            return;
        }
        if self
            .detection
            .health
            .apply(delta, self.config.max_local_health)
        {
            self.events.push_back(Event::LocalHealthChanged {
                score: self.detection.health.score(),
            });
        }
    }
}
