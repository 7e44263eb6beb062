use std::rc::Rc;

use gloo_timers::callback::Interval;
use gossip_api::RecentEvent;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::spawn_local;
use web_sys::{EventSource, MessageEvent};
use yew::prelude::*;

use super::api;
use super::cluster_view::LiveCluster;
use super::state::{LiveAction, LiveState, graph_nodes, join_addrs, join_found, key_rows, page_of};
use crate::components::event_log::EventList;
use crate::components::graph::{Activation, Nodes};
use crate::components::key_panel::{KeyPanel, PutRequest};
use crate::components::legend::Legend;

/// How often the page reads the agent's members, keys and counters.
const POLL_MS: u32 = 500;

type Live = UseReducerHandle<LiveState>;

/// Reads members, keys and counters once.
async fn poll(live: UseReducerDispatcher<LiveState>) {
    let (members, keys, stats) = futures::join!(api::members(), api::keys(), api::stats());
    match (members, keys, stats) {
        (Ok(members), Ok(keys), Ok(stats)) => live.dispatch(LiveAction::Polled {
            members,
            keys,
            stats: Box::new(stats),
        }),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            live.dispatch(LiveAction::Unreachable(e))
        }
    }
}

/// The wall-clock time now, as hh:mm:ss.
fn clock_now() -> String {
    time_of_day(&js_sys::Date::new_0())
}

/// A moment given in milliseconds since the Unix epoch, as hh:mm:ss of this browser's
/// day.
fn clock_at(unix_ms: u64) -> String {
    time_of_day(&js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        unix_ms as f64,
    )))
}

fn time_of_day(date: &js_sys::Date) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

/// Follows the agent's event stream, starting with the events it reported before the
/// page came (`history`, each with its own time), until the returned guard is called.
/// The agent hands over history and live events in one step, so none is missed or
/// shown twice; when the browser reconnects (the agent restarted, say), it resumes
/// after the last event it read.
fn follow_events(live: UseReducerDispatcher<LiveState>) -> Option<impl FnOnce()> {
    let source = EventSource::new("/api/events?recent=true").ok()?;
    let on_event = {
        let live = live.clone();
        Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data().as_string().unwrap_or_default();
            live.dispatch(LiveAction::Event {
                at: clock_now(),
                kind: event.type_(),
                data,
            });
        })
    };
    let on_history = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data().as_string().unwrap_or_default();
        let history: Vec<RecentEvent> = serde_json::from_str(&data).unwrap_or_default();
        for earlier in history {
            live.dispatch(LiveAction::Event {
                at: clock_at(earlier.at_unix_ms),
                kind: earlier.kind,
                data: serde_json::to_string(&earlier.event).unwrap_or_default(),
            });
        }
    });
    for kind in gossip_api::EVENT_KINDS {
        let _ = source.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
    }
    let _ = source.add_event_listener_with_callback("history", on_history.as_ref().unchecked_ref());
    Some(move || {
        source.close();
        drop((on_event, on_history));
    })
}

/// The page of a running agent: its cluster as it sees it, its store, its counters and
/// its events, live.
#[function_component(LiveApp)]
pub fn live_app(props: &LiveAppProps) -> Html {
    let live: Live = use_reducer(|| LiveState::new(props.agent.clone()));
    {
        let dispatcher = live.dispatcher();
        use_effect_with((), move |_| {
            spawn_local(poll(dispatcher.clone()));
            let interval = Interval::new(POLL_MS, move || spawn_local(poll(dispatcher.clone())));
            move || drop(interval)
        });
    }
    {
        let dispatcher = live.dispatcher();
        use_effect_with((), move |_| {
            let stop = follow_events(dispatcher);
            move || {
                if let Some(stop) = stop {
                    stop()
                }
            }
        });
    }

    let on_put = {
        let dispatcher = live.dispatcher();
        Callback::from(move |put: PutRequest| {
            let dispatcher = dispatcher.clone();
            spawn_local(async move {
                match api::put(&put.key, &put.value).await {
                    Ok(_) => dispatcher.dispatch(LiveAction::Done),
                    Err(e) => {
                        dispatcher.dispatch(LiveAction::Failed(format!("put {}: {e}", put.key)))
                    }
                }
                poll(dispatcher).await;
            });
        })
    };
    let on_delete = {
        let dispatcher = live.dispatcher();
        Callback::from(move |(_, key): (Option<String>, String)| {
            let dispatcher = dispatcher.clone();
            spawn_local(async move {
                match api::delete(&key).await {
                    Ok(_) => dispatcher.dispatch(LiveAction::Done),
                    Err(e) => dispatcher.dispatch(LiveAction::Failed(format!("delete {key}: {e}"))),
                }
                poll(dispatcher).await;
            });
        })
    };
    let on_leave = {
        let (dispatcher, agent) = (live.dispatcher(), live.agent.clone());
        Callback::from(move |_: MouseEvent| {
            let sure = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(&format!(
                        "Make {agent} leave the cluster? The agent stops."
                    ))
                    .ok()
                })
                .unwrap_or(false);
            if !sure {
                return;
            }
            let dispatcher = dispatcher.clone();
            spawn_local(async move {
                match api::leave().await {
                    Ok(_) => dispatcher.dispatch(LiveAction::Left),
                    Err(e) => dispatcher.dispatch(LiveAction::Failed(format!("leave: {e}"))),
                }
            });
        })
    };

    let on_join = {
        let dispatcher = live.dispatcher();
        Callback::from(move |addrs: Vec<String>| {
            let dispatcher = dispatcher.clone();
            spawn_local(async move {
                match api::join(&addrs).await {
                    Ok(found) => dispatcher.dispatch(LiveAction::Joined(join_found(&found))),
                    Err(e) => dispatcher.dispatch(LiveAction::Failed(format!("join: {e}"))),
                }
                poll(dispatcher).await;
            });
        })
    };

    let open_page = {
        let members = live.members.clone();
        Callback::from(move |activation: Activation| {
            let page = members
                .iter()
                .find(|m| m.name.as_str() == activation.name.as_str())
                .and_then(page_of);
            if let (Some(page), Some(window)) = (page, web_sys::window()) {
                let _ = window.location().set_href(&page);
            }
        })
    };
    let status = if live.left {
        "left the cluster: the agent has stopped"
    } else if live.connected {
        "live"
    } else {
        "not connected"
    };
    html! {
        <div class="lab live">
            <header>
                <h1>{ format!("Gossip agent {}", live.agent) }</h1>
                <p class="subtitle">
                    { format!("The real cluster as {} sees it, read from its HTTP API and its event stream. \
                               Put and delete keys here and watch them reach the other agents' pages.", live.agent) }
                    { " " }<output class={classes!("connection", live.connected.then_some("connected"))} aria-label="Connection">{ status }</output>
                </p>
            </header>
            <main>
                <section class="stage" aria-label="Cluster">
                    <LiveCluster nodes={Nodes::from(graph_nodes(&live))} members={Rc::new(live.members.clone())}
                        agent={live.agent.clone()} on_activate={open_page}
                        label={format!("Cluster as {} sees it: activate a member to open its page", live.agent)} />
                    <Legend simulated={false} />
                </section>
                <aside class="panels">
                    if let Some(error) = &live.error {
                        <p class="error" role="alert">{ error }</p>
                    }
                    <KeyPanel rows={key_rows(&live.keys)} {on_put} {on_delete}
                        empty_hint="No keys yet: put one here, or on any agent." />
                    <AgentStats live={live.clone()} />
                    <JoinPanel {on_join} notice={live.notice.clone()} disabled={live.left} />
                    <section class="panel" aria-label="Leave">
                        <button type="button" onclick={on_leave} disabled={live.left}>{ format!("Make {} leave", live.agent) }</button>
                    </section>
                    <EventList lines={live.events.iter().cloned().collect::<Vec<_>>()} />
                </aside>
            </main>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct JoinPanelProps {
    on_join: Callback<Vec<String>>,
    /// What the last join found.
    notice: Option<String>,
    disabled: bool,
}

/// Joins the agent to more agents by their UDP addresses, as `gossip join` does: two
/// clusters started apart become one.
#[function_component(JoinPanel)]
fn join_panel(props: &JoinPanelProps) -> Html {
    let addrs_ref = use_node_ref();
    let onsubmit = {
        let (on_join, addrs_ref) = (props.on_join.clone(), addrs_ref.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = addrs_ref.cast::<web_sys::HtmlInputElement>() else {
                return;
            };
            let addrs = join_addrs(&input.value());
            if !addrs.is_empty() {
                on_join.emit(addrs);
                input.set_value("");
            }
        })
    };
    html! {
        <section class="panel join" aria-label="Join">
            <form class="kv-form" {onsubmit}>
                <input ref={addrs_ref} type="text" placeholder="another agent's IP:PORT"
                    aria-label="Agents to join" required=true disabled={props.disabled} />
                <button type="submit" disabled={props.disabled}>{ "Join" }</button>
            </form>
            if let Some(notice) = &props.notice {
                <p class="hint" role="status" aria-label="Join result">{ notice }</p>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct LiveAppProps {
    /// The name of the agent that served the page.
    pub agent: String,
}

#[derive(Properties, PartialEq)]
struct AgentStatsProps {
    live: Live,
}

/// The agent's counters: members by state, probes, local health, messages and bytes
/// by kind.
#[function_component(AgentStats)]
fn agent_stats(props: &AgentStatsProps) -> Html {
    let Some(stats) = &props.live.stats else {
        return html! {};
    };
    let tags = props
        .live
        .members
        .first()
        .filter(|me| !me.tags.is_empty())
        .map(|me| {
            me.tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|| "none".to_owned());
    let rumors = stats.rumors_in_words();
    html! {
        <section class="panel stats" aria-label="Agent statistics">
            <h2>{ "Statistics" }</h2>
            <dl class="facts">
                <dt>{ "members" }</dt><dd>{ stats.members_in_words() }</dd>
                <dt>{ "incarnation" }</dt><dd>{ stats.incarnation }</dd>
                <dt>{ "local health" }</dt><dd>{ stats.local_health }</dd>
                <dt>{ "probes" }</dt><dd>{ stats.probes_in_words() }</dd>
                <dt>{ "refutations" }</dt><dd>{ stats.refutations }</dd>
                <dt>{ "probe round trip" }</dt><dd>{ stats.round_trip_in_words() }</dd>
                <dt title="Concurrent writes leave siblings (conflicts); a store restored from the data dir long after the node last heard from the cluster is held aside until it has caught up">{ "keys" }</dt>
                <dd aria-label="Keys">{ stats.keys_in_words() }</dd>
                <dt title="Rumor mongering (Demers et al. 1987): each new write is pushed to random members until it cools; the excitement left of what it started with">{ "rumors spread" }</dt>
                <dd aria-label="Rumors spread">{ rumors }</dd>
                <dt>{ "datagrams" }</dt><dd>{ stats.datagrams_in_words() }</dd>
                <dt title="Before a full member table goes to an address, a ping checks that whoever asked for it is there: a forged request costs the address it names one ping">{ "address checks" }</dt>
                <dd>{ stats.address_checks_in_words() }</dd>
                <dt>{ "tags" }</dt><dd>{ tags }</dd>
                <dt>{ "uptime" }</dt><dd>{ format!("{:.0} s", stats.uptime_seconds) }</dd>
            </dl>
            <table class="by-kind" aria-label="Messages by kind">
                <thead><tr><th>{ "kind" }</th><th>{ "sent" }</th><th>{ "received" }</th><th>{ "bytes out" }</th><th>{ "bytes in" }</th></tr></thead>
                <tbody>
                    { for stats.by_kind().into_iter().map(|(kind, counts)| html! {
                        <tr>
                            <td>{ kind }</td>
                            { for counts.iter().map(|count| html! { <td>{ count }</td> }) }
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}
