//! The `gossip` command line.

use std::net::SocketAddr;
use std::str::FromStr;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use gossip_core::{Config, Cooling, GossipMode, NodeId, RumorAccounting};

use crate::seeds::Seed;

/// gossip: a SWIM membership and replicated key/value node, from the gossip-protocol lab.
#[derive(Debug, Parser)]
#[command(name = "gossip", version)]
pub struct Cli {
    /// How logs (on stderr) are written: lines for people, or one JSON object per line
    /// for log collectors.
    #[arg(long, value_enum, default_value_t = LogFormat::Human, global = true)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

/// Log line formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

impl LogFormat {
    /// The flag's value that chooses this format.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Human => "human",
            LogFormat::Json => "json",
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a gossip node on a UDP socket until interrupted (Ctrl-C leaves gracefully).
    Agent(Box<AgentArgs>),
    /// Start a local cluster of agents as child processes (UDP 7946.., HTTP 9001..);
    /// Ctrl-C stops them all gracefully.
    Cluster(ClusterArgs),
    /// List an agent's members, like `serf members`.
    Members(MembersArgs),
    /// Read and write an agent's key/value store.
    Kv(KvArgs),
    /// An agent's counters.
    Stats(StatsArgs),
    /// Follow an agent's live event stream, one line per event.
    Events(EventsArgs),
    /// Follow the datagrams an agent sends and receives, one line each.
    Datagrams(DatagramsArgs),
    /// Send a user event that every member hears once, like `serf event`: each runs
    /// its `--event-handler user=...` on it.
    Event(EventArgs),
    /// Make an agent leave the cluster gracefully (it then stops).
    Leave(ClientArgs),
    /// Declare a member that failed and will not come back to have left, like `serf
    /// force-leave`: the cluster stops trying to reconnect to it.
    ForceLeave(ForceLeaveArgs),
    /// Make a running agent join more agents, like `serf join`: it exchanges member
    /// tables with each, so two clusters merge or a lost member finds its cluster.
    Join(JoinArgs),
    /// Make a new secret key for sealing datagrams (`--keyring`), printed in base64, or
    /// written as a new keyring file.
    Keygen(KeygenArgs),
    /// Show or change an agent's tags, like `serf tags`.
    Tags(TagsArgs),
    /// List or change an agent's keyring, like `serf keys`: install a new key on every
    /// agent, `use` it on every agent, then `remove` the old one.
    Keys(KeysArgs),
    /// Run headless experiments on the deterministic simulator.
    Sim(SimArgs),
    /// Print this build's version and the wire protocol version it speaks, like `serf
    /// version`: agents speaking different wire versions cannot talk.
    Version,
}

/// Where to find a running agent's HTTP API.
#[derive(Clone, Debug, Args)]
pub struct ClientArgs {
    /// The agent's HTTP API address: IP:PORT or HOST:PORT (`http://` may lead).
    #[arg(
        long,
        default_value = "127.0.0.1:9001",
        value_name = "ADDR",
        value_parser = parse_http_addr,
        global = true
    )]
    pub http: SocketAddr,

    /// Seconds the agent has to answer before the command gives up (a stream, as
    /// `events` and `datagrams` follow, to begin).
    #[arg(
        long,
        default_value = "10",
        value_name = "SECONDS",
        value_parser = parse_timeout,
        global = true
    )]
    pub timeout: std::time::Duration,
}

/// A bare host name for `--http-host`: no scheme, port or path.
fn parse_host_name(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 253
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "'{text}' is not a host name: letters, digits, '-' and '.' only, with no scheme or port (as node1.example)"
        ))
    }
}

/// An agent's HTTP address as a person writes it: `127.0.0.1:9001`, `localhost:9001`,
/// or the page's `http://127.0.0.1:9001/`; a host name is looked up (its first address).
fn parse_http_addr(text: &str) -> Result<SocketAddr, String> {
    if text.starts_with("https://") {
        return Err(format!(
            "'{text}': the agent's API is plain HTTP (keep it on loopback or a trusted network); write http://HOST:PORT or HOST:PORT"
        ));
    }
    let bare = text.strip_prefix("http://").unwrap_or(text);
    let bare = bare.strip_suffix('/').unwrap_or(bare);
    if bare.contains('/') {
        return Err(format!(
            "'{text}' has a path: give the agent's address alone, as http://127.0.0.1:9001 or 127.0.0.1:9001"
        ));
    }
    if let Ok(addr) = bare.parse() {
        return Ok(addr);
    }
    if !bare.contains(':') {
        return Err(format!(
            "'{text}' has no port: write HOST:PORT, as 127.0.0.1:9001"
        ));
    }
    std::net::ToSocketAddrs::to_socket_addrs(bare)
        .map_err(|e| format!("cannot look up '{bare}': {e}"))?
        .next()
        .ok_or_else(|| format!("'{bare}' names no address"))
}

/// The address the agent serves its API on: `127.0.0.1:9001`, or as the page's address
/// is written, `http://127.0.0.1:9001/`. Only an IP address: a name could be looked up
/// to an interface other than the one meant.
fn parse_listen_addr(text: &str) -> Result<SocketAddr, String> {
    if text.starts_with("https://") {
        return Err(format!(
            "'{text}': the agent serves plain HTTP (keep it on loopback or a trusted network); write IP:PORT, as 127.0.0.1:9001"
        ));
    }
    let bare = text.strip_prefix("http://").unwrap_or(text);
    let bare = bare.strip_suffix('/').unwrap_or(bare);
    bare.parse().map_err(|_| {
        format!("'{text}' is not IP:PORT, as 127.0.0.1:9001 or 0.0.0.0:9001 (an IP address to listen on, not a name)")
    })
}

/// A key on the command line: not empty (the API has no route for it).
fn parse_key(text: &str) -> Result<String, String> {
    if text.is_empty() {
        Err("a key cannot be empty".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

/// `--cluster-size`: at least one, the node itself.
fn parse_cluster_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(size) if size >= 1 => Ok(size),
        _ => Err(format!(
            "'{text}' is not a cluster size: a whole number, 1 or more"
        )),
    }
}

/// A `--timeout`: a positive number of seconds, at most an hour.
fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= 3_600.0 => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!(
            "'{text}' is not a timeout: a number of seconds above 0, at most 3600"
        )),
    }
}

/// Flags of `gossip members`.
#[derive(Clone, Debug, Args)]
pub struct MembersArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Only members in this state; repeated, those in any of them.
    #[arg(long = "status", value_parser = ["alive", "suspect", "dead", "left"])]
    pub statuses: Vec<String>,

    /// Only members whose whole name matches this regular expression, as in
    /// `serf members -name` (`n[1-3]`, `web-.*`).
    #[arg(long, value_name = "REGEX", value_parser = parse_name_filter)]
    pub name: Option<String>,

    /// Only members carrying tag KEY with a value that this regular expression matches
    /// whole (`role=web`, `role='web|db'`); repeated, only those matching every one.
    #[arg(long = "tag", value_name = "KEY=REGEX", value_parser = parse_tag_filter)]
    pub tags: Vec<(String, String)>,

    /// Table for people, JSON for programs.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Flags of `gossip stats`.
#[derive(Clone, Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// A summary and a table of messages by kind for people, or every counter as JSON
    /// for programs.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Flags of `gossip events`.
#[derive(Clone, Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// A line of words per event for people (its time in UTC, its kind and what
    /// happened), or a JSON object per line for programs.
    #[arg(long, value_enum, default_value_t = StreamFormat::Text)]
    pub format: StreamFormat,

    /// First print the events the agent reported lately (its last 100), then follow.
    #[arg(long)]
    pub recent: bool,

    /// Only events of this kind (joined, suspected, alive, dead, updated, left, removed,
    /// key_changed, user, ...; `lagged`, a reader falling behind, is always shown), or
    /// `user:NAME` for the user events of one name; may be repeated.
    #[arg(long, value_name = "KIND", value_parser = parse_event_kind)]
    pub kind: Vec<String>,
}

/// An event kind `gossip events --kind` takes, or `user:NAME`: the user events of that
/// name, as `--event-handler` and Serf write it.
fn parse_event_kind(text: &str) -> Result<String, String> {
    match text.strip_prefix("user:") {
        Some("") => Err("user: names no event: write user:NAME, e.g. user:deploy".into()),
        Some(name) => {
            gossip_core::UserEvent::check(name, "").map_err(|e| e.to_string())?;
            Ok(text.to_owned())
        }
        None => crate::event_handler::event_kind_named(text).map(str::to_owned),
    }
}

/// Flags of `gossip datagrams`.
#[derive(Clone, Debug, Args)]
pub struct DatagramsArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// A line of words per datagram for people (its time in UTC, which way, its kind,
    /// the peer, its size), or a JSON object per line for programs.
    #[arg(long, value_enum, default_value_t = StreamFormat::Text)]
    pub format: StreamFormat,

    /// Only datagrams of this kind (ping, ack, ping-req, nack, sync, gossip, rumor,
    /// rumor-feedback, rumor-pull, digest, deltas, sync-offer); may be repeated.
    #[arg(long, value_name = "KIND", value_parser = crate::datagram_watch::parse_kind)]
    pub kind: Vec<String>,
}

/// Words or JSON lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StreamFormat {
    Text,
    Json,
}

/// Table or JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

/// Flags of `gossip kv`.
#[derive(Clone, Debug, Args)]
pub struct KvArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    #[command(subcommand)]
    pub action: KvAction,
}

/// Flags of `gossip tags`.
#[derive(Clone, Debug, Args)]
pub struct TagsArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Add or change a tag, `KEY=VALUE`; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub set: Vec<(String, String)>,

    /// Remove a tag; repeatable.
    #[arg(long = "delete", value_name = "KEY")]
    pub delete: Vec<String>,

    /// `KEY=VALUE` lines for people, a JSON object for programs.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

/// Flags of `gossip event`.
#[derive(Clone, Debug, Args)]
pub struct EventArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// The event's name, for handlers to pick their events by (`deploy`): any text
    /// without control or bidirectional formatting characters.
    #[arg(value_name = "NAME", value_parser = parse_event_name)]
    pub name: String,

    /// What the handlers need to act on (none if left out): UTF-8 text, at most 512
    /// bytes with the name; `-` reads it from standard input.
    #[arg(value_name = "PAYLOAD", default_value = "")]
    pub payload: String,
}

/// Flags of `gossip force-leave`.
#[derive(Clone, Debug, Args)]
pub struct ForceLeaveArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// The member's name; the agent must hold it dead.
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// Flags of `gossip join`.
#[derive(Clone, Debug, Args)]
pub struct JoinArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// The UDP addresses of agents to join, `IP:PORT` or `HOST:PORT`.
    #[arg(required = true, value_name = "ADDR")]
    pub addrs: Vec<Seed>,
}

/// Flags of `gossip keygen`.
#[derive(Clone, Debug, Args)]
pub struct KeygenArgs {
    /// Write a new keyring file holding the new key (never overwrites a file), instead
    /// of printing the key.
    #[arg(long, value_name = "FILE")]
    pub keyring: Option<std::path::PathBuf>,
}

/// Flags of `gossip keys`.
#[derive(Clone, Debug, Args)]
pub struct KeysArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// The keys, the primary marked, for people; `{"keys": [...], "primary": KEY}` for
    /// programs.
    #[arg(long, value_enum, default_value_t = ListFormat::Table, global = true)]
    pub format: ListFormat,

    #[command(subcommand)]
    pub action: KeysAction,
}

/// What `gossip keys` does.
#[derive(Clone, Debug, Subcommand)]
pub enum KeysAction {
    /// The agent's keys, the primary (the one it seals with) first.
    List,
    /// Add KEY: datagrams sealed with it are opened from now on.
    Install { key: String },
    /// Seal with KEY (already installed) from now on.
    Use { key: String },
    /// Forget KEY (not the primary).
    Remove { key: String },
}

/// What `gossip kv` does.
#[derive(Clone, Debug, Subcommand)]
pub enum KvAction {
    /// Write KEY = VALUE on the agent; it spreads from there.
    Put {
        /// The key: any text but empty, up to `max_key_len` bytes.
        #[arg(value_parser = parse_key)]
        key: String,
        /// The value: UTF-8 text, up to `max_value_len` bytes; `-` reads it from
        /// standard input, to its end and byte for byte.
        value: String,
    },
    /// Read KEY as the agent holds it (concurrent siblings listed).
    Get {
        /// The key.
        #[arg(value_parser = parse_key)]
        key: String,
        /// The value and its versions for people, the API's JSON for programs.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Delete KEY (a tombstone that spreads).
    Delete {
        /// The key.
        #[arg(value_parser = parse_key)]
        key: String,
    },
    /// Every key the agent holds (deleted ones only with `--deleted`).
    List {
        /// `KEY = VALUE` lines for people, the API's JSON for programs.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Also list deleted keys whose tombstones are still held.
        #[arg(long)]
        deleted: bool,
    },
}

/// Flags of `gossip cluster`.
#[derive(Clone, Debug, Args)]
pub struct ClusterArgs {
    /// How many agents.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=200))]
    pub nodes: u16,

    /// UDP port of the first agent; the others take the next ones (not 0: each agent
    /// joins the first at its port).
    #[arg(long, default_value_t = 7946, value_parser = clap::value_parser!(u16).range(1..))]
    pub base_port: u16,

    /// HTTP port of the first agent's API; the others take the next ones (not 0: the
    /// launcher finds each agent at its port).
    #[arg(long, default_value_t = 9001, value_parser = clap::value_parser!(u16).range(1..))]
    pub http_base: u16,

    /// Protocol preset of every agent.
    #[arg(long, value_enum, default_value_t = Preset::Demo)]
    pub preset: Preset,

    /// Record every agent's events into FILE (JSON lines: a header, then each event
    /// with its time and node), a trace of the real cluster to look at afterwards.
    #[arg(long, value_name = "FILE")]
    pub record: Option<std::path::PathBuf>,

    /// Change one configuration field of every agent (as `gossip agent --set`).
    #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = parse_setting)]
    pub settings: Vec<(String, String)>,

    /// A TOML file of configuration fields for every agent (as `gossip agent --config`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Keep each agent's store, writer identity and incarnation under DIR/NAME (as
    /// `gossip agent --data-dir`), so that an agent killed and started again from the
    /// printed command comes back with its keys.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,

    /// Where the web page's build is, for every agent (as `gossip agent --ui-dir`).
    #[arg(long, value_name = "DIR")]
    pub ui_dir: Option<std::path::PathBuf>,

    /// A command every agent runs on each event of the kinds named (as `gossip agent
    /// --event-handler`), in the launcher's directory: GOSSIP_SELF_NAME tells which
    /// agent runs it. Repeatable.
    #[arg(long = "event-handler", value_name = "[KINDS=]COMMAND")]
    pub event_handlers: Vec<crate::event_handler::EventHandler>,
}

/// Flags of `gossip sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    #[command(subcommand)]
    pub experiment: Experiment,
}

/// The experiments.
#[derive(Debug, Subcommand)]
pub enum Experiment {
    /// Crash one member of a converged cluster; time until it is first suspected and
    /// until every live member holds it dead (in protocol periods), and the traffic.
    Detection(CommonSimArgs),
    /// A new member joins through one seed; time until every member holds it alive.
    Dissemination(CommonSimArgs),
    /// No crashes, some slow members: count suspicions and deaths of healthy members.
    FalsePositives(FalsePositiveArgs),
    /// Demers' rumor-mongering model run through the real rumor code: one update, one
    /// contact per cycle, aligned cycles, no loss; residue, traffic, t_ave, t_last.
    Rumor(RumorArgs),
    /// Anti-entropy alone: one update at one node; cycles until every node holds it.
    AntiEntropy(AntiEntropyArgs),
    /// Simulator speed: a converged cluster running SWIM and dissemination with no
    /// faults; deliveries, wall time, deliveries per second and peak memory.
    Bench(BenchArgs),
    /// Random fault schedules (crashes, restarts, partitions, one-way cuts, loss,
    /// duplication, per-link latency and loss, slow and paused nodes, leaves, joins,
    /// writes), each healed, run to quiet and checked for completeness, accuracy,
    /// convergence and durability.
    Chaos(ChaosArgs),
    /// Load a trace written by `chaos --trace`, run it again, check that it is the same
    /// run (its digest), and print its last events and what the checkers say.
    Replay(ReplayArgs),
}

/// Flags of `gossip sim chaos`.
#[derive(Clone, Debug, Args)]
pub struct ChaosArgs {
    /// How many schedules, seeded SEED, SEED+1, ...
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub schedules: u32,

    /// Cluster size.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(3..=10_000))]
    pub nodes: u32,

    /// Seed of the first schedule.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Faults per schedule.
    #[arg(long, default_value_t = 30)]
    pub steps: u32,

    /// Write the trace (setup, commands, digest) of the first schedule that breaks an
    /// invariant, or of the first schedule if none does, to this JSON file; `gossip
    /// sim replay FILE` runs it again.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<std::path::PathBuf>,

    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Flags of `gossip sim replay`.
#[derive(Clone, Debug, Args)]
pub struct ReplayArgs {
    /// A trace file (JSON), as `gossip sim chaos --trace FILE` writes.
    pub file: std::path::PathBuf,

    /// How many of the last node events to print.
    #[arg(long, default_value_t = 20)]
    pub events: usize,

    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Flags of `gossip sim bench`.
#[derive(Clone, Debug, Args)]
pub struct BenchArgs {
    /// Cluster size.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub nodes: u32,

    /// Protocol periods to simulate.
    #[arg(long, default_value_t = 100)]
    pub periods: u32,

    /// Seed of the run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Flags of `gossip sim rumor`.
#[derive(Clone, Debug, Args)]
pub struct RumorArgs {
    #[command(flatten)]
    pub common: CommonSimArgs,

    /// Who starts each exchange.
    #[arg(long, default_value_t = GossipMode::Push, value_parser = choice::<GossipMode>(GossipMode::NAMES))]
    pub mode: GossipMode,

    /// How a rumor loses excitement and stops.
    #[arg(long, default_value_t = Cooling::FeedbackCounter, value_parser = choice::<Cooling>(Cooling::NAMES))]
    pub cooling: Cooling,

    /// Demers' k: the counter's start, or the coin's odds (1/k).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub k: u32,

    /// When excitement is reckoned: per round, as in Demers' synchronous model (which
    /// reproduces the paper's Tables 1-3), or per message, as an asynchronous network
    /// gives it.
    #[arg(long, default_value_t = RumorAccounting::PerRound, value_parser = choice::<RumorAccounting>(RumorAccounting::NAMES))]
    pub accounting: RumorAccounting,
}

/// Flags of `gossip sim anti-entropy`.
#[derive(Clone, Debug, Args)]
pub struct AntiEntropyArgs {
    #[command(flatten)]
    pub common: CommonSimArgs,

    /// Who sends what in each exchange.
    #[arg(long, default_value_t = GossipMode::PushPull, value_parser = choice::<GossipMode>(GossipMode::NAMES))]
    pub mode: GossipMode,
}

/// Flags every experiment takes.
#[derive(Clone, Debug, Args)]
pub struct CommonSimArgs {
    /// Cluster size.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub nodes: u32,

    /// Independent runs, seeded SEED, SEED+1, ...
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub runs: u32,

    /// Seed of the first run; the same seed gives the same results.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Probability in 0..=1 that a datagram is lost.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability, allow_negative_numbers = true)]
    pub loss: f64,

    /// Protocol preset the runs start from (lan and wan are scaled to --nodes).
    #[arg(long, value_enum, default_value_t = Preset::Lan)]
    pub preset: Preset,

    /// Change one configuration field, e.g. `--set lifeguard=false` or
    /// `--set probe_interval=500ms`; repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = parse_setting)]
    pub settings: Vec<(String, String)>,

    /// How to print the results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Flags of `gossip sim false-positives`.
#[derive(Clone, Debug, Args)]
pub struct FalsePositiveArgs {
    #[command(flatten)]
    pub common: CommonSimArgs,

    /// Simulated seconds per run.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub duration: u64,

    /// Fraction in 0..=1 of members that are slow.
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability, allow_negative_numbers = true)]
    pub slow: f64,

    /// How late, on average, a slow member handles each datagram, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub slow_lag_ms: u64,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned `name value` lines.
    Table,
    /// One JSON object: experiment, seed, runs, params, results.
    Json,
    /// A header line and one row.
    Csv,
}

impl CommonSimArgs {
    /// The preset scaled to the cluster size, with every `--set` applied and validated.
    pub fn config(&self) -> Result<Config, gossip_core::Error> {
        let mut config = self.preset.config(self.nodes as usize);
        for (field, value) in &self.settings {
            config.set(field, value)?;
        }
        config.validate()?;
        Ok(config)
    }
}

/// A parser for one of the core's named choices, listing them in `--help` and in the
/// error for a wrong one.
fn choice<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names).try_map(|name| name.parse::<T>())
}

fn parse_probability(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{text:?} is not a probability between 0 and 1")),
    }
}

fn parse_setting(text: &str) -> Result<(String, String), String> {
    let (field, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not FIELD=VALUE"))?;
    let mut probe = Config::demo();
    probe.set(field.trim(), value).map_err(|e| e.to_string())?;
    Ok((field.trim().to_owned(), value.trim().to_owned()))
}

/// Flags of `gossip agent`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// This node's name, unique in the cluster (1-64 bytes); the machine's host name
    /// when not given, as Serf's default is (two agents on one machine each need one).
    #[arg(long, value_parser = parse_node_id, default_value_t = host_name())]
    pub name: NodeId,

    /// UDP address to listen on.
    #[arg(long, default_value = "127.0.0.1:7946")]
    pub bind: SocketAddr,

    /// Address of a member to join through, `IP:PORT` or `HOST:PORT`; repeat for
    /// several seeds. A host name is resolved again before each join retry and
    /// reconnect. Without it the node starts a new cluster.
    #[arg(long = "join", value_name = "HOST:PORT")]
    pub join: Vec<Seed>,

    /// The address the other members should use for this node, when it is not the
    /// bind address: needed with `--bind 0.0.0.0:PORT`, or behind NAT.
    #[arg(long, value_name = "ADDR")]
    pub advertise: Option<SocketAddr>,

    /// Protocol timing preset.
    #[arg(long, value_enum, default_value_t = Preset::Demo)]
    pub preset: Preset,

    /// Expected cluster size, which scales the lan and wan presets' suspicion timeout.
    #[arg(long, default_value_t = 5, value_parser = parse_cluster_size)]
    pub cluster_size: usize,

    /// Seed for the node's random choices (default: from the OS).
    #[arg(long)]
    pub rng_seed: Option<u64>,

    /// Keep the node's store, writer identity and incarnation in this directory, so a
    /// restart (even after `kill -9`) comes back with every acknowledged key.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,

    /// Serve the HTTP API (members, key/value store, stats, events) on this address:
    /// IP:PORT (`http://` may lead).
    #[arg(long, value_name = "ADDR", value_parser = parse_listen_addr)]
    pub http: Option<SocketAddr>,

    /// A host name the page and API may be reached by, besides IP addresses and
    /// localhost (as `node1.example`); repeatable. Requests naming any other host are
    /// refused, so that a page cannot reach the agent by pointing its own name at it
    /// (DNS rebinding).
    #[arg(long = "http-host", value_name = "NAME", value_parser = parse_host_name)]
    pub http_hosts: Vec<String>,

    /// Where the web page's build is (`trunk build` output), served at `/` of the HTTP
    /// address in live mode. Default: the `dist` directory of the source tree this
    /// binary was built from.
    #[arg(long, value_name = "DIR")]
    pub ui_dir: Option<std::path::PathBuf>,

    /// A TOML file of configuration fields (`probe_interval = "500ms"`, `fanout = 4`,
    /// `[lifeguard]` ...), applied over the preset; `GOSSIP_<FIELD>` environment
    /// variables go over the file, and `--set` over both.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// A tag for this node, `KEY=VALUE` (e.g. `role=web`), carried to every member
    /// with its alive news; repeatable. 256 bytes of tags on the wire at most.
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag)]
    pub tags: Vec<(String, String)>,

    /// A file of secret keys (a JSON array of base64 keys, the primary first; make one
    /// with `gossip keygen --keyring FILE`): every datagram is sealed with the primary
    /// key (XChaCha20-Poly1305) and opened with any key of the ring; key changes made
    /// with `gossip keys` are saved back to it.
    #[arg(long, value_name = "FILE")]
    pub keyring: Option<std::path::PathBuf>,

    /// The cluster's name (1-64 bytes), bound into every datagram, so that clusters with
    /// different names never merge, even on the same addresses.
    #[arg(long, value_name = "NAME", value_parser = parse_cluster_name)]
    pub cluster_name: Option<String>,

    /// Change one configuration field, e.g. `--set fanout=4`; repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE", value_parser = parse_setting)]
    pub settings: Vec<(String, String)>,

    /// A command to run on each event of the kinds named (`dead,left=./on-failure.sh`;
    /// every kind without `KINDS=`), like `serf agent -event-handler`: it runs under
    /// `sh -c` with the event as one line of JSON on standard input and in `GOSSIP_*`
    /// environment variables (GOSSIP_EVENT, GOSSIP_MEMBER, GOSSIP_MEMBER_ADDRESS, ...).
    /// Handlers run one at a time, in the order of the events; one still running after
    /// 60 s is killed. Repeatable.
    #[arg(long = "event-handler", value_name = "[KINDS=]COMMAND")]
    pub event_handlers: Vec<crate::event_handler::EventHandler>,

    /// Leave gracefully when standard input closes. `gossip cluster` starts its agents
    /// with this and keeps their standard input open: if the launcher itself is killed
    /// (`kill -9`), the kernel closes it, and the agents stop instead of holding their
    /// ports.
    #[arg(long, hide = true)]
    pub stop_when_stdin_closes: bool,
}

/// Named configuration presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    /// The original demos' numbers: 1 s probes, 5 s suspicion, fanout 3.
    Demo,
    /// A local network (memberlist-like LAN timings).
    Lan,
    /// A wide-area network (memberlist-like WAN timings).
    Wan,
}

impl Preset {
    /// The name `--preset` takes.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Demo => "demo",
            Preset::Lan => "lan",
            Preset::Wan => "wan",
        }
    }

    /// The protocol configuration of this preset.
    pub fn config(self, cluster_size: usize) -> Config {
        match self {
            Preset::Demo => Config::demo(),
            Preset::Lan => Config::lan(cluster_size),
            Preset::Wan => Config::wan(cluster_size),
        }
    }
}

fn parse_tag(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("a tag is KEY=VALUE, {text:?} has no '='"))?;
    gossip_core::Tags::new([(key, value)]).map_err(|e| e.to_string())?;
    Ok((key.to_owned(), value.to_owned()))
}

/// `event NAME`: refused here as the agent would refuse it, before it is asked.
fn parse_event_name(name: &str) -> Result<String, String> {
    gossip_core::UserEvent::check(name, "").map_err(|e| e.to_string())?;
    Ok(name.to_owned())
}

/// `members --name`: a regular expression, checked here so that a typo is said before
/// the agent is asked.
fn parse_name_filter(pattern: &str) -> Result<String, String> {
    crate::member_filter::whole_match(pattern)?;
    Ok(pattern.to_owned())
}

/// `members --tag`: `KEY=REGEX`.
fn parse_tag_filter(text: &str) -> Result<(String, String), String> {
    let (key, pattern) = text
        .split_once('=')
        .ok_or_else(|| format!("a tag filter is KEY=REGEX, {text:?} has no '='"))?;
    crate::member_filter::whole_match(pattern)?;
    Ok((key.to_owned(), pattern.to_owned()))
}

fn parse_cluster_name(name: &str) -> Result<String, String> {
    if name.is_empty() || name.len() > 64 {
        return Err(format!(
            "a cluster name is 1 to 64 bytes, {name:?} is {}",
            name.len()
        ));
    }
    Ok(name.to_owned())
}

/// The machine's host name as a node name, or `node` where it cannot be one (unknown,
/// not UTF-8, too long).
fn host_name() -> NodeId {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| NodeId::new(name.to_str()?).ok())
        .unwrap_or_else(|| NodeId::new("node").expect("a name"))
}

/// `--name`: a node name, and one that reads as itself wherever it is shown (peers
/// still take a name holding such characters from an older build).
fn parse_node_id(name: &str) -> Result<NodeId, String> {
    let id = NodeId::new(name).map_err(|e| e.to_string())?;
    if name.chars().any(gossip_core::misleads_in_a_name) {
        return Err(format!(
            "a node name must not contain bidirectional formatting characters or line \
             separators, which make it read as another: {name:?}"
        ));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without `--name` an agent takes the machine's host name, as Serf's does.
    #[test]
    fn an_agent_is_named_after_its_host_by_default() {
        let cli = Cli::try_parse_from(["gossip", "agent"]).unwrap();
        let Command::Agent(args) = cli.command else {
            panic!("parsed as agent");
        };
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(args.name.as_str(), host.trim());
        let cli = Cli::try_parse_from(["gossip", "agent", "--name", "n7"]).unwrap();
        let Command::Agent(args) = cli.command else {
            panic!("parsed as agent");
        };
        assert_eq!(args.name.as_str(), "n7");
    }
}
