use std::collections::BTreeMap;

use gossip_sim::{MessageRecord, Simulation};
use yew::prelude::*;

use super::LabContext;
use super::message_dot::MessageDot;
use super::node_disc::NodeDisc;
use crate::cluster::shown_state;
use crate::layout::{VIEW_SIZE, message_position, node_position, progress};
use crate::state::Action;

/// The cluster drawn as a graph: nodes on a circle, messages moving between them.
#[function_component(Topology)]
pub fn topology() -> Html {
    let lab = use_context::<LabContext>().expect("Topology sits inside the lab context");
    let sim = lab.sim.borrow();
    let count = sim.nodes().count();
    let index: BTreeMap<_, _> = sim
        .nodes()
        .enumerate()
        .map(|(i, n)| (n.id().clone(), i))
        .collect();
    let now = sim.now().as_millis();
    let up: Vec<bool> = sim.nodes().map(|n| n.is_up()).collect();

    let links = (0..count).flat_map(|a| (a + 1..count).map(move |b| (a, b))).map(|(a, b)| {
        let (p, q) = (node_position(a, count), node_position(b, count));
        html! { <line class="link" x1={p.x.to_string()} y1={p.y.to_string()} x2={q.x.to_string()} y2={q.y.to_string()} /> }
    });

    let messages = sim.in_flight().filter_map(|message| {
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
        );
        Some(html! {
            <MessageDot
                key={message.id.to_string()}
                kind={message.kind.as_str()}
                x={at.x}
                y={at.y}
                lost={message.dropped.is_some() || !up[to_index]}
                label={describe(&sim, &message)}
            />
        })
    });

    let on_toggle = {
        let lab = lab.clone();
        Callback::from(move |name: AttrValue| lab.dispatch(Action::ToggleNode(name.to_string())))
    };
    let nodes = sim.nodes().enumerate().map(|(i, node)| {
        let at = node_position(i, count);
        html! {
            <NodeDisc
                key={node.id().to_string()}
                name={AttrValue::from(node.id().to_string())}
                x={at.x}
                y={at.y}
                state={shown_state(&sim, node.id().as_str()).as_str()}
                up={node.is_up()}
                paused={node.is_paused()}
                incarnation={node.node().incarnation()}
                keys={node.node().store().len()}
                local_health={node.node().local_health()}
                on_toggle={on_toggle.clone()}
            />
        }
    });

    let size = VIEW_SIZE.to_string();
    html! {
        <svg class="topology" viewBox={format!("0 0 {size} {size}")} role="group" aria-label="Cluster topology: click a node to crash or restart it">
            <g class="links">{ for links }</g>
            <g class="messages">{ for messages }</g>
            <g class="nodes">{ for nodes }</g>
        </svg>
    }
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
