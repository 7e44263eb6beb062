use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::LabContext;
use crate::recording::MAX_BYTES;
use crate::replaying::ReplayProgress;
use crate::share;
use crate::state::{Action, SPEEDS};
use wasm_bindgen::JsValue;

/// Simulated time, pause, speed, the timeline to rewind through and the seed to start
/// over from.
#[function_component(Controls)]
pub fn controls() -> Html {
    let lab = use_context::<LabContext>().expect("Controls sits inside the lab context");
    let seed_input = use_node_ref();
    let (now, seed, digest) = {
        let sim = lab.sim.borrow();
        (sim.now(), sim.seed(), sim.trace_digest())
    };
    let (earliest, rewindable) = {
        let timeline = lab.timeline.borrow();
        let earliest = timeline
            .earliest()
            .map_or(now.as_millis(), |at| at.as_millis());
        (earliest, timeline.limit() > 0)
    };
    let timeline_title = if rewindable {
        "Drag back to rewind; what you do next forks a new future"
    } else {
        "No rewinding at this size: a copy of the cluster to rewind to would not fit in the page's memory beside the cluster itself"
    };
    let rewind = {
        let lab = lab.clone();
        Callback::from(move |event: Event| {
            let slider: HtmlInputElement = event.target_unchecked_into();
            if let Ok(millis) = slider.value().parse::<u64>() {
                lab.dispatch(Action::Rewind(millis));
            }
        })
    };
    let back_ten_seconds = {
        let lab = lab.clone();
        let to = now.as_millis().saturating_sub(10_000).max(earliest);
        Callback::from(move |_: MouseEvent| lab.dispatch(Action::Rewind(to)))
    };

    let step = |action: Action| {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(action.clone()))
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
    let share_link = use_state(String::new);
    let share_note = use_state(|| "");
    let share = {
        let (lab, share_link, share_note) = (lab.clone(), share_link.clone(), share_note.clone());
        Callback::from(move |_: MouseEvent| {
            let scenario = lab.scenario.as_ref().map(|run| run.id);
            let fragment = share::fragment(&lab.sim.borrow(), scenario);
            let Some(window) = web_sys::window() else {
                return;
            };
            // The address bar holds the link too, ready to copy or bookmark.
            if let Ok(history) = window.history() {
                let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&fragment));
            }
            let link = window.location().href().unwrap_or(fragment);
            share_link.set(link.clone());
            let share_note = share_note.clone();
            wasm_bindgen_futures::spawn_local(async move {
                share_note.set(if copied(&window, &link).await {
                    "copied"
                } else {
                    "select it to copy"
                });
            });
        })
    };
    let open_trace = {
        let lab = lab.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let file = gloo_file::File::from(file);
            // Refused before it is read: a file from anywhere could be any size.
            if file.size() > MAX_BYTES as u64 {
                lab.dispatch(Action::Report(format!(
                    "{} is {} MB, over the {} MB the lab opens",
                    file.name(),
                    file.size() >> 20,
                    MAX_BYTES >> 20
                )));
                return;
            }
            let lab = lab.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match gloo_file::futures::read_as_text(&file).await {
                    Ok(text) => lab.dispatch(Action::OpenTrace(text)),
                    Err(error) => lab.dispatch(Action::Report(format!(
                        "cannot read {}: {error}",
                        file.name()
                    ))),
                }
            });
        })
    };
    let clear_validity = Callback::from(|event: InputEvent| {
        event
            .target_unchecked_into::<HtmlInputElement>()
            .set_custom_validity("");
    });

    // While a cluster is built or a run opened there is nothing to step yet (pausing is
    // taken, and holds once it runs).
    let preparing = lab.preparing.is_some();
    html! {
        <section class="panel controls" aria-label="Simulation controls">
            <h2>{ "Simulation" }</h2>
            <p class="clock">{ "time " }<output aria-label="Simulated time">{ now.to_string() }</output>
                <span class="digest" title="Fingerprint of the run so far: every event, datagram and node event in order. The same seed and the same actions give the same fingerprint at the same time.">
                    { " · run " }<output aria-label="Run digest">{ format!("{digest:016x}") }</output>
                </span>
            </p>
            // Always there, so that a screen reader announces it when it fills.
            <p class={classes!("behind", lab.preparing.is_some().then_some("progress"))} role="status">
                if let Some((done, all)) = lab.building_progress() {
                    { format!(
                        "Building {} members: {:.0}% done (each node's table of every other, then the census of what each believes).",
                        lab.size,
                        100.0 * done as f64 / all.max(1) as f64
                    ) }
                } else if let Some(progress) = lab.replay_progress() {
                    { opening_status(progress) }
                } else if lab.falling_behind() {
                    { format!(
                        "Cannot keep up: simulated time runs at about {:.0}% of the chosen speed here. A slower speed or a smaller cluster keeps pace.",
                        (lab.pace.share() * 10.0).round() * 10.0
                    ) }
                }
            </p>
            <div class="row">
                <button type="button" class="pause-toggle" onclick={toggle_pause} title="Space">{ if lab.paused { "Resume" } else { "Pause" } }</button>
                <button type="button" class="small" onclick={step(Action::StepEvent)} aria-label="Step one event" title="Pause and handle the next event (→)" disabled={preparing}>{ "▸ event" }</button>
                <button type="button" class="small" onclick={step(Action::StepPeriod)} aria-label="Step one protocol period" title="Pause and run one protocol period (Shift →)" disabled={preparing}>{ "▸▸ period" }</button>
                <label>
                    { "speed " }
                    <select aria-label="Speed" onchange={set_speed}>
                        { for SPEEDS.iter().map(|s| html! {
                            <option value={s.to_string()} selected={*s == lab.speed}>{ format!("{s}×") }</option>
                        }) }
                    </select>
                </label>
            </div>
            <div class="row timeline">
                <input type="range" aria-label="Timeline" title={timeline_title} disabled={!rewindable}
                    min={earliest.to_string()} max={now.as_millis().to_string()} step="100"
                    value={now.as_millis().to_string()} onchange={rewind} />
                <button type="button" onclick={back_ten_seconds} disabled={now.as_millis() == earliest}
                    title="Rewind 10 simulated seconds">{ "Back 10 s" }</button>
            </div>
            <label class="row" title="Local health, nacks, suspicion that shrinks with confirmations, and the buddy system (Dadgar et al. 2018). Restarts the cluster.">
                <input type="checkbox" checked={lab.config.lifeguard != gossip_core::Lifeguard::OFF} onchange={set_lifeguard} aria-label="Lifeguard" />
                { "Lifeguard (restarts the cluster)" }
            </label>
            <form class="row" onsubmit={reset}>
                <label>
                    { "seed " }
                    <input ref={seed_input} type="text" inputmode="numeric" size="10" value={seed.to_string()} aria-label="Seed" oninput={clear_validity} />
                </label>
                <button type="submit">{ "Restart cluster" }</button>
            </form>
            <label class="row open-trace" title="A trace from `gossip sim chaos --trace FILE` (its run replayed, to scrub through with the timeline), or a recording of a real cluster from `gossip cluster --record FILE` (to scrub through what its agents reported)">
                { "open a trace or recording " }
                <input type="file" accept=".json,.jsonl,application/json" aria-label="Open a trace file" onchange={open_trace} />
            </label>
            <div class="row share">
                // Not while a run is built or opened: the run shown is an empty stand-in,
                // and the link in the address bar is the one being opened.
                <button type="button" onclick={share} disabled={lab.preparing.is_some()} title="A link that replays this run to this moment, exactly (the same run digest)">{ "Link to this run" }</button>
                if !share_link.is_empty() {
                    <input type="text" readonly=true aria-label="Link to this run" value={(*share_link).clone()}
                        onfocus={Callback::from(|event: FocusEvent| event.target_unchecked_into::<HtmlInputElement>().select())} />
                    <span class="hint" role="status">{ *share_note }</span>
                }
            </div>
            if let Some(error) = &lab.error {
                <p class="error" role="alert">{ error }</p>
            }
        </section>
    }
}

/// Puts `text` on the clipboard; false where the page may not (no clipboard outside a
/// secure context such as `http://127.0.0.1`, or permission refused).
async fn copied(window: &web_sys::Window, text: &str) -> bool {
    let navigator = window.navigator();
    let has_clipboard = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        .is_ok_and(|clipboard| !clipboard.is_undefined());
    has_clipboard
        && wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(text))
            .await
            .is_ok()
}

/// What the status line says while a run from elsewhere is being opened.
fn opening_status(progress: ReplayProgress) -> String {
    let percent = 100.0 * progress.share();
    match progress {
        ReplayProgress::Building { .. } => format!(
            "Opening the run: building its cluster, {percent:.0}% done (each node's table of every other, then the census of what each believes)."
        ),
        ReplayProgress::Running { now, until } => format!(
            "Opening the run: replayed to {now} of {until}, {percent:.0}% done (with rewind snapshots and chart samples on the way)."
        ),
    }
}
