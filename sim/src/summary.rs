//! What an experiment's runs add up to: the means, 99th percentiles and rates that
//! `gossip sim` prints and the lab's Experiments tab plots, computed here once from the
//! per-seed runs of [`experiment`](crate::experiment), so the two drivers cannot
//! disagree. Pure arithmetic: no threads, no clock, no I/O, so it builds for wasm.
//!
//! Every summary keeps the counts behind its rates (a rate over no runs is `None`, never
//! a division by zero), and run `i` of an experiment is seeded [`seed_of_run`]`(seed, i)`
//! in both drivers, so a figure on the page and the same command's output agree.

use serde::{Deserialize, Serialize};

use crate::experiment::{DetectionRun, FalsePositiveRun, RumorRun};

/// The seed of run `run` of an experiment whose first run is seeded `first`: `first +
/// run`, wrapping, so `--seed S --runs R` means seeds `S..S+R`.
pub fn seed_of_run(first: u64, run: u32) -> u64 {
    first.wrapping_add(u64::from(run))
}

/// `part / whole`, or `None` when there is no whole.
pub fn ratio(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole)
}

/// The mean, or `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The nearest-rank 99th percentile, or `None` for no values.
pub fn p99(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((0.99 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
    sorted.get(rank - 1).copied()
}

/// The detection experiment over its runs; times in protocol periods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DetectionSummary {
    /// Mean time until some member first suspected the crashed one, over the runs where
    /// someone did.
    pub first_detection_mean: Option<f64>,
    pub first_detection_p99: Option<f64>,
    /// Mean time until every live member held it dead, over the runs where they did.
    pub all_dead_mean: Option<f64>,
    pub all_dead_p99: Option<f64>,
    pub detected_runs: u64,
    pub undetected_runs: u64,
    /// The mean over runs of each run's bytes per member per second.
    pub bytes_per_member_per_sec: Option<f64>,
    /// Bytes sent in all runs (behind the rate).
    pub bytes_sent: u64,
    /// Member-seconds simulated in all runs (behind the rate).
    pub member_seconds: f64,
}

impl DetectionSummary {
    pub fn of(runs: &[DetectionRun]) -> DetectionSummary {
        let first: Vec<f64> = runs.iter().filter_map(|r| r.first_detection).collect();
        let dead: Vec<f64> = runs.iter().filter_map(|r| r.all_dead).collect();
        let bytes: Vec<f64> = runs.iter().map(|r| r.bytes_per_member_per_sec).collect();
        DetectionSummary {
            first_detection_mean: mean(&first),
            first_detection_p99: p99(&first),
            all_dead_mean: mean(&dead),
            all_dead_p99: p99(&dead),
            detected_runs: dead.len() as u64,
            undetected_runs: (runs.len() - dead.len()) as u64,
            bytes_per_member_per_sec: mean(&bytes),
            bytes_sent: runs.iter().map(|r| r.bytes_sent).sum(),
            member_seconds: runs.iter().map(|r| r.member_seconds).sum(),
        }
    }
}

/// Runs that each end in a count of periods or cycles, or give up (`None`): the
/// dissemination and anti-entropy experiments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletionSummary {
    /// Mean periods (or cycles) until everyone had it, over the runs that finished.
    pub mean: Option<f64>,
    pub p99: Option<f64>,
    pub finished_runs: u64,
    pub unfinished_runs: u64,
}

impl CompletionSummary {
    pub fn of(runs: &[Option<f64>]) -> CompletionSummary {
        let done: Vec<f64> = runs.iter().flatten().copied().collect();
        CompletionSummary {
            mean: mean(&done),
            p99: p99(&done),
            finished_runs: done.len() as u64,
            unfinished_runs: (runs.len() - done.len()) as u64,
        }
    }
}

/// The false-positive experiment over its runs: every count summed over runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FalsePositiveSummary {
    pub probes: u64,
    pub failed_probes: u64,
    /// `failed_probes / probes`.
    pub probe_failure_rate: Option<f64>,
    pub false_suspicions: u64,
    pub false_dead: u64,
    pub member_hours: f64,
    /// `false_dead / member_hours`.
    pub false_dead_per_member_hour: Option<f64>,
}

impl FalsePositiveSummary {
    pub fn of(runs: &[FalsePositiveRun]) -> FalsePositiveSummary {
        let sum = |f: fn(&FalsePositiveRun) -> u64| runs.iter().map(f).sum::<u64>();
        let (probes, failed_probes) = (sum(|r| r.probes), sum(|r| r.failed_probes));
        let false_dead = sum(|r| r.false_dead);
        let member_hours: f64 = runs.iter().map(|r| r.member_hours).sum();
        FalsePositiveSummary {
            probes,
            failed_probes,
            probe_failure_rate: ratio(failed_probes as f64, probes as f64),
            false_suspicions: sum(|r| r.false_suspicions),
            false_dead,
            member_hours,
            false_dead_per_member_hour: ratio(false_dead as f64, member_hours),
        }
    }

    /// Wrong suspicions per member-hour: the rate the Lifeguard comparison is about
    /// (a suspicion is what a slow member's peers get wrong first).
    pub fn false_suspicions_per_member_hour(&self) -> Option<f64> {
        ratio(self.false_suspicions as f64, self.member_hours)
    }
}

/// Demers' rumor model over its runs, in the paper's terms: residue and traffic pool
/// every node of every run (the paper's averages over runs of equal size).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RumorSummary {
    /// `missed / node_runs`: the share of nodes never reached.
    pub residue: Option<f64>,
    /// `messages / node_runs`: update messages sent per node.
    pub traffic: Option<f64>,
    /// Mean over runs of each run's average arrival cycle.
    pub t_ave: Option<f64>,
    /// Mean over runs of each run's last arrival cycle.
    pub t_last: Option<f64>,
    pub missed: u64,
    pub messages: u64,
    /// Cluster size times runs.
    pub node_runs: u64,
}

impl RumorSummary {
    /// `runs` of a cluster of `nodes`.
    pub fn of(nodes: u64, runs: &[RumorRun]) -> RumorSummary {
        let column =
            |f: fn(&RumorRun) -> Option<f64>| runs.iter().filter_map(f).collect::<Vec<f64>>();
        let node_runs = nodes * runs.len() as u64;
        let missed: u64 = runs.iter().map(|r| r.missed).sum();
        let messages: u64 = runs.iter().map(|r| r.messages).sum();
        RumorSummary {
            residue: ratio(missed as f64, node_runs as f64),
            traffic: ratio(messages as f64, node_runs as f64),
            t_ave: mean(&column(|r| r.t_ave)),
            t_last: mean(&column(|r| r.t_last)),
            missed,
            messages,
            node_runs,
        }
    }
}

#[cfg(test)]
mod tests {
    use gossip_core::{Config, Duration, RumorAccounting};

    use super::*;
    use crate::experiment::{self, RunParams};

    #[test]
    fn percentiles_means_and_ratios() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(p99(&values), Some(99.0));
        assert_eq!(p99(&[3.0]), Some(3.0));
        assert_eq!(p99(&[]), None);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(mean(&[]), None);
        assert_eq!(ratio(118.0, 180_000.0), Some(118.0 / 180_000.0));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(seed_of_run(u64::MAX, 2), 1);
    }

    fn params(nodes: usize, seed: u64) -> RunParams {
        RunParams {
            nodes,
            loss: 0.0,
            config: Config::lan(nodes),
            seed,
        }
    }

    /// Four seeded crashes in a 12-member lan cluster: each is suspected within the
    /// first few periods (SWIM's expectation is e/(e-1), about 1.6) and dead everywhere
    /// after the suspicion timeout; the summary keeps the runs' exact sums.
    #[test]
    fn detection_summary_of_seeded_runs() {
        let runs: Vec<DetectionRun> = (0..4)
            .map(|run| experiment::detection(&params(12, seed_of_run(3, run))).unwrap())
            .collect();
        let summary = DetectionSummary::of(&runs);
        assert_eq!((summary.detected_runs, summary.undetected_runs), (4, 0));
        let first = summary.first_detection_mean.unwrap();
        assert!((0.5..=3.0).contains(&first), "{summary:?}");
        let dead = summary.all_dead_mean.unwrap();
        assert!(dead > first + 3.0 && dead < 15.0, "{summary:?}");
        assert!(summary.all_dead_p99.unwrap() >= dead);
        assert_eq!(
            summary.bytes_sent,
            runs.iter().map(|r| r.bytes_sent).sum::<u64>()
        );
        let expected = runs.iter().map(|r| r.bytes_per_member_per_sec).sum::<f64>() / 4.0;
        assert_eq!(summary.bytes_per_member_per_sec, Some(expected));
        assert!(expected > 50.0, "{summary:?}");
    }

    #[test]
    fn completion_summary_counts_runs_that_gave_up() {
        let summary = CompletionSummary::of(&[Some(3.0), None, Some(5.0), Some(4.0)]);
        assert_eq!(summary.mean, Some(4.0));
        assert_eq!(summary.p99, Some(5.0));
        assert_eq!((summary.finished_runs, summary.unfinished_runs), (3, 1));
        let none = CompletionSummary::of(&[None]);
        assert_eq!((none.mean, none.p99, none.finished_runs), (None, None, 0));

        let joins: Vec<Option<f64>> = (0..3)
            .map(|run| experiment::dissemination(&params(16, seed_of_run(9, run))).unwrap())
            .collect();
        let summary = CompletionSummary::of(&joins);
        assert_eq!(summary.finished_runs, 3);
        // A join spreads by gossip every 200 ms (lan), well inside a probe period or two.
        assert!((0.2..=3.0).contains(&summary.mean.unwrap()), "{summary:?}");
    }

    /// Slow members under Lifeguard draw fewer wrong suspicions than without it, on the
    /// same seeds; the rates are their counts over the member-hours.
    #[test]
    fn false_positive_summary_and_lifeguard() {
        let summary = |lifeguard: bool| {
            let runs: Vec<FalsePositiveRun> = (0..2)
                .map(|run| {
                    let mut params = params(20, seed_of_run(1, run));
                    params.loss = 0.05;
                    params
                        .config
                        .set("lifeguard", &lifeguard.to_string())
                        .unwrap();
                    experiment::false_positives(
                        &params,
                        Duration::from_secs(120),
                        0.1,
                        Duration::from_millis(2000),
                    )
                    .unwrap()
                })
                .collect();
            FalsePositiveSummary::of(&runs)
        };
        let (without, with) = (summary(false), summary(true));
        assert_eq!(without.member_hours, 2.0 * 20.0 * 120.0 / 3600.0);
        assert!(without.failed_probes > 0 && without.probes > without.failed_probes);
        assert_eq!(
            without.probe_failure_rate,
            Some(without.failed_probes as f64 / without.probes as f64)
        );
        assert_eq!(
            without.false_suspicions_per_member_hour(),
            Some(without.false_suspicions as f64 / without.member_hours)
        );
        assert!(
            with.false_suspicions * 2 < without.false_suspicions,
            "Lifeguard {with:?} against {without:?}"
        );
    }

    /// Demers' push, feedback, counter at k = 2 over 60 nodes: the pooled residue and
    /// traffic are the counts over the node-runs.
    #[test]
    fn rumor_summary_pools_nodes_of_every_run() {
        let runs: Vec<RumorRun> = (0..3)
            .map(|run| {
                let mut params = params(60, seed_of_run(1, run));
                params.config.max_excitement = 2;
                params.config.rumor_accounting = RumorAccounting::PerRound;
                experiment::rumor(&params).unwrap()
            })
            .collect();
        let summary = RumorSummary::of(60, &runs);
        assert_eq!(summary.node_runs, 180);
        assert_eq!(summary.missed, runs.iter().map(|r| r.missed).sum::<u64>());
        assert_eq!(summary.residue, Some(summary.missed as f64 / 180.0));
        assert_eq!(summary.traffic, Some(summary.messages as f64 / 180.0));
        let traffic = summary.traffic.unwrap();
        assert!(
            (2.5..=4.0).contains(&traffic),
            "paper: 3.30 at n = 1000; {summary:?}"
        );
        assert!(summary.t_last.unwrap() >= summary.t_ave.unwrap());
        assert_eq!(RumorSummary::of(60, &[]).residue, None);
    }
}
