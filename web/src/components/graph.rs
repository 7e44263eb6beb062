use yew::prelude::*;

use super::node_disc::NodeDisc;
use crate::layout::{VIEW_SIZE, node_position};

/// One node as the graph draws it, from a simulation or from a live agent.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    pub name: AttrValue,
    /// How it is seen (`alive`, `suspect`, `dead`, `left`, `joining`).
    pub state: &'static str,
    /// Whether it really runs (in a live cluster: as far as this agent can tell).
    pub up: bool,
    pub paused: bool,
    pub incarnation: u32,
    /// Keys it holds, when known.
    pub keys: Option<usize>,
    pub local_health: u32,
    /// What activating it does ("crash it", "open its page"), if anything.
    pub action: Option<AttrValue>,
    /// More about it, shown on hover (a live member's tags).
    pub tooltip: Option<AttrValue>,
}

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub nodes: Vec<GraphNode>,
    /// The messages in flight, already placed (see `layout::message_position`).
    #[prop_or_default]
    pub messages: Html,
    /// The graph's accessible name.
    pub label: AttrValue,
    /// Called with a node's name when a person activates it.
    #[prop_or_default]
    pub on_activate: Callback<AttrValue>,
}

/// The cluster as a graph: nodes on a circle, every pair linked, messages on top. The
/// simulated lab and the live agent page draw through this one component.
#[function_component(Graph)]
pub fn graph(props: &GraphProps) -> Html {
    let count = props.nodes.len();
    let links = (0..count).flat_map(|a| (a + 1..count).map(move |b| (a, b))).map(|(a, b)| {
        let (p, q) = (node_position(a, count), node_position(b, count));
        html! { <line class="link" x1={p.x.to_string()} y1={p.y.to_string()} x2={q.x.to_string()} y2={q.y.to_string()} /> }
    });
    let nodes = props.nodes.iter().enumerate().map(|(i, node)| {
        let at = node_position(i, count);
        html! {
            <NodeDisc
                key={node.name.to_string()}
                node={node.clone()}
                x={at.x}
                y={at.y}
                on_activate={props.on_activate.clone()}
            />
        }
    });
    let size = VIEW_SIZE.to_string();
    html! {
        <svg class="topology" viewBox={format!("0 0 {size} {size}")} role="group" aria-label={props.label.clone()}>
            <g class="links">{ for links }</g>
            <g class="messages">{ props.messages.clone() }</g>
            <g class="nodes">{ for nodes }</g>
        </svg>
    }
}
