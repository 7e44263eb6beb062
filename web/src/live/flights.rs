//! The datagrams a live agent sends and receives, drawn flying between it and its
//! peers. The agent reports each one as it goes or comes (`GET /api/datagrams`); a real
//! trip on one machine takes well under a millisecond, so each is given a fixed time
//! on screen instead, long enough to be seen.

use std::collections::VecDeque;
use std::net::SocketAddr;

use gossip_api::{DatagramInfo, MemberInfo};
use gossip_core::NodeId;
use gossip_core::wire::MessageKind;
use yew::AttrValue;

use crate::components::graph::MessageMark;
use crate::layout::{message_position, node_position, node_radius};

/// How long a datagram takes to cross the drawing, in milliseconds.
pub const FLIGHT_MS: f64 = 800.0;

/// The most datagrams drawn at once: beyond, new ones are counted but not drawn, so a
/// busy agent's page stays readable (and cheap) rather than a cloud.
pub const MOST_IN_FLIGHT: usize = 80;

/// One datagram on screen.
#[derive(Clone, Debug, PartialEq)]
struct Flight {
    id: u64,
    /// Sent by this agent (else received by it).
    outgoing: bool,
    peer: SocketAddr,
    peer_name: Option<NodeId>,
    kind: &'static str,
    bytes: usize,
    started_ms: f64,
}

/// How long the count of datagrams not drawn covers, in milliseconds.
const NOT_DRAWN_WINDOW_MS: f64 = 5_000.0;

/// The datagrams on screen, oldest first.
#[derive(Debug, Default)]
pub struct Flights {
    on_screen: VecDeque<Flight>,
    next_id: u64,
    /// Datagrams reported while the screen was full, since the window began.
    not_drawn: u64,
    window_started_ms: f64,
    /// Since when the datagrams on screen stand still ([`Flights::hold`]).
    held_since: Option<f64>,
}

impl Flights {
    /// Stops the datagrams on screen where they are, so that a person can point at one
    /// and read what it is (a flight lasts under a second): the page holds them while
    /// the pointer is over the graph. Datagrams reported meanwhile are not drawn.
    pub fn hold(&mut self, now_ms: f64) {
        self.held_since.get_or_insert(now_ms);
    }

    /// Lets the datagrams held go on from where they stood.
    pub fn release(&mut self, now_ms: f64) {
        if let Some(since) = self.held_since.take() {
            let held_for = (now_ms - since).max(0.0);
            for flight in &mut self.on_screen {
                flight.started_ms += held_for;
            }
        }
    }

    pub fn is_held(&self) -> bool {
        self.held_since.is_some()
    }

    /// The time the screen shows: `now_ms`, or when it was held.
    fn shown_at(&self, now_ms: f64) -> f64 {
        self.held_since.unwrap_or(now_ms)
    }
    /// Puts a datagram the agent sent (`outgoing`) or received on screen at `now_ms`,
    /// unless the screen is full. One the agent names no member for (to a seed that has
    /// not answered, say) has no node to fly to and takes no room.
    pub fn add(&mut self, now_ms: f64, outgoing: bool, datagram: &DatagramInfo) {
        self.land(now_ms);
        if datagram.peer_name.is_none() || self.is_held() {
            return;
        }
        if self.on_screen.len() >= MOST_IN_FLIGHT {
            if now_ms - self.window_started_ms >= NOT_DRAWN_WINDOW_MS {
                (self.window_started_ms, self.not_drawn) = (now_ms, 0);
            }
            self.not_drawn += 1;
            return;
        }
        let kind = MessageKind::ALL
            .iter()
            .map(|kind| kind.as_str())
            .find(|kind| *kind == datagram.kind)
            .unwrap_or("other");
        self.next_id += 1;
        self.on_screen.push_back(Flight {
            id: self.next_id,
            outgoing,
            peer: datagram.peer,
            peer_name: datagram.peer_name.clone(),
            kind,
            bytes: datagram.bytes,
            started_ms: now_ms,
        });
    }

    /// Takes off the screen the datagrams that have arrived by `now_ms` (none while
    /// held).
    pub fn land(&mut self, now_ms: f64) {
        let now_ms = self.shown_at(now_ms);
        while self
            .on_screen
            .front()
            .is_some_and(|f| f.started_ms + FLIGHT_MS <= now_ms)
        {
            self.on_screen.pop_front();
        }
    }

    /// How many datagrams were not drawn lately (in the last five seconds or so) for
    /// want of room.
    pub fn not_drawn_lately(&self, now_ms: f64) -> u64 {
        if now_ms - self.window_started_ms < NOT_DRAWN_WINDOW_MS {
            self.not_drawn
        } else {
            0
        }
    }

    pub fn is_empty(&self) -> bool {
        self.on_screen.is_empty()
    }

    /// The datagrams on their way at `now_ms`, placed on the graph of `members` (drawn
    /// in that order) between `agent` and the member each one's peer is: the member of
    /// that name (so a member behind NAT, whose datagrams come from another address
    /// than the one it advertises, is found), else the one at that address. One from or
    /// to a member not on the graph (yet) is not drawn.
    pub fn marks(&self, members: &[MemberInfo], agent: &str, now_ms: f64) -> Vec<MessageMark> {
        let count = members.len();
        let Some(own) = members.iter().position(|m| m.name.as_str() == agent) else {
            return Vec::new();
        };
        let radius = node_radius(count);
        let now_ms = self.shown_at(now_ms);
        self.on_screen
            .iter()
            .filter_map(|flight| {
                let peer = match &flight.peer_name {
                    Some(name) => members.iter().position(|m| m.name == *name),
                    None => None,
                }
                .or_else(|| members.iter().position(|m| m.addr == flight.peer))?;
                let (from, to) = if flight.outgoing {
                    (own, peer)
                } else {
                    (peer, own)
                };
                let travelled = ((now_ms - flight.started_ms) / FLIGHT_MS).clamp(0.0, 1.0);
                let (from_at, to_at) = (node_position(from, count), node_position(to, count));
                let label = format!(
                    "{} {} → {}, {} bytes",
                    flight.kind, members[from].name, members[to].name, flight.bytes
                );
                Some(MessageMark {
                    id: flight.id,
                    kind: flight.kind,
                    at: message_position(from_at, to_at, travelled, radius),
                    lost: false,
                    label: Some(AttrValue::from(label)),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::MemberState;

    fn member(name: &str, port: u16) -> MemberInfo {
        MemberInfo {
            name: NodeId::new(name).unwrap(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            status: MemberState::Alive,
            incarnation: 0,
            local_health: None,
            tags: Default::default(),
        }
    }

    /// A datagram to or from the member at `port` (named `n1` for 7001 and so on, as
    /// the agent names it), or for any other port an address no member has.
    fn datagram(port: u16, kind: &str) -> DatagramInfo {
        DatagramInfo {
            peer: SocketAddr::from(([127, 0, 0, 1], port)),
            peer_name: (7001..=7003)
                .contains(&port)
                .then(|| NodeId::new(&format!("n{}", port - 7000)).unwrap()),
            kind: kind.to_owned(),
            updates: 0,
            bytes: 23,
        }
    }

    fn three() -> Vec<MemberInfo> {
        vec![member("n1", 7001), member("n2", 7002), member("n3", 7003)]
    }

    #[test]
    fn a_sent_datagram_flies_from_the_agent_to_its_peer_and_lands() {
        let members = three();
        let mut flights = Flights::default();
        flights.add(1_000.0, true, &datagram(7003, "ping"));
        let radius = node_radius(3);
        let (n1, n3) = (node_position(0, 3), node_position(2, 3));
        let at = |now| flights.marks(&members, "n1", now)[0].at;
        assert_eq!(at(1_000.0), message_position(n1, n3, 0.0, radius));
        assert_eq!(
            at(1_000.0 + FLIGHT_MS / 2.0),
            message_position(n1, n3, 0.5, radius)
        );
        let mark = &flights.marks(&members, "n1", 1_000.0)[0];
        assert_eq!(mark.kind, "ping");
        assert_eq!(mark.label.as_deref(), Some("ping n1 → n3, 23 bytes"));
        flights.land(1_000.0 + FLIGHT_MS);
        assert!(flights.is_empty());
    }

    #[test]
    fn a_received_datagram_flies_from_its_peer_to_the_agent() {
        let members = three();
        let mut flights = Flights::default();
        flights.add(0.0, false, &datagram(7002, "ack"));
        let mark = &flights.marks(&members, "n3", FLIGHT_MS)[0];
        let (n2, n3) = (node_position(1, 3), node_position(2, 3));
        assert_eq!(mark.at, message_position(n2, n3, 1.0, node_radius(3)));
        assert_eq!(mark.label.as_deref(), Some("ack n2 → n3, 23 bytes"));
    }

    #[test]
    fn a_datagram_of_no_known_member_or_kind_is_handled() {
        let members = three();
        let mut flights = Flights::default();
        flights.add(0.0, true, &datagram(9999, "ping"));
        assert!(flights.is_empty(), "no member there: it takes no room");
        let mut later = datagram(9999, "ping");
        later.peer_name = Some(NodeId::new("n9").unwrap());
        flights.add(0.0, true, &later);
        assert!(
            flights.marks(&members, "n1", 0.0).is_empty(),
            "a member not on the graph yet"
        );
        flights.add(0.0, true, &datagram(7002, "from-a-newer-agent"));
        assert_eq!(flights.marks(&members, "n1", 0.0)[0].kind, "other");
        assert!(
            flights.marks(&members, "n9", 0.0).is_empty(),
            "no such agent"
        );
    }

    /// A member behind NAT sends from another address than the one it advertises: its
    /// datagrams are placed by the name the agent gives them.
    #[test]
    fn a_datagram_is_placed_by_its_peer_name_before_its_address() {
        let members = three();
        let mut flights = Flights::default();
        let mut natted = datagram(7002, "ack");
        natted.peer = SocketAddr::from(([203, 0, 113, 9], 40_000));
        flights.add(0.0, false, &natted);
        let mark = &flights.marks(&members, "n1", 0.0)[0];
        assert_eq!(mark.label.as_deref(), Some("ack n2 → n1, 23 bytes"));
    }

    /// Held, the datagrams stand still, nothing lands and nothing new is drawn;
    /// released, they go on from where they stood.
    #[test]
    fn held_datagrams_stand_still_and_go_on_when_released() {
        let members = three();
        let mut flights = Flights::default();
        flights.add(0.0, true, &datagram(7002, "ping"));
        let at = |flights: &Flights, now| flights.marks(&members, "n1", now)[0].at;
        let quarter = at(&flights, FLIGHT_MS / 4.0);
        flights.hold(FLIGHT_MS / 4.0);
        assert!(flights.is_held());
        flights.add(FLIGHT_MS / 2.0, true, &datagram(7003, "ack"));
        flights.land(10.0 * FLIGHT_MS);
        assert_eq!(flights.marks(&members, "n1", 10.0 * FLIGHT_MS).len(), 1);
        assert_eq!(at(&flights, 10.0 * FLIGHT_MS), quarter);
        flights.release(10.0 * FLIGHT_MS);
        assert_eq!(at(&flights, 10.0 * FLIGHT_MS), quarter);
        flights.land(10.0 * FLIGHT_MS + FLIGHT_MS * 0.75);
        assert!(flights.is_empty(), "it lands once its flight is over");
    }

    #[test]
    fn a_full_screen_counts_what_it_does_not_draw() {
        let members = three();
        let mut flights = Flights::default();
        for _ in 0..MOST_IN_FLIGHT + 5 {
            flights.add(0.0, true, &datagram(7002, "gossip"));
        }
        assert_eq!(flights.marks(&members, "n1", 0.0).len(), MOST_IN_FLIGHT);
        assert_eq!(flights.not_drawn_lately(0.0), 5);
        // Once those have landed there is room again.
        flights.add(FLIGHT_MS, true, &datagram(7002, "gossip"));
        assert_eq!(flights.marks(&members, "n1", FLIGHT_MS).len(), 1);
        // The count is of the last few seconds, not of all time.
        assert_eq!(flights.not_drawn_lately(NOT_DRAWN_WINDOW_MS - 1.0), 5);
        assert_eq!(flights.not_drawn_lately(NOT_DRAWN_WINDOW_MS), 0);
    }
}
