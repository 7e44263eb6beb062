use yew::prelude::*;

use super::node_disc::NodeDisc;
use crate::layout::{VIEW_SIZE, node_position, node_radius};

/// Up to this many nodes, every pair is drawn linked; beyond, the lines would hide the
/// nodes.
const LINKED_UP_TO: usize = 30;
/// At most this many cut links are drawn.
const CUTS_DRAWN: usize = 2_000;

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
    /// Picked for a network cut.
    pub selected: bool,
    /// How much of its suspicion is left (1 fresh, 0 about to be declared dead), drawn
    /// as a shrinking arc.
    pub suspicion_left: Option<f64>,
    /// Holds the picked key's newest versions.
    pub holds_key: bool,
}

/// A link drawn cut: the indexes of its two nodes, and whether only `from` → `to` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutLink {
    pub from: usize,
    pub to: usize,
    pub one_way: bool,
}

/// A node activated: clicked (or Enter), with shift held to pick it instead.
#[derive(Clone, Debug, PartialEq)]
pub struct Activation {
    pub name: AttrValue,
    pub pick: bool,
}

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub nodes: Vec<GraphNode>,
    /// The messages in flight, already placed (see `layout::message_position`).
    #[prop_or_default]
    pub messages: Html,
    /// Links the network has cut.
    #[prop_or_default]
    pub cuts: Vec<CutLink>,
    /// The graph's accessible name.
    pub label: AttrValue,
    /// Called when a person activates a node.
    #[prop_or_default]
    pub on_activate: Callback<Activation>,
}

/// The cluster as a graph: nodes on a circle, pairs linked while they are few, cut
/// links drawn dashed red, messages on top. The simulated lab and the live agent page
/// draw through this one component.
#[function_component(Graph)]
pub fn graph(props: &GraphProps) -> Html {
    let count = props.nodes.len();
    let radius = node_radius(count);
    let line = |a: usize, b: usize, class: Classes| {
        let (p, q) = (node_position(a, count), node_position(b, count));
        html! { <line {class} x1={p.x.to_string()} y1={p.y.to_string()} x2={q.x.to_string()} y2={q.y.to_string()} /> }
    };
    let links = (count <= LINKED_UP_TO).then(|| {
        (0..count)
            .flat_map(|a| (a + 1..count).map(move |b| (a, b)))
            .map(|(a, b)| line(a, b, classes!("link")))
            .collect::<Html>()
    });
    let cuts = props
        .cuts
        .iter()
        .take(CUTS_DRAWN)
        .map(|cut| {
            let class = classes!("cut", cut.one_way.then_some("one-way"));
            line(cut.from, cut.to, class)
        })
        .collect::<Html>();
    let nodes = props.nodes.iter().enumerate().map(|(i, node)| {
        let at = node_position(i, count);
        html! {
            <NodeDisc
                key={node.name.to_string()}
                node={node.clone()}
                x={at.x}
                y={at.y}
                {radius}
                on_activate={props.on_activate.clone()}
            />
        }
    });
    let size = VIEW_SIZE.to_string();
    html! {
        <svg class={classes!("topology", (count > LINKED_UP_TO).then_some("crowded"))} viewBox={format!("0 0 {size} {size}")} role="group" aria-label={props.label.clone()}>
            <defs>
                <marker id="cut-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="cut-arrow" />
                </marker>
            </defs>
            <g class="links">{ links }</g>
            <g class="cuts">{ cuts }</g>
            <g class="messages">{ props.messages.clone() }</g>
            <g class="nodes">{ for nodes }</g>
        </svg>
    }
}
