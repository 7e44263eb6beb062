use std::rc::Rc;

use gossip_core::{Cooling, GossipMode, RumorAccounting};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::experiment_results::ExperimentResults;
use crate::experiments::client::ExperimentWorker;
use crate::experiments::form::{Choice, Field, Form, command_line};
use crate::experiments::study::{Plan, Point, Reply, Request};

/// Where a run stands.
#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Running,
    Finished { seconds: f64 },
    Cancelled,
    Failed(String),
}

/// The current (or last) run: its plan, the points finished so far and its progress.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    /// Names the run in the worker's replies; a reply for another is stale.
    id: u32,
    plan: Option<Plan>,
    points: Vec<Option<Point>>,
    done: u32,
    total: u32,
    point: usize,
    started_at: f64,
    status: Status,
}

enum RunAction {
    Start { plan: Plan, at: f64 },
    Reply { reply: Reply, at: f64 },
    Cancel,
}

impl Default for Run {
    fn default() -> Run {
        Run {
            id: 0,
            plan: None,
            points: Vec::new(),
            done: 0,
            total: 0,
            point: 0,
            started_at: 0.0,
            status: Status::Idle,
        }
    }
}

impl Reducible for Run {
    type Action = RunAction;

    fn reduce(self: Rc<Self>, action: RunAction) -> Rc<Run> {
        let mut run = (*self).clone();
        match action {
            RunAction::Start { plan, at } => {
                run = Run {
                    id: self.id + 1,
                    points: vec![None; plan.points().len()],
                    total: plan.total_runs(),
                    plan: Some(plan),
                    started_at: at,
                    status: Status::Running,
                    ..Run::default()
                };
            }
            RunAction::Cancel => run.status = Status::Cancelled,
            RunAction::Reply { reply, at } => {
                if run.status != Status::Running {
                    return self;
                }
                match reply {
                    Reply::Ready => {}
                    Reply::Progress {
                        id, done, point, ..
                    } if id == run.id => {
                        run.done = done;
                        run.point = point;
                    }
                    Reply::Point { id, index, point } if id == run.id => {
                        if let Some(slot) = run.points.get_mut(index) {
                            *slot = Some(point);
                        }
                    }
                    Reply::Finished { id } if id == run.id => {
                        run.status = Status::Finished {
                            seconds: (at - run.started_at) / 1000.0,
                        };
                    }
                    // Id 0: the worker itself failed, whatever it was running.
                    Reply::Failed { id, error } if id == run.id || id == 0 => {
                        run.status = Status::Failed(error);
                    }
                    _ => return self,
                }
            }
        }
        Rc::new(run)
    }
}

/// The label of a field, and what it accepts.
fn field_label(field: Field) -> (&'static str, &'static str) {
    match field {
        Field::Sizes => (
            "Sizes (members)",
            "2 to 1000 members each, up to 8, comma-separated",
        ),
        Field::Nodes => ("Members", "the cluster size, up to 1000"),
        Field::Ks => ("Values of k", "1 to 20 each, up to 8, comma-separated"),
        Field::Runs => ("Runs per point", "1 to 100, one seed each"),
        Field::Seed => ("First seed", "run i is seeded with this plus i"),
        Field::Slow => ("Slow members (%)", "0 to 100"),
        Field::SlowLag => (
            "Slow lag (ms)",
            "how late a slow member handles each datagram",
        ),
        Field::Loss => ("Datagram loss (%)", "0 to 50"),
        Field::Duration => ("Simulated seconds per run", "10 to 1800"),
    }
}

fn field_id(field: Field) -> String {
    format!("xp-{field:?}").to_lowercase()
}

/// What an experiment does, under its picker.
fn description(choice: Choice) -> &'static str {
    match choice {
        Choice::Detection => {
            "One random member of a converged cluster crashes: periods until someone suspects it and until every member holds it dead."
        }
        Choice::Dissemination => {
            "A new member joins through one seed: periods until every member holds it alive."
        }
        Choice::FalsePositives => {
            "Nobody crashes, but some members handle datagrams late: wrong suspicions and deaths with Lifeguard off, then on, on the same seeds."
        }
        Choice::Rumor => {
            "Demers' rumor-mongering model through the real rumor code: one update, one contact per cycle, no loss; residue and traffic for each k."
        }
        Choice::AntiEntropy => {
            "Rumors off, one update at one node: cycles until every node holds it, for push, pull and push-pull."
        }
    }
}

/// The Experiments tab: pick an experiment, set its sizes, runs and seed, run it in a
/// Web Worker with its progress shown, cancel it, and read the results as a plot and a
/// table. The worker is started on the first run and replaced by a fresh one on
/// cancel; it is terminated when the panel goes.
#[function_component(ExperimentsPanel)]
pub fn experiments_panel() -> Html {
    let form = use_state(|| Form::new(Choice::Detection));
    let errors = use_state(Vec::<(Field, String)>::new);
    let run = use_reducer(Run::default);
    let worker = use_mut_ref(|| None::<ExperimentWorker>);

    let on_reply = {
        let run = run.dispatcher();
        Callback::from(move |reply: Reply| {
            run.dispatch(RunAction::Reply {
                reply,
                at: js_sys::Date::now(),
            })
        })
    };

    let choose = {
        let form = form.clone();
        let errors = errors.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Some(choice) = Choice::from_id(&select.value()) {
                let mut fresh = Form::new(choice);
                fresh.seed = form.seed.clone();
                form.set(fresh);
                errors.set(Vec::new());
            }
        })
    };
    let edit = |field: Field| {
        let form = form.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let mut next = (*form).clone();
            *next.text_mut(field) = input.value();
            form.set(next);
        })
    };
    let pick = |apply: fn(&mut Form, &str) -> bool| {
        let form = form.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let mut next = (*form).clone();
            if apply(&mut next, &select.value()) {
                form.set(next);
            }
        })
    };
    let submit = {
        let (form, errors, run, worker, on_reply) = (
            form.clone(),
            errors.clone(),
            run.clone(),
            worker.clone(),
            on_reply.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if run.status == Status::Running {
                return;
            }
            let plan = match form.plan() {
                Ok(plan) => plan,
                Err(found) => {
                    errors.set(found);
                    return;
                }
            };
            errors.set(Vec::new());
            let mut slot = worker.borrow_mut();
            if slot.is_none() {
                match ExperimentWorker::start(on_reply.clone()) {
                    Ok(started) => *slot = Some(started),
                    Err(error) => {
                        errors.set(vec![(Field::Runs, error)]);
                        return;
                    }
                }
            }
            let request = Request {
                id: run.id + 1,
                plan: plan.clone(),
            };
            let sent = slot.as_ref().map(|w| w.send(&request));
            run.dispatch(RunAction::Start {
                plan,
                at: js_sys::Date::now(),
            });
            if let Some(Err(error)) = sent {
                run.dispatch(RunAction::Reply {
                    reply: Reply::Failed {
                        id: request.id,
                        error,
                    },
                    at: js_sys::Date::now(),
                });
            }
        })
    };
    let cancel = {
        let (run, worker) = (run.clone(), worker.clone());
        Callback::from(move |_: MouseEvent| {
            // Terminating is the only way to stop a worker mid-run; a fresh one is
            // ready for the next.
            let fresh = ExperimentWorker::start(on_reply.clone()).ok();
            *worker.borrow_mut() = fresh;
            run.dispatch(RunAction::Cancel);
        })
    };

    let running = run.status == Status::Running;
    let (run_button, cancel_button) = (use_node_ref(), use_node_ref());
    {
        // The button pressed disables itself: the focus moves to the other one (not
        // lost to the page), unless the person has moved it elsewhere meanwhile.
        let (run_button, cancel_button) = (run_button.clone(), cancel_button.clone());
        let mounted = use_mut_ref(|| false);
        use_effect_with(running, move |running| {
            // Not when the panel first appears: only when a run starts or ends.
            if !std::mem::replace(&mut *mounted.borrow_mut(), true) {
                return;
            }
            let focused = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element());
            let (from, to) = if *running {
                (&run_button, &cancel_button)
            } else {
                (&cancel_button, &run_button)
            };
            let lost = focused.as_ref().is_none_or(|element| {
                element.tag_name() == "BODY" || from.get().as_ref() == Some(element.as_ref())
            });
            if lost && let Some(button) = to.cast::<web_sys::HtmlElement>() {
                let _ = button.focus();
            }
        });
    }
    let error_of = |field: Field| {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, e)| e.clone())
    };
    let fields = form.fields().iter().map(|&field| {
        let (label, accepts) = field_label(field);
        let id = field_id(field);
        let error = error_of(field);
        let described = format!("{id}-help");
        html! {
            <div class="xp-field">
                <label for={id.clone()}>{ label }</label>
                <input id={id.clone()} type="text" value={form.text(field).to_owned()} oninput={edit(field)}
                    aria-invalid={error.is_some().then_some("true")} aria-describedby={described.clone()} />
                <span id={described} class={classes!("xp-help", error.is_some().then_some("error"))}>
                    { error.unwrap_or_else(|| accepts.to_owned()) }
                </span>
            </div>
        }
    });
    let rumor_choices = (form.choice == Choice::Rumor).then(|| {
        html! {
            <div class="row xp-variant">
                <label>{ "mode " }
                    <select aria-label="Rumor mode" onchange={pick(|f, v| v.parse().map(|m| f.mode = m).is_ok())}>
                        { for GossipMode::NAMES.iter().map(|name| html! {
                            <option value={*name} selected={form.mode.as_str() == *name}>{ *name }</option>
                        }) }
                    </select>
                </label>
                <label>{ "cooling " }
                    <select aria-label="Rumor cooling" onchange={pick(|f, v| v.parse().map(|c| f.cooling = c).is_ok())}>
                        { for Cooling::NAMES.iter().map(|name| html! {
                            <option value={*name} selected={form.cooling.as_str() == *name}>{ *name }</option>
                        }) }
                    </select>
                </label>
                <label>{ "accounting " }
                    <select aria-label="Rumor accounting" onchange={pick(|f, v| v.parse().map(|a| f.accounting = a).is_ok())}>
                        { for RumorAccounting::NAMES.iter().map(|name| html! {
                            <option value={*name} selected={form.accounting.as_str() == *name}>{ *name }</option>
                        }) }
                    </select>
                </label>
            </div>
        }
    });
    let percent = if run.total > 0 {
        f64::from(run.done) * 100.0 / f64::from(run.total)
    } else {
        0.0
    };
    let points_total = run.points.len();
    let status = match &run.status {
        Status::Idle => html! {},
        Status::Running => html! {},
        Status::Finished { seconds } => html! {
            <p class="xp-status" role="status">{ format!("Finished: {} runs in {seconds:.1} s.", run.total) }</p>
        },
        Status::Cancelled => html! {
            <p class="xp-status" role="status">{ format!("Cancelled after {} of {} runs; the finished points stay below.", run.done, run.total) }</p>
        },
        Status::Failed(error) => {
            html! { <p class="error" role="alert">{ format!("The experiment stopped: {error}") }</p> }
        }
    };

    html! {
        <section class="panel experiments" aria-label="Experiments">
            <h2>{ "Experiments" }</h2>
            <p class="hint">{ "The headless experiments of " }<code>{ "gossip sim" }</code>{ ", run seed by seed in a Web Worker: the cluster keeps running meanwhile." }</p>
            <form class="xp-form" onsubmit={submit} novalidate=true>
                <label class="xp-choice">{ "Experiment " }
                    <select aria-label="Experiment" onchange={choose} disabled={running}>
                        { for Choice::ALL.iter().map(|c| html! {
                            <option value={c.id()} selected={form.choice == *c}>{ c.label() }</option>
                        }) }
                    </select>
                </label>
                <p class="hint">{ description(form.choice) }</p>
                <fieldset disabled={running}>
                    <legend class="visually-hidden">{ "Parameters" }</legend>
                    { for fields }
                    { rumor_choices }
                </fieldset>
                <div class="row">
                    <button type="submit" ref={run_button} disabled={running}>{ "Run experiment" }</button>
                    <button type="button" ref={cancel_button} onclick={cancel} disabled={!running}>{ "Cancel" }</button>
                </div>
                if !errors.is_empty() {
                    <p class="error" role="alert">{ "Some parameters need changing: see the marked fields." }</p>
                }
            </form>
            if run.plan.is_some() {
                <div class="xp-progress">
                    <label for="xp-progress">{ "Progress" }</label>
                    <progress id="xp-progress" max={run.total.max(1).to_string()} value={run.done.to_string()}
                        aria-valuetext={format!("{} of {} runs", run.done, run.total)}>{ format!("{percent:.0}%") }</progress>
                    <output for="xp-progress" aria-live="polite">
                        { format!("{} / {} runs · point {} of {points_total}", run.done, run.total, run.point.max(1).min(points_total)) }
                    </output>
                </div>
            }
            { status }
            if let Some(plan) = &run.plan {
                <p class="hint xp-command">{ "Natively, the first point: " }<code>{ command_line(plan) }</code></p>
                <ExperimentResults plan={plan.clone()} points={run.points.clone()} />
            }
        </section>
    }
}
