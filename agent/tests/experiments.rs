//! Every experiment of `gossip sim`, with each documented mode, at a small size: it
//! exits 0, reports in the one JSON shape, and its figures agree with the counts
//! behind them. Flags that change the run (`--preset`, `--set`, `--loss`) show up in
//! the configuration it reports and in what it measures.

use std::process::Command;

use gossip_core::{Cooling, GossipMode, RumorAccounting};
use serde_json::Value;

fn sim_json(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .arg("sim")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "gossip sim {}: {stdout}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(stdout.trim()).unwrap();
    for key in ["experiment", "seed", "runs", "params", "results"] {
        assert!(report.get(key).is_some(), "{key} in {report}");
    }
    assert_eq!(report["experiment"], args[0]);
    report
}

fn number(report: &Value, field: &str) -> f64 {
    report["results"][field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is a number in {}", report["results"]))
}

#[test]
fn every_rumor_mode_and_cooling_runs_and_its_rates_match_its_counts() {
    let combinations = GossipMode::NAMES.iter().flat_map(|mode| {
        Cooling::NAMES.iter().flat_map(move |cooling| {
            RumorAccounting::NAMES
                .iter()
                .map(move |accounting| (*mode, *cooling, *accounting))
        })
    });
    for (mode, cooling, accounting) in combinations {
        let args = [
            "rumor",
            "--nodes",
            "40",
            "--runs",
            "2",
            "--seed",
            "5",
            "--mode",
            mode,
            "--cooling",
            cooling,
            "--k",
            "4",
            "--accounting",
            accounting,
        ];
        let report = sim_json(&args);
        let config = &report["params"]["config"];
        assert_eq!(report["params"]["mode"], mode);
        assert_eq!(report["params"]["cooling"], cooling);
        assert_eq!(config["rumor_mode"], mode);
        assert_eq!(config["rumor_cooling"], cooling);
        assert_eq!(config["rumor_accounting"], accounting);
        let node_runs = number(&report, "node_runs");
        assert_eq!(node_runs, 80.0);
        assert_eq!(
            number(&report, "residue"),
            number(&report, "missed") / node_runs
        );
        assert_eq!(
            number(&report, "traffic"),
            number(&report, "messages") / node_runs
        );
        let label = format!("{mode} {cooling} {accounting}");
        assert!(number(&report, "messages") > 0.0, "{label}: {report}");
        assert!(
            number(&report, "residue") < 0.5,
            "{label} k=4 reaches most nodes: {report}"
        );
    }
}

#[test]
fn every_anti_entropy_mode_reaches_everyone() {
    for mode in GossipMode::NAMES {
        let report = sim_json(&[
            "anti-entropy",
            "--nodes",
            "30",
            "--runs",
            "2",
            "--mode",
            mode,
        ]);
        assert_eq!(report["params"]["config"]["anti_entropy_mode"], *mode);
        assert_eq!(number(&report, "finished_runs"), 2.0, "{mode}: {report}");
        assert!(number(&report, "cycles_to_full_mean") > 0.0);
    }
}

#[test]
fn detection_dissemination_and_false_positives_report_their_figures() {
    let detection = sim_json(&["detection", "--nodes", "12", "--runs", "2"]);
    assert_eq!(number(&detection, "detected_runs"), 2.0, "{detection}");
    assert!(number(&detection, "all_dead_mean") >= number(&detection, "first_detection_mean"));

    let dissemination = sim_json(&["dissemination", "--nodes", "12", "--runs", "2"]);
    assert_eq!(
        number(&dissemination, "finished_runs"),
        2.0,
        "{dissemination}"
    );

    let fp = sim_json(&[
        "false-positives",
        "--nodes",
        "10",
        "--runs",
        "1",
        "--duration",
        "60",
        "--loss",
        "0.2",
    ]);
    let (failed, probes) = (number(&fp, "failed_probes"), number(&fp, "probes"));
    assert!(
        failed > 0.0,
        "a fifth of datagrams lost fails some probes: {fp}"
    );
    assert_eq!(number(&fp, "probe_failure_rate"), failed / probes);
    assert_eq!(fp["params"]["loss"], 0.2);
}

#[test]
fn preset_set_and_loss_change_the_run() {
    let wan = sim_json(&[
        "detection",
        "--nodes",
        "8",
        "--runs",
        "1",
        "--preset",
        "wan",
    ]);
    assert_eq!(wan["params"]["preset"], "wan");
    assert_eq!(wan["params"]["config"]["probe_interval"], "5s");
    let plain = sim_json(&[
        "detection",
        "--nodes",
        "8",
        "--runs",
        "1",
        "--set",
        "lifeguard=false",
        "--set",
        "fanout=5",
    ]);
    let config = &plain["params"]["config"];
    assert_eq!(config["fanout"], 5);
    assert_eq!(config["lifeguard"]["nack"], false);
    assert_eq!(config["lifeguard"]["local_health"], false);

    let quiet = sim_json(&[
        "false-positives",
        "--nodes",
        "10",
        "--runs",
        "1",
        "--duration",
        "60",
    ]);
    assert_eq!(number(&quiet, "failed_probes"), 0.0, "{quiet}");
}

#[test]
fn bench_counts_the_cluster() {
    let bench = sim_json(&["bench", "--nodes", "20", "--periods", "5"]);
    assert_eq!(number(&bench, "member_table_entries"), 20.0 * 19.0);
    assert!(number(&bench, "messages_delivered") > 0.0);
}

#[test]
fn csv_is_csv_for_every_experiment() {
    let out = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args([
            "sim",
            "dissemination",
            "--nodes",
            "8",
            "--runs",
            "1",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(
        lines[0].split(',').count(),
        lines[1].split(',').count(),
        "{text}"
    );
    assert!(lines[0].starts_with("experiment,seed,runs,"), "{text}");
}

/// The configuration a report shows is the one that ran (Demers' model: one contact a
/// cycle, anti-entropy off for rumors), and a `--set` that the experiment's own flags
/// would override is refused, naming the flag.
#[test]
fn reports_show_the_config_that_ran_and_refuse_overridden_settings() {
    let rumor = sim_json(&["rumor", "--nodes", "10", "--runs", "1"]);
    assert_eq!(rumor["params"]["config"]["fanout"], 1);
    assert_eq!(rumor["params"]["config"]["anti_entropy"], false);
    let anti_entropy = sim_json(&["anti-entropy", "--nodes", "10", "--runs", "1"]);
    assert_eq!(anti_entropy["params"]["config"]["rumor_mongering"], false);

    let out = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args([
            "sim",
            "rumor",
            "--nodes",
            "10",
            "--runs",
            "1",
            "--set",
            "rumor_mode=pull",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "as a wrong flag: {err}");
    assert!(err.contains("--mode"), "{err}");
}

/// Chaos reports in the one shape too, and its CSV is one row per violation under a
/// fixed header (no violations: the header alone).
#[test]
fn chaos_reports_in_the_one_shape_and_as_csv() {
    let chaos = sim_json(&["chaos", "--schedules", "2", "--nodes", "6", "--steps", "5"]);
    assert_eq!(chaos["runs"], 2);
    assert!(chaos["results"]["violations"].is_array(), "{chaos}");
    assert_eq!(
        chaos["results"]["violation_count"].as_u64(),
        chaos["results"]["violations"]
            .as_array()
            .map(|v| v.len() as u64)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args([
            "sim",
            "chaos",
            "--schedules",
            "2",
            "--nodes",
            "6",
            "--steps",
            "5",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        csv.lines().next(),
        Some("seed,checker,detail,replay"),
        "{csv}"
    );
}
