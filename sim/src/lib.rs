//! # gossip-sim
//!
//! The deterministic cluster simulator of the gossip lab, a driver of `gossip-core`
//! like the agent is: it reaches the protocol only through the core's public API.
//!
//! Real [`Node`]s exchange their real datagrams over a modelled network in virtual time.
//! One seeded RNG makes every choice (node seeds, latency, loss), events are ordered by
//! `(time, sequence number)`, and no hash-map order leaks in, so the same seed and the
//! same commands give the same run, event for event. Faults use the vocabulary people
//! know from turmoil: `crash`, `restart`, `partition`, `partition_oneway`, `repair`,
//! `hold`, `release`, `slow`, `leave`.
//!
//! This file holds the simulation itself, its builder and its clock; the rest is split
//! by concern: `control` (what a driver does to a run: nodes, faults, links, writes),
//! `transport` (datagrams from a node's outputs through the network to delivery),
//! `observe` (what a driver sees: views beside the truth, datagrams, counters, timings),
//! `trace` (the command log, replay, exported traces and the run's digest), plus the
//! event queue, the network model, the invariant checkers, the chaos runner,
//! experiments and what their runs add up to (`summary`), metrics over time and the
//! rewindable timeline.
//!
//! ```
//! use gossip_sim::Simulation;
//! use gossip_core::{Duration, MemberState};
//!
//! let mut sim = Simulation::builder().seed(7).nodes(5).build().unwrap();
//! sim.run_for(Duration::from_secs(5));
//! sim.crash("n3").unwrap();
//! sim.run_for(Duration::from_secs(20));
//! assert!(sim.everyone_sees("n3", MemberState::Dead));
//! ```

mod building;
mod census;
pub mod chaos;
pub mod checkers;
mod control;
mod error;
pub mod experiment;
mod network;
mod observe;
mod queue;
mod series;
pub mod summary;
mod timeline;
mod trace;
mod transport;

use std::cell::{Ref, RefCell};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::Hash;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rustc_hash::FxBuildHasher;
use slab::Slab;

pub use building::Building;
pub use error::Error;
pub use network::NetworkModel;
pub use observe::{
    Dropped, FlightMark, LogEntry, MessageRecord, SimMetrics, TrackedFailure, TrackedWrite,
};
pub use series::{MetricsSeries, Sample};
pub use timeline::Timeline;
pub use trace::{Command, Setup, Trace};

use census::Census;
use gossip_core::wire::MessageKind;
use gossip_core::{Config, Duration, Incarnation, Instant, Node, NodeId, Registry};
use network::Network;
use queue::EventQueue;
use trace::TraceHasher;
use transport::{FlightKey, InFlight, virtual_addr};

/// A hash map with a fixed, fast hasher: deterministic, and never iterated where order
/// could change a run.
type FastMap<K, V> = HashMap<K, V, FxBuildHasher>;

/// The port every simulated node listens on.
pub const SIM_PORT: u16 = 7946;

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
    /// When it last restarted: until the cluster has had time to hear its refutation,
    /// others holding it dead is news still spreading.
    restarted_at: Option<Instant>,
    /// How many times it restarted: each restart is a new node with a new table.
    restarts: u32,
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

    /// Ground truth: when the node last restarted, if it ever did.
    pub fn restarted_at(&self) -> Option<Instant> {
        self.restarted_at
    }

    /// The node's name.
    pub fn id(&self) -> &NodeId {
        self.node.id()
    }
}

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
            config: self.config.clone(),
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
        if self.converged {
            return self.build_gradually()?.finish();
        }
        let count = self.nodes;
        let mut sim = self.empty()?;
        for i in 1..=count {
            let seeds: &[&str] = if i == 1 { &[] } else { &["n1"] };
            sim.add_node(&format!("n{i}"), seeds)?;
        }
        sim.recording = true;
        Ok(sim)
    }

    /// Builds a converged cluster a few nodes at a time ([`Building::make`]), for a
    /// driver that must stay responsive meanwhile (a page: 10,000 members take seconds).
    /// The run is the one [`SimBuilder::build`] gives. Any other builder is built whole
    /// at once.
    pub fn build_gradually(self) -> Result<Building, Error> {
        if !self.converged {
            return Ok(Building::whole(self.build()?));
        }
        let count = self.nodes;
        Ok(Building::converged(self.empty()?, count))
    }

    /// The simulation with no nodes yet.
    fn empty(self) -> Result<Simulation, Error> {
        self.config.validate()?;
        let setup = self.setup();
        Ok(Simulation {
            setup,
            now: Instant::ZERO,
            rng: Xoshiro256PlusPlus::seed_from_u64(self.seed),
            config: self.config,
            network: Network::new(self.network),
            nodes: Vec::new(),
            by_name: FastMap::default(),
            queue: EventQueue::new(),
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
            last_command_at: Instant::ZERO,
            trace: TraceHasher::default(),
            registry: Registry::new(),
            carry: 0.0,
            census: None,
        })
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
    queue: EventQueue<Scheduled>,
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
    /// When the last command was given: the cluster has been left alone since.
    last_command_at: Instant,
    /// A running hash of everything that happened: each event's time and what it did.
    trace: TraceHasher,
    /// The names and addresses every node's member table interns: each stored once.
    registry: Registry,
    /// The fraction of a millisecond [`Simulation::advance`] still owes.
    carry: f64,
    /// Every running node's beliefs, kept once a driver asks ([`Simulation::keep_census`]);
    /// brought up to date when read, so `&self` views can use it.
    census: Option<RefCell<Census>>,
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

    /// Keeps a census of what every running node believes about every other from now
    /// on (see the `census` module): the consensus view ([`Simulation::consensus_tallies`])
    /// and the membership checkers then cost what changed since they were last asked,
    /// instead of a pass over every member table, n² entries. It takes a byte a pair of
    /// nodes and changes nothing about the run.
    pub fn keep_census(&mut self) {
        if self.census.is_none() {
            self.census = Some(RefCell::new(Census::default()));
        }
    }

    /// The census, brought up to date, if one is kept. Not to be held across another
    /// call that reads it.
    pub(crate) fn census(&self) -> Option<Ref<'_, Census>> {
        let cell = self.census.as_ref()?;
        cell.borrow_mut().refresh(&self.nodes, &self.by_name);
        Some(cell.borrow())
    }

    /// Bytes the census takes (0 without one).
    pub fn census_bytes(&self) -> usize {
        self.census().map_or(0, |c| c.footprint())
    }

    /// The seed this run was built from.
    pub fn seed(&self) -> u64 {
        self.setup.seed
    }

    /// How long since the last command (a fault, a repair, a write): checkers that need
    /// a quiet cluster, convergence among them, judge only after their bound of it.
    pub fn quiet_for(&self) -> Duration {
        self.now.saturating_since(self.last_command_at)
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

    /// Changes settings that running nodes take on at once
    /// ([`Config::LIVE_FIELDS`]), as `(field, value)` text the way `--set` reads them:
    /// every node takes them on now, and nodes started later start with them. A value
    /// that does not read, a configuration that does not validate or a field that only
    /// applies when a node starts is refused, and nothing changes.
    pub fn reconfigure(&mut self, changes: &[(String, String)]) -> Result<(), Error> {
        let mut config = self.config.clone();
        for (field, value) in changes {
            config.set(field, value)?;
        }
        // Checked once, before any node: every node takes it on, or none does.
        self.config.check_live_change(&config)?;
        for sim_node in &mut self.nodes {
            sim_node.node.reconfigure(config.clone())?;
        }
        self.config = config;
        self.record(Command::Reconfigure(changes.to_vec()));
        Ok(())
    }

    /// Counters over the whole run.
    pub fn metrics(&self) -> &SimMetrics {
        &self.metrics
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
            restarted_at: None,
            restarts: 0,
            paused: false,
            inbox: Vec::new(),
            removed: false,
        });
        self.network.add_node();
    }

    /// Advances simulated time by `wall_ms` milliseconds of real time times `speed`,
    /// for an animation loop: fractions of a millisecond carry over to the next call,
    /// so many short frames add up exactly. Returns the simulated time run.
    pub fn advance(&mut self, wall_ms: f64, speed: f64) -> Duration {
        let span = self.owed(wall_ms, speed);
        self.run_for(span);
        span
    }

    /// The simulated time `wall_ms` at `speed` is worth, in whole milliseconds (the
    /// fraction is kept for the next call), without running it: for a driver that runs
    /// it in pieces, as [`Simulation::advance`] would in one.
    pub fn owed(&mut self, wall_ms: f64, speed: f64) -> Duration {
        let owed = (wall_ms * speed).max(0.0) + self.carry;
        let whole = owed.floor();
        self.carry = owed - whole;
        Duration::from_millis(whole as u64)
    }

    /// When the next scheduled event (a delivery, a timer) happens, if any.
    pub fn next_event_at(&self) -> Option<Instant> {
        self.queue.peek_time()
    }

    /// Runs every event up to and including `now + duration`.
    pub fn run_for(&mut self, duration: Duration) {
        self.run_until(self.now + duration);
    }

    /// Runs every event up to and including `deadline`, then sets the clock to it.
    pub fn run_until(&mut self, deadline: Instant) {
        while let Some((at, what)) = self.queue.pop_until(deadline) {
            self.run_event(at, what);
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
        let Some((at, what)) = self.queue.pop() else {
            return false;
        };
        self.run_event(at, what);
        true
    }

    fn run_event(&mut self, at: Instant, what: Scheduled) {
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
    }

    fn index_of(&self, name: &str) -> Result<usize, Error> {
        NodeId::new(name)
            .ok()
            .and_then(|id| self.by_name.get(&id).copied())
            .ok_or_else(|| Error::UnknownNode(name.to_owned()))
    }
}

/// Grows a WebAssembly heap once to what `count` converged member tables take (24 bytes
/// an entry, n² entries), before they are built. The allocator otherwise grows the
/// linear memory a table at a time, and each growth costs the engine a garbage
/// collection: building 3,000 members took 2.3 s in wasm (0.26 s natively), three
/// quarters of it in memory growth and the collections it set off. Elsewhere the
/// system allocator needs no such help, and this does nothing.
pub(crate) fn reserve_heap_for_tables(count: usize) {
    if cfg!(target_arch = "wasm32") {
        // In blocks: one allocation may not exceed half the 32-bit address space.
        const BLOCK: usize = 1 << 28;
        let mut left = count.saturating_mul(count).saturating_mul(24);
        let mut blocks = Vec::new();
        while left > 0 {
            let mut block = Vec::<u8>::new();
            if block.try_reserve_exact(left.min(BLOCK)).is_err() {
                break; // the build will find out for itself what does not fit
            }
            left = left.saturating_sub(block.capacity());
            blocks.push(std::hint::black_box(block));
        }
        // Freed at once, the blocks stay with the allocator (a wasm heap never
        // shrinks) for the tables to be carved from.
        drop(blocks);
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, limit: usize) {
    if queue.len() >= limit {
        queue.pop_front();
    }
    if limit > 0 {
        queue.push_back(item);
    }
}
