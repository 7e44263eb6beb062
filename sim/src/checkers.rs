//! Invariant checkers any run can ask, from tests, the CLI or the lab. Each returns the
//! violations it finds now, with the ground truth that makes them violations.
//!
//! * completeness (SWIM section 2): every member down for longer than the bound is held
//!   dead (or already forgotten) by every running member;
//! * accuracy: no running member that others can reach is held dead, with the cause
//!   when loss, slowness or a pause explains it;
//! * convergence: every running member agrees on membership and store contents (ask
//!   after the last fault healed and a quiet period);
//! * durability: every write made through the simulation whose writer is still running
//!   is held (or superseded) by every running member (joined and not left).

use core::fmt;

use super::{SimNode, Simulation};
use gossip_core::{Duration, MemberState, NodeStatus};

/// Which invariant a violation breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Checker {
    Completeness,
    Accuracy,
    Convergence,
    Durability,
}

impl Checker {
    pub fn as_str(self) -> &'static str {
        match self {
            Checker::Completeness => "completeness",
            Checker::Accuracy => "accuracy",
            Checker::Convergence => "convergence",
            Checker::Durability => "durability",
        }
    }
}

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub checker: Checker,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.checker.as_str(), self.detail)
    }
}

impl Simulation {
    /// How long a crash may go unnoticed: the longest suspicion, plus enough periods
    /// for someone to probe the crashed member (round-robin: within 2n - 1 periods for
    /// each prober, far sooner for the first of n) and for the verdict to spread.
    pub fn completeness_bound(&self) -> Duration {
        let config = self.config();
        let longest_suspicion = if config.lifeguard.dynamic_suspicion {
            config.suspicion_timeout * config.suspicion_max_timeout_mult
        } else {
            config.suspicion_timeout
        };
        let n = self.nodes().count().max(2) as f64;
        let periods = 10 + 4 * n.log2().ceil() as u32;
        longest_suspicion + config.probe_interval * periods
    }

    /// Completeness: members down for longer than `bound` must be dead (or gone) in
    /// every running member's view.
    pub fn check_completeness(&self, bound: Duration) -> Vec<Violation> {
        let now = self.now();
        let census = self.census();
        let mut violations = Vec::new();
        let long_down = self.nodes().enumerate().filter(|(_, n)| {
            n.down_since()
                .is_some_and(|at| now.saturating_since(at) > bound)
        });
        for (subject, down) in long_down {
            // With a census, a member no one holds alive or suspect needs no look.
            let tally = census.as_ref().map(|c| c.tally(subject));
            if tally.is_some_and(|t| {
                t[MemberState::Alive as usize] + t[MemberState::Suspect as usize] == 0
            }) {
                continue;
            }
            let observers = self
                .nodes()
                .enumerate()
                .filter(|(_, n)| n.is_up() && n.node().status() == NodeStatus::Joined);
            for (o, observer) in observers {
                let belief = match &census {
                    Some(census) => census.belief(o, subject),
                    None => observer.node().member_state(down.id()),
                };
                if matches!(belief, Some(MemberState::Alive | MemberState::Suspect)) {
                    violations.push(Violation {
                        checker: Checker::Completeness,
                        detail: format!(
                            "{} still holds {} {} although it has been down since {}",
                            observer.id(),
                            down.id(),
                            belief_in_words(belief),
                            down.down_since().unwrap_or(now)
                        ),
                    });
                }
            }
        }
        violations
    }

    /// Accuracy: a running member that the observer can reach must not be held dead.
    /// Each violation names what explains it, if anything does (loss, slowness, a
    /// pause). Members that have left are not asked. A member that restarted less than [`Simulation::completeness_bound`] ago
    /// is not judged yet: the others may still hold the death it is refuting.
    pub fn check_accuracy(&self) -> Vec<Violation> {
        let bound = self.completeness_bound();
        let mut violations = Vec::new();
        let nodes: Vec<_> = self.nodes().collect();
        let census = self.census();
        // With a census, only the members somebody holds dead need a look.
        let subjects: Vec<usize> = (0..nodes.len())
            .filter(|&s| nodes[s].is_up())
            .filter(|&s| census.as_ref().is_none_or(|c| c.held_dead(s) > 0))
            .collect();
        // A member that has left is no longer asked: its table goes stale on purpose.
        let judging = |n: &&SimNode| n.is_up() && n.node().status() != NodeStatus::Left;
        for (o, observer) in nodes.iter().enumerate().filter(|(_, n)| judging(n)) {
            for (s, subject) in subjects.iter().map(|&s| (s, nodes[s])) {
                let reachable = !self.is_cut(o, s) && !self.is_cut(s, o);
                let left = subject.node().status() == NodeStatus::Left;
                // A member that restarted within the bound is still refuting the death
                // it was declared before: news on its way, not a wrong belief.
                let refuting = subject
                    .restarted_at()
                    .is_some_and(|at| self.now().saturating_since(at) < bound);
                if o == s || !reachable || left || refuting {
                    continue;
                }
                let belief = match &census {
                    Some(census) => census.belief(o, s),
                    None => observer.node().member_state(subject.id()),
                };
                if belief == Some(MemberState::Dead) {
                    let mut causes = Vec::new();
                    let loss = self.link_loss(o, s).max(self.link_loss(s, o));
                    if loss > 0.0 {
                        causes.push(format!("{:.0}% loss", loss * 100.0));
                    }
                    if self.lag_of(s) > Duration::ZERO || self.lag_of(o) > Duration::ZERO {
                        causes.push("a slow member".to_owned());
                    }
                    if subject.is_paused() || observer.is_paused() {
                        causes.push("a paused member".to_owned());
                    }
                    let cause = if causes.is_empty() {
                        "no loss, slowness or pause to explain it".to_owned()
                    } else {
                        causes.join(", ")
                    };
                    violations.push(Violation {
                        checker: Checker::Accuracy,
                        detail: format!(
                            "{} holds {} dead although it runs and is reachable ({cause})",
                            observer.id(),
                            subject.id()
                        ),
                    });
                }
            }
        }
        violations
    }

    /// Convergence: every running member holds exactly the running members as alive
    /// and the same store.
    pub fn check_convergence(&self) -> Vec<Violation> {
        let mut violations = Vec::new();
        let (wrong, first) = self.count_disagreements();
        if let Some((observer, subject, belief, running)) = first {
            let truth = if running { "running" } else { "down or gone" };
            let (observer, subject) = (self.nodes[observer].id(), self.nodes[subject].id());
            violations.push(Violation {
                checker: Checker::Convergence,
                detail: format!(
                    "{wrong} wrong membership beliefs, e.g. {observer} holds {subject} {} but it is {truth}",
                    belief_in_words(belief)
                ),
            });
        }
        if !self.stores_agree() {
            violations.push(Violation {
                checker: Checker::Convergence,
                detail: "running members hold different stores".to_owned(),
            });
        }
        violations
    }

    /// Durability: writes whose writer still runs (in the life that made them, and has
    /// not left) are held, or superseded, by every running member.
    pub fn check_durability(&self) -> Vec<Violation> {
        let mut violations = Vec::new();
        for write in self.writes() {
            let writer = &write.version.writer;
            // A writer that left took what it could not hand off along: it no longer
            // holds anything for the cluster (an agent stops once it has left).
            let writer_alive = self.nodes().any(|n| {
                n.is_up() && n.node().status() == NodeStatus::Joined && n.node().replica() == writer
            });
            if !writer_alive {
                continue;
            }
            let members = self
                .nodes()
                .filter(|n| n.is_up() && n.node().status() == NodeStatus::Joined);
            for node in members {
                let store = node.node().store();
                let held = store
                    .versions(&write.version.key)
                    .is_some_and(|vs| vs.iter().any(|v| v.clock.covers(&write.version.clock)));
                let collected = store.summary().get(writer) >= write.version.seq()
                    && store.versions(&write.version.key).is_none();
                if !held && !collected {
                    violations.push(Violation {
                        checker: Checker::Durability,
                        detail: format!(
                            "{} lacks {}={:?} written by {} at {}",
                            node.id(),
                            write.version.key,
                            write.version.value,
                            writer,
                            write.written_at
                        ),
                    });
                }
            }
        }
        violations
    }

    /// Every checker at once (completeness with [`Simulation::completeness_bound`]).
    pub fn check_all(&self) -> Vec<Violation> {
        let mut all = self.check_completeness(self.completeness_bound());
        all.extend(self.check_accuracy());
        all.extend(self.check_convergence());
        all.extend(self.check_durability());
        all
    }
}

/// What an observer believes of a member, as a violation says it.
fn belief_in_words(belief: Option<MemberState>) -> &'static str {
    belief.map_or("unknown", MemberState::as_str)
}
