use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::LabContext;
use crate::scenarios::{SCENARIOS, ScenarioRun};
use crate::state::Action;

/// The guided scenarios: pick one to start it on a fresh cluster; its explanation and
/// "what to watch" list, ticked off as the run reaches each checkpoint.
#[function_component(ScenarioPanel)]
pub fn scenario_panel() -> Html {
    let lab = use_context::<LabContext>().expect("ScenarioPanel sits inside the lab context");
    let start = {
        let lab = lab.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Some(scenario) = SCENARIOS.iter().find(|s| s.id == select.value()) {
                lab.dispatch(Action::StartScenario(scenario.id));
            }
        })
    };
    let stop = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(Action::StopScenario))
    };
    let current = lab.scenario.as_ref();
    let chosen = current.map(|run| run.id).unwrap_or_default();
    html! {
        <section class="panel scenario" aria-label="Guided scenarios">
            <h2>{ "Scenarios" }</h2>
            <div class="row">
                <select aria-label="Scenario" onchange={start}>
                    <option value="" selected={chosen.is_empty()} disabled=true>{ "pick a scenario…" }</option>
                    { for SCENARIOS.iter().map(|s| html! {
                        <option value={s.id} selected={s.id == chosen}>{ s.title }</option>
                    }) }
                </select>
                if let Some(run) = current {
                    <button type="button" onclick={ let (lab, id) = (lab.clone(), run.id); Callback::from(move |_: MouseEvent| lab.dispatch(Action::StartScenario(id))) }>{ "Start over" }</button>
                    <button type="button" onclick={stop}>{ "Stop" }</button>
                }
            </div>
            if let Some(run) = current {
                <p class="explanation">{ run.scenario().explanation }</p>
                <ol class="checkpoints" aria-label="What to watch">
                    { for run.scenario().checkpoints.iter().enumerate().map(|(i, checkpoint)| {
                        let reached = run.reached.get(i);
                        html! {
                            <li data-reached={reached.is_some().to_string()} class={classes!(reached.is_some().then_some("reached"))}>
                                <span class="tick" aria-hidden="true">{ if reached.is_some() { "✓" } else { "○" } }</span>
                                { checkpoint.text }
                                if let Some(at) = reached {
                                    <time>{ format!(" at {at}") }</time>
                                }
                            </li>
                        }
                    }) }
                </ol>
                if run.finished() {
                    <p class="done">{ "Every checkpoint reached." }</p>
                }
            }
            // Always there, so that a screen reader announces each checkpoint as the run
            // reaches it.
            <p class="visually-hidden" role="status">{ current.map(announcement).unwrap_or_default() }</p>
        </section>
    }
}

/// What the status line says: the last checkpoint reached, and whether that was all.
fn announcement(run: &ScenarioRun) -> String {
    let checkpoints = run.scenario().checkpoints;
    let reached = run.reached.len();
    match reached
        .checked_sub(1)
        .and_then(|last| checkpoints.get(last))
    {
        None => String::new(),
        Some(last) if run.finished() => {
            format!(
                "Checkpoint {reached} of {}: {}. Every checkpoint reached.",
                checkpoints.len(),
                last.text
            )
        }
        Some(last) => format!(
            "Checkpoint {reached} of {}: {}.",
            checkpoints.len(),
            last.text
        ),
    }
}
