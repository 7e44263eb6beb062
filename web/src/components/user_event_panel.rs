//! The lab's user events: send one from a chosen node and watch how many members have
//! heard it. It spreads as membership news does, piggybacked on the protocol's own
//! datagrams (hover over a dot to see "+ event ..." ride along), and each member hears
//! it once.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::node_options::NodeOptions;
use super::{LabContext, use_node_names};
use crate::state::Action;
use gossip_core::Event;
use gossip_sim::{Command, Simulation};

#[function_component(UserEventPanel)]
pub fn user_event_panel() -> Html {
    let lab = use_context::<LabContext>().expect("UserEventPanel sits inside the lab context");
    let senders = use_node_names(&lab);
    let (node_ref, name_ref, payload_ref) = (use_node_ref(), use_node_ref(), use_node_ref());
    let onsubmit = {
        let lab = lab.clone();
        let (node_ref, name_ref, payload_ref) =
            (node_ref.clone(), name_ref.clone(), payload_ref.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (Some(node), Some(name), Some(payload)) = (
                node_ref.cast::<HtmlSelectElement>(),
                name_ref.cast::<HtmlInputElement>(),
                payload_ref.cast::<HtmlInputElement>(),
            ) else {
                return;
            };
            lab.dispatch(Action::SendUserEvent {
                node: node.value(),
                name: name.value(),
                payload: payload.value(),
            });
        })
    };
    let heard = last_event_heard(&lab.sim.borrow());
    html! {
        <section class="panel user-events" aria-label="User events">
            <h2>{ "User events" }</h2>
            <form class="kv-form" {onsubmit}>
                <label>{ "from " }
                    <select ref={node_ref} aria-label="Node to send from">
                        <NodeOptions names={senders} />
                    </select>
                </label>
                <input ref={name_ref} type="text" placeholder="name" aria-label="Event name" required=true />
                <input ref={payload_ref} type="text" placeholder="payload" aria-label="Payload" />
                <button type="submit">{ "Send" }</button>
            </form>
            if let Some(error) = &lab.event_error {
                <p class="error" role="alert">{ error.clone() }</p>
            }
            if let Some(heard) = heard {
                <p class="hint" role="status">{ heard }</p>
            } else {
                <p class="hint">{ "Like serf event: every member hears it once, within a few periods; nothing stores it." }</p>
            }
        </section>
    }
}

/// How far the last user event sent has spread: "deploy from n2: heard by 4 of 5
/// running nodes". A refused one (a bad name, a node down) is passed over: its sender,
/// which hears every event it sends at once, never heard it.
fn last_event_heard(sim: &Simulation) -> Option<String> {
    let sent = sim
        .commands()
        .iter()
        .rev()
        .filter_map(|(at, command)| match command {
            Command::UserEvent {
                name,
                event,
                payload,
            } => Some((*at, name, event, payload)),
            _ => None,
        })
        .take(8);
    for (sent_at, origin, name, payload) in sent {
        let mut heard: Vec<&str> = sim
            .log()
            .filter(|entry| entry.at >= sent_at)
            .filter_map(|entry| match &entry.event {
                Event::UserEvent {
                    origin: o,
                    name: n,
                    payload: p,
                } if o.as_str() == origin && n == name && p == payload => Some(entry.node.as_str()),
                _ => None,
            })
            .collect();
        if !heard.contains(&origin.as_str()) {
            continue;
        }
        heard.sort_unstable();
        heard.dedup();
        let running = sim.nodes().filter(|node| node.is_up()).count();
        return Some(format!(
            "{name:?} from {origin}: heard by {} of {running} running nodes",
            heard.len()
        ));
    }
    None
}
