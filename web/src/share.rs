//! A run from elsewhere: a link (how the simulation was built, every command given with
//! its time, and the moment it was shared, in the page's URL as `#run=...`, JSON in
//! URL-safe base64), or a trace file (`gossip sim chaos --trace`). Either replays to
//! the same run, with the same digest (see `LabState::replayed`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64;
use gossip_core::Instant;
use gossip_sim::{Command, Setup, Simulation, Trace};

use crate::cluster::MAX_NODES;
use serde::{Deserialize, Serialize};

/// The part of the URL's fragment before the run.
pub const PREFIX: &str = "#run=";
/// The longest fragment read (a run with very many commands is better saved as a
/// trace file).
const MAX_LEN: usize = 200_000;

/// What a link holds.
#[derive(Debug, Serialize, Deserialize)]
struct SharedRun {
    setup: Setup,
    until: Instant,
    commands: Vec<(Instant, Command)>,
    /// The guided scenario under way, if any.
    #[serde(default)]
    scenario: Option<String>,
    /// The run's digest when it was shared, to tell a link from another build.
    #[serde(default)]
    digest: u64,
}

/// A run a link holds: the run as a trace, and the scenario under way.
#[derive(Debug)]
pub struct Link {
    pub trace: Trace,
    pub scenario: Option<String>,
}

/// The fragment (`#run=...`) that reproduces `sim` as it is now, with the scenario
/// under way.
pub fn fragment(sim: &Simulation, scenario: Option<&str>) -> String {
    let run = SharedRun {
        setup: sim.setup().clone(),
        until: sim.now(),
        commands: sim.commands().to_vec(),
        scenario: scenario.map(str::to_owned),
        digest: sim.trace_digest(),
    };
    let json = serde_json::to_vec(&run).unwrap_or_default();
    format!("{PREFIX}{}", BASE64.encode(json))
}

/// The run a fragment holds; `None` when the fragment holds no run.
pub fn decode(fragment: &str) -> Option<Result<Link, String>> {
    let encoded = fragment.strip_prefix(PREFIX)?;
    Some(decode_run(encoded))
}

fn decode_run(encoded: &str) -> Result<Link, String> {
    if encoded.len() > MAX_LEN {
        return Err(format!("the link holds over {MAX_LEN} characters of run"));
    }
    let json = BASE64
        .decode(encoded.trim())
        .map_err(|_| "the link's run is not readable (cut short when copied?)".to_owned())?;
    let run: SharedRun =
        serde_json::from_slice(&json).map_err(|e| format!("the link's run does not parse: {e}"))?;
    Ok(Link {
        trace: Trace {
            setup: run.setup,
            until: run.until,
            commands: run.commands,
            events: Vec::new(),
            messages: Vec::new(),
            digest: run.digest,
        },
        scenario: run.scenario,
    })
}

/// A trace file's text (`gossip sim chaos --trace`), read.
pub fn read_trace(text: &str) -> Result<Trace, String> {
    serde_json::from_str(text)
        .map_err(|e| format!("not a trace file (`gossip sim chaos --trace FILE` writes one): {e}"))
}

/// The longest run the page replays (it replays before it shows the run: 30 minutes
/// of 10,000 members take the page minutes).
pub const MAX_UNTIL: Instant = Instant::from_millis(30 * 60 * 1_000);
/// The most commands the page replays.
pub const MAX_COMMANDS: usize = 10_000;

/// Checks a run from outside (a link, a file) before it is replayed: the page's
/// limits, since it comes from anywhere and the page replays it before it shows it.
pub fn check_limits(trace: &Trace) -> Result<(), String> {
    let added = trace
        .commands
        .iter()
        .filter(|(_, c)| matches!(c, Command::AddNode { .. }))
        .count();
    let nodes = trace.setup.nodes.saturating_add(added);
    if nodes > MAX_NODES {
        return Err(format!("{nodes} nodes, over the {MAX_NODES} the lab runs"));
    }
    if trace.until > MAX_UNTIL {
        return Err(format!(
            "it runs until {}, past the {MAX_UNTIL} the lab replays",
            trace.until
        ));
    }
    if trace.commands.len() > MAX_COMMANDS {
        return Err(format!(
            "{} commands, over the {MAX_COMMANDS} the lab replays",
            trace.commands.len()
        ));
    }
    trace.setup.config.validate().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::new_simulation;
    use gossip_core::Duration;

    #[test]
    fn a_shared_run_replays_to_the_same_digest() {
        let config = gossip_core::Config {
            lifeguard: gossip_core::Lifeguard::ON,
            ..crate::cluster::lab_config()
        };
        let mut sim = new_simulation(77, config, 7);
        sim.run_for(Duration::from_secs(3));
        sim.crash("n3").unwrap();
        sim.partition(&["n1"], &["n2", "n4"]).unwrap();
        sim.set_network(sim.network().clone().with_loss(0.137));
        sim.run_for(Duration::from_secs(4));
        sim.put("n2", "colour", "blue").unwrap();
        sim.run_for(Duration::from_millis(1_234));
        let link = fragment(&sim, Some("partition"));
        assert!(link.starts_with(PREFIX));
        let Link { trace, scenario } = decode(&link).unwrap().unwrap();
        assert_eq!(scenario.as_deref(), Some("partition"));
        check_limits(&trace).unwrap();
        let again = trace.replay(None).unwrap();
        assert_eq!(again.now(), sim.now());
        assert_eq!(again.trace_digest(), sim.trace_digest());
        assert_eq!(again.nodes().count(), 7);
    }

    #[test]
    fn a_damaged_link_is_a_clear_error() {
        assert!(decode("#seed=4").is_none(), "not a run");
        let damaged = decode("#run=not*base64").unwrap().unwrap_err();
        assert!(damaged.contains("not readable"), "{damaged}");
        let cut = &fragment(&new_simulation(1, crate::cluster::lab_config(), 5), None)[..40];
        assert!(decode(cut).unwrap().is_err());
        let huge = format!("{PREFIX}{}", "A".repeat(MAX_LEN + 1));
        assert!(decode(&huge).unwrap().unwrap_err().contains("over"));
        assert!(read_trace("{}").unwrap_err().contains("not a trace"));
    }

    #[test]
    fn runs_beyond_the_lab_s_limits_are_refused_before_replaying() {
        let mut trace = new_simulation(1, crate::cluster::lab_config(), 5).trace();
        trace.until = MAX_UNTIL + Duration::from_millis(1);
        assert!(check_limits(&trace).unwrap_err().contains("past"));
        let mut trace = new_simulation(1, crate::cluster::lab_config(), 5).trace();
        let add = |i: usize| Command::AddNode {
            name: format!("x{i}"),
            seeds: vec![],
        };
        trace.commands = (0..MAX_NODES).map(|i| (Instant::ZERO, add(i))).collect();
        assert!(
            check_limits(&trace).unwrap_err().contains("nodes"),
            "added nodes count"
        );
        trace.setup.nodes = 1;
        trace.commands = (0..=MAX_COMMANDS)
            .map(|_| (Instant::ZERO, Command::RepairAll))
            .collect();
        assert!(check_limits(&trace).unwrap_err().contains("commands"));
    }
}
