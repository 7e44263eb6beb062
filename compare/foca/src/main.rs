//! `foca-bench`: the workload of `gossip sim bench` (a converged cluster, lan preset and
//! network, no faults) run with foca 2 as the protocol, reported in the same JSON shape.
//! `--protocol ours-probe-path` runs our simulator instead, on the part of that workload
//! foca also does (see `ours.rs`).
//!
//!     foca-bench [--nodes 1000] [--periods 100] [--seed 1] [--format json]
//!                [--protocol foca|ours-probe-path]

mod cluster;
mod codec;
mod config;
mod network;
mod ours;

use std::time::Instant;

use serde_json::{Map, Value, json};

use cluster::Cluster;

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let args = Args::parse(std::env::args().skip(1))?;
    let report = match args.protocol {
        Protocol::Foca => foca(&args),
        Protocol::OursProbePath => ours_probe_path(&args)?,
    };
    println!("{report}");
    Ok(())
}

/// foca in the converged cluster; the build is timed apart from the run.
fn foca(args: &Args) -> Value {
    let build_start = Instant::now();
    let mut cluster = Cluster::build(args.nodes, args.seed);
    let build_seconds = build_start.elapsed().as_secs_f64();
    let run_start = Instant::now();
    cluster.run(args.periods);
    let wall = run_start.elapsed().as_secs_f64();
    let counts = cluster.counts();
    let mut results = timed_results(
        build_seconds,
        wall,
        counts.messages_sent,
        counts.messages_delivered,
    );
    results.extend([
        ("bytes_sent".into(), json!(counts.bytes_sent)),
        (
            "member_table_entries".into(),
            json!(cluster.member_table_entries()),
        ),
        (
            "member_table_bytes".into(),
            json!(cluster.member_table_bytes()),
        ),
        ("bytes_per_entry".into(), json!(Cluster::BYTES_PER_ENTRY)),
        (
            "delivered_by_kind".into(),
            by_kind(cluster.delivered_by_kind()),
        ),
        ("dropped".into(), json!(counts.dropped)),
        ("errors".into(), json!(counts.errors)),
        ("members_down".into(), json!(counts.members_down)),
        ("updates_backlog".into(), json!(cluster.updates_backlog())),
        ("peak_memory_bytes".into(), json!(peak_memory_bytes())),
    ]);
    report("bench-foca", "foca 2", args, results)
}

/// Our simulator with only the probe path left on.
fn ours_probe_path(args: &Args) -> Result<Value, Error> {
    let build_start = Instant::now();
    let mut sim = ours::build(args.nodes, args.seed, ours::probe_path_config(args.nodes))?;
    let build_seconds = build_start.elapsed().as_secs_f64();
    let run_start = Instant::now();
    ours::run(&mut sim, args.periods);
    let wall = run_start.elapsed().as_secs_f64();
    let counts = ours::counts(&sim);
    let mut results = timed_results(
        build_seconds,
        wall,
        counts.messages_sent,
        counts.messages_delivered,
    );
    results.extend([
        ("bytes_sent".into(), json!(counts.bytes_sent)),
        (
            "delivered_by_kind".into(),
            by_kind(counts.delivered_by_kind.into_iter()),
        ),
        ("peak_memory_bytes".into(), json!(peak_memory_bytes())),
    ]);
    Ok(report(
        "bench-ours-probe-path",
        "gossip-core, lan without anti-entropy, Lifeguard and push-pull",
        args,
        results,
    ))
}

/// The fields every run reports first, as `gossip sim bench` names them.
fn timed_results(build_seconds: f64, wall: f64, sent: u64, delivered: u64) -> Map<String, Value> {
    let mut results = Map::new();
    results.extend([
        ("build_seconds".into(), json!(build_seconds)),
        ("wall_seconds".into(), json!(wall)),
        ("messages_sent".into(), json!(sent)),
        ("messages_delivered".into(), json!(delivered)),
        (
            "deliveries_per_second".into(),
            json!(delivered as f64 / wall.max(1e-9)),
        ),
    ]);
    results
}

fn by_kind(counts: impl Iterator<Item = (&'static str, u64)>) -> Value {
    counts
        .map(|(kind, count)| (kind.to_owned(), json!(count)))
        .collect::<Map<String, Value>>()
        .into()
}

/// The report's shape is `gossip sim bench --format json`'s.
fn report(experiment: &str, protocol: &str, args: &Args, results: Map<String, Value>) -> Value {
    json!({
        "experiment": experiment,
        "seed": args.seed,
        "runs": 1,
        "params": { "nodes": args.nodes, "periods": args.periods, "protocol": protocol },
        "results": results,
    })
}

#[derive(Clone, Copy, Debug)]
enum Protocol {
    Foca,
    OursProbePath,
}

/// The flags of `gossip sim bench`, with its defaults, and the protocol to run.
#[derive(Debug)]
struct Args {
    nodes: usize,
    periods: u32,
    seed: u64,
    protocol: Protocol,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, Error> {
        let mut parsed = Args {
            nodes: 1000,
            periods: 100,
            seed: 1,
            protocol: Protocol::Foca,
        };
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            match (flag.as_str(), value.as_str()) {
                ("--nodes", _) => parsed.nodes = value.parse()?,
                ("--periods", _) => parsed.periods = value.parse()?,
                ("--seed", _) => parsed.seed = value.parse()?,
                ("--format", "json") => {}
                ("--protocol", "foca") => parsed.protocol = Protocol::Foca,
                ("--protocol", "ours-probe-path") => parsed.protocol = Protocol::OursProbePath,
                _ => {
                    return Err(format!(
                        "unknown flag or value: {flag} {value} (--nodes N, --periods P, \
                         --seed S, --format json, --protocol foca|ours-probe-path)"
                    )
                    .into());
                }
            }
        }
        if !(2..=100_000).contains(&parsed.nodes) {
            return Err("--nodes must be 2..=100000".into());
        }
        Ok(parsed)
    }
}

/// The process's peak resident memory, from `/proc/self/status` (Linux), as
/// `gossip sim bench` reads it; `None` elsewhere.
fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
