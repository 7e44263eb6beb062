//! The live page's graph: the cluster as the agent sees it, with the datagrams it
//! sends and receives flying between it and its peers ([`super::flights`]). It redraws
//! itself while datagrams are on screen, apart from the rest of the page.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use gossip_api::{DatagramInfo, MemberInfo};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{EventSource, MessageEvent};
use yew::prelude::*;

use super::flights::Flights;
use crate::components::graph::{Activation, Graph, Nodes};

/// How often the datagrams on screen move: about 30 frames a second.
const FRAME_MS: u32 = 33;

#[derive(Properties, PartialEq)]
pub struct LiveClusterProps {
    pub nodes: Nodes,
    /// The members, in the order of `nodes`: their addresses place the datagrams.
    pub members: Rc<Vec<MemberInfo>>,
    /// The agent whose page this is.
    pub agent: AttrValue,
    pub label: AttrValue,
    pub on_activate: Callback<Activation>,
}

/// The graph with this agent's datagrams on their way.
#[function_component(LiveCluster)]
pub fn live_cluster(props: &LiveClusterProps) -> Html {
    let flights = use_mut_ref(Flights::default);
    let frame = use_state(|| 0u64);
    {
        let flights = flights.clone();
        use_effect_with((), move |_| {
            let stop = watch_datagrams(flights);
            move || {
                if let Some(stop) = stop {
                    stop()
                }
            }
        });
    }
    {
        let (flights, frame) = (flights.clone(), frame.setter());
        use_effect_with((), move |_| {
            let mut drawn_any = false;
            let mut count = 0;
            let interval = Interval::new(FRAME_MS, move || {
                let mut flights = flights.borrow_mut();
                flights.land(js_sys::Date::now());
                // One more frame once the last has landed, to clear it.
                if !flights.is_empty() || drawn_any {
                    drawn_any = !flights.is_empty();
                    count += 1;
                    frame.set(count);
                }
            });
            move || drop(interval)
        });
    }
    let now = js_sys::Date::now();
    let messages = Rc::new(flights.borrow().marks(&props.members, &props.agent, now));
    let not_drawn = flights.borrow().not_drawn_lately(now);
    let held = flights.borrow().is_held();
    // Pointing at the graph holds the datagrams still, so that one can be read.
    let holding = |hold: bool| {
        let (flights, frame) = (flights.clone(), frame.clone());
        Callback::from(move |_: PointerEvent| {
            let now = js_sys::Date::now();
            if hold {
                flights.borrow_mut().hold(now);
            } else {
                flights.borrow_mut().release(now);
            }
            frame.set(*frame + 1);
        })
    };
    let (hold, release) = (holding(true), holding(false));
    html! {
        <>
            <div class="live-graph" onpointerenter={hold} onpointerleave={release}>
                <Graph nodes={props.nodes.clone()} {messages} label={props.label.clone()}
                    on_activate={props.on_activate.clone()} />
            </div>
            <p class="in-flight" aria-label="Datagrams in flight">
                { format!("The datagrams {} sends and receives, slowed down to be seen", props.agent) }
                if held {
                    { "; held still while the pointer is over the graph: point at one to read it" }
                } else if not_drawn > 0 {
                    { format!(" ({not_drawn} more in the last seconds were not drawn: too many at once)") }
                }
            </p>
        </>
    }
}

/// Follows the agent's datagram stream into `flights` until the returned guard is
/// called.
fn watch_datagrams(flights: Rc<RefCell<Flights>>) -> Option<impl FnOnce()> {
    let source = EventSource::new("/api/datagrams").ok()?;
    let listener = |outgoing: bool| {
        let flights = flights.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data().as_string().unwrap_or_default();
            if let Ok(datagram) = serde_json::from_str::<DatagramInfo>(&data) {
                flights
                    .borrow_mut()
                    .add(js_sys::Date::now(), outgoing, &datagram);
            }
        })
    };
    let (on_sent, on_received) = (listener(true), listener(false));
    let _ = source.add_event_listener_with_callback("sent", on_sent.as_ref().unchecked_ref());
    let _ =
        source.add_event_listener_with_callback("received", on_received.as_ref().unchecked_ref());
    Some(move || {
        source.close();
        drop((on_sent, on_received));
    })
}
