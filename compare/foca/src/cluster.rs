//! A converged cluster of foca members in virtual time: every member starts knowing
//! every other alive (as `Bench::build` does with `.converged()`), datagrams cross the
//! simulated [`Network`], and one event queue holds every delivery and every timer foca
//! asks for, in `(time, order of scheduling)` order, as the simulator's does.
//!
//! foca hands its outputs to a [`Runtime`] during each call; ours puts them straight on
//! the queue, where foca's own `AccumulatingRuntime` would queue them once more first.

use core::cmp::{Ordering, Reverse};
use core::net::SocketAddrV4;
use core::time::Duration;
use std::collections::BinaryHeap;
use std::rc::Rc;

use foca::{Foca, NoCustomBroadcast, Notification, Runtime, Timer};
use gossip_sim::NetworkModel;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

use crate::codec::{CountingCodec, Tally};
use crate::config::foca_config;
use crate::network::{Network, index_of, virtual_addr};

/// A member's identity is its virtual address: foca's plainest identity, 6 bytes.
type Identity = SocketAddrV4;
/// One member's protocol state.
type Instance = Foca<Identity, CountingCodec, Xoshiro256PlusPlus, NoCustomBroadcast>;

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub bytes_sent: u64,
    /// Datagrams the network lost or found too large (none on the lan model).
    pub dropped: u64,
    /// Calls into foca that returned an error (none expected without faults).
    pub errors: u64,
    /// Members some member declared down (none expected without faults).
    pub members_down: u64,
}

/// The cluster, its network and its clock.
pub struct Cluster {
    members: Vec<Instance>,
    wire: Wire,
    tally: Rc<Tally>,
    period_ms: u64,
}

impl Cluster {
    /// `nodes` members with foca's settings nearest to our lan preset, on the lan
    /// network, every random choice drawn from `seed`.
    pub fn build(nodes: usize, seed: u64) -> Cluster {
        let config = foca_config(&gossip_core::Config::lan(nodes), nodes);
        let period_ms = millis(config.probe_period);
        let announce_ms = config
            .periodic_announce
            .as_ref()
            .map_or(0, |announce| millis(announce.frequency));
        let tally = Rc::new(Tally::default());
        let mut wire = Wire::new(Network::new(&NetworkModel::lan()), seed);
        let everyone: Vec<foca::Member<Identity>> = (0..nodes)
            .map(|i| foca::Member::alive(virtual_addr(i)))
            .collect();
        let mut members = Vec::with_capacity(nodes);
        for index in 0..nodes {
            let id = virtual_addr(index);
            let rng = Xoshiro256PlusPlus::seed_from_u64(wire.rng.random());
            let mut member = Foca::new(id, config.clone(), rng, CountingCodec::new(tally.clone()));
            // As our nodes do on joining, the first probe comes at a random point of
            // the first period and the first push-pull (here: announce) at a random
            // point of its interval, so members started together are not in lockstep.
            let stagger = Stagger {
                first_probe_ms: wire.rng.random_range(0..=period_ms),
                first_announce_ms: wire.rng.random_range(0..=announce_ms),
            };
            let others = everyone.iter().filter(|m| *m.id() != id).cloned();
            let outputs = Outputs {
                wire: &mut wire,
                member: index,
                stagger: Some(stagger),
            };
            // Known already, as if learned long ago: nothing to broadcast.
            if member.apply_many(others, false, outputs).is_err() {
                wire.counts.errors += 1;
            }
            members.push(member);
        }
        Cluster {
            members,
            wire,
            tally,
            period_ms,
        }
    }

    /// Runs `periods` protocol periods: every event up to and including their end.
    pub fn run(&mut self, periods: u32) {
        let deadline = self.wire.now + self.period_ms * u64::from(periods);
        while let Some(Reverse(next)) = self.wire.queue.peek() {
            if next.at > deadline {
                break;
            }
            let Some(Reverse(Scheduled { at, event, .. })) = self.wire.queue.pop() else {
                break;
            };
            self.wire.now = at;
            let result = match event {
                Event::Deliver { to, payload } => {
                    self.wire.counts.messages_delivered += 1;
                    let outputs = self.wire.outputs(to);
                    self.members[to].handle_data(&payload, outputs)
                }
                Event::Timer { member, timer } => {
                    let outputs = self.wire.outputs(member);
                    self.members[member].handle_timer(timer, outputs)
                }
            };
            if result.is_err() {
                self.wire.counts.errors += 1;
            }
        }
        self.wire.now = deadline;
    }

    pub fn counts(&self) -> &Counts {
        &self.wire.counts
    }

    /// Messages decoded, by foca's kind.
    pub fn delivered_by_kind(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.tally.by_kind()
    }

    /// Entries in all member tables together: n(n-1) in a converged cluster.
    pub fn member_table_entries(&self) -> u64 {
        self.members
            .iter()
            .map(|m| m.iter_membership_state().len() as u64)
            .sum()
    }

    /// The bytes of all member tables' entries: foca keeps each member as one
    /// `Member` in a vector (its probe order too), so entries times its size (spare
    /// vector capacity not counted).
    pub fn member_table_bytes(&self) -> u64 {
        self.member_table_entries() * Self::BYTES_PER_ENTRY
    }

    pub const BYTES_PER_ENTRY: u64 = core::mem::size_of::<foca::Member<Identity>>() as u64;

    /// Updates waiting to be disseminated, over all members (0 when quiet).
    pub fn updates_backlog(&self) -> u64 {
        self.members
            .iter()
            .map(|m| m.updates_backlog() as u64)
            .sum()
    }
}

/// foca members implement `Debug` only with foca's `tracing` feature.
impl core::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Cluster")
            .field("members", &self.members.len())
            .field("wire", &self.wire)
            .finish_non_exhaustive()
    }
}

/// The network, the clock and the queue: everything but the members, so that a member
/// can run while its outputs go here.
#[derive(Debug)]
struct Wire {
    /// Virtual time in milliseconds.
    now: u64,
    queue: BinaryHeap<Reverse<Scheduled>>,
    next_seq: u64,
    network: Network,
    rng: Xoshiro256PlusPlus,
    counts: Counts,
}

impl Wire {
    fn new(network: Network, seed: u64) -> Self {
        Wire {
            now: 0,
            queue: BinaryHeap::new(),
            next_seq: 0,
            network,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            counts: Counts::default(),
        }
    }

    fn outputs(&mut self, member: usize) -> Outputs<'_> {
        Outputs {
            wire: self,
            member,
            stagger: None,
        }
    }

    fn schedule(&mut self, at: u64, event: Event) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Reverse(Scheduled { at, seq, event }));
    }

    fn send(&mut self, to: &Identity, data: &[u8]) {
        let Some(to) = index_of(to) else {
            return;
        };
        self.counts.messages_sent += 1;
        self.counts.bytes_sent += data.len() as u64;
        match self.network.sample(data.len(), &mut self.rng) {
            Some(delay) => {
                let payload = data.to_vec();
                self.schedule(self.now + delay, Event::Deliver { to, payload });
            }
            None => self.counts.dropped += 1,
        }
    }
}

/// Where one member's outputs go during one call into foca.
struct Outputs<'a> {
    wire: &'a mut Wire,
    member: usize,
    /// While the cluster is built: when the member's first periodic timers are due.
    stagger: Option<Stagger>,
}

/// Delays of a member's first probe and first announce, in milliseconds.
#[derive(Clone, Copy, Debug)]
struct Stagger {
    first_probe_ms: u64,
    first_announce_ms: u64,
}

impl Runtime<Identity> for Outputs<'_> {
    fn notify(&mut self, notification: Notification<'_, Identity>) {
        if let Notification::MemberDown(_) = notification {
            self.wire.counts.members_down += 1;
        }
    }

    fn send_to(&mut self, to: Identity, data: &[u8]) {
        self.wire.send(&to, data);
    }

    fn submit_after(&mut self, timer: Timer<Identity>, after: Duration) {
        let delay = match (&timer, self.stagger) {
            (Timer::ProbeRandomMember(_), Some(stagger)) => stagger.first_probe_ms,
            (Timer::PeriodicAnnounce(_), Some(stagger)) => stagger.first_announce_ms,
            _ => millis(after),
        };
        let at = self.wire.now + delay;
        let member = self.member;
        self.wire.schedule(at, Event::Timer { member, timer });
    }
}

/// A scheduled event, ordered by time and then by when it was scheduled.
#[derive(Debug)]
struct Scheduled {
    at: u64,
    seq: u64,
    event: Event,
}

#[derive(Debug)]
enum Event {
    Deliver {
        to: usize,
        payload: Vec<u8>,
    },
    Timer {
        member: usize,
        timer: Timer<Identity>,
    },
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// A duration in whole milliseconds, rounded up: the clock's resolution, as ours.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros().div_ceil(1000)).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quiet cluster stays quiet: every member probes once a period, each ping is
    /// acked, nobody is suspected, no call fails.
    #[test]
    fn a_converged_cluster_probes_and_acks_without_suspicion() {
        let mut cluster = Cluster::build(20, 7);
        assert_eq!(cluster.member_table_entries(), 20 * 19);
        cluster.run(30);
        let counts = cluster.counts().clone();
        assert_eq!(
            (counts.errors, counts.members_down, counts.dropped),
            (0, 0, 0)
        );
        let by_kind: Vec<_> = cluster.delivered_by_kind().collect();
        let pings = by_kind.iter().find(|(k, _)| *k == "ping").map(|(_, c)| *c);
        let acks = by_kind.iter().find(|(k, _)| *k == "ack").map(|(_, c)| *c);
        assert!(
            pings.is_some_and(|p| (20 * 29..=20 * 30).contains(&p)),
            "{by_kind:?}"
        );
        assert!(
            acks.is_some_and(|a| a + 20 >= pings.unwrap_or(0)),
            "{by_kind:?}"
        );
        assert_eq!(cluster.updates_backlog(), 0);
    }

    /// The same seed gives the same run.
    #[test]
    fn runs_are_deterministic_in_their_seed() {
        let run = |seed| {
            let mut cluster = Cluster::build(10, seed);
            cluster.run(50);
            cluster.counts().clone()
        };
        assert_eq!(run(3), run(3));
    }
}
