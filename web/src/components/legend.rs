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
    // The marks drawn around a disc. Only the lab picks nodes (shift-click) and knows
    // when a suspicion runs out; an agent knows its own local health.
    let health = ("health", "doubts itself (Lifeguard's local health)");
    let marks: &[(&str, &str)] = if props.simulated {
        &[
            ("picked", "picked"),
            ("arc", "suspected: time left before dead"),
            health,
        ]
    } else {
        &[health]
    };
    html! {
        <div class="legend" aria-label="Legend">
            <ul class="states">
                { for states.iter().map(|s| html! { <li><span class={classes!("swatch", *s)}></span>{ *s }</li> }) }
                <li><span class="swatch down"></span>{ down }</li>
            </ul>
            <ul class="marks">
                { for marks.iter().map(|(mark, meaning)| html! { <li><span class={classes!("swatch", "mark", *mark)}></span>{ *meaning }</li> }) }
            </ul>
            <ul class="kinds">
                { for MessageKind::ALL.iter().map(|k| html! { <li><span class={classes!("dot", k.as_str())}></span>{ k.as_str() }</li> }) }
            </ul>
        </div>
    }
}
