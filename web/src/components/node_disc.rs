use yew::prelude::*;

use super::graph::{Activation, GraphNode};
use crate::layout::NODE_RADIUS;

/// Below this radius a disc is too small for its name and details: they move to its
/// tooltip.
const LABELLED_FROM: f64 = 12.0;

#[derive(Properties, PartialEq)]
pub struct NodeDiscProps {
    pub node: GraphNode,
    pub x: f64,
    pub y: f64,
    #[prop_or(NODE_RADIUS)]
    pub radius: f64,
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
    let truth = match (node.up, node.paused) {
        (false, _) => "down",
        (true, true) => "paused",
        (true, false) => "running",
    };
    let picked = if node.selected { ", picked" } else { "" };
    let label = match &node.action {
        Some(action) => format!(
            "{}: seen as {}, {truth}{picked}. Activate to {action}.",
            node.name, node.state
        ),
        None => format!("{}: seen as {}, {truth}{picked}.", node.name, node.state),
    };
    let mut detail = format!("inc {}", node.incarnation);
    if let Some(keys) = node.keys {
        detail.push_str(&format!(
            " · {keys} key{}",
            if keys == 1 { "" } else { "s" }
        ));
    }
    if node.local_health > 0 {
        detail.push_str(&format!(" · health −{}", node.local_health));
    }
    let (x, y, r) = (props.x, props.y, props.radius);
    let labelled = r >= LABELLED_FROM;
    let tooltip = match (&node.tooltip, labelled) {
        (Some(tooltip), _) => Some(tooltip.to_string()),
        (None, false) => Some(format!("{}: {} · {detail}", node.name, node.state)),
        (None, true) => None,
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
            tabindex={interactive.then_some("0")}
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
            <circle cx={x.to_string()} cy={y.to_string()} r={r.to_string()} />
            if labelled {
                <text class="name" x={x.to_string()} y={(y + 6.0).to_string()}>{ node.name.clone() }</text>
                <text class="detail" x={x.to_string()} y={(y + r + 16.0).to_string()}>{ detail }</text>
                if !node.up {
                    <text class="down-mark" x={x.to_string()} y={(y + r + 32.0).to_string()}>{ "✕ down" }</text>
                } else if node.paused {
                    <text class="paused-mark" x={x.to_string()} y={(y + r + 32.0).to_string()}>{ "❚❚ paused" }</text>
                }
            }
        </g>
    }
}
