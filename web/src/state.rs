//! The lab's state and everything a person can do to it, as a reducer.

use std::cell::RefCell;
use std::rc::Rc;

use gossip_core::{Duration, Instant};
use gossip_sim::{MetricsSeries, Simulation, Timeline};
use yew::Reducible;

use crate::cluster::new_simulation;

/// Speeds a person can choose: simulated time per wall-clock time.
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
const DEFAULT_SPEED: f64 = 0.5;
/// A frame longer than this (a background tab, a breakpoint) does not fast-forward the
/// simulation by the whole gap.
const MAX_FRAME_MS: f64 = 100.0;
/// A snapshot every 2 simulated seconds, 150 of them: five minutes to rewind through.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(2);
const SNAPSHOTS: usize = 150;
/// A metrics sample every simulated second, the last two minutes kept.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);
const SAMPLES: usize = 120;

/// Everything the page shows and controls.
#[derive(Debug)]
pub struct LabState {
    /// The simulation, mutated in place: it is too large to copy on every frame.
    pub sim: Rc<RefCell<Simulation>>,
    /// Snapshots of `sim` to rewind to.
    pub timeline: Rc<RefCell<Timeline>>,
    /// Cluster metrics over time, for the charts.
    pub series: Rc<RefCell<MetricsSeries>>,
    pub speed: f64,
    pub paused: bool,
    /// Whether the cluster runs with Lifeguard (the demo preset is plain SWIM).
    pub lifeguard: bool,
    /// Increments whenever the simulation changed, so views re-render and the
    /// animation effect schedules the next frame.
    pub revision: u64,
    /// Timestamp of the last animation frame, in milliseconds.
    last_frame: Option<f64>,
    /// The last thing that went wrong, shown to the person.
    pub error: Option<String>,
}

/// What a person (or the animation loop) does.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// An animation frame at this timestamp (ms): advance time by wall time times speed.
    Frame(f64),
    TogglePause,
    SetSpeed(f64),
    /// Crash the node if it runs, restart it if it is down.
    ToggleNode(String),
    /// Delete `key` on `node`.
    Delete {
        node: String,
        key: String,
    },
    /// Write `key = value` on `node`.
    Put {
        node: String,
        key: String,
        value: String,
    },
    /// Start over with a new cluster from this seed.
    Reset(u64),
    /// Start over from the same seed with Lifeguard switched on or off.
    SetLifeguard(bool),
    /// Go back to this simulated time (ms); what happens next is a new future.
    Rewind(u64),
    /// Something done to one node from the inspector.
    Fault {
        node: String,
        fault: NodeFault,
    },
}

/// What the inspector can do to a node besides crashing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeFault {
    /// Freeze it; what is sent to it waits.
    Pause,
    Resume,
    /// Leave the cluster gracefully.
    Leave,
    /// Handle datagrams this late on average (zero: normal again).
    Slow(Duration),
}

impl LabState {
    pub fn new(seed: u64) -> Self {
        let sim = new_simulation(seed, false);
        LabState {
            timeline: Rc::new(RefCell::new(timeline_of(&sim))),
            series: Rc::new(RefCell::new(series_of(&sim))),
            sim: Rc::new(RefCell::new(sim)),
            speed: DEFAULT_SPEED,
            paused: false,
            lifeguard: false,
            revision: 0,
            last_frame: None,
            error: None,
        }
    }
}

impl LabState {
    fn restart(&mut self, seed: u64) {
        let sim = new_simulation(seed, self.lifeguard);
        self.timeline = Rc::new(RefCell::new(timeline_of(&sim)));
        self.series = Rc::new(RefCell::new(series_of(&sim)));
        self.sim = Rc::new(RefCell::new(sim));
        self.error = None;
    }
}

fn series_of(sim: &Simulation) -> MetricsSeries {
    let mut series = MetricsSeries::new(SAMPLE_EVERY, SAMPLES);
    series.observe(sim);
    series
}

fn timeline_of(sim: &Simulation) -> Timeline {
    let mut timeline = Timeline::new(SNAPSHOT_EVERY, SNAPSHOTS);
    timeline.observe(sim);
    timeline
}

impl PartialEq for LabState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sim, &other.sim)
            && self.revision == other.revision
            && self.speed == other.speed
            && self.paused == other.paused
            && self.lifeguard == other.lifeguard
            && self.error == other.error
    }
}

impl Reducible for LabState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = LabState {
            sim: Rc::clone(&self.sim),
            timeline: Rc::clone(&self.timeline),
            series: Rc::clone(&self.series),
            speed: self.speed,
            paused: self.paused,
            lifeguard: self.lifeguard,
            revision: self.revision + 1,
            last_frame: self.last_frame,
            error: self.error.clone(),
        };
        match action {
            Action::Frame(timestamp) => {
                let elapsed = next
                    .last_frame
                    .map_or(0.0, |last| (timestamp - last).clamp(0.0, MAX_FRAME_MS));
                next.last_frame = Some(timestamp);
                if !next.paused {
                    next.sim.borrow_mut().advance(elapsed, next.speed);
                    next.timeline.borrow_mut().observe(&next.sim.borrow());
                    next.series.borrow_mut().observe(&next.sim.borrow());
                }
            }
            Action::TogglePause => next.paused = !next.paused,
            Action::SetSpeed(speed) => next.speed = speed,
            Action::ToggleNode(name) => {
                let mut sim = next.sim.borrow_mut();
                let up = sim.node(&name).map(|n| n.is_up());
                let result = match up {
                    Some(true) => sim.crash(&name),
                    Some(false) => sim.restart(&name),
                    None => Err(gossip_sim::Error::UnknownNode(name)),
                };
                drop(sim);
                next.error = result.err().map(|e| e.to_string());
            }
            Action::Put { node, key, value } => {
                let result = next.sim.borrow_mut().put(&node, &key, &value);
                next.error = result.err().map(|e| format!("put on {node} failed: {e}"));
            }
            Action::Delete { node, key } => {
                let result = next.sim.borrow_mut().delete(&node, &key);
                next.error = result
                    .err()
                    .map(|e| format!("delete on {node} failed: {e}"));
            }
            Action::Reset(seed) => next.restart(seed),
            Action::Fault { node, fault } => {
                let mut sim = next.sim.borrow_mut();
                let result = match fault {
                    NodeFault::Pause => sim.pause(&node),
                    NodeFault::Resume => sim.resume(&node),
                    NodeFault::Leave => sim.leave(&node),
                    NodeFault::Slow(lag) => sim.slow(&node, lag),
                };
                drop(sim);
                next.error = result.err().map(|e| format!("{node}: {e}"));
            }
            Action::Rewind(millis) => {
                let at = Instant::from_millis(millis);
                let past = next.timeline.borrow_mut().rewind(&next.sim.borrow(), at);
                match past {
                    Some(past) => {
                        next.series.borrow_mut().rewind(at);
                        next.sim = Rc::new(RefCell::new(past));
                        next.error = None;
                    }
                    None => next.error = Some(format!("cannot go back to {at}")),
                }
            }
            Action::SetLifeguard(on) => {
                next.lifeguard = on;
                let seed = next.sim.borrow().seed();
                next.restart(seed);
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(state: Rc<LabState>, action: Action) -> Rc<LabState> {
        state.reduce(action)
    }

    #[test]
    fn frames_advance_simulated_time_by_wall_time_times_speed() {
        let mut state = Rc::new(LabState::new(1));
        state = reduce(state, Action::SetSpeed(2.0));
        state = reduce(state, Action::Frame(1000.0));
        state = reduce(state, Action::Frame(1050.0));
        assert_eq!(state.sim.borrow().now().as_millis(), 100);
        state = reduce(state, Action::Frame(10_000.0));
        assert_eq!(
            state.sim.borrow().now().as_millis(),
            300,
            "a long gap counts as 100 ms"
        );
        state = reduce(state, Action::TogglePause);
        state = reduce(state, Action::Frame(10_050.0));
        assert_eq!(state.sim.borrow().now().as_millis(), 300, "paused");
    }

    #[test]
    fn rewinding_goes_back_to_the_same_past_and_forks_from_it() {
        let mut state = Rc::new(LabState::new(7));
        state = reduce(state, Action::SetSpeed(8.0));
        let mut t = 0.0;
        for _ in 0..100 {
            t += 50.0;
            state = reduce(state, Action::Frame(t));
        }
        state = reduce(state, Action::ToggleNode("n3".into()));
        for _ in 0..100 {
            t += 50.0;
            state = reduce(state, Action::Frame(t));
        }
        let end = state.sim.borrow().now().as_millis();
        assert!(end >= 79_000, "ran {end} ms");
        state = reduce(state, Action::Rewind(50_000));
        assert_eq!(state.error, None);
        assert_eq!(state.sim.borrow().now().as_millis(), 50_000);
        assert!(
            !state.sim.borrow().node("n3").unwrap().is_up(),
            "the crash at 40 s is part of that past"
        );
        state = reduce(state, Action::Rewind(10_000));
        assert!(
            state.sim.borrow().node("n3").unwrap().is_up(),
            "before the crash"
        );
        state = reduce(state, Action::Rewind(60_000));
        assert!(state.error.is_some(), "that future was forgotten");
    }

    #[test]
    fn the_inspector_pauses_slows_and_makes_nodes_leave() {
        let mut state = Rc::new(LabState::new(3));
        let fault = |node: &str, fault| Action::Fault {
            node: node.into(),
            fault,
        };
        state = reduce(state, fault("n2", NodeFault::Pause));
        assert!(state.sim.borrow().node("n2").unwrap().is_paused());
        state = reduce(state, fault("n2", NodeFault::Resume));
        assert!(!state.sim.borrow().node("n2").unwrap().is_paused());
        state = reduce(state, fault("n4", NodeFault::Slow(Duration::from_secs(1))));
        assert_eq!(state.sim.borrow().lag("n4"), Some(Duration::from_secs(1)));
        state = reduce(state, Action::ToggleNode("n5".into()));
        state = reduce(state, fault("n5", NodeFault::Leave));
        assert!(
            state.error.as_deref().unwrap().contains("n5"),
            "a crashed node cannot leave"
        );
        state = reduce(state, fault("n1", NodeFault::Leave));
        assert_eq!(state.error, None);
    }

    #[test]
    fn switching_lifeguard_restarts_the_cluster_from_the_same_seed() {
        let mut state = Rc::new(LabState::new(42));
        state = reduce(state, Action::Frame(0.0));
        state = reduce(state, Action::Frame(100.0));
        assert!(state.sim.borrow().now().as_millis() > 0);
        state = reduce(state, Action::SetLifeguard(true));
        let sim = state.sim.borrow();
        assert_eq!(sim.now().as_millis(), 0, "a fresh run");
        assert_eq!(sim.seed(), 42);
        assert!(sim.config().lifeguard.dynamic_suspicion);
    }

    #[test]
    fn toggling_a_node_crashes_then_restarts_it() {
        let mut state = Rc::new(LabState::new(1));
        state = reduce(state, Action::ToggleNode("n2".into()));
        assert!(!state.sim.borrow().node("n2").unwrap().is_up());
        state = reduce(state, Action::ToggleNode("n2".into()));
        assert!(state.sim.borrow().node("n2").unwrap().is_up());
        state = reduce(state, Action::ToggleNode("nope".into()));
        assert!(state.error.as_deref().unwrap().contains("nope"));
    }

    #[test]
    fn a_put_on_a_crashed_node_is_reported_not_lost_silently() {
        let mut state = Rc::new(LabState::new(1));
        state = reduce(state, Action::ToggleNode("n3".into()));
        state = reduce(
            state,
            Action::Put {
                node: "n3".into(),
                key: "k".into(),
                value: "v".into(),
            },
        );
        assert!(state.error.as_deref().unwrap().contains("n3"));
        state = reduce(
            state,
            Action::Put {
                node: "n1".into(),
                key: "k".into(),
                value: "v".into(),
            },
        );
        assert_eq!(state.error, None);
        state = reduce(
            state,
            Action::Delete {
                node: "n1".into(),
                key: "k".into(),
            },
        );
        assert_eq!(state.error, None);
        assert_eq!(
            state
                .sim
                .borrow()
                .node("n1")
                .unwrap()
                .node()
                .store()
                .get("k"),
            None
        );
    }
}
