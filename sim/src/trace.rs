//! Commands and traces: what was done to a run, logged so it can be replayed exactly,
//! exported to JSON and loaded back, plus the running digest that tells two runs apart.

use core::hash::{Hash, Hasher};

use super::{LogEntry, MessageRecord, NetworkModel, SimBuilder, Simulation};
use gossip_core::{Config, Duration, Instant};

use crate::Error;

/// The running hash behind [`Simulation::trace_digest`]: fast rather than
/// collision-resistant, since it only tells runs apart. It is the 64-bit Fx hash on
/// every platform (a `usize`-wide hasher would give wasm32 other digests than native
/// builds), so a trace recorded by `gossip sim` is recognised in the browser lab.
#[derive(Clone, Default)]
pub(super) struct TraceHasher(u64);

impl TraceHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl core::fmt::Debug for TraceHasher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TraceHasher({:016x})", self.0)
    }
}

impl Hasher for TraceHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    /// Lengths and indexes hash as 64-bit values whatever the platform's width.
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }
}

/// One thing done to a running simulation, as recorded in its command log. Replaying
/// the log on a fresh simulation from the same builder gives the same run.
#[derive(Clone, Debug, PartialEq, Hash, serde::Serialize, serde::Deserialize)]
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
    /// Settings running nodes take on at once, as `(field, value)` text.
    Reconfigure(Vec<(String, String)>),
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
    /// A user event sent from the node `name`.
    UserEvent {
        name: String,
        event: String,
        payload: String,
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
    /// The most recent events. Those of a file written before events were objects
    /// named by a `kind` are skipped when it loads: the replay gives them all again.
    #[serde(deserialize_with = "events_this_build_reads")]
    pub events: Vec<LogEntry>,
    pub messages: Vec<MessageRecord>,
    /// [`Simulation::trace_digest`] at `until`.
    pub digest: u64,
}

/// A trace's events, each as this build reads it, or skipped: a trace from an older
/// build still opens and replays.
fn events_this_build_reads<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<LogEntry>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Readable {
        Now(LogEntry),
        Older(serde::de::IgnoredAny),
    }
    let entries = <Vec<Readable> as serde::Deserialize>::deserialize(deserializer)?;
    Ok(entries
        .into_iter()
        .filter_map(|entry| match entry {
            Readable::Now(entry) => Some(entry),
            Readable::Older(_) => None,
        })
        .collect())
}

impl Trace {
    /// The largest cluster [`Trace::replay`] builds.
    pub const MAX_NODES: usize = 2_000;
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
/// loads back exactly.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Setup {
    pub seed: u64,
    pub nodes: usize,
    pub config: Config,
    pub network: NetworkModel,
    pub history_limit: usize,
    pub converged: bool,
}

impl Setup {
    /// A builder with these settings; fails on a configuration that does not validate.
    pub fn builder(&self) -> Result<SimBuilder, Error> {
        self.config.validate()?;
        let mut builder = Simulation::builder()
            .seed(self.seed)
            .nodes(self.nodes)
            .config(self.config.clone())
            .network(self.network.clone())
            .history_limit(self.history_limit);
        if self.converged {
            builder = builder.converged();
        }
        Ok(builder)
    }
}

impl Simulation {
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
            Command::Reconfigure(changes) => self.reconfigure(changes),
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
            Command::UserEvent {
                name,
                event,
                payload,
            } => self.send_user_event(name, event, payload),
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

    /// How the simulation was built.
    pub fn setup(&self) -> &Setup {
        &self.setup
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

    pub(super) fn record(&mut self, command: Command) {
        self.last_command_at = self.now;
        if self.recording {
            command.hash(&mut self.trace);
            self.commands.push((self.now, command));
        }
    }
}
