//! `gossip sim ...`: runs an experiment over many seeds in parallel (with a progress
//! bar on stderr) and reports aggregate figures as a table, JSON or CSV. The
//! experiments themselves live in `gossip_core::sim::experiment`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use gossip_core::sim::experiment::{self, RunParams};
use gossip_core::{Duration, Error};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Map, Value, json};

use crate::cli::{CommonSimArgs, Experiment, Format};

/// `args` with extra `--set`s in front (the user's own still win).
fn with_settings(args: &CommonSimArgs, settings: &[(&str, &str)]) -> CommonSimArgs {
    let mut args = args.clone();
    let mut all: Vec<(String, String)> = settings
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    all.append(&mut args.settings);
    args.settings = all;
    args
}

/// The outcome of one experiment, ready to print.
#[derive(Debug)]
pub struct Report {
    experiment: &'static str,
    seed: u64,
    runs: u32,
    params: Vec<(String, Value)>,
    results: Vec<(String, Value)>,
}

/// Runs `experiment` and renders its report in `format`.
/// Any failure of an experiment: bad settings, or a trace file that cannot be read or
/// written.
pub type ExperimentError = Box<dyn std::error::Error + Send + Sync>;

pub fn run(experiment: &Experiment) -> Result<String, ExperimentError> {
    let (report, format) = match experiment {
        Experiment::Detection(args) => (detection(args)?, args.format),
        Experiment::Dissemination(args) => (dissemination(args)?, args.format),
        Experiment::FalsePositives(args) => {
            let common = &args.common;
            let duration = Duration::from_secs(args.duration);
            let lag = Duration::from_millis(args.slow_lag_ms);
            let outcomes = run_seeds(common, "false-positives", |params| {
                experiment::false_positives(params, duration, args.slow, lag)
            })?;
            let sum =
                |f: fn(&experiment::FalsePositiveRun) -> u64| outcomes.iter().map(f).sum::<u64>();
            let (probes, failed) = (sum(|r| r.probes), sum(|r| r.failed_probes));
            let false_dead = sum(|r| r.false_dead);
            let member_hours: f64 = outcomes.iter().map(|r| r.member_hours).sum();
            let mut report = report_for("false-positives", common)?;
            report.params.extend([
                ("duration_secs".into(), json!(args.duration)),
                ("slow".into(), json!(args.slow)),
                ("slow_lag_ms".into(), json!(args.slow_lag_ms)),
            ]);
            report.results = vec![
                ("probes".into(), json!(probes)),
                (
                    "probe_failure_rate".into(),
                    json!(round(failed as f64 / probes.max(1) as f64)),
                ),
                (
                    "false_suspicions".into(),
                    json!(sum(|r| r.false_suspicions)),
                ),
                ("false_dead".into(), json!(false_dead)),
                (
                    "false_dead_per_member_hour".into(),
                    json!(round(false_dead as f64 / member_hours)),
                ),
            ];
            (report, common.format)
        }
        Experiment::Rumor(args) => {
            let k = args.k.to_string();
            let common = with_settings(
                &args.common,
                &[
                    ("rumor_mode", args.mode.as_str()),
                    ("rumor_cooling", args.cooling.as_str()),
                    ("max_excitement", &k),
                ],
            );
            let outcomes = run_seeds(&common, "rumor", experiment::rumor)?;
            let column = |f: fn(&experiment::RumorRun) -> Option<f64>| {
                outcomes.iter().filter_map(f).collect::<Vec<f64>>()
            };
            let mut report = report_for("rumor", &common)?;
            report.params.extend([
                ("mode".into(), json!(args.mode.as_str())),
                ("cooling".into(), json!(args.cooling.as_str())),
                ("k".into(), json!(args.k)),
            ]);
            report.results = vec![
                (
                    "residue".into(),
                    json!(round_to(mean(&column(|r| Some(r.residue))), 6)),
                ),
                (
                    "traffic".into(),
                    json!(round(mean(&column(|r| Some(r.traffic))))),
                ),
                ("t_ave".into(), json!(round(mean(&column(|r| r.t_ave))))),
                ("t_last".into(), json!(round(mean(&column(|r| r.t_last))))),
            ];
            (report, common.format)
        }
        Experiment::Bench(args) => (bench(args)?, args.format),
        Experiment::Chaos(args) => return chaos(args),
        Experiment::Replay(args) => return crate::traces::replay(args),
        Experiment::AntiEntropy(args) => {
            let common = with_settings(&args.common, &[("anti_entropy_mode", args.mode.as_str())]);
            let outcomes = run_seeds(&common, "anti-entropy", experiment::anti_entropy)?;
            let cycles: Vec<f64> = outcomes.iter().flatten().copied().collect();
            let mut report = report_for("anti-entropy", &common)?;
            report
                .params
                .push(("mode".into(), json!(args.mode.as_str())));
            report.results = vec![
                ("cycles_to_full_mean".into(), json!(round(mean(&cycles)))),
                ("cycles_to_full_p99".into(), json!(round(p99(&cycles)))),
                (
                    "unfinished_runs".into(),
                    json!(outcomes.len() - cycles.len()),
                ),
            ];
            (report, common.format)
        }
    };
    Ok(report.render(format))
}

fn detection(args: &CommonSimArgs) -> Result<Report, Error> {
    let outcomes = run_seeds(args, "detection", experiment::detection)?;
    let first: Vec<f64> = outcomes.iter().filter_map(|r| r.first_detection).collect();
    let dead: Vec<f64> = outcomes.iter().filter_map(|r| r.all_dead).collect();
    let bytes: Vec<f64> = outcomes
        .iter()
        .map(|r| r.bytes_per_member_per_sec)
        .collect();
    let mut report = report_for("detection", args)?;
    report.results = vec![
        ("first_detection_mean".into(), json!(round(mean(&first)))),
        ("first_detection_p99".into(), json!(round(p99(&first)))),
        ("all_dead_mean".into(), json!(round(mean(&dead)))),
        ("all_dead_p99".into(), json!(round(p99(&dead)))),
        ("undetected_runs".into(), json!(outcomes.len() - dead.len())),
        (
            "bytes_per_member_per_sec".into(),
            json!(round(mean(&bytes))),
        ),
    ];
    Ok(report)
}

fn dissemination(args: &CommonSimArgs) -> Result<Report, Error> {
    let outcomes = run_seeds(args, "dissemination", experiment::dissemination)?;
    let periods: Vec<f64> = outcomes.iter().flatten().copied().collect();
    let mut report = report_for("dissemination", args)?;
    report.results = vec![
        ("periods_to_all_mean".into(), json!(round(mean(&periods)))),
        ("periods_to_all_p99".into(), json!(round(p99(&periods)))),
        (
            "unfinished_runs".into(),
            json!(outcomes.len() - periods.len()),
        ),
    ];
    Ok(report)
}

/// Runs the chaos schedules and lists every violation with the command that replays
/// its schedule.
fn chaos(args: &crate::cli::ChaosArgs) -> Result<String, ExperimentError> {
    use gossip_core::sim::chaos::{ChaosParams, run_schedule};
    let params = ChaosParams {
        steps: args.steps as usize,
        ..ChaosParams::new(args.nodes as usize)
    };
    let start = std::time::Instant::now();
    let outcomes = parallel_runs(args.schedules as usize, "chaos", |run| {
        let seed = args.seed.wrapping_add(run as u64);
        run_schedule(&params, seed).map(|outcome| (seed, outcome.violations))
    })?;
    // A long run is a benchmark of the simulator under faults: say how long it took.
    let wall_seconds = (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    let threads = workers_for(args.schedules as usize);
    if let Some(path) = &args.trace {
        let first_broken = outcomes.iter().find(|(_, found)| !found.is_empty());
        let seed = first_broken.map_or(args.seed, |(seed, _)| *seed);
        let trace = run_schedule(&params, seed)?.sim.trace();
        crate::traces::write(path, &trace)?;
    }
    let mut by_checker: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut violations = Vec::new();
    for (seed, found) in &outcomes {
        for violation in found {
            *by_checker.entry(violation.checker.as_str()).or_default() += 1;
            let replay = format!(
                "gossip sim chaos --schedules 1 --nodes {} --steps {} --seed {seed}",
                args.nodes, args.steps
            );
            violations.push(json!({
                "seed": seed,
                "checker": violation.checker.as_str(),
                "detail": violation.detail,
                "replay": replay,
            }));
        }
    }
    Ok(match args.format {
        Format::Json => json!({
            "schedules": args.schedules,
            "nodes": args.nodes,
            "seed": args.seed,
            "violations": violations,
            "by_checker": by_checker,
            "wall_seconds": wall_seconds,
            "threads": threads,
        })
        .to_string(),
        Format::Table | Format::Csv => {
            let mut lines = vec![format!(
                "{} schedules of {} nodes from seed {}: {} violations ({wall_seconds} s on {threads} threads)",
                args.schedules,
                args.nodes,
                args.seed,
                violations.len()
            )];
            for (checker, count) in &by_checker {
                lines.push(format!("  {checker}: {count}"));
            }
            for violation in &violations {
                lines.push(format!(
                    "seed {}: {}: {}\n  replay: {}",
                    violation["seed"],
                    violation["checker"].as_str().unwrap_or_default(),
                    violation["detail"].as_str().unwrap_or_default(),
                    violation["replay"].as_str().unwrap_or_default()
                ));
            }
            lines.join("\n")
        }
    })
}

/// Builds a converged cluster of `--nodes` (lan preset), runs `--periods` protocol
/// periods with no faults, and reports the simulator's speed.
fn bench(args: &crate::cli::BenchArgs) -> Result<Report, Error> {
    let build_start = std::time::Instant::now();
    let mut bench = gossip_core::sim::experiment::Bench::build(args.nodes as usize, args.seed)?;
    let build_secs = build_start.elapsed().as_secs_f64();
    let run_start = std::time::Instant::now();
    bench.run(args.periods);
    let wall = run_start.elapsed().as_secs_f64();
    let counts = bench.counts();
    Ok(Report {
        experiment: "bench",
        seed: args.seed,
        runs: 1,
        params: vec![
            ("nodes".into(), json!(args.nodes)),
            ("periods".into(), json!(args.periods)),
        ],
        results: vec![
            ("build_seconds".into(), json!(round(build_secs))),
            ("wall_seconds".into(), json!(round(wall))),
            ("messages_sent".into(), json!(counts.messages_sent)),
            (
                "messages_delivered".into(),
                json!(counts.messages_delivered),
            ),
            (
                "deliveries_per_second".into(),
                json!((counts.messages_delivered as f64 / wall.max(1e-9)).round()),
            ),
            (
                "member_table_entries".into(),
                json!(counts.member_table_entries),
            ),
            (
                "delivered_by_kind".into(),
                counts
                    .delivered_by_kind
                    .iter()
                    .filter(|(_, count)| *count > 0)
                    .map(|(kind, count)| (kind.as_str().to_owned(), json!(count)))
                    .collect::<Map<String, Value>>()
                    .into(),
            ),
            ("peak_memory_bytes".into(), json!(peak_memory_bytes())),
        ],
    })
}

/// The process's peak resident memory, from `/proc/self/status` (Linux); `None`
/// elsewhere.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn report_for(experiment: &'static str, args: &CommonSimArgs) -> Result<Report, Error> {
    let config: Map<String, Value> = args
        .config()?
        .fields()
        .into_iter()
        .map(|(field, value)| (field.to_owned(), Value::String(value)))
        .collect();
    Ok(Report {
        experiment,
        seed: args.seed,
        runs: args.runs,
        params: vec![
            ("nodes".into(), json!(args.nodes)),
            ("loss".into(), json!(args.loss)),
            (
                "preset".into(),
                json!(format!("{:?}", args.preset).to_lowercase()),
            ),
            ("config".into(), Value::Object(config)),
        ],
        results: Vec::new(),
    })
}

/// Runs `job` once per seed `seed..seed + runs` on every core; results in seed order.
fn run_seeds<T: Send>(
    args: &CommonSimArgs,
    label: &str,
    job: impl Fn(&RunParams) -> Result<T, Error> + Sync,
) -> Result<Vec<T>, Error> {
    let config = args.config()?;
    parallel_runs(args.runs as usize, label, |run| {
        job(&RunParams {
            nodes: args.nodes as usize,
            loss: args.loss,
            config: config.clone(),
            seed: args.seed.wrapping_add(run as u64),
        })
    })
}

/// Runs `job(0..count)` on every core with a progress bar on stderr; results in order.
/// One worker thread per core, and no more than there are runs.
fn workers_for(runs: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(runs)
        .max(1)
}

fn parallel_runs<T: Send>(
    count: usize,
    label: &str,
    job: impl Fn(usize) -> Result<T, Error> + Sync,
) -> Result<Vec<T>, Error> {
    let progress = ProgressBar::new(count as u64).with_message(label.to_owned());
    progress.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} runs, {elapsed} elapsed, ~{eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<T, Error>>>> =
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
            slot.unwrap_or_else(|| Err(Error::InvalidConfig("a run did not finish".into())))
        })
        .collect()
}

impl Report {
    /// The report as text in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => self.to_json().to_string(),
            Format::Table => {
                let mut rows: Vec<(String, String)> = vec![
                    ("experiment".into(), self.experiment.into()),
                    ("seed".into(), self.seed.to_string()),
                    ("runs".into(), self.runs.to_string()),
                ];
                rows.extend(self.flat_params());
                rows.push((String::new(), String::new()));
                rows.extend(self.results.iter().map(|(k, v)| (k.clone(), plain(v))));
                let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                rows.iter()
                    .map(|(k, v)| {
                        if k.is_empty() {
                            String::new()
                        } else {
                            format!("{k:width$}  {v}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            Format::Csv => {
                let mut columns = vec![
                    ("experiment".to_owned(), self.experiment.to_owned()),
                    ("seed".into(), self.seed.to_string()),
                    ("runs".into(), self.runs.to_string()),
                ];
                columns.extend(self.flat_params());
                columns.extend(self.results.iter().map(|(k, v)| (k.clone(), plain(v))));
                let header: Vec<&str> = columns.iter().map(|(k, _)| k.as_str()).collect();
                let row: Vec<&str> = columns.iter().map(|(_, v)| v.as_str()).collect();
                format!("{}\n{}", header.join(","), row.join(","))
            }
        }
    }

    fn to_json(&self) -> Value {
        let object = |pairs: &[(String, Value)]| Value::Object(pairs.iter().cloned().collect());
        json!({
            "experiment": self.experiment,
            "seed": self.seed,
            "runs": self.runs,
            "params": object(&self.params),
            "results": object(&self.results),
        })
    }

    /// Parameters as flat `name value` pairs, the config's fields as `config.field`.
    fn flat_params(&self) -> Vec<(String, String)> {
        let mut flat = Vec::new();
        for (key, value) in &self.params {
            match value {
                Value::Object(fields) => {
                    flat.extend(fields.iter().map(|(k, v)| (format!("{key}.{k}"), plain(v))))
                }
                other => flat.push((key.clone(), plain(other))),
            }
        }
        flat
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// The nearest-rank 99th percentile.
fn p99(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((0.99 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn round(value: f64) -> Option<f64> {
    round_to(value, 3)
}

fn round_to(value: f64, digits: i32) -> Option<f64> {
    let scale = 10f64.powi(digits);
    value.is_finite().then(|| (value * scale).round() / scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_means() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(p99(&values), 99.0);
        assert_eq!(p99(&[3.0]), 3.0);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), 3.0);
        assert!(mean(&[]).is_nan());
        assert_eq!(round(f64::NAN), None);
    }
}
