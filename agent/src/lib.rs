//! # gossip-agent
//!
//! The `gossip` binary's library: a thin driver that runs one [`gossip_core::Node`]
//! behind a UDP socket. One task owns the node and reacts to datagrams, timeouts and
//! commands; everything the protocol decides happens in the core.
//!
//! The agent:
//! * [`agent`]: the driver loop, its handle and its graceful shutdown, with
//!   [`event_feed`], its events as listeners follow them;
//! * [`view`] (the `gossip-api` crate): what it reports (members, keys, counters) as
//!   serialisable values;
//! * [`http`]: its HTTP API (axum), with [`metrics`] in Prometheus text, [`ui`], the
//!   web page in live mode, and [`member_filter`], the member list's query;
//! * [`join`]: joining more agents while running;
//! * [`event_handler`]: `--event-handler`, commands run on the agent's events;
//! * [`settings`]: its protocol settings in layers (preset, file, environment, flags);
//! * [`persist`]: `--data-dir`, its state across restarts (redb);
//! * [`envelope`] and [`keyring`]: `--cluster-name` and `--keyring`, sealed datagrams.
//!
//! Around it:
//! * [`cli`]: the command line, parsed with clap;
//! * [`cluster`]: `gossip cluster`, a local cluster of agents as child processes, with
//!   [`record`] for `--record`;
//! * [`client`]: `gossip members`, `kv`, `stats`, `events`, `leave` over the HTTP API,
//!   and [`datagram_watch`], `gossip datagrams`;
//! * [`experiments`]: `gossip sim ...`, the headless experiments on the simulator, with
//!   [`experiment_error`], [`report`] (the one shape their results are printed in) and
//!   [`traces`] (trace files, written by `gossip sim chaos` and replayed).

pub mod agent;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod datagram_watch;
pub mod envelope;
pub mod event_feed;
pub mod event_handler;
pub mod experiment_error;
pub mod experiments;
pub mod http;
pub mod join;
pub mod keyring;
pub mod member_filter;
pub mod metrics;
pub mod persist;
pub mod record;
pub mod refusals;
pub mod report;
pub mod seeds;
pub mod settings;
pub mod traces;
pub mod ui;
pub use gossip_api as view;
