//! `GET /metrics`: the agent's counters in the Prometheus text exposition format
//! (version 0.0.4), for scraping. The node already keeps every counter (`Stats`); this
//! renders one snapshot of them per scrape, so the format is all there is to it: a
//! `# HELP` and `# TYPE` line per metric, then one line per label set.

use std::fmt::Write;

use crate::view::StatsInfo;

/// The exposition's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One metric family being written.
struct Family<'a> {
    out: &'a mut String,
    name: &'static str,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &'static str, kind: &str, help: &str) -> Family<'a> {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Family { out, name }
    }

    fn value(&mut self, value: impl std::fmt::Display) {
        let _ = writeln!(self.out, "{} {value}", self.name);
    }

    fn labelled(&mut self, label: &str, label_value: &str, value: impl std::fmt::Display) {
        // Label values here are protocol names (states, message kinds): no quoting needed,
        // but escape what the format reserves all the same.
        let escaped = label_value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n");
        let _ = writeln!(self.out, "{}{{{label}=\"{escaped}\"}} {value}", self.name);
    }
}

/// The exposition of one snapshot of an agent's counters.
pub fn render(stats: &StatsInfo) -> String {
    let mut out = String::new();
    let mut members = Family::new(
        &mut out,
        "gossip_members",
        "gauge",
        "Members this node holds in each state, itself included.",
    );
    for state in ["alive", "suspect", "dead", "left"] {
        members.labelled(
            "state",
            state,
            stats.members.get(state).copied().unwrap_or(0),
        );
    }
    let by_kind = [
        (
            "gossip_messages_sent_total",
            "Datagrams sent, by message kind.",
            &stats.messages_sent,
        ),
        (
            "gossip_messages_received_total",
            "Datagrams received, by message kind.",
            &stats.messages_received,
        ),
        (
            "gossip_bytes_sent_total",
            "Bytes sent, by message kind.",
            &stats.bytes_sent,
        ),
        (
            "gossip_bytes_received_total",
            "Bytes received, by message kind.",
            &stats.bytes_received,
        ),
    ];
    for (name, help, counts) in by_kind {
        let mut family = Family::new(&mut out, name, "counter", help);
        for (kind, count) in counts {
            family.labelled("kind", kind, count);
        }
    }
    let plain = [
        (
            "gossip_probes_total",
            "counter",
            "Probes started.",
            stats.probes as f64,
        ),
        (
            "gossip_failed_probes_total",
            "counter",
            "Probes that got no ack in their period.",
            stats.failed_probes as f64,
        ),
        (
            "gossip_indirect_probes_total",
            "counter",
            "Probes that went on through witnesses (ping-req).",
            stats.indirect_probes as f64,
        ),
        (
            "gossip_refutations_total",
            "counter",
            "Suspicions of this node it refuted.",
            stats.refutations as f64,
        ),
        (
            "gossip_decode_errors_total",
            "counter",
            "Datagrams dropped because they did not decode.",
            stats.decode_errors as f64,
        ),
        (
            "gossip_address_checks_total",
            "counter",
            "Pings sent to check an address before sending it a full state.",
            stats.address_checks as f64,
        ),
        (
            "gossip_address_checks_passed_total",
            "counter",
            "Address checks answered in time, each followed by the full state.",
            stats.address_checks_passed as f64,
        ),
        (
            "gossip_conflicts_total",
            "counter",
            "Writes that arrived concurrent with the version held, leaving siblings.",
            stats.conflicts as f64,
        ),
        (
            "gossip_user_events_sent_total",
            "counter",
            "User events sent from this node.",
            stats.user_events.sent as f64,
        ),
        (
            "gossip_user_events_heard_total",
            "counter",
            "User events heard, each once, those sent from here included.",
            stats.user_events.heard as f64,
        ),
        (
            "gossip_user_events_expired_total",
            "counter",
            "User events dropped unsent, before they were passed on as often as news is.",
            stats.user_events.expired as f64,
        ),
        (
            "gossip_encrypted",
            "gauge",
            "1 when datagrams are sealed with a keyring, else 0.",
            if stats.encrypted { 1.0 } else { 0.0 },
        ),
        (
            "gossip_local_health",
            "gauge",
            "Lifeguard's Local Health score (0: healthy).",
            f64::from(stats.local_health),
        ),
        (
            "gossip_incarnation",
            "gauge",
            "This node's incarnation.",
            f64::from(stats.incarnation),
        ),
        (
            "gossip_keys",
            "gauge",
            "Keys in this node's store.",
            stats.keys as f64,
        ),
        (
            "gossip_keys_aside",
            "gauge",
            "Keys of a store restored from the data dir, held aside until this node has caught up with its peers.",
            stats.keys_aside as f64,
        ),
        (
            "gossip_rumors_hot",
            "gauge",
            "Rumors this node is still spreading (rumor mongering; they cool as they meet members that knew).",
            stats.rumors.len() as f64,
        ),
        (
            "gossip_interned",
            "gauge",
            "Names, addresses and pairs of them this node has numbered (renumbered afresh once reaping left it twice what it held).",
            stats.interned as f64,
        ),
        (
            "gossip_uptime_seconds",
            "gauge",
            "Seconds since the agent started.",
            stats.uptime_seconds,
        ),
    ];
    for (name, kind, help, value) in plain {
        Family::new(&mut out, name, kind, help).value(value);
    }
    let refused = [
        ("unauthenticated", stats.refused.unauthenticated),
        ("stale", stats.refused.stale),
        ("replayed", stats.refused.replayed),
        ("wrong_cluster", stats.refused.wrong_cluster),
    ];
    let mut family = Family::new(
        &mut out,
        "gossip_datagrams_refused_total",
        "counter",
        "Datagrams refused before the protocol saw them: not sealed with a key of the ring \
         or altered (unauthenticated), too old (stale), seen before (replayed), or another \
         cluster's (wrong_cluster).",
    );
    for (reason, count) in refused {
        family.labelled("reason", reason, count);
    }
    let runs = stats.event_handlers;
    let mut family = Family::new(
        &mut out,
        "gossip_event_handler_runs_total",
        "counter",
        "Runs of the --event-handler commands, by how they ended: exit status 0 \
         (succeeded), another or none (failed), or killed at the time limit (killed).",
    );
    for (outcome, count) in [
        ("succeeded", runs.succeeded),
        ("failed", runs.failed),
        ("killed", runs.killed),
    ] {
        family.labelled("outcome", outcome, count);
    }
    Family::new(
        &mut out,
        "gossip_event_handler_missed_events_total",
        "counter",
        "Events the event handlers never ran on: they fell too far behind.",
    )
    .value(runs.missed);
    histogram(
        &mut out,
        "gossip_probe_rtt_seconds",
        "Time from each probe's ping to its first ack, direct or relayed.",
        &stats.probe_rtt,
    );
    out
}

/// A histogram family: cumulative `_bucket`s by upper bound, then `_sum` and `_count`.
fn histogram(out: &mut String, name: &str, help: &str, rtt: &crate::view::RttInfo) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (bound, count) in rtt.bounds_ms.iter().zip(&rtt.cumulative) {
        let seconds = *bound as f64 / 1000.0;
        let _ = writeln!(out, "{name}_bucket{{le=\"{seconds}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", rtt.count);
    let _ = writeln!(out, "{name}_sum {}", rtt.sum_seconds);
    let _ = writeln!(out, "{name}_count {}", rtt.count);
}
