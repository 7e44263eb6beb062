use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::node_options::NodeOptions;
use super::{LabContext, use_node_names};
use crate::state::Action;

/// Above the graph: whose eyes the states are shown through; below it, the datagram
/// pinned by a click, decoded.
#[function_component(ViewChoice)]
pub fn view_choice() -> Html {
    let lab = use_context::<LabContext>().expect("ViewChoice sits inside the lab context");
    let names = use_node_names(&lab);
    let choose = {
        let lab = lab.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            lab.dispatch(Action::SetView((!value.is_empty()).then_some(value)));
        })
    };
    let current = lab.view.clone().unwrap_or_default();
    html! {
        <div class="row view-choice">
            <label title="Colour every node as one node believes it to be, or as most of the others do">
                { "states as seen by " }
                <select aria-label="View" onchange={choose}>
                    <option value="" selected={current.is_empty()}>{ "most nodes (consensus)" }</option>
                    <NodeOptions {names} selected={lab.view.clone()} />
                </select>
            </label>
            if lab.picked_key.is_some() {
                <span class="hint">{ format!("ringed: nodes holding the newest {:?}", lab.picked_key.as_deref().unwrap_or_default()) }</span>
            }
            // Where the person is looking while a large cluster's tables are built (the
            // graph stays empty until then); the Simulation panel says it in words.
            if let Some((done, all)) = lab.building_progress() {
                <label class="building">
                    { format!("building {} members ", lab.size) }
                    <progress max={all.max(1).to_string()} value={done.to_string()} />
                </label>
            }
        </div>
    }
}

#[function_component(PinnedMessage)]
pub fn pinned_message() -> Html {
    let lab = use_context::<LabContext>().expect("PinnedMessage sits inside the lab context");
    let Some(text) = lab.pinned.clone() else {
        return html! { <p class="hint pin-hint">{ "Click a datagram to pin what it carries." }</p> };
    };
    let unpin = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(Action::Pin(None)))
    };
    html! {
        <section class="pinned" aria-label="Pinned datagram">
            <div class="row">
                <strong>{ "Pinned datagram" }</strong>
                <button type="button" class="small" onclick={unpin}>{ "unpin" }</button>
            </div>
            <pre>{ text }</pre>
        </section>
    }
}
