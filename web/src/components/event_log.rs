use yew::prelude::*;

use super::LabContext;

const SHOWN: usize = 40;

/// The newest events the nodes reported, newest first.
#[function_component(EventLog)]
pub fn event_log() -> Html {
    let lab = use_context::<LabContext>().expect("EventLog sits inside the lab context");
    let sim = lab.sim.borrow();
    let entries: Vec<Html> = sim
        .log()
        .rev()
        .take(SHOWN)
        .map(|entry| {
            html! {
                <li>
                    <time>{ entry.at.to_string() }</time>
                    <strong>{ entry.node.to_string() }</strong>
                    { " " }{ entry.event.to_string() }
                </li>
            }
        })
        .collect();
    html! {
        <section class="panel log" aria-label="Event log">
            <h2>{ "Events" }</h2>
            <ol class="events" aria-live="polite">{ for entries }</ol>
        </section>
    }
}
