//! `--data-dir`: an agent killed with SIGKILL and started again keeps every key it had
//! acknowledged, writes on as the same writer (the next sequence number, never one
//! reused), and comes back one incarnation higher, which the rest of the cluster sees.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::{Collected, Stopped, eventually, free_port};

fn gossip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args(args)
        .output()
        .unwrap()
}

fn json(args: &[&str]) -> Option<serde_json::Value> {
    let out = gossip(args);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).ok())
        .flatten()
}

fn agent(name: &str, udp: u16, http: u16, extra: &[&str]) -> Stopped {
    Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args([
                "agent",
                "--name",
                name,
                "--bind",
                &format!("127.0.0.1:{udp}"),
            ])
            .args(["--http", &format!("127.0.0.1:{http}")])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

/// n1's entry in the member list the agent at `http` answers.
fn n1_as_seen_from(http: &str) -> Option<(String, u64)> {
    let members = json(&["members", "--http", http, "--format", "json"])?;
    let n1 = members.as_array()?.iter().find(|m| m["name"] == "n1")?;
    Some((
        n1["status"].as_str()?.to_owned(),
        n1["incarnation"].as_u64()?,
    ))
}

#[test]
fn a_killed_agent_restarts_from_its_data_dir() {
    let dir = std::env::temp_dir().join(format!("gossip-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = ["--data-dir", dir.to_str().unwrap()];
    let (udp1, http1, udp2, http2) = (free_port(), free_port(), free_port(), free_port());
    let (api1, api2) = (format!("127.0.0.1:{http1}"), format!("127.0.0.1:{http2}"));
    let mut n1 = agent("n1", udp1, http1, &data);
    let join = format!("127.0.0.1:{udp1}");
    let mut n2 = agent("n2", udp2, http2, &["--join", &join]);
    assert!(
        eventually(Duration::from_secs(10), || n1_as_seen_from(&api2)
            .is_some_and(|(status, _)| status == "alive")),
        "n2 sees n1"
    );
    let put = gossip(&["kv", "--http", &api1, "put", "colour", "blue"]);
    assert!(put.status.success());
    assert!(eventually(Duration::from_secs(10), || {
        gossip(&["kv", "--http", &api2, "get", "colour"])
            .status
            .success()
    }));

    n1.0.kill().unwrap(); // SIGKILL: no leave, no last write
    n1.0.wait().unwrap();
    let mut n1 = agent("n1", udp1, http1, &data);
    assert!(eventually(Duration::from_secs(5), || {
        gossip(&["kv", "--http", &api1, "get", "colour"])
            .status
            .success()
    }));
    let colour = String::from_utf8_lossy(&gossip(&["kv", "--http", &api1, "get", "colour"]).stdout)
        .into_owned();
    assert!(
        colour.starts_with("colour = blue"),
        "the acknowledged key survived: {colour}"
    );
    let (_, incarnation) = n1_as_seen_from(&api1).unwrap();
    assert!(incarnation >= 1, "one incarnation higher: {incarnation}");
    assert!(
        eventually(Duration::from_secs(15), || n1_as_seen_from(&api2)
            .is_some_and(|(status, inc)| status == "alive" && inc >= 1)),
        "n2 sees n1 alive again at its new incarnation: {:?}",
        n1_as_seen_from(&api2)
    );
    let put = gossip(&["kv", "--http", &api1, "put", "shape", "round"]);
    assert!(put.status.success());
    let shape = json(&["kv", "--http", &api1, "list", "--format", "json"]).unwrap();
    let shape = shape
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == "shape")
        .unwrap()
        .clone();
    let clock = shape["versions"][0]["clock"].as_object().unwrap();
    assert_eq!(
        clock.values().filter_map(serde_json::Value::as_u64).max(),
        Some(2),
        "the same writer goes on at sequence 2: {shape}"
    );
    let _ = n1.0.kill();
    let _ = n2.0.kill();
    let _ = n1.0.wait();
    let _ = n2.0.wait();
    // The data dir is n1's: another name is refused rather than writing as n1.
    let other = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args([
            "agent",
            "--name",
            "n9",
            "--bind",
            &format!("127.0.0.1:{udp1}"),
        ])
        .args(data)
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(1));
    let err = String::from_utf8_lossy(&other.stderr);
    assert!(err.contains("holds the state of n1"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A write acknowledged by a lone agent (no peer holds a copy) survives a SIGKILL that
/// comes right after the acknowledgement: it was on disk before the answer.
#[test]
fn an_acknowledged_write_survives_an_immediate_kill() {
    let dir = std::env::temp_dir().join(format!("gossip-data-ack-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = ["--data-dir", dir.to_str().unwrap()];
    let (udp, http) = (free_port(), free_port());
    let api = format!("127.0.0.1:{http}");
    let mut alone = agent("n1", udp, http, &data);
    assert!(eventually(Duration::from_secs(5), || {
        gossip(&["members", "--http", &api]).status.success()
    }));
    for i in 0..20 {
        let put = gossip(&["kv", "--http", &api, "put", &format!("k{i}"), "v"]);
        assert!(put.status.success());
    }
    let writer_of = |key: &str| {
        json(&["kv", "--http", &api, "get", key, "--format", "json"]).unwrap()["versions"][0]
            ["writer"]
            .clone()
    };
    let writer = writer_of("k0");
    alone.0.kill().unwrap();
    alone.0.wait().unwrap();
    let mut again = agent("n1", udp, http, &data);
    assert!(eventually(Duration::from_secs(5), || {
        gossip(&["kv", "--http", &api, "get", "k19"])
            .status
            .success()
    }));
    let keys = json(&["kv", "--http", &api, "list", "--format", "json"]).unwrap();
    assert_eq!(keys.as_array().map(Vec::len), Some(20), "{keys}");
    // Alone, it never heard from a peer: nobody can have forgotten a delete of its
    // writes, so it writes on as the same writer rather than hold its store aside.
    assert!(
        gossip(&["kv", "--http", &api, "put", "k20", "v"])
            .status
            .success()
    );
    assert_eq!(writer_of("k20"), writer, "the same writer");
    let _ = again.0.kill();
    let _ = again.0.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without a data directory a restart is a new writer, even with a fixed `--rng-seed`:
/// two lives writing as one writer would number different writes alike.
#[test]
fn a_restart_without_a_data_dir_writes_as_a_new_writer_even_with_a_fixed_seed() {
    let (udp, http) = (free_port(), free_port());
    let api = format!("127.0.0.1:{http}");
    let writer_of_a_write = |value: &str| {
        let mut node = agent("n1", udp, http, &["--rng-seed", "42"]);
        let written = eventually(Duration::from_secs(10), || {
            gossip(&["kv", "--http", &api, "put", "k", value])
                .status
                .success()
        });
        assert!(written, "the agent answers");
        let info = json(&["kv", "--http", &api, "get", "k", "--format", "json"]).unwrap();
        let writer = info["versions"][0]["writer"].clone();
        let _ = support::terminate(&mut node.0, Duration::from_secs(10));
        writer
    };
    let first = writer_of_a_write("one");
    let second = writer_of_a_write("two");
    assert!(
        first.as_str().is_some_and(|w| w.starts_with("n1.")),
        "{first}"
    );
    assert_ne!(first, second, "a new epoch for each life");
}

/// `RUST_LOG=debug` logs every datagram an agent sends and receives, by kind, with the
/// peer's name once it is known.
#[test]
fn debug_logs_show_each_datagram_by_kind() {
    let (udp1, udp2) = (free_port(), free_port());
    let start = |name: &str, udp: u16, join: Option<u16>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gossip"));
        command
            .args([
                "agent",
                "--name",
                name,
                "--bind",
                &format!("127.0.0.1:{udp}"),
            ])
            .env("RUST_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(seed) = join {
            command.args(["--join", &format!("127.0.0.1:{seed}")]);
        }
        Stopped(command.spawn().unwrap())
    };
    let _first = start("n1", udp1, None);
    let mut second = start("n2", udp2, Some(udp1));
    // The log is read as it comes: n2 may speak before n1 has bound its port, and then
    // only its join retry reaches n1, so no fixed wait is long enough on a slow machine.
    let log = Collected::from(second.0.stderr.take().unwrap());
    let peer = format!("peer=127.0.0.1:{udp1}");
    let shows_datagram = |log: &str, wanted: &str| {
        log.lines().any(|l| {
            l.contains(&format!(" {wanted} {peer} "))
                && l.contains(" kind=")
                && l.contains("bytes=")
        })
    };
    let named = format!("{peer} peer_name=\"n1\" kind=");
    let complete = |log: &str| {
        shows_datagram(log, "sent")
            && shows_datagram(log, "received")
            && log.contains("kind=\"ping\"")
            && log.contains(&named)
    };
    log.wait_for(Duration::from_secs(20), complete);
    let _ = support::terminate(&mut second.0, Duration::from_secs(10));
    let log = log.finish();
    for wanted in ["sent", "received"] {
        assert!(shows_datagram(&log, wanted), "{wanted}:\n{log}");
    }
    assert!(log.contains("kind=\"ping\""), "{log}");
    assert!(log.contains(&named), "{log}");
}

/// The keys with a value the agent at `api` holds, by name.
fn key_names(api: &str) -> Option<Vec<String>> {
    let keys = json(&["kv", "--http", api, "list", "--format", "json"])?;
    keys.as_array()?
        .iter()
        .map(|k| k["key"].as_str().map(str::to_owned))
        .collect()
}

/// Whether the agent at `api` spreads no rumor any more.
fn rumors_cooled(api: &str) -> bool {
    json(&["stats", "--http", api, "--format", "json"])
        .is_some_and(|stats| stats["rumors"].as_array().is_some_and(Vec::is_empty))
}

/// Whether the agent at `api` holds no trace of `key`, not even a tombstone.
fn never_held(api: &str, key: &str) -> bool {
    let out = gossip(&["kv", "--http", api, "get", key]);
    let said = String::from_utf8_lossy(&out.stderr);
    !out.status.success() && said.contains("no key") && !said.contains("deleted by")
}

/// An agent that comes back `tombstone_grace` after it last heard from the cluster
/// holds its old store aside, says so, and takes it back once it has caught up with a
/// peer: a key deleted meanwhile, whose tombstone the others have collected (and whose
/// rumor has cooled), stays deleted.
#[test]
fn an_agent_back_after_the_tombstone_grace_does_not_bring_back_deletes() {
    let dir = std::env::temp_dir().join(format!("gossip-data-grace-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let quick = [
        "--set",
        "suspicion_timeout=1s",
        "--set",
        "reap_after=1s",
        "--set",
        // The time last heard is saved at most once a second: a second of the grace
        // goes to that, the rest to a restart counted as a short absence below.
        "tombstone_grace=3s",
        // Catching up takes a digest from each of the two others: at the default 5 s a
        // round, that alone could outlast the waits below.
        "--set",
        "sync_interval=1s",
        "--log-format",
        "json",
    ];
    let (udp1, http1, udp2, http2) = (free_port(), free_port(), free_port(), free_port());
    let (udp3, http3) = (free_port(), free_port());
    let (api1, api2) = (format!("127.0.0.1:{http1}"), format!("127.0.0.1:{http2}"));
    let api3 = format!("127.0.0.1:{http3}");
    let start_n1 = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args([
                "agent",
                "--name",
                "n1",
                "--bind",
                &format!("127.0.0.1:{udp1}"),
            ])
            .args(["--http", &api1, "--data-dir", dir.to_str().unwrap()])
            .args(quick)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Collected::from(child.stderr.take().unwrap());
        (Stopped(child), log)
    };
    let (mut n1, _) = start_n1();
    let join = format!("127.0.0.1:{udp1}");
    let mut extra = vec!["--join", join.as_str()];
    extra.extend(quick);
    let n2 = agent("n2", udp2, http2, &extra);
    let n3 = agent("n3", udp3, http3, &extra);
    for key in ["deleted", "kept"] {
        assert!(eventually(Duration::from_secs(10), || {
            gossip(&["kv", "--http", &api2, "put", key, "v"])
                .status
                .success()
        }));
    }
    assert!(
        eventually(Duration::from_secs(10), || key_names(&api1)
            .is_some_and(|keys| keys.len() == 2)),
        "n1 holds both keys"
    );
    for api in [&api1, &api2, &api3] {
        assert!(
            eventually(Duration::from_secs(10), || json(&[
                "members", "--http", api, "--status", "alive", "--format", "json"
            ])
            .and_then(|members| members.as_array().map(Vec::len))
                == Some(3)),
            "{api} knows all three"
        );
    }

    n1.0.kill().unwrap();
    n1.0.wait().unwrap();
    assert!(
        gossip(&["kv", "--http", &api2, "delete", "deleted"])
            .status
            .success()
    );
    for api in [&api2, &api3] {
        assert!(
            eventually(Duration::from_secs(20), || never_held(api, "deleted")
                && rumors_cooled(api)),
            "{api} collected the tombstone and its rumors cooled: {:?} {:?}",
            gossip(&["kv", "--http", api, "get", "deleted"]),
            json(&["stats", "--http", api, "--format", "json"])
        );
    }

    let (mut n1, log) = start_n1();
    assert!(
        eventually(Duration::from_secs(15), || key_names(&api1)
            .is_some_and(|keys| keys == ["kept"])),
        "caught up: {:?}",
        key_names(&api1)
    );
    assert!(
        never_held(&api1, "deleted"),
        "the deleted key did not come back: {:?}",
        gossip(&["kv", "--http", &api1, "get", "deleted"])
    );
    // Checked on the whole log below, where a failure can show it.
    log.wait_for(Duration::from_secs(10), |log| {
        log.contains("took back the store")
    });
    // In touch with the others for longer than the grace, with nothing to save: a
    // restart right after is not a long absence.
    std::thread::sleep(Duration::from_secs(4));
    n1.0.kill().unwrap();
    n1.0.wait().unwrap();
    let log = log.finish();
    let aside = log
        .lines()
        .find(|line| line.contains("store is held aside"))
        .unwrap_or_else(|| panic!("it says why: {log}"));
    assert!(aside.contains(r#""keys_aside":2"#), "{aside}");
    let taken = log
        .lines()
        .find(|line| line.contains("took back the store"))
        .unwrap_or_else(|| panic!("it says when it took the store back: {log}"));
    assert!(taken.contains(r#""forgotten":1"#), "{taken}");

    let (n1, log) = start_n1();
    assert!(
        eventually(Duration::from_secs(5), || key_names(&api1)
            .is_some_and(|keys| keys == ["kept"])),
        "restored whole"
    );
    drop((n1, n2, n3));
    let log = log.finish();
    assert!(log.contains("restored from the data dir"), "{log}");
    assert!(!log.contains("held aside"), "{log}");

    // Back alone after the grace, its peers gone: the store stays aside, and a reader
    // is told why a key is missing.
    std::thread::sleep(Duration::from_secs(4));
    let (_n1, _log) = start_n1();
    assert!(
        eventually(Duration::from_secs(5), || json(&[
            "stats", "--http", &api1, "--format", "json"
        ])
        .is_some_and(|stats| stats["keys_aside"] == 1 && stats["keys"] == 0)),
        "one key aside: {:?}",
        json(&["stats", "--http", &api1, "--format", "json"])
    );
    let missing = gossip(&["kv", "--http", &api1, "get", "kept"]);
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(
        !missing.status.success()
            && said.contains("; 1 key restored from the data dir is held aside"),
        "{said}"
    );
    let stats = gossip(&["stats", "--http", &api1]);
    assert!(
        String::from_utf8_lossy(&stats.stdout).contains("1 more held aside"),
        "{stats:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
