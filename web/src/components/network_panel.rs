use std::rc::Rc;

use gossip_core::Duration;
use gossip_sim::NetworkModel;
use yew::prelude::*;

use super::LabContext;
use super::number_field::NumberField;
use crate::cluster::{CutEntry, MAX_NODES, cut_list, own_links};
use crate::state::Action;

/// At most this many cuts are listed one by one ("Heal all cuts" reaches the rest).
const CUTS_LISTED: usize = 40;

/// The cluster's size and the network in a person's hands: grow or shrink the cluster,
/// add and remove nodes, cut picked nodes off (both ways, or one link one way), heal
/// all cuts or one, set loss, latency and jitter for the whole network or for the link
/// between two picked nodes. Every change is a simulator command, so it replays,
/// rewinds and goes into a shared link like any other.
#[function_component(NetworkPanel)]
pub fn network_panel() -> Html {
    let lab = use_context::<LabContext>().expect("NetworkPanel sits inside the lab context");
    // The cuts change only by command: listed again only then.
    let cut_entries = {
        let sim = Rc::clone(&lab.sim);
        let key = (
            Rc::as_ptr(&lab.sim) as usize,
            lab.sim.borrow().commands().len(),
        );
        use_memo(key, move |_| cut_list(&sim.borrow()))
    };
    let (count, network, links) = {
        let sim = lab.sim.borrow();
        (sim.nodes().count(), sim.network().clone(), own_links(&sim))
    };
    let cuts = cut_entries.len();
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
    // The link between the two picked nodes: its own model if it has one.
    let pair = match picked.as_slice() {
        [a, b] => Some(((*a).to_owned(), (*b).to_owned())),
        _ => None,
    };
    let pair_model = pair.as_ref().map(|(a, b)| {
        links
            .iter()
            .find(|(x, y, _)| (x == a && y == b) || (x == b && y == a))
            .map(|(_, _, model)| model.clone())
    });
    let link_model = pair_model
        .clone()
        .flatten()
        .unwrap_or_else(|| network.clone());
    let set_link = |field: &'static str| {
        let (lab, model) = (lab.clone(), link_model.clone());
        Callback::from(move |text: String| {
            let Ok(value) = text.trim().parse::<f64>() else {
                return;
            };
            let (mut loss, mut latency, mut jitter) = (model.loss, model.latency, model.jitter);
            match field {
                "loss" => loss = (value / 100.0).clamp(0.0, 1.0),
                "latency" => latency = Duration::from_millis(value.clamp(0.0, 10_000.0) as u64),
                _ => jitter = Duration::from_millis(value.clamp(0.0, 10_000.0) as u64),
            }
            lab.dispatch(Action::SetLink {
                loss,
                latency,
                jitter,
            });
        })
    };
    let heal = |cut: &CutEntry| {
        let action = Action::HealCut {
            from: cut.from.clone(),
            to: cut.to.clone(),
        };
        dispatch(action)
    };
    let clear = |a: &str, b: &str| {
        dispatch(Action::ClearLink {
            a: a.to_owned(),
            b: b.to_owned(),
        })
    };
    let describe = |model: &gossip_sim::NetworkModel| {
        format!(
            "{:.0}% loss, {} ms + up to {} ms",
            model.loss * 100.0,
            model.latency.as_millis(),
            model.jitter.as_millis()
        )
    };

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
                { model_fields("", "", &network, set_network) }
            </div>
            if let Some((a, b)) = &pair {
                <div class="row link" title="The link between the two picked nodes, both ways, instead of the whole network's model">
                    <span>{ format!("link {a} ↔ {b}: ") }</span>
                    { model_fields(&format!("link-{a}{b}-"), "Link ", &link_model, set_link) }
                    if pair_model.clone().flatten().is_some() {
                        <button type="button" class="small" onclick={clear(a, b)}>{ "Clear link" }</button>
                    }
                </div>
            }
            if !cut_entries.is_empty() {
                <ul class="cut-list" aria-label="Cuts">
                    { for cut_entries.iter().take(CUTS_LISTED).map(|cut| html! {
                        <li data-cut={cut.label()}>
                            <span>{ cut.label() }{ if cut.both_ways { "" } else { " (one way)" } }</span>
                            <button type="button" class="small" aria-label={format!("Heal cut {}", cut.label())} onclick={heal(cut)}>{ "Heal" }</button>
                        </li>
                    }) }
                    if cuts > CUTS_LISTED {
                        <li class="hint">{ format!("and {} more", cuts - CUTS_LISTED) }</li>
                    }
                </ul>
            }
            if !links.is_empty() {
                <ul class="link-list" aria-label="Links with their own model">
                    { for links.iter().map(|(a, b, model)| html! {
                        <li data-link={format!("{a} ↔ {b}")}>
                            <span>{ format!("{a} ↔ {b}: {}", describe(model)) }</span>
                            <button type="button" class="small" aria-label={format!("Clear link {a} ↔ {b}")} onclick={clear(a, b)}>{ "Clear" }</button>
                        </li>
                    }) }
                </ul>
            }
        </section>
    }
}

/// Loss, latency and jitter fields for one network model (the whole network's, or a
/// link's): `key` tells a model's fields from another's, `label` begins their
/// accessible names, and `on_commit(field)` applies a field's new text.
fn model_fields(
    key: &str,
    label: &str,
    model: &NetworkModel,
    on_commit: impl Fn(&'static str) -> Callback<String>,
) -> Html {
    // Keyed on the value too, so that a change from elsewhere (a rewind) shows.
    let field = |name: &'static str,
                 caption: &str,
                 accessible: &str,
                 value: String,
                 max: &str,
                 step: &str| {
        let accessible = format!("{label}{accessible}");
        let accessible = accessible[..1].to_uppercase() + &accessible[1..];
        let key = format!("{key}{name}{value}");
        html! {
            <label>{ caption }
                <NumberField {key} label={accessible} min="0" max={max.to_owned()} step={step.to_owned()}
                    {value} on_commit={on_commit(name)} />
            </label>
        }
    };
    html! {
        <>
            { field("loss", "loss % ", "loss percent", format!("{:.0}", model.loss * 100.0), "100", "1") }
            { field("latency", "latency ms ", "latency in milliseconds", model.latency.as_millis().to_string(), "10000", "10") }
            { field("jitter", "jitter ms ", "jitter in milliseconds", model.jitter.as_millis().to_string(), "10000", "10") }
        </>
    }
}
