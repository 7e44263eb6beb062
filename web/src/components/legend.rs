use gossip_core::wire::MessageKind;
use yew::prelude::*;

/// What the colours mean.
#[function_component(Legend)]
pub fn legend() -> Html {
    let states = ["alive", "suspect", "dead", "left", "joining"];
    html! {
        <div class="legend" aria-label="Legend">
            <ul class="states">
                { for states.iter().map(|s| html! { <li><span class={classes!("swatch", *s)}></span>{ *s }</li> }) }
                <li><span class="swatch down"></span>{ "really down" }</li>
            </ul>
            <ul class="kinds">
                { for MessageKind::ALL.iter().map(|k| html! { <li><span class={classes!("dot", k.as_str())}></span>{ k.as_str() }</li> }) }
            </ul>
        </div>
    }
}
