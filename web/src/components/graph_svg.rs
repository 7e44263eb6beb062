use std::rc::Rc;

use yew::prelude::*;

use super::graph::{Activation, CutLink, Focus, MessageMark, Nodes};
use super::message_dot::MessageDot;
use super::node_disc::NodeDisc;
use crate::cluster::LAB_NODES;
use crate::layout::{VIEW_SIZE, node_position, node_radius};

/// At most this many cut links are drawn.
pub const CUTS_DRAWN: usize = 2_000;

#[derive(Properties, PartialEq)]
pub struct DrawingProps {
    pub nodes: Nodes,
    pub messages: Rc<Vec<MessageMark>>,
    pub cuts: Rc<Vec<CutLink>>,
    pub label: AttrValue,
    pub on_activate: Callback<Activation>,
    #[prop_or_default]
    pub on_pin: Callback<u64>,
    pub focus: Focus,
}

/// A small cluster in SVG: up to five nodes every pair linked, each node a disc with its name, details
/// and marks, each datagram a dot with its contents on hover.
#[function_component(SvgDrawing)]
pub fn svg_drawing(props: &DrawingProps) -> Html {
    let count = props.nodes.len();
    let radius = node_radius(count);
    // `short` units short of the second node's centre.
    let line_short = |a: usize, b: usize, class: Classes, short: f64| {
        let (p, mut q) = (node_position(a, count), node_position(b, count));
        let length = ((q.x - p.x).powi(2) + (q.y - p.y).powi(2)).sqrt();
        if length > short {
            q.x -= (q.x - p.x) * short / length;
            q.y -= (q.y - p.y) * short / length;
        }
        html! { <line {class} x1={p.x.to_string()} y1={p.y.to_string()} x2={q.x.to_string()} y2={q.y.to_string()} /> }
    };
    let line = |a: usize, b: usize, class: Classes| line_short(a, b, class, 0.0);
    // Beyond the demo's five, the pairwise links would hide the datagrams: they give
    // way to them (cuts are still drawn).
    let linked = if count <= LAB_NODES { count } else { 0 };
    let links = (0..linked)
        .flat_map(|a| (a + 1..linked).map(move |b| (a, b)))
        .map(|(a, b)| line(a, b, classes!("link")))
        .collect::<Html>();
    let cuts = props
        .cuts
        .iter()
        .take(CUTS_DRAWN)
        .map(|cut| {
            let class = classes!("cut", cut.one_way.then_some("one-way"));
            // A one-way cut's arrow ends at the disc's edge, not under it.
            let short = if cut.one_way { radius + 3.0 } else { 0.0 };
            line_short(cut.from, cut.to, class, short)
        })
        .collect::<Html>();
    let messages = props.messages.iter().map(|message| {
        html! {
            <MessageDot
                key={message.id.to_string()}
                id={message.id}
                kind={message.kind}
                x={message.at.x}
                y={message.at.y}
                lost={message.lost}
                label={message.label.clone()}
                on_pin={props.on_pin.clone()}
            />
        }
    });
    let nodes = props.nodes.iter().enumerate().map(|(i, node)| {
        let at = node_position(i, count);
        html! {
            <NodeDisc
                key={node.name.to_string()}
                node={node.clone()}
                x={at.x}
                y={at.y}
                {radius}
                focusable={props.focus.is_stop(&props.nodes, &node.name)}
                on_activate={props.on_activate.clone()}
            />
        }
    });
    let size = VIEW_SIZE.to_string();
    html! {
        <svg class="topology" viewBox={format!("0 0 {size} {size}")} role="group" aria-label={props.label.clone()}>
            <defs>
                <marker id="cut-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="cut-arrow" />
                </marker>
            </defs>
            <g class="links">{ links }</g>
            <g class="cuts">{ cuts }</g>
            <g class="messages">{ for messages }</g>
            <g class="nodes">{ for nodes }</g>
        </svg>
    }
}
