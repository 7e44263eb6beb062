use yew::prelude::*;

use super::LabContext;
use crate::cluster::beliefs_of;

/// Beyond this many nodes the matrix (a row and a column per node) stops being
/// readable.
const MATRIX_UP_TO: usize = 12;

/// What each node believes about every node: one row per observer.
#[function_component(MembershipMatrix)]
pub fn membership_matrix() -> Html {
    let lab = use_context::<LabContext>().expect("MembershipMatrix sits inside the lab context");
    let sim = lab.sim.borrow();
    if sim.nodes().count() > MATRIX_UP_TO {
        return html! {
            <section class="panel matrix" aria-label="Membership views">
                <h2>{ "Who believes what" }</h2>
                <p class="hint">{ format!("Shown for clusters of up to {MATRIX_UP_TO} nodes; inspect one node below.") }</p>
            </section>
        };
    }
    let names: Vec<String> = sim.nodes().map(|n| n.id().to_string()).collect();

    let rows = sim.nodes().map(|observer| {
        let beliefs = beliefs_of(&sim, observer.id());
        html! {
            <tr class={classes!((!observer.is_up()).then_some("down"))}>
                <th scope="row">{ observer.id().to_string() }{ if observer.is_up() { "" } else { " ✕" } }</th>
                { for beliefs.iter().map(|belief| {
                    let state = belief.map_or("unknown", |s| s.as_str());
                    html! { <td class={classes!("belief", state)} title={state}>{ state.chars().next().map(|c| c.to_ascii_uppercase()).unwrap_or('?') }</td> }
                }) }
            </tr>
        }
    });

    html! {
        <section class="panel matrix" aria-label="Membership views">
            <h2>{ "Who believes what" }</h2>
            <table aria-label="Each row: what that node believes about each node">
                <thead>
                    <tr><th>{ "view of →" }</th>{ for names.iter().map(|n| html! { <th scope="col">{ n }</th> }) }</tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
        </section>
    }
}
