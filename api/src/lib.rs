//! # gossip-api
//!
//! What an agent reports about itself and its cluster, as plain serialisable values: the
//! HTTP API's JSON, the `gossip members` / `gossip kv` / `gossip stats` output, and what
//! the web page reads when it shows a live agent. One crate, so the agent that writes
//! these and the page that reads them cannot drift apart.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use gossip_core::wire::MessageKind;
use gossip_core::{MemberState, Node, NodeId, Version};
use serde::{Deserialize, Serialize};

/// One member as an agent sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub name: NodeId,
    pub addr: SocketAddr,
    pub status: MemberState,
    pub incarnation: u32,
    /// Lifeguard's Local Health score (0: healthy), known only for the agent itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_health: Option<u32>,
    /// The member's tags, as far as this agent has heard.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

fn tag_map(tags: Option<&gossip_core::Tags>) -> BTreeMap<String, String> {
    tags.into_iter()
        .flat_map(|t| t.iter())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// One version of a key: its value (`None` for a delete), who wrote it, and its
/// vector clock, writer by writer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub value: Option<String>,
    pub writer: String,
    pub clock: BTreeMap<String, u64>,
}

/// A key with every version the node holds: one, or several concurrent siblings (the
/// first is the one reads return).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub key: String,
    /// The value reads return, `None` when deleted.
    pub value: Option<String>,
    pub versions: Vec<VersionInfo>,
}

/// Counters of an agent's node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatsInfo {
    pub name: NodeId,
    /// Where the node stands: `idle` (waiting for a seed to resolve), `joining`,
    /// `joined` or `left`.
    #[serde(default)]
    pub status: String,
    pub incarnation: u32,
    pub local_health: u32,
    pub uptime_seconds: f64,
    /// Members by status, this node included.
    pub members: BTreeMap<String, usize>,
    pub keys: usize,
    /// Keys of a store restored from the data dir and held aside until this node has
    /// caught up with its peers (0 once taken back, or if there was none); reads do not
    /// see them meanwhile.
    #[serde(default)]
    pub keys_aside: usize,
    pub probes: u64,
    pub failed_probes: u64,
    pub indirect_probes: u64,
    pub refutations: u64,
    pub decode_errors: u64,
    /// Pings sent to check an address before sending it a full state, and how many
    /// of them were answered in time.
    #[serde(default)]
    pub address_checks: u64,
    #[serde(default)]
    pub address_checks_passed: u64,
    pub messages_sent: BTreeMap<String, u64>,
    pub messages_received: BTreeMap<String, u64>,
    pub bytes_sent: BTreeMap<String, u64>,
    pub bytes_received: BTreeMap<String, u64>,
    /// Writes that arrived concurrent with the version held, leaving siblings.
    #[serde(default)]
    pub conflicts: u64,
    /// Time from each probe's ping to its first ack, direct or relayed.
    #[serde(default)]
    pub probe_rtt: RttInfo,
    /// Whether datagrams are sealed with a keyring.
    #[serde(default)]
    pub encrypted: bool,
    /// Datagrams refused before the protocol saw them.
    #[serde(default)]
    pub refused: RefusedInfo,
    /// Runs of the agent's `--event-handler` commands, by how they ended.
    #[serde(default)]
    pub event_handlers: HandlerRunsInfo,
    /// User events sent from this node, heard here and dropped unsent.
    #[serde(default)]
    pub user_events: UserEventsInfo,
    /// Names, addresses and pairs of them the node's registry holds: about three per
    /// member after a renumbering, up to twice that (and 64) before reaping renumbers
    /// it again.
    #[serde(default)]
    pub interned: usize,
    /// The rumors the node is still spreading (rumor mongering, Demers et al. 1987),
    /// hottest first: each key with the excitement it has left of `max_excitement`.
    /// Empty once every rumor has cooled.
    #[serde(default)]
    pub rumors: Vec<RumorInfo>,
    /// The excitement a rumor starts with (Demers' k).
    #[serde(default)]
    pub max_excitement: u32,
}

/// The names of the agent's event stream (`GET /api/events`), one per kind of
/// [`gossip_core::Event`] as the Java module's listeners had them, and `lagged` for a
/// listener that fell behind.
pub const EVENT_KINDS: [&str; 16] = [
    "joined_cluster",
    "joined",
    "suspected",
    "alive",
    "dead",
    "updated",
    "left",
    "removed",
    "refuted",
    "local_health",
    "key_changed",
    "conflict",
    "name_conflict",
    "store_taken_back",
    "user",
    "lagged",
];

/// The event's name on the stream, one of [`EVENT_KINDS`].
pub fn event_kind(event: &gossip_core::Event) -> &'static str {
    use gossip_core::Event;
    match event {
        Event::JoinedCluster => "joined_cluster",
        Event::MemberJoined { .. } => "joined",
        Event::MemberSuspected { .. } => "suspected",
        Event::MemberAlive { .. } => "alive",
        Event::MemberDead { .. } => "dead",
        Event::MemberUpdated { .. } => "updated",
        Event::MemberLeft { .. } => "left",
        Event::MemberRemoved { .. } => "removed",
        Event::Refuted { .. } => "refuted",
        Event::LocalHealthChanged { .. } => "local_health",
        Event::KeyChanged { .. } => "key_changed",
        Event::Conflict { .. } => "conflict",
        Event::NameConflict { .. } => "name_conflict",
        Event::StoreTakenBack { .. } => "store_taken_back",
        Event::UserEvent { .. } => "user",
    }
}

/// One of the events an agent reported lately (`GET /api/events/recent`, and the
/// `history` that starts `GET /api/events?recent=true`), with when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentEvent {
    /// When the agent reported it, in milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
    pub kind: String,
    /// Its number among the events of the agent's life: 1, 2, 3, ...
    #[serde(default)]
    pub seq: u64,
    pub event: gossip_core::Event,
}

/// A datagram an agent sent or received (`GET /api/datagrams`, as `event: sent` or
/// `event: received`): what the page draws flying between members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatagramInfo {
    /// The address it went to or came from.
    pub peer: SocketAddr,
    /// The member's name: the one a received datagram's sender gave, or that of the
    /// member held at the address a datagram went to. None for an address no member
    /// has (a seed before it answered), and from agents older than this field.
    #[serde(default)]
    pub peer_name: Option<NodeId>,
    /// Its message's kind, as the counters name it (`ping`, `ack`, `sync`, ...).
    pub kind: String,
    /// How many pieces of news ride on it.
    pub updates: usize,
    /// Its size before sealing.
    pub bytes: usize,
}

/// What joining more agents while running found (`POST /api/join`, `gossip join`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinInfo {
    /// Every address contacted: those asked for, without repeats or the agent's own.
    pub contacted: Vec<SocketAddr>,
    /// Those that answered, in the order they did, with the name each answered as.
    pub answered: Vec<JoinAnswer>,
    /// Those that did not answer in time.
    pub unanswered: Vec<SocketAddr>,
    /// Those given that reach no address this agent's socket can send to: a name that
    /// does not resolve, or only to addresses of the other IP family.
    #[serde(default)]
    pub unresolved: Vec<String>,
}

impl JoinInfo {
    /// What the join found, a phrase each: every answer (`joined n1 at 10.0.0.7:7946`),
    /// then the addresses that stayed silent, then those that reached nothing.
    pub fn in_words(&self) -> Vec<String> {
        let mut words: Vec<String> = self
            .answered
            .iter()
            .map(|answer| format!("joined {} at {}", answer.name, answer.addr))
            .collect();
        if !self.unanswered.is_empty() {
            let silent: Vec<String> = self.unanswered.iter().map(ToString::to_string).collect();
            words.push(format!("no answer from {}", silent.join(", ")));
        }
        if !self.unresolved.is_empty() {
            words.push(format!("no address for {}", self.unresolved.join(", ")));
        }
        words
    }
}

/// An address that answered a join, and the member that answered there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinAnswer {
    pub addr: SocketAddr,
    pub name: NodeId,
}

/// A rumor still spread: its key and the excitement it has left.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RumorInfo {
    pub key: String,
    pub excitement: u32,
}

/// A histogram of round-trip times.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RttInfo {
    /// Upper bounds of the buckets, in milliseconds.
    pub bounds_ms: Vec<u64>,
    /// How many fell at or below each bound, then how many in all.
    pub cumulative: Vec<u64>,
    pub sum_seconds: f64,
    pub count: u64,
}

/// Datagrams an agent refused before the protocol saw them, by reason.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedInfo {
    /// Not sealed, sealed under a key the agent lacks (or for another cluster name), or
    /// altered on the way.
    pub unauthenticated: u64,
    /// Sealed too long ago, or too far ahead, by the agent's clock.
    pub stale: u64,
    /// Seen before.
    pub replayed: u64,
    /// Another cluster's name (clusters named without a keyring).
    pub wrong_cluster: u64,
}

/// How an agent's event handler runs ended (`--event-handler`), and the events its
/// handlers missed by falling too far behind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlerRunsInfo {
    /// Exited with status 0.
    pub succeeded: u64,
    /// Exited otherwise, or could not be started.
    pub failed: u64,
    /// Still running at the time limit, and killed.
    pub killed: u64,
    /// Events no handler was run on: the handlers fell more than the event backlog
    /// behind.
    pub missed: u64,
}

impl HandlerRunsInfo {
    /// `5 succeeded, 1 failed, 0 killed` (and the events missed, if any).
    pub fn in_words(&self) -> String {
        let mut words = format!(
            "{} succeeded, {} failed, {} killed",
            self.succeeded, self.failed, self.killed
        );
        if self.missed > 0 {
            words.push_str(&format!("; {} events missed", self.missed));
        }
        words
    }
}

/// A node's user events (`gossip event`) since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEventsInfo {
    /// Sent from this node.
    pub sent: u64,
    /// Heard here, each once, those sent from here included.
    pub heard: u64,
    /// Dropped unsent, before this node had passed them on as often as news is, 30 s
    /// after hearing them, while it had members to pass them to: more events than its
    /// gossip rounds could carry, and a sign that some members may not hear them.
    pub expired: u64,
}

impl UserEventsInfo {
    /// A node's user event counters.
    pub fn of(stats: &gossip_core::Stats) -> UserEventsInfo {
        UserEventsInfo {
            sent: stats.user_events_sent,
            heard: stats.user_events_heard,
            expired: stats.user_events_expired,
        }
    }

    /// `2 sent, 7 heard` (and those dropped unsent, if any).
    pub fn in_words(&self) -> String {
        let mut words = format!("{} sent, {} heard", self.sent, self.heard);
        if self.expired > 0 {
            words.push_str(&format!(", {} dropped unsent", self.expired));
        }
        words
    }
}

/// An agent's keyring: every key in base64, the primary (the one it seals with) first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysInfo {
    pub primary: String,
    pub keys: Vec<String>,
}

impl MemberInfo {
    /// The node itself, then every member it knows, in name order.
    pub fn all_of(node: &Node) -> Vec<MemberInfo> {
        let me = MemberInfo {
            name: node.id().clone(),
            addr: node.addr(),
            status: node.member_state(node.id()).unwrap_or(MemberState::Alive),
            incarnation: node.incarnation(),
            local_health: Some(node.local_health()),
            tags: tag_map(Some(node.tags())),
        };
        let mut others: Vec<MemberInfo> =
            node.members().map(|m| MemberInfo::held(node, m)).collect();
        others.sort_by(|a, b| a.name.cmp(&b.name));
        std::iter::once(me).chain(others).collect()
    }

    /// Another member `id` as the node holds it, if it does.
    pub fn one_of(node: &Node, id: &NodeId) -> Option<MemberInfo> {
        node.member(id).map(|m| MemberInfo::held(node, m))
    }

    fn held(node: &Node, m: gossip_core::Member) -> MemberInfo {
        MemberInfo {
            tags: tag_map(node.member_tags(&m.id)),
            name: m.id,
            addr: m.addr,
            status: m.state,
            incarnation: m.incarnation,
            local_health: None,
        }
    }
}

impl KeyInfo {
    pub fn new(key: &str, versions: &[Version]) -> KeyInfo {
        KeyInfo {
            key: key.to_owned(),
            value: versions.first().and_then(|v| v.value.clone()),
            versions: versions
                .iter()
                .map(|v| VersionInfo {
                    value: v.value.clone(),
                    writer: v.writer.to_string(),
                    clock: v.clock.iter().map(|(w, n)| (w.to_string(), n)).collect(),
                })
                .collect(),
        }
    }

    /// Every key the node holds, in key order.
    pub fn all_of(node: &Node) -> Vec<KeyInfo> {
        let mut keys: Vec<KeyInfo> = node
            .store()
            .iter()
            .map(|(key, versions)| KeyInfo::new(key, versions))
            .collect();
        keys.sort_by(|a, b| a.key.cmp(&b.key));
        keys
    }
}

impl StatsInfo {
    /// The rumors still spread, hottest first, each with the excitement it has left
    /// ("colour 3/4, size 1/4"), or that every rumor has cooled: as the page and `gossip
    /// stats` say it.
    pub fn rumors_in_words(&self) -> String {
        if self.rumors.is_empty() {
            return "none: every rumor has cooled".to_owned();
        }
        self.rumors
            .iter()
            .map(|rumor| format!("{} {}/{}", rumor.key, rumor.excitement, self.max_excitement))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Members by state ("4 alive, 0 suspect, 1 dead, 0 left").
    pub fn members_in_words(&self) -> String {
        ["alive", "suspect", "dead", "left"]
            .iter()
            .map(|state| format!("{} {state}", self.members.get(*state).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Keys held, the conflicts seen since the start (a count of events: the siblings
    /// may be settled since), and any held aside ("3 (0 conflicts seen)", or "0 (0
    /// conflicts seen); 2 more held aside until caught up with peers").
    pub fn keys_in_words(&self) -> String {
        let held = format!("{} ({} conflicts seen)", self.keys, self.conflicts);
        if self.keys_aside == 0 {
            held
        } else {
            format!(
                "{held}; {} more held aside until caught up with peers",
                self.keys_aside
            )
        }
    }

    /// Probes sent, how many failed or went indirect ("12 (1 failed, 1 indirect)").
    pub fn probes_in_words(&self) -> String {
        format!(
            "{} ({} failed, {} indirect)",
            self.probes, self.failed_probes, self.indirect_probes
        )
    }

    /// The mean probe round trip ("0.8 ms mean over 11 probes").
    pub fn round_trip_in_words(&self) -> String {
        match self.probe_rtt.count {
            0 => "no probe answered yet".to_owned(),
            n => format!(
                "{:.1} ms mean over {n} probes",
                self.probe_rtt.sum_seconds * 1000.0 / n as f64
            ),
        }
    }

    /// Whether datagrams are sealed, and how many were undecodable or refused, by
    /// reason.
    pub fn datagrams_in_words(&self) -> String {
        let refused = &self.refused;
        format!(
            "{}; {} undecodable; refused: {} unauthenticated, {} replayed, {} stale, {} other cluster",
            if self.encrypted {
                "sealed"
            } else {
                "not sealed"
            },
            self.decode_errors,
            refused.unauthenticated,
            refused.replayed,
            refused.stale,
            refused.wrong_cluster
        )
    }

    /// Address checks before a full state: how many were sent, and answered.
    pub fn address_checks_in_words(&self) -> String {
        format!(
            "{} sent, {} answered",
            self.address_checks, self.address_checks_passed
        )
    }

    /// Messages by kind, each kind sent or received once: its name, then how many were
    /// sent and received and their bytes out and in.
    pub fn by_kind(&self) -> Vec<(&str, [u64; 4])> {
        let kinds: std::collections::BTreeSet<&String> = self
            .messages_sent
            .keys()
            .chain(self.messages_received.keys())
            .collect();
        let of = |map: &BTreeMap<String, u64>, kind: &str| map.get(kind).copied().unwrap_or(0);
        kinds
            .into_iter()
            .map(|kind| {
                let counts = [
                    of(&self.messages_sent, kind),
                    of(&self.messages_received, kind),
                    of(&self.bytes_sent, kind),
                    of(&self.bytes_received, kind),
                ];
                (kind.as_str(), counts)
            })
            .collect()
    }

    pub fn of(node: &Node, uptime_seconds: f64) -> StatsInfo {
        let stats = node.stats();
        let mut members: BTreeMap<String, usize> = MemberState::ALL
            .iter()
            .zip(node.member_counts())
            .map(|(state, count)| (state.to_string(), count))
            .collect();
        let own = node.member_state(node.id()).unwrap_or(MemberState::Alive);
        *members.entry(own.to_string()).or_default() += 1;
        members.insert("total".into(), node.members().count() + 1);
        let by_kind = |count: &dyn Fn(MessageKind) -> u64| -> BTreeMap<String, u64> {
            MessageKind::ALL
                .iter()
                .map(|&kind| (kind, count(kind)))
                .filter(|&(_, count)| count > 0)
                .map(|(kind, count)| (kind.as_str().to_owned(), count))
                .collect()
        };
        StatsInfo {
            name: node.id().clone(),
            status: node.status().as_str().to_owned(),
            incarnation: node.incarnation(),
            local_health: node.local_health(),
            uptime_seconds,
            members,
            keys: node.store().len(),
            keys_aside: node.store_aside().map_or(0, gossip_core::Store::len),
            probes: stats.probes,
            failed_probes: stats.failed_probes,
            indirect_probes: stats.indirect_probes,
            refutations: stats.refutations,
            decode_errors: stats.decode_errors,
            address_checks: stats.address_checks,
            address_checks_passed: stats.address_checks_passed,
            messages_sent: by_kind(&|kind| stats.sent.messages_of(kind)),
            messages_received: by_kind(&|kind| stats.received.messages_of(kind)),
            bytes_sent: by_kind(&|kind| stats.sent.bytes_of(kind)),
            bytes_received: by_kind(&|kind| stats.received.bytes_of(kind)),
            conflicts: stats.conflicts,
            probe_rtt: RttInfo {
                bounds_ms: gossip_core::RttHistogram::BOUNDS_MS.to_vec(),
                cumulative: stats.probe_rtt.cumulative().collect(),
                sum_seconds: stats.probe_rtt.sum.as_millis() as f64 / 1000.0,
                count: stats.probe_rtt.count,
            },
            encrypted: false,
            refused: RefusedInfo::default(),
            event_handlers: HandlerRunsInfo::default(),
            user_events: UserEventsInfo::of(stats),
            interned: node.registry_footprint().0,
            rumors: {
                let mut rumors: Vec<RumorInfo> = node
                    .rumor_excitement()
                    .map(|(key, excitement)| RumorInfo {
                        key: key.to_owned(),
                        excitement,
                    })
                    .collect();
                rumors.sort_by(|a, b| {
                    b.excitement
                        .cmp(&a.excitement)
                        .then_with(|| a.key.cmp(&b.key))
                });
                rumors
            },
            max_excitement: node.config().max_excitement,
        }
    }
}

/// A recording of a real cluster (`gossip cluster --record FILE`): JSON lines, a
/// [`RecordingHeader`] first, then one [`Recorded`] per line as it happened. Lines are
/// written as they come, so a recording cut short is still readable up to its end.
pub mod recording {
    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    use super::MemberInfo;

    /// This format's version, the header's `recording` field. Format 1 wrote each event
    /// as an object named by the core's Rust variant (`{"MemberDead":{"id":"n3",...}}`)
    /// and tags as pairs; format 2 writes the flat object with a `kind` that the event
    /// stream sends. Both are read.
    pub const FORMAT: u32 = 2;

    /// Whether [`parse_line`] reads lines of a recording whose header says `format`.
    pub fn is_read(format: u32) -> bool {
        matches!(format, 1 | FORMAT)
    }

    /// One line after the header, from a recording of `format`.
    pub fn parse_line(format: u32, text: &str) -> Result<Recorded, serde_json::Error> {
        if format == 1 {
            let mut line: Value = serde_json::from_str(text)?;
            if let Some(event) = line.get_mut("event") {
                *event = event_of_format_1(event.take());
            }
            serde_json::from_value(line)
        } else {
            serde_json::from_str(text)
        }
    }

    /// Format 1's event, `"JoinedCluster"` or `{"MemberDead":{...}}`, as format 2 writes
    /// it. Anything else is left as it is, for the parser to refuse.
    fn event_of_format_1(event: Value) -> Value {
        let (variant, mut fields) = match event {
            Value::String(variant) => (variant, serde_json::Map::new()),
            Value::Object(named) if named.len() == 1 => match named.into_iter().next() {
                Some((variant, Value::Object(fields))) => (variant, fields),
                Some((variant, other)) => {
                    return Value::Object([(variant, other)].into_iter().collect());
                }
                None => return Value::Object(serde_json::Map::new()),
            },
            other => return other,
        };
        let kind = FORMAT_1_VARIANTS
            .iter()
            .find(|(name, _)| *name == variant)
            .map_or(variant.as_str(), |(_, kind)| kind);
        fields.insert("kind".to_owned(), Value::String(kind.to_owned()));
        Value::Object(fields)
    }

    /// Format 1's name of each event, with its kind.
    pub(crate) const FORMAT_1_VARIANTS: [(&str, &str); 14] = [
        ("JoinedCluster", "joined_cluster"),
        ("MemberJoined", "joined"),
        ("MemberSuspected", "suspected"),
        ("MemberAlive", "alive"),
        ("MemberDead", "dead"),
        ("MemberUpdated", "updated"),
        ("MemberLeft", "left"),
        ("MemberRemoved", "removed"),
        ("Refuted", "refuted"),
        ("LocalHealthChanged", "local_health"),
        ("KeyChanged", "key_changed"),
        ("Conflict", "conflict"),
        ("NameConflict", "name_conflict"),
        ("StoreTakenBack", "store_taken_back"),
    ];

    /// The first line: what was recorded.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct RecordingHeader {
        pub recording: u32,
        /// When the recording began, in milliseconds since the Unix epoch; every
        /// line's `at_ms` counts from here.
        pub started_unix_ms: u64,
        /// The agents, as launched.
        pub nodes: Vec<RecordedNode>,
        /// The launcher's protocol preset.
        pub preset: String,
    }

    /// One agent of the recorded cluster.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct RecordedNode {
        pub name: String,
        pub udp: String,
        pub http: String,
    }

    /// One line after the header.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum Recorded {
        /// What `node` reported, `at_ms` after the start.
        Event {
            at_ms: u64,
            node: String,
            event: gossip_core::Event,
        },
        /// `node`'s member table when the recorder connected to it (events before
        /// that were not seen): the state the events start from.
        Members {
            at_ms: u64,
            node: String,
            members: Vec<MemberInfo>,
        },
        /// `node`'s stream fell behind and `missed` events were lost.
        Gap {
            at_ms: u64,
            node: String,
            missed: u64,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::Config;

    /// A fresh node's counters, to change as a test needs.
    fn stats() -> StatsInfo {
        let node = Node::new(
            NodeId::new("n1").unwrap(),
            "127.0.0.1:7946".parse().unwrap(),
            Config::demo(),
            1,
        )
        .unwrap();
        StatsInfo::of(&node, 3.0)
    }

    #[test]
    fn counters_read_as_the_page_and_gossip_stats_say_them() {
        let mut stats = stats();
        stats.members.insert("dead".into(), 2);
        assert_eq!(
            stats.members_in_words(),
            "1 alive, 0 suspect, 2 dead, 0 left"
        );
        assert_eq!(stats.round_trip_in_words(), "no probe answered yet");
        (stats.keys, stats.conflicts, stats.keys_aside) = (3, 4, 2);
        assert_eq!(
            stats.keys_in_words(),
            "3 (4 conflicts seen); 2 more held aside until caught up with peers"
        );
        stats.probe_rtt.count = 4;
        stats.probe_rtt.sum_seconds = 0.006;
        assert_eq!(stats.round_trip_in_words(), "1.5 ms mean over 4 probes");
        (stats.probes, stats.failed_probes, stats.indirect_probes) = (9, 2, 1);
        assert_eq!(stats.probes_in_words(), "9 (2 failed, 1 indirect)");
        (stats.address_checks, stats.address_checks_passed) = (3, 2);
        assert_eq!(stats.address_checks_in_words(), "3 sent, 2 answered");
        stats.refused.replayed = 5;
        assert_eq!(
            stats.datagrams_in_words(),
            "not sealed; 0 undecodable; refused: 0 unauthenticated, 5 replayed, 0 stale, 0 other cluster"
        );
    }

    /// One event of each kind, as the node reports them.
    fn one_event_of_each_kind() -> Vec<gossip_core::Event> {
        use gossip_core::{Event, Incarnation, ReplicaId, Tags};
        let id = NodeId::new("n3").unwrap();
        let addr: std::net::SocketAddr = "127.0.0.1:7948".parse().unwrap();
        let incarnation: Incarnation = 2;
        vec![
            Event::JoinedCluster,
            Event::MemberJoined {
                id: id.clone(),
                addr,
            },
            Event::MemberSuspected {
                id: id.clone(),
                incarnation,
            },
            Event::MemberAlive {
                id: id.clone(),
                incarnation,
            },
            Event::MemberDead {
                id: id.clone(),
                incarnation,
            },
            Event::MemberLeft { id: id.clone() },
            Event::MemberRemoved { id: id.clone() },
            Event::Refuted { incarnation },
            Event::LocalHealthChanged { score: 1 },
            Event::KeyChanged {
                key: "colour".into(),
                value: Some("blue".into()),
                writer: ReplicaId::new(id.clone(), 7),
            },
            Event::Conflict {
                key: "colour".into(),
                siblings: 2,
            },
            Event::NameConflict {
                id: id.clone(),
                held: addr,
                claimed: addr,
            },
            Event::StoreTakenBack {
                added: 1,
                forgotten: 0,
            },
            Event::MemberUpdated {
                id: id.clone(),
                incarnation,
                tags: Tags::new([("dc", "east")]).unwrap(),
            },
            Event::UserEvent {
                origin: id,
                name: "deploy".into(),
                payload: "v2".into(),
            },
        ]
    }

    /// An event in JSON is one flat object whose `kind` is its name on the stream, and
    /// reads back as itself.
    #[test]
    fn each_event_in_json_is_named_as_the_stream_names_it() {
        let events = one_event_of_each_kind();
        assert_eq!(events.len(), EVENT_KINDS.len() - 1, "every kind but lagged");
        for event in events {
            let json = serde_json::to_value(&event).unwrap();
            assert_eq!(json["kind"], event_kind(&event), "{json}");
            assert_eq!(
                serde_json::from_value::<gossip_core::Event>(json).unwrap(),
                event
            );
        }
        let dead = serde_json::to_string(&one_event_of_each_kind()[4]).unwrap();
        assert_eq!(dead, r#"{"kind":"dead","id":"n3","incarnation":2}"#);
    }

    /// A recording of format 1 named each event by its Rust variant; its lines read as
    /// the same events.
    #[test]
    fn recordings_of_format_1_read_as_the_same_events() {
        for event in one_event_of_each_kind() {
            let kind = event_kind(&event);
            if kind == "user" {
                // Newer than format 1.
                continue;
            }
            let mut json = serde_json::to_value(&event).unwrap();
            let fields = json.as_object_mut().unwrap();
            fields.remove("kind");
            if let Some(tags) = fields.get_mut("tags") {
                let pairs: Vec<(String, serde_json::Value)> =
                    tags.as_object().unwrap().clone().into_iter().collect();
                *tags = serde_json::to_value(pairs).unwrap();
            }
            let (variant, _) = recording::FORMAT_1_VARIANTS
                .iter()
                .find(|(_, k)| *k == kind)
                .unwrap();
            let old = if fields.is_empty() {
                serde_json::json!(variant)
            } else {
                serde_json::json!({ *variant: fields })
            };
            let line = serde_json::json!({"type": "event", "at_ms": 5, "node": "n1", "event": old});
            let read = recording::parse_line(1, &line.to_string()).unwrap();
            assert_eq!(
                read,
                recording::Recorded::Event {
                    at_ms: 5,
                    node: "n1".into(),
                    event
                },
                "{line}"
            );
        }
        let unknown = r#"{"type":"event","at_ms":5,"node":"n1","event":{"MemberExploded":{}}}"#;
        assert!(recording::parse_line(1, unknown).is_err());
        assert!(
            recording::parse_line(
                2,
                r#"{"type":"event","at_ms":5,"node":"n1","event":{"MemberLeft":{"id":"n3"}}}"#
            )
            .is_err()
        );
        assert!(recording::is_read(1) && recording::is_read(2) && !recording::is_read(3));
    }

    #[test]
    fn messages_by_kind_list_each_kind_sent_or_received_once() {
        let mut stats = stats();
        stats.messages_sent.insert("ping".into(), 3);
        stats.bytes_sent.insert("ping".into(), 30);
        stats.messages_received.insert("ack".into(), 2);
        stats.bytes_received.insert("ack".into(), 14);
        stats.messages_received.insert("ping".into(), 1);
        stats.bytes_received.insert("ping".into(), 10);
        assert_eq!(
            stats.by_kind(),
            [("ack", [0, 2, 0, 14]), ("ping", [3, 1, 30, 10])]
        );
    }
}
