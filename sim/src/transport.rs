//! Datagrams between simulated nodes: each node's outputs drained in the documented
//! order, sent through the network model, queued as events, and delivered (or dropped,
//! or held, or kept for a paused node) at their time.

use core::hash::{Hash, Hasher};
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::{
    Dropped, LogEntry, MessageRecord, SIM_PORT, Scheduled, SimNode, Simulation, push_bounded,
};
use gossip_core::wire::MessageKind;
use gossip_core::{Duration, Instant, Transmit};

/// A datagram on the wire: who sent it to whom (nodes by index), when, its fate and its
/// bytes. Its [`MessageRecord`], which names the nodes, is made only when someone looks
/// (the lab, a history), not for each of the millions a benchmark sends.
#[derive(Clone, Debug)]
pub(super) struct InFlight {
    pub(super) id: u64,
    pub(super) from_index: usize,
    pub(super) to_index: usize,
    pub(super) kind: MessageKind,
    pub(super) sent_at: Instant,
    pub(super) arrives_at: Instant,
    pub(super) dropped: Option<Dropped>,
    pub(super) duplicate: bool,
    pub(super) payload: Vec<u8>,
}

impl InFlight {
    /// This datagram as observers see it, with the nodes named.
    pub(super) fn record(&self, nodes: &[SimNode]) -> MessageRecord {
        MessageRecord {
            id: self.id,
            from: nodes[self.from_index].node.id().clone(),
            to: nodes[self.to_index].node.id().clone(),
            kind: self.kind,
            size: self.payload.len(),
            sent_at: self.sent_at,
            arrives_at: self.arrives_at,
            dropped: self.dropped,
            duplicate: self.duplicate,
        }
    }

    /// Feeds the trace digest: everything its record says, with the nodes by index
    /// (one word each, where hashing their names would cost a pass over each).
    fn hash_fate(&self, hasher: &mut impl Hasher) {
        (self.id, self.from_index, self.to_index, self.kind).hash(hasher);
        (self.payload.len(), self.sent_at, self.arrives_at).hash(hasher);
        (self.dropped, self.duplicate).hash(hasher);
    }
}

/// Where a datagram waits among those in flight (a slab: every send and
/// delivery is an index, not a hash-map insert and remove).
pub(super) type FlightKey = usize;

/// `10.x.y.z:7946` for the node added `index`-th (`n1` is 10.0.0.1): a private,
/// clearly virtual address, with room for 16 million nodes.
pub(super) fn virtual_addr(index: usize) -> SocketAddr {
    let [_, a, b, c] = ((index + 1) as u32).to_be_bytes();
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, a, b, c)), SIM_PORT)
}

/// The node index a virtual address belongs to (the inverse of [`virtual_addr`]), or
/// `None` for an address no node could have.
pub(crate) fn index_of_addr(addr: SocketAddr) -> Option<usize> {
    let SocketAddr::V4(addr) = addr else {
        return None;
    };
    let [ten, a, b, c] = addr.ip().octets();
    if ten != 10 || addr.port() != SIM_PORT {
        return None;
    }
    (u32::from_be_bytes([0, a, b, c]) as usize).checked_sub(1)
}

impl Simulation {
    /// The position in [`Simulation::nodes`] of the node at `addr`, if there is one.
    /// Addresses are computed from positions, so this costs no lookup: a view can tally
    /// every member table in one pass by the addresses the entries carry.
    pub fn index_at(&self, addr: SocketAddr) -> Option<usize> {
        index_of_addr(addr).filter(|&index| index < self.nodes.len())
    }

    pub(super) fn schedule(&mut self, at: Instant, what: Scheduled) {
        self.queue.push(at, what);
    }

    /// Drains a node's outputs in the documented order after an input.
    pub(super) fn drain(&mut self, index: usize) {
        while let Some(transmit) = self.nodes[index].node.poll_transmit() {
            self.send(index, transmit);
        }
        while let Some(event) = self.nodes[index].node.poll_event() {
            self.count_event(&event);
            if let (Some(census), Some(member)) = (&mut self.census, event.member()) {
                census.get_mut().note(index, member);
            }
            let node = self.nodes[index].node.id().clone();
            (&node, &event).hash(&mut self.trace);
            push_bounded(
                &mut self.log,
                LogEntry {
                    at: self.now,
                    node,
                    event,
                },
                self.setup.history_limit,
            );
        }
        let next = self.nodes[index]
            .node
            .poll_timeout()
            .map(|at| at.max(self.now));
        if next != self.nodes[index].wake {
            self.nodes[index].wake = next;
            if let Some(at) = next {
                self.schedule(at, Scheduled::Wake(index));
            }
        }
    }

    fn send(&mut self, from_index: usize, transmit: Transmit) {
        let Some(to_index) = self.index_at(transmit.to) else {
            return;
        };
        let size = transmit.payload.len();
        let fate = self
            .network
            .sample(from_index, to_index, size, &mut self.rng);
        let metrics = &mut self.metrics;
        metrics.datagrams_sent += 1;
        metrics.bytes_sent += size as u64;
        metrics.sent_by_kind[transmit.kind.index()] += 1;
        metrics.bytes_by_kind[transmit.kind.index()] += size as u64;
        metrics.largest_datagram = metrics.largest_datagram.max(size);
        match fate {
            Err(Dropped::Lost) => metrics.lost += 1,
            Err(Dropped::Partitioned) => metrics.partitioned += 1,
            Err(Dropped::TooLarge) => metrics.too_large += 1,
            _ => {}
        }
        let (delay, duplicate) = match fate {
            Ok(delivery) => (Ok(delivery.delay), delivery.duplicate),
            Err(dropped) => (Err(dropped), None),
        };
        let copy = duplicate.map(|second| (second, transmit.payload.clone()));
        self.launch(
            from_index,
            to_index,
            transmit.kind,
            transmit.payload,
            delay,
            false,
        );
        if let Some((second, payload)) = copy {
            self.metrics.duplicated += 1;
            self.launch(
                from_index,
                to_index,
                transmit.kind,
                payload,
                Ok(second),
                true,
            );
        }
    }

    /// Puts one datagram on the wire: in flight until `fate`'s delay has passed (or held
    /// at the sender while its link is held), or recorded as dropped.
    fn launch(
        &mut self,
        from_index: usize,
        to_index: usize,
        kind: MessageKind,
        payload: Vec<u8>,
        fate: Result<Duration, Dropped>,
        duplicate: bool,
    ) {
        let id = self.next_message;
        self.next_message += 1;
        let held = fate.is_ok() && self.network.is_held(from_index, to_index);
        let arrives_at = if held {
            // Waits at the sender's end of the link until released.
            Instant::from_millis(u64::MAX)
        } else {
            self.now + fate.unwrap_or(self.network.link(from_index, to_index).latency)
        };
        let key = self.in_flight.insert(InFlight {
            id,
            from_index,
            to_index,
            kind,
            sent_at: self.now,
            arrives_at,
            dropped: fate.err(),
            duplicate,
            payload,
        });
        if held {
            self.held_messages.push((key, from_index, to_index));
        } else {
            self.schedule(arrives_at, Scheduled::Deliver(key));
        }
    }

    pub(super) fn deliver(&mut self, key: FlightKey) {
        let Some(flight) = self.in_flight.get(key) else {
            return;
        };
        let to = flight.to_index;
        if flight.dropped.is_none() && self.nodes[to].up && self.nodes[to].paused {
            self.nodes[to].inbox.push(key); // waits in the socket buffer
            return;
        }
        let mut flight = self.in_flight.remove(key);
        if flight.dropped.is_none() && !self.nodes[to].up {
            flight.dropped = Some(Dropped::ReceiverDown);
            self.metrics.receiver_down += 1;
        }
        if flight.dropped.is_none() {
            self.metrics.datagrams_delivered += 1;
            let from_index = flight.from_index;
            self.nodes[from_index].delivered_from[flight.kind.index()] += 1;
            // A datagram the node rejects is counted by the node itself.
            let from_addr = self.nodes[from_index].node.addr();
            let _ = self.nodes[to]
                .node
                .handle_packet(self.now, from_addr, &flight.payload);
            self.drain(to);
        }
        flight.hash_fate(&mut self.trace);
        if self.setup.history_limit > 0 {
            let record = flight.record(&self.nodes);
            push_bounded(&mut self.history, record, self.setup.history_limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_addresses_map_back_to_their_node() {
        for index in [0, 1, 254, 255, 256, 65_535, 70_000, 16_777_214] {
            assert_eq!(index_of_addr(virtual_addr(index)), Some(index));
        }
        for other in [
            "10.0.0.0:7946",
            "10.0.0.1:7947",
            "11.0.0.1:7946",
            "[::1]:7946",
        ] {
            assert_eq!(index_of_addr(other.parse().unwrap()), None, "{other}");
        }
    }
}
