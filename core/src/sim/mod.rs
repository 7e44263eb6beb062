//! A deterministic cluster simulator (feature `sim`).
//!
//! Real [`Node`]s exchange their real datagrams over a modelled network in virtual time.
//! One seeded RNG makes every choice (node seeds, latency, loss), events are ordered by
//! `(time, sequence number)`, and no hash-map order leaks in, so the same seed and the
//! same commands give the same run, event for event. Faults use the vocabulary people
//! know from turmoil: `crash`, `restart`, `partition`, `partition_oneway`, `repair`,
//! `hold`, `release`, `slow`, `leave`.
//!
//! ```
//! use gossip_core::sim::Simulation;
//! use gossip_core::{Duration, MemberState};
//!
//! let mut sim = Simulation::builder().seed(7).nodes(5).build().unwrap();
//! sim.run_for(Duration::from_secs(5));
//! sim.crash("n3").unwrap();
//! sim.run_for(Duration::from_secs(20));
//! assert!(sim.everyone_sees("n3", MemberState::Dead));
//! ```

pub mod chaos;
pub mod checkers;
pub mod experiment;
mod network;
mod series;
mod timeline;

use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use rustc_hash::{FxBuildHasher, FxHasher};
use slab::Slab;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

pub use network::NetworkModel;
pub use series::{MetricsSeries, Sample};
pub use timeline::Timeline;

use network::Network;

/// A hash map with a fixed, fast hasher: deterministic, and never iterated where order
/// could change a run.
type FastMap<K, V> = HashMap<K, V, FxBuildHasher>;

/// The running hash behind [`Simulation::trace_digest`]: fast rather than
/// collision-resistant, since it only tells runs of one build apart.
#[derive(Clone, Default)]
struct TraceHasher(FxHasher);

impl core::fmt::Debug for TraceHasher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TraceHasher({:016x})", self.0.finish())
    }
}

impl Hasher for TraceHasher {
    fn finish(&self) -> u64 {
        self.0.finish()
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    fn write_u64(&mut self, value: u64) {
        self.0.write_u64(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.0.write_usize(value);
    }
}

use crate::wire::MessageKind;
use crate::{
    Config, Duration, Error, Event, Incarnation, Instant, MemberState, MemberUpdate, Node, NodeId,
    NodeStatus, Transmit, Version,
};

/// The port every simulated node listens on.
pub const SIM_PORT: u16 = 7946;

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

/// One thing done to a running simulation, as recorded in its command log. Replaying
/// the log on a fresh simulation from the same builder gives the same run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    AddNode {
        name: String,
        seeds: Vec<String>,
    },
    Crash(String),
    Restart(String),
    RestartWithState(String),
    Leave(String),
    Slow {
        name: String,
        lag: Duration,
    },
    Partition {
        side_a: Vec<String>,
        side_b: Vec<String>,
    },
    PartitionOneway {
        from: Vec<String>,
        to: Vec<String>,
    },
    Repair {
        side_a: Vec<String>,
        side_b: Vec<String>,
    },
    Hold {
        side_a: Vec<String>,
        side_b: Vec<String>,
    },
    Release {
        side_a: Vec<String>,
        side_b: Vec<String>,
    },
    RepairAll,
    SetNetwork(NetworkModel),
    SetLink {
        side_a: Vec<String>,
        side_b: Vec<String>,
        model: Option<NetworkModel>,
    },
    Pause(String),
    Resume(String),
    RemoveNode(String),
    Put {
        name: String,
        key: String,
        value: String,
    },
    Delete {
        name: String,
        key: String,
    },
}

/// What a run did, in a form that exports (to JSON, say, with serde) and loads back:
/// how it was built, every command with its time, and the most recent events and
/// datagrams (as many as the history limit keeps). [`Trace::replay`] runs it again,
/// exactly.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trace {
    /// How the simulation was built.
    pub setup: Setup,
    pub until: Instant,
    pub commands: Vec<(Instant, Command)>,
    pub events: Vec<LogEntry>,
    pub messages: Vec<MessageRecord>,
    /// [`Simulation::trace_digest`] at `until`.
    pub digest: u64,
}

impl Trace {
    /// The largest cluster [`Trace::replay`] builds.
    pub const MAX_NODES: usize = 100_000;
    /// The furthest [`Trace::replay`] runs: a week of simulated time.
    pub const MAX_UNTIL: Instant = Instant::from_millis(7 * 24 * 3600 * 1000);

    /// Builds the simulation again and replays the commands up to `until`: the same
    /// run, whose [`Simulation::trace_digest`] equals `digest`. `history_limit`, if
    /// given, keeps that many recent events and datagrams instead (it changes nothing
    /// else about the run).
    pub fn replay(&self, history_limit: Option<usize>) -> Result<Simulation, Error> {
        // A trace is a file from anywhere: refuse what would not finish.
        if self.setup.nodes > Trace::MAX_NODES {
            return Err(Error::InvalidTrace(format!(
                "{} nodes, over the {} a replay builds",
                self.setup.nodes,
                Trace::MAX_NODES
            )));
        }
        if self.until > Trace::MAX_UNTIL {
            return Err(Error::InvalidTrace(format!(
                "it runs until {}, past the {} a replay simulates",
                self.until,
                Trace::MAX_UNTIL
            )));
        }
        let mut builder = self.setup.builder()?;
        if let Some(limit) = history_limit {
            builder = builder.history_limit(limit);
        }
        Simulation::replay(builder, &self.commands, self.until)
    }
}

/// How a simulation was built ([`SimBuilder`]'s settings), in a form that exports and
/// loads back; the configuration as its textual fields ([`Config::fields`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Setup {
    pub seed: u64,
    pub nodes: usize,
    pub config: Vec<(String, String)>,
    pub network: NetworkModel,
    pub history_limit: usize,
    pub converged: bool,
}

impl Setup {
    /// A builder with these settings; fails on a configuration field that does not
    /// parse or validate.
    pub fn builder(&self) -> Result<SimBuilder, Error> {
        let mut config = Config::demo();
        for (field, value) in &self.config {
            config.set(field, value)?;
        }
        config.validate()?;
        let mut builder = Simulation::builder()
            .seed(self.seed)
            .nodes(self.nodes)
            .config(config)
            .network(self.network.clone())
            .history_limit(self.history_limit);
        if self.converged {
            builder = builder.converged();
        }
        Ok(builder)
    }
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

/// A simulated node: the protocol node plus the ground truth about it.
#[derive(Clone, Debug)]
pub struct SimNode {
    node: Node,
    up: bool,
    /// The wake-up currently scheduled for this node.
    wake: Option<Instant>,
    /// Datagrams this node sent that were delivered, per kind.
    delivered_from: [u64; MessageKind::ALL.len()],
    /// Since when it has been down (ground truth for the completeness checker).
    down_since: Option<Instant>,
    /// Frozen: no timers run, arriving datagrams wait in `inbox`.
    paused: bool,
    /// Datagrams (by in-flight key) that arrived while paused, in arrival order.
    inbox: Vec<FlightKey>,
    /// Taken out of the cluster for good.
    removed: bool,
}

impl SimNode {
    /// The protocol node, with its own view of the cluster.
    pub fn node(&self) -> &Node {
        &self.node
    }

    /// Ground truth: whether the node is running.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Ground truth: whether the node is paused (running but frozen).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Ground truth: whether the node was removed from the cluster for good.
    pub fn is_removed(&self) -> bool {
        self.removed
    }

    /// Ground truth: since when the node has been down.
    pub fn down_since(&self) -> Option<Instant> {
        self.down_since
    }

    /// The node's name.
    pub fn id(&self) -> &NodeId {
        self.node.id()
    }
}

/// A datagram on the wire: its record, who sent it to whom, and its bytes.
#[derive(Clone, Debug)]
struct InFlight {
    record: MessageRecord,
    from_index: usize,
    to_index: usize,
    payload: Vec<u8>,
}

impl InFlight {
    /// Feeds the trace digest: the record, with the nodes by index (one word each,
    /// where hashing their names would cost a pass over each).
    fn hash_fate(&self, hasher: &mut impl Hasher) {
        let record = &self.record;
        (record.id, self.from_index, self.to_index, record.kind).hash(hasher);
        (record.size, record.sent_at, record.arrives_at).hash(hasher);
        (record.dropped, record.duplicate).hash(hasher);
    }
}

/// Where a datagram waits in [`Simulation::in_flight`] (a slab: every send and
/// delivery is an index, not a hash-map insert and remove).
type FlightKey = usize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Scheduled {
    Deliver(FlightKey),
    Wake(usize),
}

/// Builds a [`Simulation`] of `n` nodes named `n1..=nN`; `n1` starts the cluster and the
/// others join through it at time zero.
#[derive(Clone, Debug)]
pub struct SimBuilder {
    seed: u64,
    nodes: usize,
    config: Config,
    network: NetworkModel,
    history_limit: usize,
    converged: bool,
}

impl SimBuilder {
    /// These settings, in a form that exports ([`Setup::builder`] turns it back).
    pub fn setup(&self) -> Setup {
        Setup {
            seed: self.seed,
            nodes: self.nodes,
            config: self
                .config
                .fields()
                .into_iter()
                .map(|(field, value)| (field.to_owned(), value))
                .collect(),
            network: self.network.clone(),
            history_limit: self.history_limit,
            converged: self.converged,
        }
    }

    /// The seed behind every random choice of the run.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How many nodes to start with.
    pub fn nodes(mut self, nodes: usize) -> Self {
        self.nodes = nodes;
        self
    }

    /// The protocol configuration of every node.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The network model.
    pub fn network(mut self, network: NetworkModel) -> Self {
        self.network = network;
        self
    }

    /// How many delivered messages and events to keep for observation.
    pub fn history_limit(mut self, limit: usize) -> Self {
        self.history_limit = limit;
        self
    }

    /// Start from a cluster that has already converged: every node knows every other
    /// as alive, as if the joins had happened long ago (with `n1` as everyone's seed).
    /// Saves simulating `n` joins in large experiments.
    pub fn converged(mut self) -> Self {
        self.converged = true;
        self
    }

    /// Creates the simulation; fails if the configuration does not validate.
    pub fn build(self) -> Result<Simulation, Error> {
        self.config.validate()?;
        let setup = self.setup();
        let mut sim = Simulation {
            setup,
            now: Instant::ZERO,
            rng: Xoshiro256PlusPlus::seed_from_u64(self.seed),
            config: self.config,
            network: Network::new(self.network),
            nodes: Vec::new(),
            by_name: FastMap::default(),
            queue: BinaryHeap::new(),
            next_seq: 0,
            next_message: 0,
            in_flight: Slab::new(),
            history: VecDeque::new(),
            log: VecDeque::new(),
            metrics: SimMetrics::default(),
            suspicions_seen: BTreeSet::new(),
            deaths_seen: BTreeSet::new(),
            writes: Vec::new(),
            failures: Vec::new(),
            held_messages: Vec::new(),
            commands: Vec::new(),
            recording: false,
            trace: TraceHasher::default(),
            carry: 0.0,
        };
        if self.converged {
            sim.add_converged_nodes(self.nodes)?;
        } else {
            for i in 1..=self.nodes {
                let seeds: &[&str] = if i == 1 { &[] } else { &["n1"] };
                sim.add_node(&format!("n{i}"), seeds)?;
            }
        }
        sim.recording = true;
        Ok(sim)
    }
}

/// A whole cluster in virtual time.
///
/// Cloning it is a snapshot: keep the copy to rewind to, or run it forward to fork
/// another future; a clone run forward gives exactly the run the original gives.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// The builder's settings, for traces.
    setup: Setup,
    now: Instant,
    rng: Xoshiro256PlusPlus,
    config: Config,
    network: Network,
    nodes: Vec<SimNode>,
    by_name: FastMap<NodeId, usize>,
    queue: BinaryHeap<Reverse<(Instant, u64, Scheduled)>>,
    next_seq: u64,
    next_message: u64,
    /// Datagrams on the wire (or held, or waiting for a paused node).
    in_flight: Slab<InFlight>,
    history: VecDeque<MessageRecord>,
    log: VecDeque<LogEntry>,
    metrics: SimMetrics,
    /// `(node index, incarnation)` pairs already counted in `metrics`.
    suspicions_seen: BTreeSet<(usize, Incarnation)>,
    deaths_seen: BTreeSet<(usize, Incarnation)>,
    writes: Vec<TrackedWrite>,
    failures: Vec<TrackedFailure>,
    /// Datagrams waiting on held links: `(in-flight key, from, to)`, in send order.
    held_messages: Vec<(FlightKey, usize, usize)>,
    /// Every command since the builder finished, with its time.
    commands: Vec<(Instant, Command)>,
    recording: bool,
    /// A running hash of everything that happened: each event's time and what it did.
    trace: TraceHasher,
    /// The fraction of a millisecond [`Simulation::advance`] still owes.
    carry: f64,
}

impl Simulation {
    /// A builder with seed 0, no nodes, [`Config::demo`] and [`NetworkModel::lan`].
    pub fn builder() -> SimBuilder {
        SimBuilder {
            seed: 0,
            nodes: 0,
            config: Config::demo(),
            network: NetworkModel::lan(),
            history_limit: 1000,
            converged: false,
        }
    }

    /// The seed this run was built from.
    pub fn seed(&self) -> u64 {
        self.setup.seed
    }

    /// Current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The network model in force.
    pub fn network(&self) -> &NetworkModel {
        &self.network.model
    }

    /// Changes the network model from now on (datagrams in flight keep their fate).
    pub fn set_network(&mut self, network: NetworkModel) {
        self.record(Command::SetNetwork(network.clone()));
        self.network.model = network;
    }

    /// The protocol configuration new nodes get.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Counters over the whole run.
    pub fn metrics(&self) -> &SimMetrics {
        &self.metrics
    }

    /// Adds a node named `name` and has it join through the nodes named in `seeds`
    /// (none: it starts a cluster of its own).
    pub fn add_node(&mut self, name: &str, seeds: &[&str]) -> Result<(), Error> {
        self.record(Command::AddNode {
            name: name.to_owned(),
            seeds: to_owned(seeds),
        });
        let id = NodeId::new(name)?;
        if self.by_name.contains_key(&id) {
            return Err(Error::InvalidNodeId(format!(
                "a node named {name} already exists"
            )));
        }
        let index = self.nodes.len();
        let addr = virtual_addr(index);
        let seed_addrs = seeds
            .iter()
            .map(|seed| self.index_of(seed).map(|i| self.nodes[i].node.addr()))
            .collect::<Result<Vec<_>, _>>()?;
        let node = Node::new(id.clone(), addr, self.config.clone(), self.rng.random())?;
        self.push_node(node);
        self.nodes[index].node.join(self.now, &seed_addrs);
        self.drain(index);
        Ok(())
    }

    fn push_node(&mut self, node: Node) {
        let index = self.nodes.len();
        self.by_name.insert(node.id().clone(), index);
        self.nodes.push(SimNode {
            node,
            up: true,
            wake: None,
            delivered_from: [0; MessageKind::ALL.len()],
            down_since: None,
            paused: false,
            inbox: Vec::new(),
            removed: false,
        });
        self.network.add_node();
    }

    /// `n1..=nN`, each preloaded with all the others alive, all started now.
    fn add_converged_nodes(&mut self, count: usize) -> Result<(), Error> {
        if count == 0 {
            return Ok(());
        }
        let everyone: Vec<MemberUpdate> = (0..count)
            .map(|i| {
                Ok(MemberUpdate {
                    id: NodeId::new(&format!("n{}", i + 1))?,
                    addr: virtual_addr(i),
                    incarnation: 0,
                    state: MemberState::Alive,
                    accuser: None,
                })
            })
            .collect::<Result<_, Error>>()?;
        let first = self.nodes.len();
        for member in &everyone {
            let mut node = Node::new(
                member.id.clone(),
                member.addr,
                self.config.clone(),
                self.rng.random(),
            )?;
            match self.nodes.get(first) {
                Some(template) => node.preload_members_of(self.now, &template.node),
                None => node.preload_members(self.now, everyone.iter().cloned()),
            }
            self.push_node(node);
        }
        let seed = [everyone[0].addr];
        for index in 0..count {
            self.nodes[index].node.join(self.now, &seed);
            self.drain(index);
        }
        Ok(())
    }

    /// Stops a node dead: it loses every datagram sent to it and runs no timers. Its
    /// state stays as it was, for inspection.
    pub fn crash(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Crash(name.to_owned()));
        let index = self.index_of(name)?;
        self.stop(index);
        Ok(())
    }

    /// Takes a node down (crash or removal): it runs nothing more, and the failure is
    /// tracked until the cluster holds it dead.
    fn stop(&mut self, index: usize) {
        let now = self.now;
        let sim_node = &mut self.nodes[index];
        sim_node.wake = None;
        sim_node.paused = false;
        if std::mem::replace(&mut sim_node.up, false) {
            sim_node.down_since = Some(now);
            self.track_failure(index);
        }
        // The socket buffer goes with the process: what waited for a paused node is
        // lost as if it had arrived now, to a node that is down.
        for key in std::mem::take(&mut self.nodes[index].inbox) {
            self.deliver(key);
        }
    }

    /// Freezes a running node, as a stopped process or a long pause of its runtime
    /// would: it runs no timers and handles nothing, but datagrams sent to it wait in
    /// its socket buffer instead of being lost. [`Simulation::resume`] lets it catch up.
    pub fn pause(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Pause(name.to_owned()));
        let index = self.running(name)?;
        self.nodes[index].paused = true;
        Ok(())
    }

    /// Lets a paused node go on: it first handles what arrived while it was paused,
    /// in arrival order, then every timer that fell due.
    pub fn resume(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Resume(name.to_owned()));
        let index = self.index_of(name)?;
        if !std::mem::take(&mut self.nodes[index].paused) {
            return Ok(());
        }
        for key in std::mem::take(&mut self.nodes[index].inbox) {
            self.deliver(key);
        }
        let now = self.now;
        let sim_node = &mut self.nodes[index];
        if sim_node.up {
            sim_node.wake = None;
            sim_node.node.handle_timeout(now);
            self.drain(index);
        }
        Ok(())
    }

    /// Takes a node out of the cluster for good, without a word (decommissioned, not
    /// left): it stops as a crash would, and is no longer a member the checkers expect
    /// anyone to know. It cannot be restarted.
    pub fn remove_node(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::RemoveNode(name.to_owned()));
        let index = self.index_of(name)?;
        self.nodes[index].removed = true;
        self.stop(index);
        Ok(())
    }

    /// Starts a crashed node again with fresh state under the same name and address;
    /// it joins through every other node.
    pub fn restart(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Restart(name.to_owned()));
        self.start_again(name, false)
    }

    /// Starts a crashed node again with what it had persisted: its store, its identity
    /// as a writer and its incarnation (as a node with a disk would). Its member table
    /// and timers start fresh; it joins through every other node.
    pub fn restart_with_state(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::RestartWithState(name.to_owned()));
        self.start_again(name, true)
    }

    fn start_again(&mut self, name: &str, with_state: bool) -> Result<(), Error> {
        let index = self.index_of(name)?;
        if self.nodes[index].removed {
            return Err(Error::UnknownNode(name.to_owned()));
        }
        if self.nodes[index].up {
            return Ok(());
        }
        let id = self.nodes[index].node.id().clone();
        let addr = self.nodes[index].node.addr();
        let seeds: Vec<SocketAddr> = self
            .nodes
            .iter()
            .map(|n| n.node.addr())
            .filter(|a| *a != addr)
            .collect();
        let mut node = Node::new(id, addr, self.config.clone(), self.rng.random())?;
        if with_state {
            node.restore(self.nodes[index].node.persisted());
        }
        node.join(self.now, &seeds);
        let sim_node = &mut self.nodes[index];
        sim_node.node = node;
        sim_node.up = true;
        sim_node.down_since = None;
        sim_node.wake = None;
        self.drain(index);
        Ok(())
    }

    /// Deletes `key` on the node named `name`.
    pub fn delete(&mut self, name: &str, key: &str) -> Result<(), Error> {
        self.record(Command::Delete {
            name: name.to_owned(),
            key: key.to_owned(),
        });
        let index = self.running(name)?;
        let now = self.now;
        if let Some(tombstone) = self.nodes[index].node.delete(now, key)? {
            self.track_write(tombstone);
        }
        self.drain(index);
        Ok(())
    }

    /// Every write made through [`Simulation::put`] and [`Simulation::delete`], with
    /// when it was made and when every running node first held it (or something newer).
    pub fn writes(&self) -> &[TrackedWrite] {
        &self.writes
    }

    fn track_write(&mut self, version: Version) {
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

    /// Cuts every link between the nodes of `side_a` and those of `side_b`, both ways.
    pub fn partition(&mut self, side_a: &[&str], side_b: &[&str]) -> Result<(), Error> {
        self.record(Command::Partition {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
        });
        self.both_ways(side_a, side_b, Network::cut)
    }

    /// Cuts the links from each node of `from` to each node of `to`, one way only: the
    /// `to` side still reaches the `from` side.
    pub fn partition_oneway(&mut self, from: &[&str], to: &[&str]) -> Result<(), Error> {
        self.record(Command::PartitionOneway {
            from: to_owned(from),
            to: to_owned(to),
        });
        self.for_links(from, to, Network::cut)
    }

    /// Restores the links between the nodes of `side_a` and `side_b`, both ways.
    pub fn repair(&mut self, side_a: &[&str], side_b: &[&str]) -> Result<(), Error> {
        self.record(Command::Repair {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
        });
        self.both_ways(side_a, side_b, Network::repair)
    }

    /// Holds every datagram between the nodes of `side_a` and `side_b`, both ways: they
    /// wait, undelivered, until [`Simulation::release`] (a stalled link rather than a
    /// lossy one).
    pub fn hold(&mut self, side_a: &[&str], side_b: &[&str]) -> Result<(), Error> {
        self.record(Command::Hold {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
        });
        self.both_ways(side_a, side_b, Network::hold)
    }

    /// Releases held links: the datagrams they held go on their way now, in the order
    /// they were sent.
    pub fn release(&mut self, side_a: &[&str], side_b: &[&str]) -> Result<(), Error> {
        self.record(Command::Release {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
        });
        self.both_ways(side_a, side_b, Network::release)?;
        let latency = self.network.model.latency;
        let (go, stay): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held_messages)
            .into_iter()
            .partition(|&(_, from, to)| !self.network.is_held(from, to));
        self.held_messages = stay;
        for (key, _, _) in go {
            let at = self.now + latency;
            if let Some(flight) = self.in_flight.get_mut(key) {
                flight.record.arrives_at = at;
            }
            self.schedule(at, Scheduled::Deliver(key));
        }
        Ok(())
    }

    /// Gives every link between the nodes of `side_a` and `side_b` (both ways) its own
    /// latency, jitter, loss, duplication and MTU; `None` puts them back on the
    /// network-wide model ([`Simulation::set_network`]). Cuts and holds still apply.
    pub fn set_link(
        &mut self,
        side_a: &[&str],
        side_b: &[&str],
        model: Option<NetworkModel>,
    ) -> Result<(), Error> {
        self.record(Command::SetLink {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
            model: model.clone(),
        });
        self.for_links(side_a, side_b, |network, a, b| {
            network.set_link(a, b, model.clone());
            network.set_link(b, a, model.clone());
        })
    }

    /// Restores every link.
    pub fn repair_all(&mut self) {
        self.record(Command::RepairAll);
        self.network.repair_all();
    }

    /// Makes a node slow: it gets to each datagram a random `0..=2 * lag` late (`lag` on
    /// average), as a node short of CPU would. The case Lifeguard exists for.
    /// `Duration::ZERO` makes it normal again.
    pub fn slow(&mut self, name: &str, lag: Duration) -> Result<(), Error> {
        self.record(Command::Slow {
            name: name.to_owned(),
            lag,
        });
        let index = self.index_of(name)?;
        self.network.set_lag(index, lag);
        Ok(())
    }

    /// Has a node leave the cluster gracefully; it keeps running to spread the news.
    pub fn leave(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Leave(name.to_owned()));
        let index = self.running(name)?;
        let now = self.now;
        self.nodes[index].node.leave(now);
        self.drain(index);
        Ok(())
    }

    /// Writes `key = value` on the node named `name`.
    pub fn put(&mut self, name: &str, key: &str, value: &str) -> Result<(), Error> {
        self.record(Command::Put {
            name: name.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        });
        let index = self.running(name)?;
        let now = self.now;
        let version = self.nodes[index].node.put(now, key, value)?;
        self.track_write(version);
        self.drain(index);
        Ok(())
    }

    /// Carries out one command, as the named methods do.
    pub fn apply(&mut self, command: &Command) -> Result<(), Error> {
        fn names(list: &[String]) -> Vec<&str> {
            list.iter().map(String::as_str).collect()
        }
        match command {
            Command::AddNode { name, seeds } => self.add_node(name, &names(seeds)),
            Command::Crash(name) => self.crash(name),
            Command::Restart(name) => self.restart(name),
            Command::RestartWithState(name) => self.restart_with_state(name),
            Command::Leave(name) => self.leave(name),
            Command::Slow { name, lag } => self.slow(name, *lag),
            Command::Partition { side_a, side_b } => self.partition(&names(side_a), &names(side_b)),
            Command::PartitionOneway { from, to } => {
                self.partition_oneway(&names(from), &names(to))
            }
            Command::Repair { side_a, side_b } => self.repair(&names(side_a), &names(side_b)),
            Command::Hold { side_a, side_b } => self.hold(&names(side_a), &names(side_b)),
            Command::Release { side_a, side_b } => self.release(&names(side_a), &names(side_b)),
            Command::RepairAll => {
                self.repair_all();
                Ok(())
            }
            Command::SetNetwork(network) => {
                self.set_network(network.clone());
                Ok(())
            }
            Command::SetLink {
                side_a,
                side_b,
                model,
            } => self.set_link(&names(side_a), &names(side_b), model.clone()),
            Command::Pause(name) => self.pause(name),
            Command::Resume(name) => self.resume(name),
            Command::RemoveNode(name) => self.remove_node(name),
            Command::Put { name, key, value } => self.put(name, key, value),
            Command::Delete { name, key } => self.delete(name, key),
        }
    }

    /// The run so far as an exportable [`Trace`].
    pub fn trace(&self) -> Trace {
        Trace {
            setup: self.setup.clone(),
            until: self.now,
            commands: self.commands.clone(),
            events: self.log.iter().cloned().collect(),
            messages: self.history.iter().cloned().collect(),
            digest: self.trace_digest(),
        }
    }

    /// Every command given since the simulation was built, with its time.
    pub fn commands(&self) -> &[(Instant, Command)] {
        &self.commands
    }

    /// Builds a fresh simulation from `builder` and replays `commands` at their times,
    /// then runs up to `until`. With the builder of the original run, this reproduces
    /// it event for event. (A command that failed originally fails again, harmlessly.)
    ///
    /// Commands given at the same instant are applied back to back, as a driver gives
    /// them: what one schedules for that very instant runs after the last of them.
    pub fn replay(
        builder: SimBuilder,
        commands: &[(Instant, Command)],
        until: Instant,
    ) -> Result<Simulation, Error> {
        let mut sim = builder.build()?;
        for (at, command) in commands {
            if *at > sim.now {
                sim.run_until(*at);
            }
            let _ = sim.apply(command);
        }
        sim.run_until(until);
        Ok(sim)
    }

    /// A fingerprint of the whole run so far: every event's time, every datagram's
    /// fate and every node event, in order. Two runs are the same run exactly when
    /// their digests match.
    pub fn trace_digest(&self) -> u64 {
        self.trace.clone().finish()
    }

    fn record(&mut self, command: Command) {
        if self.recording {
            command_hash(&command, &mut self.trace);
            self.commands.push((self.now, command));
        }
    }

    /// Advances simulated time by `wall_ms` milliseconds of real time times `speed`,
    /// for an animation loop: fractions of a millisecond carry over to the next call,
    /// so many short frames add up exactly. Returns the simulated time run.
    pub fn advance(&mut self, wall_ms: f64, speed: f64) -> Duration {
        let owed = (wall_ms * speed).max(0.0) + self.carry;
        let whole = owed.floor();
        self.carry = owed - whole;
        let span = Duration::from_millis(whole as u64);
        self.run_for(span);
        span
    }

    /// Runs every event up to and including `now + duration`.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_until(self.now + duration);
    }

    /// Runs every event up to and including `deadline`, then sets the clock to it.
    pub fn run_until(&mut self, deadline: Instant) {
        while self
            .queue
            .peek()
            .is_some_and(|Reverse((at, _, _))| *at <= deadline)
        {
            self.step();
        }
        self.now = self.now.max(deadline);
    }

    /// Runs the next event, if any; returns whether there was one.
    ///
    /// Commands are logged with their time only: one given between two steps of the
    /// same instant is replayed ([`Simulation::replay`], [`Timeline`]) after every event
    /// of that instant. Drive with [`Simulation::run_until`] (or `run_for`, `advance`)
    /// where commands must replay exactly.
    pub fn step(&mut self) -> bool {
        let Some(Reverse((at, _, what))) = self.queue.pop() else {
            return false;
        };
        self.now = at;
        (at, what).hash(&mut self.trace);
        match what {
            Scheduled::Deliver(key) => self.deliver(key),
            Scheduled::Wake(index) => {
                let sim_node = &mut self.nodes[index];
                if sim_node.up && !sim_node.paused && sim_node.wake == Some(at) {
                    sim_node.wake = None;
                    sim_node.node.handle_timeout(at);
                    self.drain(index);
                }
            }
        }
        true
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
        self.membership_disagreements().is_empty()
    }

    /// Where running, joined members are wrong about the truth: `(observer, subject,
    /// belief, subject running and not left)`.
    pub fn membership_disagreements(&self) -> Vec<(NodeId, NodeId, Option<MemberState>, bool)> {
        // A member is a running node that has joined and not left; one still joining
        // (say, through a seed that died) is rightly unknown to the others.
        let truth = |n: &SimNode| n.up && n.node.status() == NodeStatus::Joined;
        let mut wrong = Vec::new();
        let observers = self
            .nodes
            .iter()
            .filter(|o| truth(o) && o.node.status() == NodeStatus::Joined);
        for observer in observers {
            for subject in self.nodes.iter().filter(|s| s.id() != observer.id()) {
                let belief = observer.node.member_state(subject.id());
                let right = if truth(subject) {
                    belief == Some(MemberState::Alive)
                } else {
                    !matches!(belief, Some(MemberState::Alive | MemberState::Suspect))
                };
                if !right {
                    wrong.push((
                        observer.id().clone(),
                        subject.id().clone(),
                        belief,
                        truth(subject),
                    ));
                }
            }
        }
        wrong
    }

    /// How many datagrams of `kind` sent by `name` were delivered so far.
    pub fn delivered_from(&self, name: &str, kind: MessageKind) -> u64 {
        self.node(name)
            .map_or(0, |n| n.delivered_from[kind.index()])
    }

    /// Datagrams sent and not yet arrived, in no particular order (their ids give the
    /// order they were sent in).
    pub fn in_flight(&self) -> impl Iterator<Item = &MessageRecord> {
        self.in_flight.iter().map(|(_, f)| &f.record)
    }

    /// What the datagram `id`, still in flight, carries, decoded.
    pub fn decode_in_flight(&self, id: u64) -> Option<crate::wire::Packet> {
        let (_, flight) = self.in_flight.iter().find(|(_, f)| f.record.id == id)?;
        crate::wire::decode(&flight.payload).ok()
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

    fn running(&self, name: &str) -> Result<usize, Error> {
        let index = self.index_of(name)?;
        if !self.nodes[index].up {
            return Err(Error::UnknownNode(name.to_owned()));
        }
        Ok(index)
    }

    /// Applies `change` to every link between the two sides, in both directions.
    fn both_ways(
        &mut self,
        side_a: &[&str],
        side_b: &[&str],
        change: fn(&mut Network, usize, usize),
    ) -> Result<(), Error> {
        self.for_links(side_a, side_b, |network, a, b| {
            change(network, a, b);
            change(network, b, a);
        })
    }

    fn for_links(
        &mut self,
        side_a: &[&str],
        side_b: &[&str],
        mut change: impl FnMut(&mut Network, usize, usize),
    ) -> Result<(), Error> {
        let a: Vec<usize> = side_a
            .iter()
            .map(|n| self.index_of(n))
            .collect::<Result<_, _>>()?;
        let b: Vec<usize> = side_b
            .iter()
            .map(|n| self.index_of(n))
            .collect::<Result<_, _>>()?;
        for &from in &a {
            for &to in &b {
                change(&mut self.network, from, to);
            }
        }
        Ok(())
    }

    /// The node at `addr`, if there is one (addresses are computed, not looked up).
    fn index_at(&self, addr: SocketAddr) -> Option<usize> {
        index_of_addr(addr).filter(|&index| index < self.nodes.len())
    }

    fn index_of(&self, name: &str) -> Result<usize, Error> {
        NodeId::new(name)
            .ok()
            .and_then(|id| self.by_name.get(&id).copied())
            .ok_or_else(|| Error::UnknownNode(name.to_owned()))
    }

    fn schedule(&mut self, at: Instant, what: Scheduled) {
        self.queue.push(Reverse((at, self.next_seq, what)));
        self.next_seq += 1;
    }

    /// Drains a node's outputs in the documented order after an input.
    fn drain(&mut self, index: usize) {
        while let Some(transmit) = self.nodes[index].node.poll_transmit() {
            self.send(index, transmit);
        }
        while let Some(event) = self.nodes[index].node.poll_event() {
            self.count_event(&event);
            let node = self.nodes[index].node.id().clone();
            (&node, &event).hash(&mut self.trace);
            push_bounded(
                &mut self.log,
                LogEntry {
                    at: self.now,
                    node,
                    event,
                },
                self.setup.history_limit,
            );
        }
        let next = self.nodes[index]
            .node
            .poll_timeout()
            .map(|at| at.max(self.now));
        if next != self.nodes[index].wake {
            self.nodes[index].wake = next;
            if let Some(at) = next {
                self.schedule(at, Scheduled::Wake(index));
            }
        }
    }

    /// Counts each (member, incarnation) suspected or declared dead once, cluster-wide,
    /// and whether the member was running at that moment.
    fn count_event(&mut self, event: &Event) {
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

    fn track_failure(&mut self, index: usize) {
        self.failures.push(TrackedFailure {
            node: self.nodes[index].node.id().clone(),
            down_at: self.now,
            suspected_at: None,
            dead_everywhere_at: None,
        });
    }

    fn send(&mut self, from_index: usize, transmit: Transmit) {
        let Some(to_index) = self.index_at(transmit.to) else {
            return;
        };
        let size = transmit.payload.len();
        let fate = self
            .network
            .sample(from_index, to_index, size, &mut self.rng);
        let metrics = &mut self.metrics;
        metrics.datagrams_sent += 1;
        metrics.bytes_sent += size as u64;
        metrics.sent_by_kind[transmit.kind.index()] += 1;
        metrics.bytes_by_kind[transmit.kind.index()] += size as u64;
        metrics.largest_datagram = metrics.largest_datagram.max(size);
        match fate {
            Err(Dropped::Lost) => metrics.lost += 1,
            Err(Dropped::Partitioned) => metrics.partitioned += 1,
            Err(Dropped::TooLarge) => metrics.too_large += 1,
            _ => {}
        }
        let (delay, duplicate) = match fate {
            Ok(delivery) => (Ok(delivery.delay), delivery.duplicate),
            Err(dropped) => (Err(dropped), None),
        };
        let copy = duplicate.map(|second| (second, transmit.payload.clone()));
        self.launch(
            from_index,
            to_index,
            transmit.kind,
            transmit.payload,
            delay,
            false,
        );
        if let Some((second, payload)) = copy {
            self.metrics.duplicated += 1;
            self.launch(
                from_index,
                to_index,
                transmit.kind,
                payload,
                Ok(second),
                true,
            );
        }
    }

    /// Puts one datagram on the wire: in flight until `fate`'s delay has passed (or held
    /// at the sender while its link is held), or recorded as dropped.
    fn launch(
        &mut self,
        from_index: usize,
        to_index: usize,
        kind: MessageKind,
        payload: Vec<u8>,
        fate: Result<Duration, Dropped>,
        duplicate: bool,
    ) {
        let id = self.next_message;
        self.next_message += 1;
        let held = fate.is_ok() && self.network.is_held(from_index, to_index);
        let arrives_at = if held {
            // Waits at the sender's end of the link until released.
            Instant::from_millis(u64::MAX)
        } else {
            self.now + fate.unwrap_or(self.network.link(from_index, to_index).latency)
        };
        let record = MessageRecord {
            id,
            from: self.nodes[from_index].node.id().clone(),
            to: self.nodes[to_index].node.id().clone(),
            kind,
            size: payload.len(),
            sent_at: self.now,
            arrives_at,
            dropped: fate.err(),
            duplicate,
        };
        let key = self.in_flight.insert(InFlight {
            record,
            from_index,
            to_index,
            payload,
        });
        if held {
            self.held_messages.push((key, from_index, to_index));
        } else {
            self.schedule(arrives_at, Scheduled::Deliver(key));
        }
    }

    fn deliver(&mut self, key: FlightKey) {
        let Some(flight) = self.in_flight.get(key) else {
            return;
        };
        let to = flight.to_index;
        if flight.record.dropped.is_none() && self.nodes[to].up && self.nodes[to].paused {
            self.nodes[to].inbox.push(key); // waits in the socket buffer
            return;
        }
        let mut flight = self.in_flight.remove(key);
        if flight.record.dropped.is_none() && !self.nodes[to].up {
            flight.record.dropped = Some(Dropped::ReceiverDown);
            self.metrics.receiver_down += 1;
        }
        if flight.record.dropped.is_none() {
            self.metrics.datagrams_delivered += 1;
            let from_index = flight.from_index;
            self.nodes[from_index].delivered_from[flight.record.kind.index()] += 1;
            // A datagram the node rejects is counted by the node itself.
            let from_addr = self.nodes[from_index].node.addr();
            let _ = self.nodes[to]
                .node
                .handle_packet(self.now, from_addr, &flight.payload);
            self.drain(to);
        }
        flight.hash_fate(&mut self.trace);
        push_bounded(&mut self.history, flight.record, self.setup.history_limit);
    }
}

fn to_owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// Commands hash by their debug form: `NetworkModel` holds a float.
fn command_hash(command: &Command, hasher: &mut impl Hasher) {
    format!("{command:?}").hash(hasher);
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, limit: usize) {
    if queue.len() >= limit {
        queue.pop_front();
    }
    if limit > 0 {
        queue.push_back(item);
    }
}

/// `10.x.y.z:7946` for the node added `index`-th (`n1` is 10.0.0.1): a private,
/// clearly virtual address, with room for 16 million nodes.
fn virtual_addr(index: usize) -> SocketAddr {
    let [_, a, b, c] = ((index + 1) as u32).to_be_bytes();
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, a, b, c)), SIM_PORT)
}

/// The node index a virtual address belongs to (the inverse of [`virtual_addr`]), or
/// `None` for an address no node could have.
fn index_of_addr(addr: SocketAddr) -> Option<usize> {
    let SocketAddr::V4(addr) = addr else {
        return None;
    };
    let [ten, a, b, c] = addr.ip().octets();
    if ten != 10 || addr.port() != SIM_PORT {
        return None;
    }
    (u32::from_be_bytes([0, a, b, c]) as usize).checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_addresses_map_back_to_their_node() {
        for index in [0, 1, 254, 255, 256, 65_535, 70_000, 16_777_214] {
            assert_eq!(index_of_addr(virtual_addr(index)), Some(index));
        }
        for other in [
            "10.0.0.0:7946",
            "10.0.0.1:7947",
            "11.0.0.1:7946",
            "[::1]:7946",
        ] {
            assert_eq!(index_of_addr(other.parse().unwrap()), None, "{other}");
        }
    }
}
