use yew::prelude::*;

use crate::layout::NODE_RADIUS;

#[derive(Properties, PartialEq)]
pub struct NodeDiscProps {
    pub name: AttrValue,
    pub x: f64,
    pub y: f64,
    /// How the other nodes see it (`alive`, `suspect`, ...).
    pub state: &'static str,
    /// Ground truth: whether it runs.
    pub up: bool,
    /// Ground truth: frozen (running, handling nothing).
    #[prop_or_default]
    pub paused: bool,
    pub incarnation: u32,
    pub keys: usize,
    /// Lifeguard's Local Health score (0: healthy).
    pub local_health: u32,
    pub on_toggle: Callback<AttrValue>,
}

/// One node: coloured by how the others see it, marked when it is really down.
/// Clicking (or Enter/Space) crashes or restarts it.
#[function_component(NodeDisc)]
pub fn node_disc(props: &NodeDiscProps) -> Html {
    let toggle = {
        let (name, on_toggle) = (props.name.clone(), props.on_toggle.clone());
        move || on_toggle.emit(name.clone())
    };
    let onclick = {
        let toggle = toggle.clone();
        Callback::from(move |_: MouseEvent| toggle())
    };
    let onkeydown = Callback::from(move |event: KeyboardEvent| {
        if event.key() == "Enter" || event.key() == " " {
            event.prevent_default();
            toggle();
        }
    });
    let action = if props.up { "crash" } else { "restart" };
    let truth = match (props.up, props.paused) {
        (false, _) => "down",
        (true, true) => "paused",
        (true, false) => "running",
    };
    let label = format!(
        "{}: seen as {}, {truth}. Activate to {action} it.",
        props.name, props.state
    );
    let (x, y) = (props.x, props.y);
    html! {
        <g
            class={classes!("node", props.state, (!props.up).then_some("down"), props.paused.then_some("paused"))}
            data-node-id={props.name.clone()}
            data-state={props.state}
            data-up={props.up.to_string()}
            data-paused={props.paused.to_string()}
            role="button"
            tabindex="0"
            aria-label={label}
            {onclick}
            {onkeydown}
        >
            <circle cx={x.to_string()} cy={y.to_string()} r={NODE_RADIUS.to_string()} />
            <text class="name" x={x.to_string()} y={(y + 6.0).to_string()}>{ props.name.clone() }</text>
            <text class="detail" x={x.to_string()} y={(y + NODE_RADIUS + 16.0).to_string()}>
                { format!("inc {} · {} key{}", props.incarnation, props.keys, if props.keys == 1 { "" } else { "s" }) }
                if props.local_health > 0 {
                    { format!(" · health −{}", props.local_health) }
                }
            </text>
            if !props.up {
                <text class="down-mark" x={x.to_string()} y={(y + NODE_RADIUS + 32.0).to_string()}>{ "✕ down" }</text>
            } else if props.paused {
                <text class="paused-mark" x={x.to_string()} y={(y + NODE_RADIUS + 32.0).to_string()}>{ "❚❚ paused" }</text>
            }
        </g>
    }
}
