use yew::prelude::*;

use super::graph::GraphNode;
use crate::layout::NODE_RADIUS;

#[derive(Properties, PartialEq)]
pub struct NodeDiscProps {
    pub node: GraphNode,
    pub x: f64,
    pub y: f64,
    pub on_activate: Callback<AttrValue>,
}

/// One node: coloured by how the others see it, marked when it is really down.
/// Clicking it (or Enter/Space) does its action, when it has one.
#[function_component(NodeDisc)]
pub fn node_disc(props: &NodeDiscProps) -> Html {
    let node = &props.node;
    let activate = {
        let (name, on_activate) = (node.name.clone(), props.on_activate.clone());
        move || on_activate.emit(name.clone())
    };
    let interactive = node.action.is_some();
    let onclick = {
        let activate = activate.clone();
        Callback::from(move |_: MouseEvent| activate())
    };
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Enter" || event.key() == " " {
            event.prevent_default();
            activate();
        }
    });
    let truth = match (node.up, node.paused) {
        (false, _) => "down",
        (true, true) => "paused",
        (true, false) => "running",
    };
    let label = match &node.action {
        Some(action) => format!(
            "{}: seen as {}, {truth}. Activate to {action}.",
            node.name, node.state
        ),
        None => format!("{}: seen as {}, {truth}.", node.name, node.state),
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
    let (x, y) = (props.x, props.y);
    html! {
        <g
            class={classes!("node", node.state, (!node.up).then_some("down"), node.paused.then_some("paused"), interactive.then_some("interactive"))}
            data-node-id={node.name.clone()}
            data-state={node.state}
            data-up={node.up.to_string()}
            data-paused={node.paused.to_string()}
            role={interactive.then_some("button")}
            tabindex={interactive.then_some("0")}
            aria-label={label}
            onclick={interactive.then_some(onclick)}
            onkeydown={interactive.then_some(onkeydown)}
        >
            if let Some(tooltip) = &node.tooltip {
                <title>{ tooltip.clone() }</title>
            }
            <circle cx={x.to_string()} cy={y.to_string()} r={NODE_RADIUS.to_string()} />
            <text class="name" x={x.to_string()} y={(y + 6.0).to_string()}>{ node.name.clone() }</text>
            <text class="detail" x={x.to_string()} y={(y + NODE_RADIUS + 16.0).to_string()}>{ detail }</text>
            if !node.up {
                <text class="down-mark" x={x.to_string()} y={(y + NODE_RADIUS + 32.0).to_string()}>{ "✕ down" }</text>
            } else if node.paused {
                <text class="paused-mark" x={x.to_string()} y={(y + NODE_RADIUS + 32.0).to_string()}>{ "❚❚ paused" }</text>
            }
        </g>
    }
}
