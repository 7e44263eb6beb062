//! The `gossip` command line.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gossip_core::{Config, NodeId};

/// gossip: a SWIM membership and replicated key/value node, from the gossip-protocol lab.
#[derive(Debug, Parser)]
#[command(name = "gossip", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a gossip node on a UDP socket until interrupted (Ctrl-C leaves gracefully).
    Agent(AgentArgs),
}

/// Flags of `gossip agent`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// This node's name, unique in the cluster (1-64 bytes).
    #[arg(long, value_parser = parse_node_id)]
    pub name: NodeId,

    /// UDP address to listen on.
    #[arg(long, default_value = "127.0.0.1:7946")]
    pub bind: SocketAddr,

    /// Address of a member to join through; repeat for several seeds. Without it the
    /// node starts a new cluster.
    #[arg(long = "join", value_name = "ADDR")]
    pub join: Vec<SocketAddr>,

    /// Protocol timing preset.
    #[arg(long, value_enum, default_value_t = Preset::Demo)]
    pub preset: Preset,

    /// Expected cluster size, which scales the lan and wan presets' suspicion timeout.
    #[arg(long, default_value_t = 5)]
    pub cluster_size: usize,

    /// Seed for the node's random choices (default: from the OS).
    #[arg(long)]
    pub rng_seed: Option<u64>,
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
    /// The protocol configuration of this preset.
    pub fn config(self, cluster_size: usize) -> Config {
        match self {
            Preset::Demo => Config::demo(),
            Preset::Lan => Config::lan(cluster_size),
            Preset::Wan => Config::wan(cluster_size),
        }
    }
}

fn parse_node_id(name: &str) -> Result<NodeId, String> {
    NodeId::new(name).map_err(|e| e.to_string())
}
