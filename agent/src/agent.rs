//! The agent: one gossip node on a UDP socket.
//!
//! ```text
//!   datagrams ──► ┌──────────────┐ ──► datagrams
//!   timeouts ───► │  core::Node  │ ──► events (tracing, and a broadcast channel)
//!   commands ───► └──────────────┘ ──► answers (AgentHandle)
//! ```
//!
//! [`Agent::run`] owns the node and the socket; [`AgentHandle`] talks to it from other
//! tasks (the HTTP API among them): commands over a channel, each answered on its own
//! oneshot, and every event the node reports on a broadcast channel. Shutdown is a
//! future passed to `run`, so tests and the binary stop an agent the same way: the node
//! leaves gracefully, keeps gossiping for a short grace period so the news gets out, and
//! the loop ends. A leave asked for through the handle does the same.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tracing::Instrument;

use gossip_core::{
    Config, Event, Instant, MemberState, Node, NodeId, NodeStatus, Restored, Tags, Version,
};
use tokio::net::UdpSocket;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time;
use tracing::{debug, info, warn};

use crate::envelope::Envelope;
use crate::event_feed::EventLog;
pub use crate::event_feed::{EventFeed, EventId, FollowFrom};
use crate::event_handler::HandlerRuns;
use crate::keyring::{Key, KeyringError, KeyringFile};
pub use crate::persist::DataDir;
use crate::persist::{Loaded, Saved};
use crate::refusals::RefusalLog;
pub use crate::seeds::Seed;
use crate::seeds::{SeedAddrs, resolve_each};

/// The channel seed lookups come back on.
type Lookups = (
    mpsc::Sender<Vec<Vec<SocketAddr>>>,
    mpsc::Receiver<Vec<Vec<SocketAddr>>>,
);
pub use crate::view::{
    DatagramInfo, KeyInfo, KeysInfo, MemberInfo, RecentEvent, RefusedInfo, StatsInfo,
};

/// What an agent needs besides its socket.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    /// The node's name.
    pub name: NodeId,
    /// Seeds to join through; empty to start a new cluster. Host names are resolved
    /// again before each join retry and reconnect.
    pub join: Vec<Seed>,
    /// The address other members should use for this node, when it is not the socket's
    /// own (a socket bound to 0.0.0.0, or behind NAT).
    pub advertise: Option<SocketAddr>,
    /// Protocol settings.
    pub config: Config,
    /// Seed of the node's RNG.
    pub rng_seed: u64,
    /// The cluster's name, bound into every datagram: clusters with different names
    /// ignore each other even on the same addresses.
    pub cluster_name: Option<String>,
    /// This node's tags, announced with its alive news (changeable while it runs).
    pub tags: Tags,
    /// Seal every datagram with this keyring ([`crate::envelope`]); key changes are
    /// saved back to its file.
    pub keyring: Option<KeyringFile>,
}

/// Why a command to an agent failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The agent's loop has ended.
    #[error("the agent has stopped")]
    Stopped,
    /// The socket could not tell its own address.
    #[error("the socket has no local address: {0}")]
    LocalAddr(std::io::Error),
    /// The protocol core rejected the request.
    #[error(transparent)]
    Core(#[from] gossip_core::Error),
    /// The data dir could not be read or written.
    #[error("{0}")]
    Disk(String),
    /// A key change was refused, or the keyring file could not be written.
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    /// A seed given as an address the socket cannot send to.
    #[error(
        "--join {seed}: this agent's socket is {family} ({bound}) and cannot send to it; bind an address of the seed's family, or give a seed name that resolves to one"
    )]
    SeedOfOtherFamily {
        seed: SocketAddr,
        bound: SocketAddr,
        family: &'static str,
    },
    /// Key commands need an agent started with `--keyring`.
    #[error(
        "this agent runs without a keyring: start it with --keyring FILE to seal its datagrams"
    )]
    NoKeyring,
}

/// A change to the keyring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// Add a key: datagrams sealed with it are opened from now on.
    Install,
    /// Seal with this (installed) key from now on.
    Use,
    /// Forget a key that is not the primary.
    Remove,
}

/// A question or an order for the agent's loop, with where to send the answer.
enum Command {
    Members(oneshot::Sender<Vec<MemberInfo>>),
    Member(NodeId, oneshot::Sender<Option<MemberInfo>>),
    Keys(oneshot::Sender<Vec<KeyInfo>>),
    Key(String, oneshot::Sender<Option<KeyInfo>>),
    Put(String, String, oneshot::Sender<Result<Version, AgentError>>),
    Delete(String, oneshot::Sender<Result<Option<Version>, AgentError>>),
    UserEvent(String, String, oneshot::Sender<Result<(), AgentError>>),
    Stats(oneshot::Sender<StatsInfo>),
    RecentEvents(oneshot::Sender<Vec<RecentEvent>>),
    Follow(FollowFrom, oneshot::Sender<EventFeed>),
    WatchDatagrams(oneshot::Sender<broadcast::Receiver<(Direction, DatagramInfo)>>),
    Config(oneshot::Sender<Config>),
    Leave(oneshot::Sender<()>),
    Contact(
        Vec<SocketAddr>,
        oneshot::Sender<Result<Vec<SocketAddr>, AgentError>>,
    ),
    ForceLeave(NodeId, oneshot::Sender<Result<bool, AgentError>>),
    Keyring(oneshot::Sender<Result<KeysInfo, AgentError>>),
    SetTags(Tags, oneshot::Sender<()>),
    PatchTags(TagPatch, oneshot::Sender<Result<Tags, AgentError>>),
    ChangeKey(
        KeyChange,
        Key,
        oneshot::Sender<Result<KeysInfo, AgentError>>,
    ),
}

/// A change to some tags: each key set to a value, or with `None` deleted (a JSON merge
/// patch, RFC 7396, as `PATCH /api/tags` takes it).
pub type TagPatch = std::collections::BTreeMap<String, Option<String>>;

pub use crate::event_feed::RECENT_EVENTS;

/// How many datagrams a slow watcher may fall behind before it misses some.
const DATAGRAM_BACKLOG: usize = 1024;

/// Which way a datagram went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

impl Direction {
    /// `sent` or `received`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "sent",
            Direction::Received => "received",
        }
    }
}

/// Talks to a running agent from any task.
#[derive(Clone, Debug)]
pub struct AgentHandle {
    commands: mpsc::Sender<Command>,
    local_addr: SocketAddr,
    name: NodeId,
    handler_runs: Arc<HandlerRuns>,
}

impl AgentHandle {
    /// The address the agent's socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The agent's node name.
    pub fn name(&self) -> &NodeId {
        &self.name
    }

    /// Where its event handlers count their runs, for its statistics.
    pub fn handler_runs(&self) -> &HandlerRuns {
        &self.handler_runs
    }

    /// Every event the node reports (joins, suspicions, deaths, key changes, ...) from
    /// `from` on: the kept ones it asks for, then each new one live, with nothing
    /// between the two lost or repeated. A listener that falls more than 1,024 events
    /// behind is told how many it missed.
    pub async fn follow(&self, from: FollowFrom) -> Result<EventFeed, AgentError> {
        self.ask(|reply| Command::Follow(from, reply)).await
    }

    /// Every datagram the agent sends or receives from now on, decoded only while
    /// somebody listens, until the agent stops. A listener that falls more than 1,024
    /// behind misses some.
    pub async fn watch_datagrams(
        &self,
    ) -> Result<broadcast::Receiver<(Direction, DatagramInfo)>, AgentError> {
        self.ask(Command::WatchDatagrams).await
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, AgentError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .await
            .map_err(|_| AgentError::Stopped)?;
        answer.await.map_err(|_| AgentError::Stopped)
    }

    /// The agent's member table, itself first, then by name.
    pub async fn members(&self) -> Result<Vec<MemberInfo>, AgentError> {
        self.ask(Command::Members).await
    }

    /// Another member as the agent holds it, if it does.
    pub async fn member(&self, id: &NodeId) -> Result<Option<MemberInfo>, AgentError> {
        self.ask(|reply| Command::Member(id.clone(), reply)).await
    }

    /// Every key the node holds, with its versions.
    pub async fn keys(&self) -> Result<Vec<KeyInfo>, AgentError> {
        self.ask(Command::Keys).await
    }

    /// One key with its versions, `None` if the node never held it.
    pub async fn key(&self, key: &str) -> Result<Option<KeyInfo>, AgentError> {
        self.ask(|reply| Command::Key(key.to_owned(), reply)).await
    }

    /// Writes `key = value` on this node; it spreads from here.
    pub async fn put(&self, key: &str, value: &str) -> Result<Version, AgentError> {
        self.ask(|reply| Command::Put(key.to_owned(), value.to_owned(), reply))
            .await?
    }

    /// Deletes `key`; `None` if it held no value here.
    pub async fn delete(&self, key: &str) -> Result<Option<Version>, AgentError> {
        self.ask(|reply| Command::Delete(key.to_owned(), reply))
            .await?
    }

    /// Sends a user event to every member, this one included: `name` for handlers to
    /// pick it by, `payload` for them to act on.
    pub async fn send_user_event(&self, name: &str, payload: &str) -> Result<(), AgentError> {
        self.ask(|reply| Command::UserEvent(name.to_owned(), payload.to_owned(), reply))
            .await?
    }

    /// The node's counters.
    pub async fn stats(&self) -> Result<StatsInfo, AgentError> {
        self.ask(Command::Stats).await
    }

    /// The last [`RECENT_EVENTS`] events the node reported, oldest first.
    pub async fn recent_events(&self) -> Result<Vec<RecentEvent>, AgentError> {
        self.ask(Command::RecentEvents).await
    }

    /// The protocol settings in force.
    pub async fn config(&self) -> Result<Config, AgentError> {
        self.ask(Command::Config).await
    }

    /// The keyring: every key, the primary first.
    pub async fn keyring(&self) -> Result<KeysInfo, AgentError> {
        self.ask(Command::Keyring).await?
    }

    /// Installs, uses or removes a key, saves the keyring file, and answers the ring.
    pub async fn change_key(&self, change: KeyChange, key: Key) -> Result<KeysInfo, AgentError> {
        self.ask(|reply| Command::ChangeKey(change, key, reply))
            .await?
    }

    /// Replaces this node's tags; the cluster hears them with its next alive news.
    pub async fn set_tags(&self, tags: Tags) -> Result<(), AgentError> {
        self.ask(|reply| Command::SetTags(tags, reply)).await
    }

    /// Changes some of this node's tags, the others kept: `patch` sets a key to a value,
    /// or with `None` deletes it. Made in the agent's own task, between two others, so
    /// that changes made at once by several clients all stand. Answers the tags now
    /// held; tags out of bounds change nothing.
    pub async fn patch_tags(&self, patch: TagPatch) -> Result<Tags, AgentError> {
        self.ask(|reply| Command::PatchTags(patch, reply)).await?
    }

    /// Leaves the cluster gracefully and stops the agent, as its shutdown future would.
    pub async fn leave(&self) -> Result<(), AgentError> {
        self.ask(Command::Leave).await
    }

    /// Declares `member`, which the agent holds dead, to have left the cluster
    /// ([`gossip_core::Node::force_leave`]), as `serf force-leave` does. Returns
    /// whether this was news (false: it had left already).
    pub async fn force_leave(&self, member: NodeId) -> Result<bool, AgentError> {
        self.ask(|reply| Command::ForceLeave(member, reply)).await?
    }

    /// Sends each of `addrs` a full-state exchange now ([`gossip_core::Node::contact`]),
    /// without waiting for answers ([`AgentHandle::join`] waits). Returns the
    /// addresses contacted: `addrs` without repeats or the agent's own.
    pub async fn contact(&self, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, AgentError> {
        self.ask(|reply| Command::Contact(addrs, reply)).await?
    }
}

/// A gossip node bound to a UDP socket.
#[derive(Debug)]
pub struct Agent {
    node: Node,
    socket: UdpSocket,
    /// The seeds as given, where they were last found, and the members a data dir
    /// remembered.
    seeds: Vec<Seed>,
    seed_addrs: SeedAddrs,
    /// What the log was last told of refused datagrams.
    refusals: RefusalLog,
    saved_peers: Vec<SocketAddr>,
    /// Seed lookups done in the background, and when to look them up next.
    resolved: Lookups,
    resolve_at: Option<time::Instant>,
    /// When to say that no seed has answered yet, while joining; and how long it has
    /// been.
    join_warning: Option<(time::Instant, std::time::Duration)>,
    epoch: time::Instant,
    commands: mpsc::Receiver<Command>,
    /// The node's events, numbered, the latest kept, sent to every listener.
    events: EventLog,
    /// Each datagram sent or received, to whoever watches them. Only the agent holds
    /// the sender, so the watchers' streams end when it stops.
    datagrams: broadcast::Sender<(Direction, DatagramInfo)>,
    /// A leave asked for through the handle.
    leave_requested: bool,
    /// Where the node's state survives a restart, and what was saved last.
    data_dir: Option<Persisted>,
    /// Seals and opens datagrams; the keyring's file, to save key changes to.
    envelope: Envelope,
    keyring_file: Option<KeyringFile>,
    /// How its event handlers' runs ended, counted by their task.
    handler_runs: Arc<HandlerRuns>,
}

/// A data directory, what was saved in it last, and when the node was last saved as
/// in touch with the cluster.
#[derive(Debug)]
struct Persisted {
    dir: DataDir,
    mark: SavedMark,
    /// The node's last hearing from the cluster that was saved, and when it was saved.
    heard_saved: Option<(Instant, time::Instant)>,
}

/// How often, at most, the time the node last heard from the cluster is saved again:
/// a restart measures its absence from it against `tombstone_grace`, and a time saved
/// late only makes the absence look longer, which holds the store aside when it need
/// not be (safe, and a second is nothing next to the minutes the presets give).
const HEARD_SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// What tells whether the persisted state changed: the incarnation, the store's
/// summary (every version ever applied), its key count (tombstones collected), the
/// members by state and whether a store is held aside.
type SavedMark = (u32, u64, usize, [usize; MemberState::ALL.len()], bool);

fn mark_of(node: &Node) -> SavedMark {
    // Wrapping: a peer's clock entry can be any number; a sum is only a change detector.
    let versions = node
        .store()
        .summary()
        .iter()
        .fold(0u64, |sum, (_, seq)| sum.wrapping_add(seq));
    (
        node.incarnation(),
        versions,
        node.store().len(),
        node.member_counts(),
        node.holds_store_aside(),
    )
}

/// What the data dir keeps of `node`.
fn saved(node: &Node) -> Saved {
    Saved {
        node: node.persisted(),
        peers: node
            .members()
            .filter(|m| m.state.is_active())
            .map(|m| m.addr)
            .collect(),
    }
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Command::Members(_) => "Members",
            Command::Member(..) => "Member",
            Command::Keys(_) => "Keys",
            Command::Key(..) => "Key",
            Command::Put(..) => "Put",
            Command::Delete(..) => "Delete",
            Command::UserEvent(..) => "UserEvent",
            Command::Stats(_) => "Stats",
            Command::RecentEvents(_) => "RecentEvents",
            Command::Follow(..) => "Follow",
            Command::WatchDatagrams(_) => "WatchDatagrams",
            Command::Config(_) => "Config",
            Command::Leave(_) => "Leave",
            Command::Contact(..) => "Contact",
            Command::ForceLeave(..) => "ForceLeave",
            Command::Keyring(_) => "Keyring",
            Command::SetTags(..) => "SetTags",
            Command::PatchTags(..) => "PatchTags",
            Command::ChangeKey(..) => "ChangeKey",
        };
        f.write_str(name)
    }
}

impl Agent {
    /// An agent on `socket`; nothing happens until [`Agent::run`].
    pub fn new(
        socket: UdpSocket,
        options: AgentOptions,
    ) -> Result<(Agent, AgentHandle), AgentError> {
        let local_addr = socket.local_addr().map_err(AgentError::LocalAddr)?;
        // A seed name may resolve to both families (its other addresses are left out
        // when looked up); an address of the other family can never be reached.
        if let Some(&Seed::Addr(seed)) = options.join.iter().find(
            |seed| matches!(seed, Seed::Addr(addr) if !crate::seeds::can_send(local_addr, *addr)),
        ) {
            return Err(AgentError::SeedOfOtherFamily {
                seed,
                bound: local_addr,
                family: if local_addr.is_ipv4() { "IPv4" } else { "IPv6" },
            });
        }
        let name = options.name.clone();
        let advertised = options.advertise.unwrap_or(local_addr);
        let envelope = Envelope::new(
            options.cluster_name,
            options.keyring.as_ref().map(|file| file.ring.clone()),
        );
        // The configured mtu is what goes on the wire: the protocol gets what the
        // envelope leaves of it.
        let mut config = options.config;
        config.mtu = config.mtu.saturating_sub(envelope.overhead());
        let mut node = Node::new(options.name, advertised, config, options.rng_seed)?;
        // The writer's epoch comes from the OS even when the seed is fixed (`--rng-seed`):
        // a restart without a data directory is a new writer, never a second life of
        // the old one (a data directory restores the old writer instead).
        node.renew_writer(rand::random());
        node.set_tags(options.tags);
        let (sender, commands) = mpsc::channel(64);
        let (datagrams, _) = broadcast::channel(DATAGRAM_BACKLOG);
        let handler_runs = Arc::new(HandlerRuns::default());
        let agent = Agent {
            node,
            socket,
            seeds: options.join,
            seed_addrs: SeedAddrs::for_socket(local_addr),
            refusals: RefusalLog::default(),
            saved_peers: Vec::new(),
            resolved: mpsc::channel(1),
            resolve_at: None,
            join_warning: None,
            epoch: time::Instant::now(),
            commands,
            // Random, so that a listener's ids from an earlier life are never taken
            // for this one's.
            events: EventLog::new(rand::random()),
            datagrams,
            leave_requested: false,
            data_dir: None,
            envelope,
            keyring_file: options.keyring,
            handler_runs: handler_runs.clone(),
        };
        Ok((
            agent,
            AgentHandle {
                commands: sender,
                local_addr,
                name,
                handler_runs,
            },
        ))
    }

    /// Keeps the node's state in `dir`: a state saved there before is taken back (the
    /// same writer, its store, and an incarnation one higher than it had, since this is
    /// a new life of the node; after `tombstone_grace` away from the cluster, the store
    /// is held aside until the node has caught up), and every change is saved from now
    /// on.
    pub fn with_data_dir(mut self, dir: DataDir) -> Result<Agent, AgentError> {
        if let Some(Loaded {
            saved: Saved {
                node: mut state,
                peers,
            },
            heard_at_unix_ms,
        }) = dir.load().map_err(AgentError::Disk)?
        {
            if state.replica.node != *self.node.id() {
                return Err(AgentError::Disk(format!(
                    "the data dir holds the state of {}, not {}",
                    state.replica.node,
                    self.node.id()
                )));
            }
            state.incarnation = state.incarnation.saturating_add(1);
            let (incarnation, keys) = (state.incarnation, state.store.len());
            // Unknown (never saved, or damaged) counts as long away: holding the store
            // aside costs a catch-up, taking back forgotten deletes cannot be undone.
            // But a node that never heard from a peer (alone, or its seeds not yet
            // up) holds only its own writes: no peer forgot a delete of them, so it
            // takes its store back and writes on as the same writer. A clock set back
            // reads as no time away.
            let only_own_writes = state.aside.is_none()
                && state
                    .store
                    .summary()
                    .iter()
                    .all(|(writer, _)| *writer == state.replica);
            let away = match heard_at_unix_ms {
                Some(at) => Some(gossip_core::Duration::from_millis(
                    wall_clock_ms().saturating_sub(at),
                )),
                None if only_own_writes => None,
                None => Some(gossip_core::Duration::from_millis(u64::MAX)),
            };
            let away_text = match (heard_at_unix_ms, away) {
                (Some(_), Some(away)) => away.to_string(),
                _ => "unknown".to_owned(),
            };
            match self.node.restore(state, away) {
                Restored::Whole => info!(
                    incarnation,
                    keys,
                    peers = peers.len(),
                    away = %away_text,
                    "restored from the data dir"
                ),
                Restored::Aside { keys } => warn!(
                    incarnation,
                    keys_aside = keys,
                    peers = peers.len(),
                    away = %away_text,
                    tombstone_grace = %self.node.config().tombstone_grace,
                    "restored from the data dir away from the cluster for tombstone_grace or longer: the others may have forgotten deletes made meanwhile, so the store is held aside until this node has caught up with its peers, and taken back without them; it writes as a new writer"
                ),
            }
            self.saved_peers = peers;
        }
        dir.save(&saved(&self.node)).map_err(AgentError::Disk)?;
        let mark = mark_of(&self.node);
        self.data_dir = Some(Persisted {
            dir,
            mark,
            heard_saved: None,
        });
        Ok(self)
    }

    /// Saves the node's state if it changed since it was saved last, and the time it
    /// last heard from the cluster if that moved on (at most every
    /// [`HEARD_SAVE_EVERY`]).
    fn persist(&mut self) -> Result<(), AgentError> {
        let node_now = self.now();
        let Some(persisted) = &mut self.data_dir else {
            return Ok(());
        };
        let mark = mark_of(&self.node);
        if mark != persisted.mark {
            persisted
                .dir
                .save(&saved(&self.node))
                .map_err(AgentError::Disk)?;
            persisted.mark = mark;
        }
        if let Some(heard) = self.node.last_heard() {
            let now = time::Instant::now();
            let due = persisted.heard_saved.is_none_or(|(saved, saved_at)| {
                heard > saved && now >= saved_at + HEARD_SAVE_EVERY
            });
            if due {
                let at =
                    wall_clock_ms().saturating_sub(node_now.saturating_since(heard).as_millis());
                // The state itself is saved: a write is not refused for this.
                if let Err(error) = persisted.dir.save_heard_at(at) {
                    warn!(%error, "could not save when the node last heard from the cluster");
                }
                persisted.heard_saved = Some((heard, now));
            }
        }
        Ok(())
    }

    /// Runs the node until `shutdown` completes, then leaves the cluster gracefully.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        self.seed_addrs.update(resolve_each(&self.seeds).await);
        let seeds = self.known_seeds();
        let seed_names: Vec<String> = self.seeds.iter().map(Seed::to_string).collect();
        info!(
            node = %self.node.id(),
            addr = %self.node.addr(),
            seeds = ?seed_names,
            resolved = ?seeds,
            sealed = self.envelope.keyring().is_some(),
            "starting"
        );
        if seeds.is_empty() && !self.seeds.is_empty() {
            // Told to join, but no seed can be found yet: starting a cluster of its own
            // would split the cluster until a reconnect; wait for a seed instead.
            warn!("no seed resolves yet; looking again before joining");
        } else {
            let now = self.now();
            self.node.join(now, &seeds);
            self.watch_join();
        }
        self.schedule_resolve();
        self.flush().await;

        tokio::pin!(shutdown);
        let mut leave_deadline: Option<time::Instant> = None;
        let mut buf = vec![0u8; gossip_core::wire::MAX_DATAGRAM];
        loop {
            let wake = self.node.poll_timeout().map(|at| self.to_tokio(at));
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((len, from)) => match self.envelope.open(&buf[..len], wall_clock_ms()) {
                        Ok(datagram) => {
                            let now = self.now();
                            self.observe_datagram(Direction::Received, from, &datagram);
                            if let Err(error) = self.node.handle_packet(now, from, &datagram) {
                                debug!(%from, %error, "dropped a datagram");
                            }
                        }
                        Err(reason) => {
                            debug!(%from, ?reason, "refused a datagram");
                            if let Some(line) = self.refusals.refused(std::time::Instant::now(), from, reason) {
                                warn!(%from, ?reason, "{line}");
                            }
                        }
                    },
                    Err(error) => warn!(%error, "receive failed"),
                },
                () = sleep_until(wake) => {
                    let now = self.now();
                    self.node.handle_timeout(now);
                }
                Some(command) = self.commands.recv() => self.answer(command),
                () = sleep_until(self.resolve_at) => self.resolve_in_background(),
                () = sleep_until(self.join_warning.map(|(at, _)| at)) => self.warn_if_still_joining(),
                Some(looked_up) = self.resolved.1.recv() => {
                    self.seed_addrs.update(looked_up);
                    let seeds = self.known_seeds();
                    if self.node.status() == NodeStatus::Idle {
                        if !seeds.is_empty() {
                            info!(resolved = ?seeds, "a seed resolves now; joining");
                            let now = self.now();
                            self.node.join(now, &seeds);
                            self.watch_join();
                        }
                    } else {
                        self.node.set_seeds(&seeds);
                    }
                    self.schedule_resolve();
                }
                // A completed future must not be polled again: once it fires, its
                // branch is off.
                () = &mut shutdown, if !self.leave_requested => {
                    self.leave_requested = true;
                }
                () = std::future::ready(()), if self.leave_requested && leave_deadline.is_none() => {
                    info!("leaving the cluster");
                    let now = self.now();
                    self.node.leave(now);
                    // Two gossip rounds spread the news; never more than 2 s, so a
                    // stopped agent exits promptly whatever its settings.
                    let grace = (self.node.config().gossip_interval * 2)
                        .min(gossip_core::Duration::from_secs(2));
                    leave_deadline = Some(time::Instant::now() + std::time::Duration::from_millis(grace.as_millis()));
                }
                () = sleep_until(leave_deadline) => break,
            }
            self.flush().await;
        }
        info!("stopped");
        Ok(())
    }

    /// Starts the clock on a join: if no seed has answered after [`JOIN_PATIENCE`],
    /// the person is told what to check.
    fn watch_join(&mut self) {
        if self.node.status() == NodeStatus::Joining {
            self.join_warning = Some((time::Instant::now() + JOIN_PATIENCE, JOIN_PATIENCE));
        }
    }

    /// Still joining: says so, and again after twice as long (the node keeps asking
    /// its seeds meanwhile).
    fn warn_if_still_joining(&mut self) {
        let Some((_, waited)) = self.join_warning.take() else {
            return;
        };
        if self.node.status() != NodeStatus::Joining {
            return;
        }
        warn!(
            seeds = ?self.known_seeds(),
            waited_s = waited.as_secs(),
            "no seed has answered yet; still asking. Check that a seed runs at that address, \
             and that this agent's --keyring and --cluster-name match the seed's"
        );
        self.join_warning = Some((time::Instant::now() + waited, waited * 2));
    }

    /// The seeds where they were last found and the remembered members, without repeats.
    fn known_seeds(&self) -> Vec<SocketAddr> {
        let mut addrs = self.seed_addrs.all();
        for peer in &self.saved_peers {
            if !addrs.contains(peer) {
                addrs.push(*peer);
            }
        }
        addrs
    }

    /// When host-name seeds should be looked up again: before the next join retry
    /// while joining, before the next reconnect attempt once in the cluster.
    fn schedule_resolve(&mut self) {
        if !self.seeds.iter().any(Seed::is_name) || self.node.status() == NodeStatus::Left {
            self.resolve_at = None;
            return;
        }
        let config = self.node.config();
        let every = match self.node.status() {
            NodeStatus::Idle | NodeStatus::Joining => config.probe_interval * 2,
            _ => config.reconnect_interval,
        };
        self.resolve_at =
            Some(time::Instant::now() + std::time::Duration::from_millis(every.as_millis()));
    }

    /// Looks the seeds up off the loop (a slow DNS server must not stall the node);
    /// the answer comes back on `resolved`.
    fn resolve_in_background(&mut self) {
        self.resolve_at = None;
        let (seeds, done) = (self.seeds.clone(), self.resolved.0.clone());
        tokio::spawn(
            async move {
                let _ = done.send(resolve_each(&seeds).await).await;
            }
            .in_current_span(),
        );
    }

    fn answer(&mut self, command: Command) {
        let now = self.now();
        // A requester that went away no longer wants the answer: nothing to do.
        match command {
            Command::Members(reply) => {
                let _ = reply.send(MemberInfo::all_of(&self.node));
            }
            Command::Member(id, reply) => {
                let _ = reply.send(MemberInfo::one_of(&self.node, &id));
            }
            Command::Keys(reply) => {
                let _ = reply.send(KeyInfo::all_of(&self.node));
            }
            Command::Key(key, reply) => {
                let versions = self.node.store().versions(&key);
                let _ = reply.send(versions.map(|v| KeyInfo::new(&key, v)));
            }
            // A write is on disk before it is acknowledged.
            Command::Put(key, value, reply) => {
                let written = self.node.put(now, &key, &value).map_err(AgentError::from);
                let _ = reply.send(written.and_then(|v| self.persist().map(|()| v)));
            }
            Command::Delete(key, reply) => {
                let deleted = self.node.delete(now, &key).map_err(AgentError::from);
                let _ = reply.send(deleted.and_then(|v| self.persist().map(|()| v)));
            }
            Command::UserEvent(name, payload, reply) => {
                let sent = self.node.send_user_event(now, &name, &payload);
                let _ = reply.send(sent.map_err(AgentError::from));
            }
            Command::RecentEvents(reply) => {
                let _ = reply.send(self.events.kept());
            }
            Command::Follow(from, reply) => {
                let _ = reply.send(self.events.follow(from));
            }
            Command::WatchDatagrams(reply) => {
                let _ = reply.send(self.datagrams.subscribe());
            }
            Command::Stats(reply) => {
                let uptime = self.epoch.elapsed().as_secs_f64();
                let mut stats = StatsInfo::of(&self.node, uptime);
                let refused = self.envelope.refused;
                stats.refused = RefusedInfo {
                    unauthenticated: refused.unauthenticated,
                    stale: refused.stale,
                    replayed: refused.replayed,
                    wrong_cluster: refused.wrong_cluster,
                };
                stats.encrypted = self.envelope.keyring().is_some();
                stats.event_handlers = self.handler_runs.counted();
                let _ = reply.send(stats);
            }
            Command::SetTags(tags, reply) => {
                info!(%tags, "tags changed");
                self.node.set_tags(tags);
                let _ = reply.send(());
            }
            Command::PatchTags(patch, reply) => {
                let mut pairs: std::collections::BTreeMap<String, String> = self
                    .node
                    .tags()
                    .iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                for (key, value) in patch {
                    match value {
                        Some(value) => pairs.insert(key, value),
                        None => pairs.remove(&key),
                    };
                }
                let patched = Tags::new(pairs).map_err(AgentError::from);
                if let Ok(tags) = &patched
                    && tags != self.node.tags()
                {
                    info!(%tags, "tags changed");
                    self.node.set_tags(tags.clone());
                }
                let _ = reply.send(patched);
            }
            Command::Keyring(reply) => {
                let _ = reply.send(self.keys_info());
            }
            Command::ChangeKey(change, key, reply) => {
                let _ = reply.send(self.change_key(change, key));
            }
            Command::Config(reply) => {
                let _ = reply.send(self.node.config().clone());
            }
            Command::Leave(reply) => {
                self.leave_requested = true;
                let _ = reply.send(());
            }
            Command::ForceLeave(member, reply) => {
                let forced = self.node.force_leave(now, &member);
                let _ = reply.send(forced.map_err(AgentError::from));
            }
            Command::Contact(mut addrs, reply) => {
                // The socket's own address as well as the advertised one (the core
                // leaves that out): behind --advertise they differ.
                if let Ok(bound) = self.socket.local_addr() {
                    addrs.retain(|&addr| addr != bound);
                }
                let joining = matches!(self.node.status(), NodeStatus::Idle | NodeStatus::Joining);
                let contacted = self.node.contact(now, &addrs).map_err(AgentError::from);
                if let Ok(contacted) = &contacted {
                    if joining {
                        // Seeds from now on, like --join's: the next lookup of the
                        // named seeds replaces the node's seeds with these and theirs.
                        for &addr in contacted {
                            if !self.seeds.contains(&Seed::Addr(addr)) {
                                self.seeds.push(Seed::Addr(addr));
                            }
                        }
                    }
                    self.watch_join();
                }
                let _ = reply.send(contacted);
            }
        }
    }

    fn keys_info(&self) -> Result<KeysInfo, AgentError> {
        let ring = self.envelope.keyring().ok_or(AgentError::NoKeyring)?;
        Ok(KeysInfo {
            primary: ring.primary().to_base64(),
            keys: ring.keys().iter().map(Key::to_base64).collect(),
        })
    }

    /// Changes the ring in use and saves it to its file; a change the file cannot take
    /// is undone, so the file and the running ring never differ.
    fn change_key(&mut self, change: KeyChange, key: Key) -> Result<KeysInfo, AgentError> {
        let (Some(ring), Some(file)) = (self.envelope.keyring_mut(), &mut self.keyring_file) else {
            return Err(AgentError::NoKeyring);
        };
        let mut changed = ring.clone();
        match change {
            KeyChange::Install => changed.install(key),
            KeyChange::Use => changed.use_key(&key)?,
            KeyChange::Remove => changed.remove(&key)?,
        }
        let before = std::mem::replace(&mut file.ring, changed.clone());
        if let Err(error) = file.save() {
            file.ring = before;
            return Err(error.into());
        }
        *ring = changed;
        info!(?change, keys = ring.keys().len(), "keyring changed");
        self.keys_info()
    }

    /// Saves what changed, then sends what the node wants sent and logs what it
    /// reports, in the core's drain order. Saving first means nothing leaves this node
    /// (a version, a refutation's incarnation) that a crash could make it forget.
    async fn flush(&mut self) {
        if let Err(error) = self.persist() {
            warn!(%error, "could not save the node's state");
        }
        while let Some(transmit) = self.node.poll_transmit() {
            self.observe_datagram(Direction::Sent, transmit.to, &transmit.payload);
            let datagram = self.envelope.seal(&transmit.payload, wall_clock_ms());
            if let Err(error) = self.socket.send_to(&datagram, transmit.to).await {
                warn!(to = %transmit.to, %error, "send failed");
            }
        }
        while let Some(event) = self.node.poll_event() {
            log_event(self.node.id(), &event);
            self.events.record(wall_clock_ms(), event);
        }
    }

    /// A datagram sent or received, told to whoever watches: a debug line
    /// (`RUST_LOG=debug`) and the datagram listeners ([`AgentHandle::watch_datagrams`]).
    /// Decoded a second time, so only while somebody watches; one that does not decode
    /// is reported where it is handled.
    fn observe_datagram(&self, direction: Direction, peer: SocketAddr, bytes: &[u8]) {
        let listened = self.datagrams.receiver_count() > 0;
        if !listened && !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let Ok(packet) = gossip_core::wire::decode(bytes) else {
            return;
        };
        let peer_name = match direction {
            Direction::Received => Some(packet.from.clone()),
            Direction::Sent => {
                // An active member before one dead or gone at the same address.
                let mut held: Option<(NodeId, bool)> = None;
                self.node.visit_members(|id, addr, _, state| {
                    let better = held.as_ref().is_none_or(|(_, active)| !active);
                    if addr == peer && better {
                        held = Some((id.clone(), state.is_active()));
                    }
                });
                held.map(|(id, _)| id)
            }
        };
        let info = DatagramInfo {
            peer,
            peer_name,
            kind: packet.message.kind().as_str().to_owned(),
            updates: packet.updates.len(),
            bytes: bytes.len(),
        };
        debug!(
            %peer,
            peer_name = info.peer_name.as_ref().map(NodeId::as_str),
            kind = info.kind,
            updates = info.updates,
            bytes = info.bytes,
            "{}",
            direction.as_str()
        );
        if listened {
            let _ = self.datagrams.send((direction, info));
        }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.epoch.elapsed().as_millis() as u64)
    }

    fn to_tokio(&self, at: Instant) -> time::Instant {
        self.epoch + std::time::Duration::from_millis(at.as_millis())
    }
}

/// Milliseconds since the Unix epoch: sealed datagrams carry it against replays.
fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// How long a join may go unanswered before the agent says so.
const JOIN_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<time::Instant>) {
    match deadline {
        Some(deadline) => time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Logs what the node named `own` reports.
fn log_event(own: &NodeId, event: &Event) {
    match event {
        Event::JoinedCluster => info!("joined the cluster"),
        Event::MemberJoined { id, addr } => info!(member = %id, %addr, "member joined"),
        Event::MemberSuspected { id, incarnation } => {
            info!(member = %id, incarnation, "member suspected")
        }
        Event::MemberAlive { id, incarnation } => {
            info!(member = %id, incarnation, "member alive again")
        }
        Event::MemberDead { id, incarnation } => warn!(member = %id, incarnation, "member dead"),
        Event::MemberUpdated {
            id,
            incarnation,
            tags,
        } => info!(member = %id, incarnation, %tags, "member tags changed"),
        Event::MemberLeft { id } => info!(member = %id, "member left"),
        Event::MemberRemoved { id } => info!(member = %id, "member removed"),
        Event::Refuted { incarnation } => warn!(incarnation, "refuted being held suspect or dead"),
        Event::LocalHealthChanged { score } => info!(score, "local health changed"),
        Event::KeyChanged {
            key,
            value: Some(value),
            writer,
        } => info!(%key, %value, %writer, "key updated"),
        Event::KeyChanged {
            key,
            value: None,
            writer,
        } => info!(%key, %writer, "key deleted"),
        Event::Conflict { key, siblings } => warn!(%key, siblings, "concurrent writes"),
        // This agent's own name, claimed from elsewhere: by another process, or by the
        // cluster's memory of this agent's earlier run at another address.
        Event::NameConflict { id, claimed, .. } if id == own => warn!(
            %claimed,
            "this agent's name is claimed from another address: either another process uses it (names must be unique: stop one, or restart one under another name), or the cluster still holds this agent's earlier run there (restarted at a new address without --data-dir: the others move to this one once that address is found dead); meanwhile they may not list this agent"
        ),
        Event::NameConflict { id, held, claimed } => warn!(
            member = %id,
            %held,
            %claimed,
            "a member is claimed from two addresses: a second process uses its name (names must be unique: stop one, or start it under another name; the member held keeps its place meanwhile), or it restarted at a new address before the others noticed (it moves there once its old address is found dead)"
        ),
        Event::UserEvent {
            origin,
            name,
            payload,
        } => info!(%origin, %name, %payload, "user event"),
        Event::StoreTakenBack { added, forgotten } => info!(
            added,
            forgotten,
            "caught up with the cluster and took back the store held aside: versions it did not hold are added, those of keys deleted meanwhile dropped"
        ),
    }
}
