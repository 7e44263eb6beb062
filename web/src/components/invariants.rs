use gossip_sim::checkers::Violation;
use yew::prelude::*;

use super::LabContext;

/// The simulator's invariant checkers, asked live: what holds right now, and what does
/// not, with the ground truth that says so.
#[function_component(Invariants)]
pub fn invariants() -> Html {
    let lab = use_context::<LabContext>().expect("Invariants sits inside the lab context");
    // The checkers look at every pair of nodes: a few times a second is plenty.
    let drawn = {
        let lab = lab.clone();
        use_memo(lab.panel_key(), move |_| draw(&lab))
    };
    (*drawn).clone()
}

fn draw(lab: &LabContext) -> Html {
    let sim = lab.sim.borrow();
    let bound = sim.completeness_bound();
    // Convergence and durability need a quiet cluster: until the last command is a
    // bound behind, disagreement or a write not yet everywhere is news still spreading,
    // and the page says "converging".
    let settling = sim.quiet_for() < bound;
    let checks = [
        (
            "completeness",
            format!("every node down for over {bound} is held dead by all"),
            sim.check_completeness(bound),
            false,
        ),
        (
            "accuracy",
            "no running, reachable node is held dead".to_owned(),
            sim.check_accuracy(),
            false,
        ),
        (
            "durability",
            format!("every write of a running writer is held by all once quiet for {bound}"),
            sim.check_durability(),
            settling,
        ),
        (
            "convergence",
            format!("all running nodes agree on members and store once quiet for {bound}"),
            sim.check_convergence(),
            settling,
        ),
    ];
    html! {
        <section class="panel invariants" aria-label="Invariants">
            <h2>{ "Invariants" }</h2>
            <ul>
                { for checks.iter().map(|(name, meaning, violations, settling)| check(name, meaning, violations, *settling)) }
            </ul>
        </section>
    }
}

/// One checker's line: holds, converging (broken, but within its quiet bound), or
/// broken with the first violations.
fn check(name: &str, meaning: &str, violations: &[Violation], settling: bool) -> Html {
    /// The violations listed; the rest are counted.
    const SHOWN: usize = 3;
    let (class, mark, verdict) = match (violations.is_empty(), settling) {
        (true, _) => ("holds", "✓ ", format!(": {meaning}")),
        (false, true) => ("settling", "… ", ": converging".to_owned()),
        (false, false) => (
            "broken",
            "✗ ",
            format!(
                ": {} violation{}",
                violations.len(),
                if violations.len() == 1 { "" } else { "s" }
            ),
        ),
    };
    html! {
        <li class={class} data-checker={name.to_owned()} title={meaning.to_owned()}>
            <strong>{ mark }{ name }</strong>
            { verdict }
            if class == "broken" {
                <ul class="violations">
                    { for violations.iter().take(SHOWN).map(|v| html! { <li>{ v.detail.clone() }</li> }) }
                    if violations.len() > SHOWN {
                        <li class="more">{ format!("and {} more", violations.len() - SHOWN) }</li>
                    }
                </ul>
            }
        </li>
    }
}
