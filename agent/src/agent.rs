//! The agent: one gossip node on a UDP socket.
//!
//! ```text
//!   datagrams ──► ┌──────────────┐ ──► datagrams
//!   timeouts ───► │  core::Node  │ ──► events (tracing)
//!   commands ───► └──────────────┘ ──► answers (AgentHandle)
//! ```
//!
//! [`Agent::run`] owns the node and the socket; [`AgentHandle`] talks to it from other
//! tasks. Shutdown is a future passed to `run`, so tests and the binary stop an agent the
//! same way: the node leaves gracefully, keeps gossiping for a short grace period so the
//! news gets out, and the loop ends.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use gossip_core::{Config, Event, Instant, MemberState, Node, NodeId};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::time;
use tracing::{debug, info, warn};

/// What an agent needs besides its socket.
#[derive(Clone, Debug)]
pub struct AgentOptions {
    /// The node's name.
    pub name: NodeId,
    /// Seeds to join through; empty to start a new cluster.
    pub join: Vec<SocketAddr>,
    /// Protocol settings.
    pub config: Config,
    /// Seed of the node's RNG.
    pub rng_seed: u64,
}

/// One member as an agent sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberInfo {
    pub id: NodeId,
    pub addr: SocketAddr,
    pub incarnation: u32,
    pub state: MemberState,
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
}

enum Command {
    Members(oneshot::Sender<Vec<MemberInfo>>),
}

/// Talks to a running agent from any task.
#[derive(Clone, Debug)]
pub struct AgentHandle {
    commands: mpsc::Sender<Command>,
    local_addr: SocketAddr,
}

impl AgentHandle {
    /// The address the agent's socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The agent's member table, itself included.
    pub async fn members(&self) -> Result<Vec<MemberInfo>, AgentError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Members(reply))
            .await
            .map_err(|_| AgentError::Stopped)?;
        answer.await.map_err(|_| AgentError::Stopped)
    }
}

/// A gossip node bound to a UDP socket.
#[derive(Debug)]
pub struct Agent {
    node: Node,
    socket: UdpSocket,
    join: Vec<SocketAddr>,
    epoch: time::Instant,
    commands: mpsc::Receiver<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Members(_) => f.write_str("Members"),
        }
    }
}

impl Agent {
    /// An agent on `socket`; nothing happens until [`Agent::run`].
    pub fn new(
        socket: UdpSocket,
        options: AgentOptions,
    ) -> Result<(Agent, AgentHandle), AgentError> {
        let local_addr = socket.local_addr().map_err(AgentError::LocalAddr)?;
        let node = Node::new(options.name, local_addr, options.config, options.rng_seed)?;
        let (sender, commands) = mpsc::channel(64);
        let agent = Agent {
            node,
            socket,
            join: options.join,
            epoch: time::Instant::now(),
            commands,
        };
        Ok((
            agent,
            AgentHandle {
                commands: sender,
                local_addr,
            },
        ))
    }

    /// Runs the node until `shutdown` completes, then leaves the cluster gracefully.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let now = self.now();
        info!(node = %self.node.id(), addr = %self.node.addr(), seeds = ?self.join, "starting");
        self.node.join(now, &self.join);
        self.flush().await;

        tokio::pin!(shutdown);
        let mut leave_deadline: Option<time::Instant> = None;
        let mut buf = vec![0u8; gossip_core::wire::MAX_DATAGRAM];
        loop {
            let wake = self.node.poll_timeout().map(|at| self.to_tokio(at));
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((len, from)) => {
                        let now = self.now();
                        if let Err(error) = self.node.handle_packet(now, from, &buf[..len]) {
                            debug!(%from, %error, "dropped a datagram");
                        }
                    }
                    Err(error) => warn!(%error, "receive failed"),
                },
                () = sleep_until(wake) => {
                    let now = self.now();
                    self.node.handle_timeout(now);
                }
                Some(command) = self.commands.recv() => self.answer(command),
                () = &mut shutdown, if leave_deadline.is_none() => {
                    info!("leaving the cluster");
                    let now = self.now();
                    self.node.leave(now);
                    let grace = self.node.config().gossip_interval * 2;
                    leave_deadline = Some(time::Instant::now() + std::time::Duration::from_millis(grace.as_millis()));
                }
                () = sleep_until(leave_deadline) => break,
            }
            self.flush().await;
        }
        info!("stopped");
        Ok(())
    }

    fn answer(&mut self, command: Command) {
        match command {
            Command::Members(reply) => {
                let me = MemberInfo {
                    id: self.node.id().clone(),
                    addr: self.node.addr(),
                    incarnation: self.node.incarnation(),
                    state: self
                        .node
                        .member_state(self.node.id())
                        .unwrap_or(MemberState::Alive),
                };
                let others = self.node.members().map(|m| MemberInfo {
                    id: m.id.clone(),
                    addr: m.addr,
                    incarnation: m.incarnation,
                    state: m.state,
                });
                let _ = reply.send(std::iter::once(me).chain(others).collect());
            }
        }
    }

    /// Sends what the node wants sent and logs what it reports, in the core's drain order.
    async fn flush(&mut self) {
        while let Some(transmit) = self.node.poll_transmit() {
            if let Err(error) = self.socket.send_to(&transmit.payload, transmit.to).await {
                warn!(to = %transmit.to, %error, "send failed");
            }
        }
        while let Some(event) = self.node.poll_event() {
            log_event(&event);
        }
    }

    fn now(&self) -> Instant {
        Instant::from_millis(self.epoch.elapsed().as_millis() as u64)
    }

    fn to_tokio(&self, at: Instant) -> time::Instant {
        self.epoch + std::time::Duration::from_millis(at.as_millis())
    }
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<time::Instant>) {
    match deadline {
        Some(deadline) => time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn log_event(event: &Event) {
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
        Event::MemberLeft { id } => info!(member = %id, "member left"),
        Event::MemberRemoved { id } => info!(member = %id, "member removed"),
        Event::Refuted { incarnation } => warn!(incarnation, "refuted a suspicion about this node"),
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
    }
}
