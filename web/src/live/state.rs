//! What the live page knows about its agent, as a reducer, and how that becomes the
//! lab components' inputs: plain functions, tested natively.

use std::collections::VecDeque;
use std::rc::Rc;

use gossip_api::{KeyInfo, MemberInfo, StatsInfo};
use yew::{AttrValue, Reducible};

use crate::components::event_log::EventLine;
use crate::components::graph::GraphNode;
use crate::components::key_panel::{KeyRow, describe_version};

/// Events kept for the log.
const EVENTS_KEPT: usize = 200;

#[derive(Clone, Debug, PartialEq)]
pub struct LiveState {
    /// The agent that served the page.
    pub agent: String,
    pub members: Vec<MemberInfo>,
    pub keys: Vec<KeyInfo>,
    pub stats: Option<StatsInfo>,
    /// Newest first.
    pub events: VecDeque<EventLine>,
    /// Whether the last poll got an answer.
    pub connected: bool,
    /// The agent was told to leave from this page.
    pub left: bool,
    /// The last thing that went wrong, for the person.
    pub error: Option<String>,
    /// What the last join found, for the person.
    pub notice: Option<String>,
}

pub enum LiveAction {
    /// A fresh reading of the agent's API.
    Polled {
        members: Vec<MemberInfo>,
        keys: Vec<KeyInfo>,
        stats: Box<StatsInfo>,
    },
    /// The agent did not answer a poll.
    Unreachable(String),
    /// One event from the agent's stream, at wall-clock time `at`.
    Event {
        at: String,
        /// Its name on the stream (`suspected`, ..., or `lagged`).
        kind: String,
        data: String,
    },
    /// A write, delete or leave failed.
    Failed(String),
    /// A write, delete or leave was done.
    Done,
    Left,
    /// A join was answered: what it found, in words.
    Joined(String),
}

impl LiveState {
    pub fn new(agent: String) -> LiveState {
        LiveState {
            agent,
            members: Vec::new(),
            keys: Vec::new(),
            stats: None,
            events: VecDeque::new(),
            connected: false,
            left: false,
            error: None,
            notice: None,
        }
    }
}

impl Reducible for LiveState {
    type Action = LiveAction;

    fn reduce(self: Rc<Self>, action: LiveAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            LiveAction::Polled {
                members,
                keys,
                stats,
            } => {
                next.members = members;
                next.keys = keys;
                next.stats = Some(*stats);
                next.connected = true;
            }
            LiveAction::Unreachable(error) => {
                next.connected = false;
                if !next.left {
                    next.error = Some(error);
                }
            }
            LiveAction::Event { at, kind, data } => {
                let line = event_line(&next.agent, at, &kind, &data);
                next.events.push_front(line);
                next.events.truncate(EVENTS_KEPT);
            }
            LiveAction::Failed(error) => {
                next.error = Some(error);
                next.notice = None;
            }
            LiveAction::Done => next.error = None,
            LiveAction::Joined(found) => {
                next.notice = Some(found);
                next.error = None;
            }
            LiveAction::Left => next.left = true,
        }
        Rc::new(next)
    }
}

/// The members as graph nodes, the agent itself first. A live page has no ground truth:
/// a member counts as up unless this agent holds it dead or gone.
pub fn graph_nodes(state: &LiveState) -> Vec<GraphNode> {
    state
        .members
        .iter()
        .map(|member| {
            let own = member.name.as_str() == state.agent;
            GraphNode {
                name: AttrValue::from(member.name.to_string()),
                state: member.status.as_str(),
                up: member.status.is_active(),
                paused: false,
                incarnation: member.incarnation,
                keys: own.then_some(state.keys.len()),
                local_health: if own {
                    state.stats.as_ref().map_or(0, |s| s.local_health)
                } else {
                    0
                },
                action: page_of(member)
                    .filter(|_| !own)
                    .map(|_| AttrValue::from("open its page")),
                selected: false,
                suspicion_left: None,
                holds_key: false,
                // Its hottest rumor, drawn as the lab draws a simulated node's.
                excitement: own
                    .then_some(state.stats.as_ref())
                    .flatten()
                    .and_then(|s| Some((s.rumors.first()?.excitement, s.max_excitement))),
                tooltip: (!member.tags.is_empty()).then(|| {
                    let tags: Vec<String> = member
                        .tags
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect();
                    AttrValue::from(format!("{} tags: {}", member.name, tags.join(", ")))
                }),
            }
        })
        .collect()
}

/// The address of a member's own page: its `http` tag (which `gossip cluster` sets).
pub fn page_of(member: &MemberInfo) -> Option<String> {
    let addr = member.tags.get("http")?;
    let addr: std::net::SocketAddr = addr.parse().ok()?;
    Some(format!("http://{addr}/"))
}

/// The addresses a person typed to join, split at spaces and commas.
pub fn join_addrs(typed: &str) -> Vec<String> {
    typed
        .split([' ', ','])
        .filter(|addr| !addr.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What a join found, in words: who answered where, and which addresses stayed silent.
pub fn join_found(found: &gossip_api::JoinInfo) -> String {
    found.in_words().join("; ")
}

/// The agent's keys as the store panel shows them, every sibling with its clock.
pub fn key_rows(keys: &[KeyInfo]) -> Vec<KeyRow> {
    keys.iter()
        .map(|key| KeyRow {
            key: key.key.clone(),
            value: key.value.clone(),
            versions: key
                .versions
                .iter()
                .map(|v| {
                    describe_version(
                        v.value.as_deref(),
                        &v.writer,
                        v.clock.iter().map(|(w, n)| (w, *n)),
                    )
                })
                .collect(),
            spread: None,
        })
        .collect()
}

/// An event from the stream as a log line, or word that the page missed some; data
/// that is not an event is shown as it came.
pub fn event_line(agent: &str, at: String, kind: &str, data: &str) -> EventLine {
    let (kind, text) = match serde_json::from_str::<gossip_core::Event>(data) {
        Ok(event) => (gossip_api::event_kind(&event), event.to_string()),
        Err(_) if kind == "lagged" => (
            "lagged",
            format!(
                "missed {data} events: the page fell behind, or was away longer than the agent keeps them"
            ),
        ),
        Err(_) => {
            let known = gossip_api::EVENT_KINDS
                .into_iter()
                .find(|known| *known == kind);
            (known.unwrap_or_default(), data.to_owned())
        }
    };
    EventLine {
        at,
        at_ms: None,
        node: agent.to_owned(),
        kind,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::MemberState;
    use gossip_core::NodeId;

    #[test]
    fn a_join_is_typed_as_addresses_and_reported_in_words() {
        assert_eq!(
            join_addrs(" 10.0.0.7:7946, seed.internal:7946  127.0.0.1:1,"),
            ["10.0.0.7:7946", "seed.internal:7946", "127.0.0.1:1"]
        );
        let found = gossip_api::JoinInfo {
            contacted: vec![
                "127.0.0.1:7946".parse().unwrap(),
                "127.0.0.1:1".parse().unwrap(),
            ],
            answered: vec![gossip_api::JoinAnswer {
                addr: "127.0.0.1:7946".parse().unwrap(),
                name: NodeId::new("n1").unwrap(),
            }],
            unanswered: vec!["127.0.0.1:1".parse().unwrap()],
            unresolved: vec!["gone.internal:7946".into()],
        };
        assert_eq!(
            join_found(&found),
            "joined n1 at 127.0.0.1:7946; no answer from 127.0.0.1:1; no address for gone.internal:7946"
        );
    }

    #[test]
    fn an_agents_rumors_read_as_keys_with_the_excitement_left() {
        let addr = "127.0.0.1:7946".parse().unwrap();
        let config = gossip_core::Config::demo();
        let mut node =
            gossip_core::Node::new(NodeId::new("n1").unwrap(), addr, config.clone(), 1).unwrap();
        let now = gossip_core::Instant::ZERO;
        node.join(now, &[]);
        assert_eq!(
            StatsInfo::of(&node, 0.0).rumors_in_words(),
            "none: every rumor has cooled"
        );
        node.put(now, "colour", "blue").unwrap();
        let k = config.max_excitement;
        assert_eq!(
            StatsInfo::of(&node, 0.0).rumors_in_words(),
            format!("colour {k}/{k}")
        );
    }

    fn member(name: &str, status: MemberState, incarnation: u32) -> MemberInfo {
        MemberInfo {
            name: NodeId::new(name).unwrap(),
            addr: "127.0.0.1:7946".parse().unwrap(),
            status,
            incarnation,
            local_health: None,
            tags: Default::default(),
        }
    }

    #[test]
    fn members_become_graph_nodes_with_the_agent_s_own_details() {
        let mut state = LiveState::new("n1".into());
        state.members = vec![
            member("n1", MemberState::Alive, 2),
            member("n2", MemberState::Suspect, 0),
            member("n3", MemberState::Dead, 1),
        ];
        state.keys = vec![KeyInfo {
            key: "k".into(),
            value: Some("v".into()),
            versions: vec![],
        }];
        let nodes = graph_nodes(&state);
        let shown: Vec<_> = nodes
            .iter()
            .map(|n| (n.name.as_str(), n.state, n.up, n.incarnation, n.keys))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("n1", "alive", true, 2, Some(1)),
                ("n2", "suspect", true, 0, None),
                ("n3", "dead", false, 1, None),
            ]
        );
    }

    #[test]
    fn members_with_an_http_tag_link_to_their_pages() {
        let mut state = LiveState::new("n1".into());
        let tagged = |name: &str, http: &str| {
            let mut m = member(name, MemberState::Alive, 0);
            m.tags.insert("http".into(), http.into());
            m
        };
        state.members = vec![
            tagged("n1", "127.0.0.1:9001"),
            tagged("n2", "127.0.0.1:9002"),
            tagged("n3", "not an address"),
            member("n4", MemberState::Alive, 0),
        ];
        let actions: Vec<_> = graph_nodes(&state)
            .into_iter()
            .map(|n| n.action.map(|a| a.to_string()))
            .collect();
        assert_eq!(
            actions,
            vec![None, Some("open its page".into()), None, None],
            "not its own, not a bad address, not without the tag"
        );
        assert_eq!(
            page_of(&state.members[1]).as_deref(),
            Some("http://127.0.0.1:9002/")
        );
        assert_eq!(
            graph_nodes(&state)[1].tooltip.as_deref(),
            Some("n2 tags: http=127.0.0.1:9002")
        );
    }

    #[test]
    fn siblings_show_their_writers_and_clocks() {
        let info = |value: &str, writer: &str| gossip_api::VersionInfo {
            value: Some(value.into()),
            writer: writer.into(),
            clock: [(writer.to_owned(), 1)].into_iter().collect(),
        };
        let rows = key_rows(&[KeyInfo {
            key: "colour".into(),
            value: Some("red".into()),
            versions: vec![info("red", "n1.0"), info("blue", "n3.0")],
        }]);
        assert_eq!(
            rows[0].versions,
            vec![
                r#""red" by n1.0 {n1.0:1}"#.to_owned(),
                r#""blue" by n3.0 {n3.0:1}"#.to_owned()
            ]
        );
    }

    #[test]
    fn stream_events_read_as_the_lab_writes_them() {
        let data = serde_json::to_string(&gossip_core::Event::MemberDead {
            id: NodeId::new("n4").unwrap(),
            incarnation: 3,
        })
        .unwrap();
        let state = Rc::new(LiveState::new("n1".into())).reduce(LiveAction::Event {
            at: "10:00:00".into(),
            kind: "dead".into(),
            data,
        });
        assert_eq!(state.events[0].text, "declares n4 dead (inc 3)");
        assert_eq!(state.events[0].node, "n1");
        // The kind, which the log's filter matches, is the event's own.
        assert_eq!(state.events[0].kind, "dead");
        let odd = event_line("n1", "t".into(), "from-a-newer-agent", "7");
        assert_eq!((odd.kind, odd.text.as_str()), ("", "7"));
        let unread = event_line("n1", "t".into(), "left", "not an event");
        assert_eq!(unread.kind, "left", "a kind the stream names, kept");
        let missed = event_line("n1", "t".into(), "lagged", "7");
        assert_eq!(missed.kind, "lagged");
        assert!(
            missed.text.starts_with("missed 7 events"),
            "{}",
            missed.text
        );
    }
}
