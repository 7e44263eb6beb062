use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::LabContext;
use crate::state::Action;

const SHOWN: usize = 40;

/// One line of an event log.
#[derive(Clone, Debug, PartialEq)]
pub struct EventLine {
    /// When (simulated time in the lab, wall-clock time on an agent's page).
    pub at: String,
    /// The simulated time in milliseconds, where the log can jump back to it.
    pub at_ms: Option<u64>,
    /// The node that reported it.
    pub node: String,
    /// Its kind as the agent's event stream names it (`left`, `dead`, one of
    /// [`gossip_api::EVENT_KINDS`]), which the filter matches besides the words shown:
    /// `left` finds "saw n3 leave", `joined` finds "learned of n3".
    pub kind: &'static str,
    pub text: String,
}

impl EventLine {
    /// Whether the line is one a filter of `needle` (already lower case) keeps.
    fn matches(&self, needle: &str) -> bool {
        needle.is_empty()
            || self.kind.contains(needle)
            || self.node.to_lowercase().contains(needle)
            || self.text.to_lowercase().contains(needle)
    }
}

#[derive(Properties, PartialEq)]
pub struct EventListProps {
    /// Newest first.
    pub lines: Vec<EventLine>,
    /// Called with a line's time when a person clicks it, where the page can go back.
    #[prop_or_default]
    pub on_jump: Option<Callback<u64>>,
}

/// The events nodes reported, newest first, filtered by what a person types: the lab's
/// and the live agent page's log.
#[function_component(EventList)]
pub fn event_list(props: &EventListProps) -> Html {
    let filter = use_state(String::new);
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |event: InputEvent| {
            filter.set(event.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let needle = filter.to_lowercase();
    let shown = props
        .lines
        .iter()
        .filter(|line| line.matches(&needle))
        .take(SHOWN);
    html! {
        <section class="panel log" aria-label="Event log">
            <h2>{ "Events" }</h2>
            <input type="search" placeholder="filter: a node, dead, colour…" aria-label="Filter events"
                value={(*filter).clone()} oninput={on_filter} />
            <ol class="events" aria-live="polite">
                { for shown.map(|line| {
                    let jump = match (&props.on_jump, line.at_ms) {
                        (Some(on_jump), Some(at)) => {
                            let on_jump = on_jump.clone();
                            Some(Callback::from(move |_: MouseEvent| on_jump.emit(at)))
                        }
                        _ => None,
                    };
                    html! {
                        <li>
                            if let Some(jump) = jump {
                                <button type="button" class="link" onclick={jump} title="Go back to this moment"
                                    aria-label={format!("Go back to {}", line.at)}><time>{ &line.at }</time></button>
                            } else {
                                <time>{ &line.at }</time>
                            }
                            <strong>{ &line.node }</strong>
                            { " " }{ &line.text }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}

/// The newest events the simulated nodes reported; a click goes back to one.
#[function_component(EventLog)]
pub fn event_log() -> Html {
    let lab = use_context::<LabContext>().expect("EventLog sits inside the lab context");
    let sim = lab.sim.borrow();
    let lines: Vec<EventLine> = sim
        .log()
        .rev()
        .take(200)
        .map(|entry| EventLine {
            at: entry.at.to_string(),
            at_ms: Some(entry.at.as_millis()),
            node: entry.node.to_string(),
            kind: gossip_api::event_kind(&entry.event),
            text: entry.event.to_string(),
        })
        .collect();
    let on_jump = {
        let lab = lab.clone();
        Callback::from(move |at: u64| lab.dispatch(Action::JumpTo(at)))
    };
    html! { <EventList {lines} on_jump={Some(on_jump)} /> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gossip_core::{Event, NodeId};

    fn line_of(event: Event) -> EventLine {
        EventLine {
            at: "1.000s".to_owned(),
            at_ms: Some(1_000),
            node: "n1".to_owned(),
            kind: gossip_api::event_kind(&event),
            text: event.to_string(),
        }
    }

    /// A filter finds an event by its kind's name as well as by the words shown.
    #[test]
    fn the_filter_finds_events_by_their_kind_and_their_words() {
        let id = NodeId::new("n3").unwrap();
        let left = line_of(Event::MemberLeft { id: id.clone() });
        assert!(left.matches("left") && left.matches("leave") && left.matches("n3"));
        assert!(left.matches("") && left.matches("n1"));
        assert!(!left.matches("dead") && !left.matches("n4"));
        let joined = line_of(Event::MemberJoined {
            id,
            addr: "127.0.0.1:7003".parse().unwrap(),
        });
        assert!(joined.matches("joined") && !joined.matches("left"));
    }
}
