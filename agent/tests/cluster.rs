//! A real local cluster, as a user starts it: `gossip cluster` launches the agents, and
//! `gossip members`, `gossip kv`, `gossip leave` talk to their HTTP APIs. Bad requests
//! and unreachable agents are one clear line and exit status 2.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::{Stopped, eventually, free_run, terminate};

fn gossip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_launched_cluster_shares_members_and_keys_through_the_cli() {
    let pid = std::process::id() as u16;
    let udp = free_run(20_000 + pid % 10_000, 3);
    let http = free_run(udp + 3, 3);
    let api = |i: u16| format!("127.0.0.1:{}", http + i);
    let recording = std::env::temp_dir().join(format!("gossip-recording-{pid}.jsonl"));
    let mut launcher = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["cluster", "--nodes", "3"])
            .args(["--record", recording.to_str().unwrap()])
            .args([
                "--base-port",
                &udp.to_string(),
                "--http-base",
                &http.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );

    let three_alive = eventually(Duration::from_secs(15), || {
        let out = gossip(&[
            "members",
            "--http",
            &api(0),
            "--status",
            "alive",
            "--format",
            "json",
        ]);
        out.status.success()
            && serde_json::from_slice::<serde_json::Value>(&out.stdout)
                .is_ok_and(|members| members.as_array().is_some_and(|m| m.len() == 3))
    });
    assert!(
        three_alive,
        "{}",
        text(&gossip(&["members", "--http", &api(0)]))
    );
    let table = text(&gossip(&["members", "--http", &api(2)]));
    assert!(
        table.starts_with("name") && table.contains("n1") && table.contains("alive"),
        "{table}"
    );

    // Tags: the launcher tags each agent with its page; a change made on n2 reaches n1
    // with a higher incarnation.
    let tags_of = |http: &str, name: &str| -> Option<(serde_json::Value, u64)> {
        let out = gossip(&["members", "--http", http, "--format", "json"]);
        let members: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        let member = members.as_array()?.iter().find(|m| m["name"] == name)?;
        Some((member["tags"].clone(), member["incarnation"].as_u64()?))
    };
    assert_eq!(
        tags_of(&api(0), "n3").map(|(tags, _)| tags),
        Some(serde_json::json!({ "http": api(2) })),
        "n1 knows n3's page"
    );
    let tagged = gossip(&[
        "tags",
        "--http",
        &api(1),
        "--set",
        "role=db",
        "--set",
        "dc=east",
    ]);
    assert!(tagged.status.success(), "{}", text(&tagged));
    assert_eq!(
        text(&tagged),
        format!("dc=east\nhttp={}\nrole=db\n", api(1))
    );
    let heard = eventually(Duration::from_secs(10), || {
        tags_of(&api(0), "n2").is_some_and(|(tags, incarnation)| {
            tags["role"] == "db" && tags["dc"] == "east" && incarnation >= 1
        })
    });
    assert!(
        heard,
        "n1 hears n2's new tags: {:?}",
        tags_of(&api(0), "n2")
    );
    let untagged = gossip(&["tags", "--http", &api(1), "--delete", "dc"]);
    assert!(untagged.status.success(), "{}", text(&untagged));
    assert!(eventually(Duration::from_secs(10), || {
        tags_of(&api(0), "n2").is_some_and(|(tags, _)| tags.get("dc").is_none())
    }));
    let oversized = format!("big={}", "x".repeat(300));
    let refused = gossip(&["tags", "--http", &api(1), "--set", &oversized]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("256"), "{}", text(&refused));

    // `gossip events` follows n2's stream while the key is written on n1.
    let mut events = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args(["events", "--http", &api(1)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let put = gossip(&["kv", "--http", &api(0), "put", "colour", "blue"]);
    assert!(put.status.success(), "{}", text(&put));
    let spread = eventually(Duration::from_secs(10), || {
        text(&gossip(&["kv", "--http", &api(2), "get", "colour"])).starts_with("colour = blue")
    });
    assert!(spread, "the key reached n3");
    std::thread::sleep(Duration::from_millis(300));
    let _ = events.kill();
    let streamed = events.wait_with_output().unwrap();
    let streamed = String::from_utf8_lossy(&streamed.stdout);
    assert!(
        streamed
            .lines()
            .any(|l| l.starts_with("key_changed ") && l.contains("\"key\":\"colour\"")),
        "one line per event: {streamed}"
    );

    // What a user gets wrong is one line and status 2, and changes nothing.
    let missing = gossip(&["kv", "--http", &api(1), "get", "no-such-key"]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
    assert!(text(&missing).contains("no key"), "{}", text(&missing));
    let huge = "x".repeat(5_000);
    let too_large = gossip(&["kv", "--http", &api(1), "put", "big", &huge]);
    assert_eq!(too_large.status.code(), Some(2));
    assert!(
        text(&too_large).contains("over the limit"),
        "{}",
        text(&too_large)
    );
    let nobody = gossip(&["members", "--http", "127.0.0.1:1"]);
    assert_eq!(nobody.status.code(), Some(2));
    assert!(text(&nobody).contains("cannot reach"), "{}", text(&nobody));

    let leave = gossip(&["leave", "--http", &api(2)]);
    assert!(leave.status.success(), "{}", text(&leave));
    let n3_left = eventually(Duration::from_secs(10), || {
        text(&gossip(&["members", "--http", &api(0), "--status", "left"])).contains("n3")
    });
    assert!(n3_left, "n1 sees n3 as left");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        matches!(launcher.0.try_wait(), Ok(None)),
        "one agent leaving does not stop the launcher"
    );
    assert!(
        text(&gossip(&["kv", "--http", &api(1), "list"])).contains("colour = blue"),
        "n2 still holds the key"
    );
    assert!(
        terminate(&mut launcher.0, Duration::from_secs(10)).is_some_and(|s| s.success()),
        "the launcher stops its agents and exits 0 on SIGTERM"
    );
    let gone = gossip(&["members", "--http", &api(0)]);
    assert_eq!(gone.status.code(), Some(2), "the agents stopped with it");

    // The recording: a header naming the three, each agent's member table, then events
    // in the order they came, the key's spread and n3's departure among them.
    let recorded = std::fs::read_to_string(&recording).unwrap();
    let _ = std::fs::remove_file(&recording);
    let mut lines = recorded.lines();
    let header: gossip_agent::view::recording::RecordingHeader =
        serde_json::from_str(lines.next().unwrap()).unwrap();
    let names: Vec<&str> = header.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["n1", "n2", "n3"]);
    use gossip_agent::view::recording::Recorded;
    let entries: Vec<Recorded> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    let tables = entries
        .iter()
        .filter(|e| matches!(e, Recorded::Members { .. }))
        .count();
    assert_eq!(tables, 3, "{recorded}");
    let times: Vec<u64> = entries
        .iter()
        .filter_map(|e| match e {
            Recorded::Event { at_ms, .. } => Some(*at_ms),
            _ => None,
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");
    let happened = |node: &str, wanted: &dyn Fn(&gossip_core::Event) -> bool| {
        entries.iter().any(
            |e| matches!(e, Recorded::Event { node: n, event, .. } if n == node && wanted(event)),
        )
    };
    assert!(happened("n3", &|e| matches!(
        e,
        gossip_core::Event::KeyChanged { key, .. } if key == "colour"
    )));
    assert!(happened("n1", &|e| matches!(
        e,
        gossip_core::Event::MemberLeft { id } if id.as_str() == "n3"
    )));
}
