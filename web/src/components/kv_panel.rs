use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::LabContext;
use crate::cluster::key_spread;
use crate::state::Action;

/// Write a key on a chosen node and watch it spread.
#[function_component(KvPanel)]
pub fn kv_panel() -> Html {
    let lab = use_context::<LabContext>().expect("KvPanel sits inside the lab context");
    let (node_ref, key_ref, value_ref) = (use_node_ref(), use_node_ref(), use_node_ref());
    let sim = lab.sim.borrow();
    let names: Vec<String> = sim.nodes().map(|n| n.id().to_string()).collect();
    let keys = key_spread(&sim);

    let onsubmit = {
        let lab = lab.clone();
        let (node_ref, key_ref, value_ref) = (node_ref.clone(), key_ref.clone(), value_ref.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (Some(node), Some(key), Some(value)) = (
                node_ref.cast::<HtmlSelectElement>(),
                key_ref.cast::<HtmlInputElement>(),
                value_ref.cast::<HtmlInputElement>(),
            ) else {
                return;
            };
            if key.value().is_empty() {
                return;
            }
            lab.dispatch(Action::Put {
                node: node.value(),
                key: key.value(),
                value: value.value(),
            });
            key.set_value("");
            value.set_value("");
        })
    };

    let delete = {
        let (lab, node_ref) = (lab.clone(), node_ref.clone());
        Callback::from(move |key: String| {
            if let Some(node) = node_ref.cast::<HtmlSelectElement>() {
                lab.dispatch(Action::Delete {
                    node: node.value(),
                    key,
                });
            }
        })
    };

    html! {
        <section class="panel kv" aria-label="Key/value store">
            <h2>{ "Key/value store" }</h2>
            <form class="kv-form" {onsubmit}>
                <label>{ "on " }
                    <select ref={node_ref} aria-label="Node to write on">
                        { for names.iter().map(|n| html! { <option value={n.clone()}>{ n }</option> }) }
                    </select>
                </label>
                <input ref={key_ref} type="text" placeholder="key" aria-label="Key" required=true />
                <input ref={value_ref} type="text" placeholder="value" aria-label="Value" />
                <button type="submit">{ "Put" }</button>
            </form>
            if keys.is_empty() {
                <p class="hint">{ "No keys yet: put one on any node." }</p>
            } else {
                <table class="keys">
                    <thead><tr><th>{ "key" }</th><th>{ "value" }</th><th>{ "on" }</th><th></th></tr></thead>
                    <tbody>
                        { for keys.iter().map(|k| html! {
                            <tr data-key={k.key.clone()} class={classes!((k.holders == k.running).then_some("complete"))}>
                                <td>{ &k.key }</td>
                                <td>
                                    { k.value.clone().unwrap_or_else(|| "(deleted)".into()) }
                                    if k.siblings > 1 {
                                        <span class="conflict" title="concurrent writes: every node shows the same winner">{ format!(" +{} conflicting", k.siblings - 1) }</span>
                                    }
                                </td>
                                <td title={spread_title(&sim, &k.key)}>{ format!("{}/{}", k.holders, k.running) }</td>
                                <td>
                                    if k.value.is_some() {
                                        <button type="button" class="small" aria-label={format!("Delete {} on the chosen node", k.key)}
                                            onclick={ let (delete, key) = (delete.clone(), k.key.clone()); Callback::from(move |_: MouseEvent| delete.emit(key.clone())) }>
                                            { "delete" }
                                        </button>
                                    }
                                </td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}

/// How long the latest write of `key` took to reach every running node, or how long it
/// has been spreading: what a hover over its "on" count says.
fn spread_title(sim: &gossip_sim::Simulation, key: &str) -> String {
    let Some(write) = sim.writes().iter().rev().find(|w| w.version.key == key) else {
        return "written before the run's record began".to_owned();
    };
    let verb = if write.version.is_tombstone() {
        "deleted"
    } else {
        "written"
    };
    match write.spread_time() {
        Some(took) => format!(
            "{verb} on {} at {}; on every running node {took} later",
            write.version.writer.node, write.written_at
        ),
        None => format!(
            "{verb} on {} at {}; still spreading ({} so far)",
            write.version.writer.node,
            write.written_at,
            sim.now().saturating_since(write.written_at)
        ),
    }
}
