use std::collections::{BTreeMap, BTreeSet};

use gossip_core::NodeId;

use gossip_sim::{MessageRecord, Simulation};
use yew::prelude::*;

use super::LabContext;
use super::graph::{Activation, CutLink, Graph, GraphNode};
use super::message_dot::MessageDot;
use crate::cluster::{Shown, holders_of, seen_by, shown_state, suspicion_left};
use crate::layout::{message_position, node_position, node_radius, progress};

/// At most this many messages are drawn at once; a large cluster has thousands in
/// flight.
const MESSAGES_DRAWN: usize = 400;
use crate::state::Action;

/// The simulated cluster drawn as a graph: nodes on a circle, messages moving between
/// them; clicking a node crashes or restarts it.
#[function_component(Topology)]
pub fn topology() -> Html {
    let lab = use_context::<LabContext>().expect("Topology sits inside the lab context");
    let sim = lab.sim.borrow();
    let count = sim.nodes().count();
    let radius = node_radius(count);
    let index: BTreeMap<_, _> = sim
        .nodes()
        .enumerate()
        .map(|(i, n)| (n.id().clone(), i))
        .collect();
    let now = sim.now().as_millis();
    let up: Vec<bool> = sim.nodes().map(|n| n.is_up()).collect();

    let on_pin = {
        let lab = lab.clone();
        Callback::from(move |text: String| lab.dispatch(Action::Pin(Some(text))))
    };
    let view = lab.view.as_deref();
    let holders: BTreeSet<String> = lab
        .picked_key
        .as_deref()
        .map(|key| holders_of(&sim, key).into_iter().collect())
        .unwrap_or_default();
    let messages = sim.in_flight().take(MESSAGES_DRAWN).filter_map(|message| {
        let from = node_position(*index.get(&message.from)?, count);
        let to_index = *index.get(&message.to)?;
        let to = node_position(to_index, count);
        let at = message_position(
            from,
            to,
            progress(
                message.sent_at.as_millis(),
                message.arrives_at.as_millis(),
                now,
            ),
            radius,
        );
        Some(html! {
            <MessageDot
                key={message.id.to_string()}
                kind={message.kind.as_str()}
                x={at.x}
                y={at.y}
                lost={message.dropped.is_some() || !up[to_index]}
                label={describe(&sim, &message)}
                on_pin={on_pin.clone()}
            />
        })
    });
    let nodes: Vec<GraphNode> = sim
        .nodes()
        .map(|node| {
            let state = match view {
                Some(observer) => seen_by(&sim, observer, node.id().as_str()),
                None => shown_state(&sim, node.id().as_str()),
            };
            GraphNode {
                name: AttrValue::from(node.id().to_string()),
                state: state.as_str(),
                up: node.is_up(),
                paused: node.is_paused(),
                incarnation: node.node().incarnation(),
                keys: Some(node.node().store().len()),
                local_health: node.node().local_health(),
                action: Some(AttrValue::from(if node.is_up() {
                    "crash it (shift: pick it for a cut)"
                } else {
                    "restart it (shift: pick it for a cut)"
                })),
                tooltip: None,
                selected: lab.selected.contains(node.id().as_str()),
                // Only a node shown suspect has an arc (and asking every observer costs).
                suspicion_left: (state == Shown::Suspect)
                    .then(|| suspicion_left(&sim, view, node.id().as_str()))
                    .flatten(),
                holds_key: holders.contains(node.id().as_str()),
            }
        })
        .collect();
    let on_activate = {
        let lab = lab.clone();
        Callback::from(move |activation: Activation| {
            let name = activation.name.to_string();
            lab.dispatch(if activation.pick {
                Action::Select(name)
            } else {
                Action::ToggleNode(name)
            })
        })
    };
    html! {
        <Graph
            {nodes}
            messages={messages.collect::<Html>()}
            cuts={cut_links(&sim)}
            label="Cluster topology: click a node to crash or restart it, shift-click to pick it"
            {on_activate}
        />
    }
}

/// Every cut link, once per pair: both ways, or one way (from → to).
fn cut_links(sim: &Simulation) -> Vec<CutLink> {
    if sim.cut_links().next().is_none() {
        return Vec::new(); // the usual case, without indexing every node each frame
    }
    let index: BTreeMap<&NodeId, usize> =
        sim.nodes().enumerate().map(|(i, n)| (n.id(), i)).collect();
    let cut: BTreeSet<(usize, usize)> = sim
        .cut_links()
        .filter_map(|(from, to)| Some((*index.get(from)?, *index.get(to)?)))
        .collect();
    cut.iter()
        .filter_map(|&(from, to)| {
            let back = cut.contains(&(to, from));
            match (back, from < to) {
                (true, false) => None, // drawn once, from the lower index
                (true, true) => Some(CutLink {
                    from,
                    to,
                    one_way: false,
                }),
                (false, _) => Some(CutLink {
                    from,
                    to,
                    one_way: true,
                }),
            }
        })
        .collect()
}

/// A datagram's tooltip: who sends what to whom, then its decoded contents.
fn describe(sim: &Simulation, message: &MessageRecord) -> String {
    let mut text = format!(
        "{} {} → {}",
        message.kind.as_str(),
        message.from,
        message.to
    );
    if let Some(packet) = sim.decode_in_flight(message.id) {
        text.push_str(&format!("\n{:?}", packet.message));
        for update in &packet.updates {
            text.push_str(&format!("\n+ {update:?}"));
        }
    }
    text
}
