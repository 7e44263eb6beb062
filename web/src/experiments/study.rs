//! The experiments of the lab's Experiments tab, and the messages between the page and
//! the Web Worker that runs them, so the page's own thread (and the simulated cluster
//! it animates) never waits for an experiment.
//!
//! Both sides compile this file: the page (`main.rs`) and the worker
//! (`src/bin/experiments_worker/`, which includes it by path and so stays free of
//! Yew; its `runner.rs` runs the plans). Messages cross as plain JavaScript objects
//! through serde-wasm-bindgen.
//!
//! Each experiment is `gossip sim`'s, run the same way: point by point (a cluster size,
//! a `k`, Lifeguard off or on), `runs` runs per point seeded
//! `seed_of_run(seed, i)`, added up by `gossip_sim::summary`. A point of the page
//! and the matching `gossip sim` command (lan preset) give the same figures.
//!
//! ```text
//! page                              worker
//!  |          (worker starts)         |
//!  | <------------ Ready ------------ |
//!  | --------- Request{id, plan} ---> |
//!  | <------ Progress{id, ...} ------ |   after every run
//!  | <------ Point{id, index, ..} --- |   after every point
//!  | <-------- Finished{id} --------- |   or Failed{id, error}
//! ```
//! Cancelling terminates the worker; the page starts a fresh one.

use gossip_core::{Cooling, GossipMode, RumorAccounting};
use gossip_sim::summary::{
    CompletionSummary, DetectionSummary, FalsePositiveSummary, RumorSummary,
};
use serde::{Deserialize, Serialize};

/// One experiment and what it sweeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Study {
    /// A member crashes; periods until it is first suspected and until all hold it
    /// dead, against cluster size (`gossip sim detection`).
    Detection { sizes: Vec<u32> },
    /// A member joins; periods until all hold it alive, against cluster size
    /// (`gossip sim dissemination`).
    Dissemination { sizes: Vec<u32> },
    /// No crash, a `slow` fraction of members handling datagrams `slow_lag_ms` late:
    /// wrong suspicions and deaths with Lifeguard off, then on
    /// (`gossip sim false-positives`).
    FalsePositives {
        nodes: u32,
        slow: f64,
        slow_lag_ms: u64,
        duration_secs: u64,
        loss: f64,
    },
    /// Demers' rumor model for one variant, against `k` (`gossip sim rumor`).
    Rumor {
        nodes: u32,
        ks: Vec<u32>,
        mode: GossipMode,
        cooling: Cooling,
        accounting: RumorAccounting,
    },
    /// Anti-entropy alone in each of its three modes, against cluster size
    /// (`gossip sim anti-entropy`).
    AntiEntropy { sizes: Vec<u32> },
}

/// A study with its runs per point and first seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub study: Study,
    pub runs: u32,
    pub seed: u64,
}

/// Which line of a plot a point belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Series {
    /// The study's only line.
    Only,
    /// Lifeguard off or on.
    Lifeguard(bool),
    /// One anti-entropy mode.
    AntiEntropy(GossipMode),
}

/// What one point's runs add up to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Summary {
    Detection(DetectionSummary),
    /// Dissemination (periods) and anti-entropy (cycles).
    Completion(CompletionSummary),
    FalsePositives(FalsePositiveSummary),
    Rumor(RumorSummary),
}

/// One point of a study: its x (cluster size, or `k`), its line, its summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: u32,
    pub series: Series,
    pub summary: Summary,
}

/// The page's one message to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Names this run in every reply, so the page can tell a stale reply.
    pub id: u32,
    pub plan: Plan,
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// The worker's code has loaded; requests sent from now on are heard.
    Ready,
    /// `done` of `total` runs are finished; the current point is `point` of `points`.
    Progress {
        id: u32,
        done: u32,
        total: u32,
        point: usize,
        points: usize,
    },
    /// Point `index` (in [`Plan::points`] order) is finished.
    Point {
        id: u32,
        index: usize,
        point: Point,
    },
    Finished {
        id: u32,
    },
    Failed {
        id: u32,
        error: String,
    },
}

impl Plan {
    /// The points in the order they run: x and line.
    pub fn points(&self) -> Vec<(u32, Series)> {
        match &self.study {
            Study::Detection { sizes } | Study::Dissemination { sizes } => {
                sizes.iter().map(|&n| (n, Series::Only)).collect()
            }
            Study::FalsePositives { nodes, .. } => [false, true]
                .iter()
                .map(|&on| (*nodes, Series::Lifeguard(on)))
                .collect(),
            Study::Rumor { ks, .. } => ks.iter().map(|&k| (k, Series::Only)).collect(),
            Study::AntiEntropy { sizes } => {
                [GossipMode::Push, GossipMode::Pull, GossipMode::PushPull]
                    .iter()
                    .flat_map(|&mode| sizes.iter().map(move |&n| (n, Series::AntiEntropy(mode))))
                    .collect()
            }
        }
    }

    /// Runs in the whole plan.
    pub fn total_runs(&self) -> u32 {
        (self.points().len() as u32).saturating_mul(self.runs)
    }
}

/// A message as a JavaScript value for `postMessage`. 64-bit numbers cross as BigInt,
/// so a seed above 2^53 arrives exactly; serde-wasm-bindgen reads them back on the
/// other side.
pub fn to_js<T: Serialize>(value: &T) -> Result<wasm_bindgen::JsValue, String> {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_large_number_types_as_bigints(true);
    value
        .serialize(&serializer)
        .map_err(|error| error.to_string())
}
