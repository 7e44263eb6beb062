//! What a driver sees of a running simulation: every node with the ground truth beside
//! its view, datagrams in flight and delivered, counters, node events, and how long
//! writes took to spread and failures to be noticed.

use super::{NetworkModel, SimNode, Simulation};
use gossip_core::wire::MessageKind;
use gossip_core::{Duration, Event, Instant, MemberState, NodeId, NodeStatus, Version};
use std::ops::ControlFlow;

/// A datagram in flight, its nodes by position in [`Simulation::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlightMark {
    pub id: u64,
    pub from: usize,
    pub to: usize,
    pub kind: MessageKind,
    pub sent_at: Instant,
    pub arrives_at: Instant,
    /// Lost, cut off or too large: it will not arrive.
    pub dropped: bool,
}

/// A wrong membership belief: `(observer, subject, belief, subject running and not
/// left)`, by node position.
pub(crate) type Disagreement = (usize, usize, Option<MemberState>, bool);

/// Why a datagram did not reach its node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Dropped {
    /// The network lost it.
    Lost,
    /// The link from sender to receiver was cut.
    Partitioned,
    /// It was larger than the network's MTU.
    TooLarge,
    /// The receiver was down when it arrived.
    ReceiverDown,
}

/// Counters over the whole run, kept whatever the history limit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimMetrics {
    /// Datagrams handed to the network, and their bytes.
    pub datagrams_sent: u64,
    pub bytes_sent: u64,
    /// The same, by kind (indexed like [`MessageKind::ALL`]).
    pub sent_by_kind: [u64; MessageKind::ALL.len()],
    pub bytes_by_kind: [u64; MessageKind::ALL.len()],
    /// Datagrams that reached a running node.
    pub datagrams_delivered: u64,
    /// Datagrams dropped, by reason.
    pub lost: u64,
    pub partitioned: u64,
    pub too_large: u64,
    pub receiver_down: u64,
    /// Datagrams the network delivered a second copy of.
    pub duplicated: u64,
    /// The largest datagram sent.
    pub largest_datagram: usize,
    /// Suspicions raised: each (member, incarnation) suspected anywhere counts once,
    /// however many nodes hear of it.
    pub suspicions: u64,
    /// Of those, suspicions of a member that was in fact running.
    pub false_suspicions: u64,
    /// Deaths declared: each (member, incarnation) declared dead anywhere counts once.
    pub deaths: u64,
    /// Of those, deaths declared of a member that was in fact running.
    pub false_deaths: u64,
    /// Events the nodes reported, of every kind: a view of the cluster that changes
    /// only with events (and commands) can be kept until this moves.
    pub events: u64,
}

/// One datagram, in flight or delivered.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct MessageRecord {
    /// Unique, increasing in send order.
    pub id: u64,
    pub from: NodeId,
    pub to: NodeId,
    pub kind: MessageKind,
    pub size: usize,
    pub sent_at: Instant,
    pub arrives_at: Instant,
    /// Set when the datagram was (or will be) not delivered.
    pub dropped: Option<Dropped>,
    /// Whether this is the second copy of a datagram the link duplicated.
    #[serde(default)]
    pub duplicate: bool,
}

/// A write made through the simulation, and how long it took to reach every node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedWrite {
    pub version: Version,
    pub written_at: Instant,
    /// When every running node first held it (or a version that supersedes it).
    pub everywhere_at: Option<Instant>,
}

impl TrackedWrite {
    /// How long the write took to reach every running node, if it has.
    pub fn spread_time(&self) -> Option<Duration> {
        self.everywhere_at
            .map(|at| at.saturating_since(self.written_at))
    }
}

/// A node that went down (crashed or removed), and how long the cluster took to notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedFailure {
    pub node: NodeId,
    pub down_at: Instant,
    /// When some member first suspected it.
    pub suspected_at: Option<Instant>,
    /// When every running member first held it dead.
    pub dead_everywhere_at: Option<Instant>,
}

impl TrackedFailure {
    /// How long until it was first suspected, if it was.
    pub fn time_to_suspicion(&self) -> Option<Duration> {
        self.suspected_at
            .map(|at| at.saturating_since(self.down_at))
    }

    /// How long until every running member held it dead, if they have.
    pub fn time_to_detection(&self) -> Option<Duration> {
        self.dead_everywhere_at
            .map(|at| at.saturating_since(self.down_at))
    }
}

/// An event one node reported, stamped with the simulated time.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub at: Instant,
    pub node: NodeId,
    pub event: Event,
}

impl Simulation {
    /// Every write made through [`Simulation::put`] and [`Simulation::delete`], with
    /// when it was made and when every running node first held it (or something newer).
    pub fn writes(&self) -> &[TrackedWrite] {
        &self.writes
    }

    pub(super) fn track_write(&mut self, version: Version) {
        self.writes.push(TrackedWrite {
            version,
            written_at: self.now,
            everywhere_at: None,
        });
    }

    /// Marks the tracked writes of `key` that every running node now holds.
    fn update_spread(&mut self, key: &str) {
        let now = self.now;
        for write in self
            .writes
            .iter_mut()
            .filter(|w| w.everywhere_at.is_none() && w.version.key == key)
        {
            let everywhere =
                self.nodes.iter().filter(|n| n.up).all(|n| {
                    n.node.store().versions(key).is_some_and(|held| {
                        held.iter().any(|v| v.clock.covers(&write.version.clock))
                    }) || n.node.store().summary().get(&write.version.writer) >= write.version.seq()
                });
            if everywhere {
                write.everywhere_at = Some(now);
            }
        }
    }

    /// Whether every running member (joined, not left) holds the same store (equal
    /// digests).
    pub fn stores_agree(&self) -> bool {
        let mut digests = self
            .nodes
            .iter()
            .filter(|n| n.up && n.node.status() == NodeStatus::Joined)
            .map(|n| n.node.store().digest());
        let first = digests.next();
        digests.all(|d| Some(d) == first)
    }

    /// Every node, in the order they were added.
    pub fn nodes(&self) -> impl Iterator<Item = &SimNode> {
        self.nodes.iter()
    }

    /// The node named `name`.
    pub fn node(&self, name: &str) -> Option<&SimNode> {
        self.index_of(name).ok().map(|i| &self.nodes[i])
    }

    /// What `observer` believes about `subject`.
    pub fn view(&self, observer: &str, subject: &str) -> Option<MemberState> {
        let observer = self.node(observer)?;
        let subject = NodeId::new(subject).ok()?;
        observer.node.member_state(&subject)
    }

    /// Whether every running member other than `subject` holds `subject` in `state`.
    pub fn everyone_sees(&self, subject: &str, state: MemberState) -> bool {
        let Ok(subject_id) = NodeId::new(subject) else {
            return false;
        };
        self.nodes
            .iter()
            .filter(|n| n.up && *n.id() != subject_id && n.node.status() == NodeStatus::Joined)
            .all(|n| n.node.member_state(&subject_id) == Some(state))
    }

    /// Whether every running, joined node holds exactly the other running, joined nodes
    /// as alive, and every other node it still knows as dead or left.
    pub fn membership_is_accurate(&self) -> bool {
        if self.census.is_some() {
            return self.count_disagreements().0 == 0;
        }
        let mut accurate = true;
        self.each_disagreement(|_, _, _, _| {
            accurate = false;
            ControlFlow::Break(())
        });
        accurate
    }

    /// Where running, joined members are wrong about the truth: `(observer, subject,
    /// belief, subject running and not left)`.
    pub fn membership_disagreements(&self) -> Vec<(NodeId, NodeId, Option<MemberState>, bool)> {
        let mut wrong = Vec::new();
        self.each_disagreement(|observer, subject, belief, running| {
            let (observer, subject) = (&self.nodes[observer], &self.nodes[subject]);
            wrong.push((observer.id().clone(), subject.id().clone(), belief, running));
            ControlFlow::Continue(())
        });
        wrong
    }

    /// How many wrong beliefs [`Simulation::membership_disagreements`] would list, and
    /// the first of them by observer, then subject position: `(observer, subject,
    /// belief, subject running and not left)`. From the census when one is kept: the
    /// count from its tallies, the first from the rows of the subjects someone is
    /// wrong about.
    pub(crate) fn count_disagreements(&self) -> (usize, Option<Disagreement>) {
        let Some(census) = self.census() else {
            let (mut count, mut first) = (0, None);
            self.each_disagreement(|observer, subject, belief, member| {
                count += 1;
                first.get_or_insert((observer, subject, belief, member));
                ControlFlow::Continue(())
            });
            return (count, first);
        };
        let member = |n: &SimNode| n.up && n.node.status() == NodeStatus::Joined;
        let judges = self.nodes.iter().filter(|n| member(n)).count() as u32;
        let alive = MemberState::Alive as usize;
        let suspect = MemberState::Suspect as usize;
        let mut count = 0;
        let mut wrong_about = Vec::new();
        for (subject, node) in self.nodes.iter().enumerate() {
            let tally = census.tally(subject);
            let wrong = if member(node) {
                (judges - 1).saturating_sub(tally[alive])
            } else {
                tally[alive] + tally[suspect]
            };
            if wrong > 0 {
                count += wrong as usize;
                wrong_about.push(subject);
            }
        }
        let first = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| member(n))
            .find_map(|(observer, _)| {
                wrong_about.iter().find_map(|&subject| {
                    let belief = census.belief(observer, subject);
                    let running = member(&self.nodes[subject]);
                    let right = if running {
                        belief == Some(MemberState::Alive)
                    } else {
                        !matches!(belief, Some(MemberState::Alive | MemberState::Suspect))
                    };
                    (subject != observer && !right).then_some((observer, subject, belief, running))
                })
            });
        (count, first)
    }

    /// For each node, in [`Simulation::nodes`] order, how many running, joined nodes
    /// other than it hold it in each state of [`MemberState::ALL`]: the census's
    /// tallies if one is kept, else one pass over the member tables.
    pub fn consensus_tallies(&self) -> Vec<[u32; MemberState::ALL.len()]> {
        if let Some(census) = self.census() {
            return (0..self.nodes.len()).map(|s| census.tally(s)).collect();
        }
        let mut tallies = vec![[0; MemberState::ALL.len()]; self.nodes.len()];
        let judges = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.up && n.node.status() == NodeStatus::Joined);
        for (judge, node) in judges {
            node.node.visit_members(|id, addr, _, state| {
                if let Some(subject) = self.index_at(addr)
                    && subject != judge
                    && self.nodes[subject].id() == id
                {
                    tallies[subject][state as usize] += 1;
                }
            });
        }
        tallies
    }

    /// Calls `found` with (observer, subject, belief, whether the subject is a member)
    /// for each wrong belief, by node position, until it breaks. Each observer's table
    /// is read in one pass, entries placed by the address they carry (computed, not
    /// looked up), rather than asked about every subject by name: this runs every
    /// simulated second in the lab and the charts, over a million pairs at 1,000 nodes.
    fn each_disagreement(
        &self,
        mut found: impl FnMut(usize, usize, Option<MemberState>, bool) -> ControlFlow<()>,
    ) {
        // A member is a running node that has joined and not left; one still joining
        // (say, through a seed that died) is rightly unknown to the others.
        let truth = |n: &SimNode| n.up && n.node.status() == NodeStatus::Joined;
        let mut beliefs: Vec<Option<MemberState>> = vec![None; self.nodes.len()];
        for (o, observer) in self.nodes.iter().enumerate().filter(|(_, o)| truth(o)) {
            beliefs.fill(None);
            observer
                .node
                .visit_members(|id, addr, _, state| match self.index_at(addr) {
                    Some(s) if id == self.nodes[s].id() => beliefs[s] = Some(state),
                    _ => {}
                });
            for (s, subject) in self.nodes.iter().enumerate().filter(|&(s, _)| s != o) {
                let belief = beliefs[s];
                let member = truth(subject);
                let right = if member {
                    belief == Some(MemberState::Alive)
                } else {
                    !matches!(belief, Some(MemberState::Alive | MemberState::Suspect))
                };
                if !right && found(o, s, belief, member).is_break() {
                    return;
                }
            }
        }
    }

    /// How many datagrams of `kind` sent by `name` were delivered so far.
    pub fn delivered_from(&self, name: &str, kind: MessageKind) -> u64 {
        self.node(name)
            .map_or(0, |n| n.delivered_from[kind.index()])
    }

    /// Datagrams sent and not yet arrived, in no particular order (their ids give the
    /// order they were sent in).
    pub fn in_flight(&self) -> impl Iterator<Item = MessageRecord> + '_ {
        self.in_flight.iter().map(|(_, f)| f.record(&self.nodes))
    }

    /// Datagrams in flight as a drawing needs them, their nodes by position: nothing
    /// is named or copied, so a large cluster's tens of thousands cost a pass.
    pub fn in_flight_marks(&self) -> impl ExactSizeIterator<Item = FlightMark> + '_ {
        self.in_flight.iter().map(|(_, f)| FlightMark {
            id: f.id,
            from: f.from_index,
            to: f.to_index,
            kind: f.kind,
            sent_at: f.sent_at,
            arrives_at: f.arrives_at,
            dropped: f.dropped.is_some(),
        })
    }

    /// What the datagram `id`, still in flight, carries, decoded.
    pub fn decode_in_flight(&self, id: u64) -> Option<gossip_core::wire::Packet> {
        let (_, flight) = self.in_flight.iter().find(|(_, f)| f.id == id)?;
        gossip_core::wire::decode(&flight.payload).ok()
    }

    /// The most recent arrived (or dropped) datagrams, oldest first.
    pub fn history(&self) -> impl DoubleEndedIterator<Item = &MessageRecord> {
        self.history.iter()
    }

    /// The most recent node events, oldest first.
    pub fn log(&self) -> impl DoubleEndedIterator<Item = &LogEntry> {
        self.log.iter()
    }

    pub(crate) fn is_cut(&self, from: usize, to: usize) -> bool {
        self.network.is_cut(from, to)
    }

    /// Every cut link (datagrams from the first node to the second are lost), in no
    /// particular order.
    pub fn cut_links(&self) -> impl Iterator<Item = (&NodeId, &NodeId)> {
        self.network
            .cut_links()
            .filter_map(|(from, to)| Some((self.nodes.get(from)?.id(), self.nodes.get(to)?.id())))
    }

    /// Every link with a model of its own ([`Simulation::set_link`]), by `(from, to)`
    /// node order, so a driver can show which links differ from the whole network.
    pub fn link_models(&self) -> impl Iterator<Item = (&NodeId, &NodeId, &NetworkModel)> {
        self.network.own_links().filter_map(|(from, to, model)| {
            Some((self.nodes.get(from)?.id(), self.nodes.get(to)?.id(), model))
        })
    }

    /// How late the node named `name` handles datagrams on average (zero: not slow).
    pub fn lag(&self, name: &str) -> Option<Duration> {
        self.index_of(name)
            .ok()
            .map(|index| self.network.lag(index))
    }

    /// The loss probability of the link `from -> to`.
    pub(crate) fn link_loss(&self, from: usize, to: usize) -> f64 {
        self.network.link(from, to).loss
    }

    pub(crate) fn lag_of(&self, node: usize) -> Duration {
        self.network.lag(node)
    }

    /// Counts each (member, incarnation) suspected or declared dead once, cluster-wide,
    /// and whether the member was running at that moment.
    pub(super) fn count_event(&mut self, event: &Event) {
        self.metrics.events += 1;
        if let Event::KeyChanged { key, .. } = event {
            if self.writes.iter().any(|w| w.everywhere_at.is_none()) {
                self.update_spread(key);
            }
            return;
        }
        let (id, incarnation, dead) = match event {
            Event::MemberSuspected { id, incarnation } => (id, *incarnation, false),
            Event::MemberDead { id, incarnation } => (id, *incarnation, true),
            _ => return,
        };
        let Some(&subject) = self.by_name.get(id) else {
            return;
        };
        self.update_failures(id, dead);
        let up = u64::from(self.nodes[subject].up);
        let seen = if dead {
            &mut self.deaths_seen
        } else {
            &mut self.suspicions_seen
        };
        if seen.insert((subject, incarnation)) {
            if dead {
                self.metrics.deaths += 1;
                self.metrics.false_deaths += up;
            } else {
                self.metrics.suspicions += 1;
                self.metrics.false_suspicions += up;
            }
        }
    }

    /// Marks how far the cluster has noticed the open failures of `id`.
    fn update_failures(&mut self, id: &NodeId, dead: bool) {
        let now = self.now;
        let open = |f: &TrackedFailure| f.node == *id && f.dead_everywhere_at.is_none();
        if !self.failures.iter().any(open) {
            return;
        }
        let everywhere = dead && self.everyone_sees(id.as_str(), MemberState::Dead);
        for failure in self.failures.iter_mut().filter(|f| open(f)) {
            failure.suspected_at.get_or_insert(now);
            if everywhere {
                failure.dead_everywhere_at = Some(now);
            }
        }
    }

    /// Every crash and removal, with how long the cluster took to suspect it and to
    /// hold it dead everywhere.
    pub fn failures(&self) -> &[TrackedFailure] {
        &self.failures
    }

    pub(super) fn track_failure(&mut self, index: usize) {
        self.failures.push(TrackedFailure {
            node: self.nodes[index].node.id().clone(),
            down_at: self.now,
            suspected_at: None,
            dead_everywhere_at: None,
        });
    }
}
