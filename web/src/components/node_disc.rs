use yew::prelude::*;

use super::graph::{Activation, GraphNode};
use crate::layout::NODE_RADIUS;

/// An arc around (`x`, `y`) of `radius`, clockwise from the top, covering `fraction` of
/// the circle (a full circle is drawn just short of closing).
fn arc(x: f64, y: f64, radius: f64, fraction: f64) -> String {
    let fraction = fraction.clamp(0.0, 0.9999);
    let angle = std::f64::consts::TAU * fraction - std::f64::consts::FRAC_PI_2;
    let (ex, ey) = (x + radius * angle.cos(), y + radius * angle.sin());
    let large = if fraction > 0.5 { 1 } else { 0 };
    format!(
        "M {x:.1} {:.1} A {radius:.1} {radius:.1} 0 {large} 1 {ex:.1} {ey:.1}",
        y - radius
    )
}

/// Below this radius a disc is too small for its name and details: they move to its
/// tooltip.
const LABELLED_FROM: f64 = 12.0;
/// Discs this large or larger also carry their details and marks beneath.
const DETAILED_FROM: f64 = 32.0;

#[derive(Properties, PartialEq)]
pub struct NodeDiscProps {
    pub node: GraphNode,
    pub x: f64,
    pub y: f64,
    #[prop_or(NODE_RADIUS)]
    pub radius: f64,
    /// Takes the graph's one tab stop (the others are reached with the arrow keys).
    #[prop_or(true)]
    pub focusable: bool,
    pub on_activate: Callback<Activation>,
}

/// One node: coloured by how the others see it, marked when it is really down, ringed
/// when picked. Clicking it (or Enter/Space) does its action; with shift, picks it.
#[function_component(NodeDisc)]
pub fn node_disc(props: &NodeDiscProps) -> Html {
    let node = &props.node;
    let activate = {
        let (name, on_activate) = (node.name.clone(), props.on_activate.clone());
        move |pick: bool| {
            on_activate.emit(Activation {
                name: name.clone(),
                pick,
            })
        }
    };
    let interactive = node.action.is_some();
    let onclick = {
        let activate = activate.clone();
        Callback::from(move |event: MouseEvent| activate(event.shift_key()))
    };
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Enter" || event.key() == " " {
            event.prevent_default();
            activate(event.shift_key());
        }
    });
    let label = node.label();
    let detail = node.detail();
    let (x, y, r) = (props.x, props.y, props.radius);
    let labelled = r >= LABELLED_FROM;
    // The name fits inside the disc; the line under it only where neighbours are far
    // enough apart for it (about 17 nodes on the circle), else it is the tooltip.
    let name_size = (r * 0.85).min(20.0);
    let detailed = r >= DETAILED_FROM;
    let tooltip = match (&node.tooltip, detailed) {
        (Some(tooltip), true) => Some(tooltip.to_string()),
        (None, true) => None,
        // What would be written under the disc, and its own tooltip after.
        (own, false) => {
            let mut text = format!("{}: {} · {detail}", node.name, node.state);
            if !node.up {
                text.push_str(" · ");
                text.push_str(node.stopped_mark());
            } else if node.paused {
                text.push_str(" · ❚❚ paused");
            }
            if let Some(own) = own {
                text.push('\n');
                text.push_str(own);
            }
            Some(text)
        }
    };
    html! {
        <g
            class={classes!("node", node.state, (!node.up).then_some("down"), node.paused.then_some("paused"), interactive.then_some("interactive"), node.selected.then_some("selected"))}
            data-node-id={node.name.clone()}
            data-state={node.state}
            data-up={node.up.to_string()}
            data-paused={node.paused.to_string()}
            data-selected={node.selected.to_string()}
            role={interactive.then_some("button")}
            tabindex={interactive.then_some(if props.focusable { "0" } else { "-1" })}
            aria-label={label}
            onclick={interactive.then_some(onclick)}
            onkeydown={interactive.then_some(onkeydown)}
        >
            if let Some(tooltip) = tooltip {
                <title>{ tooltip }</title>
            }
            if node.selected {
                <circle class="pick" cx={x.to_string()} cy={y.to_string()} r={(r + 5.0).to_string()} />
            }
            if node.holds_key {
                <circle class="holds-key" cx={x.to_string()} cy={y.to_string()} r={(r + 9.0).to_string()} />
            }
            <circle class="disc" cx={x.to_string()} cy={y.to_string()} r={r.to_string()} />
            if node.local_health > 0 {
                // Lifeguard's local health: a ring that thickens as the node doubts itself.
                <circle class="health" data-health={node.local_health.to_string()} cx={x.to_string()} cy={y.to_string()}
                    r={(r - 2.0).max(1.0).to_string()} style={format!("stroke-width: {}", (1.5 * node.local_health as f64).min(r / 2.0))} />
            }
            if let Some(left) = node.suspicion_left {
                <path class="suspicion-arc" data-left={format!("{left:.2}")} d={arc(x, y, r + 4.0, left)} />
            }
            if labelled {
                <text class="name" x={x.to_string()} y={(y + name_size * 0.3).to_string()}
                    style={format!("font-size: {name_size:.1}px")}>{ node.name.clone() }</text>
            }
            if detailed {
                <text class="detail" x={x.to_string()} y={(y + r + 16.0).to_string()}>{ detail }</text>
                if !node.up {
                    <text class="down-mark" x={x.to_string()} y={(y + r + 32.0).to_string()}>{ node.stopped_mark() }</text>
                } else if node.paused {
                    <text class="paused-mark" x={x.to_string()} y={(y + r + 32.0).to_string()}>{ "❚❚ paused" }</text>
                }
            }
        </g>
    }
}
