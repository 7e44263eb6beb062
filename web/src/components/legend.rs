use gossip_core::wire::MessageKind;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LegendProps {
    /// The lab knows the ground truth; a live agent's page knows only what its agent
    /// believes. Both draw datagrams by kind.
    #[prop_or(true)]
    pub simulated: bool,
}

/// What the colours mean.
#[function_component(Legend)]
pub fn legend(props: &LegendProps) -> Html {
    // "unknown": a crashed node every member has reaped, which only the lab (knowing
    // every node there is) can draw.
    let states: &[&str] = if props.simulated {
        &["alive", "suspect", "dead", "left", "joining", "unknown"]
    } else {
        &["alive", "suspect", "dead", "left", "joining"]
    };
    let down = if props.simulated {
        "really down"
    } else {
        "dead or gone, as this agent believes"
    };
    html! {
        <div class="legend" aria-label="Legend">
            <ul class="states">
                { for states.iter().map(|s| html! { <li><span class={classes!("swatch", *s)}></span>{ *s }</li> }) }
                <li><span class="swatch down"></span>{ down }</li>
            </ul>
            <ul class="kinds">
                { for MessageKind::ALL.iter().map(|k| html! { <li><span class={classes!("dot", k.as_str())}></span>{ k.as_str() }</li> }) }
            </ul>
        </div>
    }
}
