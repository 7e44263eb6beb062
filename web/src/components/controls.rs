use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::LabContext;
use crate::state::{Action, SPEEDS};

/// Simulated time, pause, speed and the seed to start over from.
#[function_component(Controls)]
pub fn controls() -> Html {
    let lab = use_context::<LabContext>().expect("Controls sits inside the lab context");
    let seed_input = use_node_ref();
    let (now, seed) = {
        let sim = lab.sim.borrow();
        (sim.now(), sim.seed())
    };

    let toggle_pause = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(Action::TogglePause))
    };
    let set_speed = {
        let lab = lab.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(speed) = select.value().parse() {
                lab.dispatch(Action::SetSpeed(speed));
            }
        })
    };
    let reset = {
        let (lab, seed_input) = (lab.clone(), seed_input.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(input) = seed_input.cast::<HtmlInputElement>() else {
                return;
            };
            match input.value().trim().parse::<u64>() {
                Ok(seed) => lab.dispatch(Action::Reset(seed)),
                Err(_) => input.set_custom_validity("a seed is a whole number"),
            }
        })
    };
    let set_lifeguard = {
        let lab = lab.clone();
        Callback::from(move |event: Event| {
            let checkbox: HtmlInputElement = event.target_unchecked_into();
            lab.dispatch(Action::SetLifeguard(checkbox.checked()));
        })
    };
    let clear_validity = Callback::from(|event: InputEvent| {
        event
            .target_unchecked_into::<HtmlInputElement>()
            .set_custom_validity("");
    });

    html! {
        <section class="panel controls" aria-label="Simulation controls">
            <h2>{ "Simulation" }</h2>
            <p class="clock">{ "time " }<output aria-label="Simulated time">{ now.to_string() }</output></p>
            <div class="row">
                <button type="button" onclick={toggle_pause}>{ if lab.paused { "Resume" } else { "Pause" } }</button>
                <label>
                    { "speed " }
                    <select aria-label="Speed" onchange={set_speed}>
                        { for SPEEDS.iter().map(|s| html! {
                            <option value={s.to_string()} selected={*s == lab.speed}>{ format!("{s}×") }</option>
                        }) }
                    </select>
                </label>
            </div>
            <label class="row" title="Local health, nacks, suspicion that shrinks with confirmations, and the buddy system (Dadgar et al. 2018). Restarts the cluster.">
                <input type="checkbox" checked={lab.lifeguard} onchange={set_lifeguard} aria-label="Lifeguard" />
                { "Lifeguard (restarts the cluster)" }
            </label>
            <form class="row" onsubmit={reset}>
                <label>
                    { "seed " }
                    <input ref={seed_input} type="text" inputmode="numeric" size="10" value={seed.to_string()} aria-label="Seed" oninput={clear_validity} />
                </label>
                <button type="submit">{ "Restart cluster" }</button>
            </form>
            if let Some(error) = &lab.error {
                <p class="error" role="alert">{ error }</p>
            }
        </section>
    }
}
