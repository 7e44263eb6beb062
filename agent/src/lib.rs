//! # gossip-agent
//!
//! The `gossip` binary's library: a thin driver that runs one [`gossip_core::Node`]
//! behind a UDP socket. One task owns the node and reacts to datagrams, timeouts and
//! commands; everything the protocol decides happens in the core.
//!
//! * [`agent`]: the driver loop, its handle and its graceful shutdown.
//! * [`cli`]: the command line, parsed with clap.
//! * [`experiments`]: `gossip sim ...`, the headless experiments on the simulator.
//! * [`report`]: the one shape their results are printed in.
//! * [`traces`]: trace files, written by `gossip sim chaos` and replayed.

pub mod agent;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod experiment_error;
pub mod experiments;
pub mod http;
pub mod metrics;
pub mod persist;
pub mod report;
pub mod settings;
pub mod traces;
pub mod view;
