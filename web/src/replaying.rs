//! A run from elsewhere (a shared link, a trace file) made ready a piece at a time: its
//! cluster built, then its commands replayed to its end, with the lab's rewind
//! snapshots and chart samples taken on the way. Done in one go, a long run or a large
//! cluster left the page frozen for as long as the replay took, seconds to minutes.

use gossip_core::{Duration, Instant};
use gossip_sim::{Building, MetricsSeries, Simulation, Timeline, Trace};

use crate::cluster::HISTORY;
use crate::share::check_limits;
use crate::state::{BUILD_STEP, series_of, timeline_of};

/// How much simulated time one piece replays: short enough that a piece of a 10,000
/// member run stays within a frame or two (the frame's budget is looked at between
/// pieces). The rewind snapshots and chart samples are taken between pieces, as the
/// running lab takes them between frames.
const PIECE: Duration = Duration::from_millis(50);

/// A run being replayed ([`Replay::new`]), a piece per [`Replay::make`]: first its
/// cluster is built, then its commands are given at their times.
#[derive(Debug)]
pub struct Replay {
    trace: Trace,
    /// The cluster, until it is built.
    building: Option<Building>,
    /// The run as far as it has been replayed, once the cluster is built.
    run: Option<Box<Replayed>>,
}

/// The run as far as it has been replayed, with what the lab keeps beside it.
#[derive(Debug)]
pub struct Replayed {
    pub sim: Simulation,
    pub timeline: Timeline,
    pub series: MetricsSeries,
    /// How many of the trace's commands have been given.
    given: usize,
    /// Set by [`Replay::finished`] when the run's digest differs from the trace's: the
    /// trace was recorded by another build, which the person is told.
    pub mismatch: Option<String>,
}

/// How far a [`Replay`] got.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ReplayProgress {
    /// Building the cluster: steps done, of all.
    Building { done: usize, all: usize },
    /// Replaying: simulated time reached, of the time the run ends at.
    Running { now: Instant, until: Instant },
}

impl ReplayProgress {
    /// The share done so far, 0 to 1.
    pub fn share(self) -> f64 {
        let (done, all) = match self {
            ReplayProgress::Building { done, all } => (done as f64, all as f64),
            ReplayProgress::Running { now, until } => {
                (now.as_millis() as f64, until.as_millis() as f64)
            }
        };
        if all > 0.0 {
            (done / all).min(1.0)
        } else {
            1.0
        }
    }
}

impl Replay {
    /// A replay of `trace`, checked against the page's limits (it comes from anywhere)
    /// and against its configuration; nothing is built yet.
    pub fn new(trace: Trace) -> Result<Replay, String> {
        check_limits(&trace)?;
        // The lab's own history length, whatever the file says: it changes nothing
        // about the run, and a chaos trace (recorded without history) shows its events.
        let mut building = trace
            .setup
            .builder()
            .and_then(|builder| builder.history_limit(HISTORY).build_gradually())
            .map_err(|e| e.to_string())?;
        building.keep_census();
        Ok(Replay {
            trace,
            building: Some(building),
            run: None,
        })
    }

    /// The run's trace.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Does one more piece: a few nodes of the build, one command, or [`PIECE`] of
    /// simulated time. Returns whether the run is at the trace's end.
    pub fn make(&mut self) -> Result<bool, String> {
        if let Some(building) = &mut self.building
            && !building.make(BUILD_STEP).map_err(|e| e.to_string())?
        {
            return Ok(false);
        }
        if let Some(built) = self.building.take() {
            let sim = built.finish().map_err(|e| e.to_string())?;
            self.run = Some(Box::new(Replayed {
                timeline: timeline_of(&sim),
                series: series_of(&sim),
                sim,
                given: 0,
                mismatch: None,
            }));
            return Ok(false);
        }
        match &mut self.run {
            Some(run) => Ok(run.replay_piece(&self.trace)),
            None => Err("the run's cluster could not be built".to_owned()),
        }
    }

    /// How far it got.
    pub fn progress(&self) -> ReplayProgress {
        match (&self.building, &self.run) {
            (Some(building), _) => {
                let (done, all) = building.progress();
                ReplayProgress::Building { done, all }
            }
            (None, Some(run)) => ReplayProgress::Running {
                now: run.sim.now(),
                until: self.trace.until,
            },
            (None, None) => ReplayProgress::Building { done: 0, all: 0 },
        }
    }

    /// The replayed run, once [`Replay::make`] said it is at the trace's end.
    pub fn finished(self) -> Option<Replayed> {
        let mut run = *self.run?;
        let trace = &self.trace;
        if run.given < trace.commands.len() || run.sim.now() < trace.until {
            return None;
        }
        let digest = run.sim.trace_digest();
        run.mismatch = (trace.digest != 0 && trace.digest != digest).then(|| {
            format!(
                "this trace was recorded by another build: its replay differs (run {digest:016x}, the file says {:016x})",
                trace.digest
            )
        });
        Some(run)
    }
}

impl Replayed {
    /// Runs up to the next command ([`PIECE`] at most), or gives it; returns whether
    /// the run is at the trace's end.
    fn replay_piece(&mut self, trace: &Trace) -> bool {
        let next = trace.commands.get(self.given);
        let to = next.map_or(trace.until, |(at, _)| *at);
        if self.sim.now() < to {
            self.sim.run_until((self.sim.now() + PIECE).min(to));
            self.timeline.observe(&self.sim);
            self.series.observe(&self.sim);
            return false;
        }
        match next {
            Some((_, command)) => {
                // A command that failed when it was given fails again, harmlessly.
                let _ = self.sim.apply(command);
                self.given += 1;
                false
            }
            None => true,
        }
    }
}
