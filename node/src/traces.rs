//! Trace files: `gossip sim chaos --trace FILE` writes one, `gossip sim replay FILE`
//! runs it again and shows what happened.

use std::path::Path;

use gossip_core::sim::Trace;
use serde_json::json;

use crate::cli::{Format, ReplayArgs};
use crate::experiments::ExperimentError;

/// Writes `trace` as JSON.
pub fn write(path: &Path, trace: &Trace) -> Result<(), ExperimentError> {
    let json = serde_json::to_string(trace)?;
    std::fs::write(path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Reads a trace written by [`write`].
pub fn read(path: &Path) -> Result<Trace, ExperimentError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let trace = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not a trace: {e}", path.display()))?;
    Ok(trace)
}

/// Runs a trace again, checks it is the same run, and reports its last events and
/// every checker's verdict.
pub fn replay(args: &ReplayArgs) -> Result<String, ExperimentError> {
    let trace = read(&args.file)?;
    let sim = trace.replay(Some(args.events))?;
    let same = sim.trace_digest() == trace.digest;
    let violations: Vec<String> = sim.check_all().iter().map(ToString::to_string).collect();
    let events: Vec<String> = sim
        .log()
        .map(|entry| format!("{} {} {}", entry.at, entry.node, entry.event))
        .collect();
    let setup = &trace.setup;
    Ok(match args.format {
        Format::Json => json!({
            "seed": setup.seed,
            "nodes": setup.nodes,
            "until_ms": trace.until.as_millis(),
            "commands": trace.commands.len(),
            "same_run": same,
            "digest": format!("{:016x}", sim.trace_digest()),
            "violations": violations,
            "events": events,
        })
        .to_string(),
        Format::Table | Format::Csv => {
            let mut lines = vec![
                format!(
                    "seed {}, {} nodes, {} commands, until {}",
                    setup.seed,
                    setup.nodes,
                    trace.commands.len(),
                    trace.until
                ),
                if same {
                    format!("the same run: digest {:016x}", sim.trace_digest())
                } else {
                    format!(
                        "a different run: digest {:016x}, the trace says {:016x} (another build?)",
                        sim.trace_digest(),
                        trace.digest
                    )
                },
                format!("{} violations", violations.len()),
            ];
            lines.extend(violations.iter().map(|v| format!("  {v}")));
            lines.push(format!("last {} events:", events.len()));
            lines.extend(events.iter().map(|e| format!("  {e}")));
            lines.join("\n")
        }
    })
}
