use yew::prelude::*;

use super::key_panel::{KeyPanel, KeyRow, PutRequest, describe_version};
use super::{LabContext, use_node_names};
use crate::cluster::key_spread;
use crate::state::Action;

/// The lab's store panel: write a key on a chosen node and watch it spread.
#[function_component(KvPanel)]
pub fn kv_panel() -> Html {
    let lab = use_context::<LabContext>().expect("KvPanel sits inside the lab context");
    let sim = lab.sim.borrow();
    let writers = use_node_names(&lab);
    let rows: Vec<KeyRow> = key_spread(&sim)
        .into_iter()
        .map(|k| KeyRow {
            versions: k
                .versions
                .iter()
                .map(|v| {
                    describe_version(v.value.as_deref(), &v.writer.to_string(), v.clock.iter())
                })
                .collect(),
            spread: Some((k.holders, k.running, spread_title(&sim, &k.key))),
            value: k.value,
            key: k.key,
        })
        .collect();
    let on_put = {
        let lab = lab.clone();
        Callback::from(move |put: PutRequest| {
            lab.dispatch(Action::Put {
                node: put.node.unwrap_or_default(),
                key: put.key,
                value: put.value,
            })
        })
    };
    let on_delete = {
        let lab = lab.clone();
        Callback::from(move |(node, key): (Option<String>, String)| {
            lab.dispatch(Action::Delete {
                node: node.unwrap_or_default(),
                key,
            })
        })
    };
    let on_pick = {
        let lab = lab.clone();
        Callback::from(move |key: String| lab.dispatch(Action::PickKey(Some(key))))
    };
    html! {
        <KeyPanel {rows} {writers} {on_put} {on_delete} on_pick={Some(on_pick)} picked={lab.picked_key.clone()}
            error={lab.store_error.clone().map(AttrValue::from)}
            empty_hint="No keys yet: put one on any node." />
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
