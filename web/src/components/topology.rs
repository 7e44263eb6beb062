use std::collections::BTreeSet;
use std::rc::Rc;

use gossip_core::wire::MessageKind;
use gossip_sim::Simulation;
use yew::prelude::*;

use super::graph::{Activation, CutLink, Graph, GraphNode, MessageMark, Nodes, SVG_UP_TO};
use super::{LabContext, use_node_names};
use crate::cluster::{
    Shown, cut_pairs, describe_datagram, holders_of, seen_by, shown_states, suspicion_left,
};
use crate::layout::{message_position, node_position, node_radius, progress};
use crate::state::Action;

/// At most this many datagrams are drawn as SVG elements (a small cluster has tens in
/// flight; a crowd of elements costs the browser more than a frame).
const SVG_MESSAGES: usize = 400;
/// At most this many are painted on the canvas (1,000 nodes keep a few thousand in
/// flight, most painted; 10,000 about twenty thousand, an eighth of them painted).
const CANVAS_MESSAGES: usize = 2_500;

/// What the cluster's view of its nodes is recomputed for: another run, another
/// command, more events, or another simulated second (a safety net for changes no
/// event reports).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ViewKey {
    run: usize,
    commands: usize,
    events: u64,
    second: u64,
}

/// The simulated cluster drawn as a graph: nodes on a circle, messages moving between
/// them; clicking a node crashes or restarts it, shift-click or a dragged box picks.
#[function_component(Topology)]
pub fn topology() -> Html {
    let lab = use_context::<LabContext>().expect("Topology sits inside the lab context");
    let dispatcher = lab.dispatcher();
    // Callbacks that stay the same from frame to frame, so the node layer is only
    // re-rendered when a node changes.
    let on_activate = use_callback(dispatcher.clone(), |activation: Activation, lab| {
        let name = activation.name.to_string();
        lab.dispatch(if activation.pick {
            Action::Select(name)
        } else {
            Action::ToggleNode(name)
        })
    });
    let on_pick = use_callback(dispatcher.clone(), |names: Vec<AttrValue>, lab| {
        lab.dispatch(Action::PickAll(
            names.iter().map(ToString::to_string).collect(),
        ))
    });
    let run = Rc::as_ptr(&lab.sim) as usize;
    let sim_handle = Rc::clone(&lab.sim);
    let on_pin = use_callback((dispatcher, run), move |id: u64, (lab, _)| {
        // A datagram that arrived while the click was on its way is not pinned.
        if describe_datagram(&sim_handle.borrow(), id).is_some() {
            lab.dispatch(Action::PinDatagram(id))
        }
    });

    let names = use_node_names(&lab);
    let sim = lab.sim.borrow();
    let key = ViewKey {
        run,
        commands: sim.commands().len(),
        events: sim.metrics().events,
        second: sim.now().as_millis() / 1_000,
    };
    let consensus = {
        let sim = Rc::clone(&lab.sim);
        use_memo(key, move |_| shown_states(&sim.borrow()))
    };
    // Cuts change only by command.
    let cuts = {
        let sim = Rc::clone(&lab.sim);
        use_memo((run, key.commands), move |_| {
            Rc::new(
                cut_pairs(&sim.borrow())
                    .into_iter()
                    .map(|(from, to, both_ways)| CutLink {
                        from,
                        to,
                        one_way: !both_ways,
                    })
                    .collect::<Vec<_>>(),
            )
        })
    };
    let count = sim.nodes().count();
    let view = lab.view.as_deref();
    let holders: BTreeSet<String> = lab
        .picked_key
        .as_deref()
        .map(|key| holders_of(&sim, key).into_iter().collect())
        .unwrap_or_default();
    let nodes: Vec<GraphNode> = sim
        .nodes()
        .enumerate()
        .zip(names.iter())
        .map(|((i, node), name)| {
            let state = match view {
                Some(observer) => seen_by(&sim, observer, node.id().as_str()),
                None => consensus.get(i).copied().unwrap_or(Shown::Unknown),
            };
            GraphNode {
                name: name.clone(),
                state: state.as_str(),
                up: node.is_up(),
                paused: node.is_paused(),
                incarnation: node.node().incarnation(),
                keys: Some(node.node().store().len()),
                local_health: node.node().local_health(),
                action: Some(AttrValue::Static(if crate::state::has_left(node) {
                    "start it again: it left (shift: pick it for a cut)"
                } else if node.is_up() {
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
                excitement: node
                    .node()
                    .rumor_excitement()
                    .map(|(_, left)| left)
                    .max()
                    .map(|left| (left, node.node().config().max_excitement)),
            }
        })
        .collect();
    let drawn_as_svg = count <= SVG_UP_TO;
    let messages = Rc::new(placed_messages(&sim, drawn_as_svg));
    let in_flight = (!drawn_as_svg).then(|| in_flight_summary(&sim, messages.len()));
    html! {
        <>
            <Graph
                nodes={Nodes::from(nodes)}
                {messages}
                cuts={Rc::clone(&*cuts)}
                label="Cluster topology: click a node to crash or restart it, shift-click or drag a box to pick nodes"
                {on_activate}
                {on_pin}
                on_pick={Some(on_pick)}
            />
            if let Some(summary) = in_flight {
                <p class="in-flight">{ summary }</p>
            }
        </>
    }
}

/// The datagrams in flight, placed on their way; with their decoded contents as hover
/// text when each is an SVG element. Beyond what is drawn, an even sample of them: a
/// large cluster's tens of thousands read as a density either way.
fn placed_messages(sim: &Simulation, labelled: bool) -> Vec<MessageMark> {
    let count = sim.nodes().count();
    let radius = node_radius(count);
    let up: Vec<bool> = sim.nodes().map(|n| n.is_up()).collect();
    let now = sim.now().as_millis();
    let limit = if labelled {
        SVG_MESSAGES
    } else {
        CANVAS_MESSAGES
    };
    let marks = sim.in_flight_marks();
    // Picked by id, not by place in the list (places are reused): a datagram drawn
    // stays drawn until it arrives, and the cloud does not flicker.
    let every = marks.len().div_ceil(limit).max(1) as u64;
    marks
        .filter(|m| m.id % every == 0)
        .take(limit)
        .filter(|m| m.from < count && m.to < count)
        .map(|m| {
            let (from, to) = (node_position(m.from, count), node_position(m.to, count));
            let travelled = progress(m.sent_at.as_millis(), m.arrives_at.as_millis(), now);
            MessageMark {
                id: m.id,
                kind: m.kind.as_str(),
                at: message_position(from, to, travelled, radius),
                lost: m.dropped || !up[m.to],
                label: labelled
                    .then(|| describe_datagram(sim, m.id).map(AttrValue::from))
                    .flatten(),
            }
        })
        .collect()
}

/// How many datagrams are in flight, by kind, and how many of them are drawn: a large
/// cluster's thousands of dots read as a density, these figures as numbers.
fn in_flight_summary(sim: &Simulation, drawn: usize) -> String {
    let mut by_kind = [0usize; MessageKind::ALL.len()];
    let mut total = 0;
    for mark in sim.in_flight_marks() {
        by_kind[mark.kind.index()] += 1;
        total += 1;
    }
    let kinds: Vec<String> = MessageKind::ALL
        .iter()
        .zip(by_kind)
        .filter(|(_, n)| *n > 0)
        .map(|(kind, n)| format!("{} {n}", kind.as_str()))
        .collect();
    let mut summary = format!("{total} datagrams in flight");
    if !kinds.is_empty() {
        summary.push_str(&format!(": {}", kinds.join(" · ")));
    }
    if drawn < total {
        summary.push_str(&format!(" ({drawn} drawn)"));
    }
    // How to pin one is said once, below the graph, at every size.
    summary
}
