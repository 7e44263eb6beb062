use gossip_sim::checkers::Violation;
use yew::prelude::*;

use super::LabContext;

/// The simulator's invariant checkers, asked live: what holds right now, and what does
/// not, with the ground truth that says so.
#[function_component(Invariants)]
pub fn invariants() -> Html {
    let lab = use_context::<LabContext>().expect("Invariants sits inside the lab context");
    let sim = lab.sim.borrow();
    let bound = sim.completeness_bound();
    let checks = [
        (
            "completeness",
            format!("every node down for over {bound} is held dead by all"),
            sim.check_completeness(bound),
        ),
        (
            "accuracy",
            "no running, reachable node is held dead".to_owned(),
            sim.check_accuracy(),
        ),
        (
            "durability",
            "every write of a running writer is held by all".to_owned(),
            sim.check_durability(),
        ),
        (
            "convergence",
            "all running nodes agree on members and store (once quiet)".to_owned(),
            sim.check_convergence(),
        ),
    ];
    html! {
        <section class="panel invariants" aria-label="Invariants">
            <h2>{ "Invariants" }</h2>
            <ul>
                { for checks.iter().map(|(name, meaning, violations)| check(name, meaning, violations)) }
            </ul>
        </section>
    }
}

fn check(name: &str, meaning: &str, violations: &[Violation]) -> Html {
    let holds = violations.is_empty();
    html! {
        <li class={classes!(if holds { "holds" } else { "broken" })} data-checker={name.to_owned()} title={meaning.to_owned()}>
            <strong>{ if holds { "✓ " } else { "✗ " } }{ name }</strong>
            { if holds { format!(": {meaning}") } else { format!(": {} violation{}", violations.len(), if violations.len() == 1 { "" } else { "s" }) } }
            if !holds {
                <ul class="violations">
                    { for violations.iter().take(3).map(|v| html! { <li>{ v.detail.clone() }</li> }) }
                </ul>
            }
        </li>
    }
}
