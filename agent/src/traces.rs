//! Trace files: `gossip sim chaos --trace FILE` writes one, `gossip sim replay FILE`
//! runs it again and shows what happened.

use std::path::Path;

use gossip_sim::Trace;
use serde_json::{Map, json};

use crate::cli::ReplayArgs;
use crate::experiment_error::ExperimentError;
use crate::report::{Items, Report, config_json};

/// Writes `trace` as JSON. Floats are written in their shortest exact form and read
/// back bit for bit (serde_json's `float_roundtrip`), so a replay is the same run.
pub fn write(path: &Path, trace: &Trace) -> Result<(), ExperimentError> {
    let json = serde_json::to_string(trace).map_err(|source| ExperimentError::NotATrace {
        path: path.to_owned(),
        source,
    })?;
    std::fs::write(path, json).map_err(|source| ExperimentError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Reads a trace written by [`write()`].
pub fn read(path: &Path) -> Result<Trace, ExperimentError> {
    let text = std::fs::read_to_string(path).map_err(|source| ExperimentError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| {
        let header = text.lines().next().unwrap_or_default();
        if serde_json::from_str::<crate::view::recording::RecordingHeader>(header).is_ok() {
            ExperimentError::ARecording {
                path: path.to_owned(),
            }
        } else {
            ExperimentError::NotATrace {
                path: path.to_owned(),
                source,
            }
        }
    })
}

/// Runs a trace again, checks it is the same run, and reports its last events and
/// every checker's verdict.
pub fn replay(args: &ReplayArgs) -> Result<Report, ExperimentError> {
    let trace = read(&args.file)?;
    let sim = trace.replay(Some(args.events))?;
    let digest = sim.trace_digest();
    let violations: Vec<String> = sim.check_all().iter().map(ToString::to_string).collect();
    let events = sim
        .log()
        .map(|entry| {
            let mut item = Map::new();
            item.insert("at_ms".into(), json!(entry.at.as_millis()));
            item.insert("node".into(), json!(entry.node.to_string()));
            item.insert("event".into(), json!(entry.event.to_string()));
            item
        })
        .collect();
    let setup = &trace.setup;
    let mut report = Report::new("replay", setup.seed, 1);
    report
        .param("file", args.file.display().to_string())
        .param("nodes", setup.nodes)
        .param("until_ms", trace.until.as_millis())
        .param("commands", trace.commands.len())
        .param("config", config_json(&setup.config));
    report
        .result("same_run", digest == trace.digest)
        .result("digest", format!("{digest:016x}"))
        .result("trace_digest", format!("{:016x}", trace.digest))
        .result("violation_count", violations.len())
        .result("violations", violations);
    report.items = Some(Items {
        name: "events",
        columns: &["at_ms", "node", "event"],
        rows: events,
    });
    Ok(report)
}
