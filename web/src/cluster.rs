//! What the lab shows, read off the simulation: plain functions, no Yew, so they are
//! tested natively.

use std::collections::{BTreeSet, HashMap};

use crate::datagram_text::{describe_message, describe_update};
use gossip_core::{Config, Lifeguard, MemberState, NodeId, NodeStatus, Version};
use gossip_sim::{Building, MessageRecord, NetworkModel, SimBuilder, SimNode, Simulation};

/// Nodes in the lab's cluster at first, as in the original five-process demo.
pub const LAB_NODES: usize = 5;
/// The largest cluster the size control builds.
pub const MAX_NODES: usize = 10_000;
/// Recent events and datagrams each run keeps, for the log and for hovering.
pub const HISTORY: usize = 200;

/// The lab's first configuration: the demo's numbers, plain SWIM (Lifeguard off).
pub fn lab_config() -> Config {
    Config {
        lifeguard: Lifeguard::OFF,
        ..Config::demo()
    }
}

/// A fresh cluster of `nodes` with `config`, on a network slow enough to watch. Beyond
/// the first five, nodes start as members already (each knowing the others alive), so
/// a large cluster is there at once instead of spending minutes joining. `config` must
/// validate (the settings panel checks it first).
pub fn new_simulation(seed: u64, config: Config, nodes: usize) -> Simulation {
    let mut sim = lab_builder(seed, config, nodes)
        .build()
        .expect("the lab's configurations are validated before they are used");
    // The consensus view and the checkers are asked several times a second: from a
    // census they cost what changed, not a pass over n² member-table entries.
    sim.keep_census();
    sim
}

/// [`new_simulation`]'s cluster, to be built a piece at a time between frames.
pub fn building_simulation(seed: u64, config: Config, nodes: usize) -> Building {
    let mut building = lab_builder(seed, config, nodes)
        .build_gradually()
        .expect("the lab's configurations are validated before they are used");
    building.keep_census();
    building
}

/// A cluster of no nodes, the lab's run while a large one is built.
pub fn empty_simulation(seed: u64, config: Config) -> Simulation {
    Simulation::builder()
        .seed(seed)
        .config(config)
        .network(NetworkModel::visible())
        .history_limit(HISTORY)
        .build()
        .expect("the lab's configurations are validated before they are used")
}

fn lab_builder(seed: u64, config: Config, nodes: usize) -> SimBuilder {
    let nodes = nodes.clamp(1, MAX_NODES);
    let builder = Simulation::builder()
        .seed(seed)
        .nodes(nodes)
        .config(config)
        .network(NetworkModel::visible())
        .history_limit(HISTORY);
    if nodes > LAB_NODES {
        builder.converged()
    } else {
        builder
    }
}

/// The name the next added node gets: `n` and one more than the highest number in use.
pub fn next_node_name(sim: &Simulation) -> String {
    let highest = sim
        .nodes()
        .filter_map(|n| n.id().as_str().strip_prefix('n')?.parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    format!("n{}", highest + 1)
}

/// The state a node has in the cluster's eyes, as the lab draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shown {
    Joining,
    Alive,
    Suspect,
    Dead,
    Left,
    /// Not in the chosen node's member table at all.
    Unknown,
}

impl Shown {
    /// The `data-state` value and CSS class.
    pub fn as_str(self) -> &'static str {
        match self {
            Shown::Joining => "joining",
            Shown::Alive => "alive",
            Shown::Suspect => "suspect",
            Shown::Dead => "dead",
            Shown::Left => "left",
            Shown::Unknown => "unknown",
        }
    }

    pub(crate) fn from_member_state(state: MemberState) -> Shown {
        match state {
            MemberState::Alive => Shown::Alive,
            MemberState::Suspect => Shown::Suspect,
            MemberState::Dead => Shown::Dead,
            MemberState::Left => Shown::Left,
        }
    }

    /// Order used to break ties between views: the more alarming state wins.
    pub(crate) fn severity(self) -> u8 {
        match self {
            Shown::Alive => 0,
            Shown::Joining => 1,
            Shown::Suspect => 2,
            Shown::Left => 3,
            Shown::Dead => 4,
            Shown::Unknown => 5,
        }
    }
}

/// How the other running, joined nodes see `name`: the state most of them hold. A tie
/// goes to the node's own word while it runs (so in a partition of 2 and 3 the side of
/// 3, held alive by its own 2 others and dead by the 2 across, shows alive), else to
/// the more alarming state. A node still joining is shown as joining; a running
/// node no one else can judge is shown as it sees itself, and a crashed one nobody
/// holds (reaped by all) as unknown. The definition, one node at a time; the page uses
/// [`shown_states`], which gives the same for every node at once.
#[cfg(test)]
pub fn shown_state(sim: &Simulation, name: &str) -> Shown {
    let Some(subject) = sim.node(name) else {
        return Shown::Dead;
    };
    if subject.is_up() && subject.node().status() == NodeStatus::Joining {
        return Shown::Joining;
    }
    let id = subject.id().clone();
    let mut counts: Vec<(Shown, usize)> = Vec::new();
    let views = sim
        .nodes()
        .filter(|n| n.is_up() && *n.id() != id && n.node().status() == NodeStatus::Joined)
        .filter_map(|n| n.node().member_state(&id));
    for view in views.map(Shown::from_member_state) {
        match counts.iter_mut().find(|(s, _)| *s == view) {
            Some((_, count)) => *count += 1,
            None => counts.push((view, 1)),
        }
    }
    let own = subject.is_up().then(|| as_it_sees_itself(subject));
    counts
        .into_iter()
        .max_by_key(|(state, count)| (*count, Some(*state) == own, state.severity()))
        .map(|(state, _)| state)
        .unwrap_or_else(|| as_it_sees_itself(subject))
}

/// A node nobody else holds: as it sees itself while it runs, unknown once it is down.
fn as_it_sees_itself(subject: &SimNode) -> Shown {
    if !subject.is_up() {
        return Shown::Unknown;
    }
    let own = subject
        .node()
        .member_state(subject.id())
        .unwrap_or(MemberState::Alive);
    Shown::from_member_state(own)
}

/// [`shown_state`] of every node, in [`Simulation::nodes`] order, from how many running,
/// joined nodes hold each in each state ([`Simulation::consensus_tallies`]: the lab's
/// runs keep a census, so this costs a pass over the nodes, not over their tables).
pub fn shown_states(sim: &Simulation) -> Vec<Shown> {
    sim.nodes()
        .zip(sim.consensus_tallies())
        .map(|(subject, tally)| {
            if subject.is_up() && subject.node().status() == NodeStatus::Joining {
                return Shown::Joining;
            }
            let own = subject.is_up().then(|| as_it_sees_itself(subject));
            MemberState::ALL
                .iter()
                .zip(tally)
                .filter(|(_, count)| *count > 0)
                .map(|(&state, count)| (Shown::from_member_state(state), count))
                .max_by_key(|(state, count)| (*count, Some(*state) == own, state.severity()))
                .map(|(state, _)| state)
                .unwrap_or_else(|| as_it_sees_itself(subject))
        })
        .collect()
}

/// How `observer` sees `subject`: its member table's entry, its own status for itself,
/// unknown when it has no entry (or is down and sees nothing).
pub fn seen_by(sim: &Simulation, observer: &str, subject: &str) -> Shown {
    let Some(node) = sim.node(observer).filter(|n| n.is_up()) else {
        return Shown::Unknown;
    };
    if observer == subject {
        return match node.node().status() {
            NodeStatus::Idle | NodeStatus::Joining => Shown::Joining,
            NodeStatus::Left => Shown::Left,
            NodeStatus::Joined => Shown::Alive,
        };
    }
    let Ok(id) = NodeId::new(subject) else {
        return Shown::Unknown;
    };
    node.node()
        .member_state(&id)
        .map_or(Shown::Unknown, Shown::from_member_state)
}

/// How much of `subject`'s suspicion is left (1 just suspected, 0 about to be declared
/// dead), by `observer`'s deadline, or by the earliest of all running observers'.
pub fn suspicion_left(sim: &Simulation, observer: Option<&str>, subject: &str) -> Option<f64> {
    let id = NodeId::new(subject).ok()?;
    let config = sim.config();
    let longest = if config.lifeguard.dynamic_suspicion {
        config.suspicion_timeout * config.suspicion_max_timeout_mult
    } else {
        config.suspicion_timeout
    };
    let deadline = sim
        .nodes()
        .filter(|n| n.is_up() && observer.is_none_or(|o| n.id().as_str() == o))
        .filter_map(|n| n.node().suspicion_deadline(&id))
        .min()?;
    let left = deadline.saturating_since(sim.now()).as_millis() as f64;
    Some((left / longest.as_millis().max(1) as f64).clamp(0.0, 1.0))
}

/// The running nodes that hold exactly the newest versions of `key`.
pub fn holders_of(sim: &Simulation, key: &str) -> Vec<String> {
    let Some(spread) = key_spread(sim).into_iter().find(|k| k.key == key) else {
        return Vec::new();
    };
    sim.nodes()
        .filter(|n| n.is_up() && n.node().store().versions(key) == Some(spread.versions.as_slice()))
        .map(|n| n.id().to_string())
        .collect()
}

/// One row of the membership matrix: what `observer` believes about each node, in the
/// simulation's node order (`None`: does not know it).
pub fn beliefs_of(sim: &Simulation, observer: &NodeId) -> Vec<Option<MemberState>> {
    let Some(node) = sim.node(observer.as_str()) else {
        return Vec::new();
    };
    sim.nodes()
        .map(|subject| node.node().member_state(subject.id()))
        .collect()
}

/// A key of the store as the cluster holds it: the versions no other version
/// supersedes anywhere, and how many running nodes hold exactly those.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySpread {
    pub key: String,
    /// The winning value; `None` when the key is deleted.
    pub value: Option<String>,
    /// The concurrent versions standing side by side (more than one: a conflict), the
    /// one reads return first.
    pub versions: Vec<Version>,
    pub holders: usize,
    pub running: usize,
}

/// Every key any running node holds, with how far its newest versions have spread.
pub fn key_spread(sim: &Simulation) -> Vec<KeySpread> {
    let running: Vec<_> = sim.nodes().filter(|n| n.is_up()).collect();
    let mut all: std::collections::BTreeMap<&str, Vec<&Version>> = Default::default();
    for node in &running {
        for (key, versions) in node.node().store().iter() {
            all.entry(key).or_default().extend(versions);
        }
    }
    all.into_iter()
        .map(|(key, versions)| {
            let mut newest: Vec<Version> = Vec::new();
            for &version in &versions {
                let superseded = versions.iter().any(|other| {
                    other.clock != version.clock && other.clock.covers(&version.clock)
                });
                if !superseded && !newest.contains(version) {
                    newest.push(version.clone());
                }
            }
            newest.sort_by(Version::reading_order);
            let holders = running
                .iter()
                .filter(|n| n.node().store().versions(key) == Some(newest.as_slice()))
                .count();
            KeySpread {
                key: key.to_owned(),
                value: newest.first().and_then(|v| v.value.clone()),
                versions: newest,
                holders,
                running: running.len(),
            }
        })
        .collect()
}

/// A cut link as the network panel lists it: both directions as one entry when both
/// are cut, else the one direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutEntry {
    pub from: String,
    pub to: String,
    pub both_ways: bool,
}

impl CutEntry {
    /// How the panel names it: `n1 ↔ n2`, or `n1 → n2` for one way.
    pub fn label(&self) -> String {
        let arrow = if self.both_ways { "↔" } else { "→" };
        format!("{} {arrow} {}", self.from, self.to)
    }
}

/// Every cut link once, by node position: a pair cut both ways from the lower
/// position, a one-way cut as (from, to). One pass over the cuts with a set of them,
/// so that cutting 100 of 1,000 nodes off (180,000 cut links) costs milliseconds.
pub fn cut_pairs(sim: &Simulation) -> Vec<(usize, usize, bool)> {
    if sim.cut_links().next().is_none() {
        return Vec::new(); // the usual case, without indexing every node
    }
    let index: HashMap<&NodeId, usize> =
        sim.nodes().enumerate().map(|(i, n)| (n.id(), i)).collect();
    let cut: BTreeSet<(usize, usize)> = sim
        .cut_links()
        .filter_map(|(from, to)| Some((*index.get(from)?, *index.get(to)?)))
        .collect();
    cut.iter()
        .filter_map(|&(from, to)| {
            let both_ways = cut.contains(&(to, from));
            (!both_ways || from < to).then_some((from, to, both_ways))
        })
        .collect()
}

/// Every cut, a pair cut both ways listed once (in node order), by name.
pub fn cut_list(sim: &Simulation) -> Vec<CutEntry> {
    let names: Vec<&NodeId> = sim.nodes().map(|n| n.id()).collect();
    cut_pairs(sim)
        .into_iter()
        .map(|(from, to, both_ways)| CutEntry {
            from: names[from].to_string(),
            to: names[to].to_string(),
            both_ways,
        })
        .collect()
}

/// Every pair of nodes whose link has a model of its own, listed once (a link's model
/// is set both ways), with that model.
pub fn own_links(sim: &Simulation) -> Vec<(String, String, NetworkModel)> {
    let mut seen = std::collections::BTreeSet::new();
    sim.link_models()
        .filter(|(from, to, _)| seen.insert((*from.min(to), *from.max(to))))
        .map(|(from, to, model)| (from.to_string(), to.to_string(), model.clone()))
        .collect()
}

/// The datagram `id`'s description, if it is still in flight.
pub fn describe_datagram(sim: &Simulation, id: u64) -> Option<String> {
    let message = sim.in_flight().find(|m| m.id == id)?;
    Some(describe_record(sim, &message))
}

/// A datagram's tooltip: who sends what to whom, then its decoded contents.
pub fn describe_record(sim: &Simulation, message: &MessageRecord) -> String {
    let mut text = format!(
        "{} {} → {}",
        message.kind.as_str(),
        message.from,
        message.to
    );
    if let Some(packet) = sim.decode_in_flight(message.id) {
        text.push('\n');
        text.push_str(&describe_message(&packet.message));
        for update in &packet.updates {
            text.push('\n');
            text.push_str(&describe_update(update));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::Duration;

    #[test]
    fn cuts_are_listed_once_per_pair_with_their_direction() {
        let mut sim = new_simulation(3, lab_config(), LAB_NODES);
        sim.partition(&["n4"], &["n2"]).unwrap();
        sim.partition_oneway(&["n1"], &["n3"]).unwrap();
        sim.partition_oneway(&["n5"], &["n1"]).unwrap();
        let labels: Vec<String> = cut_list(&sim).iter().map(CutEntry::label).collect();
        assert_eq!(labels, ["n1 → n3", "n2 ↔ n4", "n5 → n1"]);
        let lossy = sim.network().clone().with_loss(1.0);
        sim.set_link(&["n3"], &["n2"], Some(lossy)).unwrap();
        let links = own_links(&sim);
        assert_eq!(links.len(), 1, "set both ways, listed once");
        assert_eq!((links[0].0.as_str(), links[0].1.as_str()), ("n2", "n3"));
        assert_eq!(links[0].2.loss, 1.0);
    }

    #[test]
    fn in_a_partition_of_two_and_three_the_side_of_three_is_shown_alive() {
        let mut sim = new_simulation(12, lab_config(), LAB_NODES);
        sim.run_for(Duration::from_secs(5));
        sim.partition(&["n1", "n2"], &["n3", "n4", "n5"]).unwrap();
        sim.run_for(Duration::from_secs(30));
        // n3 is held alive by n4 and n5, dead by n1 and n2: a tie its own word breaks.
        let tally = |name: &str, state: MemberState| {
            sim.nodes()
                .filter(|n| {
                    n.id().as_str() != name
                        && n.node().member_state(&NodeId::new(name).unwrap()) == Some(state)
                })
                .count()
        };
        assert_eq!(
            (
                tally("n3", MemberState::Alive),
                tally("n3", MemberState::Dead)
            ),
            (2, 2)
        );
        let shown: Vec<Shown> = shown_states(&sim);
        use Shown::{Alive, Dead};
        assert_eq!(shown, vec![Dead, Dead, Alive, Alive, Alive]);
        for (i, name) in ["n1", "n2", "n3", "n4", "n5"].iter().enumerate() {
            assert_eq!(shown_state(&sim, name), shown[i], "{name}");
        }
        // Down, a node has no word: the tie goes to the alarming state.
        sim.crash("n3").unwrap();
        assert_eq!(shown_state(&sim, "n3"), Dead);
        assert_eq!(shown_states(&sim)[2], Dead);
    }

    #[test]
    fn a_crashed_node_is_shown_alive_until_the_others_notice() {
        let mut sim = new_simulation(11, lab_config(), LAB_NODES);
        sim.run_for(Duration::from_secs(5));
        assert_eq!(shown_state(&sim, "n2"), Shown::Alive);
        sim.crash("n2").unwrap();
        assert_eq!(
            shown_state(&sim, "n2"),
            Shown::Alive,
            "nobody has noticed yet"
        );
        sim.run_for(Duration::from_secs(20));
        assert_eq!(shown_state(&sim, "n2"), Shown::Dead);
        sim.restart("n2").unwrap();
        assert_eq!(shown_state(&sim, "n2"), Shown::Joining);
        sim.run_for(Duration::from_secs(5));
        assert_eq!(shown_state(&sim, "n2"), Shown::Alive);
    }

    #[test]
    fn every_node_shown_in_one_pass_is_shown_as_asked_one_by_one() {
        let mut sim = new_simulation(13, lab_config(), 12);
        let one_by_one = |sim: &Simulation| -> Vec<Shown> {
            sim.nodes()
                .map(|n| shown_state(sim, n.id().as_str()))
                .collect()
        };
        let mut seen = BTreeSet::new();
        let mut check = |sim: &mut Simulation, seconds: u64| {
            for _ in 0..seconds * 4 {
                sim.run_for(Duration::from_millis(250));
                let shown = shown_states(sim);
                assert_eq!(shown, one_by_one(sim), "at {:?}", sim.now());
                seen.extend(shown);
            }
        };
        check(&mut sim, 3);
        sim.crash("n2").unwrap();
        sim.leave("n3").unwrap();
        check(&mut sim, 20);
        sim.restart("n2").unwrap();
        sim.partition(&["n4", "n5"], &["n1", "n6", "n7"]).unwrap();
        check(&mut sim, 15);
        // A crashed member is reaped by all 45 s after it is declared dead.
        sim.repair_all();
        sim.crash("n8").unwrap();
        check(&mut sim, 90);
        assert_eq!(shown_state(&sim, "n8"), Shown::Unknown, "forgotten by all");
        let seen: Vec<_> = seen.into_iter().collect();
        assert!(
            [
                Shown::Alive,
                Shown::Suspect,
                Shown::Dead,
                Shown::Left,
                Shown::Joining,
                Shown::Unknown
            ]
            .iter()
            .all(|s| seen.contains(s)),
            "the run shows every state: {seen:?}"
        );
    }

    #[test]
    fn key_spread_counts_running_holders() {
        let mut sim = new_simulation(12, lab_config(), LAB_NODES);
        sim.run_for(Duration::from_secs(5));
        sim.put("n1", "k", "v").unwrap();
        let early = key_spread(&sim);
        assert_eq!(early.len(), 1);
        assert_eq!((early[0].holders, early[0].running), (1, LAB_NODES));
        sim.run_for(Duration::from_secs(5));
        assert_eq!(key_spread(&sim)[0].holders, LAB_NODES);
    }

    #[test]
    fn beliefs_cover_every_node() {
        let mut sim = new_simulation(13, lab_config(), LAB_NODES);
        sim.run_for(Duration::from_secs(5));
        let row = beliefs_of(&sim, &NodeId::new("n1").unwrap());
        assert_eq!(row, vec![Some(MemberState::Alive); LAB_NODES]);
    }

    #[test]
    fn one_node_s_view_its_suspicion_arc_and_a_key_s_holders() {
        let mut sim = new_simulation(21, lab_config(), LAB_NODES);
        sim.run_for(Duration::from_secs(5));
        assert_eq!(seen_by(&sim, "n1", "n2"), Shown::Alive);
        assert_eq!(seen_by(&sim, "n1", "n1"), Shown::Alive, "itself");
        assert_eq!(seen_by(&sim, "n1", "n9"), Shown::Unknown);
        sim.crash("n2").unwrap();
        assert_eq!(
            seen_by(&sim, "n2", "n1"),
            Shown::Unknown,
            "a down node sees nothing"
        );
        assert_eq!(suspicion_left(&sim, None, "n2"), None, "not suspected yet");
        let mut left = None;
        for _ in 0..40 {
            sim.run_for(Duration::from_millis(100));
            left = suspicion_left(&sim, None, "n2");
            if left.is_some() {
                break;
            }
        }
        let fresh = left.expect("someone suspects n2");
        sim.run_for(Duration::from_secs(2));
        let later = suspicion_left(&sim, None, "n2").unwrap();
        assert!(later < fresh, "the arc shrinks: {fresh} then {later}");
        sim.put("n3", "k", "v").unwrap();
        assert_eq!(holders_of(&sim, "k"), vec!["n3".to_owned()]);
        sim.run_for(Duration::from_secs(5));
        assert_eq!(holders_of(&sim, "k").len(), 4, "every running node");
        assert!(holders_of(&sim, "nope").is_empty());
    }
}
