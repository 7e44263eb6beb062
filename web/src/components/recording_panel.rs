use gloo_timers::callback::Interval;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::LabContext;
use super::event_log::EventList;
use super::graph::{Activation, Graph};
use super::key_panel::KeyPanel;
use super::legend::Legend;
use super::number_field::NumberField;
use crate::recording::{PLAY_SPEEDS, RecordingAction};
use crate::state::Action;

/// How often a playing recording moves on, in wall-clock milliseconds.
const PLAY_TICK_MS: u32 = 100;

/// A recording of a real cluster in place of the simulation: the graph through one
/// agent's eyes (or the consensus) at the chosen moment, a timeline and a time field to
/// scrub with, steps to the previous and next recorded line, play, the store and the
/// events recorded up to then. Read-only: nothing here changes what was recorded.
#[function_component(RecordingStage)]
pub fn recording_stage() -> Html {
    let lab = use_context::<LabContext>().expect("RecordingStage sits inside the lab context");
    let playing = lab.recording.as_ref().is_some_and(|r| r.playing);
    // Playing is a timer owned by this effect: it stops when playing does.
    {
        let dispatcher = lab.dispatcher();
        use_effect_with(playing, move |playing| {
            let timer = playing.then(|| {
                Interval::new(PLAY_TICK_MS, move || {
                    dispatcher.dispatch(Action::Recording(RecordingAction::Advance(u64::from(
                        PLAY_TICK_MS,
                    ))))
                })
            });
            move || drop(timer)
        });
    }
    let Some(shown) = &lab.recording else {
        return html! {};
    };
    let recording = &shown.recording;
    let view = shown.view_now();
    let through = shown.view.as_deref();
    let (at, end) = (shown.at_ms, recording.end_ms());

    let act = |action: RecordingAction| {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(Action::Recording(action.clone())))
    };
    // Scrubbing follows the slider as it moves: a fold of the lines is cheap next to a
    // simulator rewind.
    let seek = {
        let lab = lab.clone();
        Callback::from(move |event: InputEvent| {
            let slider: HtmlInputElement = event.target_unchecked_into();
            if let Ok(millis) = slider.value().parse::<u64>() {
                lab.dispatch(Action::Recording(RecordingAction::Seek(millis)));
            }
        })
    };
    let seek_seconds = {
        let lab = lab.clone();
        Callback::from(move |text: String| match text.trim().parse::<f64>() {
            Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => lab.dispatch(
                Action::Recording(RecordingAction::Seek((seconds * 1000.0).round() as u64)),
            ),
            _ => lab.dispatch(Action::Report(
                "a time in the recording is a number of seconds from its start".to_owned(),
            )),
        })
    };
    let choose_view = {
        let lab = lab.clone();
        Callback::from(move |event: Event| {
            let value = event.target_unchecked_into::<HtmlSelectElement>().value();
            let view = (!value.is_empty()).then_some(value);
            lab.dispatch(Action::Recording(RecordingAction::SetView(view)));
        })
    };
    let choose_node = {
        let lab = lab.clone();
        Callback::from(move |activation: Activation| {
            let view = Some(activation.name.to_string());
            lab.dispatch(Action::Recording(RecordingAction::SetView(view)));
        })
    };
    let set_speed = {
        let lab = lab.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Ok(speed) = select.value().parse() {
                lab.dispatch(Action::Recording(RecordingAction::SetSpeed(speed)));
            }
        })
    };
    let jump = {
        let lab = lab.clone();
        Callback::from(move |at: u64| lab.dispatch(Action::Recording(RecordingAction::Seek(at))))
    };
    let close = {
        let lab = lab.clone();
        Callback::from(move |_: MouseEvent| lab.dispatch(Action::CloseRecording))
    };
    let header = &recording.header;
    let through_label = through.unwrap_or("most agents (consensus)");
    let missed = through
        .and_then(|name| view.agents.get(name))
        .map_or(0, |agent| agent.missed);
    let seconds = format!("{:.3}", at as f64 / 1000.0);

    html! {
        <main class="recording">
            <section class="stage" aria-label="Recorded cluster">
                <div class="row view-choice">
                    <label title="Colour every member as one agent believed it to be at this moment, or as most of the others did">
                        { "states as seen by " }
                        <select aria-label="Recording view" onchange={choose_view}>
                            <option value="" selected={through.is_none()}>{ "most agents (consensus)" }</option>
                            { for header.nodes.iter().map(|n| html! {
                                <option value={n.name.clone()} selected={through == Some(n.name.as_str())}>{ &n.name }</option>
                            }) }
                        </select>
                    </label>
                    if missed > 0 {
                        <span class="hint">{ format!("{missed} of its events were lost by the recorder: its view may lag") }</span>
                    }
                </div>
                <Graph nodes={super::graph::Nodes::from(view.graph_nodes(through))} on_activate={choose_node}
                    label={format!("Recorded cluster at {} as seen by {through_label}: activate an agent to see through its eyes", gossip_core::Instant::from_millis(at))} />
                <Legend simulated={false} />
            </section>
            <aside class="panels">
                <section class="panel controls recording-controls" aria-label="Recording">
                    <h2>{ "Recording of a real cluster" }</h2>
                    <p class="hint">
                        { format!("{} agents ({} preset), from {}, {} lines over {}. Read-only: what each agent reported, nothing re-run.",
                            header.nodes.len(), header.preset, recording.wall_clock(0), recording.lines.len(), gossip_core::Instant::from_millis(end)) }
                    </p>
                    <p class="clock">{ "time " }<output aria-label="Recording time">{ gossip_core::Instant::from_millis(at).to_string() }</output>
                        { " · " }<output aria-label="Wall-clock time">{ recording.wall_clock(at) }</output>
                    </p>
                    <div class="row">
                        <button type="button" onclick={act(RecordingAction::TogglePlay)} title="Space">{ if playing { "Pause" } else { "Play" } }</button>
                        <button type="button" class="small" onclick={act(RecordingAction::PreviousEvent)} disabled={at == 0}
                            aria-label="Previous recorded event" title="To the line recorded before this moment (←)">{ "◂ event" }</button>
                        <button type="button" class="small" onclick={act(RecordingAction::NextEvent)} disabled={at >= end}
                            aria-label="Next recorded event" title="To the next line recorded (→)">{ "event ▸" }</button>
                        <label>
                            { "speed " }
                            <select aria-label="Playback speed" onchange={set_speed}>
                                { for PLAY_SPEEDS.iter().map(|s| html! {
                                    <option value={s.to_string()} selected={*s == shown.speed}>{ format!("{s}×") }</option>
                                }) }
                            </select>
                        </label>
                    </div>
                    <div class="row timeline">
                        <input type="range" aria-label="Recording timeline" title="Drag to any moment of the recording"
                            min="0" max={end.to_string()} step="1" value={at.to_string()} oninput={seek} />
                        <label>{ "at s " }
                            <NumberField key={seconds.clone()} label="Seconds into the recording" value={seconds.clone()}
                                min="0" max={format!("{:.3}", end as f64 / 1000.0)} step="0.001" on_commit={seek_seconds} />
                        </label>
                    </div>
                    <div class="row">
                        <button type="button" onclick={close} title="Back to the simulated cluster, as it was">{ "Close recording" }</button>
                    </div>
                    if let Some(error) = &lab.error {
                        <p class="error" role="alert">{ error }</p>
                    }
                </section>
                <KeyPanel rows={view.key_rows(through)} read_only=true on_put={Callback::noop()} on_delete={Callback::noop()}
                    empty_hint="No keys recorded by this moment." />
                <EventList lines={recording.event_lines(at)} on_jump={Some(jump)} />
            </aside>
        </main>
    }
}
