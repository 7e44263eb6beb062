//! The lab's state and everything a person can do to it, as a reducer.

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

use gossip_core::{Config, Duration, Instant, Lifeguard};
use gossip_sim::{Building, MetricsSeries, Simulation, Timeline, Trace};
use yew::Reducible;

use crate::cluster::{
    LAB_NODES, MAX_NODES, building_simulation, describe_datagram, empty_simulation, lab_config,
    new_simulation, next_node_name,
};
use crate::recording::{Recording, RecordingAction, RecordingState, is_recording};
use crate::replaying::{Replay, ReplayProgress};
use crate::scenarios::{SCENARIOS, ScenarioRun};
use crate::share::read_trace;

/// Speeds a person can choose: simulated time per wall-clock time.
pub const SPEEDS: [f64; 10] = [0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 100.0];
/// Real time: the tour's moments (a crash noticed, suspected, declared dead) take as long
/// as the protocol's timeouts say; slower speeds are there to follow single datagrams.
const DEFAULT_SPEED: f64 = 1.0;
/// A frame longer than this (a background tab, a breakpoint) does not fast-forward the
/// simulation by the whole gap.
const MAX_FRAME_MS: f64 = 100.0;
/// A gap between frames longer than this means the browser was not drawing the page at
/// all (a hidden tab, a sleeping laptop), rather than drawing it slowly: a frame's own
/// work is held to a budget of milliseconds.
const NOT_DRAWING_MS: f64 = 5_000.0;
/// The most of one frame's gap the pace counts: a slow frame counts against the pace,
/// but one long pause does not outweigh the rest of the window.
const COUNTED_GAP_MS: f64 = 1_000.0;
/// Wall-clock time the simulation may take in one frame, leaving the rest of a 60 Hz
/// frame for drawing: past it, no new slice of simulated time is started, rather than
/// the page freezing. What is left is carried to the next frames (up to a quarter
/// second's worth, [`Pace`]); a page that still falls behind says it cannot keep up.
const SIMULATION_BUDGET_MS: f64 = 8.0;
/// Simulated time is run in slices this long, the budget checked between them.
const SLICE: Duration = Duration::from_millis(10);
/// Below this share of the chosen speed the page says it cannot keep up.
const KEEPING_PACE: f64 = 0.8;
/// A cluster this large is built a piece each frame ([`Building`]), the page showing
/// how far it got, rather than in one go that leaves it frozen for seconds.
pub const BUILT_GRADUALLY_FROM: usize = 2_000;
/// Wall-clock time a frame may spend building, and how many nodes (or tables read) it
/// builds between two looks at the clock.
const BUILD_BUDGET_MS: f64 = 40.0;
pub(crate) const BUILD_STEP: usize = 4;
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
    /// The protocol settings the cluster is built with (the demo's, plain SWIM, at
    /// first).
    pub config: Config,
    /// How many nodes the cluster starts with.
    pub size: usize,
    /// Nodes picked (shift-click) for a network cut.
    pub selected: BTreeSet<String>,
    /// The guided scenario under way, if any.
    pub scenario: Option<ScenarioRun>,
    /// The keyboard help is showing.
    pub help: bool,
    /// Whose eyes the graph shows states through: one node's, or the consensus.
    pub view: Option<String>,
    /// A datagram's decoded contents, pinned by clicking it.
    pub pinned: Option<String>,
    /// Which datagram is pinned, when it was one in flight here.
    pinned_datagram: Option<u64>,
    /// A key whose holders the graph marks.
    pub picked_key: Option<String>,
    /// Increments whenever the simulation changed, so views re-render and the
    /// animation effect schedules the next frame.
    pub revision: u64,
    /// Timestamp of the last animation frame, in milliseconds.
    last_frame: Option<f64>,
    /// How much of the chosen speed the simulation achieved lately.
    pub pace: Pace,
    /// Wall-clock milliseconds, for the frame's work budget (a parameter so that tests
    /// can run on a clock of their own).
    pub wall_clock: fn() -> f64,
    /// The last thing that went wrong, shown to the person.
    pub error: Option<String>,
    /// Why the last write or delete from the store panel was refused, shown beside it
    /// (where the person is looking), until the next one goes through.
    pub store_error: Option<String>,
    /// Why the last user event was refused, shown beside its form until the next one
    /// goes.
    pub event_error: Option<String>,
    /// A recording of a real cluster, shown instead of the simulation (which waits,
    /// paused, behind it) until it is closed.
    pub recording: Option<RecordingState>,
    /// A large cluster being built, or a run from elsewhere being replayed, a piece
    /// each frame, to take the place of `sim` (an empty one meanwhile) when done.
    pub preparing: Option<Rc<RefCell<Option<Preparing>>>>,
}

/// What is made a piece each frame, rather than in one go that would leave the page
/// frozen meanwhile.
#[derive(Debug)]
pub enum Preparing {
    /// A large cluster, built from a seed.
    Cluster(Box<Building>),
    /// A run from elsewhere (a shared link, a trace file), built and replayed to its
    /// end; with the guided scenario the link was following, taken up there.
    Run {
        replay: Box<Replay>,
        scenario: Option<String>,
    },
}

/// What a person (or the animation loop) does.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// An animation frame at this timestamp (ms): advance time by wall time times speed.
    Frame(f64),
    TogglePause,
    SetSpeed(f64),
    /// Paused: handle the next scheduled event (a delivery, a timer) and stop again.
    StepEvent,
    /// Paused: run one protocol period (`probe_interval`) and stop again.
    StepPeriod,
    /// Show or hide the keyboard help.
    ToggleHelp,
    HideHelp,
    /// Show states as this node sees them (`None`: as most see them).
    SetView(Option<String>),
    /// Pin a datagram's decoded contents (`None` unpins).
    Pin(Option<String>),
    /// Pin the datagram in flight with this id.
    PinDatagram(u64),
    /// Pin the next datagram in flight after the one pinned (the first after the
    /// last, round again): the keyboard's way to read them.
    PinNext,
    /// Mark the nodes holding this key's newest versions (`None`: none).
    PickKey(Option<String>),
    /// Go back to this simulated time (ms) and pause there, to look at it.
    JumpTo(u64),
    /// Go back this far in simulated time (as far as the timeline reaches).
    Back(Duration),
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
    /// Send a user event from `node`.
    SendUserEvent {
        node: String,
        name: String,
        payload: String,
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
    /// Start over from the same seed with this many nodes.
    SetSize(usize),
    /// Start over from the same seed with these settings (already validated).
    SetConfig(Box<Config>),
    /// Open a trace file's text (its run replayed, paused at its end), or a recording
    /// of a real cluster (told apart by its header), shown in place of the run.
    OpenTrace(String),
    /// Something done to the recording shown.
    Recording(RecordingAction),
    /// Back to the simulation from the recording.
    CloseRecording,
    /// Start a guided scenario on a fresh cluster from the same seed.
    StartScenario(&'static str),
    StopScenario,
    /// A new node joins through the first running one.
    AddNode,
    /// A node goes away for good (not a crash: it is never restarted).
    RemoveNode(String),
    /// Pick a node for a cut, or unpick it.
    Select(String),
    /// Pick all these nodes (those inside a box dragged across the graph).
    PickAll(Vec<String>),
    ClearSelection,
    /// Cut the picked nodes off from the rest, both ways.
    CutOff,
    /// Cut the link from the first picked node to the second, one way.
    CutOneWay,
    /// Restore every link.
    HealAll,
    /// Restore the link between two nodes (both ways: a one-way cut's other direction
    /// is not cut, so only that cut heals).
    HealCut {
        from: String,
        to: String,
    },
    /// The link between the two picked nodes gets its own loss (0..=1), latency and
    /// jitter, both ways.
    SetLink {
        loss: f64,
        latency: Duration,
        jitter: Duration,
    },
    /// The link between two nodes follows the whole network's model again.
    ClearLink {
        a: String,
        b: String,
    },
    /// Something a person asked for that cannot be done, said on the page.
    Report(String),
    /// The whole network's loss (0..=1), latency and jitter.
    SetNetwork {
        loss: f64,
        latency: Duration,
        jitter: Duration,
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
        let sim = new_simulation(seed, lab_config(), LAB_NODES);
        let (timeline, series) = (timeline_of(&sim), series_of(&sim));
        LabState::assemble(sim, timeline, series, lab_config(), LAB_NODES)
    }

    /// The lab over `sim`, running, with nothing picked, pinned or chosen.
    fn assemble(
        sim: Simulation,
        timeline: Timeline,
        series: MetricsSeries,
        config: Config,
        size: usize,
    ) -> Self {
        LabState {
            timeline: Rc::new(RefCell::new(timeline)),
            series: Rc::new(RefCell::new(series)),
            sim: Rc::new(RefCell::new(sim)),
            speed: DEFAULT_SPEED,
            paused: false,
            config,
            size,
            selected: BTreeSet::new(),
            scenario: None,
            help: false,
            view: None,
            pinned: None,
            pinned_datagram: None,
            picked_key: None,
            revision: 0,
            last_frame: None,
            pace: Pace::default(),
            wall_clock: crate::clock::wall_ms,
            error: None,
            store_error: None,
            event_error: None,
            recording: None,
            preparing: None,
        }
    }
}

/// What the slower panels (checkers, charts) are redrawn for: another run (a rewind, a
/// rebuild), another command, or another slice of simulated time (half a second, or
/// more at high speed, so they are recomputed a few times a second of wall time, not
/// every frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PanelKey {
    run: usize,
    commands: usize,
    slice: u64,
}

impl LabState {
    /// The key the slower panels memoise their drawing on.
    pub fn panel_key(&self) -> PanelKey {
        let sim = self.sim.borrow();
        let slice_ms = (250.0 * self.speed).max(500.0) as u64;
        PanelKey {
            run: Rc::as_ptr(&self.sim) as usize,
            commands: sim.commands().len(),
            slice: sim.now().as_millis() / slice_ms,
        }
    }

    /// The lab over a run from elsewhere (a shared link, a trace file), to be replayed
    /// to its end a piece each frame ([`Replay`]), with snapshots and samples taken on
    /// the way so it can be scrubbed back through; paused there, so the person sees the
    /// moment it was shared or recorded. A trace whose digest differs (recorded by
    /// another build) still opens, with a warning. `scenario` is the guided scenario a
    /// shared link was following, taken up where the run ends.
    pub fn replayed(trace: Trace, scenario: Option<String>) -> Result<Self, String> {
        let replay = Replay::new(trace)?;
        let setup = &replay.trace().setup;
        let stand_in = empty_simulation(setup.seed, setup.config.clone());
        let (timeline, series) = (timeline_of(&stand_in), series_of(&stand_in));
        let (config, size) = (setup.config.clone(), setup.nodes);
        Ok(LabState {
            paused: true,
            preparing: Some(Rc::new(RefCell::new(Some(Preparing::Run {
                replay: Box::new(replay),
                scenario,
            })))),
            ..LabState::assemble(stand_in, timeline, series, config, size)
        })
    }

    /// A fresh cluster of `size` nodes (clamped to what the lab runs) from `seed`.
    pub fn with_size(seed: u64, size: usize) -> Self {
        let mut state = LabState::new(seed);
        state.size = size.clamp(1, MAX_NODES);
        state.restart(seed);
        state
    }

    fn restart(&mut self, seed: u64) {
        if self.size >= BUILT_GRADUALLY_FROM {
            // The old cluster goes first: two large ones do not fit side by side.
            self.install(empty_simulation(seed, self.config.clone()));
            let building = building_simulation(seed, self.config.clone(), self.size);
            self.preparing = Some(Rc::new(RefCell::new(Some(Preparing::Cluster(Box::new(
                building,
            ))))));
        } else {
            self.preparing = None;
            self.install(new_simulation(seed, self.config.clone(), self.size));
        }
    }

    /// Makes more of what is being prepared, for up to [`BUILD_BUDGET_MS`] of wall
    /// time; once it is done, runs it (a cluster) or shows it paused (a run replayed).
    fn keep_preparing(&mut self) {
        let Some(preparing) = self.preparing.clone() else {
            return;
        };
        let start = (self.wall_clock)();
        let made = loop {
            let step = match preparing.borrow_mut().as_mut() {
                Some(Preparing::Cluster(building)) => {
                    building.make(BUILD_STEP).map_err(|e| e.to_string())
                }
                Some(Preparing::Run { replay, .. }) => replay.make(),
                None => Ok(true),
            };
            if !matches!(step, Ok(false)) || (self.wall_clock)() - start >= BUILD_BUDGET_MS {
                break step;
            }
        };
        match made {
            Ok(false) => {}
            Ok(true) => {
                self.preparing = None;
                match preparing.borrow_mut().take() {
                    Some(Preparing::Cluster(building)) => match (*building).finish() {
                        Ok(sim) => self.install(sim),
                        Err(error) => self.error = Some(error.to_string()),
                    },
                    Some(Preparing::Run { replay, scenario }) => {
                        self.show_replayed(*replay, scenario);
                    }
                    None => {}
                }
            }
            Err(error) => {
                let what = match preparing.borrow().as_ref() {
                    Some(Preparing::Run { .. }) => "cannot open the run",
                    _ => "cannot build the cluster",
                };
                self.preparing = None;
                self.error = Some(format!("{what}: {error}"));
            }
        }
    }

    /// Shows a run replayed to its end, paused there.
    fn show_replayed(&mut self, replay: Replay, scenario: Option<String>) {
        let Some(run) = replay.finished() else {
            self.error = Some("cannot open the run: its replay stopped short".to_owned());
            return;
        };
        let now = run.sim.now();
        self.config = run.sim.config().clone();
        self.install_with(run.sim, run.timeline, run.series);
        self.paused = true;
        self.error = run.mismatch;
        self.scenario = scenario.and_then(|id| ScenarioRun::resumed(&id, now));
    }

    /// How far the cluster under way is built, as (done, all) steps.
    pub fn building_progress(&self) -> Option<(usize, usize)> {
        match self.preparing.as_ref()?.borrow().as_ref()? {
            Preparing::Cluster(building) => Some(building.progress()),
            Preparing::Run { .. } => None,
        }
    }

    /// How far the run being opened is replayed.
    pub fn replay_progress(&self) -> Option<ReplayProgress> {
        match self.preparing.as_ref()?.borrow().as_ref()? {
            Preparing::Run { replay, .. } => Some(replay.progress()),
            Preparing::Cluster(_) => None,
        }
    }

    /// Whether animation frames are wanted: running, or preparing.
    pub fn animating(&self) -> bool {
        !self.paused || self.preparing.is_some()
    }

    /// Makes `sim` the lab's run, from its start: nothing picked or pinned, a fresh
    /// timeline and series.
    fn install(&mut self, sim: Simulation) {
        let (timeline, series) = (timeline_of(&sim), series_of(&sim));
        self.install_with(sim, timeline, series);
    }

    /// [`LabState::install`] with the snapshots and samples taken already.
    fn install_with(&mut self, sim: Simulation, timeline: Timeline, series: MetricsSeries) {
        self.selected.clear();
        self.scenario = None;
        self.view = None;
        self.pinned = None;
        self.pinned_datagram = None;
        self.picked_key = None;
        // A new cluster's first frames (the page building its elements) are no sign of
        // the machine's pace.
        self.last_frame = None;
        self.pace = Pace::default();
        self.store_error = None;
        self.event_error = None;
        self.timeline = Rc::new(RefCell::new(timeline));
        self.series = Rc::new(RefCell::new(series));
        self.sim = Rc::new(RefCell::new(sim));
        self.error = None;
    }
}

pub(crate) fn series_of(sim: &Simulation) -> MetricsSeries {
    let mut series = MetricsSeries::new(SAMPLE_EVERY, SAMPLES);
    series.observe(sim);
    series
}

/// Bytes the rewind snapshots may take together: each is a whole copy of the cluster,
/// whose member tables grow with the square of its size.
const SNAPSHOT_BUDGET: usize = 512 << 20;
/// Bytes a copy of the cluster takes per pair of nodes: 24 in the member table, one in
/// the census, and room for the rest (stores, timers, queues) of a node.
const SNAPSHOT_BYTES_PER_PAIR: usize = 32;

/// How many rewind snapshots of a cluster of `nodes` fit in [`SNAPSHOT_BUDGET`] (wasm32
/// has 4 GiB in all), at most [`SNAPSHOTS`]: none from about 4,100 nodes, where one
/// copy would not fit beside the cluster itself.
pub fn snapshots_for(nodes: usize) -> usize {
    let per_snapshot = SNAPSHOT_BYTES_PER_PAIR * nodes * nodes + (1 << 20);
    (SNAPSHOT_BUDGET / per_snapshot).min(SNAPSHOTS)
}

/// Snapshots spaced to reach back the same five minutes, fewer and further apart for a
/// large cluster ([`snapshots_for`]); none for a cluster too large to copy.
pub(crate) fn timeline_of(sim: &Simulation) -> Timeline {
    let count = snapshots_for(sim.nodes().count().max(1));
    let every =
        Duration::from_millis(SNAPSHOT_EVERY.as_millis() * SNAPSHOTS as u64 / count.max(1) as u64);
    let mut timeline = Timeline::new(every, count);
    timeline.observe(sim);
    timeline
}

/// The changes from `in_force` to `next` as `(field, value)` text, if running nodes
/// take them all on at once (`Config::LIVE_FIELDS`); `None` if any needs the cluster
/// rebuilt.
fn live_changes(in_force: &Config, next: &Config) -> Option<Vec<(String, String)>> {
    in_force.check_live_change(next).ok()?;
    let changed = in_force.changed_fields(next);
    Some(
        next.fields()
            .into_iter()
            .filter(|(field, _)| changed.contains(field))
            .map(|(field, value)| (field.to_owned(), value))
            .collect(),
    )
}

/// Runs up to `owed` of simulated time (through the scenario, if one is under way, so
/// its steps run at their times) in slices, stopping once the frame's budget of wall
/// time is spent; returns how much it ran. Slices end on whole milliseconds, and
/// commands are only given between frames, so a run cut short replays the same.
fn run_within_budget(
    sim: &mut Simulation,
    mut scenario: Option<&mut ScenarioRun>,
    owed: Duration,
    wall_clock: fn() -> f64,
) -> Duration {
    let (start, from) = (wall_clock(), sim.now());
    let target = from + owed;
    while sim.now() < target {
        let step = (sim.now() + SLICE).min(target);
        match scenario.as_deref_mut() {
            Some(run) => run.advance_to(sim, step),
            None => sim.run_until(step),
        }
        if wall_clock() - start >= SIMULATION_BUDGET_MS {
            break;
        }
    }
    sim.now().saturating_since(from)
}

/// Whether `node` runs but left the cluster on purpose (and so takes no part).
pub fn has_left(node: &gossip_sim::SimNode) -> bool {
    node.is_up() && node.node().status() == gossip_core::NodeStatus::Left
}

/// Simulated time run against simulated time wanted (wall time times speed) over the
/// last two seconds of frames. A window of wall time, rather than an average over
/// frames, lets one slow frame (a rebuild, a snapshot) pass unremarked, and the odd
/// millisecond a slow speed runs one frame and not the next even out.
///
/// It also carries what the frame budget cut short: a large cluster's work comes in
/// bursts (a full-state exchange of thousands of members in one slice), and a frame
/// that met one gives up the rest of its time; the next frames run it first, so that
/// only a machine too slow for the run as a whole falls behind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pace {
    /// (wall, run, wanted) milliseconds of each recent frame.
    frames: VecDeque<(f64, f64, f64)>,
    wall: f64,
    /// Simulated time wanted by earlier frames and not yet run.
    behind: Duration,
}

impl Pace {
    /// The window's length.
    const WINDOW_MS: f64 = 2_000.0;
    /// Less than this much wall time in the window says nothing yet.
    const LEAST_MS: f64 = 1_500.0;
    /// The most wall time whose simulated time is carried to later frames: a quarter
    /// of a second makes up for bursts, and a machine that cannot keep up does not
    /// pile up a debt it would run, fast-forwarded, once the load lifts.
    const MOST_BEHIND_MS: f64 = 250.0;

    /// Simulated time owed from earlier frames.
    fn behind(&self) -> Duration {
        self.behind
    }

    /// Notes what this frame left of its `owed` time, at `speed`.
    fn carry(&mut self, left: Duration, speed: f64) {
        let most = Duration::from_millis((Self::MOST_BEHIND_MS * speed) as u64);
        self.behind = left.min(most);
    }

    /// Forgets the time owed (the speed changed, or the run went back or gave way to a
    /// recording; pausing and a new cluster start a new `Pace`).
    fn forgive(&mut self) {
        self.behind = Duration::ZERO;
    }

    fn observe(&mut self, wall_ms: f64, run_ms: f64, wanted_ms: f64) {
        self.frames.push_back((wall_ms, run_ms, wanted_ms));
        self.wall += wall_ms;
        while self.wall > Self::WINDOW_MS {
            match self.frames.pop_front() {
                Some((wall, _, _)) => self.wall -= wall,
                None => break,
            }
        }
    }

    /// The share of the chosen speed achieved: 1 while keeping pace (or too early to
    /// tell).
    pub fn share(&self) -> f64 {
        let (run, wanted) = self
            .frames
            .iter()
            .fold((0.0, 0.0), |(r, w), &(_, run, wanted)| {
                (r + run, w + wanted)
            });
        if self.wall < Self::LEAST_MS || wanted <= 0.0 {
            1.0
        } else {
            (run / wanted).min(1.0)
        }
    }
}

impl LabState {
    /// Whether the simulation lately runs slower than the chosen speed (this machine
    /// cannot simulate this cluster that fast).
    pub fn falling_behind(&self) -> bool {
        !self.paused && self.pace.share() < KEEPING_PACE
    }
}

impl PartialEq for LabState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sim, &other.sim)
            && self.revision == other.revision
            && self.speed == other.speed
            && self.paused == other.paused
            && self.config == other.config
            && self.size == other.size
            && self.selected == other.selected
            && self.scenario == other.scenario
            && self.help == other.help
            && self.view == other.view
            && self.pinned == other.pinned
            && self.picked_key == other.picked_key
            && self.error == other.error
            && self.store_error == other.store_error
            && self.event_error == other.event_error
            && self.pace == other.pace
            && self.recording == other.recording
            && self.preparing.as_ref().map(Rc::as_ptr) == other.preparing.as_ref().map(Rc::as_ptr)
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
            config: self.config.clone(),
            size: self.size,
            selected: self.selected.clone(),
            scenario: self.scenario.clone(),
            help: self.help,
            view: self.view.clone(),
            pinned: self.pinned.clone(),
            pinned_datagram: self.pinned_datagram,
            picked_key: self.picked_key.clone(),
            revision: self.revision + 1,
            last_frame: self.last_frame,
            pace: self.pace.clone(),
            wall_clock: self.wall_clock,
            error: self.error.clone(),
            store_error: self.store_error.clone(),
            event_error: self.event_error.clone(),
            recording: self.recording.clone(),
            preparing: self.preparing.clone(),
        };
        // While a large cluster is built or a run replayed, the run shown is an empty
        // stand-in: what would act on it (a fault, a write, a step, a live setting) is
        // refused, since the run made would not have it; what rebuilds (a size, a seed,
        // settings) starts a building instead, and another trace opens in its place.
        if next.preparing.is_some() {
            match action {
                Action::Frame(timestamp) => {
                    next.last_frame = Some(timestamp);
                    next.keep_preparing();
                    return Rc::new(next);
                }
                Action::SetConfig(config) => {
                    next.config = *config;
                    let seed = next.sim.borrow().seed();
                    next.restart(seed);
                    return Rc::new(next);
                }
                Action::TogglePause
                | Action::SetSpeed(_)
                | Action::ToggleHelp
                | Action::HideHelp
                | Action::SetSize(_)
                | Action::Reset(_)
                | Action::SetLifeguard(_)
                | Action::OpenTrace(_)
                | Action::Recording(_)
                | Action::CloseRecording
                | Action::Report(_) => {}
                _ => {
                    next.error = Some(if next.replay_progress().is_some() {
                        "the run is still being opened: try again once it is shown".to_owned()
                    } else {
                        format!(
                            "the cluster of {} is still being built: try again once it runs",
                            next.size
                        )
                    });
                    return Rc::new(next);
                }
            }
        }
        // While a recording is shown, the keys that drive the run drive the recording.
        let action = match (&next.recording, action) {
            (Some(_), Action::TogglePause) => Action::Recording(RecordingAction::TogglePlay),
            (Some(_), Action::StepEvent | Action::StepPeriod) => {
                Action::Recording(RecordingAction::NextEvent)
            }
            (Some(_), Action::Back(_)) => Action::Recording(RecordingAction::PreviousEvent),
            (Some(_), Action::Frame(_)) => return self,
            (_, action) => action,
        };
        match action {
            Action::Frame(timestamp) => {
                let gap = next
                    .last_frame
                    .map_or(0.0, |last| (timestamp - last).max(0.0));
                let elapsed = gap.min(MAX_FRAME_MS);
                next.last_frame = Some(timestamp);
                if !next.paused {
                    let mut sim = next.sim.borrow_mut();
                    let owed = sim.owed(elapsed, next.speed) + next.pace.behind();
                    let done =
                        run_within_budget(&mut sim, next.scenario.as_mut(), owed, next.wall_clock);
                    drop(sim);
                    next.pace.carry(owed - done, next.speed);
                    // Measured against the wall clock, so that frames drawn too slowly
                    // (whose gaps are capped above) count as falling behind too. A gap
                    // of seconds is no frame drawn slowly: the browser drew none. What
                    // came before it says nothing of the machine now, so the measure
                    // starts again.
                    if gap > NOT_DRAWING_MS {
                        next.pace = Pace::default();
                    } else {
                        let wall = gap.min(COUNTED_GAP_MS);
                        next.pace
                            .observe(wall, done.as_millis() as f64, wall * next.speed);
                    }
                    next.timeline.borrow_mut().observe(&next.sim.borrow());
                    next.series.borrow_mut().observe(&next.sim.borrow());
                }
            }
            Action::TogglePause => {
                next.paused = !next.paused;
                next.pace = Pace::default();
            }
            Action::StepEvent | Action::StepPeriod => {
                next.paused = true;
                let mut sim = next.sim.borrow_mut();
                // A step takes a whole instant: every event at the next event's time,
                // as a replay does, so what is done next replays exactly.
                let target = if action == Action::StepEvent {
                    sim.next_event_at().unwrap_or(sim.now())
                } else {
                    sim.now() + sim.config().probe_interval
                };
                match &mut next.scenario {
                    Some(run) => run.advance_to(&mut sim, target),
                    None => sim.run_until(target),
                }
                next.timeline.borrow_mut().observe(&sim);
                next.series.borrow_mut().observe(&sim);
            }
            Action::ToggleHelp => next.help = !next.help,
            Action::HideHelp => next.help = false,
            Action::JumpTo(at) => {
                next.paused = true;
                return Rc::new(next).reduce(Action::Rewind(at));
            }
            Action::SetView(view) => next.view = view,
            Action::Pin(text) => {
                next.pinned = text;
                next.pinned_datagram = None;
            }
            Action::PinDatagram(id) => {
                if let Some(text) = describe_datagram(&next.sim.borrow(), id) {
                    next.pinned = Some(text);
                    next.pinned_datagram = Some(id);
                }
            }
            Action::PinNext => {
                let sim = next.sim.borrow();
                let after = next.pinned_datagram;
                let ids = || sim.in_flight().map(|m| m.id);
                let id = ids()
                    .filter(|&id| after.is_none_or(|after| id > after))
                    .min()
                    .or_else(|| ids().min());
                drop(sim);
                match id {
                    Some(id) => return Rc::new(next).reduce(Action::PinDatagram(id)),
                    None => next.error = Some("no datagram is in flight just now".into()),
                }
            }
            Action::PickKey(key) => {
                next.picked_key = if next.picked_key == key { None } else { key }
            }
            Action::Back(by) => {
                let now = next.sim.borrow().now();
                let earliest = next.timeline.borrow().earliest().unwrap_or(now);
                let to = now
                    .as_millis()
                    .saturating_sub(by.as_millis())
                    .max(earliest.as_millis());
                return Rc::new(next).reduce(Action::Rewind(to));
            }
            Action::SetSpeed(speed) => {
                next.speed = speed;
                next.pace.forgive();
            }
            Action::ToggleNode(name) => {
                let mut sim = next.sim.borrow_mut();
                let running = sim.node(&name).map(|n| (n.is_up(), has_left(n)));
                let result = match running {
                    Some((true, false)) => sim.crash(&name),
                    // A node that left takes no part any more: a click starts it again,
                    // as it does a crashed one, rather than crashing what already left.
                    Some((true, true)) => sim.crash(&name).and_then(|()| sim.restart(&name)),
                    Some((false, _)) => sim.restart(&name),
                    None => Err(gossip_sim::Error::UnknownNode(name)),
                };
                drop(sim);
                next.error = result.err().map(|e| e.to_string());
                // A refused write was about the nodes as they were.
                next.store_error = None;
            }
            Action::Put { node, key, value } => {
                let result = next.sim.borrow_mut().put(&node, &key, &value);
                next.store_error = result.err().map(|e| format!("put on {node} failed: {e}"));
            }
            Action::SendUserEvent {
                node,
                name,
                payload,
            } => {
                let result = next
                    .sim
                    .borrow_mut()
                    .send_user_event(&node, &name, &payload);
                next.event_error = result
                    .err()
                    .map(|e| format!("sending from {node} failed: {e}"));
            }
            Action::Delete { node, key } => {
                let result = next.sim.borrow_mut().delete(&node, &key);
                next.store_error = result
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
                        if let Some(run) = &mut next.scenario {
                            run.rewind(at);
                        }
                        next.pinned = None;
                        next.sim = Rc::new(RefCell::new(past));
                        next.error = None;
                        // What the old run owed is not the restored one's.
                        next.pace.forgive();
                    }
                    None => next.error = Some(format!("cannot go back to {at}")),
                }
            }
            Action::SetLifeguard(on) => {
                next.config.lifeguard = if on { Lifeguard::ON } else { Lifeguard::OFF };
                let seed = next.sim.borrow().seed();
                next.restart(seed);
            }
            Action::StartScenario(id) => match SCENARIOS.iter().find(|s| s.id == id) {
                Some(scenario) => {
                    next.config = scenario.config();
                    next.size = scenario.nodes;
                    let seed = next.sim.borrow().seed();
                    next.restart(seed);
                    let mut run = ScenarioRun::new(scenario);
                    let now = next.sim.borrow().now();
                    run.advance_to(&mut next.sim.borrow_mut(), now);
                    next.scenario = Some(run);
                    next.paused = false;
                }
                None => next.error = Some(format!("no scenario {id:?}")),
            },
            Action::StopScenario => next.scenario = None,
            Action::OpenTrace(text) if is_recording(&text) => match Recording::parse(&text) {
                Ok(recording) => {
                    next.recording = Some(RecordingState::new(recording));
                    next.paused = true;
                    next.pace.forgive();
                    next.error = None;
                }
                Err(error) => next.error = Some(format!("cannot open the recording: {error}")),
            },
            Action::Recording(action) => {
                next.recording = next.recording.map(|shown| shown.apply(action));
            }
            Action::CloseRecording => next.recording = None,
            Action::OpenTrace(text) => {
                match read_trace(&text).and_then(|trace| LabState::replayed(trace, None)) {
                    Ok(mut opened) => {
                        opened.revision = next.revision;
                        return Rc::new(opened);
                    }
                    Err(error) => next.error = Some(error),
                }
            }
            Action::SetConfig(config) => {
                let in_force = next.sim.borrow().config().clone();
                let changes = live_changes(&in_force, &config);
                match changes {
                    // Only settings running nodes take on: the run goes on with them.
                    Some(changes) if !changes.is_empty() => {
                        match next.sim.borrow_mut().reconfigure(&changes) {
                            Ok(()) => next.config = *config,
                            Err(error) => next.error = Some(error.to_string()),
                        }
                    }
                    Some(_) => {}
                    None => {
                        next.config = *config;
                        let seed = next.sim.borrow().seed();
                        next.restart(seed);
                    }
                }
            }
            Action::SetSize(size) => {
                next.size = size.clamp(1, MAX_NODES);
                let seed = next.sim.borrow().seed();
                next.restart(seed);
            }
            Action::AddNode => {
                let mut sim = next.sim.borrow_mut();
                let name = next_node_name(&sim);
                let seed = sim.nodes().find(|n| n.is_up()).map(|n| n.id().to_string());
                let result = if sim.nodes().count() >= MAX_NODES {
                    Err(format!("the lab runs at most {MAX_NODES} nodes"))
                } else {
                    let seeds: Vec<&str> = seed.as_deref().into_iter().collect();
                    sim.add_node(&name, &seeds).map_err(|e| e.to_string())
                };
                drop(sim);
                next.error = result.err();
            }
            Action::RemoveNode(name) => {
                let result = next.sim.borrow_mut().remove_node(&name);
                next.selected.remove(&name);
                next.error = result.err().map(|e| e.to_string());
            }
            Action::Select(name) => {
                if !next.selected.remove(&name) {
                    next.selected.insert(name);
                }
            }
            Action::PickAll(names) => {
                let known: Vec<String> = {
                    let sim = next.sim.borrow();
                    names
                        .into_iter()
                        .filter(|n| sim.node(n).is_some())
                        .collect()
                };
                next.selected.extend(known);
            }
            Action::ClearSelection => next.selected.clear(),
            Action::Report(message) => next.error = Some(message),
            Action::CutOff => {
                let mut sim = next.sim.borrow_mut();
                let picked: Vec<&str> = next.selected.iter().map(String::as_str).collect();
                let rest: Vec<String> = sim
                    .nodes()
                    .map(|n| n.id().to_string())
                    .filter(|n| !next.selected.contains(n))
                    .collect();
                let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
                let result = if picked.is_empty() || rest.is_empty() {
                    Err("pick some nodes, not all, to cut off (shift-click them)".to_owned())
                } else {
                    sim.partition(&picked, &rest).map_err(|e| e.to_string())
                };
                drop(sim);
                next.error = result.err();
            }
            Action::CutOneWay => {
                let picked: Vec<&str> = next.selected.iter().map(String::as_str).collect();
                let result = match picked.as_slice() {
                    [from, to] => next
                        .sim
                        .borrow_mut()
                        .partition_oneway(&[from], &[to])
                        .map_err(|e| e.to_string()),
                    _ => Err("pick exactly two nodes for a one-way cut".to_owned()),
                };
                next.error = result.err();
            }
            Action::HealAll => {
                next.sim.borrow_mut().repair_all();
                next.error = None;
            }
            Action::HealCut { from, to } => {
                let result = next.sim.borrow_mut().repair(&[&from], &[&to]);
                next.error = result.err().map(|e| e.to_string());
            }
            Action::SetLink {
                loss,
                latency,
                jitter,
            } => {
                let picked: Vec<&str> = next.selected.iter().map(String::as_str).collect();
                let mut sim = next.sim.borrow_mut();
                let result = match picked.as_slice() {
                    [a, b] => {
                        let model = sim
                            .network()
                            .clone()
                            .with_loss(loss)
                            .with_latency(latency, jitter);
                        sim.set_link(&[a], &[b], Some(model))
                            .map_err(|e| e.to_string())
                    }
                    _ => Err("pick exactly two nodes to set the link between them".to_owned()),
                };
                drop(sim);
                next.error = result.err();
            }
            Action::ClearLink { a, b } => {
                let result = next.sim.borrow_mut().set_link(&[&a], &[&b], None);
                next.error = result.err().map(|e| e.to_string());
            }
            Action::SetNetwork {
                loss,
                latency,
                jitter,
            } => {
                let mut sim = next.sim.borrow_mut();
                let model = sim
                    .network()
                    .clone()
                    .with_loss(loss)
                    .with_latency(latency, jitter);
                sim.set_network(model);
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

    thread_local! {
        static SLOW_CLOCK: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
    }

    /// `trace` opened as a link or a file is: replayed over frames until it is shown.
    fn opened(trace: Trace, scenario: Option<String>) -> Rc<LabState> {
        prepared(Rc::new(LabState::replayed(trace, scenario).unwrap()))
    }

    /// `state` after the frames that finish what it prepares.
    fn prepared(mut state: Rc<LabState>) -> Rc<LabState> {
        let mut t = 0.0;
        while state.preparing.is_some() {
            t += 16.0;
            state = reduce(state, Action::Frame(t));
        }
        state
    }

    #[test]
    fn a_run_from_elsewhere_is_built_and_replayed_a_piece_each_frame_into_the_same_run() {
        // A converged cluster of 40 (built in pieces too), a crash, a write, a cut,
        // three simulated minutes.
        let mut source = new_simulation(21, lab_config(), 40);
        source.run_until(Instant::from_millis(20_000));
        source.crash("n7").unwrap();
        source.put("n2", "colour", "blue").unwrap();
        source.run_until(Instant::from_millis(95_000));
        source
            .partition(&["n3", "n4"], &["n1", "n2", "n5"])
            .unwrap();
        source.run_until(Instant::from_millis(180_000));
        let trace = source.trace();

        let mut state = LabState::replayed(trace.clone(), None).unwrap();
        state.wall_clock = slow_clock;
        let mut state = Rc::new(state);
        assert!(state.animating(), "frames come while it is opened");
        assert_eq!(state.sim.borrow().nodes().count(), 0, "an empty stand-in");
        let mut t = 16.0;
        state = reduce(state, Action::Frame(t));
        state = reduce(state, Action::ToggleNode("n1".into()));
        assert!(
            state
                .error
                .as_deref()
                .is_some_and(|e| e.contains("still being opened")),
            "what would act on the stand-in is refused: {:?}",
            state.error
        );
        let mut seen = Vec::new();
        while let Some(progress) = state.replay_progress() {
            seen.push(progress);
            t += 16.0;
            state = reduce(state, Action::Frame(t));
        }
        assert!(
            matches!(seen.first(), Some(ReplayProgress::Building { .. })),
            "{:?}",
            seen.first()
        );
        let replayed: Vec<f64> = seen
            .iter()
            .filter(|p| matches!(p, ReplayProgress::Running { .. }))
            .map(|p| p.share())
            .collect();
        assert!(
            replayed.len() > 10,
            "the replay in pieces, not in one go: {seen:?}"
        );
        assert!(
            replayed.windows(2).all(|w| w[0] <= w[1] && w[1] <= 1.0),
            "{replayed:?}"
        );
        assert!(state.preparing.is_none());

        assert_eq!(state.error, None, "the same build: no warning");
        assert!(state.paused, "paused at its end");
        let sim = state.sim.borrow();
        assert_eq!(sim.now(), trace.until);
        assert_eq!(sim.trace_digest(), trace.digest, "the same run");
        assert_eq!(sim.nodes().count(), 40);
        assert_eq!(state.size, 40);
        let in_one_go = trace.replay(Some(crate::cluster::HISTORY)).unwrap();
        assert_eq!(sim.consensus_tallies(), in_one_go.consensus_tallies());
        let timeline = state.timeline.borrow();
        assert_eq!(
            timeline.len(),
            91,
            "a snapshot every 2 s taken on the way, to rewind through"
        );
        assert!(
            state.series.borrow().samples().len() >= 100,
            "chart samples taken on the way"
        );
    }

    /// A machine where each look at the clock finds 5 ms gone.
    fn slow_clock() -> f64 {
        SLOW_CLOCK.with(|now| {
            now.set(now.get() + 5.0);
            now.get()
        })
    }

    #[test]
    fn a_frame_runs_no_longer_than_its_budget_and_the_page_says_it_falls_behind() {
        let mut state = LabState::with_size(4, 50);
        state.wall_clock = slow_clock;
        let mut state = Rc::new(state);
        state = reduce(state, Action::SetSpeed(100.0));
        let mut t = 0.0;
        state = reduce(state, Action::Frame(t));
        assert!(!state.falling_behind());
        let mut ran = Vec::new();
        for _ in 0..40 {
            let before = state.sim.borrow().now();
            t += 50.0;
            state = reduce(state, Action::Frame(t));
            ran.push(
                state
                    .sim
                    .borrow()
                    .now()
                    .saturating_since(before)
                    .as_millis(),
            );
        }
        // 5 s of simulated time owed per frame; the budget (8 ms, two looks at this
        // clock) lets two 10 ms slices run.
        assert!(ran.iter().all(|&ms| ms == 20), "{ran:?}");
        assert!(state.falling_behind(), "pace {:?}", state.pace);
        state = reduce(state, Action::TogglePause);
        assert!(!state.falling_behind(), "a paused page is not behind");
        let replayed = state.sim.borrow().trace().replay(None).unwrap();
        assert_eq!(
            replayed.trace_digest(),
            state.sim.borrow().trace_digest(),
            "a run cut short by the budget replays the same"
        );
    }

    /// A machine where the clock stands still: no frame ever runs out of budget.
    fn frozen_clock() -> f64 {
        0.0
    }

    fn with_clock(state: Rc<LabState>, wall_clock: fn() -> f64) -> Rc<LabState> {
        let mut state = Rc::try_unwrap(state).expect("one owner in a test");
        state.wall_clock = wall_clock;
        Rc::new(state)
    }

    fn simulated_ms(state: &LabState) -> u64 {
        state.sim.borrow().now().as_millis()
    }

    #[test]
    fn time_a_frame_gave_up_is_run_by_the_next_ones() {
        let mut state = with_clock(Rc::new(LabState::new(4)), slow_clock);
        state = reduce(state, Action::SetSpeed(1.0));
        state = reduce(state, Action::Frame(0.0));
        state = reduce(state, Action::Frame(100.0));
        assert_eq!(simulated_ms(&state), 20, "two slices within the budget");
        state = with_clock(state, frozen_clock);
        state = reduce(state, Action::Frame(116.0));
        assert_eq!(
            simulated_ms(&state),
            116,
            "the 80 ms given up, and this frame's 16"
        );
        state = reduce(state, Action::Frame(132.0));
        assert_eq!(simulated_ms(&state), 132, "nothing owed twice");

        // At 100x a slow machine owes far more than it runs; a quarter second of wall
        // time's worth is carried, no more.
        state = with_clock(state, slow_clock);
        state = reduce(state, Action::SetSpeed(100.0));
        let mut t = 132.0;
        for _ in 0..20 {
            t += 50.0;
            state = reduce(state, Action::Frame(t));
        }
        state = with_clock(state, frozen_clock);
        let before = simulated_ms(&state);
        t += 16.0;
        state = reduce(state, Action::Frame(t));
        assert_eq!(simulated_ms(&state) - before, 25_000 + 1_600);

        // Going back forgives what the run owed.
        state = with_clock(state, slow_clock);
        for _ in 0..5 {
            t += 50.0;
            state = reduce(state, Action::Frame(t));
        }
        state = reduce(state, Action::Rewind(0));
        assert_eq!(state.error, None);
        state = with_clock(state, frozen_clock);
        t += 16.0;
        state = reduce(state, Action::Frame(t));
        assert_eq!(simulated_ms(&state), 1_600);

        // A new speed forgives what was owed at the old one.
        state = with_clock(state, slow_clock);
        for _ in 0..5 {
            t += 50.0;
            state = reduce(state, Action::Frame(t));
        }
        state = reduce(state, Action::SetSpeed(1.0));
        state = with_clock(state, frozen_clock);
        let before = simulated_ms(&state);
        t += 16.0;
        state = reduce(state, Action::Frame(t));
        assert_eq!(simulated_ms(&state) - before, 16);
    }

    #[test]
    fn a_tab_shown_again_after_a_while_hidden_is_not_behind() {
        let mut state = Rc::new(LabState::new(2));
        state = reduce(state, Action::SetSpeed(1.0));
        let mut t = 0.0;
        for _ in 0..150 {
            state = reduce(state, Action::Frame(t));
            t += 16.0;
        }
        // Hidden for a minute: the browser drew no frame meanwhile.
        t += 60_000.0;
        for _ in 0..100 {
            state = reduce(state, Action::Frame(t));
            assert!(!state.falling_behind(), "pace {:?}", state.pace);
            t += 16.0;
        }
        // Frames two seconds apart are drawn, slowly: that is falling behind.
        for _ in 0..5 {
            t += 2_000.0;
            state = reduce(state, Action::Frame(t));
        }
        assert!(state.falling_behind(), "pace {:?}", state.pace);
    }

    #[test]
    fn a_machine_that_keeps_up_keeps_pace() {
        let mut state = Rc::new(LabState::new(2));
        state = reduce(state, Action::SetSpeed(1.0));
        let mut t = 0.0;
        for _ in 0..50 {
            state = reduce(state, Action::Frame(t));
            t += 16.0;
        }
        assert!(!state.falling_behind(), "pace {:?}", state.pace);
        assert_eq!(state.sim.borrow().now().as_millis(), 49 * 16);
        let mut slow = Rc::new(LabState::new(2));
        slow = reduce(slow, Action::SetSpeed(0.1));
        let mut t = 0.0;
        for _ in 0..200 {
            slow = reduce(slow, Action::Frame(t));
            t += 16.0;
        }
        assert!(
            !slow.falling_behind(),
            "0.1x runs a millisecond some frames and none others: {:?}",
            slow.pace
        );
    }

    #[test]
    fn frames_drawn_too_slowly_fall_behind_too() {
        let mut state = Rc::new(LabState::new(2));
        state = reduce(state, Action::SetSpeed(1.0));
        let mut t = 0.0;
        for _ in 0..30 {
            state = reduce(state, Action::Frame(t));
            t += 250.0; // four frames a second: each runs at most 100 ms
        }
        assert!(state.falling_behind(), "pace {:?}", state.pace);
    }

    #[test]
    fn the_keyboard_pins_one_datagram_in_flight_after_another() {
        let mut state = Rc::new(LabState::new(3));
        state = reduce(state, Action::SetSpeed(1.0));
        state = reduce(state, Action::Frame(0.0));
        state = reduce(state, Action::Frame(90.0));
        state = reduce(state, Action::TogglePause);
        let mut ids: Vec<u64> = state.sim.borrow().in_flight().map(|m| m.id).collect();
        ids.sort();
        assert!(ids.len() >= 2, "datagrams in flight: {ids:?}");
        let pinned = |state: &LabState| state.pinned.clone().unwrap_or_default();
        state = reduce(state, Action::PinNext);
        let first = state
            .sim
            .borrow()
            .in_flight()
            .find(|m| m.id == ids[0])
            .unwrap();
        assert!(
            pinned(&state).starts_with(&format!(
                "{} {} → {}",
                first.kind.as_str(),
                first.from,
                first.to
            )),
            "{}",
            pinned(&state)
        );
        state = reduce(state, Action::PinNext);
        let second = state
            .sim
            .borrow()
            .in_flight()
            .find(|m| m.id == ids[1])
            .unwrap();
        assert!(pinned(&state).starts_with(&format!(
            "{} {} → {}",
            second.kind.as_str(),
            second.from,
            second.to
        )));
        for _ in 2..ids.len() {
            state = reduce(state, Action::PinNext);
        }
        state = reduce(state, Action::PinNext);
        assert!(
            pinned(&state).starts_with(&format!("{} {}", first.kind.as_str(), first.from)),
            "round again"
        );
        state = reduce(state, Action::Pin(None));
        assert_eq!(state.pinned, None);
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

    /// On a clock of its own (each look finds 5 ms gone), so that how much a frame
    /// builds does not depend on how fast the machine is.
    #[test]
    fn a_large_cluster_is_built_a_piece_each_frame_then_runs_as_if_built_at_once() {
        let mut state = with_clock(Rc::new(LabState::new(3)), slow_clock);
        state = reduce(state, Action::TogglePause);
        state = reduce(state, Action::SetSize(BUILT_GRADUALLY_FROM));
        assert_eq!(
            state.sim.borrow().nodes().count(),
            0,
            "the old cluster is gone"
        );
        assert!(
            state.animating(),
            "frames come while it builds, paused or not"
        );
        let mut t = 16.0;
        state = reduce(state, Action::Frame(t));
        // What would act on the stand-in is refused; new settings start the building
        // again, and the cluster built has them.
        state = reduce(state, Action::ToggleNode("n1".into()));
        assert!(
            state
                .error
                .as_deref()
                .is_some_and(|e| e.contains("still being built")),
            "{:?}",
            state.error
        );
        let slower = Config {
            probe_interval: Duration::from_millis(1_500),
            ..lab_config()
        };
        state = reduce(state, Action::SetConfig(Box::new(slower.clone())));
        assert_eq!(
            state.building_progress().map(|(done, _)| done),
            Some(0),
            "started again"
        );
        let mut seen = Vec::new();
        while let Some(progress) = state.building_progress() {
            seen.push(progress);
            t += 16.0;
            state = reduce(state, Action::Frame(t));
        }
        let all = 2 * BUILT_GRADUALLY_FROM;
        assert!(seen.len() > 3, "in pieces: {seen:?}");
        assert!(
            seen.windows(2).all(|w| w[0].0 < w[1].0 && w[1].1 == all),
            "{seen:?}"
        );
        let sim = state.sim.borrow();
        assert_eq!(sim.nodes().count(), BUILT_GRADUALLY_FROM);
        assert_eq!(sim.config(), &slower);
        assert!(
            sim.nodes().all(|n| n.is_up()),
            "nothing was crashed meanwhile"
        );
        let at_once = new_simulation(3, slower, BUILT_GRADUALLY_FROM);
        assert_eq!(sim.trace_digest(), at_once.trace_digest());
        assert_eq!(sim.consensus_tallies(), at_once.consensus_tallies());
    }

    #[test]
    fn snapshots_shrink_with_the_cluster_and_stop_where_one_copy_would_not_fit() {
        assert_eq!(snapshots_for(5), SNAPSHOTS);
        assert!((4..SNAPSHOTS).contains(&snapshots_for(1_000)));
        assert_eq!(snapshots_for(3_000), 1);
        assert_eq!(snapshots_for(10_000), 0);
        let sim = new_simulation(1, lab_config(), 3);
        let mut none = Timeline::new(SNAPSHOT_EVERY, 0);
        none.observe(&sim);
        assert!(none.is_empty() && none.earliest().is_none());
        assert!(none.rewind(&sim, sim.now()).is_none());
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

    /// One click brings back a node that left, as it does one that crashed.
    #[test]
    fn a_click_starts_a_node_that_left_again() {
        let mut state = Rc::new(LabState::new(1));
        state = reduce(
            state,
            Action::Fault {
                node: "n2".into(),
                fault: NodeFault::Leave,
            },
        );
        state.sim.borrow_mut().run_for(Duration::from_secs(2));
        assert!(has_left(state.sim.borrow().node("n2").unwrap()));
        state = reduce(state, Action::ToggleNode("n2".into()));
        assert_eq!(state.error, None);
        let sim = state.sim.borrow();
        let n2 = sim.node("n2").unwrap();
        assert!(n2.is_up() && !has_left(n2), "{:?}", n2.node().status());
    }

    /// A user event sent from the panel reaches every running node once; one the core
    /// refuses is said beside the form, and the next that goes clears it.
    #[test]
    fn a_user_event_is_heard_by_every_node_and_a_refused_one_said() {
        let send = |name: &str| Action::SendUserEvent {
            node: "n2".into(),
            name: name.into(),
            payload: "v2".into(),
        };
        let mut state = Rc::new(LabState::new(1));
        state.sim.borrow_mut().run_for(Duration::from_secs(3));
        state = reduce(state, send("two\nlines"));
        assert!(
            state
                .event_error
                .as_deref()
                .unwrap()
                .contains("control or bidirectional formatting characters"),
            "{:?}",
            state.event_error
        );
        state = reduce(state, send("deploy"));
        assert_eq!(state.event_error, None);
        state.sim.borrow_mut().run_for(Duration::from_secs(10));
        let sim = state.sim.borrow();
        let mut heard: Vec<String> = sim
            .log()
            .filter(|entry| {
                matches!(&entry.event, gossip_core::Event::UserEvent { name, .. } if name == "deploy")
            })
            .map(|entry| entry.node.to_string())
            .collect();
        heard.sort();
        let all: Vec<String> = sim.nodes().map(|n| n.id().to_string()).collect();
        assert_eq!(heard, all, "once by each");
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
        assert!(state.store_error.as_deref().unwrap().contains("n3"));
        assert_eq!(state.error, None, "said beside the store, not with the run");
        state = reduce(state, Action::ToggleNode("n3".into()));
        assert_eq!(
            state.store_error, None,
            "n3 runs again: the refusal is past"
        );
        state = reduce(state, Action::ToggleNode("n3".into()));
        state = reduce(
            state,
            Action::Put {
                node: "n3".into(),
                key: "k".into(),
                value: "v".into(),
            },
        );
        assert!(state.store_error.is_some());
        state = reduce(
            state,
            Action::Put {
                node: "n1".into(),
                key: "k".into(),
                value: "v".into(),
            },
        );
        assert_eq!(state.store_error, None);
        state = reduce(
            state,
            Action::Delete {
                node: "n1".into(),
                key: "k".into(),
            },
        );
        assert_eq!(state.store_error, None);
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

    #[test]
    fn the_cluster_grows_shrinks_and_takes_new_nodes() {
        let mut state = Rc::new(LabState::new(5));
        state = reduce(state, Action::SetSize(50));
        assert_eq!(state.sim.borrow().nodes().count(), 50);
        assert_eq!(state.sim.borrow().seed(), 5, "the same seed");
        state = reduce(state, Action::AddNode);
        assert_eq!(state.error, None);
        assert!(
            state.sim.borrow().node("n51").is_some(),
            "named after the highest"
        );
        state = reduce(state, Action::RemoveNode("n7".into()));
        assert!(state.sim.borrow().node("n7").unwrap().is_removed());
    }

    #[test]
    fn picked_nodes_are_cut_off_both_ways_or_one_link_one_way_and_healed() {
        let cuts = |state: &LabState| -> Vec<(String, String)> {
            let sim = state.sim.borrow();
            let mut cuts: Vec<_> = sim
                .cut_links()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            cuts.sort();
            cuts
        };
        let mut state = Rc::new(LabState::new(9));
        state = reduce(state, Action::CutOff);
        assert!(state.error.is_some(), "nothing picked");
        state = reduce(state, Action::Select("n1".into()));
        state = reduce(state, Action::Select("n2".into()));
        state = reduce(state, Action::Select("n3".into()));
        state = reduce(state, Action::Select("n3".into()));
        assert_eq!(
            state.selected.iter().collect::<Vec<_>>(),
            ["n1", "n2"],
            "a second pick unpicks"
        );
        state = reduce(
            state,
            Action::PickAll(vec!["n3".into(), "n2".into(), "n99".into()]),
        );
        assert_eq!(
            state.selected.iter().collect::<Vec<_>>(),
            ["n1", "n2", "n3"],
            "a box adds the nodes in it, and only nodes there are"
        );
        state = reduce(state, Action::Select("n3".into()));
        state = reduce(state, Action::CutOff);
        assert_eq!(state.error, None);
        let all = cuts(&state);
        assert_eq!(all.len(), 2 * 2 * 3, "n1 and n2 from n3..n5, both ways");
        assert!(all.contains(&("n1".into(), "n4".into())));
        assert!(all.contains(&("n5".into(), "n2".into())));
        assert!(
            !all.contains(&("n1".into(), "n2".into())),
            "the picked keep their link"
        );
        state = reduce(state, Action::HealAll);
        assert!(cuts(&state).is_empty());
        state = reduce(state, Action::CutOneWay);
        assert_eq!(cuts(&state), [("n1".to_owned(), "n2".to_owned())]);
        state = reduce(state, Action::Select("n5".into()));
        state = reduce(state, Action::CutOneWay);
        assert!(state.error.is_some(), "three picked");
        let replayed = state.sim.borrow().trace().replay(None).unwrap();
        assert_eq!(
            replayed.trace_digest(),
            state.sim.borrow().trace_digest(),
            "cuts are commands that replay"
        );
    }

    #[test]
    fn cuts_heal_one_at_a_time_and_a_link_gets_its_own_model_all_replayed_and_shared() {
        let cuts = |state: &LabState| -> Vec<String> {
            crate::cluster::cut_list(&state.sim.borrow())
                .iter()
                .map(crate::cluster::CutEntry::label)
                .collect()
        };
        let pick_two = |mut state: Rc<LabState>, a: &str, b: &str| {
            state = reduce(state, Action::ClearSelection);
            state = reduce(state, Action::Select(a.into()));
            reduce(state, Action::Select(b.into()))
        };
        let mut state = Rc::new(LabState::new(13));
        state = reduce(state, Action::StepPeriod);
        state = pick_two(state, "n1", "n2");
        state = reduce(state, Action::CutOneWay);
        state = reduce(state, Action::StepPeriod);
        state = pick_two(state, "n3", "n4");
        state = reduce(state, Action::CutOneWay);
        state = pick_two(state, "n3", "n5");
        state = reduce(state, Action::CutOneWay);
        state
            .sim
            .borrow_mut()
            .partition_oneway(&["n5"], &["n3"])
            .unwrap();
        assert_eq!(cuts(&state), ["n1 → n2", "n3 → n4", "n3 ↔ n5"]);

        state = reduce(
            state,
            Action::HealCut {
                from: "n3".into(),
                to: "n4".into(),
            },
        );
        assert_eq!(cuts(&state), ["n1 → n2", "n3 ↔ n5"], "only that one healed");
        state = reduce(
            state,
            Action::HealCut {
                from: "n3".into(),
                to: "n5".into(),
            },
        );
        assert_eq!(cuts(&state), ["n1 → n2"], "both ways");
        state = reduce(state, Action::StepPeriod);

        state = pick_two(state, "n2", "n4");
        let lossy = Action::SetLink {
            loss: 1.0,
            latency: Duration::from_millis(40),
            jitter: Duration::from_millis(5),
        };
        state = reduce(state, lossy.clone());
        assert_eq!(state.error, None);
        {
            let sim = state.sim.borrow();
            let links = crate::cluster::own_links(&sim);
            assert_eq!(links.len(), 1);
            assert_eq!((links[0].0.as_str(), links[0].1.as_str()), ("n2", "n4"));
            assert_eq!(links[0].2.loss, 1.0);
            assert_eq!(links[0].2.latency, Duration::from_millis(40));
            assert_eq!(
                sim.network().loss,
                0.0,
                "the rest of the network is as it was"
            );
        }
        let indirect = |state: &LabState, name: &str| {
            state
                .sim
                .borrow()
                .node(name)
                .unwrap()
                .node()
                .stats()
                .indirect_probes
        };
        let before = (indirect(&state, "n2"), indirect(&state, "n4"));
        for _ in 0..10 {
            state = reduce(state, Action::StepPeriod);
        }
        assert!(
            indirect(&state, "n2") > before.0 && indirect(&state, "n4") > before.1,
            "each probes the other through witnesses: {before:?}"
        );
        state = reduce(
            state,
            Action::ClearLink {
                a: "n4".into(),
                b: "n2".into(),
            },
        );
        assert!(crate::cluster::own_links(&state.sim.borrow()).is_empty());
        state = reduce(state, Action::StepPeriod);
        state = pick_two(state, "n1", "n2");
        state = reduce(state, Action::Select("n3".into()));
        state = reduce(state, lossy);
        assert!(state.error.is_some(), "three picked");

        let sim = state.sim.borrow();
        let replayed = sim.trace().replay(None).unwrap();
        assert_eq!(replayed.trace_digest(), sim.trace_digest(), "they replay");
        let link = crate::share::decode(&crate::share::fragment(&sim, None))
            .unwrap()
            .unwrap();
        let opened = opened(link.trace, None);
        assert_eq!(opened.error, None);
        assert_eq!(
            opened.sim.borrow().trace_digest(),
            sim.trace_digest(),
            "and share"
        );
        assert_eq!(crate::cluster::cut_list(&opened.sim.borrow()).len(), 1);
    }

    #[test]
    fn the_network_model_changes_as_a_command() {
        let mut state = Rc::new(LabState::new(4));
        state = reduce(
            state,
            Action::SetNetwork {
                loss: 0.2,
                latency: Duration::from_millis(300),
                jitter: Duration::from_millis(50),
            },
        );
        let sim = state.sim.borrow();
        assert_eq!(sim.network().loss, 0.2);
        assert_eq!(sim.network().latency, Duration::from_millis(300));
        assert_eq!(sim.network().jitter, Duration::from_millis(50));
        assert!(matches!(
            sim.commands().last(),
            Some((_, gossip_sim::Command::SetNetwork(_)))
        ));
    }

    #[test]
    fn settings_running_nodes_take_on_apply_at_once_and_the_others_rebuild() {
        let mut state = Rc::new(LabState::new(8));
        state = reduce(state, Action::Frame(0.0));
        state = reduce(state, Action::Frame(100.0));
        let live = Config {
            suspicion_timeout: Duration::from_secs(30),
            ..lab_config()
        };
        state = reduce(state, Action::SetConfig(Box::new(live.clone())));
        assert_eq!(state.config, live);
        assert_eq!(state.error, None);
        {
            let sim = state.sim.borrow();
            assert_eq!(sim.now().as_millis(), 100, "the same run goes on");
            assert!(
                sim.nodes()
                    .all(|n| n.node().config().suspicion_timeout == Duration::from_secs(30))
            );
            let replayed = sim.trace().replay(None).unwrap();
            assert_eq!(replayed.trace_digest(), sim.trace_digest(), "and replays");
        }
        let rebuilt = Config {
            mtu: live.mtu + 100,
            ..live.clone()
        };
        state = reduce(state, Action::SetConfig(Box::new(rebuilt.clone())));
        assert_eq!(state.config, rebuilt);
        let sim = state.sim.borrow();
        assert_eq!(sim.now().as_millis(), 0, "a fresh run");
        assert_eq!(sim.seed(), 8);
        assert_eq!(sim.config(), &rebuilt);
    }

    #[test]
    fn a_trace_file_opens_as_the_same_run_and_can_be_scrubbed_back() {
        let mut sim = new_simulation(6, lab_config(), 6);
        sim.run_for(Duration::from_secs(5));
        sim.crash("n2").unwrap();
        sim.run_for(Duration::from_secs(20));
        let trace = sim.trace();
        let text = serde_json::to_string(&trace).unwrap();
        let mut state = Rc::new(LabState::new(1));
        state = prepared(reduce(state, Action::OpenTrace(text)));
        assert_eq!(state.error, None);
        assert!(state.paused);
        assert_eq!(state.size, 6);
        assert_eq!(state.sim.borrow().trace_digest(), trace.digest);
        assert_eq!(
            state.timeline.borrow().earliest(),
            Some(Instant::ZERO),
            "back to the start"
        );
        state = reduce(state, Action::Rewind(3_000));
        assert!(
            state.sim.borrow().node("n2").unwrap().is_up(),
            "before the crash"
        );

        let mut other_build = trace.clone();
        other_build.digest ^= 1;
        let text = serde_json::to_string(&other_build).unwrap();
        state = prepared(reduce(state, Action::OpenTrace(text)));
        assert!(state.error.as_deref().unwrap().contains("another build"));
        assert_eq!(state.sim.borrow().now(), trace.until, "opened all the same");
        state = reduce(state, Action::OpenTrace("not json".into()));
        assert!(state.error.as_deref().unwrap().contains("not a trace"));
    }

    #[test]
    fn a_recording_opens_in_front_of_the_run_and_a_broken_one_loses_nothing() {
        let header = r#"{"recording":1,"started_unix_ms":0,"nodes":[{"name":"n1","udp":"127.0.0.1:7946","http":"127.0.0.1:9001"}],"preset":"demo"}"#;
        let line = r#"{"type":"gap","at_ms":500,"node":"n1","missed":2}"#;
        let mut state = Rc::new(LabState::new(5));
        state = reduce(state, Action::Frame(0.0));
        state = reduce(state, Action::Frame(80.0));
        let (run, now) = (Rc::clone(&state.sim), state.sim.borrow().now());

        state = reduce(
            state,
            Action::OpenTrace(format!("{header}\n{line}\n{{\"type\"\n")),
        );
        assert_eq!(
            state.error.as_deref(),
            Some(
                "cannot open the recording: line 3 is not a recorded line: EOF while parsing an object (column 7)"
            )
        );
        assert!(state.recording.is_none());
        assert!(Rc::ptr_eq(&state.sim, &run), "the run stays");

        state = reduce(state, Action::OpenTrace(format!("{header}\n{line}\n")));
        assert_eq!(state.error, None);
        assert!(state.paused, "the run waits behind the recording");
        assert_eq!(state.recording.as_ref().unwrap().recording.end_ms(), 500);
        state = reduce(state, Action::StepEvent);
        assert_eq!(
            state.recording.as_ref().unwrap().at_ms,
            500,
            "→ steps the recording"
        );
        state = reduce(state, Action::Back(Duration::from_secs(10)));
        assert_eq!(state.recording.as_ref().unwrap().at_ms, 0);
        state = reduce(state, Action::TogglePause);
        assert!(state.recording.as_ref().unwrap().playing, "Space plays it");
        assert!(state.paused);
        state = reduce(state, Action::Frame(200.0));
        assert_eq!(
            state.sim.borrow().now(),
            now,
            "the run does not move meanwhile"
        );

        state = reduce(state, Action::CloseRecording);
        assert!(state.recording.is_none());
        assert!(Rc::ptr_eq(&state.sim, &run), "back to the same run");
    }

    #[test]
    fn a_scenario_runs_its_script_ticks_its_checkpoints_and_rewinds() {
        let mut state = Rc::new(LabState::new(2));
        state = reduce(state, Action::StartScenario("java-kill-restart"));
        assert_eq!(state.sim.borrow().nodes().count(), 3);
        state = reduce(state, Action::SetSpeed(8.0));
        let mut t = 0.0;
        while !state.scenario.as_ref().unwrap().finished() && t < 60_000.0 {
            t += 50.0;
            state = reduce(state, Action::Frame(t));
        }
        let run = state.scenario.clone().unwrap();
        assert!(run.finished(), "reached {:?}", run.reached);
        let crashed = state
            .sim
            .borrow()
            .commands()
            .iter()
            .any(|(_, c)| *c == gossip_sim::Command::Crash("n3".into()));
        assert!(crashed, "the script's steps are commands");
        state = reduce(state, Action::Rewind(5_000));
        let run = state.scenario.clone().unwrap();
        assert!(run.reached.iter().all(|at| at.as_millis() <= 5_000));
        assert!(!run.finished());
        state = reduce(state, Action::StopScenario);
        assert_eq!(state.scenario, None);
    }

    #[test]
    fn stepping_pauses_and_moves_by_one_event_or_one_period() {
        let mut state = Rc::new(LabState::new(3));
        state = reduce(state, Action::StepPeriod);
        assert!(state.paused);
        assert_eq!(
            state.sim.borrow().now().as_millis(),
            1_000,
            "one demo period"
        );
        let before = state.sim.borrow().trace_digest();
        state = reduce(state, Action::StepEvent);
        assert_ne!(state.sim.borrow().trace_digest(), before, "one more event");
        assert!(state.sim.borrow().now().as_millis() >= 1_000);
        for _ in 0..20 {
            state = reduce(state, Action::StepPeriod);
        }
        state = reduce(state, Action::Back(Duration::from_secs(10)));
        let now = state.sim.borrow().now().as_millis();
        assert!((10_000..=12_000).contains(&now), "back 10 s: {now}");
        state = reduce(state, Action::ToggleHelp);
        assert!(state.help);
        state = reduce(state, Action::HideHelp);
        assert!(!state.help);
    }

    #[test]
    fn a_link_made_after_stepping_replays_to_the_same_digest() {
        let mut state = Rc::new(LabState::new(12));
        state = reduce(state, Action::StartScenario("failure-detection"));
        for _ in 0..7 {
            state = reduce(state, Action::StepPeriod);
        }
        for _ in 0..5 {
            state = reduce(state, Action::StepEvent);
        }
        let fragment = crate::share::fragment(&state.sim.borrow(), Some("failure-detection"));
        let link = crate::share::decode(&fragment).unwrap().unwrap();
        let opened = opened(link.trace, link.scenario);
        assert_eq!(opened.error, None, "the digests agree");
        assert!(opened.scenario.is_some(), "the scenario taken up");
        assert_eq!(
            opened.sim.borrow().trace_digest(),
            state.sim.borrow().trace_digest()
        );
    }
}
