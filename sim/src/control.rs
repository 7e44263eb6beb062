//! What a driver does to a running simulation: add nodes, crash, pause, restart and
//! remove them, cut, hold and shape links, slow nodes down, make them leave, write.
//! Every command is logged (see `trace`), so a run replays exactly.

use core::net::SocketAddr;

use rand::Rng;

use super::network::Network;
use super::{Command, NetworkModel, Scheduled, Simulation, virtual_addr};
use gossip_core::{Duration, Node, NodeId};

use crate::Error;

impl Simulation {
    /// Adds a node named `name` and has it join through the nodes named in `seeds`
    /// (none: it starts a cluster of its own).
    pub fn add_node(&mut self, name: &str, seeds: &[&str]) -> Result<(), Error> {
        self.record(Command::AddNode {
            name: name.to_owned(),
            seeds: to_owned(seeds),
        });
        let id = NodeId::new(name)?;
        if self.by_name.contains_key(&id) {
            return Err(Error::DuplicateNode(name.to_owned()));
        }
        let index = self.nodes.len();
        let addr = virtual_addr(index);
        let seed_addrs = seeds
            .iter()
            .map(|seed| self.index_of(seed).map(|i| self.nodes[i].node.addr()))
            .collect::<Result<Vec<_>, _>>()?;
        let node = Node::new_in(
            &self.registry,
            id.clone(),
            addr,
            self.config.clone(),
            self.rng.random(),
        )?;
        self.push_node(node);
        self.nodes[index].node.join(self.now, &seed_addrs);
        self.drain(index);
        Ok(())
    }

    /// Stops a node dead: it loses every datagram sent to it and runs no timers. Its
    /// state stays as it was, for inspection.
    pub fn crash(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Crash(name.to_owned()));
        let index = self.index_of(name)?;
        self.stop(index);
        Ok(())
    }

    /// Takes a node down (crash or removal): it runs nothing more, and the failure is
    /// tracked until the cluster holds it dead.
    fn stop(&mut self, index: usize) {
        let now = self.now;
        let sim_node = &mut self.nodes[index];
        sim_node.wake = None;
        sim_node.paused = false;
        if std::mem::replace(&mut sim_node.up, false) {
            sim_node.down_since = Some(now);
            self.track_failure(index);
        }
        // The socket buffer goes with the process: what waited for a paused node is
        // lost as if it had arrived now, to a node that is down.
        for key in std::mem::take(&mut self.nodes[index].inbox) {
            self.deliver(key);
        }
    }

    /// Freezes a running node, as a stopped process or a long pause of its runtime
    /// would: it runs no timers and handles nothing, but datagrams sent to it wait in
    /// its socket buffer instead of being lost. [`Simulation::resume`] lets it catch up.
    pub fn pause(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Pause(name.to_owned()));
        let index = self.running(name)?;
        self.nodes[index].paused = true;
        Ok(())
    }

    /// Lets a paused node go on: it first handles what arrived while it was paused,
    /// in arrival order, then every timer that fell due.
    pub fn resume(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Resume(name.to_owned()));
        let index = self.index_of(name)?;
        if !std::mem::take(&mut self.nodes[index].paused) {
            return Ok(());
        }
        for key in std::mem::take(&mut self.nodes[index].inbox) {
            self.deliver(key);
        }
        let now = self.now;
        let sim_node = &mut self.nodes[index];
        if sim_node.up {
            sim_node.wake = None;
            sim_node.node.handle_timeout(now);
            self.drain(index);
        }
        Ok(())
    }

    /// Takes a node out of the cluster for good, without a word (decommissioned, not
    /// left): it stops as a crash would, and is no longer a member the checkers expect
    /// anyone to know. It cannot be restarted.
    pub fn remove_node(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::RemoveNode(name.to_owned()));
        let index = self.index_of(name)?;
        self.nodes[index].removed = true;
        self.stop(index);
        Ok(())
    }

    /// Starts a crashed node again with fresh state under the same name and address;
    /// it joins through every other node.
    pub fn restart(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Restart(name.to_owned()));
        self.start_again(name, false)
    }

    /// Starts a crashed node again with what it had persisted: its store, its identity
    /// as a writer and its incarnation (as a node with a disk would; a node that last
    /// heard from the cluster `tombstone_grace` ago or more holds its store aside until
    /// it has caught up, see [`gossip_core::Node::restore`]). Its member table and
    /// timers start fresh; it joins through every other node.
    pub fn restart_with_state(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::RestartWithState(name.to_owned()));
        self.start_again(name, true)
    }

    fn start_again(&mut self, name: &str, with_state: bool) -> Result<(), Error> {
        let index = self.index_of(name)?;
        if self.nodes[index].removed {
            return Err(Error::UnknownNode(name.to_owned()));
        }
        if self.nodes[index].up {
            return Ok(());
        }
        let id = self.nodes[index].node.id().clone();
        let addr = self.nodes[index].node.addr();
        let seeds: Vec<SocketAddr> = self
            .nodes
            .iter()
            .map(|n| n.node.addr())
            .filter(|a| *a != addr)
            .collect();
        let mut node = Node::new_in(
            &self.registry,
            id,
            addr,
            self.config.clone(),
            self.rng.random(),
        )?;
        if with_state {
            // Away since it last heard from the cluster: a node cut off before it crashed
            // missed deletes for longer than it was down.
            let old = &self.nodes[index];
            let away = old
                .node
                .last_heard()
                .or(old.down_since)
                .map(|since| self.now.saturating_since(since));
            node.restore(old.node.persisted(), away);
        }
        node.join(self.now, &seeds);
        let sim_node = &mut self.nodes[index];
        sim_node.node = node;
        sim_node.up = true;
        sim_node.down_since = None;
        sim_node.restarted_at = Some(self.now);
        sim_node.restarts += 1;
        sim_node.wake = None;
        self.drain(index);
        Ok(())
    }

    /// Deletes `key` on the node named `name`.
    pub fn delete(&mut self, name: &str, key: &str) -> Result<(), Error> {
        self.record(Command::Delete {
            name: name.to_owned(),
            key: key.to_owned(),
        });
        let index = self.running(name)?;
        let now = self.now;
        if let Some(tombstone) = self.nodes[index].node.delete(now, key)? {
            self.track_write(tombstone);
        }
        self.drain(index);
        Ok(())
    }

    /// Cuts every link between the nodes of `side_a` and those of `side_b`, both ways.
    pub fn partition(&mut self, side_a: &[&str], side_b: &[&str]) -> Result<(), Error> {
        self.record(Command::Partition {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
        });
        self.both_ways(side_a, side_b, Network::cut)
    }

    /// Cuts the links from each node of `from` to each node of `to`, one way only: the
    /// `to` side still reaches the `from` side.
    pub fn partition_oneway(&mut self, from: &[&str], to: &[&str]) -> Result<(), Error> {
        self.record(Command::PartitionOneway {
            from: to_owned(from),
            to: to_owned(to),
        });
        self.for_links(from, to, Network::cut)
    }

    /// Restores the links between the nodes of `side_a` and `side_b`, both ways.
    pub fn repair(&mut self, side_a: &[&str], side_b: &[&str]) -> Result<(), Error> {
        self.record(Command::Repair {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
        });
        self.both_ways(side_a, side_b, Network::repair)
    }

    /// Holds every datagram between the nodes of `side_a` and `side_b`, both ways: they
    /// wait, undelivered, until [`Simulation::release`] (a stalled link rather than a
    /// lossy one).
    pub fn hold(&mut self, side_a: &[&str], side_b: &[&str]) -> Result<(), Error> {
        self.record(Command::Hold {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
        });
        self.both_ways(side_a, side_b, Network::hold)
    }

    /// Releases held links: the datagrams they held go on their way now, in the order
    /// they were sent.
    pub fn release(&mut self, side_a: &[&str], side_b: &[&str]) -> Result<(), Error> {
        self.record(Command::Release {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
        });
        self.both_ways(side_a, side_b, Network::release)?;
        let latency = self.network.model.latency;
        let (go, stay): (Vec<_>, Vec<_>) = std::mem::take(&mut self.held_messages)
            .into_iter()
            .partition(|&(_, from, to)| !self.network.is_held(from, to));
        self.held_messages = stay;
        for (key, _, _) in go {
            let at = self.now + latency;
            if let Some(flight) = self.in_flight.get_mut(key) {
                flight.arrives_at = at;
            }
            self.schedule(at, Scheduled::Deliver(key));
        }
        Ok(())
    }

    /// Gives every link between the nodes of `side_a` and `side_b` (both ways) its own
    /// latency, jitter, loss, duplication and MTU; `None` puts them back on the
    /// network-wide model ([`Simulation::set_network`]). Cuts and holds still apply.
    pub fn set_link(
        &mut self,
        side_a: &[&str],
        side_b: &[&str],
        model: Option<NetworkModel>,
    ) -> Result<(), Error> {
        self.record(Command::SetLink {
            side_a: to_owned(side_a),
            side_b: to_owned(side_b),
            model: model.clone(),
        });
        self.for_links(side_a, side_b, |network, a, b| {
            network.set_link(a, b, model.clone());
            network.set_link(b, a, model.clone());
        })
    }

    /// Restores every link.
    pub fn repair_all(&mut self) {
        self.record(Command::RepairAll);
        self.network.repair_all();
    }

    /// Makes a node slow: it gets to each datagram a random `0..=2 * lag` late (`lag` on
    /// average), as a node short of CPU would. The case Lifeguard exists for.
    /// `Duration::ZERO` makes it normal again.
    pub fn slow(&mut self, name: &str, lag: Duration) -> Result<(), Error> {
        self.record(Command::Slow {
            name: name.to_owned(),
            lag,
        });
        let index = self.index_of(name)?;
        self.network.set_lag(index, lag);
        Ok(())
    }

    /// Has a node leave the cluster gracefully; it keeps running to spread the news.
    pub fn leave(&mut self, name: &str) -> Result<(), Error> {
        self.record(Command::Leave(name.to_owned()));
        let index = self.running(name)?;
        let now = self.now;
        self.nodes[index].node.leave(now);
        self.drain(index);
        Ok(())
    }

    /// Writes `key = value` on the node named `name`.
    pub fn put(&mut self, name: &str, key: &str, value: &str) -> Result<(), Error> {
        self.record(Command::Put {
            name: name.to_owned(),
            key: key.to_owned(),
            value: value.to_owned(),
        });
        let index = self.running(name)?;
        let now = self.now;
        let version = self.nodes[index].node.put(now, key, value)?;
        self.track_write(version);
        self.drain(index);
        Ok(())
    }

    /// Sends a user event from the node named `name`: `event` and its `payload`, which
    /// every member hears once ([`gossip_core::Node::send_user_event`]).
    pub fn send_user_event(&mut self, name: &str, event: &str, payload: &str) -> Result<(), Error> {
        self.record(Command::UserEvent {
            name: name.to_owned(),
            event: event.to_owned(),
            payload: payload.to_owned(),
        });
        let index = self.running(name)?;
        let now = self.now;
        self.nodes[index]
            .node
            .send_user_event(now, event, payload)?;
        self.drain(index);
        Ok(())
    }

    fn running(&self, name: &str) -> Result<usize, Error> {
        let index = self.index_of(name)?;
        if !self.nodes[index].up {
            return Err(Error::UnknownNode(name.to_owned()));
        }
        Ok(index)
    }

    /// Applies `change` to every link between the two sides, in both directions.
    fn both_ways(
        &mut self,
        side_a: &[&str],
        side_b: &[&str],
        change: fn(&mut Network, usize, usize),
    ) -> Result<(), Error> {
        self.for_links(side_a, side_b, |network, a, b| {
            change(network, a, b);
            change(network, b, a);
        })
    }

    fn for_links(
        &mut self,
        side_a: &[&str],
        side_b: &[&str],
        mut change: impl FnMut(&mut Network, usize, usize),
    ) -> Result<(), Error> {
        let a: Vec<usize> = side_a
            .iter()
            .map(|n| self.index_of(n))
            .collect::<Result<_, _>>()?;
        let b: Vec<usize> = side_b
            .iter()
            .map(|n| self.index_of(n))
            .collect::<Result<_, _>>()?;
        for &from in &a {
            for &to in &b {
                change(&mut self.network, from, to);
            }
        }
        Ok(())
    }
}

fn to_owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}
