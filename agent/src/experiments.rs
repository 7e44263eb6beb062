//! `gossip sim ...`: runs an experiment over many seeds in parallel (with a progress
//! bar on stderr) and reports aggregate figures, with the counts behind every rate, in
//! the one [`Report`] shape. The experiments themselves live in
//! `gossip_sim::experiment`, and what their runs add up to in `gossip_sim::summary`
//! (which the lab's Experiments tab uses too).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use gossip_core::{Config, Duration};
use gossip_sim::Error as SimError;
use gossip_sim::experiment::{self, RunParams};
use gossip_sim::summary::{
    CompletionSummary, DetectionSummary, FalsePositiveSummary, RumorSummary, seed_of_run,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};

use crate::cli::{BenchArgs, ChaosArgs, CommonSimArgs, Experiment};
use crate::experiment_error::ExperimentError;
use crate::report::{Items, Report, config_json};

/// Runs `experiment` and renders its report in the format it asks for.
pub fn run(experiment: &Experiment) -> Result<String, ExperimentError> {
    let (report, format) = match experiment {
        Experiment::Detection(args) => (detection(args)?, args.format),
        Experiment::Dissemination(args) => (dissemination(args)?, args.format),
        Experiment::FalsePositives(args) => (false_positives(args)?, args.common.format),
        Experiment::Rumor(args) => (rumor(args)?, args.common.format),
        Experiment::AntiEntropy(args) => (anti_entropy(args)?, args.common.format),
        Experiment::Bench(args) => (bench(args)?, args.format),
        Experiment::Chaos(args) => (chaos(args)?, args.format),
        Experiment::Replay(args) => (crate::traces::replay(args)?, args.format),
    };
    Ok(report.render(format))
}

fn detection(args: &CommonSimArgs) -> Result<Report, ExperimentError> {
    let config = args.config()?;
    let outcomes = run_seeds(args, &config, "detection", experiment::detection)?;
    let summary = DetectionSummary::of(&outcomes);
    let mut report = report_for("detection", args, &config);
    report
        .result("first_detection_mean", summary.first_detection_mean)
        .result("first_detection_p99", summary.first_detection_p99)
        .result("all_dead_mean", summary.all_dead_mean)
        .result("all_dead_p99", summary.all_dead_p99)
        .result("detected_runs", summary.detected_runs)
        .result("undetected_runs", summary.undetected_runs)
        .result("bytes_per_member_per_sec", summary.bytes_per_member_per_sec)
        .result("bytes_sent", summary.bytes_sent)
        .result("member_seconds", summary.member_seconds);
    Ok(report)
}

fn dissemination(args: &CommonSimArgs) -> Result<Report, ExperimentError> {
    let config = args.config()?;
    let outcomes = run_seeds(args, &config, "dissemination", experiment::dissemination)?;
    let summary = CompletionSummary::of(&outcomes);
    let mut report = report_for("dissemination", args, &config);
    report
        .result("periods_to_all_mean", summary.mean)
        .result("periods_to_all_p99", summary.p99)
        .result("finished_runs", summary.finished_runs)
        .result("unfinished_runs", summary.unfinished_runs);
    Ok(report)
}

fn false_positives(args: &crate::cli::FalsePositiveArgs) -> Result<Report, ExperimentError> {
    let common = &args.common;
    let config = common.config()?;
    let duration = Duration::from_secs(args.duration);
    let lag = Duration::from_millis(args.slow_lag_ms);
    let outcomes = run_seeds(common, &config, "false-positives", |params| {
        experiment::false_positives(params, duration, args.slow, lag)
    })?;
    let summary = FalsePositiveSummary::of(&outcomes);
    let mut report = report_for("false-positives", common, &config);
    report
        .param("duration_secs", args.duration)
        .param("slow", args.slow)
        .param("slow_lag_ms", args.slow_lag_ms);
    report
        .result("probes", summary.probes)
        .result("failed_probes", summary.failed_probes)
        .result("probe_failure_rate", summary.probe_failure_rate)
        .result("false_suspicions", summary.false_suspicions)
        .result("false_dead", summary.false_dead)
        .result("member_hours", summary.member_hours)
        .result(
            "false_dead_per_member_hour",
            summary.false_dead_per_member_hour,
        );
    Ok(report)
}

fn rumor(args: &crate::cli::RumorArgs) -> Result<Report, ExperimentError> {
    refuse_settings_owned_by_flags(
        &args.common,
        &[
            ("rumor_mode", "--mode"),
            ("rumor_cooling", "--cooling"),
            ("max_excitement", "--k"),
            ("rumor_accounting", "--accounting"),
        ],
    )?;
    let mut config = args.common.config()?;
    config.rumor_mode = args.mode;
    config.rumor_cooling = args.cooling;
    config.max_excitement = args.k;
    config.rumor_accounting = args.accounting;
    config.validate()?;
    let outcomes = run_seeds(&args.common, &config, "rumor", experiment::rumor)?;
    let summary = RumorSummary::of(u64::from(args.common.nodes), &outcomes);
    // The configuration that ran: Demers' model over the one asked for.
    let mut report = report_for("rumor", &args.common, &experiment::rumor_config(&config));
    report
        .param("mode", args.mode.as_str())
        .param("cooling", args.cooling.as_str())
        .param("k", args.k)
        .param("accounting", args.accounting.as_str());
    report
        .result("residue", summary.residue)
        .result("traffic", summary.traffic)
        .result("t_ave", summary.t_ave)
        .result("t_last", summary.t_last)
        .result("missed", summary.missed)
        .result("messages", summary.messages)
        .result("node_runs", summary.node_runs);
    Ok(report)
}

fn anti_entropy(args: &crate::cli::AntiEntropyArgs) -> Result<Report, ExperimentError> {
    refuse_settings_owned_by_flags(&args.common, &[("anti_entropy_mode", "--mode")])?;
    let mut config = args.common.config()?;
    config.anti_entropy_mode = args.mode;
    config.validate()?;
    let outcomes = run_seeds(
        &args.common,
        &config,
        "anti-entropy",
        experiment::anti_entropy,
    )?;
    let summary = CompletionSummary::of(&outcomes);
    let mut report = report_for(
        "anti-entropy",
        &args.common,
        &experiment::anti_entropy_config(&config),
    );
    report.param("mode", args.mode.as_str());
    report
        .result("cycles_to_full_mean", summary.mean)
        .result("cycles_to_full_p99", summary.p99)
        .result("finished_runs", summary.finished_runs)
        .result("unfinished_runs", summary.unfinished_runs);
    Ok(report)
}

/// An experiment's own flags set these fields; a `--set` of one of them would be
/// silently overridden, so it is refused with the flag to use instead.
fn refuse_settings_owned_by_flags(
    args: &CommonSimArgs,
    owned: &[(&str, &str)],
) -> Result<(), ExperimentError> {
    for (field, _) in &args.settings {
        if let Some((_, flag)) = owned.iter().find(|(name, _)| name == field) {
            return Err(ExperimentError::Config(gossip_core::Error::InvalidConfig(
                format!("this experiment sets {field} with {flag}; use {flag} instead of --set"),
            )));
        }
    }
    Ok(())
}

/// Runs the chaos schedules and lists every violation with the command that replays
/// its schedule.
fn chaos(args: &ChaosArgs) -> Result<Report, ExperimentError> {
    use gossip_sim::chaos::{ChaosParams, run_schedule};
    let params = ChaosParams {
        steps: args.steps as usize,
        ..ChaosParams::new(args.nodes as usize)
    };
    let start = std::time::Instant::now();
    let outcomes = parallel_runs(args.schedules as usize, "chaos", |run| {
        let seed = seed_of_run(args.seed, run as u32);
        run_schedule(&params, seed).map(|outcome| (seed, outcome.violations))
    })?;
    // A long run is a benchmark of the simulator under faults: say how long it took.
    let wall_seconds = start.elapsed().as_secs_f64();
    if let Some(path) = &args.trace {
        let first_broken = outcomes.iter().find(|(_, found)| !found.is_empty());
        let seed = first_broken.map_or(args.seed, |(seed, _)| *seed);
        let trace = run_schedule(&params, seed)?.sim.trace();
        crate::traces::write(path, &trace)?;
    }
    let mut by_checker = Map::new();
    let mut violations = Vec::new();
    for (seed, found) in &outcomes {
        for violation in found {
            let count = by_checker
                .entry(violation.checker.as_str())
                .or_insert(json!(0));
            *count = json!(count.as_u64().unwrap_or(0) + 1);
            let replay = format!(
                "gossip sim chaos --schedules 1 --nodes {} --steps {} --seed {seed}",
                args.nodes, args.steps
            );
            let mut item = Map::new();
            item.insert("seed".into(), json!(seed));
            item.insert("checker".into(), json!(violation.checker.as_str()));
            item.insert("detail".into(), json!(violation.detail));
            item.insert("replay".into(), json!(replay));
            violations.push(item);
        }
    }
    let mut report = Report::new("chaos", args.seed, u64::from(args.schedules));
    report
        .param("nodes", args.nodes)
        .param("steps", args.steps)
        .param("config", config_json(&params.config));
    report
        .result("violation_count", violations.len())
        .result("by_checker", by_checker)
        .result("wall_seconds", wall_seconds)
        .result("threads", workers_for(args.schedules as usize));
    report.items = Some(Items {
        name: "violations",
        columns: &["seed", "checker", "detail", "replay"],
        rows: violations,
    });
    Ok(report)
}

/// Builds a converged cluster of `--nodes` (lan preset), runs `--periods` protocol
/// periods with no faults, and reports the simulator's speed.
fn bench(args: &BenchArgs) -> Result<Report, ExperimentError> {
    let build_start = std::time::Instant::now();
    let mut bench = experiment::Bench::build(args.nodes as usize, args.seed)?;
    let build_secs = build_start.elapsed().as_secs_f64();
    let run_start = std::time::Instant::now();
    bench.run(args.periods);
    let wall = run_start.elapsed().as_secs_f64();
    let counts = bench.counts();
    let by_kind: Map<String, Value> = counts
        .delivered_by_kind
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(kind, count)| (kind.as_str().to_owned(), json!(count)))
        .collect();
    let mut report = Report::new("bench", args.seed, 1);
    report
        .param("nodes", args.nodes)
        .param("periods", args.periods);
    report
        .result("build_seconds", build_secs)
        .result("wall_seconds", wall)
        .result("messages_sent", counts.messages_sent)
        .result("messages_delivered", counts.messages_delivered)
        .result(
            "deliveries_per_second",
            counts.messages_delivered as f64 / wall.max(1e-9),
        )
        .result("member_table_entries", counts.member_table_entries)
        .result("member_table_bytes", counts.member_table_bytes)
        .result(
            "bytes_per_entry",
            counts.member_table_bytes as f64 / counts.member_table_entries.max(1) as f64,
        )
        .result("peer_summary_bytes", counts.peer_summary_bytes)
        .result("n2_bytes", counts.n2_bytes())
        .result(
            "n2_bytes_per_entry",
            counts.n2_bytes() as f64 / counts.member_table_entries.max(1) as f64,
        )
        .result("delivered_by_kind", by_kind)
        .result("peak_memory_bytes", peak_memory_bytes());
    Ok(report)
}

/// The process's peak resident memory, from `/proc/self/status` (Linux); `None`
/// elsewhere.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn report_for(experiment: &'static str, args: &CommonSimArgs, config: &Config) -> Report {
    let mut report = Report::new(experiment, args.seed, u64::from(args.runs));
    report
        .param("nodes", args.nodes)
        .param("loss", args.loss)
        .param("preset", args.preset.name())
        .param("config", config_json(config));
    report
}

/// Runs `job` once per seed `seed..seed + runs` on every core; results in seed order.
fn run_seeds<T: Send>(
    args: &CommonSimArgs,
    config: &Config,
    label: &str,
    job: impl Fn(&RunParams) -> Result<T, SimError> + Sync,
) -> Result<Vec<T>, SimError> {
    parallel_runs(args.runs as usize, label, |run| {
        job(&RunParams {
            nodes: args.nodes as usize,
            loss: args.loss,
            config: config.clone(),
            seed: seed_of_run(args.seed, run as u32),
        })
    })
}

/// One worker thread per core, and no more than there are runs.
fn workers_for(runs: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(runs)
        .max(1)
}

/// Runs `job(0..count)` on every core with a progress bar on stderr; results in order.
fn parallel_runs<T: Send>(
    count: usize,
    label: &str,
    job: impl Fn(usize) -> Result<T, SimError> + Sync,
) -> Result<Vec<T>, SimError> {
    let progress = ProgressBar::new(count as u64).with_message(label.to_owned());
    progress.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} runs, {elapsed} elapsed, ~{eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T, SimError>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    let workers = workers_for(count);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let run = next.fetch_add(1, Ordering::Relaxed);
                    if run >= count {
                        break;
                    }
                    let outcome = job(run);
                    if let Ok(mut slots) = results.lock() {
                        slots[run] = Some(outcome);
                    }
                    progress.inc(1);
                }
            });
        }
    });
    progress.finish_and_clear();
    let slots = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    slots
        .into_iter()
        .map(|slot| {
            slot.unwrap_or_else(|| {
                Err(SimError::Core(gossip_core::Error::InvalidConfig(
                    "a run did not finish".into(),
                )))
            })
        })
        .collect()
}
