use gossip_core::{Duration, MemberState, NodeId};
use gossip_sim::SimNode;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::node_options::NodeOptions;
use super::{LabContext, use_node_names};
use crate::state::{Action, NodeFault};

/// How late a node slowed from the inspector handles datagrams.
const SLOW_LAG: Duration = Duration::from_millis(800);

/// Inside one node: the ground truth beside its own view (member table with
/// incarnations and suspicion deadlines, store with vector clocks, counters), and the
/// faults besides crashing that can be done to it.
#[function_component(NodeInspector)]
pub fn node_inspector() -> Html {
    let lab = use_context::<LabContext>().expect("NodeInspector sits inside the lab context");
    let chosen = use_state(|| "n1".to_owned());
    let names = use_node_names(&lab);
    let sim = lab.sim.borrow();
    let Some(sim_node) = sim.node(&chosen) else {
        return html! {};
    };
    let lag = sim.lag(&chosen).unwrap_or(Duration::ZERO);

    let choose = {
        let chosen = chosen.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            chosen.set(select.value());
        })
    };
    let act = |fault: NodeFault| {
        let (lab, node) = (lab.clone(), (*chosen).clone());
        Callback::from(move |_: MouseEvent| {
            lab.dispatch(Action::Fault {
                node: node.clone(),
                fault,
            })
        })
    };
    let (pause_label, pause) = if sim_node.is_paused() {
        (format!("Resume {}", *chosen), NodeFault::Resume)
    } else {
        (format!("Pause {}", *chosen), NodeFault::Pause)
    };
    let (slow_label, slow) = if lag > Duration::ZERO {
        ("Make normal", NodeFault::Slow(Duration::ZERO))
    } else {
        ("Make slow", NodeFault::Slow(SLOW_LAG))
    };
    let running = sim_node.is_up();

    html! {
        <section class="panel inspector" aria-label="Node inspector">
            <h2>
                { "Inside " }
                <select aria-label="Inspected node" onchange={choose}>
                    <NodeOptions {names} selected={Some((*chosen).clone())} />
                </select>
            </h2>
            <p class="truth" aria-label="Ground truth">{ ground_truth(sim_node, lag) }</p>
            <div class="row">
                <button type="button" onclick={act(pause)} disabled={!running} title="Freeze it: no timers run, what is sent to it waits">{ pause_label }</button>
                <button type="button" onclick={act(slow)} title={format!("Handle each datagram 0 to {} late", SLOW_LAG * 2)}>{ slow_label }</button>
                <button type="button" onclick={act(NodeFault::Leave)} disabled={!running}>{ "Leave" }</button>
            </div>
            { member_table(sim_node) }
            { store_table(sim_node) }
            <p class="stats" aria-label="Counters">{ counters(sim_node) }</p>
        </section>
    }
}

fn ground_truth(sim_node: &SimNode, lag: Duration) -> String {
    let node = sim_node.node();
    let running = match (sim_node.is_up(), sim_node.is_paused()) {
        (false, _) => "down".to_owned(),
        (true, true) => "paused".to_owned(),
        (true, false) if lag > Duration::ZERO => format!("running, {lag} slow"),
        (true, false) => "running".to_owned(),
    };
    format!(
        "{running} · {} · incarnation {} · local health score {} (0: healthy)",
        node.status().as_str(),
        node.incarnation(),
        node.local_health()
    )
}

/// Rows of the member table shown: in a large cluster, the members not held alive come
/// first and the alive ones are counted rather than listed past this many.
const MEMBER_ROWS: usize = 40;

/// Names as a person orders them: `n2` before `n10` (a trailing number compared as a
/// number), otherwise as text.
fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    let split = |name: &str| {
        let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (stem, number) = name.split_at(name.len() - digits);
        (stem.to_owned(), number.parse::<u128>().ok())
    };
    split(a).cmp(&split(b)).then_with(|| a.cmp(b))
}

/// One row of the member table.
struct Row {
    id: NodeId,
    state: MemberState,
    incarnation: u32,
}

fn member_table(sim_node: &SimNode) -> Html {
    let node = sim_node.node();
    // The rows shown are picked out of the table before they are sorted: a table of
    // 10,000 is scanned, not sorted, each time the inspector is drawn.
    let mut members: Vec<Row> = Vec::new();
    node.visit_members(|id, _, incarnation, state| {
        members.push(Row {
            id: id.clone(),
            state,
            incarnation,
        })
    });
    let order = |a: &Row, b: &Row| {
        (a.state == MemberState::Alive)
            .cmp(&(b.state == MemberState::Alive))
            .then_with(|| by_name(a.id.as_str(), b.id.as_str()))
    };
    let hidden = members.len().saturating_sub(MEMBER_ROWS);
    if hidden > 0 {
        members.select_nth_unstable_by(MEMBER_ROWS, order);
        members.truncate(MEMBER_ROWS);
    }
    members.sort_unstable_by(order);
    let deadline = |id: &NodeId| {
        node.suspicion_deadline(id)
            .map_or(String::new(), |at| format!("dead at {at}"))
    };
    html! {
        <>
        <table class="members" aria-label="Its member table">
            <thead><tr><th>{ "member" }</th><th>{ "state" }</th><th>{ "inc" }</th><th>{ "suspicion" }</th></tr></thead>
            <tbody>
                { for members.iter().map(|m| html! {
                    <tr>
                        <td>{ m.id.to_string() }</td>
                        <td class={classes!("belief", m.state.as_str())}>{ m.state.as_str() }</td>
                        <td>{ m.incarnation }</td>
                        <td>{ if m.state == MemberState::Suspect { deadline(&m.id) } else { String::new() } }</td>
                    </tr>
                }) }
            </tbody>
        </table>
        if hidden > 0 {
            <p class="hint">{ format!("and {hidden} more, held alive") }</p>
        }
        </>
    }
}

fn store_table(sim_node: &SimNode) -> Html {
    let store = sim_node.node().store();
    let rows: Vec<Html> = store
        .iter()
        .flat_map(|(key, versions)| {
            versions.iter().map(move |version| {
                html! {
                    <tr>
                        <td>{ key }</td>
                        <td>{ version.value.as_deref().unwrap_or("(deleted)") }</td>
                        <td class="clock">{ version.clock.to_string() }</td>
                    </tr>
                }
            })
        })
        .collect();
    if rows.is_empty() {
        return html! { <p class="hint">{ "Its store is empty." }</p> };
    }
    html! {
        <table class="store" aria-label="Its store">
            <thead><tr><th>{ "key" }</th><th>{ "value" }</th><th>{ "vector clock" }</th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

fn counters(sim_node: &SimNode) -> String {
    counters_in_words(sim_node.node().stats())
}

/// A node's counters in one line; its user events once it sent or heard any, and
/// those it dropped unsent once there were some.
fn counters_in_words(stats: &gossip_core::Stats) -> String {
    let mut words = format!(
        "probes {} (failed {}, indirect {}) · refutations {} · sent {} datagrams, {} B · received {}, {} B",
        stats.probes,
        stats.failed_probes,
        stats.indirect_probes,
        stats.refutations,
        stats.sent.total_messages(),
        stats.sent.total_bytes(),
        stats.received.total_messages(),
        stats.received.total_bytes(),
    );
    let user_events = gossip_api::UserEventsInfo::of(stats);
    if user_events != Default::default() {
        words.push_str(&format!(" · user events {}", user_events.in_words()));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::{by_name, counters_in_words};

    #[test]
    fn user_events_are_counted_once_there_were_any() {
        let mut stats = gossip_core::Stats::default();
        assert!(!counters_in_words(&stats).contains("user events"));
        stats.user_events_sent = 1;
        stats.user_events_heard = 3;
        assert!(counters_in_words(&stats).ends_with(" · user events 1 sent, 3 heard"));
        stats.user_events_expired = 2;
        assert!(counters_in_words(&stats).ends_with(", 3 heard, 2 dropped unsent"));
    }

    #[test]
    fn names_order_by_their_number() {
        let mut names = vec!["n10", "n2", "n100", "n1", "b", "a7", "n02", "x"];
        names.sort_by(|a, b| by_name(a, b));
        assert_eq!(names, ["a7", "b", "n1", "n02", "n2", "n10", "n100", "x"]);
    }
}
