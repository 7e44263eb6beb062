//! Cluster metrics over time, for drawing: traffic by message kind, how many members
//! each node believes alive, and how far each key has spread.

use std::collections::{BTreeMap, VecDeque};

use super::Simulation;
use gossip_core::wire::MessageKind;
use gossip_core::{Duration, Instant, MemberState, NodeStatus};

/// One sample of the cluster, taken at `at`, covering the interval since the last one.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub at: Instant,
    /// Datagrams sent per simulated second over the interval, by kind (indexed like
    /// [`MessageKind::ALL`]).
    pub messages_per_sec: [f64; MessageKind::ALL.len()],
    /// Bytes sent per simulated second over the interval, by kind (indexed the same).
    pub bytes_per_sec: [f64; MessageKind::ALL.len()],
    /// Per node, in the simulation's order: how many members (itself included) it
    /// believes alive, or `None` when it is down.
    pub alive_in_view: Vec<Option<usize>>,
    /// Per key held anywhere: the fraction of running, joined nodes holding a value
    /// for it (a deleted key counts as not held).
    pub key_coverage: BTreeMap<String, f64>,
    /// Whether every running member's view matched the truth and all stores agreed.
    pub converged: bool,
}

impl Sample {
    /// Bytes sent per simulated second, all kinds together.
    pub fn total_bytes_per_sec(&self) -> f64 {
        self.bytes_per_sec.iter().sum()
    }
}

/// The traffic counters when the last sample was taken.
#[derive(Clone, Debug)]
struct Baseline {
    at: Instant,
    sent_by_kind: [u64; MessageKind::ALL.len()],
    bytes_by_kind: [u64; MessageKind::ALL.len()],
}

/// Samples of one simulation at a fixed simulated interval, the latest `limit` kept.
/// A sample compares every view with the truth, O(n²): meant for clusters the size of
/// the lab's, sampled every simulated second or so.
#[derive(Clone, Debug)]
pub struct MetricsSeries {
    every: Duration,
    limit: usize,
    samples: VecDeque<Sample>,
    /// When the last sample was taken and the traffic counters then.
    baseline: Option<Baseline>,
}

impl MetricsSeries {
    pub fn new(every: Duration, limit: usize) -> MetricsSeries {
        MetricsSeries {
            every: every.max(Duration::from_millis(1)),
            limit: limit.max(1),
            samples: VecDeque::new(),
            baseline: None,
        }
    }

    /// Call whenever `sim` has moved on: takes a sample once `every` has passed since
    /// the last one (the first call only sets the baseline).
    pub fn observe(&mut self, sim: &Simulation) {
        let metrics = sim.metrics();
        let now = sim.now();
        let baseline = Baseline {
            at: now,
            sent_by_kind: metrics.sent_by_kind,
            bytes_by_kind: metrics.bytes_by_kind,
        };
        // The first call only sets the baseline; later ones sample once `every` passed.
        let Some(last) = self.baseline.take_if(|last| now >= last.at + self.every) else {
            self.baseline.get_or_insert(baseline);
            return;
        };
        let seconds = now.saturating_since(last.at).as_millis() as f64 / 1000.0;
        let rates = |now: &[u64; MessageKind::ALL.len()], then: &[u64; MessageKind::ALL.len()]| {
            core::array::from_fn(|i| now[i].saturating_sub(then[i]) as f64 / seconds)
        };
        self.samples.push_back(Sample {
            at: now,
            messages_per_sec: rates(&metrics.sent_by_kind, &last.sent_by_kind),
            bytes_per_sec: rates(&metrics.bytes_by_kind, &last.bytes_by_kind),
            alive_in_view: alive_in_view(sim),
            key_coverage: key_coverage(sim),
            converged: sim.membership_is_accurate() && sim.stores_agree(),
        });
        if self.samples.len() > self.limit {
            self.samples.pop_front();
        }
        self.baseline = Some(baseline);
    }

    /// The samples, oldest first.
    pub fn samples(&self) -> impl DoubleEndedIterator<Item = &Sample> + ExactSizeIterator {
        self.samples.iter()
    }

    /// Since when the cluster has been converged without a break, if it is now:
    /// with the time the last fault took to heal, this is the convergence time.
    pub fn converged_since(&self) -> Option<Instant> {
        let mut since = None;
        for sample in self.samples.iter().rev() {
            if !sample.converged {
                break;
            }
            since = Some(sample.at);
        }
        since
    }

    /// Forgets the samples after `at` and starts a new baseline: for when the
    /// simulation was rewound to `at`.
    pub fn rewind(&mut self, at: Instant) {
        while self.samples.back().is_some_and(|s| s.at > at) {
            self.samples.pop_back();
        }
        self.baseline = None;
    }
}

fn alive_in_view(sim: &Simulation) -> Vec<Option<usize>> {
    sim.nodes()
        .map(|n| {
            n.is_up().then(|| {
                let others = n.node().member_counts()[MemberState::Alive as usize];
                let itself = usize::from(n.node().status() != NodeStatus::Left);
                others + itself
            })
        })
        .collect()
}

fn key_coverage(sim: &Simulation) -> BTreeMap<String, f64> {
    let holders: Vec<_> = sim
        .nodes()
        .filter(|n| n.is_up() && n.node().status() == NodeStatus::Joined)
        .map(|n| n.node().store())
        .collect();
    let mut coverage: BTreeMap<String, f64> = BTreeMap::new();
    for store in &holders {
        for (key, _) in store.iter() {
            coverage.entry(key.to_owned()).or_default();
        }
    }
    for (key, fraction) in coverage.iter_mut() {
        let holding = holders.iter().filter(|s| s.get(key).is_some()).count();
        *fraction = holding as f64 / holders.len().max(1) as f64;
    }
    coverage
}
