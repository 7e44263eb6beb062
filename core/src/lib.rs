//! # gossip-core
//!
//! The whole gossip protocol as a state machine that does **no networking, reads no
//! clock and asks the OS for no randomness**. Drivers feed it datagrams and the current
//! time and send what it asks them to; the browser lab drives it inside a deterministic
//! simulator, the `gossip` agent drives it over UDP.
//!
//! * [`Node`]: one member. Inputs are `handle_*(now, ...)`, outputs are `poll_*()`; the
//!   drain order is documented on the type.
//! * Membership and failure detection follow SWIM (Das, Gupta and Motivala, DSN 2002):
//!   randomized round-robin probing, indirect probes, suspicion with incarnation
//!   numbers, infection-style dissemination piggybacked on protocol messages.
//! * The replicated key/value store keeps vector-clocked versions with siblings for
//!   concurrent writes (Mattern/Fidge), spreads writes by rumor mongering with
//!   excitement cooling (Demers et al. 1987) and repairs what rumors miss with
//!   Scuttlebutt-style anti-entropy (van Renesse et al. 2008).
//! * [`wire`]: the versioned binary packet format; decoding never panics.

mod config;
mod dissemination;
mod error;
mod event;
mod id;
mod local_health;
mod member;
mod member_table;
mod node;
mod peer_summaries;
mod probe_schedule;
mod registry;
mod stats;
mod store;
mod suspicion;
mod tags;
mod time;
mod timer;
mod user_event;
mod vclock;
pub mod wire;

pub use config::{
    Config, Cooling, FieldInfo, GossipMode, Lifeguard, ProbeOrder, RumorAccounting, Setting,
    SettingKind,
};
pub use error::{DecodeError, Error};
pub use event::Event;
pub use id::{INLINE_NAME_LEN, MAX_NODE_ID_LEN, NodeId, ReplicaId, misleads_in_a_name};
pub use member::{Incarnation, Member, MemberState, MemberUpdate};
pub use node::{MemberSnapshot, Node, NodeStatus, PersistedState, Restored, Transmit};
pub use registry::Registry;
pub use stats::{RttHistogram, Stats, TrafficCounts};
pub use store::{Applied, CoveredRange, Store, Version};
pub use tags::{MAX_TAG_KEY_LEN, MAX_TAGS_LEN, Tags};
pub use time::{Duration, Instant};
pub use user_event::{MAX_USER_EVENT_LEN, UserEvent};
pub use vclock::{Causality, VectorClock};
