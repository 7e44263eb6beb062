use gloo_render::request_animation_frame;
use yew::prelude::*;

use super::LabContext;
use super::charts::Charts;
use super::controls::Controls;
use super::event_log::EventLog;
use super::help::Help;
use super::invariants::Invariants;
use super::kv_panel::KvPanel;
use super::legend::Legend;
use super::membership_matrix::MembershipMatrix;
use super::network_panel::NetworkPanel;
use super::node_inspector::NodeInspector;
use super::panel_tabs::PanelTabs;
use super::recording_panel::RecordingStage;
use super::scenario_panel::ScenarioPanel;
use super::settings_panel::SettingsPanel;
use super::stage_bar::{PinnedMessage, ViewChoice};
use super::topology::Topology;
use super::user_event_panel::UserEventPanel;
use crate::page_query::PageQuery;
use crate::share;
use crate::state::{Action, LabState};
use wasm_bindgen::JsCast;

/// The page's query (`?seed=7&nodes=200`).
fn page_query() -> PageQuery {
    let query = web_sys::window()
        .and_then(|window| window.location().search().ok())
        .unwrap_or_default();
    PageQuery::read(&query)
}

/// A fresh cluster of the query's seed, or a random one (shown on the page, so any run
/// can be replayed), and of the query's size (`?nodes=N`) if given. What the query got
/// wrong is said in the Simulation panel.
fn fresh_state() -> LabState {
    let query = page_query();
    let seed = query
        .seed
        .unwrap_or_else(|| (js_sys::Math::random() * 1_000_000.0) as u64);
    let mut state = match query.nodes {
        Some(nodes) => LabState::with_size(seed, nodes),
        None => LabState::new(seed),
    };
    state.error = query.complaint();
    state
}

/// The run in the page's link (`#run=...`), replayed; else a fresh cluster.
fn initial_state() -> LabState {
    let fragment = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let opened = share::decode(&fragment)
        .map(|link| link.and_then(|link| LabState::replayed(link.trace, link.scenario)));
    match opened {
        Some(Ok(state)) => state,
        Some(Err(error)) => {
            let mut state = fresh_state();
            let link = format!("the link's run could not be opened: {error}");
            // What the query got wrong is said too, after the link's failure.
            state.error = Some(match state.error.take() {
                Some(query) => format!("{link}; {query}"),
                None => link,
            });
            state
        }
        None => fresh_state(),
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let lab = use_reducer(initial_state);

    // The animation loop: each frame advances the simulation, which bumps the revision,
    // which re-runs this effect to ask for the next frame. Dropping the handle in the
    // cleanup cancels a pending frame, so pausing stops the loop.
    {
        let dispatcher = lab.dispatcher();
        use_effect_with((lab.revision, lab.animating()), move |(_, animating)| {
            let frame = animating.then(|| {
                request_animation_frame(move |timestamp| {
                    dispatcher.dispatch(Action::Frame(timestamp))
                })
            });
            move || drop(frame)
        });
    }

    // A link pasted into the address bar of an open lab changes only the fragment: open
    // it as if it were loaded afresh.
    use_effect_with((), |_| {
        let listener = web_sys::window().map(|window| {
            gloo_events::EventListener::new(&window, "hashchange", |_| {
                if let Some(window) = web_sys::window() {
                    let _ = window.location().reload();
                }
            })
        });
        move || drop(listener)
    });

    // Keyboard shortcuts, anywhere but in a field being typed into.
    {
        let dispatcher = lab.dispatcher();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                // Not passive: a shortcut's key must not also do its default (Space
                // would scroll the page away from the graph).
                let options = gloo_events::EventListenerOptions::enable_prevent_default();
                gloo_events::EventListener::new_with_options(
                    &window,
                    "keydown",
                    options,
                    move |event| {
                        let event: &KeyboardEvent = event.unchecked_ref();
                        if typing_into_a_field(event)
                            || (on_a_node(event) && event.key().starts_with("Arrow"))
                            || event.ctrl_key()
                            || event.meta_key()
                            || event.alt_key()
                        {
                            return;
                        }
                        let action = match (event.key().as_str(), event.shift_key()) {
                            // Space presses a focused button or node; held down, it repeats.
                            (" ", _) if event.repeat() || activatable(event) => return,
                            (" ", _) => Action::TogglePause,
                            ("ArrowRight", false) => Action::StepEvent,
                            ("ArrowRight", true) => Action::StepPeriod,
                            ("ArrowLeft", _) => Action::Back(gossip_core::Duration::from_secs(10)),
                            ("?", _) => Action::ToggleHelp,
                            ("m" | "M", _) => Action::PinNext,
                            ("Escape", _) => Action::HideHelp,
                            _ => return,
                        };
                        event.prevent_default();
                        dispatcher.dispatch(action);
                    },
                )
            });
            move || drop(listener)
        });
    }

    let recording = lab.recording.is_some();
    html! {
        <ContextProvider<LabContext> context={lab}>
            <div class="lab">
                <Help />
                <header>
                    <h1>{ "Gossip lab" }</h1>
                    <p class="subtitle">
                        if recording {
                            { "A recording of a real cluster: what its agents reported, moment by moment. \
                               Scrub through it, and click an agent to see the cluster through its eyes." }
                        } else {
                            { "Nodes run SWIM failure detection and gossip a key/value store. \
                               Click a node to crash it, click again to restart it, and watch the others notice; \
                               shift-click nodes to pick them and cut them off." }
                        }
                    </p>
                </header>
                // A recording of a real cluster takes the simulation's place until closed.
                if recording {
                    <RecordingStage />
                } else {
                    <main>
                        <section class="stage" aria-label="Cluster">
                            <ViewChoice />
                            <Topology />
                            <PinnedMessage />
                            <Legend />
                            <Charts />
                        </section>
                        <aside class="panels">
                            <Controls />
                            <PanelTabs>
                            <ScenarioPanel />
                            <NetworkPanel />
                            <SettingsPanel />
                            <KvPanel />
                            <UserEventPanel />
                            <MembershipMatrix />
                            <Invariants />
                            <NodeInspector />
                            <EventLog />
                            </PanelTabs>
                        </aside>
                    </main>
                }
            </div>
        </ContextProvider<LabContext>>
    }
}

/// Whether a key press lands on something Space activates (a button, a node, a
/// disclosure, a link).
fn activatable(event: &KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| {
            matches!(
                element.tag_name().to_ascii_uppercase().as_str(),
                "BUTTON" | "SUMMARY" | "A"
            ) || element.get_attribute("role").as_deref() == Some("button")
        })
}

/// Whether a key press lands on a node of the graph (whose arrow keys move between
/// nodes).
fn on_a_node(event: &KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| element.has_attribute("data-node-id"))
}

/// Whether a key press is typing into a text field or a list (which keeps its keys).
fn typing_into_a_field(event: &KeyboardEvent) -> bool {
    event
        .target()
        .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
        })
}
