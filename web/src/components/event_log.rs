use yew::prelude::*;

use super::LabContext;

const SHOWN: usize = 40;

/// One line of an event log.
#[derive(Clone, Debug, PartialEq)]
pub struct EventLine {
    /// When (simulated time in the lab, wall-clock time on an agent's page).
    pub at: String,
    /// The node that reported it.
    pub node: String,
    pub text: String,
}

#[derive(Properties, PartialEq)]
pub struct EventListProps {
    /// Newest first.
    pub lines: Vec<EventLine>,
}

/// The events nodes reported, newest first: the lab's and the live agent page's log.
#[function_component(EventList)]
pub fn event_list(props: &EventListProps) -> Html {
    html! {
        <section class="panel log" aria-label="Event log">
            <h2>{ "Events" }</h2>
            <ol class="events" aria-live="polite">
                { for props.lines.iter().take(SHOWN).map(|line| html! {
                    <li>
                        <time>{ &line.at }</time>
                        <strong>{ &line.node }</strong>
                        { " " }{ &line.text }
                    </li>
                }) }
            </ol>
        </section>
    }
}

/// The newest events the simulated nodes reported.
#[function_component(EventLog)]
pub fn event_log() -> Html {
    let lab = use_context::<LabContext>().expect("EventLog sits inside the lab context");
    let sim = lab.sim.borrow();
    let lines: Vec<EventLine> = sim
        .log()
        .rev()
        .take(SHOWN)
        .map(|entry| EventLine {
            at: entry.at.to_string(),
            node: entry.node.to_string(),
            text: entry.event.to_string(),
        })
        .collect();
    html! { <EventList {lines} /> }
}
