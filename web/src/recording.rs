//! A recording of a real cluster (`gossip cluster --record FILE`), opened in the lab to
//! scrub through. A recording is not a simulator run: there is no protocol to run
//! again, only what each agent reported. So it is read-only, and the cluster at any
//! moment is a fold of the recorded lines up to that moment ([`RecordingView::at`]):
//! each agent's member table as recorded, changed by each event it reported since.
//!
//! The file comes from anywhere, so reading it is bounded ([`MAX_BYTES`],
//! [`MAX_LINES`], [`MAX_AGENTS`]) and every fault names its line.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use gossip_api::recording::{self, FORMAT, Recorded, RecordingHeader};
use gossip_core::{Event, Instant, MemberState};
use yew::AttrValue;

use crate::cluster::Shown;
use crate::components::event_log::EventLine;
use crate::components::graph::GraphNode;
use crate::components::key_panel::KeyRow;

/// The largest file the lab opens: about an hour of a busy 50-agent cluster.
pub const MAX_BYTES: usize = 32 << 20;
/// The most lines the lab reads: every seek folds them from the start.
pub const MAX_LINES: usize = 200_000;
/// The most agents a recording names (`gossip cluster` launches at most 200).
pub const MAX_AGENTS: usize = 200;
/// Lines the event list is given (it shows the newest of them).
const EVENTS_LISTED: usize = 200;

/// A recording, read and checked: its header and its lines in time order.
#[derive(Debug, PartialEq)]
pub struct Recording {
    pub header: RecordingHeader,
    pub lines: Vec<Recorded>,
    /// Every member named anywhere: the recorded agents first (in the header's order),
    /// then any other the agents reported, by name. The graph keeps this order at every
    /// moment, so no node moves while scrubbing.
    pub names: Vec<String>,
}

/// Whether a file's text is a recording rather than a simulator trace: its first line
/// is the recording header (a JSON object with a `recording` field).
pub fn is_recording(text: &str) -> bool {
    let first = text.lines().next().unwrap_or_default();
    first.contains("\"recording\"")
        && serde_json::from_str::<serde_json::Value>(first)
            .is_ok_and(|value| value.get("recording").is_some())
}

fn at_ms(line: &Recorded) -> u64 {
    match line {
        Recorded::Event { at_ms, .. }
        | Recorded::Members { at_ms, .. }
        | Recorded::Gap { at_ms, .. } => *at_ms,
    }
}

fn agent_of(line: &Recorded) -> &str {
    match line {
        Recorded::Event { node, .. }
        | Recorded::Members { node, .. }
        | Recorded::Gap { node, .. } => node,
    }
}

impl Recording {
    /// Reads a recording's text. A line that does not read, a line cut short, a line
    /// from an agent the header does not name, or one stamped before the line above is
    /// an error naming that line (1 is the header).
    pub fn parse(text: &str) -> Result<Recording, String> {
        if text.len() > MAX_BYTES {
            return Err(format!(
                "the recording is {} MB, over the {} MB the lab opens",
                text.len() >> 20,
                MAX_BYTES >> 20
            ));
        }
        let mut numbered = text
            .lines()
            .enumerate()
            .map(|(i, line)| (i + 1, line))
            .filter(|(_, line)| !line.trim().is_empty());
        let Some((_, first)) = numbered.next() else {
            return Err("the recording is empty".to_owned());
        };
        let header: RecordingHeader = serde_json::from_str(first)
            .map_err(|e| format!("line 1 is not a recording header: {}", reason(&e)))?;
        if !recording::is_read(header.recording) {
            return Err(format!(
                "line 1: recording format {}, but this lab reads formats 1 to {FORMAT}",
                header.recording
            ));
        }
        if header.nodes.len() > MAX_AGENTS {
            return Err(format!(
                "line 1: {} agents, over the {MAX_AGENTS} the lab shows",
                header.nodes.len()
            ));
        }
        let agents: BTreeSet<&str> = header.nodes.iter().map(|n| n.name.as_str()).collect();
        let cut_short_at = (!text.ends_with('\n')).then(|| text.lines().count());
        let mut lines: Vec<Recorded> = Vec::new();
        for (number, text) in numbered {
            if lines.len() == MAX_LINES {
                return Err(format!(
                    "line {number}: over the {MAX_LINES} lines the lab reads"
                ));
            }
            let line = recording::parse_line(header.recording, text).map_err(|e| {
                if cut_short_at == Some(number) && e.is_eof() {
                    format!("line {number} is cut short: the recording ends mid-line")
                } else {
                    format!("line {number} is not a recorded line: {}", reason(&e))
                }
            })?;
            if !agents.contains(agent_of(&line)) {
                return Err(format!(
                    "line {number}: {} is not one of the recording's agents",
                    agent_of(&line)
                ));
            }
            if let Some(before) = lines.last().map(at_ms)
                && at_ms(&line) < before
            {
                return Err(format!(
                    "line {number}: at {} ms, before the line above ({before} ms)",
                    at_ms(&line)
                ));
            }
            lines.push(line);
        }
        let mut others = BTreeSet::new();
        for line in &lines {
            match line {
                Recorded::Members { members, .. } => {
                    others.extend(members.iter().map(|m| m.name.to_string()))
                }
                Recorded::Event { event, .. } => {
                    if let Some(id) = subject_of(event) {
                        others.insert(id.to_owned());
                    }
                }
                Recorded::Gap { .. } => {}
            }
        }
        let mut names: Vec<String> = header.nodes.iter().map(|n| n.name.clone()).collect();
        others.retain(|name| !agents.contains(name.as_str()));
        names.extend(others);
        Ok(Recording {
            header,
            lines,
            names,
        })
    }

    /// When the last line was recorded, in milliseconds from the start.
    pub fn end_ms(&self) -> u64 {
        self.lines.last().map_or(0, at_ms)
    }

    /// How many lines were recorded at or before `at`.
    fn count_until(&self, at: u64) -> usize {
        self.lines.partition_point(|line| at_ms(line) <= at)
    }

    /// The time of the first line recorded after `at`.
    pub fn next_after(&self, at: u64) -> Option<u64> {
        self.lines.get(self.count_until(at)).map(at_ms)
    }

    /// The time of the last line recorded before `at`.
    pub fn previous_before(&self, at: u64) -> Option<u64> {
        let before = self.lines.partition_point(|line| at_ms(line) < at);
        before.checked_sub(1).map(|i| at_ms(&self.lines[i]))
    }

    /// The lines recorded up to `at`, newest first, as the event list shows them.
    pub fn event_lines(&self, at: u64) -> Vec<EventLine> {
        self.lines[..self.count_until(at)]
            .iter()
            .rev()
            .take(EVENTS_LISTED)
            .map(|line| EventLine {
                at: Instant::from_millis(at_ms(line)).to_string(),
                at_ms: Some(at_ms(line)),
                node: agent_of(line).to_owned(),
                kind: match line {
                    Recorded::Event { event, .. } => gossip_api::event_kind(event),
                    Recorded::Members { .. } => "",
                    Recorded::Gap { .. } => "lagged",
                },
                text: match line {
                    Recorded::Event { event, .. } => event.to_string(),
                    Recorded::Members { members, .. } => {
                        let members: Vec<String> = members
                            .iter()
                            .map(|m| format!("{} {}", m.name, m.status.as_str()))
                            .collect();
                        format!("member table when recording began: {}", members.join(", "))
                    }
                    Recorded::Gap { missed, .. } => {
                        format!("missed {missed} events (its stream fell behind)")
                    }
                },
            })
            .collect()
    }

    /// The wall-clock time (UTC) `at` milliseconds into the recording.
    pub fn wall_clock(&self, at: u64) -> String {
        utc(self.header.started_unix_ms.saturating_add(at))
    }
}

/// Why a line does not read, placed by column only: serde's own "at line 1" counts
/// within the line, not in the file.
fn reason(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let place = format!(" at line {} column {}", error.line(), error.column());
    let what = text.strip_suffix(&place).unwrap_or(&text);
    format!("{what} (column {})", error.column())
}

/// The member an event is about, if any.
fn subject_of(event: &Event) -> Option<&str> {
    match event {
        Event::MemberJoined { id, .. }
        | Event::MemberSuspected { id, .. }
        | Event::MemberAlive { id, .. }
        | Event::MemberDead { id, .. }
        | Event::MemberUpdated { id, .. }
        | Event::MemberLeft { id }
        | Event::MemberRemoved { id } => Some(id.as_str()),
        _ => None,
    }
}

/// A Unix time in milliseconds as `YYYY-MM-DD hh:mm:ss UTC` (the civil calendar from a
/// day count, after Howard Hinnant's `civil_from_days`).
fn utc(unix_ms: u64) -> String {
    let seconds = unix_ms / 1000;
    let (days, of_day) = ((seconds / 86_400) as i64, seconds % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60
    )
}

/// What one agent believed about one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Belief {
    pub state: MemberState,
    pub incarnation: u32,
}

/// A key as one agent last reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedKey {
    /// `None`: deleted.
    pub value: Option<String>,
    pub writer: String,
    /// Concurrent versions it holds (1 without a conflict).
    pub siblings: usize,
}

/// One recorded agent's view at a moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentView {
    /// Its member table, itself included (an agent reports its own refutations).
    pub members: BTreeMap<String, Belief>,
    pub local_health: u32,
    pub keys: BTreeMap<String, RecordedKey>,
    /// Events its stream lost so far: the view may be behind the agent's.
    pub missed: u64,
}

impl AgentView {
    fn believe(&mut self, id: &str, state: MemberState, incarnation: Option<u32>) {
        let belief = self.members.entry(id.to_owned()).or_insert(Belief {
            state,
            incarnation: 0,
        });
        belief.state = state;
        if let Some(incarnation) = incarnation {
            belief.incarnation = incarnation;
        }
    }

    fn apply(&mut self, me: &str, event: &Event) {
        match event {
            Event::JoinedCluster => self.believe(me, MemberState::Alive, None),
            Event::MemberJoined { id, .. } => self.believe(id.as_str(), MemberState::Alive, None),
            Event::MemberSuspected { id, incarnation } => {
                self.believe(id.as_str(), MemberState::Suspect, Some(*incarnation))
            }
            Event::MemberAlive { id, incarnation } => {
                self.believe(id.as_str(), MemberState::Alive, Some(*incarnation))
            }
            Event::MemberDead { id, incarnation } => {
                self.believe(id.as_str(), MemberState::Dead, Some(*incarnation))
            }
            Event::MemberLeft { id } => self.believe(id.as_str(), MemberState::Left, None),
            Event::MemberRemoved { id } => {
                self.members.remove(id.as_str());
            }
            Event::Refuted { incarnation } => {
                self.believe(me, MemberState::Alive, Some(*incarnation))
            }
            Event::LocalHealthChanged { score } => self.local_health = *score,
            Event::KeyChanged { key, value, writer } => {
                self.keys.insert(
                    key.clone(),
                    RecordedKey {
                        value: value.clone(),
                        writer: writer.to_string(),
                        siblings: 1,
                    },
                );
            }
            Event::Conflict { key, siblings } => {
                if let Some(held) = self.keys.get_mut(key) {
                    held.siblings = *siblings;
                }
            }
            // For the log; the keys taken back come as their own key changes, and a
            // change of state comes as its own event beside a change of tags.
            Event::NameConflict { .. }
            | Event::StoreTakenBack { .. }
            | Event::UserEvent { .. }
            | Event::MemberUpdated { .. } => {}
        }
    }
}

/// The recorded cluster at one moment: every agent's view, folded from the lines up to
/// then.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordingView {
    pub at_ms: u64,
    /// By agent, in the header's order.
    pub agents: BTreeMap<String, AgentView>,
    names: Vec<String>,
    /// The recorded agents, in the header's order.
    order: Vec<String>,
}

impl RecordingView {
    /// Folds `recording` up to and including the lines stamped `at` (ms from the start).
    pub fn at(recording: &Recording, at: u64) -> RecordingView {
        let mut agents: BTreeMap<String, AgentView> = recording
            .header
            .nodes
            .iter()
            .map(|n| (n.name.clone(), AgentView::default()))
            .collect();
        for line in &recording.lines[..recording.count_until(at)] {
            let Some(view) = agents.get_mut(agent_of(line)) else {
                continue;
            };
            match line {
                Recorded::Members { members, .. } => {
                    view.members = members
                        .iter()
                        .map(|m| {
                            let belief = Belief {
                                state: m.status,
                                incarnation: m.incarnation,
                            };
                            (m.name.to_string(), belief)
                        })
                        .collect();
                    if let Some(me) = members.iter().find(|m| m.name.as_str() == agent_of(line)) {
                        view.local_health = me.local_health.unwrap_or(0);
                    }
                }
                Recorded::Event { node, event, .. } => view.apply(node, event),
                Recorded::Gap { missed, .. } => view.missed = view.missed.saturating_add(*missed),
            }
        }
        RecordingView {
            at_ms: at,
            agents,
            names: recording.names.clone(),
            order: recording
                .header
                .nodes
                .iter()
                .map(|n| n.name.clone())
                .collect(),
        }
    }

    /// How `observer` saw `subject`: unknown when it had no entry for it (yet, or any
    /// more once it forgot it).
    pub fn seen_by(&self, observer: &str, subject: &str) -> Shown {
        self.agents
            .get(observer)
            .and_then(|view| view.members.get(subject))
            .map_or(Shown::Unknown, |belief| {
                Shown::from_member_state(belief.state)
            })
    }

    /// How the other agents saw `subject`: the state most of them held, ties going to
    /// the more alarming one (as the lab's consensus); when none held any, as it saw
    /// itself.
    pub fn consensus(&self, subject: &str) -> Shown {
        let mut counts: Vec<(Shown, usize)> = Vec::new();
        let views = self
            .agents
            .iter()
            .filter(|(name, _)| name.as_str() != subject)
            .filter_map(|(_, view)| view.members.get(subject));
        for shown in views.map(|belief| Shown::from_member_state(belief.state)) {
            match counts.iter_mut().find(|(s, _)| *s == shown) {
                Some((_, count)) => *count += 1,
                None => counts.push((shown, 1)),
            }
        }
        counts
            .into_iter()
            .max_by_key(|(shown, count)| (*count, shown.severity()))
            .map_or_else(|| self.seen_by(subject, subject), |(shown, _)| shown)
    }

    /// `subject` as `view` saw it, or by consensus.
    pub fn shown(&self, view: Option<&str>, subject: &str) -> Shown {
        match view {
            Some(observer) => self.seen_by(observer, subject),
            None => self.consensus(subject),
        }
    }

    /// Every member as the graph draws it, through `view`'s eyes (or the consensus'):
    /// no ground truth is recorded, so a member counts as up unless it is held dead or
    /// gone.
    pub fn graph_nodes(&self, view: Option<&str>) -> Vec<GraphNode> {
        self.names
            .iter()
            .map(|name| {
                let shown = self.shown(view, name);
                let incarnation = match view {
                    Some(observer) => self
                        .agents
                        .get(observer)
                        .and_then(|v| v.members.get(name.as_str()))
                        .map_or(0, |b| b.incarnation),
                    None => self
                        .agents
                        .values()
                        .filter_map(|v| v.members.get(name.as_str()))
                        .map(|b| b.incarnation)
                        .max()
                        .unwrap_or(0),
                };
                let own = self.agents.get(name.as_str());
                GraphNode {
                    name: AttrValue::from(name.clone()),
                    state: shown.as_str(),
                    up: !matches!(shown, Shown::Dead | Shown::Left),
                    paused: false,
                    incarnation,
                    keys: own.map(|v| v.keys.len()),
                    local_health: own.map_or(0, |v| v.local_health),
                    action: own.map(|_| AttrValue::from("see the cluster as it saw it")),
                    tooltip: None,
                    selected: false,
                    suspicion_left: None,
                    holds_key: false,
                    excitement: None,
                }
            })
            .collect()
    }

    /// The keys as `view` held them, or, for the consensus, as most agents did; with how
    /// many agents held that same version.
    pub fn key_rows(&self, view: Option<&str>) -> Vec<KeyRow> {
        let keys: BTreeSet<&String> = match view {
            Some(observer) => self
                .agents
                .get(observer)
                .map(|v| v.keys.keys().collect())
                .unwrap_or_default(),
            None => self.agents.values().flat_map(|v| v.keys.keys()).collect(),
        };
        keys.into_iter()
            .filter_map(|key| {
                let held: Vec<&RecordedKey> = self
                    .order
                    .iter()
                    .filter_map(|agent| self.agents.get(agent)?.keys.get(key))
                    .collect();
                let chosen = match view {
                    Some(observer) => self.agents.get(observer)?.keys.get(key)?,
                    None => *held
                        .iter()
                        .max_by_key(|k| held.iter().filter(|other| *other == *k).count())?,
                };
                let holders = held.iter().filter(|k| **k == chosen).count();
                let version = match &chosen.value {
                    Some(value) => format!("{value:?} by {}", chosen.writer),
                    None => format!("deleted by {}", chosen.writer),
                };
                let mut versions = vec![version];
                versions.extend(
                    (1..chosen.siblings).map(|_| "a concurrent version (not recorded)".to_owned()),
                );
                Some(KeyRow {
                    key: key.clone(),
                    value: chosen.value.clone(),
                    versions,
                    spread: Some((
                        holders,
                        self.agents.len(),
                        format!(
                            "{holders} of the {} agents held this version",
                            self.agents.len()
                        ),
                    )),
                })
            })
            .collect()
    }
}

/// Speeds a recording plays at: recorded time per wall-clock time.
pub const PLAY_SPEEDS: [f64; 6] = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0];

/// The recording being looked at: where in it, through whose eyes, playing or not.
#[derive(Clone, Debug)]
pub struct RecordingState {
    pub recording: Rc<Recording>,
    pub at_ms: u64,
    /// Whose view the graph and the store show (`None`: the consensus).
    pub view: Option<String>,
    pub playing: bool,
    pub speed: f64,
}

/// The same recording (compared by address: it is large and never changes), at the
/// same place, seen the same way.
impl PartialEq for RecordingState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.recording, &other.recording)
            && self.at_ms == other.at_ms
            && self.view == other.view
            && self.playing == other.playing
            && self.speed == other.speed
    }
}

/// What a person does to a recording.
#[derive(Clone, Debug, PartialEq)]
pub enum RecordingAction {
    /// Go to this time (ms from the start; clamped to the recording).
    Seek(u64),
    /// To the next or the previous recorded line's time.
    NextEvent,
    PreviousEvent,
    TogglePlay,
    /// Playing: this much wall-clock time (ms) has passed.
    Advance(u64),
    SetSpeed(f64),
    /// See through this agent's eyes (`None`: the consensus).
    SetView(Option<String>),
}

impl RecordingState {
    /// A recording opened at its start, through the consensus' eyes.
    pub fn new(recording: Recording) -> RecordingState {
        RecordingState {
            recording: Rc::new(recording),
            at_ms: 0,
            view: None,
            playing: false,
            speed: 1.0,
        }
    }

    /// The state after `action`.
    pub fn apply(&self, action: RecordingAction) -> RecordingState {
        let mut next = self.clone();
        let end = self.recording.end_ms();
        match action {
            RecordingAction::Seek(at) => next.at_ms = at.min(end),
            RecordingAction::NextEvent => {
                next.playing = false;
                next.at_ms = self.recording.next_after(self.at_ms).unwrap_or(end);
            }
            RecordingAction::PreviousEvent => {
                next.playing = false;
                next.at_ms = self.recording.previous_before(self.at_ms).unwrap_or(0);
            }
            RecordingAction::TogglePlay => {
                next.playing = !self.playing;
                if next.playing && self.at_ms >= end {
                    next.at_ms = 0;
                }
            }
            RecordingAction::Advance(wall_ms) => {
                if self.playing {
                    let by = (wall_ms as f64 * self.speed) as u64;
                    next.at_ms = self.at_ms.saturating_add(by).min(end);
                    next.playing = next.at_ms < end;
                }
            }
            RecordingAction::SetSpeed(speed) => next.speed = speed,
            RecordingAction::SetView(view) => {
                next.view = view.filter(|name| self.recording.names.contains(name))
            }
        }
        next
    }

    /// The cluster at the current time.
    pub fn view_now(&self) -> RecordingView {
        RecordingView::at(&self.recording, self.at_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three agents: n3 stops answering, is suspected and declared dead by both others,
    /// comes back with a higher incarnation; a key is written on n1 and spreads.
    const SMALL: &str = r#"{"recording":2,"started_unix_ms":1796043023193,"nodes":[{"name":"n1","udp":"127.0.0.1:7946","http":"127.0.0.1:9001"},{"name":"n2","udp":"127.0.0.1:7947","http":"127.0.0.1:9002"},{"name":"n3","udp":"127.0.0.1:7948","http":"127.0.0.1:9003"}],"preset":"demo"}
{"type":"members","at_ms":64,"node":"n1","members":[{"name":"n1","addr":"127.0.0.1:7946","status":"alive","incarnation":0,"local_health":0}]}
{"type":"members","at_ms":65,"node":"n2","members":[{"name":"n2","addr":"127.0.0.1:7947","status":"alive","incarnation":0,"local_health":0},{"name":"n1","addr":"127.0.0.1:7946","status":"alive","incarnation":0}]}
{"type":"members","at_ms":65,"node":"n3","members":[{"name":"n3","addr":"127.0.0.1:7948","status":"alive","incarnation":0,"local_health":0},{"name":"n1","addr":"127.0.0.1:7946","status":"alive","incarnation":0}]}
{"type":"event","at_ms":200,"node":"n1","event":{"kind":"joined","id":"n2","addr":"127.0.0.1:7947"}}
{"type":"event","at_ms":200,"node":"n1","event":{"kind":"joined","id":"n3","addr":"127.0.0.1:7948"}}
{"type":"event","at_ms":210,"node":"n2","event":{"kind":"joined","id":"n3","addr":"127.0.0.1:7948"}}
{"type":"event","at_ms":3003,"node":"n1","event":{"kind":"key_changed","key":"colour","value":"blue","writer":"n1.220ba802"}}
{"type":"event","at_ms":3202,"node":"n2","event":{"kind":"key_changed","key":"colour","value":"blue","writer":"n1.220ba802"}}
{"type":"event","at_ms":5202,"node":"n1","event":{"kind":"suspected","id":"n3","incarnation":0}}
{"type":"event","at_ms":5400,"node":"n2","event":{"kind":"suspected","id":"n3","incarnation":0}}
{"type":"event","at_ms":10202,"node":"n1","event":{"kind":"dead","id":"n3","incarnation":0}}
{"type":"gap","at_ms":10203,"node":"n2","missed":4}
{"type":"event","at_ms":10204,"node":"n2","event":{"kind":"dead","id":"n3","incarnation":0}}
{"type":"event","at_ms":24207,"node":"n3","event":{"kind":"refuted","incarnation":1}}
{"type":"event","at_ms":24208,"node":"n1","event":{"kind":"alive","id":"n3","incarnation":1}}
{"type":"event","at_ms":24300,"node":"n2","event":{"kind":"alive","id":"n3","incarnation":1}}
"#;

    fn small() -> Recording {
        Recording::parse(SMALL).unwrap()
    }

    fn states(view: &RecordingView, through: Option<&str>) -> Vec<(String, &'static str)> {
        view.graph_nodes(through)
            .into_iter()
            .map(|n| (n.name.to_string(), n.state))
            .collect()
    }

    fn state_of(recording: &Recording, at: u64, through: Option<&str>, name: &str) -> Shown {
        RecordingView::at(recording, at).shown(through, name)
    }

    #[test]
    fn the_fold_gives_each_moment_s_states_as_each_agent_saw_them() {
        let recording = small();
        assert!(is_recording(SMALL));
        assert_eq!(recording.names, ["n1", "n2", "n3"]);
        assert_eq!(recording.end_ms(), 24_300);

        let start = RecordingView::at(&recording, 0);
        assert_eq!(start.shown(Some("n1"), "n3"), Shown::Unknown, "nothing yet");
        assert_eq!(state_of(&recording, 100, Some("n1"), "n3"), Shown::Unknown);
        assert_eq!(state_of(&recording, 100, Some("n3"), "n3"), Shown::Alive);
        assert_eq!(
            states(&RecordingView::at(&recording, 1_000), None),
            [
                ("n1".into(), "alive"),
                ("n2".into(), "alive"),
                ("n3".into(), "alive")
            ]
        );

        // n1 suspects n3 first; n2 still holds it alive: a tie goes to the alarm.
        assert_eq!(
            state_of(&recording, 5_300, Some("n1"), "n3"),
            Shown::Suspect
        );
        assert_eq!(state_of(&recording, 5_300, Some("n2"), "n3"), Shown::Alive);
        assert_eq!(state_of(&recording, 5_300, None, "n3"), Shown::Suspect);
        assert_eq!(state_of(&recording, 5_300, Some("n3"), "n3"), Shown::Alive);

        let dead = RecordingView::at(&recording, 10_202);
        assert_eq!(
            dead.shown(Some("n1"), "n3"),
            Shown::Dead,
            "a line's own time counts"
        );
        assert_eq!(dead.shown(Some("n2"), "n3"), Shown::Suspect);
        let node = &dead.graph_nodes(Some("n1"))[2];
        assert!(!node.up, "held dead: drawn down");
        assert_eq!(RecordingView::at(&recording, 12_000).agents["n2"].missed, 4);
        assert_eq!(state_of(&recording, 12_000, None, "n3"), Shown::Dead);

        let back = RecordingView::at(&recording, 30_000);
        assert_eq!(back.shown(None, "n3"), Shown::Alive, "alive again");
        assert_eq!(back.agents["n3"].members["n3"].incarnation, 1, "refuted");
        assert_eq!(back.graph_nodes(None)[2].incarnation, 1);
        assert_eq!(back.graph_nodes(Some("n2"))[2].incarnation, 1);
    }

    #[test]
    fn keys_show_as_an_agent_held_them_and_how_far_they_had_spread() {
        let recording = small();
        assert!(
            RecordingView::at(&recording, 3_000)
                .key_rows(None)
                .is_empty()
        );
        let written = RecordingView::at(&recording, 3_100);
        let rows = written.key_rows(None);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].value.as_deref(), Some("blue"));
        assert_eq!(rows[0].versions, [r#""blue" by n1.220ba802"#]);
        assert_eq!(rows[0].spread.as_ref().map(|s| (s.0, s.1)), Some((1, 3)));
        assert!(written.key_rows(Some("n2")).is_empty(), "not there yet");
        let spread = RecordingView::at(&recording, 4_000);
        assert_eq!(spread.key_rows(Some("n2"))[0].spread.as_ref().unwrap().0, 2);
        assert_eq!(spread.graph_nodes(None)[1].keys, Some(1));
    }

    #[test]
    fn the_event_list_holds_what_was_recorded_up_to_then_newest_first() {
        let recording = small();
        let lines = recording.event_lines(10_203);
        assert_eq!(lines[0].text, "missed 4 events (its stream fell behind)");
        assert_eq!(lines[1].text, "declares n3 dead (inc 0)");
        assert_eq!(lines[1].at_ms, Some(10_202));
        assert_eq!(lines[1].at, "10.202s");
        assert_eq!(lines.len(), 12);
        assert!(
            lines[11]
                .text
                .starts_with("member table when recording began: n1 alive")
        );
        assert_eq!(recording.wall_clock(0), "2026-11-30 12:50:23 UTC");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn stepping_playing_and_seeking_move_through_the_recorded_times() {
        let state = RecordingState::new(small());
        let state = state.apply(RecordingAction::NextEvent);
        assert_eq!(state.at_ms, 64);
        let state = state.apply(RecordingAction::Seek(5_000));
        let state = state.apply(RecordingAction::NextEvent);
        assert_eq!(state.at_ms, 5_202);
        let state = state.apply(RecordingAction::PreviousEvent);
        assert_eq!(state.at_ms, 3_202);
        let state = state.apply(RecordingAction::Advance(1_000));
        assert_eq!(state.at_ms, 3_202, "not playing");
        let state = state
            .apply(RecordingAction::SetSpeed(10.0))
            .apply(RecordingAction::TogglePlay)
            .apply(RecordingAction::Advance(100));
        assert_eq!(state.at_ms, 4_202);
        let state = state.apply(RecordingAction::Advance(100_000));
        assert_eq!(state.at_ms, 24_300);
        assert!(!state.playing, "stops at the end");
        let state = state.apply(RecordingAction::TogglePlay);
        assert_eq!(state.at_ms, 0, "plays again from the start");
        let state = state.apply(RecordingAction::Seek(u64::MAX));
        assert_eq!(state.at_ms, 24_300, "clamped");
        let state = state.apply(RecordingAction::SetView(Some("n2".into())));
        assert_eq!(state.view.as_deref(), Some("n2"));
        let state = state.apply(RecordingAction::SetView(Some("n9".into())));
        assert_eq!(state.view, None, "not a member");
    }

    #[test]
    fn malformed_lines_are_refused_naming_their_line() {
        let lines: Vec<&str> = SMALL.lines().collect();
        let with = |number: usize, replacement: &str| {
            let mut changed = lines.clone();
            changed[number - 1] = replacement;
            changed.join("\n") + "\n"
        };
        let error = Recording::parse(&with(5, "{\"type\":\"event\"")).unwrap_err();
        assert!(
            error.starts_with("line 5 is not a recorded line"),
            "{error}"
        );
        let error = Recording::parse(&with(7, "[]")).unwrap_err();
        assert!(error.starts_with("line 7 "), "{error}");
        let error = Recording::parse(&with(
            6,
            r#"{"type":"gap","at_ms":300,"node":"n9","missed":1}"#,
        ))
        .unwrap_err();
        assert_eq!(error, "line 6: n9 is not one of the recording's agents");
        let error = Recording::parse(&with(
            6,
            r#"{"type":"gap","at_ms":1,"node":"n1","missed":1}"#,
        ))
        .unwrap_err();
        assert!(error.starts_with("line 6: at 1 ms, before"), "{error}");
        let error = Recording::parse(&with(
            1,
            r#"{"recording":3,"started_unix_ms":0,"nodes":[],"preset":"demo"}"#,
        ))
        .unwrap_err();
        assert!(error.contains("format 3"), "{error}");

        let cut = &SMALL[..SMALL.len() - 20];
        let error = Recording::parse(cut).unwrap_err();
        assert_eq!(error, "line 17 is cut short: the recording ends mid-line");
        assert!(Recording::parse("").unwrap_err().contains("empty"));
        assert!(!is_recording("{\"setup\":{}}"));
        assert!(!is_recording("not json \"recording\""));
    }

    /// Format 1 named each event by the core's Rust variant; such a recording reads as
    /// the same lines.
    #[test]
    fn a_recording_of_format_1_reads_as_format_2() {
        let format_1 = SMALL
            .replacen(r#"{"recording":2,"#, r#"{"recording":1,"#, 1)
            .replace(r#"{"kind":"joined","#, r#"{"MemberJoined":{"#)
            .replace(r#"{"kind":"key_changed","#, r#"{"KeyChanged":{"#)
            .replace(r#"{"kind":"suspected","#, r#"{"MemberSuspected":{"#)
            .replace(r#"{"kind":"dead","#, r#"{"MemberDead":{"#)
            .replace(r#"{"kind":"refuted","#, r#"{"Refuted":{"#)
            .replace(r#"{"kind":"alive","#, r#"{"MemberAlive":{"#)
            .replace(
                r#""writer":"n1.220ba802""#,
                r#""writer":{"node":"n1","epoch":571189250}"#,
            )
            .replace("}}\n", "}}}\n");
        assert!(!format_1.contains("kind"), "{format_1}");
        let read = Recording::parse(&format_1).unwrap();
        assert_eq!(read.lines, small().lines);
    }

    #[test]
    fn files_past_the_lab_s_bounds_are_refused() {
        let huge = "x".repeat(MAX_BYTES + 1);
        assert!(Recording::parse(&huge).unwrap_err().contains("MB"));
        let header = SMALL.lines().next().unwrap();
        let gap = r#"{"type":"gap","at_ms":1,"node":"n1","missed":1}"#;
        let long = format!("{header}\n{}", format!("{gap}\n").repeat(MAX_LINES + 1));
        let error = Recording::parse(&long).unwrap_err();
        assert!(
            error.contains(&format!("over the {MAX_LINES} lines")),
            "{error}"
        );
    }
}
