//! Jumping back in a running simulation.
//!
//! A [`Timeline`] keeps a snapshot (a clone) of the simulation every so often. To go
//! back to time `t`, it takes the latest snapshot no later than `t`, gives it the
//! commands the simulation received after that snapshot up to `t`, and runs it forward
//! to `t`: since a run is a pure function of its seed and commands, that is exactly the
//! simulation as it was at `t`. From there a new future can be forked, so the
//! snapshots after `t` are forgotten.

use std::collections::VecDeque;

use super::Simulation;
use gossip_core::{Duration, Instant};

/// Snapshots of one simulation at regular simulated intervals.
#[derive(Clone, Debug)]
pub struct Timeline {
    every: Duration,
    limit: usize,
    /// Oldest first.
    snapshots: VecDeque<Simulation>,
}

impl Timeline {
    /// Keeps a snapshot every `every` of simulated time, at most `limit` of them (the
    /// oldest go first), so the reach back is about `every * limit`. A limit of 0 keeps
    /// none, for a simulation too large to copy: it cannot be rewound.
    pub fn new(every: Duration, limit: usize) -> Timeline {
        Timeline {
            every: every.max(Duration::from_millis(1)),
            limit,
            snapshots: VecDeque::new(),
        }
    }

    /// How many snapshots it keeps at most: 0 when it keeps none.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Call whenever `sim` has moved on: takes a snapshot if the last one is `every` or
    /// more behind (or there is none yet).
    pub fn observe(&mut self, sim: &Simulation) {
        let due = self.limit > 0
            && self
                .snapshots
                .back()
                .is_none_or(|last| sim.now() >= last.now() + self.every);
        if due {
            self.snapshots.push_back(sim.clone());
            if self.snapshots.len() > self.limit {
                self.snapshots.pop_front();
            }
        }
    }

    /// How far back [`Timeline::rewind`] can go.
    pub fn earliest(&self) -> Option<Instant> {
        self.snapshots.front().map(Simulation::now)
    }

    /// How many snapshots are kept.
    pub fn len(&self) -> usize {
        self.snapshots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.snapshots.is_empty()
    }

    /// `current` as it was at `at`, rebuilt from the latest snapshot no later than
    /// `at` plus the commands `current` received since that snapshot. Forgets the
    /// snapshots after `at`. `None` when `at` is before the earliest snapshot or after
    /// `current`'s present, or `current` is not the simulation the snapshots came from.
    pub fn rewind(&mut self, current: &Simulation, at: Instant) -> Option<Simulation> {
        if at > current.now() {
            return None;
        }
        let index = self.snapshots.iter().rposition(|s| s.now() <= at)?;
        let snapshot = &self.snapshots[index];
        let given = snapshot.commands().len();
        let same_run = snapshot.seed() == current.seed()
            && current.commands().get(..given) == Some(snapshot.commands());
        if !same_run {
            return None;
        }
        let mut past = snapshot.clone();
        for (when, command) in &current.commands()[given..] {
            if *when > at {
                break;
            }
            if *when > past.now() {
                past.run_until(*when);
            }
            // A command that failed when it was given fails again, harmlessly.
            let _ = past.apply(command);
        }
        past.run_until(at);
        self.snapshots.truncate(index + 1);
        Some(past)
    }
}
