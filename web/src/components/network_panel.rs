use gossip_core::Duration;
use yew::prelude::*;

use super::LabContext;
use super::number_field::NumberField;
use crate::cluster::MAX_NODES;
use crate::state::Action;

/// The cluster's size and the network in a person's hands: grow or shrink the cluster,
/// add and remove nodes, cut picked nodes off (both ways, or one link one way), heal,
/// and set loss, latency and jitter. Every change is a simulator command, so it
/// replays, rewinds and goes into a shared link like any other.
#[function_component(NetworkPanel)]
pub fn network_panel() -> Html {
    let lab = use_context::<LabContext>().expect("NetworkPanel sits inside the lab context");
    let (count, network, cuts) = {
        let sim = lab.sim.borrow();
        (
            sim.nodes().count(),
            sim.network().clone(),
            sim.cut_links().count(),
        )
    };
    let dispatch = |action: Action| {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(action.clone()))
    };
    let resize = {
        let lab = lab.clone();
        Callback::from(move |text: String| match text.trim().parse::<usize>() {
            Ok(size) if (1..=MAX_NODES).contains(&size) => lab.dispatch(Action::SetSize(size)),
            _ => lab.dispatch(Action::Report(format!(
                "a cluster size is 1 to {MAX_NODES}"
            ))),
        })
    };
    let remove_picked = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| {
            for name in lab.selected.iter() {
                lab.dispatch(Action::RemoveNode(name.clone()));
            }
        })
    };
    let set_network = |field: &'static str| {
        let (lab, network) = (lab.clone(), network.clone());
        Callback::from(move |text: String| {
            let Ok(value) = text.trim().parse::<f64>() else {
                return;
            };
            let (mut loss, mut latency, mut jitter) =
                (network.loss, network.latency, network.jitter);
            match field {
                "loss" => loss = (value / 100.0).clamp(0.0, 1.0),
                "latency" => latency = Duration::from_millis(value.clamp(0.0, 10_000.0) as u64),
                _ => jitter = Duration::from_millis(value.clamp(0.0, 10_000.0) as u64),
            }
            lab.dispatch(Action::SetNetwork {
                loss,
                latency,
                jitter,
            });
        })
    };
    let picked: Vec<&str> = lab.selected.iter().map(String::as_str).collect();

    html! {
        <section class="panel network" aria-label="Cluster and network">
            <h2>{ "Cluster and network" }</h2>
            <div class="row">
                <label title="Start over from the same seed with this many nodes (Enter)">{ "nodes " }
                    <NumberField key={lab.size.to_string()} label="Cluster size" value={lab.size.to_string()}
                        min="1" max={MAX_NODES.to_string()} on_commit={resize} />
                </label>
                <button type="button" onclick={dispatch(Action::AddNode)} title="A new node joins through the first running one">{ "Add node" }</button>
                <span class="hint">{ format!("{count} now") }</span>
            </div>
            <p class="picked">
                { "picked (shift-click): " }
                <output aria-label="Picked nodes">{ if picked.is_empty() { "none".to_owned() } else { picked.join(", ") } }</output>
            </p>
            <div class="row">
                <button type="button" onclick={dispatch(Action::CutOff)} disabled={picked.is_empty()}
                    title="Cut every link between the picked nodes and the rest, both ways">{ "Cut off picked" }</button>
                <button type="button" onclick={dispatch(Action::CutOneWay)} disabled={picked.len() != 2}
                    title="Cut the link from the first picked node to the second only">{ "Cut one way" }</button>
                <button type="button" onclick={dispatch(Action::HealAll)} disabled={cuts == 0}>{ format!("Heal all cuts ({cuts})") }</button>
                <button type="button" onclick={remove_picked} disabled={picked.is_empty()}
                    title="The picked nodes leave the simulation for good">{ "Remove picked" }</button>
                <button type="button" onclick={dispatch(Action::ClearSelection)} disabled={picked.is_empty()}>{ "Clear picks" }</button>
            </div>
            <div class="row">
                <label>{ "loss % " }
                    <NumberField key={format!("loss{}", network.loss)} label="Loss percent" min="0" max="100"
                        value={format!("{:.0}", network.loss * 100.0)} on_commit={set_network("loss")} />
                </label>
                <label>{ "latency ms " }
                    <NumberField key={format!("latency{}", network.latency)} label="Latency in milliseconds" min="0" max="10000" step="10"
                        value={network.latency.as_millis().to_string()} on_commit={set_network("latency")} />
                </label>
                <label>{ "jitter ms " }
                    <NumberField key={format!("jitter{}", network.jitter)} label="Jitter in milliseconds" min="0" max="10000" step="10"
                        value={network.jitter.as_millis().to_string()} on_commit={set_network("jitter")} />
                </label>
            </div>
        </section>
    }
}
