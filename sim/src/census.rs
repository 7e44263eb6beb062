//! What every running node believes about every other, kept up to date from the changes
//! the nodes report, for drivers that ask about it all the time.
//!
//! The lab asks several times a second how the cluster sees each node (its consensus
//! view) and whether the invariants hold. Read from the member tables, every answer is a
//! pass over n² entries: 10⁸ of them at 10,000 members, seconds of a browser's time.
//! Yet a node reports every change to its table as an event (a member learned of,
//! suspected, seen alive again, declared dead, seen leaving, forgotten), so a census
//! re-reads only the entries those events name, and a whole table only when its node's
//! standing changes (it crashes, restarts, joins or leaves). It keeps one byte a pair
//! (what each running node held about each other when last read) and, for each node,
//! how many joined nodes hold it in each state: the answers then cost what changed,
//! plus a pass over the nodes.
//!
//! A run keeps a census once asked to ([`crate::Simulation::keep_census`]); the
//! checkers and views read it when there is one and the member tables when there is not,
//! and `tests/tests/census.rs` holds the two to the same answers through random faults.

use gossip_core::{MemberState, NodeId, NodeStatus};

use super::{FastMap, SimNode};

const STATES: usize = MemberState::ALL.len();
/// A belief as kept in a row: no entry, or a state's position in [`MemberState::ALL`]
/// plus one.
type Belief = u8;
const UNKNOWN: Belief = 0;

fn encode(state: Option<MemberState>) -> Belief {
    state.map_or(UNKNOWN, |s| s as Belief + 1)
}

fn decode(belief: Belief) -> Option<MemberState> {
    belief
        .checked_sub(1)
        .and_then(|i| MemberState::ALL.get(usize::from(i)).copied())
}

/// One running node's beliefs about every node, by node position.
#[derive(Clone, Debug)]
struct Row {
    beliefs: Vec<Belief>,
    /// Joined: its beliefs count in the tallies.
    judge: bool,
    /// How many times the node had restarted when its table was read: a restart since
    /// means a new table, read again whole.
    life: u32,
}

/// Every running node's beliefs, and how many joined nodes hold each node in each state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Census {
    /// By observer position; `None` while the observer is down.
    rows: Vec<Option<Row>>,
    /// By subject position: how many judges (running, joined, other than the subject)
    /// hold it in each state of [`MemberState::ALL`].
    tallies: Vec<[u32; STATES]>,
    /// By subject position: how many running nodes, judges or not, hold it dead.
    held_dead: Vec<u32>,
    /// `(observer, member)`: entries of the observer's table its events said changed
    /// since the census was last brought up to date.
    changed: Vec<(usize, NodeId)>,
}

impl Census {
    /// Notes that `observer`'s entry about `member` may have changed.
    pub(crate) fn note(&mut self, observer: usize, member: &NodeId) {
        self.changed.push((observer, member.clone()));
    }

    /// Brings every row and tally up to date with the nodes: rows for nodes added, a
    /// row read whole for a node that came up or restarted, dropped for one that went
    /// down, moved in or out of the tallies for one that joined or stopped being
    /// joined, and the entries named since the last time read again.
    pub(crate) fn refresh(&mut self, nodes: &[SimNode], by_name: &FastMap<NodeId, usize>) {
        self.grow(nodes.len());
        for (observer, node) in nodes.iter().enumerate() {
            let stale = self.rows[observer]
                .as_ref()
                .is_some_and(|row| !node.up || row.life != node.restarts);
            if stale {
                self.count_row(observer, -1);
                self.rows[observer] = None;
            }
            let judge = node.node.status() == NodeStatus::Joined;
            if let Some(row) = &self.rows[observer]
                && row.judge != judge
            {
                self.count_row(observer, -1);
                if let Some(row) = &mut self.rows[observer] {
                    row.judge = judge;
                }
                self.count_row(observer, 1);
            }
        }
        // The tables of nodes that came up or restarted, read whole.
        self.read_rows(nodes, usize::MAX);
        for (observer, member) in std::mem::take(&mut self.changed) {
            let Some(&subject) = by_name.get(&member) else {
                continue;
            };
            if subject == observer || self.rows[observer].is_none() {
                continue;
            }
            let now = encode(nodes[observer].node.member_state(&member));
            self.set(observer, subject, now);
        }
    }

    /// Room for `count` nodes: a row's entry and a tally for each.
    fn grow(&mut self, count: usize) {
        if self.rows.len() < count {
            self.rows.resize_with(count, || None);
            self.tallies.resize(count, [0; STATES]);
            self.held_dead.resize(count, 0);
            for row in self.rows.iter_mut().flatten() {
                row.beliefs.resize(count, UNKNOWN);
            }
        }
    }

    /// Reads up to `limit` tables of running nodes not read yet: the first reading of a
    /// large cluster, done in pieces ([`crate::Building`]) rather than all when the
    /// census is first asked.
    pub(crate) fn read_rows(&mut self, nodes: &[SimNode], limit: usize) {
        self.grow(nodes.len());
        // The nodes' names side by side, made only if a table is to be read: a read
        // compares every entry's name with its node's, and the nodes themselves are
        // large and far apart in memory.
        let mut names: Vec<NodeId> = Vec::new();
        let unread: Vec<usize> = (0..nodes.len())
            .filter(|&o| nodes[o].up && self.rows[o].is_none())
            .take(limit)
            .collect();
        for observer in unread {
            if names.is_empty() {
                names = nodes.iter().map(|n| n.id().clone()).collect();
            }
            self.rows[observer] = Some(read_row(observer, nodes, &names));
            self.count_row(observer, 1);
        }
    }

    /// How many tables have been read (one per running node, once up to date).
    pub(crate) fn rows_read(&self) -> usize {
        self.rows.iter().flatten().count()
    }

    /// Changes one belief, keeping the tallies in step.
    fn set(&mut self, observer: usize, subject: usize, belief: Belief) {
        let Some(row) = &mut self.rows[observer] else {
            return;
        };
        let before = std::mem::replace(&mut row.beliefs[subject], belief);
        if before == belief {
            return;
        }
        let judge = row.judge;
        self.count(judge, subject, before, -1);
        self.count(judge, subject, belief, 1);
    }

    /// Adds (`sign` 1) or takes away (-1) a whole row's beliefs.
    fn count_row(&mut self, observer: usize, sign: i32) {
        let Some(row) = self.rows[observer].take() else {
            return;
        };
        for (subject, &belief) in row.beliefs.iter().enumerate() {
            self.count(row.judge, subject, belief, sign);
        }
        self.rows[observer] = Some(row);
    }

    fn count(&mut self, judge: bool, subject: usize, belief: Belief, sign: i32) {
        let Some(state) = decode(belief) else {
            return;
        };
        if judge {
            let tally = &mut self.tallies[subject][state as usize];
            *tally = tally.wrapping_add_signed(sign);
        }
        if state == MemberState::Dead {
            self.held_dead[subject] = self.held_dead[subject].wrapping_add_signed(sign);
        }
    }

    /// How many judges hold `subject` in each state of [`MemberState::ALL`].
    pub(crate) fn tally(&self, subject: usize) -> [u32; STATES] {
        self.tallies.get(subject).copied().unwrap_or_default()
    }

    /// How many running nodes, joined or not, hold `subject` dead.
    pub(crate) fn held_dead(&self, subject: usize) -> u32 {
        self.held_dead.get(subject).copied().unwrap_or(0)
    }

    /// What `observer` holds about `subject`, as last read; `None` also while the
    /// observer is down.
    pub(crate) fn belief(&self, observer: usize, subject: usize) -> Option<MemberState> {
        let row = self.rows.get(observer)?.as_ref()?;
        decode(row.beliefs.get(subject).copied().unwrap_or(UNKNOWN))
    }

    /// Bytes the census takes: a byte a pair, plus its tallies.
    pub(crate) fn footprint(&self) -> usize {
        let rows: usize = self
            .rows
            .iter()
            .flatten()
            .map(|r| r.beliefs.capacity())
            .sum();
        rows + self.tallies.capacity() * size_of::<[u32; STATES]>()
            + self.held_dead.capacity() * size_of::<u32>()
    }
}

/// `observer`'s table, entries placed by the address they carry (the simulator computes
/// it from a node's position) when its name is that node's (`names`, by position).
fn read_row(observer: usize, nodes: &[SimNode], names: &[NodeId]) -> Row {
    let node = &nodes[observer];
    let mut beliefs = vec![UNKNOWN; nodes.len()];
    node.node.visit_members(|id, addr, _, state| {
        if let Some(subject) = super::transport::index_of_addr(addr)
            && subject != observer
            && names.get(subject) == Some(id)
        {
            beliefs[subject] = encode(Some(state));
        }
    });
    Row {
        beliefs,
        judge: node.node.status() == NodeStatus::Joined,
        life: node.restarts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Simulation;
    use gossip_core::Duration;

    /// What the census holds `observer` to believe about every node, as the node's own
    /// table says it.
    fn beliefs(
        sim: &Simulation,
        observer: usize,
    ) -> (Vec<Option<MemberState>>, Vec<Option<MemberState>>) {
        let census = sim.census().expect("kept");
        let node = &sim.nodes[observer].node;
        sim.nodes
            .iter()
            .enumerate()
            .filter(|&(s, _)| s != observer)
            .map(|(s, n)| (census.belief(observer, s), node.member_state(n.id())))
            .unzip()
    }

    /// A node that crashes and restarts between two looks has a new table, read whole:
    /// here an empty one, since it restarts cut off from everybody.
    #[test]
    fn a_restart_between_two_looks_is_read_as_a_new_table() {
        let mut sim = Simulation::builder()
            .seed(3)
            .nodes(5)
            .converged()
            .build()
            .unwrap();
        sim.keep_census();
        sim.run_for(Duration::from_secs(2));
        let (census, table) = beliefs(&sim, 0);
        assert_eq!(census, table);
        assert_eq!(census, vec![Some(MemberState::Alive); 4]);
        sim.partition(&["n1"], &["n2", "n3", "n4", "n5"]).unwrap();
        sim.crash("n1").unwrap();
        sim.restart("n1").unwrap();
        sim.run_for(Duration::from_millis(100));
        let (census, table) = beliefs(&sim, 0);
        assert_eq!(table, vec![None; 4], "a node restarted alone knows nobody");
        assert_eq!(census, table);
    }
}
