//! A converged cluster built a few nodes at a time.
//!
//! Building n converged members is n copies of an n-entry member table: 10,000 of them
//! take seconds, natively and more so in a browser, where a page that builds them in
//! one go stops answering meanwhile. [`Building`] makes the same simulation in pieces a
//! driver runs between frames, then (if the run keeps a census) reads the members'
//! tables into it in pieces too: the page shows how far it got and stays responsive.

use gossip_core::{MemberSnapshot, MemberState, MemberUpdate, Node, NodeId, Tags};
use rand::Rng;

use super::transport::virtual_addr;
use super::{Error, Simulation, reserve_heap_for_tables};

/// A simulation under construction ([`crate::SimBuilder::build_gradually`]).
#[derive(Debug)]
pub struct Building {
    sim: Simulation,
    /// Every member of a converged cluster, in the order its nodes are made.
    everyone: Vec<MemberUpdate>,
    /// How many of `everyone` have their node.
    made: usize,
    /// Every node has joined: what is left is reading tables into the census.
    joined: bool,
}

impl Building {
    /// A simulation built already.
    pub(crate) fn whole(sim: Simulation) -> Building {
        Building {
            sim,
            everyone: Vec::new(),
            made: 0,
            joined: true,
        }
    }

    /// `n1..=nN` to be made into `sim`, each started from a member snapshot holding all
    /// the others alive ([`Node::restore_members`]).
    pub(crate) fn converged(sim: Simulation, count: usize) -> Building {
        reserve_heap_for_tables(count);
        let everyone: Vec<MemberUpdate> = (0..count)
            .map(|i| MemberUpdate {
                id: NodeId::new(&format!("n{}", i + 1)).expect("n1, n2, ... are valid names"),
                addr: virtual_addr(i),
                incarnation: 0,
                state: MemberState::Alive,
                accuser: None,
                tags: Tags::none(),
            })
            .collect();
        sim.registry.register(everyone.iter().map(|m| &m.id));
        Building {
            sim,
            everyone,
            made: 0,
            joined: false,
        }
    }

    /// Asks for the finished simulation to keep a census ([`Simulation::keep_census`]),
    /// read here in pieces rather than all at once when it is first asked.
    pub fn keep_census(&mut self) {
        self.sim.keep_census();
    }

    /// How much is done and how much there is in all, in steps of [`Building::make`]:
    /// a node made, or a table read into the census.
    pub fn progress(&self) -> (usize, usize) {
        let census_rows = self.census_rows();
        let total = self.everyone.len() + census_rows.1;
        (self.made + census_rows.0, total)
    }

    /// The census's tables read and to read (both 0 without a census).
    fn census_rows(&self) -> (usize, usize) {
        match &self.sim.census {
            Some(census) if !self.everyone.is_empty() => {
                (census.borrow().rows_read(), self.everyone.len())
            }
            _ => (0, 0),
        }
    }

    /// Does up to `steps` more of the work; returns whether all of it is done.
    pub fn make(&mut self, mut steps: usize) -> Result<bool, Error> {
        while steps > 0 && self.made < self.everyone.len() {
            self.make_node()?;
            steps -= 1;
        }
        if self.made < self.everyone.len() {
            return Ok(false);
        }
        if !self.joined {
            self.join_all();
        }
        if let Some(census) = &self.sim.census {
            let sim = &self.sim;
            census.borrow_mut().read_rows(&sim.nodes, steps);
        }
        Ok(self.progress().0 >= self.progress().1)
    }

    /// Does what is left, and gives the simulation.
    pub fn finish(mut self) -> Result<Simulation, Error> {
        self.make(usize::MAX)?;
        self.sim.recording = true;
        Ok(self.sim)
    }

    fn make_node(&mut self) -> Result<(), Error> {
        let sim = &mut self.sim;
        let member = &self.everyone[self.made];
        let mut node = Node::new_in(
            &sim.registry,
            member.id.clone(),
            member.addr,
            sim.config.clone(),
            sim.rng.random(),
        )?;
        let view = match sim.nodes.first() {
            Some(template) => template.node.member_snapshot(),
            None => MemberSnapshot::from_updates(self.everyone.iter().cloned()),
        };
        node.restore_members(sim.now, view);
        sim.push_node(node);
        self.made += 1;
        Ok(())
    }

    /// Every node joins through `n1`, as the joins of long ago would have it.
    fn join_all(&mut self) {
        let sim = &mut self.sim;
        if let Some(first) = self.everyone.first() {
            let seed = [first.addr];
            for index in 0..sim.nodes.len() {
                sim.nodes[index].node.join(sim.now, &seed);
                sim.drain(index);
            }
        }
        self.joined = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::Duration;

    fn builder() -> crate::SimBuilder {
        Simulation::builder().seed(9).nodes(40).converged()
    }

    #[test]
    fn a_cluster_built_in_pieces_is_the_cluster_built_at_once() {
        let mut whole = builder().build().unwrap();
        let mut building = builder().build_gradually().unwrap();
        building.keep_census();
        assert_eq!(
            building.progress(),
            (0, 80),
            "40 nodes, then 40 tables read"
        );
        let mut pieces = 0;
        while !building.make(7).unwrap() {
            pieces += 1;
            let (done, total) = building.progress();
            assert!(
                done <= total && done >= 7 * pieces.min(5),
                "{done} of {total}"
            );
        }
        assert!(pieces >= 10, "made in pieces: {pieces}");
        assert_eq!(building.progress(), (80, 80));
        let mut gradual = building.finish().unwrap();
        assert_eq!(gradual.setup(), whole.setup());
        assert_eq!(gradual.trace_digest(), whole.trace_digest());
        whole.run_for(Duration::from_secs(30));
        gradual.run_for(Duration::from_secs(30));
        assert_eq!(gradual.trace_digest(), whole.trace_digest(), "the same run");
        assert_eq!(gradual.consensus_tallies(), whole.consensus_tallies());
        let alive = MemberState::Alive as usize;
        assert!(gradual.consensus_tallies().iter().all(|t| t[alive] == 39));
    }

    #[test]
    fn a_cluster_not_converged_is_built_whole_at_once() {
        let mut building = Simulation::builder()
            .seed(9)
            .nodes(4)
            .build_gradually()
            .unwrap();
        assert_eq!(building.progress(), (0, 0));
        assert!(building.make(1).unwrap());
        assert_eq!(building.finish().unwrap().nodes().count(), 4);
    }
}
