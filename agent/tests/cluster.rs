//! A real local cluster, as a user starts it: `gossip cluster` launches the agents, and
//! `gossip members`, `gossip kv`, `gossip leave` talk to their HTTP APIs. Bad requests
//! and unreachable agents are one clear line and exit status 2.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::{Collected, Stopped, eventually, free_run, terminate};

fn gossip(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args(args)
        .output()
        .unwrap()
}

/// `gossip ARGS` with `input` on its standard input.
fn gossip_fed(args: &[&str], input: &[u8]) -> Output {
    let mut run = Command::new(env!("CARGO_BIN_EXE_gossip"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut run.stdin.take().unwrap(), input).unwrap();
    run.wait_with_output().unwrap()
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
    // A recording is never written over: one left by an aborted run goes first.
    let _ = std::fs::remove_file(&recording);
    // Every agent runs the handler: each writes who heard which member's tags change.
    let updates = std::env::temp_dir().join(format!("gossip-cluster-updates-{pid}.log"));
    let _ = std::fs::remove_file(&updates);
    let on_update = format!(
        "updated=echo $GOSSIP_SELF_NAME heard $GOSSIP_MEMBER tagged >> {}",
        updates.display()
    );
    // And each writes the user events it hears.
    let on_user = format!(
        "user=echo $GOSSIP_SELF_NAME heard $GOSSIP_USER_EVENT $GOSSIP_USER_PAYLOAD from $GOSSIP_USER_ORIGIN >> {}",
        updates.display()
    );
    let mut launcher = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["cluster", "--nodes", "3"])
            .args(["--record", recording.to_str().unwrap()])
            .args(["--event-handler", &on_update])
            .args(["--event-handler", &on_user])
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

    // Every agent holds all three: one that first hears of a member through news of
    // its changed tags reports it joined, not updated, and the handlers below wait for
    // updated.
    let three_alive = eventually(Duration::from_secs(15), || {
        (0..3).all(|i| {
            let out = gossip(&[
                "members",
                "--http",
                &api(i),
                "--status",
                "alive",
                "--format",
                "json",
            ]);
            out.status.success()
                && serde_json::from_slice::<serde_json::Value>(&out.stdout)
                    .is_ok_and(|members| members.as_array().is_some_and(|m| m.len() == 3))
        })
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
    let handled = |line: &str| {
        std::fs::read_to_string(&updates)
            .unwrap_or_default()
            .lines()
            .any(|l| l == line)
    };
    assert!(
        eventually(Duration::from_secs(10), || {
            handled("n1 heard n2 tagged") && handled("n3 heard n2 tagged")
        }),
        "each other agent ran its handler: {:?}; n3 holds n2 as {:?}",
        std::fs::read_to_string(&updates),
        tags_of(&api(2), "n2"),
    );
    assert!(
        !handled("n2 heard n2 tagged"),
        "an agent's own change is no event"
    );

    // A user event sent through n2 is heard once by every agent, n2 included.
    let sent = gossip(&["event", "--http", &api(1), "deploy", "v2"]);
    assert!(sent.status.success(), "{}", text(&sent));
    let heard_deploy = || {
        std::fs::read_to_string(&updates)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.ends_with("heard deploy v2 from n2"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert!(
        eventually(Duration::from_secs(10), || heard_deploy().len() == 3),
        "every agent ran its user handler: {:?}",
        heard_deploy()
    );
    std::thread::sleep(Duration::from_secs(2));
    let mut heard = heard_deploy();
    heard.sort();
    assert_eq!(
        heard,
        [
            "n1 heard deploy v2 from n2",
            "n2 heard deploy v2 from n2",
            "n3 heard deploy v2 from n2"
        ],
        "once each"
    );
    // `events --kind user:deploy` shows the deploy events, from before, and no others.
    let sent = gossip(&["event", "--http", &api(1), "restart"]);
    assert!(sent.status.success(), "{}", text(&sent));
    assert!(eventually(Duration::from_secs(10), || {
        std::fs::read_to_string(&updates)
            .unwrap_or_default()
            .contains("n1 heard restart")
    }));
    let mut deploys = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["events", "--http", &api(0), "--recent"])
            .args(["--kind", "user:deploy", "--format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deploys_streamed = Collected::from(deploys.0.stdout.take().unwrap());
    let deploy_seen =
        deploys_streamed.wait_for(Duration::from_secs(10), |text| text.contains("\"deploy\""));
    // And as they come: a restart, then a deploy, sent while it follows.
    for (name, payload) in [("restart", "live"), ("deploy", "v3")] {
        let sent = gossip(&["event", "--http", &api(1), name, payload]);
        assert!(sent.status.success(), "{}", text(&sent));
    }
    let live_seen =
        deploys_streamed.wait_for(Duration::from_secs(10), |text| text.contains("\"v3\""));
    // The restart went first: shown, it would most likely be there by now.
    std::thread::sleep(Duration::from_millis(300));
    let _ = deploys.0.kill();
    let _ = deploys.0.wait();
    let deploys_streamed = deploys_streamed.finish();
    assert!(deploy_seen && live_seen, "{deploys_streamed}");
    assert!(
        !deploys_streamed.contains("restart"),
        "only the deploy events: {deploys_streamed}"
    );
    // Tags changed by several clients at once all stand.
    let changes: Vec<_> = (0..6)
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_gossip"))
                .args(["tags", "--http", &api(2), "--set", &format!("k{i}=v")])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut change in changes {
        assert!(change.wait().unwrap().success());
    }
    let tags = text(&gossip(&["tags", "--http", &api(2)]));
    for i in 0..6 {
        assert!(tags.contains(&format!("k{i}=v")), "k{i} lost: {tags}");
    }

    let refused = gossip(&["event", "--http", &api(1), "big", &"x".repeat(600)]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("over the limit of 512"),
        "{}",
        text(&refused)
    );
    let untagged = gossip(&[
        "tags",
        "--http",
        &api(1),
        "--delete",
        "dc",
        "--format",
        "json",
    ]);
    assert!(untagged.status.success(), "{}", text(&untagged));
    let left: serde_json::Value = serde_json::from_str(&text(&untagged)).unwrap();
    assert_eq!(left, serde_json::json!({ "http": api(1), "role": "db" }));
    assert!(eventually(Duration::from_secs(10), || {
        tags_of(&api(0), "n2").is_some_and(|(tags, _)| tags.get("dc").is_none())
    }));
    let oversized = format!("big={}", "x".repeat(300));
    let refused = gossip(&["tags", "--http", &api(1), "--set", &oversized]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("256"), "{}", text(&refused));

    // `gossip events --recent` follows n2's stream while the key is written on n1: it
    // starts with what n2 reported before (its joining), then gives each event once.
    let mut events = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["events", "--http", &api(1), "--recent"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let streamed = Collected::from(events.0.stdout.take().unwrap());
    // And with `--kind`, only the kind asked for, from before and after.
    let mut key_events = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args([
                "events",
                "--http",
                &api(1),
                "--recent",
                "--kind",
                "key_changed",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let key_streamed = Collected::from(key_events.0.stdout.take().unwrap());
    let put = gossip(&["kv", "--http", &api(0), "put", "colour", "blue"]);
    assert!(put.status.success(), "{}", text(&put));
    let spread = eventually(Duration::from_secs(10), || {
        text(&gossip(&["kv", "--http", &api(2), "get", "colour"])).starts_with("colour = blue")
    });
    assert!(spread, "the key reached n3");
    let blue =
        |l: &str| l.contains("  key_changed ") && l.contains("colour = \"blue\" (written by n1.");
    let seen = streamed.wait_for(Duration::from_secs(10), |text| text.lines().any(blue));
    let _ = events.0.kill();
    let _ = events.0.wait();
    let streamed = streamed.finish();
    assert!(seen, "one line of words per event: {streamed}");
    assert_eq!(
        streamed.lines().filter(|l| blue(l)).count(),
        1,
        "{streamed}"
    );
    assert!(
        streamed.contains(" joined_cluster "),
        "the events from before come first: {streamed}"
    );
    let key_seen = key_streamed.wait_for(Duration::from_secs(10), |text| text.lines().any(blue));
    let _ = key_events.0.kill();
    let _ = key_events.0.wait();
    let key_streamed = key_streamed.finish();
    assert!(key_seen, "{key_streamed}");
    assert!(
        key_streamed.lines().all(|l| l.contains("  key_changed ")),
        "only key changes: {key_streamed}"
    );

    // `gossip datagrams --kind ping` shows n1's probes, each peer by name.
    let mut datagrams = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["datagrams", "--http", &api(0), "--kind", "ping"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let watched = Collected::from(datagrams.0.stdout.take().unwrap());
    let probe = |l: &str| {
        l.contains("  sent      ping ")
            && (l.contains("→ n2 (127.0.0.1:") || l.contains("→ n3 (127.0.0.1:"))
            && l.ends_with(" bytes")
    };
    let seen = watched.wait_for(Duration::from_secs(10), |text| {
        text.lines().any(probe) && text.lines().any(|l| l.contains("  received  ping "))
    });
    let _ = datagrams.0.kill();
    let _ = datagrams.0.wait();
    let watched = watched.finish();
    assert!(seen, "n1's probes, sent and received: {watched}");
    assert!(
        watched.lines().all(|l| l.contains(" ping ")),
        "only the kind asked for: {watched}"
    );

    // A deleted key reads as missing (saying by whom) and is listed only when asked.
    assert!(
        gossip(&["kv", "--http", &api(0), "put", "shade", "dark"])
            .status
            .success()
    );
    assert!(
        gossip(&["kv", "--http", &api(0), "delete", "shade"])
            .status
            .success()
    );
    let gone = gossip(&["kv", "--http", &api(0), "get", "shade"]);
    assert_eq!(gone.status.code(), Some(2), "{}", text(&gone));
    assert!(
        text(&gone).contains("no key shade: deleted by n1."),
        "{}",
        text(&gone)
    );
    let tombstone = gossip(&["kv", "--http", &api(0), "get", "shade", "--format", "json"]);
    assert!(tombstone.status.success(), "{}", text(&tombstone));
    assert!(
        text(&tombstone).contains(r#""value":null"#),
        "{}",
        text(&tombstone)
    );
    let listed = text(&gossip(&["kv", "--http", &api(0), "list"]));
    assert!(
        listed.contains("colour = blue") && !listed.contains("shade"),
        "{listed}"
    );
    let all = text(&gossip(&["kv", "--http", &api(0), "list", "--deleted"]));
    assert!(all.contains("shade = (deleted)"), "{all}");

    // `kv put KEY -` stores standard input as it is, newlines and all.
    let fed = gossip_fed(
        &["kv", "--http", &api(0), "put", "motd", "-"],
        b"line one\nline two\n",
    );
    assert!(fed.status.success(), "{}", text(&fed));
    let stored = gossip(&["kv", "--http", &api(0), "get", "motd", "--format", "json"]);
    let stored: serde_json::Value = serde_json::from_slice(&stored.stdout).unwrap();
    assert_eq!(stored["value"], "line one\nline two\n");
    let binary = gossip_fed(&["kv", "--http", &api(0), "put", "raw", "-"], b"\xff\xfe");
    assert_eq!(binary.status.code(), Some(2), "{}", text(&binary));
    assert!(text(&binary).contains("not UTF-8"), "{}", text(&binary));

    // `gossip stats` sums an agent up for a person; `--format json` has every counter.
    let summary = text(&gossip(&["stats", "--http", &api(0)]));
    let fact = |name: &str| {
        summary
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(fact("node "), "n1 (joined)", "{summary}");
    assert!(fact("members ").starts_with("3 alive"), "{summary}");
    assert!(!fact("rumors spread ").is_empty(), "{summary}");
    assert!(summary.lines().any(|l| l.starts_with("ping ")), "{summary}");
    let counters: serde_json::Value =
        serde_json::from_slice(&gossip(&["stats", "--http", &api(0), "--format", "json"]).stdout)
            .unwrap();
    assert!(
        counters["messages_sent"]["ping"].as_u64() > Some(0),
        "{counters}"
    );
    // A ping is tens of bytes: the bytes are counted apart from the datagrams.
    let pings = |field: &str| counters[field]["ping"].as_u64().unwrap_or(0);
    assert!(
        pings("bytes_sent") >= 20 * pings("messages_sent")
            && pings("bytes_received") >= 20 * pings("messages_received"),
        "{counters}"
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
    let _ = std::fs::remove_file(&updates);
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

/// The launcher's stdout, line by line as it comes, read on a thread of its own.
struct Lines(std::sync::mpsc::Receiver<String>, Vec<String>);

impl Lines {
    fn of(child: &mut std::process::Child) -> Lines {
        use std::io::BufRead;
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Lines(receive, Vec::new())
    }

    /// The first line (of those read so far and to come within `limit`) that `wanted`
    /// accepts.
    fn find(&mut self, limit: Duration, wanted: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(line) = self.1.iter().find(|l| wanted(l)) {
                return Some(line.clone());
            }
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            self.1.push(self.0.recv_timeout(left).ok()?);
        }
    }
}

#[test]
fn a_killed_agent_is_found_dead_while_the_others_go_on_and_starts_again_from_the_hint() {
    let pid = std::process::id() as u16;
    let udp = free_run(30_000 + pid % 10_000, 3);
    let http = free_run(udp + 3, 3);
    let api = |i: u16| format!("127.0.0.1:{}", http + i);
    let data = std::env::temp_dir().join(format!("gossip-cluster-data-{pid}"));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).unwrap();
    let mut launcher = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["cluster", "--nodes", "3"])
            .args(["--base-port", &udp.to_string()])
            .args(["--http-base", &http.to_string()])
            .args(["--data-dir", data.to_str().unwrap()])
            .args(["--record", data.join("run.jsonl").to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = Lines::of(&mut launcher.0);
    let n3 = lines
        .find(Duration::from_secs(15), |l| l.starts_with("n3: page"))
        .expect("the launcher names each agent once they answer");
    assert!(
        lines
            .find(Duration::from_secs(5), |l| l
                .starts_with("3 agents running"))
            .is_some()
    );
    let n3_pid = n3.rsplit("pid ").next().unwrap();
    let members_of =
        |http: &str, status: &str| text(&gossip(&["members", "--http", http, "--status", status]));
    assert!(eventually(Duration::from_secs(15), || {
        members_of(&api(0), "alive").contains("n3")
    }));

    // Written on n3 alone before it dies: its data directory keeps it.
    let writer_of = |key: &str| {
        let out = gossip(&["kv", "--http", &api(2), "get", key, "--format", "json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).ok()?["versions"][0]["writer"]
            .as_str()
            .map(str::to_owned)
    };
    let put = gossip(&["kv", "--http", &api(2), "put", "kept", "yes"]);
    assert!(put.status.success(), "{}", text(&put));
    let writer = writer_of("kept").expect("n3 wrote it");
    // The recorder follows each agent on its own thread: n3's first table is in the
    // recording before n3 is killed, or the recording could not hold two.
    let tables_of_n3 = || {
        std::fs::read_to_string(data.join("run.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|line| line["node"] == "n3" && line.get("members").is_some())
            .count()
    };
    assert!(
        eventually(Duration::from_secs(10), || tables_of_n3() == 1),
        "n3's first table recorded: {}",
        std::fs::read_to_string(data.join("run.jsonl")).unwrap_or_default()
    );
    let killed = Command::new("kill")
        .args(["-KILL", n3_pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let stopped = lines
        .find(Duration::from_secs(5), |l| l.starts_with("n3 stopped"))
        .expect("the launcher says n3 stopped");
    let hint = lines
        .find(Duration::from_secs(1), |l| l.contains(" agent --name n3 "))
        .expect("and how to start it again");
    assert!(stopped.contains("SIGKILL"), "{stopped}");
    assert!(
        eventually(Duration::from_secs(20), || members_of(&api(0), "dead")
            .contains("n3")),
        "n1 finds n3 dead: {}",
        text(&gossip(&["members", "--http", &api(0)]))
    );
    assert!(
        matches!(launcher.0.try_wait(), Ok(None)),
        "the launcher and the other agents go on"
    );
    assert!(members_of(&api(1), "alive").contains("n1"));

    // The hint, run as printed, brings n3 back with a higher incarnation.
    let mut again = Stopped(
        Command::new("sh")
            .args(["-c", &format!("exec {}", hint.trim())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let back = eventually(Duration::from_secs(15), || {
        let out = gossip(&["members", "--http", &api(0), "--format", "json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok_and(|members| {
            members.as_array().is_some_and(|all| {
                all.iter().any(|m| {
                    m["name"] == "n3"
                        && m["status"] == "alive"
                        && m["incarnation"].as_u64() >= Some(1)
                })
            })
        })
    });
    assert!(
        back,
        "n3 is back: {}",
        text(&gossip(&["members", "--http", &api(0)]))
    );
    let kept = text(&gossip(&["kv", "--http", &api(2), "get", "kept"]));
    assert!(
        kept.starts_with("kept = yes"),
        "from its data directory: {kept}"
    );
    let put = gossip(&["kv", "--http", &api(2), "put", "again", "yes"]);
    assert!(put.status.success(), "{}", text(&put));
    assert_eq!(
        writer_of("again"),
        Some(writer),
        "n3 writes on as the same writer"
    );
    // The recording follows n3 into its second life: its member table twice. The
    // recorder looks for a stopped agent every quarter second, which can be after n3
    // answered the commands above.
    assert!(
        eventually(Duration::from_secs(5), || tables_of_n3() == 2),
        "n3's table recorded twice: {}",
        std::fs::read_to_string(data.join("run.jsonl")).unwrap_or_default()
    );
    assert!(
        terminate(&mut launcher.0, Duration::from_secs(15)).is_some_and(|s| s.success()),
        "the launcher still stops what is left, and exits 0"
    );
    assert!(
        lines
            .find(Duration::from_secs(1), |l| l
                .starts_with("n3 (started by hand) was asked to leave"))
            .is_some(),
        "{:?}",
        lines.1
    );
    assert!(
        eventually(
            Duration::from_secs(10),
            || matches!(again.0.try_wait(), Ok(Some(s)) if s.success())
        ),
        "the n3 started by hand left with the rest"
    );
    assert_eq!(tables_of_n3(), 2, "and no more once the cluster stopped");
    let _ = std::fs::remove_dir_all(&data);
}

/// A launcher killed outright cannot stop its agents; they notice their standard input
/// close and leave, rather than hold the ports the next `gossip cluster` needs.
#[test]
fn the_agents_of_a_killed_launcher_stop_and_free_their_ports() {
    let pid = std::process::id() as u16;
    let udp = free_run(12_000 + pid % 8_000, 2);
    let http = free_run(udp + 2, 2);
    let mut launcher = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["cluster", "--nodes", "2"])
            .args(["--base-port", &udp.to_string()])
            .args(["--http-base", &http.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = Lines::of(&mut launcher.0);
    assert!(
        lines
            .find(Duration::from_secs(15), |l| l
                .starts_with("2 agents running"))
            .is_some()
    );
    let answers = |port: u16| {
        gossip(&["members", "--http", &format!("127.0.0.1:{port}")])
            .status
            .success()
    };
    assert!(answers(http) && answers(http + 1));

    launcher.0.kill().unwrap();
    launcher.0.wait().unwrap();
    let all_free = || {
        (0..2).all(|i| {
            !answers(http + i)
                && std::net::UdpSocket::bind(("127.0.0.1", udp + i)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", http + i)).is_ok()
        })
    };
    assert!(
        eventually(Duration::from_secs(10), all_free),
        "both agents stopped once their launcher was killed"
    );
}

/// `gossip cluster` of two agents on free ports from `from`, run to its end, with
/// `more` flags; also its first UDP and HTTP ports. `before` runs once the ports are
/// chosen, before the launcher starts, and what it returns is held meanwhile.
fn two_agents<T>(from: u16, more: &[&str], before: impl FnOnce(u16, u16) -> T) -> (Output, u16) {
    let udp = free_run(from, 2);
    let http = free_run(udp + 2, 2);
    let _held = before(udp, http);
    let (udp_flag, http_flag) = (udp.to_string(), http.to_string());
    let mut args = vec!["cluster", "--nodes", "2"];
    args.extend(["--base-port", &udp_flag, "--http-base", &http_flag]);
    args.extend(more);
    (gossip(&args), http)
}

/// Settings no agent would take are refused once, before any agent starts.
#[test]
fn settings_no_agent_would_take_stop_the_cluster_before_it_starts() {
    let pid = std::process::id() as u16;
    let (out, http) = two_agents(40_000 + pid % 10_000, &["--set", "fanout=0"], |_, _| ());
    assert_eq!(
        out.status.code(),
        Some(2),
        "as a wrong flag: {}",
        text(&out)
    );
    let said = text(&out);
    assert_eq!(
        said.matches("fanout must be at least 1").count(),
        1,
        "said once: {said}"
    );
    assert!(!said.contains("failed to start"), "{said}");
    let n1 = gossip(&["members", "--http", &format!("127.0.0.1:{http}")]);
    assert_eq!(n1.status.code(), Some(2), "n1 never started");
}

/// A recording is never written over, and port 0 is no base: both are refused before
/// any agent starts, as wrong flags.
#[test]
fn an_existing_recording_and_port_zero_are_refused_before_any_agent_starts() {
    let pid = std::process::id() as u16;
    let precious = std::env::temp_dir().join(format!("gossip-precious-{pid}.txt"));
    std::fs::write(&precious, "precious").unwrap();
    let record = ["--record", precious.to_str().unwrap()];
    let (out, http) = two_agents(45_000 + pid % 10_000, &record, |_, _| ());
    let said = text(&out);
    let kept = std::fs::read_to_string(&precious).unwrap();
    let _ = std::fs::remove_file(&precious);
    assert_eq!(kept, "precious", "not written over");
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("exists already"), "{said}");
    let n1 = gossip(&["members", "--http", &format!("127.0.0.1:{http}")]);
    assert_eq!(n1.status.code(), Some(2), "n1 never started");
    for flag in ["--base-port", "--http-base"] {
        let out = gossip(&["cluster", "--nodes", "2", flag, "0"]);
        assert_eq!(out.status.code(), Some(2), "{flag} 0: {}", text(&out));
        assert!(text(&out).contains(flag), "{}", text(&out));
    }
}

#[test]
fn an_agent_that_fails_to_start_stops_the_cluster_at_once() {
    let pid = std::process::id() as u16;
    // A data directory where there can be none: each agent's would be under a file.
    let file = std::env::temp_dir().join(format!("gossip-not-a-dir-{pid}"));
    std::fs::write(&file, "").unwrap();
    let data_dir = file.to_str().unwrap().to_owned();
    let (out, _) = two_agents(40_000 + pid % 10_000, &["--data-dir", &data_dir], |_, _| ());
    std::fs::remove_file(&file).ok();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(&format!("{data_dir}/n1")),
        "the agent's own error, about its own directory: {said}"
    );
    assert!(said.contains("agent n1 failed to start"), "{said}");
    assert!(!said.contains("agents running"), "{said}");
    assert!(
        !said.contains("did not answer"),
        "at once, not after a timeout: {said}"
    );
}

#[test]
fn a_port_in_use_stops_the_cluster_before_any_agent_starts() {
    let pid = std::process::id() as u16;
    // Something else answers on n2's HTTP port: it must not pass for n2.
    let (out, http) = two_agents(50_000 + pid % 5_000, &[], |_, http| {
        std::net::TcpListener::bind(("127.0.0.1", http + 1)).unwrap()
    });
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains(&format!("HTTP port {} of agent n2 is in use", http + 1)),
        "{said}"
    );
    assert!(!said.contains("agents running"), "{said}");
    let n1 = gossip(&["members", "--http", &format!("127.0.0.1:{http}")]);
    assert_eq!(n1.status.code(), Some(2), "n1 never started");
}

#[test]
fn a_client_gives_up_on_an_agent_that_does_not_answer_and_says_when_a_stream_ends() {
    let udp = support::free_port();
    let http = support::free_port();
    let api = format!("127.0.0.1:{http}");
    let mut agent = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["agent", "--name", "z1"])
            .args(["--bind", &format!("127.0.0.1:{udp}")])
            .args(["--http", &api])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(eventually(Duration::from_secs(10), || {
        gossip(&["members", "--http", &api]).status.success()
    }));
    let signal = |name: &str| {
        let sent = Command::new("kill")
            .args([name, &agent.0.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    signal("-STOP");
    for command in ["members", "events"] {
        let out = gossip(&[command, "--http", &api, "--timeout", "0.5"]);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", text(&out));
        assert!(
            text(&out).contains("did not answer within 0.5 s"),
            "{command}: {}",
            text(&out)
        );
    }
    signal("-CONT");
    let bad = gossip(&["members", "--http", &api, "--timeout", "0"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("number of seconds"), "{}", text(&bad));

    // With --recent the stream begins with the agent's history, so its first line says
    // the stream is open before the agent is asked to leave.
    let mut events = Stopped(
        Command::new(env!("CARGO_BIN_EXE_gossip"))
            .args(["events", "--http", &api, "--recent", "--format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let printed = Collected::from(events.0.stdout.take().unwrap());
    let open = printed.wait_for(Duration::from_secs(10), |out| {
        out.contains("joined_cluster")
    });
    assert!(open, "the stream opened");
    assert!(
        gossip(&["kv", "--http", &api, "put", "k", "v"])
            .status
            .success()
    );
    let live = printed.wait_for(Duration::from_secs(10), |out| out.contains("key_changed"));
    assert!(live, "a live event");
    assert!(gossip(&["leave", "--http", &api]).status.success());
    let mut ended = None;
    let stream_ended = eventually(Duration::from_secs(10), || {
        ended = events.0.try_wait().unwrap();
        ended.is_some()
    });
    assert!(stream_ended, "events ends with the agent's stream");
    assert!(ended.is_some_and(|status| status.success()));
    let mut said = String::new();
    std::io::Read::read_to_string(&mut events.0.stderr.take().unwrap(), &mut said).unwrap();
    let ended = said;
    assert!(ended.contains("ended its event stream"), "{ended}");
    // One JSON object a line, each with its id in one life, in order: the history's and
    // the live one alike.
    let printed = printed.finish();
    let ids: Vec<(String, u64)> = printed
        .lines()
        .map(|line| {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            let id = event["id"].as_str().unwrap_or_else(|| panic!("{line}"));
            let (life, seq) = id.split_once('-').unwrap();
            (life.to_owned(), seq.parse().unwrap())
        })
        .collect();
    assert!(ids.len() >= 2, "{printed}");
    assert!(ids.iter().all(|(life, _)| *life == ids[0].0), "{printed}");
    assert!(ids.windows(2).all(|w| w[0].1 < w[1].1), "{printed}");
    assert!(terminate(&mut agent.0, Duration::from_secs(10)).is_some());
}

/// SIGHUP, which a closed terminal or a dropped ssh session sends, makes an agent
/// leave gracefully, as SIGTERM does: the others see it left, not failed.
/// `gossip agent` named `name` on 127.0.0.1, its protocol on `udp` and its API on
/// `http`, joining the agent on port `join` if given; its output goes nowhere.
fn agent_command(name: &str, udp: u16, http: u16, join: Option<u16>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gossip"));
    command
        .args(["agent", "--name", name])
        .args(["--bind", &format!("127.0.0.1:{udp}")])
        .args(["--http", &format!("127.0.0.1:{http}")])
        .stdout(Stdio::null());
    if let Some(seed) = join {
        command.args(["--join", &format!("127.0.0.1:{seed}")]);
    }
    command
}

/// `field` of member `name` as the agent whose API is on `http` lists it, if listed.
fn member_field(http: u16, name: &str, field: &str) -> Option<String> {
    let out = gossip(&[
        "members",
        "--http",
        &format!("127.0.0.1:{http}"),
        "--name",
        name,
        "--format",
        "json",
    ]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .ok()
        .and_then(|members| members[0][field].as_str().map(str::to_owned))
}

#[test]
fn a_hangup_makes_an_agent_leave_gracefully() {
    let pid = std::process::id() as u16;
    let udp = free_run(30_000 + pid % 10_000, 2);
    let http = free_run(udp + 2, 2);
    let agent = |i: u16, join: Option<u16>| {
        let mut command = agent_command(&format!("h{i}"), udp + i, http + i, join);
        Stopped(command.stderr(Stdio::null()).spawn().unwrap())
    };
    let _first = agent(0, None);
    let mut second = agent(1, Some(udp));
    let status_of_h1 = || member_field(http, "h1", "status");
    assert!(eventually(Duration::from_secs(10), || {
        status_of_h1().as_deref() == Some("alive")
    }));
    Command::new("kill")
        .args(["-HUP", &second.0.id().to_string()])
        .status()
        .unwrap();
    let mut exited = None;
    assert!(eventually(Duration::from_secs(10), || {
        exited = second.0.try_wait().unwrap();
        exited.is_some()
    }));
    assert!(exited.unwrap().success(), "{exited:?}");
    assert_eq!(status_of_h1().as_deref(), Some("left"));
}

/// A second process started under a running member's name is told that another claims
/// its name, and the agent that holds the member that it is claimed from two
/// addresses; the member held keeps its address in the list.
#[test]
fn a_second_process_under_a_members_name_is_told_so() {
    let pid = std::process::id() as u16;
    let udp = free_run(40_000 + pid % 10_000, 3);
    let http = free_run(udp + 3, 3);
    let agent = |i: u16, name: &str, join: Option<u16>| {
        let mut command = agent_command(name, udp + i, http + i, join);
        command.env("RUST_LOG", "warn").stderr(Stdio::piped());
        let mut child = Stopped(command.spawn().unwrap());
        let log = Collected::from(child.0.stderr.take().unwrap());
        (child, log)
    };
    let (first, first_log) = agent(0, "c1", None);
    let (second, _) = agent(1, "c2", Some(udp));
    let c2_at = || member_field(http, "c2", "addr");
    let held = format!("127.0.0.1:{}", udp + 1);
    assert!(eventually(Duration::from_secs(10), || {
        c2_at().as_deref() == Some(held.as_str())
    }));
    let (impostor, impostor_log) = agent(2, "c2", Some(udp));
    let told = impostor_log.wait_for(Duration::from_secs(10), |log| {
        log.contains("this agent's name is claimed from another address")
    });
    let noticed = first_log.wait_for(Duration::from_secs(10), |log| {
        log.contains("a member is claimed from two addresses")
    });
    assert_eq!(
        c2_at().as_deref(),
        Some(held.as_str()),
        "c2 keeps its address"
    );
    // Stopped, so that their logs end.
    drop((first, second, impostor));
    let (impostor_log, first_log) = (impostor_log.finish(), first_log.finish());
    assert!(told, "the impostor is told: {impostor_log}");
    assert!(
        !impostor_log.contains("a member is claimed from two addresses"),
        "in its own words: {impostor_log}"
    );
    assert!(noticed, "c1 is told: {first_log}");
}
